/* api_dp.c: data protection (docs/API.md "Data protection"): the
 * partnership role's aggregate figures and its grants, the audit log,
 * retention periods, a learner's own data export and erasure.
 *
 * Who sees what:
 *  - a partnership user (no borough): per-borough figures and each
 *    borough's dashboard and training needs analysis, never an
 *    individual; a learner's record and certificates only while an
 *    admin's grant covers that learner or their borough (api_record.c
 *    asks store_grant_covers), and the list of learners their grants cover;
 *  - the audit log: an admin reads every entry; an officer the entries of
 *    their own borough (who viewed, exported or erased their learners,
 *    partnership and admin reads included), so a borough can answer a
 *    subject access request about its learners itself;
 *  - erasure: an officer of the learner's borough, or an admin.
 * Every view or export of a learner's data by someone else, erasure,
 * grants and retention changes go to the audit log (audit.h). */
#include "api.h"
#include "csv.h"
#include "audit.h"
#include "compliance.h"
#include "dp.h"
#include "store_compliance.h"
#include "store_dp.h"
#include "store_record.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    PAGE_DEFAULT = 50, PAGE_MAX = 200, REASON_MAX = 500, GRANT_DAYS_MAX = 366,
    RETENTION_MONTHS_MAX = 1200, SLUG_MAX = 64, AUDIT_FLUSH_MS = 2000, COMPLIANCE_WAIT_MS = 1000,
};

/* ---- query parameters (a bad one answers 422 naming it) ---- */

static bool param_date(cairn_req *r, const char *key, const char **ret)
{
    const char *v = req_query(r, key);
    *ret = NULL;
    if (!v || !*v)
        return true;
    if (!dp_valid_date(v)) {
        reply_invalid(r, key, "%s must be a date as YYYY-MM-DD, for example 2026-03-27.", key);
        return false;
    }
    *ret = v;
    return true;
}

/* ?limit= (1..200, default 50) and ?offset=, as the officers' lists. */
static bool param_page(cairn_req *r, int64_t *ret_limit, int64_t *ret_offset)
{
    int64_t limit = PAGE_DEFAULT, offset = 0;
    if (!req_query_int(r, "limit", 1, PAGE_MAX, &limit) ||
        !req_query_int(r, "offset", 0, 1000000000, &offset))
        return false;
    *ret_limit = limit;
    *ret_offset = offset;
    return true;
}

static json_t *page_json(const char *key, json_t *rows, int64_t total, int64_t limit,
                         int64_t offset)
{
    return json_pack("{so sI sI sI}", key, rows, "total", (json_int_t)total,
                     "limit", (json_int_t)limit, "offset", (json_int_t)offset);
}

/* ---- the partnership's figures ---- */

void api_partnership_summary(cairn_req *r)
{
    /* a completion just made is in the compliance rows once the refresh
     * thread took it: wait a little for that, as the officers' reports do */
    compliance_wait(COMPLIANCE_WAIT_MS);
    char today[11], since[11];
    api_today_utc(today);
    time_t t = time(NULL) - (time_t)365 * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(since, sizeof since, "%Y-%m-%d", &tm);
    json_t *out;
    if (store_partnership_summary_json(today, since, &out)) {
        reply_error(r, 500, "internal", "The figures could not be read.");
        return;
    }
    reply_json(r, 200, out);
}

/* GET /api/partnership/dashboard and /tna: the officers' reports
 * (store_compliance.h), for one borough (?borough=SLUG) or all. They hold
 * counts per organisation and group only, no individual. */
static void partnership_report(cairn_req *r, int (*fn)(int64_t, const char *, json_t **))
{
    const char *slug = req_query(r, "borough");
    int64_t id = 0;
    if (slug && *slug) {
        size_t n = strlen(slug);
        bool ok = n <= SLUG_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = islower((unsigned char)slug[i]) || isdigit((unsigned char)slug[i]) ||
                 slug[i] == '-';
        int e = ok ? store_borough_by_slug(slug, &id) : -EINVAL;
        if (e == -EINVAL) {
            reply_invalid(r, "borough", "borough must be a borough's short name, like "
                          "\"eastmere\".");
            return;
        }
        if (e == -ENOENT) {
            reply_error(r, 404, "not_found", "There is no borough \"%s\".", slug);
            return;
        }
        if (e) {
            reply_error(r, 500, "internal", "The borough could not be read.");
            return;
        }
    }
    compliance_wait(COMPLIANCE_WAIT_MS);
    char today[11];
    api_today_utc(today);
    json_t *out = NULL, *list = NULL;
    if (fn(id, today, &out)) {
        reply_error(r, 500, "internal", "The report could not be made.");
        return;
    }
    if (store_borough_list_json(&list) == 0)
        json_object_set_new(out, "boroughs", list);
    reply_json(r, 200, out);
}

void api_partnership_dashboard(cairn_req *r)
{
    partnership_report(r, store_report_dashboard_json);
}

void api_partnership_tna(cairn_req *r)
{
    partnership_report(r, store_report_tna_json);
}

void api_partnership_learners(cairn_req *r)
{
    int64_t limit, offset;
    if (!param_page(r, &limit, &offset))
        return;
    char now[21];
    api_now_utc(now);
    json_t *rows;
    int64_t total;
    if (store_grant_learners_json(r->user->id, now, limit, offset, &rows, &total)) {
        reply_error(r, 500, "internal", "The learners could not be read.");
        return;
    }
    reply_json(r, 200, page_json("learners", rows, total, limit, offset));
}

/* ---- grants (admins) ---- */

void api_admin_grants_list(cairn_req *r)
{
    const char *active = req_query(r, "active");
    if (active && strcmp(active, "0") && strcmp(active, "1")) {
        reply_invalid(r, "active", "active must be 1 (live grants only) or 0.");
        return;
    }
    char now[21];
    api_now_utc(now);
    json_t *rows;
    if (store_grants_json(active && !strcmp(active, "1"), now, &rows)) {
        reply_error(r, 500, "internal", "The grants could not be read.");
        return;
    }
    reply_json(r, 200, json_pack("{so}", "grants", rows));
}

/* A positive id member, or 0 when absent/null; -1 after replying 422. */
static int64_t body_id(cairn_req *r, json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        reply_invalid(r, key, "\"%s\" must be a positive whole number.", key);
        return -1;
    }
    return json_integer_value(v);
}

void api_admin_grants_create(cairn_req *r)
{
    json_t *body = req_json_object(r);
    if (!body)
        return;
    int64_t grantee = body_id(r, body, "user_id"), learner = -2, borough = -2;
    if (grantee < 0)
        goto out;
    if ((learner = body_id(r, body, "learner_id")) < 0 ||
        (borough = body_id(r, body, "borough_id")) < 0)
        goto out;
    const char *reason = json_str(body, "reason"), *until = json_str(body, "until");
    const char *email = json_str(body, "email");
    cairn_user *u = NULL;
    int e;
    if (!grantee && email && *email && strlen(email) <= 320) {
        char *hash = NULL;
        e = store_user_by_email(email, &u, &hash);
        free(hash);
        if (!e && u->role == ROLE_PARTNERSHIP)
            grantee = u->id;
        cairn_user_free(u);
        u = NULL;
        if (!grantee) {
            reply_invalid(r, "email", "%s is not a partnership user's email address.", email);
            goto out;
        }
    }
    if (!grantee) {
        reply_invalid(r, "user_id", "Choose the partnership user to grant access to.");
        goto out;
    }
    e = store_user_by_id(grantee, &u);
    bool partnership = !e && u->role == ROLE_PARTNERSHIP;
    cairn_user_free(u);
    if (e && e != -ENOENT) {
        reply_error(r, 500, "internal", "The user could not be read.");
        goto out;
    }
    if (!partnership) {
        reply_invalid(r, "user_id", "User %lld is not a partnership user: only they need "
                      "grants.", (long long)grantee);
        goto out;
    }
    if (!learner == !borough) {
        reply_invalid(r, learner ? "borough_id" : "learner_id",
                      "Give either learner_id (one learner) or borough_id (a borough's "
                      "learners), not both.");
        goto out;
    }
    if (learner) {
        int64_t lb;
        cairn_role role;
        e = store_user_borough(learner, &lb, &role);
        if (e == -ENOENT || (!e && role != ROLE_LEARNER)) {
            reply_invalid(r, "learner_id", "There is no learner %lld.", (long long)learner);
            goto out;
        }
        if (e) {
            reply_error(r, 500, "internal", "The learner could not be read.");
            goto out;
        }
    }
    if (!reason || !*reason || strlen(reason) > REASON_MAX) {
        reply_invalid(r, "reason", "Say why the access is needed, in at most %d characters.",
                      REASON_MAX);
        goto out;
    }
    char today[11], last[11];
    api_today_utc(today);
    time_t lim = time(NULL) + (time_t)GRANT_DAYS_MAX * 86400;
    struct tm tm;
    gmtime_r(&lim, &tm);
    strftime(last, sizeof last, "%Y-%m-%d", &tm);
    if (!until || !dp_valid_date(until) || strcmp(until, today) < 0 ||
        strcmp(until, last) > 0) {
        reply_invalid(r, "until", "Enter the last day of access as YYYY-MM-DD, from today "
                      "to %s (a grant lasts at most a year).", last);
        goto out;
    }
    char expires[32], now[21];
    snprintf(expires, sizeof expires, "%sT23:59:59Z", until);
    api_now_utc(now);
    int64_t id;
    json_t *g = NULL;
    e = store_grant_add(grantee, learner, borough, reason, r->user->id, expires, &id);
    if (e == -ENOENT)
        reply_invalid(r, "borough_id", "There is no borough %lld.", (long long)borough);
    else if (e || store_grant_json(id, now, &g))
        reply_error(r, 500, "internal", "The grant could not be saved.");
    else {
        json_t *d = json_pack("{sI sI ss}", "grant_id", (json_int_t)id, "grantee_id",
                              (json_int_t)grantee, "until", until);
        if (borough)
            json_object_set_new(d, "borough_id", json_integer(borough));
        audit_log(r, AUDIT_GRANT, learner, d);
        reply_json(r, 201, json_pack("{so}", "grant", g));
    }
out:
    json_decref(body);
}

void api_admin_grants_revoke(cairn_req *r)
{
    char now[21];
    api_now_utc(now);
    json_t *g = NULL;
    int e = store_grant_json(r->ids[0], now, &g);
    if (!e)
        e = store_grant_revoke(r->ids[0], r->user->id, now);
    if (e == -ENOENT)
        reply_error(r, 404, "not_found", "There is no grant %lld.", (long long)r->ids[0]);
    else if (e == -EALREADY)
        reply_error(r, 409, "already_revoked", "Grant %lld is already revoked.",
                    (long long)r->ids[0]);
    else if (e)
        reply_error(r, 500, "internal", "The grant could not be revoked.");
    else {
        json_t *l = json_object_get(g, "learner"), *b = json_object_get(g, "borough");
        audit_log(r, AUDIT_REVOKE, json_integer_value(json_object_get(l, "id")),
                  b && !json_is_null(b)
                  ? json_pack("{sO sO sO}", "grant_id", json_object_get(g, "id"), "grantee_id",
                              json_object_get(json_object_get(g, "grantee"), "id"),
                              "borough_id", json_object_get(b, "id"))
                  : json_pack("{sO sO}", "grant_id", json_object_get(g, "id"), "grantee_id",
                              json_object_get(json_object_get(g, "grantee"), "id")));
        reply_status(r, 204);
    }
    json_decref(g);
}

/* ---- the audit log ---- */

static const char *const AUDIT_ACTIONS[] = {
    AUDIT_VIEW_RECORD, AUDIT_VIEW_CERTIFICATE, AUDIT_EXPORT_CSV, AUDIT_EXPORT_LEARNER,
    AUDIT_ERASE, AUDIT_RETENTION_RUN, AUDIT_RETENTION_SET, AUDIT_GRANT, AUDIT_REVOKE, NULL,
};

void api_audit_list(cairn_req *r)
{
    audit_query q = { 0 };
    if (!req_query_int(r, "actor", 1, INT64_MAX / 2, &q.actor_id) ||
        !req_query_int(r, "subject", 1, INT64_MAX / 2, &q.subject_id) ||
        !param_date(r, "from", &q.from) || !param_date(r, "to", &q.to) ||
        !param_page(r, &q.limit, &q.offset))
        return;
    const char *action = req_query(r, "action");
    if (action && *action) {
        size_t i = 0;
        while (AUDIT_ACTIONS[i] && strcmp(AUDIT_ACTIONS[i], action))
            i++;
        if (!AUDIT_ACTIONS[i]) {
            reply_invalid(r, "action", "action must be one of view_record, view_certificate, "
                          "export_csv, export_learner, erase, retention_run, retention_set, "
                          "grant, revoke.");
            return;
        }
        q.action = AUDIT_ACTIONS[i];
    }
    if (q.from && q.to && strcmp(q.from, q.to) > 0) {
        reply_invalid(r, "to", "to must be on or after from.");
        return;
    }
    if (r->user->role != ROLE_ADMIN) {
        if (!r->user->borough_id) {
            reply_error(r, 403, "forbidden", "Your account belongs to no borough.");
            return;
        }
        q.borough_id = r->user->borough_id;
    }
    audit_flush(AUDIT_FLUSH_MS);     /* a view just made shows up here */
    json_t *rows;
    int64_t total;
    if (store_audit_page(&q, &rows, &total)) {
        reply_error(r, 500, "internal", "The audit log could not be read.");
        return;
    }
    json_t *out = page_json("entries", rows, total, q.limit, q.offset);
    json_object_set_new(out, "scope", r->user->role == ROLE_ADMIN ? json_string("all")
                        : json_string("borough"));
    reply_json(r, 200, out);
}

/* ---- retention periods ---- */

void api_admin_retention_list(cairn_req *r)
{
    json_t *rows;
    if (store_retention_boroughs_json(&rows)) {
        reply_error(r, 500, "internal", "The boroughs could not be read.");
        return;
    }
    reply_json(r, 200, json_pack("{so}", "boroughs", rows));
}

void api_admin_retention_set(cairn_req *r)
{
    json_t *body = req_json_object(r);
    if (!body)
        return;
    json_t *m = json_object_get(body, "months");
    if (!m || (!json_is_null(m) && (!json_is_integer(m) || json_integer_value(m) < 1 ||
                                    json_integer_value(m) > RETENTION_MONTHS_MAX))) {
        reply_invalid(r, "months", "\"months\" must be a whole number of months from 1 to %d, "
                      "or null to keep records for ever.", RETENTION_MONTHS_MAX);
        json_decref(body);
        return;
    }
    int months = json_is_null(m) ? 0 : (int)json_integer_value(m);
    json_decref(body);
    int e = store_borough_retention_set(r->ids[0], months);
    if (e == -ENOENT) {
        reply_error(r, 404, "not_found", "There is no borough %lld.", (long long)r->ids[0]);
        return;
    }
    if (e) {
        reply_error(r, 500, "internal", "The retention period could not be saved.");
        return;
    }
    audit_log(r, AUDIT_RETENTION_SET, 0, json_pack("{sI s?i}", "borough_id",
              (json_int_t)r->ids[0], "months", months ? json_integer(months) : NULL));
    reply_json(r, 200, json_pack("{s{sI so}}", "borough", "id", (json_int_t)r->ids[0],
               "retention_months", months ? json_integer(months) : json_null()));
}

/* ---- a learner's own data ---- */

static int export_of(cairn_req *r, json_t **ret)
{
    int e = store_learner_export_json(r->user->id, ret);
    if (e) {
        reply_error(r, 500, "internal", "Your data could not be read.");
        return e;
    }
    char today[11];
    api_today_utc(today);
    json_object_set_new(*ret, "exported_at", json_string(today));
    return 0;
}

void api_me_export_json(cairn_req *r)
{
    json_t *out;
    if (export_of(r, &out))
        return;
    char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(out);
    if (!text) {
        reply_error(r, 500, "internal", "Out of memory.");
        return;
    }
    audit_log(r, AUDIT_EXPORT_LEARNER, r->user->id, json_pack("{ss}", "format", "json"));
    reply_download(r, "application/json; charset=utf-8", "cairn-my-data.json", text,
                   strlen(text));
}

/* ---- CSV: one line per value: section, row number, field, value ---- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool failed;
} sbuf;

static void sb_add(sbuf *s, const char *t, size_t n)
{
    if (s->failed)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) {
            s->failed = true;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, t, n);
    s->len += n;
    s->p[s->len] = '\0';
}

/* One cell (csv_cell: RFC 4180, formula guard), then a comma or the line end. */
static void sb_cell(sbuf *s, const char *v, bool last)
{
    char stack[256], *cell = stack;
    size_t need = CSV_CELL_MAX(strlen(v));
    if (need > sizeof stack && !(cell = malloc(need))) {
        s->failed = true;
        return;
    }
    sb_add(s, cell, csv_cell(cell, v));
    if (cell != stack)
        free(cell);
    sb_add(s, last ? "\r\n" : ",", last ? 2 : 1);
}

static void csv_value(sbuf *s, const char *section, size_t row, const char *field, json_t *v)
{
    char num[32], *owned = NULL;
    const char *text;
    if (json_is_string(v))
        text = json_string_value(v);
    else if (json_is_null(v))
        text = "";
    else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        text = num;
    } else if (json_is_real(v)) {
        snprintf(num, sizeof num, "%.15g", json_real_value(v));
        text = num;
    } else if (json_is_boolean(v))
        text = json_is_true(v) ? "true" : "false";
    else
        text = owned = json_dumps(v, JSON_COMPACT);
    snprintf(num, sizeof num, "%zu", row);
    sb_cell(s, section, false);
    sb_cell(s, num, false);
    sb_cell(s, field, false);
    sb_cell(s, text ? text : "", true);
    free(owned);
}

void api_me_export_csv(cairn_req *r)
{
    json_t *out;
    if (export_of(r, &out))
        return;
    sbuf s = { 0 };
    sb_add(&s, "section,row,field,value\r\n", 25);
    const char *section;
    json_t *part;
    json_object_foreach(out, section, part) {
        const char *field;
        json_t *v;
        if (json_is_object(part)) {
            json_object_foreach(part, field, v)
                csv_value(&s, section, 1, field, v);
        } else if (json_is_array(part)) {
            size_t i;
            json_t *row;
            json_array_foreach(part, i, row) {
                json_object_foreach(row, field, v)
                    csv_value(&s, section, i + 1, field, v);
            }
        } else {
            csv_value(&s, section, 1, section, part);
        }
    }
    json_decref(out);
    if (s.failed) {
        free(s.p);
        reply_error(r, 500, "internal", "Out of memory.");
        return;
    }
    audit_log(r, AUDIT_EXPORT_LEARNER, r->user->id, json_pack("{ss}", "format", "csv"));
    reply_download(r, "text/csv; charset=utf-8", "cairn-my-data.csv", s.p, s.len);
}

/* ---- erasure ---- */

void api_officer_erase(cairn_req *r)
{
    int64_t uid = r->ids[0], borough = 0;
    cairn_role role;
    int e = store_user_borough(uid, &borough, &role);
    if (e && e != -ENOENT) {
        reply_error(r, 500, "internal", "The learner could not be read.");
        return;
    }
    /* 404, not 403, for another borough's learner: the answer must not say
     * whether they exist (as the record does). */
    if (e == -ENOENT || role != ROLE_LEARNER ||
        (r->user->role != ROLE_ADMIN && (!r->user->borough_id || borough != r->user->borough_id))) {
        reply_error(r, 404, "not_found", "There is no learner %lld in your borough.",
                    (long long)uid);
        return;
    }
    json_t *body = req_json_object(r);
    if (!body)
        return;
    const char *reason = json_str(body, "reason");
    if (!reason || !*reason || strspn(reason, " \t") == strlen(reason) ||
        strlen(reason) > REASON_MAX) {
        reply_invalid(r, "reason", "Say why the learner's data is erased (for example, "
                      "\"request from the learner on 3 March\"), in at most %d characters.",
                      REASON_MAX);
        goto out;
    }
    if (!json_is_true(json_object_get(body, "confirm"))) {
        reply_invalid(r, "confirm", "Confirm the erasure: it cannot be undone.");
        goto out;
    }
    int64_t kept = 0;
    e = dp_anonymise(uid, "erasure", &kept);
    if (e == -EALREADY)
        reply_error(r, 409, "already_erased", "Learner %lld is already anonymised.",
                    (long long)uid);
    else if (e)
        reply_error(r, 500, "internal", "The learner could not be erased.");
    else {
        audit_log(r, AUDIT_ERASE, uid, json_pack("{ss sI}", "reason", reason, "records_kept",
                                                 (json_int_t)kept));
        char name[64];
        snprintf(name, sizeof name, "Anonymised learner #%lld", (long long)uid);
        reply_json(r, 200, json_pack("{s{sI ss sI}}", "erased", "id", (json_int_t)uid, "name",
                                     name, "records_kept", (json_int_t)kept));
    }
out:
    json_decref(body);
}
