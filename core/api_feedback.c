/* api_feedback.c: participant feedback (docs/API.md "Feedback").
 *
 * A learner who attended a session or completed a module is asked for a
 * short evaluation: how useful it was, how confident they felt about its
 * aims before and after (1 to 5 each), and free text. Officers see
 * summaries per course, session, trainer or module, scoped to their
 * borough, with no learner named beside a comment. Storage and the
 * eligibility rules are in store_feedback.c. */
#include "api.h"
#include "store_courses.h"
#include "store_feedback.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_COMMENTS = 2000 };

static const char *const scale_fields[] = {
    "usefulness", "confidence_before", "confidence_after",
};
static const char *const scale_names[] = {
    "how useful it was", "how confident you felt before", "how confident you feel now",
};

static void add_error(json_t *errors, const char *field, const char *message)
{
    json_array_append_new(errors, json_pack("{ss ss}", "field", field, "error", message));
}

/* A positive id member: 0 when absent or null, -1 when present but not one. */
static int64_t id_member(json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return 0;
    return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : -1;
}

/* The learner's own feedback with this id, from their list. */
static json_t *given_by_id(int64_t user_id, int64_t id)
{
    json_t *mine = NULL, *found = NULL, *g;
    size_t i;
    if (store_feedback_mine_json(user_id, &mine))
        return NULL;
    json_array_foreach(json_object_get(mine, "given"), i, g)
        if (json_integer_value(json_object_get(g, "id")) == id)
            found = json_incref(g);
    json_decref(mine);
    return found;
}

void api_me_feedback(cairn_req *r)
{
    json_t *out;
    if (store_feedback_mine_json(r->user->id, &out)) {
        reply_error(r, 500, "internal", "Your evaluations could not be read.");
        return;
    }
    reply_json(r, 200, out);
}

void api_feedback_create(cairn_req *r)
{
    json_t *body = req_json_object(r), *errors = json_array();
    if (!body)
        goto done;
    cairn_feedback_new f = { .user_id = r->user->id };
    int64_t sid = id_member(body, "session_id"), pid = id_member(body, "package_id");
    if (sid < 0)
        add_error(errors, "session_id", "\"session_id\" must be the id of a course session.");
    if (pid < 0)
        add_error(errors, "package_id", "\"package_id\" must be the id of a module.");
    if (sid > 0 && pid > 0)
        add_error(errors, "session_id", "Give feedback on one session or one module at a time "
                  "(\"session_id\" or \"package_id\", not both).");
    if (sid == 0 && pid == 0)
        add_error(errors, "session_id", "Say which session (\"session_id\") or module "
                  "(\"package_id\") the feedback is about.");
    int *scales[] = { &f.usefulness, &f.confidence_before, &f.confidence_after };
    for (size_t i = 0; i < sizeof scale_fields / sizeof scale_fields[0]; i++) {
        json_t *v = json_object_get(body, scale_fields[i]);
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 5) {
            char msg[160];
            snprintf(msg, sizeof msg, "Choose %s, from 1 to 5.", scale_names[i]);
            add_error(errors, scale_fields[i], msg);
        } else {
            *scales[i] = (int)json_integer_value(v);
        }
    }
    json_t *cv = json_object_get(body, "comments");
    f.comments = "";
    if (cv && !json_is_null(cv)) {
        if (!json_is_string(cv))
            add_error(errors, "comments", "\"comments\" must be text.");
        else if (text_chars(json_string_value(cv)) > MAX_COMMENTS)
            add_error(errors, "comments", "Comments must be 2000 characters or fewer.");
        else
            f.comments = json_string_value(cv);
    }
    if (json_array_size(errors)) {
        json_t *first = json_array_get(errors, 0);
        reply_json(r, 422, json_pack("{sO ss sO sO}", "error", json_object_get(first, "error"),
                   "code", "invalid", "field", json_object_get(first, "field"),
                   "errors", errors));
        goto done;
    }
    f.session_id = sid;
    f.package_id = pid;
    const char *what = sid ? "session" : "module";
    int e = store_feedback_check(r->user->id, sid, pid);
    int64_t id = 0;
    if (!e)
        e = store_feedback_add(&f, &id);
    json_t *g;
    switch (e) {
    case 0:
        if ((g = given_by_id(r->user->id, id)))
            reply_json(r, 201, json_pack("{so}", "feedback", g));
        else
            reply_error(r, 500, "internal", "Your feedback was saved but could not be read.");
        break;
    case -ENOENT:
        reply_error(r, 404, "not_found", "There is no such %s.", what);
        break;
    case -EEXIST:
        reply_error(r, 409, "already_given", "You have already given feedback on this %s. "
                    "Thank you.", what);
        break;
    case -EACCES:
        if (sid)
            reply_error(r, 403, "not_attended", "You can give feedback on a session once your "
                        "attendance has been recorded.");
        else
            reply_error(r, 403, "not_completed", "You can give feedback on a module once you "
                        "have completed it.");
        break;
    default:
        reply_error(r, 500, "internal", "Your feedback could not be saved.");
    }
done:
    json_decref(errors);
    json_decref(body);
}

/* A positive id in the query string: 0 when absent; replies 422 and
 * returns -1 when it is not a whole number. */
static int64_t query_id(cairn_req *r, const char *key)
{
    const char *s = req_query(r, key);
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v < 1 || strlen(s) > 18) {
        reply_invalid(r, key, "\"%s\" must be a whole number above 0.", key);
        return -1;
    }
    return v;
}

void api_officer_feedback(cairn_req *r)
{
    bool admin = r->user->role == ROLE_ADMIN;
    if (!admin && !r->user->borough_id) {
        reply_error(r, 403, "forbidden", "Your account belongs to no borough.");
        return;
    }
    cairn_feedback_query q = { .borough_id = admin ? 0 : r->user->borough_id };
    const char *by = req_query(r, "by");
    if (!by || !*by || !strcmp(by, "course"))
        q.by = FEEDBACK_BY_COURSE;
    else if (!strcmp(by, "session"))
        q.by = FEEDBACK_BY_SESSION;
    else if (!strcmp(by, "trainer"))
        q.by = FEEDBACK_BY_TRAINER;
    else if (!strcmp(by, "module"))
        q.by = FEEDBACK_BY_MODULE;
    else {
        reply_invalid(r, "by", "\"by\" must be \"course\", \"session\", \"trainer\" or \"module\".");
        return;
    }
    if ((q.course_id = query_id(r, "course_id")) < 0 ||
        (q.session_id = query_id(r, "session_id")) < 0 ||
        (q.package_id = query_id(r, "package_id")) < 0)
        return;
    json_t *thing = NULL, *out = NULL;
    const char *what = "session";
    int e = 0;
    if (q.session_id) {
        e = store_course_session_json(q.session_id, 0, &thing);
        if (!e && !admin && json_integer_value(json_object_get(json_object_get(thing,
                "host_borough"), "id")) != r->user->borough_id) {
            reply_error(r, 403, "forbidden", "This session is run by another borough: its "
                        "feedback is theirs.");
            goto done;
        }
    }
    if (!e && q.course_id) {
        what = "course";
        json_decref(thing);
        thing = NULL;
        e = store_course_json(q.course_id, &thing);
    }
    if (!e && q.package_id) {
        what = "module";
        cairn_package_version *p = NULL;
        e = store_package_current(q.package_id, &p);
        cairn_package_version_free(p);
    }
    if (e == -ENOENT) {
        reply_error(r, 404, "not_found", "There is no such %s.", what);
        goto done;
    }
    if (e || store_feedback_summary_json(&q, &out)) {
        reply_error(r, 500, "internal", "The feedback could not be read.");
        goto done;
    }
    reply_json(r, 200, out);
done:
    json_decref(thing);
}
