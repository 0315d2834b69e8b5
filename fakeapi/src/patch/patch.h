/*
 * patch: the PATCH engine of fakeapi (docs/kubernetes-api.md, Patch).
 *
 * Three patch formats, applied to a Pod as a Kubernetes 1.32 API server
 * applies them, with the Status it answers when they fail:
 *  - JSON patch (RFC 6902) with the semantics of gopkg.in/evanphx/json-patch
 *    v4, which the server uses: "add" under a missing parent fails, array
 *    indices may be negative, "copy" may grow the object by 3 MiB at most.
 *  - JSON merge patch (RFC 7386) as evanphx/json-patch MergePatch applies it:
 *    objects merge recursively, null deletes a member, arrays are replaced,
 *    and values taken from the patch lose their nulls.
 *  - Strategic merge patch as k8s.io/apimachinery/pkg/util/strategicpatch
 *    applies it server-side, with the patchStrategy and patchMergeKey tags
 *    of the k8s.io/api/core/v1 Pod types (the table is in patch_smp.c).
 *
 * Every function here is pure: it never modifies its inputs, and a result
 * shares no node with them, so the caller may change a result freely.
 * Thread-safety: all functions may be called concurrently.
 */
#ifndef FAKEAPI_PATCH_H
#define FAKEAPI_PATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* ---- Types -------------------------------------------------------------*/

/** The PATCH body formats, named by their Content-Type. */
enum fakeapi_patch_type {
    FAKEAPI_PATCH_NONE = 0,  /**< unsupported Content-Type */
    FAKEAPI_PATCH_JSON,      /**< application/json-patch+json */
    FAKEAPI_PATCH_MERGE,     /**< application/merge-patch+json */
    FAKEAPI_PATCH_STRATEGIC, /**< application/strategic-merge-patch+json */
    FAKEAPI_PATCH_APPLY,     /**< application/apply-patch+yaml (refused) */
};

/** Most operations one JSON patch may hold ([as] maxJSONPatchOperations). */
#define FAKEAPI_PATCH_MAX_OPS 10000

/** Deepest nesting of arrays and objects a patch document may have. */
#define FAKEAPI_PATCH_MAX_DEPTH 100

/* ---- Operations ----------------------------------------------------------*/

/**
 * Map a Content-Type header to a patch type.
 * Parameters (";charset=utf-8") are ignored and the media type is compared
 * case-insensitively; surrounding blanks are not trimmed (the server does
 * not trim either).
 * @param content_type  the header value, NUL-terminated; NULL gives NONE.
 * @return the patch type, or FAKEAPI_PATCH_NONE if the type is unknown.
 */
enum fakeapi_patch_type fakeapi__patch_type(const char *content_type);

/**
 * Apply a patch document to a Pod object.
 * @param type    the patch format (from fakeapi__patch_type()).
 * @param orig    the stored Pod, a JSON object (borrowed, not modified).
 * @param doc     the request body (need not be NUL-terminated).
 * @param len     length of @p doc in bytes.
 * @param status  optional; on failure a new Status reference (free with
 *                json_decref()), or NULL if out of memory. Set to NULL on
 *                success.
 * @return a new reference to the patched object, or NULL on failure with
 *         *status one of: 400 BadRequest (malformed document, wrong JSON
 *         types, bad directive format, nesting deeper than
 *         FAKEAPI_PATCH_MAX_DEPTH), 413 RequestEntityTooLarge (more than
 *         FAKEAPI_PATCH_MAX_OPS operations), 415 UnsupportedMediaType
 *         (FAKEAPI_PATCH_NONE and FAKEAPI_PATCH_APPLY: server-side apply is
 *         not implemented), 422 Invalid (a JSON-patch operation that cannot
 *         apply, a list of lists), 500 without reason (strategic merge
 *         errors the server does not type, such as an unknown $patch value
 *         or a missing merge key), 504 Timeout (the patch needs more work
 *         than a server would finish within its request timeout).
 *         The result may lack "status" (a "status": null patch); resetting
 *         fields the request may not change is the caller's job.
 */
json_t *fakeapi__patch_apply(enum fakeapi_patch_type type, const json_t *orig,
                             const char *doc, size_t len, json_t **status);

/**
 * Merge @p patch into @p target (RFC 7386 MergePatch) as the server's
 * evanphx/json-patch MergePatch does: an object patch merges into an
 * object target, null deleting members; a value taken from the patch where
 * the target has no object to merge into is pruned of null members and
 * null array elements at any depth (the one departure from the RFC); a
 * non-object patch replaces the target (a null patch gives null).
 * @param target  any JSON value (borrowed, not modified).
 * @param patch   any JSON value (borrowed, not modified).
 * @return a new reference sharing no node with the inputs, or NULL if out
 *         of memory.
 */
json_t *fakeapi__merge_patch(const json_t *target, const json_t *patch);

/**
 * Check @p len bytes of JSON text as Go's encoding/json scanner does.
 * @param doc   the text (not NUL-terminated).
 * @param len   its length.
 * @param msg   on a syntax error, Go's words ("unexpected end of JSON
 *              input", "invalid character 'x' looking for ...").
 * @param size  the size of @p msg.
 * @return true when the text has a syntax error.
 */
bool fakeapi__json_syntax_error(const char *doc, size_t len, char *msg,
                                size_t size);

/*
 * Whether jansson failing on a text fakeapi__json_syntax_error() accepted
 * means that memory ran out: it says so, says nothing (an allocation
 * before the first token failed), or reports a syntax error the text
 * cannot have (a string it could not copy is an "invalid token", a key
 * "string or '}' expected": jansson's load.c, lex_scan_string). Its
 * refusals where it is stricter than Go (a lone surrogate escape, bad
 * UTF-8, a NUL in a key, a number out of range) are the text's.
 */
bool fakeapi__json_oom(const json_error_t *err);

/*
 * json_loadb(), but never a tree that lost bytes on the way: jansson's
 * lexer drops a byte of a long key or string when its buffer cannot grow
 * (load.c, lex_save ignores the failure), and the parse succeeds. The
 * decoded bytes of every key and string are counted in the text (Go's
 * scanner, above) and in the tree; fewer in the tree is a key given twice
 * or a lost byte, and a second parse tells which. NULL with @p err saying
 * "out of memory" (fakeapi__json_oom()) when bytes were lost. A text with
 * a syntax error or that needs Go's rewrite (bad UTF-8, surrogate escapes)
 * is not counted.
 */
json_t *fakeapi__json_loadb(const char *doc, size_t len, size_t flags,
                            json_error_t *err);

/* The counts fakeapi__json_loadb() compares: false when the text cannot
 * be counted. */
bool fakeapi__json_text_bytes(const char *doc, size_t len, size_t *bytes);
size_t fakeapi__json_tree_text_bytes(const json_t *v);

#endif
