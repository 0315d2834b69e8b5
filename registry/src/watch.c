/*
 * watch: pod events turned into go-micro create/update/delete results,
 * fixing the Go plugin's watcher (docs/go-micro-wire.md, Watcher, Known
 * problems item 4).
 *
 * The watcher keeps a view: for every usable pod (Running, not
 * terminating), the text of each matching service annotation. It lists,
 * then watches from the list's resourceVersion with bookmarks. Each event
 * replaces one pod's entry in the view, and the results are the
 * difference between the old and the new entry: a key that appears is a
 * create, one whose text changed an update, one that went a delete. A
 * stream that ends is resumed from the last resourceVersion; a 410 re-lists
 * and emits the difference between the old view and the listed one, so
 * the consumer's state never loses or repeats a change. A line or event
 * it cannot read may have hidden a change: it is reported, and the
 * watcher re-lists (after a backoff, so a server that keeps sending
 * garbage is not hammered).
 *
 * A fed watcher (watch.h, for a cache) hands the same differences to its
 * feed instead of queueing results, reports its first list too, and adds
 * to each pod's entry the selector labels it carries in any phase.
 */
#include "watch.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "kbuf.h"
#include "knum.h"
#include "names.h"
#include "registry.h"
#include "service.h"

/* The longest watch line (one event) read; a longer one is unreadable. */
#define KREG__WATCH_LINE_MAX (8u << 20)

struct qitem {
    struct qitem *next;
    struct kreg_result *res;
};

struct kreg_watch {
    kreg *r;
    char *name;     /* NULL: every service */
    char *selector; /* label selector of the list and watch */
    char *key;      /* exact annotation key, or NULL (prefix) */
    json_t *view;   /* pod name -> {annotation key -> text} */
    json_t *skips;  /* pod name -> {key -> text} skipped and reported */
    struct kreg_query q;
    unsigned timeout_s; /* kreg_query.watch_timeout_s, the default applied */
    char *rv;           /* last resourceVersion seen */
    struct kbuf line;   /* partial watch line */
    bool relist;        /* the stream said 410, or could not be read */
    bool trouble;       /* the stream was ended for a problem: back off */
    bool oom;           /* an allocation for the view or a result failed */
    bool progressed;    /* the current stream brought an event or bookmark */
    int fatal;          /* a non-retryable error ended the watch */
    struct kreg_error fatal_err;
    bool fed;                     /* results go to the feed, not the queue */
    struct kreg__watch_feed feed; /* when fed */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* metrics: streams asked for so far; pods in the view (for a cache) */
    unsigned long streams;
    atomic_size_t pods;
    struct qitem *head; /* results, oldest first */
    struct qitem *tail;
    bool finished; /* the thread has ended */
    atomic_bool stop;
    struct kreg__http_waker waker; /* wakes the stream on stop */
};

/* ---- results ---- */

void kreg_result_free(struct kreg_result *res)
{
    if (!res)
        return;
    kreg_service_free(res->service);
    free(res->pod);
    free(res);
}

static void emit(struct kreg_watch *w, enum kreg_action action, const char *pod,
                 const char *key, const char *text)
{
    struct kreg_result *res;
    struct qitem *it;

    if (w->fed) {
        if (w->feed.change(w->feed.ctx, action, pod, key, text) != 0)
            w->oom = true; /* the feed lost a change: the watch must end */
        return;
    }
    res = calloc(1, sizeof(*res));
    it = calloc(1, sizeof(*it));
    if (!res || !it ||
        kreg_service_decode(text, strlen(text), &res->service, NULL) !=
            KREG_OK ||
        !(res->pod = strdup(pod))) {
        kreg_result_free(res);
        free(it);
        w->oom = true; /* a result is lost: the watch must end */
        return;
    }
    res->action = action;
    it->res = res;
    pthread_mutex_lock(&w->mu);
    if (w->tail)
        w->tail->next = it;
    else
        w->head = it;
    w->tail = it;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Report a problem the watcher rides out (kreg_query.on_problem). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
problem(const struct kreg_watch *w, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    if (!w->q.on_problem)
        return;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    w->q.on_problem(w->q.ctx, what);
}

/* ---- the view ---- */

enum verdict {
    NOT_OURS, /* another key: not this watch's business */
    KEEP,     /* one of the watched services */
    SKIP,     /* a service key that cannot be used; @p why says why */
};

/* What annotation @p k of @p text is to this watch: only what decodes,
 * with a name, and for one service only that name (names that encode
 * alike share a key), as kreg_get_service() and kreg_list_services(). */
static enum verdict judge(const struct kreg_watch *w, const char *k,
                          const char *text, struct kreg_error *why)
{
    struct kreg_service *s = NULL;
    enum verdict v = KEEP;

    if (w->key ? strcmp(k, w->key) != 0
               : strncmp(k, KREG__NAMES_ANNOTATION_PREFIX,
                         strlen(KREG__NAMES_ANNOTATION_PREFIX)) != 0)
        return NOT_OURS;
    if (kreg_service_decode(text, strlen(text), &s, why) != KREG_OK)
        return SKIP;
    if (!s->name) {
        kreg__error(why, KREG_E_INVALID, 0, NULL,
                    "annotation has no service name");
        v = SKIP;
    } else if (w->name && strcmp(s->name, w->name) != 0) {
        kreg__error(why, KREG_E_INVALID, 0, NULL,
                    "annotation is for another service name");
        v = SKIP;
    }
    kreg_service_free(s);
    return v;
}

/* A fed watcher's entry also holds the pod's selector labels (value
 * "service", as kreg_get_service() selects them), whatever its phase.
 * 0, or -1 when out of memory. */
static int add_labels(const struct kreg_watch *w, const json_t *pod, json_t *e)
{
    json_t *labels =
        json_object_get(json_object_get(pod, "metadata"), "labels");
    const char *k;
    json_t *v;
    int rc = 0;

    if (!w->fed)
        return 0;
    json_object_foreach(labels, k, v)
    {
        if (strncmp(k, KREG__NAMES_SELECTOR_PREFIX,
                    strlen(KREG__NAMES_SELECTOR_PREFIX)) == 0 &&
            json_is_string(v) &&
            strcmp(json_string_value(v), KREG__NAMES_SERVICE_VALUE) == 0)
            rc |= json_object_set(e, k, v);
    }
    return rc;
}

/*
 * The entry a pod contributes to the view (new reference; maybe empty),
 * and in *@p skips the service annotations it has that cannot be used
 * (new reference: {key -> text}). NULL (and *@p skips NULL) when out of
 * memory.
 */
static json_t *entry_of(const struct kreg_watch *w, const json_t *pod,
                        json_t **skips)
{
    json_t *e = json_object();
    json_t *ann;
    const char *k;
    json_t *v;
    int rc = 0;

    char why[160];
    json_t *unready = NULL; /* {"text": t, "why": w} per key, as skips */
    int ready = 1;

    *skips = json_object();
    if (!e || !*skips || add_labels(w, pod, e) != 0)
        rc = -1;
    if (rc == 0 && w->q.ready_only && kreg__pod_usable(pod))
        ready = kreg__pod_ready(pod, why, sizeof(why));
    if (rc == 0 && kreg__pod_usable(pod) && ready != 0) {
        ann = json_object_get(json_object_get(pod, "metadata"), "annotations");
        json_object_foreach(ann, k, v)
        {
            enum verdict d = json_is_string(v)
                                 ? judge(w, k, json_string_value(v), NULL)
                                 : NOT_OURS;

            /* malformed conditions: the pod is not ready, and its
             * services are reported as skipped, with the reason */
            if (d == KEEP && ready < 0) {
                unready = json_pack("{sOss+}", "text", v, "why",
                                    "pod not ready: ", why);
                rc |= unready ? json_object_set_new(*skips, k, unready) : -1;
            } else if (d == KEEP) {
                rc |= json_object_set(e, k, v);
            } else if (d == SKIP) {
                rc |= json_object_set(*skips, k, v);
            }
        }
    }
    if (rc == 0)
        return e;
    json_decref(e);
    json_decref(*skips);
    *skips = NULL;
    return NULL;
}

/* Set pod @p pod's skipped annotations to @p cur (consumed; NULL = none),
 * reporting each that is new or whose text changed (kreg_query.on_skip). */
static void note_skips(struct kreg_watch *w, const char *pod, json_t *cur)
{
    json_t *old = json_object_get(w->skips, pod);
    const char *k;
    json_t *v;

    json_object_foreach(cur, k, v)
    {
        json_t *was = json_object_get(old, k);
        struct kreg_error why = {0};

        if (was && json_equal(was, v))
            continue;
        kreg__metrics_skip(&w->r->metrics);
        if (!w->q.on_skip)
            continue;
        if (json_is_object(v)) /* entry_of(): the pod is not ready */
            snprintf(why.text, sizeof(why.text), "%s",
                     json_string_value(json_object_get(v, "why")));
        else
            (void)judge(w, k, json_string_value(v), &why);
        w->q.on_skip(w->q.ctx, pod, k, why.text);
    }
    if (cur && json_object_size(cur) > 0) {
        if (json_object_set_new(w->skips, pod, cur) != 0)
            w->oom = true;
    } else {
        json_object_del(w->skips, pod);
        json_decref(cur);
    }
}

/* Emit the difference between two entries of one pod. */
static void diff(struct kreg_watch *w, const char *pod, json_t *old,
                 json_t *cur)
{
    const char *k;
    json_t *v;

    json_object_foreach(cur, k, v)
    {
        json_t *was = json_object_get(old, k);

        if (!was)
            emit(w, KREG_ACTION_CREATE, pod, k, json_string_value(v));
        else if (!json_equal(was, v))
            emit(w, KREG_ACTION_UPDATE, pod, k, json_string_value(v));
    }
    json_object_foreach(old, k, v)
    {
        if (!json_object_get(cur, k))
            emit(w, KREG_ACTION_DELETE, pod, k, json_string_value(v));
    }
}

/* Set pod @p name's entry to @p cur and its skipped annotations to
 * @p skips (both consumed; NULL = gone) and emit. */
static void update_pod(struct kreg_watch *w, const char *name, json_t *cur,
                       json_t *skips, bool report)
{
    json_t *old = json_object_get(w->view, name);
    json_t *empty = json_object();

    note_skips(w, name, skips);
    if (!empty)
        w->oom = true;
    else if (report)
        diff(w, name, old ? old : empty, cur ? cur : empty);
    json_decref(empty);
    if (cur && json_object_size(cur) > 0) {
        if (json_object_set_new(w->view, name, cur) != 0)
            w->oom = true;
    } else {
        json_object_del(w->view, name);
        json_decref(cur);
    }
    atomic_store(&w->pods, json_object_size(w->view));
}

/* ---- list and re-list ---- */

/* A fed watcher's view is the server's as of now (kreg__watch_feed). */
static void synced(const struct kreg_watch *w)
{
    if (w->fed && !w->oom)
        w->feed.synced(w->feed.ctx);
}

static void set_rv(struct kreg_watch *w, const char *rv)
{
    char *copy;

    if (!rv || !*rv)
        return;
    copy = strdup(rv);
    if (!copy)
        return;
    free(w->rv);
    w->rv = copy;
}

/* List, and turn the listed state into the view; @p report emits the
 * difference to the old view (a re-list after 410). */
static int relist(struct kreg_watch *w, bool report, struct kreg_error *err)
{
    json_t *pods = NULL;
    char *rv = NULL;
    json_t *listed;
    json_t *pod;
    const char *name;
    json_t *v;
    void *tmp;
    size_t i;
    int rc;

    /* fed: every phase, for the selector labels of pods that do not serve */
    rc = kreg__list_pods_ex(w->r, w->selector, !w->fed,
                            w->q.ready_only || w->fed, &pods, &rv, err);
    if (rc != KREG_OK)
        return rc;
    /* a list after the first stream is a re-list (docs/metrics.md),
     * counted before the differences it finds go out */
    if (w->streams > 0)
        kreg__metrics_relist(&w->r->metrics);
    /* all of the list first: a pod missing from it for want of memory
     * would be reported deleted */
    listed = json_object();
    json_array_foreach(pods, i, pod)
    {
        json_t *skips;
        json_t *e = listed ? entry_of(w, pod, &skips) : NULL;

        if (!e || json_object_set_new(listed, kreg__pod_name(pod),
                                      json_pack("[oo]", e, skips)) != 0) {
            json_decref(listed);
            json_decref(pods);
            free(rv);
            return kreg__error(err, KREG_E_NOMEM, 0, NULL,
                               "out of memory: cannot list");
        }
    }
    /* pods gone from the list */
    json_object_foreach_safe(w->view, tmp, name, v)
    {
        if (!json_object_get(listed, name))
            update_pod(w, name, NULL, NULL, report);
    }
    json_object_foreach_safe(w->skips, tmp, name, v)
    {
        if (!json_object_get(listed, name))
            note_skips(w, name, NULL);
    }
    json_object_foreach(listed, name, v)
        update_pod(w, name, json_incref(json_array_get(v, 0)),
                   json_incref(json_array_get(v, 1)), report);
    json_decref(listed);
    json_decref(pods);
    set_rv(w, rv);
    free(rv);
    w->relist = false;
    synced(w);
    return KREG_OK;
}

/* ---- the stream ---- */

/* Borrowed string member @p k of @p obj, "" when absent. */
static const char *member_text(const json_t *obj, const char *k)
{
    const char *s = json_string_value(json_object_get(obj, k));

    return s ? s : "";
}

/* A line or event that cannot be read may have hidden a change: report
 * it, re-list, and back off before the next stream. Returns 1 (stop). */
static int unreadable(struct kreg_watch *w)
{
    w->relist = true;
    w->trouble = true;
    return 1;
}

/* One event (docs/kubernetes-api.md, Watch). Returns 1 to end the stream, else
 * 0. */
static int handle_event(struct kreg_watch *w, json_t *ev)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(ev, "object");
    const char *rv = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    const char *pod = kreg__pod_name(obj);
    json_t *skips = NULL;
    json_t *e;

    if (!type || !json_is_object(obj)) {
        problem(w, "watch stream: an event without %s; re-listing",
                type ? "an object" : "a type");
        return unreadable(w);
    }
    if (strcmp(type, "ERROR") == 0) {
        json_int_t code = json_integer_value(json_object_get(obj, "code"));

        /* too old is an ERROR event with code 410: re-list at once */
        w->relist = true;
        if (code == 410)
            return 1;
        problem(w,
                "watch stream: ERROR event: %" JSON_INTEGER_FORMAT " %s: %s"
                "; re-listing",
                code, member_text(obj, "reason"), member_text(obj, "message"));
        return unreadable(w);
    }
    if (strcmp(type, "BOOKMARK") == 0) {
        w->progressed = true;
        set_rv(w, rv);
        synced(w);
        return 0;
    }
    if (strcmp(type, "ADDED") != 0 && strcmp(type, "MODIFIED") != 0 &&
        strcmp(type, "DELETED") != 0) {
        problem(w, "watch stream: unknown event type \"%.64s\"; re-listing",
                type);
        return unreadable(w);
    }
    if (!*pod) {
        problem(w,
                "watch stream: %s event for a pod without a name; "
                "re-listing",
                type);
        return unreadable(w);
    }
    if (strcmp(type, "DELETED") != 0) {
        e = entry_of(w, obj, &skips);
        if (!e) {
            w->oom = true;
            return 1;
        }
    } else
        e = NULL;
    update_pod(w, pod, e, skips, true);
    if (w->oom)
        return 1; /* a change is lost: end the stream, and the watch */
    w->progressed = true;
    set_rv(w, rv);
    synced(w);
    return 0;
}

static int on_data(void *ctx, const char *p, size_t n)
{
    struct kreg_watch *w = ctx;
    size_t i;

    for (i = 0; i < n; i++) {
        json_error_t jerr;
        json_t *ev;
        int stop;

        if (p[i] != '\n') {
            if (kbuf_addc(&w->line, p[i]) == KBUF_OK)
                continue;
            problem(w, "watch stream: a line over %u MiB; re-listing",
                    (unsigned)(KREG__WATCH_LINE_MAX >> 20));
            return unreadable(w);
        }
        if (kbuf_len(&w->line) == 0)
            continue;
        ev = json_loadb(kbuf_str(&w->line), kbuf_len(&w->line), 0, &jerr);
        kbuf_reset(&w->line);
        if (!ev) {
            problem(w,
                    "watch stream: undecodable line: %s at byte %d; "
                    "re-listing",
                    jerr.text, jerr.position);
            return unreadable(w);
        }
        stop = handle_event(w, ev);
        json_decref(ev);
        if (stop)
            return 1;
    }
    return 0;
}

/* kreg_query.watch_timeout_s: how long a stream may stay silent. */
static unsigned idle_bound_s(unsigned timeout_s)
{
    unsigned grace = timeout_s < 30 ? timeout_s : 30;

    return timeout_s <= UINT_MAX - grace ? timeout_s + grace : UINT_MAX;
}

static int watch_once(struct kreg_watch *w, struct kreg_error *err)
{
    char *ns = kreg__http_escape(w->r->cfg.namespace_);
    char *sel = kreg__http_escape(w->selector);
    char *rv = w->rv ? kreg__http_escape(w->rv) : NULL;
    struct kbuf path;
    int rc;

    kbuf_init(&path, 16384);
    kbuf_addf(&path,
              "/api/v1/namespaces/%s/pods?labelSelector=%s&watch=true&"
              "allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%u",
              ns ? ns : "", sel ? sel : "", rv ? rv : "", w->timeout_s);
    kbuf_reset(&w->line);
    w->progressed = false;
    if (w->streams++ > 0)
        kreg__metrics_reconnect(&w->r->metrics);
    rc = kreg__http_stream_ex(w->r->http, kbuf_str(&path), on_data, w, &w->stop,
                              &w->waker, idle_bound_s(w->timeout_s), err);
    kbuf_release(&path);
    free(ns);
    free(sel);
    free(rv);
    /* an HTTP 410 on the request means the same as the ERROR event */
    if (rc != KREG_OK && err->http_status == 410)
        w->relist = true;
    return rc;
}

static bool retryable(int rc)
{
    return rc == KREG_E_CONNECT || rc == KREG_E_TIMEOUT ||
           rc == KREG_E_PROTOCOL || rc == KREG_E_HTTP || rc == KREG_OK;
}

/* Wait @p ms unless stopped (the condition variable wakes us early). */
static void pause_ms(struct kreg_watch *w, unsigned ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->mu);
    while (!atomic_load(&w->stop))
        if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
            break;
    pthread_mutex_unlock(&w->mu);
}

/* kreg_query.watch_timeout_s by default (client-go's reflectors ask for
 * 5 to 10 minutes). */
#define TIMEOUT_S 300u

/* A stream that ends this soon after it was asked for without bringing
 * anything (a 410 at once, an empty answer) counts as trouble: the
 * watcher backs off instead of asking again and again. */
#define QUICK_END_MS 1000

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The watch thread: (re-)list when needed, stream, resume. A failure that
 * retrying cannot cure (403, a second 401 in a row, no memory, ...) ends
 * the watch, whether the list or the stream met it.
 */
static void *watch_main(void *arg)
{
    struct kreg_watch *w = arg;
    unsigned backoff = w->r->retry_base_ms;
    bool reauth = false; /* the last attempt got a 401 */

    while (!atomic_load(&w->stop)) {
        struct kreg_error err = {0};
        int64_t asked = mono_ms();
        int rc = w->relist ? relist(w, true, &err) : KREG_OK;
        bool gone;

        if (rc == KREG_OK)
            rc = watch_once(w, &err);
        if (atomic_load(&w->stop) || rc == KREG_E_STOPPED)
            break;
        if (w->oom)
            rc = kreg__error(&err, KREG_E_NOMEM, 0, NULL,
                             "out of memory: the watcher lost a change");
        /* http.h: a 401 dropped the cached token; retry once with a new
         * one (a rotated service-account token) */
        if (rc == KREG_E_UNAUTHORIZED && !reauth) {
            problem(w, "watch: %s; reading the credentials again", err.text);
            reauth = true;
            continue;
        }
        reauth = false;
        if (!retryable(rc)) {
            w->fatal = rc;
            w->fatal_err = err;
            if (w->fed)
                w->feed.ended(w->feed.ctx, rc, &err);
            break;
        }
        /* a 410 on the request is the ERROR event's routine re-list */
        gone = rc == KREG_E_HTTP && err.http_status == 410;
        if ((rc == KREG_OK || gone) && !w->trouble &&
            (w->progressed || mono_ms() - asked >= QUICK_END_MS)) {
            backoff = w->r->retry_base_ms;
            continue; /* the server ended the stream: resume */
        }
        if (rc != KREG_OK && !gone && err.http_status > 0)
            problem(w, "watch: HTTP %d%s%s: %s; retrying in %u ms",
                    err.http_status, err.reason[0] ? " " : "", err.reason,
                    err.text, backoff);
        else if (rc != KREG_OK && !gone)
            problem(w, "watch: %s; retrying in %u ms", err.text, backoff);
        w->trouble = false;
        pause_ms(w, backoff);
        /* doubling up to 5 s (or the base, when it is longer) */
        backoff = backoff <= 2500  ? backoff * 2
                  : backoff < 5000 ? 5000
                                   : backoff;
    }
    pthread_mutex_lock(&w->mu);
    w->finished = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- the public API ---- */

static void watch_free_parts(struct kreg_watch *w)
{
    struct qitem *it = w->head;

    while (it) {
        struct qitem *next = it->next;

        kreg_result_free(it->res);
        free(it);
        it = next;
    }
    json_decref(w->view);
    json_decref(w->skips);
    kbuf_release(&w->line);
    free(w->name);
    free(w->selector);
    free(w->key);
    free(w->rv);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    kreg__http_waker_release(&w->waker);
    free(w);
}

static int watch_init(struct kreg_watch *w, kreg *r, const char *name,
                      const struct kreg_query *q, size_t q_size,
                      struct kreg_error *err)
{
    char sel[KREG__NAMES_KEY_SIZE];
    char key[KREG__NAMES_KEY_SIZE];
    int rc = kreg__query_copy(q, q_size, &w->q, err);

    w->r = r;
    w->timeout_s = w->q.watch_timeout_s ? w->q.watch_timeout_s : TIMEOUT_S;
    kbuf_init(&w->line, KREG__WATCH_LINE_MAX);
    atomic_init(&w->stop, false);
    atomic_init(&w->pods, 0);
    kreg__http_waker_init(&w->waker);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->view = json_object();
    w->skips = json_object();
    if (rc != KREG_OK)
        return rc;
    if (name) {
        rc = kreg__names_selector(name, sel, sizeof(sel), err);
        if (rc == KREG_OK)
            rc = kreg__names_annotation_key(name, key, sizeof(key), err);
        if (rc != KREG_OK)
            return rc;
        w->name = strdup(name);
        w->key = strdup(key);
        w->selector = strdup(sel);
    } else {
        w->selector = strdup(KREG__NAMES_TYPE_SELECTOR);
    }
    if (!w->view || !w->skips || !w->selector ||
        (name && (!w->name || !w->key)))
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    return KREG_OK;
}

/* After the first list (@p rc its outcome): start the thread, or free
 * @p w when anything failed. */
static int watch_start(struct kreg_watch *w, int rc, struct kreg_error *err)
{
    if (rc == KREG_OK && w->oom)
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    if (rc == KREG_OK && pthread_create(&w->th, NULL, watch_main, w) != 0)
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL,
                         "cannot start the watch thread");
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
        rc = relist(w, false, err);
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
        rc = relist(w, true, err);
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

int kreg_watch_next(kreg_watch *w, int timeout_ms, struct kreg_result **out,
                    struct kreg_error *err)
{
    struct timespec ts;
    struct qitem *it;
    bool finished;
    int rc = KREG_OK;

    *out = NULL;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (timeout_ms > 0) {
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&w->mu);
    while (!w->head && !w->finished && !atomic_load(&w->stop) &&
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
    finished = w->finished;
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
    kreg__http_wake(&w->waker);
    pthread_mutex_lock(&w->mu);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

size_t kreg__watch_pods(const kreg_watch *w)
{
    return atomic_load(&w->pods);
}

void kreg_watch_free(kreg_watch *w)
{
    if (!w)
        return;
    kreg_watch_stop(w);
    pthread_join(w->th, NULL);
    watch_free_parts(w);
}
