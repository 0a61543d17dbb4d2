/* log.c: see log.h. A line is written with one fprintf under the stdio
 * lock, so lines from worker threads never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static cairn_log_level g_level = LOG_INFO;
static const char *const names[] = { "debug", "info", "warn", "error" };

void log_set_level(cairn_log_level level)
{
    g_level = level;
}

int log_parse_level(const char *s, cairn_log_level *ret)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *ret = (cairn_log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_msg(cairn_log_level level, const char *part, const char *fmt, ...)
{
    if (level < g_level)
        return;
    char msg[1024], when[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Quotes inside the message would break key=value parsing. */
    for (char *p = msg; *p; p++)
        if (*p == '"' || *p == '\n')
            *p = '\'';
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s level=%s part=%s msg=\"%s\"\n", when, names[level], part, msg);
}
