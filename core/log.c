/* log.c: see log.h. A line is built in memory and written with one
 * fwrite under the stdio lock, so lines from worker threads never
 * interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int g_level = LOG_INFO;
static int g_format = LOG_FORMAT_LOGFMT;
static const char *const level_names[] = { "debug", "info", "warn", "error" };
static const char *const format_names[] = { "logfmt", "json" };

void log_set_level(cairn_log_level level)
{
    __atomic_store_n(&g_level, (int)level, __ATOMIC_RELAXED);
}

cairn_log_level log_get_level(void)
{
    return (cairn_log_level)__atomic_load_n(&g_level, __ATOMIC_RELAXED);
}

const char *log_level_name(cairn_log_level level)
{
    return level_names[level];
}

int log_parse_level(const char *s, cairn_log_level *ret)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *ret = (cairn_log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_set_format(cairn_log_format format)
{
    __atomic_store_n(&g_format, (int)format, __ATOMIC_RELAXED);
}

cairn_log_format log_get_format(void)
{
    return (cairn_log_format)__atomic_load_n(&g_format, __ATOMIC_RELAXED);
}

const char *log_format_name(cairn_log_format format)
{
    return format_names[format];
}

int log_parse_format(const char *s, cairn_log_format *ret)
{
    for (int i = 0; i < 2; i++) {
        if (strcmp(s, format_names[i]) == 0) {
            *ret = (cairn_log_format)i;
            return 0;
        }
    }
    return -1;
}

/* A line being built; text past the end is dropped, never overflows. */
typedef struct line {
    char buf[2048];
    size_t len;
} line;

static void put(line *l, const char *s, size_t n)
{
    if (n > sizeof l->buf - 2 - l->len)
        n = sizeof l->buf - 2 - l->len;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(line *l, const char *s)
{
    put(l, s, strlen(s));
}

static void putf(line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(line *l, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(l, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A JSON string, quotes included; control characters escaped. */
static void put_json_string(line *l, const char *s)
{
    put(l, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = { '\\', (char)*p };
            put(l, e, 2);
        } else if (*p < 0x20) {
            putf(l, "\\u%04x", *p);
        } else {
            put(l, (const char *)p, 1);
        }
    }
    put(l, "\"", 1);
}

/* A logfmt value: bare when it has no space, quote, = or control
 * character, else quoted with \" \\ and \n escaped. */
static void put_logfmt_value(line *l, const char *s)
{
    bool bare = s[0] != '\0';
    for (const unsigned char *p = (const unsigned char *)s; *p && bare; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
            bare = false;
    if (bare) {
        puts_(l, s);
        return;
    }
    put(l, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = { '\\', (char)*p };
            put(l, e, 2);
        } else if (*p == '\n') {
            put(l, "\\n", 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            put(l, "?", 1);
        } else {
            put(l, (const char *)p, 1);
        }
    }
    put(l, "\"", 1);
}

static void begin(line *l, cairn_log_format format, cairn_log_level level, const char *part)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[24], stamp[64];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp, sizeof stamp, "%s.%03dZ", when, (int)(ts.tv_nsec / 1000000));
    l->len = 0;
    if (format == LOG_FORMAT_JSON) {
        puts_(l, "{\"time\":\"");
        puts_(l, stamp);
        puts_(l, "\",\"level\":\"");
        puts_(l, level_names[level]);
        puts_(l, "\",\"part\":");
        put_json_string(l, part);
    } else {
        puts_(l, stamp);
        puts_(l, " level=");
        puts_(l, level_names[level]);
        puts_(l, " part=");
        put_logfmt_value(l, part);
    }
}

static void field(line *l, cairn_log_format format, const log_field *f)
{
    if (format == LOG_FORMAT_JSON) {
        put(l, ",", 1);
        put_json_string(l, f->key);
        put(l, ":", 1);
    } else {
        put(l, " ", 1);
        puts_(l, f->key);
        put(l, "=", 1);
    }
    switch (f->kind) {
    case LOG_STR:
        if (f->s && format == LOG_FORMAT_JSON)
            put_json_string(l, f->s);
        else if (f->s)
            put_logfmt_value(l, f->s);
        else
            puts_(l, format == LOG_FORMAT_JSON ? "null" : "-");
        break;
    case LOG_INT:
        putf(l, "%lld", (long long)f->i);
        break;
    case LOG_MS:
        putf(l, "%.3f", f->ms);
        break;
    case LOG_NULL:
        puts_(l, format == LOG_FORMAT_JSON ? "null" : "-");
        break;
    }
}

static void end(line *l, cairn_log_format format)
{
    if (format == LOG_FORMAT_JSON)
        l->buf[l->len++] = '}';
    l->buf[l->len++] = '\n';
    fwrite(l->buf, 1, l->len, stderr);
}

void log_fields(cairn_log_level level, const char *part, const log_field *fields, size_t n)
{
    if ((int)level < __atomic_load_n(&g_level, __ATOMIC_RELAXED))
        return;
    cairn_log_format format = log_get_format();
    line l;
    begin(&l, format, level, part);
    for (size_t i = 0; i < n; i++)
        field(&l, format, &fields[i]);
    end(&l, format);
}

void log_msg(cairn_log_level level, const char *part, const char *fmt, ...)
{
    if ((int)level < __atomic_load_n(&g_level, __ATOMIC_RELAXED))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_field f = LOG_F_STR("msg", msg);
    log_fields(level, part, &f, 1);
}
