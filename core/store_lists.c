/* store_lists.c: officers' lists of learners and of record entries, their
 * CSV cursors, and question analytics (store_lists.h).
 *
 * Each list is ONE statement per sort order (the filters are bound
 * parameters, unused ones NULL or 0), so the JSON page and the CSV export
 * run the very same SQL: a page binds LIMIT/OFFSET, an export LIMIT -1.
 * Borough scope is "borough_id BETWEEN ?1 AND ?2" (b..b for an officer,
 * 0..max for an admin), which keeps the users_borough index usable.
 *
 * The learner status comes from the compliance table (what the borough's
 * plugins require of each learner, with due, completed and expiry dates):
 *   overdue      some item expired (expires <= today) or past due undone
 *   expiring     else some item expires within its expiring_days
 *   not_started  else nothing required is done yet
 *   in_progress  else some required items are still to do (not yet due)
 *   compliant    every required item done and in date
 *   none         nothing required (no plugin, or no rows computed yet)
 * These are the states of docs/API.md "Required", reduced to one word.
 *
 * Record entries come from RECORD_ENTRIES (store_record_sql.h), the same
 * SQL as the learner's own record. */
#include "store_lists.h"
#include "store_db.h"
#include "store_record_sql.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- learners ---- */

#define ITEM_OVERDUE(C) \
    "(CASE WHEN (" C ".completed_at IS NOT NULL AND " C ".expires <= date('now'))" \
    " OR (" C ".completed_at IS NULL AND " C ".due < date('now')) THEN 1 ELSE 0 END)"
#define ITEM_EXPIRING(C) \
    "(CASE WHEN " C ".completed_at IS NOT NULL AND " C ".expires > date('now')" \
    " AND " C ".expires <= date('now', '+' || " C ".expiring_days || ' days') THEN 1 ELSE 0 END)"
#define ITEM_IN_DATE(C) \
    "(CASE WHEN " C ".completed_at IS NOT NULL AND (" C ".expires IS NULL" \
    " OR " C ".expires > date('now')) THEN 1 ELSE 0 END)"

#define LEARNER_STATUS(U) \
    "(SELECT CASE WHEN COUNT(*) = 0 THEN 'none'" \
    " WHEN SUM(" ITEM_OVERDUE("c") ") > 0 THEN 'overdue'" \
    " WHEN SUM(" ITEM_EXPIRING("c") ") > 0 THEN 'expiring'" \
    " WHEN COUNT(c.completed_at) = 0 THEN 'not_started'" \
    " WHEN COUNT(c.completed_at) < COUNT(*) THEN 'in_progress'" \
    " ELSE 'compliant' END FROM compliance c WHERE c.user_id = " U ")"

#define STATUS_RANK(S) \
    "(CASE " S " WHEN 'overdue' THEN 0 WHEN 'expiring' THEN 1 WHEN 'not_started' THEN 2" \
    " WHEN 'in_progress' THEN 3 WHEN 'compliant' THEN 4 ELSE 5 END)"

/* The latest thing the learner did: a visit to a module, a record, an
 * attendance date, a piece of evidence. NULL when nothing. */
#define LAST_ACTIVITY(U) \
    "nullif(max(" \
    "coalesce((SELECT MAX(r.last_visit) FROM registrations r WHERE r.user_id = " U "), '')," \
    "coalesce((SELECT MAX(lr.completed_at) FROM learner_records lr WHERE lr.user_id = " U "), '')," \
    "coalesce((SELECT MAX(d.starts_at) FROM attendance a JOIN session_dates d ON d.id = a.date_id" \
    " WHERE a.user_id = " U "), '')," \
    "coalesce((SELECT MAX(e.completed_on) FROM evidence e WHERE e.user_id = " U "), '')), '')"

/* Dates (YYYY-MM-DD) of what the learner completed. */
#define COMPLETION_DATES(U) \
    "SELECT substr(lr.completed_at, 1, 10) AS d FROM learner_records lr" \
    " WHERE lr.user_id = " U " AND lr.status <> 'failed'" \
    " UNION ALL SELECT substr(sd.starts_at, 1, 10) FROM attendance a" \
    " JOIN session_dates sd ON sd.id = a.date_id" \
    " WHERE a.user_id = " U " AND a.status IN ('attended', 'partly_attended')" \
    " UNION ALL SELECT e.completed_on FROM evidence e WHERE e.user_id = " U

#define LEARNERS_WHERE \
    " FROM users u LEFT JOIN organisations o ON o.id = u.organisation_id" \
    " WHERE u.role = 'learner' AND u.borough_id BETWEEN ?1 AND ?2" \
    " AND (?3 IS NULL OR u.name LIKE ?3 ESCAPE '\\' OR u.email LIKE ?3 ESCAPE '\\')" \
    " AND (?4 = 0 OR u.organisation_id = ?4)" \
    " AND (?5 IS NULL OR u.job_role = ?5 COLLATE NOCASE)" \
    " AND (?6 IS NULL OR EXISTS (SELECT 1 FROM compliance c WHERE c.user_id = u.id" \
    "  AND c.grp = ?6))" \
    " AND (?7 = 0 OR EXISTS (SELECT 1 FROM registrations r WHERE r.user_id = u.id" \
    "  AND r.package_id = ?7) OR EXISTS (SELECT 1 FROM learner_records lr" \
    "  JOIN packages p ON p.identifier = lr.item_ref WHERE lr.user_id = u.id AND p.id = ?7))" \
    " AND (?8 = 0 OR EXISTS (SELECT 1 FROM bookings b JOIN course_sessions s" \
    "  ON s.id = b.session_id WHERE b.user_id = u.id AND s.course_id = ?8" \
    "  AND b.status <> 'cancelled') OR EXISTS (SELECT 1 FROM attendance a" \
    "  JOIN course_sessions s ON s.id = a.session_id WHERE a.user_id = u.id" \
    "  AND s.course_id = ?8))" \
    " AND (?9 IS NULL OR substr(u.created_at, 1, 10) >= ?9)" \
    " AND (?10 IS NULL OR substr(u.created_at, 1, 10) <= ?10)" \
    " AND ((?11 IS NULL AND ?12 IS NULL) OR EXISTS (SELECT 1 FROM (" \
    COMPLETION_DATES("u.id") ") x WHERE x.d BETWEEN coalesce(?11, '0000') AND" \
    " coalesce(?12, '9999')))" \
    " AND (?13 IS NULL OR " LEARNER_STATUS("u.id") " = ?13)"

/* Sort keys: computed once per matching learner as columns k1, k2 of the
 * page's inner query, which sorts on them and keeps one page of ids; the
 * outer query sorts those few rows again on the stored values (no
 * recomputation) and reads their columns. Every order ends with the id, so
 * it is total: pages neither repeat nor skip a row. P is "" inside,
 * "page." outside. */
#define K_NAME "u.name AS k1, NULL AS k2"
#define O_NAME(P, D) P "k1 COLLATE NOCASE" D ", " P "id" D
#define K_ORG "coalesce(o.name, '') AS k1, u.name AS k2"
#define O_ORG(P, D) P "k1 COLLATE NOCASE" D ", " P "k2 COLLATE NOCASE" D ", " P "id" D
#define K_STATUS STATUS_RANK(LEARNER_STATUS("u.id")) " AS k1, u.name AS k2"
#define O_STATUS(P, D) P "k1" D ", " P "k2 COLLATE NOCASE" D ", " P "id" D
#define K_ACT LAST_ACTIVITY("u.id") " AS k1, NULL AS k2"
#define O_ACT(P, D) P "k1" D ", " P "id" D

/* The page (or the whole list, LIMIT -1). Columns: 0 id, 1 name, 2 email,
 * 3 organisation, 4 job_role, 5 status, 6 required, 7 in_date,
 * 8 registered_at, 9 last_activity, 10 organisation_id. */
#define LEARNERS_PAGE(KEYS, ORDER, D) \
    "WITH page AS (SELECT u.id AS id, " KEYS LEARNERS_WHERE \
    " ORDER BY " ORDER("", D) " LIMIT ?14 OFFSET ?15)" \
    " SELECT u.id, u.name, u.email, o.name, u.job_role, " LEARNER_STATUS("u.id") "," \
    " (SELECT COUNT(*) FROM compliance c WHERE c.user_id = u.id)," \
    " (SELECT coalesce(SUM(" ITEM_IN_DATE("c") "), 0) FROM compliance c WHERE c.user_id = u.id)," \
    " u.created_at, " LAST_ACTIVITY("u.id") ", u.organisation_id" \
    " FROM page JOIN users u ON u.id = page.id" \
    " LEFT JOIN organisations o ON o.id = u.organisation_id ORDER BY " ORDER("page.", D)

static const char *const learners_sql[LEARNERS_SORTS][2] = {
    { LEARNERS_PAGE(K_NAME, O_NAME, ""), LEARNERS_PAGE(K_NAME, O_NAME, " DESC") },
    { LEARNERS_PAGE(K_ORG, O_ORG, ""), LEARNERS_PAGE(K_ORG, O_ORG, " DESC") },
    { LEARNERS_PAGE(K_STATUS, O_STATUS, ""), LEARNERS_PAGE(K_STATUS, O_STATUS, " DESC") },
    { LEARNERS_PAGE(K_ACT, O_ACT, ""), LEARNERS_PAGE(K_ACT, O_ACT, " DESC") },
};

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_borough(sqlite3_stmt *st, int64_t borough_id)
{
    sqlite3_bind_int64(st, 1, borough_id ? borough_id : 0);
    sqlite3_bind_int64(st, 2, borough_id ? borough_id : INT64_MAX);
}

/* Binds ?1..?13 (and ?14, ?15 when paged). */
static void learners_bind(sqlite3_stmt *st, const learner_query *q, bool paged)
{
    bind_borough(st, q->borough_id);
    bind_text_or_null(st, 3, q->q);
    sqlite3_bind_int64(st, 4, q->organisation_id);
    bind_text_or_null(st, 5, q->job_role);
    bind_text_or_null(st, 6, q->group);
    sqlite3_bind_int64(st, 7, q->package_id);
    sqlite3_bind_int64(st, 8, q->course_id);
    bind_text_or_null(st, 9, q->registered_from);
    bind_text_or_null(st, 10, q->registered_to);
    bind_text_or_null(st, 11, q->completed_from);
    bind_text_or_null(st, 12, q->completed_to);
    bind_text_or_null(st, 13, q->status);
    if (paged) {
        sqlite3_bind_int64(st, 14, q->limit);
        sqlite3_bind_int64(st, 15, q->offset);
    }
}

static int count_rows(sqlite3_stmt *st, int64_t *ret)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *ret = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : db_fail("list count");
}

static bool sort_ok(int sort, int n)
{
    return sort >= 0 && sort < n;
}

int store_learners_page(const learner_query *q, json_t **ret_rows, int64_t *ret_total)
{
    if (!sort_ok((int)q->sort, LEARNERS_SORTS))
        return -EINVAL;
    sqlite3_stmt *cnt = db_stmt("SELECT COUNT(*)" LEARNERS_WHERE);
    if (!cnt)
        return -EIO;
    learners_bind(cnt, q, false);
    int64_t total = 0;
    if (count_rows(cnt, &total))
        return -EIO;
    sqlite3_stmt *st = db_stmt(learners_sql[q->sort][q->desc]);
    if (!st)
        return -EIO;
    learners_bind(st, q, true);
    json_t *rows = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *org_id = sqlite3_column_type(st, 10) == SQLITE_NULL ? json_null()
            : json_integer(sqlite3_column_int64(st, 10));
        json_array_append_new(rows, json_pack("{sI ss ss so so ss ss sI sI ss so}",
            "id", (json_int_t)sqlite3_column_int64(st, 0), "name", db_str(st, 1),
            "email", db_str(st, 2), "organisation", db_json_text(st, 3),
            "organisation_id", org_id, "job_role", db_str(st, 4), "status", db_str(st, 5),
            "required", (json_int_t)sqlite3_column_int64(st, 6),
            "in_date", (json_int_t)sqlite3_column_int64(st, 7),
            "registered_at", db_str(st, 8), "last_activity", db_json_text(st, 9)));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(rows);
        return db_fail("learners list");
    }
    *ret_rows = rows;
    *ret_total = total;
    return 0;
}

/* ---- record entries ---- */

#define RECORDS_USERS \
    "(SELECT id FROM users WHERE role = 'learner' AND borough_id BETWEEN ?1 AND ?2)"

/* ENTRIES: RECORD_ENTRIES or RECORD_ENTRIES_KEYS (store_record_sql.h). */
#define RECORDS_WHERE(ENTRIES) \
    " FROM (" ENTRIES(RECORDS_USERS) ") r" \
    " JOIN users u ON u.id = r.user_id LEFT JOIN organisations o ON o.id = u.organisation_id" \
    " WHERE (?3 IS NULL OR r.kind = ?3) AND (?4 IS NULL OR r.status = ?4)" \
    " AND (?5 = 0 OR u.organisation_id = ?5) AND (?6 IS NULL OR r.grp = ?6)" \
    " AND (?7 IS NULL OR r.title LIKE ?7 ESCAPE '\\')" \
    " AND (?8 IS NULL OR substr(r.date, 1, 10) >= ?8)" \
    " AND (?9 IS NULL OR substr(r.date, 1, 10) <= ?9)" \
    " AND (?10 = 0 OR r.user_id = ?10)" \
    " AND (?11 IS NULL OR u.name LIKE ?11 ESCAPE '\\' OR u.email LIKE ?11 ESCAPE '\\')"

/* Sort keys as columns k1..k3 (see the learners' list); every order ends
 * with kind and entry_id, unique together. */
#define RK_DATE "r.date AS k1, NULL AS k2, NULL AS k3"
#define RO_DATE(P, D) P "k1" D ", " P "kind" D ", " P "entry_id" D
#define RK_LEARNER "u.name AS k1, u.id AS k2, r.date AS k3"
#define RO_LEARNER(P, D) P "k1 COLLATE NOCASE" D ", " P "k2" D ", " P "k3" D ", " P "kind" D \
    ", " P "entry_id" D
#define RK_TITLE "r.title AS k1, r.date AS k2, NULL AS k3"
#define RO_TITLE(P, D) P "k1 COLLATE NOCASE" D ", " P "k2" D ", " P "kind" D ", " P "entry_id" D
#define RK_KIND "r.date AS k1, NULL AS k2, NULL AS k3"
#define RO_KIND(P, D) P "kind" D ", " P "k1" D ", " P "entry_id" D
#define RK_STATUS "r.status AS k1, r.date AS k2, NULL AS k3"
#define RO_STATUS(P, D) P "k1" D ", " P "k2" D ", " P "kind" D ", " P "entry_id" D

/* Columns: 0 date, 1 kind, 2 title, 3 group, 4 level, 5 hours, 6 status,
 * 7 flagged, 8 score, 9 entry_id, 10 session_id, 11 package_id,
 * 12 certificate code, 13 learner id, 14 name, 15 email, 16 organisation,
 * 17 evidence kind, 18 provider (then the sort keys). */
#define RECORDS_COLS \
    "SELECT r.date, r.kind AS kind, r.title, r.grp, r.level, r.hours, r.status, r.flagged," \
    " r.score, r.entry_id AS entry_id, r.session_id, r.package_id, r.cert_code, u.id, u.name," \
    " u.email, o.name, r.evidence_kind, r.provider"

/* A page: the matching entries are counted, filtered and sorted without the
 * columns that cost a lookup per entry (RECORD_ENTRIES_KEYS); then only the
 * entries of the page's learners are read whole, and joined to the page. */
#define RECORDS_PAGE(KEYS, ORDER, D) \
    "WITH page AS (SELECT r.kind AS kind, r.entry_id AS entry_id, r.user_id AS uid, " KEYS \
    RECORDS_WHERE(RECORD_ENTRIES_KEYS) " ORDER BY " ORDER("", D) " LIMIT ?12 OFFSET ?13)" \
    RECORDS_COLS " FROM page JOIN (" RECORD_ENTRIES("(SELECT uid FROM page)") ") r" \
    "  ON r.kind = page.kind AND r.entry_id = page.entry_id" \
    " JOIN users u ON u.id = r.user_id LEFT JOIN organisations o ON o.id = u.organisation_id" \
    " ORDER BY " ORDER("page.", D)

/* An export: one pass over every matching entry, sorted as the pages are
 * (the sorter spills to a file: store_records_open). */
#define RECORDS_ALL(KEYS, ORDER, D) \
    RECORDS_COLS ", " KEYS RECORDS_WHERE(RECORD_ENTRIES) " ORDER BY " ORDER("", D)

#define RECORDS_BOTH(K, O) \
    { { RECORDS_PAGE(K, O, ""), RECORDS_PAGE(K, O, " DESC") }, \
      { RECORDS_ALL(K, O, ""), RECORDS_ALL(K, O, " DESC") } }

/* [sort][0: page, 1: export][desc] */
static const char *const records_sql[RECORDS_SORTS][2][2] = {
    RECORDS_BOTH(RK_DATE, RO_DATE),
    RECORDS_BOTH(RK_LEARNER, RO_LEARNER),
    RECORDS_BOTH(RK_TITLE, RO_TITLE),
    RECORDS_BOTH(RK_KIND, RO_KIND),
    RECORDS_BOTH(RK_STATUS, RO_STATUS),
};

static void records_bind(sqlite3_stmt *st, const record_query *q, bool paged)
{
    bind_borough(st, q->borough_id);
    bind_text_or_null(st, 3, q->kind);
    bind_text_or_null(st, 4, q->status);
    sqlite3_bind_int64(st, 5, q->organisation_id);
    bind_text_or_null(st, 6, q->group);
    bind_text_or_null(st, 7, q->title);
    bind_text_or_null(st, 8, q->from);
    bind_text_or_null(st, 9, q->to);
    sqlite3_bind_int64(st, 10, q->learner_id);
    bind_text_or_null(st, 11, q->q);
    if (paged) {
        sqlite3_bind_int64(st, 12, q->limit);
        sqlite3_bind_int64(st, 13, q->offset);
    }
}

static json_t *int_or_null(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null()
        : json_integer(sqlite3_column_int64(st, i));
}

int store_records_page(const record_query *q, json_t **ret_rows, int64_t *ret_total)
{
    if (!sort_ok((int)q->sort, RECORDS_SORTS))
        return -EINVAL;
    sqlite3_stmt *cnt = db_stmt("SELECT COUNT(*)" RECORDS_WHERE(RECORD_ENTRIES_KEYS));
    if (!cnt)
        return -EIO;
    records_bind(cnt, q, false);
    int64_t total = 0;
    if (count_rows(cnt, &total))
        return -EIO;
    sqlite3_stmt *st = db_stmt(records_sql[q->sort][0][q->desc]);
    if (!st)
        return -EIO;
    records_bind(st, q, true);
    json_t *rows = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int level = sqlite3_column_int(st, 4);
        json_t *o = json_pack("{ss ss ss so so sf ss sb sI so so}",
            "date", db_str(st, 0), "kind", db_str(st, 1), "title", db_str(st, 2),
            "group", db_json_text(st, 3), "level", level > 0 ? json_integer(level) : json_null(),
            "hours", sqlite3_column_double(st, 5), "status", db_str(st, 6),
            "flagged", sqlite3_column_int(st, 7) != 0,
            "entry_id", (json_int_t)sqlite3_column_int64(st, 9),
            "session_id", int_or_null(st, 10), "package_id", int_or_null(st, 11));
        if (!o)
            continue;
        char id[48];
        snprintf(id, sizeof id, "%s-%lld", db_str(st, 1), (long long)sqlite3_column_int64(st, 9));
        json_object_set_new(o, "id", json_string(id));
        json_object_set_new(o, "score", sqlite3_column_type(st, 8) == SQLITE_NULL ? json_null()
                            : json_real(sqlite3_column_double(st, 8)));
        json_object_set_new(o, "certificate", db_json_text(st, 12));
        json_object_set_new(o, "evidence_kind", db_json_text(st, 17));
        json_object_set_new(o, "provider", db_json_text(st, 18));
        json_object_set_new(o, "learner", json_pack("{sI ss ss so}",
            "id", (json_int_t)sqlite3_column_int64(st, 13), "name", db_str(st, 14),
            "email", db_str(st, 15), "organisation", db_json_text(st, 16)));
        json_array_append_new(rows, o);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(rows);
        return db_fail("records list");
    }
    *ret_rows = rows;
    *ret_total = total;
    return 0;
}

/* ---- row cursors ---- */

enum { ROWS_MAX_COLS = 32 };

struct store_rows {
    sqlite3 *db;                    /* owned: a private connection */
    sqlite3_stmt *st;               /* owned */
    const char *cols[ROWS_MAX_COLS];
};

void store_rows_free(store_rows *rs)
{
    if (!rs)
        return;
    sqlite3_finalize(rs->st);
    sqlite3_close(rs->db);
    free(rs);
}

static int rows_open(const char *sql, store_rows **ret, sqlite3_stmt **ret_st)
{
    store_rows *rs = calloc(1, sizeof *rs);
    if (!rs)
        return -ENOMEM;
    if (db_open_private(&rs->db)) {
        free(rs);
        return -EIO;
    }
    /* An export sorts every row it sends: let the sorter spill to a
     * temporary file past a small cache instead of keeping it all in
     * memory (the per-thread connections keep temp_store = MEMORY). */
    sqlite3_exec(rs->db, "PRAGMA temp_store = FILE; PRAGMA cache_size = -2048;",
                 NULL, NULL, NULL);
    if (sqlite3_prepare_v2(rs->db, sql, -1, &rs->st, NULL) != SQLITE_OK ||
        sqlite3_column_count(rs->st) > ROWS_MAX_COLS) {
        sqlite3_finalize(rs->st);
        rs->st = NULL;
        store_rows_free(rs);
        return db_fail("export prepare");
    }
    *ret = rs;
    *ret_st = rs->st;
    return 0;
}

int store_learners_open(const learner_query *q, store_rows **ret)
{
    if (!sort_ok((int)q->sort, LEARNERS_SORTS))
        return -EINVAL;
    sqlite3_stmt *st;
    int r = rows_open(learners_sql[q->sort][q->desc], ret, &st);
    if (r == 0) {
        learners_bind(st, q, true);
        sqlite3_bind_int64(st, 14, -1);
        sqlite3_bind_int64(st, 15, 0);
    }
    return r;
}

int store_report_probe_learners(int64_t borough_id, json_t **ret)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT MIN(id) FROM users WHERE role = 'learner' AND borough_id IS NOT NULL"
        " AND (?1 = 0 OR borough_id = ?1) GROUP BY borough_id ORDER BY borough_id");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, borough_id);
    json_t *ids = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(ids, json_integer(sqlite3_column_int64(st, 0)));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(ids);
        return db_fail("report probe learners");
    }
    *ret = ids;
    return 0;
}

int store_records_open(const record_query *q, store_rows **ret)
{
    if (!sort_ok((int)q->sort, RECORDS_SORTS))
        return -EINVAL;
    sqlite3_stmt *st;
    int r = rows_open(records_sql[q->sort][1][q->desc], ret, &st);
    if (r == 0)
        records_bind(st, q, false);
    return r;
}

int store_rows_next(store_rows *rs, const char *const **ret_cols, int *ret_n)
{
    int rc = sqlite3_step(rs->st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW) {
        /* Not db_fail: that reads the thread's connection, not this one. */
        log_error("store", "export read failed: %s", sqlite3_errmsg(rs->db));
        return -EIO;
    }
    int n = sqlite3_column_count(rs->st);
    for (int i = 0; i < n; i++) {
        const unsigned char *t = sqlite3_column_text(rs->st, i);
        rs->cols[i] = t ? (const char *)t : "";
    }
    *ret_cols = rs->cols;
    *ret_n = n;
    return 1;
}

/* ---- question analytics ---- */

/* Every answered interaction of the package's attempts by learners in
 * scope, judged: 1 correct, 0 wrong, NULL neither (neutral,
 * unanticipated, a numeric result, or no result and no correct response
 * to compare with). Without a result, an answer equal to one of the
 * interaction's correct_responses patterns is correct. Then one answer per
 * learner and question (its first or latest: ?4 is 1 or -1), and per
 * question the counts, the correct pattern and the most common wrong
 * answer (ties: the alphabetically first). Questions are keyed by SCO and
 * interaction id (ids are per SCO) and come in module order: the SCO's
 * place in the manifest, then where the question first appears. */
static const char question_sql[] =
    "WITH ans AS ("
    " SELECT reg.user_id AS uid, a.sco AS sco, a.version_id AS vid, a.number AS att,"
    "  CAST(i.key AS INTEGER) AS idx,"
    "  json_extract(i.value, '$.id') AS qid,"
    "  json_extract(i.value, '$.type') AS type,"
    "  json_extract(i.value, '$.description') AS descr,"
    "  coalesce(json_extract(i.value, '$.learner_response'),"
    "   json_extract(i.value, '$.student_response'), '') AS resp,"
    "  coalesce(json_extract(i.value, '$.result'), '') AS res,"
    "  json_extract(i.value, '$.correct_responses') AS cr"
    " FROM registrations reg JOIN users u ON u.id = reg.user_id"
    " JOIN sco_attempts a ON a.registration_id = reg.id"
    " JOIN json_each(a.cmi, '$.cmi.interactions') i"
    " WHERE reg.package_id = ?1 AND u.role = 'learner' AND u.borough_id BETWEEN ?2 AND ?3"
    "  AND json_type(i.value) = 'object'),"
    " judged AS ("
    " SELECT *, CASE WHEN res = 'correct' THEN 1 WHEN res IN ('wrong', 'incorrect') THEN 0"
    "  WHEN res = '' AND EXISTS (SELECT 1 FROM json_each(cr)) THEN"
    "   EXISTS (SELECT 1 FROM json_each(cr) c WHERE json_extract(c.value, '$.pattern') = resp)"
    "  END AS ok"
    " FROM ans WHERE coalesce(qid, '') <> '' AND (resp <> '' OR res <> '')),"
    " picked AS ("
    " SELECT *, ROW_NUMBER() OVER (PARTITION BY uid, sco, qid"
    "  ORDER BY att * ?4, idx * ?4) AS rn FROM judged),"
    " one AS (SELECT * FROM picked WHERE rn = 1),"
    " wrong AS ("
    " SELECT sco, qid, resp, COUNT(*) AS n,"
    "  ROW_NUMBER() OVER (PARTITION BY sco, qid ORDER BY COUNT(*) DESC, resp) AS rk"
    " FROM one WHERE ok = 0 GROUP BY sco, qid, resp),"
    " q AS ("
    " SELECT sco, qid, MAX(vid) AS vid, MIN(idx) AS first_idx, MAX(type) AS type,"
    "  MAX(descr) AS descr, COUNT(*) AS answered, coalesce(SUM(ok = 1), 0) AS correct,"
    "  coalesce(SUM(ok = 0), 0) AS wrong,"
    "  MAX((SELECT json_extract(c.value, '$.pattern') FROM json_each(cr) c"
    "   ORDER BY CAST(c.key AS INTEGER) LIMIT 1)) AS pattern"
    " FROM one GROUP BY sco, qid)"
    " SELECT q.sco, (SELECT json_extract(s.value, '$.title') FROM package_versions pv,"
    "  json_each(pv.manifest, '$.scos') s WHERE pv.id = q.vid"
    "  AND json_extract(s.value, '$.id') = q.sco) AS sco_title,"
    " q.qid, q.type, q.descr, q.answered, q.correct, q.wrong, q.pattern, w.resp, w.n,"
    " (SELECT CAST(s.key AS INTEGER) FROM package_versions pv,"
    "  json_each(pv.manifest, '$.scos') s WHERE pv.id = q.vid"
    "  AND json_extract(s.value, '$.id') = q.sco) AS sco_pos"
    " FROM q LEFT JOIN wrong w ON w.sco = q.sco AND w.qid = q.qid AND w.rk = 1"
    " ORDER BY sco_pos IS NULL, sco_pos, q.sco, q.first_idx, q.qid";

int store_question_stats_json(int64_t package_id, int64_t borough_id, bool latest,
                              json_t **ret)
{
    sqlite3_stmt *st = db_stmt("SELECT 1 FROM packages WHERE id = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, package_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return -ENOENT;
    if (rc != SQLITE_ROW)
        return db_fail("question analytics");
    st = db_stmt("SELECT COUNT(DISTINCT reg.user_id) FROM registrations reg"
                 " JOIN users u ON u.id = reg.user_id"
                 " JOIN sco_attempts a ON a.registration_id = reg.id"
                 " WHERE reg.package_id = ?1 AND u.role = 'learner'"
                 "  AND u.borough_id BETWEEN ?2 AND ?3"
                 "  AND EXISTS (SELECT 1 FROM json_each(a.cmi, '$.cmi.interactions'))");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, package_id);
    sqlite3_bind_int64(st, 2, borough_id ? borough_id : 0);
    sqlite3_bind_int64(st, 3, borough_id ? borough_id : INT64_MAX);
    int64_t learners = 0;
    if (count_rows(st, &learners))
        return -EIO;
    st = db_stmt(question_sql);
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, package_id);
    sqlite3_bind_int64(st, 2, borough_id ? borough_id : 0);
    sqlite3_bind_int64(st, 3, borough_id ? borough_id : INT64_MAX);
    sqlite3_bind_int(st, 4, latest ? -1 : 1);
    json_t *list = json_array();
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t answered = sqlite3_column_int64(st, 5), correct = sqlite3_column_int64(st, 6);
        json_t *common = sqlite3_column_type(st, 9) == SQLITE_NULL ? json_null()
            : json_pack("{ss sI}", "response", db_str(st, 9),
                        "count", (json_int_t)sqlite3_column_int64(st, 10));
        double share = answered ? (double)correct / (double)answered : 0;
        json_array_append_new(list, json_pack("{s{ss so} ss so so sI sI sI so so so}",
            "sco", "id", db_str(st, 0), "title", db_json_text(st, 1),
            "id", db_str(st, 2), "type", db_json_text(st, 3), "description", db_json_text(st, 4),
            "answered", (json_int_t)answered, "correct", (json_int_t)correct,
            "wrong", (json_int_t)sqlite3_column_int64(st, 7),
            "share_correct", answered ? json_real((double)(int64_t)(share * 1000 + 0.5) / 1000)
                                      : json_null(),
            "correct_response", db_json_text(st, 8), "common_wrong", common));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_fail("question analytics");
    }
    *ret = json_pack("{sI so}", "learners", (json_int_t)learners, "questions", list);
    return 0;
}
