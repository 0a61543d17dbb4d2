/* runtime.h: the SCORM run-time rules on the server side.
 *
 * What a SCO is given when it launches (entry, credit, mode, the saved
 * data, the manifest's mastery rules) and what a commit from it means for
 * the attempt (which status is kept, how time adds up, when the attempt
 * ends). docs/SCORM.md states these rules for people.
 */
#ifndef CAIRN_RUNTIME_H
#define CAIRN_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>

#include "cmi.h"
#include "store.h"

cairn_scorm_version runtime_version(const cairn_package_version *pv);

/* The manifest's "scos" entry for id (borrowed), or NULL. id NULL or
 * unknown gives NULL; runtime_first_sco gives the first launchable one. */
json_t *runtime_sco_find(json_t *manifest, const char *id);
json_t *runtime_first_sco(json_t *manifest);
/* Ids of the launchable SCOs before and after id (borrowed), or NULL. */
void runtime_neighbours(json_t *manifest, const char *id,
                        const char **ret_prev, const char **ret_next);
/* The table of contents: the default organisation's item tree with each
 * item's status from statuses ({"ITEM": "completed", ...}). New reference. */
json_t *runtime_toc(json_t *manifest, json_t *statuses);

/* {"cmi": {...}} for loadFromJSON: the attempt's saved data plus the
 * read-only elements the LMS provides. New reference. */
json_t *runtime_launch_cmi(const cairn_package_version *pv, json_t *sco,
                           const cairn_user *learner, const cairn_attempt *a);

/* Validates a commit body for attempt a and fills out (which the caller
 * frees with runtime_commit_clear). final: the terminate commit. Returns 0,
 * or -EINVAL with err filled. */
int runtime_prepare_commit(const cairn_package_version *pv, json_t *sco,
                           const cairn_attempt *a, json_t *body, bool final,
                           cairn_commit *out, cairn_cmi_error *err);
void runtime_commit_clear(cairn_commit *c);

#endif
