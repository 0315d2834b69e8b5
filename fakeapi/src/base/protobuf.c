#include "base/protobuf.h"

#include <stdint.h>
#include <string.h>

/* A length-delimited view of protobuf bytes. */
struct pb {
    const unsigned char *p;
    size_t len;
};

static int varint(struct pb *b, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;

    while (b->len > 0 && shift < 64) {
        unsigned char c = *b->p++;

        b->len--;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
        shift += 7;
    }
    return -1;
}

/* Next field: its number, wire type and, for type 2, its bytes. */
static int field(struct pb *b, uint64_t *num, unsigned *type, struct pb *val)
{
    uint64_t key;
    uint64_t n;

    if (varint(b, &key) != 0)
        return -1;
    *num = key >> 3;
    *type = (unsigned)(key & 7);
    switch (*type) {
    case 0:
        return varint(b, &n);
    case 1:
    case 5:
        n = *type == 1 ? 8 : 4;
        break;
    case 2:
        if (varint(b, &n) != 0)
            return -1;
        break;
    default:
        return -1;
    }
    if (n > b->len)
        return -1;
    val->p = b->p;
    val->len = (size_t)n;
    b->p += n;
    b->len -= (size_t)n;
    return 0;
}

static json_t *pb_string(const struct pb *v)
{
    return json_stringn((const char *)v->p, v->len);
}

/* map<string,string> entry {1: key, 2: value} into @p obj. */
static int map_entry(struct pb e, json_t *obj)
{
    uint64_t num;
    unsigned type;
    struct pb v;
    json_t *key = NULL;
    json_t *val = NULL;
    int rc = 0;

    while (e.len > 0 && rc == 0) {
        if (field(&e, &num, &type, &v) != 0 || type != 2) {
            rc = -1;
            break;
        }
        if (num == 1) {
            json_decref(key);
            key = pb_string(&v);
        } else if (num == 2) {
            json_decref(val);
            val = pb_string(&v);
        }
    }
    if (rc == 0 && json_is_string(key))
        json_object_set(obj, json_string_value(key),
                        val ? val : json_string(""));
    json_decref(key);
    json_decref(val);
    return rc;
}

static json_t *object_meta(struct pb m)
{
    static const char *const strs[] = {NULL, "name", "generateName",
                                       "namespace"};
    json_t *meta = json_object();
    json_t *labels = json_object();
    json_t *ann = json_object();
    uint64_t num;
    unsigned type;
    struct pb v;

    while (m.len > 0) {
        if (field(&m, &num, &type, &v) != 0)
            goto fail;
        if (type == 2 && num >= 1 && num <= 3)
            json_object_set_new(meta, strs[num], pb_string(&v));
        else if (type == 2 && (num == 11 || num == 12) &&
                 map_entry(v, num == 11 ? labels : ann) != 0)
            goto fail;
    }
    if (json_object_size(labels))
        json_object_set(meta, "labels", labels);
    if (json_object_size(ann))
        json_object_set(meta, "annotations", ann);
    json_decref(labels);
    json_decref(ann);
    return meta;
fail:
    json_decref(labels);
    json_decref(ann);
    json_decref(meta);
    return NULL;
}

int fakeapi__is_protobuf(const char *ctype)
{
    return ctype &&
           strncmp(ctype, "application/vnd.kubernetes.protobuf", 35) == 0;
}

json_t *fakeapi__protobuf_object(const unsigned char *p, size_t len)
{
    struct pb b = {p + 4, len - 4};
    struct pb raw = {NULL, 0};
    json_t *out;
    uint64_t num;
    unsigned type;
    struct pb v;

    if (len < 4 || memcmp(p, "k8s\0", 4) != 0)
        return NULL;
    out = json_object();
    while (b.len > 0) { /* runtime.Unknown */
        if (field(&b, &num, &type, &v) != 0) {
            json_decref(out);
            return NULL;
        }
        if (num == 1 && type == 2) { /* TypeMeta */
            struct pb t = v;

            while (t.len > 0 && field(&t, &num, &type, &v) == 0)
                if (type == 2 && (num == 1 || num == 2))
                    json_object_set_new(out, num == 1 ? "apiVersion" : "kind",
                                        pb_string(&v));
        } else if (num == 2 && type == 2) {
            raw = v;
        }
    }
    while (raw.len > 0) { /* the object: field 1 is ObjectMeta */
        if (field(&raw, &num, &type, &v) != 0)
            break;
        if (num == 1 && type == 2) {
            json_t *meta = object_meta(v);

            if (!meta) {
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, "metadata", meta);
        }
    }
    return out;
}
