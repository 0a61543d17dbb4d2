/* store_courses.h: face-to-face courses, sessions, bookings, attendance and
 * the one learner record (docs/API.md "Courses and bookings").
 *
 * Same conventions as store.h: 0 or a negative errno-style code, ret_*
 * untouched on failure. Times are ISO 8601 UTC text "YYYY-MM-DDTHH:MM:SSZ",
 * which sorts as it reads.
 *
 * Places: a session has `capacity` places; learners of the host borough may
 * take any of them, learners of other boroughs at most `open_places` in
 * all. Booked, promoted and pending (awaiting approval) bookings hold a
 * place; waitlisted and cancelled ones do not. */
#ifndef CAIRN_STORE_COURSES_H
#define CAIRN_STORE_COURSES_H

#include "store.h"

/* ---- courses ---- */
typedef struct cairn_course_new {
    const char *title, *group, *category, *aims;   /* group "A"|"B"|"C"; category "CORE"|"SPECIALIST" */
    int level;                  /* 1, 2, or 0 when the course has no level */
    double duration_hours;
    int64_t borough_id;         /* 0: the shared catalogue */
} cairn_course_new;
/* -EEXIST when a course with the same title and level exists. */
int store_course_create(const cairn_course_new *c, int64_t *ret_id);
/* {"courses":[...]}: the shared catalogue and, for borough_id != 0, that
 * borough's own courses; borough_id 0: every course. */
int store_courses_json(int64_t borough_id, json_t **ret);
int store_course_json(int64_t id, json_t **ret);
/* Adds the framework's catalogue once (demo data); 0 when already there. */
int store_courses_seed(void);

/* ---- sessions ---- */
typedef struct cairn_session_fields {
    int64_t course_id, host_borough_id;
    const char *venue_name, *venue_address, *access_notes, *trainer;
    int capacity, open_places, cancel_notice_hours;
    const char *booking_deadline;
    json_t *dates;              /* [{"starts_at","ends_at"}], validated, sorted */
} cairn_session_fields;
int store_course_session_create(const cairn_session_fields *f, int64_t created_by, int64_t *ret_id);
/* Replaces every field and date; SEQUENCE goes up. -ENOENT, -ECANCELED. */
int store_course_session_update(int64_t id, const cairn_session_fields *f);
/* Status cancelled, SEQUENCE up. -ENOENT, -EALREADY when already cancelled. */
int store_course_session_cancel(int64_t id, const char *reason);
/* The session as in docs/API.md, with counts; viewer_borough (0: none)
 * sets "free_places" for a learner of that borough. */
int store_course_session_json(int64_t id, int64_t viewer_borough, json_t **ret);
/* Upcoming scheduled sessions a learner may see, each with "free_places"
 * and "my_booking" (null or {"id","status","waitlist_position"}). */
int store_sessions_for_learner_json(int64_t user_id, int64_t borough_id, json_t **ret);
/* Sessions hosted by a borough (0: all), newest start first. */
int store_sessions_hosted_json(int64_t borough_id, json_t **ret);
/* {"bookings":[...],"waitlist":[...],"cancelled":[...]} with learner names. */
int store_course_session_bookings_json(int64_t id, json_t **ret);

/* ---- bookings ---- */
typedef struct cairn_booking_result {
    int64_t id;
    const char *status;         /* "booked", "pending" or "waitlisted" (static) */
    int waitlist_position;      /* 0 unless waitlisted */
} cairn_booking_result;
/* In one write transaction: checks and books. Codes: -ENOENT (no such
 * session), -ECANCELED (session cancelled), -ETIME (already started),
 * -ETIMEDOUT (booking deadline passed), -EACCES (not open to the learner's
 * borough), -EEXIST (already booked or waitlisted), -ENOSPC (full and
 * waitlist not asked for). pending: the borough needs an officer's
 * approval. */
int store_booking_make(int64_t session_id, int64_t user_id, bool pending, bool waitlist,
                       cairn_booking_result *ret);
typedef struct cairn_cancel_result {
    bool late;                  /* inside the session's cancellation notice */
    int64_t promoted_booking, promoted_user;   /* 0 when nobody was promoted */
    int64_t session_id;
    char previous[16];
} cairn_cancel_result;
/* The learner's own booking. -ENOENT (not theirs), -EALREADY (cancelled),
 * -ETIME (the session has started). */
int store_booking_cancel(int64_t booking_id, int64_t user_id, const char *reason,
                         cairn_cancel_result *ret);
/* An officer's answer to a pending booking: approved, it is booked;
 * refused, it is cancelled with the reason and the place goes to the
 * waitlist. ret->promoted_* as for a cancellation. -ENOENT, -EALREADY when
 * the booking is not pending. */
int store_booking_decide(int64_t booking_id, bool approve, const char *reason,
                         cairn_cancel_result *ret);
/* {"id","session_id","user_id","status","reason","waitlist_position","late_cancellation",
 *  "created_at","updated_at"} */
int store_booking_json(int64_t booking_id, json_t **ret);

/* ---- attendance ---- */
typedef struct cairn_attendance_result {
    double hours;
    bool flagged;               /* no-show or late cancellation */
} cairn_attendance_result;
/* Marks (or re-marks) one learner on one date of the session. status:
 * "attended", "partly_attended" (minutes > 0), "no_show", "cancelled_late".
 * -ENOENT: the date is not the session's; -ESRCH: the learner holds no
 * booking on the session; -EINVAL: minutes longer than the date. */
int store_attendance_mark(int64_t session_id, int64_t date_id, int64_t user_id,
                          const char *status, int minutes, int64_t marked_by,
                          cairn_attendance_result *ret);

/* ---- the learner record ---- */
/* {"entries":[...]} oldest first: e-learning records and attendance. */
int store_learner_record_json(int64_t user_id, json_t **ret);

#endif
