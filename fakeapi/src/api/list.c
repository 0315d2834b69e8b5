/*
 * list: pod collections: list (pagination, Table form), watch, and
 * deletecollection (docs/kubernetes-api.md, Lists, Watch, Tables).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/handlers.h"
#include "base/jsondump.h"
#include "base/status.h"
#include "knum.h"
#include "pod/pod.h"
#include "pod/pod_write.h"
#include "select/selector.h"

/* Parsed list/watch query. */
struct listopts {
    struct fakeapi_lsel *ls;
    struct fakeapi_fsel *fs;
    int64_t limit;
    const char *cont;
    char *after;  /* decoded continue key (owned) */
    bool has_rv;  /* resourceVersion given and not "0" */
    bool rv_zero; /* resourceVersion "0": any, from the cache */
    uint64_t rv;
    int64_t cont_rv; /* the continue token's rv (-1: the latest) */
    int64_t timeout_s;
    struct fakeapi_media media;
};

static void listopts_release(struct listopts *o)
{
    fakeapi__lsel_free(o->ls);
    fakeapi__fsel_free(o->fs);
    free(o->after);
}

/*
 * Continue tokens as storage/continue.go EncodeContinue writes them:
 * base64.RawURLEncoding of {"v":"meta.k8s.io/v1","rv":N,"start":"K\0"},
 * K the last key relative to the list's key prefix (the pod name in a
 * namespace, "ns/name" across namespaces).
 */
static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *encode_continue(int64_t rv, const char *ns, const char *key)
{
    struct kbuf out;
    const char *start = key;
    json_t *tok;
    char *raw;
    const unsigned char *p;
    size_t i;
    size_t n;
    size_t klen;
    char *skey;

    if (ns && strncmp(key, ns, strlen(ns)) == 0 && key[strlen(ns)] == '/')
        start = key + strlen(ns) + 1;
    klen = strlen(start);
    skey = malloc(klen + 1);
    if (!skey)
        return NULL;
    memcpy(skey, start, klen);
    skey[klen] = '\0';
    tok = json_pack("{s:s, s:I, s:s%}", "v", "meta.k8s.io/v1", "rv",
                    (json_int_t)rv, "start", skey, klen + 1);
    free(skey);
    raw = tok ? json_dumps(tok, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(tok);
    if (!raw)
        return NULL;
    kbuf_init(&out, 16384);
    p = (const unsigned char *)raw;
    n = strlen(raw);
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
    free(raw);
    return kbuf_detach(&out, NULL);
}

/* base64.RawURLEncoding.DecodeString: the bytes into @p out, or the index
 * of the first illegal input byte (Go's CorruptInputError) in @p bad. */
static bool b64_decode(const char *tok, struct kbuf *out, size_t *bad)
{
    unsigned v = 0;
    int bits = 0;
    size_t i;
    size_t quantum = 0;

    for (i = 0; tok[i]; i++) {
        const char *c = strchr(b64, tok[i]);

        if (tok[i] == '\r' || tok[i] == '\n')
            continue;
        if (!c) {
            *bad = i;
            return false;
        }
        v = (v << 6) | (unsigned)(c - b64);
        bits += 6;
        quantum = (quantum + 1) % 4;
        if (bits >= 8) {
            bits -= 8;
            kbuf_addc(out, (char)((v >> bits) & 0xFF));
        }
    }
    if (quantum == 1) { /* one character cannot hold a byte */
        *bad = i - 1;
        return false;
    }
    return true;
}

/* "ns/start" (or "start" across namespaces), a new string or NULL. */
static char *join_key(const char *ns, const char *start, size_t slen)
{
    size_t nlen = ns ? strlen(ns) + 1 : 0;
    char *k = malloc(nlen + slen + 1);

    if (!k)
        return NULL;
    if (ns) {
        memcpy(k, ns, nlen - 1);
        k[nlen - 1] = '/';
    }
    memcpy(k + nlen, start, slen);
    k[nlen + slen] = '\0';
    return k;
}

/* The key after which the list continues ("ns/name" or "name"), and its
 * resourceVersion, from @p tok; or a 400 Status (storage/continue.go
 * DecodeContinue, wrapped as handlers/get.go words it). */
static json_t *decode_continue(const char *tok, const char *ns, char **after,
                               int64_t *rv)
{
    static const char pre[] =
        "invalid continue token: continue key is not valid: ";
    struct kbuf raw;
    json_error_t jerr;
    json_t *j = NULL;
    json_t *st = NULL;
    const char *v;
    const char *start;
    size_t slen;
    size_t bad;

    kbuf_init(&raw, 16384);
    if (!b64_decode(tok, &raw, &bad)) {
        st = fakeapi__status_bad_request("%sillegal base64 data at input "
                                         "byte %zu",
                                         pre, bad);
        goto out;
    }
    j = json_loadb(kbuf_str(&raw), kbuf_len(&raw), JSON_ALLOW_NUL, &jerr);
    if (!json_is_object(j)) {
        st = fakeapi__status_bad_request("%s%s", pre,
                                         j ? "json: cannot unmarshal into Go "
                                             "value of type "
                                             "storage.continueToken"
                                           : jerr.text);
        goto out;
    }
    v = json_string_value(json_object_get(j, "v"));
    if (!v || strcmp(v, "meta.k8s.io/v1") != 0) {
        st = fakeapi__status_bad_request("%sserver does not recognize this "
                                         "encoded version %s",
                                         pre, v ? v : "");
        goto out;
    }
    *rv = json_integer_value(json_object_get(j, "rv"));
    start = json_string_value(json_object_get(j, "start"));
    slen = json_string_length(json_object_get(j, "start"));
    if (*rv == 0) {
        st = fakeapi__status_bad_request("%sincorrect encoded start "
                                         "resourceVersion (version "
                                         "meta.k8s.io/v1)",
                                         pre);
        goto out;
    }
    if (!start || slen == 0) {
        st = fakeapi__status_bad_request("%sencoded start key empty "
                                         "(version meta.k8s.io/v1)",
                                         pre);
        goto out;
    }
    /* path.Clean must leave "/" + start as it is (no traversal) */
    if (start[0] == '/' || strstr(start, "//") || strstr(start, "/./") ||
        strstr(start, "/../") || strncmp(start, "./", 2) == 0 ||
        strncmp(start, "../", 3) == 0 || strcmp(start, ".") == 0 ||
        strcmp(start, "..") == 0 ||
        (slen >= 3 && strcmp(start + slen - 3, "/..") == 0) ||
        (slen >= 2 && strcmp(start + slen - 2, "/.") == 0) ||
        start[slen - 1] == '/') {
        st = fakeapi__status_bad_request("%s%s", pre, start);
        goto out;
    }
    /* "K\0" starts right after K */
    if (start[slen - 1] == '\0')
        slen--;
    *after = join_key(ns, start, slen);
    if (!*after)
        st = fakeapi__status_new(500, "InternalError",
                                 "Internal error occurred: out of memory");
out:
    json_decref(j);
    kbuf_release(&raw);
    return st;
}

/* strconv's reason for refusing @p s: "invalid syntax" or "value out of
 * range" (a well-formed number too large). */
static const char *num_err(const char *s, bool is_signed)
{
    const char *p = s;

    if (is_signed && (*p == '+' || *p == '-'))
        p++;
    if (!*p)
        return "invalid syntax";
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return "invalid syntax";
    return "value out of range";
}

/* meta/internalversion ListOptions decoding: strconv.ParseInt's error,
 * a 400 with the error's text alone. */
static json_t *parse_int(const struct req *r, const char *name, int64_t *out)
{
    const char *v = fakeapi__arg(r, name);
    char q[256];

    *out = 0;
    if (!v || !*v)
        return NULL;
    if (!knum_i64(v, out)) {
        fakeapi__quote(q, sizeof(q), v);
        return fakeapi__status_bad_request("strconv.ParseInt: parsing %s: %s",
                                           q, num_err(v, true));
    }
    return NULL;
}

/* A 422 for ListOptions' field errors in @p fe (released), named as
 * validation.ValidateListOptions' caller does: ListOptions.meta.k8s.io. */
static json_t *invalid_listopts(struct fakeapi_field_errors *fe)
{
    json_t *st = fakeapi__status_invalid("ListOptions.meta.k8s.io", "", fe);
    json_t *d = json_object_get(st, "details");

    if (d) {
        json_t *nd =
            json_pack("{s:s, s:s, s:O}", "group", "meta.k8s.io", "kind",
                      "ListOptions", "causes", json_object_get(d, "causes"));

        if (nd)
            json_object_set_new(st, "details", nd);
        /* keep code last */
        json_object_set_new(st, "code", json_integer(422));
    }
    fakeapi__field_errors_release(fe);
    return st;
}

/* metainternalversion/validation ValidateListOptions (a list, not a
 * watch). */
static json_t *validate_list(const char *rv, const char *match,
                             const char *cont, bool initial)
{
    struct fakeapi_field_errors fe;
    const char *f = "resourceVersionMatch";

    fakeapi__field_errors_init(&fe);
    if (match && *match) {
        if (!rv || !*rv)
            fakeapi__field_error(&fe, "FieldValueForbidden", f,
                                 "Forbidden: resourceVersionMatch is "
                                 "forbidden unless resourceVersion is "
                                 "provided");
        if (cont && *cont)
            fakeapi__field_error(&fe, "FieldValueForbidden", f,
                                 "Forbidden: resourceVersionMatch is "
                                 "forbidden when continue is provided");
        if (strcmp(match, "Exact") != 0 && strcmp(match, "NotOlderThan") != 0)
            fakeapi__field_error(&fe, "FieldValueNotSupported", f,
                                 "Unsupported value: \"%s\": supported "
                                 "values: \"Exact\", \"NotOlderThan\", \"\"",
                                 match);
        if (strcmp(match, "Exact") == 0 && rv && strcmp(rv, "0") == 0)
            fakeapi__field_error(&fe, "FieldValueForbidden", f,
                                 "Forbidden: resourceVersionMatch \"exact\" "
                                 "is forbidden for resourceVersion \"0\"");
    }
    if (initial)
        fakeapi__field_error(&fe, "FieldValueForbidden", "sendInitialEvents",
                             "Forbidden: sendInitialEvents is forbidden for "
                             "list");
    if (fakeapi__field_errors_count(&fe) == 0) {
        fakeapi__field_errors_release(&fe);
        return NULL;
    }
    return invalid_listopts(&fe);
}

/* The ParseUint error of a version the cache or the store parses (a GET,
 * a watch), which reaches the client as an internal one: 500, no
 * reason (rest/get.go, cacher.go). */
static json_t *rv_internal(const char *rv)
{
    char q[256];

    fakeapi__quote(q, sizeof(q), rv);
    return fakeapi__status_new(500, NULL,
                               "resourceVersion: Invalid value: %s: "
                               "strconv.ParseUint: parsing %s: %s",
                               q, q, num_err(rv, false));
}

/* storage.ParseResourceVersion's 400 for @p rv. */
static json_t *bad_rv(const char *rv)
{
    char q[256];

    fakeapi__quote(q, sizeof(q), rv);
    return fakeapi__status_bad_request(
        "invalid resource version: resourceVersion: Invalid value: %s: "
        "strconv.ParseUint: parsing %s: %s",
        q, q, num_err(rv, false));
}

static json_t *parse_listopts(const struct req *r, const char *ns, bool watch,
                              struct listopts *o)
{
    const char *rv = fakeapi__arg(r, "resourceVersion");
    const char *match = fakeapi__arg(r, "resourceVersionMatch");
    const char *init = fakeapi__arg(r, "sendInitialEvents");
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
    o->cont = fakeapi__arg(r, "continue");
    if (watch) {
        st = fakeapi__watch_check(rv, match, init, o->cont);
        if (st)
            return st;
    } else if ((st = validate_list(rv, match, o->cont, init && *init))) {
        return st;
    }
    o->rv_zero = rv && strcmp(rv, "0") == 0;
    if (rv && *rv && !o->rv_zero) {
        /* a watch's version is parsed by the watch cache: a 500 */
        if (!knum_u64(rv, &o->rv))
            return watch ? rv_internal(rv) : bad_rv(rv);
        o->has_rv = true;
    }
    if (o->cont && *o->cont && !watch) {
        /* etcd3/store.go GetList: "0" is no version */
        if (o->has_rv)
            return fakeapi__status_bad_request(
                "specifying resource version is not allowed when using "
                "continue");
        st = decode_continue(o->cont, ns, &o->after, &o->cont_rv);
        if (st)
            return st;
    }
    return fakeapi__negotiate(r, &o->media);
}

/* The end of the compact JSON value at @p p (a string, object, array or
 * scalar), within @p end. */
static const char *skip_value(const char *p, const char *end)
{
    int depth = 0;
    bool in_str = false;

    for (; p < end; p++) {
        if (in_str) {
            if (*p == '\\')
                p++;
            else if (*p == '"')
                in_str = false;
            if (!in_str && depth == 0)
                return p + 1;
            continue;
        }
        if (*p == '"')
            in_str = true;
        else if (*p == '{' || *p == '[')
            depth++;
        else if (*p == '}' || *p == ']') {
            if (depth == 0)
                return p; /* the end of a scalar at the object's end */
            if (--depth == 0)
                return p + 1;
        } else if (*p == ',' && depth == 0)
            return p;
    }
    return end;
}

/*
 * A list item's bytes: kube-apiserver writes a list's items without kind
 * and apiVersion (the list carries them; runtime.Encode of a list clears
 * each item's TypeMeta), so those two top-level members are left out.
 */
static void add_item(struct kbuf *b, const struct fakeapi_obj *o)
{
    const char *p = o->bytes + 1;
    const char *end = o->bytes + o->len - 1; /* the closing '}' */
    bool first = true;

    kbuf_addc(b, '{');
    while (p < end) {
        const char *member = p;
        const char *colon = skip_value(p, end); /* the key */
        const char *next = skip_value(colon + 1, end);
        size_t klen = (size_t)(colon - member);

        if (!((klen == 6 && memcmp(member, "\"kind\"", 6) == 0) ||
              (klen == 12 && memcmp(member, "\"apiVersion\"", 12) == 0))) {
            if (!first)
                kbuf_addc(b, ',');
            kbuf_add(b, member, (size_t)(next - member));
            first = false;
        }
        p = next < end ? next + 1 : end;
    }
    kbuf_addc(b, '}');
}

/* The list as a meta.k8s.io Table (handlers/response.go transformObject);
 * includeObject is checked only then, as the server does. */
static void send_table(struct req *r, const struct listopts *o,
                       const struct objvec *ov, uint64_t rv, const char *cont,
                       long long remaining, struct resp *out)
{
    struct fakeapi_table_opts to;
    json_t *arr;
    json_t *t;
    json_t *bad;
    char rvs[24];
    size_t i;

    bad = fakeapi__table_opts(r, o->media.version, &to);
    if (bad) {
        fakeapi__resp_status(out, bad);
        return;
    }
    arr = json_array();
    for (i = 0; i < ov->n; i++)
        json_array_append_new(arr, fakeapi__obj_tree(ov->v[i]));
    snprintf(rvs, sizeof(rvs), "%llu", (unsigned long long)rv);
    to.remaining = remaining;
    t = fakeapi__pod_table_opts(arr, rvs, cont, time(NULL), &to);
    json_decref(arr);
    fakeapi__resp_json(out, 200, t);
}

/* PodList (or Table) text for @p ov. */
static void send_list(struct req *r, const struct listopts *o,
                      struct objvec *ov, uint64_t rv, const char *cont,
                      long long remaining, struct resp *out)
{
    struct kbuf b;
    size_t total = 0;
    size_t i;

    if (o->media.form == FAKEAPI_FORM_PARTIAL_LIST) {
        fakeapi__send_partial_list(out, o->media.version, ov->v, ov->n, rv,
                                   cont, remaining);
        return;
    }
    if (o->media.form == FAKEAPI_FORM_TABLE) {
        send_table(r, o, ov, rv, cont, remaining, out);
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
        add_item(&b, ov->v[i]);
    }
    kbuf_adds(&b, "]}");
    out->status = 200;
    out->body = kbuf_detach(&b, &out->len);
}

/*
 * What the store answers before listing (read lock held): a version newer
 * than the store's is waited for and then refused (cacher
 * waitUntilFreshAndBlock: 504 Timeout at once here); a continue token
 * older than the compaction is 410 Expired with a token to go on at the
 * latest version (etcd3/store.go handleCompactedErrorForPaging).
 */
static json_t *list_status(const struct store *st, const char *ns,
                           const struct listopts *o)
{
    json_t *s;

    if (o->has_rv && o->rv > fakeapi__store_rv(st)) {
        s = fakeapi__status_new(504, "Timeout",
                                "Timeout: Too large resource version: %llu, "
                                "current: %llu",
                                (unsigned long long)o->rv,
                                (unsigned long long)fakeapi__store_rv(st));
        fakeapi__status_cause(s, "ResourceVersionTooLarge",
                              "Too large resource version", NULL);
        fakeapi__status_retry_after(s, 1);
        return s;
    }
    if (o->after && o->cont_rv > 0 &&
        (uint64_t)o->cont_rv < fakeapi__store_compacted_rv(st)) {
        char *tok = encode_continue(-1, ns, o->after);

        s = fakeapi__status_new(
            410, "Expired",
            "The provided continue parameter is too old to display a "
            "consistent list result. You can start a new list without the "
            "continue parameter, or use the continue token in this response "
            "to retrieve the remainder of the results. Continuing with the "
            "provided token results in an inconsistent list - objects that "
            "were created, modified, or deleted between the time the first "
            "chunk was returned and now may show up in the list.");
        if (s && tok)
            json_object_set_new(json_object_get(s, "metadata"), "continue",
                                json_string(tok));
        free(tok);
        return s;
    }
    return NULL;
}

static void do_list(struct req *r, const char *ns, struct listopts *o,
                    struct resp *out)
{
    struct store *st = r->api->store;
    json_t *status;
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
    status = list_status(st, ns, o);
    if (status) {
        fakeapi__store_unlock(st);
        fakeapi__resp_status(out, status);
        return;
    }
    /* resourceVersion "0" is served by the watch cache, which ignores
     * the limit (cacher.go GetList, shouldDelegateList) */
    rc = fakeapi__store_list(st, ns, o->ls, o->fs, o->after,
                             o->limit > 0 && !o->rv_zero ? (size_t)o->limit : 0,
                             &ov, &more);
    rv = fakeapi__store_rv(st);
    if (rc == 0 && more && ov.n > 0) {
        cont = encode_continue((int64_t)rv, ns, ov.v[ov.n - 1]->key);
        /* docs/kubernetes-api.md, Lists: only without selectors */
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
    fakeapi__resp_watch(out, &p);
}

void fakeapi__pods_list(struct req *r, const char *ns, bool watch,
                        struct resp *out)
{
    struct listopts o;
    json_t *status = parse_listopts(r, ns, watch, &o);

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
    json_t *status = parse_listopts(r, ns, true, &o);
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

/* The PodList of a deletecollection: each listed pod staged for deletion
 * in @p b, as it was listed; its text (new), or NULL when out of memory
 * (write lock held). */
static char *delete_listed(struct req *r, struct store_batch *b,
                           const struct objvec *ov, const char *rv)
{
    struct store *st = r->api->store;
    json_t *items = json_array();
    json_t *list;
    char *text;
    size_t i;

    for (i = 0; items && i < ov->n; i++) {
        struct fakeapi_obj *cur =
            fakeapi__store_pod(st, ov->v[i]->ns, ov->v[i]->name);

        if (cur && json_array_append_new(
                       items, fakeapi__pod_delete_listed(r, b, cur)) != 0) {
            json_decref(items);
            items = NULL;
        }
    }
    list = items ? json_pack("{s:s, s:s, s:{s:s}, s:o}", "kind", "PodList",
                             "apiVersion", "v1", "metadata", "resourceVersion",
                             rv, "items", items)
                 : NULL;
    text = fakeapi__jsondump_text(list, JSON_COMPACT);
    json_decref(list);
    return text;
}

/* store.go DeleteCollection: the list as read, then a Delete each; here
 * in one write, committed only when the answer is made, so that a failure
 * deletes nothing (a 500). */
void fakeapi__pods_delete_collection(struct req *r, const char *ns,
                                     struct resp *out)
{
    struct store *st = r->api->store;
    struct listopts o;
    json_t *status = parse_listopts(r, ns, false, &o);
    struct store_batch b;
    struct objvec ov;
    bool more;
    char *text = NULL;
    char rv[24];

    if (status) {
        fakeapi__resp_status(out, status);
        listopts_release(&o);
        return;
    }
    fakeapi__objvec_init(&ov);
    fakeapi__store_wrlock(st);
    fakeapi__store_batch_init(&b, st);
    if (fakeapi__store_needs_sort(st))
        fakeapi__store_sort(st);
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)fakeapi__store_rv(st));
    if (fakeapi__store_list(st, ns, o.ls, o.fs, NULL, 0, &ov, &more) == 0)
        text = delete_listed(r, &b, &ov, rv);
    if (text && fakeapi__store_batch_commit(&b) == 0) {
        fakeapi__resp_text(out, 200, text);
    } else {
        fakeapi__store_batch_release(&b);
        free(text);
        fakeapi__resp_status(
            out, fakeapi__status_new(500, "InternalError",
                                     "Internal error occurred: out of "
                                     "memory"));
    }
    fakeapi__store_unlock(st);
    fakeapi__objvec_release(&ov);
    listopts_release(&o);
}

/* rest/get.go: GetOptions' resourceVersion is parsed by the store. */
static bool get_rv_invalid(const struct req *r, struct resp *out)
{
    const char *rv = fakeapi__arg(r, "resourceVersion");
    uint64_t v;

    if (!rv || !*rv || knum_u64(rv, &v))
        return false;
    fakeapi__resp_status(out, rv_internal(rv));
    return true;
}

bool fakeapi__get_special(struct req *r, const char *ns, const char *name,
                          struct resp *out)
{
    struct store *st = r->api->store;
    struct fakeapi_table_opts to;
    struct fakeapi_media m;
    struct fakeapi_obj *o;
    json_t *arr;
    json_t *bad;
    char rvs[24];

    if (get_rv_invalid(r, out))
        return true;
    bad = fakeapi__negotiate(r, &m);
    json_decref(bad);
    if (bad || m.form != FAKEAPI_FORM_TABLE)
        return false;
    bad = fakeapi__table_opts(r, m.version, &to);
    if (bad) {
        fakeapi__resp_status(out, bad);
        return true;
    }
    fakeapi__store_rdlock(st);
    if (!ns) {
        struct nsent *n = fakeapi__store_ns(st, name);

        o = n ? n->obj : NULL;
    } else {
        o = fakeapi__store_pod(st, ns, name);
    }
    arr = o ? json_pack("[o]", fakeapi__obj_tree(o)) : NULL;
    if (o)
        snprintf(rvs, sizeof(rvs), "%llu", (unsigned long long)o->rv);
    fakeapi__store_unlock(st);
    if (!o)
        return false; /* the handler's 404 */
    /* a Table of one object carries that object's resourceVersion */
    fakeapi__resp_json(
        out, 200,
        ns ? fakeapi__pod_table_opts(arr, rvs, NULL, time(NULL), &to)
           : fakeapi__ns_table(arr, rvs, &to));
    json_decref(arr);
    return true;
}
