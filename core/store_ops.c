/* store_ops.c: what running Cairn needs from the database besides its
 * records: integrity checks, online backups, readiness, gauges.
 *
 * The *_file functions open their own connection to a database file (the
 * `cairn db check`, `backup` and `restore` commands run next to a live
 * server, in another process); the others use the thread's connection. */
#include "store.h"
#include "store_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { READY_LOCK_WAIT_MS = 2000 };

static int open_readonly(const char *path, sqlite3 **ret)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -EIO;
    }
    sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
    *ret = db;
    return 0;
}

int store_check_file(const char *db_path, char **ret_report, int *ret_version)
{
    if (access(db_path, R_OK) != 0)
        return -EIO;    /* sqlite would create nothing read-only, but say why */
    sqlite3 *db;
    if (open_readonly(db_path, &db))
        return -EIO;
    sqlite3_stmt *st = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version < 0) {
        sqlite3_close(db);
        return -EIO;
    }
    /* integrity_check gives one row "ok", or up to 100 rows of problems. */
    size_t cap = 256, len = 0;
    char *report = malloc(cap);
    if (!report || sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        free(report);
        sqlite3_close(db);
        return -EIO;
    }
    report[0] = '\0';
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        size_t n = line ? strlen(line) : 0;
        if (len + n + 2 > cap) {
            while (len + n + 2 > cap)
                cap *= 2;
            char *b = realloc(report, cap);
            if (!b)
                break;
            report = b;
        }
        if (len)
            report[len++] = '\n';
        memcpy(report + len, line ? line : "", n);
        len += n;
        report[len] = '\0';
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        /* A file too damaged to walk: what SQLite said is the report. */
        free(report);
        return -EIO;
    }
    *ret_version = version;
    *ret_report = report;
    return strcmp(report, "ok") == 0 ? 0 : -EBADMSG;
}

int store_backup_file(const char *src_path, const char *dest_path, char *errbuf, size_t errlen)
{
    errbuf[0] = '\0';
    if (access(dest_path, F_OK) == 0) {
        snprintf(errbuf, errlen, "%s already exists", dest_path);
        return -EEXIST;
    }
    sqlite3 *src = NULL, *dest = NULL;
    if (open_readonly(src_path, &src)) {
        snprintf(errbuf, errlen, "cannot open %s", src_path);
        return -EIO;
    }
    int r = -EIO;
    if (sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot create %s: %s", dest_path, sqlite3_errmsg(dest));
        goto out;
    }
    /* One step of every page: the copy is one read snapshot of the source.
     * In WAL mode a reader blocks no writer, so learners keep committing;
     * copying in several steps would restart each time one of them did. */
    sqlite3_backup *b = sqlite3_backup_init(dest, "main", src, "main");
    if (!b) {
        snprintf(errbuf, errlen, "backup: %s", sqlite3_errmsg(dest));
        goto out;
    }
    int rc;
    for (int tries = 0; tries < 100; tries++) {
        rc = sqlite3_backup_step(b, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        sqlite3_sleep(50);
    }
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        snprintf(errbuf, errlen, "backup: %s", sqlite3_errstr(rc));
        goto out;
    }
    /* The copy is a single file: no -wal beside it. */
    if (sqlite3_exec(dest, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(errbuf, errlen, "backup: %s", sqlite3_errmsg(dest));
        goto out;
    }
    r = 0;
out:
    sqlite3_close(dest);
    sqlite3_close(src);
    if (r)
        unlink(dest_path);
    return r;
}

int store_package_versions_file(const char *db_path, json_t **ret)
{
    sqlite3 *db;
    if (open_readonly(db_path, &db))
        return -EIO;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT package_id, version FROM package_versions "
                           "ORDER BY package_id, version", -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -EIO;
    }
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, json_pack("[II]", (json_int_t)sqlite3_column_int64(st, 0),
                                              (json_int_t)sqlite3_column_int64(st, 1)));
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return -EIO;
    }
    *ret = list;
    return 0;
}

int store_ready_check(char *reason, size_t len)
{
    sqlite3 *db = db_conn();
    if (!db) {
        snprintf(reason, len, "the database cannot be opened");
        return -EIO;
    }
    if (sqlite3_db_readonly(db, "main") != 0) {
        snprintf(reason, len, "the database is read-only");
        return -EIO;
    }
    /* Taking the write lock is what every write needs first; nothing is
     * written. It waits behind the writer's transaction, but not as long
     * as a request would: a probe must answer before its own timeout. */
    sqlite3_busy_timeout(db, READY_LOCK_WAIT_MS);
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK) {
        snprintf(reason, len, "the database cannot be written: %s", sqlite3_errmsg(db));
        return -EIO;
    }
    if (sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(reason, len, "the database cannot be written: %s", sqlite3_errmsg(db));
        return -EIO;
    }
    return 0;
}

int store_outbox_pending(int64_t *ret_n)
{
    sqlite3_stmt *st = db_stmt("SELECT count(*) FROM outbox WHERE status = 'pending'");
    if (!st)
        return -EIO;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_fail("counting the outbox");
    }
    *ret_n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}
