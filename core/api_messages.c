/* api_messages.c: the notification outbox as people see it (docs/API.md
 * "Notifications"): a learner's own messages, and an officer's view of the
 * messages to their borough's learners (an admin's: every message). */
#include "api.h"
#include "store_outbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { DEFAULT_PAGE = 50 };

/* ?status, ?limit, ?before; replies 422 and returns false when one is bad. */
static bool page_params(cairn_req *r, const char **ret_status, int *ret_limit,
                        int64_t *ret_before)
{
    const char *status = req_query(r, "status"), *limit = req_query(r, "limit");
    const char *before = req_query(r, "before");
    if (status && !*status)
        status = NULL;
    if (status && strcmp(status, "pending") && strcmp(status, "sent") && strcmp(status, "failed")) {
        reply_invalid(r, "status", "status must be pending, sent or failed.");
        return false;
    }
    long long v;
    char *end;
    *ret_limit = DEFAULT_PAGE;
    if (limit) {
        errno = 0;
        v = strtoll(limit, &end, 10);
        if (errno || end == limit || *end || v < 1 || v > OUTBOX_PAGE_MAX) {
            reply_invalid(r, "limit", "limit must be a whole number from 1 to %d.",
                          OUTBOX_PAGE_MAX);
            return false;
        }
        *ret_limit = (int)v;
    }
    *ret_before = 0;
    if (before) {
        errno = 0;
        v = strtoll(before, &end, 10);
        if (errno || end == before || *end || v < 1) {
            reply_invalid(r, "before", "before must be a message id (a whole number above 0).");
            return false;
        }
        *ret_before = v;
    }
    *ret_status = status;
    return true;
}

void api_me_messages(cairn_req *r)
{
    const char *status;
    int limit;
    int64_t before;
    if (!page_params(r, &status, &limit, &before))
        return;
    json_t *out;
    if (store_outbox_user_json(r->user->id, status, limit, before, &out)) {
        reply_error(r, 500, "internal", "Your messages could not be read.");
        return;
    }
    json_object_set_new(out, "email_enabled", json_boolean(cfg.smtp_url && cfg.smtp_url[0]));
    reply_json(r, 200, out);
}

void api_officer_messages(cairn_req *r)
{
    const char *status;
    int limit;
    int64_t before;
    if (!page_params(r, &status, &limit, &before))
        return;
    bool admin = r->user->role == ROLE_ADMIN;
    if (!admin && !r->user->borough_id) {
        reply_error(r, 403, "forbidden", "Your account belongs to no borough.");
        return;
    }
    json_t *out;
    if (store_outbox_borough_json(admin ? 0 : r->user->borough_id, status, limit, before, &out)) {
        reply_error(r, 500, "internal", "The messages could not be read.");
        return;
    }
    json_object_set_new(out, "email_enabled", json_boolean(cfg.smtp_url && cfg.smtp_url[0]));
    reply_json(r, 200, out);
}
