/*
 * fieldval: unknown and duplicate fields of write bodies, reported as
 * kube-apiserver reports them for ?fieldValidation (see fieldval.h).
 *
 * The scan walks the raw JSON text, since jansson keeps only the last of
 * two equal keys: the strict decoder of sigs.k8s.io/json
 * (internal/golang/encoding/json, kubernetes_patch.go) reports each
 * unknown member and each repeated key in the order it meets them, with a
 * path of member names joined by "." and array indexes as "[i]"
 * (strictFieldStack), map keys included ("metadata.labels.a"). Values of
 * unknown members are skipped; so are free-form objects such as
 * managedFields[].fieldsV1 (metav1.FieldsV1 keeps its raw bytes).
 */
#include "validate/fieldval.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/gofmt.h"
#include "base/gotext.h"
#include "base/openapi_doc.h"
#include "base/status.h"
#include "kbuf.h"

/* Deepest nesting walked (jansson refuses deeper documents anyway). */
#define SCAN_MAX_DEPTH 2048

struct scan {
    const char *p;
    const char *end;
    const json_t *defs; /* OpenAPI definitions (borrowed) */
    struct kbuf path;   /* the strict field stack */
    json_t *errs;       /* array of messages */
    const char *prefix; /* put before each message */
    int depth;
    bool oom;
};

/* The loaded definitions (immutable once set), or NULL when out of
 * memory. Parsing the document takes a few milliseconds, so a server does
 * it at its first checked write rather than at start. */
static const json_t *schema_defs(struct fakeapi_schema *s)
{
    json_t *doc;

    pthread_mutex_lock(&s->mu);
    if (!s->defs) {
        doc = json_loadb(fakeapi__openapi_v2_json, fakeapi__openapi_v2_json_len,
                         0, NULL);
        s->defs = json_incref(json_object_get(doc, "definitions"));
        json_decref(doc);
    }
    pthread_mutex_unlock(&s->mu);
    return s->defs;
}

int fakeapi__schema_init(struct fakeapi_schema *s)
{
    s->defs = NULL;
    return pthread_mutex_init(&s->mu, NULL) == 0 ? 0 : -1;
}

void fakeapi__schema_release(struct fakeapi_schema *s)
{
    json_decref(s->defs);
    s->defs = NULL;
    pthread_mutex_destroy(&s->mu);
}

json_t *fakeapi__fieldval_directive(const char *v, const char *options,
                                    enum fakeapi_fieldval *out)
{
    static const char supported[] =
        "supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"";
    struct kbuf msg;
    json_t *st;

    *out = FAKEAPI_FV_WARN;
    if (!v || !*v || strcmp(v, "Warn") == 0)
        return NULL;
    if (strcmp(v, "Ignore") == 0 || strcmp(v, "Strict") == 0) {
        *out = *v == 'I' ? FAKEAPI_FV_IGNORE : FAKEAPI_FV_STRICT;
        return NULL;
    }
    /* validation.ValidateCreateOptions (and Update, Patch) in
     * apiserver/pkg/apis/meta/v1/validation: NotSupported, wrapped by
     * errors.NewInvalid(meta.k8s.io <options>). */
    kbuf_init(&msg, FAKEAPI_GOTEXT_MSG_CAP);
    kbuf_adds(&msg, "Unsupported value: ");
    fakeapi__gotext_add_quoted(&msg, v, strlen(v));
    kbuf_addf(&msg, ": %s", supported);
    st = fakeapi__status_new(422, "Invalid",
                             "%s.meta.k8s.io \"\" is invalid: "
                             "fieldValidation: %s",
                             options, kbuf_str(&msg));
    if (st) {
        json_t *d;

        fakeapi__status_details(st, NULL, NULL); /* placed before "code" */
        d = json_object_get(st, "details");
        json_object_set_new(d, "group", json_string("meta.k8s.io"));
        json_object_set_new(d, "kind", json_string(options));
        fakeapi__status_cause(st, "FieldValueNotSupported", kbuf_str(&msg),
                              "fieldValidation");
    }
    kbuf_release(&msg);
    return st;
}

/* ---- the scan ------------------------------------------------------------*/

static void ws(struct scan *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* Past a string token (at its opening quote). */
static void skip_string(struct scan *s)
{
    s->p++;
    while (s->p < s->end && *s->p != '"')
        s->p += *s->p == '\\' ? 2 : 1;
    if (s->p < s->end)
        s->p++;
}

/* Past any value, nested ones included. */
static void skip_value(struct scan *s)
{
    int depth = 0;

    ws(s);
    do {
        if (s->p >= s->end)
            return;
        if (*s->p == '"') {
            skip_string(s);
            continue;
        }
        if (*s->p == '{' || *s->p == '[')
            depth++;
        else if (*s->p == '}' || *s->p == ']')
            depth--;
        else if (depth == 0 && *s->p != ',' && *s->p != ':') {
            /* a scalar at the top: up to its end */
            while (s->p < s->end && !strchr(",}] \t\r\n", *s->p))
                s->p++;
            return;
        }
        s->p++;
    } while (depth > 0);
}

static void add_error(struct scan *s, const char *what, const char *key)
{
    struct kbuf m;
    size_t mark = kbuf_len(&s->path);

    if (key) {
        if (mark > 0)
            kbuf_addc(&s->path, '.');
        kbuf_adds(&s->path, key);
    }
    kbuf_init(&m, FAKEAPI_GOTEXT_MSG_CAP);
    kbuf_addf(&m, "%s%s field ", s->prefix, what);
    fakeapi__gotext_add_quoted(&m, kbuf_str(&s->path), kbuf_len(&s->path));
    if (json_array_append_new(s->errs, json_string(kbuf_str(&m))) != 0)
        s->oom = true;
    kbuf_release(&m);
    kbuf_truncate(&s->path, mark);
}

/* A definition with its $ref (or allOf wrapper) followed. */
static const json_t *resolve(const struct scan *s, const json_t *sch)
{
    int hops;

    for (hops = 0; sch && hops < 16; hops++) {
        const char *ref = json_string_value(json_object_get(sch, "$ref"));
        const json_t *all = json_object_get(sch, "allOf");

        if (ref && strncmp(ref, "#/definitions/", 14) == 0)
            sch = json_object_get(s->defs, ref + 14);
        else if (json_array_size(all) > 0)
            sch = json_array_get(all, 0);
        else
            return sch;
    }
    return sch;
}

static void walk(struct scan *s, const json_t *sch, bool any);

/* The member name at s->p (a string token), decoded, new; NULL on OOM. */
static json_t *read_key(struct scan *s)
{
    const char *start = s->p;
    json_t *k;

    skip_string(s);
    if (!memchr(start, '\\', (size_t)(s->p - start)) && s->p - start >= 2)
        k = json_stringn(start + 1, (size_t)(s->p - start - 2));
    else
        k = json_loadb(start, (size_t)(s->p - start), JSON_DECODE_ANY, NULL);
    if (!json_is_string(k)) {
        json_decref(k);
        k = NULL;
        s->oom = true;
    }
    return k;
}

/* An object: a struct (properties), a map (additionalProperties), any
 * value (@p any: maps all the way down) or free-form (skipped). */
static void walk_object(struct scan *s, const json_t *sch, bool any)
{
    const json_t *props = any ? NULL : json_object_get(sch, "properties");
    const json_t *addl =
        any ? NULL : json_object_get(sch, "additionalProperties");
    json_t *seen;

    if (!any && !props && !json_is_object(addl)) {
        skip_value(s);
        return;
    }
    seen = json_object();
    s->p++;
    for (ws(s); s->p < s->end && *s->p == '"' && !s->oom; ws(s)) {
        json_t *k = read_key(s);
        const char *key = json_string_value(k);
        const json_t *child = NULL;
        size_t mark = kbuf_len(&s->path);

        ws(s);
        s->p++; /* ':' */
        if (!key)
            break;
        if (json_object_get(seen, key))
            add_error(s, "duplicate", key);
        json_object_set_new(seen, key, json_true());
        if (props) {
            child = json_object_get(props, key);
            if (!child)
                add_error(s, "unknown", key);
        } else if (!any) {
            child = addl;
        }
        if (props && !child) {
            skip_value(s);
        } else {
            if (mark > 0)
                kbuf_addc(&s->path, '.');
            kbuf_adds(&s->path, key);
            walk(s, child, any);
            kbuf_truncate(&s->path, mark);
        }
        json_decref(k);
        ws(s);
        if (s->p < s->end && *s->p == ',')
            s->p++;
    }
    json_decref(seen);
    ws(s);
    if (s->p < s->end && *s->p == '}')
        s->p++;
}

static void walk_array(struct scan *s, const json_t *sch, bool any)
{
    const json_t *items = any ? NULL : json_object_get(sch, "items");
    size_t i = 0;

    if (!any && !items) {
        skip_value(s);
        return;
    }
    s->p++;
    for (ws(s); s->p < s->end && *s->p != ']' && !s->oom; ws(s)) {
        size_t mark = kbuf_len(&s->path);

        kbuf_addf(&s->path, "[%zu]", i++);
        walk(s, items, any);
        kbuf_truncate(&s->path, mark);
        ws(s);
        if (s->p < s->end && *s->p == ',')
            s->p++;
    }
    if (s->p < s->end)
        s->p++;
}

/* One value against schema @p sch (or any shape). A value whose JSON type
 * does not fit the schema is a type error, reported by the decode check
 * before this runs; it is skipped. */
static void walk(struct scan *s, const json_t *sch, bool any)
{
    ws(s);
    if (s->p >= s->end)
        return;
    if (!any)
        sch = resolve(s, sch);
    if (!any && json_is_true(json_object_get(sch, "x-fakeapi-any")))
        any = true;
    if (++s->depth > SCAN_MAX_DEPTH)
        skip_value(s);
    else if (*s->p == '{')
        walk_object(s, sch, any);
    else if (*s->p == '[')
        walk_array(s, sch, any);
    else
        skip_value(s);
    s->depth--;
}

static int scan_with(const json_t *defs, const json_t *root, bool any,
                     const char *prefix, const char *text, size_t len,
                     json_t *errs)
{
    struct scan s;

    s.p = text;
    s.end = text + len;
    s.defs = defs;
    s.errs = errs;
    s.prefix = prefix;
    s.depth = 0;
    s.oom = false;
    kbuf_init(&s.path, (size_t)1 << 20);
    walk(&s, root, any);
    kbuf_release(&s.path);
    return s.oom ? -1 : 0;
}

int fakeapi__fieldval_scan(struct fakeapi_schema *schema, const char *def,
                           const char *text, size_t len, json_t *errs)
{
    const json_t *defs = schema_defs(schema);

    if (!defs)
        return -1;
    return scan_with(defs, def ? json_object_get(defs, def) : NULL, !def, "",
                     text, len, errs);
}

/* ---- pruning -------------------------------------------------------------*/

/* Drop the members @p sch does not know from @p v, at any depth. */
static void prune(const json_t *defs, const json_t *sch, json_t *v, int depth)
{
    struct scan s = {.defs = defs};
    const json_t *props;
    const json_t *addl;
    const char *k;
    json_t *e;
    void *tmp;
    size_t i;

    sch = resolve(&s, sch);
    if (!sch || depth > SCAN_MAX_DEPTH)
        return;
    if (json_is_array(v)) {
        json_array_foreach(v, i, e)
            prune(defs, json_object_get(sch, "items"), e, depth + 1);
        return;
    }
    if (!json_is_object(v))
        return;
    props = json_object_get(sch, "properties");
    addl = json_object_get(sch, "additionalProperties");
    json_object_foreach_safe(v, tmp, k, e)
    {
        if (props && !json_object_get(props, k))
            json_object_del(v, k);
        else if (props)
            prune(defs, json_object_get(props, k), e, depth + 1);
        else if (json_is_object(addl))
            prune(defs, addl, e, depth + 1);
    }
}

void fakeapi__fieldval_prune(struct fakeapi_schema *schema, const char *kind,
                             json_t *obj)
{
    const json_t *defs = schema_defs(schema);
    char def[64];

    snprintf(def, sizeof(def), "io.k8s.api.core.v1.%s", kind);
    if (defs)
        prune(defs, json_object_get(defs, def), obj, 0);
}

/* ---- answers -------------------------------------------------------------*/

void fakeapi__warn(json_t **warnings, const char *text)
{
    const json_t *v;
    size_t i;

    if (!text || !*text)
        return;
    if (!*warnings)
        *warnings = json_array();
    json_array_foreach(*warnings, i, v)
    {
        if (strcmp(json_string_value(v), text) == 0)
            return;
    }
    json_array_append_new(*warnings, json_string(text));
}

/* Runes in @p s (UTF-8; jansson strings are valid), and the byte length
 * of its first @p max runes in *cut. */
static size_t runes(const char *s, size_t max, size_t *cut)
{
    size_t n = 0;
    size_t i;

    *cut = strlen(s);
    for (i = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue;
        if (n == max)
            *cut = i;
        n++;
    }
    return n;
}

/* net.NewWarningHeader(299, "-", text): the text as a quoted-string. */
static void add_header(json_t *headers, const char *text, size_t len)
{
    struct kbuf h;
    size_t i;

    kbuf_init(&h, (size_t)1 << 20);
    kbuf_adds(&h, "299 - \"");
    for (i = 0; i < len; i++) {
        if (text[i] == '"' || text[i] == '\\')
            kbuf_addc(&h, '\\');
        kbuf_addc(&h, text[i]);
    }
    kbuf_addc(&h, '"');
    json_array_append_new(headers, json_string(kbuf_str(&h)));
    kbuf_release(&h);
}

void fakeapi__fieldval_headers(const json_t *texts, json_t *headers)
{
    enum { TOTAL = 4 * 1024, ITEM = 256 };
    size_t written = 0;
    bool truncating = false;
    const json_t *v;
    size_t i;
    size_t j;

    /* recorder.AddWarning, replayed over the texts in order */
    json_array_foreach(texts, i, v)
    {
        const char *t = json_string_value(v);
        size_t cut;
        size_t n = runes(t, ITEM, &cut);

        if (truncating && written >= TOTAL)
            return;
        if (truncating && n > ITEM)
            n = ITEM;
        else
            cut = strlen(t);
        if (written + n <= TOTAL || truncating) {
            written += n;
            add_header(headers, t, cut);
            continue;
        }
        truncating = true;
        written = 0;
        json_array_clear(headers);
        for (j = 0; j <= i; j++) {
            t = json_string_value(json_array_get(texts, j));
            n = runes(t, ITEM, &cut);
            written += n > ITEM ? ITEM : n;
            add_header(headers, t, cut);
        }
    }
}

/* "strict decoding error: " and the messages joined with ", "
 * (runtime.NewStrictDecodingError(...).Error()). */
static void join_errors(struct kbuf *b, const json_t *errs)
{
    const json_t *v;
    size_t i;

    kbuf_adds(b, "strict decoding error: ");
    json_array_foreach(errs, i, v)
    {
        if (i > 0)
            kbuf_adds(b, ", ");
        kbuf_adds(b, json_string_value(v));
    }
}

static void warn_all(json_t **warnings, const json_t *errs)
{
    const json_t *v;
    size_t i;

    /* handlers/rest.go addStrictDecodingWarnings: one warning each */
    json_array_foreach(errs, i, v)
        fakeapi__warn(warnings, json_string_value(v));
}

json_t *fakeapi__fieldval_body(struct fakeapi_schema *schema,
                               enum fakeapi_fieldval fv, const char *kind,
                               const char *text, size_t len, json_t **warnings)
{
    char def[64];
    json_t *errs;
    json_t *st = NULL;
    struct kbuf msg;

    if (fv == FAKEAPI_FV_IGNORE)
        return NULL;
    snprintf(def, sizeof(def), "io.k8s.api.core.v1.%s", kind);
    errs = json_array();
    if (!errs || fakeapi__fieldval_scan(schema, def, text, len, errs) != 0 ||
        json_array_size(errs) == 0) {
        json_decref(errs);
        return NULL;
    }
    if (fv == FAKEAPI_FV_WARN) {
        /* create.go, update.go: a strict decoding error under Warn */
        warn_all(warnings, errs);
        json_decref(errs);
        return NULL;
    }
    /* serializer/json strict mode, then runtime.transformDecodeError */
    kbuf_init(&msg, (size_t)4 << 20);
    kbuf_addf(&msg, "%s in version \"v1\" cannot be handled as a %s: ", kind,
              kind);
    join_errors(&msg, errs);
    st = fakeapi__status_bad_request("%s", kbuf_str(&msg));
    kbuf_release(&msg);
    json_decref(errs);
    return st;
}

/* The jsonPatchOp struct patch.go decodes a JSON patch into: op, path,
 * from, and a value of any shape. */
static json_t *json_patch_schema(void)
{
    return json_pack("{s:s, s:{s:{s:{}, s:{}, s:{}, s:{s:b}}}}", "type",
                     "array", "items", "properties", "op", "path", "from",
                     "value", "x-fakeapi-any", 1);
}

/* A copy of a strategic merge patch without its $-directives, as
 * StrategicMergeMapPatch leaves the map it was given. */
static json_t *strip_directives(const json_t *v)
{
    json_t *c;
    const char *k;
    json_t *e;
    size_t i;

    if (json_is_object(v)) {
        c = json_object();
        json_object_foreach((json_t *)(uintptr_t)v, k, e)
        {
            if (k[0] != '$')
                json_object_set_new(c, k, strip_directives(e));
        }
        return c;
    }
    if (json_is_array(v)) {
        c = json_array();
        json_array_foreach(v, i, e)
            json_array_append_new(c, strip_directives(e));
        return c;
    }
    return json_incref((json_t *)(uintptr_t)v);
}

/*
 * The patch's own strict errors: a JSON patch against jsonPatchOp
 * ("json patch " before each), a merge or strategic patch as a
 * map[string]interface{} (only duplicates). The value members of a JSON
 * patch are walked as any value.
 */
static int patch_doc_errors(const json_t *defs, enum fakeapi_patch_type type,
                            const char *doc, size_t len, json_t *errs)
{
    json_t *ops;
    int rc;

    if (type != FAKEAPI_PATCH_JSON)
        return scan_with(defs, NULL, true, "", doc, len, errs);
    ops = json_patch_schema();
    if (!ops)
        return -1;
    rc = scan_with(defs, ops, false, "json patch ", doc, len, errs);
    json_decref(ops);
    return rc;
}

/* The value the 422 shows: the patched object as patch.go encodes it
 * (json.Marshal of a map: sorted keys) or, for a strategic merge patch,
 * fmt's %+v of the patch map. */
static void invalid_value(struct kbuf *b, enum fakeapi_patch_type type,
                          const char *doc, size_t len, const char *objtext)
{
    json_t *patch;
    json_t *bare;

    if (type != FAKEAPI_PATCH_STRATEGIC) {
        kbuf_adds(b, objtext);
        return;
    }
    patch = json_loadb(doc, len, JSON_DECODE_ANY, NULL);
    bare = strip_directives(patch);
    fakeapi__gofmt_v(b, bare);
    json_decref(bare);
    json_decref(patch);
}

static json_t *patch_invalid(enum fakeapi_patch_type type, const char *doc,
                             size_t len, const char *objtext,
                             const json_t *errs)
{
    struct kbuf val;
    struct kbuf cause;
    json_t *st;

    kbuf_init(&val, (size_t)8 << 20);
    invalid_value(&val, type, doc, len, objtext);
    kbuf_init(&cause, (size_t)16 << 20);
    kbuf_adds(&cause, "Invalid value: ");
    fakeapi__gotext_add_quoted(&cause, kbuf_str(&val), kbuf_len(&val));
    kbuf_adds(&cause, ": ");
    join_errors(&cause, errs);
    /* errors.NewInvalid(schema.GroupKind{}, "", {field.Invalid(
     * field.NewPath("patch"), ...)}): no kind, name or group */
    st = fakeapi__status_new(422, "Invalid", " \"\" is invalid: patch: %s",
                             kbuf_str(&cause));
    fakeapi__status_cause(st, "FieldValueInvalid", kbuf_str(&cause), "patch");
    kbuf_release(&cause);
    kbuf_release(&val);
    return st;
}

json_t *fakeapi__fieldval_patch(struct fakeapi_schema *schema,
                                enum fakeapi_fieldval fv,
                                enum fakeapi_patch_type type, const char *doc,
                                size_t len, const json_t *obj,
                                json_t **warnings)
{
    const json_t *defs;
    json_t *errs = NULL;
    char *objtext = NULL;
    json_t *st = NULL;

    if (fv == FAKEAPI_FV_IGNORE)
        return NULL;
    defs = schema_defs(schema);
    errs = json_array();
    objtext = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    if (!defs || !errs || !objtext ||
        patch_doc_errors(defs, type, doc, len, errs) != 0 ||
        scan_with(defs, json_object_get(defs, "io.k8s.api.core.v1.Pod"), false,
                  "", objtext, strlen(objtext), errs) != 0)
        goto out;
    if (json_array_size(errs) == 0)
        goto out;
    if (fv == FAKEAPI_FV_WARN)
        warn_all(warnings, errs);
    else
        st = patch_invalid(type, doc, len, objtext, errs);
out:
    free(objtext);
    json_decref(errs);
    return st;
}
