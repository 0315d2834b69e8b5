/*
 * watch: one watch stream. A watcher filters store events (namespace,
 * label and field selectors), turns selector transitions into the event
 * types a real server sends (enter = ADDED, leave = DELETED with the old
 * content at the new resourceVersion; docs/kubernetes-api.md, Watch), queues
 * them in a bounded queue and feeds them to a chunked HTTP response.
 *
 * The connection is suspended while the queue is empty and resumed when
 * an event arrives: no thread per watcher, no polling. A watcher whose
 * queue overflows is closed (the client re-lists), so a slow reader never
 * blocks writers or grows memory without bound.
 */
#ifndef FAKEAPI_WATCH_H
#define FAKEAPI_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "api/watchq.h"
#include "store/store.h"

struct fakeapi;
struct watcher;
struct MHD_Connection;
struct MHD_Response;

/*
 * Start a watch on @p conn: registers the watcher (initial ADDED events or
 * history replay, or the 410 ERROR event) and returns a new streaming
 * response to queue, or NULL when out of memory or over the watcher limit
 * (*status then holds a new Status to send instead).
 */
struct MHD_Response *fakeapi__watch_start(struct fakeapi *srv,
                                          struct MHD_Connection *conn,
                                          struct watch_params *p,
                                          json_t **status);

/* Offer an event to @p w (store write lock held). */
void fakeapi__watch_deliver(struct watcher *w, struct event *ev);

/* Close @p w's stream after what is queued (store write lock held). */
void fakeapi__watch_close(struct watcher *w);

/* Queue a BOOKMARK at @p rv if the watcher asked for bookmarks. */
void fakeapi__watch_bookmark(struct watcher *w, uint64_t rv);

/*
 * Close @p w if its client has gone away (store lock held). The daemon
 * does not poll a suspended connection, so without this a client that
 * disconnects while its stream is idle would keep its watcher (and a
 * max_watchers slot) until an event or a bookmark reached it.
 */
void fakeapi__watch_probe(struct watcher *w);

/* Monotonic deadline of @p w in ms (0 = none). */
uint64_t fakeapi__watch_deadline(const struct watcher *w);

#endif
