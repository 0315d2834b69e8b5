/*
 * namespaces: create, get, list, delete (k8s-api.md §13). A deletion
 * removes the namespace's pods and the namespace at once (a real cluster
 * does it asynchronously; clients wait for the 404 either way).
 */
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "fieldval.h"
#include "handlers.h"
#include "pod.h"
#include "protobuf.h"
#include "selector.h"
#include "status.h"
#include "validate.h"

static json_t *ns_object(struct fakeapi *srv, const char *name, json_t *labels)
{
    char uid[37];
    char now[32];
    char rv[24];
    json_t *o;

    fakeapi__store_uuid(&srv->store, uid);
    fakeapi__now(now);
    snprintf(rv, sizeof(rv), "%llu",
             (unsigned long long)fakeapi__store_next_rv(&srv->store));
    if (!labels)
        labels = json_object();
    json_object_set_new(labels, "kubernetes.io/metadata.name",
                        json_string(name));
    o = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:o}, s:{s:[s]}, "
                  "s:{s:s}}",
                  "kind", "Namespace", "apiVersion", "v1", "metadata", "name",
                  name, "uid", uid, "resourceVersion", rv, "creationTimestamp",
                  now, "labels", labels, "spec", "finalizers", "kubernetes",
                  "status", "phase", "Active");
    return o;
}

int fakeapi__ns_ensure(struct fakeapi *srv, const char *name)
{
    json_t *o;

    if (fakeapi__store_ns(&srv->store, name))
        return 0;
    o = ns_object(srv, name, NULL);
    return o ? fakeapi__store_put_ns(&srv->store, o) : -1;
}

int fakeapi__init_namespaces(struct fakeapi *srv)
{
    static const char *const initial[] = {"default", "kube-system",
                                          "kube-public", "kube-node-lease"};
    size_t i;

    for (i = 0; i < sizeof(initial) / sizeof(initial[0]); i++)
        if (fakeapi__ns_ensure(srv, initial[i]) != 0)
            return -1;
    return 0;
}

json_t *fakeapi__ns_required(struct fakeapi *srv, const char *ns)
{
    if (fakeapi__store_ns(&srv->store, ns))
        return NULL;
    return fakeapi__status_not_found("namespaces", ns);
}

/* The namespace Table kubectl prints: NAME, STATUS, AGE. */
static json_t *ns_table(json_t *items, const char *rv, const char *version)
{
    json_t *rows = json_array();
    json_t *ns;
    size_t i;
    time_t now = time(NULL);

    json_array_foreach(items, i, ns)
    {
        json_t *meta = json_object_get(ns, "metadata");
        const char *created =
            json_string_value(json_object_get(meta, "creationTimestamp"));
        time_t t = now;
        char age[32];

        if (created)
            fakeapi__time_parse(created, &t);
        fakeapi__pod_human_duration((long long)(now - t), age, sizeof(age));
        json_array_append_new(
            rows,
            json_pack("{s:[O, O, s], s:{s:s, s:s, s:O}}", "cells",
                      json_object_get(meta, "name"),
                      json_object_get(json_object_get(ns, "status"), "phase"),
                      age, "object", "kind", "PartialObjectMetadata",
                      "apiVersion", "meta.k8s.io/v1", "metadata", meta));
    }
    json_t *t = json_pack(
        "{s:s, s:s, s:{s:s}, s:[{s:s, s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, "
        "s:s, s:i}, {s:s, s:s, s:s, s:s, s:i}], s:o}",
        "kind", "Table", "apiVersion", "meta.k8s.io/v1", "metadata",
        "resourceVersion", rv, "columnDefinitions", "name", "Name", "type",
        "string", "format", "name", "description",
        "Name must be unique within a namespace.", "priority", 0, "name",
        "Status", "type", "string", "format", "", "description",
        "The status of the namespace", "priority", 0, "name", "Age", "type",
        "string", "format", "", "description",
        "CreationTimestamp is a timestamp representing the server time when "
        "this object was created.",
        "priority", 0, "rows", rows);

    if (t)
        json_object_set_new(t, "apiVersion",
                            json_sprintf("meta.k8s.io/%s", version));
    return t;
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
    struct fakeapi_obj **objs = calloc(st->nns ? st->nns : 1, sizeof(*objs));
    size_t i;

    *n = 0;
    for (i = 0; objs && i < st->nns; i++) {
        if (ns_selected(ls, fs, st->nsv[i]->obj))
            objs[(*n)++] = st->nsv[i]->obj;
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
    struct store *st = &r->srv->store;
    json_t *items;
    char rv[24];
    size_t i;

    if (m->form == FAKEAPI_FORM_PARTIAL_LIST) {
        fakeapi__send_partial_list(out, m->version, objs, n, st->rv, NULL, -1);
        return;
    }
    items = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(items, fakeapi__obj_tree(objs[i]));
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)st->rv);
    if (m->form == FAKEAPI_FORM_TABLE) {
        json_t *t = ns_table(items, rv, m->version);

        json_decref(items);
        fakeapi__resp_json(out, 200, t);
        return;
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
    struct store *st = &r->srv->store;
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
    struct store *st = &r->srv->store;
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
    body = json_loadb(kbuf_str(&r->body), kbuf_len(&r->body), 0, &jerr);
    if (!json_is_object(body)) {
        *status = fakeapi__status_bad_request(
            "Namespace in version \"v1\" cannot be handled as a Namespace: "
            "%s",
            body ? "expected an object" : jerr.text);
        json_decref(body);
        return NULL;
    }
    *status = fakeapi__fieldval_body(
        r->srv, fv, "Namespace", kbuf_str(&r->body), kbuf_len(&r->body), out);
    if (*status) {
        json_decref(body);
        return NULL;
    }
    fakeapi__fieldval_prune(r->srv, "Namespace", body);
    return body;
}

void fakeapi__ns_create(struct req *r, struct resp *out)
{
    struct store *st = &r->srv->store;
    enum fakeapi_fieldval fv;
    /* create.go: the options are validated before the body is decoded */
    json_t *bad = fakeapi__fieldval_directive(r, "CreateOptions", &fv);
    json_t *body = bad ? NULL : ns_body(r, fv, out, &bad);
    json_t *meta = json_object_get(body, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    json_t *labels = json_object_get(meta, "labels");
    json_t *o;

    if (!bad)
        bad = fakeapi__validate_namespace_name(name ? name : "");
    if (bad) {
        fakeapi__resp_status(out, bad);
        json_decref(body);
        return;
    }
    fakeapi__store_wrlock(st);
    if (fakeapi__store_ns(st, name)) {
        fakeapi__resp_status(out, fakeapi__status_exists("namespaces", name));
    } else {
        o = ns_object(r->srv, name,
                      json_is_object(labels) ? json_deep_copy(labels) : NULL);
        if (o && fakeapi__store_put_ns(st, json_incref(o)) == 0)
            fakeapi__resp_json(out, 201, o);
        else
            fakeapi__resp_status(
                out, fakeapi__status_new(500, "InternalError",
                                         "Internal error occurred: out of "
                                         "memory"));
    }
    fakeapi__store_unlock(st);
    json_decref(body);
}

/* Delete every pod of @p n (write lock held), one DELETED event each. */
static void delete_pods(struct fakeapi *srv, struct nsent *n)
{
    char rv[24];

    while (n->pods.n > 0) {
        struct fakeapi_obj *o = n->pods.v[n->pods.n - 1]->obj;
        json_t *last = fakeapi__obj_tree(o);

        if (!last)
            return;
        snprintf(rv, sizeof(rv), "%llu",
                 (unsigned long long)fakeapi__store_next_rv(&srv->store));
        json_object_set_new(json_object_get(last, "metadata"),
                            "resourceVersion", json_string(rv));
        if (fakeapi__store_delete_pod(&srv->store, last) != 0)
            return;
    }
}

void fakeapi__ns_delete(struct req *r, const char *ns, struct resp *out)
{
    struct store *st = &r->srv->store;
    struct nsent *n;
    json_t *o;
    char now[32];

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
    if (!n) {
        fakeapi__store_unlock(st);
        fakeapi__resp_status(out, fakeapi__status_not_found("namespaces", ns));
        return;
    }
    o = fakeapi__obj_tree(n->obj);
    fakeapi__now(now);
    json_object_set_new(json_object_get(o, "metadata"), "deletionTimestamp",
                        json_string(now));
    json_object_set_new(json_object_get(o, "status"), "phase",
                        json_string("Terminating"));
    delete_pods(r->srv, n);
    fakeapi__store_delete_ns(st, ns);
    fakeapi__store_unlock(st);
    fakeapi__resp_json(out, 200, o);
}
