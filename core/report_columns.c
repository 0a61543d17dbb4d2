/* report_columns.c: the report_columns hook's columns, as text, for the
 * officer's view of a learner and the learners CSV export
 * (report_columns.h). The host has already checked what plugins return
 * (at most 20 columns, key and label lengths); here they are only shown. */
#include "report_columns.h"

#include "plugin_host.h"
#include "store.h"
#include "store_lists.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static json_t *value_text(json_t *v)
{
    char buf[64];
    if (json_is_string(v))
        return json_incref(v);
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return json_string(buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof buf, "%.15g", json_real_value(v));
        return json_string(buf);
    }
    if (json_is_boolean(v))
        return json_string(json_is_true(v) ? "Yes" : "No");
    return json_string("");
}

/* Whether the list of columns holds key. */
static bool has_key(json_t *cols, const char *key)
{
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
        if (strcmp(json_string_value(json_object_get(c, "key")), key) == 0)
            return true;
    return false;
}

json_t *report_columns_of(json_t *learner)
{
    json_t *out = json_array();
    const char *slug = json_string_value(json_object_get(json_object_get(learner, "borough"),
                                                         "slug"));
    if (!out || !slug || !plugin_host_has_hook(slug, HOOK_REPORT_COLUMNS))
        return out;
    json_t *cols = plugin_report_columns(slug, learner);
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c) {
        const char *key = json_string_value(json_object_get(c, "key"));
        const char *label = json_string_value(json_object_get(c, "label"));
        if (key && label && !has_key(out, key))
            json_array_append_new(out, json_pack("{ss ss so}", "key", key, "label", label,
                                  "value", value_text(json_object_get(c, "value"))));
    }
    json_decref(cols);
    return out;
}

const char *report_columns_value(json_t *cols, const char *key)
{
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
        if (strcmp(json_string_value(json_object_get(c, "key")), key) == 0)
            return json_string_value(json_object_get(c, "value"));
    return "";
}

int report_columns_header(int64_t borough_id, json_t **ret)
{
    json_t *ids = NULL;
    int r = store_report_probe_learners(borough_id, &ids);
    if (r)
        return r;
    json_t *out = json_array();
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) {
        json_t *learner = NULL;
        if ((r = store_learner_context_json(json_integer_value(id), &learner)))
            break;
        json_t *cols = report_columns_of(learner);
        json_decref(learner);
        size_t j;
        json_t *c;
        json_array_foreach(cols, j, c) {
            if (!has_key(out, json_string_value(json_object_get(c, "key"))))
                json_array_append_new(out, json_pack("{sO sO}", "key", json_object_get(c, "key"),
                                      "label", json_object_get(c, "label")));
        }
        json_decref(cols);
    }
    json_decref(ids);
    if (r) {
        json_decref(out);
        return r;
    }
    *ret = out;
    return 0;
}
