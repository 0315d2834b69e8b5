/*
 * list: pod collections: list (pagination, Table form), watch, and
 * deletecollection (k8s-api.md §7, §9).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "handlers.h"
#include "knum.h"
#include "pod.h"
#include "selector.h"
#include "status.h"
#include "watch.h"

/* Parsed list/watch query. */
struct listopts {
    struct fakeapi_lsel *ls;
    struct fakeapi_fsel *fs;
    int64_t limit;
    const char *cont;
    char *after; /* decoded continue key (owned) */
    bool has_rv; /* resourceVersion given and not "0" */
    uint64_t rv;
    int64_t timeout_s;
    struct fakeapi_media media;
};

static void listopts_release(struct listopts *o)
{
    fakeapi__lsel_free(o->ls);
    fakeapi__fsel_free(o->fs);
    free(o->after);
}

/* The value of parameter @p name in a media range's parameters @p params
 * (";a=b;c=d", spaces allowed around ';'), copied to @p out. */
static bool range_param(const char *params, const char *name, char *out,
                        size_t size)
{
    size_t n = strlen(name);
    const char *p = params;

    while ((p = strchr(p, ';')) != NULL) {
        const char *end;

        p++;
        while (*p == ' ')
            p++;
        end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            size_t len = (size_t)(end - p) - n - 1;

            while (len > 0 && p[n + 1 + len - 1] == ' ')
                len--;
            snprintf(out, size, "%.*s", (int)len, p + n + 1);
            return true;
        }
        p = end;
    }
    return false;
}

/* A meta.k8s.io version the server serves for the transformed forms. */
static const char *meta_version(const char *range)
{
    char g[32];
    char v[32];

    if (!range_param(range, "g", g, sizeof(g)) ||
        strcmp(g, "meta.k8s.io") != 0 || !range_param(range, "v", v, sizeof(v)))
        return NULL;
    return strcmp(v, "v1") == 0        ? "v1"
           : strcmp(v, "v1beta1") == 0 ? "v1beta1"
                                       : NULL;
}

json_t *fakeapi__negotiate(const struct req *r, struct fakeapi_media *m)
{
    const char *acc = fakeapi__header(r, "Accept");
    const char *part = acc;

    m->form = FAKEAPI_FORM_JSON;
    m->version = "v1";
    if (!acc || !*acc)
        return NULL;
    /* media ranges in order; the first one we serve wins */
    while (part && *part) {
        const char *end = strchr(part, ',');
        size_t len = end ? (size_t)(end - part) : strlen(part);
        char range[256];
        char as[64];

        while (len > 0 && *part == ' ') {
            part++;
            len--;
        }
        snprintf(range, sizeof(range), "%.*s", (int)len, part);
        if (range_param(range, "as", as, sizeof(as)) &&
            (strcmp(as, "PartialObjectMetadata") == 0 ||
             strcmp(as, "PartialObjectMetadataList") == 0)) {
            /* served only for meta.k8s.io v1 and v1beta1 */
            m->version = meta_version(range);
            if (m->version) {
                m->form = strcmp(as, "PartialObjectMetadata") == 0
                              ? FAKEAPI_FORM_PARTIAL
                              : FAKEAPI_FORM_PARTIAL_LIST;
                return NULL;
            }
        } else if (strstr(range, "as=Table") &&
                   strstr(range, "g=meta.k8s.io")) {
            m->form = FAKEAPI_FORM_TABLE;
            m->version = strstr(range, "v=v1beta1") ? "v1beta1" : "v1";
            return NULL;
        } else if (strncmp(range, "application/json", 16) == 0 ||
                   strncmp(range, "*/*", 3) == 0 ||
                   strncmp(range, "application/*", 13) == 0) {
            m->version = "v1";
            return NULL;
        }
        part = end ? end + 1 : NULL;
    }
    m->form = FAKEAPI_FORM_JSON;
    m->version = "v1";
    return fakeapi__status_new(406, "NotAcceptable",
                               "only the following media types are accepted: "
                               "application/json, application/yaml, "
                               "application/vnd.kubernetes.protobuf");
}

/* handlers/response.go, asPartialObjectMetadata(List) */
json_t *fakeapi__partial_misfit(const struct fakeapi_media *m, bool list,
                                const char *type)
{
    char msg[160];

    if (m->form == FAKEAPI_FORM_PARTIAL && list)
        snprintf(msg, sizeof(msg),
                 "you requested PartialObjectMetadata, but the requested "
                 "object is a list (%s)",
                 type);
    else if (m->form == FAKEAPI_FORM_PARTIAL_LIST && !list)
        snprintf(msg, sizeof(msg),
                 "you requested PartialObjectMetadataList, but the requested "
                 "object is not a list (%s)",
                 type);
    else
        return NULL;
    return fakeapi__status_new(406, "NotAcceptable", "%s", msg);
}

void fakeapi__send_partial_list(struct resp *out, const char *version,
                                struct fakeapi_obj *const *objs, size_t n,
                                uint64_t rv, const char *cont,
                                long long remaining)
{
    struct kbuf b;
    size_t total = 0;
    size_t i;
    int rc;

    kbuf_init(&b, (size_t)1 << 34);
    for (i = 0; i < n; i++)
        total += objs[i]->meta_len + 80;
    kbuf_reserve(&b, total + 256 + (cont ? strlen(cont) : 0));
    rc = kbuf_addf(&b,
                   "{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":"
                   "\"meta.k8s.io/%s\",\"metadata\":{\"resourceVersion\":"
                   "\"%llu\"",
                   version, (unsigned long long)rv);
    if (rc == KBUF_OK && cont)
        rc = kbuf_addf(&b, ",\"continue\":\"%s\"", cont);
    if (rc == KBUF_OK && remaining >= 0)
        rc = kbuf_addf(&b, ",\"remainingItemCount\":%lld", remaining);
    /* kube-apiserver writes an empty PartialObjectMetadataList's items as
     * Go's nil slice: null (a PodList's as []) */
    if (rc == KBUF_OK)
        rc = kbuf_adds(&b, n ? "},\"items\":[" : "},\"items\":null}");
    for (i = 0; rc == KBUF_OK && i < n; i++) {
        if (i > 0)
            rc = kbuf_addc(&b, ',');
        if (rc == KBUF_OK)
            rc = fakeapi__obj_partial(objs[i], version, &b);
    }
    if (rc == KBUF_OK && n)
        rc = kbuf_adds(&b, "]}");
    if (rc != KBUF_OK) {
        fakeapi__resp_status(
            out, fakeapi__status_new(500, "InternalError",
                                     "Internal error occurred: out of "
                                     "memory"));
        return;
    }
    out->status = 200;
    out->body = kbuf_detach(&b, &out->len);
}

/* Continue tokens: base64url("<rv>:<last key>"), opaque and URL-safe. */
static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *encode_continue(uint64_t rv, const char *key)
{
    struct kbuf raw;
    struct kbuf out;
    const unsigned char *p;
    size_t i;
    size_t n;

    kbuf_init(&raw, 4096);
    kbuf_init(&out, 8192);
    kbuf_addf(&raw, "%llu:%s", (unsigned long long)rv, key);
    p = (const unsigned char *)kbuf_str(&raw);
    n = kbuf_len(&raw);
    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;

        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        kbuf_addc(&out, b64[(v >> 18) & 63]);
        kbuf_addc(&out, b64[(v >> 12) & 63]);
        if (i + 1 < n)
            kbuf_addc(&out, b64[(v >> 6) & 63]);
        if (i + 2 < n)
            kbuf_addc(&out, b64[v & 63]);
    }
    kbuf_release(&raw);
    return kbuf_detach(&out, NULL);
}

static char *decode_continue(const char *tok)
{
    struct kbuf out;
    unsigned v = 0;
    int bits = 0;
    const char *p;
    char *s;
    char *colon;
    uint64_t rv;

    kbuf_init(&out, 8192);
    for (p = tok; *p; p++) {
        const char *c = strchr(b64, *p);

        if (!c || *p == '\0') {
            kbuf_release(&out);
            return NULL;
        }
        v = (v << 6) | (unsigned)(c - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            kbuf_addc(&out, (char)((v >> bits) & 0xFF));
        }
    }
    s = kbuf_detach(&out, NULL);
    colon = s ? strchr(s, ':') : NULL;
    if (!colon || !knum_parse_u64(s, (size_t)(colon - s), &rv) || !colon[1]) {
        free(s);
        return NULL;
    }
    memmove(s, colon + 1, strlen(colon + 1) + 1);
    return s;
}

static json_t *parse_int(const struct req *r, const char *name, int64_t *out)
{
    const char *v = fakeapi__arg(r, name);

    *out = 0;
    if (!v || !*v)
        return NULL;
    if (!knum_i64(v, out))
        return fakeapi__status_bad_request("invalid value for %s: %s", name, v);
    return NULL;
}

static json_t *invalid_listopts(const char *field, const char *body)
{
    struct fakeapi_field_errors fe;
    json_t *st;

    fakeapi__field_errors_init(&fe);
    fakeapi__field_error(&fe, "FieldValueInvalid", field, "%s", body);
    st = fakeapi__status_invalid("ListOptions", "", &fe);
    /* status_invalid leaves a fresh empty array in fe: release it (found
     * by fuzz_http_request, a leak per request) */
    fakeapi__field_errors_release(&fe);
    return st;
}

static json_t *parse_listopts(const struct req *r, bool watch,
                              struct listopts *o)
{
    const char *rv = fakeapi__arg(r, "resourceVersion");
    const char *match = fakeapi__arg(r, "resourceVersionMatch");
    json_t *st = NULL;

    memset(o, 0, sizeof(*o));
    if (fakeapi__lsel_parse(fakeapi__arg(r, "labelSelector"), &o->ls, &st) ||
        fakeapi__fsel_parse(fakeapi__arg(r, "fieldSelector"), &o->fs, &st))
        return st ? st
                  : fakeapi__status_new(500, "InternalError",
                                        "Internal error occurred: out of "
                                        "memory");
    if ((st = parse_int(r, "limit", &o->limit)) ||
        (st = parse_int(r, "timeoutSeconds", &o->timeout_s)))
        return st;
    if (watch) {
        st = fakeapi__watch_check(rv, match,
                                  fakeapi__arg(r, "sendInitialEvents"),
                                  fakeapi__arg(r, "continue"));
        if (st)
            return st;
    }
    if (rv && *rv && strcmp(rv, "0") != 0) {
        if (!knum_u64(rv, &o->rv))
            return invalid_listopts("resourceVersion",
                                    "Invalid value: \"...\": must be a "
                                    "non-negative integer");
        o->has_rv = true;
    }
    if (!watch && fakeapi__arg_bool(r, "sendInitialEvents"))
        return invalid_listopts("sendInitialEvents",
                                "Forbidden: sendInitialEvents is forbidden "
                                "for watch unless the WatchList feature gate "
                                "is enabled");
    if (!watch && match && *match && (!rv || !*rv))
        return invalid_listopts("resourceVersionMatch",
                                "Forbidden: resourceVersionMatch is forbidden "
                                "unless resourceVersion is provided");
    o->cont = fakeapi__arg(r, "continue");
    if (o->cont && *o->cont && !watch) {
        if (o->has_rv)
            return fakeapi__status_bad_request(
                "specifying resource version is not allowed when using "
                "continue");
        o->after = decode_continue(o->cont);
        if (!o->after)
            return fakeapi__status_bad_request(
                "invalid continue token: continue key is not valid");
    }
    return fakeapi__negotiate(r, &o->media);
}

/* PodList (or Table) text for @p ov. */
static void send_list(struct req *r, const struct listopts *o,
                      struct objvec *ov, uint64_t rv, const char *cont,
                      long long remaining, struct resp *out)
{
    struct kbuf b;
    size_t total = 0;
    size_t i;

    (void)r;
    if (o->media.form == FAKEAPI_FORM_PARTIAL_LIST) {
        fakeapi__send_partial_list(out, o->media.version, ov->v, ov->n, rv,
                                   cont, remaining);
        return;
    }
    if (o->media.form == FAKEAPI_FORM_TABLE) {
        json_t *arr = json_array();
        json_t *t;
        char rvs[24];

        for (i = 0; i < ov->n; i++)
            json_array_append_new(arr, fakeapi__obj_tree(ov->v[i]));
        snprintf(rvs, sizeof(rvs), "%llu", (unsigned long long)rv);
        t = fakeapi__pod_table(arr, rvs, cont, time(NULL), true);
        json_decref(arr);
        if (t)
            json_object_set_new(
                t, "apiVersion",
                json_sprintf("meta.k8s.io/%s", o->media.version));
        fakeapi__resp_json(out, 200, t);
        return;
    }
    kbuf_init(&b, (size_t)1 << 34);
    for (i = 0; i < ov->n; i++)
        total += ov->v[i]->len + 1;
    /* one allocation: the items, and room for the envelope */
    kbuf_reserve(&b, total + 256 + (cont ? strlen(cont) : 0));
    kbuf_addf(&b,
              "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{"
              "\"resourceVersion\":\"%llu\"",
              (unsigned long long)rv);
    if (cont)
        kbuf_addf(&b, ",\"continue\":\"%s\"", cont);
    if (remaining >= 0)
        kbuf_addf(&b, ",\"remainingItemCount\":%lld", remaining);
    kbuf_adds(&b, "},\"items\":[");
    for (i = 0; i < ov->n; i++) {
        if (i > 0)
            kbuf_addc(&b, ',');
        kbuf_add(&b, ov->v[i]->bytes, ov->v[i]->len);
    }
    kbuf_adds(&b, "]}");
    out->status = 200;
    out->body = kbuf_detach(&b, &out->len);
}

static void do_list(struct req *r, const char *ns, struct listopts *o,
                    struct resp *out)
{
    struct store *st = &r->srv->store;
    struct objvec ov;
    bool more = false;
    uint64_t rv;
    char *cont = NULL;
    long long remaining = -1;
    int rc;

    fakeapi__objvec_init(&ov);
    fakeapi__store_rdlock(st);
    if (fakeapi__store_needs_sort(st)) {
        fakeapi__store_unlock(st);
        fakeapi__store_wrlock(st);
        fakeapi__store_sort(st);
    }
    rc = fakeapi__store_list(st, ns, o->ls, o->fs, o->after,
                             o->limit > 0 ? (size_t)o->limit : 0, &ov, &more);
    rv = st->rv;
    if (rc == 0 && more && ov.n > 0) {
        cont = encode_continue(rv, ov.v[ov.n - 1]->key);
        /* k8s-api.md §7: only without selectors */
        if (fakeapi__lsel_is_empty(o->ls) && fakeapi__fsel_is_empty(o->fs))
            remaining = (long long)fakeapi__store_count_after(
                st, ns, ov.v[ov.n - 1]->key);
    }
    fakeapi__store_unlock(st);
    if (rc != 0)
        fakeapi__resp_status(
            out, fakeapi__status_new(500, "InternalError",
                                     "Internal error occurred: out of "
                                     "memory"));
    else
        send_list(r, o, &ov, rv, cont, remaining, out);
    free(cont);
    fakeapi__objvec_release(&ov);
}

static void do_watch(struct req *r, const char *ns, struct listopts *o,
                     struct resp *out)
{
    struct watch_params p;
    json_t *status = NULL;

    memset(&p, 0, sizeof(p));
    p.ns = ns;
    p.ls = o->ls;
    p.fs = o->fs;
    o->ls = NULL;
    o->fs = NULL;
    p.bookmarks = fakeapi__arg_bool(r, "allowWatchBookmarks");
    p.table = o->media.form == FAKEAPI_FORM_TABLE;
    p.partial = o->media.form == FAKEAPI_FORM_PARTIAL;
    p.table_version = o->media.version;
    p.timeout_s = o->timeout_s;
    p.initial = fakeapi__watch_initial(fakeapi__arg(r, "resourceVersion"),
                                       fakeapi__arg(r, "resourceVersionMatch"),
                                       fakeapi__arg(r, "sendInitialEvents"));
    p.has_rv = o->has_rv;
    p.rv = o->rv;
    out->stream = fakeapi__watch_start(r->srv, r->conn, &p, &status);
    fakeapi__lsel_free(p.ls);
    fakeapi__fsel_free(p.fs);
    if (out->stream)
        out->status = 200;
    else
        fakeapi__resp_status(out, status);
}

void fakeapi__pods_list(struct req *r, const char *ns, bool watch,
                        struct resp *out)
{
    struct listopts o;
    json_t *status = parse_listopts(r, watch, &o);

    /* a watch sends objects one by one; a list is one object (a real
     * server fails a watch only at its first event: here at once) */
    if (!status)
        status = watch
                     ? fakeapi__partial_misfit(&o.media, false, "*core.Pod")
                     : fakeapi__partial_misfit(&o.media, true, "*core.PodList");
    if (status)
        fakeapi__resp_status(out, status);
    else if (watch)
        do_watch(r, ns, &o, out);
    else
        do_list(r, ns, &o, out);
    listopts_release(&o);
}

/*
 * A watch on one pod (/api/v1/watch/namespaces/{ns}/pods/{name}): as
 * handlers/get.go ListResource, the collection's watch through the field
 * selector metadata.name=<name>; a selector given must require that name.
 */
void fakeapi__pods_watch_named(struct req *r, const char *ns, const char *name,
                               struct resp *out)
{
    struct listopts o;
    json_t *status = parse_listopts(r, true, &o);
    const char *sel;
    char text[300];

    if (!status)
        status = fakeapi__partial_misfit(&o.media, false, "*core.Pod");
    if (!status && fakeapi__fsel_is_empty(o.fs)) {
        fakeapi__fsel_free(o.fs);
        o.fs = NULL;
        snprintf(text, sizeof(text), "metadata.name=%s", name);
        if (fakeapi__fsel_parse(text, &o.fs, &status) != 0 && !status)
            status = fakeapi__status_new(500, "InternalError",
                                         "Internal error occurred: out of "
                                         "memory");
    } else if (!status) {
        sel = fakeapi__fsel_exact(o.fs, "metadata.name");
        if (!sel || strcmp(sel, name) != 0)
            status = fakeapi__status_bad_request(
                "fieldSelector metadata.name doesn't match requested name");
    }
    if (status)
        fakeapi__resp_status(out, status);
    else
        do_watch(r, ns, &o, out);
    listopts_release(&o);
}

void fakeapi__pods_delete_collection(struct req *r, const char *ns,
                                     struct resp *out)
{
    struct store *st = &r->srv->store;
    struct listopts o;
    json_t *status = parse_listopts(r, false, &o);
    struct objvec ov;
    bool more;
    json_t *items;
    size_t i;
    const int64_t zero = 0;

    if (status) {
        fakeapi__resp_status(out, status);
        listopts_release(&o);
        return;
    }
    fakeapi__objvec_init(&ov);
    items = json_array();
    fakeapi__store_wrlock(st);
    if (fakeapi__store_needs_sort(st))
        fakeapi__store_sort(st);
    if (fakeapi__store_list(st, ns, o.ls, o.fs, NULL, 0, &ov, &more) == 0) {
        for (i = 0; i < ov.n; i++) {
            struct fakeapi_obj *cur =
                fakeapi__store_pod(st, ov.v[i]->ns, ov.v[i]->name);

            if (cur)
                json_array_append_new(items,
                                      fakeapi__pod_remove(r->srv, cur, &zero));
        }
    }
    fakeapi__resp_json(out, 200,
                       json_pack("{s:s, s:s, s:{s:s%}, s:o}", "kind", "PodList",
                                 "apiVersion", "v1", "metadata",
                                 "resourceVersion", "", (size_t)0, "items",
                                 items));
    fakeapi__store_unlock(st);
    fakeapi__objvec_release(&ov);
    listopts_release(&o);
}
