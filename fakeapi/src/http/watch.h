/*
 * watch: one watch stream. A watcher filters store events (namespace,
 * label and field selectors), turns selector transitions into the event
 * types a real server sends (enter = ADDED, leave = DELETED with the old
 * content at the new resourceVersion; k8s-api.md §7), queues them in a
 * bounded queue and feeds them to a chunked HTTP response.
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

#include "store/store.h"

struct fakeapi;
struct MHD_Connection;
struct MHD_Response;

struct watch_params {
    const char *ns;            /* NULL: all namespaces */
    struct fakeapi_lsel *ls;   /* consumed; NULL = everything */
    struct fakeapi_fsel *fs;   /* consumed; NULL = everything */
    bool bookmarks;            /* allowWatchBookmarks */
    bool table;                /* objects as meta.k8s.io Table */
    bool partial;              /* objects as PartialObjectMetadata */
    const char *table_version; /* of either: "v1" or "v1beta1" */
    int64_t timeout_s;         /* timeoutSeconds, 0 = server default, < 0
                                * ends the stream at once */
    bool initial;              /* sendInitialEvents, given or defaulted:
                                * the state as ADDED, then (with bookmarks)
                                * the initial-events-end BOOKMARK */
    bool has_rv;               /* resourceVersion given and not "0" */
    uint64_t rv;
};

/*
 * Check a watch's resourceVersion, resourceVersionMatch, sendInitialEvents
 * and continue (each NULL when absent) as kube-apiserver does after
 * decoding the query: SetListOptionsDefaults, then validateWatchOptions,
 * then the watch cache's ParseUint of the resourceVersion.
 * @return NULL if valid, else a new Status: 422 Invalid, or the 500 of an
 * unparsable resourceVersion.
 */
json_t *fakeapi__watch_check(const char *rv, const char *match,
                             const char *init, const char *cont);

/*
 * Whether a valid watch query sends the initial state: sendInitialEvents
 * given true, or (SetListOptionsDefaults) neither it nor
 * resourceVersionMatch given and resourceVersion "" or "0".
 */
bool fakeapi__watch_initial(const char *rv, const char *match,
                            const char *init);

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
