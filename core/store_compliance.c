/* store_compliance.c: the compliance rows and the reports read from them
 * (store_compliance.h, docs/API.md "Reports").
 *
 * Invariants:
 *  1. A learner's rows are replaced whole, inside one transaction
 *     (store_compliance_replace): a report sees the old set or the new one.
 *  2. borough_id and organisation_id are copied from users in the same
 *     statement that inserts the row, so they cannot disagree with the
 *     account at the time of the refresh.
 *  3. Scope is a range of borough ids [lo, hi]: one borough is [id, id],
 *     every borough [1, INT64_MAX]; the same statements serve both, and the
 *     range keeps the compliance_report index usable.
 *  4. Every state is computed here from the stored dates and ?today, in
 *     SQL; no state is stored (store_compliance.h lists them). */
#include "store_compliance.h"
#include "store_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void bind_text_or_null(sqlite3_stmt *st, int i, json_t *v)
{
    const char *s = json_string_value(v);
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* ---- the rows ---- */

static int replace_one(int64_t user_id, json_t *required, const char *now)
{
    sqlite3_stmt *del = db_stmt("DELETE FROM compliance WHERE user_id = ?");
    if (!del)
        return -EIO;
    sqlite3_bind_int64(del, 1, user_id);
    int r = db_exec_stmt(del);
    if (r)
        return r;
    size_t i;
    json_t *item;
    json_array_foreach(required, i, item) {
        const char *id = json_string_value(json_object_get(item, "id"));
        const char *title = json_string_value(json_object_get(item, "title"));
        const char *kind = json_string_value(json_object_get(item, "kind"));
        if (!id || !title || !kind)
            continue;
        sqlite3_stmt *st = db_stmt(
            "INSERT OR REPLACE INTO compliance (user_id, item_id, borough_id, organisation_id,"
            " title, kind, grp, level, category, due, completed_at, expires, expiring_days,"
            " updated_at)"
            " SELECT id, ?2, borough_id, COALESCE(organisation_id, 0), ?3, ?4, ?5, ?6, ?7, ?8,"
            "  ?9, ?10, ?11, ?12 FROM users"
            " WHERE id = ?1 AND role = 'learner' AND borough_id IS NOT NULL");
        if (!st)
            return -EIO;
        json_t *grp = json_object_get(item, "group");
        json_t *days = json_object_get(item, "expiring_days");
        sqlite3_bind_int64(st, 1, user_id);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, title, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, json_is_string(grp) ? json_string_value(grp) : "", -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 6, json_integer_value(json_object_get(item, "level")));
        sqlite3_bind_text(st, 7, json_is_string(json_object_get(item, "category"))
                          ? json_string_value(json_object_get(item, "category")) : "", -1,
                          SQLITE_TRANSIENT);
        /* A done item's "due" is its expiry (plugins_required): keep the
         * item's own due date only while it is not done. */
        bool done = json_is_string(json_object_get(item, "completed_at"));
        if (done)
            sqlite3_bind_null(st, 8);
        else
            bind_text_or_null(st, 8, json_object_get(item, "due"));
        bind_text_or_null(st, 9, json_object_get(item, "completed_at"));
        bind_text_or_null(st, 10, json_object_get(item, "expires"));
        sqlite3_bind_int64(st, 11, json_is_integer(days) ? json_integer_value(days) : 60);
        sqlite3_bind_text(st, 12, now, -1, SQLITE_TRANSIENT);
        if ((r = db_exec_stmt(st)))
            return r;
    }
    return 0;
}

int store_compliance_replace(const int64_t *user_ids, json_t *const *required, size_t n)
{
    char now[24];
    db_now_iso(now);
    int r = db_begin();
    if (r)
        return r;
    for (size_t i = 0; i < n && !r; i++)
        r = replace_one(user_ids[i], required[i], now);
    if (r || (r = db_commit())) {
        db_rollback();
        return r;
    }
    return 0;
}

int store_compliance_learners(int64_t after_id, int64_t *ret_ids, size_t max, size_t *ret_n)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT id FROM users WHERE id > ? AND role = 'learner' AND borough_id IS NOT NULL"
        " ORDER BY id LIMIT ?");
    if (!st)
        return -EIO;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max)
        ret_ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return db_fail("compliance: learners");
    *ret_n = n;
    return 0;
}

int store_compliance_prune(void)
{
    sqlite3_stmt *st = db_stmt(
        "DELETE FROM compliance WHERE user_id NOT IN"
        " (SELECT id FROM users WHERE role = 'learner' AND borough_id IS NOT NULL)");
    return st ? db_exec_stmt(st) : -EIO;
}

int store_compliance_counts(int64_t *ret_rows, int64_t *ret_learners)
{
    sqlite3_stmt *st = db_stmt("SELECT COUNT(*), COUNT(DISTINCT user_id) FROM compliance");
    if (!st)
        return -EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ret_rows = sqlite3_column_int64(st, 0);
        *ret_learners = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : db_fail("compliance: counts");
}

int store_compliance_meta_get(const char *key, char **ret_value)
{
    sqlite3_stmt *st = db_stmt("SELECT value FROM compliance_meta WHERE key = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    char *v = rc == SQLITE_ROW ? db_text(st, 0) : NULL;
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return -ENOENT;
    if (rc != SQLITE_ROW)
        return db_fail("compliance: meta");
    if (!v)
        return -ENOMEM;
    *ret_value = v;
    return 0;
}

int store_compliance_meta_set(const char *key, const char *value)
{
    sqlite3_stmt *st = db_stmt("INSERT OR REPLACE INTO compliance_meta (key, value) VALUES (?, ?)");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    return db_exec_stmt(st);
}

int store_borough_by_slug(const char *slug, int64_t *ret_id)
{
    sqlite3_stmt *st = db_stmt("SELECT id FROM boroughs WHERE slug = ?");
    if (!st)
        return -EIO;
    sqlite3_bind_text(st, 1, slug, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *ret_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return -ENOENT;
    return rc == SQLITE_ROW ? 0 : db_fail("borough by slug");
}

int store_borough_list_json(json_t **ret)
{
    sqlite3_stmt *st = db_stmt("SELECT id, name, slug FROM boroughs ORDER BY name, id");
    if (!st)
        return -EIO;
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, json_pack("{sI ss ss}", "id",
            (json_int_t)sqlite3_column_int64(st, 0), "name", db_str(st, 1), "slug", db_str(st, 2)));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_fail("boroughs list");
    }
    *ret = list;
    return 0;
}

/* ---- reports ---- */

typedef struct scope {
    int64_t lo, hi;
} scope;

static scope scope_of(int64_t borough_id)
{
    return borough_id ? (scope){ borough_id, borough_id } : (scope){ 1, INT64_MAX };
}

static void bind_scope(sqlite3_stmt *st, scope s)
{
    sqlite3_bind_int64(st, 1, s.lo);
    sqlite3_bind_int64(st, 2, s.hi);
}

static json_t *group_or_null(sqlite3_stmt *st, int i)
{
    const char *g = db_str(st, i);
    return *g ? json_string(g) : json_null();
}

static json_t *level_or_null(sqlite3_stmt *st, int i)
{
    int level = sqlite3_column_int(st, i);
    return level ? json_integer(level) : json_null();
}

static json_t *mean_or_null(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null()
        : json_real((double)(int)(sqlite3_column_double(st, i) * 100 + 0.5) / 100);
}

static void add_int(json_t *o, const char *key, json_int_t v)
{
    json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + v));
}

static json_t *scope_json(int64_t borough_id)
{
    if (!borough_id)
        return json_pack("{sn}", "borough");
    json_t *b = NULL;
    if (store_borough_context_json(borough_id, &b) != 0)
        return json_pack("{sn}", "borough");
    json_t *out = json_pack("{s{sO sO sO}}", "borough", "id", json_object_get(b, "id"),
                            "name", json_object_get(b, "name"), "slug", json_object_get(b, "slug"));
    json_decref(b);
    return out;
}

/* Organisations in scope, with their learners: an object keyed by the
 * organisation id as text ("0" for learners without one), and the same
 * objects in name order in *ret_list; *ret_learners is the scope's
 * learners. */
static int organisations(scope s, json_t **ret_by_id, json_t **ret_list, json_int_t *ret_learners)
{
    json_t *by_id = json_object(), *list = json_array();
    json_int_t learners = 0;
    sqlite3_stmt *st = db_stmt(
        "SELECT o.id, o.name, b.name FROM organisations o JOIN boroughs b ON b.id = o.borough_id"
        " WHERE o.borough_id BETWEEN ?1 AND ?2 ORDER BY o.name, b.name, o.id");
    int rc = SQLITE_ERROR;
    if (st) {
        bind_scope(st, s);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            char key[24];
            snprintf(key, sizeof key, "%lld", (long long)sqlite3_column_int64(st, 0));
            json_t *o = json_pack("{sI ss ss si}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                                  "name", db_str(st, 1), "borough", db_str(st, 2), "learners", 0);
            json_object_set(by_id, key, o);
            json_array_append_new(list, o);
        }
        sqlite3_reset(st);
    }
    /* One pass over the scope's learners (users_borough), not one per
     * organisation. Learners without an organisation (imports, older
     * accounts) are listed as "No organisation". */
    sqlite3_stmt *n = rc == SQLITE_DONE ? db_stmt(
        "SELECT COALESCE(organisation_id, 0), COUNT(*) FROM users"
        " WHERE borough_id BETWEEN ?1 AND ?2 AND role = 'learner'"
        " GROUP BY COALESCE(organisation_id, 0)") : NULL;
    if (n) {
        bind_scope(n, s);
        while ((rc = sqlite3_step(n)) == SQLITE_ROW) {
            char key[24];
            json_int_t count = sqlite3_column_int64(n, 1);
            snprintf(key, sizeof key, "%lld", (long long)sqlite3_column_int64(n, 0));
            json_t *o = json_object_get(by_id, key);
            if (!o) {
                o = json_pack("{sn ss sn si}", "id", "name", "No organisation", "borough",
                              "learners", 0);
                json_object_set(by_id, key, o);
                json_array_append_new(list, o);
            }
            json_object_set_new(o, "learners", json_integer(count));
            learners += count;
        }
        sqlite3_reset(n);
    }
    if (rc != SQLITE_DONE) {
        json_decref(by_id);
        json_decref(list);
        return db_fail("reports: organisations");
    }
    *ret_by_id = by_id;
    *ret_list = list;
    *ret_learners = learners;
    return 0;
}

static const char *const COUNT_KEYS[] = { "required", "in_date", "expired", "overdue",
                                          "not_yet_due", "gap", NULL };

static json_t *zero_counts(void)
{
    json_t *o = json_object();
    for (int i = 0; COUNT_KEYS[i]; i++)
        json_object_set_new(o, COUNT_KEYS[i], json_integer(0));
    return o;
}

static void add_counts(json_t *to, json_t *from)
{
    for (int i = 0; COUNT_KEYS[i]; i++)
        add_int(to, COUNT_KEYS[i], json_integer_value(json_object_get(from, COUNT_KEYS[i])));
}

/* The level entry {"group","level",...} for (group, level) in list,
 * created with zero counts when absent; borrowed. */
static json_t *level_entry(json_t *list, json_t *group, json_t *level, json_t *(*zero)(void))
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (json_equal(json_object_get(e, "group"), group) &&
            json_equal(json_object_get(e, "level"), level))
            return e;
    }
    e = zero();
    json_object_set(e, "group", group);
    json_object_set(e, "level", level);
    json_array_append_new(list, e);
    return e;
}

/* today + days as "YYYY-MM-DD" into out (11 bytes); *ret_julian gets
 * today's Julian day number. */
static void day_after(const char *today, int days, char out[11], double *ret_julian)
{
    struct tm tm = { 0 };
    if (sscanf(today, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) {
        snprintf(out, 11, "%s", today);
        return;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (ret_julian)
        *ret_julian = (double)t / 86400.0 + 2440587.5;
    t += (time_t)days * 86400;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Items per organisation and level: the states of store_compliance.h. The
 * dates 30, 60 and 90 days on are bound, not computed per row; the
 * plugin's window (julianday) only for rows in date. */
static int dashboard_items(scope s, const char *today, json_t *totals, json_t *by_org,
                           json_t *by_level)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT organisation_id, grp, level, COUNT(*),"
        "  SUM(completed_at IS NOT NULL AND (expires IS NULL OR expires > ?3)),"
        "  SUM(completed_at IS NOT NULL AND expires <= ?3),"
        "  SUM(completed_at IS NULL AND due < ?3),"
        "  SUM(completed_at IS NULL AND (due IS NULL OR due >= ?3)),"
        "  SUM(completed_at IS NOT NULL AND expires > ?3 AND expires <= ?4),"
        "  SUM(completed_at IS NOT NULL AND expires > ?3 AND expires <= ?5),"
        "  SUM(completed_at IS NOT NULL AND expires > ?3 AND expires <= ?6),"
        "  SUM(CASE WHEN completed_at IS NOT NULL AND expires > ?3"
        "      THEN julianday(expires) - ?7 <= expiring_days ELSE 0 END)"
        " FROM compliance WHERE borough_id BETWEEN ?1 AND ?2"
        " GROUP BY borough_id, organisation_id, grp, level");
    if (!st)
        return -EIO;
    char d30[11], d60[11], d90[11];
    double julian = 0;
    day_after(today, 30, d30, &julian);
    day_after(today, 60, d60, NULL);
    day_after(today, 90, d90, NULL);
    bind_scope(st, s);
    sqlite3_bind_text(st, 3, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, d30, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, d60, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, d90, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 7, julian);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_int_t required = sqlite3_column_int64(st, 3), in_date = sqlite3_column_int64(st, 4);
        json_t *c = json_pack("{sI sI sI sI sI sI}", "required", required, "in_date", in_date,
                              "expired", (json_int_t)sqlite3_column_int64(st, 5),
                              "overdue", (json_int_t)sqlite3_column_int64(st, 6),
                              "not_yet_due", (json_int_t)sqlite3_column_int64(st, 7),
                              "gap", required - in_date);
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)sqlite3_column_int64(st, 0));
        json_t *org = json_object_get(by_org, key);
        if (org)
            add_counts(org, c);
        json_t *g = group_or_null(st, 1), *l = level_or_null(st, 2);
        add_counts(level_entry(by_level, g, l, zero_counts), c);
        json_decref(g);
        json_decref(l);
        add_counts(totals, c);
        add_int(totals, "expiring_30", sqlite3_column_int64(st, 8));
        add_int(totals, "expiring_60", sqlite3_column_int64(st, 9));
        add_int(totals, "expiring_90", sqlite3_column_int64(st, 10));
        add_int(totals, "expiring", sqlite3_column_int64(st, 11));
        json_decref(c);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail("reports: items");
}

static int scalar(sqlite3_stmt *st, scope s, const char *today, const char *what,
                  json_int_t *ret)
{
    if (!st)
        return -EIO;
    bind_scope(st, s);
    if (today)
        sqlite3_bind_text(st, 3, today, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *ret = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : db_fail(what);
}

/* Completions in the calendar month of today: e-learning records completed
 * or passed, sessions with a date in the month marked attended, evidence
 * completed in the month, of the scope's learners. */
static int completions(scope s, const char *today, json_t *out)
{
    json_int_t el = 0, att = 0, ev = 0;
    /* Learner by learner (users_borough), each learner's month read from
     * an index that holds every column asked (migration 6). */
    int r = scalar(db_stmt(
        "SELECT COUNT(*) FROM users u JOIN learner_records r ON r.user_id = u.id"
        " WHERE u.borough_id BETWEEN ?1 AND ?2 AND u.role = 'learner'"
        "  AND r.completed_at >= date(?3, 'start of month')"
        "  AND r.completed_at < date(?3, 'start of month', '+1 month')"
        "  AND r.status IN ('completed', 'passed')"),
        s, today, "reports: e-learning completions", &el);
    if (!r)
        r = scalar(db_stmt(
            "SELECT COUNT(*) FROM (SELECT DISTINCT a.user_id, a.session_id"
            " FROM users u JOIN attendance a ON a.user_id = u.id"
            " JOIN session_dates d ON d.id = a.date_id"
            " WHERE u.borough_id BETWEEN ?1 AND ?2 AND u.role = 'learner'"
            "  AND a.status = 'attended'"
            "  AND d.starts_at >= date(?3, 'start of month')"
            "  AND d.starts_at < date(?3, 'start of month', '+1 month'))"),
            s, today, "reports: attendance", &att);
    if (!r)
        r = scalar(db_stmt(
            "SELECT COUNT(*) FROM users u JOIN evidence e ON e.user_id = u.id"
            " WHERE u.borough_id BETWEEN ?1 AND ?2 AND u.role = 'learner'"
            "  AND e.completed_on >= date(?3, 'start of month')"
            "  AND e.completed_on < date(?3, 'start of month', '+1 month')"),
            s, today, "reports: evidence", &ev);
    if (r)
        return r;
    json_object_set_new(out, "completions_this_month",
                        json_pack("{sI sI sI sI}", "total", el + att + ev, "elearning", el,
                                  "attendance", att, "evidence", ev));
    return 0;
}

/* Feedback given by the scope's learners (on sessions and modules). */
static int feedback(scope s, json_t *out)
{
    sqlite3_stmt *st = db_stmt(
        "SELECT COUNT(*), AVG(f.usefulness), AVG(f.confidence_before), AVG(f.confidence_after),"
        "  AVG(f.confidence_after - f.confidence_before)"
        " FROM users u JOIN feedback f ON f.user_id = u.id"
        " WHERE u.borough_id BETWEEN ?1 AND ?2 AND u.role = 'learner'");
    if (!st)
        return -EIO;
    bind_scope(st, s);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        json_object_set_new(out, "feedback", json_pack("{sI so so so so}",
            "responses", (json_int_t)sqlite3_column_int64(st, 0),
            "usefulness_mean", mean_or_null(st, 1),
            "confidence_before_mean", mean_or_null(st, 2),
            "confidence_after_mean", mean_or_null(st, 3),
            "confidence_change_mean", mean_or_null(st, 4)));
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : db_fail("reports: feedback");
}

static int level_cmp(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *gx = json_string_value(json_object_get(x, "group"));
    const char *gy = json_string_value(json_object_get(y, "group"));
    int c = strcmp(gx ? gx : "~", gy ? gy : "~");     /* no group last */
    if (c)
        return c;
    json_int_t lx = json_integer_value(json_object_get(x, "level"));
    json_int_t ly = json_integer_value(json_object_get(y, "level"));
    return (lx > ly) - (lx < ly);
}

static json_t *sorted_levels(json_t *list)
{
    size_t n = json_array_size(list);
    json_t **v = calloc(n ? n : 1, sizeof *v), *out = json_array();
    for (size_t i = 0; v && i < n; i++)
        v[i] = json_array_get(list, i);
    if (v)
        qsort(v, n, sizeof *v, level_cmp);
    for (size_t i = 0; v && i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

int store_report_dashboard_json(int64_t borough_id, const char *today, json_t **ret)
{
    scope s = scope_of(borough_id);
    json_t *out = scope_json(borough_id), *by_id = NULL, *orgs = NULL;
    json_t *totals = zero_counts(), *levels = json_array();
    json_int_t learners = 0, learners_overdue = 0;
    int r = organisations(s, &by_id, &orgs, &learners);
    if (r)
        goto fail;
    size_t i;
    json_t *o;
    json_array_foreach(orgs, i, o) {
        json_t *z = zero_counts();
        json_object_update(o, z);
        json_decref(z);
    }
    for (const char *const *k = (const char *const[]){ "expiring", "expiring_30",
         "expiring_60", "expiring_90", NULL }; *k; k++)
        json_object_set_new(totals, *k, json_integer(0));
    if ((r = dashboard_items(s, today, totals, by_id, levels)) ||
        (r = scalar(db_stmt(
            "SELECT COUNT(DISTINCT user_id) FROM compliance WHERE borough_id BETWEEN ?1 AND ?2"
            " AND ((completed_at IS NOT NULL AND expires <= ?3)"
            "  OR (completed_at IS NULL AND due < ?3))"), s, today, "reports: overdue learners",
            &learners_overdue)) ||
        (r = completions(s, today, out)) || (r = feedback(s, out)))
        goto fail;
    json_object_set_new(out, "today", json_string(today));
    json_object_set_new(out, "learners", json_integer(learners));
    json_object_set_new(out, "learners_overdue", json_integer(learners_overdue));
    json_object_set_new(out, "items", totals);
    json_object_set_new(out, "by_organisation", orgs);
    json_object_set_new(out, "by_level", sorted_levels(levels));
    json_decref(levels);
    json_decref(by_id);
    *ret = out;
    return 0;
fail:
    json_decref(out);
    json_decref(by_id);
    json_decref(orgs);
    json_decref(totals);
    json_decref(levels);
    return r;
}

static const char *const TNA_KEYS[] = { "required", "in_date", "expired", "untrained", "gap",
                                        NULL };

static json_t *tna_zero(void)
{
    json_t *o = json_object();
    for (int i = 0; TNA_KEYS[i]; i++)
        json_object_set_new(o, TNA_KEYS[i], json_integer(0));
    return o;
}

static void tna_add(json_t *to, json_t *from)
{
    for (int i = 0; TNA_KEYS[i]; i++)
        add_int(to, TNA_KEYS[i], json_integer_value(json_object_get(from, TNA_KEYS[i])));
}

/* People per organisation and (group, level): a person needs a level when
 * at least one of their required items has it; they are trained and in
 * date when every such item is in date; expired when not, and at least one
 * of them was done and has expired; untrained otherwise. */
int store_report_tna_json(int64_t borough_id, const char *today, json_t **ret)
{
    scope s = scope_of(borough_id);
    json_t *out = scope_json(borough_id), *by_id = NULL, *orgs = NULL;
    json_t *totals = json_array();
    json_int_t learners = 0;
    int r = organisations(s, &by_id, &orgs, &learners);
    if (r)
        goto fail;
    size_t i;
    json_t *o;
    json_array_foreach(orgs, i, o) {
        json_object_set_new(o, "levels", json_array());
        json_t *z = tna_zero();
        json_object_update(o, z);
        json_decref(z);
    }
    sqlite3_stmt *st = db_stmt(
        "SELECT organisation_id, grp, level, COUNT(*), SUM(ok), SUM(NOT ok AND lapsed) FROM"
        " (SELECT borough_id, organisation_id, grp, level, user_id,"
        "   MIN(completed_at IS NOT NULL AND (expires IS NULL OR expires > ?3)) AS ok,"
        "   MAX(completed_at IS NOT NULL AND expires <= ?3) AS lapsed"
        "  FROM compliance WHERE borough_id BETWEEN ?1 AND ?2"
        "  GROUP BY borough_id, organisation_id, grp, level, user_id)"
        " GROUP BY borough_id, organisation_id, grp, level");
    if (!st) {
        r = -EIO;
        goto fail;
    }
    bind_scope(st, s);
    sqlite3_bind_text(st, 3, today, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_int_t req = sqlite3_column_int64(st, 3), ok = sqlite3_column_int64(st, 4);
        json_int_t lapsed = sqlite3_column_int64(st, 5);
        json_t *c = json_pack("{sI sI sI sI sI}", "required", req, "in_date", ok,
                              "expired", lapsed, "untrained", req - ok - lapsed, "gap", req - ok);
        json_t *g = group_or_null(st, 1), *l = level_or_null(st, 2);
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)sqlite3_column_int64(st, 0));
        json_t *org = json_object_get(by_id, key);
        if (org) {
            tna_add(level_entry(json_object_get(org, "levels"), g, l, tna_zero), c);
            tna_add(org, c);
        }
        tna_add(level_entry(totals, g, l, tna_zero), c);
        json_decref(g);
        json_decref(l);
        json_decref(c);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        r = db_fail("reports: training needs");
        goto fail;
    }
    json_array_foreach(orgs, i, o)
        json_object_set_new(o, "levels", sorted_levels(json_object_get(o, "levels")));
    json_object_set_new(out, "today", json_string(today));
    json_object_set_new(out, "learners", json_integer(learners));
    json_object_set_new(out, "organisations", orgs);
    json_object_set_new(out, "totals", sorted_levels(totals));
    json_decref(totals);
    json_decref(by_id);
    *ret = out;
    return 0;
fail:
    json_decref(out);
    json_decref(by_id);
    json_decref(orgs);
    json_decref(totals);
    return r;
}
