/*
 * patch_smp: strategic merge patch of a Pod, as the API server applies it
 * ([as] strategicPatchObject -> [am] StrategicMergeMapPatch with
 * MergeParallelList and IgnoreUnmatchedNulls). This file holds the Pod's
 * tags, the map merge and the directives; patch_smp_list.c the lists.
 *
 * The rules, in the order [am] mergeMap applies them to each map:
 *  - "$patch": "replace" makes the patch map the result (minus "$patch");
 *    "delete" makes the result an empty map; any other value is an
 *    untyped 500 "unknown patch type: ... in map: map[...]".
 *  - "$retainKeys": [..] drops the target's keys not listed; a patch key
 *    (not null, not a directive) missing from the list is a 400.
 *  - "$setElementOrder/<list>": [..] merges <list> and orders the result
 *    (patch_smp_list.c).
 *  - Then each key: null deletes; "$deleteFromPrimitiveList/<list>"
 *    removes those values from <list>; a key the target lacks, or holds
 *    with another JSON type, takes the patch value with its null members
 *    dropped and any map holding "$patch" removed; two maps merge
 *    recursively; two lists merge by the field's patchMergeKey when it is
 *    tagged patchStrategy merge, and are replaced otherwise.
 * The patch is walked in document order; Go walks maps in random order,
 * which only matters for patches that both set and delete one list.
 * Deviations: fields outside the table below are treated as untagged
 * instead of failing the schema lookup (the server only sees typed Pods,
 * which have no such fields); values the server would drop when decoding
 * into the Pod type (nulls and directives left inside replaced lists and
 * appended elements, unknown fields) are kept as the merge leaves them.
 */
#include "patch/patch_smp.h"

#include <string.h>

#include "base/status.h"
#include "fakeapi.h"
#include "patch/patch.h"

/* The patchStrategy/patchMergeKey tags of the Pod types, k8s.io/api
 * core/v1 types.go at 1.32 (EphemeralContainer shares Container's tags
 * through EphemeralContainerCommon). Fields absent here are untagged:
 * their maps merge and their lists (tolerations, containerStatuses, args,
 * command, readinessGates, ...) are replaced. */
static const struct smp_field container_fields[] = {
    /* ContainerPort is keyed by containerPort alone for SMP (the
     * listMapKey containerPort+protocol pair is for server-side apply), so
     * two ports with one number and different protocols collide. */
    {"env", "name", SMP_MERGE, NULL},
    {"ports", "containerPort", SMP_MERGE, NULL},
    {"volumeDevices", "devicePath", SMP_MERGE, NULL},
    {"volumeMounts", "mountPath", SMP_MERGE, NULL},
};
static const struct smp_type container_type = {container_fields, 4};

static const struct smp_field meta_fields[] = {
    {"finalizers", NULL, SMP_MERGE, NULL},
    {"ownerReferences", "uid", SMP_MERGE, NULL},
};
static const struct smp_type meta_type = {meta_fields, 2};

static const struct smp_field spec_fields[] = {
    {"containers", "name", SMP_MERGE, &container_type},
    {"ephemeralContainers", "name", SMP_MERGE, &container_type},
    {"hostAliases", "ip", SMP_MERGE, NULL},
    {"imagePullSecrets", "name", SMP_MERGE, NULL},
    {"initContainers", "name", SMP_MERGE, &container_type},
    {"resourceClaims", "name", SMP_MERGE | SMP_RETAIN_KEYS, NULL},
    {"schedulingGates", "name", SMP_MERGE, NULL},
    {"topologySpreadConstraints", "topologyKey", SMP_MERGE, NULL},
    {"volumes", "name", SMP_MERGE | SMP_RETAIN_KEYS, NULL},
};
static const struct smp_type spec_type = {spec_fields, 9};

static const struct smp_field status_fields[] = {
    {"conditions", "type", SMP_MERGE, NULL},
    {"hostIPs", "ip", SMP_MERGE, NULL},
    {"podIPs", "ip", SMP_MERGE, NULL},
    {"resourceClaimStatuses", "name", SMP_MERGE | SMP_RETAIN_KEYS, NULL},
};
static const struct smp_type status_type = {status_fields, 4};

static const struct smp_field pod_fields[] = {
    {"metadata", NULL, 0, &meta_type},
    {"spec", NULL, 0, &spec_type},
    {"status", NULL, 0, &status_type},
};
static const struct smp_type pod_type = {pod_fields, 3};

const struct smp_field *fakeapi__patch_smp_field(const struct smp_type *t,
                                                 const char *name)
{
    size_t i;

    for (i = 0; t && i < t->n; i++) {
        if (strcmp(t->fields[i].name, name) == 0)
            return &t->fields[i];
    }
    return NULL;
}

const char *fakeapi__patch_smp_suffix(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);

    /* [am] extractKey: strings.SplitN(key, "/", 2)[0] must be the prefix */
    if (strncmp(key, prefix, n) != 0 || key[n] != '/')
        return NULL;
    return key + n + 1;
}

/* Build an untyped 500 from literal text and values printed by Go's fmt. */
static int fail_fmt(struct patch_ctx *c, const char *a, const json_t *v1,
                    char verb1, const char *b, const json_t *v2,
                    const char *tail)
{
    struct kbuf msg;
    int rc;

    kbuf_init(&msg, PATCH_MSG_CAP + 256);
    kbuf_adds(&msg, a);
    if (verb1 == 's')
        fakeapi__gofmt_s(&msg, v1);
    else
        fakeapi__gofmt_v(&msg, v1);
    kbuf_adds(&msg, b);
    if (v2)
        fakeapi__gofmt_v(&msg, v2);
    kbuf_adds(&msg, tail);
    rc = fakeapi__patch_internal(c, kbuf_str(&msg));
    kbuf_release(&msg);
    return rc;
}

int fakeapi__patch_smp_no_merge_key(struct patch_ctx *c, const json_t *m,
                                    const char *key)
{
    struct kbuf tail;
    int rc;

    kbuf_init(&tail, 256 + strlen(key));
    kbuf_addf(&tail, " does not contain declared merge key: %s", key);
    rc = fail_fmt(c, "map: ", m, 'v', kbuf_str(&tail), NULL, "");
    kbuf_release(&tail);
    return rc;
}

int fakeapi__patch_smp_bad_arg(struct patch_ctx *c, const char *expected,
                               const json_t *actual)
{
    struct kbuf msg;
    int rc;

    kbuf_init(&msg, 256);
    kbuf_addf(&msg, "expected a %s, but received a %s", expected,
              fakeapi__gofmt_type(actual));
    rc = fakeapi__patch_internal(c, kbuf_str(&msg));
    kbuf_release(&msg);
    return rc;
}

int fakeapi__patch_smp_bad_patch_type(struct patch_ctx *c, const json_t *t,
                                      const json_t *m)
{
    return fail_fmt(c, "unknown patch type: ", t, 's', " in map: ", m, "");
}

/* [am] discardNullValuesFromPatch: drop null members, at any depth (null
 * list elements stay). */
static int discard_nulls(struct patch_ctx *c, json_t *v)
{
    const char *k;
    json_t *x;
    void *tmp;
    size_t i;
    int rc = fakeapi__patch_charge(c, 1);

    if (rc == FAKEAPI_OK && json_is_object(v)) {
        json_object_foreach_safe(v, tmp, k, x)
        {
            if (json_is_null(x))
                json_object_del(v, k);
            else
                rc = discard_nulls(c, x);
            if (rc != FAKEAPI_OK)
                break;
        }
    } else if (rc == FAKEAPI_OK && json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            rc = discard_nulls(c, x);
            if (rc != FAKEAPI_OK)
                break;
        }
    }
    return rc;
}

static int strip_array(struct patch_ctx *c, json_t *v, json_t **out)
{
    json_t *res = json_array();
    json_t *x;
    json_t *y;
    size_t i;
    int rc = res ? FAKEAPI_OK : fakeapi__patch_fail(c, NULL);

    json_array_foreach(v, i, x)
    {
        if (rc != FAKEAPI_OK)
            break;
        rc = fakeapi__patch_smp_strip(c, x, &y);
        if (rc == FAKEAPI_OK && y && json_array_append_new(res, y) != 0)
            rc = fakeapi__patch_fail(c, NULL);
    }
    if (rc != FAKEAPI_OK) {
        json_decref(res);
        res = NULL;
    }
    *out = res;
    return rc;
}

int fakeapi__patch_smp_strip(struct patch_ctx *c, json_t *v, json_t **out)
{
    const char *k;
    json_t *x;
    json_t *y;
    void *tmp;
    int rc = fakeapi__patch_charge(c, 1);

    *out = NULL;
    if (rc != FAKEAPI_OK || (json_is_object(v) && json_object_get(v, "$patch")))
        return rc;
    if (json_is_array(v))
        return strip_array(c, v, out);
    if (json_is_object(v)) {
        json_object_foreach_safe(v, tmp, k, x)
        {
            rc = fakeapi__patch_smp_strip(c, x, &y);
            if (rc != FAKEAPI_OK)
                return rc;
            if (!y)
                json_object_del(v, k);
            else if (json_object_set_new(v, k, y) != 0)
                return fakeapi__patch_fail(c, NULL);
        }
    }
    *out = json_incref(v);
    return FAKEAPI_OK;
}

/* [am] handleDirectiveInMergeMap, for a map holding "$patch". */
static int map_directive(struct patch_ctx *c, json_t *d, json_t *patch,
                         json_t **out)
{
    if (fakeapi__patch_value_is(d, "replace")) {
        json_object_del(patch, "$patch");
        *out = json_incref(patch);
        return FAKEAPI_OK;
    }
    if (fakeapi__patch_value_is(d, "delete")) {
        *out = json_object();
        return *out ? FAKEAPI_OK : fakeapi__patch_fail(c, NULL);
    }
    return fakeapi__patch_smp_bad_patch_type(c, d, patch);
}

/* Whether the list @p list holds the string @p key. */
static bool listed(const json_t *list, const char *key)
{
    const json_t *x;
    size_t i;

    json_array_foreach(list, i, x)
    {
        if (fakeapi__patch_value_is(x, key))
            return true;
    }
    return false;
}

static int check_retain(struct patch_ctx *c, const json_t *list,
                        const json_t *patch)
{
    const char *k;
    json_t *v;
    size_t i;

    json_array_foreach(list, i, v)
    {
        /* the list becomes a Go map[interface{}] key set */
        if (json_is_object(v) || json_is_array(v))
            return fakeapi__patch_panic(c);
    }
    json_object_foreach(patch_iterable(patch), k, v)
    {
        if (json_is_null(v) ||
            strncmp(k, "$deleteFromPrimitiveList", 24) == 0 ||
            strncmp(k, "$setElementOrder", 16) == 0)
            continue;
        if (!listed(list, k))
            return fakeapi__patch_bad_request(
                c, "invalid patch format of retainKeys");
    }
    return FAKEAPI_OK;
}

/* [am] applyRetainKeysDirective. */
static int retain_keys(struct patch_ctx *c, json_t *orig, json_t *patch)
{
    json_t *list = json_incref(json_object_get(patch, "$retainKeys"));
    const char *k;
    json_t *v;
    void *tmp;
    int rc;

    if (!list)
        return FAKEAPI_OK;
    json_object_del(patch, "$retainKeys");
    rc = fakeapi__patch_charge(
        c, (json_object_size(patch) + json_object_size(orig) + 1) *
               (json_array_size(list) + 1));
    if (rc == FAKEAPI_OK && !json_is_array(list))
        rc =
            fakeapi__patch_bad_request(c, "invalid patch format of retainKeys");
    if (rc == FAKEAPI_OK)
        rc = check_retain(c, list, patch);
    if (rc == FAKEAPI_OK) {
        json_object_foreach_safe(orig, tmp, k, v)
        {
            if (!listed(list, k))
                json_object_del(orig, k);
        }
    }
    json_decref(list);
    return rc;
}

/* A key the target lacks or holds with another type: take the patch
 * value with its nulls dropped and its "$patch" maps removed. */
static int take(struct patch_ctx *c, json_t *orig, const char *key, json_t *pv)
{
    json_t *v;
    int rc = discard_nulls(c, pv);

    if (rc == FAKEAPI_OK)
        rc = fakeapi__patch_smp_strip(c, pv, &v);
    if (rc != FAKEAPI_OK)
        return rc;
    if (!v) {
        json_object_del(orig, key);
        return FAKEAPI_OK;
    }
    return json_object_set_new(orig, key, v) == 0
               ? FAKEAPI_OK
               : fakeapi__patch_fail(c, NULL);
}

/* One key of [am] mergeMap's main loop. */
static int merge_key(struct patch_ctx *c, json_t *orig, const char *k,
                     json_t *pv, const struct smp_type *t)
{
    const struct smp_field *f;
    const char *key = k;
    const char *rest;
    bool del = false;
    json_t *ov;
    json_t *res = NULL;
    int rc;

    if (strncmp(k, "$deleteFromPrimitiveList", 24) == 0) {
        rest = fakeapi__patch_smp_suffix(k, "$deleteFromPrimitiveList");
        if (!rest)
            return fakeapi__patch_bad_request(
                c, "invalid patch format of primitive list");
        key = *rest ? rest : k;
        del = true;
    }
    if (json_is_null(pv)) {
        json_object_del(orig, key);
        return FAKEAPI_OK;
    }
    ov = json_object_get(orig, key);
    if (!ov || fakeapi__patch_value_type(ov) != fakeapi__patch_value_type(pv))
        return del ? FAKEAPI_OK : take(c, orig, key, pv);
    f = fakeapi__patch_smp_field(t, key);
    if (json_is_object(ov))
        rc = fakeapi__patch_smp_map(c, ov, pv, f ? f->type : NULL, &res);
    else if (json_is_array(ov))
        rc = fakeapi__patch_smp_list_merge(c, ov, pv, f, del, &res);
    else
        rc = fakeapi__patch_smp_strip(c, pv, &res);
    if (rc != FAKEAPI_OK)
        return rc;
    if (!res)
        return FAKEAPI_OK;
    return json_object_set_new(orig, key, res) == 0
               ? FAKEAPI_OK
               : fakeapi__patch_fail(c, NULL);
}

int fakeapi__patch_smp_map(struct patch_ctx *c, json_t *orig, json_t *patch,
                           const struct smp_type *t, json_t **out)
{
    json_t *d = json_object_get(patch, "$patch");
    json_t *res;
    const char *k;
    json_t *pv;
    int rc;

    *out = NULL;
    if (d)
        return map_directive(c, d, patch, out);
    res = orig ? json_incref(orig) : json_object();
    if (!res)
        return fakeapi__patch_fail(c, NULL);
    rc = retain_keys(c, res, patch);
    if (rc == FAKEAPI_OK)
        rc = fakeapi__patch_smp_list_order(c, res, patch, t);
    json_object_foreach(patch, k, pv)
    {
        if (rc != FAKEAPI_OK)
            break;
        rc = fakeapi__patch_charge(c, 1);
        if (rc == FAKEAPI_OK)
            rc = merge_key(c, res, k, pv, t);
    }
    if (rc != FAKEAPI_OK) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return FAKEAPI_OK;
}

json_t *fakeapi__patch_smp_apply(struct patch_ctx *c, const json_t *orig,
                                 json_t *patch)
{
    json_t *copy = NULL;
    json_t *res = NULL;

    if (!json_is_object(patch) && !json_is_null(patch)) {
        /* [as] kjson.UnmarshalStrict into map[string]interface{} */
        fakeapi__patch_fail(
            c, fakeapi__status_bad_request(
                   "json: cannot unmarshal %s into Go value of type "
                   "map[string]interface {}",
                   fakeapi__patch_syntax_kind(patch)));
        goto out;
    }
    copy = json_deep_copy(orig);
    if (!copy) {
        fakeapi__patch_fail(c, NULL);
        goto out;
    }
    /* A null body decodes to a nil map: nothing to merge. */
    if (json_is_null(patch))
        res = json_incref(copy);
    else if (fakeapi__patch_smp_map(c, copy, patch, &pod_type, &res) !=
             FAKEAPI_OK)
        res = NULL;
out:
    json_decref(copy);
    json_decref(patch);
    return res;
}
