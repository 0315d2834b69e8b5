/*
 * patch_value: the Go semantics strategicpatch relies on, for jansson
 * values. Go decodes JSON into interface{} values (map, slice, string,
 * int64 with PreserveInts, float64, bool, nil) and compares them with ==,
 * which panics on two maps or two slices; jansson's integer and real types
 * map onto int64 and float64 one to one.
 */
#include "patch/patch_int.h"

#include <inttypes.h>
#include <stdio.h>
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

/* Bytes Go's encoder writes for a string (HTML-safe escaping). */
static size_t go_string_size(const json_t *v)
{
    const unsigned char *s = (const unsigned char *)json_string_value(v);
    size_t n = json_string_length(v);
    size_t size = 2;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char ch = s[i];

        if (ch == '"' || ch == '\\' || ch == '\n' || ch == '\r' || ch == '\t' ||
            ch == '\b' || ch == '\f')
            size += 2;
        else if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&')
            size += 6;
        else if (ch == 0xe2 && i + 2 < n && s[i + 1] == 0x80 &&
                 (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
            size += 6;
            i += 2;
        } else {
            size++;
        }
    }
    return size;
}

int fakeapi__patch_value_size(struct patch_ctx *c, const json_t *v,
                              size_t *size)
{
    char num[40];
    const char *k;
    json_t *x;
    size_t sub;
    size_t i;

    if (fakeapi__patch_charge(c, 1) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    *size = 2;
    if (json_is_object(v)) {
        json_object_foreach(patch_iterable(v), k, x)
        {
            if (fakeapi__patch_value_size(c, x, &sub) != FAKEAPI_OK)
                return FAKEAPI_E_INVALID;
            *size += (*size > 2) + strlen(k) + 3 + sub;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if (fakeapi__patch_value_size(c, x, &sub) != FAKEAPI_OK)
                return FAKEAPI_E_INVALID;
            *size += (i > 0) + sub;
        }
    } else if (json_is_string(v)) {
        *size = go_string_size(v);
    } else if (json_is_integer(v)) {
        *size = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                                 json_integer_value(v));
    } else if (json_is_real(v)) {
        *size = (size_t)snprintf(num, sizeof(num), "%.17g", json_real_value(v));
    } else {
        *size = json_is_false(v) ? 5 : 4;
    }
    return FAKEAPI_OK;
}

int fakeapi__patch_value_lazy_equal(struct patch_ctx *c, const json_t *n,
                                    const json_t *o, bool *eq)
{
    const char *k;
    json_t *x;
    json_t *y;
    size_t i;

    *eq = false;
    if (fakeapi__patch_charge(c, 1) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    if (json_is_object(n)) {
        if (!json_is_object(o) || json_object_size(n) != json_object_size(o))
            return FAKEAPI_OK;
        json_object_foreach(patch_iterable(n), k, x)
        {
            y = json_object_get(o, k);
            if (!y || json_is_null(x) != json_is_null(y))
                return FAKEAPI_OK;
            if (json_is_null(x))
                continue;
            if (fakeapi__patch_value_lazy_equal(c, x, y, eq) != FAKEAPI_OK)
                return FAKEAPI_E_INVALID;
            if (!*eq)
                return FAKEAPI_OK;
        }
        *eq = true;
        return FAKEAPI_OK;
    }
    if (json_is_array(n)) {
        if (!json_is_array(o) || json_array_size(n) != json_array_size(o))
            return FAKEAPI_OK;
        json_array_foreach(n, i, x)
        {
            y = json_array_get(o, i);
            /* a nil *lazyNode in an array: the Go code dereferences it */
            if (json_is_null(x) || json_is_null(y))
                return fakeapi__patch_panic(c);
            if (fakeapi__patch_value_lazy_equal(c, x, y, eq) != FAKEAPI_OK)
                return FAKEAPI_E_INVALID;
            if (!*eq)
                return FAKEAPI_OK;
        }
        *eq = true;
        return FAKEAPI_OK;
    }
    *eq = !json_is_object(o) && !json_is_array(o) && json_equal(n, o);
    return FAKEAPI_OK;
}
