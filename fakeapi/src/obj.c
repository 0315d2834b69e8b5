#include "obj.h"

#include <stdlib.h>
#include <string.h>

#include "kbuf.h"
#include "knum.h"

static void obj_free(struct fakeapi_obj *o)
{
    json_decref(o->json);
    free(o->bytes);
    free(o->key);
    free(o);
}

struct fakeapi_obj *fakeapi__obj_new(json_t *json)
{
    struct fakeapi_obj *o = calloc(1, sizeof(*o));
    json_t *meta = json_object_get(json, "metadata");
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    struct kbuf key;
    uint64_t n = 0;

    if (!o) {
        json_decref(json);
        return NULL;
    }
    atomic_init(&o->refs, 1);
    o->json = json;
    o->ns = json_string_value(json_object_get(meta, "namespace"));
    o->name = json_string_value(json_object_get(meta, "name"));
    if (!o->ns)
        o->ns = "";
    if (!o->name)
        o->name = "";
    o->labels = json_object_get(meta, "labels");
    if (rv && knum_u64(rv, &n))
        o->rv = n;
    o->bytes = json_dumps(json, JSON_COMPACT);
    kbuf_init(&key, 4096);
    if (*o->ns)
        kbuf_addf(&key, "%s/%s", o->ns, o->name);
    else
        kbuf_adds(&key, o->name);
    o->key = kbuf_detach(&key, NULL);
    if (!o->bytes || !o->key) {
        obj_free(o);
        return NULL;
    }
    o->len = strlen(o->bytes);
    return o;
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

void objvec_init(struct objvec *ov)
{
    ov->v = NULL;
    ov->n = 0;
    ov->cap = 0;
}

int objvec_push(struct objvec *ov, struct fakeapi_obj *o)
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

void objvec_release(struct objvec *ov)
{
    size_t i;

    for (i = 0; i < ov->n; i++)
        fakeapi__obj_unref(ov->v[i]);
    free(ov->v);
    objvec_init(ov);
}
