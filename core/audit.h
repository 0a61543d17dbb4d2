/* audit.h: the audit log of who viewed or exported which learner's data
 * (docs/API.md "Data protection"). Handlers call audit_log() once the
 * checks passed and the data is on its way; a failure to write is logged,
 * never replied: the request stands.
 *
 * Writes leave the request at once: audit_log() copies the entry into a
 * queue (a mutex and a few copies), and the audit thread writes whatever
 * is queued in one transaction on its own connection, so a request never
 * waits for the database lock or a sync (durable mode) to record a view.
 * Nothing is dropped: with the thread not running (command-line tools) or
 * the queue full, the caller writes the entry itself. audit_flush() waits
 * until everything queued before it is written (the log's reader calls it,
 * so a view shows up in the log read just after it). */
#ifndef CAIRN_AUDIT_H
#define CAIRN_AUDIT_H

#include "http.h"

/* Actions, as stored in audit_log.action. */
#define AUDIT_VIEW_RECORD      "view_record"
#define AUDIT_VIEW_CERTIFICATE "view_certificate"
#define AUDIT_EXPORT_CSV       "export_csv"
#define AUDIT_EXPORT_LEARNER   "export_learner"
#define AUDIT_ERASE            "erase"
#define AUDIT_RETENTION_RUN    "retention_run"
#define AUDIT_RETENTION_SET    "retention_set"
#define AUDIT_GRANT            "grant"
#define AUDIT_REVOKE           "revoke"

/* Starts the audit thread (cairn serve). 0 or -errno. */
int audit_start(void);
/* Writes what is queued and stops the thread. */
void audit_stop(void);
/* Waits (up to timeout_ms) until every entry queued before this call is
 * written; true when it was. */
bool audit_flush(unsigned timeout_ms);

/* Records that r's signed-in user did action to subject_user (0: none,
 * e.g. a whole-borough export). detail: a small JSON object, stolen (NULL
 * for none); when it holds "borough_id" (an integer) that is the entry's
 * borough, otherwise the subject's, otherwise the actor's. */
void audit_log(cairn_req *r, const char *action, int64_t subject_user, json_t *detail);
/* The same for the system itself (cairn retention run): no actor. */
void audit_log_system(const char *action, int64_t subject_user, int64_t borough_id,
                      json_t *detail);

#endif
