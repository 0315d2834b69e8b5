/*
 * seed: load pods from JSON text (test control; fakeapi.h). A Pod, a
 * PodList or an array of Pods; the status is kept as given.
 *
 * Arrays (top-level, or a PodList's "items") are parsed one element at a
 * time, so seeding 100,000 pods never holds the whole document as a tree:
 * the peak stays near the store's own size and the heap does not fragment.
 * All or nothing: under one write lock, every pod is checked, turned into
 * a snapshot and staged in one store batch (with the namespaces it needs,
 * each at the version before its first pod's); only when all succeed does
 * the batch commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "base/clock.h"
#include "base/error.h"
#include "patch/patch.h"
#include "pod/pod.h"
#include "validate/validate.h"

#if defined(__GLIBC__)
/* glibc's, declared in <malloc.h> only for _DEFAULT_SOURCE */
int malloc_trim(size_t pad);
#endif

struct seeder {
    struct api *srv;
    struct store_batch batch; /* the pods and namespaces, staged */
    char now[32];
    size_t index;
    int parse_rc;     /* what one_value() met */
    bool well_formed; /* Go's scanner accepts the whole text */
    struct fakeapi_error *err;
};

/* Set @p key of @p o to @p v (consumed) unless it holds a value that
 * passes @p keep; 0 or -1. */
static int set_unless(json_t *o, const char *key, bool (*keep)(const json_t *),
                      json_t *v)
{
    if (keep(json_object_get(o, key))) {
        json_decref(v);
        return 0;
    }
    return json_object_set_new(o, key, v);
}

static bool is_present(const json_t *v)
{
    return v != NULL;
}

static bool is_string(const json_t *v)
{
    return json_is_string(v);
}

static bool is_object(const json_t *v)
{
    return json_is_object(v);
}

/* Put @p v (consumed, NULL: absent, kept so) back as @p key of @p o; 0 or
 * -1. */
static int restore(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : 0;
}

/*
 * The spec defaults a server would have added on create, so that later
 * updates compare like with like (a PUT or PATCH of a seeded pod must not
 * read as a spec change); status and deletion marks stay as given. 0, or
 * -1 when out of memory.
 */
static int default_spec(json_t *pod, const char *now)
{
    json_t *meta = json_object_get(pod, "metadata");
    json_t *status = json_incref(json_object_get(pod, "status"));
    json_t *del = json_incref(json_object_get(meta, "deletionTimestamp"));
    json_t *grace =
        json_incref(json_object_get(meta, "deletionGracePeriodSeconds"));
    json_t *spec = json_object_get(pod, "spec");
    int rc = 0;

    if (!json_is_object(spec)) {
        spec = json_object();
        rc = json_object_set_new(pod, "spec", spec);
    }
    /* every real pod has a container: a seed without one gets a pause
     * container, so that the seeded pod is valid for later updates */
    if (rc == 0 && json_array_size(json_object_get(spec, "containers")) == 0)
        rc = json_object_set_new(spec, "containers",
                                 json_pack("[{s:s, s:s}]", "name", "main",
                                           "image",
                                           "registry.k8s.io/pause:3.10"));
    if (rc == 0 && fakeapi__pod_prepare_create(pod, now) != FAKEAPI_OK)
        rc = -1;
    if (rc == 0)
        rc = restore(pod, "status", json_incref(status));
    if (rc == 0)
        rc = restore(meta, "deletionTimestamp", json_incref(del));
    if (rc == 0)
        rc = restore(meta, "deletionGracePeriodSeconds", json_incref(grace));
    json_decref(status);
    json_decref(del);
    json_decref(grace);
    return rc;
}

/* Fill server-set fields a seed lacks (status kept as given) and give the
 * pod the batch's next version; 0, or -1 when out of memory. */
static int prepare(struct seeder *sd, json_t *pod)
{
    json_t *meta = json_object_get(pod, "metadata");
    char uid[37];
    char rv[24];
    int rc = default_spec(pod, sd->now);

    if (rc == 0)
        rc = set_unless(meta, "namespace", is_string, json_string("default"));
    if (rc == 0 && !json_is_string(json_object_get(meta, "uid"))) {
        fakeapi__store_uuid(sd->srv->store, uid);
        rc = json_object_set_new(meta, "uid", json_string(uid));
    }
    if (rc == 0)
        rc = set_unless(meta, "creationTimestamp", is_string,
                        json_string(sd->now));
    if (rc == 0)
        rc = set_unless(pod, "kind", is_present, json_string("Pod"));
    if (rc == 0)
        rc = set_unless(pod, "apiVersion", is_present, json_string("v1"));
    if (rc == 0)
        rc = set_unless(pod, "status", is_object,
                        json_pack("{s:s}", "phase", "Pending"));
    /* its namespace first, at the version before the pod's */
    if (rc == 0)
        rc = fakeapi__ns_ensure(
            sd->srv, &sd->batch,
            json_string_value(json_object_get(meta, "namespace")));
    snprintf(rv, sizeof(rv), "%llu",
             (unsigned long long)fakeapi__store_batch_next_rv(&sd->batch));
    if (rc == 0)
        rc = json_object_set_new(meta, "resourceVersion", json_string(rv));
    return rc;
}

/* Check one pod, snapshot it and stage it (@p pod consumed). */
static int add(struct seeder *sd, json_t *pod)
{
    json_t *meta = json_object_get(pod, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    struct fakeapi_obj *o;
    json_t *st;

    if (!json_is_object(pod) || !json_is_object(meta) || !name || !*name) {
        json_decref(pod);
        return fakeapi__error(sd->err, FAKEAPI_E_INVALID,
                              "seed: item %zu: a pod needs metadata.name",
                              sd->index);
    }
    st = fakeapi__pod_decode_check(pod);
    if (st) {
        fakeapi__error(sd->err, FAKEAPI_E_INVALID, "seed: item %zu: %s",
                       sd->index,
                       json_string_value(json_object_get(st, "message")));
        json_decref(st);
        json_decref(pod);
        return FAKEAPI_E_INVALID;
    }
    if (prepare(sd, pod) != 0) {
        json_decref(pod);
        return fakeapi__error(sd->err, FAKEAPI_E_NOMEM, "seed: out of memory");
    }
    o = fakeapi__obj_new(pod);
    if (fakeapi__store_batch_put(&sd->batch, o, true) != 0)
        return fakeapi__error(sd->err, FAKEAPI_E_NOMEM, "seed: out of memory");
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

/* Parse one JSON value at @p *i, advancing past it; NULL with
 * sd->parse_rc set on failure. */
static json_t *one_value(struct seeder *sd, const char *p, size_t len,
                         size_t *i)
{
    json_error_t jerr;
    json_t *v = fakeapi__json_loadb(
        p + *i, len - *i, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &jerr);

    if (!v && (json_error_code(&jerr) == json_error_out_of_memory ||
               (sd->well_formed && fakeapi__json_oom(&jerr)))) {
        sd->parse_rc =
            fakeapi__error(sd->err, FAKEAPI_E_NOMEM, "seed: out of memory");
        return NULL;
    }
    if (!v) {
        sd->parse_rc = fakeapi__error(
            sd->err, FAKEAPI_E_INVALID, "seed: item %zu: line %d column %d: %s",
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
            return sd->parse_rc;
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
        return fakeapi__error(sd->err, FAKEAPI_E_INVALID,
                              "seed: after item %zu: expected ',' or ']'",
                              sd->index);
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
            return sd->parse_rc;
        i = skip_ws(p, i, len);
        if (i >= len || p[i] != ':')
            break;
        i = skip_ws(p, i + 1, len);
        if (items && i < len && p[i] == '[')
            return add_array(sd, p, len, &i);
        v = one_value(sd, p, len, &i); /* skip the value */
        json_decref(v);
        if (!v)
            return sd->parse_rc;
        i = skip_ws(p, i, len);
        if (i < len && p[i] == ',')
            i = skip_ws(p, i + 1, len);
    }
    i = start;
    v = one_value(sd, p, len, &i);
    return v ? add(sd, v) : sd->parse_rc;
}

int fakeapi__seed(struct api *srv, const char *json, size_t len,
                  struct fakeapi_error *err)
{
    struct seeder sd;
    char msg[8]; /* Go's words are not needed */
    size_t i;
    int rc;

    memset(&sd, 0, sizeof(sd));
    sd.srv = srv;
    sd.err = err;
    sd.well_formed = !fakeapi__json_syntax_error(json, len, msg, sizeof(msg));
    fakeapi__now(sd.now);
    i = skip_ws(json, 0, len);
    /* one lock for the whole seed: history order = counter order */
    fakeapi__store_wrlock(srv->store);
    fakeapi__store_batch_init(&sd.batch, srv->store);
    if (i < len && json[i] == '[')
        rc = add_array(&sd, json, len, &i);
    else if (i < len && json[i] == '{')
        rc = add_object(&sd, json, len, i);
    else
        rc = fakeapi__error(
            sd.err, FAKEAPI_E_INVALID,
            "seed: expected a Pod, a PodList or an array of Pods");
    if (rc == FAKEAPI_OK && fakeapi__store_batch_commit(&sd.batch) != 0)
        rc = fakeapi__error(sd.err, FAKEAPI_E_NOMEM, "seed: out of memory");
    fakeapi__store_batch_release(&sd.batch);
    if (rc == FAKEAPI_OK)
        fakeapi__store_sort(srv->store);
    fakeapi__store_unlock(srv->store);
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
    return rc;
}
