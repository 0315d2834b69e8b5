/*
 * namespaces: create, get, list, delete (docs/kubernetes-api.md, Namespaces). A
 * deletion marks the namespace Terminating (deletionTimestamp, status.phase),
 * deletes its pods and refuses new ones (NamespaceLifecycle admission);
 * the ticker removes it NS_FINALIZE_MS later, as the namespace
 * controller does once the content is gone (some 5 s on a real server;
 * clients wait for the 404 either way).
 */
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "api/handlers.h"
#include "base/clock.h"
#include "base/protobuf.h"
#include "base/status.h"
#include "patch/patch.h"
#include "pod/pod.h"
#include "select/selector.h"
#include "validate/fieldval.h"
#include "validate/validate.h"

/* How long a deleted namespace stays Terminating before it is gone. */
#define NS_FINALIZE_MS 100

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of string map @p m with its keys in order: Go's encoding/json
 * writes a map's keys sorted, whatever order they were sent in. NULL when
 * out of memory. */
static json_t *sorted_map(const json_t *m)
{
    size_t n = json_object_size(m);
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    json_t *out = json_object();
    const char *k;
    json_t *v;
    size_t i = 0;

    if (!keys || !out) {
        free(keys);
        json_decref(out);
        return NULL;
    }
    json_object_foreach((json_t *)(uintptr_t)m, k, v) keys[i++] = k;
    qsort(keys, n, sizeof(*keys), key_cmp);
    for (i = 0; out && i < n; i++) {
        if (json_object_set(out, keys[i], json_object_get(m, keys[i])) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    free(keys);
    return out;
}

/* ObjectMeta's field order (types.go), as the server writes it. */
static const char *const meta_fields[] = {"name",
                                          "generateName",
                                          "namespace",
                                          "selfLink",
                                          "uid",
                                          "resourceVersion",
                                          "generation",
                                          "creationTimestamp",
                                          "deletionTimestamp",
                                          "deletionGracePeriodSeconds",
                                          "labels",
                                          "annotations",
                                          "ownerReferences",
                                          "finalizers"};

/* A copy of @p meta with its members in ObjectMeta's order (others after,
 * as they were), or NULL when out of memory. */
static json_t *meta_ordered(const json_t *meta)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    size_t i;

    for (i = 0; out && i < sizeof(meta_fields) / sizeof(meta_fields[0]); i++) {
        v = json_object_get(meta, meta_fields[i]);
        if (v && json_object_set(out, meta_fields[i], v) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    json_object_foreach((json_t *)(uintptr_t)meta, k, v)
    {
        if (out && !json_object_get(out, k) &&
            json_object_set(out, k, v) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

/* The labels of a new namespace: those of @p fm (a create's metadata,
 * optional) and the NamespaceDefaultLabelName strategy label, keys
 * sorted; NULL when out of memory. */
static json_t *ns_labels(const json_t *fm, const char *name)
{
    const json_t *given = json_object_get(fm, "labels");
    json_t *labels =
        json_is_object(given) ? json_deep_copy(given) : json_object();
    json_t *sorted;

    if (!labels || json_object_set_new(labels, "kubernetes.io/metadata.name",
                                       json_string(name)) != 0) {
        json_decref(labels);
        return NULL;
    }
    sorted = sorted_map(labels);
    json_decref(labels);
    return sorted;
}

/* A new Namespace @p name at resourceVersion @p rv (0: none, a dry run);
 * @p from (optional, not modified) gives the labels, annotations and
 * generateName a create keeps. NULL when out of memory. Members are set
 * in ObjectMeta's order. */
static json_t *ns_object(struct api *srv, const char *name, const json_t *from,
                         uint64_t rv)
{
    const json_t *fm = json_object_get(from, "metadata");
    const json_t *ann = json_object_get(fm, "annotations");
    const json_t *gen = json_object_get(fm, "generateName");
    json_t *meta = json_object();
    char uid[37];
    char now[32];
    char rvs[24];
    int rc = meta ? 0 : -1;

    fakeapi__store_uuid(srv->store, uid);
    fakeapi__now(now);
    snprintf(rvs, sizeof(rvs), "%llu", (unsigned long long)rv);
    if (rc == 0)
        rc = json_object_set_new(meta, "name", json_string(name));
    if (rc == 0 && json_is_string(gen) && *json_string_value(gen))
        rc = json_object_set(meta, "generateName", (json_t *)(uintptr_t)gen);
    if (rc == 0)
        rc = json_object_set_new(meta, "uid", json_string(uid));
    if (rc == 0 && rv)
        rc = json_object_set_new(meta, "resourceVersion", json_string(rvs));
    if (rc == 0)
        rc = json_object_set_new(meta, "creationTimestamp", json_string(now));
    if (rc == 0)
        rc = json_object_set_new(meta, "labels", ns_labels(fm, name));
    if (rc == 0 && json_is_object(ann) && json_object_size(ann) > 0)
        rc = json_object_set_new(meta, "annotations", sorted_map(ann));
    if (rc != 0) {
        json_decref(meta);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:o, s:{s:[s]}, s:{s:s}}", "kind", "Namespace",
                     "apiVersion", "v1", "metadata", meta, "spec", "finalizers",
                     "kubernetes", "status", "phase", "Active");
}

int fakeapi__ns_ensure(struct api *srv, struct store_batch *b, const char *name)
{
    if (fakeapi__store_batch_has_ns(b, name))
        return 0;
    return fakeapi__store_batch_put_ns(
        b, fakeapi__obj_new(
               ns_object(srv, name, NULL, fakeapi__store_batch_next_rv(b))));
}

int fakeapi__init_namespaces(struct api *srv)
{
    static const char *const initial[] = {"default", "kube-system",
                                          "kube-public", "kube-node-lease"};
    struct store_batch b;
    size_t i;

    fakeapi__store_batch_init(&b, srv->store);
    for (i = 0; i < sizeof(initial) / sizeof(initial[0]); i++)
        fakeapi__ns_ensure(srv, &b, initial[i]);
    return fakeapi__store_batch_commit(&b);
}

json_t *fakeapi__ns_required(struct api *srv, const char *ns)
{
    if (fakeapi__store_ns(srv->store, ns))
        return NULL;
    return fakeapi__status_not_found("namespaces", ns);
}

/* NamespaceLifecycle admission (plugin/pkg/admission/namespace/
 * lifecycle): nothing new in a namespace being terminated. */
json_t *fakeapi__ns_admit(struct api *srv, const char *ns, const char *resource,
                          const char *name)
{
    struct nsent *n = fakeapi__store_ns(srv->store, ns);
    json_t *st;
    char cause[400];

    if (!n)
        return fakeapi__status_not_found("namespaces", ns);
    if (!n->finalize_at_ms)
        return NULL;
    st = fakeapi__status_new(403, "Forbidden",
                             "%s \"%s\" is forbidden: unable to create new "
                             "content in namespace %s because it is being "
                             "terminated",
                             resource, name ? name : "", ns);
    fakeapi__status_details(st, name, resource);
    snprintf(cause, sizeof(cause), "namespace %s is being terminated", ns);
    fakeapi__status_cause(st, "NamespaceTerminating", cause,
                          "metadata.namespace");
    return st;
}

/* The column descriptions: the ObjectMeta field docs the printer
 * (printers/internalversion AddHandlers) takes from the API types. */
static const char desc_name[] =
    "Name must be unique within a namespace. Is required when creating "
    "resources, although some resources may allow a client to request the "
    "generation of an appropriate name automatically. Name is primarily "
    "intended for creation idempotence and configuration definition. Cannot "
    "be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/"
    "names#names";
static const char desc_age[] =
    "CreationTimestamp is a timestamp representing the server time when "
    "this object was created. It is not guaranteed to be set in "
    "happens-before order across separate operations. Clients may not set "
    "this value. It is represented in RFC3339 form and is in UTC.\n\n"
    "Populated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/"
    "api-conventions.md#metadata";

/* One row: NAME, STATUS, AGE and the object as @p to says. */
static json_t *ns_row(const json_t *ns, time_t now,
                      const struct fakeapi_table_opts *to)
{
    json_t *meta = json_object_get(ns, "metadata");
    const char *created =
        json_string_value(json_object_get(meta, "creationTimestamp"));
    time_t t = now;
    char age[32];
    json_t *obj;

    if (created)
        fakeapi__time_parse(created, &t);
    fakeapi__pod_human_duration((long long)(now - t), age, sizeof(age));
    if (to->include == FAKEAPI_INCLUDE_OBJECT)
        obj = json_deep_copy(ns);
    else if (to->include == FAKEAPI_INCLUDE_NONE)
        obj = json_null();
    else
        obj = json_pack("{s:s, s:s+, s:O}", "kind", "PartialObjectMetadata",
                        "apiVersion", "meta.k8s.io/", to->version, "metadata",
                        meta);
    return json_pack("{s:[O, O, s], s:o}", "cells",
                     json_object_get(meta, "name"),
                     json_object_get(json_object_get(ns, "status"), "phase"),
                     age, "object", obj);
}

json_t *fakeapi__ns_table(const json_t *items, const char *rv,
                          const struct fakeapi_table_opts *to)
{
    json_t *rows = json_array();
    const json_t *ns;
    size_t i;
    time_t now = time(NULL);

    json_array_foreach(items, i, ns)
        json_array_append_new(rows, ns_row(ns, now, to));
    return json_pack(
        "{s:s, s:s+, s:{s:s}, s:[{s:s, s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, "
        "s:s, s:i}, {s:s, s:s, s:s, s:s, s:i}], s:o}",
        "kind", "Table", "apiVersion", "meta.k8s.io/", to->version, "metadata",
        "resourceVersion", rv, "columnDefinitions", "name", "Name", "type",
        "string", "format", "name", "description", desc_name, "priority", 0,
        "name", "Status", "type", "string", "format", "", "description",
        "The status of the namespace", "priority", 0, "name", "Age", "type",
        "string", "format", "", "description", desc_age, "priority", 0, "rows",
        rows);
}

/* Does namespace @p o pass both selectors? (The registry's filter:
 * labels, then NamespaceToSelectableFields.) */
static bool ns_selected(const struct fakeapi_lsel *ls,
                        const struct fakeapi_fsel *fs, struct fakeapi_obj *o)
{
    json_t *tree;
    bool ok;

    if (fakeapi__lsel_is_empty(ls) && fakeapi__fsel_is_empty(fs))
        return true;
    tree = fakeapi__obj_tree(o);
    ok =
        tree &&
        fakeapi__lsel_matches(
            ls, json_object_get(json_object_get(tree, "metadata"), "labels")) &&
        fakeapi__fsel_matches(fs, tree);
    json_decref(tree);
    return ok;
}

/* The namespaces that pass the selectors (read lock held): a new array of
 * borrowed snapshots in store order, or NULL when out of memory. */
static struct fakeapi_obj **ns_select(struct store *st,
                                      const struct fakeapi_lsel *ls,
                                      const struct fakeapi_fsel *fs, size_t *n)
{
    struct fakeapi_obj **objs =
        calloc(fakeapi__store_ns_count(st) ? fakeapi__store_ns_count(st) : 1,
               sizeof(*objs));
    size_t i;

    *n = 0;
    for (i = 0; objs && i < fakeapi__store_ns_count(st); i++) {
        if (ns_selected(ls, fs, fakeapi__store_ns_at(st, i)->obj))
            objs[(*n)++] = fakeapi__store_ns_at(st, i)->obj;
    }
    return objs;
}

static json_t *oom_status(void)
{
    return fakeapi__status_new(500, "InternalError",
                               "Internal error occurred: out of memory");
}

/* Answer the list in the negotiated form (read lock held). */
static void ns_send_list(struct req *r, const struct fakeapi_media *m,
                         struct fakeapi_obj **objs, size_t n, struct resp *out)
{
    struct store *st = r->api->store;
    json_t *items;
    char rv[24];
    size_t i;

    if (m->form == FAKEAPI_FORM_PARTIAL_LIST) {
        fakeapi__send_partial_list(out, m->version, objs, n,
                                   fakeapi__store_rv(st), NULL, -1);
        return;
    }
    items = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(items, fakeapi__obj_tree(objs[i]));
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)fakeapi__store_rv(st));
    if (m->form == FAKEAPI_FORM_TABLE) {
        struct fakeapi_table_opts to;
        json_t *bad = fakeapi__table_opts(r, m->version, &to);

        if (bad)
            fakeapi__resp_status(out, bad);
        else
            fakeapi__resp_json(out, 200, fakeapi__ns_table(items, rv, &to));
        json_decref(items);
        return;
    }
    /* a list's items carry no kind or apiVersion (the list does) */
    for (i = 0; i < n; i++) {
        json_object_del(json_array_get(items, i), "kind");
        json_object_del(json_array_get(items, i), "apiVersion");
    }
    fakeapi__resp_json(out, 200,
                       json_pack("{s:s, s:s, s:{s:s}, s:o}", "kind",
                                 "NamespaceList", "apiVersion", "v1",
                                 "metadata", "resourceVersion", rv, "items",
                                 items));
}

/*
 * GET /api/v1/namespaces: labelSelector and fieldSelector filter as the
 * registry does (handlers/get.go ListResource parses the label selector
 * first, then the field selector through the Namespace conversion).
 */
void fakeapi__ns_list(struct req *r, struct resp *out)
{
    struct store *st = r->api->store;
    struct fakeapi_media m;
    json_t *bad = fakeapi__negotiate(r, &m);
    struct fakeapi_lsel *ls = NULL;
    struct fakeapi_fsel *fs = NULL;
    struct fakeapi_obj **objs;
    size_t n;

    if (!bad)
        bad = fakeapi__partial_misfit(&m, true, "*core.NamespaceList");
    if (!bad &&
        (fakeapi__lsel_parse(fakeapi__arg(r, "labelSelector"), &ls, &bad) ||
         fakeapi__fsel_parse_ns(fakeapi__arg(r, "fieldSelector"), &fs, &bad)))
        bad = bad ? bad : oom_status();
    if (bad) {
        fakeapi__resp_status(out, bad);
        goto out;
    }
    fakeapi__store_rdlock(st);
    objs = ns_select(st, ls, fs, &n);
    if (objs)
        ns_send_list(r, &m, objs, n, out);
    else
        fakeapi__resp_status(out, oom_status());
    fakeapi__store_unlock(st);
    free(objs);
out:
    fakeapi__lsel_free(ls);
    fakeapi__fsel_free(fs);
}

void fakeapi__ns_get(struct req *r, const char *ns, struct resp *out)
{
    struct store *st = r->api->store;
    struct fakeapi_media m;
    json_t *bad = fakeapi__negotiate(r, &m);
    struct nsent *n;

    if (!bad)
        bad = fakeapi__partial_misfit(&m, false, "*core.Namespace");
    if (bad) {
        fakeapi__resp_status(out, bad);
        return;
    }
    fakeapi__store_rdlock(st);
    n = fakeapi__store_ns(st, ns);
    if (n && m.form == FAKEAPI_FORM_PARTIAL)
        fakeapi__resp_partial(out, n->obj, m.version);
    else if (n)
        fakeapi__resp_obj(out, 200, n->obj);
    else
        fakeapi__resp_status(out, fakeapi__status_not_found("namespaces", ns));
    fakeapi__store_unlock(st);
}

/* The Namespace body: JSON, or protobuf as kubectl's typed client sends.
 * A JSON body's unknown and duplicate fields are checked as @p fv says
 * (protobuf has neither). */
static json_t *ns_body(struct req *r, enum fakeapi_fieldval fv,
                       struct resp *out, json_t **status)
{
    const char *ct = fakeapi__header(r, "Content-Type");
    json_error_t jerr;
    char gomsg[160];
    json_t *body;

    *status = NULL;
    if (fakeapi__is_protobuf(ct)) {
        body = fakeapi__protobuf_object(
            (const unsigned char *)kbuf_str(&r->body), kbuf_len(&r->body));
        if (!body)
            *status = fakeapi__status_bad_request(
                "Namespace in version \"v1\" cannot be handled as a "
                "Namespace: malformed protobuf");
        return body;
    }
    if (ct && strncmp(ct, "application/json", 16) != 0) {
        *status = fakeapi__status_new(
            415, "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted "
            "media types include: application/json, application/yaml, "
            "application/vnd.kubernetes.protobuf");
        return NULL;
    }
    if (fakeapi__json_syntax_error(kbuf_str(&r->body), kbuf_len(&r->body),
                                   gomsg, sizeof(gomsg))) {
        *status = fakeapi__status_undecodable(
            "Namespace", gomsg, kbuf_str(&r->body), kbuf_len(&r->body));
        return NULL;
    }
    body =
        fakeapi__json_loadb(kbuf_str(&r->body), kbuf_len(&r->body), 0, &jerr);
    if (!body && fakeapi__json_oom(&jerr)) {
        *status = oom_status();
        return NULL;
    }
    if (!json_is_object(body)) {
        *status = fakeapi__status_bad_request(
            "Namespace in version \"v1\" cannot be handled as a Namespace: "
            "%s",
            body ? "expected an object" : jerr.text);
        json_decref(body);
        return NULL;
    }
    *status = fakeapi__fieldval_body(&r->api->schema, fv, "Namespace",
                                     kbuf_str(&r->body), kbuf_len(&r->body),
                                     &out->warnings);
    if (*status) {
        json_decref(body);
        return NULL;
    }
    fakeapi__fieldval_prune(&r->api->schema, "Namespace", body);
    return body;
}

/* The body's kind, when it names another v1 kind: the decoder's 400
 * (runtime/serializer: the conversion to core.Namespace fails). */
static json_t *kind_mismatch(const json_t *body)
{
    const char *kind = json_string_value(json_object_get(body, "kind"));
    const char *ver = json_string_value(json_object_get(body, "apiVersion"));

    if (!kind || !*kind || strcmp(kind, "Namespace") == 0 || !ver ||
        strcmp(ver, "v1") != 0)
        return NULL;
    return fakeapi__status_bad_request(
        "%s in version \"v1\" cannot be handled as a Namespace: converting "
        "(v1.%s) to (core.Namespace): unknown conversion",
        kind, kind);
}

/* metadata.generateName: the prefix (at most 58 bytes) and 5 random
 * characters (names.SimpleNameGenerator), into @p buf. */
static const char *generate_name(struct store *st, const json_t *meta,
                                 char *buf, size_t size)
{
    const char *gen = json_string_value(json_object_get(meta, "generateName"));
    size_t n;

    if (!gen || !*gen || size < 64)
        return NULL;
    n = strlen(gen) > 58 ? 58 : strlen(gen);
    memcpy(buf, gen, n);
    fakeapi__store_random_suffix(st, buf + n, 5);
    buf[n + 5] = '\0';
    return buf;
}

void fakeapi__ns_create(struct req *r, struct resp *out)
{
    struct store *st = r->api->store;
    enum fakeapi_fieldval fv;
    /* create.go: the options are validated before the body is decoded */
    json_t *bad = fakeapi__fieldval_directive(
        fakeapi__arg(r, "fieldValidation"), "CreateOptions", &fv);
    json_t *body = bad ? NULL : ns_body(r, fv, out, &bad);
    json_t *meta = json_object_get(body, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *dry = fakeapi__arg(r, "dryRun");
    char gen[80];
    json_t *o;

    if (!bad)
        bad = kind_mismatch(body);
    fakeapi__store_wrlock(st);
    if (!bad && (!name || !*name))
        name = generate_name(st, meta, gen, sizeof(gen));
    if (!bad)
        bad = fakeapi__validate_namespace_name(name ? name : "");
    if (bad) {
        fakeapi__resp_status(out, bad);
    } else if (fakeapi__store_ns(st, name)) {
        fakeapi__resp_status(out, fakeapi__status_exists("namespaces", name));
    } else {
        bool dry_run = dry && strcmp(dry, "All") == 0;

        /* a dry run answers what would be stored, with no version */
        o = ns_object(r->api, name, body,
                      dry_run ? 0 : fakeapi__store_next_rv(st));
        if (o && dry_run)
            fakeapi__resp_json(out, 201, o);
        else if (o && fakeapi__store_put_ns(st, o) == 0)
            fakeapi__resp_obj(out, 201, fakeapi__store_ns(st, name)->obj);
        else
            fakeapi__resp_status(out, oom_status());
    }
    fakeapi__store_unlock(st);
    json_decref(body);
}

/* Stage the deletion of every pod of @p n in @p b, one DELETED event each
 * (last in key order first); 0 or -1. */
static int delete_pods(struct store_batch *b, const struct nsent *n)
{
    size_t i;
    char rv[24];

    for (i = n->pods.n; i-- > 0;) {
        json_t *last = fakeapi__obj_tree(n->pods.v[i]->obj);

        snprintf(rv, sizeof(rv), "%llu",
                 (unsigned long long)fakeapi__store_batch_next_rv(b));
        if (!last ||
            json_object_set_new(json_object_get(last, "metadata"),
                                "resourceVersion", json_string(rv)) != 0) {
            json_decref(last);
            last = NULL;
        }
        if (fakeapi__store_batch_delete(b, fakeapi__obj_new(last)) != 0)
            return -1;
    }
    return 0;
}

/* Namespace @p n marked Terminating at the next version of @p b (a new
 * tree), or NULL when out of memory. */
static json_t *terminating(const struct nsent *n, const struct store_batch *b)
{
    json_t *o = fakeapi__obj_tree(n->obj);
    json_t *meta = json_object_get(o, "metadata");
    char now[32];
    char rv[24];
    int rc = json_is_object(meta) ? 0 : -1;

    fakeapi__now(now);
    snprintf(rv, sizeof(rv), "%llu",
             (unsigned long long)fakeapi__store_batch_next_rv(b));
    if (rc == 0)
        rc = json_object_set_new(meta, "resourceVersion", json_string(rv));
    if (rc == 0)
        rc = json_object_set_new(meta, "deletionTimestamp", json_string(now));
    if (rc == 0) /* a member replaced keeps its place */
        rc = json_object_set_new(o, "metadata", meta_ordered(meta));
    if (rc == 0)
        rc = json_object_set_new(json_object_get(o, "status"), "phase",
                                 json_string("Terminating"));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/*
 * namespace/storage: a delete with the kubernetes finalizer is an update
 * to Terminating, and the namespace controller deletes the content: here
 * both in one write (write lock held), so that a failure leaves the
 * namespace and its pods as they were. 0 or -1.
 */
static int start_termination(struct api *srv, struct nsent *n)
{
    struct store_batch b;

    fakeapi__store_batch_init(&b, srv->store);
    fakeapi__store_batch_put_ns(&b, fakeapi__obj_new(terminating(n, &b)));
    delete_pods(&b, n);
    if (fakeapi__store_batch_commit(&b) != 0)
        return -1;
    n->finalize_at_ms = fakeapi__mono_ms() + NS_FINALIZE_MS;
    return 0;
}

void fakeapi__ns_delete(struct req *r, const char *ns, struct resp *out)
{
    struct store *st = r->api->store;
    struct nsent *n;
    bool wake;

    if (strcmp(ns, "default") == 0 || strcmp(ns, "kube-system") == 0 ||
        strcmp(ns, "kube-public") == 0) {
        json_t *s = fakeapi__status_new(
            403, "Forbidden",
            "namespaces \"%s\" is forbidden: this namespace may not be "
            "deleted",
            ns);

        fakeapi__status_details(s, ns, "namespaces");
        fakeapi__resp_status(out, s);
        return;
    }
    fakeapi__store_wrlock(st);
    n = fakeapi__store_ns(st, ns);
    if (!n)
        fakeapi__resp_status(out, fakeapi__status_not_found("namespaces", ns));
    else if (!n->finalize_at_ms && start_termination(r->api, n) != 0)
        fakeapi__resp_status(out, oom_status());
    else /* the answer is the object as stored: nothing left to fail */
        fakeapi__resp_obj(out, 200, n->obj);
    wake = n && n->finalize_at_ms;
    fakeapi__store_unlock(st);
    if (wake)
        r->api->wake(r->api->wake_ctx); /* the ticker finishes it */
}

/* Remove namespace @p n and whatever pods it still holds, in one write;
 * 0 or -1. */
static int finalize(struct store *st, const struct nsent *n)
{
    struct store_batch b;

    fakeapi__store_batch_init(&b, st);
    delete_pods(&b, n);
    fakeapi__store_batch_delete_ns(&b, n->obj->name);
    return fakeapi__store_batch_commit(&b);
}

uint64_t fakeapi__ns_finalize(struct api *srv, uint64_t now)
{
    struct store *st = srv->store;
    uint64_t next = UINT64_MAX;
    size_t i;

    fakeapi__store_wrlock(st);
    for (i = 0; i < fakeapi__store_ns_count(st);) {
        struct nsent *n = fakeapi__store_ns_at(st, i);
        uint64_t due = n->finalize_at_ms;

        /* on success n is freed: fakeapi__store_ns_at(st, i) is the next
         * one now; a failure (out of memory) is tried again later */
        if (due && due <= now && finalize(st, n) == 0)
            continue;
        if (due && due <= now)
            due = now + NS_FINALIZE_MS;
        if (due && due < next)
            next = due;
        i++;
    }
    fakeapi__store_unlock(st);
    return next;
}
