/* writer.c: see writer.h.
 *
 * Invariants:
 *  1. Only the writer thread calls store_commit_batch.
 *  2. Every submitted commit gets exactly one done call, also at stop.
 */
#include "writer.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum { QUEUE_MAX = 4096, BATCH_MAX = 512 };

typedef struct job {
    cairn_commit *c;
    writer_done_fn done;
    void *arg;
} job;

static job g_queue[QUEUE_MAX];
static size_t g_head, g_len;
static uint64_t g_batches, g_written;     /* for metrics, under g_lock */
static bool g_stopping, g_running;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static pthread_t g_thread;

static void *writer_main(void *unused)
{
    static job batch[BATCH_MAX];
    static cairn_commit *commits[BATCH_MAX];
    for (;;) {
        pthread_mutex_lock(&g_lock);
        while (g_len == 0 && !g_stopping)
            pthread_cond_wait(&g_cond, &g_lock);
        if (g_len == 0 && g_stopping) {
            pthread_mutex_unlock(&g_lock);
            break;
        }
        size_t n = 0;
        while (g_len > 0 && n < BATCH_MAX) {
            batch[n] = g_queue[g_head];
            commits[n] = batch[n].c;
            g_head = (g_head + 1) % QUEUE_MAX;
            g_len--;
            n++;
        }
        g_batches++;
        g_written += n;
        pthread_mutex_unlock(&g_lock);
        store_commit_batch(commits, n);
        for (size_t i = 0; i < n; i++)
            batch[i].done(batch[i].c, batch[i].arg);
    }
    store_close();
    return NULL;
}

int writer_start(void)
{
    g_stopping = false;
    if (pthread_create(&g_thread, NULL, writer_main, NULL) != 0)
        return -errno;
    g_running = true;
    return 0;
}

void writer_stop(void)
{
    if (!g_running)
        return;
    pthread_mutex_lock(&g_lock);
    g_stopping = true;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_lock);
    pthread_join(g_thread, NULL);
    g_running = false;
}

int writer_submit(cairn_commit *c, writer_done_fn done, void *arg)
{
    pthread_mutex_lock(&g_lock);
    if (g_len == QUEUE_MAX || g_stopping || !g_running) {
        pthread_mutex_unlock(&g_lock);
        return -EAGAIN;
    }
    g_queue[(g_head + g_len) % QUEUE_MAX] = (job){ c, done, arg };
    g_len++;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return 0;
}

void writer_stats(size_t *ret_queued, uint64_t *ret_batches, uint64_t *ret_commits)
{
    pthread_mutex_lock(&g_lock);
    *ret_queued = g_len;
    *ret_batches = g_batches;
    *ret_commits = g_written;
    pthread_mutex_unlock(&g_lock);
}
