/* compliance.c: the refresh queue and thread behind the compliance table
 * (compliance.h).
 *
 * Invariants:
 *  1. compliance_touch only takes g_lock for a few instructions: callers
 *     (the writer thread among them) never wait for SQL or Lua.
 *  2. A learner touched while queued is queued once (g_set, open
 *     addressing); when the set is full, a full rebuild is asked for
 *     instead, so no change is lost.
 *  3. g_done_seq only moves to a g_touch_seq value after every learner
 *     touched up to it was refreshed: compliance_wait is exact.
 *  4. The fingerprint in compliance_meta is written only when a full
 *     rebuild finished, so an interrupted rebuild is redone at next start.
 *
 * Lifecycle of the thread [refresh_main]:
 *   IDLE --touch--> REFRESH (queued learners) --> IDLE
 *   IDLE --plugins' fingerprint differs from the stored one, or the queue
 *         overflowed--> REBUILD (batches of BATCH learners in id order,
 *         queued learners taken between batches) --done--> IDLE
 *   any --compliance_stop--> stopped (between batches). */
#include "compliance.h"
#include "api.h"
#include "log.h"
#include "plugin_host.h"
#include "store_compliance.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SET_SIZE = 16384, SET_MAX = SET_SIZE / 2, BATCH = 100, POLL_S = 2 };

static const char FINGERPRINT_KEY[] = "plugins_fingerprint";

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_done = PTHREAD_COND_INITIALIZER;
static int64_t g_set[SET_SIZE];          /* 0 = empty slot */
static size_t g_set_n;
static uint64_t g_touch_seq, g_done_seq;
static bool g_overflow, g_running, g_stopping, g_rebuilding;
static char g_rebuilt_at[24];
static pthread_t g_thread;

/* ---- refreshing learners ---- */

int compliance_refresh(const int64_t *user_ids, size_t n)
{
    json_t **lists = calloc(n ? n : 1, sizeof *lists);
    if (!lists)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *learner = plugins_learner(user_ids[i]);
        const char *role = json_string_value(json_object_get(learner, "role"));
        if (learner && role && strcmp(role, "learner") == 0 &&
            json_object_get(learner, "borough"))
            lists[i] = plugins_required(learner);
        json_decref(learner);
    }
    int r = store_compliance_replace(user_ids, lists, n);
    for (size_t i = 0; i < n; i++)
        json_decref(lists[i]);
    free(lists);
    return r;
}

/* One batch of the full rebuild after *cursor; false when there were none
 * left (the rebuild is complete). */
static int rebuild_batch(int64_t *cursor, size_t *ret_n)
{
    int64_t ids[BATCH];
    size_t n = 0;
    int r = store_compliance_learners(*cursor, ids, BATCH, &n);
    if (!r && n)
        r = compliance_refresh(ids, n);
    if (!r && n)
        *cursor = ids[n - 1];
    *ret_n = n;
    return r;
}

static bool fingerprint_stored(const char *fp)
{
    char *stored = NULL;
    bool same = store_compliance_meta_get(FINGERPRINT_KEY, &stored) == 0 &&
                strcmp(stored, fp) == 0;
    free(stored);
    return same;
}

/* ---- the queue ---- */

void compliance_touch(int64_t user_id)
{
    if (user_id <= 0)
        return;
    pthread_mutex_lock(&g_lock);
    if (g_running && !g_stopping) {
        g_touch_seq++;
        size_t h = (size_t)((uint64_t)user_id * 11400714819323198485u >> 50) % SET_SIZE;
        while (g_set[h] && g_set[h] != user_id)
            h = (h + 1) % SET_SIZE;
        if (!g_set[h]) {
            if (g_set_n < SET_MAX) {
                g_set[h] = user_id;
                g_set_n++;
            } else {
                g_overflow = true;
            }
        }
        pthread_cond_signal(&g_wake);
    }
    pthread_mutex_unlock(&g_lock);
}

/* Takes the queued learners (under g_lock); caller frees *ret_ids. */
static size_t take_queue(int64_t **ret_ids)
{
    *ret_ids = NULL;
    if (!g_set_n)
        return 0;
    int64_t *ids = malloc(g_set_n * sizeof *ids);
    size_t n = 0;
    for (size_t i = 0; ids && i < SET_SIZE; i++)
        if (g_set[i]) {
            ids[n++] = g_set[i];
            g_set[i] = 0;
        }
    if (!ids) {
        g_overflow = true;       /* out of memory: rebuild everyone instead */
        memset(g_set, 0, sizeof g_set);
    }
    g_set_n = 0;
    *ret_ids = ids;
    return n;
}

bool compliance_wait(unsigned timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g_lock);
    uint64_t target = g_touch_seq;
    int rc = 0;
    while (g_running && g_done_seq < target && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&g_done, &g_lock, &until);
    bool ok = !g_running || g_done_seq >= target;
    pthread_mutex_unlock(&g_lock);
    return ok;
}

json_t *compliance_status_json(void)
{
    pthread_mutex_lock(&g_lock);
    json_t *o = json_pack("{sI sb so}", "pending", (json_int_t)g_set_n,
                          "rebuilding", g_rebuilding || g_overflow,
                          "rebuilt_at", g_rebuilt_at[0] ? json_string(g_rebuilt_at) : json_null());
    pthread_mutex_unlock(&g_lock);
    return o;
}

/* ---- the thread ---- */

static void refresh_queued(void)
{
    pthread_mutex_lock(&g_lock);
    uint64_t seq = g_touch_seq;
    int64_t *ids = NULL;
    size_t n = take_queue(&ids);
    pthread_mutex_unlock(&g_lock);
    for (size_t i = 0; i < n; i += BATCH) {
        size_t k = n - i < BATCH ? n - i : BATCH;
        int r = compliance_refresh(ids + i, k);
        if (r)
            log_warn("compliance", "refreshing %zu learners failed: %s", k, strerror(-r));
    }
    free(ids);
    pthread_mutex_lock(&g_lock);
    if (seq > g_done_seq)
        g_done_seq = seq;
    pthread_cond_broadcast(&g_done);
    pthread_mutex_unlock(&g_lock);
}

static void *refresh_main(void *unused)
{
    (void)unused;
    uint64_t generation = 0;
    char target[17] = "";
    int64_t cursor = 0, learners = 0;
    struct timespec started = { 0 };
    bool rebuild = false;
    for (;;) {
        pthread_mutex_lock(&g_lock);
        if (!g_set_n && !g_stopping && !rebuild && !g_overflow &&
            generation == plugin_host_generation()) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += POLL_S;
            pthread_cond_timedwait(&g_wake, &g_lock, &until);
        }
        bool stop = g_stopping, overflow = g_overflow;
        g_overflow = false;
        pthread_mutex_unlock(&g_lock);
        if (stop)
            break;
        refresh_queued();
        uint64_t gen = plugin_host_generation();
        if (gen != generation || overflow) {
            generation = gen;
            char fp[17];
            plugin_host_fingerprint(fp);
            if (overflow || strcmp(fp, target) != 0) {
                int64_t rows = 0, n = 0;
                bool empty = store_compliance_counts(&rows, &n) == 0 && rows == 0;
                if (overflow || empty || !fingerprint_stored(fp)) {
                    rebuild = true;
                    cursor = learners = 0;
                    clock_gettime(CLOCK_MONOTONIC, &started);
                    log_info("compliance", "rebuilding every learner's rows (plugins %s)", fp);
                }
                memcpy(target, fp, sizeof target);
            }
        }
        if (!rebuild)
            continue;
        pthread_mutex_lock(&g_lock);
        g_rebuilding = true;
        pthread_mutex_unlock(&g_lock);
        size_t n = 0;
        int r = rebuild_batch(&cursor, &n);
        learners += (int64_t)n;
        if (r) {
            log_warn("compliance", "rebuild stopped after %lld learners: %s",
                     (long long)learners, strerror(-r));
        } else if (n) {
            continue;
        } else {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            double s = (double)(now.tv_sec - started.tv_sec) +
                       (double)(now.tv_nsec - started.tv_nsec) / 1e9;
            store_compliance_prune();
            store_compliance_meta_set(FINGERPRINT_KEY, target);
            log_info("compliance", "rebuilt %lld learners in %.1f s", (long long)learners, s);
        }
        rebuild = false;
        pthread_mutex_lock(&g_lock);
        g_rebuilding = false;
        if (!r) {
            char now[24];
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
            memcpy(g_rebuilt_at, now, sizeof g_rebuilt_at);
        }
        pthread_mutex_unlock(&g_lock);
    }
    plugin_host_thread_release();
    store_close();
    return NULL;
}

int compliance_start(void)
{
    pthread_mutex_lock(&g_lock);
    g_stopping = false;
    g_running = true;
    pthread_mutex_unlock(&g_lock);
    int r = pthread_create(&g_thread, NULL, refresh_main, NULL);
    if (r) {
        pthread_mutex_lock(&g_lock);
        g_running = false;
        pthread_mutex_unlock(&g_lock);
        return -r;
    }
    return 0;
}

void compliance_stop(void)
{
    pthread_mutex_lock(&g_lock);
    bool running = g_running;
    g_stopping = true;
    pthread_cond_broadcast(&g_wake);
    pthread_mutex_unlock(&g_lock);
    if (!running)
        return;
    pthread_join(g_thread, NULL);
    pthread_mutex_lock(&g_lock);
    g_running = false;
    pthread_cond_broadcast(&g_done);
    pthread_mutex_unlock(&g_lock);
}

/* ---- cairn compliance rebuild ---- */

int compliance_main(int argc, char **argv, const char *default_data,
                    const char *default_plugins)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "plugins", required_argument, NULL, 'G' },
        { "help", no_argument, NULL, 'h' }, { 0 },
    };
    const char *usage =
        "Usage: cairn compliance rebuild [--data DIR] [--plugins DIR]\n"
        "Recomputes every learner's compliance rows (what the reports read) with the\n"
        "borough plugins, and prints how many learners and items, and the time taken.\n"
        "A running server does this itself when the plugins change; run this beside it\n"
        "or while it is stopped.\n";
    if (argc < 2 || strcmp(argv[1], "rebuild") != 0) {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(usage, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    argc--;
    argv++;
    const char *data = default_data, *plugins = default_plugins;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'G': plugins = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cairn compliance rebuild: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    char err[512];
    if (store_open(data, err, sizeof err)) {
        fprintf(stderr, "cairn compliance rebuild: %s\n", err);
        return 1;
    }
    plugin_host_set_learner_source(plugins_learner);
    if (plugin_host_start(plugins, NULL) < 0)
        fprintf(stderr, "cairn compliance rebuild: no plugins loaded from %s\n", plugins);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int64_t cursor = 0, learners = 0, rows = 0, with_rows = 0;
    size_t n = 0;
    int r;
    do {
        r = rebuild_batch(&cursor, &n);
        learners += (int64_t)n;
    } while (!r && n);
    char fp[17];
    plugin_host_fingerprint(fp);
    if (!r)
        r = store_compliance_prune();
    if (!r)
        r = store_compliance_meta_set(FINGERPRINT_KEY, fp);
    if (!r)
        r = store_compliance_counts(&rows, &with_rows);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    plugin_host_stop();
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (r)
        fprintf(stderr, "cairn compliance rebuild: failed after %lld learners: %s\n",
                (long long)learners, strerror(-r));
    else
        printf("compliance: %lld learners, %lld required items (%lld learners with some) "
               "in %.2f s\n", (long long)learners, (long long)rows, (long long)with_rows, s);
    store_close();
    return r ? 1 : 0;
}
