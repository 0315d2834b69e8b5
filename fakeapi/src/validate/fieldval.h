/*
 * fieldval: server-side field validation of write bodies, the
 * `fieldValidation` query parameter (Ignore, Warn, Strict; absent or ""
 * is Warn), as kube-apiserver v1.37.2 applies it on create, update and
 * patch (k8s.io/apiserver/pkg/endpoints/handlers create.go, update.go,
 * patch.go). Unknown and duplicate fields are found as the strict JSON
 * decoder finds them (sigs.k8s.io/json, the UnmarshalStrict that
 * k8s.io/apimachinery/pkg/runtime/serializer/json uses), in document
 * order, against the Pod and Namespace schemas of the OpenAPI v2 document
 * fakeapi serves (openapi_v2_data.c, cut from a real server).
 */
#ifndef FAKEAPI_FIELDVAL_H
#define FAKEAPI_FIELDVAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "patch/patch.h"

#include <pthread.h>

/* The OpenAPI definitions the checks read: loaded from the document at
 * the first checked write (parsing takes a few milliseconds), immutable
 * after. One per server. */
struct fakeapi_schema {
    pthread_mutex_t mu;
    json_t *defs; /* NULL until loaded */
};

/* Set up @p s (nothing is loaded yet); 0, or -1 when out of resources. */
int fakeapi__schema_init(struct fakeapi_schema *s);

/* Release what @p s loaded. */
void fakeapi__schema_release(struct fakeapi_schema *s);

/* The directive (metav1.FieldValidation*). */
enum fakeapi_fieldval {
    FAKEAPI_FV_WARN = 0, /* the default: drop, and a Warning per field */
    FAKEAPI_FV_IGNORE,   /* drop silently */
    FAKEAPI_FV_STRICT,   /* refuse the write */
};

/*
 * Read ?fieldValidation (@p value, NULL when absent). @p options names the
 * options kind in the 422
 * ("CreateOptions", "UpdateOptions" or "PatchOptions").
 * Returns NULL with *out set, or a new 422 Invalid Status for any other
 * value (validation.ValidateCreateOptions and friends).
 */
json_t *fakeapi__fieldval_directive(const char *value, const char *options,
                                    enum fakeapi_fieldval *out);

/*
 * Check a create or update body (valid JSON text, already decoded without
 * type errors) of @p kind ("Pod" or "Namespace"). Ignore: nothing. Warn:
 * one warning per unknown or duplicate field is added to *@p warnings
 * (fakeapi__warn()). Strict: a new
 * 400 `<kind> in version "v1" cannot be handled as a <kind>: strict
 * decoding error: ...` is returned. NULL otherwise.
 */
json_t *fakeapi__fieldval_body(struct fakeapi_schema *schema,
                               enum fakeapi_fieldval fv, const char *kind,
                               const char *text, size_t len, json_t **warnings);

/*
 * Check a patch (patch.go applyPatchToCurrentObject, strategicPatchObject):
 * the patch document's own strict errors (duplicates; for a JSON patch
 * also unknown members of an operation, prefixed "json patch "), then the
 * unknown fields of the patched Pod @p obj. Warn adds warnings to *@p warnings;
 * Strict returns a new 422 ` "" is invalid: patch: Invalid value: ...`.
 */
json_t *fakeapi__fieldval_patch(struct fakeapi_schema *schema,
                                enum fakeapi_fieldval fv,
                                enum fakeapi_patch_type type, const char *doc,
                                size_t len, const json_t *obj,
                                json_t **warnings);

/*
 * The strict errors of @p text against definition @p def of the OpenAPI
 * document (e.g. "io.k8s.api.core.v1.Pod"), or NULL for a document of any
 * shape (only duplicates count), each appended to @p errs as the decoder
 * words it (`unknown field "spec.bogus"`, `duplicate field "metadata"`).
 * For tests. Returns 0, or -1 when out of memory.
 */
int fakeapi__fieldval_scan(struct fakeapi_schema *schema, const char *def,
                           const char *text, size_t len, json_t *errs);

/*
 * Drop the members a @p kind ("Pod", "Namespace") does not have from
 * @p obj, at any depth, as decoding into the Go types does whatever the
 * directive (with Ignore too: an unknown field is never stored).
 */
void fakeapi__fieldval_prune(struct fakeapi_schema *schema, const char *kind,
                             json_t *obj);

/*
 * Add a warning text to *@p warnings (a JSON array, made when NULL) as
 * the apiserver's recorder does (filters/warning.go AddWarning):
 * duplicates dropped; the header values are made when the answer is sent
 * (fakeapi__fieldval_headers()).
 */
void fakeapi__warn(json_t **warnings, const char *text);

/*
 * The Warning header values for @p texts (a JSON array of strings) into
 * @p headers (a JSON array): `299 - "<text>"` with `"` and `\` escaped;
 * past 4096 runes in all, every text is cut to 256 runes and the ones
 * after the limit are left out (filters/warning.go).
 */
void fakeapi__fieldval_headers(const json_t *texts, json_t *headers);

#endif
