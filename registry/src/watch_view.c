/*
 * watch_view: a watch stream's view of the pods and the results it makes
 * (see watch_int.h; docs/go-micro-wire.md, Watcher, Known problems item 4).
 *
 * The view holds, for every usable pod (Running, not terminating, and
 * Ready with kreg_query.ready_only), the text of each matching service
 * annotation. Each event replaces one pod's entry, and the results are
 * the difference between the old and the new entry: a key that appears
 * is a create, one whose text changed an update, one that went a delete.
 * A re-list emits the difference between the old view and the listed
 * one, so the consumer's state never loses or repeats a change.
 *
 * A fed watcher (watch.h, for a cache) hands the same differences to its
 * feed instead of queueing results, and adds to each pod's entry the
 * selector labels it carries in any phase.
 *
 * Every function here runs with the handle's work mutex held.
 */
#include "watch_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metrics.h"
#include "names.h"
#include "registry.h"

static void emit(struct kreg__watch_stream *s, enum kreg_action action,
                 const char *pod, const char *key, const char *text)
{
    struct kreg_watch *w = s->w;
    struct kreg_result *res;
    struct kreg__watch_qitem *it;

    if (w->fed) {
        /* feed.ended(): nothing is called after it (watch.h) */
        if (!w->ended &&
            w->feed.change(w->feed.ctx, action, pod, key, text) != 0)
            s->oom = true; /* the feed lost a change: the watch must end */
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
        s->oom = true; /* a result is lost: the watch must end */
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

void kreg__watch_problem(const struct kreg_watch *w, const char *fmt, ...)
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

/* ---- What a pod contributes ----------------------------------------------*/

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

json_t *kreg__watch_entry(const struct kreg__watch_stream *s, const json_t *pod,
                          json_t **skips)
{
    const struct kreg_watch *w = s->w;
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

/* ---- Changes -----------------------------------------------------------*/

/* Set pod @p pod's skipped annotations to @p cur (consumed; NULL = none),
 * reporting each that is new or whose text changed (kreg_query.on_skip). */
static void note_skips(struct kreg__watch_stream *s, const char *pod,
                       json_t *cur)
{
    struct kreg_watch *w = s->w;
    json_t *old = json_object_get(s->skips, pod);
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
        if (json_is_object(v)) /* kreg__watch_entry(): not ready */
            snprintf(why.text, sizeof(why.text), "%s",
                     json_string_value(json_object_get(v, "why")));
        else
            (void)judge(w, k, json_string_value(v), &why);
        w->q.on_skip(w->q.ctx, pod, k, why.text);
    }
    if (cur && json_object_size(cur) > 0) {
        if (json_object_set_new(s->skips, pod, cur) != 0)
            s->oom = true;
    } else {
        json_object_del(s->skips, pod);
        json_decref(cur);
    }
}

/* Emit the difference between two entries of one pod. */
static void diff(struct kreg__watch_stream *s, const char *pod, json_t *old,
                 json_t *cur)
{
    const char *k;
    json_t *v;

    json_object_foreach(cur, k, v)
    {
        json_t *was = json_object_get(old, k);

        if (!was)
            emit(s, KREG_ACTION_CREATE, pod, k, json_string_value(v));
        else if (!json_equal(was, v))
            emit(s, KREG_ACTION_UPDATE, pod, k, json_string_value(v));
    }
    json_object_foreach(old, k, v)
    {
        if (!json_object_get(cur, k))
            emit(s, KREG_ACTION_DELETE, pod, k, json_string_value(v));
    }
}

/* The handle's count of pods follows the streams' views (metrics). */
static void count_pods(struct kreg__watch_stream *s)
{
    size_t now = json_object_size(s->view);

    if (now >= s->pods)
        atomic_fetch_add(&s->w->pods, now - s->pods);
    else
        atomic_fetch_sub(&s->w->pods, s->pods - now);
    s->pods = now;
}

void kreg__watch_update_pod(struct kreg__watch_stream *s, const char *name,
                            json_t *cur, json_t *skips, bool report)
{
    json_t *old = json_object_get(s->view, name);
    json_t *empty = json_object();

    note_skips(s, name, skips);
    if (!empty)
        s->oom = true;
    else if (report)
        diff(s, name, old ? old : empty, cur ? cur : empty);
    json_decref(empty);
    if (cur && json_object_size(cur) > 0) {
        if (json_object_set_new(s->view, name, cur) != 0)
            s->oom = true;
    } else {
        json_object_del(s->view, name);
        json_decref(cur);
    }
    count_pods(s);
}

int kreg__watch_apply_list(struct kreg__watch_stream *s, json_t *pods,
                           bool report, struct kreg_error *err)
{
    json_t *listed = json_object();
    json_t *pod;
    const char *name;
    json_t *v;
    void *tmp;
    size_t i;

    /* all of the list first: a pod missing from it for want of memory
     * would be reported deleted */
    json_array_foreach(pods, i, pod)
    {
        json_t *skips;
        json_t *e = listed ? kreg__watch_entry(s, pod, &skips) : NULL;

        if (!e || json_object_set_new(listed, kreg__pod_name(pod),
                                      json_pack("[oo]", e, skips)) != 0) {
            json_decref(listed);
            return kreg__error(err, KREG_E_NOMEM, 0, NULL,
                               "out of memory: cannot list");
        }
    }
    /* pods gone from the list */
    json_object_foreach_safe(s->view, tmp, name, v)
    {
        if (!json_object_get(listed, name))
            kreg__watch_update_pod(s, name, NULL, NULL, report);
    }
    json_object_foreach_safe(s->skips, tmp, name, v)
    {
        if (!json_object_get(listed, name))
            note_skips(s, name, NULL);
    }
    json_object_foreach(listed, name, v)
        kreg__watch_update_pod(s, name, json_incref(json_array_get(v, 0)),
                               json_incref(json_array_get(v, 1)), report);
    json_decref(listed);
    return KREG_OK;
}
