/* ical.h: iCalendar (RFC 5545) invitations for course sessions.
 *
 * Pure text: no I/O, no JSON, no database, so it is unit-tested on its own
 * (tests/unit/test_ical.c). Every line ends in CRLF and is folded at 75
 * octets without splitting a UTF-8 sequence; TEXT values are escaped
 * (backslash, semicolon, comma, newline). Times are written in UTC
 * ("19970714T173000Z"). */
#ifndef CAIRN_ICAL_H
#define CAIRN_ICAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ical_event {
    const char *uid;            /* stable across updates: calendars match on it */
    const char *summary, *location, *description;   /* may be NULL */
    int64_t start, end;         /* seconds since the epoch */
    int sequence;               /* goes up with every change */
    bool cancelled;             /* STATUS:CANCELLED */
} ical_event;

/* A VCALENDAR with METHOD method ("REQUEST" or "CANCEL") and one VEVENT per
 * event. dtstamp: when the invitation was made. Returns a malloc'd string,
 * or NULL when out of memory. */
char *ical_calendar(const char *method, const ical_event *ev, size_t n, int64_t dtstamp);

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC, the Z required; seconds optional) to seconds
 * since the epoch. Returns 0, or -1 when s is not such a time. */
int ical_parse_utc(const char *s, int64_t *ret);
/* The canonical form "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void ical_format_iso(int64_t t, char *buf);

#endif
