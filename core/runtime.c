/* runtime.c: see runtime.h and docs/SCORM.md ("Attempts").
 *
 * The attempt rules, in one place:
 *  1. A launch of an open attempt is a new session of it: entry "resume".
 *     The first session of an attempt: entry "ab-initio".
 *  2. Only the final commit (Terminate / LMSFinish) can end an attempt.
 *     It ends when cmi.exit is "normal", "logout" or "time-out"; or when
 *     exit is empty and the SCO is completed (or, 1.2, passed/failed).
 *     With exit "suspend", or empty exit on unfinished work (content that
 *     is simply closed), the attempt stays open so the bookmark is kept.
 *  3. A session's time is the session_time of its latest commit; the
 *     total is the sum over sessions (store_learning.c). The total_time a
 *     client sends is ignored.
 *  4. Status kept for the record: cairn_cmi_resolve_status (1.2 "passed"
 *     counts as completed; mastery score applies when the content sets no
 *     pass/fail). A 1.2 SCO that finishes without ever setting a status is
 *     completed.
 */
#include "runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cairn_scorm_version runtime_version(const cairn_package_version *pv)
{
    return strcmp(pv->scorm_version, "1.2") == 0 ? CAIRN_SCORM_12 : CAIRN_SCORM_2004;
}

json_t *runtime_sco_find(json_t *manifest, const char *id)
{
    if (!id)
        return NULL;
    size_t i;
    json_t *sco;
    json_array_foreach(json_object_get(manifest, "scos"), i, sco) {
        const char *sid = json_string_value(json_object_get(sco, "id"));
        if (sid && strcmp(sid, id) == 0)
            return sco;
    }
    return NULL;
}

json_t *runtime_first_sco(json_t *manifest)
{
    return json_array_get(json_object_get(manifest, "scos"), 0);
}

void runtime_neighbours(json_t *manifest, const char *id,
                        const char **ret_prev, const char **ret_next)
{
    json_t *scos = json_object_get(manifest, "scos");
    *ret_prev = *ret_next = NULL;
    for (size_t i = 0; i < json_array_size(scos); i++) {
        const char *sid = json_string_value(json_object_get(json_array_get(scos, i), "id"));
        if (!sid || strcmp(sid, id) != 0)
            continue;
        if (i > 0)
            *ret_prev = json_string_value(json_object_get(json_array_get(scos, i - 1), "id"));
        if (i + 1 < json_array_size(scos))
            *ret_next = json_string_value(json_object_get(json_array_get(scos, i + 1), "id"));
        return;
    }
}

static json_t *toc_items(json_t *items, json_t *statuses, int depth)
{
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        if (json_is_false(json_object_get(item, "visible")))
            continue;
        const char *id = json_string_value(json_object_get(item, "id"));
        const char *st = json_string_value(json_object_get(statuses, id ? id : ""));
        json_array_append_new(out, json_pack("{ss* ss* si sb ss so}",
            "id", id, "title", json_string_value(json_object_get(item, "title")),
            "depth", depth,
            "launchable", json_is_true(json_object_get(item, "launchable")),
            "status", st ? st : "not attempted",
            "children", toc_items(json_object_get(item, "children"), statuses, depth + 1)));
    }
    return out;
}

json_t *runtime_toc(json_t *manifest, json_t *statuses)
{
    const char *def = json_string_value(json_object_get(manifest, "default_organization"));
    json_t *orgs = json_object_get(manifest, "organizations"), *org = NULL;
    size_t i;
    json_t *o;
    json_array_foreach(orgs, i, o) {
        const char *oid = json_string_value(json_object_get(o, "identifier"));
        if (!org || (def && oid && strcmp(def, oid) == 0))
            org = o;
    }
    return toc_items(json_object_get(org, "items"), statuses, 0);
}

/* Sets obj[path...] = value, creating objects on the way. path is a
 * dot-separated element name below "cmi". */
static void set_path(json_t *root, const char *path, json_t *value)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    char *save = NULL;
    char *part = strtok_r(buf, ".", &save);
    while (part) {
        char *next = strtok_r(NULL, ".", &save);
        if (!next) {
            json_object_set_new(cur, part, value);
            return;
        }
        json_t *child = json_object_get(cur, part);
        if (!json_is_object(child)) {
            child = json_object();
            json_object_set_new(cur, part, child);
        }
        cur = child;
        part = next;
    }
    json_decref(value);
}

static void set_number_string(json_t *root, const char *path, json_t *num)
{
    if (!json_is_number(num))
        return;
    char buf[64];
    snprintf(buf, sizeof buf, "%.10g", json_number_value(num));
    set_path(root, path, json_string(buf));
}

static void set_optional_string(json_t *root, const char *path, json_t *s)
{
    if (json_is_string(s) && json_string_length(s) > 0)
        set_path(root, path, json_incref(s));
}

json_t *runtime_launch_cmi(const cairn_package_version *pv, json_t *sco,
                           const cairn_user *learner, const cairn_attempt *a)
{
    json_t *root = json_deep_copy(a->cmi);
    if (!json_is_object(root)) {
        json_decref(root);
        root = json_object();
    }
    char id[32], time_buf[48];
    snprintf(id, sizeof id, "%lld", (long long)learner->id);
    const char *entry = a->session_no > 1 ? "resume" : "ab-initio";
    /* Feeding session_time back would count it again (runtime rule 3). */
    int64_t total = a->closed_time_cs + a->session_time_cs;
    if (runtime_version(pv) == CAIRN_SCORM_12) {
        json_t *core = json_object_get(json_object_get(root, "cmi"), "core");
        json_object_del(core, "session_time");
        set_path(root, "cmi.core.student_id", json_string(id));
        set_path(root, "cmi.core.student_name", json_string(learner->name));
        set_path(root, "cmi.core.credit", json_string("credit"));
        set_path(root, "cmi.core.lesson_mode", json_string("normal"));
        set_path(root, "cmi.core.entry", json_string(entry));
        cairn_time_format_timespan(total, time_buf, sizeof time_buf);
        set_path(root, "cmi.core.total_time", json_string(time_buf));
        if (!json_object_get(json_object_get(json_object_get(root, "cmi"), "core"), "lesson_status"))
            set_path(root, "cmi.core.lesson_status", json_string("not attempted"));
        set_optional_string(root, "cmi.launch_data", json_object_get(sco, "data_from_lms"));
        set_number_string(root, "cmi.student_data.mastery_score",
                          json_object_get(sco, "mastery_score"));
        set_optional_string(root, "cmi.student_data.max_time_allowed",
                            json_object_get(sco, "max_time_allowed"));
        set_optional_string(root, "cmi.student_data.time_limit_action",
                            json_object_get(sco, "time_limit_action"));
    } else {
        json_object_del(json_object_get(root, "cmi"), "session_time");
        set_path(root, "cmi.learner_id", json_string(id));
        set_path(root, "cmi.learner_name", json_string(learner->name));
        set_path(root, "cmi.credit", json_string("credit"));
        set_path(root, "cmi.mode", json_string("normal"));
        set_path(root, "cmi.entry", json_string(entry));
        cairn_time_format_duration(total, time_buf, sizeof time_buf);
        set_path(root, "cmi.total_time", json_string(time_buf));
        set_optional_string(root, "cmi.launch_data", json_object_get(sco, "data_from_lms"));
        set_number_string(root, "cmi.scaled_passing_score",
                          json_object_get(sco, "scaled_passing_score"));
        set_number_string(root, "cmi.completion_threshold",
                          json_object_get(sco, "completion_threshold"));
        set_optional_string(root, "cmi.max_time_allowed", json_object_get(sco, "max_time_allowed"));
        set_optional_string(root, "cmi.time_limit_action",
                            json_object_get(sco, "time_limit_action"));
    }
    return root;
}

static bool str_is(const char *s, const char *want)
{
    return s && strcmp(s, want) == 0;
}

/* The commit outlives the request body it came from: keep exit as one of
 * the vocabulary's static strings (validation has refused anything else). */
static const char *exit_static(const char *exit)
{
    static const char *const vocab[] = { "", "suspend", "logout", "normal", "time-out" };
    for (size_t i = 0; exit && i < sizeof vocab / sizeof vocab[0]; i++)
        if (strcmp(exit, vocab[i]) == 0)
            return vocab[i];
    return NULL;
}

static void rules_from_sco(json_t *sco, cairn_sco_rules *rules)
{
    json_t *v;
    memset(rules, 0, sizeof *rules);
    if (json_is_number(v = json_object_get(sco, "mastery_score"))) {
        rules->has_mastery_score = true;
        rules->mastery_score = json_number_value(v);
    }
    if (json_is_number(v = json_object_get(sco, "scaled_passing_score"))) {
        rules->has_passing_score = true;
        rules->scaled_passing_score = json_number_value(v);
    }
    if (json_is_number(v = json_object_get(sco, "completion_threshold"))) {
        rules->has_completion_threshold = true;
        rules->completion_threshold = json_number_value(v);
    }
}

int runtime_prepare_commit(const cairn_package_version *pv, json_t *sco,
                           const cairn_attempt *a, json_t *body, bool final,
                           cairn_commit *out, cairn_cmi_error *err)
{
    cairn_scorm_version v = runtime_version(pv);
    cairn_cmi_summary s;
    int r = cairn_cmi_validate(v, body, &s, err);
    if (r)
        return r;
    cairn_sco_rules rules;
    rules_from_sco(sco, &rules);
    memset(out, 0, sizeof *out);
    cairn_cmi_resolve_status(v, &s, &rules, &out->completion, &out->success);

    json_t *subset = cairn_cmi_writable_subset(v, body);
    out->cmi_json = subset ? json_dumps(subset, JSON_COMPACT) : NULL;
    json_decref(subset);
    out->title = strdup(pv->title);
    if (!out->cmi_json || !out->title) {
        runtime_commit_clear(out);
        return -ENOMEM;
    }
    out->attempt_id = a->id;
    out->session_no = a->session_no;
    out->sco_count = (int)json_array_size(json_object_get(pv->manifest, "scos"));
    out->has_session_time = s.has_session_time;
    out->session_time_cs = s.session_time_cs;
    out->exit = exit_static(s.exit);
    /* Scores for the record: scaled when given; otherwise raw within
     * min..max (1.2 raw is 0..100 when no range is given). */
    if (s.has_score_scaled) {
        out->has_scaled = true;
        out->scaled = s.score_scaled;
    } else if (s.has_score_raw) {
        double min = s.has_score_min ? s.score_min : 0;
        double max = s.has_score_max ? s.score_max : 100;
        if (max > min) {
            out->has_scaled = true;
            out->scaled = (s.score_raw - min) / (max - min);
            if (out->scaled > 1)
                out->scaled = 1;
            if (out->scaled < -1)
                out->scaled = -1;
        }
    }
    out->has_raw = s.has_score_raw;
    out->raw = s.score_raw;

    /* SCORM 1.2 leaves completion of a SCO that never sets a status to the
     * LMS: having been launched and finished, it is completed (the golf
     * "minimum run-time calls" SCOs do only LMSInitialize and LMSFinish). */
    if (final && v == CAIRN_SCORM_12 &&
        (!out->completion || str_is(out->completion, "not attempted")))
        out->completion = "completed";

    /* Rule 2: the exit in force is this commit's, else the last one saved. */
    const char *exit = s.exit ? s.exit : a->last_exit;
    if (final) {
        if (str_is(exit, "normal") || str_is(exit, "logout") || str_is(exit, "time-out"))
            out->closes = true;
        else if (!exit || exit[0] == '\0')
            out->closes = str_is(out->completion, "completed");
    }
    return 0;
}

void runtime_commit_clear(cairn_commit *c)
{
    free(c->cmi_json);
    free(c->title);
    c->cmi_json = c->title = NULL;
}
