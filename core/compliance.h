/* compliance.h: keeping the compliance table (store_compliance.h) in step
 * with what the boroughs' plugins say, so reports never run Lua.
 *
 * A learner's rows are what GET /api/me/training shows them
 * (plugins_required in api_plugins.c: required_training, then expiry for
 * each item done), one row per required item, replaced in one
 * transaction. Whatever changes a learner's record calls
 * compliance_touch(user_id) AFTER its own transaction committed; a
 * refresh thread takes the queue (each learner once however often they
 * were touched) and recomputes. At start, and whenever the plugins'
 * fingerprint differs from the one the rows were computed with (a reload
 * that changed something), the thread rebuilds every learner in batches,
 * still taking touched learners first between batches.
 *
 * States are never stored: reports derive them from the dates against
 * today's date, so the passage of time needs no rewrite. */
#ifndef CAIRN_COMPLIANCE_H
#define CAIRN_COMPLIANCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Starts the refresh thread (after the plugin host). 0 or -errno. */
int compliance_start(void);
/* Stops it; a rebuild in progress stops between batches (the next start
 * finishes it, since the fingerprint is saved only when it completes). */
void compliance_stop(void);
/* Queues a refresh of the learner's rows. Never blocks on SQL or Lua and
 * never fails: when the queue is full the thread rebuilds everyone. */
void compliance_touch(int64_t user_id);
/* Waits up to timeout_ms until every learner touched before this call was
 * refreshed: a report then shows the change that preceded it. True when
 * it did (or the thread is not running). */
bool compliance_wait(unsigned timeout_ms);
/* {"pending": N, "rebuilding": bool, "rebuilt_at": "..." or null} */
json_t *compliance_status_json(void);

/* Recomputes the learners' rows now, on the calling thread (its own Lua
 * states and connection), in one transaction. 0 or a negative errno. */
int compliance_refresh(const int64_t *user_ids, size_t n);

/* `cairn compliance rebuild --data DIR [--plugins DIR]`: recomputes every
 * learner's rows and prints how many learners and items, and the time. */
int compliance_main(int argc, char **argv, const char *default_data,
                    const char *default_plugins);

#endif
