/*
 * seed: load pods from JSON text (test control; fakeapi.h). A Pod, a
 * PodList or an array of Pods; the status is kept as given.
 *
 * Arrays (top-level, or a PodList's "items") are parsed one element at a
 * time, so seeding 100,000 pods never holds the whole document as a tree:
 * the peak stays near the store's own size and the heap does not fragment.
 * All or nothing: every pod is checked and turned into a snapshot first;
 * only when all succeed are they stored, under one write lock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "base/clock.h"
#include "pod/pod.h"
#include "validate/validate.h"

#if defined(__GLIBC__)
/* glibc's, declared in <malloc.h> only for _DEFAULT_SOURCE */
int malloc_trim(size_t pad);
#endif

struct seeder {
    struct api *srv;
    struct objvec objs;
    char now[32];
    size_t index;
    struct fakeapi_error *err;
};

static int fail(struct seeder *sd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct seeder *sd, int code, const char *fmt, ...)
{
    va_list ap;

    if (sd->err) {
        sd->err->code = code;
        va_start(ap, fmt);
        vsnprintf(sd->err->text, sizeof(sd->err->text), fmt, ap);
        va_end(ap);
    }
    return code;
}

/*
 * The spec defaults a server would have added on create, so that later
 * updates compare like with like (a PUT or PATCH of a seeded pod must not
 * read as a spec change); status and deletion marks stay as given.
 */
static void default_spec(json_t *pod, const char *now)
{
    json_t *meta = json_object_get(pod, "metadata");
    json_t *status = json_incref(json_object_get(pod, "status"));
    json_t *del = json_incref(json_object_get(meta, "deletionTimestamp"));
    json_t *grace =
        json_incref(json_object_get(meta, "deletionGracePeriodSeconds"));

    json_t *spec = json_object_get(pod, "spec");

    if (!json_is_object(spec)) {
        spec = json_object();
        json_object_set_new(pod, "spec", spec);
    }
    /* every real pod has a container: a seed without one gets a pause
     * container, so that the seeded pod is valid for later updates */
    if (json_array_size(json_object_get(spec, "containers")) == 0)
        json_object_set_new(spec, "containers",
                            json_pack("[{s:s, s:s}]", "name", "main", "image",
                                      "registry.k8s.io/pause:3.10"));
    fakeapi__pod_prepare_create(pod, now);
    if (status)
        json_object_set_new(pod, "status", status);
    if (del)
        json_object_set_new(meta, "deletionTimestamp", del);
    if (grace)
        json_object_set_new(meta, "deletionGracePeriodSeconds", grace);
}

/* Fill server-set fields a seed lacks; keeps status as given. */
static void prepare(struct seeder *sd, json_t *pod)
{
    json_t *meta = json_object_get(pod, "metadata");
    char uid[37];
    char rv[24];

    default_spec(pod, sd->now);
    if (!json_string_value(json_object_get(meta, "namespace")))
        json_object_set_new(meta, "namespace", json_string("default"));
    if (!json_string_value(json_object_get(meta, "uid"))) {
        fakeapi__store_uuid(sd->srv->store, uid);
        json_object_set_new(meta, "uid", json_string(uid));
    }
    if (!json_string_value(json_object_get(meta, "creationTimestamp")))
        json_object_set_new(meta, "creationTimestamp", json_string(sd->now));
    if (!json_object_get(pod, "kind"))
        json_object_set_new(pod, "kind", json_string("Pod"));
    if (!json_object_get(pod, "apiVersion"))
        json_object_set_new(pod, "apiVersion", json_string("v1"));
    if (!json_is_object(json_object_get(pod, "status")))
        json_object_set_new(pod, "status",
                            json_pack("{s:s}", "phase", "Pending"));
    snprintf(rv, sizeof(rv), "%llu",
             (unsigned long long)fakeapi__store_next_rv(sd->srv->store));
    json_object_set_new(meta, "resourceVersion", json_string(rv));
}

/* Check one pod and snapshot it (@p pod consumed). */
static int add(struct seeder *sd, json_t *pod)
{
    json_t *meta = json_object_get(pod, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    struct fakeapi_obj *o;
    json_t *st;

    if (!json_is_object(pod) || !json_is_object(meta) || !name || !*name) {
        json_decref(pod);
        return fail(sd, FAKEAPI_E_INVALID,
                    "seed: item %zu: a pod needs metadata.name", sd->index);
    }
    st = fakeapi__pod_decode_check(pod);
    if (st) {
        fail(sd, FAKEAPI_E_INVALID, "seed: item %zu: %s", sd->index,
             json_string_value(json_object_get(st, "message")));
        json_decref(st);
        json_decref(pod);
        return FAKEAPI_E_INVALID;
    }
    prepare(sd, pod);
    o = fakeapi__obj_new(pod);
    if (!o || fakeapi__objvec_push(&sd->objs, o) != 0) {
        fakeapi__obj_unref(o);
        return fail(sd, FAKEAPI_E_NOMEM, "seed: out of memory");
    }
    fakeapi__obj_unref(o);
    sd->index++;
    return FAKEAPI_OK;
}

static size_t skip_ws(const char *p, size_t i, size_t len)
{
    while (i < len &&
           (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i;
}

/* Parse one JSON value at @p *i, advancing past it. */
static json_t *one_value(struct seeder *sd, const char *p, size_t len,
                         size_t *i)
{
    json_error_t jerr;
    json_t *v = json_loadb(p + *i, len - *i,
                           JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &jerr);

    if (!v) {
        fail(sd, FAKEAPI_E_INVALID, "seed: item %zu: line %d column %d: %s",
             sd->index, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    *i += jerr.position;
    return v;
}

/* The elements of the array starting at p[*i] == '['. */
static int add_array(struct seeder *sd, const char *p, size_t len, size_t *i)
{
    int rc;

    *i = skip_ws(p, *i + 1, len);
    if (*i < len && p[*i] == ']') {
        (*i)++;
        return FAKEAPI_OK;
    }
    for (;;) {
        json_t *v = one_value(sd, p, len, i);

        if (!v)
            return FAKEAPI_E_INVALID;
        rc = add(sd, v);
        if (rc != FAKEAPI_OK)
            return rc;
        *i = skip_ws(p, *i, len);
        if (*i < len && p[*i] == ',') {
            *i = skip_ws(p, *i + 1, len);
            continue;
        }
        if (*i < len && p[*i] == ']') {
            (*i)++;
            return FAKEAPI_OK;
        }
        return fail(sd, FAKEAPI_E_INVALID,
                    "seed: after item %zu: expected ',' or ']'", sd->index);
    }
}

/*
 * A top-level object: a PodList when it has an "items" array (other
 * members are skipped value by value), else a single Pod.
 */
static int add_object(struct seeder *sd, const char *p, size_t len, size_t i)
{
    size_t start = i;
    json_t *v;

    i = skip_ws(p, i + 1, len);
    while (i < len && p[i] == '"') {
        json_t *key = one_value(sd, p, len, &i);
        bool items =
            json_is_string(key) && strcmp(json_string_value(key), "items") == 0;

        json_decref(key);
        if (!key)
            return FAKEAPI_E_INVALID;
        i = skip_ws(p, i, len);
        if (i >= len || p[i] != ':')
            break;
        i = skip_ws(p, i + 1, len);
        if (items && i < len && p[i] == '[')
            return add_array(sd, p, len, &i);
        v = one_value(sd, p, len, &i); /* skip the value */
        json_decref(v);
        if (!v)
            return FAKEAPI_E_INVALID;
        i = skip_ws(p, i, len);
        if (i < len && p[i] == ',')
            i = skip_ws(p, i + 1, len);
    }
    i = start;
    v = one_value(sd, p, len, &i);
    return v ? add(sd, v) : FAKEAPI_E_INVALID;
}

/* Store every snapshot (write lock held). */
static int commit(struct seeder *sd)
{
    struct store *st = sd->srv->store;
    size_t i;
    int rc = FAKEAPI_OK;

    for (i = 0; i < sd->objs.n && rc == FAKEAPI_OK; i++) {
        struct fakeapi_obj *o = sd->objs.v[i];

        sd->objs.v[i] = NULL;
        if (fakeapi__ns_ensure(sd->srv, o->ns) != 0 ||
            fakeapi__store_put_obj(st, o, true, NULL) != 0)
            rc = fail(sd, FAKEAPI_E_NOMEM, "seed: out of memory");
    }
    fakeapi__store_sort(st);
    return rc;
}

int fakeapi__seed(struct api *srv, const char *json, size_t len,
                  struct fakeapi_error *err)
{
    struct seeder sd;
    size_t i;
    int rc;

    memset(&sd, 0, sizeof(sd));
    sd.srv = srv;
    sd.err = err;
    fakeapi__objvec_init(&sd.objs);
    fakeapi__now(sd.now);
    i = skip_ws(json, 0, len);
    /* one lock for the whole seed: history order = counter order */
    fakeapi__store_wrlock(srv->store);
    if (i < len && json[i] == '[')
        rc = add_array(&sd, json, len, &i);
    else if (i < len && json[i] == '{')
        rc = add_object(&sd, json, len, i);
    else
        rc = fail(&sd, FAKEAPI_E_INVALID,
                  "seed: expected a Pod, a PodList or an array of Pods");
    if (rc == FAKEAPI_OK)
        rc = commit(&sd);
    fakeapi__store_unlock(srv->store);
    fakeapi__objvec_release(&sd.objs);
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
    return rc;
}
