/* audit.c: writing the audit log (audit.h) through a queue and one thread.
 * Entries name users by id; names are joined in when the log is read, so an
 * anonymised learner's entries show the placeholder name and nothing else.
 *
 * Invariants:
 *  1. Every entry handed to audit_log() is written exactly once: by the
 *     thread (queued), or by the caller (thread not running, queue full).
 *  2. queued - written is the number of entries in the queue or being
 *     written; audit_flush waits for written to reach queued as it was.
 *  3. An entry's time is taken when it is logged, not when written. */
#include "audit.h"
#include "log.h"
#include "store_dp.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { QUEUE_MAX = 4096 };

typedef struct entry {
    char at[21];
    int64_t actor_id, subject_id, borough_id, actor_borough_id;
    const char *actor_role;     /* static: cairn_role_name or "system" */
    char *action;               /* owned */
    char *detail;               /* owned, JSON text; NULL for none */
    char request_id[17];
} entry;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wake = PTHREAD_COND_INITIALIZER;   /* the thread: work or stop */
static pthread_cond_t g_done = PTHREAD_COND_INITIALIZER;   /* flushers: written moved */
static entry *g_queue;          /* QUEUE_MAX slots while running */
static size_t g_n;
static uint64_t g_queued, g_written;
static bool g_running, g_stop;
static pthread_t g_thread;

static void entry_free(entry *e)
{
    free(e->action);
    free(e->detail);
}

static void write_one(const entry *e)
{
    cairn_audit a = {
        .at = e->at, .actor_id = e->actor_id, .actor_role = e->actor_role,
        .action = e->action, .subject_id = e->subject_id, .borough_id = e->borough_id,
        .actor_borough_id = e->actor_borough_id, .detail = e->detail,
        .request_id = e->request_id[0] ? e->request_id : NULL,
    };
    if (store_audit_add(&a))
        log_error("audit", "could not record %s of user %lld by %lld", e->action,
                  (long long)e->subject_id, (long long)e->actor_id);
}

/* All of them in one transaction; one by one when that fails. */
static void write_batch(entry *es, size_t n)
{
    bool tx = n > 1 && store_dp_begin() == 0;
    for (size_t i = 0; i < n; i++)
        write_one(&es[i]);
    if (tx && store_dp_commit()) {
        store_dp_rollback();
        for (size_t i = 0; i < n; i++)
            write_one(&es[i]);
    }
    for (size_t i = 0; i < n; i++)
        entry_free(&es[i]);
}

static void *audit_thread(void *arg)
{
    (void)arg;
    entry *batch = calloc(QUEUE_MAX, sizeof *batch);
    pthread_mutex_lock(&g_lock);
    for (;;) {
        while (g_n == 0 && !g_stop)
            pthread_cond_wait(&g_wake, &g_lock);
        if (g_n == 0 && g_stop)
            break;
        size_t n = g_n;
        memcpy(batch, g_queue, n * sizeof *batch);
        g_n = 0;
        pthread_mutex_unlock(&g_lock);
        write_batch(batch, n);
        pthread_mutex_lock(&g_lock);
        g_written += n;
        pthread_cond_broadcast(&g_done);
    }
    pthread_mutex_unlock(&g_lock);
    free(batch);
    store_close();      /* this thread's connection */
    return NULL;
}

int audit_start(void)
{
    pthread_mutex_lock(&g_lock);
    if (g_running) {
        pthread_mutex_unlock(&g_lock);
        return 0;
    }
    g_queue = calloc(QUEUE_MAX, sizeof *g_queue);
    g_stop = false;
    int r = g_queue ? pthread_create(&g_thread, NULL, audit_thread, NULL) : ENOMEM;
    g_running = r == 0;
    if (r) {
        free(g_queue);
        g_queue = NULL;
    }
    pthread_mutex_unlock(&g_lock);
    return -r;
}

void audit_stop(void)
{
    pthread_mutex_lock(&g_lock);
    if (!g_running) {
        pthread_mutex_unlock(&g_lock);
        return;
    }
    g_stop = true;
    pthread_cond_signal(&g_wake);
    pthread_mutex_unlock(&g_lock);
    pthread_join(g_thread, NULL);
    pthread_mutex_lock(&g_lock);
    g_running = false;
    free(g_queue);
    g_queue = NULL;
    pthread_cond_broadcast(&g_done);
    pthread_mutex_unlock(&g_lock);
}

bool audit_flush(unsigned timeout_ms)
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
    uint64_t target = g_queued;
    while (g_running && g_written < target)
        if (pthread_cond_timedwait(&g_done, &g_lock, &until) == ETIMEDOUT)
            break;
    bool ok = g_written >= target || !g_running;
    pthread_mutex_unlock(&g_lock);
    return ok;
}

static void audit_write(const cairn_user *actor, const char *request_id, const char *action,
                        int64_t subject_user, int64_t borough_id, json_t *detail)
{
    json_t *b = json_object_get(detail, "borough_id");
    if (json_is_integer(b) && !borough_id)
        borough_id = json_integer_value(b);
    entry e = {
        .actor_id = actor ? actor->id : 0,
        .actor_role = actor ? cairn_role_name(actor->role) : "system",
        .subject_id = subject_user, .borough_id = borough_id,
        .actor_borough_id = actor ? actor->borough_id : 0,
        .action = strdup(action),
        .detail = detail ? json_dumps(detail, JSON_COMPACT) : NULL,
    };
    json_decref(detail);
    if (request_id)
        snprintf(e.request_id, sizeof e.request_id, "%s", request_id);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(e.at, sizeof e.at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!e.action) {
        log_error("audit", "out of memory: %s of user %lld not recorded", action,
                  (long long)subject_user);
        free(e.detail);
        return;
    }
    pthread_mutex_lock(&g_lock);
    if (g_running && !g_stop && g_n < QUEUE_MAX) {
        g_queue[g_n++] = e;
        g_queued++;
        pthread_cond_signal(&g_wake);
        pthread_mutex_unlock(&g_lock);
        return;
    }
    pthread_mutex_unlock(&g_lock);
    write_batch(&e, 1);     /* no thread, or a full queue: never drop an entry */
}

void audit_log(cairn_req *r, const char *action, int64_t subject_user, json_t *detail)
{
    audit_write(r->user, r->request_id, action, subject_user, 0, detail);
}

void audit_log_system(const char *action, int64_t subject_user, int64_t borough_id,
                      json_t *detail)
{
    audit_write(NULL, NULL, action, subject_user, borough_id, detail);
}
