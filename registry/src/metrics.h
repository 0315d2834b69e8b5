/*
 * metrics: the counters of one kreg handle (internal; the public half,
 * struct kreg_metrics and the readers, is in kreg.h, docs/metrics.md
 * lists the metrics).
 *
 * The block is embedded in the handle (registry.h) and lives as long as
 * it; the HTTP client borrows it (kreg__http_set_metrics). Every count is
 * a relaxed atomic add: a counter orders nothing, so any thread bumps and
 * reads without a lock. Each bump takes a NULL block (a client or
 * watcher made without a handle's, in tests) and does nothing then.
 */
#ifndef KREG_METRICS_H
#define KREG_METRICS_H

#include <stdatomic.h>

#include "kreg.h"

struct kreg__metrics {
    atomic_uint_least64_t requests[KREG_METRICS_VERBS][KREG_METRICS_CODES];
    atomic_uint_least64_t retries;
    atomic_uint_least64_t watch_reconnects;
    atomic_uint_least64_t relists;
    atomic_uint_least64_t skipped;
};

/* Zero every counter. */
void kreg__metrics_init(struct kreg__metrics *m);

/* The verb slot of HTTP method @p method ("GET", ...; never WATCH). */
enum kreg_metrics_verb kreg__metrics_verb(const char *method);

/* The code slot of HTTP status @p status (0: no complete answer). */
enum kreg_metrics_code kreg__metrics_code(long status);

/* One finished attempt: @p verb, answered @p status (0: none). */
void kreg__metrics_request(struct kreg__metrics *m, enum kreg_metrics_verb verb,
                           long status);

/* One attempt made again (backoff, or a 401 with fresh credentials). */
void kreg__metrics_retry(struct kreg__metrics *m);

/* A watcher opened a stream after its first. */
void kreg__metrics_reconnect(struct kreg__metrics *m);

/* A watcher completed a list after its first. */
void kreg__metrics_relist(struct kreg__metrics *m);

/* A service annotation was reported skipped (kreg_query.on_skip). */
void kreg__metrics_skip(struct kreg__metrics *m);

#endif
