#include "http/watch.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "base/clock.h"
#include "base/status.h"
#include "http/server.h"
#include "knum.h"
#include "pod/pod.h"
#include "select/selector.h"

struct witem {
    enum ev_type type;
    struct fakeapi_obj *obj; /* NULL for BOOKMARK (rv used) / ERROR */
    uint64_t rv;
    json_t *status;   /* ERROR */
    bool initial_end; /* BOOKMARK: k8s.io/initial-events-end */
};

struct watcher {
    struct fakeapi *srv;
    pthread_mutex_t mu;
    char *ns;
    struct fakeapi_lsel *ls;
    struct fakeapi_fsel *fs;
    bool bookmarks;
    bool table;
    bool partial;
    char table_version[16];
    uint64_t from_rv;     /* deliver only events after this */
    uint64_t deadline_ms; /* monotonic; 0 = none */
    /* queue (guarded by mu) */
    struct witem *q;
    size_t qcap;
    size_t qhead;
    size_t qlen;
    bool closed;
    bool suspended;
    struct MHD_Connection *conn;
    struct kbuf pending;
    size_t pending_off;
};

static bool watcher_matches(const struct watcher *w,
                            const struct fakeapi_obj *o)
{
    if (w->ns && strcmp(w->ns, o->ns) != 0)
        return false;
    if (w->ls && !fakeapi__lsel_matches_labels(w->ls, &o->labels))
        return false;
    if (w->fs && !fakeapi__fsel_matches_fields(w->fs, &o->fields))
        return false;
    return true;
}

/* Wake the connection if it sleeps (w->mu held). */
static void wake(struct watcher *w)
{
    if (w->suspended && w->conn) {
        w->suspended = false;
        MHD_resume_connection(w->conn);
    }
}

/* Queue one item (w->mu held); on overflow the watcher is closed. */
static void push(struct watcher *w, struct witem it)
{
    if (w->closed) {
        fakeapi__obj_unref(it.obj);
        json_decref(it.status);
        return;
    }
    if (w->qlen == w->qcap) {
        /* too slow a reader: end its stream, as a real server does */
        fakeapi__obj_unref(it.obj);
        json_decref(it.status);
        w->closed = true;
        wake(w);
        return;
    }
    w->q[(w->qhead + w->qlen) % w->qcap] = it;
    w->qlen++;
    wake(w);
}

/* The old content of @p ev at the event's resourceVersion, built once. */
static struct fakeapi_obj *old_at_rv(struct event *ev)
{
    json_t *copy;
    char rv[24];

    if (ev->old_at_rv)
        return ev->old_at_rv;
    copy = fakeapi__obj_tree(ev->old);
    if (!copy)
        return NULL;
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)ev->rv);
    json_object_set_new(json_object_get(copy, "metadata"), "resourceVersion",
                        json_string(rv));
    ev->old_at_rv = fakeapi__obj_new(copy);
    return ev->old_at_rv;
}

void fakeapi__watch_deliver(struct watcher *w, struct event *ev)
{
    struct witem it = {0};
    bool mo;
    bool mn;

    if (ev->rv <= w->from_rv)
        return;
    mo = ev->old && ev->type != EV_DELETED && watcher_matches(w, ev->old);
    mn = watcher_matches(w, ev->cur);
    it.rv = ev->rv;
    if (ev->type == EV_DELETED) {
        if (!mn)
            return;
        it.type = EV_DELETED;
        it.obj = ev->cur;
    } else if (mn) {
        /* docs/kubernetes-api.md, Watch: an object that starts matching is
         * ADDED */
        it.type = mo ? EV_MODIFIED : EV_ADDED;
        it.obj = ev->cur;
    } else if (mo) {
        /* stops matching: DELETED with the old content at the new rv */
        it.type = EV_DELETED;
        it.obj = old_at_rv(ev);
        if (!it.obj)
            return;
    } else {
        return;
    }
    fakeapi__obj_ref(it.obj);
    pthread_mutex_lock(&w->mu);
    push(w, it);
    pthread_mutex_unlock(&w->mu);
}

/* The store's notification (fakeapi_store_notify): @p ctx is the watcher. */
static void on_event(void *ctx, struct event *ev)
{
    fakeapi__watch_deliver(ctx, ev);
}

void fakeapi__watch_close(struct watcher *w)
{
    pthread_mutex_lock(&w->mu);
    w->closed = true;
    wake(w);
    pthread_mutex_unlock(&w->mu);
}

void fakeapi__watch_bookmark(struct watcher *w, uint64_t rv)
{
    struct witem it = {EV_BOOKMARK, NULL, rv, NULL, false};

    if (!w->bookmarks)
        return;
    pthread_mutex_lock(&w->mu);
    push(w, it);
    pthread_mutex_unlock(&w->mu);
}

/*
 * Go's server cancels a request whose connection reads EOF, which ends a
 * watch at once when its client closes; this is the same check, made by
 * the ticker. Only a suspended stream is probed: its connection cannot be
 * closed by the daemon meanwhile, so the descriptor is valid. MSG_PEEK
 * leaves any pipelined bytes for the daemon. Found by test_load.c.
 */
void fakeapi__watch_probe(struct watcher *w)
{
    const union MHD_ConnectionInfo *ci;
    char c;
    ssize_t k;

    pthread_mutex_lock(&w->mu);
    if (w->suspended && !w->closed) {
        ci =
            MHD_get_connection_info(w->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        k = ci ? recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) : 1;
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR)) {
            w->closed = true;
            wake(w);
        }
    }
    pthread_mutex_unlock(&w->mu);
}

uint64_t fakeapi__watch_deadline(const struct watcher *w)
{
    return w->deadline_ms;
}

static const char *type_name(enum ev_type t)
{
    switch (t) {
    case EV_ADDED:
        return "ADDED";
    case EV_MODIFIED:
        return "MODIFIED";
    case EV_DELETED:
        return "DELETED";
    case EV_BOOKMARK:
        return "BOOKMARK";
    case EV_ERROR:
        return "ERROR";
    }
    return "ERROR";
}

#define INITIAL_END ",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}"

/* Serialize one item as a watch line into w->pending. */
static void format_item(struct watcher *w, const struct witem *it)
{
    struct kbuf *b = &w->pending;

    kbuf_reset(b);
    w->pending_off = 0;
    kbuf_addf(b, "{\"type\":\"%s\",\"object\":", type_name(it->type));
    if (it->type == EV_BOOKMARK && w->partial) {
        /* the empty Pod below, as its PartialObjectMetadata */
        kbuf_addf(b,
                  "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":"
                  "\"meta.k8s.io/%s\",\"metadata\":{\"resourceVersion\":"
                  "\"%llu\"%s}}",
                  w->table_version, (unsigned long long)it->rv,
                  it->initial_end ? INITIAL_END : "");
    } else if (it->type == EV_BOOKMARK) {
        /* cacher.go: an empty Pod with only the resourceVersion, as Go
         * writes it (containers has no omitempty, status is a struct);
         * cache_watcher.go convertToWatchEvent annotates the first one
         * after a WatchList's initial events */
        kbuf_addf(b,
                  "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":"
                  "{\"resourceVersion\":\"%llu\"%s},\"spec\":"
                  "{\"containers\":null},\"status\":{}}",
                  (unsigned long long)it->rv,
                  it->initial_end ? INITIAL_END : "");
    } else if (it->type == EV_ERROR) {
        char *s = json_dumps(it->status, JSON_COMPACT);

        kbuf_adds(b, s ? s : "{}");
        free(s);
    } else if (w->table) {
        json_t *arr = json_array();
        char rv[24];
        json_t *t;
        char *s;

        snprintf(rv, sizeof(rv), "%llu", (unsigned long long)it->obj->rv);
        json_array_append_new(arr, fakeapi__obj_tree(it->obj));
        t = fakeapi__pod_table(arr, rv, NULL, time(NULL), true);
        if (t)
            json_object_set_new(
                t, "apiVersion",
                json_sprintf("meta.k8s.io/%s", w->table_version));
        s = t ? json_dumps(t, JSON_COMPACT) : NULL;
        kbuf_adds(b, s ? s : "{}");
        free(s);
        json_decref(t);
        json_decref(arr);
    } else if (w->partial) {
        fakeapi__obj_partial(it->obj, w->table_version, b);
    } else {
        kbuf_add(b, it->obj->bytes, it->obj->len);
    }
    kbuf_adds(b, "}\n");
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct watcher *w = cls;
    size_t done = 0;

    (void)pos;
    pthread_mutex_lock(&w->mu);
    while (done < max) {
        size_t avail = kbuf_len(&w->pending) - w->pending_off;

        if (avail > 0) {
            size_t n = avail < max - done ? avail : max - done;

            memcpy(buf + done, kbuf_str(&w->pending) + w->pending_off, n);
            w->pending_off += n;
            done += n;
            continue;
        }
        if (w->qlen == 0)
            break;
        {
            struct witem it = w->q[w->qhead];

            w->qhead = (w->qhead + 1) % w->qcap;
            w->qlen--;
            format_item(w, &it);
            fakeapi__obj_unref(it.obj);
            json_decref(it.status);
        }
    }
    if (done == 0) {
        if (w->closed) {
            pthread_mutex_unlock(&w->mu);
            /* unregister now, so the count is right once the client sees
             * the end (lock order: store, then watcher) */
            fakeapi__store_wrlock(w->srv->api.store);
            fakeapi__store_unsubscribe(w->srv->api.store, w);
            fakeapi__store_unlock(w->srv->api.store);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        w->suspended = true;
        MHD_suspend_connection(w->conn);
    }
    pthread_mutex_unlock(&w->mu);
    return (ssize_t)done;
}

static void watcher_free(struct watcher *w)
{
    size_t i;

    for (i = 0; i < w->qlen; i++) {
        struct witem *it = &w->q[(w->qhead + i) % w->qcap];

        fakeapi__obj_unref(it->obj);
        json_decref(it->status);
    }
    free(w->q);
    kbuf_release(&w->pending);
    fakeapi__lsel_free(w->ls);
    fakeapi__fsel_free(w->fs);
    free(w->ns);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

/* The response is done (connection closed or stream ended). */
static void reader_free(void *cls)
{
    struct watcher *w = cls;

    fakeapi__store_wrlock(w->srv->api.store);
    fakeapi__store_unsubscribe(w->srv->api.store, w);
    fakeapi__store_unlock(w->srv->api.store);
    watcher_free(w);
}

static struct watcher *watcher_new(struct fakeapi *srv,
                                   struct MHD_Connection *conn,
                                   struct watch_params *p)
{
    struct watcher *w = calloc(1, sizeof(*w));

    if (!w)
        return NULL;
    w->srv = srv;
    w->conn = conn;
    w->qcap = srv->watch_queue;
    w->q = calloc(w->qcap, sizeof(*w->q));
    w->ns = p->ns ? strdup(p->ns) : NULL;
    kbuf_init(&w->pending, 64u << 20);
    if (!w->q || (p->ns && !w->ns) || pthread_mutex_init(&w->mu, NULL) != 0) {
        free(w->q);
        free(w->ns);
        free(w);
        return NULL;
    }
    w->ls = p->ls;
    w->fs = p->fs;
    p->ls = NULL;
    p->fs = NULL;
    w->bookmarks = p->bookmarks;
    w->table = p->table;
    w->partial = p->partial;
    snprintf(w->table_version, sizeof(w->table_version), "%s",
             p->table_version ? p->table_version : "v1");
    if (p->timeout_s > 0)
        w->deadline_ms = fakeapi__mono_ms() + (uint64_t)p->timeout_s * 1000;
    return w;
}

/* Initial state as synthetic ADDED events (store write lock held). */
static void initial_events(struct watcher *w)
{
    struct objvec ov;
    bool more;
    size_t i;

    fakeapi__objvec_init(&ov);
    if (fakeapi__store_list(w->srv->api.store, w->ns, w->ls, w->fs, NULL, 0,
                            &ov, &more) == 0) {
        pthread_mutex_lock(&w->mu);
        for (i = 0; i < ov.n; i++) {
            struct witem it = {EV_ADDED, fakeapi__obj_ref(ov.v[i]), ov.v[i]->rv,
                               NULL, false};

            push(w, it);
        }
        if (w->bookmarks) {
            /* cacher.go getBookmarkAfterResourceVersionLockedFunc: the
             * state is complete at the store's revision */
            struct witem it = {EV_BOOKMARK, NULL,
                               fakeapi__store_rv(w->srv->api.store), NULL,
                               true};

            push(w, it);
        }
        pthread_mutex_unlock(&w->mu);
    }
    fakeapi__objvec_release(&ov);
}

/* The too-old answer: 200 with one ERROR event, then the end. */
static void expired(struct watcher *w, uint64_t rv, uint64_t oldest)
{
    struct witem it = {EV_ERROR, NULL, 0, NULL, false};

    it.status = fakeapi__status_new(
        410, "Expired", "too old resource version: %llu (%llu)",
        (unsigned long long)rv, (unsigned long long)oldest);
    pthread_mutex_lock(&w->mu);
    push(w, it);
    w->closed = true;
    pthread_mutex_unlock(&w->mu);
}

struct MHD_Response *fakeapi__watch_start(struct fakeapi *srv,
                                          struct MHD_Connection *conn,
                                          struct watch_params *p,
                                          json_t **status)
{
    struct store *st = srv->api.store;
    struct watcher *w;
    struct MHD_Response *resp;

    *status = NULL;
    fakeapi__store_wrlock(st);
    if (fakeapi__store_subscribers(st) >= srv->max_watchers) {
        fakeapi__store_unlock(st);
        *status = fakeapi__status_new(
            429, "TooManyRequests",
            "too many open watches: limit is %u, please try again later",
            srv->max_watchers);
        fakeapi__status_retry_after(*status, 1);
        return NULL;
    }
    if (fakeapi__store_needs_sort(st))
        fakeapi__store_sort(st);
    w = watcher_new(srv, conn, p);
    if (!w || fakeapi__store_subscribe(st, on_event, w) != 0) {
        fakeapi__store_unlock(st);
        if (w)
            watcher_free(w);
        *status = fakeapi__status_new(500, "InternalError",
                                      "Internal error occurred: out of memory");
        return NULL;
    }
    if (p->timeout_s < 0) {
        /* get.go ListResource: a context already past its deadline; the
         * stream ends at once (kube-apiserver sometimes writes a 500
         * "context deadline exceeded" ERROR event first: a race) */
        w->closed = true;
        w->from_rv = UINT64_MAX;
    } else if (p->initial || !p->has_rv) {
        if (p->initial)
            initial_events(w);
        w->from_rv = fakeapi__store_rv(st);
    } else if (p->rv >= fakeapi__store_rv(st)) {
        w->from_rv = p->rv; /* newer than the store: just wait */
    } else if (!fakeapi__store_replay(st, p->rv, on_event, w)) {
        expired(w, p->rv, fakeapi__store_compacted_rv(st) + 1);
        w->from_rv = UINT64_MAX;
    } else {
        w->from_rv = fakeapi__store_rv(st);
    }
    fakeapi__store_unlock(st);
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                             reader, w, reader_free);
    if (!resp) {
        reader_free(w);
        *status = fakeapi__status_new(500, "InternalError",
                                      "Internal error occurred: out of memory");
        return NULL;
    }
    /* the ticker enforces the deadline and probes for a vanished client
     * (it sleeps longer while no watch is open) */
    srv->api.wake(srv->api.wake_ctx);
    return resp;
}
