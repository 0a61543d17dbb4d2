/* report_columns.h: the borough's extra columns for officers' reports, from
 * the report_columns plugin hook (docs/PLUGIN_API.md): shown in the
 * officer's view of a learner (api_record.c, "report_columns") and as extra
 * columns of the learners CSV export (api_lists.c).
 *
 * Returned JSON is owned by the caller. */
#ifndef CAIRN_REPORT_COLUMNS_H
#define CAIRN_REPORT_COLUMNS_H

#include <jansson.h>
#include <stdint.h>

/* The learner's columns (learner: store_learner_context_json), as
 * [{"key","label","value"}] with every value as text (a number as written,
 * true "Yes", false "No", none ""); one column per key, the first plugin's
 * (folder order) winning. An empty array when the learner's borough has no
 * report_columns hook or its plugins fail; NULL only when out of memory. */
json_t *report_columns_of(json_t *learner);

/* The value of column key in cols (from report_columns_of), or "". */
const char *report_columns_value(json_t *cols, const char *key);

/* The columns an export about borough_id (0: every borough) shows:
 * [{"key","label"}], the union of the keys its boroughs' plugins give, in
 * borough order and then each plugin's order (a key's first label wins).
 * Each borough's keys are read from one of its learners: plugins give
 * every learner the same keys. */
int report_columns_header(int64_t borough_id, json_t **ret);

#endif
