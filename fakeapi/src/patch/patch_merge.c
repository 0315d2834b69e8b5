/*
 * patch_merge: JSON merge patch (RFC 7386) as the API server applies it,
 * through evanphx/json-patch v4 MergePatch ([jp] merge.go).
 *
 * RFC 7386, except that a value taken from the patch because the target
 * member is missing, null or not an object is pruned of null members and
 * null array elements, at any depth ([jp] pruneNulls); an object member
 * replaced by a non-object patch value takes that value as it is ([jp]
 * merge returns it unpruned). The server then decodes the result into a
 * Pod; that step is the caller's (validation), not this file's.
 */
#include "patch/patch.h"

#include "base/status.h"
#include "fakeapi.h"
#include "patch/patch_int.h"

/* Drop null members and null elements from @p v (a reference this takes);
 * returns a reference to the pruned value, or NULL if out of memory. */
static json_t *prune(json_t *v)
{
    const char *k;
    json_t *x;
    json_t *out;
    void *tmp;
    size_t i;

    if (json_is_object(v)) {
        json_object_foreach_safe(v, tmp, k, x)
        {
            if (json_is_null(x)) {
                json_object_del(v, k);
                continue;
            }
            if (!json_is_object(x) && !json_is_array(x))
                continue;
            x = prune(json_incref(x));
            if (!x || json_object_set_new(v, k, x) != 0) {
                json_decref(v);
                return NULL;
            }
        }
        return v;
    }
    if (!json_is_array(v))
        return v;
    out = json_array();
    json_array_foreach(v, i, x)
    {
        if (!out || json_is_null(x))
            continue;
        if (json_array_append_new(out, prune(json_incref(x))) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    json_decref(v);
    return out;
}

static json_t *merge(json_t *cur, const json_t *patch);

/* [jp] mergeDocs: merge @p patch (an object) into @p doc (an object we
 * own) in place. */
static int merge_docs(json_t *doc, const json_t *patch)
{
    const char *k;
    json_t *v;
    json_t *cur;
    json_t *nv;

    json_object_foreach(patch_iterable(patch), k, v)
    {
        if (json_is_null(v)) {
            json_object_del(doc, k);
            continue;
        }
        cur = json_object_get(doc, k);
        if (!cur || json_is_null(cur))
            nv = prune(json_deep_copy(v));
        else
            nv = merge(cur, v);
        if (!nv || json_object_set_new(doc, k, nv) != 0)
            return FAKEAPI_E_NOMEM;
    }
    return FAKEAPI_OK;
}

/* [jp] merge: @p cur is a member of our copy; returns the new member. */
static json_t *merge(json_t *cur, const json_t *patch)
{
    if (!json_is_object(cur))
        return prune(json_deep_copy(patch));
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    if (merge_docs(cur, patch) != FAKEAPI_OK)
        return NULL;
    return json_incref(cur);
}

json_t *fakeapi__merge_patch(const json_t *target, const json_t *patch)
{
    json_t *doc;

    if (json_is_null(patch))
        return json_null();
    if (!json_is_object(patch) || !json_is_object(target))
        return json_is_object(patch) || json_is_array(patch)
                   ? prune(json_deep_copy(patch))
                   : json_deep_copy(patch);
    doc = json_deep_copy(target);
    if (doc && merge_docs(doc, patch) != FAKEAPI_OK) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

json_t *fakeapi__patch_merge_apply(struct patch_ctx *c, const json_t *orig,
                                   json_t *patch)
{
    json_t *res = NULL;
    json_t *st;

    if (json_is_object(patch)) {
        res = fakeapi__merge_patch(orig, patch);
        if (!res)
            fakeapi__patch_fail(c, NULL);
    } else if (json_is_null(patch)) {
        /* [as] applyJSPatch: MergePatch's ErrBadJSONPatch is a 400. */
        fakeapi__patch_bad_request(c, "Invalid JSON Patch");
    } else {
        /* [as] kjson.UnmarshalStrict into map[string]interface{}. */
        st = fakeapi__status_bad_request(
            "error decoding patch: json: cannot unmarshal %s into Go value "
            "of type map[string]interface {}",
            fakeapi__patch_syntax_kind(patch));
        fakeapi__patch_fail(c, st);
    }
    json_decref(patch);
    return res;
}
