/* store_dp.c: the audit log, partnership grants, retention and
 * anonymising, a learner's data export and the partnership's per-borough
 * figures (store_dp.h says what each keeps and removes). Lists are built
 * as JSON by SQLite (json_group_array) and parsed once here. */
#include "store_dp.h"
#include "store_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Steps st (bound by the caller) and parses its one text column as JSON
 * into *ret; an empty result gives fallback ("[]" or "{}"). */
static int json_result(sqlite3_stmt *st, const char *fallback, json_t **ret)
{
    if (!st)
        return -EIO;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlite3_reset(st);
        return db_fail("data protection query");
    }
    const char *t = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    json_t *j = json_loads(t ? t : fallback, 0, NULL);
    sqlite3_reset(st);
    if (!j)
        return -ENOMEM;
    *ret = j;
    return 0;
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_opt_id(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* ---- the audit log ---- */

int store_audit_add(const cairn_audit *a)
{
    char now[21];
    db_now_iso(now);
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO audit_log (at, actor_id, actor_role, action, subject_id, borough_id,"
        " detail, request_id) VALUES (?1, ?2, ?3, ?4, ?5,"
        " coalesce(?6, (SELECT borough_id FROM users WHERE id = ?5), ?7), ?8, ?9)");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, a->at ? a->at : now, -1, SQLITE_TRANSIENT);
    bind_opt_id(st, 2, a->actor_id);
    sqlite3_bind_text(st, 3, a->actor_role, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, a->action, -1, SQLITE_STATIC);
    bind_opt_id(st, 5, a->subject_id);
    bind_opt_id(st, 6, a->borough_id);
    bind_opt_id(st, 7, a->actor_borough_id);
    sqlite3_bind_text(st, 8, a->detail ? a->detail : "{}", -1, SQLITE_STATIC);
    bind_opt_text(st, 9, a->request_id);
    return db_exec_stmt(st);
}

#define AUDIT_WHERE \
    " WHERE (?1 IS NULL OR a.borough_id = ?1) AND (?2 IS NULL OR a.actor_id = ?2)" \
    " AND (?3 IS NULL OR a.subject_id = ?3) AND (?4 IS NULL OR a.action = ?4)" \
    " AND (?5 IS NULL OR a.at >= ?5) AND (?6 IS NULL OR a.at < date(?6, '+1 day'))"

static void audit_bind(sqlite3_stmt *st, const audit_query *q)
{
    bind_opt_id(st, 1, q->borough_id);
    bind_opt_id(st, 2, q->actor_id);
    bind_opt_id(st, 3, q->subject_id);
    bind_opt_text(st, 4, q->action);
    bind_opt_text(st, 5, q->from);
    bind_opt_text(st, 6, q->to);
}

int store_audit_page(const audit_query *q, json_t **ret_rows, int64_t *ret_total)
{
    sqlite3_stmt *st = db_stmt("SELECT count(*) FROM audit_log a" AUDIT_WHERE);
    if (!st)
        return -EIO;
    audit_bind(st, q);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_fail("audit count");
    }
    int64_t total = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    st = db_stmt(
        "SELECT json_group_array(json_object('id', id, 'at', at, 'actor', json(actor),"
        " 'action', action, 'subject', json(subject), 'borough', json(borough),"
        " 'detail', json(detail), 'request_id', request_id)) FROM ("
        " SELECT a.id, a.at, a.action, a.detail, a.request_id,"
        "  CASE WHEN a.actor_id IS NULL THEN NULL ELSE json_object('id', a.actor_id,"
        "   'name', ua.name, 'role', a.actor_role) END AS actor,"
        "  CASE WHEN a.subject_id IS NULL THEN NULL ELSE json_object('id', a.subject_id,"
        "   'name', us.name) END AS subject,"
        "  CASE WHEN a.borough_id IS NULL THEN NULL ELSE json_object('id', a.borough_id,"
        "   'name', b.name) END AS borough"
        " FROM audit_log a LEFT JOIN users ua ON ua.id = a.actor_id"
        " LEFT JOIN users us ON us.id = a.subject_id LEFT JOIN boroughs b ON b.id = a.borough_id"
        AUDIT_WHERE " ORDER BY a.id DESC LIMIT ?7 OFFSET ?8)");
    if (!st)
        return -EIO;
    audit_bind(st, q);
    sqlite3_bind_int64(st, 7, q->limit);
    sqlite3_bind_int64(st, 8, q->offset);
    json_t *rows;
    int r = json_result(st, "[]", &rows);
    if (r)
        return r;
    *ret_rows = rows;
    *ret_total = total;
    return 0;
}

/* ---- partnership grants ---- */

int store_grant_add(int64_t grantee_id, int64_t learner_id, int64_t borough_id,
                    const char *reason, int64_t granted_by, const char *expires_at,
                    int64_t *ret_id)
{
    char now[21];
    db_now_iso(now);
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO partnership_grants (grantee_id, learner_id, borough_id, reason,"
        " granted_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, grantee_id);
    bind_opt_id(st, 2, learner_id);
    bind_opt_id(st, 3, borough_id);
    sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, granted_by);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, expires_at, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    if (r)
        return r == -EINVAL ? -ENOENT : r;
    *ret_id = sqlite3_last_insert_rowid(db_conn());
    return 0;
}

int store_grant_revoke(int64_t id, int64_t revoked_by, const char *now)
{
    sqlite3_stmt *st = db_stmt("SELECT revoked_at IS NOT NULL FROM partnership_grants"
                               " WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int revoked = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return -ENOENT;
    if (rc != SQLITE_ROW)
        return db_fail("grant read");
    if (revoked)
        return -EALREADY;
    st = db_stmt("UPDATE partnership_grants SET revoked_at = ?2, revoked_by = ?3"
                 " WHERE id = ?1 AND revoked_at IS NULL");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, revoked_by);
    return db_exec_stmt(st);
}

#define GRANT_JSON \
    "json_object('id', g.id, 'grantee', json_object('id', ge.id, 'name', ge.name," \
    " 'email', ge.email), 'learner', CASE WHEN g.learner_id IS NULL THEN NULL ELSE" \
    " json_object('id', g.learner_id, 'name', l.name) END, 'borough', CASE WHEN" \
    " g.borough_id IS NULL THEN NULL ELSE json_object('id', g.borough_id, 'name', b.name) END," \
    " 'reason', g.reason, 'granted_by', json_object('id', g.granted_by, 'name', gb.name)," \
    " 'created_at', g.created_at, 'expires_at', g.expires_at, 'revoked_at', g.revoked_at," \
    " 'active', json(CASE WHEN g.revoked_at IS NULL AND g.expires_at > ?1 THEN 'true'" \
    " ELSE 'false' END))"
#define GRANT_FROM \
    " FROM partnership_grants g JOIN users ge ON ge.id = g.grantee_id" \
    " JOIN users gb ON gb.id = g.granted_by LEFT JOIN users l ON l.id = g.learner_id" \
    " LEFT JOIN boroughs b ON b.id = g.borough_id"

int store_grant_json(int64_t id, const char *now, json_t **ret)
{
    sqlite3_stmt *st = db_stmt("SELECT " GRANT_JSON GRANT_FROM " WHERE g.id = ?2");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    json_t *j;
    int r = json_result(st, "null", &j);
    if (r)
        return r;
    if (json_is_null(j)) {
        json_decref(j);
        return -ENOENT;
    }
    *ret = j;
    return 0;
}

int store_grants_json(bool active_only, const char *now, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT json_group_array(json(j)) FROM (SELECT " GRANT_JSON " AS j" GRANT_FROM
        " WHERE ?2 = 0 OR (g.revoked_at IS NULL AND g.expires_at > ?1) ORDER BY g.id DESC)");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, active_only);
    return json_result(st, "[]", ret);
}

int store_grant_covers(int64_t grantee_id, int64_t learner_id, const char *now, bool *ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT EXISTS (SELECT 1 FROM partnership_grants g JOIN users u ON u.id = ?2"
        " WHERE g.grantee_id = ?1 AND g.revoked_at IS NULL AND g.expires_at > ?3"
        " AND u.role = 'learner' AND (g.learner_id = u.id OR g.borough_id = u.borough_id))");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, grantee_id);
    sqlite3_bind_int64(st, 2, learner_id);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    bool yes = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return db_fail("grant check");
    *ret = yes;
    return 0;
}

#define GRANTED_LEARNERS \
    " FROM users u JOIN boroughs b ON b.id = u.borough_id" \
    " LEFT JOIN organisations o ON o.id = u.organisation_id" \
    " WHERE u.role = 'learner' AND u.id IN (" \
    "  SELECT g.learner_id FROM partnership_grants g WHERE g.grantee_id = ?1" \
    "   AND g.revoked_at IS NULL AND g.expires_at > ?2 AND g.learner_id IS NOT NULL" \
    "  UNION SELECT u2.id FROM partnership_grants g JOIN users u2 ON u2.borough_id = g.borough_id" \
    "   WHERE g.grantee_id = ?1 AND g.revoked_at IS NULL AND g.expires_at > ?2)"

int store_grant_learners_json(int64_t grantee_id, const char *now, int64_t limit,
                              int64_t offset, json_t **ret_rows, int64_t *ret_total)
{
    sqlite3_stmt *st = db_stmt("SELECT count(*)" GRANTED_LEARNERS);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, grantee_id);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_fail("granted learners count");
    }
    int64_t total = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    st = db_stmt(
        "SELECT json_group_array(json(j)) FROM (SELECT json_object('id', u.id, 'name', u.name,"
        " 'email', u.email, 'job_role', u.job_role, 'borough', json_object('id', b.id, 'name',"
        " b.name), 'organisation', o.name) AS j" GRANTED_LEARNERS
        " ORDER BY u.name, u.id LIMIT ?3 OFFSET ?4)");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, grantee_id);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, limit);
    sqlite3_bind_int64(st, 4, offset);
    json_t *rows;
    int r = json_result(st, "[]", &rows);
    if (r)
        return r;
    *ret_rows = rows;
    *ret_total = total;
    return 0;
}

/* ---- partnership figures ---- */

int store_partnership_summary_json(const char *today, const char *since, json_t **ret)
{
    /* Two grouped passes, over users and over the compliance rows (which
     * carry the borough): no join with the big record tables, so it stays
     * well under a second with 256,000 learners (docs/PERFORMANCE.md). */
    sqlite3_stmt *st = db_stmt(
        "WITH lu AS (SELECT borough_id, count(*) AS n, count(anonymised_at) AS anon"
        "  FROM users WHERE role = 'learner' AND borough_id IS NOT NULL GROUP BY borough_id),"
        " co AS (SELECT borough_id, count(*) AS required,"
        "  sum(completed_at IS NOT NULL AND (expires IS NULL OR expires > ?1)) AS in_date,"
        "  sum(completed_at IS NOT NULL AND expires <= ?1) AS expired,"
        "  sum(completed_at IS NULL AND due < ?1) AS overdue,"
        "  sum(completed_at >= ?2) AS completed_recently,"
        "  count(DISTINCT CASE WHEN (completed_at IS NOT NULL AND expires <= ?1)"
        "   OR (completed_at IS NULL AND due < ?1) THEN user_id END) AS learners_overdue"
        "  FROM compliance GROUP BY borough_id)"
        " SELECT json_group_array(json(j)) FROM (SELECT json_object('id', b.id, 'name', b.name,"
        "  'slug', b.slug, 'learners', coalesce(lu.n, 0), 'anonymised', coalesce(lu.anon, 0),"
        "  'required', coalesce(co.required, 0), 'in_date', coalesce(co.in_date, 0),"
        "  'expired', coalesce(co.expired, 0), 'overdue', coalesce(co.overdue, 0),"
        "  'not_yet_due', coalesce(co.required - co.in_date - co.expired - co.overdue, 0),"
        "  'completed_12_months', coalesce(co.completed_recently, 0),"
        "  'learners_overdue', coalesce(co.learners_overdue, 0)) AS j"
        "  FROM boroughs b LEFT JOIN lu ON lu.borough_id = b.id"
        "  LEFT JOIN co ON co.borough_id = b.id ORDER BY b.name, b.id)");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, since, -1, SQLITE_STATIC);
    json_t *rows;
    int r = json_result(st, "[]", &rows);
    if (r)
        return r;
    static const char *const keys[] = { "learners", "anonymised", "required", "in_date",
                                        "expired", "overdue", "not_yet_due",
                                        "completed_12_months", "learners_overdue" };
    json_t *tot = json_object();
    size_t i;
    json_t *b;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        json_object_set_new(tot, keys[k], json_integer(0));
    json_array_foreach(rows, i, b) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            json_object_set_new(tot, keys[k], json_integer(
                json_integer_value(json_object_get(tot, keys[k])) +
                json_integer_value(json_object_get(b, keys[k]))));
    }
    json_t *out = json_pack("{ss ss so so}", "today", today, "since", since, "boroughs", rows,
                            "totals", tot);
    if (!out)
        return -ENOMEM;
    *ret = out;
    return 0;
}

/* ---- retention and anonymising ---- */

int store_borough_retention_set(int64_t borough_id, int months)
{
    sqlite3_stmt *st = db_stmt("UPDATE boroughs SET retention_months = ?2 WHERE id = ?1");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, borough_id);
    if (months > 0)
        sqlite3_bind_int(st, 2, months);
    else
        sqlite3_bind_null(st, 2);
    int r = db_exec_stmt(st);
    if (r)
        return r;
    return sqlite3_changes(db_conn()) ? 0 : -ENOENT;
}

int store_retention_boroughs_json(json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT json_group_array(json(j)) FROM (SELECT json_object('id', id, 'name', name,"
        " 'slug', slug, 'retention_months', retention_months) AS j FROM boroughs"
        " ORDER BY name, id)");
    return json_result(st, "[]", ret);
}

int store_retention_candidates(int64_t borough_id, const char *cutoff, int64_t after_id,
                               int64_t *ret_ids, size_t max, size_t *ret_n)
{
    /* Text times compare in order: "2025-01-31T..." < "2025-02-01". */
    sqlite3_stmt *st = db_stmt(
        "SELECT u.id FROM users u WHERE u.borough_id = ?1 AND u.role = 'learner'"
        " AND u.anonymised_at IS NULL AND u.id > ?3 AND u.created_at < ?2"
        " AND NOT EXISTS (SELECT 1 FROM registrations WHERE user_id = u.id"
        "  AND (created_at >= ?2 OR last_visit >= ?2))"
        " AND NOT EXISTS (SELECT 1 FROM learner_records WHERE user_id = u.id AND completed_at >= ?2)"
        " AND NOT EXISTS (SELECT 1 FROM bookings WHERE user_id = u.id AND updated_at >= ?2)"
        " AND NOT EXISTS (SELECT 1 FROM attendance WHERE user_id = u.id AND marked_at >= ?2)"
        " AND NOT EXISTS (SELECT 1 FROM evidence WHERE user_id = u.id"
        "  AND (created_at >= ?2 OR completed_on >= ?2))"
        " AND NOT EXISTS (SELECT 1 FROM feedback WHERE user_id = u.id AND created_at >= ?2)"
        " AND NOT EXISTS (SELECT 1 FROM sessions WHERE user_id = u.id"
        "  AND datetime(expires_at, 'unixepoch') >= ?2)"
        " ORDER BY u.id LIMIT ?4");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, borough_id);
    sqlite3_bind_text(st, 2, cutoff, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, after_id);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max)
        ret_ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return db_fail("retention candidates");
    *ret_n = n;
    return 0;
}

int store_dp_begin(void) { return db_begin(); }
int store_dp_commit(void) { return db_commit(); }
void store_dp_rollback(void) { db_rollback(); }

static int exec_uid(const char *sql, int64_t uid)
{
    sqlite3_stmt *st = db_stmt(sql);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, uid);
    return db_exec_stmt(st);
}

int store_dp_anonymise_tx(int64_t uid, const char *reason, const char *now, int64_t *ret_kept)
{
    sqlite3_stmt *st = db_stmt("SELECT role, anonymised_at IS NOT NULL FROM users WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, uid);
    int rc = sqlite3_step(st);
    bool learner = rc == SQLITE_ROW &&
                   strcmp((const char *)sqlite3_column_text(st, 0), "learner") == 0;
    bool done = rc == SQLITE_ROW && sqlite3_column_int(st, 1);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail("anonymise read");
    if (!learner)
        return -ENOENT;
    if (done)
        return -EALREADY;
    st = db_stmt(
        "UPDATE users SET name = 'Anonymised learner #' || id,"
        " email = 'anonymised-' || id || '@anonymised.invalid', password_hash = '',"
        " anonymised_at = ?2, anonymised_reason = ?3 WHERE id = ?1");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, uid);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    static const char *const clear[] = {
        "DELETE FROM sessions WHERE user_id = ?1",
        "DELETE FROM outbox WHERE user_id = ?1",
        "UPDATE feedback SET comments = '' WHERE user_id = ?1 AND comments <> ''",
        "UPDATE evidence SET note = '' WHERE user_id = ?1 AND note <> ''",
        "UPDATE charges SET note = '' WHERE user_id = ?1 AND note <> ''",
        "UPDATE bookings SET reason = NULL WHERE user_id = ?1 AND reason IS NOT NULL",
        "UPDATE sco_attempts SET cmi = json_remove(cmi, '$.cmi.comments',"
        " '$.cmi.comments_from_learner') WHERE registration_id IN"
        " (SELECT id FROM registrations WHERE user_id = ?1) AND json_valid(cmi)",
    };
    for (size_t i = 0; !r && i < sizeof clear / sizeof clear[0]; i++)
        r = exec_uid(clear[i], uid);
    if (r)
        return r;
    st = db_stmt("SELECT (SELECT count(*) FROM learner_records WHERE user_id = ?1)"
                 " + (SELECT count(*) FROM attendance WHERE user_id = ?1)"
                 " + (SELECT count(*) FROM evidence WHERE user_id = ?1)");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, uid);
    int64_t kept = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (ret_kept)
        *ret_kept = kept;
    return 0;
}

int store_user_anonymised(int64_t uid, bool *ret)
{
    sqlite3_stmt *st = db_stmt("SELECT anonymised_at IS NOT NULL FROM users WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, uid);
    int rc = sqlite3_step(st);
    bool yes = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail("anonymised read");
    *ret = yes;
    return 0;
}

/* ---- a learner's own data ---- */

static const struct { const char *key, *sql; } export_parts[] = {
    { "account",
      "SELECT json_object('id', u.id, 'name', u.name, 'email', u.email, 'role', u.role,"
      " 'job_role', u.job_role, 'borough', b.name, 'organisation', o.name,"
      " 'created_at', u.created_at, 'anonymised_at', u.anonymised_at)"
      " FROM users u LEFT JOIN boroughs b ON b.id = u.borough_id"
      " LEFT JOIN organisations o ON o.id = u.organisation_id WHERE u.id = ?1" },
    { "registrations",
      "SELECT json_group_array(json_object('package', p.identifier, 'title', (SELECT title"
      " FROM package_versions WHERE id = (SELECT max(id) FROM package_versions"
      " WHERE package_id = p.id)), 'started_at', g.created_at, 'last_visit', g.last_visit,"
      " 'completion_status', g.completion_status, 'success_status', g.success_status,"
      " 'score_scaled', g.score_scaled, 'total_time_seconds', g.total_time_cs / 100,"
      " 'attempts', (SELECT count(*) FROM sco_attempts WHERE registration_id = g.id)))"
      " FROM registrations g JOIN packages p ON p.id = g.package_id WHERE g.user_id = ?1" },
    { "records",
      "SELECT json_group_array(json_object('kind', kind, 'item_ref', item_ref, 'title', title,"
      " 'completed_at', completed_at, 'status', status, 'score', score,"
      " 'time_spent_seconds', time_spent_s)) FROM learner_records WHERE user_id = ?1" },
    { "bookings",
      "SELECT json_group_array(json_object('id', bk.id, 'session_id', bk.session_id,"
      " 'course', c.title, 'starts_at', s.first_start, 'venue', s.venue_name, 'status',"
      " bk.status, 'reason', bk.reason, 'created_at', bk.created_at, 'updated_at',"
      " bk.updated_at)) FROM bookings bk JOIN course_sessions s ON s.id = bk.session_id"
      " JOIN courses c ON c.id = s.course_id WHERE bk.user_id = ?1" },
    { "attendance",
      "SELECT json_group_array(json_object('session_id', a.session_id, 'course', c.title,"
      " 'date', d.starts_at, 'status', a.status, 'hours', a.hours, 'marked_at', a.marked_at))"
      " FROM attendance a JOIN session_dates d ON d.id = a.date_id"
      " JOIN course_sessions s ON s.id = a.session_id JOIN courses c ON c.id = s.course_id"
      " WHERE a.user_id = ?1" },
    { "feedback",
      "SELECT json_group_array(json_object('about', coalesce(c.title, (SELECT title FROM"
      " package_versions WHERE package_id = f.package_id ORDER BY version DESC LIMIT 1)),"
      " 'session_id', f.session_id, 'usefulness', f.usefulness, 'confidence_before',"
      " f.confidence_before, 'confidence_after', f.confidence_after, 'comments', f.comments,"
      " 'created_at', f.created_at)) FROM feedback f LEFT JOIN course_sessions s"
      " ON s.id = f.session_id LEFT JOIN courses c ON c.id = s.course_id WHERE f.user_id = ?1" },
    { "evidence",
      "SELECT json_group_array(json_object('kind', kind, 'title', title, 'provider', provider,"
      " 'group', grp, 'level', level, 'hours', hours, 'completed_on', completed_on, 'note', note,"
      " 'source', source, 'created_at', created_at)) FROM evidence WHERE user_id = ?1" },
    { "certificates",
      "SELECT json_group_array(json_object('code', code, 'title', title, 'issued_at', issued_at,"
      " 'revoked_at', revoked_at)) FROM certificates WHERE user_id = ?1" },
    { "charges",
      "SELECT json_group_array(json_object('session_id', session_id, 'reason', reason,"
      " 'amount_pence', amount_pence, 'status', status, 'created_at', created_at))"
      " FROM charges WHERE user_id = ?1" },
    { "messages",
      "SELECT json_group_array(json_object('to', to_addr, 'kind', kind, 'subject', subject,"
      " 'body', body, 'status', status, 'created_at', created_at, 'sent_at', sent_at))"
      " FROM outbox WHERE user_id = ?1" },
    { "required",
      "SELECT json_group_array(json_object('item', item_id, 'title', title, 'group', grp,"
      " 'level', level, 'due', due, 'completed_at', completed_at, 'expires', expires))"
      " FROM compliance WHERE user_id = ?1" },
};

int store_learner_export_json(int64_t uid, json_t **ret)
{
    json_t *out = json_object();
    if (!out)
        return -ENOMEM;
    for (size_t i = 0; i < sizeof export_parts / sizeof export_parts[0]; i++) {
        sqlite3_stmt *st = db_stmt(export_parts[i].sql);
        if (!st) {
            json_decref(out);
            return -EIO;
        }
        sqlite3_bind_int64(st, 1, uid);
        json_t *part;
        int r = json_result(st, i == 0 ? "null" : "[]", &part);
        if (r) {
            json_decref(out);
            return r;
        }
        if (i == 0 && json_is_null(part)) {
            json_decref(part);
            json_decref(out);
            return -ENOENT;
        }
        json_object_set_new(out, export_parts[i].key, part);
    }
    *ret = out;
    return 0;
}
