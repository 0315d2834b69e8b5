/*
 * patch_smp: what the two strategic merge patch files share
 * (patch_smp.c: maps, directives, the Pod schema; patch_smp_list.c: lists).
 * Functions return FAKEAPI_OK or a failure recorded in the context.
 */
#ifndef FAKEAPI_PATCH_SMP_H
#define FAKEAPI_PATCH_SMP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "patch/patch_int.h"

/* patchStrategy tag values ([am] "merge", "retainKeys"). */
enum {
    SMP_MERGE = 1u,
    SMP_RETAIN_KEYS = 2u,
};

struct smp_type;

/* One tagged field of a Go struct in k8s.io/api/core/v1. */
struct smp_field {
    const char *name;            /* JSON name */
    const char *merge_key;       /* patchMergeKey, or NULL */
    unsigned flags;              /* SMP_MERGE, SMP_RETAIN_KEYS */
    const struct smp_type *type; /* the field's struct, or its elements' */
};

/* A Go struct: only the fields that carry tags or lead to some. */
struct smp_type {
    const struct smp_field *fields;
    size_t n;
};

/* The field @p name of @p t, or NULL (untagged, or @p t is NULL). */
const struct smp_field *fakeapi__patch_smp_field(const struct smp_type *t,
                                                 const char *name);

/* [am] mergeMap: merge @p patch into @p orig (NULL: an empty map), both
 * owned by the caller and changed in place; *out gets a new reference to
 * the merged map (@p orig itself, the patch for $patch: replace, or an
 * empty map for $patch: delete). */
int fakeapi__patch_smp_map(struct patch_ctx *c, json_t *orig, json_t *patch,
                           const struct smp_type *t, json_t **out);

/* [am] removeDirectives: drop every map holding "$patch" from @p v (maps
 * change in place, arrays are rebuilt). *out gets a new reference, or NULL
 * when @p v itself is such a map. */
int fakeapi__patch_smp_strip(struct patch_ctx *c, json_t *v, json_t **out);

/* [am] "$setElementOrder/..." or "$deleteFromPrimitiveList/...": the part
 * after "<prefix>/", or NULL when @p key is not of that form. */
const char *fakeapi__patch_smp_suffix(const char *key, const char *prefix);

/* Untyped 500s worded as [am] mergepatch words them. */
int fakeapi__patch_smp_no_merge_key(struct patch_ctx *c, const json_t *m,
                                    const char *key);
int fakeapi__patch_smp_bad_arg(struct patch_ctx *c, const char *expected,
                               const json_t *actual);
int fakeapi__patch_smp_bad_patch_type(struct patch_ctx *c, const json_t *t,
                                      const json_t *m);

/* [am] mergeSliceHandler: merge list @p patch into list @p orig for field
 * @p f (NULL: untagged); *out gets a new reference to the result. */
int fakeapi__patch_smp_list_merge(struct patch_ctx *c, json_t *orig,
                                  json_t *patch, const struct smp_field *f,
                                  bool is_delete, json_t **out);

/* [am] mergePatchIntoOriginal: apply and remove every "$setElementOrder/"
 * directive of @p patch, with its list, on @p orig (struct type @p t). */
int fakeapi__patch_smp_list_order(struct patch_ctx *c, json_t *orig,
                                  json_t *patch, const struct smp_type *t);

/* ---- patch_smp_order.c ------------------------------------------------*/

/* The two halves of a partition: the elements present in the "by" list
 * and the rest (new arrays). */
struct smp_parts {
    json_t *in;
    json_t *rest;
};

/* Shallow copy of the first @p n elements of @p a; NULL if out of memory. */
json_t *fakeapi__patch_smp_order_copy(const json_t *a, size_t n);

/* Append @p v (not consumed) to @p a. */
int fakeapi__patch_smp_order_append(struct patch_ctx *c, json_t *a, json_t *v);

/* [am] extractToDeleteItems: the maps of @p list without and with
 * "$patch": "delete" go to @p keep and @p del (which may be NULL). */
int fakeapi__patch_smp_order_split(struct patch_ctx *c, const json_t *list,
                                   json_t *keep, json_t *del);

/* [am] findMapInSliceBasedOnKeyValue: *pos is the first map of @p list
 * whose @p key equals @p want, SIZE_MAX when none. */
int fakeapi__patch_smp_order_find(struct patch_ctx *c, const json_t *list,
                                  const char *key, const json_t *want,
                                  size_t *pos);

/* Split @p merged by presence in @p by: by merge key when @p key is set,
 * by value otherwise. @p p is filled even on failure; release it. */
int fakeapi__patch_smp_order_partition(struct patch_ctx *c,
                                       const json_t *merged, const json_t *by,
                                       const char *key, struct smp_parts *p);

/* Release both halves of @p p. */
void fakeapi__patch_smp_order_release(struct smp_parts *p);

/* [am] normalizeElementOrder: @p in ordered by @p patch_order, @p rest by
 * @p server_order, then interleaved; *out gets a new list. @p key: compare
 * maps by that member, NULL to compare whole values. */
int fakeapi__patch_smp_order_normalize(struct patch_ctx *c, const json_t *in,
                                       const json_t *rest,
                                       const json_t *patch_order,
                                       const json_t *server_order,
                                       const char *key, json_t **out);

#endif
