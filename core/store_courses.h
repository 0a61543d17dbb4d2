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
/* Replaces every field and date; SEQUENCE goes up. -ENOENT, -ECANCELED.
 * When the change frees places (more capacity or open places) on a session
 * that has not begun, waitlisted learners are promoted in the same
 * transaction, in waitlist order: up to max of them are reported in
 * ret_promoted (booking, user), their number in *ret_n. */
typedef struct cairn_promotion {
    int64_t booking_id, user_id;
} cairn_promotion;
int store_course_session_update(int64_t id, const cairn_session_fields *f,
                                cairn_promotion *ret_promoted, size_t max, size_t *ret_n);
/* Status cancelled, SEQUENCE up. -ENOENT, -EALREADY when already cancelled. */
int store_course_session_cancel(int64_t id, const char *reason);
/* The session as in docs/API.md, with counts; viewer_borough (0: none)
 * sets "free_places" for a learner of that borough. */
int store_course_session_json(int64_t id, int64_t viewer_borough, json_t **ret);
/* One page of a session list, keyset-paged: the rows after (or, before:
 * before) the row whose key is (at, id), in the list's order. A list answers
 * {"sessions":[...],"limit","next","previous"}: next and previous are the
 * keys "first_start~id" of the page's last and first rows, or null when
 * there is no page that way. */
typedef struct cairn_page {
    int limit;                  /* 1..200 */
    bool has_cursor, before;    /* before needs a cursor */
    char at[21];                /* the cursor row's first_start */
    int64_t id;                 /* and its id */
} cairn_page;
/* Upcoming scheduled sessions a learner may see, soonest first, each with
 * "free_places" and "my_booking" (null or {"id","status","waitlist_position"}). */
int store_sessions_for_learner_json(int64_t user_id, int64_t borough_id, const cairn_page *page,
                                    json_t **ret);
/* Sessions hosted by a borough (0: all), latest start first. */
int store_sessions_hosted_json(int64_t borough_id, const cairn_page *page, json_t **ret);
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
 * -ETIME (the session has started). user_id 0: an officer cancels (the
 * caller checked their borough): any learner's booking, also after the
 * start, never a late cancellation, and no promotion once the session has
 * begun. */
int store_booking_cancel(int64_t booking_id, int64_t user_id, const char *reason,
                         cairn_cancel_result *ret);
/* An officer's answer to a pending booking: approved, it is booked;
 * refused, it is cancelled with the reason and the place goes to the
 * waitlist. ret->promoted_* as for a cancellation. -ENOENT, -EALREADY when
 * the booking is not pending. */
int store_booking_decide(int64_t booking_id, bool approve, const char *reason,
                         cairn_cancel_result *ret);
/* {"id","session_id","user_id","status","reason","waitlist_position","late_cancellation",
 *  "created_at","updated_at","moved_from"} */
int store_booking_json(int64_t booking_id, json_t **ret);

/* ---- officers: moving a learner's booking ---- */
typedef struct cairn_booking_scope {
    int64_t session_id, user_id, host_borough_id, learner_borough_id;
    char status[16];
} cairn_booking_scope;
/* Whose booking it is and where: for the officer's borough check. -ENOENT. */
int store_booking_scope(int64_t booking_id, cairn_booking_scope *ret);
typedef struct cairn_move_result {
    int64_t booking_id;         /* the new booking, on the target session */
    int64_t user_id, from_session;
    int64_t promoted_booking, promoted_user;   /* on the old session; 0: nobody */
} cairn_move_result;
/* Moves a booking (booked, promoted, pending or waitlisted) to another
 * session of the same course, in one write transaction: the old row is
 * cancelled with reason (never late), a new row on the target is booked
 * with moved_from = the old session, and a place freed on the old session
 * goes to its waitlist as on a cancellation. The target's places rule
 * applies as for booking; its booking deadline does not (an officer's
 * decision). Codes: -ENOENT no such booking, -EALREADY cancelled, -ETIME
 * the old session has begun, -EINVAL target is the same session, -ESRCH no
 * such target, -EXDEV another course, -ECANCELED target cancelled, -ESTALE
 * target has begun, -EACCES target not open to the learner's borough,
 * -EEXIST the learner already has a place or waitlist place there,
 * -ENOSPC no place for the learner. */
int store_booking_move(int64_t booking_id, int64_t target, const char *reason,
                       cairn_move_result *ret);
/* {"sessions":[...]}: where the booking could move: the same course,
 * scheduled, not begun, not its own session nor one the learner holds,
 * hosted by the learner's borough or with places open to others; soonest
 * first, at most 200; "free_places" for the learner. -ENOENT. */
int store_booking_move_options_json(int64_t booking_id, json_t **ret);

/* ---- attendance ---- */
typedef struct cairn_attendance_result {
    double hours;
    bool flagged;               /* no-show or late cancellation */
} cairn_attendance_result;
/* Marks (or re-marks) one learner on one date of the session. status:
 * "attended", "partly_attended" (minutes > 0), "no_show", "cancelled_late".
 * -ENOENT: the date is not the session's; -ESRCH: the learner holds no
 * booking on the session; -ECANCELED: their only booking there was
 * cancelled (or moved away) and status is not "cancelled_late"; -EINVAL:
 * minutes longer than the date. */
int store_attendance_mark(int64_t session_id, int64_t date_id, int64_t user_id,
                          const char *status, int minutes, int64_t marked_by,
                          cairn_attendance_result *ret);

/* The learner record, evidence and certificates: store_record.h. */

#endif
