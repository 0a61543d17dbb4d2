/* store_dp.h: data protection (migration 7; docs/API.md "Data
 * protection"): the audit log, partnership users' grants, the per-borough
 * retention period, anonymising a learner (retention and erasure share
 * it), a learner's own data export and the partnership's per-borough
 * figures.
 *
 * Same conventions as store.h: 0 or a negative errno-style code, ret_*
 * untouched on failure, returned JSON owned by the caller.
 *
 * Anonymising a learner (store_dp_anonymise_tx), one rule for both paths:
 *  - users: name "Anonymised learner #ID", email a unique placeholder
 *    (anonymised-ID@anonymised.invalid), password hash cleared (no sign-in
 *    can match), anonymised_at and anonymised_reason set;
 *  - their sessions deleted; their messages (outbox: addressed to them,
 *    naming them) deleted;
 *  - free text they or officers wrote about them cleared: feedback
 *    comments, evidence notes, charge notes, booking reasons, SCORM
 *    learner comments in saved attempt data;
 *  - kept, so reports still count them: role, borough, organisation, job
 *    role, registrations, attempts' results and interactions, learner
 *    records, bookings, attendance, evidence, certificates, feedback
 *    scores, compliance rows, audit entries (which hold ids, not names). */
#ifndef CAIRN_STORE_DP_H
#define CAIRN_STORE_DP_H

#include "store.h"

#include <stddef.h>

/* ---- the audit log ---- */
typedef struct cairn_audit {
    const char *at;             /* "YYYY-MM-DDTHH:MM:SSZ"; NULL: now */
    int64_t actor_id;           /* 0: the system (cairn retention run) */
    const char *actor_role;     /* "officer", ..., or "system" */
    const char *action;
    int64_t subject_id;         /* 0: none */
    int64_t borough_id;         /* 0: the subject's borough, else the actor's */
    int64_t actor_borough_id;
    const char *detail;         /* JSON object text; NULL: "{}" */
    const char *request_id;     /* NULL: none */
} cairn_audit;
int store_audit_add(const cairn_audit *a);

typedef struct audit_query {
    int64_t borough_id;         /* 0: every borough */
    int64_t actor_id, subject_id;   /* 0: any */
    const char *action;         /* NULL: any */
    const char *from, *to;      /* YYYY-MM-DD, inclusive; NULL: open */
    int64_t limit, offset;
} audit_query;
/* [{"id","at","actor": {"id","name","role"} or null,"action","subject": {"id",
 *  "name"} or null,"borough": {"id","name"} or null,"detail","request_id"}],
 * newest first, and how many match in all. */
int store_audit_page(const audit_query *q, json_t **ret_rows, int64_t *ret_total);

/* ---- partnership grants ---- */
/* -ENOENT when a referenced user or borough does not exist. */
int store_grant_add(int64_t grantee_id, int64_t learner_id, int64_t borough_id,
                    const char *reason, int64_t granted_by, const char *expires_at,
                    int64_t *ret_id);
/* -ENOENT when unknown, -EALREADY when already revoked. */
int store_grant_revoke(int64_t id, int64_t revoked_by, const char *now);
/* {"id","grantee": {"id","name","email"},"learner": {"id","name"} or null,
 *  "borough": {"id","name"} or null,"reason","granted_by": {"id","name"},
 *  "created_at","expires_at","revoked_at","active"} */
int store_grant_json(int64_t id, const char *now, json_t **ret);
/* Every grant, newest first; active_only: not revoked, not expired. */
int store_grants_json(bool active_only, const char *now, json_t **ret);
/* Whether a live grant of grantee covers learner_id (the learner named,
 * or every learner of a borough named). */
int store_grant_covers(int64_t grantee_id, int64_t learner_id, const char *now, bool *ret);
/* The learners live grants of grantee cover: [{"id","name","email","job_role",
 * "borough": {"id","name"},"organisation": name or null}], by name. */
int store_grant_learners_json(int64_t grantee_id, const char *now, int64_t limit,
                              int64_t offset, json_t **ret_rows, int64_t *ret_total);

/* ---- partnership figures ---- */
/* Per borough, by name, from the users and the compliance rows
 * (store_compliance.h: states against today "YYYY-MM-DD"): {"id","name",
 * "slug","learners","anonymised","required","in_date","expired","overdue",
 * "not_yet_due","completed_12_months" (required items completed on or after
 * since),"learners_overdue"}, and the totals. */
int store_partnership_summary_json(const char *today, const char *since, json_t **ret);

/* ---- retention and anonymising ---- */
/* months 0: keep for ever (NULL). -ENOENT when no such borough. */
int store_borough_retention_set(int64_t borough_id, int months);
/* [{"id","name","slug","retention_months" (null when kept)}], by name. */
int store_retention_boroughs_json(json_t **ret);
/* Up to max ids of the borough's learners not yet anonymised whose last
 * activity (account made, a module visited or completed, a booking,
 * attendance, evidence, feedback, a live session) was before cutoff
 * ("YYYY-MM-DD"), in id order after after_id. */
int store_retention_candidates(int64_t borough_id, const char *cutoff, int64_t after_id,
                               int64_t *ret_ids, size_t max, size_t *ret_n);
/* Inside the caller's write transaction (db via store_dp_begin/commit).
 * reason: "retention" or "erasure". ret_kept: learner records, attendance
 * and evidence rows kept for counts. -ENOENT when uid is not a learner,
 * -EALREADY when already anonymised. */
int store_dp_anonymise_tx(int64_t uid, const char *reason, const char *now, int64_t *ret_kept);
int store_dp_begin(void);
int store_dp_commit(void);
void store_dp_rollback(void);
/* Whether the user was anonymised (false when unknown). */
int store_user_anonymised(int64_t uid, bool *ret);

/* ---- a learner's own data ---- */
/* Everything Cairn holds about uid (docs/API.md "Your data"):
 * {"account","registrations","records","bookings","attendance","feedback",
 *  "evidence","certificates","charges","messages","required"}. */
int store_learner_export_json(int64_t uid, json_t **ret);

#endif
