/*
 * watch: the watcher's internal entry point for a cache (cache.c). The
 * public half (kreg_watch_*) is declared in kreg.h.
 *
 * A fed watcher watches every service (micro.mu/type=service) of the
 * query's namespaces (kreg_query.namespaces, all_namespaces) and, instead
 * of queueing results, hands each change of its view to a feed on its own
 * thread: the same differences a kreg_watch reports (so a cut stream or a
 * 410 loses and repeats nothing), keyed by annotation, plus the selector
 * labels pods carry in any phase, which kreg_get_service() reads to tell
 * "not found" from "no running instance".
 */
#ifndef KREG_WATCH_H
#define KREG_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "kreg.h"

/* What a fed watcher tells its owner. The callbacks run on the watcher's
 * threads (one per namespace of its query, never two at once), and on the
 * caller of kreg__watch_new_feed() for the first lists; they must not
 * block for long, nor stop or free the watcher. With several namespaces or
 * all of them, a pod is "<namespace>/<pod>". */
struct kreg__watch_feed {
    void *ctx;
    /*
     * One change of pod @p pod: @p key is a service annotation key
     * (micro.mu/service-<enc>) of a pod that serves (Running, not
     * terminating, and Ready with kreg_query.ready_only) whose text
     * decodes to a service with a name, or a selector label key
     * (micro.mu/selector-<enc>) whose value is "service", on a pod in any
     * phase. @p text: the annotation text, or "service" for a label; on
     * KREG_ACTION_DELETE the text it had. Return 0, or -1 when out of
     * memory (the watch then ends with KREG_E_NOMEM).
     */
    int (*change)(void *ctx, enum kreg_action action, const char *pod,
                  const char *key, const char *text);
    /* The view is the server's as of @p since_ms (CLOCK_MONOTONIC
     * milliseconds) or later: called after a list, an event (its changes,
     * if any, came before) or a bookmark of any stream, @p since_ms being
     * the oldest of the streams' last ones (one stream per namespace). */
    void (*synced)(void *ctx, int64_t since_ms);
    /* The watch ended for good (403, out of memory, ...): @p err says why.
     * Nothing is called after this. */
    void (*ended)(void *ctx, int code, const struct kreg_error *err);
};

/*
 * Start a fed watcher on every service: list (every phase, whole pods),
 * report the listed state to @p feed as creates, call synced(), then
 * watch on a thread of its own. @p q as for kreg_watch_new_q() (copied);
 * @p feed is copied.
 * @param out  on success a new watcher: kreg_watch_free() (which stops it
 *             and waits for its thread; no callback runs after it).
 * @return as kreg_watch_new_q().
 */
int kreg__watch_new_feed(kreg *r, const struct kreg_query *q, size_t q_size,
                         const struct kreg__watch_feed *feed, kreg_watch **out,
                         struct kreg_error *err);

/* Pods in a fed watcher's view as of its last change: those carrying a
 * selector label or serving a service annotation. Any thread. */
size_t kreg__watch_pods(const kreg_watch *w);

#endif
