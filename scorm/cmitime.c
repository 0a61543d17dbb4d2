/* cmitime.c: the time grammars of the SCORM data models (see cmi.h).
 *
 * Everything is held in centiseconds, the resolution both editions promise
 * (1.2 CMITimespan "SS.SS", 2004 timeinterval "(second,10,2)"). Digits past
 * the second decimal are accepted and dropped (rounded down), because ISO
 * 8601 allows them and a few tools write milliseconds.
 *
 * Parsers are strict about shape and never overflow: every number is bounded
 * while its digits are read, and a duration above CAIRN_TIME_MAX_CS is
 * refused. That bound (10^10 seconds, about 317 years) is far above any real
 * session and far below INT64_MAX, so sums of many sessions cannot overflow
 * either. */
#include "cmi.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CS_PER_SECOND INT64_C(100)
#define CS_PER_MINUTE (60 * CS_PER_SECOND)
#define CS_PER_HOUR   (60 * CS_PER_MINUTE)
#define CS_PER_DAY    (24 * CS_PER_HOUR)
#define CAIRN_TIME_MAX_CS (INT64_C(10000000000) * CS_PER_SECOND)

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly n digits at *p into *ret and advances *p. */
static bool read_fixed(const char **p, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *ret = v;
    return true;
}

/* Reads an optional ".d[d...]" at *p: the first two digits become
 * centiseconds, later ones are dropped; at most max_digits digits. A dot
 * without a digit is refused. */
static bool read_fraction(const char **p, int max_digits, int *ret_cs)
{
    *ret_cs = 0;
    if (**p != '.')
        return true;
    (*p)++;
    int n = 0, cs = 0;
    while (is_digit(**p)) {
        if (++n > max_digits)
            return false;
        if (n <= 2)
            cs = cs * 10 + (**p - '0');
        (*p)++;
    }
    if (n == 0)
        return false;
    if (n == 1)
        cs *= 10;
    *ret_cs = cs;
    return true;
}

/* HH:MM:SS[.S[S]] after the hours, shared by CMITimespan and CMITime. */
static bool read_min_sec(const char **p, int64_t *ret_cs)
{
    int mm, ss, frac;
    if (**p != ':')
        return false;
    (*p)++;
    if (!read_fixed(p, 2, &mm) || mm >= 60 || **p != ':')
        return false;
    (*p)++;
    if (!read_fixed(p, 2, &ss) || ss >= 60)
        return false;
    if (!read_fraction(p, 2, &frac))
        return false;
    *ret_cs = mm * CS_PER_MINUTE + ss * CS_PER_SECOND + frac;
    return true;
}

int cairn_time_parse_timespan(const char *s, int64_t *ret_cs)
{
    if (!s)
        return -EINVAL;
    const char *p = s;
    int64_t hours = 0;
    int n = 0;
    while (is_digit(*p)) {
        if (++n > 4)
            return -EINVAL;
        hours = hours * 10 + (*p++ - '0');
    }
    int64_t rest;
    if (n < 2 || !read_min_sec(&p, &rest) || *p != '\0')
        return -EINVAL;
    *ret_cs = hours * CS_PER_HOUR + rest;
    return 0;
}

int cairn_time_parse_clock(const char *s, int64_t *ret_cs)
{
    if (!s)
        return -EINVAL;
    const char *p = s;
    int hh;
    int64_t rest;
    if (!read_fixed(&p, 2, &hh) || hh >= 24 || !read_min_sec(&p, &rest) ||
        *p != '\0')
        return -EINVAL;
    *ret_cs = hh * CS_PER_HOUR + rest;
    return 0;
}

/* The designators of P[nY][nM][nD][T[nH][nM][n[.n]S]] in the only order
 * they may appear; "M" is months before T and minutes after it. Years and
 * months are 365 and 30 days, as the RTE book allows. */
static const struct {
    char letter;
    bool after_t;
    int64_t cs;
} duration_units[] = {
    {'Y', false, 365 * CS_PER_DAY},
    {'M', false, 30 * CS_PER_DAY},
    {'D', false, CS_PER_DAY},
    {'H', true, CS_PER_HOUR},
    {'M', true, CS_PER_MINUTE},
    {'S', true, CS_PER_SECOND},
};
#define N_DURATION_UNITS (sizeof duration_units / sizeof duration_units[0])

int cairn_time_parse_duration(const char *s, int64_t *ret_cs)
{
    if (!s || *s != 'P')
        return -EINVAL;
    const char *p = s + 1;
    size_t next = 0;            /* first unit still allowed */
    bool after_t = false;
    int components = 0, time_components = 0;
    int64_t total = 0;

    while (*p) {
        if (*p == 'T') {
            if (after_t)
                return -EINVAL;
            after_t = true;
            next = 3;           /* only H, M, S from here */
            p++;
            continue;
        }
        int64_t n = 0;
        int digits = 0;
        while (is_digit(*p)) {
            n = n * 10 + (*p++ - '0');
            digits++;
            if (n > CAIRN_TIME_MAX_CS)
                return -EINVAL;
        }
        if (digits == 0)
            return -EINVAL;
        int frac = 0;
        bool has_frac = *p == '.';
        /* any number of fraction digits: ISO 8601 allows them, SCORM keeps two */
        if (has_frac && !read_fraction(&p, 64, &frac))
            return -EINVAL;

        size_t u = next;
        while (u < N_DURATION_UNITS &&
               (duration_units[u].after_t != after_t ||
                duration_units[u].letter != *p))
            u++;
        if (u == N_DURATION_UNITS)
            return -EINVAL;
        /* only the seconds may carry a fraction */
        if (has_frac && duration_units[u].letter != 'S')
            return -EINVAL;
        p++;
        next = u + 1;

        if (n > (CAIRN_TIME_MAX_CS - total) / duration_units[u].cs)
            return -EINVAL;
        total += n * duration_units[u].cs + frac;
        if (total > CAIRN_TIME_MAX_CS)
            return -EINVAL;
        components++;
        if (after_t)
            time_components++;
    }
    /* "P" alone and a "T" with nothing after it are not durations */
    if (components == 0 || (after_t && time_components == 0))
        return -EINVAL;
    *ret_cs = total;
    return 0;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

int cairn_time_check_timestamp(const char *s)
{
    if (!s)
        return -EINVAL;
    const char *p = s;
    int year, month, day, hh, mm, ss;
    /* 1970 is where the RTE book starts; 9999 as scorm-again allows */
    if (!read_fixed(&p, 4, &year) || year < 1970)
        return -EINVAL;
    if (*p == '\0')
        return 0;
    if (*p++ != '-' || !read_fixed(&p, 2, &month) || month < 1 || month > 12)
        return -EINVAL;
    if (*p == '\0')
        return 0;
    if (*p++ != '-' || !read_fixed(&p, 2, &day) || day < 1 ||
        day > days_in_month(year, month))
        return -EINVAL;
    if (*p == '\0')
        return 0;
    if (*p++ != 'T' || !read_fixed(&p, 2, &hh) || hh > 23)
        return -EINVAL;
    if (*p == '\0')
        return 0;
    if (*p++ != ':' || !read_fixed(&p, 2, &mm) || mm > 59)
        return -EINVAL;
    if (*p == '\0')
        return 0;
    if (*p++ != ':' || !read_fixed(&p, 2, &ss) || ss > 59)
        return -EINVAL;
    int frac;
    if (!read_fraction(&p, 9, &frac))
        return -EINVAL;
    if (*p == '\0')
        return 0;
    /* time zone designator */
    if (*p == 'Z')
        return p[1] == '\0' ? 0 : -EINVAL;
    if (*p != '+' && *p != '-')
        return -EINVAL;
    p++;
    if (!read_fixed(&p, 2, &hh) || hh > 23)
        return -EINVAL;
    if (*p == '\0')
        return 0;
    if (*p++ != ':' || !read_fixed(&p, 2, &mm) || mm > 59)
        return -EINVAL;
    return *p == '\0' ? 0 : -EINVAL;
}

void cairn_time_format_timespan(int64_t cs, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    /* CMITimespan has at most four digits of hours: a longer span is shown
     * as the largest one it can express rather than as a malformed value. */
    const int64_t max_cs = 10000 * CS_PER_HOUR - 1;
    if (cs < 0)
        cs = 0;
    if (cs > max_cs)
        cs = max_cs;
    snprintf(buf, len, "%04" PRId64 ":%02d:%02d.%02d",
             cs / CS_PER_HOUR,
             (int)(cs / CS_PER_MINUTE % 60),
             (int)(cs / CS_PER_SECOND % 60),
             (int)(cs % 100));
}

void cairn_time_format_duration(int64_t cs, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    if (cs <= 0) {
        /* the RTE book's zero; a negative span cannot be written */
        snprintf(buf, len, "PT0S");
        return;
    }
    /* Hours are the largest unit written: days, months and years have no
     * fixed length in ISO 8601, hours do. */
    char out[64];
    size_t n = (size_t)snprintf(out, sizeof out, "PT");
    int64_t h = cs / CS_PER_HOUR;
    int m = (int)(cs / CS_PER_MINUTE % 60);
    int s = (int)(cs / CS_PER_SECOND % 60);
    int f = (int)(cs % 100);
    if (h)
        n += (size_t)snprintf(out + n, sizeof out - n, "%" PRId64 "H", h);
    if (m)
        n += (size_t)snprintf(out + n, sizeof out - n, "%dM", m);
    if (s || f) {
        n += (size_t)snprintf(out + n, sizeof out - n, "%d", s);
        if (f % 10 == 0 && f)
            n += (size_t)snprintf(out + n, sizeof out - n, ".%d", f / 10);
        else if (f)
            n += (size_t)snprintf(out + n, sizeof out - n, ".%02d", f);
        snprintf(out + n, sizeof out - n, "S");
    }
    snprintf(buf, len, "%s", out);
}
