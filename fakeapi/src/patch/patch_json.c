/*
 * patch_json: JSON patch (RFC 6902) as the API server applies it, through
 * gopkg.in/evanphx/json-patch.v4 ([jp] patch.go), after decoding the body
 * into []jsonPatchOp ([as] applyJSPatch).
 *
 * What the server does and this file follows:
 *  - The body must be an array (or null: no operations) of objects (or
 *    nulls) whose "op", "path" and "from" are strings or null; anything
 *    else is a 400 worded as Go's UnmarshalTypeError. Unknown members are
 *    ignored (fieldValidation Warn, the default, only warns).
 *  - More than 10000 operations: 413, before anything is applied.
 *  - An operation that cannot apply fails the whole patch with the generic
 *    422 (the cause text is not sent). That covers a missing or null "op"
 *    ("Unexpected kind: unknown"), a missing "path" or "from", a parent
 *    that does not exist ("add" does not create parents), "remove" of a
 *    missing member ("replace" of one adds it), a bad array index, a
 *    failed "test",
 *    and copies adding more than 3 MiB in total.
 *  - A pointer is split at '/' and its first segment ignored (a path with
 *    no '/' names nothing, so "" works only for "replace" and "test");
 *    "~1" and "~0" decode to '/' and '~', other '~' stay as they are.
 *  - Array indices are strconv.Atoi numbers ("+1", "007" accepted);
 *    negative ones count from the end, and "-" appends for add/move/copy.
 *  - A missing "value" is null for add and replace.
 *  - "test" compares with Go's lazyNode.equal: deep equality where the
 *    types must match exactly (1 and 1.0 differ); a missing member passes
 *    a test against null.
 *  - The result must decode as a Pod: an array or null root is a 422
 *    Invalid on the field "patch".
 * Deviations: the server compares scalars in "test" by their JSON text, so
 * a string with '<', '>' or '&' (which the server encodes as \u003c...) or
 * with a different escape spelling fails there and passes here; paths
 * holding a NUL byte name nothing here; results nested deeper than
 * PATCH_MAX_RESULT_DEPTH are refused with the generic 422 (the server would
 * drop such unknown fields when decoding the Pod). Where the Go code
 * dereferences nil ("test" with no "value" on a missing member, "replace"
 * of the root with no "value", comparing arrays holding null), the server
 * panics and answers 500; so does this file.
 */
#include "patch/patch.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"
#include "fakeapi.h"
#include "knum.h"
#include "patch/patch_int.h"

struct jp {
    struct patch_ctx *c;
    json_t *root;  /* the document being patched, owned */
    size_t copied; /* bytes added by copy operations so far */
};

/* A resolved pointer: the container of the target and its last segment. */
struct loc {
    json_t *cont;    /* borrowed from the document */
    struct kbuf key; /* decoded last segment */
    size_t segs;     /* segments after the first: the target's nesting */
};

static int fail(struct jp *j)
{
    return fakeapi__patch_invalid(j->c);
}

/* RFC 6901 unescaping as [jp] decodePatchKey does it (one pass). */
static int decode_seg(struct kbuf *out, const char *s, size_t n)
{
    size_t i;
    int rc = KBUF_OK;

    kbuf_reset(out);
    for (i = 0; i < n && rc == KBUF_OK; i++) {
        if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
            rc = kbuf_addc(out, s[i + 1] == '1' ? '/' : '~');
            i++;
        } else {
            rc = kbuf_addc(out, s[i]);
        }
    }
    return rc;
}

/* strconv.Atoi: an optional sign and decimal digits, within int64. */
static bool parse_index(const struct kbuf *k, int64_t *out)
{
    const char *s = kbuf_str(k);
    size_t n = kbuf_len(k);

    if (n > 1 && s[0] == '+' && s[1] != '-') {
        s++;
        n--;
    }
    return knum_parse_i64(s, n, out);
}

/* Resolve an index into [0, size) with negative indices counting from the
 * end ([jp] SupportNegativeIndices); false when out of range. */
static bool resolve(const struct kbuf *key, size_t size, size_t *idx)
{
    int64_t i;
    uint64_t back;

    if (!parse_index(key, &i))
        return false;
    if (i < 0) {
        back = (uint64_t)(-(i + 1)); /* -i - 1 without overflow */
        if (back >= size)
            return false;
        i += (int64_t)size;
    }
    if ((uint64_t)i >= size)
        return false;
    *idx = (size_t)i;
    return true;
}

/* [jp] container.get: the member or element named by @p key (which may
 * hold JSON null); NULL when it does not exist. */
static json_t *get(json_t *cont, const struct kbuf *key)
{
    size_t idx;

    if (json_is_object(cont))
        return json_object_get(cont, kbuf_str(key));
    if (json_is_array(cont) && resolve(key, json_array_size(cont), &idx))
        return json_array_get(cont, idx);
    return NULL;
}

/* [jp] findObject: walk all segments but the last. Returns FAKEAPI_OK with
 * l->cont NULL when the path names nothing. */
static int find(struct jp *j, const json_t *path, struct loc *l)
{
    const char *s = json_string_value(path);
    size_t n = json_string_length(path);
    const char *stop = s + n;
    const char *slash = memchr(s, '/', n);
    const char *end;
    json_t *cur = j->root;

    l->cont = NULL;
    l->segs = 0;
    if (!slash || memchr(s, '\0', n))
        return FAKEAPI_OK;
    if (fakeapi__patch_charge(j->c, n + 1) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    for (s = slash + 1;; s = end + 1) {
        end = memchr(s, '/', (size_t)(stop - s));
        if (!end)
            end = stop;
        if (decode_seg(&l->key, s, (size_t)(end - s)) != KBUF_OK)
            return fakeapi__patch_fail(j->c, NULL);
        l->segs++;
        if (end == stop)
            break;
        cur = get(cur, &l->key);
        if (!json_is_object(cur) && !json_is_array(cur))
            return FAKEAPI_OK;
    }
    if (json_is_object(cur) || json_is_array(cur))
        l->cont = cur;
    return FAKEAPI_OK;
}

/* Refuse values whose new place would nest deeper than the limit. */
static int check_depth(struct jp *j, const json_t *v, size_t segs)
{
    size_t d;

    if (segs > PATCH_MAX_RESULT_DEPTH)
        return fail(j);
    if (fakeapi__patch_value_depth(j->c, v, PATCH_MAX_RESULT_DEPTH - segs,
                                   &d) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    return segs + d > PATCH_MAX_RESULT_DEPTH ? fail(j) : FAKEAPI_OK;
}

/* [jp] container.add: insert @p v (a reference this takes). */
static int add(struct jp *j, struct loc *l, json_t *v)
{
    size_t size;
    size_t idx;
    int rc;

    if (json_is_object(l->cont)) {
        rc = json_object_set_new(l->cont, kbuf_str(&l->key), v);
        return rc == 0 ? FAKEAPI_OK : fakeapi__patch_fail(j->c, NULL);
    }
    size = json_array_size(l->cont);
    if (kbuf_len(&l->key) == 1 && kbuf_str(&l->key)[0] == '-')
        idx = size;
    else if (!resolve(&l->key, size + 1, &idx)) {
        json_decref(v);
        return fail(j);
    }
    if (fakeapi__patch_charge(j->c, size - idx + 1) != FAKEAPI_OK) {
        json_decref(v);
        return FAKEAPI_E_INVALID;
    }
    rc = json_array_insert_new(l->cont, idx, v);
    return rc == 0 ? FAKEAPI_OK : fakeapi__patch_fail(j->c, NULL);
}

/* [jp] container.remove. */
static int remove_at(struct jp *j, struct loc *l)
{
    size_t idx;

    if (json_is_object(l->cont)) {
        if (json_object_del(l->cont, kbuf_str(&l->key)) != 0)
            return fail(j);
        return FAKEAPI_OK;
    }
    if (!resolve(&l->key, json_array_size(l->cont), &idx))
        return fail(j);
    if (fakeapi__patch_charge(j->c, json_array_size(l->cont) - idx) !=
        FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    json_array_remove(l->cont, idx);
    return FAKEAPI_OK;
}

/* [jp] container.set, after get() found the target. */
static int set(struct jp *j, struct loc *l, json_t *v)
{
    size_t idx = 0;
    int rc;

    if (json_is_object(l->cont))
        rc = json_object_set_new(l->cont, kbuf_str(&l->key), v);
    else if (resolve(&l->key, json_array_size(l->cont), &idx))
        rc = json_array_set_new(l->cont, idx, v);
    else
        rc = -1;
    return rc == 0 ? FAKEAPI_OK : fakeapi__patch_fail(j->c, NULL);
}

/* Resolve member @p name of @p op as a pointer; FAKEAPI_OK with l->cont
 * NULL when the member is missing or the path names nothing. */
static int locate(struct jp *j, const json_t *op, const char *name,
                  struct loc *l)
{
    const json_t *path = json_object_get(op, name);

    l->cont = NULL;
    if (!json_is_string(path))
        return FAKEAPI_OK;
    return find(j, path, l);
}

static int op_add(struct jp *j, const json_t *op, struct loc *l)
{
    json_t *v = json_object_get(op, "value");

    if (locate(j, op, "path", l) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    if (!l->cont)
        return fail(j);
    if (!v)
        v = json_null();
    if (check_depth(j, v, l->segs) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    return add(j, l, json_incref(v));
}

static int op_remove(struct jp *j, const json_t *op, struct loc *l)
{
    if (locate(j, op, "path", l) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    return l->cont ? remove_at(j, l) : fail(j);
}

/* [jp] replace with path "": the value must be an object or an array. */
static int replace_root(struct jp *j, json_t *v)
{
    if (!v)
        return fakeapi__patch_panic(j->c);
    if (!json_is_object(v) && !json_is_array(v) && !json_is_null(v))
        return fail(j);
    if (check_depth(j, v, 0) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    json_decref(j->root);
    j->root = json_incref(v);
    return FAKEAPI_OK;
}

static int op_replace(struct jp *j, const json_t *op, struct loc *l)
{
    const json_t *path = json_object_get(op, "path");
    json_t *v = json_object_get(op, "value");

    if (json_is_string(path) && json_string_length(path) == 0)
        return replace_root(j, v);
    if (locate(j, op, "path", l) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    /* [jp] partialDoc.get never fails: replacing a missing member of an
     * object adds it; only an array index must exist */
    if (!l->cont || (!json_is_object(l->cont) && !get(l->cont, &l->key)))
        return fail(j);
    if (!v)
        v = json_null();
    if (check_depth(j, v, l->segs) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    return set(j, l, json_incref(v));
}

/* move and copy: "from" is resolved and read first, then "path". */
static int op_move(struct jp *j, const json_t *op, struct loc *from,
                   struct loc *to)
{
    json_t *v;
    int rc;

    if (locate(j, op, "from", from) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    v = from->cont ? get(from->cont, &from->key) : NULL;
    if (!v)
        return fail(j);
    json_incref(v);
    rc = remove_at(j, from);
    if (rc == FAKEAPI_OK)
        rc = locate(j, op, "path", to);
    if (rc == FAKEAPI_OK && !to->cont)
        rc = fail(j);
    if (rc == FAKEAPI_OK)
        rc = check_depth(j, v, to->segs);
    if (rc == FAKEAPI_OK)
        return add(j, to, v);
    json_decref(v);
    return rc;
}

static int op_copy(struct jp *j, const json_t *op, struct loc *from,
                   struct loc *to)
{
    json_t *v;
    size_t size;

    if (locate(j, op, "from", from) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    v = from->cont ? get(from->cont, &from->key) : NULL;
    if (!v)
        return fail(j);
    if (locate(j, op, "path", to) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    if (!to->cont)
        return fail(j);
    if (fakeapi__patch_value_size(j->c, v, &size) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    /* [jp] AccumulatedCopySizeError, a 422 like any failed operation. */
    if (size > PATCH_MAX_COPY_BYTES - j->copied)
        return fail(j);
    j->copied += size;
    if (check_depth(j, v, to->segs) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    v = json_deep_copy(v);
    if (!v)
        return fakeapi__patch_fail(j->c, NULL);
    return add(j, to, v);
}

static int op_test(struct jp *j, const json_t *op, struct loc *l)
{
    const json_t *path = json_object_get(op, "path");
    const json_t *want = json_object_get(op, "value");
    const json_t *have;
    bool eq = false;
    size_t idx;

    if (json_is_string(path) && json_string_length(path) == 0) {
        have = j->root;
    } else {
        if (locate(j, op, "path", l) != FAKEAPI_OK)
            return FAKEAPI_E_INVALID;
        if (!l->cont)
            return fail(j);
        if (json_is_array(l->cont) &&
            !resolve(&l->key, json_array_size(l->cont), &idx))
            return fail(j);
        have = get(l->cont, &l->key);
        if (!have || json_is_null(have)) {
            /* [jp] test: a nil node passes against null; with no
             * "value" the Go code dereferences nil. */
            if (!want)
                return fakeapi__patch_panic(j->c);
            return json_is_null(want) ? FAKEAPI_OK : fail(j);
        }
    }
    if (!want)
        return have == j->root ? fakeapi__patch_panic(j->c) : fail(j);
    if (fakeapi__patch_value_lazy_equal(j->c, have, want, &eq) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    return eq ? FAKEAPI_OK : fail(j);
}

static int apply_op(struct jp *j, const json_t *op, struct loc *a,
                    struct loc *b)
{
    const json_t *kind = json_object_get(op, "op");

    if (fakeapi__patch_charge(j->c, 1) != FAKEAPI_OK)
        return FAKEAPI_E_INVALID;
    if (fakeapi__patch_value_is(kind, "add"))
        return op_add(j, op, a);
    if (fakeapi__patch_value_is(kind, "remove"))
        return op_remove(j, op, a);
    if (fakeapi__patch_value_is(kind, "replace"))
        return op_replace(j, op, a);
    if (fakeapi__patch_value_is(kind, "move"))
        return op_move(j, op, a, b);
    if (fakeapi__patch_value_is(kind, "copy"))
        return op_copy(j, op, a, b);
    if (fakeapi__patch_value_is(kind, "test"))
        return op_test(j, op, a);
    return fail(j); /* [jp] "Unexpected kind: ..." */
}

/* [as] kjson.UnmarshalStrict(body, &[]jsonPatchOp{}): the first type
 * error in document order, as Go's UnmarshalTypeError words it. */
static int check_types(struct patch_ctx *c, const json_t *patch)
{
    static const char *const strs[] = {"op", "path", "from"};
    const char *pre = "error decoding patch: json: cannot unmarshal";
    const json_t *op;
    const char *k;
    json_t *v;
    size_t i;
    size_t f;

    if (json_is_null(patch))
        return FAKEAPI_OK;
    if (!json_is_array(patch))
        return fakeapi__patch_fail(
            c, fakeapi__status_bad_request(
                   "%s %s into Go value of type []handlers.jsonPatchOp", pre,
                   fakeapi__patch_syntax_kind(patch)));
    json_array_foreach(patch, i, op)
    {
        if (json_is_null(op))
            continue;
        if (!json_is_object(op))
            return fakeapi__patch_fail(
                c, fakeapi__status_bad_request(
                       "%s %s into Go value of type handlers.jsonPatchOp", pre,
                       fakeapi__patch_syntax_kind(op)));
        json_object_foreach(patch_iterable(op), k, v)
        {
            for (f = 0; f < 3; f++) {
                if (strcmp(k, strs[f]) != 0 || json_is_null(v) ||
                    json_is_string(v))
                    continue;
                return fakeapi__patch_fail(
                    c, fakeapi__status_bad_request(
                           "%s %s into Go struct field jsonPatchOp.%s of "
                           "type string",
                           pre, fakeapi__patch_syntax_kind(v), strs[f]));
            }
        }
    }
    return FAKEAPI_OK;
}

/* [as] jsonPatcher: the patched JSON must decode into a Pod, else 422
 * Invalid on the field "patch" with the decoder's error. */
static int check_root(struct jp *j)
{
    struct fakeapi_field_errors fe;
    char *text;
    char quoted[512];
    json_t *st;

    if (json_is_object(j->root))
        return FAKEAPI_OK;
    text = json_dumps(j->root, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return fakeapi__patch_fail(j->c, NULL);
    fakeapi__quote(quoted, sizeof(quoted), text);
    free(text);
    fakeapi__field_errors_init(&fe);
    if (json_is_null(j->root))
        fakeapi__field_error(&fe, "FieldValueInvalid", "patch",
                             "Invalid value: %s: Object 'Kind' is missing in "
                             "'null'",
                             quoted);
    else
        fakeapi__field_error(
            &fe, "FieldValueInvalid", "patch",
            "Invalid value: %s: couldn't get version/kind; json parse error: "
            "json: cannot unmarshal %s into Go value of type struct { "
            "APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind "
            "string \"json:\\\"kind,omitempty\\\"\" }",
            quoted, fakeapi__patch_syntax_kind(j->root));
    st = fakeapi__status_invalid("", "", &fe);
    fakeapi__field_errors_release(&fe);
    return fakeapi__patch_fail(j->c, st);
}

static int run(struct jp *j, const json_t *patch)
{
    struct loc a;
    struct loc b;
    const json_t *op;
    size_t i;
    int rc = FAKEAPI_OK;

    kbuf_init(&a.key, SIZE_MAX);
    kbuf_init(&b.key, SIZE_MAX);
    json_array_foreach(patch, i, op)
    {
        rc = apply_op(j, op, &a, &b);
        if (rc != FAKEAPI_OK)
            break;
    }
    kbuf_release(&a.key);
    kbuf_release(&b.key);
    return rc == FAKEAPI_OK ? check_root(j) : rc;
}

json_t *fakeapi__patch_json_apply(struct patch_ctx *c, const json_t *orig,
                                  json_t *patch)
{
    struct jp j;
    json_t *st;
    size_t n = json_array_size(patch);

    j.c = c;
    j.root = NULL;
    j.copied = 0;
    if (check_types(c, patch) != FAKEAPI_OK)
        goto out;
    if (n > FAKEAPI_PATCH_MAX_OPS) {
        /* [as] NewRequestEntityTooLargeError: no details */
        st = fakeapi__status_new(413, "RequestEntityTooLarge",
                                 "Request entity too large: The allowed "
                                 "maximum operations in a JSON patch is %d, "
                                 "got %zu",
                                 FAKEAPI_PATCH_MAX_OPS, n);
        fakeapi__patch_fail(c, st);
        goto out;
    }
    j.root = json_deep_copy(orig);
    if (!j.root) {
        fakeapi__patch_fail(c, NULL);
        goto out;
    }
    if (run(&j, patch) != FAKEAPI_OK) {
        json_decref(j.root);
        j.root = NULL;
    }
out:
    json_decref(patch);
    return j.root;
}
