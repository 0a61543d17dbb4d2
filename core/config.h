/* config.h: the configuration file (`cairn serve --config FILE`) and
 * `cairn config check FILE`.
 *
 * The format is one setting a line, `key = value`; blank lines and lines
 * starting with # are ignored; a value may be put in double quotes (to keep
 * leading or trailing spaces). Relative paths are taken from the file's
 * folder. deploy/cairn.conf documents every key.
 *
 * Options on the command line win over the file, at start and on SIGHUP:
 * main.c pins each key it sets (config_pin) before the file is applied.
 *
 * The life of the settings:
 *
 *   defaults (main.c) --config_load--> file applied --getopt--> options applied
 *   running --SIGHUP, config_reload--> the file read again; the keys marked
 *       "reload" below change at once, the others are reported as needing
 *       a restart; then the plugins are read again.
 */
#ifndef CAIRN_CONFIG_H
#define CAIRN_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

typedef enum conf_key {
    CONF_LISTEN,
    CONF_PORT,
    CONF_DATA,
    CONF_PUBLIC_URL,
    CONF_SMTP_URL,
    CONF_SMTP_FROM,
    CONF_SMTP_RETRY,
    CONF_REMINDER_HOURS,
    CONF_SESSION_HOURS,        /* reload */
    CONF_UPLOAD_LIMIT,         /* reload */
    CONF_JSON_LIMIT,           /* reload */
    CONF_COMMIT_LIMIT,         /* reload */
    CONF_PLUGINS,              /* reload */
    CONF_MODULES,
    CONF_LOG_LEVEL,            /* reload */
    CONF_LOG_FORMAT,           /* reload */
    CONF_DURABLE,
    CONF_THREADS,
    CONF_PER_IP_CONNECTIONS,
    CONF_CONNECTION_TIMEOUT,
    CONF_SHUTDOWN_TIMEOUT,
    CONF_SECURE_COOKIES,
    CONF_TRUSTED_PROXY,
    CONF_METRICS_ALLOW,
    CONF_KEY_COUNT
} conf_key;

/* Reads path and reports every mistake to report as "path:LINE: ..."
 * (unknown key with a did-you-mean, bad value, duplicate, a folder that
 * cannot be used, a required key missing). Applies nothing. Returns the
 * number of mistakes, or -errno when the file cannot be read. */
int config_check(const char *path, FILE *report);

/* Reads path and applies every key that is not pinned to cfg, the log
 * settings, durable mode and *modules (main.c's modules folder). Nothing
 * is applied when the file has a mistake: those are reported to report
 * and their count returned (or -errno). path is remembered for reload. */
int config_load(const char *path, const char **modules, FILE *report);

/* Marks a key as set on the command line: the file never changes it. */
void config_pin(conf_key key);

/* SIGHUP: reads the remembered file again and applies what may change at
 * run time (see conf_key), logging each change; then reloads the plugins.
 * With a mistake in the file nothing is applied (each is logged) but the
 * plugins are still reloaded. Returns the mistakes found, or -errno. */
int config_reload(void);

/* How long SIGTERM waits for requests in flight (shutdown_timeout, 30 s). */
unsigned config_shutdown_timeout(void);

/* True when ip (as the server prints it) is a trusted_proxy address. */
bool config_trusted_proxy(const char *ip);

/* `cairn config check FILE...` */
int config_main(int argc, char **argv);

#endif
