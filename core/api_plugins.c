/* api_plugins.c: where borough plugins meet the HTTP API (docs/API.md
 * "Borough rules"): the registration check, required training on My
 * training, local contacts, the completion observer, and the admin's view
 * of the plugins. The rules themselves live in plugins/; this file only
 * builds the arguments (from the store) and turns answers into replies. */
#include "api.h"
#include "compliance.h"
#include "plugin_host.h"
#include "store_record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *slug_of(json_t *borough)
{
    return json_string_value(json_object_get(borough, "slug"));
}

/* {"id","name","slug"} without the organisations. */
static json_t *borough_short(json_t *b)
{
    return json_pack("{sO sO sO}", "id", json_object_get(b, "id"),
                     "name", json_object_get(b, "name"), "slug", json_object_get(b, "slug"));
}

json_t *plugins_learner(int64_t user_id)
{
    json_t *l = NULL;
    return store_learner_context_json(user_id, &l) == 0 ? l : NULL;
}

/* ---- registration ---- */

static bool field_known(const char *f)
{
    static const char *const fields[] = { "name", "email", "job_role", "borough_id",
                                          "organisation_id", NULL };
    for (int i = 0; f && fields[i]; i++)
        if (strcmp(f, fields[i]) == 0)
            return true;
    return false;
}

bool plugins_registration_allowed(cairn_req *r, const char *name, const char *email,
                                  const char *job_role, int64_t borough_id,
                                  int64_t organisation_id)
{
    json_t *b = NULL, *o = NULL;
    if (store_borough_context_json(borough_id, &b) != 0) {
        reply_invalid(r, "borough_id", "Select your borough.");
        return false;
    }
    const char *slug = slug_of(b);
    if (!plugin_host_has_hook(slug, HOOK_REGISTRATION_CHECK)) {
        json_decref(b);
        return true;
    }
    if (store_organisation_json(organisation_id, &o) != 0) {
        json_decref(b);
        reply_invalid(r, "organisation_id", "Select an organisation in your borough.");
        return false;
    }
    json_object_del(o, "borough_id");
    json_t *reg = json_pack("{ss ss ss so sO}", "name", name, "email", email,
                            "job_role", job_role, "borough", borough_short(b),
                            "organisation", o);
    plugin_decision d;
    plugin_registration_check(slug, reg, &d);
    json_decref(reg);
    json_decref(o);
    json_decref(b);
    if (d.verdict == PLUGIN_ALLOW)
        return true;
    reply_invalid(r, !d.failed && field_known(d.field) ? d.field : NULL, "%s", d.reason);
    return false;
}

/* ---- My training: what the learner's borough requires ---- */

static long days_between(const char *a, const char *b)
{
    struct tm ta = { 0 }, tb = { 0 };
    if (sscanf(a, "%4d-%2d-%2d", &ta.tm_year, &ta.tm_mon, &ta.tm_mday) != 3 ||
        sscanf(b, "%4d-%2d-%2d", &tb.tm_year, &tb.tm_mon, &tb.tm_mday) != 3)
        return 0;
    ta.tm_year -= 1900, tb.tm_year -= 1900;
    ta.tm_mon -= 1, tb.tm_mon -= 1;
    return (long)((timegm(&tb) - timegm(&ta)) / 86400);
}

static bool same_title(json_t *a, const char *b)
{
    const char *s = json_string_value(a);
    return s && b && strcasecmp(s, b) == 0;
}

/* Does completion c (store_record_completions_json) complete item?
 * - e-learning: a completed or passed record of the item's package, or
 *   evidence of kind elearning titled as the item, its package's manifest
 *   identifier or its title (store_record.c gives such evidence the
 *   package's identifier as item_ref);
 * - course: every date of a session of a course titled as the item
 *   ("Domestic violence - Level 1" also names the Level 1 course
 *   "Domestic violence") marked attended, or evidence of kind course or
 *   external titled as the item.
 * Titles compare without regard to (ASCII) case. */
static bool completes(json_t *c, json_t *item)
{
    const char *kind = json_string_value(json_object_get(item, "kind"));
    const char *ckind = json_string_value(json_object_get(c, "kind"));
    const char *source = json_string_value(json_object_get(c, "source"));
    const char *title = json_string_value(json_object_get(item, "title"));
    const char *pkg = json_string_value(json_object_get(item, "package"));
    if (!kind || !ckind || !source || strcmp(kind, ckind) != 0)
        return false;
    if (strcmp(kind, "elearning") == 0) {
        const char *ref = json_string_value(json_object_get(c, "item_ref"));
        if (pkg && ref && strcmp(ref, pkg) == 0)
            return true;
        return strcmp(source, "evidence") == 0 &&
               (same_title(json_object_get(c, "title"), title) ||
                same_title(json_object_get(c, "title"), pkg));
    }
    return same_title(json_object_get(c, "title"), title) ||
           same_title(json_object_get(c, "alt_title"), title);
}

/* The latest completion of the item, or NULL (borrowed from completions). */
static json_t *record_for(json_t *completions, json_t *item)
{
    json_t *found = NULL, *c;
    size_t i;
    json_array_foreach(completions, i, c) {
        if (!completes(c, item))
            continue;
        const char *at = json_string_value(json_object_get(c, "completed_at"));
        const char *best = json_string_value(json_object_get(found, "completed_at"));
        if (!found || (at && best && strcmp(at, best) >= 0))
            found = c;
    }
    return found;
}

/* The record as plugins see it (docs/PLUGIN_API.md "The learner"): without
 * the fields that only say where it came from. */
static json_t *plugin_record(json_t *c)
{
    json_t *rec = json_deep_copy(c);
    json_object_del(rec, "alt_title");
    return rec;
}

json_t *plugins_required(json_t *learner)
{
    json_t *out = json_array(), *completions = NULL;
    const char *slug = slug_of(json_object_get(learner, "borough"));
    json_int_t uid = json_integer_value(json_object_get(learner, "id"));
    if (!slug || !plugin_host_has_hook(slug, HOOK_REQUIRED_TRAINING))
        return out;
    json_t *items = plugin_required_training(slug, learner);
    if (!json_array_size(items) || store_record_completions_json(uid, &completions) != 0) {
        json_decref(items);
        return out;
    }
    char today[11];
    api_today_utc(today);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        json_t *o = json_deep_copy(item);
        const char *pkg = json_string_value(json_object_get(item, "package"));
        int64_t pid;
        json_object_set_new(o, "package_id", pkg && store_package_by_identifier(pkg, &pid) == 0
                            ? json_integer(pid) : json_null());
        json_t *done = record_for(completions, item);
        const char *due = json_string_value(json_object_get(item, "due"));
        const char *state;
        json_object_set_new(o, "completed_at", done ? json_incref(json_object_get(done,
                            "completed_at")) : json_null());
        json_object_set_new(o, "expires", json_null());
        if (done) {
            json_t *rec = plugin_record(done);
            json_t *exp = plugin_expiry(slug, rec, item, learner);
            json_decref(rec);
            const char *expires = json_string_value(json_object_get(exp, "expires"));
            long window = (long)json_integer_value(json_object_get(exp, "expiring_days"));
            json_t *rule = json_object_get(exp, "rule");
            if (rule)
                json_object_set(o, "rule", rule);
            state = "done";
            if (expires) {
                json_object_set_new(o, "expires", json_string(expires));
                json_object_set_new(o, "expiring_days", json_integer(window));
                json_object_set_new(o, "due", json_string(expires));
                if (strcmp(expires, today) <= 0)
                    state = "overdue";
                else if (days_between(today, expires) <= window)
                    state = "expiring";
            } else {
                json_object_del(o, "due");
            }
            json_decref(exp);
        } else {
            state = due && strcmp(due, today) < 0 ? "overdue" : "due";
        }
        json_object_set_new(o, "state", json_string(state));
        json_array_append_new(out, o);
    }
    json_decref(completions);
    json_decref(items);
    return out;
}

void plugins_add_required(const cairn_user *u, json_t *training)
{
    json_t *learner = NULL;
    if (u->borough_id && store_learner_context_json(u->id, &learner) == 0) {
        json_object_set_new(training, "required", plugins_required(learner));
        json_decref(learner);
    } else {
        json_object_set_new(training, "required", json_array());
    }
}

/* ---- the completion observer (called on the writer thread: only queues) ---- */

void plugins_completion(int64_t user_id, const cairn_commit *c)
{
    if (!c->record_status)
        return;
    char now[21];
    api_now_utc(now);
    compliance_touch(user_id);     /* the record is committed: refresh the reports' rows */
    plugin_observe(HOOK_ON_COMPLETION, user_id,
                   json_pack("{ss ss? ss ss}", "kind", "elearning", "title", c->title,
                             "status", c->record_status, "at", now));
}

/* ---- GET /api/me/contacts ---- */

void api_contacts(cairn_req *r)
{
    int64_t bid = r->user->borough_id;
    const char *q = req_query(r, "borough");
    if (q) {
        char *end;
        long long v = strtoll(q, &end, 10);
        if (*end || v <= 0) {
            reply_invalid(r, "borough", "borough must be a borough's id.");
            return;
        }
        if (v != bid && r->user->role != ROLE_ADMIN) {
            reply_error(r, 403, "forbidden", "You can see the contacts of your own borough only.");
            return;
        }
        bid = v;
    }
    if (!bid) {
        reply_json(r, 200, json_pack("{sn s[] sn}", "borough", "contacts",
                                     "certificate_wording"));
        return;
    }
    json_t *b = NULL;
    int ret = store_borough_context_json(bid, &b);
    if (ret) {
        if (ret == -ENOENT)
            reply_error(r, 404, "not_found", "There is no borough %lld.", (long long)bid);
        else
            reply_error(r, 500, "internal", "The borough could not be read.");
        return;
    }
    json_t *c = plugin_local_contacts(slug_of(b), b);
    json_t *contacts = json_object_get(c, "contacts");
    json_t *wording = json_object_get(c, "certificate_wording");
    json_t *out = json_pack("{so s[] sn}", "borough", borough_short(b), "contacts",
                            "certificate_wording");
    if (out && contacts)
        json_object_set(out, "contacts", contacts);
    if (out && wording)
        json_object_set(out, "certificate_wording", wording);
    reply_json(r, 200, out);
    json_decref(c);
    json_decref(b);
}

/* ---- admin ---- */

void api_admin_plugins(cairn_req *r)
{
    reply_json(r, 200, plugin_host_status());
}

void api_admin_plugins_reload(cairn_req *r)
{
    int failed = plugin_host_reload();
    if (failed < 0) {
        reply_error(r, 500, "internal", "The plugins folder could not be read: %s.",
                    strerror(-failed));
        return;
    }
    json_t *st = plugin_host_status();
    json_object_set_new(st, "reloaded", json_true());
    json_object_set_new(st, "failed", json_integer(failed));
    reply_json(r, 200, st);
}
