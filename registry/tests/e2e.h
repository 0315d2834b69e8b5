/*
 * e2e: what the libkreg end-to-end tests (test_e2e_*.c) share. Header-only,
 * like golden.h; include it after <cmocka.h>'s prerequisites.
 *
 * A test runs against a target: by default an embedded fakeapi server of
 * its own, or, with KREG_E2E_KUBECONFIG=FILE (and KREG_E2E_CONTEXT=NAME),
 * the cluster that kubeconfig names, in a fresh namespace per test that
 * the teardown deletes (e2e_setup_target). The e2e_*_as / e2e_add_pod /
 * e2e_read_pod / e2e_set_phase ... helpers work the same on both, through
 * plain API requests (docs/kubernetes-api.md, Keeping a pod unscheduled): pods
 * are created gated (spec.schedulingGates) so that no scheduler or kubelet
 * touches them, their phase is set through the /status subresource, and a
 * terminating pod is held by a finalizer. Tests that need what only
 * fakeapi offers (the request log, faults, control calls) are listed with
 * E2E_FAKE_TEST and left out against a cluster, saying why.
 *
 * e2e_setup (always fakeapi) and the helpers that take a fakeapi * are
 * for the fault suites, which only run on fakeapi.
 *
 * Every helper asserts instead of returning an error, and every object it
 * hands out is new (the test frees it). Nothing here sleeps to let time
 * pass: watch results are waited for with kreg_watch_next() and a hang
 * guard, the cluster's own work (a namespace's ServiceAccount, its
 * deletion) with watches; only a pod create that a brand-new namespace
 * refuses for a moment is tried again after a short backoff, bounded.
 */
#ifndef KREG_TESTS_E2E_H
#define KREG_TESTS_E2E_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "e2e_pods.h"
#include "e2e_target.h"
#include "fakeapi.h"
#include "kreg.h"

/* ---- fakeapi's pods, for the fault suites -----------------------------*/

/* A handle for @p pod in @p ns on @p srv (retries fast: tests wait). */
static inline kreg *e2e_handle_ns(fakeapi *srv, const char *ns, const char *pod)
{
    struct kreg_options o;
    struct kreg_error err;
    kreg *r = NULL;

    memset(&o, 0, sizeof(o));
    memset(&err, 0, sizeof(err));
    o.server = fakeapi_url(srv);
    o.namespace_ = ns;
    o.pod_name = pod;
    o.no_in_cluster = true;
    o.retry_base_ms = 1;
    if (kreg_new(&o, &r, &err) != KREG_OK)
        fail_msg("kreg_new: %s", err.text);
    return r;
}

static inline kreg *e2e_handle(fakeapi *srv, const char *pod)
{
    return e2e_handle_ns(srv, E2E_NS, pod);
}

/*
 * Seed pod @p name in @p ns with status.phase @p phase (kept as given).
 * @p meta is JSON object text merged into metadata (labels, annotations,
 * deletionTimestamp), or NULL.
 */
static inline void e2e_seed_ns(fakeapi *srv, const char *ns, const char *name,
                               const char *phase, const char *meta)
{
    json_t *m = meta ? json_loads(meta, 0, NULL) : json_object();
    json_t *pod;
    char *text;
    struct fakeapi_error err;

    assert_non_null(m);
    assert_int_equal(json_object_set_new(m, "name", json_string(name)), 0);
    assert_int_equal(json_object_set_new(m, "namespace", json_string(ns)), 0);
    pod = json_pack("{s:s,s:s,s:o,s:o,s:{s:s}}", "apiVersion", "v1", "kind",
                    "Pod", "metadata", m, "spec", json_loads(E2E_SPEC, 0, NULL),
                    "status", "phase", phase);
    assert_non_null(pod);
    assert_true(json_is_object(json_object_get(pod, "spec")));
    text = json_dumps(pod, JSON_COMPACT);
    json_decref(pod);
    assert_non_null(text);
    memset(&err, 0, sizeof(err));
    if (fakeapi_seed_json(srv, text, strlen(text), &err) != FAKEAPI_OK)
        fail_msg("seed %s: %s", name, err.text);
    free(text);
}

static inline void e2e_seed(fakeapi *srv, const char *name, const char *phase,
                            const char *meta)
{
    e2e_seed_ns(srv, E2E_NS, name, phase, meta);
}

/* Pod @p name of namespace "default" as the server serves it (new text). */
static inline char *e2e_pod_text(fakeapi *srv, const char *name)
{
    char *text = NULL;

    assert_int_equal(fakeapi_get_pod(srv, E2E_NS, name, &text, NULL),
                     FAKEAPI_OK);
    assert_non_null(text);
    return text;
}

/* The same, parsed (new reference). */
static inline json_t *e2e_pod(fakeapi *srv, const char *name)
{
    char *text = e2e_pod_text(srv, name);
    json_t *pod = json_loads(text, 0, NULL);

    free(text);
    assert_non_null(pod);
    return pod;
}

/* Borrowed metadata.<map>[@p key] of @p pod, or NULL. */
static inline const char *e2e_meta(const json_t *pod, const char *map,
                                   const char *key)
{
    return json_string_value(json_object_get(
        json_object_get(json_object_get(pod, "metadata"), map), key));
}

static inline const char *e2e_label(const json_t *pod, const char *key)
{
    return e2e_meta(pod, "labels", key);
}

static inline const char *e2e_annotation(const json_t *pod, const char *key)
{
    return e2e_meta(pod, "annotations", key);
}

/* metadata.resourceVersion of pod @p name (new string). */
static inline char *e2e_pod_rv(fakeapi *srv, const char *name)
{
    json_t *pod = e2e_pod(srv, name);
    const char *rv = json_string_value(
        json_object_get(json_object_get(pod, "metadata"), "resourceVersion"));
    char *copy;

    assert_non_null(rv);
    copy = strdup(rv);
    json_decref(pod);
    assert_non_null(copy);
    return copy;
}

/* ---- Raw HTTP, for what libkreg never does (delete a pod, edit labels) --*/

static inline size_t e2e_discard(char *p, size_t sz, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return sz * n;
}

/* One request to @p srv; returns the HTTP status. */
static inline long e2e_http(fakeapi *srv, const char *method, const char *path,
                            const char *ctype, const char *body)
{
    char url[1024];
    char ct[128];
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();
    long status = 0;
    int n = snprintf(url, sizeof(url), "%s%s", fakeapi_url(srv), path);

    assert_true(n > 0 && (size_t)n < sizeof(url));
    assert_non_null(c);
    if (ctype) {
        n = snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
        assert_true(n > 0 && (size_t)n < sizeof(ct));
        h = curl_slist_append(NULL, ct);
        assert_non_null(h);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, e2e_discard);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* Delete pod @p name of "default" at once. */
static inline void e2e_delete_pod(fakeapi *srv, const char *name)
{
    char path[256];
    int n = snprintf(
        path, sizeof(path),
        "/api/v1/namespaces/" E2E_NS "/pods/%s?gracePeriodSeconds=0", name);

    assert_true(n > 0 && (size_t)n < sizeof(path));
    assert_int_equal(e2e_http(srv, "DELETE", path, NULL, NULL), 200);
}

/* Merge-patch pod @p name's metadata with @p meta (JSON object text). */
static inline void e2e_patch_meta(fakeapi *srv, const char *name,
                                  const char *meta)
{
    char path[256];
    char body[1024];
    int n = snprintf(path, sizeof(path),
                     "/api/v1/namespaces/" E2E_NS "/pods/%s", name);

    assert_true(n > 0 && (size_t)n < sizeof(path));
    n = snprintf(body, sizeof(body), "{\"metadata\":%s}", meta);
    assert_true(n > 0 && (size_t)n < sizeof(body));
    assert_int_equal(
        e2e_http(srv, "PATCH", path, "application/merge-patch+json", body),
        200);
}

/* ---- Services ----------------------------------------------------------*/

/* A service @p name / @p version with one node (new). */
static inline struct kreg_service *e2e_service(const char *name,
                                               const char *version,
                                               const char *id,
                                               const char *address)
{
    struct kreg_service *s = kreg_service_new();

    assert_non_null(s);
    free(s->name);
    free(s->version);
    s->name = strdup(name);
    s->version = strdup(version);
    assert_non_null(s->name);
    assert_non_null(s->version);
    assert_non_null(kreg_service_add_node(s, id, address));
    return s;
}

/* Register @p name / @p version on pod @p pod with a handle of its own;
 * the node is "<pod>" at "<address>". */
static inline void e2e_register_on(fakeapi *srv, const char *pod,
                                   const char *name, const char *version,
                                   const char *address)
{
    kreg *r = e2e_handle(srv, pod);
    struct kreg_service *s = e2e_service(name, version, pod, address);
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_register(r, s, &err) != KREG_OK)
        fail_msg("register %s on %s: %s", name, pod, err.text);
    kreg_service_free(s);
    kreg_free(r);
}

/* Deregister @p name from pod @p pod with a handle of its own. */
static inline void e2e_deregister_on(fakeapi *srv, const char *pod,
                                     const char *name)
{
    kreg *r = e2e_handle(srv, pod);
    struct kreg_service *s = e2e_service(name, "", pod, "");
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_deregister(r, s, &err) != KREG_OK)
        fail_msg("deregister %s on %s: %s", name, pod, err.text);
    kreg_service_free(s);
    kreg_free(r);
}

/* Register @p name / @p version as pod @p pod of @p t's target with a
 * handle of its own; the node is "<pod>" at "<address>". */
static inline void e2e_register_as(const struct e2e *t, const char *pod,
                                   const char *name, const char *version,
                                   const char *address)
{
    kreg *r = e2e_handle_as(t, pod);
    struct kreg_service *s = e2e_service(name, version, pod, address);
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_register(r, s, &err) != KREG_OK)
        fail_msg("register %s on %s: %s", name, pod, err.text);
    kreg_service_free(s);
    kreg_free(r);
}

/* Deregister @p name as pod @p pod with a handle of its own. */
static inline void e2e_deregister_as(const struct e2e *t, const char *pod,
                                     const char *name)
{
    kreg *r = e2e_handle_as(t, pod);
    struct kreg_service *s = e2e_service(name, "", pod, "");
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_deregister(r, s, &err) != KREG_OK)
        fail_msg("deregister %s on %s: %s", name, pod, err.text);
    kreg_service_free(s);
    kreg_free(r);
}

/*
 * Set (@p address non-NULL) or delete service @p name on pod @p pod with
 * one merge patch of the keys kreg_register() writes, without reading
 * anything first: for tests that block the list path with a fault.
 */
static inline void e2e_put_raw(fakeapi *srv, const char *pod, const char *name,
                               const char *address)
{
    char enc[64];
    char label[128];
    char key[128];
    char path[256];
    char *json = NULL;
    char *body;
    json_t *patch;
    int n;

    assert_int_equal(kreg_name_encode(name, enc, sizeof(enc), NULL), KREG_OK);
    snprintf(label, sizeof(label), "micro.mu/selector-%s", enc);
    snprintf(key, sizeof(key), "micro.mu/service-%s", enc);
    if (address) {
        struct kreg_service *s = e2e_service(name, "1", pod, address);

        assert_int_equal(
            kreg_service_encode(s, KREG_WIRE_V2, &json, NULL, NULL), KREG_OK);
        kreg_service_free(s);
        patch = json_pack("{s:{s:{s:s,s:s},s:{s:s}}}", "metadata", "labels",
                          label, "service", "micro.mu/type", "service",
                          "annotations", key, json);
    } else {
        patch = json_pack("{s:{s:{s:n},s:{s:n}}}", "metadata", "labels", label,
                          "annotations", key);
    }
    free(json);
    assert_non_null(patch);
    body = json_dumps(patch, JSON_COMPACT);
    json_decref(patch);
    assert_non_null(body);
    n = snprintf(path, sizeof(path), "/api/v1/namespaces/" E2E_NS "/pods/%s",
                 pod);
    assert_true(n > 0 && (size_t)n < sizeof(path));
    assert_int_equal(
        e2e_http(srv, "PATCH", path, "application/merge-patch+json", body),
        200);
    free(body);
}

/* ---- The request log ---------------------------------------------------*/

/* The request log (new reference). */
static inline json_t *e2e_log(fakeapi *srv)
{
    char *text = NULL;
    json_t *log;

    assert_int_equal(fakeapi_request_log(srv, &text), FAKEAPI_OK);
    log = json_loads(text, 0, NULL);
    free(text);
    assert_true(json_is_array(log));
    return log;
}

/* Borrowed string member @p key of log entry @p e ("" if absent). */
static inline const char *e2e_log_str(const json_t *e, const char *key)
{
    const char *v = json_string_value(json_object_get(e, key));

    return v ? v : "";
}

/* How many logged requests used @p method (NULL: all). */
static inline size_t e2e_log_count(fakeapi *srv, const char *method)
{
    json_t *log = e2e_log(srv);
    json_t *e;
    size_t n = 0;
    size_t i;

    json_array_foreach(log, i, e)
    {
        if (!method || strcmp(e2e_log_str(e, "method"), method) == 0)
            n++;
    }
    json_decref(log);
    return n;
}

/* ---- Watch -------------------------------------------------------------*/

/* A watch on t->r (every service when @p name is NULL), owned by @p t. */
static inline kreg_watch *e2e_watch(struct e2e *t, const char *name)
{
    struct kreg_error err;
    kreg_watch *w = NULL;
    size_t i = 0;

    while (i < E2E_WATCHES && t->watches[i])
        i++;
    assert_true(i < E2E_WATCHES);
    memset(&err, 0, sizeof(err));
    if (kreg_watch_new(t->r, name, &w, &err) != KREG_OK)
        fail_msg("watch %s: %s", name ? name : "(all)", err.text);
    assert_non_null(w);
    t->watches[i] = w;
    return w;
}

/* Free watch @p w of @p t now. */
static inline void e2e_watch_free(struct e2e *t, kreg_watch *w)
{
    size_t i;

    for (i = 0; i < E2E_WATCHES; i++) {
        if (t->watches[i] == w) {
            kreg_watch_free(w);
            t->watches[i] = NULL;
            return;
        }
    }
    fail_msg("not a watch of this test");
}

/* The next result of @p w (new), failing the test after the guard. */
static inline struct kreg_result *e2e_next(kreg_watch *w)
{
    struct kreg_result *res = NULL;
    struct kreg_error err;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = kreg_watch_next(w, E2E_GUARD_MS, &res, &err);
    if (rc != KREG_OK)
        fail_msg("kreg_watch_next: %s (%s)", kreg_strerror(rc), err.text);
    assert_non_null(res);
    assert_non_null(res->service);
    assert_non_null(res->pod);
    return res;
}

/* Take the next result and check its action, pod and first node address. */
static inline void e2e_expect(kreg_watch *w, enum kreg_action action,
                              const char *pod, const char *address)
{
    struct kreg_result *res = e2e_next(w);

    if (res->action != action || strcmp(res->pod, pod) != 0)
        fail_msg("expected action %d on %s, got %d on %s", (int)action, pod,
                 (int)res->action, res->pod);
    if (address) {
        assert_true(res->service->nnodes >= 1);
        assert_string_equal(res->service->nodes[0]->address, address);
    }
    kreg_result_free(res);
}

#endif
