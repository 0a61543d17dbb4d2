/* writer.h: the single writer path for learner commits.
 *
 * SQLite allows one writer at a time; many threads writing just queue on
 * its lock. Handler threads therefore validate a commit and hand it here;
 * one thread takes everything queued, applies it in one transaction (group
 * commit, store_commit_batch) and calls each commit's done function, which
 * resumes the waiting connection. */
#ifndef CAIRN_WRITER_H
#define CAIRN_WRITER_H

#include "store.h"

typedef void (*writer_done_fn)(cairn_commit *c, void *arg);

int writer_start(void);
/* Applies what is queued, then stops the thread. */
void writer_stop(void);
/* Queues c; done(c, arg) runs on the writer thread once c->result is set.
 * Returns -EAGAIN when the queue is full (the caller answers 503). */
int writer_submit(cairn_commit *c, writer_done_fn done, void *arg);
/* For metrics: commits waiting now, transactions and commits written so far. */
void writer_stats(size_t *ret_queued, uint64_t *ret_batches, uint64_t *ret_commits);

#endif
