/* store_import.c: imported training history (store_import.h). */
#include "store_import.h"
#include "store_db.h"

#include <errno.h>
#include <stdlib.h>

static int row_exists(const cairn_import_row *row, bool *ret)
{
    sqlite3_stmt *st = db_stmt("SELECT 1 FROM evidence WHERE user_id = ? AND kind = ?"
                               " AND title = ? AND completed_on = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, row->user_id);
    sqlite3_bind_text(st, 2, row->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, row->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, row->completed_on, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), r = 0;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        *ret = rc == SQLITE_ROW;
    else
        r = db_fail("evidence lookup");
    sqlite3_reset(st);
    return r;
}

static int row_insert(const cairn_import_row *row, int64_t entered_by, const char *now,
                      bool *ret_exists)
{
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO evidence (user_id, kind, title, provider, grp, level, hours, completed_on,"
        " note, source, entered_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'import', ?, ?)"
        " ON CONFLICT (user_id, kind, title, completed_on) DO NOTHING");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, row->user_id);
    sqlite3_bind_text(st, 2, row->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, row->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, row->provider ? row->provider : "", -1, SQLITE_STATIC);
    if (row->group)
        sqlite3_bind_text(st, 5, row->group, -1, SQLITE_STATIC);
    if (row->level >= 0)
        sqlite3_bind_int(st, 6, row->level);
    sqlite3_bind_double(st, 7, row->hours);
    sqlite3_bind_text(st, 8, row->completed_on, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, row->note ? row->note : "", -1, SQLITE_STATIC);
    if (entered_by)
        sqlite3_bind_int64(st, 10, entered_by);
    sqlite3_bind_text(st, 11, now, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    if (r == 0)
        *ret_exists = sqlite3_changes(db_conn()) == 0;
    return r;
}

int store_import_rows(cairn_import_row *rows, size_t n, bool write, int64_t entered_by,
                      size_t *ret_written)
{
    size_t written = 0;
    int r = 0;
    if (!write) {
        for (size_t i = 0; i < n && !r; i++)
            r = row_exists(&rows[i], &rows[i].exists);
        if (!r && ret_written)
            *ret_written = 0;
        return r;
    }
    if (n == 0) {
        if (ret_written)
            *ret_written = 0;
        return 0;
    }
    char now[32];
    db_now_iso(now);
    bool *exists = calloc(n, sizeof *exists);
    if (!exists)
        return -ENOMEM;
    if ((r = db_begin()))
        goto out;
    for (size_t i = 0; i < n && !r; i++) {
        r = row_insert(&rows[i], entered_by, now, &exists[i]);
        written += !r && !exists[i];
    }
    if (r || (r = db_commit())) {
        db_rollback();
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        rows[i].exists = exists[i];
    if (ret_written)
        *ret_written = written;
out:
    free(exists);
    return r;
}
