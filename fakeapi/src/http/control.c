/*
 * control: test control, both as the C API of fakeapi.h and over HTTP
 * under /fakeapi/v1/ (a prefix Kubernetes never serves), so tests in any
 * language can seed pods, set phases, inject faults and read the request
 * log of a standalone server. fakeapi/README.md documents the endpoints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/status.h"
#include "http/faults.h"
#include "http/reqlog.h"
#include "http/server.h"
#include "http/watch.h"
#include "pod/pod.h"
#include "validate/validate.h"

int fakeapi_seed_file(fakeapi *srv, const char *path, struct fakeapi_error *err)
{
    struct kbuf b;
    int rc;

    kbuf_init(&b, (size_t)1 << 32);
    rc = kbuf_read_file(&b, path);
    if (rc == EFBIG || rc == ENOMEM)
        return fakeapi__error(err, FAKEAPI_E_NOMEM, "seed: %s: too large",
                              path);
    if (rc != 0)
        return fakeapi__error(err, FAKEAPI_E_IO, "seed: cannot open %s", path);
    rc = fakeapi_seed_json(srv, kbuf_str(&b), kbuf_len(&b), err);
    if (rc != FAKEAPI_OK)
        fakeapi__error_prefix(err, path);
    kbuf_release(&b);
    return rc;
}

/* ---- state ---- */

/* status.phase and metadata.resourceVersion of @p pod; 0 or -1. */
static int set_phase_rv(json_t *pod, const char *phase, const char *rv)
{
    if (!json_is_object(json_object_get(pod, "status")) &&
        json_object_set_new(pod, "status", json_object()) != 0)
        return -1;
    if (json_object_set_new(json_object_get(pod, "status"), "phase",
                            json_string(phase)) != 0)
        return -1;
    return json_object_set_new(json_object_get(pod, "metadata"),
                               "resourceVersion", json_string(rv));
}

int fakeapi_set_phase(fakeapi *srv, const char *ns, const char *name,
                      const char *phase, struct fakeapi_error *err)
{
    struct fakeapi_obj *cur;
    json_t *obj;
    char rv[24];
    int rc = FAKEAPI_OK;

    if (!ns || !name || !phase || !*phase)
        return fakeapi__error(err, FAKEAPI_E_INVALID,
                              "set phase: namespace, name "
                              "and phase are required");
    fakeapi__store_wrlock(srv->api.store);
    cur = fakeapi__store_pod(srv->api.store, ns, name);
    if (!cur) {
        rc = fakeapi__error(err, FAKEAPI_E_NOT_FOUND, "pod %s/%s not found", ns,
                            name);
    } else {
        obj = fakeapi__obj_tree(cur);
        snprintf(rv, sizeof(rv), "%llu",
                 (unsigned long long)fakeapi__store_next_rv(srv->api.store));
        if (obj && set_phase_rv(obj, phase, rv) != 0) {
            json_decref(obj);
            obj = NULL;
        }
        if (fakeapi__store_put_pod(srv->api.store, obj, false, NULL) != 0)
            rc = fakeapi__error(err, FAKEAPI_E_NOMEM, "out of memory");
    }
    fakeapi__store_unlock(srv->api.store);
    return rc;
}

int fakeapi_get_pod(fakeapi *srv, const char *ns, const char *name,
                    char **json_out, struct fakeapi_error *err)
{
    struct fakeapi_obj *cur;
    int rc = FAKEAPI_OK;

    *json_out = NULL;
    fakeapi__store_rdlock(srv->api.store);
    cur = fakeapi__store_pod(srv->api.store, ns, name);
    if (!cur)
        rc = fakeapi__error(err, FAKEAPI_E_NOT_FOUND, "pod %s/%s not found", ns,
                            name);
    else if (!(*json_out = strdup(cur->bytes)))
        rc = fakeapi__error(err, FAKEAPI_E_NOMEM, "out of memory");
    fakeapi__store_unlock(srv->api.store);
    return rc;
}

int fakeapi_create_namespace(fakeapi *srv, const char *ns,
                             struct fakeapi_error *err)
{
    struct store_batch b;
    int rc;

    if (!ns || !*ns || strlen(ns) > 63)
        return fakeapi__error(err, FAKEAPI_E_INVALID, "namespace: bad name");
    fakeapi__store_wrlock(srv->api.store);
    fakeapi__store_batch_init(&b, srv->api.store);
    fakeapi__ns_ensure(&srv->api, &b, ns);
    rc = fakeapi__store_batch_commit(&b);
    fakeapi__store_unlock(srv->api.store);
    return rc == 0 ? FAKEAPI_OK
                   : fakeapi__error(err, FAKEAPI_E_NOMEM, "out of memory");
}

uint64_t fakeapi_resource_version(fakeapi *srv)
{
    uint64_t rv;

    fakeapi__store_rdlock(srv->api.store);
    rv = fakeapi__store_rv(srv->api.store);
    fakeapi__store_unlock(srv->api.store);
    return rv;
}

size_t fakeapi_pod_count(fakeapi *srv)
{
    size_t n;

    fakeapi__store_rdlock(srv->api.store);
    n = fakeapi__store_pod_count(srv->api.store);
    fakeapi__store_unlock(srv->api.store);
    return n;
}

unsigned fakeapi_watch_count(fakeapi *srv)
{
    unsigned n;

    fakeapi__store_rdlock(srv->api.store);
    n = (unsigned)fakeapi__store_subscribers(srv->api.store);
    fakeapi__store_unlock(srv->api.store);
    return n;
}

unsigned fakeapi_close_watches(fakeapi *srv)
{
    unsigned n;
    size_t i;

    fakeapi__store_rdlock(srv->api.store);
    n = (unsigned)fakeapi__store_subscribers(srv->api.store);
    for (i = 0; i < fakeapi__store_subscribers(srv->api.store); i++)
        fakeapi__watch_close(fakeapi__store_subscriber(srv->api.store, i));
    fakeapi__store_unlock(srv->api.store);
    return n;
}

void fakeapi_compact(fakeapi *srv)
{
    fakeapi__store_wrlock(srv->api.store);
    fakeapi__store_compact(srv->api.store);
    fakeapi__store_unlock(srv->api.store);
}

static bool is_initial_ns(const char *ns)
{
    return strcmp(ns, "default") == 0 || strcmp(ns, "kube-system") == 0 ||
           strcmp(ns, "kube-public") == 0 || strcmp(ns, "kube-node-lease") == 0;
}

/* Stage the removal of every pod of @p n, and of @p n unless it is one
 * the server starts with (write lock held). */
static void stage_clear(struct store_batch *b, const struct nsent *n)
{
    size_t i;
    char rv[24];

    for (i = n->pods.n; i-- > 0;) {
        json_t *last = fakeapi__obj_tree(n->pods.v[i]->obj);

        snprintf(rv, sizeof(rv), "%llu",
                 (unsigned long long)fakeapi__store_batch_next_rv(b));
        if (last &&
            json_object_set_new(json_object_get(last, "metadata"),
                                "resourceVersion", json_string(rv)) != 0) {
            json_decref(last);
            last = NULL;
        }
        fakeapi__store_batch_delete(b, fakeapi__obj_new(last));
    }
    if (!is_initial_ns(n->obj->name))
        fakeapi__store_batch_delete_ns(b, n->obj->name);
}

void fakeapi_reset(fakeapi *srv)
{
    struct store *st = srv->api.store;
    struct store_batch b;
    size_t i;

    fakeapi_close_watches(srv);
    fakeapi__faults_clear(srv);
    fakeapi__reqlog_clear(srv->log);
    fakeapi__store_wrlock(st);
    /* one write per namespace: out of memory, a namespace stays whole */
    for (i = fakeapi__store_ns_count(st); i-- > 0;) {
        fakeapi__store_batch_init(&b, st);
        stage_clear(&b, fakeapi__store_ns_at(st, i));
        fakeapi__store_batch_commit(&b);
    }
    fakeapi__store_compact(st);
    fakeapi__store_unlock(st);
}

int fakeapi_request_log(fakeapi *srv, char **json_out)
{
    *json_out = fakeapi__reqlog_dump(srv->log);
    return *json_out ? FAKEAPI_OK : FAKEAPI_E_NOMEM;
}

void fakeapi_request_log_clear(fakeapi *srv)
{
    fakeapi__reqlog_clear(srv->log);
}

int fakeapi_fault_add(fakeapi *srv, const struct fakeapi_fault *f,
                      struct fakeapi_error *err)
{
    return fakeapi__faults_add(srv, f, err);
}

void fakeapi_faults_clear(fakeapi *srv)
{
    fakeapi__faults_clear(srv);
}

int fakeapi_seed_json(fakeapi *srv, const char *json, size_t len,
                      struct fakeapi_error *err)
{
    return fakeapi__seed(&srv->api, json, len, err);
}
