/* sqlite_upsert.c: the reference for the commit benchmark (tests/bench/run).
 *
 * What a SCORM commit has to cost at least: one prepared upsert of the
 * commit's JSON into a row keyed by attempt id, in SQLite with the server's
 * durability settings (WAL, synchronous=NORMAL), on one connection, with no
 * HTTP, no JSON parsing and no validation. Rows are pre-created, so every
 * upsert updates an existing row, as every learner commit does.
 *
 *   sqlite_upsert DB PAYLOAD SECONDS KEYS BATCH
 *
 * BATCH 1 is one transaction per upsert (the figure the server is compared
 * with); BATCH n > 1 commits every n upserts (group commit, for information).
 * Prints one line: "REF batch=B upserts=N seconds=S rate=R cpu_us=C", C being
 * the CPU time (user + system) of the timed loop per upsert. */
#include <sqlite3.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "sqlite_upsert: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die(db, sql);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: sqlite_upsert DB PAYLOAD SECONDS KEYS BATCH\n");
        return 2;
    }
    double seconds = atof(argv[3]);
    long keys = atol(argv[4]), batch = atol(argv[5]);
    if (seconds <= 0 || keys < 1 || batch < 1) {
        fprintf(stderr, "sqlite_upsert: SECONDS, KEYS and BATCH must be positive\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    static char payload[1 << 20];
    size_t len = fread(payload, 1, sizeof payload - 1, f);
    fclose(f);

    sqlite3 *db;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK)
        die(db, "open");
    /* BENCH_DURABLE=1: every transaction synced, as `cairn serve --durable`. */
    const char *durable = getenv("BENCH_DURABLE");
    exec(db, durable && strcmp(durable, "1") == 0 ? "PRAGMA synchronous = FULL;"
                                                 : "PRAGMA synchronous = NORMAL;");
    exec(db, "PRAGMA journal_mode = WAL;"
             "CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY,"
             " cmi TEXT NOT NULL, updated_at TEXT NOT NULL)");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(db,
            "INSERT INTO attempts (id, cmi, updated_at) VALUES (?1, ?2, ?3)"
            " ON CONFLICT (id) DO UPDATE SET cmi = excluded.cmi,"
            " updated_at = excluded.updated_at", -1, SQLITE_PREPARE_PERSISTENT,
            &st, NULL) != SQLITE_OK)
        die(db, "prepare");
    char when[32];
    time_t t = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));

    /* Create the rows first: the timed loop only updates. */
    exec(db, "BEGIN");
    for (long k = 1; k <= keys; k++) {
        sqlite3_bind_int64(st, 1, k);
        sqlite3_bind_text(st, 2, payload, (int)len, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, when, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            die(db, "insert");
        sqlite3_reset(st);
    }
    exec(db, "COMMIT");

    long n = 0;
    double cpu = cpu_s(), start = now_s(), end = start + seconds, stop;
    for (;;) {
        if (batch > 1)
            exec(db, "BEGIN IMMEDIATE");
        for (long i = 0; i < batch; i++, n++) {
            sqlite3_bind_int64(st, 1, n % keys + 1);
            sqlite3_bind_text(st, 2, payload, (int)len, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, when, -1, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE)
                die(db, "upsert");
            sqlite3_reset(st);
        }
        if (batch > 1)
            exec(db, "COMMIT");
        if ((n & 63) < batch && (stop = now_s()) >= end)
            break;
    }
    cpu = cpu_s() - cpu;
    printf("REF batch=%ld upserts=%ld seconds=%.3f rate=%.1f cpu_us=%.2f\n", batch, n,
           stop - start, (double)n / (stop - start), cpu * 1e6 / (double)n);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}
