/* notify.h: e-mail notifications to learners, through the outbox.
 *
 * Handlers call notify_booking / notify_session after the store call that
 * changed the booking or session has committed. They build the message
 * (plain text) and put it in the outbox table (store_outbox.h); they never
 * talk to a mail server, so a request thread is never held up by SMTP.
 *
 * One delivery thread (notify_start, started by `cairn serve`) sends the
 * due messages with libcurl when cfg.smtp_url is set, wakes on every
 * enqueue and once a minute, retries with backoff, and runs the expiry
 * reminder sweep. Without an SMTP URL messages stay 'pending' and are shown
 * on the learner's and the officer's Messages pages.
 *
 * Every function returns 0 or a negative errno-style code; a failure to
 * notify is logged and never undoes the booking change. */
#ifndef CAIRN_NOTIFY_H
#define CAIRN_NOTIFY_H

#include <stdint.h>

/* kind: "booking_confirmed", "booking_pending", "booking_approved",
 * "booking_refused", "waitlisted", "waitlist_promoted", "booking_cancelled",
 * "booking_moved". One message to the booking's learner. */
int notify_booking(int64_t booking_id, const char *kind);

/* kind: "session_changed" or "session_cancelled". One message to each
 * learner holding a live booking (booked, promoted, pending) or a waitlist
 * place on the session. */
int notify_session(int64_t session_id, const char *kind);

/* The delivery thread. notify_start returns 0 or -errno; notify_stop wakes
 * it, waits for it to finish the message in hand, and joins it. */
int notify_start(void);
void notify_stop(void);

/* One expiry sweep and one delivery pass on the calling thread (used by
 * `cairn notify run`). Counts are written when the pointers are not NULL. */
int notify_run_once(int *ret_reminders, int *ret_sent, int *ret_failed);

#endif
