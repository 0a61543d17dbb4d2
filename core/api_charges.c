/* api_charges.c: no-shows and late cancellations flagged for the
 * learner's borough's charging rule (docs/API.md "Charges",
 * docs/PLUGIN_API.md "charge").
 *
 * A charge is flagged from two places in api_courses.c: attendance marked
 * "no_show" or "cancelled_late", and a learner cancelling inside the
 * session's notice period. The learner's borough's charge hook names the
 * amount; the charge is flagged whatever the hook says, so an officer sees
 * every no-show:
 *   hook returns {amount_pence, note}   amount and note as given
 *   hook returns nil                     amount 0 ("no charge")
 *   hook fails (error, budget)           no amount; the note says so
 *   no plugin has the hook               no amount
 * Officers see and change the charges of their own borough's learners;
 * administrators all. */
#include "api.h"
#include "log.h"
#include "plugin_host.h"
#include "store_charges.h"

#include <errno.h>
#include <string.h>

static const char *const charge_statuses[] = { "flagged", "waived", "invoiced" };

static bool status_known(const char *s)
{
    for (size_t i = 0; i < sizeof charge_statuses / sizeof charge_statuses[0]; i++)
        if (s && strcmp(s, charge_statuses[i]) == 0)
            return true;
    return false;
}

void charges_flag(int64_t user_id, json_t *s, const char *reason, int notice_hours)
{
    json_t *learner = NULL;
    if (store_learner_context_json(user_id, &learner))
        learner = NULL;
    const char *slug = json_string_value(json_object_get(json_object_get(learner, "borough"),
                                                         "slug"));
    int64_t amount = -1;
    const char *note = "";
    json_t *answer = NULL;
    if (slug && plugin_host_has_hook(slug, HOOK_CHARGE)) {
        json_t *c = json_object_get(s, "course");
        json_t *event = json_pack("{ss s{sO sO sO sO sO}}", "reason", reason,
            "session", "id", json_object_get(s, "id"), "title", json_object_get(c, "title"),
            "group", json_object_get(c, "group"), "starts_at", json_object_get(s, "starts_at"),
            "host_borough", json_object_get(json_object_get(s, "host_borough"), "slug"));
        if (event && notice_hours >= 0)
            json_object_set_new(event, "notice_hours", json_integer(notice_hours));
        bool failed = false;
        answer = event ? plugin_charge(slug, event, learner, &failed) : NULL;
        json_decref(event);
        if (answer) {
            amount = json_integer_value(json_object_get(answer, "amount_pence"));
            note = json_string_value(json_object_get(answer, "note"));
        } else if (failed || !event) {
            note = "The borough's charging rule could not be run: no amount was set.";
        } else {
            amount = 0;
            note = "No charge under the borough's rules.";
        }
    }
    int e = store_charge_flag(user_id, json_integer_value(json_object_get(s, "id")), 0, reason,
                              amount, note ? note : "");
    if (e)
        log_error("charges", "user=%lld session=%lld reason=%s: the charge could not be "
                  "flagged (%d)", (long long)user_id,
                  (long long)json_integer_value(json_object_get(s, "id")), reason, e);
    json_decref(answer);
    json_decref(learner);
}

void charges_sync_attendance(int64_t user_id, int64_t session_id)
{
    int e = store_charges_sync_attendance(user_id, session_id);
    if (e)
        log_error("charges", "user=%lld session=%lld: flagged charges could not be "
                  "updated (%d)", (long long)user_id, (long long)session_id, e);
}

void api_charges_list(cairn_req *r)
{
    const char *status = req_query(r, "status");
    if (status && !*status)
        status = NULL;
    if (status && !status_known(status)) {
        reply_invalid(r, "status", "\"status\" must be flagged, waived or invoiced.");
        return;
    }
    /* An officer of no borough sees nobody's charges (-1 matches none). */
    int64_t borough = r->user->role == ROLE_ADMIN ? 0
                    : r->user->borough_id ? r->user->borough_id : -1;
    json_t *out;
    if (store_charges_json(borough, status, &out)) {
        reply_error(r, 500, "internal", "The charges could not be read.");
        return;
    }
    reply_json(r, 200, out);
}

void api_charge_status(cairn_req *r)
{
    json_t *body = req_json_object(r), *out = NULL;
    if (!body)
        return;
    const char *status = json_str(body, "status");
    json_t *nv = json_object_get(body, "note");
    const char *note = json_string_value(nv);
    if (!status_known(status)) {
        reply_invalid(r, "status", "\"status\" must be \"flagged\", \"waived\" or \"invoiced\".");
        goto done;
    }
    if (nv && !json_is_null(nv) && (!note || strlen(note) > 500)) {
        reply_invalid(r, "note", "\"note\" must be text of at most 500 characters.");
        goto done;
    }
    int64_t borough;
    int e = store_charge_borough(r->ids[0], &borough);
    /* Another borough's charge is answered as if it did not exist. */
    if (e == -ENOENT || (!e && r->user->role != ROLE_ADMIN &&
                         (!r->user->borough_id || borough != r->user->borough_id))) {
        reply_error(r, 404, "not_found", "There is no charge %lld.", (long long)r->ids[0]);
        goto done;
    }
    if (e || (e = store_charge_set_status(r->ids[0], status, note)) ||
        (e = store_charge_json(r->ids[0], &out))) {
        reply_error(r, 500, "internal", "The charge could not be changed.");
        goto done;
    }
    log_info("charges", "charge=%lld status=%s by user=%lld", (long long)r->ids[0], status,
             (long long)r->user->id);
    reply_json(r, 200, json_pack("{so}", "charge", out));
done:
    json_decref(body);
}
