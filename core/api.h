/* api.h: the request handlers, one group per file, listed in routes.c. */
#ifndef CAIRN_API_H
#define CAIRN_API_H

#include "http.h"

/* api_accounts.c */
void api_session(cairn_req *r);
void api_boroughs(cairn_req *r);
void api_register(cairn_req *r);
void api_login(cairn_req *r);
void api_logout(cairn_req *r);

/* api_learning.c */
void api_training(cairn_req *r);
void api_launch(cairn_req *r);
void api_commit(cairn_req *r);
/* The current version of module r->ids[0] (store_package_current); on
 * failure replies 404 (no such module) or 500 and returns the error. */
int api_package_current(cairn_req *r, cairn_package_version **ret_pv);

/* api_sequencing.c: SCORM 2004 sequencing state */
void api_package_sequencing(cairn_req *r);
void api_sequencing_get(cairn_req *r);
void api_sequencing_put(cairn_req *r);

/* api_packages.c */
void api_packages_list(cairn_req *r);
void api_packages_upload(cairn_req *r);

/* api_lists.c: officers' filtered lists, CSV exports, question analytics */
void api_officer_learners(cairn_req *r);
void api_officer_records(cairn_req *r);
void api_officer_questions(cairn_req *r);

/* api_plugins.c: borough plugins (plugin_host.h) */
void api_contacts(cairn_req *r);
void api_admin_plugins(cairn_req *r);
void api_admin_plugins_reload(cairn_req *r);
/* Replies 422 with the borough's reason and returns false when a plugin
 * refuses the registration (or fails: permission hooks fail closed). */
bool plugins_registration_allowed(cairn_req *r, const char *name, const char *email,
                                  const char *job_role, int64_t borough_id,
                                  int64_t organisation_id);
/* Adds "required" to a GET /api/me/training answer. */
void plugins_add_required(const cairn_user *u, json_t *training);
/* The borough's required items for learner (store_learner_context_json),
 * each with its state (docs/API.md "Required"); an empty list when none. */
json_t *plugins_required(json_t *learner);
/* Queues on_completion when commit c wrote a learner record; never blocks. */
void plugins_completion(int64_t user_id, const cairn_commit *c);
/* The learner as plugins see them; NULL when unknown. */
json_t *plugins_learner(int64_t user_id);

/* api_courses.c: face-to-face courses, sessions, bookings, attendance */
void api_courses_list(cairn_req *r);
void api_courses_create(cairn_req *r);
void api_sessions_create(cairn_req *r);
void api_officer_sessions(cairn_req *r);
void api_session_update(cairn_req *r);
void api_session_cancel(cairn_req *r);
void api_session_bookings(cairn_req *r);
void api_session_attendance(cairn_req *r);
void api_sessions_list(cairn_req *r);
void api_session_book(cairn_req *r);
void api_booking_move(cairn_req *r);
void api_booking_move_options(cairn_req *r);
void api_booking_cancel(cairn_req *r);
void api_booking_invite(cairn_req *r);
void api_booking_decide(cairn_req *r);

/* api_record.c: the one learner record, evidence, certificates */
void api_me_record(cairn_req *r);
void api_officer_learner_record(cairn_req *r);
void api_officer_evidence_add(cairn_req *r);
void api_officer_evidence_delete(cairn_req *r);
void api_certificate(cairn_req *r);
void api_verify(cairn_req *r);
void page_verify(cairn_req *r);

/* api_feedback.c: participant feedback and the officers' summaries */
void api_me_feedback(cairn_req *r);
void api_feedback_create(cairn_req *r);
void api_officer_feedback(cairn_req *r);

/* api_messages.c: the notification outbox (notify.h) */
void api_me_messages(cairn_req *r);
void api_officer_messages(cairn_req *r);

/* api_ops.c: readiness and metrics for operators */
void api_readyz(cairn_req *r);
void api_metrics(cairn_req *r);

/* api_import.c: past training records from a CSV file */
void api_history_import(cairn_req *r);

/* api_charges.c: no-shows and late cancellations flagged for charging */
void api_charges_list(cairn_req *r);
void api_charge_status(cairn_req *r);
/* Flags a charge for a no-show ("no_show") or a late cancellation
 * ("late_cancellation") of user_id on session s (the session as
 * store_course_session_json gives it), with the amount from the
 * learner's borough's charge hook; notice_hours < 0 when unknown. Errors
 * are logged, never replied: the attendance or cancellation stands. */
void charges_flag(int64_t user_id, json_t *s, const char *reason, int notice_hours);
/* After attendance was marked: drops still-flagged charges that the
 * learner's attendance on the session no longer supports. */
void charges_sync_attendance(int64_t user_id, int64_t session_id);

/* api_reports.c: the borough dashboard and the training needs analysis */
void api_officer_dashboard(cairn_req *r);
void api_officer_tna(cairn_req *r);
/* Today's date in UTC, "YYYY-MM-DD", into buf (11 bytes). */
void api_today_utc(char buf[11]);
/* The time now in UTC, "YYYY-MM-DDTHH:MM:SSZ", into buf (21 bytes). */
void api_now_utc(char buf[21]);

/* api_dp.c: data protection: partnership figures and grants, the audit
 * log, retention periods, a learner's data export, erasure */
void api_partnership_summary(cairn_req *r);
void api_partnership_dashboard(cairn_req *r);
void api_partnership_tna(cairn_req *r);
void api_partnership_learners(cairn_req *r);
void api_admin_grants_list(cairn_req *r);
void api_admin_grants_create(cairn_req *r);
void api_admin_grants_revoke(cairn_req *r);
void api_audit_list(cairn_req *r);
void api_admin_retention_list(cairn_req *r);
void api_admin_retention_set(cairn_req *r);
void api_me_export_json(cairn_req *r);
void api_me_export_csv(cairn_req *r);
void api_officer_erase(cairn_req *r);

/* files.c */
void files_static(cairn_req *r);
void files_content(cairn_req *r);
void files_health(cairn_req *r);
/* Serves the built page NAME (e.g. "verify.html") with this status. */
void files_page(cairn_req *r, const char *name, unsigned status);

#endif
