/* bench_commits.c: `cairn bench commits` (bench_commits.h).
 *
 * Times the single writer path without HTTP: N learners each hold an open
 * attempt of a really imported package, and N producer threads each loop
 * doing for their learner what api_commit does after the request has been
 * read (read the attempt, parse the body, find the SCO, runtime_prepare_commit
 * with its validation, writer_submit), then wait on a condition variable
 * until the writer's done call, as a suspended connection waits. The body is
 * varied per commit (a marker at the start of cmi.suspend_data), so every
 * commit is a real write, and the marker of each learner's last
 * acknowledged commit is read back from the database at the end. */
#include "bench_commits.h"
#include "cairn_config.h"
#include "auth.h"
#include "importer.h"
#include "runtime.h"
#include "store.h"
#include "writer.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

enum { LEARNERS_MAX = 1024, BODY_MAX = 256 * 1024, MARK_MAX = 48 };

typedef struct producer {
    pthread_t thread;
    int index;
    int64_t attempt_id;
    /* the commit in flight and its wake-up */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    /* results, read by the main thread after the join */
    int64_t *lat_us;        /* owned: one latency per acknowledged commit */
    size_t n, cap;
    long failed;
    double cpu_s;           /* this thread's CPU time */
    char last_mark[MARK_MAX];
} producer;

static const char *g_body;          /* the template body */
static size_t g_body_len, g_mark_at; /* where the marker goes */
static atomic_int g_stop;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double process_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Runs on the writer thread, as commit_done does for a connection. */
static void bench_done(cairn_commit *c, void *arg)
{
    (void)c;
    producer *p = arg;
    pthread_mutex_lock(&p->lock);
    p->done = true;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

/* One commit for p, as api_commit: 0 when the writer acknowledged it. */
static int commit_once(producer *p, char *text, long seq)
{
    char mark[MARK_MAX];
    int ml = snprintf(mark, sizeof mark, "bench=%d.%ld;", p->index, seq);
    memcpy(text, g_body, g_mark_at);
    memcpy(text + g_mark_at, mark, (size_t)ml);
    memcpy(text + g_mark_at + ml, g_body + g_mark_at, g_body_len - g_mark_at);
    size_t len = g_body_len + (size_t)ml;

    cairn_attempt *a = NULL;
    json_t *body = NULL;
    const cairn_package_version *pv = NULL;
    cairn_commit c = { 0 };
    int r = store_attempt_get(p->attempt_id, false, &a);
    if (r)
        goto out;
    json_error_t jerr;
    body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(body) || (r = store_package_version_cached(a->version_id, &pv))) {
        r = r ? r : -EINVAL;
        goto out;
    }
    cairn_cmi_error cerr = { 0 };
    r = runtime_prepare_commit(pv, runtime_sco_find(pv->manifest, a->sco), a, body, false, &c,
                               &cerr);
    if (r) {
        if (r == -EINVAL)
            fprintf(stderr, "cairn bench commits: the body was refused: %s\n", cerr.message);
        goto out;
    }
    p->done = false;
    if ((r = writer_submit(&c, bench_done, p)))
        goto out;
    pthread_mutex_lock(&p->lock);
    while (!p->done)
        pthread_cond_wait(&p->cond, &p->lock);
    pthread_mutex_unlock(&p->lock);
    r = c.result;
    if (!r)
        memcpy(p->last_mark, mark, (size_t)ml + 1);
out:
    runtime_commit_clear(&c);
    json_decref(body);
    cairn_attempt_free(a);
    return r;
}

static void *producer_main(void *arg)
{
    producer *p = arg;
    pthread_setname_np(pthread_self(), "bench-producer");  /* for perf --comms */
    char *text = malloc(g_body_len + MARK_MAX);
    double cpu0 = thread_cpu_s();
    for (long seq = 1; text && !g_stop; seq++) {
        int64_t t0 = now_us();
        if (commit_once(p, text, seq)) {
            p->failed++;
            break;
        }
        if (p->n == p->cap) {
            size_t cap = p->cap ? p->cap * 2 : 4096;
            int64_t *grown = realloc(p->lat_us, cap * sizeof *grown);
            if (!grown)
                break;
            p->lat_us = grown;
            p->cap = cap;
        }
        p->lat_us[p->n++] = now_us() - t0;
    }
    p->cpu_s = thread_cpu_s() - cpu0;
    free(text);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static char *read_file(const char *path, size_t *ret_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(BODY_MAX + 1);
    size_t n = buf ? fread(buf, 1, BODY_MAX + 1, f) : 0;
    fclose(f);
    if (!buf || n == 0 || n > BODY_MAX) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *ret_len = n;
    return buf;
}

/* An open attempt of package_id for learner i (created on first use). */
static int learner_attempt(int i, const char *hash, int64_t package_id, int64_t *ret_attempt)
{
    char email[64], name[32], token[33];
    snprintf(email, sizeof email, "bench-commit-%d@bench.example", i);
    snprintf(name, sizeof name, "Bench learner %d", i);
    cairn_new_user nu = { .email = email, .name = name, .password_hash = hash,
                          .role = ROLE_LEARNER };
    int64_t user_id, reg;
    int r = store_user_create(&nu, &user_id);
    if (r == -EEXIST) {
        cairn_user *u;
        char *h;
        if ((r = store_user_by_email(email, &u, &h)))
            return r;
        user_id = u->id;
        cairn_user_free(u);
        free(h);
    }
    if (r)
        return r;
    cairn_package_version *pv = NULL;
    char *last_sco = NULL;
    cairn_attempt *a = NULL;
    if ((r = store_package_current(package_id, &pv)) ||
        (r = store_registration_ensure(user_id, package_id, &reg, &last_sco)))
        goto out;
    json_t *sco = runtime_first_sco(pv->manifest);
    if (!sco) {
        r = -ENOENT;
        goto out;
    }
    auth_random_hex(token, 16);
    r = store_attempt_launch(reg, json_string_value(json_object_get(sco, "id")),
                             pv->version_id, token, 0, &a);
    if (!r)
        *ret_attempt = a->id;
out:
    cairn_attempt_free(a);
    free(last_sco);
    cairn_package_version_free(pv);
    return r;
}

static bool parse_long(const char *s, long min, long max, long *ret)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *ret = v;
    return true;
}

int bench_commits_main(int argc, char **argv, const char *default_data)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "learners", required_argument, NULL, 'l' },
        { "seconds", required_argument, NULL, 's' }, { "durable", no_argument, NULL, 'D' },
        { "body", required_argument, NULL, 'b' }, { "package", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' }, { 0 },
    };
    const char *usage =
        "Usage: cairn bench commits [--data DIR] [--learners N] [--seconds S] [--durable]\n"
        "                           [--body FILE] [--package ZIP]\n"
        "Times the single writer path without HTTP. Imports ZIP (default: the Golf\n"
        "Explained SCORM 1.2 package in $CAIRN_SHARED/scorm-packages), gives N learners\n"
        "(default 64) an open attempt each, then N threads commit FILE (default\n"
        "tests/bench/commit-body.json, varied per commit) for S seconds (default 5):\n"
        "read the attempt, parse, validate (runtime_prepare_commit), hand to the writer\n"
        "and wait until it is written. --durable syncs every transaction as\n"
        "`cairn serve --durable`. Prints commits/s, the writer's batch size, latency,\n"
        "CPU per commit, and checks each learner's last commit in the database.\n";
    const char *data = default_data, *body_path = CAIRN_SOURCE_PLUGIN_DIR
        "/../tests/bench/commit-body.json", *zip = NULL;
    long learners = 64, seconds = 5;
    bool durable = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'd': data = optarg; break;
        case 'l': ok = parse_long(optarg, 1, LEARNERS_MAX, &learners); break;
        case 's': ok = parse_long(optarg, 1, 3600, &seconds); break;
        case 'D': durable = true; break;
        case 'b': body_path = optarg; break;
        case 'p': zip = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
        if (!ok) {
            fprintf(stderr, "cairn bench commits: bad value '%s' (learners 1 to %d, "
                    "seconds 1 to 3600)\n", optarg, LEARNERS_MAX);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cairn bench commits: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    char zip_default[4096];
    if (!zip) {
        const char *shared = getenv("CAIRN_SHARED");
        snprintf(zip_default, sizeof zip_default,
                 "%s/scorm-packages/golf12-runtime-basic-singlesco.zip",
                 shared ? shared : CAIRN_SOURCE_PLUGIN_DIR "/../../shared");
        zip = zip_default;
    }
    size_t body_len;
    char *body = read_file(body_path, &body_len);
    const char *at = body ? strstr(body, "\"suspend_data\":\"") : NULL;
    if (!at) {
        fprintf(stderr, "cairn bench commits: %s: %s\n", body_path, body
                ? "no cmi.suspend_data to vary" : "cannot read it (at most 256 KB)");
        free(body);
        return 1;
    }
    g_body = body;
    g_body_len = body_len;
    g_mark_at = (size_t)(at - body) + strlen("\"suspend_data\":\"");

    char sub[4096];
    const char *parts[] = { "", "/tmp", "/packages" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(sub, sizeof sub, "%s%s", data, parts[i]);
        if (mkdir(sub, 0750) && errno != EEXIST) {
            fprintf(stderr, "cairn bench commits: cannot create %s: %s\n", sub, strerror(errno));
            free(body);
            return 1;
        }
    }
    char err[512];
    store_set_durable(durable);
    if (store_open(data, err, sizeof err)) {
        fprintf(stderr, "cairn bench commits: %s\n", err);
        free(body);
        return 1;
    }
    int ret = 1;
    producer *ps = calloc((size_t)learners, sizeof *ps);
    cairn_err ierr = { 0 };
    json_t *imported = NULL;
    char hash[AUTH_HASH_MAX];
    if (!ps || auth_hash_password("bench commits password", hash)) {
        fprintf(stderr, "cairn bench commits: out of memory\n");
        goto out;
    }
    if (import_package(data, zip, strrchr(zip, '/') ? strrchr(zip, '/') + 1 : zip, 0,
                       &imported, &ierr)) {
        fprintf(stderr, "cairn bench commits: %s: %s\n", zip, ierr.msg);
        goto out;
    }
    int64_t package_id = json_integer_value(
        json_object_get(json_object_get(imported, "package"), "id"));
    for (long i = 0; i < learners; i++) {
        int r = learner_attempt((int)i, hash, package_id, &ps[i].attempt_id);
        if (r) {
            fprintf(stderr, "cairn bench commits: learner %ld: %s\n", i, strerror(-r));
            goto out;
        }
        ps[i].index = (int)i;
        pthread_mutex_init(&ps[i].lock, NULL);
        pthread_cond_init(&ps[i].cond, NULL);
    }
    if (writer_start()) {
        fprintf(stderr, "cairn bench commits: cannot start the writer thread\n");
        goto out;
    }
    size_t q;
    uint64_t tx0, wc0, tx1, wc1;
    writer_stats(&q, &tx0, &wc0);
    double cpu0 = process_cpu_s();
    int64_t t0 = now_us();
    long started = 0;
    for (; started < learners; started++)
        if (pthread_create(&ps[started].thread, NULL, producer_main, &ps[started]))
            break;
    struct timespec nap = { .tv_sec = seconds };
    if (started == learners)
        while (nanosleep(&nap, &nap) && errno == EINTR)
            ;
    g_stop = 1;
    for (long i = 0; i < started; i++)
        pthread_join(ps[i].thread, NULL);
    double wall = (double)(now_us() - t0) / 1e6, cpu = process_cpu_s() - cpu0;
    writer_stats(&q, &tx1, &wc1);
    writer_stop();      /* closes the writer thread's connection */
    if (started < learners) {
        fprintf(stderr, "cairn bench commits: cannot start the threads\n");
        goto out;
    }

    /* Every learner's last acknowledged commit, read back. */
    size_t total = 0;
    long failed = 0, missing = 0;
    double producers_cpu = 0;
    for (long i = 0; i < learners; i++) {
        total += ps[i].n;
        failed += ps[i].failed;
        producers_cpu += ps[i].cpu_s;
        if (!ps[i].n)
            continue;
        cairn_attempt *a = NULL;
        char *saved = store_attempt_get(ps[i].attempt_id, true, &a) ? NULL
            : json_dumps(a->cmi, JSON_COMPACT);
        if (!saved || !strstr(saved, ps[i].last_mark)) {
            fprintf(stderr, "cairn bench commits: learner %ld: the last acknowledged commit "
                    "(%s) is not in the database\n", i, ps[i].last_mark);
            missing++;
        }
        free(saved);
        cairn_attempt_free(a);
    }
    int64_t *all = malloc((total ? total : 1) * sizeof *all);
    if (!all) {
        fprintf(stderr, "cairn bench commits: out of memory\n");
        goto out;
    }
    size_t k = 0;
    for (long i = 0; i < learners; i++) {
        memcpy(all + k, ps[i].lat_us, ps[i].n * sizeof *all);
        k += ps[i].n;
    }
    qsort(all, total, sizeof *all, cmp_i64);
    double mean = 0;
    for (size_t i = 0; i < total; i++)
        mean += (double)all[i];
    mean = total ? mean / (double)total : 0;
    double n = total ? (double)total : 1;
    printf("BENCH_COMMITS durable=%d learners=%ld seconds=%.3f commits=%zu rate=%.1f"
           " batch=%.2f transactions=%llu p50_us=%lld p99_us=%lld mean_us=%.0f cpu_us=%.2f"
           " producer_cpu_us=%.2f writer_cpu_us=%.2f failed=%ld missing=%ld\n",
           durable, learners, wall, total, (double)total / wall,
           tx1 > tx0 ? (double)(wc1 - wc0) / (double)(tx1 - tx0) : 0,
           (unsigned long long)(tx1 - tx0),
           total ? (long long)all[total / 2] : 0LL,
           total ? (long long)all[total * 99 / 100] : 0LL, mean, cpu * 1e6 / n,
           producers_cpu * 1e6 / n, (cpu - producers_cpu) * 1e6 / n, failed, missing);
    free(all);
    ret = failed || missing || !total ? 1 : 0;
out:
    for (long i = 0; ps && i < learners; i++)
        free(ps[i].lat_us);
    free(ps);
    json_decref(imported);
    free(body);
    store_close();
    return ret;
}
