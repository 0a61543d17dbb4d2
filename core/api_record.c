/* api_record.c: the one learner record, evidence that officers enter, and
 * certificates with their public check (docs/API.md "The learner record",
 * "Evidence", "Certificates").
 *
 * One function builds the record (record_build) for the learner's own page
 * and for officers. Who may see what:
 *  - a learner: their own record and certificates;
 *  - an officer: the record, evidence and certificates of the learners of
 *    their own borough; anyone else's answers 404, as if there were no such
 *    learner, so an officer cannot find out who has an account elsewhere;
 *  - an admin: everyone's;
 *  - a partnership user: a learner's record and certificates while an
 *    admin's grant covers them (store_dp.h), 403 otherwise;
 * Officers', admins' and partnership users' views of someone else's
 * record or certificate are written to the audit log (audit.h);
 *  - anybody, signed in or not: whether a certificate code is genuine, with
 *    no more than the certificate itself shows (GET /api/verify/CODE).
 * Expiry dates come from the borough's expiry hook; required training
 * comes from plugins_required (api_plugins.c), the same computation as My
 * training. */
#include "api.h"
#include "audit.h"
#include "compliance.h"
#include "plugin_host.h"
#include "report_columns.h"
#include "store_dp.h"
#include "store_record.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_TITLE = 200, MAX_PROVIDER = 200, MAX_NOTE = 1000 };

static const char *slug_of(json_t *learner)
{
    return json_string_value(json_object_get(json_object_get(learner, "borough"), "slug"));
}

static double round2(double v)
{
    return round(v * 100.0) / 100.0;
}

/* The expiry hook's date for one record, asked about it on its own (item
 * nil, docs/PLUGIN_API.md): a new string, or null. */
static json_t *expiry_of(const char *slug, json_t *learner, json_t *record)
{
    if (!slug || !plugin_host_has_hook(slug, HOOK_EXPIRY))
        return json_null();
    json_t *exp = plugin_expiry(slug, record, NULL, learner);
    json_t *when = json_object_get(exp, "expires");
    json_t *out = json_is_string(when) ? json_incref(when) : json_null();
    json_decref(exp);
    return out;
}

/* The record of an entry as the expiry hook sees it: kind "elearning" or
 * "course" (face to face and evidence other than e-learning). */
static json_t *entry_as_record(json_t *e)
{
    const char *kind = json_string_value(json_object_get(e, "kind"));
    const char *ekind = json_string_value(json_object_get(json_object_get(e, "evidence"), "kind"));
    bool elearning = strcmp(kind, "elearning") == 0 || (ekind && strcmp(ekind, "elearning") == 0);
    json_t *rec = json_pack("{ss sO sO sO sO sO}", "kind", elearning ? "elearning" : "course",
        "item_ref", json_object_get(e, "item_ref"), "title", json_object_get(e, "title"),
        "completed_at", json_object_get(e, "date"), "status", json_object_get(e, "status"),
        "hours", json_object_get(e, "hours"));
    if (rec && json_object_get(e, "score"))
        json_object_set(rec, "score", json_object_get(e, "score"));
    return rec;
}

/* {"role","items":[{"id","title","state","completed_at"}],"done","total"}
 * for the items the borough's plugin marks with category "pathway", or
 * null when there are none. Done counts done and expiring items. */
static json_t *pathway_of(json_t *learner, json_t *required)
{
    json_t *items = json_array(), *it;
    size_t i;
    int done = 0;
    json_array_foreach(required, i, it) {
        const char *cat = json_string_value(json_object_get(it, "category"));
        if (!cat || strcmp(cat, "pathway") != 0)
            continue;
        const char *state = json_string_value(json_object_get(it, "state"));
        if (state && (strcmp(state, "done") == 0 || strcmp(state, "expiring") == 0))
            done++;
        json_array_append_new(items, json_pack("{sO sO sO sO}", "id", json_object_get(it, "id"),
            "title", json_object_get(it, "title"), "state", json_object_get(it, "state"),
            "completed_at", json_object_get(it, "completed_at")));
    }
    if (json_array_size(items) == 0) {
        json_decref(items);
        return json_null();
    }
    return json_pack("{sO so si si}", "role", json_object_get(learner, "job_role"),
                     "items", items, "done", done, "total", (int)json_array_size(items));
}

/* The whole record of user uid (docs/API.md "The learner record"); for
 * the officer's view (officer_view), also the borough's report columns. */
static int record_build(int64_t uid, bool officer_view, json_t **ret)
{
    json_t *learner = NULL, *entries = NULL;
    int r = store_learner_context_json(uid, &learner);
    if (r)
        return r;
    if ((r = store_record_entries_json(uid, &entries))) {
        json_decref(learner);
        return r;
    }
    const char *slug = slug_of(learner);
    double total = 0, elearning = 0, face = 0, evidence = 0;
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        const char *status = json_string_value(json_object_get(e, "status"));
        double h = json_number_value(json_object_get(e, "hours"));
        total += h;
        if (strcmp(kind, "elearning") == 0)
            elearning += h;
        else if (strcmp(kind, "face_to_face") == 0)
            face += h;
        else
            evidence += h;
        /* a failed module, a no-show or a late cancellation is not
         * training that expires */
        json_t *expires = json_null();
        if (!json_is_true(json_object_get(e, "flagged")) && strcmp(status, "failed") != 0) {
            json_t *rec = entry_as_record(e);
            expires = expiry_of(slug, learner, rec);
            json_decref(rec);
        }
        json_object_set_new(e, "expires", expires);
    }
    json_t *required = plugins_required(learner);
    json_t *who = json_pack("{sO sO sO sO}", "id", json_object_get(learner, "id"),
        "name", json_object_get(learner, "name"), "email", json_object_get(learner, "email"),
        "job_role", json_object_get(learner, "job_role"));
    bool anonymised = false;
    store_user_anonymised(uid, &anonymised);
    json_object_set_new(who, "anonymised", json_boolean(anonymised));
    json_t *b = json_object_get(learner, "borough"), *o = json_object_get(learner, "organisation");
    json_object_set_new(who, "borough", b ? json_pack("{sO sO}", "id", json_object_get(b, "id"),
                        "name", json_object_get(b, "name")) : json_null());
    json_object_set_new(who, "organisation", o ? json_pack("{sO sO}", "id",
                        json_object_get(o, "id"), "name", json_object_get(o, "name")) : json_null());
    json_t *out = json_pack("{so so s{sf sf sf sf si} so so}", "learner", who, "entries", entries,
        "totals", "hours", round2(total), "elearning_hours", round2(elearning),
        "face_to_face_hours", round2(face), "evidence_hours", round2(evidence),
        "entries", (int)json_array_size(entries),
        "pathway", pathway_of(learner, required), "required", required);
    if (out && officer_view)
        json_object_set_new(out, "report_columns", report_columns_of(learner));
    json_decref(learner);
    if (!out)
        return -ENOMEM;
    *ret = out;
    return 0;
}

static void record_reply(cairn_req *r, int64_t uid, bool officer_view)
{
    json_t *out = NULL;
    int ret = record_build(uid, officer_view, &out);
    if (ret == -ENOENT)
        reply_error(r, 404, "not_found", "There is no learner %lld.", (long long)uid);
    else if (ret)
        reply_error(r, 500, "internal", "The record could not be read.");
    else
        reply_json(r, 200, out);
}

/* 1 when the signed-in user may see user uid's record (themselves, an
 * officer when uid is a learner of their borough, an admin, a partnership
 * user while a grant covers the learner: store_dp.h), 0 when not or when
 * there is no such user, -EACCES for a partnership user without a grant
 * (403: they know there are learners, the grant is what they lack), -EIO
 * on failure. */
static int visible(cairn_req *r, int64_t uid)
{
    if (uid == r->user->id)
        return 1;
    if (r->user->role == ROLE_PARTNERSHIP) {
        char now[21];
        api_now_utc(now);
        bool granted = false;
        int ret = store_grant_covers(r->user->id, uid, now, &granted);
        return ret ? ret : granted ? 1 : -EACCES;
    }
    int64_t borough = 0;
    cairn_role role = ROLE_LEARNER;
    int ret = store_user_borough(uid, &borough, &role);
    if (ret)
        return ret == -ENOENT ? 0 : ret;
    return r->user->role == ROLE_ADMIN ||
           (r->user->role == ROLE_OFFICER && role == ROLE_LEARNER && r->user->borough_id &&
            borough == r->user->borough_id);
}

static void refuse_partnership(cairn_req *r)
{
    reply_error(r, 403, "forbidden", "A partnership account sees a learner's details only "
                "under a grant from an administrator.");
}

/* visible(), replying 404 when not (not 403: the answer must not say
 * whether the learner exists), or 403 to a partnership user without a
 * grant. */
static bool may_see(cairn_req *r, int64_t uid)
{
    int v = visible(r, uid);
    if (v == -EACCES)
        refuse_partnership(r);
    else if (v < 0)
        reply_error(r, 500, "internal", "The learner could not be read.");
    else if (v == 0)
        reply_error(r, 404, "not_found", "There is no learner %lld in your borough.",
                    (long long)uid);
    return v > 0;
}

void api_me_record(cairn_req *r)
{
    record_reply(r, r->user->id, false);
}

void api_officer_learner_record(cairn_req *r)
{
    if (!may_see(r, r->ids[0]))
        return;
    record_reply(r, r->ids[0], true);
    if (r->status == 200 && r->ids[0] != r->user->id)
        audit_log(r, AUDIT_VIEW_RECORD, r->ids[0], NULL);
}

/* ---- evidence ---- */

/* Optional text of at most max bytes; "" and null count as absent. */
static bool opt_text(cairn_req *r, json_t *body, const char *key, size_t max, const char **ret)
{
    json_t *v = json_object_get(body, key);
    *ret = NULL;
    if (!v || json_is_null(v))
        return true;
    const char *s = json_string_value(v);
    if (!s || strlen(s) > max) {
        reply_invalid(r, key, "\"%s\" must be text of at most %zu characters.", key, max);
        return false;
    }
    *ret = *s ? s : NULL;
    return true;
}

/* A real calendar date "YYYY-MM-DD" from 1990-01-01 to today (UTC). */
static bool valid_completed_on(const char *s, char *why, size_t n)
{
    int y = 0, m = 0, d = 0;
    bool shape = s && strlen(s) == 10;
    for (int i = 0; shape && i < 10; i++)
        shape = i == 4 || i == 7 ? s[i] == '-' : s[i] >= '0' && s[i] <= '9';
    if (!shape || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3) {
        snprintf(why, n, "Enter the date it was completed as YYYY-MM-DD, for example 2024-03-27.");
        return false;
    }
    struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12 };
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (m < 1 || m > 12 || back.tm_mday != d || back.tm_mon != m - 1) {
        snprintf(why, n, "%s is not a real date.", s);
        return false;
    }
    char today[11];
    api_today_utc(today);
    if (strcmp(s, "1990-01-01") < 0) {
        snprintf(why, n, "The date it was completed must be 1 January 1990 or later.");
        return false;
    }
    if (strcmp(s, today) > 0) {
        snprintf(why, n, "The date it was completed must be today or in the past.");
        return false;
    }
    return true;
}

/* An officer's own training is not theirs to certify: evidence on their
 * own record is entered (or deleted) by an administrator. Replies 403 and
 * returns true when uid is the signed-in officer. */
static bool own_evidence_refused(cairn_req *r, int64_t uid)
{
    if (uid != r->user->id || r->user->role == ROLE_ADMIN)
        return false;
    reply_error(r, 403, "forbidden", "You cannot enter or delete evidence of your own "
                "training; an administrator can.");
    return true;
}

void api_officer_evidence_add(cairn_req *r)
{
    int64_t uid = r->ids[0];
    if (own_evidence_refused(r, uid) || !may_see(r, uid))
        return;
    json_t *body = req_json_object(r);
    if (!body)
        return;
    cairn_evidence_new e = { .user_id = uid, .kind = "external", .source = "officer",
                             .entered_by = r->user->id };
    const char *title = json_str(body, "title");
    json_t *v;
    char why[160];
    if (!title || !*title || strspn(title, " \t") == strlen(title) || strlen(title) > MAX_TITLE) {
        reply_invalid(r, "title", "Enter the name of the training, in at most %d characters.",
                      MAX_TITLE);
        goto out;
    }
    e.title = title;
    if ((v = json_object_get(body, "kind")) && !json_is_null(v)) {
        const char *k = json_string_value(v);
        if (!k || (strcmp(k, "external") && strcmp(k, "course") && strcmp(k, "elearning"))) {
            reply_invalid(r, "kind", "\"kind\" must be \"external\", \"course\" or \"elearning\".");
            goto out;
        }
        e.kind = k;
    }
    if (!opt_text(r, body, "provider", MAX_PROVIDER, &e.provider))
        goto out;
    if ((v = json_object_get(body, "group")) && !json_is_null(v)) {
        const char *g = json_string_value(v);
        if (!g || (*g && strcmp(g, "A") && strcmp(g, "B") && strcmp(g, "C"))) {
            reply_invalid(r, "group", "\"group\" must be \"A\", \"B\", \"C\" or empty.");
            goto out;
        }
        e.group = *g ? g : NULL;
    }
    if ((v = json_object_get(body, "level")) && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 2) {
            reply_invalid(r, "level", "\"level\" must be 1, 2 or null.");
            goto out;
        }
        e.level = (int)json_integer_value(v);
    }
    v = json_object_get(body, "hours");
    if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0 ||
        json_number_value(v) > 100) {
        reply_invalid(r, "hours", "Enter the hours of training, a number from 0 to 100.");
        goto out;
    }
    e.hours = round2(json_number_value(v));
    e.completed_on = json_str(body, "completed_on");
    if (!valid_completed_on(e.completed_on, why, sizeof why)) {
        reply_invalid(r, "completed_on", "%s", why);
        goto out;
    }
    if (!opt_text(r, body, "note", MAX_NOTE, &e.note))
        goto out;
    int64_t id;
    int ret = store_evidence_add(&e, &id);
    json_t *row = NULL;
    if (ret == -EEXIST)
        reply_error(r, 409, "duplicate", "This learner already has %s evidence of \"%s\" on %s.",
                    e.kind, e.title, e.completed_on);
    else if (ret || store_evidence_json(id, &row))
        reply_error(r, 500, "internal", "The evidence could not be saved.");
    else {
        compliance_touch(uid);     /* evidence can complete a required item */
        reply_json(r, 201, json_pack("{so}", "evidence", row));
    }
out:
    json_decref(body);
}

void api_officer_evidence_delete(cairn_req *r)
{
    int64_t owner;
    int ret = store_evidence_owner(r->ids[0], &owner);
    if (ret == -ENOENT) {
        reply_error(r, 404, "not_found", "There is no evidence %lld.", (long long)r->ids[0]);
        return;
    }
    if (ret) {
        reply_error(r, 500, "internal", "The evidence could not be read.");
        return;
    }
    if (own_evidence_refused(r, owner))
        return;
    int v = visible(r, owner);
    if (v <= 0) {
        if (v < 0)
            reply_error(r, 500, "internal", "The evidence could not be read.");
        else
            reply_error(r, 404, "not_found", "There is no evidence %lld.", (long long)r->ids[0]);
        return;
    }
    if (store_evidence_delete(r->ids[0])) {
        reply_error(r, 500, "internal", "The evidence could not be deleted.");
        return;
    }
    compliance_touch(owner);
    reply_status(r, 204);
}

/* ---- certificates ---- */

/* The certificate with its expiry, state and the borough's wording; NULL
 * when the code is not a certificate's (ret_err -ENOENT) or on failure. */
static json_t *certificate_full(const char *raw, int *ret_err)
{
    char code[CERT_CODE_LEN + 1];
    json_t *c = NULL, *learner = NULL;
    *ret_err = -ENOENT;
    if (!store_certificate_code_normal(raw, code))
        return NULL;
    if ((*ret_err = store_certificate_json(code, &c)))
        return NULL;
    json_int_t uid = json_integer_value(json_object_get(c, "user_id"));
    json_t *rec = json_object_get(c, "record");
    const char *slug = json_string_value(json_object_get(json_object_get(c, "borough"), "slug"));
    json_t *expires = json_null();
    if (json_is_object(rec) && store_learner_context_json(uid, &learner) == 0)
        expires = expiry_of(slug, learner, rec);
    json_decref(learner);
    char today[11];
    api_today_utc(today);
    const char *state = !json_is_null(json_object_get(c, "revoked_at")) ? "revoked"
        : json_is_string(expires) && strcmp(json_string_value(expires), today) <= 0 ? "expired"
        : "valid";
    json_object_set_new(c, "expires", expires);
    json_object_set_new(c, "state", json_string(state));
    char path[64];
    snprintf(path, sizeof path, "/verify/%s", code);
    json_object_set_new(c, "verify_path", json_string(path));
    json_t *wording = json_null(), *b = NULL;
    json_int_t bid = json_integer_value(json_object_get(json_object_get(c, "borough"), "id"));
    if (slug && store_borough_context_json(bid, &b) == 0) {
        json_t *lc = plugin_local_contacts(slug, b);
        json_t *w = json_object_get(lc, "certificate_wording");
        if (json_is_string(w))
            wording = json_incref(w);
        json_decref(lc);
    }
    json_decref(b);
    json_object_set_new(c, "certificate_wording", wording);
    return c;
}

void api_certificate(cairn_req *r)
{
    int err;
    json_t *c = certificate_full(r->rest, &err);
    if (!c) {
        if (err == -ENOENT)
            reply_error(r, 404, "not_found", "There is no certificate with that code.");
        else
            reply_error(r, 500, "internal", "The certificate could not be read.");
        return;
    }
    int64_t owner = json_integer_value(json_object_get(c, "user_id"));
    int v = visible(r, owner);
    if (v <= 0) {
        json_decref(c);
        if (v == -EACCES)
            refuse_partnership(r);
        else if (v < 0)
            reply_error(r, 500, "internal", "The certificate could not be read.");
        else
            reply_error(r, 404, "not_found", "There is no certificate with that code.");
        return;
    }
    json_object_del(json_object_get(c, "borough"), "slug");
    if (owner != r->user->id)
        audit_log(r, AUDIT_VIEW_CERTIFICATE, owner, json_pack("{sO}", "code",
                  json_object_get(c, "code")));
    reply_json(r, 200, json_pack("{so}", "certificate", c));
}

/* Public: says whether the code is genuine and in date, with no more than
 * the certificate itself shows. */
void api_verify(cairn_req *r)
{
    int err;
    json_t *c = certificate_full(r->rest, &err);
    if (!c) {
        if (err == -ENOENT)
            reply_error(r, 404, "not_found",
                        "No certificate has this code. Check it against the certificate.");
        else
            reply_error(r, 500, "internal", "The certificate could not be checked.");
        return;
    }
    json_t *rec = json_object_get(c, "record"), *b = json_object_get(c, "borough");
    json_t *out = json_pack("{sb sO s{sO sO sO sO? sO sO sO so}}", "genuine", 1,
        "state", json_object_get(c, "state"), "certificate",
        "code", json_object_get(c, "code"),
        "name", json_object_get(json_object_get(c, "learner"), "name"),
        "title", json_object_get(c, "title"),
        "completed_at", json_object_get(rec, "completed_at"),
        "expires", json_object_get(c, "expires"),
        "issued_at", json_object_get(c, "issued_at"),
        "revoked_at", json_object_get(c, "revoked_at"),
        "borough", b && !json_is_null(b) ? json_incref(json_object_get(b, "name")) : json_null());
    json_decref(c);
    reply_json(r, 200, out);
}

/* GET /verify/CODE: the verify page (it asks GET /api/verify/CODE), or a
 * 404 page saying so for a code that is no certificate's. */
void page_verify(cairn_req *r)
{
    char code[CERT_CODE_LEN + 1];
    json_t *c = NULL;
    int ret = store_certificate_code_normal(r->rest, code) ? store_certificate_json(code, &c)
                                                          : -ENOENT;
    json_decref(c);
    if (ret && ret != -ENOENT) {
        reply_error(r, 500, "internal", "The certificate could not be checked.");
        return;
    }
    if (ret)
        files_page(r, "verify-unknown.html", 404);
    else
        files_page(r, "verify.html", 200);
}
