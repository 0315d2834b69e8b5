/*
 * pods: one pod: get, create, update (PUT), patch, delete, and the
 * /status subresource (docs/kubernetes-api.md: Pods, Patch, Delete).
 *
 * A create, update or patch is computed with no lock held, as
 * kube-apiserver computes it (k8s.io/apiserver/pkg/storage/etcd3/store.go,
 * GuaranteedUpdate): an update on a snapshot of the pod (snapshots never
 * change, a reference keeps one alive), then stored under the write lock
 * only if the pod is still at that snapshot, else computed again on the
 * new one (guaranteed_update()). The write lock is held to check and store,
 * so reads and writes of other pods go on while a large patch is worked
 * out. A delete, whose work is small, runs under the write lock. A
 * rejected write changes nothing.
 *
 * Over 1,000 lines: the verbs of one pod share the read-compute-commit
 * cycle (snapshot, retry, commit only if unchanged) and its helpers;
 * splitting it by verb is the next step when it grows again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "base/clock.h"
#include "base/gotext.h"
#include "base/jsondump.h"
#include "base/status.h"
#include "knum.h"
#include "patch/patch.h"
#include "pod/pod.h"
#include "pod/pod_write.h"
#include "validate/fieldval.h"
#include "validate/validate.h"

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

/* Decode a Pod body (docs/kubernetes-api.md, Pod create: kind/apiVersion
 * optional, a different apiVersion is 400), then its unknown and
 * duplicate fields as @p fv says (type errors come first: the strict ones
 * are only kept when decoding otherwise succeeds). NULL with *status on
 * failure. */
static json_t *decode_pod(struct req *r, enum fakeapi_fieldval fv,
                          struct resp *out, json_t **status)
{
    const char *ct = fakeapi__header(r, "Content-Type");
    json_error_t jerr;
    char gomsg[160];
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
    if (fakeapi__json_syntax_error(kbuf_str(&r->body), kbuf_len(&r->body),
                                   gomsg, sizeof(gomsg))) {
        *status = fakeapi__status_undecodable("Pod", gomsg, kbuf_str(&r->body),
                                              kbuf_len(&r->body));
        return NULL;
    }
    o = fakeapi__json_loadb(kbuf_str(&r->body), kbuf_len(&r->body), 0, &jerr);
    if (!o && fakeapi__json_oom(&jerr)) {
        *status = oom_status();
        return NULL;
    }
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
        *status = fakeapi__fieldval_body(&r->api->schema, fv, "Pod",
                                         kbuf_str(&r->body), kbuf_len(&r->body),
                                         &out->warnings);
    if (*status) {
        json_decref(o);
        return NULL;
    }
    fakeapi__fieldval_prune(&r->api->schema, "Pod", o);
    return o;
}

/* Set kind/apiVersion and put every member where the server writes it
 * (Go field order, pod_order.c); 0, or -1 when out of memory. */
static int set_type_meta(json_t *o)
{
    if (json_object_set_new(o, "kind", json_string("Pod")) != 0 ||
        json_object_set_new(o, "apiVersion", json_string("v1")) != 0)
        return -1;
    return fakeapi__pod_order(o) == FAKEAPI_OK ? 0 : -1;
}

/*
 * The snapshot of @p obj (consumed), every member in place and
 * metadata.resourceVersion among them, made before the write lock is
 * taken (serializing a large pod takes a while); commit() writes the
 * version into it. NULL when out of memory.
 */
static struct fakeapi_obj *snapshot_of(json_t *obj)
{
    return fakeapi__obj_new(obj);
}

/* Store @p snap (consumed; from snapshot_of()) as its pod's next state at
 * the next resourceVersion (write lock held): 0, or -1 when out of memory
 * with nothing stored. *out is the stored snapshot, borrowed. */
static int commit(struct api *srv, struct fakeapi_obj *snap,
                  struct fakeapi_obj **out)
{
    if (fakeapi__obj_set_rv(snap, fakeapi__store_next_rv(srv->store)) != 0) {
        fakeapi__obj_unref(snap);
        return -1;
    }
    return fakeapi__store_put_obj(srv->store, snap, false, out);
}

/* The pod's current snapshot (a new reference), or NULL; the read lock is
 * taken unless @p locked says a lock is held. */
static struct fakeapi_obj *pod_ref(struct store *st, const char *ns,
                                   const char *name, bool locked)
{
    struct fakeapi_obj *o;

    if (!locked)
        fakeapi__store_rdlock(st);
    o = fakeapi__store_pod(st, ns, name);
    if (o)
        fakeapi__obj_ref(o);
    if (!locked)
        fakeapi__store_unlock(st);
    return o;
}

void fakeapi__pod_get(struct req *r, const char *ns, const char *name,
                      struct resp *out)
{
    struct store *st = r->api->store;
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

/* Pick a free name for generateName (write lock held): 8 tries
 * (docs/kubernetes-api.md, Validation: generateName). */
static json_t *generate_name(struct api *srv, const char *ns, json_t *obj)
{
    const char *base = meta_str(obj, "generateName");
    char name[254];
    size_t blen = strlen(base);
    int i;

    if (blen > 58)
        blen = 58;
    for (i = 0; i < 8; i++) {
        memcpy(name, base, blen);
        fakeapi__store_random_suffix(srv->store, name + blen, 5);
        if (!fakeapi__store_pod(srv->store, ns, name))
            return json_object_set_new(meta_of(obj), "name",
                                       json_string(name)) == 0
                       ? NULL
                       : oom_status();
    }
    return fakeapi__status_new(409, "AlreadyExists",
                               "pods \"%s\" already exists, the server was "
                               "not able to generate a unique name for the "
                               "object",
                               name);
}

/* What a create draws from the store before it is computed. */
struct newpod {
    char uid[37];
    char suffix[6]; /* the token volume's */
    bool generated; /* the name came from generateName */
};

/*
 * A create's reads of the store before the pod is computed, under the
 * write lock for a moment (the random values come from the store's
 * generator): the namespace admits the pod, a generateName gets a name no
 * pod has, and the uid and the token volume's suffix are drawn. NULL, or
 * the Status to answer.
 */
static json_t *admit_new(struct api *srv, const char *ns, json_t *obj,
                         struct newpod *np)
{
    const char *name = meta_str(obj, "name");
    const char *gen = meta_str(obj, "generateName");
    json_t *status;

    fakeapi__store_wrlock(srv->store);
    status = fakeapi__ns_admit(srv, ns, "pods", name);
    np->generated = !status && !(name && *name) && gen && *gen;
    if (np->generated)
        status = generate_name(srv, ns, obj);
    fakeapi__store_uuid(srv->store, np->uid);
    fakeapi__store_random_suffix(srv->store, np->suffix, 5);
    fakeapi__store_unlock(srv->store);
    return status;
}

/* Server-set metadata on create (docs/kubernetes-api.md, Pod create),
 * then every member in place; a pod to be stored gets its
 * resourceVersion's place, which commit() fills. */
static json_t *prepare_new(const char *ns, json_t *obj, const struct newpod *np,
                           bool dry)
{
    json_t *meta = meta_of(obj);
    const char *rv = meta_str(obj, "resourceVersion");
    uint64_t n;
    char now[32];

    if (rv && *rv && (!knum_u64(rv, &n) || n != 0))
        return fakeapi__status_new(500, "",
                                   "resourceVersion should not be set on "
                                   "objects to be created");
    fakeapi__now(now);
    if (json_object_set_new(meta, "namespace", json_string(ns)) != 0 ||
        json_object_set_new(meta, "uid", json_string(np->uid)) != 0 ||
        json_object_set_new(meta, "creationTimestamp", json_string(now)) != 0)
        return oom_status();
    json_object_del(meta, "deletionTimestamp");
    json_object_del(meta, "deletionGracePeriodSeconds");
    json_object_del(meta, "generation");
    json_object_del(meta, "selfLink");
    /* a spec or metadata that is no object is validation's to refuse */
    if (fakeapi__pod_prepare_create(obj, now) == FAKEAPI_E_NOMEM)
        return oom_status();
    if (fakeapi__pod_admit_token(obj, np->suffix) != FAKEAPI_OK ||
        (!dry &&
         json_object_set_new(meta, "resourceVersion", json_string("0")) != 0) ||
        set_type_meta(obj) != 0)
        return oom_status();
    return NULL;
}

/*
 * A create's last checks, made again under the write lock since
 * admit_new(): the namespace may be gone or terminating, and the name
 * taken. A generated name taken meanwhile is generated again (its suffix
 * changes nothing validation looked at; *renamed tells). NULL, or the
 * Status to answer.
 */
static json_t *check_new(struct api *srv, const char *ns, json_t *obj,
                         bool generated, bool *renamed)
{
    const char *name = meta_str(obj, "name");
    json_t *status =
        fakeapi__ns_admit(srv, ns, "pods", generated ? NULL : name);

    *renamed = false;
    if (status || !fakeapi__store_pod(srv->store, ns, name))
        return status;
    if (!generated)
        return fakeapi__status_exists("pods", name);
    *renamed = true;
    return generate_name(srv, ns, obj);
}

static bool dry_run(const struct req *r)
{
    const char *d = fakeapi__arg(r, "dryRun");

    return d && strcmp(d, "All") == 0;
}

/* A 422 on the request's options, as errors.NewInvalid(meta.k8s.io
 * <options>) words it (apiserver/pkg/apis/meta/v1/validation). */
static json_t *options_invalid(const char *options, const char *reason,
                               const char *field, const char *msg)
{
    json_t *st = fakeapi__status_new(422, "Invalid",
                                     "%s.meta.k8s.io \"\" is invalid: %s: %s",
                                     options, field, msg);

    if (st) {
        json_t *d;

        fakeapi__status_details(st, NULL, NULL); /* placed before "code" */
        d = json_object_get(st, "details");
        json_object_set_new(d, "group", json_string("meta.k8s.io"));
        json_object_set_new(d, "kind", json_string(options));
        fakeapi__status_cause(st, reason, msg, field);
    }
    return st;
}

/* validation.ValidateDryRun: "All" is the only value. */
static json_t *check_dry_run(const struct req *r, const char *options)
{
    const char *d = fakeapi__arg(r, "dryRun");
    json_t *vals;
    char *text;
    char msg[512];

    if (!d || strcmp(d, "All") == 0)
        return NULL;
    vals = json_pack("[s]", d);
    text = vals ? json_dumps(vals, JSON_COMPACT) : NULL;
    json_decref(vals);
    if (!text)
        return oom_status();
    snprintf(msg, sizeof(msg),
             "Unsupported value: %.400s: supported values: \"All\"", text);
    free(text);
    return options_invalid(options, "FieldValueNotSupported", "dryRun", msg);
}

static bool same_port(const json_t *a, const json_t *b)
{
    static const char *const keys[] = {"containerPort", "protocol", "hostIP",
                                       "hostPort"};
    size_t k;

    for (k = 0; k < 4; k++) {
        const json_t *x = json_object_get(a, keys[k]);
        const json_t *y = json_object_get(b, keys[k]);

        if (!(x == y || (x && y && json_equal(x, y))))
            return false;
    }
    return true;
}

/* The first port before containers[ci].ports[pi] equal to it. */
static bool first_same_port(const json_t *cs, size_t ci, size_t pi, size_t *oi,
                            size_t *oj)
{
    const json_t *p =
        json_array_get(json_object_get(json_array_get(cs, ci), "ports"), pi);
    size_t i;
    size_t j;

    for (i = 0; i <= ci; i++) {
        const json_t *ports = json_object_get(json_array_get(cs, i), "ports");
        size_t end = i == ci ? pi : json_array_size(ports);

        for (j = 0; j < end; j++) {
            if (same_port(json_array_get(ports, j), p)) {
                *oi = i;
                *oj = j;
                return true;
            }
        }
    }
    return false;
}

/* The Warning headers of a pod create (strategy.go WarningsOnCreate):
 * a dotted name, then podutil.GetWarningsForPod's duplicate ports (same
 * containerPort, protocol, hostIP and hostPort in any two containers). */
static void create_warnings(const json_t *obj, struct resp *out)
{
    const char *name = meta_str(obj, "name");
    const json_t *cs =
        json_object_get(json_object_get(obj, "spec"), "containers");
    char text[512];
    size_t n = json_array_size(cs);
    size_t i;
    size_t j;

    if (name && strchr(name, '.'))
        fakeapi__resp_warn(out, "metadata.name: this is used in the Pod's "
                                "hostname, which can result in surprising "
                                "behavior; a DNS label is recommended: "
                                "[must not contain dots]");
    for (i = 0; i < n; i++) {
        const json_t *ports = json_object_get(json_array_get(cs, i), "ports");

        for (j = 0; j < json_array_size(ports); j++) {
            size_t oi;
            size_t oj;

            if (!first_same_port(cs, i, j, &oi, &oj))
                continue;
            snprintf(text, sizeof(text),
                     "spec.containers[%zu].ports[%zu]: duplicate port "
                     "definition with spec.containers[%zu].ports[%zu]",
                     i, j, oi, oj);
            fakeapi__resp_warn(out, text);
        }
    }
}

void fakeapi__pod_create(struct req *r, const char *ns, struct resp *out)
{
    struct store *st = r->api->store;
    enum fakeapi_fieldval fv;
    /* create.go: the options are validated before the body is decoded */
    json_t *status = check_dry_run(r, "CreateOptions");
    json_t *obj = NULL;
    const char *bns;
    struct newpod np;
    struct fakeapi_obj *snap;
    struct fakeapi_obj *stored;
    bool dry = dry_run(r);
    bool renamed;

    if (!status)
        status = fakeapi__fieldval_directive(fakeapi__arg(r, "fieldValidation"),
                                             "CreateOptions", &fv);
    if (!status)
        obj = decode_pod(r, fv, out, &status);
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
    status = admit_new(r->api, ns, obj, &np);
    if (!status)
        status = fakeapi__validate_pod_create(obj);
    if (!status)
        status = prepare_new(ns, obj, &np, dry);
    if (status) {
        fakeapi__resp_status(out, status);
        json_decref(obj);
        return;
    }
    create_warnings(obj, out);
    snap = dry ? NULL : snapshot_of(json_incref(obj));
    if (!dry && !snap) {
        fakeapi__resp_status(out, oom_status());
        json_decref(obj);
        return;
    }
    fakeapi__store_wrlock(st);
    status = check_new(r->api, ns, obj, np.generated, &renamed);
    if (!status && snap && renamed) {
        fakeapi__obj_unref(snap);
        snap = snapshot_of(json_incref(obj));
        status = snap ? NULL : oom_status();
    }
    if (!status && snap) {
        if (commit(r->api, snap, &stored) == 0)
            fakeapi__resp_obj(out, 201, stored);
        else
            fakeapi__resp_status(out, oom_status());
        snap = NULL;
    }
    fakeapi__store_unlock(st);
    fakeapi__obj_unref(snap);
    if (status) {
        fakeapi__resp_status(out, status);
    } else if (dry) {
        /* dryrun.go DryRunnableStorage.Create: the would-be pod, with no
         * resourceVersion */
        fakeapi__resp_json(out, 201, obj);
        return;
    }
    json_decref(obj);
}

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

/* ValidateObjectMetaUpdate: a uid sent must be the stored one (an empty
 * one is filled in by the update). */
static json_t *uid_changed(const json_t *obj, const json_t *old)
{
    const char *uid = meta_str(obj, "uid");
    const char *ouid = meta_str(old, "uid");
    struct fakeapi_field_errors fe;
    struct kbuf msg;
    json_t *st;

    if (!uid || !*uid || (ouid && strcmp(uid, ouid) == 0))
        return NULL;
    kbuf_init(&msg, 4096);
    kbuf_adds(&msg, "Invalid value: ");
    fakeapi__gotext_add_quoted(&msg, uid, strlen(uid));
    kbuf_adds(&msg, ": field is immutable");
    fakeapi__field_errors_init(&fe);
    fakeapi__field_error(&fe, "FieldValueInvalid", "metadata.uid", "%s",
                         kbuf_str(&msg));
    kbuf_release(&msg);
    st = fakeapi__status_invalid("Pod", meta_str(old, "name"), &fe);
    fakeapi__field_errors_release(&fe);
    return st;
}

/* What one try of an update decided: nothing to store (it answered), or
 * the pod's next state, or its removal. */
struct update {
    struct fakeapi_obj *snap; /* the next state (snapshot_of()) */
    json_t *last;             /* or: remove the pod, this its state as
                                 stored */
    char *text;               /* with last: the answer, made beforehand */
};

static bool update_pending(const struct update *u)
{
    return u->snap || u->last;
}

static void update_release(struct update *u)
{
    fakeapi__obj_unref(u->snap);
    json_decref(u->last);
    free(u->text);
    u->snap = NULL;
    u->last = NULL;
    u->text = NULL;
}

/* An update that leaves a deleted pod without finalizers removes it
 * instead of writing it (store.go Update, deleteWithoutFinalizers): one
 * DELETED event at a new resourceVersion carrying the object as it was
 * stored (etcd3 store.go conditionalDelete: the event is the previous
 * value, finalizers and all), and an answer that is the updated object
 * at the stored resourceVersion, made now: nothing may fail once the pod
 * is gone. Consumes @p obj and @p old, the stored pod's tree. */
static void plan_removal(json_t *obj, json_t *old, struct update *u)
{
    u->text = fakeapi__pod_order(obj) == FAKEAPI_OK
                  ? fakeapi__jsondump_text(obj, JSON_COMPACT)
                  : NULL;
    json_decref(obj);
    u->last = old;
}

/*
 * One try of a PUT or PATCH on snapshot @p cur, with no lock held: the
 * resourceVersion precondition, the update strategy, validation
 * (docs/kubernetes-api.md, Pod update). Either answers in @p out (an
 * error; a change of nothing, which is not written; a dry run, which
 * answers the would-be pod at the stored resourceVersion) or leaves in
 * @p u what to store. Consumes @p obj and @p old (@p cur's tree, or NULL
 * to parse it here).
 */
static void plan_update(struct req *r, struct fakeapi_obj *cur, json_t *obj,
                        json_t *old, bool status_sub, struct resp *out,
                        struct update *u)
{
    const char *rv = meta_str(obj, "resourceVersion");
    char currv[24];
    json_t *bad;

    snprintf(currv, sizeof(currv), "%llu", (unsigned long long)cur->rv);
    if (!old)
        old = fakeapi__obj_tree(cur);
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
    bad = uid_changed(obj, old);
    if (bad) {
        fakeapi__resp_status(out, bad);
        json_decref(obj);
        json_decref(old);
        return;
    }
    if ((status_sub ? fakeapi__pod_prepare_status_update(obj, old)
                    : fakeapi__pod_prepare_update(obj, old)) != FAKEAPI_OK ||
        set_type_meta(obj) != 0 ||
        json_object_set_new(meta_of(obj), "resourceVersion",
                            json_string(currv)) != 0)
        bad = oom_status();
    else
        bad = status_sub ? fakeapi__validate_pod_status_update(old, obj)
                         : fakeapi__validate_pod_update(old, obj);
    if (bad) {
        fakeapi__resp_status(out, bad);
        json_decref(obj);
    } else if (json_equal(obj, old)) {
        fakeapi__resp_obj(out, 200, cur);
        json_decref(obj);
    } else if (dry_run(r)) {
        /* rest.Update with dryRun: the would-be object is answered and
         * nothing is stored (registry/generic/registry/dryrun.go:
         * DryRunnableStorage.GuaranteedUpdate); the resourceVersion stays
         * the stored one */
        fakeapi__pod_order(obj);
        fakeapi__resp_json(out, 200, obj);
    } else if (deletion_done(obj)) {
        plan_removal(obj, old, u);
        return;
    } else if (fakeapi__pod_order(obj) != FAKEAPI_OK) {
        fakeapi__resp_status(out, oom_status());
        json_decref(obj);
    } else if ((u->snap = snapshot_of(obj)) == NULL) {
        fakeapi__resp_status(out, oom_status());
    }
    json_decref(old);
}

/* Store what a try decided (write lock held, the pod still at the
 * snapshot the try saw) and answer. */
static void store_update(struct api *srv, struct update *u, struct resp *out)
{
    struct fakeapi_obj *stored;
    json_t *last = u->last;
    char rv[24];

    if (u->snap) {
        struct fakeapi_obj *snap = u->snap;

        u->snap = NULL;
        if (commit(srv, snap, &stored) == 0)
            fakeapi__resp_obj(out, 200, stored);
        else
            fakeapi__resp_status(out, oom_status());
        return;
    }
    u->last = NULL;
    snprintf(rv, sizeof(rv), "%llu",
             (unsigned long long)fakeapi__store_next_rv(srv->store));
    if (!u->text ||
        json_object_set_new(meta_of(last), "resourceVersion",
                            json_string(rv)) != 0 ||
        fakeapi__store_delete_pod(srv->store, json_incref(last)) != 0) {
        json_decref(last);
        fakeapi__resp_status(out, oom_status());
        return;
    }
    json_decref(last);
    fakeapi__resp_text(out, 200, u->text);
    u->text = NULL;
}

/* One try of an update on snapshot @p cur (see plan_update()). */
typedef void update_try(struct req *r, struct fakeapi_obj *cur, void *ctx,
                        struct resp *out, struct update *u);

/*
 * How many times an update is computed: a try that finds the pod moved
 * since its snapshot is made again, and the last one holds the write
 * lock from snapshot to store, so that it cannot lose (GuaranteedUpdate
 * retries without a bound; here a slow patch next to fast writers of the
 * same pod ends too).
 */
#define UPDATE_TRIES 5

/* Drop the Warning texts after the first @p n (those a lost try added). */
static void keep_warnings(struct resp *out, size_t n)
{
    while (json_array_size(out->warnings) > n)
        json_array_remove(out->warnings, json_array_size(out->warnings) - 1);
}

/*
 * Update pod @p ns/@p name as GuaranteedUpdate does
 * (k8s.io/apiserver/pkg/storage/etcd3/store.go): @p try computes the next
 * state from a snapshot of the current one, with no lock held; under the
 * write lock it is stored only if the pod is still at that snapshot (the
 * same snapshot: same resourceVersion, same uid). Else the pod moved
 * meanwhile, and the try is made again on its new state: a PUT carrying
 * the resourceVersion it read then answers 409 Conflict, as
 * registry/store.go Update does on the retry; a patch without one applies
 * to the new state. Nothing is written on a try that answers.
 */
static void guaranteed_update(struct req *r, const char *ns, const char *name,
                              update_try *try, void *ctx, struct resp *out)
{
    struct store *st = r->api->store;
    size_t nwarn = json_array_size(out->warnings);
    struct update u = {NULL, NULL, NULL};
    struct fakeapi_obj *cur = NULL;
    bool locked = false;
    int n;

    for (n = 1; n <= UPDATE_TRIES; n++) {
        if (n == UPDATE_TRIES) {
            fakeapi__store_wrlock(st);
            locked = true;
        }
        cur = pod_ref(st, ns, name, locked);
        if (!cur) {
            fakeapi__resp_status(out, fakeapi__status_not_found("pods", name));
            break;
        }
        try(r, cur, ctx, out, &u);
        if (!update_pending(&u))
            break;
        if (!locked) {
            fakeapi__store_wrlock(st);
            locked = true;
        }
        if (fakeapi__store_pod(st, ns, name) == cur) {
            store_update(r->api, &u, out);
            break;
        }
        fakeapi__store_unlock(st);
        locked = false;
        update_release(&u);
        fakeapi__obj_unref(cur);
        cur = NULL;
        keep_warnings(out, nwarn);
    }
    if (locked)
        fakeapi__store_unlock(st);
    update_release(&u);
    fakeapi__obj_unref(cur);
}

/* A PUT's body, tried on each snapshot. */
struct put {
    const json_t *body;
    bool status_sub;
};

static void try_put(struct req *r, struct fakeapi_obj *cur, void *ctx,
                    struct resp *out, struct update *u)
{
    const struct put *p = ctx;
    /* a try changes the object: each works on a copy */
    json_t *obj = json_deep_copy(p->body);

    if (!obj) {
        fakeapi__resp_status(out, oom_status());
        return;
    }
    plan_update(r, cur, obj, NULL, p->status_sub, out, u);
}

void fakeapi__pod_update(struct req *r, const char *ns, const char *name,
                         bool status_sub, struct resp *out)
{
    enum fakeapi_fieldval fv;
    json_t *status = check_dry_run(r, "UpdateOptions");
    json_t *obj = NULL;
    const char *bname;
    const char *bns;
    struct put p;

    if (!status)
        status = fakeapi__fieldval_directive(fakeapi__arg(r, "fieldValidation"),
                                             "UpdateOptions", &fv);
    if (!status)
        obj = decode_pod(r, fv, out, &status);
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
    p.body = obj;
    p.status_sub = status_sub;
    guaranteed_update(r, ns, name, try_put, &p, out);
    json_decref(obj);
}

/* rest.Update's name check, which a patched object passes too. */
static json_t *name_mismatch(const json_t *obj, const char *name)
{
    const char *bname = meta_str(obj, "name");

    if (bname && strcmp(bname, name) == 0)
        return NULL;
    return fakeapi__status_bad_request("the name of the object (%s) does not "
                                       "match the name on the URL (%s)",
                                       bname ? bname : "", name);
}

/* Decoding a patched pod into the Go types: type errors, then the null
 * values of string maps, which decode as "" (encoding/json: a null map
 * element is its zero value). */
static json_t *decode_patched(json_t *obj)
{
    static const char *const maps[][2] = {
        {"metadata", "labels"},
        {"metadata", "annotations"},
        {"spec", "nodeSelector"},
    };
    json_t *st = fakeapi__pod_decode_check(obj);
    const char *k;
    json_t *v;
    size_t i;

    for (i = 0; !st && i < sizeof(maps) / sizeof(maps[0]); i++) {
        json_t *m =
            json_object_get(json_object_get(obj, maps[i][0]), maps[i][1]);

        json_object_foreach(m, k, v)
        {
            if (json_is_null(v) &&
                json_object_set_new(m, k, json_string("")) != 0)
                return oom_status();
        }
    }
    return st;
}

/* A PATCH, applied to each snapshot. */
struct patch {
    enum fakeapi_patch_type type;
    enum fakeapi_fieldval fv;
    const char *name;
    bool status_sub;
};

static void try_patch(struct req *r, struct fakeapi_obj *cur, void *ctx,
                      struct resp *out, struct update *u)
{
    const struct patch *p = ctx;
    json_t *orig = fakeapi__obj_tree(cur);
    json_t *status = NULL;
    json_t *obj = orig ? fakeapi__patch_apply(p->type, orig, kbuf_str(&r->body),
                                              kbuf_len(&r->body), &status)
                       : NULL;

    if (obj && !json_is_object(obj)) {
        json_decref(obj);
        obj = NULL;
        status = fakeapi__status_bad_request("the patch did not produce an "
                                             "object");
    }
    if (obj)
        status = decode_patched(obj);
    if (obj && !status)
        status = fakeapi__fieldval_patch(&r->api->schema, p->fv, p->type,
                                         kbuf_str(&r->body), kbuf_len(&r->body),
                                         obj, &out->warnings);
    if (obj && !status)
        status = name_mismatch(obj, p->name);
    if (!obj || status) {
        fakeapi__resp_status(out, status ? status : oom_status());
        json_decref(obj);
        json_decref(orig);
        return;
    }
    fakeapi__fieldval_prune(&r->api->schema, "Pod", obj);
    /* the patch engine never changes its input: orig is cur's tree */
    plan_update(r, cur, obj, orig, p->status_sub, out, u);
}

void fakeapi__pod_patch(struct req *r, const char *ns, const char *name,
                        bool status_sub, struct resp *out)
{
    struct patch p;
    json_t *status;

    p.type = fakeapi__patch_type(fakeapi__header(r, "Content-Type"));
    p.name = name;
    p.status_sub = status_sub;
    if (p.type == FAKEAPI_PATCH_NONE) {
        /* go-restful refuses a type the route does not consume before
         * the handler runs (jsr311.go detectRoute) */
        status = fakeapi__status_new(415, "UnsupportedMediaType",
                                     "415: Unsupported Media Type");
        fakeapi__status_details(status, NULL, NULL);
        fakeapi__resp_status(out, status);
        return;
    }
    /* patch.go PatchResource: the Content-Type, then the options */
    status = check_dry_run(r, "PatchOptions");
    if (!status)
        status = fakeapi__fieldval_directive(fakeapi__arg(r, "fieldValidation"),
                                             "PatchOptions", &p.fv);
    if (status) {
        fakeapi__resp_status(out, status);
        return;
    }
    guaranteed_update(r, ns, name, try_patch, &p, out);
}

/* Delete options from the body, or else the query (docs/kubernetes-api.md,
 * Delete). */
struct delopts {
    bool has_grace;
    int64_t grace;
    const char *pre_uid;
    const char *pre_rv;
    const char *policy; /* propagationPolicy, or NULL */
    json_t *body;       /* owned */
};

static const char *quoted(const char *s, char *buf, size_t size)
{
    fakeapi__quote(buf, size, s);
    return buf;
}

static json_t *parse_delopts(struct req *r, struct delopts *d)
{
    const char *g;
    const char *pp;
    json_t *v;
    char q[128];

    memset(d, 0, sizeof(*d));
    if (kbuf_len(&r->body) > 0) {
        json_error_t jerr;

        d->body = json_loadb(kbuf_str(&r->body), kbuf_len(&r->body), 0, &jerr);
        if (!json_is_object(d->body))
            /* the server sniffs the kind first (json.go
             * SimpleMetaFactory.Interpret) and words Go's error */
            return fakeapi__status_bad_request(
                "couldn't get version/kind; json parse error: %s",
                d->body ? "json: cannot unmarshal a non-object into the "
                          "type and kind of the body"
                : (size_t)jerr.position >= kbuf_len(&r->body)
                    ? "unexpected end of JSON input"
                    : jerr.text);
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
                    "strconv.ParseInt: parsing %s: invalid syntax",
                    quoted(g, q, sizeof(q)));
            d->has_grace = true;
        }
        pp = fakeapi__arg(r, "propagationPolicy");
    }
    d->policy = pp;
    if (pp && strcmp(pp, "Orphan") != 0 && strcmp(pp, "Background") != 0 &&
        strcmp(pp, "Foreground") != 0) {
        char msg[512];

        snprintf(msg, sizeof(msg),
                 "Unsupported value: %.256s: supported values: "
                 "\"Foreground\", \"Background\", \"Orphan\", \"nil\"",
                 quoted(pp, q, sizeof(q)));
        return options_invalid("DeleteOptions", "FieldValueNotSupported",
                               "propagationPolicy", msg);
    }
    return check_dry_run(r, "DeleteOptions");
}

/* Grace period rules of podStrategy.CheckGracefulDelete
 * (docs/kubernetes-api.md, Delete). */
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

/* Mark @p obj (a copy of the stored pod) as deleted with @p grace, as
 * BeforeDelete does: the first deletion sets deletionTimestamp and moves
 * the generation (strategy.go updatePodGeneration); a later one only
 * shortens the grace period. 1, 0 when the deletion changes nothing, or
 * -1 when out of memory. */
static int mark_deleted(json_t *obj, int64_t grace, const char *now)
{
    json_t *meta = meta_of(obj);
    json_t *old = json_object_get(meta, "deletionGracePeriodSeconds");
    json_int_t gen = json_integer_value(json_object_get(meta, "generation"));
    int rc = 0;

    if (json_object_get(meta, "deletionTimestamp")) {
        if (!json_is_integer(old) || json_integer_value(old) <= grace)
            return 0;
    } else {
        rc = json_object_set_new(meta, "deletionTimestamp", json_string(now));
        if (rc == 0)
            rc = json_object_set_new(meta, "generation", json_integer(gen + 1));
    }
    if (rc == 0)
        rc = json_object_set_new(meta, "deletionGracePeriodSeconds",
                                 json_integer(grace));
    return rc == 0 ? 1 : -1;
}

/* Give @p obj (borrowed) the next resourceVersion of @p b and stage a
 * snapshot of it: its new state, or with @p gone its removal. 0, or -1:
 * @p b has failed. */
static int stage(struct store_batch *b, json_t *obj, bool gone)
{
    json_t *meta = json_object_get(obj, "metadata");
    struct fakeapi_obj *o = NULL;
    char rv[24];

    snprintf(rv, sizeof(rv), "%llu",
             (unsigned long long)fakeapi__store_batch_next_rv(b));
    if (json_object_set_new(meta, "resourceVersion", json_string(rv)) == 0 &&
        (gone || fakeapi__pod_order(obj) == FAKEAPI_OK))
        o = fakeapi__obj_new(json_incref(obj));
    return gone ? fakeapi__store_batch_delete(b, o)
                : fakeapi__store_batch_put(b, o, false);
}

/*
 * Stage the deletion of @p cur in @p b (write lock held): grace 0 writes
 * deletionTimestamp (MODIFIED) and then removes the object (DELETED); a
 * grace period only marks it terminating, and a shorter one than the
 * pending one replaces it. Returns the answer body (new reference).
 */
json_t *fakeapi__pod_remove(struct store_batch *b, struct fakeapi_obj *cur,
                            const int64_t *explicit_grace)
{
    json_t *obj = fakeapi__obj_tree(cur);
    json_t *meta;
    int64_t grace;
    bool held;
    int changed;
    char now[32];

    if (!obj)
        return NULL;
    meta = meta_of(obj);
    grace = grace_for(obj, explicit_grace);
    held = json_array_size(json_object_get(meta, "finalizers")) > 0;
    fakeapi__now(now);
    changed = mark_deleted(obj, grace, now);
    if (changed < 0) {
        json_decref(obj);
        return NULL;
    }
    grace =
        json_integer_value(json_object_get(meta, "deletionGracePeriodSeconds"));
    if (!changed && (held || grace > 0))
        return obj; /* already terminating: answer the object again */
    /* finalizers keep the object until an update removes the last one */
    if ((changed && stage(b, obj, false) != 0) ||
        (grace == 0 && !held && stage(b, obj, true) != 0)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* What a dry-run delete answers: the pod as the deletion would leave it,
 * nothing stored (registry/generic/registry/store.go Delete, dryRun). */
static json_t *would_remove(const struct fakeapi_obj *cur,
                            const int64_t *explicit_grace)
{
    json_t *obj = fakeapi__obj_tree(cur);
    char now[32];

    if (!obj)
        return NULL;
    fakeapi__now(now);
    if (mark_deleted(obj, grace_for(obj, explicit_grace), now) < 0 ||
        fakeapi__pod_order(obj) != FAKEAPI_OK) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* The propagation policy's finalizer (store.go updateForGracefulDeletion
 * AndFinalizers): the answer shows it; the garbage collector, which has
 * no dependents of a pod to wait for, removes it at once, so the fake
 * never stores it. */
static int add_policy_finalizer(json_t *obj, const char *policy)
{
    const char *f = !policy                             ? NULL
                    : strcmp(policy, "Orphan") == 0     ? "orphan"
                    : strcmp(policy, "Foreground") == 0 ? "foregroundDeletion"
                                                        : NULL;
    json_t *meta = meta_of(obj);
    json_t *list;

    if (!f)
        return 0;
    list = json_object_get(meta, "finalizers");
    if (!json_is_array(list)) {
        list = json_array();
        if (json_object_set_new(meta, "finalizers", list) != 0)
            return -1;
    }
    if (json_array_append_new(list, json_string(f)) != 0)
        return -1;
    return fakeapi__pod_order(obj) == FAKEAPI_OK ? 0 : -1;
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

/* Delete @p cur (write lock held) and answer: the answer is made before
 * the deletion commits, so that an answer which cannot be made leaves the
 * pod as it was (a 500). */
static void remove_one(struct req *r, struct fakeapi_obj *cur,
                       const struct delopts *d, struct resp *out)
{
    const int64_t *grace = d->has_grace ? &d->grace : NULL;
    struct store_batch b;
    json_t *res;
    char *text = NULL;

    fakeapi__store_batch_init(&b, r->api->store);
    res = dry_run(r) ? would_remove(cur, grace)
                     : fakeapi__pod_remove(&b, cur, grace);
    if (res && add_policy_finalizer(res, d->policy) == 0)
        text = fakeapi__jsondump_text(res, JSON_COMPACT);
    json_decref(res);
    if (text && fakeapi__store_batch_commit(&b) == 0) {
        fakeapi__resp_text(out, 200, text);
    } else {
        fakeapi__store_batch_release(&b);
        free(text);
        fakeapi__resp_status(out, oom_status());
    }
}

void fakeapi__pod_delete(struct req *r, const char *ns, const char *name,
                         struct resp *out)
{
    struct store *st = r->api->store;
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
    if (status || !cur) /* a NULL Status: out of memory, a 500 */
        fakeapi__resp_status(out, status);
    else
        remove_one(r, cur, &d, out);
    fakeapi__store_unlock(st);
    json_decref(d.body);
}

json_t *fakeapi__pod_delete_listed(struct req *r, struct store_batch *b,
                                   struct fakeapi_obj *cur)
{
    json_t *item = fakeapi__obj_tree(cur);
    const char *g = fakeapi__arg(r, "gracePeriodSeconds");
    int64_t grace;
    json_t *res;

    if (!item)
        return NULL;
    /* a list's items carry no kind or apiVersion */
    json_object_del(item, "kind");
    json_object_del(item, "apiVersion");
    if (dry_run(r))
        return item;
    res = fakeapi__pod_remove(b, cur, g && knum_i64(g, &grace) ? &grace : NULL);
    if (!res) {
        json_decref(item);
        return NULL;
    }
    json_decref(res);
    return item;
}
