/*
 * patch: Content-Type mapping, dispatch to the three formats, and the
 * Status objects a failed patch answers (docs/kubernetes-api.md, Patch and
 * Status errors).
 */
#include "patch/patch.h"

#include <stdbool.h>
#include <string.h>

#include "base/status.h"
#include "fakeapi.h"
#include "patch/patch_int.h"

static const struct {
    const char *mime;
    enum fakeapi_patch_type type;
} patch_mimes[] = {
    {"application/json-patch+json", FAKEAPI_PATCH_JSON},
    {"application/merge-patch+json", FAKEAPI_PATCH_MERGE},
    {"application/strategic-merge-patch+json", FAKEAPI_PATCH_STRATEGIC},
    {"application/apply-patch+yaml", FAKEAPI_PATCH_APPLY},
};

/* ASCII case-insensitive comparison of @p len bytes with a lowercase
 * NUL-terminated @p lower of the same length. */
static bool ascii_ieq(const char *s, size_t len, const char *lower)
{
    size_t i;

    if (strlen(lower) != len)
        return false;
    for (i = 0; i < len; i++) {
        char ch = s[i];

        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != lower[i])
            return false;
    }
    return true;
}

enum fakeapi_patch_type fakeapi__patch_type(const char *content_type)
{
    const char *semi;
    size_t len;
    size_t i;

    if (!content_type)
        return FAKEAPI_PATCH_NONE;
    len = strlen(content_type);
    /* [as] PatchResource cuts at the first ';' only when it is not the
     * first byte, and compares what is left as is. The case folding is
     * fakeapi's (the real comparison is case-sensitive). */
    semi = strchr(content_type, ';');
    if (semi && semi != content_type)
        len = (size_t)(semi - content_type);
    for (i = 0; i < sizeof(patch_mimes) / sizeof(patch_mimes[0]); i++) {
        if (ascii_ieq(content_type, len, patch_mimes[i].mime))
            return patch_mimes[i].type;
    }
    return FAKEAPI_PATCH_NONE;
}

int fakeapi__patch_fail(struct patch_ctx *c, json_t *st)
{
    json_decref(c->status);
    c->status = st;
    return st ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
}

int fakeapi__patch_bad_request(struct patch_ctx *c, const char *msg)
{
    return fakeapi__patch_fail(c, fakeapi__status_bad_request("%s", msg));
}

int fakeapi__patch_invalid(struct patch_ctx *c)
{
    /* [am] errors.NewGenericServerResponse(422, ...): reason Invalid, the
     * generic message, details present but empty. */
    json_t *st = fakeapi__status_new(
        422, "Invalid",
        "the server rejected our request due to an error in our request");

    fakeapi__status_details(st, NULL, NULL);
    if (st && !json_object_get(st, "details")) {
        json_decref(st);
        st = NULL;
    }
    return fakeapi__patch_fail(c, st);
}

int fakeapi__patch_internal(struct patch_ctx *c, const char *msg)
{
    return fakeapi__patch_fail(c, fakeapi__status_new(500, NULL, "%s", msg));
}

int fakeapi__patch_panic(struct patch_ctx *c)
{
    /* [as] filters.WithPanicRecovery; the server sends it as text/plain. */
    return fakeapi__patch_internal(c, "This request caused apiserver to "
                                      "panic. Look in the logs for details.");
}

int fakeapi__patch_charge(struct patch_ctx *c, size_t units)
{
    json_t *st;

    if (units <= c->work) {
        c->work -= units;
        return FAKEAPI_OK;
    }
    c->work = 0;
    /* [as] finisher.FinishRequest on a deadline: NewTimeoutError. */
    st = fakeapi__status_new(504, "Timeout",
                             "Timeout: request did not complete within "
                             "requested timeout - context deadline exceeded");
    fakeapi__status_details(st, NULL, NULL);
    return fakeapi__patch_fail(c, st);
}

static json_t *unsupported(struct patch_ctx *c, enum fakeapi_patch_type type)
{
    json_t *st;

    /* go-restful route.go matchesContentType: a type the PATCH route
     * does not consume is refused before the handler, in its words */
    if (type == FAKEAPI_PATCH_NONE) {
        st = fakeapi__status_new(415, "UnsupportedMediaType",
                                 "415: Unsupported Media Type");
        fakeapi__status_details(st, NULL, NULL);
        fakeapi__patch_fail(c, st);
        return NULL;
    }
    /* [as] negotiation.NewUnsupportedMediaTypeError(patchTypes). */
    fakeapi__patch_fail(
        c, fakeapi__status_new(
               415, "UnsupportedMediaType",
               "the body of the request was in an unknown format - accepted "
               "media types include: application/json-patch+json, "
               "application/merge-patch+json, "
               "application/strategic-merge-patch+json, "
               "application/apply-patch+yaml"));
    return NULL;
}

/* [as] applyJSPatch and strategicPatchObject decode with
 * kjson.UnmarshalStrict (fieldValidation Warn, the default): JSON and merge
 * patches prefix the decode error, strategic ones do not. */
static json_t *dispatch(struct patch_ctx *c, enum fakeapi_patch_type type,
                        const json_t *orig, const char *doc, size_t len)
{
    json_t *patch = NULL;
    const char *prefix;

    if (type != FAKEAPI_PATCH_JSON && type != FAKEAPI_PATCH_MERGE &&
        type != FAKEAPI_PATCH_STRATEGIC)
        return unsupported(c, type);
    if (!json_is_object(orig)) {
        fakeapi__patch_internal(c, "patch target is not an object");
        return NULL;
    }
    prefix = type == FAKEAPI_PATCH_STRATEGIC ? "" : "error decoding patch: ";
    if (fakeapi__patch_syntax_decode(c, doc, len, prefix, &patch) !=
        FAKEAPI_OK) {
        /* [jp] MergePatch unmarshals the patch first and answers its own
         * errBadJSONPatch for any syntax error */
        if (type == FAKEAPI_PATCH_MERGE &&
            json_integer_value(json_object_get(c->status, "code")) == 400) {
            json_decref(c->status);
            c->status = NULL;
            fakeapi__patch_bad_request(c, "invalid JSON patch");
        }
        return NULL;
    }
    if (type == FAKEAPI_PATCH_JSON)
        return fakeapi__patch_json_apply(c, orig, patch);
    if (type == FAKEAPI_PATCH_MERGE)
        return fakeapi__patch_merge_apply(c, orig, patch);
    return fakeapi__patch_smp_apply(c, orig, patch);
}

json_t *fakeapi__patch_apply(enum fakeapi_patch_type type, const json_t *orig,
                             const char *doc, size_t len, json_t **status)
{
    struct patch_ctx c;
    json_t *res;

    c.work = PATCH_WORK_BUDGET;
    c.status = NULL;
    if (status)
        *status = NULL;
    res = dispatch(&c, type, orig, doc ? doc : "", doc ? len : 0);
    if (res) {
        json_decref(c.status);
        return res;
    }
    if (status)
        *status = c.status;
    else
        json_decref(c.status);
    return NULL;
}
