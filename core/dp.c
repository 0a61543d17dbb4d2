/* dp.c: anonymising learners (erasure and retention share dp_anonymise's
 * transaction) and `cairn retention run`.
 *
 * The retention run is safe from cron beside a running server: it opens
 * the database like any other connection (WAL: the server keeps reading;
 * writers wait at most the busy timeout for one batch's transaction),
 * anonymises at most RETENTION_BATCH learners per transaction, and is
 * idempotent: a learner once anonymised is never picked again, so a second
 * run the same day anonymises nobody. */
#include "dp.h"
#include "audit.h"
#include "store_dp.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RETENTION_BATCH = 200 };

static void now_iso(char buf[21])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool dp_valid_date(const char *s)
{
    if (!s || strlen(s) != 10)
        return false;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
            return false;
    int y, m, d;
    if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return false;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12 };
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    return m >= 1 && m <= 12 && back.tm_mday == d && back.tm_mon == m - 1 && y >= 1990;
}

int dp_anonymise(int64_t uid, const char *reason, int64_t *ret_kept)
{
    char now[21];
    now_iso(now);
    int r = store_dp_begin();
    if (r)
        return r;
    int64_t kept = 0;
    r = store_dp_anonymise_tx(uid, reason, now, &kept);
    if (r || (r = store_dp_commit())) {
        store_dp_rollback();
        return r;
    }
    if (ret_kept)
        *ret_kept = kept;
    return 0;
}

/* The cutoff date: today less months (end-of-month days clamp, as SQLite's
 * date(today, '-N months') would not: 31 March less one month is 28/29
 * February, not 3 March). */
static void cutoff_of(const char *today, int months, char out[11])
{
    int y, m, d;
    sscanf(today, "%4d-%2d-%2d", &y, &m, &d);
    int total = y * 12 + (m - 1) - months;
    y = total / 12;
    m = total % 12 + 1;
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int last = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    if (d > last)
        d = last;
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y % 10000, m, d);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

static int retention_borough(int64_t bid, const char *cutoff, bool dry_run,
                             int64_t *ret_learners, int64_t *ret_kept)
{
    int64_t ids[RETENTION_BATCH], after = 0, learners = 0, kept = 0;
    char now[21];
    now_iso(now);
    for (;;) {
        size_t n = 0;
        int r = store_retention_candidates(bid, cutoff, after, ids, RETENTION_BATCH, &n);
        if (r)
            return r;
        if (n == 0)
            break;
        after = ids[n - 1];
        if (dry_run) {
            learners += (int64_t)n;
            continue;
        }
        if ((r = store_dp_begin()))
            return r;
        for (size_t i = 0; i < n && !r; i++) {
            int64_t k = 0;
            r = store_dp_anonymise_tx(ids[i], "retention", now, &k);
            if (r == -EALREADY || r == -ENOENT)
                r = 0;      /* changed since it was picked: nothing to do */
            else if (!r) {
                learners++;
                kept += k;
            }
        }
        if (r || (r = store_dp_commit())) {
            store_dp_rollback();
            return r;
        }
    }
    *ret_learners = learners;
    *ret_kept = kept;
    return 0;
}

int dp_retention_run(const char *today, bool dry_run, FILE *out)
{
    json_t *boroughs;
    int r = store_retention_boroughs_json(&boroughs);
    if (r)
        return r;
    size_t i;
    json_t *b;
    int64_t all = 0;
    json_array_foreach(boroughs, i, b) {
        const char *name = json_string_value(json_object_get(b, "name"));
        json_t *months = json_object_get(b, "retention_months");
        if (!json_is_integer(months)) {
            fprintf(out, "%s: no retention period; records kept\n", name);
            continue;
        }
        char cutoff[11];
        cutoff_of(today, (int)json_integer_value(months), cutoff);
        int64_t learners = 0, kept = 0;
        json_int_t bid = json_integer_value(json_object_get(b, "id"));
        if ((r = retention_borough(bid, cutoff, dry_run, &learners, &kept))) {
            fprintf(out, "%s: failed (%s); nothing more done\n", name, strerror(-r));
            break;
        }
        all += learners;
        if (dry_run)
            fprintf(out, "%s: retention %lld months: %lld learner%s inactive since before %s "
                    "would be anonymised (dry run)\n", name, (long long)json_integer_value(months),
                    (long long)learners, learners == 1 ? "" : "s", cutoff);
        else {
            fprintf(out, "%s: retention %lld months: %lld learner%s inactive since before %s "
                    "anonymised; %lld record%s kept as anonymised counts\n", name,
                    (long long)json_integer_value(months), (long long)learners,
                    learners == 1 ? "" : "s", cutoff, (long long)kept, kept == 1 ? "" : "s");
            audit_log_system(AUDIT_RETENTION_RUN, 0, bid, json_pack("{ss sI sI sI}", "cutoff",
                             cutoff, "months", json_integer_value(months), "anonymised",
                             (json_int_t)learners, "records_kept", (json_int_t)kept));
        }
    }
    json_decref(boroughs);
    fprintf(out, "%s: %lld learner%s %s\n", dry_run ? "dry run" : "done", (long long)all,
            all == 1 ? "" : "s", dry_run ? "would be anonymised" : "anonymised");
    return r;
}

int retention_main(int argc, char **argv, const char *default_data)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "dry-run", no_argument, NULL, 'n' },
        { "today", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *usage =
        "Usage: cairn retention run [--data DIR] [--dry-run] [--today YYYY-MM-DD]\n"
        "Anonymises the learners whose last activity is older than their borough's\n"
        "retention period (PUT /api/admin/boroughs/ID/retention), keeping their records\n"
        "as anonymised counts, and prints what it did per borough. Safe to run from\n"
        "cron beside a running server, and as often as you like: a learner is\n"
        "anonymised once. --dry-run counts without changing anything; --today runs as\n"
        "of another date (for tests and to preview a later run).\n";
    if (argc < 2 || strcmp(argv[1], "run") != 0) {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(usage, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    argc--;
    argv++;
    const char *data = default_data, *today_arg = NULL;
    bool dry_run = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'n': dry_run = true; break;
        case 't': today_arg = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cairn retention run: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (today_arg && !dp_valid_date(today_arg)) {
        fprintf(stderr, "cairn retention run: --today must be a date as YYYY-MM-DD\n");
        return 2;
    }
    char today[11], path[4200], err[512];
    if (today_arg)
        snprintf(today, sizeof today, "%s", today_arg);
    else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(today, sizeof today, "%Y-%m-%d", &tm);
    }
    snprintf(path, sizeof path, "%s/cairn.db", data);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        fprintf(stderr, "cairn retention run: no database at %s\n", path);
        return 1;
    }
    fclose(probe);
    if (store_open(data, err, sizeof err)) {
        fprintf(stderr, "cairn retention run: %s\n", err);
        return 1;
    }
    int r = dp_retention_run(today, dry_run, stdout);
    store_close();
    if (r) {
        fprintf(stderr, "cairn retention run: the run stopped: %s\n", strerror(-r));
        return 1;
    }
    return 0;
}
