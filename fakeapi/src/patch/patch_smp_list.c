/*
 * patch_smp_list: the list half of strategic merge patch ([am] mergeSlice
 * and mergePatchIntoOriginal; where elements end up is patch_smp_order.c).
 *
 * A list tagged patchStrategy merge merges with the patch list:
 *  - primitives (metadata.finalizers) form a set union; with
 *    "$deleteFromPrimitiveList/<list>" the listed values are removed;
 *  - maps merge by the patchMergeKey: an element whose key matches a
 *    target element merges into it, others are appended; a patch element
 *    with "$patch": "delete" removes every target element with its key,
 *    one with "$patch": "replace" makes the other patch elements the list.
 * The result keeps the patch elements in patch order and the target-only
 * elements in target order, interleaved as [am] mergeSortedSlice does;
 * "$setElementOrder/<list>" gives the patch elements' order explicitly.
 * Lists of lists are a 422; mixed element types, missing merge keys and
 * non-map elements are untyped 500s with the Go error text.
 *
 * Lists here are jansson arrays; the quadratic scans of the Go code are
 * kept (lists in a Pod are short) and charged to the work budget.
 */
#include "patch/patch_smp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fakeapi.h"
#include "patch/patch.h"

/* [am] sliceElementType's error for mixed types: fmt.Sprint of its
 * [][]interface{} argument. */
static int mixed_types(struct patch_ctx *c, const json_t *a, const json_t *b)
{
    const json_t *lists[2] = {a, b};
    struct kbuf msg;
    size_t l;
    int rc;

    kbuf_init(&msg, PATCH_MSG_CAP + 64);
    kbuf_adds(&msg, "list element types are not identical: [");
    for (l = 0; l < 2; l++) {
        kbuf_adds(&msg, l ? " " : "");
        if (lists[l])
            fakeapi__gofmt_v(&msg, lists[l]);
        else
            kbuf_adds(&msg, "[]");
    }
    kbuf_adds(&msg, "]");
    rc = fakeapi__patch_internal(c, kbuf_str(&msg));
    kbuf_release(&msg);
    return rc;
}

/* [am] sliceElementType over @p a and @p b (either may be NULL): the one
 * Go type of all their elements. */
static int elem_type(struct patch_ctx *c, const json_t *a, const json_t *b,
                     enum patch_gotype *kind)
{
    const json_t *lists[2] = {a, b};
    const json_t *x;
    bool first = true;
    size_t l;
    size_t i;

    for (l = 0; l < 2; l++) {
        json_array_foreach(lists[l], i, x)
        {
            enum patch_gotype t = fakeapi__patch_value_type(x);

            if (first && t == PATCH_GO_NIL) /* nil reflect.Type .Kind() */
                return fakeapi__patch_panic(c);
            if (first && t == PATCH_GO_SLICE)
                return fakeapi__patch_invalid(c); /* ErrNoListOfLists */
            if (!first && t != *kind)
                return mixed_types(c, a, b);
            first = false;
            *kind = t;
        }
    }
    if (first)
        return fakeapi__patch_internal(
            c, "no elements in any of the given slices");
    return FAKEAPI_OK;
}

/* Whether @p list holds a value equal (Go ==) to @p v. */
static int contains(struct patch_ctx *c, const json_t *list, const json_t *v,
                    bool *found)
{
    const json_t *x;
    size_t i;

    *found = false;
    if (fakeapi__patch_charge(c, json_array_size(list) + 1) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    json_array_foreach(list, i, x)
    {
        if (fakeapi__patch_value_eq(c, x, v, found) != FAKEAPI_OK)
            return FAKEAPI_E_INVALID;
        if (*found)
            break;
    }
    return FAKEAPI_OK;
}

/* Primitive lists: [am] deduplicateScalars(append(orig, patch...)) (its
 * order does not matter, the result is reordered), or with @p del
 * [am] deleteFromSlice(orig, patch). */
static int merge_prims(struct patch_ctx *c, json_t *orig, json_t *patch,
                       bool del, json_t **out)
{
    json_t *res = json_array();
    json_t *merged;
    struct smp_parts p = {NULL, NULL};
    const json_t *x;
    bool found;
    size_t i;
    int rc = res ? FAKEAPI_OK : fakeapi__patch_fail(c, NULL);

    *out = NULL;
    json_array_foreach(orig, i, x)
    {
        if (rc == FAKEAPI_OK)
            rc = contains(c, del ? patch : res, x, &found);
        if (rc == FAKEAPI_OK && !found)
            rc = fakeapi__patch_smp_order_append(c, res, patch_iterable(x));
    }
    if (del) {
        *out = rc == FAKEAPI_OK ? res : NULL;
        if (rc != FAKEAPI_OK)
            json_decref(res);
        return rc;
    }
    json_array_foreach(patch, i, x)
    {
        if (rc == FAKEAPI_OK)
            rc = contains(c, res, x, &found);
        if (rc == FAKEAPI_OK && !found)
            rc = fakeapi__patch_smp_order_append(c, res, patch_iterable(x));
    }
    merged = res;
    if (rc == FAKEAPI_OK)
        rc = fakeapi__patch_smp_order_partition(c, merged, patch, NULL, &p);
    if (rc == FAKEAPI_OK)
        rc = fakeapi__patch_smp_order_normalize(c, p.in, p.rest, patch, orig,
                                                NULL, out);
    fakeapi__patch_smp_order_release(&p);
    json_decref(merged);
    return rc;
}

/* [am] deleteMatchingEntries: drop every map of @p list whose @p key
 * equals @p want; *out gets the new list. */
static int delete_matching(struct patch_ctx *c, json_t *list, const char *key,
                           const json_t *want, json_t **out)
{
    json_t *res = json_array();
    json_t *x;
    const json_t *v;
    bool eq;
    size_t i;
    int rc = res ? FAKEAPI_OK : fakeapi__patch_fail(c, NULL);

    json_array_foreach(list, i, x)
    {
        if (rc != FAKEAPI_OK)
            break;
        v = json_object_get(x, key);
        eq = false;
        if (v)
            rc = fakeapi__patch_value_eq(c, v, want, &eq);
        if (rc == FAKEAPI_OK && !eq)
            rc = fakeapi__patch_smp_order_append(c, res, x);
    }
    if (rc != FAKEAPI_OK) {
        json_decref(res);
        res = NULL;
    }
    *out = res;
    return rc;
}

/* One patch element holding "$patch" ([am] mergeSliceWithSpecialElements). */
static int special_one(struct patch_ctx *c, json_t *v, const char *key,
                       json_t **orig, bool *replace)
{
    const json_t *d = json_object_get(v, "$patch");
    const json_t *want;
    json_t *rest;
    int rc;

    if (fakeapi__patch_value_is(d, "delete")) {
        want = json_object_get(v, key);
        if (!want)
            return fakeapi__patch_smp_no_merge_key(c, v, key);
        rc = delete_matching(c, *orig, key, want, &rest);
        if (rc == FAKEAPI_OK) {
            json_decref(*orig);
            *orig = rest;
        }
        return rc;
    }
    if (fakeapi__patch_value_is(d, "replace")) {
        *replace = true;
        return FAKEAPI_OK;
    }
    if (fakeapi__patch_value_is(d, "merge"))
        return fakeapi__patch_internal(
            c, "merging lists cannot yet be specified in the patch");
    return fakeapi__patch_smp_bad_patch_type(c, d, v);
}

/* [am] mergeSliceWithSpecialElements: *orig2 and *patch2 get new lists. */
static int special(struct patch_ctx *c, const json_t *orig, json_t *patch,
                   const char *key, json_t **orig2, json_t **patch2)
{
    bool replace = false;
    json_t *v;
    size_t i;
    int rc = FAKEAPI_OK;

    *orig2 = fakeapi__patch_smp_order_copy(orig, json_array_size(orig));
    *patch2 = json_array();
    if (!*orig2 || !*patch2)
        rc = fakeapi__patch_fail(c, NULL);
    json_array_foreach(patch, i, v)
    {
        if (rc != FAKEAPI_OK)
            break;
        if (json_object_get(v, "$patch"))
            rc = special_one(c, v, key, orig2, &replace);
        else
            rc = fakeapi__patch_smp_order_append(c, *patch2, v);
    }
    if (rc == FAKEAPI_OK && replace) {
        json_decref(*orig2);
        *orig2 = *patch2;
        *patch2 = json_array();
        if (!*patch2)
            rc = fakeapi__patch_fail(c, NULL);
    }
    return rc;
}

/* [am] mergeSliceWithoutSpecialElements: merge each element of @p patch
 * into the element of @p list with its key, or append it. */
static int merge_elements(struct patch_ctx *c, json_t *list,
                          const json_t *patch, const char *key,
                          const struct smp_type *t)
{
    json_t *v;
    json_t *m = NULL;
    const json_t *want;
    size_t pos;
    size_t i;
    int rc = FAKEAPI_OK;

    json_array_foreach(patch, i, v)
    {
        want = json_object_get(v, key);
        if (!want)
            return fakeapi__patch_smp_no_merge_key(c, v, key);
        rc = fakeapi__patch_smp_order_find(c, list, key, want, &pos);
        if (rc == FAKEAPI_OK && pos == SIZE_MAX)
            rc = fakeapi__patch_smp_order_append(c, list, v);
        else if (rc == FAKEAPI_OK)
            rc = fakeapi__patch_smp_map(c, json_array_get(list, pos), v, t, &m);
        if (rc == FAKEAPI_OK && pos != SIZE_MAX &&
            json_array_set_new(list, pos, m) != 0)
            rc = fakeapi__patch_fail(c, NULL);
        if (rc != FAKEAPI_OK)
            return rc;
    }
    return FAKEAPI_OK;
}

/* The map branch of [am] mergeSlice. */
static int merge_maps(struct patch_ctx *c, json_t *orig, json_t *patch,
                      const struct smp_field *f, json_t **out)
{
    const char *key = f ? f->merge_key : NULL;
    json_t *orig2 = NULL;
    json_t *patch2 = NULL;
    json_t *server = NULL;
    struct smp_parts p = {NULL, NULL};
    int rc;

    *out = NULL;
    if (!key)
        return fakeapi__patch_internal(
            c, f && (f->flags & SMP_MERGE)
                   ? "cannot merge lists without merge key for string"
                   : "cannot merge lists without merge key for struct");
    rc = special(c, orig, patch, key, &orig2, &patch2);
    if (rc == FAKEAPI_OK) {
        /* Go's "original" keeps its length while appends grow "merged". */
        server = fakeapi__patch_smp_order_copy(orig2, json_array_size(orig2));
        rc = server ? FAKEAPI_OK : fakeapi__patch_fail(c, NULL);
    }
    if (rc == FAKEAPI_OK)
        rc = merge_elements(c, orig2, patch2, key, f->type);
    if (rc == FAKEAPI_OK)
        rc = fakeapi__patch_smp_order_partition(c, orig2, patch2, key, &p);
    if (rc == FAKEAPI_OK)
        rc = fakeapi__patch_smp_order_normalize(c, p.in, p.rest, patch2, server,
                                                key, out);
    fakeapi__patch_smp_order_release(&p);
    json_decref(server);
    json_decref(orig2);
    json_decref(patch2);
    return rc;
}

/* [am] mergeSlice. */
static int merge_slice(struct patch_ctx *c, json_t *orig, json_t *patch,
                       const struct smp_field *f, bool del, json_t **out)
{
    enum patch_gotype kind = PATCH_GO_NIL;
    int rc;

    *out = NULL;
    if (json_array_size(orig) == 0 && json_array_size(patch) == 0) {
        *out = json_incref(orig);
        return FAKEAPI_OK;
    }
    rc = elem_type(c, orig, patch, &kind);
    if (rc != FAKEAPI_OK)
        return rc;
    if (kind != PATCH_GO_MAP)
        return merge_prims(c, orig, patch, del, out);
    return merge_maps(c, orig, patch, f, out);
}

int fakeapi__patch_smp_list_merge(struct patch_ctx *c, json_t *orig,
                                  json_t *patch, const struct smp_field *f,
                                  bool is_delete, json_t **out)
{
    /* [am] mergeSliceHandler: deletion lists apply whatever the strategy
     * (kubernetes PR 110472); other untagged lists are replaced. */
    if ((f && (f->flags & SMP_MERGE)) || is_delete)
        return merge_slice(c, orig, patch, f, is_delete, out);
    *out = json_incref(patch);
    return FAKEAPI_OK;
}

/* [am] mergeKeyValueEqual. */
static int key_equal(struct patch_ctx *c, const json_t *l, const json_t *r,
                     const char *key, bool *eq)
{
    const json_t *lv;
    const json_t *rv;

    if (!key)
        return fakeapi__patch_value_eq(c, l, r, eq);
    if (!json_is_object(l))
        return fakeapi__patch_smp_bad_arg(c, "map[string]interface {}", l);
    if (!json_is_object(r))
        return fakeapi__patch_smp_bad_arg(c, "map[string]interface {}", r);
    lv = json_object_get(l, key);
    if (!lv)
        return fakeapi__patch_smp_no_merge_key(c, l, key);
    rv = json_object_get(r, key);
    if (!rv)
        return fakeapi__patch_smp_no_merge_key(c, r, key);
    return fakeapi__patch_value_eq(c, lv, rv, eq);
}

static int order_mismatch(struct patch_ctx *c, const json_t *list,
                          const json_t *order)
{
    struct kbuf msg;
    int rc;

    kbuf_init(&msg, 2 * PATCH_MSG_CAP + 128);
    kbuf_adds(&msg, "the order in patch list:\n");
    fakeapi__gofmt_v(&msg, list);
    kbuf_adds(&msg, "\n doesn't match $setElementOrder list:\n");
    fakeapi__gofmt_v(&msg, order);
    rc = fakeapi__patch_internal(c, kbuf_str(&msg));
    kbuf_release(&msg);
    return rc;
}

/* [am] validatePatchWithSetOrderList: the patch elements (deletions and
 * directives aside) must appear in @p order, in that order. */
static int check_order(struct patch_ctx *c, const json_t *list,
                       const json_t *order, const char *key)
{
    json_t *plain = json_array();
    size_t p = 0;
    size_t s = 0;
    bool eq = false;
    int rc = plain ? FAKEAPI_OK : fakeapi__patch_fail(c, NULL);

    if (rc != FAKEAPI_OK || !list || json_array_size(order) == 0 ||
        json_array_size(list) == 0)
        goto out;
    if (key)
        rc = fakeapi__patch_smp_order_split(c, list, plain, NULL);
    else if (json_array_extend(plain, patch_iterable(list)) != 0)
        rc = fakeapi__patch_fail(c, NULL);
    if (rc == FAKEAPI_OK)
        rc = fakeapi__patch_charge(c, json_array_size(plain) +
                                          json_array_size(order));
    while (rc == FAKEAPI_OK && p < json_array_size(plain) &&
           s < json_array_size(order)) {
        const json_t *x = json_array_get(plain, p);

        if (json_is_object(x) && json_object_get(x, "$patch")) {
            p++;
            continue;
        }
        rc = key_equal(c, x, json_array_get(order, s), key, &eq);
        p += eq;
        s++;
    }
    if (rc == FAKEAPI_OK && p < json_array_size(plain))
        rc = order_mismatch(c, list, order);
out:
    json_decref(plain);
    return rc;
}

/* The merged list for one "$setElementOrder/<name>" directive. */
static int order_merged(struct patch_ctx *c, json_t *ol, json_t *pl,
                        const struct smp_field *f, json_t **merged)
{
    *merged = NULL;
    if (ol && !pl) {
        *merged = json_incref(ol);
        return FAKEAPI_OK;
    }
    if (!ol)
        return fakeapi__patch_smp_strip(c, pl, merged);
    return fakeapi__patch_smp_list_merge(c, ol, pl, f, false, merged);
}

/* One directive of [am] mergePatchIntoOriginal; @p order is taken out of
 * the patch by the caller. */
static int order_one(struct patch_ctx *c, json_t *orig, json_t *patch,
                     const char *name, const json_t *order,
                     const struct smp_type *t)
{
    const struct smp_field *f = fakeapi__patch_smp_field(t, name);
    const char *key = f ? f->merge_key : NULL;
    json_t *ol = json_object_get(orig, name);
    json_t *pl = json_object_get(patch, name);
    json_t *merged = NULL;
    json_t *res = NULL;
    struct smp_parts p = {NULL, NULL};
    enum patch_gotype kind = PATCH_GO_NIL;
    int rc = FAKEAPI_OK;

    if (ol && !json_is_array(ol))
        return fakeapi__patch_smp_bad_arg(c, "[]interface {}", ol);
    if (pl && !json_is_array(pl))
        return fakeapi__patch_smp_bad_arg(c, "[]interface {}", pl);
    if (!ol && !pl)
        return check_order(c, pl, order, key);
    rc = check_order(c, pl, order, key);
    if (rc == FAKEAPI_OK)
        rc = order_merged(c, ol, pl, f, &merged);
    if (rc == FAKEAPI_OK)
        rc = fakeapi__patch_smp_order_partition(c, merged, order, key, &p);
    if (rc == FAKEAPI_OK)
        rc = elem_type(c, ol, pl, &kind);
    if (rc == FAKEAPI_OK)
        rc = fakeapi__patch_smp_order_normalize(
            c, p.in, p.rest, order, ol, kind == PATCH_GO_MAP ? key : NULL,
            &res);
    fakeapi__patch_smp_order_release(&p);
    if (rc == FAKEAPI_OK && json_object_set_new(orig, name, res) != 0)
        rc = fakeapi__patch_fail(c, NULL);
    else if (rc != FAKEAPI_OK)
        json_decref(res);
    if (rc == FAKEAPI_OK)
        json_object_del(patch, name);
    json_decref(merged);
    return rc;
}

int fakeapi__patch_smp_list_order(struct patch_ctx *c, json_t *orig,
                                  json_t *patch, const struct smp_type *t)
{
    json_t *keys = json_array();
    json_t *order;
    const char *k;
    const char *name;
    json_t *v;
    size_t i;
    int rc = keys ? FAKEAPI_OK : fakeapi__patch_fail(c, NULL);

    /* Copy the names first: the loop deletes keys from the patch. */
    json_object_foreach(patch, k, v)
    {
        if (rc == FAKEAPI_OK && strncmp(k, "$setElementOrder", 16) == 0 &&
            json_array_append_new(keys, json_string(k)) != 0)
            rc = fakeapi__patch_fail(c, NULL);
    }
    json_array_foreach(keys, i, v)
    {
        if (rc != FAKEAPI_OK)
            break;
        k = json_string_value(v);
        order = json_incref(json_object_get(patch, k));
        if (!order)
            continue; /* deleted as the list of an earlier directive */
        json_object_del(patch, k);
        name = fakeapi__patch_smp_suffix(k, "$setElementOrder");
        if (!json_is_array(order))
            rc = fakeapi__patch_smp_bad_arg(c, "[]interface {}", order);
        else if (!name)
            rc = fakeapi__patch_bad_request(
                c, "invalid patch format of setElementOrder list");
        else
            rc = order_one(c, orig, patch, name, order, t);
        json_decref(order);
    }
    json_decref(keys);
    return rc;
}
