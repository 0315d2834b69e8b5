/*
 * pods: one pod: get, create, update (PUT), patch, delete, and the
 * /status subresource (k8s-api.md §4, §5, §8). Every write runs under the
 * store's write lock: read, compute the new object on a copy, validate,
 * and only then store it, so a rejected write changes nothing.
 */
#include <string.h>

#include "fieldval.h"
#include "handlers.h"
#include "knum.h"
#include "patch.h"
#include "pod.h"
#include "status.h"
#include "validate.h"

static json_t *oom_status(void)
{
    return fakeapi__status_new(500, "InternalError",
                               "Internal error occurred: out of memory");
}

static json_t *meta_of(json_t *obj)
{
    json_t *m = json_object_get(obj, "metadata");

    if (!json_is_object(m)) {
        m = json_object();
        json_object_set_new(obj, "metadata", m);
    }
    return m;
}

static const char *meta_str(const json_t *obj, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(obj, "metadata"), key));
}

/* Decode a Pod body (k8s-api.md §4: kind/apiVersion optional, a different
 * apiVersion is 400), then its unknown and duplicate fields as @p fv says
 * (type errors come first: the strict ones are only kept when decoding
 * otherwise succeeds). NULL with *status on failure. */
static json_t *decode_pod(struct req *r, enum fakeapi_fieldval fv,
                          struct resp *out, json_t **status)
{
    const char *ct = fakeapi__header(r, "Content-Type");
    json_error_t jerr;
    json_t *o;
    const char *kind;
    const char *api;

    *status = NULL;
    if (ct && strncmp(ct, "application/json", 16) != 0 &&
        strncmp(ct, "*/*", 3) != 0) {
        *status = fakeapi__status_new(
            415, "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted "
            "media types include: application/json, application/yaml, "
            "application/vnd.kubernetes.protobuf");
        return NULL;
    }
    o = json_loadb(kbuf_str(&r->body), kbuf_len(&r->body), 0, &jerr);
    if (!json_is_object(o)) {
        *status = fakeapi__status_bad_request(
            "Pod in version \"v1\" cannot be handled as a Pod: %s",
            o ? "expected an object" : jerr.text);
        json_decref(o);
        return NULL;
    }
    kind = json_string_value(json_object_get(o, "kind"));
    api = json_string_value(json_object_get(o, "apiVersion"));
    if ((kind && *kind && strcmp(kind, "Pod") != 0) ||
        (api && *api && strcmp(api, "v1") != 0)) {
        *status = fakeapi__status_bad_request(
            "the API version in the data (%s) does not match the expected "
            "API version (v1)",
            api ? api : "");
        json_decref(o);
        return NULL;
    }
    *status = fakeapi__pod_decode_check(o);
    if (!*status)
        *status = fakeapi__fieldval_body(r->srv, fv, "Pod", kbuf_str(&r->body),
                                         kbuf_len(&r->body), out);
    if (*status) {
        json_decref(o);
        return NULL;
    }
    fakeapi__fieldval_prune(r->srv, "Pod", o);
    return o;
}

/* Put kind/apiVersion first as the server serializes them. */
static void set_type_meta(json_t *o)
{
    json_t *rest = json_deep_copy(o);
    const char *k;
    json_t *v;

    json_object_clear(o);
    json_object_set_new(o, "kind", json_string("Pod"));
    json_object_set_new(o, "apiVersion", json_string("v1"));
    json_object_foreach(rest, k, v)
    {
        if (strcmp(k, "kind") != 0 && strcmp(k, "apiVersion") != 0)
            json_object_set(o, k, v);
    }
    json_decref(rest);
}

/* Give @p obj the next resourceVersion and store it (write lock held). */
static int commit(struct fakeapi *srv, json_t *obj, struct fakeapi_obj **out)
{
    char rv[24];

    snprintf(rv, sizeof(rv), "%llu",
             (unsigned long long)fakeapi__store_next_rv(&srv->store));
    json_object_set_new(meta_of(obj), "resourceVersion", json_string(rv));
    return fakeapi__store_put_pod(&srv->store, obj, false, out);
}

void fakeapi__pod_get(struct req *r, const char *ns, const char *name,
                      struct resp *out)
{
    struct store *st = &r->srv->store;
    struct fakeapi_media m;
    json_t *bad = fakeapi__negotiate(r, &m);
    struct fakeapi_obj *o;

    if (!bad)
        bad = fakeapi__partial_misfit(&m, false, "*core.Pod");
    if (bad) {
        fakeapi__resp_status(out, bad);
        return;
    }
    fakeapi__store_rdlock(st);
    o = fakeapi__store_pod(st, ns, name);
    if (o && m.form == FAKEAPI_FORM_PARTIAL)
        fakeapi__resp_partial(out, o, m.version);
    else if (o)
        fakeapi__resp_obj(out, 200, o);
    else
        fakeapi__resp_status(out, fakeapi__status_not_found("pods", name));
    fakeapi__store_unlock(st);
}

/* Pick a free name for generateName (k8s-api.md §2, §4: 8 tries). */
static json_t *generate_name(struct fakeapi *srv, const char *ns, json_t *obj)
{
    const char *base = meta_str(obj, "generateName");
    char name[254];
    size_t blen = strlen(base);
    int i;

    if (blen > 58)
        blen = 58;
    for (i = 0; i < 8; i++) {
        memcpy(name, base, blen);
        fakeapi__store_random_suffix(&srv->store, name + blen, 5);
        if (!fakeapi__store_pod(&srv->store, ns, name)) {
            json_object_set_new(meta_of(obj), "name", json_string(name));
            return NULL;
        }
    }
    return fakeapi__status_new(409, "AlreadyExists",
                               "pods \"%s\" already exists, the server was "
                               "not able to generate a unique name for the "
                               "object",
                               name);
}

/* Server-set metadata on create (k8s-api.md §4). */
static json_t *prepare_new(struct fakeapi *srv, const char *ns, json_t *obj)
{
    json_t *meta = meta_of(obj);
    const char *rv = meta_str(obj, "resourceVersion");
    uint64_t n;
    char uid[37];
    char now[32];

    if (rv && *rv && (!knum_u64(rv, &n) || n != 0))
        return fakeapi__status_new(500, "",
                                   "resourceVersion should not be set on "
                                   "objects to be created");
    fakeapi__now(now);
    fakeapi__store_uuid(&srv->store, uid);
    json_object_set_new(meta, "namespace", json_string(ns));
    json_object_set_new(meta, "uid", json_string(uid));
    json_object_set_new(meta, "creationTimestamp", json_string(now));
    json_object_del(meta, "deletionTimestamp");
    json_object_del(meta, "deletionGracePeriodSeconds");
    json_object_del(meta, "generation");
    json_object_del(meta, "selfLink");
    fakeapi__pod_prepare_create(obj, now);
    set_type_meta(obj);
    return NULL;
}

static bool dry_run(const struct req *r)
{
    const char *d = fakeapi__arg(r, "dryRun");

    return d && strcmp(d, "All") == 0;
}

void fakeapi__pod_create(struct req *r, const char *ns, struct resp *out)
{
    struct store *st = &r->srv->store;
    enum fakeapi_fieldval fv;
    /* create.go: the options are validated before the body is decoded */
    json_t *status = fakeapi__fieldval_directive(r, "CreateOptions", &fv);
    json_t *obj = status ? NULL : decode_pod(r, fv, out, &status);
    const char *bns;
    struct fakeapi_obj *stored;

    if (!obj) {
        fakeapi__resp_status(out, status);
        return;
    }
    bns = meta_str(obj, "namespace");
    if (bns && *bns && strcmp(bns, ns) != 0) {
        fakeapi__resp_status(out, fakeapi__status_bad_request(
                                      "the namespace of the provided object "
                                      "does not match the namespace sent on "
                                      "the request"));
        json_decref(obj);
        return;
    }
    fakeapi__store_wrlock(st);
    status = fakeapi__ns_required(r->srv, ns);
    if (!status && !(meta_str(obj, "name") && *meta_str(obj, "name")) &&
        meta_str(obj, "generateName") && *meta_str(obj, "generateName"))
        status = generate_name(r->srv, ns, obj);
    if (!status)
        status = fakeapi__validate_pod_create(obj);
    if (!status)
        status = prepare_new(r->srv, ns, obj);
    if (!status && fakeapi__store_pod(st, ns, meta_str(obj, "name")))
        status = fakeapi__status_exists("pods", meta_str(obj, "name"));
    if (status) {
        fakeapi__resp_status(out, status);
        json_decref(obj);
    } else if (dry_run(r)) {
        fakeapi__resp_json(out, 201, obj);
    } else if (commit(r->srv, obj, &stored) != 0) {
        fakeapi__resp_status(out, oom_status());
    } else {
        fakeapi__resp_obj(out, 201, stored);
    }
    fakeapi__store_unlock(st);
}

/*
 * The common tail of PUT and PATCH (write lock held): check the
 * resourceVersion, apply the update strategy, validate, store unless it
 * is a no-op (k8s-api.md §4: same RV, no event). Consumes @p obj.
 */
/* A pod being deleted with grace 0 whose last finalizer is gone is
 * removed (the garbage collector's and the store's part on a server). */
static bool deletion_done(const json_t *obj)
{
    const json_t *meta = json_object_get(obj, "metadata");
    const json_t *grace = json_object_get(meta, "deletionGracePeriodSeconds");

    return json_object_get(meta, "deletionTimestamp") &&
           json_array_size(json_object_get(meta, "finalizers")) == 0 &&
           (!grace || json_integer_value(grace) == 0);
}

static void finish_update(struct req *r, struct fakeapi_obj *cur, json_t *obj,
                          bool status_sub, struct resp *out)
{
    static const int64_t zero = 0;
    const char *rv = meta_str(obj, "resourceVersion");
    json_t *old = fakeapi__obj_tree(cur);
    char currv[24];
    json_t *bad;
    struct fakeapi_obj *stored;

    snprintf(currv, sizeof(currv), "%llu", (unsigned long long)cur->rv);
    if (!old) {
        fakeapi__resp_status(out, oom_status());
        json_decref(obj);
        return;
    }
    if (rv && *rv && strcmp(rv, currv) != 0) {
        fakeapi__resp_status(
            out, fakeapi__status_conflict(
                     "pods", cur->name,
                     "the object has been modified; please apply your changes "
                     "to the latest version and try again"));
        json_decref(obj);
        json_decref(old);
        return;
    }
    if (status_sub)
        fakeapi__pod_prepare_status_update(obj, old);
    else
        fakeapi__pod_prepare_update(obj, old);
    set_type_meta(obj);
    json_object_set_new(meta_of(obj), "resourceVersion", json_string(currv));
    bad = status_sub ? fakeapi__validate_pod_status_update(old, obj)
                     : fakeapi__validate_pod_update(old, obj);
    if (bad) {
        fakeapi__resp_status(out, bad);
        json_decref(obj);
    } else if (json_equal(obj, old) || dry_run(r)) {
        fakeapi__resp_obj(out, 200, cur);
        json_decref(obj);
    } else {
        bool finish = deletion_done(obj);

        if (commit(r->srv, obj, &stored) != 0)
            fakeapi__resp_status(out, oom_status());
        else if (finish)
            fakeapi__resp_json(out, 200,
                               fakeapi__pod_remove(r->srv, stored, &zero));
        else
            fakeapi__resp_obj(out, 200, stored);
    }
    json_decref(old);
}

void fakeapi__pod_update(struct req *r, const char *ns, const char *name,
                         bool status_sub, struct resp *out)
{
    struct store *st = &r->srv->store;
    enum fakeapi_fieldval fv;
    json_t *status = fakeapi__fieldval_directive(r, "UpdateOptions", &fv);
    json_t *obj = status ? NULL : decode_pod(r, fv, out, &status);
    const char *bname;
    const char *bns;
    struct fakeapi_obj *cur;

    if (!obj) {
        fakeapi__resp_status(out, status);
        return;
    }
    bname = meta_str(obj, "name");
    bns = meta_str(obj, "namespace");
    if (!bname || strcmp(bname, name) != 0) {
        fakeapi__resp_status(out, fakeapi__status_bad_request(
                                      "the name of the object (%s) does not "
                                      "match the name on the URL (%s)",
                                      bname ? bname : "", name));
        json_decref(obj);
        return;
    }
    if (bns && *bns && strcmp(bns, ns) != 0) {
        fakeapi__resp_status(out, fakeapi__status_bad_request(
                                      "the namespace of the provided object "
                                      "does not match the namespace sent on "
                                      "the request"));
        json_decref(obj);
        return;
    }
    fakeapi__store_wrlock(st);
    cur = fakeapi__store_pod(st, ns, name);
    if (!cur) {
        fakeapi__resp_status(out, fakeapi__status_not_found("pods", name));
        json_decref(obj);
    } else {
        finish_update(r, cur, obj, status_sub, out);
    }
    fakeapi__store_unlock(st);
}

void fakeapi__pod_patch(struct req *r, const char *ns, const char *name,
                        bool status_sub, struct resp *out)
{
    struct store *st = &r->srv->store;
    enum fakeapi_patch_type type =
        fakeapi__patch_type(fakeapi__header(r, "Content-Type"));
    struct fakeapi_obj *cur;
    enum fakeapi_fieldval fv;
    json_t *status = NULL;
    json_t *obj;

    if (type == FAKEAPI_PATCH_NONE) {
        fakeapi__resp_status(
            out, fakeapi__status_new(
                     415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format - "
                     "accepted media types include: "
                     "application/json-patch+json, "
                     "application/merge-patch+json, "
                     "application/strategic-merge-patch+json, "
                     "application/apply-patch+yaml"));
        return;
    }
    /* patch.go PatchResource: the Content-Type, then the options */
    status = fakeapi__fieldval_directive(r, "PatchOptions", &fv);
    if (status) {
        fakeapi__resp_status(out, status);
        return;
    }
    fakeapi__store_wrlock(st);
    cur = fakeapi__store_pod(st, ns, name);
    if (!cur) {
        fakeapi__resp_status(out, fakeapi__status_not_found("pods", name));
        fakeapi__store_unlock(st);
        return;
    }
    {
        json_t *orig = fakeapi__obj_tree(cur);

        obj = orig ? fakeapi__patch_apply(type, orig, kbuf_str(&r->body),
                                          kbuf_len(&r->body), &status)
                   : NULL;
        json_decref(orig);
    }
    if (obj && !json_is_object(obj)) {
        json_decref(obj);
        obj = NULL;
        status = fakeapi__status_bad_request("the patch did not produce an "
                                             "object");
    }
    if (!obj)
        fakeapi__resp_status(out, status ? status : oom_status());
    else if (!status && (status = fakeapi__pod_decode_check(obj)) != NULL) {
        fakeapi__resp_status(out, status);
        json_decref(obj);
    } else if ((status = fakeapi__fieldval_patch(
                    r->srv, fv, type, kbuf_str(&r->body), kbuf_len(&r->body),
                    obj, out)) != NULL) {
        fakeapi__resp_status(out, status);
        json_decref(obj);
    } else {
        fakeapi__fieldval_prune(r->srv, "Pod", obj);
        finish_update(r, cur, obj, status_sub, out);
    }
    fakeapi__store_unlock(st);
}

/* Delete options from the body, or else the query (k8s-api.md §8). */
struct delopts {
    bool has_grace;
    int64_t grace;
    const char *pre_uid;
    const char *pre_rv;
    json_t *body; /* owned */
};

static json_t *parse_delopts(struct req *r, struct delopts *d)
{
    const char *g;
    const char *pp;
    json_t *v;

    memset(d, 0, sizeof(*d));
    if (kbuf_len(&r->body) > 0) {
        json_error_t jerr;

        d->body = json_loadb(kbuf_str(&r->body), kbuf_len(&r->body), 0, &jerr);
        if (!json_is_object(d->body))
            return fakeapi__status_bad_request(
                "DeleteOptions in version \"v1\" cannot be handled as a "
                "DeleteOptions: %s",
                d->body ? "expected an object" : jerr.text);
        v = json_object_get(d->body, "gracePeriodSeconds");
        if (json_is_integer(v)) {
            d->has_grace = true;
            d->grace = json_integer_value(v);
        }
        pp = json_string_value(json_object_get(d->body, "propagationPolicy"));
        v = json_object_get(d->body, "preconditions");
        d->pre_uid = json_string_value(json_object_get(v, "uid"));
        d->pre_rv = json_string_value(json_object_get(v, "resourceVersion"));
    } else {
        g = fakeapi__arg(r, "gracePeriodSeconds");
        if (g) {
            if (!knum_i64(g, &d->grace))
                return fakeapi__status_bad_request(
                    "invalid value for gracePeriodSeconds: %s", g);
            d->has_grace = true;
        }
        pp = fakeapi__arg(r, "propagationPolicy");
    }
    if (pp && strcmp(pp, "Orphan") != 0 && strcmp(pp, "Background") != 0 &&
        strcmp(pp, "Foreground") != 0) {
        struct fakeapi_field_errors fe;
        json_t *st;

        fakeapi__field_errors_init(&fe);
        fakeapi__field_error(&fe, "FieldValueNotSupported", "propagationPolicy",
                             "Unsupported value: \"%s\": supported values: "
                             "\"Foreground\", \"Background\", \"Orphan\", "
                             "\"nil\"",
                             pp);
        st = fakeapi__status_invalid("DeleteOptions", "", &fe);
        /* status_invalid leaves a fresh empty array in fe (found by
         * fuzz_http_request: a leak per request) */
        fakeapi__field_errors_release(&fe);
        return st;
    }
    return NULL;
}

/* Grace period rules of podStrategy.CheckGracefulDelete (k8s-api.md §8). */
static int64_t grace_for(const json_t *pod, const int64_t *explicit_grace)
{
    const json_t *spec = json_object_get(pod, "spec");
    const char *node = json_string_value(json_object_get(spec, "nodeName"));
    const char *phase = fakeapi__pod_phase(pod);
    json_t *tgp = json_object_get(spec, "terminationGracePeriodSeconds");
    int64_t g = explicit_grace         ? *explicit_grace
                : json_is_integer(tgp) ? json_integer_value(tgp)
                                       : 30;

    if (!node || !*node || strcmp(phase, "Succeeded") == 0 ||
        strcmp(phase, "Failed") == 0)
        return 0;
    return g < 0 ? 1 : g;
}

/*
 * Delete @p cur (write lock held): grace 0 writes deletionTimestamp
 * (MODIFIED) and then removes the object (DELETED); a grace period only
 * marks it terminating. Returns the answer body (new reference).
 */
json_t *fakeapi__pod_remove(struct fakeapi *srv, struct fakeapi_obj *cur,
                            const int64_t *explicit_grace)
{
    json_t *obj = fakeapi__obj_tree(cur);
    json_t *meta;
    struct fakeapi_obj *stored;
    int64_t grace;
    bool held;
    char now[32];
    char rv[24];

    if (!obj)
        return NULL;
    meta = meta_of(obj);
    grace = grace_for(obj, explicit_grace);
    held = json_array_size(json_object_get(meta, "finalizers")) > 0;
    fakeapi__now(now);
    if ((grace > 0 || held) && json_object_get(meta, "deletionTimestamp"))
        return obj; /* already terminating: answer the object again */
    if (!json_object_get(meta, "deletionTimestamp"))
        json_object_set_new(meta, "deletionTimestamp", json_string(now));
    json_object_set_new(meta, "deletionGracePeriodSeconds",
                        json_integer(grace));
    if (commit(srv, json_incref(obj), &stored) != 0) {
        json_decref(obj);
        return NULL;
    }
    /* finalizers keep the object until an update removes the last one */
    if (grace > 0 || held)
        return obj;
    snprintf(rv, sizeof(rv), "%llu",
             (unsigned long long)fakeapi__store_next_rv(&srv->store));
    json_object_set_new(meta, "resourceVersion", json_string(rv));
    if (fakeapi__store_delete_pod(&srv->store, json_incref(obj)) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *check_preconditions(const struct fakeapi_obj *cur,
                                   const struct delopts *d, const char *currv)
{
    json_t *tree = d->pre_uid ? fakeapi__obj_tree(cur) : NULL;
    const char *uid = meta_str(tree, "uid");
    char cause[512];
    json_t *st = NULL;

    if (d->pre_uid && strcmp(d->pre_uid, uid ? uid : "") != 0) {
        snprintf(cause, sizeof(cause),
                 "the UID in the precondition (%.64s) does not match the UID "
                 "in record (%.64s). The object might have been deleted and "
                 "then recreated",
                 d->pre_uid, uid ? uid : "");
        st = fakeapi__status_conflict("Pod", cur->name, cause);
    } else if (d->pre_rv && strcmp(d->pre_rv, currv) != 0) {
        snprintf(cause, sizeof(cause),
                 "the ResourceVersion in the precondition (%.64s) does not "
                 "match the ResourceVersion in record (%.64s). The object "
                 "might have been modified",
                 d->pre_rv, currv);
        st = fakeapi__status_conflict("Pod", cur->name, cause);
    }
    json_decref(tree);
    return st;
}

void fakeapi__pod_delete(struct req *r, const char *ns, const char *name,
                         struct resp *out)
{
    struct store *st = &r->srv->store;
    struct delopts d;
    json_t *status = parse_delopts(r, &d);
    struct fakeapi_obj *cur;
    char currv[24];

    if (status) {
        fakeapi__resp_status(out, status);
        json_decref(d.body);
        return;
    }
    fakeapi__store_wrlock(st);
    cur = fakeapi__store_pod(st, ns, name);
    if (!cur) {
        status = fakeapi__status_not_found("pods", name);
    } else {
        snprintf(currv, sizeof(currv), "%llu", (unsigned long long)cur->rv);
        status = check_preconditions(cur, &d, currv);
    }
    if (status || !cur) { /* a NULL Status: out of memory, a 500 */
        fakeapi__resp_status(out, status);
    } else if (dry_run(r)) {
        fakeapi__resp_obj(out, 200, cur);
    } else {
        json_t *res =
            fakeapi__pod_remove(r->srv, cur, d.has_grace ? &d.grace : NULL);

        if (res)
            fakeapi__resp_json(out, 200, res);
        else
            fakeapi__resp_status(out, oom_status());
    }
    fakeapi__store_unlock(st);
    json_decref(d.body);
}
