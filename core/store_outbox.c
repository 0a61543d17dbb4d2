/* store_outbox.c: the notification outbox (store_outbox.h).
 *
 * Times are ISO 8601 UTC text, which sorts as it reads, so "due" is
 * next_attempt_at <= now (index outbox_due). */
#include "store_outbox.h"
#include "store_db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void iso_at(time_t t, char buf[24])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int store_outbox_enqueue(const cairn_outbox_new *m, bool *ret_added)
{
    char now[24];
    db_now_iso(now);
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO outbox (user_id, to_addr, kind, subject, body, dedupe_key,"
        " next_attempt_at, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7"
        /* an anonymised learner (store_dp.h) is sent nothing */
        " WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = ?1 AND anonymised_at IS NOT NULL)"
        " ON CONFLICT (dedupe_key) DO NOTHING");
    if (!st)
        return -EIO;
    if (m->user_id)
        sqlite3_bind_int64(st, 1, m->user_id);
    sqlite3_bind_text(st, 2, m->to_addr, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, m->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, m->body, -1, SQLITE_STATIC);
    if (m->dedupe_key)
        sqlite3_bind_text(st, 6, m->dedupe_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    if (r == 0 && ret_added)
        *ret_added = sqlite3_changes(db_conn()) > 0;
    return r;
}

void cairn_outbox_msgs_free(cairn_outbox_msg *m, size_t n)
{
    if (!m)
        return;
    for (size_t i = 0; i < n; i++) {
        free(m[i].to_addr);
        free(m[i].subject);
        free(m[i].body);
        free(m[i].created_at);
    }
    free(m);
}

int store_outbox_claim(size_t max, cairn_outbox_msg **ret, size_t *ret_n)
{
    char now[24], lease[24];
    time_t t = time(NULL);
    iso_at(t, now);
    iso_at(t + OUTBOX_LEASE_SECONDS, lease);
    cairn_outbox_msg *out = calloc(max ? max : 1, sizeof *out);
    if (!out)
        return -ENOMEM;
    size_t n = 0;
    int r = db_begin();
    if (r) {
        free(out);
        return r;
    }
    sqlite3_stmt *st = db_stmt(
        "SELECT id, attempts, to_addr, subject, body, created_at FROM outbox"
        " WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?");
    if (!st) {
        r = -EIO;
        goto fail;
    }
    sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    int rc;
    while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        out[n] = (cairn_outbox_msg){ .id = sqlite3_column_int64(st, 0),
            .attempts = sqlite3_column_int(st, 1), .to_addr = db_text(st, 2),
            .subject = db_text(st, 3), .body = db_text(st, 4), .created_at = db_text(st, 5) };
        n++;
    }
    sqlite3_reset(st);
    if (n < max && rc != SQLITE_DONE) {
        r = db_fail("outbox claim");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        st = db_stmt("UPDATE outbox SET next_attempt_at = ? WHERE id = ?");
        if (!st) {
            r = -EIO;
            goto fail;
        }
        sqlite3_bind_text(st, 1, lease, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, out[i].id);
        if ((r = db_exec_stmt(st)))
            goto fail;
    }
    if ((r = db_commit()))
        goto fail;
    *ret = out;
    *ret_n = n;
    return 0;
fail:
    db_rollback();
    cairn_outbox_msgs_free(out, n);
    return r;
}

int store_outbox_sent(int64_t id)
{
    char now[24];
    db_now_iso(now);
    sqlite3_stmt *st = db_stmt(
        "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?,"
        " last_error = NULL WHERE id = ? AND status = 'pending'");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    return db_exec_stmt(st);
}

int store_outbox_retry(int64_t id, const char *error, unsigned retry_base_s, bool *ret_failed)
{
    static const unsigned factor[OUTBOX_MAX_ATTEMPTS - 1] = { 1, 5, 30, 120 };
    sqlite3_stmt *st = db_stmt("SELECT attempts FROM outbox WHERE id = ? AND status = 'pending'");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), attempts = 0;
    if (rc == SQLITE_ROW)
        attempts = sqlite3_column_int(st, 0) + 1;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? -ENOENT : db_fail("outbox attempts");
    bool failed = attempts >= OUTBOX_MAX_ATTEMPTS;
    char next[24];
    iso_at(time(NULL) + (time_t)retry_base_s * (failed ? 0 : factor[attempts - 1]), next);
    st = db_stmt("UPDATE outbox SET attempts = ?, last_error = substr(?, 1, 500),"
                 " next_attempt_at = ?, status = ? WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int(st, 1, attempts);
    sqlite3_bind_text(st, 2, error ? error : "unknown error", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, next, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, failed ? "failed" : "pending", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, id);
    int r = db_exec_stmt(st);
    if (r == 0 && ret_failed)
        *ret_failed = failed;
    return r;
}

/* ---- listings ---- */

/* Runs a listing whose first columns are id, kind, subject, body, status,
 * attempts, created_at, sent_at, and with officer set also last_error,
 * to_addr, user id, name, borough name. Binds ?1 status (NULL: any), ?2
 * before (0: none), ?3 limit + 1. */
static int listing(sqlite3_stmt *st, bool officer, const char *status, int limit, int64_t before,
                   json_t **ret)
{
    if (!st)
        return -EIO;
    if (status)
        sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, before > 0 ? before : INT64_MAX);
    sqlite3_bind_int(st, 3, limit + 1);
    json_t *list = json_array();
    int64_t next = 0;
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            next = json_integer_value(json_object_get(json_array_get(list, n - 1), "id"));
            break;
        }
        const char *st_status = db_str(st, 4);
        json_t *o = json_pack("{sI ss ss ss ss si ss so sb}",
            "id", (json_int_t)sqlite3_column_int64(st, 0), "kind", db_str(st, 1),
            "subject", db_str(st, 2), "body", db_str(st, 3), "status", st_status,
            "attempts", sqlite3_column_int(st, 5), "created_at", db_str(st, 6),
            "sent_at", db_json_text(st, 7), "emailed", strcmp(st_status, "sent") == 0);
        if (o && officer) {
            json_object_set_new(o, "last_error", db_json_text(st, 8));
            json_object_set_new(o, "recipient", json_pack("{ss so so so}",
                "email", db_str(st, 9),
                "id", sqlite3_column_type(st, 10) == SQLITE_NULL ? json_null()
                    : json_integer(sqlite3_column_int64(st, 10)),
                "name", db_json_text(st, 11), "borough", db_json_text(st, 12)));
        }
        json_array_append_new(list, o);
        n++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        json_decref(list);
        return db_fail("outbox listing");
    }
    *ret = json_pack("{so so}", "messages", list, "next_before",
                     next ? json_integer(next) : json_null());
    return *ret ? 0 : -ENOMEM;
}

int store_outbox_user_json(int64_t user_id, const char *status, int limit, int64_t before,
                           json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT id, kind, subject, body, status, attempts, created_at, sent_at FROM outbox"
        " WHERE user_id = ?4 AND (?1 IS NULL OR status = ?1) AND id < ?2"
        " ORDER BY id DESC LIMIT ?3");
    if (st)
        sqlite3_bind_int64(st, 4, user_id);
    return listing(st, false, status, limit, before, ret);
}

int store_outbox_borough_json(int64_t borough_id, const char *status, int limit, int64_t before,
                              json_t **ret)
{
    sqlite3_stmt *st = db_stmt(borough_id
        ? "SELECT o.id, o.kind, o.subject, o.body, o.status, o.attempts, o.created_at,"
          " o.sent_at, o.last_error, o.to_addr, u.id, u.name, b.name"
          " FROM outbox o JOIN users u ON u.id = o.user_id JOIN boroughs b ON b.id = u.borough_id"
          " WHERE u.borough_id = ?4 AND (?1 IS NULL OR o.status = ?1) AND o.id < ?2"
          " ORDER BY o.id DESC LIMIT ?3"
        : "SELECT o.id, o.kind, o.subject, o.body, o.status, o.attempts, o.created_at,"
          " o.sent_at, o.last_error, o.to_addr, u.id, u.name, b.name"
          " FROM outbox o LEFT JOIN users u ON u.id = o.user_id"
          " LEFT JOIN boroughs b ON b.id = u.borough_id"
          " WHERE (?1 IS NULL OR o.status = ?1) AND o.id < ?2 AND ?4 = 0"
          " ORDER BY o.id DESC LIMIT ?3");
    if (st)
        sqlite3_bind_int64(st, 4, borough_id);
    return listing(st, true, status, limit, before, ret);
}

int store_outbox_sweep_learners(int64_t after, size_t max, int64_t *ret_ids, size_t *ret_n)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT u.id FROM users u WHERE u.id > ? AND u.role = 'learner'"
        " AND u.borough_id IS NOT NULL AND u.anonymised_at IS NULL"
        " AND EXISTS (SELECT 1 FROM learner_records r WHERE r.user_id = u.id)"
        " ORDER BY u.id LIMIT ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    size_t n = 0;
    int rc;
    while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ret_ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (n < max && rc != SQLITE_DONE)
        return db_fail("expiry sweep learners");
    *ret_n = n;
    return 0;
}
