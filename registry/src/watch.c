/*
 * watch: pod events turned into go-micro create/update/delete results,
 * fixing the Go plugin's watcher (docs/go-micro-wire.md, Watcher, Known
 * problems item 4): the handle, its streams and their threads (see
 * watch_int.h; the view and the results are in watch_view.c).
 *
 * Each stream lists, then watches from the list's resourceVersion with
 * bookmarks, on a thread of its own. A stream that ends is resumed from
 * its last resourceVersion; a 410 re-lists and emits the difference
 * between the old view and the listed one. A line or event it cannot
 * read may have hidden a change: it is reported, and the stream re-lists
 * (after a backoff, so a server that keeps sending garbage is not
 * hammered). A failure that retrying cannot cure, in any stream, ends the
 * whole watch; its error names the request and the namespace.
 */
#include "watch_int.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "knum.h"
#include "metrics.h"
#include "names.h"
#include "registry.h"
#include "service.h"

/* The longest watch line (one event) read; a longer one is unreadable. */
#define KREG__WATCH_LINE_MAX (8u << 20)

/* kreg_query.watch_timeout_s by default (client-go's reflectors ask for
 * 5 to 10 minutes). */
#define TIMEOUT_S 300u

/* A stream that ends this soon after it was asked for without bringing
 * anything (a 410 at once, an empty answer) counts as trouble: the
 * watcher backs off instead of asking again and again. */
#define QUICK_END_MS 1000

/* ---- results ---- */

void kreg_result_free(struct kreg_result *res)
{
    if (!res)
        return;
    kreg_service_free(res->service);
    free(res->pod);
    free(res);
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- list and re-list ---- */

/*
 * Stream @p s's view is the server's as of now (after a list, an event or
 * a bookmark). A fed watcher tells its feed since when every stream's view
 * is: the oldest of their last syncs (none during the first lists, which
 * end with one call).
 */
static void synced(struct kreg__watch_stream *s)
{
    struct kreg_watch *w = s->w;
    int64_t oldest;
    size_t i;

    s->synced_ms = mono_ms();
    if (!w->fed || s->oom || w->starting || w->ended)
        return;
    oldest = s->synced_ms;
    for (i = 0; i < w->nstreams; i++)
        if (w->streams[i].synced_ms < oldest)
            oldest = w->streams[i].synced_ms;
    w->feed.synced(w->feed.ctx, oldest);
}

static void set_rv(struct kreg__watch_stream *s, const char *rv)
{
    char *copy;

    if (!rv || !*rv)
        return;
    copy = strdup(rv);
    if (!copy)
        return;
    free(s->rv);
    s->rv = copy;
}

/* Name the pods as the watch names them (with several namespaces or all:
 * "<namespace>/<pod>", scope.h). 0, or -1 when out of memory. */
static int name_pods(const struct kreg__watch_stream *s, json_t *pods)
{
    json_t *pod;
    size_t i;
    int rc = 0;

    if (!s->w->scope.qualify)
        return 0;
    json_array_foreach(pods, i, pod) rc |= kreg__scope_qualify(pod, s->ns);
    return rc;
}

/* List, and turn the listed state into the view; @p report emits the
 * difference to the old view (a re-list after 410). */
static int relist(struct kreg__watch_stream *s, bool report,
                  struct kreg_error *err)
{
    struct kreg_watch *w = s->w;
    json_t *pods = NULL;
    char *rv = NULL;
    int rc;

    /* fed: every phase, for the selector labels of pods that do not serve */
    rc = kreg__list_pods_ex(w->r, s->ns, w->selector, !w->fed,
                            w->q.ready_only || w->fed, &pods, &rv, err);
    /* a list after the first stream is a re-list (docs/metrics.md),
     * counted before the differences it finds go out */
    if (rc == KREG_OK && s->asked > 0)
        kreg__metrics_relist(&w->r->metrics);
    if (rc == KREG_OK && name_pods(s, pods) != 0)
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL,
                         "out of memory: cannot list");
    if (rc == KREG_OK) {
        pthread_mutex_lock(&w->work);
        rc = kreg__watch_apply_list(s, pods, report, err);
        if (rc == KREG_OK) {
            set_rv(s, rv);
            s->relist = false;
            synced(s);
        }
        pthread_mutex_unlock(&w->work);
    }
    json_decref(pods);
    free(rv);
    return rc;
}

/* ---- the stream ---- */

/* Borrowed string member @p k of @p obj, "" when absent. */
static const char *member_text(const json_t *obj, const char *k)
{
    const char *v = json_string_value(json_object_get(obj, k));

    return v ? v : "";
}

/* A line or event that cannot be read may have hidden a change: report
 * it, re-list, and back off before the next stream. Returns 1 (stop). */
static int unreadable(struct kreg__watch_stream *s)
{
    s->relist = true;
    s->trouble = true;
    return 1;
}

/* An event of another type than a pod change; returns 1 to end the
 * stream, 0 to go on, -1 when it is a pod change. */
static int other_event(struct kreg__watch_stream *s, const char *type,
                       const json_t *obj, const char *rv)
{
    const struct kreg_watch *w = s->w;

    if (strcmp(type, "ERROR") == 0) {
        json_int_t code = json_integer_value(json_object_get(obj, "code"));

        /* too old is an ERROR event with code 410: re-list at once */
        s->relist = true;
        if (code == 410)
            return 1;
        kreg__watch_problem(w,
                            "watch stream: ERROR event: %" JSON_INTEGER_FORMAT
                            " %s: %s; re-listing",
                            code, member_text(obj, "reason"),
                            member_text(obj, "message"));
        return unreadable(s);
    }
    if (strcmp(type, "BOOKMARK") == 0) {
        s->progressed = true;
        set_rv(s, rv);
        synced(s);
        return 0;
    }
    if (strcmp(type, "ADDED") != 0 && strcmp(type, "MODIFIED") != 0 &&
        strcmp(type, "DELETED") != 0) {
        kreg__watch_problem(
            w, "watch stream: unknown event type \"%.64s\"; re-listing", type);
        return unreadable(s);
    }
    return -1;
}

/* One event (docs/kubernetes-api.md, Watch). Returns 1 to end the stream,
 * else 0. */
static int handle_event(struct kreg__watch_stream *s, json_t *ev)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(ev, "object");
    const char *rv = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    const char *pod;
    json_t *skips = NULL;
    json_t *e = NULL;
    int done;

    if (!type || !json_is_object(obj)) {
        kreg__watch_problem(s->w,
                            "watch stream: an event without %s; re-listing",
                            type ? "an object" : "a type");
        return unreadable(s);
    }
    done = other_event(s, type, obj, rv);
    if (done >= 0)
        return done;
    if (!*kreg__pod_name(obj)) {
        kreg__watch_problem(s->w,
                            "watch stream: %s event for a pod without a "
                            "name; re-listing",
                            type);
        return unreadable(s);
    }
    /* the event is ours: name its pod as the view does */
    if (s->w->scope.qualify && kreg__scope_qualify(obj, s->ns) != 0)
        s->oom = true;
    pod = kreg__pod_name(obj);
    if (!s->oom && strcmp(type, "DELETED") != 0) {
        e = kreg__watch_entry(s, obj, &skips);
        s->oom = !e;
    }
    if (!s->oom)
        kreg__watch_update_pod(s, pod, e, skips, true);
    if (s->oom)
        return 1; /* a change is lost: end the stream, and the watch */
    s->progressed = true;
    set_rv(s, rv);
    synced(s);
    return 0;
}

/* The lines of one chunk; the view changes under the work mutex. */
static int read_lines(struct kreg__watch_stream *s, const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        json_error_t jerr;
        json_t *ev;
        int stop;

        if (p[i] != '\n') {
            if (kbuf_addc(&s->line, p[i]) == KBUF_OK)
                continue;
            kreg__watch_problem(s->w,
                                "watch stream: a line over %u MiB; re-listing",
                                (unsigned)(KREG__WATCH_LINE_MAX >> 20));
            return unreadable(s);
        }
        if (kbuf_len(&s->line) == 0)
            continue;
        ev = json_loadb(kbuf_str(&s->line), kbuf_len(&s->line), 0, &jerr);
        kbuf_reset(&s->line);
        if (!ev) {
            kreg__watch_problem(s->w,
                                "watch stream: undecodable line: %s at byte "
                                "%d; re-listing",
                                jerr.text, jerr.position);
            return unreadable(s);
        }
        stop = handle_event(s, ev);
        json_decref(ev);
        if (stop)
            return 1;
    }
    return 0;
}

static int on_data(void *ctx, const char *p, size_t n)
{
    struct kreg__watch_stream *s = ctx;
    int stop;

    pthread_mutex_lock(&s->w->work);
    stop = read_lines(s, p, n);
    pthread_mutex_unlock(&s->w->work);
    return stop;
}

/* kreg_query.watch_timeout_s: how long a stream may stay silent. */
static unsigned idle_bound_s(unsigned timeout_s)
{
    unsigned grace = timeout_s < 30 ? timeout_s : 30;

    return timeout_s <= UINT_MAX - grace ? timeout_s + grace : UINT_MAX;
}

static int watch_once(struct kreg__watch_stream *s, struct kreg_error *err)
{
    struct kreg_watch *w = s->w;
    char base[1024];
    char *sel = kreg__http_escape(w->selector);
    char *rv = s->rv ? kreg__http_escape(s->rv) : NULL;
    struct kbuf path;
    int rc;

    kbuf_init(&path, 16384);
    if (!sel || (s->rv && !rv) ||
        kreg__scope_path(s->ns, base, sizeof(base)) != 0 ||
        kbuf_addf(&path,
                  "%slabelSelector=%s&watch=true&allowWatchBookmarks=true&"
                  "resourceVersion=%s&timeoutSeconds=%u",
                  base, sel, rv ? rv : "", w->timeout_s) != KBUF_OK) {
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
        goto out;
    }
    kbuf_reset(&s->line);
    s->progressed = false;
    if (s->asked++ > 0)
        kreg__metrics_reconnect(&w->r->metrics);
    rc = kreg__http_stream_ex(w->r->http, kbuf_str(&path), on_data, s, &s->halt,
                              &s->waker, idle_bound_s(w->timeout_s), err);
    /* an HTTP 410 on the request means the same as the ERROR event */
    if (rc != KREG_OK && err->http_status == 410)
        s->relist = true;
    /* name the request: a 403 then says what RBAC lacks, and where */
    if (rc != KREG_OK && rc != KREG_E_STOPPED)
        kreg__scope_error(err, "watch", s->ns);
out:
    kbuf_release(&path);
    free(sel);
    free(rv);
    return rc;
}

static bool retryable(int rc)
{
    return rc == KREG_E_CONNECT || rc == KREG_E_TIMEOUT ||
           rc == KREG_E_PROTOCOL || rc == KREG_E_HTTP || rc == KREG_OK;
}

/* Wait @p ms unless the stream is halted (the condition variable wakes
 * it early). */
static void pause_ms(struct kreg__watch_stream *s, unsigned ms)
{
    struct kreg_watch *w = s->w;
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->mu);
    while (!atomic_load(&s->halt))
        if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
            break;
    pthread_mutex_unlock(&w->mu);
}

/* Halt every stream, waking those that wait. */
static void halt_all(struct kreg_watch *w)
{
    size_t i;

    for (i = 0; i < w->nstreams; i++) {
        atomic_store(&w->streams[i].halt, true);
        kreg__http_wake(&w->streams[i].waker);
    }
    pthread_mutex_lock(&w->mu);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* A stream met a failure retrying cannot cure: the whole watch ends with
 * the first such error (the feed is told once), and every stream leaves. */
static void end_for_good(struct kreg__watch_stream *s, int rc,
                         const struct kreg_error *err)
{
    struct kreg_watch *w = s->w;
    bool first;

    pthread_mutex_lock(&w->mu);
    first = w->fatal == 0;
    if (first) {
        w->fatal = rc;
        w->fatal_err = *err;
    }
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_lock(&w->work);
    if (first && w->fed && !w->ended)
        w->feed.ended(w->feed.ctx, rc, err);
    w->ended = true;
    pthread_mutex_unlock(&w->work);
    halt_all(w);
}

/* kreg__watch_problem() from a stream's thread, outside the view. */
static void tell(struct kreg__watch_stream *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void tell(struct kreg__watch_stream *s, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&s->w->work);
    kreg__watch_problem(s->w, "%s", what);
    pthread_mutex_unlock(&s->w->work);
}

/*
 * A stream's thread: (re-)list when needed, stream, resume. A failure
 * that retrying cannot cure (403, a second 401 in a row, no memory, ...)
 * ends the watch, whether the list or the stream met it.
 */
static void *stream_main(void *arg)
{
    struct kreg__watch_stream *s = arg;
    struct kreg_watch *w = s->w;
    unsigned backoff = w->r->retry_base_ms;
    bool reauth = false; /* the last attempt got a 401 */

    while (!atomic_load(&s->halt)) {
        struct kreg_error err = {0};
        int64_t asked = mono_ms();
        int rc = s->relist ? relist(s, true, &err) : KREG_OK;
        bool gone;

        if (rc == KREG_OK)
            rc = watch_once(s, &err);
        if (atomic_load(&s->halt) || rc == KREG_E_STOPPED)
            break;
        if (s->oom)
            rc = kreg__error(&err, KREG_E_NOMEM, 0, NULL,
                             "out of memory: the watcher lost a change");
        /* http.h: a 401 dropped the cached token; retry once with a new
         * one (a rotated service-account token) */
        if (rc == KREG_E_UNAUTHORIZED && !reauth) {
            tell(s, "%s; reading the credentials again", err.text);
            reauth = true;
            continue;
        }
        reauth = false;
        if (!retryable(rc)) {
            end_for_good(s, rc, &err);
            break;
        }
        /* a 410 on the request is the ERROR event's routine re-list */
        gone = rc == KREG_E_HTTP && err.http_status == 410;
        if ((rc == KREG_OK || gone) && !s->trouble &&
            (s->progressed || mono_ms() - asked >= QUICK_END_MS)) {
            backoff = w->r->retry_base_ms;
            continue; /* the server ended the stream: resume */
        }
        /* the text starts with the request: "watch pods in ..." */
        if (rc != KREG_OK && !gone && err.http_status > 0)
            tell(s, "%s (HTTP %d%s%s); retrying in %u ms", err.text,
                 err.http_status, err.reason[0] ? " " : "", err.reason,
                 backoff);
        else if (rc != KREG_OK && !gone)
            tell(s, "%s; retrying in %u ms", err.text, backoff);
        s->trouble = false;
        pause_ms(s, backoff);
        /* doubling up to 5 s (or the base, when it is longer) */
        backoff = backoff <= 2500  ? backoff * 2
                  : backoff < 5000 ? 5000
                                   : backoff;
    }
    pthread_mutex_lock(&w->mu);
    w->running--;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- the public API ---- */

static void stream_release(struct kreg__watch_stream *s)
{
    json_decref(s->view);
    json_decref(s->skips);
    kbuf_release(&s->line);
    free(s->rv);
    kreg__http_waker_release(&s->waker);
}

/* Stop and join the threads started, and free everything. */
static void watch_free_parts(struct kreg_watch *w)
{
    struct kreg__watch_qitem *it = w->head;
    size_t i;

    halt_all(w);
    for (i = 0; i < w->nstreams; i++)
        if (w->streams[i].started)
            pthread_join(w->streams[i].th, NULL);
    while (it) {
        struct kreg__watch_qitem *next = it->next;

        kreg_result_free(it->res);
        free(it);
        it = next;
    }
    for (i = 0; i < w->nstreams; i++)
        stream_release(&w->streams[i]);
    free(w->streams);
    kreg__scope_release(&w->scope);
    free(w->name);
    free(w->selector);
    free(w->key);
    pthread_mutex_destroy(&w->work);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

/* One stream for each namespace of the scope. -1 when out of memory. */
static int streams_init(struct kreg_watch *w)
{
    size_t i;

    w->streams = calloc(w->scope.n, sizeof(*w->streams));
    if (!w->streams)
        return -1;
    w->nstreams = w->scope.n;
    for (i = 0; i < w->nstreams; i++) {
        struct kreg__watch_stream *s = &w->streams[i];

        s->w = w;
        s->ns = w->scope.ns[i];
        kbuf_init(&s->line, KREG__WATCH_LINE_MAX);
        atomic_init(&s->halt, false);
        kreg__http_waker_init(&s->waker);
    }
    for (i = 0; i < w->nstreams; i++) {
        w->streams[i].view = json_object();
        w->streams[i].skips = json_object();
        if (!w->streams[i].view || !w->streams[i].skips)
            return -1;
    }
    return 0;
}

/* The service part: one name (its selector and annotation key), or all. */
static int watch_names(struct kreg_watch *w, const char *name,
                       struct kreg_error *err)
{
    char sel[KREG__NAMES_KEY_SIZE];
    char key[KREG__NAMES_KEY_SIZE];
    int rc;

    if (!name) {
        w->selector = strdup(KREG__NAMES_TYPE_SELECTOR);
        return w->selector
                   ? KREG_OK
                   : kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    }
    rc = kreg__names_selector(name, sel, sizeof(sel), err);
    if (rc == KREG_OK)
        rc = kreg__names_annotation_key(name, key, sizeof(key), err);
    if (rc != KREG_OK)
        return rc;
    w->name = strdup(name);
    w->key = strdup(key);
    w->selector = strdup(sel);
    if (!w->name || !w->key || !w->selector)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    return KREG_OK;
}

static int watch_init(struct kreg_watch *w, kreg *r, const char *name,
                      const struct kreg_query *q, size_t q_size,
                      struct kreg_error *err)
{
    int rc = kreg__query_copy(q, q_size, &w->q, err);

    w->r = r;
    w->timeout_s = w->q.watch_timeout_s ? w->q.watch_timeout_s : TIMEOUT_S;
    w->starting = true;
    atomic_init(&w->stop, false);
    atomic_init(&w->pods, 0);
    pthread_mutex_init(&w->work, NULL);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (rc == KREG_OK)
        rc = kreg__scope_init(&w->scope, r->cfg.namespace_, &w->q, err);
    /* the scope holds its own copies: the query's array is the caller's */
    w->q.namespaces = NULL;
    w->q.n_namespaces = 0;
    if (rc == KREG_OK)
        rc = watch_names(w, name, err);
    if (rc == KREG_OK && streams_init(w) != 0)
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    return rc;
}

/*
 * The first list of every stream, on the caller's thread; @p report
 * emits the listed state (a fed watcher's first state). A fed watcher
 * then says once that its view is the server's.
 */
static int first_lists(struct kreg_watch *w, bool report,
                       struct kreg_error *err)
{
    size_t i;
    int rc = KREG_OK;

    for (i = 0; i < w->nstreams && rc == KREG_OK; i++)
        rc = relist(&w->streams[i], report, err);
    pthread_mutex_lock(&w->work);
    w->starting = false;
    for (i = 0; i < w->nstreams && rc == KREG_OK; i++)
        rc = w->streams[i].oom
                 ? kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory")
                 : KREG_OK;
    if (rc == KREG_OK && w->nstreams > 0)
        synced(&w->streams[0]);
    pthread_mutex_unlock(&w->work);
    return rc;
}

/* After the first lists (@p rc their outcome): start the threads, or
 * free @p w when anything failed. */
static int watch_start(struct kreg_watch *w, int rc, struct kreg_error *err)
{
    size_t i;

    for (i = 0; i < w->nstreams && rc == KREG_OK; i++) {
        struct kreg__watch_stream *s = &w->streams[i];

        pthread_mutex_lock(&w->mu);
        w->running++;
        pthread_mutex_unlock(&w->mu);
        if (pthread_create(&s->th, NULL, stream_main, s) == 0) {
            s->started = true;
            continue;
        }
        pthread_mutex_lock(&w->mu);
        w->running--;
        pthread_mutex_unlock(&w->mu);
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL,
                         "cannot start the watch thread");
    }
    if (rc != KREG_OK)
        watch_free_parts(w);
    return rc;
}

int kreg_watch_new_q(kreg *r, const char *name, const struct kreg_query *q,
                     size_t q_size, kreg_watch **out, struct kreg_error *err)
{
    struct kreg_watch *w = calloc(1, sizeof(*w));
    int rc;

    *out = NULL;
    if (!w)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    rc = watch_init(w, r, name, q, q_size, err);
    /* the current state is listed and not reported, as go-micro does */
    if (rc == KREG_OK)
        rc = first_lists(w, false, err);
    rc = watch_start(w, rc, err);
    if (rc == KREG_OK)
        *out = w;
    return rc;
}

int kreg__watch_new_feed(kreg *r, const struct kreg_query *q, size_t q_size,
                         const struct kreg__watch_feed *feed, kreg_watch **out,
                         struct kreg_error *err)
{
    struct kreg_watch *w = calloc(1, sizeof(*w));
    int rc;

    *out = NULL;
    if (!w)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    w->fed = true;
    w->feed = *feed;
    rc = watch_init(w, r, NULL, q, q_size, err);
    /* unlike kreg_watch_new(), the listed state is reported: it is the
     * feed's first state */
    if (rc == KREG_OK)
        rc = first_lists(w, true, err);
    rc = watch_start(w, rc, err);
    if (rc == KREG_OK)
        *out = w;
    return rc;
}

int kreg_watch_new_ex(kreg *r, const char *name, const struct kreg_query *q,
                      kreg_watch **out, struct kreg_error *err)
{
    /* a 0.2 program's struct: up to watch_timeout_s */
    return kreg_watch_new_q(r, name, q, KREG__QUERY_SIZE_0_2, out, err);
}

int kreg_watch_new(kreg *r, const char *name, kreg_watch **out,
                   struct kreg_error *err)
{
    return kreg_watch_new_ex(r, name, NULL, out, err);
}

/* The absolute CLOCK_REALTIME time @p timeout_ms from now. */
static struct timespec deadline_in(int timeout_ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (timeout_ms > 0) {
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
    }
    return ts;
}

int kreg_watch_next(kreg_watch *w, int timeout_ms, struct kreg_result **out,
                    struct kreg_error *err)
{
    struct timespec ts = deadline_in(timeout_ms);
    struct kreg__watch_qitem *it;
    bool finished;
    int rc = KREG_OK;

    *out = NULL;
    pthread_mutex_lock(&w->mu);
    while (!w->head && w->running > 0 && !atomic_load(&w->stop) &&
           timeout_ms != 0) {
        if (timeout_ms < 0)
            pthread_cond_wait(&w->cv, &w->mu);
        else if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
            break;
    }
    it = w->head;
    if (it) {
        w->head = it->next;
        if (!w->head)
            w->tail = NULL;
    }
    finished = w->running == 0;
    pthread_mutex_unlock(&w->mu);
    if (it) {
        *out = it->res;
        free(it);
        return KREG_OK;
    }
    if (atomic_load(&w->stop))
        rc = kreg__error(err, KREG_E_STOPPED, 0, NULL, "watch stopped");
    else if (finished && w->fatal) {
        if (err)
            *err = w->fatal_err;
        rc = w->fatal;
    } else
        rc = kreg__error(err, KREG_E_TIMEOUT, 0, NULL, "no watch result yet");
    return rc;
}

void kreg_watch_stop(kreg_watch *w)
{
    if (!w)
        return;
    atomic_store(&w->stop, true);
    halt_all(w);
}

size_t kreg__watch_pods(const kreg_watch *w)
{
    return atomic_load(&w->pods);
}

void kreg_watch_free(kreg_watch *w)
{
    if (!w)
        return;
    atomic_store(&w->stop, true);
    watch_free_parts(w);
}
