/* store_outbox.h: the notification outbox (table outbox, migration 4).
 *
 * A message is written once by notify.c and then only changes state:
 *
 *   (none) --store_outbox_enqueue--> pending
 *   pending --store_outbox_claim (lease: next_attempt_at moves on)--> pending
 *   pending --store_outbox_sent--> sent
 *   pending --store_outbox_retry, attempts < OUTBOX_MAX_ATTEMPTS--> pending,
 *           next_attempt_at = now + backoff(attempts)
 *   pending --store_outbox_retry, attempts = OUTBOX_MAX_ATTEMPTS--> failed
 *
 * Same conventions as store.h: 0 or a negative errno-style code, ret_*
 * untouched on failure. */
#ifndef CAIRN_STORE_OUTBOX_H
#define CAIRN_STORE_OUTBOX_H

#include "store.h"

#include <stddef.h>

enum {
    OUTBOX_MAX_ATTEMPTS = 5,    /* then the message is 'failed' */
    OUTBOX_LEASE_SECONDS = 600, /* a claimed message is not claimed again before */
    OUTBOX_PAGE_MAX = 100,      /* largest page of a listing */
};

typedef struct cairn_outbox_new {
    int64_t user_id;            /* 0: no account (never listed to learners) */
    const char *to_addr, *kind, *subject, *body;
    const char *dedupe_key;     /* NULL: none; else a second enqueue is a no-op */
} cairn_outbox_new;
/* *ret_added is false when a message with the same dedupe_key exists. */
int store_outbox_enqueue(const cairn_outbox_new *m, bool *ret_added);

typedef struct cairn_outbox_msg {
    int64_t id;
    int attempts;
    char *to_addr, *subject, *body, *created_at;   /* owned */
} cairn_outbox_msg;
void cairn_outbox_msgs_free(cairn_outbox_msg *m, size_t n);
/* Up to max pending messages whose next attempt is due, oldest first, each
 * leased for OUTBOX_LEASE_SECONDS so that another process (`cairn notify
 * run` beside `cairn serve`) does not send it too. *ret is malloc'd (free
 * with cairn_outbox_msgs_free); *ret_n may be 0. */
int store_outbox_claim(size_t max, cairn_outbox_msg **ret, size_t *ret_n);
int store_outbox_sent(int64_t id);
/* One failed attempt: the next is due after retry_base_s times 1, 5, 30,
 * 120 for attempts 1 to 4; the fifth failure makes it 'failed'.
 * *ret_failed (may be NULL) says which. */
int store_outbox_retry(int64_t id, const char *error, unsigned retry_base_s, bool *ret_failed);

/* Listings, newest first: {"messages":[...], "next_before": id or null}.
 * status NULL: any; before 0: from the newest; limit 1..OUTBOX_PAGE_MAX.
 * One user's messages (no recipient, no error): */
int store_outbox_user_json(int64_t user_id, const char *status, int limit, int64_t before,
                           json_t **ret);
/* Messages to the learners of a borough (0: every message), with the
 * recipient's name and borough, attempts and the last error. */
int store_outbox_borough_json(int64_t borough_id, const char *status, int limit, int64_t before,
                              json_t **ret);

/* For the expiry sweep: up to max learners (role learner, in a borough, with
 * at least one learner record) with id > after, in id order. */
int store_outbox_sweep_learners(int64_t after, size_t max, int64_t *ret_ids, size_t *ret_n);

#endif
