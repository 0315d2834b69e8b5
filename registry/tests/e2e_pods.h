/*
 * e2e_pods: pods on the target of the libkreg end-to-end tests (through
 * e2e.h: include that one), created, changed and read through plain API
 * requests, the same on fakeapi and on a cluster (docs/kubernetes-api.md,
 * Keeping a pod unscheduled): created gated so that no scheduler or kubelet
 * touches them, their phase set through /status, a terminating pod held by a
 * finalizer.
 */
#ifndef KREG_TESTS_E2E_PODS_H
#define KREG_TESTS_E2E_PODS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "e2e_target.h"

/* ---- Pods on the target ------------------------------------------------*/

/* The spec of every pod: gated, never scheduled, deleted at once. */
#define E2E_SPEC                                                               \
    "{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}],"                \
    "\"schedulingGates\":[{\"name\":\"" E2E_GATE "\"}],"                       \
    "\"terminationGracePeriodSeconds\":0}"

/* Pod @p name with metadata @p meta (JSON object text, or NULL), held by
 * the e2e finalizer when @p hold (new text). */
static inline char *e2e_pod_body(const char *name, const char *meta, bool hold)
{
    json_t *m = meta ? json_loads(meta, 0, NULL) : json_object();
    json_t *pod;
    char *text;

    assert_true(json_is_object(m));
    assert_int_equal(json_object_set_new(m, "name", json_string(name)), 0);
    if (hold)
        assert_int_equal(json_object_set_new(m, "finalizers",
                                             json_pack("[s]", E2E_FINALIZER)),
                         0);
    pod = json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "Pod",
                    "metadata", m, "spec", json_loads(E2E_SPEC, 0, NULL));
    assert_non_null(pod);
    assert_true(json_is_object(json_object_get(pod, "spec")));
    text = json_dumps(pod, JSON_COMPACT);
    json_decref(pod);
    assert_non_null(text);
    return text;
}

/* Set status.phase of pod @p name (a merge patch of .../status leaves the
 * conditions alone, docs/kubernetes-api.md, Keeping a pod unscheduled). */
static inline void e2e_set_phase(struct e2e *t, const char *name,
                                 const char *phase)
{
    char path[192];
    char body[128];
    int n =
        snprintf(body, sizeof(body), "{\"status\":{\"phase\":\"%s\"}}", phase);

    assert_true(n > 0 && (size_t)n < sizeof(body));
    e2e_call_ok(t, "PATCH",
                e2e_pod_path(t, name, "/status", path, sizeof(path)),
                "application/merge-patch+json", body, 200, 0);
}

/* Set the Ready condition of pod @p name to @p status ("True", "False"):
 * a strategic merge patch of .../status, which merges conditions by type
 * (a cluster and fakeapi accept it on an unscheduled pod). */
static inline void e2e_set_ready(struct e2e *t, const char *name,
                                 const char *status)
{
    char path[192];
    char body[160];
    int n = snprintf(body, sizeof(body),
                     "{\"status\":{\"conditions\":[{\"type\":\"Ready\","
                     "\"status\":\"%s\"}]}}",
                     status);

    assert_true(n > 0 && (size_t)n < sizeof(body));
    e2e_call_ok(t, "PATCH",
                e2e_pod_path(t, name, "/status", path, sizeof(path)),
                "application/strategic-merge-patch+json", body, 200, 0);
}

static inline void e2e_create_pod(struct e2e *t, const char *name,
                                  const char *phase, const char *meta,
                                  bool hold)
{
    char path[160];
    char *body = e2e_pod_body(name, meta, hold);
    int64_t deadline = e2e_now_ms() + E2E_CLUSTER_WAIT_S * 1000;
    unsigned pause = 10;
    char *text = NULL;
    long status;

    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", t->ns);
    for (;;) {
        free(text);
        text = NULL;
        status = e2e_call(t, "POST", path, "application/json", body, &text);
        /* a new namespace's ServiceAccount may still be unknown to the
         * admission plugin: "error looking up service account" */
        if (status != 403 || !strstr(text, "service account") ||
            e2e_now_ms() >= deadline)
            break;
        e2e_backoff(pause);
        pause = pause < 500 ? pause * 2 : pause;
    }
    if (status != 201)
        fail_msg("create pod %s: HTTP %ld: %.300s", name, status, text);
    free(text);
    free(body);
    /* a create keeps no status: every pod starts Pending */
    if (strcmp(phase, "Pending") != 0)
        e2e_set_phase(t, name, phase);
}

/*
 * Create pod @p name in t->ns with status.phase @p phase. @p meta is JSON
 * object text for metadata (labels, annotations), or NULL.
 */
static inline void e2e_add_pod(struct e2e *t, const char *name,
                               const char *phase, const char *meta)
{
    e2e_create_pod(t, name, phase, meta, false);
}

/*
 * The same, then deleted and held by a finalizer: it stays, terminating
 * (metadata.deletionTimestamp set), until the teardown lets it go.
 */
static inline void e2e_add_terminating_pod(struct e2e *t, const char *name,
                                           const char *phase, const char *meta)
{
    char path[192];
    size_t i = 0;

    while (i < E2E_HELD && t->held[i][0])
        i++;
    assert_true(i < E2E_HELD && strlen(name) < sizeof(t->held[i]));
    e2e_create_pod(t, name, phase, meta, true);
    snprintf(t->held[i], sizeof(t->held[i]), "%s", name);
    /* 202: accepted, not yet gone */
    e2e_call_ok(
        t, "DELETE",
        e2e_pod_path(t, name, "?gracePeriodSeconds=0", path, sizeof(path)),
        NULL, NULL, 200, 202);
}

/* Delete pod @p name at once (unscheduled: no kubelet to wait for). */
static inline void e2e_remove_pod(struct e2e *t, const char *name)
{
    char path[192];

    e2e_call_ok(
        t, "DELETE",
        e2e_pod_path(t, name, "?gracePeriodSeconds=0", path, sizeof(path)),
        NULL, NULL, 200, 0);
}

/* Merge-patch pod @p name's metadata with @p meta (JSON object text), as
 * another client would. */
static inline void e2e_edit_meta(struct e2e *t, const char *name,
                                 const char *meta)
{
    char path[192];
    char *body = malloc(strlen(meta) + 16);

    assert_non_null(body);
    snprintf(body, strlen(meta) + 16, "{\"metadata\":%s}", meta);
    e2e_call_ok(t, "PATCH", e2e_pod_path(t, name, "", path, sizeof(path)),
                "application/merge-patch+json", body, 200, 0);
    free(body);
}

/* Pod @p name as the server serves it (new text). */
static inline char *e2e_read_pod_text(struct e2e *t, const char *name)
{
    char path[192];
    char *text = NULL;
    long status =
        e2e_call(t, "GET", e2e_pod_path(t, name, "", path, sizeof(path)), NULL,
                 NULL, &text);

    if (status != 200)
        fail_msg("get pod %s: HTTP %ld: %.300s", name, status, text);
    return text;
}

/* The same, parsed (new reference). */
static inline json_t *e2e_read_pod(struct e2e *t, const char *name)
{
    char *text = e2e_read_pod_text(t, name);
    json_t *pod = json_loads(text, 0, NULL);

    free(text);
    assert_true(json_is_object(pod));
    return pod;
}

/* metadata.resourceVersion of pod @p name (new string). */
static inline char *e2e_read_rv(struct e2e *t, const char *name)
{
    json_t *pod = e2e_read_pod(t, name);
    const char *rv = json_string_value(
        json_object_get(json_object_get(pod, "metadata"), "resourceVersion"));
    char *copy;

    assert_non_null(rv);
    copy = strdup(rv);
    json_decref(pod);
    assert_non_null(copy);
    return copy;
}

#endif
