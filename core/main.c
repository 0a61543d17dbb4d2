/* main.c: the `cairn` program and its subcommands.
 *
 *   cairn serve    run the server
 *   cairn import   import a SCORM package zip
 *   cairn user add create an account
 *   cairn plugin   test or measure a borough plugin
 *   cairn backup, restore, db check   (backup.c; docs/OPERATIONS.md)
 *   cairn notify   run one expiry sweep and delivery pass
 *
 * Every subcommand takes --data DIR (default: $CAIRN_DATA, else ./data). */
#include "cairn_config.h"
#include "api.h"
#include "audit.h"
#include "auth.h"
#include "config.h"
#include "backup.h"
#include "demo.h"
#include "dp.h"
#include "http.h"
#include "importer.h"
#include "log.h"
#include "modules.h"
#include "notify.h"
#include "compliance.h"
#include "bench.h"
#include "bench_commits.h"
#include "plugin_host.h"
#include "store.h"
#include "writer.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *default_data_dir(void)
{
    const char *env = getenv("CAIRN_DATA");
    return env && env[0] ? env : "data";
}

/* Creates the data folder and its parts, then opens the database. */
static int open_data(const char *dir)
{
    char sub[4096];
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        fprintf(stderr, "cairn: cannot create the data folder %s: %s\n", dir, strerror(errno));
        return -errno;
    }
    const char *parts[] = { "tmp", "packages" };
    for (size_t i = 0; i < 2; i++) {
        snprintf(sub, sizeof sub, "%s/%s", dir, parts[i]);
        if (mkdir(sub, 0750) != 0 && errno != EEXIST) {
            fprintf(stderr, "cairn: cannot create %s: %s\n", sub, strerror(errno));
            return -errno;
        }
    }
    char err[512];
    int r = store_open(dir, err, sizeof err);
    if (r)
        fprintf(stderr, "cairn: cannot open the database in %s: %s\n", dir, err);
    return r;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max)
        return false;
    *ret = v;
    return true;
}

/* ---- notification settings (serve and notify run) ---- */

/* No CR, LF, spaces or controls: these go into headers and URLs. */
static bool plain_text(const char *s, bool spaces)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || (!spaces && *s == ' '))
            return false;
    return true;
}

/* Reads CAIRN_SMTP_URL, CAIRN_SMTP_FROM and CAIRN_PUBLIC_URL into cfg
 * (the command line, read after, wins). */
static void notify_env(void)
{
    const char *v;
    if ((v = getenv("CAIRN_SMTP_URL")) && v[0])
        cfg.smtp_url = v;
    if ((v = getenv("CAIRN_SMTP_FROM")) && v[0])
        cfg.smtp_from = v;
    if ((v = getenv("CAIRN_PUBLIC_URL")) && v[0])
        cfg.public_url = v;
}

/* Checks the notification settings; prints why and returns false when one
 * is wrong. Trailing slashes of the public URL are dropped. */
static bool notify_settings_ok(const char *cmd)
{
    static char public_url[512];
    if (cfg.smtp_url) {
        if ((strncmp(cfg.smtp_url, "smtp://", 7) && strncmp(cfg.smtp_url, "smtps://", 8)) ||
            strlen(cfg.smtp_url) > 500 || !plain_text(cfg.smtp_url, false) ||
            !cfg.smtp_url[cfg.smtp_url[4] == 's' ? 8 : 7]) {
            fprintf(stderr, "cairn %s: the SMTP URL must be smtp://HOST[:PORT] or "
                    "smtps://HOST[:PORT] (at most 500 characters)\n", cmd);
            return false;
        }
        if (!cfg.smtp_from) {
            fprintf(stderr, "cairn %s: --smtp-from (or CAIRN_SMTP_FROM) is needed with an "
                    "SMTP URL, e.g. \"Cairn <noreply@example.org>\"\n", cmd);
            return false;
        }
    }
    if (cfg.smtp_from) {
        const char *at = strchr(cfg.smtp_from, '@');
        if (!at || at == cfg.smtp_from || !at[1] || strlen(cfg.smtp_from) > 300 ||
            !plain_text(cfg.smtp_from, true)) {
            fprintf(stderr, "cairn %s: the sender must be an address, e.g. "
                    "\"Cairn <noreply@example.org>\" (at most 300 characters)\n", cmd);
            return false;
        }
    }
    if (cfg.public_url) {
        size_t n = strlen(cfg.public_url);
        if ((strncmp(cfg.public_url, "http://", 7) && strncmp(cfg.public_url, "https://", 8)) ||
            n >= sizeof public_url || !plain_text(cfg.public_url, false)) {
            fprintf(stderr, "cairn %s: the public URL must start with http:// or https:// "
                    "(at most 500 characters)\n", cmd);
            return false;
        }
        memcpy(public_url, cfg.public_url, n + 1);
        while (n > 8 && public_url[n - 1] == '/')
            public_url[--n] = '\0';
        cfg.public_url = public_url;
    }
    return true;
}

/* ---- serve ---- */

/* Where the web files, the npm assets it serves, Cairn's modules and the
 * plugins are, unless options say otherwise:
 *  - $CAIRN_ASSETS_DIR when set (a folder laid out as `meson install` does);
 *  - the source and build trees when this program is the build's own;
 *  - else the installed share folder found from the program's own place
 *    (bindir/../share/cairn for the default layout, so an installation
 *    moved as a whole, or put under --destdir, still works), falling back
 *    to the configured absolute CAIRN_SHARE_DIR. */
static void default_paths(cairn_config *c, const char **ret_modules)
{
    static char share[PATH_MAX], web[PATH_MAX + 8], vendor[PATH_MAX + 8], plugins[PATH_MAX + 8],
        modules[PATH_MAX + 8];
    const char *env = getenv("CAIRN_ASSETS_DIR");
    if (env && env[0]) {
        snprintf(share, sizeof share, "%s", env);
    } else {
        char exe[PATH_MAX], here[PATH_MAX], build[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return;
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (!slash)
            return;
        *slash = '\0';
        if (!realpath(exe, here) ||
            (realpath(CAIRN_BUILD_ROOT, build) && strcmp(here, build) == 0))
            return;                             /* the build's own program */
        char rel[PATH_MAX];
        snprintf(rel, sizeof rel, "%.3000s/%s", here, CAIRN_SHARE_REL);
        if (!CAIRN_SHARE_REL[0] || !realpath(rel, share))
            snprintf(share, sizeof share, "%s", CAIRN_SHARE_DIR);
    }
    snprintf(web, sizeof web, "%s/web", share);
    snprintf(vendor, sizeof vendor, "%s/vendor", share);
    snprintf(plugins, sizeof plugins, "%s/plugins", share);
    snprintf(modules, sizeof modules, "%s/modules", share);
    c->web_dir = c->built_dir = web;
    c->vendor_dir = vendor;
    c->plugins_dir = plugins;
    *ret_modules = modules;
}

/* The command-line options that a configuration file key also sets. */
static int option_key(int opt)
{
    switch (opt) {
    case 'd': return CONF_DATA;
    case 'l': return CONF_LISTEN;
    case 'p': return CONF_PORT;
    case 't': return CONF_THREADS;
    case 's': return CONF_SECURE_COOKIES;
    case 'S': return CONF_DURABLE;
    case 'H': return CONF_SESSION_HOURS;
    case 'u': return CONF_UPLOAD_LIMIT;
    case 'G': return CONF_PLUGINS;
    case 'm': return CONF_MODULES;
    case 'L': return CONF_LOG_LEVEL;
    case 'J': return CONF_LOG_FORMAT;
    case 'M': return CONF_METRICS_ALLOW;
    case 'U': return CONF_SMTP_URL;
    case 'F': return CONF_SMTP_FROM;
    case 'B': return CONF_PUBLIC_URL;
    case 'R': return CONF_REMINDER_HOURS;
    case 'T': return CONF_SMTP_RETRY;
    default: return -1;
    }
}

static void serve_usage(FILE *f)
{
    fprintf(f,
        "Usage: cairn serve [OPTIONS]\n"
        "Runs the Cairn server.\n\n"
        "  --config FILE         read settings from FILE (deploy/cairn.conf explains\n"
        "                        each); options given here win over it. SIGHUP reads\n"
        "                        it again (see docs/DEPLOY.md for what changes)\n"
        "  --data DIR            data folder (default $CAIRN_DATA or ./data)\n"
        "  --listen ADDR         IPv4 address to listen on (default 127.0.0.1)\n"
        "  --port N              port (default 8080; 0 picks a free one)\n"
        "  --threads N           worker threads (default 4)\n"
        "  --web DIR             the web pages (default: the source tree's core/web)\n"
        "  --vendor DIR          node_modules with govuk-frontend and scorm-again\n"
        "  --built DIR           folder of the built web files (cairn.css, pages)\n"
        "  --secure-cookies      mark cookies Secure (set when served over TLS)\n"
        "  --durable             sync every commit to disk (survives power cuts)\n"
        "  --session-hours N     session lifetime (default 12)\n"
        "  --upload-limit MB     largest package upload (default 512)\n"
        "  --demo                add demo boroughs, accounts and packages if absent\n"
        "  --demo-packages DIR   where the demo packages are (default ../shared/scorm-packages)\n"
        "  --modules DIR         Cairn's own modules to import when new (default: the build's\n"
        "                        modules-content/, or $CAIRN_MODULES; \"none\" imports none)\n"
        "  --plugins DIR         borough plugins (default: the source tree's plugins/);\n"
        "                        SIGHUP or POST /api/admin/plugins/reload reads them again\n"
        "  --smtp-url URL        send notifications through this server: smtp://HOST:PORT or\n"
        "                        smtps://HOST:PORT ($CAIRN_SMTP_URL); without it messages\n"
        "                        stay pending and are shown on the Messages pages\n"
        "  --smtp-from ADDR      the sender, e.g. \"Cairn <noreply@example.org>\" ($CAIRN_SMTP_FROM)\n"
        "  --public-url URL      Cairn's address for links in messages ($CAIRN_PUBLIC_URL)\n"
        "  --reminder-interval H hours between expiry reminder sweeps (default 24)\n"
        "  --smtp-retry S        seconds before the first retry of a failed message; later\n"
        "                        ones wait 5, 30 and 120 times as long (default 60)\n"
        "  --log-level LEVEL     debug, info, warn or error (default info)\n"
        "  --log-format FORMAT   logfmt (default) or json: one line per event on stderr\n"
        "  --metrics-allow ADDRS addresses that may read /metrics without an admin\n"
        "                        session, comma-separated (e.g. 127.0.0.1)\n"
        "  -h, --help            show this help\n");
}

static int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "listen", required_argument, NULL, 'l' },
        { "port", required_argument, NULL, 'p' }, { "threads", required_argument, NULL, 't' },
        { "web", required_argument, NULL, 'w' }, { "vendor", required_argument, NULL, 'v' },
        { "built", required_argument, NULL, 'c' }, { "secure-cookies", no_argument, NULL, 's' },
        { "durable", no_argument, NULL, 'S' },
        { "session-hours", required_argument, NULL, 'H' },
        { "upload-limit", required_argument, NULL, 'u' },
        { "demo", no_argument, NULL, 'D' }, { "demo-packages", required_argument, NULL, 'P' },
        { "log-level", required_argument, NULL, 'L' }, { "help", no_argument, NULL, 'h' },
        { "plugins", required_argument, NULL, 'G' },
        { "modules", required_argument, NULL, 'm' },
        { "metrics-allow", required_argument, NULL, 'M' },
        { "smtp-url", required_argument, NULL, 'U' },
        { "smtp-from", required_argument, NULL, 'F' },
        { "public-url", required_argument, NULL, 'B' },
        { "reminder-interval", required_argument, NULL, 'R' },
        { "smtp-retry", required_argument, NULL, 'T' },
        { "config", required_argument, NULL, 'C' },
        { "log-format", required_argument, NULL, 'J' },
        { 0 },
    };
    /* Before any thread starts: they all inherit the blocked signals,
     * which http_serve reads from a signalfd. */
    if (http_block_signals()) {
        fprintf(stderr, "cairn serve: cannot block signals\n");
        return 1;
    }
    cfg = (cairn_config){
        .data_dir = default_data_dir(), .listen_addr = "127.0.0.1", .port = 8080,
        .threads = 4, .web_dir = CAIRN_SOURCE_WEB_DIR, .built_dir = CAIRN_BUILD_WEB_DIR,
        .vendor_dir = CAIRN_SOURCE_VENDOR_DIR, .plugins_dir = CAIRN_SOURCE_PLUGIN_DIR,
        .session_hours = 12,
        .json_limit = 1 << 20, .commit_limit = 4 << 20, .upload_limit = 512ull << 20,
        .per_ip_connections = 256, .connection_timeout = 60,
        .reminder_hours = 24, .smtp_retry_s = 60,
    };
    notify_env();
    bool demo = false;
    const char *demo_packages = "../shared/scorm-packages";
    const char *modules = CAIRN_BUILD_MODULES_DIR;
    default_paths(&cfg, &modules);
    const char *env_modules = getenv("CAIRN_MODULES");
    if (env_modules && env_modules[0])
        modules = env_modules;
    unsigned long v;
    int c;
    /* Precedence: defaults, then the environment, then the file, then the
     * options. A first pass finds the file and pins the keys the options
     * set, so that neither the file nor a SIGHUP changes them. */
    const char *config_file = NULL;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'C')
            config_file = optarg;
        else if (option_key(c) >= 0)
            config_pin((conf_key)option_key(c));
    }
    opterr = 1;
    optind = 0;
    if (config_file && config_load(config_file, &modules, stderr) != 0) {
        fprintf(stderr, "cairn serve: %s has mistakes (cairn config check %s lists them)\n",
                config_file, config_file);
        return 2;
    }
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'C': break;
        case 'J': {
            cairn_log_format fmt;
            if (log_parse_format(optarg, &fmt) != 0) goto bad;
            log_set_format(fmt);
            break;
        }
        case 'd': cfg.data_dir = optarg; break;
        case 'l': cfg.listen_addr = optarg; break;
        case 'p':
            if (!parse_uint(optarg, 65535, &v)) goto bad;
            cfg.port = (unsigned)v;
            break;
        case 't':
            if (!parse_uint(optarg, 256, &v) || v == 0) goto bad;
            cfg.threads = (unsigned)v;
            break;
        case 'w': cfg.web_dir = optarg; break;
        case 'v': cfg.vendor_dir = optarg; break;
        case 'c': cfg.built_dir = optarg; break;
        case 's': cfg.secure_cookies = true; break;
        case 'S': store_set_durable(true); break;
        case 'H':
            if (!parse_uint(optarg, 24 * 365, &v) || v == 0) goto bad;
            cfg.session_hours = (unsigned)v;
            break;
        case 'u':
            if (!parse_uint(optarg, 16384, &v) || v == 0) goto bad;
            cfg.upload_limit = (uint64_t)v << 20;
            break;
        case 'D': demo = true; break;
        case 'G': cfg.plugins_dir = optarg; break;
        case 'P': demo_packages = optarg; break;
        case 'm': modules = optarg; break;
        case 'M': cfg.metrics_allow = optarg; break;
        case 'U': cfg.smtp_url = optarg; break;
        case 'F': cfg.smtp_from = optarg; break;
        case 'B': cfg.public_url = optarg; break;
        case 'R':
            if (!parse_uint(optarg, 24 * 365, &v) || v == 0) goto bad;
            cfg.reminder_hours = (unsigned)v;
            break;
        case 'T':
            if (!parse_uint(optarg, 24 * 3600, &v) || v == 0) goto bad;
            cfg.smtp_retry_s = (unsigned)v;
            break;
        case 'L': {
            cairn_log_level lvl;
            if (log_parse_level(optarg, &lvl) != 0) goto bad;
            log_set_level(lvl);
            break;
        }
        case 'h': serve_usage(stdout); return 0;
        default: serve_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cairn serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!notify_settings_ok("serve"))
        return 2;
    if (open_data(cfg.data_dir))
        return 1;
    if (demo && demo_seed(cfg.data_dir, demo_packages) != 0) {
        fprintf(stderr, "cairn serve: the demo data could not be created\n");
        return 1;
    }
    if (strcmp(modules, "none") != 0)
        modules_import(cfg.data_dir, modules);
    /* A plugin that fails to load is reported and skipped: the server runs. */
    plugin_host_set_learner_source(plugins_learner);
    if (plugin_host_start(cfg.plugins_dir, NULL) < 0)
        log_warn("plugins", "no plugins loaded from %s", cfg.plugins_dir);
    if (writer_start()) {
        fprintf(stderr, "cairn serve: cannot start the writer thread\n");
        plugin_host_stop();
        return 1;
    }
    if (notify_start())
        log_warn("notify", "the notification thread did not start: messages stay pending");
    if (compliance_start())
        log_warn("compliance", "the compliance refresh thread did not start: reports may be stale");
    if (audit_start())
        log_warn("audit", "the audit thread did not start: entries are written by each request");
    int r = http_serve();
    audit_stop();           /* writes what is queued: no request is in flight now */
    notify_stop();          /* before the plugins: the expiry sweep calls them */
    compliance_stop();      /* before the plugins: refreshing calls them */
    writer_stop();
    plugin_host_stop();     /* after the writer: its last completions are observed */
    store_close();
    return r ? 1 : 0;
bad:
    fprintf(stderr, "cairn serve: bad value '%s' (see cairn serve --help)\n", optarg);
    return 2;
}

/* ---- import ---- */

static int cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' }, { 0 },
    };
    const char *data = default_data_dir();
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd') {
            data = optarg;
        } else {
            fprintf(c == 'h' ? stdout : stderr,
                    "Usage: cairn import [--data DIR] FILE.zip...\n"
                    "Imports SCORM 1.2 or 2004 packages. A package whose manifest identifier\n"
                    "is already known becomes its new version; learners' records are kept.\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "cairn import: name a package zip to import\n");
        return 2;
    }
    if (open_data(data))
        return 1;
    int failed = 0;
    for (int i = optind; i < argc; i++) {
        cairn_err err = { 0 };
        json_t *out = NULL;
        const char *base = strrchr(argv[i], '/');
        if (import_package(data, argv[i], base ? base + 1 : argv[i], 0, &out, &err)) {
            fprintf(stderr, "cairn import: %s: %s\n", argv[i], err.msg);
            failed++;
            continue;
        }
        json_t *p = json_object_get(out, "package");
        printf("%s: imported \"%s\" (SCORM %s, %lld SCOs) as package %lld version %lld%s\n",
               argv[i], json_string_value(json_object_get(p, "title")),
               json_string_value(json_object_get(p, "scorm_version")),
               json_integer_value(json_object_get(p, "sco_count")),
               json_integer_value(json_object_get(p, "id")),
               json_integer_value(json_object_get(p, "version")),
               json_is_true(json_object_get(out, "replaced")) ? ", replacing the earlier one" : "");
        json_decref(out);
    }
    store_close();
    return failed ? 1 : 0;
}

/* ---- user add ---- */

static int read_password_stdin(char *buf, size_t len)
{
    if (!fgets(buf, (int)len, stdin))
        return -EIO;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int cmd_user(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "email", required_argument, NULL, 'e' },
        { "name", required_argument, NULL, 'n' }, { "role", required_argument, NULL, 'r' },
        { "borough", required_argument, NULL, 'b' },
        { "job-role", required_argument, NULL, 'j' },
        { "password-stdin", no_argument, NULL, 'P' }, { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *usage =
        "Usage: cairn user add [--data DIR] --email EMAIL --name NAME\n"
        "                      [--role learner|officer|admin|partnership] [--borough NAME]\n"
        "                      [--job-role TEXT] [--password-stdin]\n"
        "Creates an account. Officers need --borough. Without --password-stdin a\n"
        "random password is generated and printed once.\n";
    if (argc < 2 || strcmp(argv[1], "add") != 0) {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(usage, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    argc--;
    argv++;
    const char *data = default_data_dir(), *email = NULL, *name = NULL, *borough = NULL;
    const char *job_role = "";
    cairn_role role = ROLE_LEARNER;
    bool from_stdin = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'e': email = optarg; break;
        case 'n': name = optarg; break;
        case 'b': borough = optarg; break;
        case 'j': job_role = optarg; break;
        case 'P': from_stdin = true; break;
        case 'r':
            if (cairn_role_parse(optarg, &role) != 0) {
                fprintf(stderr, "cairn user add: role must be learner, officer, admin or "
                        "partnership\n");
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!email || !name || !strchr(email, '@')) {
        fprintf(stderr, "cairn user add: --email (an address) and --name are required\n");
        return 2;
    }
    if (role == ROLE_PARTNERSHIP && borough) {
        fprintf(stderr, "cairn user add: a partnership user belongs to no borough\n");
        return 2;
    }
    if (role == ROLE_OFFICER && !borough) {
        fprintf(stderr, "cairn user add: an officer needs --borough\n");
        return 2;
    }
    if (open_data(data))
        return 1;
    int64_t borough_id = 0;
    if (borough && store_borough_find(borough, &borough_id) != 0) {
        fprintf(stderr, "cairn user add: no borough named '%s'\n", borough);
        return 1;
    }
    char password[300], hash[AUTH_HASH_MAX];
    if (from_stdin) {
        if (read_password_stdin(password, sizeof password) || strlen(password) < 10) {
            fprintf(stderr, "cairn user add: the password must be at least 10 characters\n");
            return 1;
        }
    } else {
        auth_random_hex(password, 12);
    }
    if (auth_hash_password(password, hash)) {
        fprintf(stderr, "cairn user add: cannot hash the password\n");
        return 1;
    }
    cairn_new_user nu = { .email = email, .name = name, .password_hash = hash,
                          .job_role = job_role, .role = role, .borough_id = borough_id };
    int64_t id;
    int r = store_user_create(&nu, &id);
    if (r == -EEXIST) {
        fprintf(stderr, "cairn user add: %s already has an account\n", email);
        return 1;
    }
    if (r) {
        fprintf(stderr, "cairn user add: the account could not be created\n");
        return 1;
    }
    printf("created %s %s (id %lld)", cairn_role_name(role), email, (long long)id);
    if (!from_stdin)
        printf(" with password %s", password);
    printf("\n");
    store_close();
    return 0;
}

/* ---- plugin test / bench ---- */

static int cmd_plugin(int argc, char **argv)
{
    const char *usage =
        "Usage: cairn plugin test DIR     run the plugin's tests/*.lua in the sandbox\n"
        "       cairn plugin bench DIR [--calls N]\n"
        "                                 measure what one call of each hook costs\n"
        "DIR is a plugin folder, e.g. plugins/eastmere. See docs/PLUGIN_API.md.\n";
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "test") && argc == 3)
        return plugin_test_main(argv[2]);
    if (!strcmp(argv[1], "bench") && (argc == 3 || argc == 5)) {
        unsigned long calls = 20000;
        if (argc == 5 && (strcmp(argv[3], "--calls") ||
                          !parse_uint(argv[4], 100000000, &calls) || calls == 0)) {
            fputs(usage, stderr);
            return 2;
        }
        return plugin_bench_main(argv[2], (long)calls);
    }
    fputs(usage, stderr);
    return 2;
}

/* ---- notify run ---- */

static int cmd_notify(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "plugins", required_argument, NULL, 'G' },
        { "smtp-url", required_argument, NULL, 'U' }, { "smtp-from", required_argument, NULL, 'F' },
        { "public-url", required_argument, NULL, 'B' }, { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *usage =
        "Usage: cairn notify run [--data DIR] [--plugins DIR] [--smtp-url URL]\n"
        "                        [--smtp-from ADDR] [--public-url URL]\n"
        "Runs one expiry reminder sweep (the learners whose required training is\n"
        "expiring or has expired get one reminder per item and expiry date) and\n"
        "sends the messages that are due when an SMTP URL is set ($CAIRN_SMTP_URL,\n"
        "$CAIRN_SMTP_FROM, $CAIRN_PUBLIC_URL are read as for cairn serve).\n";
    if (argc < 2 || strcmp(argv[1], "run") != 0) {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(usage, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    argc--;
    argv++;
    cfg = (cairn_config){ .data_dir = default_data_dir(), .plugins_dir = CAIRN_SOURCE_PLUGIN_DIR,
                          .reminder_hours = 24, .smtp_retry_s = 60 };
    notify_env();
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': cfg.data_dir = optarg; break;
        case 'G': cfg.plugins_dir = optarg; break;
        case 'U': cfg.smtp_url = optarg; break;
        case 'F': cfg.smtp_from = optarg; break;
        case 'B': cfg.public_url = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cairn notify run: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!notify_settings_ok("notify run") || open_data(cfg.data_dir))
        return 2;
    plugin_host_set_learner_source(plugins_learner);
    if (plugin_host_start(cfg.plugins_dir, NULL) < 0)
        fprintf(stderr, "cairn notify run: no plugins loaded from %s\n", cfg.plugins_dir);
    int reminders = 0, sent = 0, failed = 0;
    int r = notify_run_once(&reminders, &sent, &failed);
    plugin_host_stop();     /* delivers the on_expiry events it queued */
    printf("expiry sweep: %d reminder%s queued\n", reminders, reminders == 1 ? "" : "s");
    if (cfg.smtp_url)
        printf("delivery: %d sent, %d given up\n", sent, failed);
    else
        printf("delivery: no SMTP URL set; messages stay pending\n");
    store_close();
    return r ? 1 : 0;
}

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: cairn COMMAND [OPTIONS]\n"
        "Cairn %s, a learning server for safeguarding training.\n\n"
        "Commands:\n"
        "  serve      run the server\n"
        "  import     import SCORM package zips\n"
        "  user add   create an account\n"
        "  plugin     test a borough plugin (plugin test DIR) or time its hooks\n"
        "  config     check a configuration file (config check FILE)\n"
        "  backup     copy the database and packages while the server runs\n"
        "  restore    bring a backup back into a data folder\n"
        "  db check   check the database's integrity and schema version\n"
        "  notify run run one expiry reminder sweep and send due messages\n"
        "  compliance rebuild  recompute the reports' compliance rows\n"
        "  retention run       anonymise learners past their borough's retention period\n"
        "  bench commits       time the single writer path for learner commits\n"
        "  bench generate      fill a data folder with generated boroughs for timing\n\n"
        "Every command takes --data DIR and --help.\n", CAIRN_VERSION);
}

int main(int argc, char **argv)
{
    if (auth_init()) {
        fprintf(stderr, "cairn: libsodium could not start\n");
        return 1;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("cairn %s\n", CAIRN_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "serve"))
        return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "import"))
        return cmd_import(argc - 1, argv + 1);
    if (!strcmp(cmd, "user"))
        return cmd_user(argc - 1, argv + 1);
    if (!strcmp(cmd, "backup"))
        return backup_main(argc - 1, argv + 1, default_data_dir());
    if (!strcmp(cmd, "restore"))
        return restore_main(argc - 1, argv + 1, default_data_dir());
    if (!strcmp(cmd, "db"))
        return db_main(argc - 1, argv + 1, default_data_dir());
    if (!strcmp(cmd, "plugin"))
        return cmd_plugin(argc - 1, argv + 1);
    if (!strcmp(cmd, "config"))
        return config_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "retention"))
        return retention_main(argc - 1, argv + 1, default_data_dir());
    if (!strcmp(cmd, "compliance"))
        return compliance_main(argc - 1, argv + 1, default_data_dir(), CAIRN_SOURCE_PLUGIN_DIR);
    if (!strcmp(cmd, "bench") && argc > 2 && !strcmp(argv[2], "commits"))
        return bench_commits_main(argc - 2, argv + 2, default_data_dir());
    if (!strcmp(cmd, "bench"))
        return bench_main(argc - 1, argv + 1, default_data_dir(), CAIRN_SOURCE_PLUGIN_DIR);
    if (!strcmp(cmd, "notify"))
        return cmd_notify(argc - 1, argv + 1);
    fprintf(stderr, "cairn: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
