/* bench.c: `cairn bench generate` (bench.h). */
#include "bench.h"
#include "api.h"
#include "auth.h"
#include "plugin_host.h"
#include "store.h"
#include "store_compliance.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static bool parse_count(const char *s, long long min, long long max, long long *ret)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *ret = v;
    return true;
}

int bench_main(int argc, char **argv, const char *default_data, const char *default_plugins)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "plugins", required_argument, NULL, 'G' },
        { "boroughs", required_argument, NULL, 'b' },
        { "learners", required_argument, NULL, 'l' },
        { "records", required_argument, NULL, 'r' },
        { "password", required_argument, NULL, 'P' }, { "seed", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' }, { 0 },
    };
    const char *usage =
        "Usage: cairn bench generate [--data DIR] [--boroughs N] [--learners N]\n"
        "                            [--records N] [--password PW] [--seed N] [--plugins DIR]\n"
        "Fills a data folder with generated boroughs (bench-01, ...), organisations,\n"
        "learners, e-learning records, attendance, evidence, feedback and their compliance\n"
        "rows, for timing the reports (tests/bench/reports). Defaults: 32 boroughs,\n"
        "256000 learners, 3000000 records. Every borough gets officer@bench-NN.example\n"
        "and the folder admin@bench.example, all with the password PW (default\n"
        "\"bench password\"). Generated learners cannot sign in.\n";
    if (argc < 2 || strcmp(argv[1], "generate") != 0) {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(usage, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    argc--;
    argv++;
    const char *data = default_data, *plugins = default_plugins, *password = "bench password";
    long long boroughs = 32, learners = 256000, records = 3000000, seed = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'd': data = optarg; break;
        case 'G': plugins = optarg; break;
        case 'b': ok = parse_count(optarg, 1, 99, &boroughs); break;
        case 'l': ok = parse_count(optarg, 1, 10000000, &learners); break;
        case 'r': ok = parse_count(optarg, 0, 100000000, &records); break;
        case 's': ok = parse_count(optarg, 1, 4294967295LL, &seed); break;
        case 'P': password = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
        if (!ok) {
            fprintf(stderr, "cairn bench generate: bad value '%s' (see --help)\n", optarg);
            return 2;
        }
    }
    if (optind < argc || learners < boroughs || records / learners > 20) {
        fprintf(stderr, "cairn bench generate: %s\n", optind < argc ? "unexpected argument"
                : "need at least one learner per borough and at most 20 records per learner");
        return 2;
    }
    char err[512], hash[AUTH_HASH_MAX];
    if (mkdir(data, 0700) && errno != EEXIST) {
        fprintf(stderr, "cairn bench generate: cannot create %s: %s\n", data, strerror(errno));
        return 1;
    }
    if (store_open(data, err, sizeof err)) {
        fprintf(stderr, "cairn bench generate: %s\n", err);
        return 1;
    }
    if (auth_hash_password(password, hash)) {
        fprintf(stderr, "cairn bench generate: out of memory\n");
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bench_params p = { .boroughs = (int)boroughs, .learners = learners, .records = records,
                       .officer_hash = hash, .seed = (uint32_t)seed };
    bench_counts n;
    int r = store_bench_generate(&p, &n);
    if (!r) {
        cairn_new_user admin = { .email = "admin@bench.example", .name = "Bench admin",
                                 .password_hash = hash, .role = ROLE_ADMIN };
        int64_t id;
        r = store_user_create(&admin, &id);
        if (r == -EEXIST)
            r = 0;
    }
    if (!r) {
        /* The rows were written for these plugins: a server started on this
         * folder keeps them instead of recomputing (compliance.c). */
        char fp[17];
        plugin_host_set_learner_source(plugins_learner);
        plugin_host_start(plugins, NULL);
        plugin_host_fingerprint(fp);
        plugin_host_stop();
        r = store_compliance_meta_set("plugins_fingerprint", fp);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r) {
        fprintf(stderr, "cairn bench generate: %s\n", r == -EEXIST
                ? "this data folder already has generated boroughs" : strerror(-r));
        store_close();
        return 1;
    }
    printf("generated in %.1f s: %lld boroughs, %lld organisations, %lld learners,\n"
           "  %lld records (%lld e-learning, %lld attendance, %lld evidence),\n"
           "  %lld feedback, %lld compliance rows\n"
           "sign in as officer@bench-01.example or admin@bench.example, password \"%s\"\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           (long long)n.boroughs, (long long)n.organisations, (long long)n.learners,
           (long long)(n.elearning + n.attendance + n.evidence), (long long)n.elearning,
           (long long)n.attendance, (long long)n.evidence, (long long)n.feedback,
           (long long)n.compliance, password);
    store_close();
    return 0;
}
