/* config.c: see config.h.
 *
 * Invariants:
 *  1. Reading a file applies nothing: the whole file is parsed and checked
 *     into a conf_values first; it is applied only when it has no mistake.
 *  2. A pinned key (set on the command line) is never applied from the file.
 *  3. What the running server uses from a file is in g_applied until the
 *     next successful reload. Its strings stay allocated for the life of
 *     the process (cfg and threads may hold them): a reload links the old
 *     values behind the new (conf_values.older) instead of freeing them.
 */
#include "config.h"
#include "http.h"
#include "log.h"
#include "plugin_host.h"
#include "store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum conf_type {
    T_ADDR4,       /* an IPv4 address to listen on */
    T_UINT,        /* min..max */
    T_DATA_DIR,    /* a folder Cairn may create and must be able to write */
    T_READ_DIR,    /* a folder that must exist and be readable */
    T_MODULES,     /* a readable folder, or "none" */
    T_HTTP_URL,
    T_SMTP_URL,
    T_MAIL_FROM,
    T_LEVEL,
    T_FORMAT,
    T_BOOL,
    T_PROXIES,     /* IP addresses, separated by spaces or commas */
    T_ADDR_LIST,   /* the same, kept as written (cfg.metrics_allow) */
} conf_type;

static const struct conf_def {
    const char *name;
    conf_type type;
    unsigned long min, max;
    bool reload;      /* applied on SIGHUP */
    bool required;
    bool secret;      /* its value is never logged */
} defs[CONF_KEY_COUNT] = {
    [CONF_LISTEN] = { "listen", T_ADDR4 },
    [CONF_PORT] = { "port", T_UINT, 0, 65535 },
    [CONF_DATA] = { "data", T_DATA_DIR, .required = true },
    [CONF_PUBLIC_URL] = { "public_url", T_HTTP_URL, .required = true },
    [CONF_SMTP_URL] = { "smtp_url", T_SMTP_URL, .secret = true },
    [CONF_SMTP_FROM] = { "smtp_from", T_MAIL_FROM },
    [CONF_SMTP_RETRY] = { "smtp_retry_seconds", T_UINT, 1, 86400 },
    [CONF_REMINDER_HOURS] = { "reminder_hours", T_UINT, 1, 24 * 30 },
    [CONF_SESSION_HOURS] = { "session_hours", T_UINT, 1, 24 * 365, .reload = true },
    [CONF_UPLOAD_LIMIT] = { "upload_limit_mb", T_UINT, 1, 16384, .reload = true },
    [CONF_JSON_LIMIT] = { "json_limit_kb", T_UINT, 16, 65536, .reload = true },
    [CONF_COMMIT_LIMIT] = { "commit_limit_kb", T_UINT, 64, 65536, .reload = true },
    [CONF_PLUGINS] = { "plugins", T_READ_DIR, .reload = true },
    [CONF_MODULES] = { "modules", T_MODULES },
    [CONF_LOG_LEVEL] = { "log_level", T_LEVEL, .reload = true },
    [CONF_LOG_FORMAT] = { "log_format", T_FORMAT, .reload = true },
    [CONF_DURABLE] = { "durable", T_BOOL },
    [CONF_THREADS] = { "threads", T_UINT, 1, 256 },
    [CONF_PER_IP_CONNECTIONS] = { "per_ip_connections", T_UINT, 1, 65535 },
    [CONF_CONNECTION_TIMEOUT] = { "connection_timeout", T_UINT, 1, 3600 },
    [CONF_SHUTDOWN_TIMEOUT] = { "shutdown_timeout", T_UINT, 1, 3600 },
    [CONF_SECURE_COOKIES] = { "secure_cookies", T_BOOL },
    [CONF_TRUSTED_PROXY] = { "trusted_proxy", T_PROXIES },
    [CONF_METRICS_ALLOW] = { "metrics_allow", T_ADDR_LIST },
};

enum { PROXY_MAX = 16, LINE_MAX_LEN = 4096 };

typedef struct conf_values {
    bool set[CONF_KEY_COUNT];
    int line[CONF_KEY_COUNT];              /* where the key is, valid or not; 0: absent */
    char *str[CONF_KEY_COUNT];             /* owned: the value, paths made absolute */
    unsigned long num[CONF_KEY_COUNT];     /* numbers, booleans, levels, formats */
    char proxies[PROXY_MAX][INET6_ADDRSTRLEN];
    int n_proxies;
    struct conf_values *older;             /* owned: invariant 3 */
} conf_values;

static char *g_path;                       /* the file given to config_load */
static bool g_pinned[CONF_KEY_COUNT];
static conf_values *g_applied;             /* see invariant 3 */
static cairn_config g_defaults;            /* cfg before the file was applied */
static cairn_log_level g_default_level;
static cairn_log_format g_default_format;
static unsigned g_shutdown_timeout = 30;
/* trusted_proxy as read at start (it needs a restart to change); worker
 * threads read it, only config_load writes it, before they start. */
static char g_proxies[PROXY_MAX][INET6_ADDRSTRLEN];
static int g_n_proxies;

/* ---- reporting ---- */

typedef struct reporter {
    FILE *out;
    const char *path;
    int count;
} reporter;

static void report(reporter *rep, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(reporter *rep, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (line > 0)
        fprintf(rep->out, "%s:%d: ", rep->path, line);
    else
        fprintf(rep->out, "%s: ", rep->path);
    vfprintf(rep->out, fmt, ap);
    fputc('\n', rep->out);
    va_end(ap);
    rep->count++;
}

/* ---- values ---- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int key_find(const char *name)
{
    for (int k = 0; k < CONF_KEY_COUNT; k++)
        if (strcmp(defs[k].name, name) == 0)
            return k;
    return -1;
}

/* The nearest key name, or NULL when none is close. */
static const char *key_suggest(const char *name)
{
    const char *best = NULL;
    size_t best_d = 99;
    for (int k = 0; k < CONF_KEY_COUNT; k++) {
        size_t d = edit_distance(name, defs[k].name);
        if (d < best_d) {
            best_d = d;
            best = defs[k].name;
        }
    }
    size_t len = strlen(name);
    return best_d <= 3 && best_d < len ? best : NULL;
}

static bool parse_ulong(const char *s, unsigned long *ret)
{
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end)
        return false;
    *ret = v;
    return true;
}

/* A path from the file: relative ones are taken from the file's folder. */
static char *resolve_path(const char *file, const char *value)
{
    char *out = NULL;
    if (value[0] == '/')
        return strdup(value);
    const char *slash = strrchr(file, '/');
    if (!slash)
        return strdup(value);
    if (asprintf(&out, "%.*s/%s", (int)(slash - file), file, value) < 0)
        return NULL;
    return out;
}

static bool check_data_dir(const char *dir, char *why, size_t len)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(why, len, "%s is not a folder", dir);
            return false;
        }
        if (access(dir, R_OK | W_OK | X_OK) != 0) {
            snprintf(why, len, "the folder %s cannot be written (%s)", dir, strerror(errno));
            return false;
        }
        return true;
    }
    if (errno != ENOENT) {
        snprintf(why, len, "%s cannot be read (%s)", dir, strerror(errno));
        return false;
    }
    /* Absent: Cairn creates it, so its parent must be writable. */
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(parent, sizeof parent, ".");
    if (access(parent, W_OK | X_OK) != 0) {
        snprintf(why, len, "the folder %.200s does not exist and cannot be created in "
                 "%.200s (%s)", dir, parent, strerror(errno));
        return false;
    }
    return true;
}

static bool check_read_dir(const char *dir, char *why, size_t len)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(why, len, "the folder %s cannot be read (%s)", dir, strerror(errno));
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, len, "%s is not a folder", dir);
        return false;
    }
    if (access(dir, R_OK | X_OK) != 0) {
        snprintf(why, len, "the folder %s cannot be read (%s)", dir, strerror(errno));
        return false;
    }
    return true;
}

static bool has_space_or_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return true;
    return false;
}

/* A URL with one of the schemes and a host after it. */
static bool url_ok(const char *s, const char *const *schemes)
{
    for (; *schemes; schemes++) {
        size_t n = strlen(*schemes);
        if (strncmp(s, *schemes, n) == 0)
            return s[n] != '\0' && s[n] != '/' && !has_space_or_control(s);
    }
    return false;
}

static bool bool_parse(const char *s, unsigned long *ret)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *ret = 1;
            return true;
        }
        if (strcmp(s, no[i]) == 0) {
            *ret = 0;
            return true;
        }
    }
    return false;
}

static bool proxies_parse(conf_values *v, const char *s, char *why, size_t len)
{
    char buf[LINE_MAX_LEN];
    snprintf(buf, sizeof buf, "%s", s);
    v->n_proxies = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save)) {
        if (v->n_proxies == PROXY_MAX) {
            snprintf(why, len, "at most %d addresses", PROXY_MAX);
            return false;
        }
        unsigned char addr[16];
        char *out = v->proxies[v->n_proxies];
        if (inet_pton(AF_INET, tok, addr) == 1)
            inet_ntop(AF_INET, addr, out, INET6_ADDRSTRLEN);
        else if (inet_pton(AF_INET6, tok, addr) == 1)
            inet_ntop(AF_INET6, addr, out, INET6_ADDRSTRLEN);
        else {
            snprintf(why, len, "'%s' is not an IP address (networks are not accepted: "
                     "list each proxy)", tok);
            return false;
        }
        v->n_proxies++;
    }
    if (v->n_proxies == 0) {
        snprintf(why, len, "name at least one address");
        return false;
    }
    return true;
}

/* Checks value for key k and stores it in v. False (with why) when bad. */
static bool value_set(conf_values *v, int k, const char *file, const char *value,
                      char *why, size_t len)
{
    static const char *const http_schemes[] = { "http://", "https://", NULL };
    static const char *const smtp_schemes[] = { "smtp://", "smtps://", NULL };
    const struct conf_def *d = &defs[k];
    unsigned long n = 0;
    char *str = NULL;
    if (value[0] == '\0') {
        snprintf(why, len, "no value given");
        return false;
    }
    switch (d->type) {
    case T_ADDR4: {
        unsigned char addr[4];
        if (inet_pton(AF_INET, value, addr) != 1) {
            snprintf(why, len, "'%s' is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)",
                     value);
            return false;
        }
        break;
    }
    case T_UINT:
        if (!parse_ulong(value, &n) || n < d->min || n > d->max) {
            snprintf(why, len, "'%s' is not a whole number from %lu to %lu", value, d->min,
                     d->max);
            return false;
        }
        break;
    case T_DATA_DIR:
    case T_READ_DIR:
    case T_MODULES:
        if (d->type == T_MODULES && strcmp(value, "none") == 0)
            break;
        str = resolve_path(file, value);
        if (!str) {
            snprintf(why, len, "out of memory");
            return false;
        }
        if (!(d->type == T_DATA_DIR ? check_data_dir(str, why, len)
                                    : check_read_dir(str, why, len))) {
            free(str);
            return false;
        }
        break;
    case T_HTTP_URL:
        if (!url_ok(value, http_schemes)) {
            snprintf(why, len, "'%s' is not an http:// or https:// address", value);
            return false;
        }
        str = strdup(value);
        /* Links are made by appending "/path". */
        for (size_t l = strlen(str); str && l > 8 && str[l - 1] == '/'; l--)
            str[l - 1] = '\0';
        break;
    case T_SMTP_URL:
        if (!url_ok(value, smtp_schemes)) {
            snprintf(why, len, "not an smtp:// or smtps:// address");
            return false;
        }
        break;
    case T_MAIL_FROM:
        if (!strchr(value, '@') || strpbrk(value, "\r\n")) {
            snprintf(why, len, "'%s' is not a mail address (e.g. Cairn <noreply@example.org>)",
                     value);
            return false;
        }
        break;
    case T_LEVEL: {
        cairn_log_level lvl;
        if (log_parse_level(value, &lvl) != 0) {
            snprintf(why, len, "'%s' is not one of debug, info, warn, error", value);
            return false;
        }
        n = (unsigned long)lvl;
        break;
    }
    case T_FORMAT: {
        cairn_log_format f;
        if (log_parse_format(value, &f) != 0) {
            snprintf(why, len, "'%s' is not one of logfmt, json", value);
            return false;
        }
        n = (unsigned long)f;
        break;
    }
    case T_BOOL:
        if (!bool_parse(value, &n)) {
            snprintf(why, len, "'%s' is not yes or no", value);
            return false;
        }
        break;
    case T_PROXIES:
        if (!proxies_parse(v, value, why, len))
            return false;
        break;
    case T_ADDR_LIST: {
        conf_values scratch = { 0 };
        if (!proxies_parse(&scratch, value, why, len))
            return false;
        break;
    }
    }
    v->str[k] = str ? str : strdup(value);
    v->num[k] = n;
    return true;
}

static void values_free(conf_values *v)
{
    if (!v)
        return;
    for (int k = 0; k < CONF_KEY_COUNT; k++)
        free(v->str[k]);
    free(v);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
                     s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Parses path into *ret (always set, caller frees); every mistake is
 * reported. Returns the number of mistakes, or -errno (file unreadable). */
static int values_read(const char *path, FILE *out, conf_values **ret)
{
    reporter rep = { .out = out, .path = path };
    conf_values *v = calloc(1, sizeof *v);
    *ret = v;
    if (!v)
        return -ENOMEM;
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        fprintf(out, "%s: cannot be read: %s\n", path, strerror(e));
        return -e;
    }
    char buf[LINE_MAX_LEN + 2];
    int lineno = 0;
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        size_t blen = strlen(buf);
        if (blen > LINE_MAX_LEN && buf[blen - 1] != '\n') {
            report(&rep, lineno, "the line is longer than %d characters", LINE_MAX_LEN);
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
            continue;
        }
        char *s = trim(buf);
        if (s[0] == '\0' || s[0] == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            report(&rep, lineno, "expected 'key = value', found '%.60s'", s);
            continue;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        if (key[0] == '\0') {
            report(&rep, lineno, "no key before '='");
            continue;
        }
        size_t vlen = strlen(value);
        if (value[0] == '"') {
            if (vlen < 2 || value[vlen - 1] != '"') {
                report(&rep, lineno, "%s: the quoted value has no closing quote", key);
                continue;
            }
            value[vlen - 1] = '\0';
            value++;
        }
        int k = key_find(key);
        if (k < 0) {
            const char *hint = key_suggest(key);
            if (hint)
                report(&rep, lineno, "unknown key '%s' (did you mean '%s'?)", key, hint);
            else
                report(&rep, lineno, "unknown key '%s'", key);
            continue;
        }
        if (v->line[k]) {
            report(&rep, lineno, "%s is set twice (first on line %d)", key, v->line[k]);
            continue;
        }
        v->line[k] = lineno;
        char why[600];
        if (!value_set(v, k, path, value, why, sizeof why)) {
            report(&rep, lineno, "%s: %s", key, why);
            continue;
        }
        v->set[k] = true;
    }
    bool read_error = ferror(f);
    fclose(f);
    if (read_error) {
        fprintf(out, "%s: cannot be read: %s\n", path, strerror(EIO));
        return -EIO;
    }
    for (int k = 0; k < CONF_KEY_COUNT; k++)
        if (defs[k].required && !v->line[k] && !g_pinned[k])
            report(&rep, 0, "the required key %s is missing", defs[k].name);
    return rep.count;
}

/* ---- applying ---- */

static void set_size(size_t *field, size_t v)
{
    __atomic_store_n(field, v, __ATOMIC_RELAXED);
}

static void set_u64(uint64_t *field, uint64_t v)
{
    __atomic_store_n(field, v, __ATOMIC_RELAXED);
}

static void set_uint(unsigned *field, unsigned v)
{
    __atomic_store_n(field, v, __ATOMIC_RELAXED);
}

/* Applies key k from v (or its default when v does not set it). */
static void apply_key(const conf_values *v, int k, const char **modules)
{
    bool set = v->set[k];
    const char *s = v->str[k];
    unsigned long n = v->num[k];
    switch ((conf_key)k) {
    case CONF_LISTEN: cfg.listen_addr = set ? s : g_defaults.listen_addr; break;
    case CONF_PORT: cfg.port = set ? (unsigned)n : g_defaults.port; break;
    case CONF_DATA: cfg.data_dir = set ? s : g_defaults.data_dir; break;
    case CONF_PUBLIC_URL: cfg.public_url = set ? s : g_defaults.public_url; break;
    case CONF_SMTP_URL: cfg.smtp_url = set ? s : g_defaults.smtp_url; break;
    case CONF_SMTP_FROM: cfg.smtp_from = set ? s : g_defaults.smtp_from; break;
    case CONF_SMTP_RETRY: cfg.smtp_retry_s = set ? (unsigned)n : g_defaults.smtp_retry_s; break;
    case CONF_REMINDER_HOURS:
        cfg.reminder_hours = set ? (unsigned)n : g_defaults.reminder_hours;
        break;
    case CONF_SESSION_HOURS:
        set_uint(&cfg.session_hours, set ? (unsigned)n : g_defaults.session_hours);
        break;
    case CONF_UPLOAD_LIMIT:
        set_u64(&cfg.upload_limit, set ? (uint64_t)n << 20 : g_defaults.upload_limit);
        break;
    case CONF_JSON_LIMIT:
        set_size(&cfg.json_limit, set ? (size_t)n << 10 : g_defaults.json_limit);
        break;
    case CONF_COMMIT_LIMIT:
        set_size(&cfg.commit_limit, set ? (size_t)n << 10 : g_defaults.commit_limit);
        break;
    case CONF_PLUGINS: cfg.plugins_dir = set ? s : g_defaults.plugins_dir; break;
    case CONF_MODULES:
        if (set && modules)
            *modules = s;
        break;
    case CONF_LOG_LEVEL:
        log_set_level(set ? (cairn_log_level)n : g_default_level);
        break;
    case CONF_LOG_FORMAT:
        log_set_format(set ? (cairn_log_format)n : g_default_format);
        break;
    case CONF_DURABLE:
        if (set)
            store_set_durable(n != 0);
        break;
    case CONF_THREADS: cfg.threads = set ? (unsigned)n : g_defaults.threads; break;
    case CONF_PER_IP_CONNECTIONS:
        cfg.per_ip_connections = set ? (unsigned)n : g_defaults.per_ip_connections;
        break;
    case CONF_CONNECTION_TIMEOUT:
        cfg.connection_timeout = set ? (unsigned)n : g_defaults.connection_timeout;
        break;
    case CONF_SHUTDOWN_TIMEOUT: g_shutdown_timeout = set ? (unsigned)n : 30; break;
    case CONF_SECURE_COOKIES:
        cfg.secure_cookies = set ? n != 0 : g_defaults.secure_cookies;
        break;
    case CONF_METRICS_ALLOW: cfg.metrics_allow = set ? s : g_defaults.metrics_allow; break;
    case CONF_TRUSTED_PROXY:
    case CONF_KEY_COUNT:
        break;
    }
}

int config_load(const char *path, const char **modules, FILE *report_to)
{
    conf_values *v;
    int r = values_read(path, report_to, &v);
    if (r != 0) {
        values_free(v);
        return r;
    }
    g_defaults = cfg;
    g_default_level = log_get_level();
    g_default_format = log_get_format();
    for (int k = 0; k < CONF_KEY_COUNT; k++)
        if (v->set[k] && !g_pinned[k])
            apply_key(v, k, modules);
    if (v->set[CONF_TRUSTED_PROXY]) {
        memcpy(g_proxies, v->proxies, sizeof g_proxies);
        g_n_proxies = v->n_proxies;
    }
    free(g_path);
    g_path = strdup(path);
    g_applied = v;
    return 0;
}

void config_pin(conf_key key)
{
    g_pinned[key] = true;
}

unsigned config_shutdown_timeout(void)
{
    return g_shutdown_timeout;
}

bool config_trusted_proxy(const char *ip)
{
    for (int i = 0; i < g_n_proxies; i++)
        if (strcmp(g_proxies[i], ip) == 0)
            return true;
    return false;
}

/* The value of a reloadable key as the server uses it now, for logs. */
static void current_value(int k, char *buf, size_t len)
{
    switch ((conf_key)k) {
    case CONF_SESSION_HOURS: snprintf(buf, len, "%u", cfg.session_hours); break;
    case CONF_UPLOAD_LIMIT:
        snprintf(buf, len, "%llu", (unsigned long long)(cfg.upload_limit >> 20));
        break;
    case CONF_JSON_LIMIT: snprintf(buf, len, "%zu", cfg.json_limit >> 10); break;
    case CONF_COMMIT_LIMIT: snprintf(buf, len, "%zu", cfg.commit_limit >> 10); break;
    case CONF_PLUGINS: snprintf(buf, len, "%s", cfg.plugins_dir ? cfg.plugins_dir : ""); break;
    case CONF_LOG_LEVEL: snprintf(buf, len, "%s", log_level_name(log_get_level())); break;
    case CONF_LOG_FORMAT: snprintf(buf, len, "%s", log_format_name(log_get_format())); break;
    default: buf[0] = '\0'; break;
    }
}

static bool same_setting(const conf_values *a, const conf_values *b, int k)
{
    if (a->set[k] != b->set[k])
        return false;
    if (!a->set[k])
        return true;
    return strcmp(a->str[k], b->str[k]) == 0;
}

int config_reload(void)
{
    int mistakes = 0;
    if (g_path) {
        char *text = NULL;
        size_t text_len = 0;
        FILE *mem = open_memstream(&text, &text_len);
        conf_values *v = NULL;
        mistakes = mem ? values_read(g_path, mem, &v) : -ENOMEM;
        if (mem)
            fclose(mem);
        if (mistakes != 0) {
            /* One log line per mistake; the running settings stay. */
            for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l;
                 l = strtok_r(NULL, "\n", &save))
                log_error("config", "%s", l);
            log_error("config", "SIGHUP: %s has mistakes; the settings are unchanged",
                      g_path);
            values_free(v);
        } else {
            int changed = 0;
            /* The log settings first, so the other changes are logged as
             * the new level says. */
            static const int order[] = { CONF_LOG_LEVEL, CONF_LOG_FORMAT };
            for (int i = 0; i < CONF_KEY_COUNT + 2; i++) {
                int k = i < 2 ? order[i] : i - 2;
                if (i >= 2 && (k == CONF_LOG_LEVEL || k == CONF_LOG_FORMAT))
                    continue;
                if (g_pinned[k] || same_setting(v, g_applied, k))
                    continue;
                if (!defs[k].reload) {
                    log_warn("config", "%s changed in %s; it takes effect at the next start",
                             defs[k].name, g_path);
                    continue;
                }
                char before[512], after[512];
                current_value(k, before, sizeof before);
                apply_key(v, k, NULL);
                current_value(k, after, sizeof after);
                if (k == CONF_PLUGINS)
                    plugin_host_set_dir(cfg.plugins_dir);
                log_info("config", "%s: %s -> %s", defs[k].name, before, after);
                changed++;
            }
            log_info("config", "SIGHUP: %s read again, %d setting%s changed", g_path, changed,
                     changed == 1 ? "" : "s");
            v->older = g_applied;       /* invariant 3 */
            g_applied = v;
        }
        free(text);
    }
    int failed = plugin_host_reload();
    if (failed < 0)
        log_error("plugins", "SIGHUP: the plugins folder %s cannot be read", cfg.plugins_dir);
    else
        log_info("plugins", "SIGHUP: plugins reloaded, %d failed", failed);
    return mistakes;
}

int config_check(const char *path, FILE *report_to)
{
    conf_values *v = NULL;
    int r = values_read(path, report_to, &v);
    values_free(v);
    return r;
}

int config_main(int argc, char **argv)
{
    const char *usage =
        "Usage: cairn config check FILE...\n"
        "Checks Cairn configuration files (deploy/cairn.conf documents the keys).\n"
        "Every mistake is printed as FILE:LINE: what is wrong; exits 1 when there\n"
        "is one, else prints \"FILE: ok\" and exits 0.\n";
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "check") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    int bad = 0;
    for (int i = 2; i < argc; i++) {
        int r = config_check(argv[i], stderr);
        if (r == 0)
            printf("%s: ok\n", argv[i]);
        else
            bad++;
        if (r > 0)
            fprintf(stderr, "%s: %d mistake%s\n", argv[i], r, r == 1 ? "" : "s");
    }
    return bad ? 1 : 0;
}
