/* store_feedback.h: participant feedback on face-to-face sessions and
 * e-learning modules, and the officers' summaries of it (docs/API.md
 * "Feedback").
 *
 * Same conventions as store.h: 0 or a negative errno-style code, ret_*
 * untouched on failure.
 *
 * Who is asked: a learner who attended or partly attended at least one
 * date of a session (attendance), or whose learner record for a module is
 * completed or passed. One evaluation per learner per session or module
 * (the unique indexes of migration 4). Feedback is anonymous to officers:
 * the summaries never name or identify the learner behind a comment. */
#ifndef CAIRN_STORE_FEEDBACK_H
#define CAIRN_STORE_FEEDBACK_H

#include "store.h"

/* {"awaiting": [Item], "given": [Given]} for one learner (docs/API.md). */
int store_feedback_mine_json(int64_t user_id, json_t **ret);

/* May user_id give feedback on this session (session_id != 0) or this
 * package (package_id != 0)? 0 when yes; -ENOENT no such session or
 * package; -EACCES the learner did not attend it / complete it; -EEXIST
 * feedback already given. */
int store_feedback_check(int64_t user_id, int64_t session_id, int64_t package_id);

typedef struct cairn_feedback_new {
    int64_t user_id;
    int64_t session_id, package_id;     /* exactly one is non-zero */
    int usefulness, confidence_before, confidence_after;   /* 1..5 */
    const char *comments;               /* "" for none */
} cairn_feedback_new;
/* -EEXIST when this learner already gave feedback on it. */
int store_feedback_add(const cairn_feedback_new *f, int64_t *ret_id);

typedef enum {
    FEEDBACK_BY_COURSE, FEEDBACK_BY_SESSION, FEEDBACK_BY_TRAINER, FEEDBACK_BY_MODULE,
} feedback_grouping;

typedef struct cairn_feedback_query {
    feedback_grouping by;
    int64_t borough_id;     /* 0: every borough (admins) */
    int64_t course_id, session_id, package_id;   /* 0: no narrowing */
} cairn_feedback_query;
/* {"groups": [Summary]}: sessions hosted by borough_id (course, session,
 * trainer), or modules completed by borough_id's learners (module). Groups
 * with neither attendance/completion nor feedback are left out. */
int store_feedback_summary_json(const cairn_feedback_query *q, json_t **ret);

#endif
