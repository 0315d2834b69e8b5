/*
 * watch_int: what the files of the watcher share (internal to libkreg).
 *
 *  - watch.c       the handle, its streams (one per namespace, or one
 *                  cluster-wide) and their threads, the results queue
 *  - watch_view.c  a stream's view of the pods and the differences it
 *                  turns into results
 *
 * A watcher has one stream per namespace of its query (scope.h), or one
 * cluster-wide stream. Each stream lists, watches from its own
 * resourceVersion, resumes and re-lists on its own thread, and keeps its
 * own view; the pods of two streams never meet (with several namespaces
 * a pod is named "<namespace>/<pod>"). The streams share the consumer:
 * the results queue, or a fed watcher's feed. One stream at a time
 * changes its view and calls back (the handle's work mutex), so the
 * callbacks never run concurrently.
 */
#ifndef KREG_WATCH_INT_H
#define KREG_WATCH_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http.h"
#include "kbuf.h"
#include "kreg.h"
#include "scope.h"
#include "watch.h"

struct kreg__watch_qitem {
    struct kreg__watch_qitem *next;
    struct kreg_result *res;
};

/* One list-and-watch of one namespace (or of every one). */
struct kreg__watch_stream {
    struct kreg_watch *w;
    const char *ns;      /* borrowed from w->scope; NULL: cluster-wide */
    json_t *view;        /* pod -> {annotation key -> text} */
    json_t *skips;       /* pod -> {key -> text} skipped and reported */
    char *rv;            /* last resourceVersion seen */
    struct kbuf line;    /* partial watch line */
    bool relist;         /* the stream said 410, or could not be read */
    bool trouble;        /* the stream was ended for a problem: back off */
    bool oom;            /* an allocation for the view or a result failed */
    bool progressed;     /* the current stream brought an event or bookmark */
    int64_t synced_ms;   /* its last list, event or bookmark (under work) */
    unsigned long asked; /* streams asked for so far (metrics) */
    size_t pods;         /* pods in its view (under work) */
    atomic_bool halt;    /* the watch stopped or ended: leave */
    struct kreg__http_waker waker; /* wakes its stream on halt */
    pthread_t th;
    bool started; /* th runs (joined by kreg_watch_free) */
};

struct kreg_watch {
    kreg *r;
    char *name;               /* NULL: every service */
    char *selector;           /* label selector of the lists and watches */
    char *key;                /* exact annotation key, or NULL (prefix) */
    struct kreg_query q;      /* namespaces cleared: see scope */
    struct kreg__scope scope; /* one stream per entry */
    unsigned timeout_s; /* kreg_query.watch_timeout_s, the default applied */
    bool fed;           /* results go to the feed, not the queue */
    struct kreg__watch_feed feed; /* when fed */
    bool starting;        /* the first lists: one synced() after all of them */
    bool ended;           /* feed.ended() was called (under work) */
    atomic_size_t pods;   /* pods in the views (kreg__watch_pods) */
    pthread_mutex_t work; /* one stream at a time changes and calls back */
    size_t nstreams;
    struct kreg__watch_stream *streams;
    pthread_mutex_t mu; /* the queue and the end */
    pthread_cond_t cv;
    struct kreg__watch_qitem *head; /* results, oldest first */
    struct kreg__watch_qitem *tail;
    size_t running; /* stream threads not ended */
    int fatal;      /* a non-retryable error ended the watch */
    struct kreg_error fatal_err;
    atomic_bool stop; /* kreg_watch_stop() */
};

/* ---- The view (watch_view.c); the caller holds w->work ----------------*/

/* Report a problem the watcher rides out (kreg_query.on_problem). */
void kreg__watch_problem(const struct kreg_watch *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The entry @p pod contributes to @p s's view (new reference; maybe
 * empty), and in *@p skips the service annotations it has that cannot be
 * used (new reference). NULL (and *@p skips NULL) when out of memory.
 */
json_t *kreg__watch_entry(const struct kreg__watch_stream *s, const json_t *pod,
                          json_t **skips);

/* Set pod @p name's entry to @p cur and its skipped annotations to
 * @p skips (both consumed; NULL = gone) and, with @p report, emit the
 * difference. */
void kreg__watch_update_pod(struct kreg__watch_stream *s, const char *name,
                            json_t *cur, json_t *skips, bool report);

/*
 * Make the listed @p pods (named as the view names them) @p s's view;
 * with @p report, emit the difference to the old one (a re-list).
 * @return KREG_OK, or KREG_E_NOMEM (the view is left as it was).
 */
int kreg__watch_apply_list(struct kreg__watch_stream *s, json_t *pods,
                           bool report, struct kreg_error *err);

#endif
