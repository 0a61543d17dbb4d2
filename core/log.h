/* log.h: one line per event on stderr, for people, for grep and for log
 * collectors. Two formats (--log-format):
 *
 *   logfmt (default)
 *     2026-11-22T12:00:00.123Z level=info part=http msg="listening on ..."
 *   json
 *     {"time":"2026-11-22T12:00:00.123Z","level":"info","part":"http","msg":"..."}
 *
 * log_fields() writes a structured line (the per-request access line) with
 * named, typed fields in either format.
 *
 * Never log passwords, session tokens, cookies, CSRF tokens or commit
 * bodies. The level and format may change while threads log (SIGHUP): both
 * are read and written atomically. */
#ifndef CAIRN_LOG_H
#define CAIRN_LOG_H

#include <stdint.h>
#include <stddef.h>

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } cairn_log_level;
typedef enum { LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON } cairn_log_format;

void log_set_level(cairn_log_level level);
cairn_log_level log_get_level(void);
const char *log_level_name(cairn_log_level level);
int log_parse_level(const char *s, cairn_log_level *ret);

void log_set_format(cairn_log_format format);
cairn_log_format log_get_format(void);
const char *log_format_name(cairn_log_format format);
int log_parse_format(const char *s, cairn_log_format *ret);

void log_msg(cairn_log_level level, const char *part, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A named field of a structured line. */
typedef enum { LOG_STR, LOG_INT, LOG_MS, LOG_NULL } log_field_kind;
typedef struct log_field {
    const char *key;
    log_field_kind kind;
    const char *s;      /* LOG_STR; NULL is written as null / - */
    int64_t i;          /* LOG_INT */
    double ms;          /* LOG_MS: written with 3 decimals */
} log_field;

#define LOG_F_STR(k, v) ((log_field){ .key = (k), .kind = LOG_STR, .s = (v) })
#define LOG_F_INT(k, v) ((log_field){ .key = (k), .kind = LOG_INT, .i = (v) })
#define LOG_F_MS(k, v) ((log_field){ .key = (k), .kind = LOG_MS, .ms = (v) })
#define LOG_F_NULL(k) ((log_field){ .key = (k), .kind = LOG_NULL })

void log_fields(cairn_log_level level, const char *part, const log_field *fields, size_t n);

#define log_debug(part, ...) log_msg(LOG_DEBUG, part, __VA_ARGS__)
#define log_info(part, ...) log_msg(LOG_INFO, part, __VA_ARGS__)
#define log_warn(part, ...) log_msg(LOG_WARN, part, __VA_ARGS__)
#define log_error(part, ...) log_msg(LOG_ERROR, part, __VA_ARGS__)

#endif
