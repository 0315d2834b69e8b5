/*
 * discover: get a service and list services from pod annotations
 * (docs/go-micro-wire.md, Operations), with the improvements listed under
 * Known problems there: terminating pods are skipped, undecodable
 * annotations are skipped and reported instead of failing the call, and
 * results come back in a stable order.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kbuf.h"
#include "names.h"
#include "podlist.h"
#include "registry.h"
#include "scope.h"
#include "service.h"

#define PAGE_LIMIT 500

static int list_page(kreg *r, const char *path, unsigned flags, json_t **doc,
                     struct kreg_error *err)
{
    struct kreg__response resp = {0};
    int rc;

    rc = kreg__http_request(r->http, "GET", path, NULL, NULL, 0,
                            KREG__HTTP_IDEMPOTENT | flags, &resp, err);
    /* only what the registry reads is kept (podlist.h) */
    if (rc == KREG_OK)
        rc = kreg__podlist_parse(resp.body, resp.len, doc, err);
    if (rc == KREG_E_PROTOCOL && err)
        err->http_status = 200;
    kreg__response_release(&resp);
    return rc;
}

/* Items of a metadata list have no status: the field selector says
 * their phase. 0, or -1 when out of memory. */
static int imply_running(json_t *items)
{
    json_t *pod;
    size_t i;

    json_array_foreach(items, i, pod)
    {
        json_t *status = json_object_get(pod, "status");

        if (json_object_get(status, "phase"))
            continue;
        if (!status) {
            status = json_object();
            if (!status || json_object_set_new(pod, "status", status) != 0)
                return -1;
        }
        if (json_object_set_new(status, "phase", json_string("Running")) != 0)
            return -1;
    }
    return 0;
}

int kreg__list_pods(kreg *r, const char *selector, bool running, json_t **items,
                    char **rv, struct kreg_error *err)
{
    return kreg__list_pods_ex(r, r->cfg.namespace_, selector, running, false,
                              items, rv, err);
}

/* Append the items of @p doc to @p all, each with the phase the field
 * selector implies when @p running (metadata lists have no status). */
static int take_items(json_t *all, json_t *doc, bool running)
{
    json_t *items = json_object_get(doc, "items");

    if (running && imply_running(items) != 0)
        return -1;
    return json_array_extend(all, items) == 0 ? 0 : -1;
}

/* Copy the list's resourceVersion into *@p rv (new string; "" if none). */
static int take_rv(json_t *doc, char **rv)
{
    const char *v = json_string_value(
        json_object_get(json_object_get(doc, "metadata"), "resourceVersion"));

    *rv = strdup(v ? v : "");
    return *rv ? 0 : -1;
}

int kreg__list_pods_ex(kreg *r, const char *ns, const char *selector,
                       bool running, bool status, json_t **items, char **rv,
                       struct kreg_error *err)
{
    unsigned flags = running && !status ? KREG__HTTP_METADATA : 0;
    char base[256];
    char *sel = kreg__http_escape(selector);
    char *cont = NULL;
    json_t *all = json_array();
    struct kbuf path;
    int rc = KREG_OK;

    *items = NULL;
    if (rv)
        *rv = NULL;
    kbuf_init(&path, 16384);
    if (!sel || !all || kreg__scope_path(ns, base, sizeof(base)) != 0) {
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
        goto out;
    }
    do {
        json_t *doc = NULL;
        const char *next;

        kbuf_reset(&path);
        if (kbuf_addf(&path, "%slabelSelector=%s%s&limit=%d", base, sel,
                      running ? "&fieldSelector=status.phase%3DRunning" : "",
                      PAGE_LIMIT) != KBUF_OK ||
            (cont && kbuf_addf(&path, "&continue=%s", cont) != KBUF_OK)) {
            rc = kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
            goto out;
        }
        rc = list_page(r, kbuf_str(&path), flags, &doc, err);
        if (rc != KREG_OK) {
            /* name the request: a 403 then says what RBAC lacks */
            kreg__scope_error(err, "list", ns);
            goto out;
        }
        if (take_items(all, doc, running) != 0 ||
            (rv && !*rv && take_rv(doc, rv) != 0)) {
            json_decref(doc);
            rc = kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
            goto out;
        }
        next = json_string_value(
            json_object_get(json_object_get(doc, "metadata"), "continue"));
        free(cont);
        cont = next && *next ? kreg__http_escape(next) : NULL;
        json_decref(doc);
    } while (cont);
    *items = all;
    all = NULL;
out:
    if (rc != KREG_OK && rv) {
        free(*rv);
        *rv = NULL;
    }
    json_decref(all);
    free(cont);
    free(sel);
    kbuf_release(&path);
    return rc;
}

/*
 * Whether any pod at all (any phase) of @p ns (NULL: any namespace)
 * matches @p selector: the plugin's GetService says "not found" only then
 * (docs/go-micro-wire.md, Operations), which a list of Running pods alone
 * cannot tell. One page of one name.
 */
static int any_pod(kreg *r, const char *ns, const char *selector, bool *any,
                   struct kreg_error *err)
{
    char base[256];
    char *sel = kreg__http_escape(selector);
    struct kbuf path;
    json_t *doc = NULL;
    int rc = KREG_E_NOMEM;

    *any = false;
    kbuf_init(&path, 16384);
    if (sel && kreg__scope_path(ns, base, sizeof(base)) == 0 &&
        kbuf_addf(&path, "%slabelSelector=%s&limit=1", base, sel) == KBUF_OK) {
        rc = list_page(r, kbuf_str(&path), KREG__HTTP_METADATA, &doc, err);
        if (rc != KREG_OK)
            kreg__scope_error(err, "list", ns);
    } else {
        kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    }
    if (rc == KREG_OK)
        *any = json_array_size(json_object_get(doc, "items")) > 0;
    json_decref(doc);
    kbuf_release(&path);
    free(sel);
    return rc;
}

/* any_pod() in each namespace of @p sc until one has such a pod. */
static int any_pod_in(kreg *r, const struct kreg__scope *sc,
                      const char *selector, bool *any, struct kreg_error *err)
{
    size_t i;
    int rc = KREG_OK;

    *any = false;
    for (i = 0; i < sc->n && rc == KREG_OK && !*any; i++)
        rc = any_pod(r, sc->ns[i], selector, any, err);
    return rc;
}

/*
 * The pods of every namespace of @p sc matching @p selector (Running;
 * whole with @p status), as kreg__list_pods_ex() lists them; with
 * sc->qualify, each named "<namespace>/<pod>" and all of them in that
 * order (docs/rbac.md, Semantics).
 */
static int list_scope(kreg *r, const struct kreg__scope *sc,
                      const char *selector, bool status, json_t **pods,
                      struct kreg_error *err)
{
    json_t *all = json_array();
    size_t i;
    int rc = all ? KREG_OK : KREG_E_NOMEM;

    *pods = NULL;
    for (i = 0; i < sc->n && rc == KREG_OK; i++) {
        json_t *some = NULL;
        json_t *pod;
        size_t k;

        rc = kreg__list_pods_ex(r, sc->ns[i], selector, true, status, &some,
                                NULL, err);
        if (rc != KREG_OK)
            break;
        json_array_foreach(some, k, pod)
        {
            if (sc->qualify && kreg__scope_qualify(pod, sc->ns[i]) != 0)
                rc = KREG_E_NOMEM;
        }
        if (json_array_extend(all, some) != 0)
            rc = KREG_E_NOMEM;
        json_decref(some);
    }
    if (rc == KREG_OK && sc->n > 1 && kreg__scope_sort(all) != 0)
        rc = KREG_E_NOMEM;
    if (rc == KREG_E_NOMEM)
        kreg__error(err, rc, 0, NULL, "out of memory");
    if (rc == KREG_OK)
        *pods = all;
    else
        json_decref(all);
    return rc;
}

static void skipped(kreg *r, const struct kreg_query *q, const json_t *pod,
                    const char *key, const char *why)
{
    kreg__metrics_skip(&r->metrics);
    if (q->on_skip)
        q->on_skip(q->ctx, kreg__pod_name(pod), key, why);
}

/*
 * Whether @p pod serves: usable (Running, not terminating) and, with
 * q->ready_only, Ready. A pod whose conditions are malformed is not, and
 * its annotations (@p key, or with NULL every service one) are reported.
 */
static bool pod_wanted(kreg *r, const json_t *pod, const struct kreg_query *q,
                       const char *key)
{
    char why[160];
    char text[200];
    int ready;
    const char *k;
    json_t *v;

    if (!kreg__pod_usable(pod))
        return false;
    if (!q->ready_only)
        return true;
    ready = kreg__pod_ready(pod, why, sizeof(why));
    if (ready >= 0)
        return ready == 1;
    snprintf(text, sizeof(text), "pod not ready: %s", why);
    json_object_foreach(
        json_object_get(json_object_get(pod, "metadata"), "annotations"), k, v)
    {
        if (key ? strcmp(k, key) == 0
                : strncmp(k, KREG__NAMES_ANNOTATION_PREFIX,
                          strlen(KREG__NAMES_ANNOTATION_PREFIX)) == 0)
            skipped(r, q, pod, k, text);
    }
    return false;
}

/* Decode one annotation; NULL (and a report) when it does not decode. */
static struct kreg_service *decode_ann(kreg *r, const json_t *pod,
                                       const char *key,
                                       const struct kreg_query *q)
{
    size_t len = 0;
    const char *text = kreg__pod_annotation(pod, key, &len);
    struct kreg_service *s = NULL;
    struct kreg_error e = {0};

    if (!text)
        return NULL;
    if (kreg_service_decode(text, len, &s, &e) != KREG_OK) {
        skipped(r, q, pod, key, e.text);
        return NULL;
    }
    return s;
}

/* Merge @p s (consumed) into @p out by name and version (docs/go-micro-wire.md,
 * Operations step 4). */
static int merge(struct kreg_service_list *out, struct kreg_service *s)
{
    struct kreg_service *have =
        kreg__service_list_find(out, s->name, s->version ? s->version : "");
    int rc;

    if (!have)
        return kreg__service_list_append(out, s);
    rc = kreg__service_merge_nodes(have, s);
    kreg_service_free(s);
    return rc;
}

/* kreg_get_service_q() with @p q whole (a copy, all members valid). */
static int get_service(kreg *r, const char *name, const struct kreg_query *q,
                       struct kreg_service_list **out, struct kreg_error *err)
{
    char sel[KREG__NAMES_KEY_SIZE];
    char key[KREG__NAMES_KEY_SIZE];
    struct kreg__scope sc;
    json_t *pods = NULL;
    json_t *pod;
    size_t i;
    int rc;

    *out = NULL;
    rc = kreg__names_selector(name, sel, sizeof(sel), err);
    if (rc == KREG_OK)
        rc = kreg__names_annotation_key(name, key, sizeof(key), err);
    if (rc == KREG_OK)
        rc = kreg__scope_init(&sc, r->cfg.namespace_, q, err);
    if (rc != KREG_OK)
        return rc;
    rc = list_scope(r, &sc, sel, q->ready_only, &pods, err);
    if (rc == KREG_OK && json_array_size(pods) == 0) {
        bool any = false;

        rc = any_pod_in(r, &sc, sel, &any, err);
        if (rc == KREG_OK && !any)
            rc = kreg__error(err, KREG_E_NOT_FOUND, 0, NULL,
                             "service \"%s\" not found", name);
    }
    kreg__scope_release(&sc);
    if (rc != KREG_OK) {
        json_decref(pods);
        return rc;
    }
    *out = kreg__service_list_new();
    json_array_foreach(pods, i, pod)
    {
        struct kreg_service *s;

        if (!*out || !pod_wanted(r, pod, q, key))
            continue;
        s = decode_ann(r, pod, key, q);
        if (!s)
            continue;
        /* names that encode alike collide on one key: keep only ours */
        if (!s->name || strcmp(s->name, name) != 0) {
            skipped(r, q, pod, key, "annotation is for another service name");
            kreg_service_free(s);
            continue;
        }
        if (merge(*out, s) != KREG_OK)
            rc = KREG_E_NOMEM;
    }
    json_decref(pods);
    if (!*out || rc != KREG_OK) {
        kreg_service_list_free(*out);
        *out = NULL;
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    }
    return KREG_OK;
}

int kreg_get_service_q(kreg *r, const char *name, const struct kreg_query *q,
                       size_t q_size, struct kreg_service_list **out,
                       struct kreg_error *err)
{
    struct kreg_query all;
    int rc;

    *out = NULL;
    rc = kreg__query_copy(q, q_size, &all, err);
    return rc == KREG_OK ? get_service(r, name, &all, out, err) : rc;
}

int kreg_get_service_ex(kreg *r, const char *name, const struct kreg_query *q,
                        struct kreg_service_list **out, struct kreg_error *err)
{
    /* a 0.1 program's struct: on_skip and ctx */
    return kreg_get_service_q(r, name, q, KREG__QUERY_SIZE_0_1, out, err);
}

int kreg_get_service(kreg *r, const char *name, struct kreg_service_list **out,
                     struct kreg_error *err)
{
    return kreg_get_service_ex(r, name, NULL, out, err);
}

/* Every micro.mu/service-* annotation of @p pod into @p out. */
static int pod_services(kreg *r, const json_t *pod, const struct kreg_query *q,
                        struct kreg_service_list *out)
{
    json_t *ann =
        json_object_get(json_object_get(pod, "metadata"), "annotations");
    size_t plen = strlen(KREG__NAMES_ANNOTATION_PREFIX);
    const char *k;
    json_t *v;

    json_object_foreach(ann, k, v)
    {
        struct kreg_service *s;

        if (strncmp(k, KREG__NAMES_ANNOTATION_PREFIX, plen) != 0)
            continue;
        s = decode_ann(r, pod, k, q);
        if (!s)
            continue;
        if (!s->name) {
            skipped(r, q, pod, k, "annotation has no service name");
            kreg_service_free(s);
            continue;
        }
        if (merge(out, s) != KREG_OK)
            return KREG_E_NOMEM;
    }
    return KREG_OK;
}

/* kreg_list_services_q() with @p q whole (a copy, all members valid). */
static int list_services(kreg *r, const struct kreg_query *q,
                         struct kreg_service_list **out, struct kreg_error *err)
{
    struct kreg__scope sc;
    json_t *pods = NULL;
    json_t *pod;
    size_t i;
    int rc;

    *out = NULL;
    rc = kreg__scope_init(&sc, r->cfg.namespace_, q, err);
    if (rc != KREG_OK)
        return rc;
    rc = list_scope(r, &sc, KREG__NAMES_TYPE_SELECTOR, q->ready_only, &pods,
                    err);
    kreg__scope_release(&sc);
    if (rc != KREG_OK)
        return rc;
    *out = kreg__service_list_new();
    json_array_foreach(pods, i, pod)
    {
        if (*out && pod_wanted(r, pod, q, NULL) &&
            pod_services(r, pod, q, *out) != KREG_OK)
            rc = KREG_E_NOMEM;
    }
    json_decref(pods);
    if (!*out || rc != KREG_OK) {
        kreg_service_list_free(*out);
        *out = NULL;
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    }
    kreg__service_list_sort(*out);
    return KREG_OK;
}

int kreg_list_services_q(kreg *r, const struct kreg_query *q, size_t q_size,
                         struct kreg_service_list **out, struct kreg_error *err)
{
    struct kreg_query all;
    int rc;

    *out = NULL;
    rc = kreg__query_copy(q, q_size, &all, err);
    return rc == KREG_OK ? list_services(r, &all, out, err) : rc;
}

int kreg_list_services_ex(kreg *r, const struct kreg_query *q,
                          struct kreg_service_list **out,
                          struct kreg_error *err)
{
    /* a 0.1 program's struct: on_skip and ctx */
    return kreg_list_services_q(r, q, KREG__QUERY_SIZE_0_1, out, err);
}

int kreg_list_services(kreg *r, struct kreg_service_list **out,
                       struct kreg_error *err)
{
    return kreg_list_services_ex(r, NULL, out, err);
}
