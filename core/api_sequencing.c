/* api_sequencing.c: SCORM 2004 sequencing state of a learner's registration
 * (docs/API.md "Sequencing state", docs/SCORM.md "Sequencing").
 *
 * The player runs the sequencing engine (scorm-again) in the browser; the
 * server keeps what it must remember between sessions: the engine's
 * serialized state (activity attempt counts, objective status and
 * measures, global objectives, shared data), the suspended activity, and
 * the tree's rolled-up result, which becomes the course result in the
 * learner record. Only the learner who owns the registration can read or
 * write it; anyone else gets 404, as if it did not exist. */
#include "api.h"
#include "compliance.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of serialized state. scorm-again writes about 9 KB per activity
 * (44 KB for the five-SCO golf course), so this holds some 350 activities;
 * the body may be up to the commit limit (4 MiB), hence BODY_COMMIT. */
#define SEQ_STATE_MAX ((size_t)3 << 20)

static bool in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; s && list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* Whether the activity tree has an activity with this identifier. */
static bool tree_has(json_t *act, const char *id, int depth)
{
    if (!json_is_object(act) || depth > 64)
        return false;
    const char *aid = json_string_value(json_object_get(act, "id"));
    if (aid && strcmp(aid, id) == 0)
        return true;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(act, "children"), i, c)
        if (tree_has(c, id, depth + 1))
            return true;
    return false;
}

/* ---- global objectives (docs/SCORM.md "Global objectives") ----
 * With objectivesGlobalToSystem (the default), a mapInfo's
 * targetObjectiveID names an objective of the learner, shared by every
 * package. The server keeps, per learner, the values packages wrote; a
 * package may write only the targets its own tree maps with a write flag,
 * and only the fields those flags cover. */

#define GLOBAL_ID_MAX 4000      /* SCORM 2004 long_identifier_type SPM */
#define GLOBAL_COUNT_MAX 1000

/* Which fields each write flag lets a package change. */
static const struct {
    const char *flag;
    const char *fields[3];
} WRITE_FIELDS[] = {
    { "writeSatisfiedStatus", { "satisfiedStatus", "satisfiedStatusKnown", NULL } },
    { "writeNormalizedMeasure", { "normalizedMeasure", "normalizedMeasureKnown", NULL } },
    { "writeRawScore", { "rawScore", "rawScoreKnown", NULL } },
    { "writeMinScore", { "minScore", "minScoreKnown", NULL } },
    { "writeMaxScore", { "maxScore", "maxScoreKnown", NULL } },
    { "writeCompletionStatus", { "completionStatus", "completionStatusKnown", NULL } },
    { "writeProgressMeasure", { "progressMeasure", "progressMeasureKnown", NULL } },
};

/* Adds every mapInfo of the activity's objectives to targets: {"ID":
 * {"writeX": true, ...}} (an empty object for a target only read). */
static void map_targets(json_t *act, json_t *targets, int depth)
{
    if (!json_is_object(act) || depth > 64)
        return;
    json_t *objs = json_array();
    if (!objs)
        return;
    json_t *prim = json_object_get(act, "primaryObjective");
    if (json_is_object(prim))
        json_array_append(objs, prim);
    json_array_extend(objs, json_object_get(act, "objectives"));
    size_t i, j;
    json_t *o, *m;
    json_array_foreach(objs, i, o) {
        json_array_foreach(json_object_get(o, "mapInfo"), j, m) {
            const char *t = json_string_value(json_object_get(m, "targetObjectiveID"));
            if (!t)
                continue;
            json_t *flags = json_object_get(targets, t);
            if (!flags) {
                flags = json_object();
                json_object_set_new(targets, t, flags);
            }
            for (size_t k = 0; flags && k < sizeof WRITE_FIELDS / sizeof *WRITE_FIELDS; k++)
                if (json_is_true(json_object_get(m, WRITE_FIELDS[k].flag)))
                    json_object_set_new(flags, WRITE_FIELDS[k].flag, json_true());
        }
    }
    json_decref(objs);
    json_t *c;
    json_array_foreach(json_object_get(act, "children"), i, c)
        map_targets(c, targets, depth + 1);
}

/* Whether the package's objectives are the learner's (default true). */
static bool global_to_system(json_t *seq)
{
    json_t *v = json_object_get(seq, "objectives_global_to_system");
    return !json_is_false(v);
}

static bool score_ok(json_t *v)
{
    if (json_is_number(v))
        return isfinite(json_number_value(v));
    const char *s = json_string_value(v);
    if (!s || strlen(s) > 32)
        return false;
    if (!*s)
        return true;
    char *end;
    double d = strtod(s, &end);
    return *end == '\0' && isfinite(d);
}

/* Checks one field a package sent for a global objective. */
static bool global_field_ok(const char *name, json_t *v)
{
    static const char *const completion[] = { "completed", "incomplete", "not attempted",
        "unknown", NULL };
    if (strcmp(name, "satisfiedStatus") == 0 || strstr(name, "Known"))
        return json_is_boolean(v);
    if (strcmp(name, "normalizedMeasure") == 0)
        return json_is_number(v) && json_number_value(v) >= -1 && json_number_value(v) <= 1;
    if (strcmp(name, "progressMeasure") == 0)
        return json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 1;
    if (strcmp(name, "completionStatus") == 0)
        return in_list(json_string_value(v), completion);
    return score_ok(v);     /* rawScore, minScore, maxScore */
}

/* The fields of "global_objectives" the package may write, checked, as
 * {"ID": {field: value}} in *ret; on a problem replies and returns false. */
static bool globals_ok(cairn_req *r, json_t *seq, json_t *globals, json_t **ret)
{
    *ret = NULL;
    if (!globals || json_is_null(globals))
        return true;
    if (!json_is_object(globals)) {
        reply_invalid(r, "global_objectives", "\"global_objectives\" must be an object of "
                      "objective identifiers.");
        return false;
    }
    if (json_object_size(globals) == 0)
        return true;
    if (!global_to_system(seq)) {
        reply_invalid(r, "global_objectives", "This module keeps its objectives to itself "
                      "(objectivesGlobalToSystem is false).");
        return false;
    }
    if (json_object_size(globals) > GLOBAL_COUNT_MAX) {
        reply_invalid(r, "global_objectives", "At most %d global objectives can be saved at "
                      "once.", GLOBAL_COUNT_MAX);
        return false;
    }
    json_t *targets = json_object(), *out = json_object();
    if (!targets || !out) {
        json_decref(targets);
        json_decref(out);
        reply_error(r, 500, "internal", "Out of memory.");
        return false;
    }
    map_targets(json_object_get(seq, "activity_tree"), targets, 0);
    const char *id;
    json_t *obj;
    json_object_foreach(globals, id, obj) {
        json_t *flags = json_object_get(targets, id);
        if (strlen(id) > GLOBAL_ID_MAX || !flags || json_object_size(flags) == 0) {
            reply_invalid(r, "global_objectives", "This module does not write the global "
                          "objective \"%.200s\".", id);
            goto bad;
        }
        if (!json_is_object(obj)) {
            reply_invalid(r, "global_objectives", "Global objective \"%.200s\" must be an "
                          "object.", id);
            goto bad;
        }
        json_t *fields = json_object();
        json_object_set_new(out, id, fields);
        for (size_t k = 0; k < sizeof WRITE_FIELDS / sizeof *WRITE_FIELDS; k++) {
            for (size_t f = 0; WRITE_FIELDS[k].fields[f]; f++) {
                const char *name = WRITE_FIELDS[k].fields[f];
                json_t *v = json_object_get(obj, name);
                if (!v)
                    continue;
                if (!global_field_ok(name, v)) {
                    reply_invalid(r, "global_objectives", "Global objective \"%.200s\": "
                                  "%s has a value out of its range.", id, name);
                    goto bad;
                }
                if (json_is_true(json_object_get(flags, WRITE_FIELDS[k].flag)))
                    json_object_set(fields, name, v);
            }
        }
        if (json_object_size(fields) == 0)
            json_object_del(out, id);
    }
    json_decref(targets);
    *ret = out;
    return true;
bad:
    json_decref(targets);
    json_decref(out);
    return false;
}

/* The learner's values of the global objectives the package maps, or
 * null when its objectives are its own. */
static int globals_for(int64_t user_id, json_t *seq, json_t **ret)
{
    *ret = NULL;
    if (!seq || !global_to_system(seq))
        return 0;
    json_t *targets = json_object(), *ids = json_array();
    int ret_code = -ENOMEM;
    if (targets && ids) {
        map_targets(json_object_get(seq, "activity_tree"), targets, 0);
        const char *id;
        json_t *v;
        json_object_foreach(targets, id, v)
            json_array_append_new(ids, json_string(id));
        ret_code = store_global_objectives_get(user_id, ids, ret);
    }
    json_decref(targets);
    json_decref(ids);
    return ret_code;
}

/* Whether the tree has a leaf (an activity that launches) with this id. */
static bool tree_leaf(json_t *act, const char *id, int depth)
{
    if (!json_is_object(act) || depth > 64)
        return false;
    json_t *kids = json_object_get(act, "children");
    const char *aid = json_string_value(json_object_get(act, "id"));
    if (json_array_size(kids) == 0)
        return aid && strcmp(aid, id) == 0;
    size_t i;
    json_t *c;
    json_array_foreach(kids, i, c)
        if (tree_leaf(c, id, depth + 1))
            return true;
    return false;
}

/* GET /api/packages/#/sequencing: what the player needs before the first
 * launch of a sequenced package. */
void api_package_sequencing(cairn_req *r)
{
    cairn_package_version *pv = NULL;
    char *last_sco = NULL;
    json_t *saved = NULL;
    int64_t reg;
    int ret = api_package_current(r, &pv);
    if (ret)
        return;
    if (store_registration_ensure(r->user->id, pv->package_id, &reg, &last_sco)) {
        reply_error(r, 500, "internal", "Your place on the module could not be recorded.");
        goto out;
    }
    ret = store_sequencing_get(reg, &saved);
    if (ret && ret != -ENOENT) {
        reply_error(r, 500, "internal", "Your place in the module could not be read.");
        goto out;
    }
    json_t *seq = json_object_get(pv->manifest, "sequencing");
    json_t *globals = NULL;
    if (globals_for(r->user->id, seq, &globals)) {
        reply_error(r, 500, "internal", "Your objectives could not be read.");
        goto out;
    }
    reply_json(r, 200, json_pack("{sI sI sO so so}", "registration_id", (json_int_t)reg,
        "version_id", (json_int_t)pv->version_id,
        "sequencing", seq ? seq : json_null(), "saved", saved ? saved : json_null(),
        "global_objectives", globals ? globals : json_null()));
    saved = NULL;
out:
    json_decref(saved);
    free(last_sco);
    cairn_package_version_free(pv);
}

/* The registration's package version, when it is the signed-in user's. */
static int own_registration(cairn_req *r, cairn_package_version **ret_pv)
{
    int64_t user_id, package_id;
    int ret = store_registration_owner(r->ids[0], &user_id, &package_id);
    if (ret == -ENOENT || (ret == 0 && user_id != r->user->id)) {
        reply_error(r, 404, "not_found", "There is no registration %lld of yours.",
                    (long long)r->ids[0]);
        return -ENOENT;
    }
    if (ret == 0)
        ret = store_package_current(package_id, ret_pv);
    if (ret)
        reply_error(r, 500, "internal", "The registration could not be read.");
    return ret;
}

void api_sequencing_get(cairn_req *r)
{
    cairn_package_version *pv = NULL;
    json_t *saved = NULL;
    if (own_registration(r, &pv))
        return;
    int ret = store_sequencing_get(r->ids[0], &saved);
    if (ret == -ENOENT)
        reply_error(r, 404, "not_found", "No sequencing state has been saved for this "
                    "registration yet.");
    else if (ret)
        reply_error(r, 500, "internal", "The sequencing state could not be read.");
    else
        reply_json(r, 200, saved);
    cairn_package_version_free(pv);
}

/* Checks the body; on a problem replies and returns false. */
static bool seq_body_ok(cairn_req *r, json_t *body, json_t *tree, char **ret_state)
{
    static const char *const completion[] = { "completed", "incomplete", "not attempted",
        "unknown", NULL };
    static const char *const success[] = { "passed", "failed", "unknown", NULL };
    json_t *state = json_object_get(body, "state");
    json_t *rollup = json_object_get(body, "rollup");
    json_t *susp = json_object_get(body, "suspended_activity");
    if (!json_is_object(state) || !json_is_object(json_object_get(state, "sequencing"))) {
        reply_invalid(r, "state", "\"state\" must be the engine's serialized state: an object "
                      "with a \"sequencing\" object.");
        return false;
    }
    if (susp && !json_is_null(susp) &&
        (!json_is_string(susp) || !tree_has(tree, json_string_value(susp), 0))) {
        reply_invalid(r, "suspended_activity", "\"suspended_activity\" must be null or the "
                      "identifier of an activity of this module.");
        return false;
    }
    if (!json_is_object(rollup)) {
        reply_invalid(r, "rollup", "\"rollup\" must be an object with completion_status, "
                      "success_status and score_scaled.");
        return false;
    }
    if (!in_list(json_string_value(json_object_get(rollup, "completion_status")), completion)) {
        reply_invalid(r, "rollup.completion_status", "completion_status must be completed, "
                      "incomplete, not attempted or unknown.");
        return false;
    }
    if (!in_list(json_string_value(json_object_get(rollup, "success_status")), success)) {
        reply_invalid(r, "rollup.success_status", "success_status must be passed, failed or "
                      "unknown.");
        return false;
    }
    json_t *score = json_object_get(rollup, "score_scaled");
    if (score && !json_is_null(score) &&
        (!json_is_number(score) || !(json_number_value(score) >= -1 &&
                                     json_number_value(score) <= 1))) {
        reply_invalid(r, "rollup.score_scaled", "score_scaled must be null or a number from "
                      "-1 to 1.");
        return false;
    }
    char *text = json_dumps(state, JSON_COMPACT);
    if (!text) {
        reply_error(r, 500, "internal", "Out of memory.");
        return false;
    }
    if (strlen(text) > SEQ_STATE_MAX) {
        reply_error(r, 413, "too_large", "The sequencing state is %zu bytes; the limit is %zu.",
                    strlen(text), SEQ_STATE_MAX);
        free(text);
        return false;
    }
    *ret_state = text;
    return true;
}

/* The root's rolled-up status as the player's rootRollup() reads it from
 * the engine (core/web/js/sequencing.js). */
static void root_status(json_t *root, const char **ret_completion, const char **ret_success)
{
    static const char *const completion[] = { "completed", "incomplete", "not attempted",
        "unknown", NULL };
    static const char *const success[] = { "passed", "failed", "unknown", NULL };
    const char *c = json_string_value(json_object_get(root, "completionStatus"));
    const char *s = json_string_value(json_object_get(root, "successStatus"));
    *ret_completion = in_list(c, completion) ? c : "unknown";
    *ret_success = in_list(s, success) ? s : "unknown";
    if (strcmp(*ret_success, "unknown") == 0 &&
        json_is_true(json_object_get(root, "objectiveSatisfiedStatusKnown")))
        *ret_success = json_is_true(json_object_get(root, "objectiveSatisfiedStatus"))
                       ? "passed" : "failed";
}

/* What the server can check cheaply before it believes a rolled-up result
 * (docs/SCORM.md "What the server trusts"): the rollup is the root's state
 * in the state sent, and every SCO the state says was attempted was
 * launched on the server. On a problem replies and returns false. */
static bool state_believable(cairn_req *r, json_t *body, json_t *tree, int64_t reg)
{
    json_t *states = json_object_get(json_object_get(json_object_get(body, "state"),
                                                     "sequencing"), "activityStates");
    json_t *rollup = json_object_get(body, "rollup");
    const char *rc = json_string_value(json_object_get(rollup, "completion_status"));
    const char *rs = json_string_value(json_object_get(rollup, "success_status"));
    const char *root_id = json_string_value(json_object_get(tree, "id"));
    json_t *root = root_id ? json_object_get(states, root_id) : NULL;
    bool claims = strcmp(rc, "completed") == 0 || strcmp(rs, "unknown") != 0;
    if (claims) {
        const char *c, *s;
        root_status(root, &c, &s);
        if (!json_is_object(root) || strcmp(c, rc) != 0 || strcmp(s, rs) != 0) {
            reply_invalid(r, "rollup", "The rolled-up result (%s, %s) is not what the state "
                          "of the module's root activity says.", rc, rs);
            return false;
        }
    }
    if (!json_is_object(states))
        return true;
    json_t *launched = NULL;
    if (store_launched_scos(reg, &launched)) {
        reply_error(r, 500, "internal", "The registration could not be read.");
        return false;
    }
    const char *id;
    json_t *st;
    bool ok = true;
    /* A leaf the state calls attempted must have been launched; except
     * the current activity: the player saves the state as the engine
     * delivers it, just before it launches it. */
    const char *cur = json_string_value(json_object_get(json_object_get(
        json_object_get(body, "state"), "sequencing"), "currentActivity"));
    json_object_foreach(states, id, st) {
        json_t *count = json_object_get(st, "attemptCount");
        if (!json_is_integer(count) || json_integer_value(count) <= 0 ||
            (cur && strcmp(cur, id) == 0))
            continue;
        if (!tree_leaf(tree, id, 0) || json_object_get(launched, id))
            continue;
        reply_invalid(r, "state", "The state says \"%.200s\" was attempted, but it was "
                      "never opened.", id);
        ok = false;
        break;
    }
    json_decref(launched);
    return ok;
}

void api_sequencing_put(cairn_req *r)
{
    cairn_package_version *pv = NULL;
    json_t *body = NULL;
    char *state = NULL;
    if (own_registration(r, &pv))
        return;
    json_t *tree = json_object_get(json_object_get(pv->manifest, "sequencing"), "activity_tree");
    if (!tree) {
        reply_error(r, 409, "not_sequenced", "This module has no SCORM 2004 sequencing.");
        goto out;
    }
    json_t *globals = NULL;
    if (!(body = req_json_object(r)) || !seq_body_ok(r, body, tree, &state) ||
        !state_believable(r, body, tree, r->ids[0]) ||
        !globals_ok(r, json_object_get(pv->manifest, "sequencing"),
                    json_object_get(body, "global_objectives"), &globals))
        goto out;
    if (globals && json_object_size(globals) &&
        store_global_objectives_merge(r->user->id, globals)) {
        json_decref(globals);
        reply_error(r, 500, "internal", "Your objectives could not be saved.");
        goto out;
    }
    json_decref(globals);
    json_t *rollup = json_object_get(body, "rollup");
    json_t *score = json_object_get(rollup, "score_scaled");
    const char *record = NULL;
    int ret = store_sequencing_save(r->ids[0], pv->version_id, pv->title, state,
        json_string_value(json_object_get(body, "suspended_activity")),
        json_string_value(json_object_get(rollup, "completion_status")),
        json_string_value(json_object_get(rollup, "success_status")),
        json_is_number(score), json_is_number(score) ? json_number_value(score) : 0, &record);
    if (!ret && record)
        compliance_touch(r->user->id);    /* a learner record was written */
    if (ret)
        reply_error(r, 500, "internal", "The sequencing state could not be saved.");
    else
        reply_json(r, 200, json_pack("{sb so}", "saved", 1,
                                     "record_status", record ? json_string(record) : json_null()));
out:
    free(state);
    json_decref(body);
    cairn_package_version_free(pv);
}
