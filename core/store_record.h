/* store_record.h: the one learner record (e-learning, attendance and
 * evidence in one list), officer-entered evidence, and certificates
 * (docs/API.md "The learner record", "Evidence", "Certificates").
 *
 * Same conventions as store.h: 0 or a negative errno-style code, ret_*
 * untouched on failure, returned JSON owned by the caller.
 *
 * When a certificate is issued (one rule, written here and in the docs):
 *  - e-learning: when the learner record of a module becomes completed or
 *    passed (store_certificate_elearning_tx, on the writer thread, inside
 *    the commit's transaction); a failed record gets none.
 *  - face to face: when every date of a session is marked "attended" for
 *    the learner (store_certificate_attendance_tx, inside the attendance
 *    transaction). Re-marking a date as anything else revokes it; marking
 *    every date attended again restores the same certificate.
 *  - evidence entered by an officer or imported gets none: Cairn did not
 *    see that training happen.
 * source_id is learner_records.id for e-learning and the id of the
 * learner's first attendance row of the session for attendance (attendance
 * rows are updated in place, never deleted, so it does not move). */
#ifndef CAIRN_STORE_RECORD_H
#define CAIRN_STORE_RECORD_H

#include "store.h"

/* ---- the record ---- */
/* Every entry of the learner's record, oldest first (docs/API.md "Entry"),
 * without "expires": the caller asks the borough's expiry hook. */
int store_record_entries_json(int64_t user_id, json_t **ret);
/* What can satisfy a required item, oldest first: completed or passed
 * e-learning records, sessions attended on every date, and evidence.
 * [{"kind": "elearning"|"course", "source": "elearning"|"attendance"|"evidence",
 *   "item_ref", "title", "alt_title"?, "completed_at", "status", "hours",
 *   "score"?, "time_spent_seconds"?}]; alt_title is "TITLE - Level N" for a
 * course with a level. */
int store_record_completions_json(int64_t user_id, json_t **ret);
/* The user's borough (0 when none) and role: -ENOENT when there is no
 * such user. */
int store_user_borough(int64_t user_id, int64_t *ret_borough_id, cairn_role *ret_role);

/* ---- evidence ---- */
typedef struct cairn_evidence_new {
    int64_t user_id;
    const char *kind;           /* "external", "course" or "elearning" */
    const char *title, *provider, *note;   /* provider, note: NULL for none */
    const char *group;          /* "A"|"B"|"C" or NULL */
    int level;                  /* 1, 2, or 0 for none */
    double hours;
    const char *completed_on;   /* YYYY-MM-DD, validated by the caller */
    const char *source;         /* "officer" or "import" */
    int64_t entered_by;         /* 0 for none */
} cairn_evidence_new;
/* -EEXIST when the learner already has evidence of that kind and title on
 * that date. */
int store_evidence_add(const cairn_evidence_new *e, int64_t *ret_id);
/* {"id","user_id","kind","title","provider","group","level","hours","completed_on",
 *  "note","source","entered_by": {"id","name"} or null,"created_at"} */
int store_evidence_json(int64_t id, json_t **ret);
/* Whose evidence it is: -ENOENT when none. */
int store_evidence_owner(int64_t id, int64_t *ret_user_id);
int store_evidence_delete(int64_t id);

/* ---- certificates ---- */
enum { CERT_CODE_LEN = 14 };    /* "K7QF-M2XD-9PLA" */
/* Upper-cases code and puts the hyphens where they belong; false when it
 * cannot be a certificate code. out has CERT_CODE_LEN + 1 bytes. */
bool store_certificate_code_normal(const char *code, char *out);
/* The certificate and what it certifies: {"code","user_id","source","source_id",
 * "title","issued_at","revoked_at","learner": {"id","name"},"borough": {"id","name",
 * "slug"} or null,"record": {"kind": "elearning"|"course","item_ref","title",
 * "completed_at","status","hours","group","level","session_id"?,"score"?,
 * "time_spent_seconds"?}}. -ENOENT when unknown. */
int store_certificate_json(const char *code, json_t **ret);
/* Inside the caller's write transaction. */
int store_certificate_elearning_tx(int64_t registration_id);
int store_certificate_attendance_tx(int64_t session_id, int64_t user_id);

#endif
