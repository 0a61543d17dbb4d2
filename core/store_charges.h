/* store_charges.h: no-shows and late cancellations flagged for the
 * borough's charging rule (docs/API.md "Charges").
 *
 * A charge is one row per (session, learner, reason). It is created
 * "flagged" when attendance marks a no-show or a late cancellation, or
 * when a learner cancels inside the session's notice period; the amount
 * comes from the learner's borough's charge hook (NULL: no amount named).
 * An officer then waives it or marks it invoiced. Only a charge still
 * flagged is ever changed or removed by attendance being marked again.
 * Same conventions as store.h. */
#ifndef CAIRN_STORE_CHARGES_H
#define CAIRN_STORE_CHARGES_H

#include "store.h"

/* Creates the charge, or refreshes a still-flagged one with this amount
 * and note (a waived or invoiced charge is left as it is). amount_pence
 * < 0: no amount. booking_id 0: the learner's booking on the session. */
int store_charge_flag(int64_t user_id, int64_t session_id, int64_t booking_id,
                      const char *reason, int64_t amount_pence, const char *note);
/* Removes still-flagged charges that the learner's attendance on the
 * session no longer supports: a no-show when no date is marked no_show;
 * a late cancellation when no date is marked cancelled_late and the
 * learner did not cancel their booking late. */
int store_charges_sync_attendance(int64_t user_id, int64_t session_id);
/* {"charges":[...]}: charges of learners of borough_id (0: every
 * borough), with status (NULL: any), newest first, at most 2000. */
int store_charges_json(int64_t borough_id, const char *status, json_t **ret);
/* One charge as in the list; -ENOENT. */
int store_charge_json(int64_t id, json_t **ret);
/* The borough of the charged learner (0 when none); -ENOENT. */
int store_charge_borough(int64_t id, int64_t *ret_borough_id);
/* status "flagged"|"waived"|"invoiced"; note NULL keeps the note. */
int store_charge_set_status(int64_t id, const char *status, const char *note);

#endif
