/* store_feedback.c: participant feedback and the officers' summaries
 * (store_feedback.h, docs/API.md "Feedback").
 *
 * Invariants:
 *  1. A learner is asked about a session once attendance says they attended
 *     or partly attended one of its dates, and about a module once their
 *     learner record for it is completed or passed; never about a no-show,
 *     a late cancellation or a failed module.
 *  2. One row per learner per session or module: the unique indexes of
 *     migration 4 decide, so two racing submissions cannot both land.
 *  3. Summaries carry counts, means, the usefulness distribution and the
 *     comments' text, never a user id, name or per-response row: officers
 *     cannot tell who said what.
 *  4. Scope: session feedback belongs to the borough hosting the session
 *     (whoever's learners attended); module feedback to the borough of the
 *     learner who gave it. */
#include "store_feedback.h"
#include "store_db.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static json_t *int_or_null(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null()
        : json_integer(sqlite3_column_int64(st, i));
}

static json_t *real_or_null(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null()
        : json_real(sqlite3_column_double(st, i));
}

static json_t *level_of(sqlite3_stmt *st, int i)
{
    int level = sqlite3_column_int(st, i);
    return level ? json_integer(level) : json_null();
}

/* ---- the learner's side ---- */

static int awaiting_sessions(int64_t user_id, json_t *list)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT s.id, c.id, c.title, c.aims, c.grp, c.level, TRIM(s.trainer), s.first_start,"
        "  (SELECT MAX(d.ends_at) FROM session_dates d WHERE d.session_id = s.id), b.name,"
        "  MAX(a.status = 'attended')"
        " FROM attendance a JOIN course_sessions s ON s.id = a.session_id"
        " JOIN courses c ON c.id = s.course_id JOIN boroughs b ON b.id = s.host_borough_id"
        " WHERE a.user_id = ?1 AND a.status IN ('attended', 'partly_attended')"
        "  AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.session_id = s.id AND f.user_id = ?1)"
        " GROUP BY s.id ORDER BY s.first_start DESC, s.id DESC");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_pack("{ss sI sI ss ss ss so ss ss ss ss ss}",
            "kind", "session", "session_id", (json_int_t)sqlite3_column_int64(st, 0),
            "course_id", (json_int_t)sqlite3_column_int64(st, 1),
            "title", db_str(st, 2), "aims", db_str(st, 3), "group", db_str(st, 4),
            "level", level_of(st, 5), "trainer", db_str(st, 6),
            "starts_at", db_str(st, 7), "ends_at", db_str(st, 8), "host_borough", db_str(st, 9),
            "status", sqlite3_column_int(st, 10) ? "attended" : "partly_attended");
        json_array_append_new(list, o);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail("feedback: sessions to evaluate");
}

static int awaiting_modules(int64_t user_id, json_t *list)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT p.id, v.title, lr.completed_at, lr.status FROM learner_records lr"
        " JOIN packages p ON p.identifier = lr.item_ref"
        " JOIN package_versions v ON v.package_id = p.id AND v.version = p.current_version"
        " WHERE lr.user_id = ?1 AND lr.kind = 'elearning' AND lr.status IN ('completed', 'passed')"
        "  AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.package_id = p.id AND f.user_id = ?1)"
        " ORDER BY lr.completed_at DESC, p.id DESC");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, json_pack("{ss sI ss ss ss ss}",
            "kind", "module", "package_id", (json_int_t)sqlite3_column_int64(st, 0),
            "title", db_str(st, 1), "aims", "", "completed_at", db_str(st, 2), "status", db_str(st, 3)));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail("feedback: modules to evaluate");
}

static int given(int64_t user_id, json_t *list)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT f.id, f.session_id, f.package_id, COALESCE(c.title, v.title, ''),"
        "  COALESCE(c.aims, ''), TRIM(COALESCE(s.trainer, '')), s.first_start,"
        "  f.usefulness, f.confidence_before, f.confidence_after, f.comments, f.created_at"
        " FROM feedback f LEFT JOIN course_sessions s ON s.id = f.session_id"
        " LEFT JOIN courses c ON c.id = s.course_id"
        " LEFT JOIN packages p ON p.id = f.package_id"
        " LEFT JOIN package_versions v ON v.package_id = p.id AND v.version = p.current_version"
        " WHERE f.user_id = ?1 ORDER BY f.created_at DESC, f.id DESC");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, user_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool session = sqlite3_column_type(st, 1) != SQLITE_NULL;
        json_t *o = json_pack("{sI ss ss ss si si si ss ss}",
            "id", (json_int_t)sqlite3_column_int64(st, 0),
            "kind", session ? "session" : "module",
            "title", db_str(st, 3), "aims", db_str(st, 4),
            "usefulness", sqlite3_column_int(st, 7),
            "confidence_before", sqlite3_column_int(st, 8),
            "confidence_after", sqlite3_column_int(st, 9),
            "comments", db_str(st, 10), "created_at", db_str(st, 11));
        if (o && session) {
            json_object_set_new(o, "session_id", int_or_null(st, 1));
            json_object_set_new(o, "trainer", json_string(db_str(st, 5)));
            json_object_set_new(o, "starts_at", json_string(db_str(st, 6)));
        } else if (o) {
            json_object_set_new(o, "package_id", int_or_null(st, 2));
        }
        json_array_append_new(list, o);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail("feedback: given");
}

int store_feedback_mine_json(int64_t user_id, json_t **ret)
{
    json_t *awaiting = json_array(), *done = json_array();
    int r = awaiting_sessions(user_id, awaiting);
    if (!r)
        r = awaiting_modules(user_id, awaiting);
    if (!r)
        r = given(user_id, done);
    if (r) {
        json_decref(awaiting);
        json_decref(done);
        return r;
    }
    *ret = json_pack("{so so}", "awaiting", awaiting, "given", done);
    return *ret ? 0 : -ENOMEM;
}

int store_feedback_check(int64_t user_id, int64_t session_id, int64_t package_id)
{
    sqlite3_stmt *st = session_id
        ? db_stmt("SELECT EXISTS (SELECT 1 FROM course_sessions WHERE id = ?1),"
                  " EXISTS (SELECT 1 FROM feedback WHERE session_id = ?1 AND user_id = ?2),"
                  " EXISTS (SELECT 1 FROM attendance WHERE session_id = ?1 AND user_id = ?2"
                  "  AND status IN ('attended', 'partly_attended'))")
        : db_stmt("SELECT EXISTS (SELECT 1 FROM packages WHERE id = ?1 AND current_version > 0),"
                  " EXISTS (SELECT 1 FROM feedback WHERE package_id = ?1 AND user_id = ?2),"
                  " EXISTS (SELECT 1 FROM learner_records lr JOIN packages p"
                  "  ON p.identifier = lr.item_ref WHERE p.id = ?1 AND lr.user_id = ?2"
                  "  AND lr.kind = 'elearning' AND lr.status IN ('completed', 'passed'))");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, session_id ? session_id : package_id);
    sqlite3_bind_int64(st, 2, user_id);
    int rc = sqlite3_step(st);
    int r = rc != SQLITE_ROW ? db_fail("feedback: check")
        : !sqlite3_column_int(st, 0) ? -ENOENT
        : sqlite3_column_int(st, 1) ? -EEXIST
        : !sqlite3_column_int(st, 2) ? -EACCES : 0;
    sqlite3_reset(st);
    return r;
}

int store_feedback_add(const cairn_feedback_new *f, int64_t *ret_id)
{
    char now[24];
    db_now_iso(now);
    sqlite3_stmt *st = db_stmt(
        "INSERT INTO feedback (user_id, session_id, package_id, usefulness, confidence_before,"
        " confidence_after, comments, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, f->user_id);
    if (f->session_id)
        sqlite3_bind_int64(st, 2, f->session_id);
    if (f->package_id)
        sqlite3_bind_int64(st, 3, f->package_id);
    sqlite3_bind_int(st, 4, f->usefulness);
    sqlite3_bind_int(st, 5, f->confidence_before);
    sqlite3_bind_int(st, 6, f->confidence_after);
    sqlite3_bind_text(st, 7, f->comments ? f->comments : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
    int r = db_exec_stmt(st);
    if (r == 0 && ret_id)
        *ret_id = sqlite3_last_insert_rowid(db_conn());
    return r;
}

/* ---- the officers' summaries ---- */

/* The figures every summary row carries, from column i on: the number
 * asked (attended or completed), responses, the four means, then the
 * usefulness counts 1..5. */
#define FIGURES(src) \
    "COUNT(*) AS n, ROUND(AVG(" src ".usefulness), 2) AS mu," \
    " ROUND(AVG(" src ".confidence_before), 2) AS mb, ROUND(AVG(" src ".confidence_after), 2) AS ma," \
    " ROUND(AVG(" src ".confidence_after - " src ".confidence_before), 2) AS mc," \
    " SUM(" src ".usefulness = 1) AS u1, SUM(" src ".usefulness = 2) AS u2," \
    " SUM(" src ".usefulness = 3) AS u3, SUM(" src ".usefulness = 4) AS u4," \
    " SUM(" src ".usefulness = 5) AS u5"

static void add_figures(json_t *o, sqlite3_stmt *st, int i, const char *asked_name)
{
    int64_t asked = sqlite3_column_int64(st, i), n = sqlite3_column_int64(st, i + 1);
    json_t *dist = json_array();
    for (int k = 0; k < 5; k++)
        json_array_append_new(dist, json_integer(sqlite3_column_int64(st, i + 6 + k)));
    json_object_set_new(o, asked_name, json_integer(asked));
    json_object_set_new(o, "responses", json_integer(n));
    /* the share of those asked who answered, to three places */
    json_object_set_new(o, "response_rate", asked > 0
        ? json_real((double)(int64_t)((double)n / (double)asked * 1000.0 + 0.5) / 1000.0)
        : json_null());
    json_object_set_new(o, "few_responses", json_boolean(n < 3));
    json_object_set_new(o, "usefulness", json_pack("{so so}",
        "mean", real_or_null(st, i + 2), "distribution", dist));
    json_object_set_new(o, "confidence_before", real_or_null(st, i + 3));
    json_object_set_new(o, "confidence_after", real_or_null(st, i + 4));
    json_object_set_new(o, "confidence_change", real_or_null(st, i + 5));
    json_object_set_new(o, "comments", json_array());
}

static const char *grouping_name(feedback_grouping by)
{
    switch (by) {
    case FEEDBACK_BY_SESSION: return "session";
    case FEEDBACK_BY_TRAINER: return "trainer";
    case FEEDBACK_BY_MODULE: return "module";
    default: return "course";
    }
}

/* The group key of a session row: its id, its course's id, or its trainer
 * (spaces trimmed, case folded, so "Jo Mills " and "jo mills" are one). */
#define SESSION_KEY(s) \
    "CASE ?4 WHEN 'session' THEN CAST(" s ".id AS TEXT) WHEN 'course' THEN CAST(" s ".course_id AS TEXT)" \
    " ELSE LOWER(TRIM(" s ".trainer)) END"
#define SESSION_SCOPE(s) \
    "(?1 = 0 OR " s ".host_borough_id = ?1) AND (?2 = 0 OR " s ".course_id = ?2)" \
    " AND (?3 = 0 OR " s ".id = ?3)"

static int session_groups(const cairn_feedback_query *q, json_t *list, json_t *by_key)
{
    sqlite3_stmt *st = db_stmt(
        "WITH ses AS (SELECT s.id, s.course_id, TRIM(s.trainer) AS trainer, s.first_start,"
        "   s.host_borough_id, " SESSION_KEY("s") " AS gk"
        "  FROM course_sessions s WHERE " SESSION_SCOPE("s") "),"
        " att AS (SELECT ses.gk, COUNT(DISTINCT a.session_id || ':' || a.user_id) AS n"
        "  FROM ses JOIN attendance a ON a.session_id = ses.id"
        "  WHERE a.status IN ('attended', 'partly_attended') GROUP BY ses.gk),"
        " fb AS (SELECT ses.gk, " FIGURES("f")
        "  FROM ses JOIN feedback f ON f.session_id = ses.id GROUP BY ses.gk)"
        " SELECT ses.gk, MIN(ses.id), MIN(ses.course_id), MIN(c.title), MIN(c.grp), MIN(c.level),"
        "  MIN(ses.first_start), MAX(ses.first_start), COUNT(*), MIN(ses.trainer), MIN(b.id),"
        "  MIN(b.name), COUNT(DISTINCT ses.course_id),"
        "  COALESCE(MAX(att.n), 0), COALESCE(MAX(fb.n), 0), MAX(fb.mu), MAX(fb.mb), MAX(fb.ma),"
        "  MAX(fb.mc), COALESCE(MAX(fb.u1), 0), COALESCE(MAX(fb.u2), 0), COALESCE(MAX(fb.u3), 0),"
        "  COALESCE(MAX(fb.u4), 0), COALESCE(MAX(fb.u5), 0)"
        " FROM ses JOIN courses c ON c.id = ses.course_id"
        " JOIN boroughs b ON b.id = ses.host_borough_id"
        " LEFT JOIN att ON att.gk = ses.gk LEFT JOIN fb ON fb.gk = ses.gk"
        " GROUP BY ses.gk"
        " HAVING COALESCE(MAX(att.n), 0) > 0 OR COALESCE(MAX(fb.n), 0) > 0"
        " ORDER BY CASE WHEN ?4 = 'session' THEN MIN(ses.first_start) END DESC,"
        "  CASE WHEN ?4 = 'trainer' THEN ses.gk END, MIN(c.title), ses.gk");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, q->borough_id);
    sqlite3_bind_int64(st, 2, q->course_id);
    sqlite3_bind_int64(st, 3, q->session_id);
    sqlite3_bind_text(st, 4, grouping_name(q->by), -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        json_t *course = json_pack("{sI ss ss so}", "id", (json_int_t)sqlite3_column_int64(st, 2),
            "title", db_str(st, 3), "group", db_str(st, 4), "level", level_of(st, 5));
        switch (q->by) {
        case FEEDBACK_BY_SESSION:
            json_object_set_new(o, "session", json_pack("{sI ss ss s{sI ss}}",
                "id", (json_int_t)sqlite3_column_int64(st, 1), "starts_at", db_str(st, 6),
                "trainer", db_str(st, 9), "host_borough", "id",
                (json_int_t)sqlite3_column_int64(st, 10), "name", db_str(st, 11)));
            json_object_set_new(o, "course", course);
            break;
        case FEEDBACK_BY_TRAINER:
            json_decref(course);
            json_object_set_new(o, "trainer", json_string(db_str(st, 9)));
            json_object_set_new(o, "sessions", json_integer(sqlite3_column_int64(st, 8)));
            json_object_set_new(o, "courses", json_integer(sqlite3_column_int64(st, 12)));
            break;
        default:
            json_object_set_new(o, "course", course);
            json_object_set_new(o, "sessions", json_integer(sqlite3_column_int64(st, 8)));
            break;
        }
        add_figures(o, st, 13, "attended");
        json_object_set(by_key, db_str(st, 0), o);
        json_array_append_new(list, o);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_fail("feedback: session summaries");

    st = db_stmt(
        "SELECT " SESSION_KEY("s") ", f.comments"
        " FROM feedback f JOIN course_sessions s ON s.id = f.session_id"
        " WHERE " SESSION_SCOPE("s") " AND f.comments <> '' ORDER BY f.id");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, q->borough_id);
    sqlite3_bind_int64(st, 2, q->course_id);
    sqlite3_bind_int64(st, 3, q->session_id);
    sqlite3_bind_text(st, 4, grouping_name(q->by), -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(json_object_get(json_object_get(by_key, db_str(st, 0)), "comments"),
                              json_string(db_str(st, 1)));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail("feedback: session comments");
}

static int module_groups(const cairn_feedback_query *q, json_t *list, json_t *by_key)
{
    sqlite3_stmt *st = db_stmt(
        "WITH lrn AS (SELECT id FROM users WHERE ?1 = 0 OR borough_id = ?1),"
        " pk AS (SELECT p.id, p.identifier, v.title FROM packages p"
        "  JOIN package_versions v ON v.package_id = p.id AND v.version = p.current_version"
        "  WHERE ?2 = 0 OR p.id = ?2),"
        " done AS (SELECT pk.id, COUNT(*) AS n FROM pk JOIN learner_records lr"
        "  ON lr.kind = 'elearning' AND lr.item_ref = pk.identifier"
        "  AND lr.status IN ('completed', 'passed')"
        "  WHERE lr.user_id IN (SELECT id FROM lrn) GROUP BY pk.id),"
        " fb AS (SELECT f.package_id AS id, " FIGURES("f")
        "  FROM feedback f WHERE f.package_id IS NOT NULL AND f.user_id IN (SELECT id FROM lrn)"
        "  GROUP BY f.package_id)"
        " SELECT pk.id, pk.title, COALESCE(done.n, 0), COALESCE(fb.n, 0), fb.mu, fb.mb, fb.ma,"
        "  fb.mc, COALESCE(fb.u1, 0), COALESCE(fb.u2, 0), COALESCE(fb.u3, 0), COALESCE(fb.u4, 0),"
        "  COALESCE(fb.u5, 0)"
        " FROM pk LEFT JOIN done ON done.id = pk.id LEFT JOIN fb ON fb.id = pk.id"
        " WHERE COALESCE(done.n, 0) > 0 OR COALESCE(fb.n, 0) > 0"
        " ORDER BY pk.title, pk.id");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, q->borough_id);
    sqlite3_bind_int64(st, 2, q->package_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_pack("{s{sI ss}}", "package",
            "id", (json_int_t)sqlite3_column_int64(st, 0), "title", db_str(st, 1));
        add_figures(o, st, 2, "completed");
        json_object_set(by_key, db_str(st, 0), o);
        json_array_append_new(list, o);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_fail("feedback: module summaries");

    st = db_stmt(
        "SELECT f.package_id, f.comments FROM feedback f JOIN users u ON u.id = f.user_id"
        " WHERE f.package_id IS NOT NULL AND (?1 = 0 OR u.borough_id = ?1)"
        "  AND (?2 = 0 OR f.package_id = ?2) AND f.comments <> '' ORDER BY f.id");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, q->borough_id);
    sqlite3_bind_int64(st, 2, q->package_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(json_object_get(json_object_get(by_key, db_str(st, 0)), "comments"),
                              json_string(db_str(st, 1)));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail("feedback: module comments");
}

int store_feedback_summary_json(const cairn_feedback_query *q, json_t **ret)
{
    json_t *list = json_array(), *by_key = json_object();
    int r = q->by == FEEDBACK_BY_MODULE ? module_groups(q, list, by_key)
                                        : session_groups(q, list, by_key);
    json_decref(by_key);
    if (r) {
        json_decref(list);
        return r;
    }
    *ret = json_pack("{ss so}", "by", grouping_name(q->by), "groups", list);
    return *ret ? 0 : -ENOMEM;
}
