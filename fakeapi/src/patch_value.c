/*
 * patch_value: the Go semantics strategicpatch relies on, for jansson
 * values. Go decodes JSON into interface{} values (map, slice, string,
 * int64 with PreserveInts, float64, bool, nil) and compares them with ==,
 * which panics on two maps or two slices; jansson's integer and real types
 * map onto int64 and float64 one to one.
 */
#include "patch_int.h"

#include <string.h>

#include "fakeapi.h"

enum patch_gotype fakeapi__patch_value_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return PATCH_GO_MAP;
    case JSON_ARRAY:
        return PATCH_GO_SLICE;
    case JSON_STRING:
        return PATCH_GO_STRING;
    case JSON_INTEGER:
        return PATCH_GO_INT64;
    case JSON_REAL:
        return PATCH_GO_FLOAT64;
    case JSON_TRUE:
    case JSON_FALSE:
        return PATCH_GO_BOOL;
    case JSON_NULL:
    default:
        return PATCH_GO_NIL;
    }
}

int fakeapi__patch_value_eq(struct patch_ctx *c, const json_t *a,
                            const json_t *b, bool *eq)
{
    enum patch_gotype t = fakeapi__patch_value_type(a);

    *eq = false;
    if (t != fakeapi__patch_value_type(b))
        return FAKEAPI_OK;
    switch (t) {
    case PATCH_GO_MAP:
    case PATCH_GO_SLICE:
        /* runtime error: comparing uncomparable type */
        return fakeapi__patch_panic(c);
    case PATCH_GO_STRING:
        *eq = json_string_length(a) == json_string_length(b) &&
              memcmp(json_string_value(a), json_string_value(b),
                     json_string_length(a)) == 0;
        break;
    case PATCH_GO_INT64:
        *eq = json_integer_value(a) == json_integer_value(b);
        break;
    case PATCH_GO_FLOAT64:
        *eq = json_real_value(a) <= json_real_value(b) &&
              json_real_value(a) >= json_real_value(b);
        break;
    case PATCH_GO_BOOL:
        *eq = json_typeof(a) == json_typeof(b);
        break;
    case PATCH_GO_NIL:
        *eq = true;
        break;
    }
    return FAKEAPI_OK;
}

bool fakeapi__patch_value_is(const json_t *v, const char *s)
{
    size_t n = strlen(s);

    return json_is_string(v) && json_string_length(v) == n &&
           memcmp(json_string_value(v), s, n) == 0;
}

static int depth_of(struct patch_ctx *c, const json_t *v, size_t limit,
                    size_t *depth)
{
    size_t best = 0;
    size_t d;
    size_t i;
    const char *k;
    json_t *x;

    *depth = 0;
    if (!json_is_object(v) && !json_is_array(v))
        return FAKEAPI_OK;
    if (fakeapi__patch_charge(c, 1) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    if (limit == 0) {
        *depth = 1;
        return FAKEAPI_OK;
    }
    if (json_is_array(v)) {
        for (i = 0; i < json_array_size(v) && best < limit; i++) {
            if (depth_of(c, json_array_get(v, i), limit - 1, &d) != FAKEAPI_OK)
                return FAKEAPI_E_INVALID;
            best = d > best ? d : best;
        }
    } else {
        json_object_foreach(patch_iterable(v), k, x)
        {
            if (depth_of(c, x, limit - 1, &d) != FAKEAPI_OK)
                return FAKEAPI_E_INVALID;
            best = d > best ? d : best;
            if (best >= limit)
                break;
        }
    }
    *depth = best + 1;
    return FAKEAPI_OK;
}

int fakeapi__patch_value_depth(struct patch_ctx *c, const json_t *v,
                               size_t limit, size_t *depth)
{
    return depth_of(c, v, limit, depth);
}
