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

/* api_packages.c */
void api_packages_list(cairn_req *r);
void api_packages_upload(cairn_req *r);
void api_officer_learners(cairn_req *r);

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
void api_booking_cancel(cairn_req *r);
void api_booking_invite(cairn_req *r);
void api_booking_decide(cairn_req *r);
void api_me_record(cairn_req *r);

/* files.c */
void files_static(cairn_req *r);
void files_content(cairn_req *r);
void files_health(cairn_req *r);

#endif
