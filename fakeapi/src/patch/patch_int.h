/*
 * patch_int: what the patch_*.c files share (see patch.h for the module).
 *
 * Internal functions return FAKEAPI_OK, FAKEAPI_E_INVALID (the failure
 * Status is in the context) or FAKEAPI_E_NOMEM (no Status could be made).
 * The reference for each rule is cited where it is followed: [am]
 * apimachinery strategicpatch, [as] apiserver handlers/patch.go, [jp]
 * evanphx/json-patch v4, [go] Go's encoding/json and fmt.
 */
#ifndef FAKEAPI_PATCH_INT_H
#define FAKEAPI_PATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "base/gofmt.h"
#include "kbuf.h"

/* [jp] AccumulatedCopySizeLimit, set by the server from its default
 * JSONPatchMaxCopyBytes (3 MiB). */
#define PATCH_MAX_COPY_BYTES ((size_t)3 * 1024 * 1024)

/* JSON patch may build deeper values than the document holds (a path plus
 * a value); the result is kept within this nesting so that jansson's
 * recursive free and dump stay far from the stack limit. */
#define PATCH_MAX_RESULT_DEPTH 1000

/* Work units (element visits and comparisons) a patch may use. The quadratic
 * list algorithms of strategicpatch stay far below this for any real Pod; a
 * hostile patch runs out and gets the 504 a server gives when the request
 * outlives its 34 s timeout ([as] finisher). */
#define PATCH_WORK_BUDGET ((size_t)1 << 26)

/* Longest message text a Status gets (Go prints whole maps into some). */
#define PATCH_MSG_CAP FAKEAPI_GOFMT_CAP

/* jansson iterates objects through non-const pointers only; this hands a
 * const value to json_object_foreach() for reading. */
static inline json_t *patch_iterable(const json_t *v)
{
    json_t *p;

    memcpy(&p, &v, sizeof(p));
    return p;
}

struct patch_ctx {
    size_t work;    /* units left before the 504 */
    json_t *status; /* the failure: a new reference, or NULL */
};

/* ---- patch.c: failures -------------------------------------------------*/

/* Record @p st (consumed) as the failure; FAKEAPI_E_INVALID, or
 * FAKEAPI_E_NOMEM when @p st is NULL. */
int fakeapi__patch_fail(struct patch_ctx *c, json_t *st);

/* 400 BadRequest with @p msg as message. */
int fakeapi__patch_bad_request(struct patch_ctx *c, const char *msg);

/* 422 Invalid as NewGenericServerResponse words it: the generic message
 * "the server rejected our request due to an error in our request" and
 * empty details; the cause text is dropped, as the server drops it. */
int fakeapi__patch_invalid(struct patch_ctx *c);

/* 500 with no reason and @p msg: how the server answers an error that is
 * not a Status ([as] ErrorToAPIStatus). */
int fakeapi__patch_internal(struct patch_ctx *c, const char *msg);

/* 500 for the inputs on which the Go code panics (nil dereference,
 * comparing or hashing maps); the server recovers with this text. */
int fakeapi__patch_panic(struct patch_ctx *c);

/* Spend @p units of work; FAKEAPI_OK, or a 504 Timeout failure. */
int fakeapi__patch_charge(struct patch_ctx *c, size_t units);

/* ---- patch_syntax.c: decoding the body -------------------------------*/

/*
 * Parse a patch body the way Go's encoding/json does before the server
 * looks at it: syntax errors worded as Go words them, nesting deeper than
 * FAKEAPI_PATCH_MAX_DEPTH refused, invalid UTF-8 and lone surrogates turned
 * into U+FFFD, integers beyond int64 read as reals. On failure a 400 whose
 * message is @p prefix followed by the Go error text.
 * @param out  on success a new reference to the value (any JSON type).
 */
int fakeapi__patch_syntax_decode(struct patch_ctx *c, const char *doc,
                                 size_t len, const char *prefix, json_t **out);

/* The word Go's UnmarshalTypeError uses for @p v: "object", "array",
 * "string", "number" or "bool". */
const char *fakeapi__patch_syntax_kind(const json_t *v);

/* ---- patch_merge.c, patch_json.c, patch_smp.c: the three formats ------*/

/* Each applies @p patch (an already decoded body, consumed) to a copy of
 * @p orig and returns a new reference, or NULL with the failure in @p c. */
json_t *fakeapi__patch_merge_apply(struct patch_ctx *c, const json_t *orig,
                                   json_t *patch);
json_t *fakeapi__patch_json_apply(struct patch_ctx *c, const json_t *orig,
                                  json_t *patch);
json_t *fakeapi__patch_smp_apply(struct patch_ctx *c, const json_t *orig,
                                 json_t *patch);

/* ---- patch_value.c: Go value semantics on jansson values ---------------*/

/* The Go dynamic types a decoded JSON value can have ([go] Unmarshal into
 * interface{} with PreserveInts). */
enum patch_gotype {
    PATCH_GO_NIL,
    PATCH_GO_MAP,
    PATCH_GO_SLICE,
    PATCH_GO_STRING,
    PATCH_GO_INT64,
    PATCH_GO_FLOAT64,
    PATCH_GO_BOOL,
};

enum patch_gotype fakeapi__patch_value_type(const json_t *v);

/* Go's == on two interface{} values: FAKEAPI_OK with *eq set, or a panic
 * failure when both hold maps or both hold slices (uncomparable). */
int fakeapi__patch_value_eq(struct patch_ctx *c, const json_t *a,
                            const json_t *b, bool *eq);

/* A string member equal to @p s, compared by bytes (strings may hold NUL). */
bool fakeapi__patch_value_is(const json_t *v, const char *s);

/* Nesting of @p v (0 for a scalar, 1 + deepest child for a container),
 * counted up to @p limit + 1 at most; visits are charged to @p c.
 * Returns FAKEAPI_OK or the 504 failure. */
int fakeapi__patch_value_depth(struct patch_ctx *c, const json_t *v,
                               size_t limit, size_t *depth);

/* Bytes json.Marshal writes for @p v (compact, with <, >, & and
 * U+2028/9 escaped): what [jp] deepCopy counts against the copy limit.
 * Visits are charged. */
int fakeapi__patch_value_size(struct patch_ctx *c, const json_t *v,
                              size_t *size);

/* [jp] lazyNode.equal: @p n from the document, @p o from a "test"
 * operation: deep equality, types exact, member order free; a null
 * element in arrays of equal length is the nil dereference the Go code
 * panics on. Returns FAKEAPI_OK with *eq, or a failure. */
int fakeapi__patch_value_lazy_equal(struct patch_ctx *c, const json_t *n,
                                    const json_t *o, bool *eq);

#endif
