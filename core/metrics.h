/* metrics.h: counters for GET /metrics (Prometheus text format 0.0.4).
 *
 * Recording is lock-free (relaxed atomics in fixed arrays indexed by the
 * route's place in the route table and the status code), so any thread may
 * record on every request. Rendering reads the counters and asks the
 * writer, the plugin host and the store for their gauges. docs/OPERATIONS.md
 * lists every metric. */
#ifndef CAIRN_METRICS_H
#define CAIRN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

/* One answered request: rt NULL when no route matched. */
void metrics_request(const route *rt, unsigned status, int64_t us);
/* One learner commit answered by the writer (from request start to the
 * answer: includes waiting for the group commit's sync). ok: saved. */
void metrics_commit(int64_t us, bool ok);
/* The whole exposition; caller frees. NULL when out of memory. */
char *metrics_render(size_t *ret_len);
/* Whether addr is in the comma-separated list allow (exact matches). */
bool metrics_address_allowed(const char *allow, const char *addr);

#endif
