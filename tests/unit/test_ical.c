/* test_ical.c: the iCalendar writer (core/ical.c): escaping, folding at
 * 75 octets without cutting UTF-8, UTC times, METHOD and SEQUENCE. */
#include "check.h"
#include "ical.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Every physical line ends in CRLF and is at most 75 octets. */
static bool lines_ok(const char *s, size_t *ret_longest)
{
    size_t longest = 0;
    while (*s) {
        const char *crlf = strstr(s, "\r\n");
        if (!crlf)
            return false;
        size_t n = (size_t)(crlf - s);
        if (memchr(s, '\n', n) || memchr(s, '\r', n))
            return false;
        if (n > longest)
            longest = n;
        s = crlf + 2;
    }
    *ret_longest = longest;
    return longest <= 75;
}

/* Undoes folding: CRLF followed by a space disappears. */
static char *unfold(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    while (*s) {
        if (s[0] == '\r' && s[1] == '\n' && s[2] == ' ') {
            s += 3;
            continue;
        }
        *o++ = *s++;
    }
    *o = '\0';
    return out;
}

/* No physical line starts with a UTF-8 continuation byte (a cut sequence). */
static bool utf8_intact(const char *s)
{
    for (const char *p = s; (p = strstr(p, "\r\n ")); p += 3)
        if (((unsigned char)p[3] & 0xC0) == 0x80)
            return false;
    return true;
}

int main(void)
{
    int64_t t;
    CHECK(ical_parse_utc("2026-12-01T09:30:00Z", &t) == 0 && t == 1796117400,
          "parses a UTC time");
    CHECK(ical_parse_utc("2026-12-01T09:30Z", &t) == 0 && t == 1796117400,
          "seconds are optional");
    CHECK(ical_parse_utc("2026-12-01T09:30:00", &t) != 0, "refuses a time without Z");
    CHECK(ical_parse_utc("2026-12-01T09:30:00+01:00", &t) != 0, "refuses an offset");
    CHECK(ical_parse_utc("2026-02-30T09:30:00Z", &t) != 0, "refuses 30 February");
    CHECK(ical_parse_utc("2028-02-29T09:30:00Z", &t) == 0, "accepts a leap day");
    CHECK(ical_parse_utc("2026-1-01T09:30:00Zx", &t) != 0, "refuses junk");
    char iso[21];
    ical_format_iso(1796117400, iso);
    CHECK(strcmp(iso, "2026-12-01T09:30:00Z") == 0, "formats ISO UTC: %s", iso);

    const char *long_desc =
        "Aims: to recognise abuse; to share information, lawfully, with partners.\n"
        "Bring: a pen \\ notebook. Café « accès » — rampe d’accès à l’entrée, "
        "ascenseur au fond du hall; toilettes accessibles au rez-de-chaussée.";
    ical_event ev = {
        .uid = "cairn-session-abc123-1@cairn", .summary = "Recognising abuse, Level 1",
        .location = "Town Hall, 1 High St, Oakham", .description = long_desc,
        .start = 1796117400, .end = 1796117400 + 6 * 3600, .sequence = 3,
    };
    char *cal = ical_calendar("REQUEST", &ev, 1, 1796000000);
    CHECK(cal != NULL, "builds a calendar");
    size_t longest = 0;
    CHECK(lines_ok(cal, &longest), "CRLF lines of at most 75 octets (longest %zu)", longest);
    CHECK(longest == 75, "long lines are folded at exactly 75 octets or just before a "
          "UTF-8 sequence (longest %zu)", longest);
    CHECK(utf8_intact(cal), "folding never cuts a UTF-8 sequence");
    char *u = unfold(cal);
    CHECK(strncmp(u, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 30) == 0, "starts with VCALENDAR 2.0");
    CHECK(strstr(u, "\r\nMETHOD:REQUEST\r\n") != NULL, "METHOD:REQUEST");
    CHECK(strstr(u, "\r\nUID:cairn-session-abc123-1@cairn\r\n") != NULL, "the UID");
    CHECK(strstr(u, "\r\nDTSTART:20261201T093000Z\r\n") != NULL, "DTSTART in UTC");
    CHECK(strstr(u, "\r\nDTEND:20261201T153000Z\r\n") != NULL, "DTEND in UTC");
    CHECK(strstr(u, "\r\nDTSTAMP:20261130T005320Z\r\n") != NULL, "DTSTAMP in UTC");
    CHECK(strstr(u, "\r\nSEQUENCE:3\r\n") != NULL, "SEQUENCE");
    CHECK(strstr(u, "\r\nSTATUS:CONFIRMED\r\n") != NULL, "STATUS:CONFIRMED");
    CHECK(strstr(u, "\r\nLOCATION:Town Hall\\, 1 High St\\, Oakham\r\n") != NULL,
          "commas escaped");
    CHECK(strstr(u, "DESCRIPTION:Aims: to recognise abuse\\; to share information\\, "
                    "lawfully\\, with partners.\\nBring: a pen \\\\ notebook.") != NULL,
          "semicolon, comma, newline and backslash escaped");
    CHECK(strstr(u, "au rez-de-chaussée.\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n") != NULL,
          "unfolds to the original text and ends with END:VCALENDAR");
    free(u);
    free(cal);

    ev.cancelled = true;
    ev.sequence = 4;
    ev.description = NULL;
    cal = ical_calendar("CANCEL", &ev, 1, 1796000000);
    CHECK(cal && strstr(cal, "\r\nMETHOD:CANCEL\r\n") && strstr(cal, "\r\nSTATUS:CANCELLED\r\n") &&
          strstr(cal, "\r\nSEQUENCE:4\r\n") && !strstr(cal, "DESCRIPTION"),
          "a cancellation: METHOD:CANCEL, STATUS:CANCELLED, a higher SEQUENCE");
    free(cal);

    /* a line of exactly 75 octets is not folded; 76 is */
    char s75[80];
    memset(s75, 'x', sizeof s75);
    s75[75 - 8] = '\0';   /* "SUMMARY:" is 8 octets */
    ev.summary = s75;
    cal = ical_calendar("REQUEST", &ev, 1, 1796000000);
    CHECK(cal && strstr(cal, s75) && !strstr(cal, "\r\n x"), "75 octets: one line");
    free(cal);
    s75[75 - 8] = 'x';
    s75[76 - 8] = '\0';
    cal = ical_calendar("REQUEST", &ev, 1, 1796000000);
    CHECK(cal && strstr(cal, "\r\n x\r\n"), "76 octets: folded, one octet continues");
    free(cal);

    ical_event two[2] = { ev, ev };
    two[1].uid = "second@cairn";
    cal = ical_calendar("REQUEST", two, 2, 1796000000);
    int events = 0;
    for (const char *p = cal; (p = strstr(p, "BEGIN:VEVENT")); p++)
        events++;
    CHECK(events == 2, "one VEVENT per session date");
    free(cal);
    return check_done();
}
