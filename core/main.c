/* main.c: the `cairn` program and its subcommands.
 *
 *   cairn serve    run the server
 *   cairn import   import a SCORM package zip
 *   cairn user add create an account
 *   cairn plugin   test or measure a borough plugin
 *
 * Every subcommand takes --data DIR (default: $CAIRN_DATA, else ./data). */
#include "cairn_config.h"
#include "api.h"
#include "auth.h"
#include "demo.h"
#include "http.h"
#include "importer.h"
#include "log.h"
#include "modules.h"
#include "plugin_host.h"
#include "store.h"
#include "writer.h"

#include <errno.h>
#include <getopt.h>
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

/* ---- serve ---- */

static void serve_usage(FILE *f)
{
    fprintf(f,
        "Usage: cairn serve [OPTIONS]\n"
        "Runs the Cairn server.\n\n"
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
        "  --log-level LEVEL     debug, info, warn or error (default info)\n"
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
        { 0 },
    };
    cfg = (cairn_config){
        .data_dir = default_data_dir(), .listen_addr = "127.0.0.1", .port = 8080,
        .threads = 4, .web_dir = CAIRN_SOURCE_WEB_DIR, .built_dir = CAIRN_BUILD_WEB_DIR,
        .vendor_dir = CAIRN_SOURCE_VENDOR_DIR, .plugins_dir = CAIRN_SOURCE_PLUGIN_DIR,
        .session_hours = 12,
        .json_limit = 1 << 20, .commit_limit = 4 << 20, .upload_limit = 512ull << 20,
        .per_ip_connections = 256, .connection_timeout = 60,
    };
    bool demo = false;
    const char *demo_packages = "../shared/scorm-packages";
    const char *modules = getenv("CAIRN_MODULES");
    if (!modules || !modules[0])
        modules = CAIRN_BUILD_MODULES_DIR;
    unsigned long v;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
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
    int r = http_serve();
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
        "                      [--role learner|officer|admin] [--borough NAME]\n"
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
                fprintf(stderr, "cairn user add: role must be learner, officer or admin\n");
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

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: cairn COMMAND [OPTIONS]\n"
        "Cairn %s, a learning server for safeguarding training.\n\n"
        "Commands:\n"
        "  serve      run the server\n"
        "  import     import SCORM package zips\n"
        "  user add   create an account\n"
        "  plugin     test a borough plugin (plugin test DIR) or time its hooks\n\n"
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
    if (!strcmp(cmd, "plugin"))
        return cmd_plugin(argc - 1, argv + 1);
    fprintf(stderr, "cairn: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
