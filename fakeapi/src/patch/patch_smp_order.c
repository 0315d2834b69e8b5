/*
 * patch_smp_order: where list elements go in a strategic merge patch
 * ([am] partitionMapsByPresentInList, normalizeElementOrder,
 * mergeSortedSlice and the lookups they use), for patch_smp_list.c.
 */
#include "patch/patch_smp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeapi.h"

/* Shallow copy of the first @p n elements of @p a (a new array). */
json_t *fakeapi__patch_smp_order_copy(const json_t *a, size_t n)
{
    json_t *out = json_array();
    size_t i;

    for (i = 0; out && i < n; i++) {
        if (json_array_append(out, json_array_get(a, i)) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

int fakeapi__patch_smp_order_append(struct patch_ctx *c, json_t *a, json_t *v)
{
    return json_array_append(a, v) == 0 ? FAKEAPI_OK
                                        : fakeapi__patch_fail(c, NULL);
}

/* The merge key value of @p v for [am] index(): a nil interface (JSON
 * null) when @p v is no map or lacks the key. */
static const json_t *key_of(const json_t *v, const char *key)
{
    const json_t *x = key ? json_object_get(v, key) : v;

    return x ? x : json_null();
}

/* [am] index: the first position of @p v in @p list, SIZE_MAX if none. */
static int index_of(struct patch_ctx *c, const json_t *list, const json_t *v,
                    const char *key, size_t *pos)
{
    const json_t *want = key_of(v, key);
    const json_t *x;
    bool eq;
    size_t i;

    *pos = SIZE_MAX;
    if (fakeapi__patch_charge(c, json_array_size(list) + 1) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    json_array_foreach(list, i, x)
    {
        if (fakeapi__patch_value_eq(c, want, key_of(x, key), &eq) != FAKEAPI_OK)
            return FAKEAPI_E_INVALID;
        if (eq) {
            *pos = i;
            return FAKEAPI_OK;
        }
    }
    return FAKEAPI_OK;
}

/* [am] validateMergeKeyInLists for one list. */
static int check_keys(struct patch_ctx *c, const json_t *list, const char *key)
{
    const json_t *x;
    size_t i;

    json_array_foreach(list, i, x)
    {
        if (!json_is_object(x))
            return fakeapi__patch_smp_bad_arg(c, "map[string]interface {}", x);
        if (!json_object_get(x, key))
            return fakeapi__patch_smp_no_merge_key(c, x, key);
    }
    return FAKEAPI_OK;
}

/* [am] extractToDeleteItems: split @p list into elements without and with
 * "$patch": "delete" (new arrays; @p del may be NULL). */
int fakeapi__patch_smp_order_split(struct patch_ctx *c, const json_t *list,
                                   json_t *keep, json_t *del)
{
    json_t *x;
    size_t i;
    int rc = FAKEAPI_OK;

    json_array_foreach(list, i, x)
    {
        if (!json_is_object(x))
            return fakeapi__patch_smp_bad_arg(c, "map[string]interface {}", x);
        if (fakeapi__patch_value_is(json_object_get(x, "$patch"), "delete"))
            rc = del ? fakeapi__patch_smp_order_append(c, del, x) : FAKEAPI_OK;
        else
            rc = fakeapi__patch_smp_order_append(c, keep, x);
        if (rc != FAKEAPI_OK)
            return rc;
    }
    return FAKEAPI_OK;
}

struct ranked {
    size_t rank; /* position in the order list, SIZE_MAX when absent */
    size_t pos;  /* position in the input, for a stable sort */
    json_t *v;
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a;
    const struct ranked *y = b;

    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* [am] normalizeSliceOrder: @p items sorted by their position in
 * @p order (stable), "$patch": "delete" elements last. Go's comparator
 * calls an element absent from @p order "less" than anything, which is
 * no order at all; such elements (which valid patches cannot produce)
 * go last here. */
static int sort_by(struct patch_ctx *c, const json_t *items,
                   const json_t *order, const char *key, json_t **out)
{
    json_t *keep = json_array();
    json_t *del = json_array();
    struct ranked *r = NULL;
    size_t n = 0;
    size_t i;
    int rc = keep && del ? FAKEAPI_OK : fakeapi__patch_fail(c, NULL);

    *out = NULL;
    if (rc == FAKEAPI_OK && key) {
        rc = check_keys(c, items, key);
        if (rc == FAKEAPI_OK)
            rc = check_keys(c, order, key);
        if (rc == FAKEAPI_OK)
            rc = fakeapi__patch_smp_order_split(c, items, keep, del);
    } else if (rc == FAKEAPI_OK) {
        rc = json_array_extend(keep, patch_iterable(items)) == 0
                 ? FAKEAPI_OK
                 : fakeapi__patch_fail(c, NULL);
    }
    n = json_array_size(keep);
    if (rc == FAKEAPI_OK && n > 0) {
        r = calloc(n, sizeof(*r));
        if (!r)
            rc = fakeapi__patch_fail(c, NULL);
    }
    for (i = 0; rc == FAKEAPI_OK && i < n; i++) {
        r[i].pos = i;
        r[i].v = json_array_get(keep, i);
        rc = index_of(c, order, r[i].v, key, &r[i].rank);
    }
    if (rc == FAKEAPI_OK && n > 0)
        qsort(r, n, sizeof(*r), cmp_ranked);
    if (rc == FAKEAPI_OK)
        *out = json_array();
    for (i = 0; rc == FAKEAPI_OK && i < n; i++)
        rc = *out ? fakeapi__patch_smp_order_append(c, *out, r[i].v)
                  : fakeapi__patch_fail(c, NULL);
    if (rc == FAKEAPI_OK && json_array_extend(*out, del) != 0)
        rc = fakeapi__patch_fail(c, NULL);
    if (rc != FAKEAPI_OK) {
        json_decref(*out);
        *out = NULL;
    }
    free(r);
    json_decref(keep);
    json_decref(del);
    return rc;
}

/* Positions in @p order of every element of @p list (SIZE_MAX: absent). */
static int ranks(struct patch_ctx *c, const json_t *list, const json_t *order,
                 const char *key, size_t **out)
{
    size_t n = json_array_size(list);
    size_t i;
    int rc = FAKEAPI_OK;

    *out = calloc(n + 1, sizeof(**out));
    if (!*out)
        return fakeapi__patch_fail(c, NULL);
    for (i = 0; rc == FAKEAPI_OK && i < n; i++)
        rc = index_of(c, order, json_array_get(list, i), key, &(*out)[i]);
    return rc;
}

/* [am] mergeSortedSlice: interleave the server-only elements @p left with
 * the patch elements @p right; a left element comes first only when both
 * are in @p order and it is placed before. */
static int merge_sorted(struct patch_ctx *c, const json_t *left,
                        const json_t *right, const json_t *order,
                        const char *key, json_t **out)
{
    size_t nl = json_array_size(left);
    size_t nr = json_array_size(right);
    size_t *li = NULL;
    size_t *ri = NULL;
    size_t i = 0;
    size_t j = 0;
    int rc = ranks(c, left, order, key, &li);

    *out = NULL;
    if (rc == FAKEAPI_OK)
        rc = ranks(c, right, order, key, &ri);
    if (rc == FAKEAPI_OK) {
        *out = json_array();
        rc = *out ? FAKEAPI_OK : fakeapi__patch_fail(c, NULL);
    }
    while (rc == FAKEAPI_OK && (i < nl || j < nr)) {
        if (j >= nr ||
            (i < nl && li[i] != SIZE_MAX && ri[j] != SIZE_MAX && li[i] < ri[j]))
            rc = fakeapi__patch_smp_order_append(c, *out,
                                                 json_array_get(left, i++));
        else
            rc = fakeapi__patch_smp_order_append(c, *out,
                                                 json_array_get(right, j++));
    }
    if (rc != FAKEAPI_OK) {
        json_decref(*out);
        *out = NULL;
    }
    free(li);
    free(ri);
    return rc;
}

/* [am] normalizeElementOrder. */
int fakeapi__patch_smp_order_normalize(struct patch_ctx *c, const json_t *in,
                                       const json_t *rest,
                                       const json_t *patch_order,
                                       const json_t *server_order,
                                       const char *key, json_t **out)
{
    json_t *a = NULL;
    json_t *b = NULL;
    int rc = sort_by(c, in, patch_order, key, &a);

    *out = NULL;
    if (rc == FAKEAPI_OK)
        rc = sort_by(c, rest, server_order, key, &b);
    if (rc == FAKEAPI_OK)
        rc = merge_sorted(c, b, a, server_order, key, out);
    json_decref(a);
    json_decref(b);
    return rc;
}

/* [am] partitionPrimitivesByPresentInList: Go keys a map by the values,
 * which panics for maps and slices. */
static int part_prims(struct patch_ctx *c, const json_t *merged,
                      const json_t *by, json_t *in, json_t *out)
{
    const json_t *x;
    const json_t *y;
    size_t i;
    size_t k;
    bool eq = false;
    int rc;

    json_array_foreach(by, i, x)
    {
        if (json_is_object(x) || json_is_array(x))
            return fakeapi__patch_panic(c);
    }
    json_array_foreach(merged, i, x)
    {
        if (json_is_object(x) || json_is_array(x))
            return fakeapi__patch_panic(c);
        rc = fakeapi__patch_charge(c, json_array_size(by) + 1);
        for (k = 0, eq = false;
             rc == FAKEAPI_OK && !eq && k < json_array_size(by); k++) {
            y = json_array_get(by, k);
            rc = fakeapi__patch_value_eq(c, x, y, &eq);
        }
        if (rc == FAKEAPI_OK)
            rc = fakeapi__patch_smp_order_append(c, eq ? in : out,
                                                 patch_iterable(x));
        if (rc != FAKEAPI_OK)
            return rc;
    }
    return FAKEAPI_OK;
}

/* [am] findMapInSliceBasedOnKeyValue: the first map of @p list whose
 * @p key equals @p want; *pos is SIZE_MAX when none. */
int fakeapi__patch_smp_order_find(struct patch_ctx *c, const json_t *list,
                                  const char *key, const json_t *want,
                                  size_t *pos)
{
    const json_t *x;
    const json_t *v;
    char msg[64];
    bool eq;
    size_t i;

    *pos = SIZE_MAX;
    if (fakeapi__patch_charge(c, json_array_size(list) + 1) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    json_array_foreach(list, i, x)
    {
        if (!json_is_object(x)) {
            snprintf(msg, sizeof(msg), "value for key %zu is not a map", i);
            return fakeapi__patch_internal(c, msg);
        }
        v = json_object_get(x, key);
        if (!v)
            continue;
        if (fakeapi__patch_value_eq(c, v, want, &eq) != FAKEAPI_OK)
            return FAKEAPI_E_INVALID;
        if (eq) {
            *pos = i;
            break;
        }
    }
    return FAKEAPI_OK;
}

/* [am] partitionMapsByPresentInList. */
static int part_maps(struct patch_ctx *c, const json_t *merged,
                     const json_t *by, const char *key, json_t *in, json_t *out)
{
    const json_t *x;
    const json_t *v;
    size_t pos;
    size_t i;
    int rc;

    json_array_foreach(merged, i, x)
    {
        if (!json_is_object(x))
            return fakeapi__patch_smp_bad_arg(c, "map[string]interface {}", x);
        v = json_object_get(x, key);
        if (!v)
            return fakeapi__patch_smp_no_merge_key(c, x, key);
        rc = fakeapi__patch_smp_order_find(c, by, key, v, &pos);
        if (rc == FAKEAPI_OK)
            rc = fakeapi__patch_smp_order_append(c, pos != SIZE_MAX ? in : out,
                                                 patch_iterable(x));
        if (rc != FAKEAPI_OK)
            return rc;
    }
    return FAKEAPI_OK;
}

void fakeapi__patch_smp_order_release(struct smp_parts *p)
{
    json_decref(p->in);
    json_decref(p->rest);
}

/* Split @p merged by presence in @p by: by merge key when @p key is set
 * ([am] partitionMapsByPresentInList), by value otherwise. */
int fakeapi__patch_smp_order_partition(struct patch_ctx *c,
                                       const json_t *merged, const json_t *by,
                                       const char *key, struct smp_parts *p)
{
    p->in = json_array();
    p->rest = json_array();
    if (!p->in || !p->rest)
        return fakeapi__patch_fail(c, NULL);
    if (key)
        return part_maps(c, merged, by, key, p->in, p->rest);
    return part_prims(c, merged, by, p->in, p->rest);
}
