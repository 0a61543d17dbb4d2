/* log.h: one line per event on stderr, key=value, for people and for grep.
 *
 *   2026-11-22T12:00:00Z level=info part=http msg="listening on ..."
 *
 * Never log passwords, session tokens or commit bodies. */
#ifndef CAIRN_LOG_H
#define CAIRN_LOG_H

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } cairn_log_level;

void log_set_level(cairn_log_level level);
int log_parse_level(const char *s, cairn_log_level *ret);
void log_msg(cairn_log_level level, const char *part, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(part, ...) log_msg(LOG_DEBUG, part, __VA_ARGS__)
#define log_info(part, ...) log_msg(LOG_INFO, part, __VA_ARGS__)
#define log_warn(part, ...) log_msg(LOG_WARN, part, __VA_ARGS__)
#define log_error(part, ...) log_msg(LOG_ERROR, part, __VA_ARGS__)

#endif
