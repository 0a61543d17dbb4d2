/* api_learning.c: My training, launching a SCO, and learner commits
 * (docs/API.md "Learners"). */
#include "api.h"
#include "auth.h"
#include "log.h"
#include "metrics.h"
#include "runtime.h"
#include "writer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_training(cairn_req *r)
{
    json_t *out;
    if (store_training_json(r->user->id, &out)) {
        reply_error(r, 500, "internal", "Your training could not be read.");
        return;
    }
    plugins_add_required(r->user, out);
    reply_json(r, 200, out);
}

static json_t *nullable(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A file path inside a package as a URL path: a launch file may be named
 * with spaces, '%', '#' or '?', which must not be read as URL syntax.
 * Returns a malloc'd string or NULL. */
static char *url_encode_path(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!path)
        return NULL;
    size_t n = strlen(path);
    char *out = malloc(n * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~!$&'()*+,;=:@", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/* attemptLimit of the activity with this id, the smallest non-zero one on
 * the path from the root when a is on it; 0 when none. *ret_leaves counts
 * the tree's leaves. */
static int limit_on_path(json_t *a, const char *id, int depth, int *ret_limit,
                         int *ret_leaves)
{
    if (!json_is_object(a) || depth > 64)
        return 0;
    json_t *kids = json_object_get(a, "children");
    int found = 0;
    if (json_array_size(kids) == 0) {
        (*ret_leaves)++;
        const char *aid = json_string_value(json_object_get(a, "id"));
        found = aid && strcmp(aid, id) == 0;
    } else {
        size_t i;
        json_t *c;
        json_array_foreach(kids, i, c)
            found |= limit_on_path(c, id, depth + 1, ret_limit, ret_leaves);
    }
    json_int_t n = json_integer_value(json_object_get(a, "attemptLimit"));
    if (found && n > 0 && n <= INT32_MAX && (*ret_limit == 0 || n < *ret_limit))
        *ret_limit = (int)n;
    return found;
}

/* The number of attempts the SCORM 2004 sequencing allows on this SCO
 * (docs/SCORM.md "Sequencing", "Trust"): its own attemptLimit; in a tree
 * with one leaf also its ancestors' (each attempt on the course is then an
 * attempt on the SCO). 0: no limit. */
static int sco_attempt_limit(json_t *manifest, const char *sco_id)
{
    json_t *tree = json_object_get(json_object_get(manifest, "sequencing"), "activity_tree");
    int path = 0, leaves = 0;
    if (!tree || !limit_on_path(tree, sco_id, 0, &path, &leaves))
        return 0;
    if (leaves == 1)
        return path;
    /* several leaves: the leaf's own limit only */
    json_t *stack[66];
    size_t top = 0;
    stack[top++] = tree;
    while (top) {
        json_t *a = stack[--top];
        const char *aid = json_string_value(json_object_get(a, "id"));
        json_t *kids = json_object_get(a, "children");
        if (json_array_size(kids) == 0 && aid && strcmp(aid, sco_id) == 0) {
            json_int_t n = json_integer_value(json_object_get(a, "attemptLimit"));
            return n > 0 && n <= INT32_MAX ? (int)n : 0;
        }
        size_t i;
        json_t *c;
        json_array_foreach(kids, i, c)
            if (top < sizeof stack / sizeof *stack)
                stack[top++] = c;
    }
    return 0;
}

int api_package_current(cairn_req *r, cairn_package_version **ret_pv)
{
    int ret = store_package_current(r->ids[0], ret_pv);
    if (ret == -ENOENT)
        reply_error(r, 404, "not_found", "There is no module %lld.", (long long)r->ids[0]);
    else if (ret)
        reply_error(r, 500, "internal", "The module could not be read.");
    return ret;
}

void api_launch(cairn_req *r)
{
    const char *want = NULL;
    json_t *body = NULL;
    if (r->body_len) {
        if (!(body = req_json_object(r)))
            return;
        json_t *sco_v = json_object_get(body, "sco");
        if (sco_v && !json_is_string(sco_v) && !json_is_null(sco_v)) {
            reply_invalid(r, "sco", "\"sco\" must be the identifier of an item, as text.");
            json_decref(body);
            return;
        }
        want = json_string_value(sco_v);
    }
    cairn_package_version *pv = NULL;
    cairn_attempt *a = NULL;
    char *last_sco = NULL;
    int64_t reg;
    int ret = api_package_current(r, &pv);
    if (ret)
        goto out;
    json_t *sco = runtime_sco_find(pv->manifest, want);
    if (want && !sco) {
        reply_invalid(r, "sco", "This module has no launchable item \"%s\".", want);
        goto out;
    }
    if (store_registration_ensure(r->user->id, pv->package_id, &reg, &last_sco)) {
        reply_error(r, 500, "internal", "Your place on the module could not be recorded.");
        goto out;
    }
    if (!sco)
        sco = runtime_sco_find(pv->manifest, last_sco);
    if (!sco)
        sco = runtime_first_sco(pv->manifest);
    if (!sco) {
        reply_error(r, 409, "no_content", "This module has nothing to launch.");
        goto out;
    }
    const char *sco_id = json_string_value(json_object_get(sco, "id"));
    char token[33];
    auth_random_hex(token, 16);
    int limit = sco_attempt_limit(pv->manifest, sco_id);
    ret = store_attempt_launch(reg, sco_id, pv->version_id, token, limit, &a);
    if (ret == -EDQUOT) {
        const char *title = json_string_value(json_object_get(sco, "title"));
        if (limit == 1)
            reply_error(r, 409, "attempts_used", "You have used the one attempt allowed at "
                        "\u201c%s\u201d.", title ? title : sco_id);
        else
            reply_error(r, 409, "attempts_used", "You have used all %d attempts allowed at "
                        "\u201c%s\u201d.", limit, title ? title : sco_id);
        goto out;
    }
    if (ret) {
        reply_error(r, 500, "internal", "The attempt could not be started.");
        goto out;
    }
    /* Content is served from the version the attempt started on, so that
     * importing a new version never changes a page under a learner. */
    cairn_package_version *apv = pv;
    if (a->version_id != pv->version_id &&
        store_package_version_by_id(a->version_id, &apv) != 0)
        apv = pv;
    json_t *asco = apv == pv ? sco : runtime_sco_find(apv->manifest, sco_id);
    if (!asco)
        asco = sco;

    char *launch_url = NULL, *commit_url = NULL;
    char *lp = url_encode_path(json_string_value(json_object_get(asco, "launch_path")));
    const char *lq = json_string_value(json_object_get(asco, "launch_query"));
    if (!lp || asprintf(&launch_url, "/content/%lld/%d/%s%s", (long long)apv->package_id,
                        apv->version, lp, lq ? lq : "") < 0)
        launch_url = NULL;
    free(lp);
    if (asprintf(&commit_url, "/api/attempts/%lld/commit?t=%s&s=%d", (long long)a->id,
                 a->token, a->session_no) < 0)
        commit_url = NULL;
    json_t *statuses = NULL;
    store_sco_statuses(reg, &statuses);
    const char *prev, *next;
    runtime_neighbours(pv->manifest, sco_id, &prev, &next);
    char learner_id[24];
    snprintf(learner_id, sizeof learner_id, "%lld", (long long)r->user->id);
    json_t *out = launch_url && commit_url ? json_pack(
        "{s{sI ss ss} s{ss ss} so s{ss ss* ss sI si ss so} so so}",
        "package", "id", (json_int_t)pv->package_id, "title", pv->title,
        "scorm_version", pv->scorm_version,
        "learner", "id", learner_id, "name", r->user->name,
        "toc", runtime_toc(pv->manifest, statuses),
        "sco", "id", sco_id, "title", json_string_value(json_object_get(asco, "title")),
        "launch_url", launch_url, "attempt", (json_int_t)a->id, "attempt_number", a->number,
        "commit_url", commit_url, "cmi", runtime_launch_cmi(apv, asco, r->user, a),
        "previous", nullable(prev), "next", nullable(next)) : NULL;
    if (out)
        reply_json(r, 200, out);
    else
        reply_error(r, 500, "internal", "The launch could not be prepared.");
    json_decref(statuses);
    free(launch_url);
    free(commit_url);
    if (apv != pv)
        cairn_package_version_free(apv);
out:
    free(last_sco);
    cairn_attempt_free(a);
    cairn_package_version_free(pv);
    json_decref(body);
}

/* ---- commits ---- */

typedef struct pending_commit {
    cairn_commit c;
    cairn_req *req;
} pending_commit;

static void pending_free(void *p)
{
    pending_commit *pc = p;
    if (!pc)
        return;
    runtime_commit_clear(&pc->c);
    free(pc);
}

static void scorm_refusal(cairn_req *r, unsigned status, int scorm_code,
                          const char *element, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Commit answers keep scorm-again's shape: result and errorCode. */
static void scorm_refusal(cairn_req *r, unsigned status, int scorm_code,
                          const char *element, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *body = json_pack("{ss si ss ss}", "result", "false", "errorCode", scorm_code,
                             "error", msg, "code", status == 422 ? "invalid_cmi" : "refused");
    if (element)
        json_object_set_new(body, "element", json_string(element));
    reply_json(r, status, body);
}

/* Runs on the writer thread: set the reply, wake the connection. */
static void commit_done(cairn_commit *c, void *arg)
{
    pending_commit *pc = arg;
    cairn_req *r = pc->req;
    metrics_commit(now_us() - r->started_us, c->result == 0);
    if (c->result == 0)
        reply_json(r, 200, json_pack("{ss si}", "result", "true", "errorCode", 0));
    else if (c->result == -ESTALE || c->result == -ENOENT)
        scorm_refusal(r, 409, 101, NULL, "This attempt was closed or reopened elsewhere; "
                      "its data was not changed.");
    else
        scorm_refusal(r, 500, 101, NULL, "The server could not save your progress.");
    if (c->result == 0)
        plugins_completion(r->user->id, c);    /* queued for the observer thread */
    http_resume(r);
}

void api_commit(cairn_req *r)
{
    const char *token = req_query(r, "t"), *session = req_query(r, "s");
    const char *final = req_query(r, "final");
    cairn_attempt *a = NULL;
    const cairn_package_version *pv = NULL;
    cairn_package_version *own_pv = NULL;     /* when the cache is full */
    json_t *body = NULL;
    int ret = store_attempt_get(r->ids[0], false, &a);
    if (ret == -ENOENT || (ret == 0 && a->user_id != r->user->id)) {
        /* Someone else's attempt looks the same as a missing one from here,
         * except that it is refused, not "not found". */
        scorm_refusal(r, 403, 101, NULL, "This attempt is not yours.");
        goto out;
    }
    if (ret) {
        scorm_refusal(r, 500, 101, NULL, "The attempt could not be read.");
        goto out;
    }
    if (!token || !auth_token_equal(token, a->token)) {
        scorm_refusal(r, 403, 101, NULL, "The commit address is not valid for this attempt.");
        goto out;
    }
    if (!session || atoi(session) != a->session_no || !a->open) {
        scorm_refusal(r, 409, 101, NULL, "This attempt was closed or reopened elsewhere; "
                      "its data was not changed.");
        goto out;
    }
    json_error_t jerr;
    body = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(body)) {
        scorm_refusal(r, 400, 101, NULL, "The commit is not a JSON object (%s).",
                      body ? "wrong type" : jerr.text);
        goto out;
    }
    ret = store_package_version_cached(a->version_id, &pv);
    if (ret == -ENOSPC && store_package_version_by_id(a->version_id, &own_pv) == 0) {
        pv = own_pv;
        ret = 0;
    }
    if (ret) {
        scorm_refusal(r, 500, 101, NULL, "The module could not be read.");
        goto out;
    }
    json_t *sco = runtime_sco_find(pv->manifest, a->sco);
    pending_commit *pc = calloc(1, sizeof *pc);
    if (!pc) {
        scorm_refusal(r, 500, 101, NULL, "Out of memory.");
        goto out;
    }
    cairn_cmi_error cerr = { 0 };
    bool is_final = final && strcmp(final, "true") == 0;
    ret = runtime_prepare_commit(pv, sco, a, body, is_final, &pc->c, &cerr);
    if (ret) {
        free(pc);
        if (ret == -EINVAL)
            scorm_refusal(r, 422, cerr.scorm_code, cerr.element, "%s", cerr.message);
        else
            scorm_refusal(r, 500, 101, NULL, "Out of memory.");
        goto out;
    }
    pc->req = r;
    r->pending = pc;
    r->pending_free = pending_free;
    http_suspend(r);
    if (writer_submit(&pc->c, commit_done, pc) != 0) {
        scorm_refusal(r, 503, 101, NULL, "The server is busy; your progress will be sent again.");
        http_resume(r);
    }
out:
    json_decref(body);
    cairn_package_version_free(own_pv);
    cairn_attempt_free(a);
}
