/* test_cmitime.c: the SCORM time grammars (scorm/cmitime.c). */
#include "cmi.h"
#include "check.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define H (INT64_C(360000))
#define M (INT64_C(6000))
#define S (INT64_C(100))

struct parse_case {
    const char *in;
    int64_t cs;         /* expected when ok */
    bool ok;
};

static const struct parse_case timespans[] = {
    {"00:00:00", 0, true},
    {"0000:00:00", 0, true},
    {"00:00:03", 3 * S, true},
    {"0001:01:00.20", H + M + 20, true},
    {"12:03:04.5", 12 * H + 3 * M + 4 * S + 50, true},
    {"12:03:04.05", 12 * H + 3 * M + 4 * S + 5, true},
    {"9999:59:59.99", 9999 * H + 59 * M + 59 * S + 99, true},
    {"123:00:00", 123 * H, true},
    {"", 0, false},
    {"0:00:03", 0, false},           /* hours need two digits */
    {"12345:00:00", 0, false},       /* and at most four */
    {"00:60:00", 0, false},
    {"00:00:60", 0, false},
    {"00:0:00", 0, false},
    {"00:00:00.", 0, false},
    {"00:00:00.123", 0, false},
    {"00:00:00 ", 0, false},
    {"-01:00:00", 0, false},
    {"01:00", 0, false},
    {"PT1S", 0, false},
    {"00:00:00:00", 0, false},
};

static const struct parse_case clocks[] = {
    {"00:00:00", 0, true},
    {"12:00:01", 12 * H + 1 * S, true},
    {"23:59:59.99", 23 * H + 59 * M + 59 * S + 99, true},
    {"01:01:02.5", H + M + 2 * S + 50, true},
    {"24:00:00", 0, false},
    {"12:00", 0, false},
    {"1:00:00", 0, false},
    {"001:00:00", 0, false},
    {"12:60:00", 0, false},
    {"12:00:00.123", 0, false},
    {"", 0, false},
};

static const struct parse_case durations[] = {
    {"PT0S", 0, true},
    {"PT0H0M0S", 0, true},           /* scorm-again's default session_time */
    {"PT3.88S", 388, true},
    {"PT1.5S", 150, true},
    {"PT0.89S", 89, true},
    {"PT1H3M2.5S", H + 3 * M + 250, true},
    {"P1DT2H", 26 * H, true},
    {"P1Y", 365 * 24 * H, true},
    {"P1M", 30 * 24 * H, true},
    {"P1Y2M3DT4H5M6.07S", (365 + 60 + 3) * 24 * H + 4 * H + 5 * M + 6 * S + 7, true},
    {"PT05H", 5 * H, true},          /* zero padding */
    {"PT000005H", 5 * H, true},
    {"PT310S", 310 * S, true},
    {"PT1.999S", 199, true},         /* more digits: rounded down */
    {"PT0.001S", 0, true},
    {"P3D", 3 * 24 * H, true},
    {"PT100000H", 100000 * H, true},
    {"PT10000000000S", INT64_C(10000000000) * S, true},  /* the cap itself */
    {"PT10000000000.01S", 0, false},                     /* just above it */
    {"PT10000000001S", 0, false},
    {"P400Y", 0, false},                                 /* 1.26e10 s */
    {"P99999999999999999999999Y", 0, false},             /* overflow */
    {"PT99999999999999999999999999999S", 0, false},
    {"", 0, false},
    {"P", 0, false},
    {"PT", 0, false},
    {"P1DT", 0, false},
    {"T1H", 0, false},
    {"1H", 0, false},
    {"-PT1S", 0, false},
    {"PT-1S", 0, false},
    {"P1H", 0, false},               /* H needs T */
    {"PT1D", 0, false},              /* D must come before T */
    {"PT1S1M", 0, false},            /* order */
    {"PT1M1M", 0, false},            /* repeated */
    {"P1M1Y", 0, false},
    {"PTT1S", 0, false},
    {"PT1.5H", 0, false},            /* only seconds take a fraction */
    {"P1.5D", 0, false},
    {"PT.5S", 0, false},
    {"PT1.S", 0, false},
    {"P1W", 0, false},
    {"PT1S ", 0, false},
    {"pt1s", 0, false},
    {"PT1,5S", 0, false},
    {"PTS", 0, false},
    {"00:00:01", 0, false},
};

static const struct {
    const char *in;
    bool ok;
} timestamps[] = {
    {"2009", true},
    {"2009-07", true},
    {"2009-07-25", true},
    {"2009-07-25T03", true},
    {"2009-07-25T03:00", true},
    {"2009-07-25T03:00:00", true},
    {"2009-07-25T03:00:00.0Z", true},
    {"2009-07-25T03:00:00.5+05:00", true},
    {"2009-07-25T03:30:35.5+05", true},
    {"2009-07-25T03:00:00-03:10", true},
    {"2009-07-25T03:00:00Z", true},
    {"2024-01-01T10:00:00.123Z", true},     /* Date.toISOString() */
    {"2024-02-29", true},
    {"1970-01-01", true},
    {"9999-12-31T23:59:59", true},
    {"1969-12-31", false},
    {"2023-02-29", false},
    {"2024-04-31", false},
    {"2024-13-01", false},
    {"2024-00-01", false},
    {"2024-01-00", false},
    {"2024-01-01T24:00", false},
    {"2024-01-01T10:60", false},
    {"2024-01-01T10:00:60", false},
    {"2024-01-01 10:00:00", false},
    {"2024-01-01T10:00Z", false},           /* TZD only after seconds */
    {"2024-01-01T10:00:00.", false},
    {"2024-01-01T10:00:00+5", false},
    {"2024-01-01T10:00:00+24", false},
    {"2024-01-01T10:00:00+05:60", false},
    {"2024-01-01T10:00:00ZZ", false},
    {"24-01-01", false},
    {"2024-1-01", false},
    {"", false},
    {"2024-", false},
};

static const struct {
    int64_t cs;
    const char *duration, *timespan;
} formats[] = {
    {0, "PT0S", "0000:00:00.00"},
    {366020, "PT1H1M0.2S", "0001:01:00.20"},
    {388, "PT3.88S", "0000:00:03.88"},
    {5, "PT0.05S", "0000:00:00.05"},
    {100, "PT1S", "0000:00:01.00"},
    {6000, "PT1M", "0000:01:00.00"},
    {360000, "PT1H", "0001:00:00.00"},
    {360100, "PT1H1S", "0001:00:01.00"},
    {12 * H + 3 * M + 4 * S + 50, "PT12H3M4.5S", "0012:03:04.50"},
    {100000 * H, "PT100000H", "9999:59:59.99"},   /* 1.2 cannot say more */
    {-5, "PT0S", "0000:00:00.00"},
};

int main(void)
{
    int64_t cs;
    char buf[64];

    for (size_t i = 0; i < sizeof timespans / sizeof timespans[0]; i++) {
        const struct parse_case *c = &timespans[i];
        cs = -1;
        int rc = cairn_time_parse_timespan(c->in, &cs);
        if (c->ok)
            CHECK(rc == 0 && cs == c->cs, "timespan \"%s\" = %" PRId64 " cs (got %d, %" PRId64 ")",
                  c->in, c->cs, rc, cs);
        else
            CHECK(rc == -EINVAL && cs == -1, "timespan \"%s\" refused", c->in);
    }
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        const struct parse_case *c = &clocks[i];
        cs = -1;
        int rc = cairn_time_parse_clock(c->in, &cs);
        if (c->ok)
            CHECK(rc == 0 && cs == c->cs, "clock \"%s\" = %" PRId64 " cs", c->in, c->cs);
        else
            CHECK(rc == -EINVAL && cs == -1, "clock \"%s\" refused", c->in);
    }
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        const struct parse_case *c = &durations[i];
        cs = -1;
        int rc = cairn_time_parse_duration(c->in, &cs);
        if (c->ok)
            CHECK(rc == 0 && cs == c->cs, "duration \"%s\" = %" PRId64 " cs (got %d, %" PRId64 ")",
                  c->in, c->cs, rc, cs);
        else
            CHECK(rc == -EINVAL && cs == -1, "duration \"%s\" refused", c->in);
    }
    for (size_t i = 0; i < sizeof timestamps / sizeof timestamps[0]; i++)
        CHECK((cairn_time_check_timestamp(timestamps[i].in) == 0) == timestamps[i].ok,
              "timestamp \"%s\" %s", timestamps[i].in,
              timestamps[i].ok ? "accepted" : "refused");

    CHECK(cairn_time_parse_timespan(NULL, &cs) == -EINVAL, "NULL timespan refused");
    CHECK(cairn_time_parse_duration(NULL, &cs) == -EINVAL, "NULL duration refused");
    CHECK(cairn_time_parse_clock(NULL, &cs) == -EINVAL, "NULL clock refused");
    CHECK(cairn_time_check_timestamp(NULL) == -EINVAL, "NULL timestamp refused");

    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        cairn_time_format_duration(formats[i].cs, buf, sizeof buf);
        CHECK(strcmp(buf, formats[i].duration) == 0, "%" PRId64 " cs as duration \"%s\" (got \"%s\")",
              formats[i].cs, formats[i].duration, buf);
        cairn_time_format_timespan(formats[i].cs, buf, sizeof buf);
        CHECK(strcmp(buf, formats[i].timespan) == 0, "%" PRId64 " cs as timespan \"%s\" (got \"%s\")",
              formats[i].cs, formats[i].timespan, buf);
    }

    /* Round trips: format(parse(x)) is canonical, parse(format(cs)) == cs. */
    static const int64_t values[] = {
        0, 1, 9, 10, 99, 100, 101, 5999, 6000, 359999, 360000, 366020,
        86400 * S, 9999 * H + 59 * M + 59 * S + 99};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        int64_t back = -1;
        cairn_time_format_duration(values[i], buf, sizeof buf);
        CHECK(cairn_time_parse_duration(buf, &back) == 0 && back == values[i],
              "duration round trip of %" PRId64 " via \"%s\"", values[i], buf);
        back = -1;
        cairn_time_format_timespan(values[i], buf, sizeof buf);
        CHECK(cairn_time_parse_timespan(buf, &back) == 0 && back == values[i],
              "timespan round trip of %" PRId64 " via \"%s\"", values[i], buf);
    }
    CHECK(cairn_time_parse_duration("PT310S", &cs) == 0 &&
          (cairn_time_format_duration(cs, buf, sizeof buf), strcmp(buf, "PT5M10S") == 0),
          "PT310S formats canonically as PT5M10S");
    CHECK(cairn_time_parse_duration("PT0H0M0S", &cs) == 0 &&
          (cairn_time_format_duration(cs, buf, sizeof buf), strcmp(buf, "PT0S") == 0),
          "PT0H0M0S formats as PT0S");

    /* Adding sessions: parse each, sum, format once (what total_time is). */
    static const char *const sessions04[] = {"PT1.5S", "PT0.89S"};
    int64_t total = 0;
    for (size_t i = 0; i < 2; i++) {
        CHECK(cairn_time_parse_duration(sessions04[i], &cs) == 0, "session %s parses",
              sessions04[i]);
        total += cs;
    }
    cairn_time_format_duration(total, buf, sizeof buf);
    CHECK(strcmp(buf, "PT2.39S") == 0, "PT1.5S + PT0.89S = PT2.39S (got %s)", buf);

    static const char *const sessions12[] = {"00:59:59.99", "00:00:00.01", "0010:30:00"};
    total = 0;
    for (size_t i = 0; i < 3; i++) {
        CHECK(cairn_time_parse_timespan(sessions12[i], &cs) == 0, "session %s parses",
              sessions12[i]);
        total += cs;
    }
    cairn_time_format_timespan(total, buf, sizeof buf);
    CHECK(strcmp(buf, "0011:30:00.00") == 0, "1.2 sessions add to 0011:30:00.00 (got %s)", buf);
    cairn_time_format_duration(total, buf, sizeof buf);
    CHECK(strcmp(buf, "PT11H30M") == 0, "and to PT11H30M (got %s)", buf);

    /* Many maximal sessions cannot overflow: 10^6 of them stay in range. */
    CHECK(cairn_time_parse_duration("PT10000000000S", &cs) == 0, "the largest duration parses");
    int64_t big = 0;
    for (int i = 0; i < 1000000; i++)
        big += cs;
    CHECK(big == INT64_C(1000000) * INT64_C(10000000000) * S, "a million of them sum exactly");
    cairn_time_format_duration(big, buf, sizeof buf);
    CHECK(strcmp(buf, "PT2777777777777H46M40S") == 0, "and format with hours (%s)", buf);

    /* Small buffers truncate, never overflow. */
    char tiny[4];
    cairn_time_format_duration(366020, tiny, sizeof tiny);
    CHECK(strcmp(tiny, "PT1") == 0, "duration truncates into a small buffer");
    cairn_time_format_timespan(366020, tiny, sizeof tiny);
    CHECK(strcmp(tiny, "000") == 0, "timespan truncates into a small buffer");
    cairn_time_format_duration(1, tiny, 0);
    cairn_time_format_timespan(1, tiny, 0);
    CHECK(strcmp(tiny, "000") == 0, "a zero-length buffer is left alone");

    return check_done();
}
