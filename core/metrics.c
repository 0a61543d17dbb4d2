/* metrics.c: see metrics.h.
 *
 * Invariants:
 *  1. Recording never locks, allocates or fails: a route beyond
 *     MAX_ROUTES or a status outside 100..599 is counted in the last slot.
 *  2. Every metric name rendered has one HELP and one TYPE line before its
 *     samples; label values are escaped (backslash, quote, newline). */
#include "metrics.h"
#include "cairn_config.h"
#include "plugin_host.h"
#include "store.h"
#include "writer.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_ROUTES = 128, STATUS_MIN = 100, STATUS_SLOTS = 501 };

/* Upper bounds of the latency buckets, in microseconds (+Inf follows). */
static const int64_t bucket_us[] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
    2500000, 5000000, 10000000,
};
enum { BUCKETS = sizeof bucket_us / sizeof bucket_us[0] };

typedef struct histogram {
    atomic_uint_fast64_t le[BUCKETS + 1];   /* per bucket, not cumulative */
    atomic_uint_fast64_t sum_us;
} histogram;

/* Index MAX_ROUTES: requests no route matched. */
static atomic_uint_fast64_t g_requests[MAX_ROUTES + 1][STATUS_SLOTS];
static histogram g_durations[MAX_ROUTES + 1];
static histogram g_commit;
static atomic_uint_fast64_t g_commit_failed;

static void observe(histogram *h, int64_t us)
{
    if (us < 0)
        us = 0;
    int b = 0;
    while (b < BUCKETS && us > bucket_us[b])
        b++;
    atomic_fetch_add_explicit(&h->le[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (uint_fast64_t)us, memory_order_relaxed);
}

static size_t route_slot(const route *rt)
{
    if (!rt)
        return MAX_ROUTES;
    size_t n;
    const route *table = routes_table(&n);
    size_t i = (size_t)(rt - table);
    return i < n && i < MAX_ROUTES ? i : MAX_ROUTES;
}

void metrics_request(const route *rt, unsigned status, int64_t us)
{
    size_t i = route_slot(rt);
    size_t s = status >= STATUS_MIN && status < STATUS_MIN + STATUS_SLOTS - 1
        ? status - STATUS_MIN : STATUS_SLOTS - 1;
    atomic_fetch_add_explicit(&g_requests[i][s], 1, memory_order_relaxed);
    observe(&g_durations[i], us);
}

void metrics_commit(int64_t us, bool ok)
{
    if (ok)
        observe(&g_commit, us);
    else
        atomic_fetch_add_explicit(&g_commit_failed, 1, memory_order_relaxed);
}

bool metrics_address_allowed(const char *allow, const char *addr)
{
    if (!allow || !addr || !addr[0])
        return false;
    size_t n = strlen(addr);
    for (const char *p = allow; *p;) {
        p += strspn(p, ", \t");
        size_t len = strcspn(p, ", \t");
        if (len == n && strncmp(p, addr, n) == 0)
            return true;
        p += len;
    }
    return false;
}

/* ---- rendering ---- */

static void label_value(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *route_label(size_t i)
{
    size_t n;
    const route *table = routes_table(&n);
    return i < n ? table[i].pattern : "(none)";
}

static void histogram_lines(FILE *f, const char *name, const char *label, const char *value,
                            const histogram *h)
{
    uint64_t cum = 0;
    char lbl[512] = "";
    if (label) {
        /* value is escaped into a memory stream once, reused for each line */
        char *esc = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&esc, &len);
        if (m) {
            label_value(m, value);
            fclose(m);
            snprintf(lbl, sizeof lbl, "%s=\"%s\",", label, esc ? esc : "");
            free(esc);
        }
    }
    for (int b = 0; b <= BUCKETS; b++) {
        cum += atomic_load_explicit(&h->le[b], memory_order_relaxed);
        if (b < BUCKETS)
            fprintf(f, "%s_bucket{%sle=\"%g\"} %llu\n", name, lbl, (double)bucket_us[b] / 1e6,
                    (unsigned long long)cum);
        else
            fprintf(f, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, lbl, (unsigned long long)cum);
    }
    size_t l = strlen(lbl);
    if (l)
        lbl[l - 1] = '\0';      /* no trailing comma in {route="..."} */
    double sum = (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6;
    fprintf(f, "%s_sum%s%s%s %.6f\n", name, l ? "{" : "", lbl, l ? "}" : "", sum);
    fprintf(f, "%s_count%s%s%s %llu\n", name, l ? "{" : "", lbl, l ? "}" : "",
            (unsigned long long)cum);
}

static uint64_t histogram_count(const histogram *h)
{
    uint64_t n = 0;
    for (int b = 0; b <= BUCKETS; b++)
        n += atomic_load_explicit(&h->le[b], memory_order_relaxed);
    return n;
}

static void render_http(FILE *f)
{
    head(f, "cairn_http_requests_total", "counter",
         "HTTP requests answered, by route pattern and status code.");
    for (size_t i = 0; i <= MAX_ROUTES; i++) {
        for (size_t s = 0; s < STATUS_SLOTS; s++) {
            uint64_t n = atomic_load_explicit(&g_requests[i][s], memory_order_relaxed);
            if (!n)
                continue;
            fputs("cairn_http_requests_total{route=\"", f);
            label_value(f, route_label(i));
            if (s == STATUS_SLOTS - 1)
                fprintf(f, "\",status=\"other\"} %llu\n", (unsigned long long)n);
            else
                fprintf(f, "\",status=\"%zu\"} %llu\n", s + STATUS_MIN, (unsigned long long)n);
        }
    }
    head(f, "cairn_http_request_duration_seconds", "histogram",
         "Time from a request's arrival to the end of its answer, by route pattern.");
    for (size_t i = 0; i <= MAX_ROUTES; i++)
        if (histogram_count(&g_durations[i]))
            histogram_lines(f, "cairn_http_request_duration_seconds", "route", route_label(i),
                            &g_durations[i]);
}

static void render_writer(FILE *f)
{
    head(f, "cairn_commit_duration_seconds", "histogram",
         "Learner commits saved: from the request's arrival to its answer, "
         "including the group commit's sync.");
    histogram_lines(f, "cairn_commit_duration_seconds", NULL, NULL, &g_commit);
    head(f, "cairn_commit_failures_total", "counter",
         "Learner commits the writer refused or could not save (stale attempt, database error).");
    fprintf(f, "cairn_commit_failures_total %llu\n",
            (unsigned long long)atomic_load_explicit(&g_commit_failed, memory_order_relaxed));
    size_t queued;
    uint64_t batches, commits;
    writer_stats(&queued, &batches, &commits);
    head(f, "cairn_writer_queue_depth", "gauge", "Learner commits waiting for the writer thread.");
    fprintf(f, "cairn_writer_queue_depth %zu\n", queued);
    head(f, "cairn_writer_transactions_total", "counter",
         "Group-commit transactions the writer has run.");
    fprintf(f, "cairn_writer_transactions_total %llu\n", (unsigned long long)batches);
    head(f, "cairn_writer_commits_total", "counter",
         "Learner commits the writer has run in its transactions (commits / transactions: "
         "the batch size).");
    fprintf(f, "cairn_writer_commits_total %llu\n", (unsigned long long)commits);
}

static void plugin_series(FILE *f, json_t *plugins, const char *name, const char *key,
                          double scale)
{
    size_t i, k;
    json_t *p, *h;
    json_array_foreach(plugins, i, p) {
        json_array_foreach(json_object_get(p, "hooks"), k, h) {
            fputs(name, f);
            fputs("{plugin=\"", f);
            label_value(f, json_string_value(json_object_get(p, "name")));
            fputs("\",hook=\"", f);
            label_value(f, json_string_value(json_object_get(h, "name")));
            double v = (double)json_integer_value(json_object_get(h, key)) * scale;
            if (scale == 1.0)
                fprintf(f, "\"} %.0f\n", v);
            else
                fprintf(f, "\"} %.6f\n", v);
        }
    }
}

static void render_plugins(FILE *f)
{
    json_t *st = plugin_host_status();
    json_t *plugins = json_object_get(st, "plugins");
    size_t i, loaded = 0, failed = 0;
    json_t *p;
    json_array_foreach(plugins, i, p) {
        const char *state = json_string_value(json_object_get(p, "state"));
        if (state && strcmp(state, "loaded") == 0)
            loaded++;
        else
            failed++;
    }
    head(f, "cairn_plugins", "gauge", "Borough plugins by state (loaded, failed to load).");
    fprintf(f, "cairn_plugins{state=\"loaded\"} %zu\ncairn_plugins{state=\"failed\"} %zu\n",
            loaded, failed);
    head(f, "cairn_plugin_loaded", "gauge",
         "1 for each borough plugin that loaded, 0 for one that failed to load.");
    json_array_foreach(plugins, i, p) {
        const char *state = json_string_value(json_object_get(p, "state"));
        fputs("cairn_plugin_loaded{plugin=\"", f);
        label_value(f, json_string_value(json_object_get(p, "name")));
        fprintf(f, "\"} %d\n", state && strcmp(state, "loaded") == 0);
    }
    head(f, "cairn_plugin_hook_calls_total", "counter", "Plugin hook calls, by plugin and hook.");
    plugin_series(f, plugins, "cairn_plugin_hook_calls_total", "calls", 1.0);
    head(f, "cairn_plugin_hook_errors_total", "counter",
         "Plugin hook calls that failed (an error, or killed by a limit).");
    plugin_series(f, plugins, "cairn_plugin_hook_errors_total", "failures", 1.0);
    head(f, "cairn_plugin_hook_kills_total", "counter",
         "Plugin hook calls stopped by the instruction, time or memory limit.");
    plugin_series(f, plugins, "cairn_plugin_hook_kills_total", "kills", 1.0);
    head(f, "cairn_plugin_hook_seconds_total", "counter", "Time spent in plugin hook calls.");
    plugin_series(f, plugins, "cairn_plugin_hook_seconds_total", "total_us", 1e-6);
    json_decref(st);
}

static long long file_size(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static void render_store(FILE *f)
{
    head(f, "cairn_database_size_bytes", "gauge", "Size of cairn.db.");
    fprintf(f, "cairn_database_size_bytes %lld\n", file_size(cfg.data_dir, "cairn.db"));
    head(f, "cairn_database_wal_size_bytes", "gauge",
         "Size of cairn.db-wal (written, not yet checkpointed into cairn.db).");
    fprintf(f, "cairn_database_wal_size_bytes %lld\n", file_size(cfg.data_dir, "cairn.db-wal"));
    int64_t pending;
    if (store_outbox_pending(&pending) == 0) {
        head(f, "cairn_outbox_pending", "gauge", "Notification emails waiting to be sent.");
        fprintf(f, "cairn_outbox_pending %lld\n", (long long)pending);
    }
}

char *metrics_render(size_t *ret_len)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    head(f, "cairn_build_info", "gauge", "The running Cairn: version and database schema.");
    fprintf(f, "cairn_build_info{version=\"%s\",schema=\"%d\"} 1\n", CAIRN_VERSION,
            store_schema_version());
    render_http(f);
    render_writer(f);
    render_plugins(f);
    render_store(f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *ret_len = len;
    return buf;
}
