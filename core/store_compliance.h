/* store_compliance.h: the compliance table (migration 6) and the reports
 * read from it: the borough dashboard and the training needs analysis
 * (docs/API.md "Reports").
 *
 * Same conventions as store.h: 0 or a negative errno-style code, ret_*
 * untouched on failure, returned JSON owned by the caller.
 *
 * One row per learner and required item, as the borough's plugins said
 * (compliance.h keeps them current). States are derived from the dates
 * against today's date T when a report runs, never stored:
 *   in date      completed_at set, and expires unset or after T
 *   expired      completed_at set, expires on or before T
 *   overdue      never completed, due before T
 *   not yet due  never completed, no due date or due on or after T
 * gap = required - in date = expired + overdue + not yet due. These are
 * the states of GET /api/me/training ("done"/"expiring" = in date,
 * "overdue" = expired or overdue, "due" = not yet due). */
#ifndef CAIRN_STORE_COMPLIANCE_H
#define CAIRN_STORE_COMPLIANCE_H

#include "store.h"

#include <stddef.h>

/* Replaces the rows of each user_ids[i] by required[i] (items as
 * plugins_required gives them; NULL or [] for none), all in one
 * transaction. Only learners with a borough get rows: anyone else's are
 * removed. */
int store_compliance_replace(const int64_t *user_ids, json_t *const *required, size_t n);
/* Up to max ids of learners with a borough, in id order, after after_id. */
int store_compliance_learners(int64_t after_id, int64_t *ret_ids, size_t max, size_t *ret_n);
/* Removes the rows of users who are no longer learners with a borough. */
int store_compliance_prune(void);
/* How many rows and distinct learners the table holds. */
int store_compliance_counts(int64_t *ret_rows, int64_t *ret_learners);
/* compliance_meta: ret_value malloc'd (caller frees), -ENOENT when absent. */
int store_compliance_meta_get(const char *key, char **ret_value);
int store_compliance_meta_set(const char *key, const char *value);

/* The borough's id by slug: -ENOENT when none. */
int store_borough_by_slug(const char *slug, int64_t *ret_id);
/* [{"id","name","slug"}] of every borough, by name (for admins' choice). */
int store_borough_list_json(json_t **ret);

/* The reports for one borough, or every borough when borough_id is 0;
 * today is "YYYY-MM-DD" (docs/API.md "Reports" has the shapes). */
int store_report_dashboard_json(int64_t borough_id, const char *today, json_t **ret);
int store_report_tna_json(int64_t borough_id, const char *today, json_t **ret);

#endif
