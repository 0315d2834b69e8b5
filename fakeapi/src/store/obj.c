#include "store/obj.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsondump.h"
#include "kbuf.h"
#include "knum.h"

static void obj_free(struct fakeapi_obj *o)
{
    free(o->bytes);
    free(o->arena);
    free(o);
}

struct pair {
    const char *k;
    const char *v;
};

static int pair_cmp(const void *a, const void *b)
{
    return strcmp(((const struct pair *)a)->k, ((const struct pair *)b)->k);
}

/* Bump allocator over the arena: copy @p n bytes plus a NUL. */
static const char *put(char **p, const char *s, size_t n)
{
    char *d = *p;

    memcpy(d, s, n);
    d[n] = '\0';
    *p += n + 1;
    return d;
}

/* Lay out name, namespace, key, labels and fields in one allocation. */
static int build_arena(struct fakeapi_obj *o, const json_t *json)
{
    const json_t *meta = json_object_get(json, "metadata");
    json_t *labels = json_object_get(meta, "labels");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    size_t nl = json_is_object(labels) ? json_object_size(labels) : 0;
    struct pair *pairs = nl ? calloc(nl, sizeof(*pairs)) : NULL;
    struct fakeapi_fields f;
    size_t size;
    size_t i = 0;
    const char *k;
    json_t *v;
    char *p;

    if (nl && !pairs)
        return -1;
    ns = ns ? ns : "";
    name = name ? name : "";
    fakeapi__fields_of(json, &f);
    size = 2 * nl * sizeof(char *) + strlen(ns) + strlen(name) * 2 +
           strlen(ns) + 4;
    json_object_foreach(labels, k, v)
    {
        pairs[i].k = k;
        pairs[i].v = json_is_string(v) ? json_string_value(v) : "";
        size += strlen(k) + strlen(pairs[i].v) + 2;
        i++;
    }
    for (i = 0; i < FAKEAPI_NFIELDS; i++)
        size += f.v[i] ? f.n[i] + 1 : 0;
    o->arena = malloc(size);
    if (!o->arena) {
        free(pairs);
        return -1;
    }
    if (nl > 1)
        qsort(pairs, nl, sizeof(*pairs), pair_cmp);
    /* pointer arrays first (aligned by malloc), then the strings */
    o->labels.n = nl;
    o->labels.keys = (const char *const *)(void *)o->arena;
    o->labels.values =
        (const char *const *)(void *)(o->arena + nl * sizeof(char *));
    p = o->arena + 2 * nl * sizeof(char *);
    for (i = 0; i < nl; i++) {
        ((const char **)(void *)o->arena)[i] =
            put(&p, pairs[i].k, strlen(pairs[i].k));
        ((const char **)(void *)o->arena)[nl + i] =
            put(&p, pairs[i].v, strlen(pairs[i].v));
    }
    free(pairs);
    o->ns = put(&p, ns, strlen(ns));
    o->name = put(&p, name, strlen(name));
    if (*ns) {
        o->key = p;
        memcpy(p, ns, strlen(ns));
        p[strlen(ns)] = '/';
        p += strlen(ns) + 1;
        put(&p, name, strlen(name));
    } else {
        o->key = o->name;
    }
    for (i = 0; i < FAKEAPI_NFIELDS; i++) {
        o->fields.v[i] = f.v[i] ? put(&p, f.v[i], f.n[i]) : NULL;
        o->fields.n[i] = f.v[i] ? f.n[i] : 0;
    }
    return 0;
}

/* Append the compact JSON of @p v (any value) to @p b; 0 or -1. */
static int dump_value(struct kbuf *b, const json_t *v)
{
    return fakeapi__jsondump_add(b, v, JSON_COMPACT | JSON_ENCODE_ANY) ==
                   KBUF_OK
               ? 0
               : -1;
}

/*
 * Append object @p json as json_dumps(@p json, JSON_COMPACT) writes it,
 * built member by member to note where values lie: at the top (@p top),
 * the value of "metadata" (for the PartialObjectMetadata forms), itself
 * an object built the same way; in it, the value of "resourceVersion"
 * (fakeapi__obj_set_rv() rewrites it). 0, or -1 when out of memory.
 */
static int dump_members(struct fakeapi_obj *o, struct kbuf *b,
                        const json_t *json, bool top)
{
    const char *k;
    json_t *v;
    bool first = true;
    int rc = kbuf_addc(b, '{') == KBUF_OK ? 0 : -1;

    json_object_foreach((json_t *)(uintptr_t)json, k, v)
    {
        json_t *key = json_string_nocheck(k);
        bool meta = top && strcmp(k, "metadata") == 0;
        size_t start;

        if (rc == 0 && !first)
            rc = kbuf_addc(b, ',') == KBUF_OK ? 0 : -1;
        first = false;
        if (rc == 0)
            rc = key ? dump_value(b, key) : -1;
        json_decref(key);
        if (rc == 0)
            rc = kbuf_addc(b, ':') == KBUF_OK ? 0 : -1;
        start = kbuf_len(b);
        if (rc == 0)
            rc = meta && json_is_object(v) ? dump_members(o, b, v, false)
                                           : dump_value(b, v);
        if (rc == 0 && meta) {
            o->meta_off = start;
            o->meta_len = kbuf_len(b) - start;
        } else if (rc == 0 && !top && strcmp(k, "resourceVersion") == 0 &&
                   json_is_string(v)) {
            o->rv_off = start;
            o->rv_len = kbuf_len(b) - start;
        }
    }
    if (rc == 0)
        rc = kbuf_addc(b, '}') == KBUF_OK ? 0 : -1;
    return rc;
}

/* The bytes of object @p json (see dump_members()), or NULL when out of
 * memory. */
static char *dump_object(struct fakeapi_obj *o, const json_t *json)
{
    struct kbuf b;

    kbuf_init(&b, SIZE_MAX / 2);
    if (dump_members(o, &b, json, true) != 0) {
        kbuf_release(&b);
        return NULL;
    }
    return kbuf_detach(&b, NULL);
}

struct fakeapi_obj *fakeapi__obj_new(json_t *json)
{
    struct fakeapi_obj *o = calloc(1, sizeof(*o));
    const char *rv;
    uint64_t n = 0;
    char *shrunk;

    if (!o) {
        json_decref(json);
        return NULL;
    }
    atomic_init(&o->refs, 1);
    o->bytes = json_is_object(json) ? dump_object(o, json) : NULL;
    rv = json_string_value(
        json_object_get(json_object_get(json, "metadata"), "resourceVersion"));
    if (rv && knum_u64(rv, &n))
        o->rv = n;
    if (!o->bytes || build_arena(o, json) != 0) {
        json_decref(json);
        obj_free(o);
        return NULL;
    }
    json_decref(json);
    o->len = strlen(o->bytes);
    /* the buffer grew by doubling: keep only what is used */
    shrunk = realloc(o->bytes, o->len + 1);
    if (shrunk)
        o->bytes = shrunk;
    return o;
}

int fakeapi__obj_set_rv(struct fakeapi_obj *o, uint64_t rv)
{
    char val[24];
    size_t n =
        (size_t)snprintf(val, sizeof(val), "\"%llu\"", (unsigned long long)rv);
    size_t tail;
    size_t len;

    if (o->rv_len == 0)
        return -1;
    tail = o->len - o->rv_off - o->rv_len; /* the bytes after the value */
    len = o->len - o->rv_len + n;
    if (len > o->len) {
        char *grown = realloc(o->bytes, len + 1);

        if (!grown)
            return -1;
        o->bytes = grown;
    }
    memmove(o->bytes + o->rv_off + n, o->bytes + o->rv_off + o->rv_len,
            tail + 1);
    memcpy(o->bytes + o->rv_off, val, n);
    o->meta_len = o->meta_len - o->rv_len + n;
    o->rv_len = n;
    o->len = len;
    o->rv = rv;
    return 0;
}

/*
 * The tree must give back the very bytes it was parsed from: jansson's
 * lexer drops a byte when its token buffer cannot grow (load.c, lex_save
 * ignores strbuffer_append_byte's failure), so a parse under memory
 * pressure can succeed with a wrong string, and a write would store it.
 */
json_t *fakeapi__obj_tree(const struct fakeapi_obj *o)
{
    json_t *t = json_loadb(o->bytes, o->len, 0, NULL);
    char *check = t ? malloc(o->len) : NULL;
    size_t n = check ? json_dumpb(t, check, o->len, JSON_COMPACT) : 0;

    if (n != o->len || memcmp(check, o->bytes, n) != 0) {
        json_decref(t);
        t = NULL;
    }
    free(check);
    return t;
}

struct fakeapi_obj *fakeapi__obj_ref(struct fakeapi_obj *o)
{
    atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
    return o;
}

void fakeapi__obj_unref(struct fakeapi_obj *o)
{
    if (o && atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) == 1)
        obj_free(o);
}

void fakeapi__objvec_init(struct objvec *ov)
{
    ov->v = NULL;
    ov->n = 0;
    ov->cap = 0;
}

int fakeapi__objvec_push(struct objvec *ov, struct fakeapi_obj *o)
{
    if (ov->n == ov->cap) {
        size_t cap = ov->cap ? ov->cap * 2 : 16;
        struct fakeapi_obj **v = realloc(ov->v, cap * sizeof(*v));

        if (!v)
            return -1;
        ov->v = v;
        ov->cap = cap;
    }
    ov->v[ov->n++] = fakeapi__obj_ref(o);
    return 0;
}

void fakeapi__objvec_release(struct objvec *ov)
{
    size_t i;

    for (i = 0; i < ov->n; i++)
        fakeapi__obj_unref(ov->v[i]);
    free(ov->v);
    fakeapi__objvec_init(ov);
}

int fakeapi__obj_partial(const struct fakeapi_obj *o, const char *version,
                         struct kbuf *b)
{
    int rc = kbuf_addf(b,
                       "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":"
                       "\"meta.k8s.io/%s\",\"metadata\":",
                       version);

    if (rc == KBUF_OK)
        rc = o->meta_len ? kbuf_add(b, o->bytes + o->meta_off, o->meta_len)
                         : kbuf_adds(b, "{}");
    return rc == KBUF_OK ? kbuf_addc(b, '}') : rc;
}
