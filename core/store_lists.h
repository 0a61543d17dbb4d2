/* store_lists.h: officers' lists of learners and of record entries
 * (filtered, sorted, one page at a time), the same lists as row cursors for
 * CSV exports, and per-question analytics of a module's SCORM interactions
 * (docs/API.md "Lists and exports", "Question analytics").
 *
 * Same conventions as store.h: 0 or a negative errno-style code, ret_*
 * untouched on failure, returned JSON owned by the caller. Filters are
 * checked by the caller (api_lists.c); here they are only bound. */
#ifndef CAIRN_STORE_LISTS_H
#define CAIRN_STORE_LISTS_H

#include "store.h"

/* ---- learners ---- */
typedef enum {
    LEARNERS_BY_NAME, LEARNERS_BY_ORGANISATION, LEARNERS_BY_STATUS, LEARNERS_BY_ACTIVITY,
    LEARNERS_SORTS
} learners_sort;

typedef struct learner_query {
    int64_t borough_id;             /* 0: every borough */
    const char *q;                  /* name or email contains (LIKE pattern, escaped with \) */
    const char *status;             /* overdue|expiring|not_started|in_progress|compliant|none */
    int64_t organisation_id;        /* 0: any */
    const char *job_role;           /* exact, case ignored */
    const char *group;              /* "A"|"B"|"C": a required item of that group */
    int64_t package_id;             /* started the module or holds its record */
    int64_t course_id;              /* a place or attendance on a session of the course */
    const char *registered_from, *registered_to;   /* YYYY-MM-DD, inclusive */
    const char *completed_from, *completed_to;     /* a completion in the range */
    learners_sort sort;
    bool desc;
    int64_t limit;                  /* -1: all (exports) */
    int64_t offset;
} learner_query;

/* One page: [{"id","name","email","organisation": name or null,
 * "organisation_id","job_role","status","required","in_date",
 * "registered_at","last_activity"}] and how many match in all. */
int store_learners_page(const learner_query *q, json_t **ret_rows, int64_t *ret_total);

/* ---- record entries ---- */
typedef enum {
    RECORDS_BY_DATE, RECORDS_BY_LEARNER, RECORDS_BY_TITLE, RECORDS_BY_KIND, RECORDS_BY_STATUS,
    RECORDS_SORTS
} records_sort;

typedef struct record_query {
    int64_t borough_id;             /* 0: every borough */
    const char *kind;               /* elearning|face_to_face|evidence */
    const char *status;
    int64_t organisation_id;
    const char *group;              /* "A"|"B"|"C" */
    const char *title;              /* LIKE pattern, escaped with \ */
    const char *from, *to;          /* YYYY-MM-DD, inclusive */
    int64_t learner_id;
    const char *q;                  /* learner name or email: LIKE pattern */
    records_sort sort;
    bool desc;
    int64_t limit, offset;          /* limit -1: all */
} record_query;

/* [{"date","kind","title","group","level","hours","status","flagged",
 * "score","id","session_id","package_id","certificate","learner": {"id",
 * "name","email","organisation"}}] and the total. */
int store_records_page(const record_query *q, json_t **ret_rows, int64_t *ret_total);

/* ---- row cursors for exports ---- */
/* A list read row by row on a database connection of its own (one read
 * snapshot for the whole export; the thread's connection stays free for
 * other requests). Memory stays flat whatever the number of rows. */
typedef struct store_rows store_rows;
int store_learners_open(const learner_query *q, store_rows **ret);
/* One learner of each borough (0: every borough; the lowest id), in borough
 * order, as [id, ...]: whose context shows which report_columns a
 * borough's plugins give (report_columns.h). */
int store_report_probe_learners(int64_t borough_id, json_t **ret);
int store_records_open(const record_query *q, store_rows **ret);
/* 1 with the row's columns as text (NULL as ""), valid until the next
 * call; 0 after the last row; -EIO. Columns are listed in docs/API.md. */
int store_rows_next(store_rows *rs, const char *const **ret_cols, int *ret_n);
void store_rows_free(store_rows *rs);

/* ---- question analytics ---- */
/* For each interaction id of the module's SCOs, in module order: how many
 * of the borough's learners (0: all) answered, how many correctly, the
 * most common wrong answer. latest: each learner's latest answer counts,
 * otherwise their first. -ENOENT when the package does not exist. */
int store_question_stats_json(int64_t package_id, int64_t borough_id, bool latest,
                              json_t **ret);

#endif
