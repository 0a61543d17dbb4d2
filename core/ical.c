/* ical.c: the iCalendar writer (see ical.h). */
#include "ical.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct obuf {
    char *p;
    size_t len, cap;
    bool oom;
} obuf;

static void put(obuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Writes one content line, folded: at most 75 octets per physical line,
 * continuation lines start with a space (which counts), and a UTF-8
 * sequence is never cut. */
static void put_line(obuf *b, const char *line, size_t n)
{
    size_t i = 0, room = 75;
    while (n - i > room) {
        size_t cut = i + room;
        while (cut > i && ((unsigned char)line[cut] & 0xC0) == 0x80)
            cut--;
        put(b, line + i, cut - i);
        put(b, "\r\n ", 3);
        i = cut;
        room = 74;
    }
    put(b, line + i, n - i);
    put(b, "\r\n", 2);
}

/* name:value with value escaped as TEXT. */
static void put_text(obuf *b, const char *name, const char *value)
{
    if (!value)
        return;
    obuf l = { 0 };
    put(&l, name, strlen(name));
    put(&l, ":", 1);
    for (const char *s = value; *s; s++) {
        switch (*s) {
        case '\\': put(&l, "\\\\", 2); break;
        case ';': put(&l, "\\;", 2); break;
        case ',': put(&l, "\\,", 2); break;
        case '\n': put(&l, "\\n", 2); break;
        case '\r': break;
        default:
            /* other control characters are not allowed in TEXT */
            if ((unsigned char)*s >= 0x20 && *s != 0x7f)
                put(&l, s, 1);
        }
    }
    if (l.oom)
        b->oom = true;
    else
        put_line(b, l.p, l.len);
    free(l.p);
}

static void put_raw(obuf *b, const char *fmt_name, const char *value)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%s:%s", fmt_name, value);
    if (n > 0)
        put_line(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void utc_basic(int64_t t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

char *ical_calendar(const char *method, const ical_event *ev, size_t n, int64_t dtstamp)
{
    obuf b = { 0 };
    char t[17], seq[24];
    put_raw(&b, "BEGIN", "VCALENDAR");
    put_raw(&b, "VERSION", "2.0");
    put_raw(&b, "PRODID", "-//Cairn//Cairn learning server//EN");
    put_raw(&b, "CALSCALE", "GREGORIAN");
    put_raw(&b, "METHOD", method);
    utc_basic(dtstamp, t);
    for (size_t i = 0; i < n; i++) {
        put_raw(&b, "BEGIN", "VEVENT");
        put_text(&b, "UID", ev[i].uid);
        put_raw(&b, "DTSTAMP", t);
        char s[17];
        utc_basic(ev[i].start, s);
        put_raw(&b, "DTSTART", s);
        utc_basic(ev[i].end, s);
        put_raw(&b, "DTEND", s);
        snprintf(seq, sizeof seq, "%d", ev[i].sequence);
        put_raw(&b, "SEQUENCE", seq);
        put_raw(&b, "STATUS", ev[i].cancelled ? "CANCELLED" : "CONFIRMED");
        put_text(&b, "SUMMARY", ev[i].summary);
        put_text(&b, "LOCATION", ev[i].location);
        put_text(&b, "DESCRIPTION", ev[i].description);
        put_raw(&b, "END", "VEVENT");
    }
    put_raw(&b, "END", "VCALENDAR");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int ical_parse_utc(const char *s, int64_t *ret)
{
    int y, mo, d, h, mi, sec = 0, used = 0;
    if (!s)
        return -1;
    size_t n = strlen(s);
    if (n == 17) {
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &used) != 5 || used != 17)
            return -1;
    } else if (n == 20) {
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
            used != 20)
            return -1;
    } else {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool digit = c >= '0' && c <= '9';
        bool want_digit = !(i == 4 || i == 7 || i == 10 || i == 13 || i == 16 || i == n - 1);
        if (digit != want_digit)
            return -1;
    }
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 || sec > 59)
        return -1;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                     .tm_hour = h, .tm_min = mi, .tm_sec = sec };
    *ret = (int64_t)timegm(&tm);
    return 0;
}

void ical_format_iso(int64_t t, char *buf)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
