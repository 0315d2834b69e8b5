/*
 * mutant_json: annotation bytes with the JSON mutants' bugs.
 *
 * The correct bytes come from kreg_service_encode() (docs/go-micro-wire.md,
 * Writing); each bug is the smallest change to them:
 *  - unsorted maps: a small encoder of the same v2 struct order that
 *    writes metadata in the order the request gave it (an ordered dict
 *    instead of Go's sorted keys); libkreg's decoder sorts, so the order
 *    is read from the request's text;
 *  - empty as null: Go's nil where the service had [] or {};
 *  - v4 order: libkreg's own v4.10.2 profile;
 *  - escapes: the Go text is rewritten escape by escape, so a backslash
 *    that belongs to the value (written "\\") is never mistaken.
 */
#include "adapter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"

#define JSON_CAP ((size_t)64 << 20)

/* ---- Go nil where the service had empty lists and maps ----------------*/

static void meta_null(struct kreg_metadata *m)
{
    if (m->count == 0)
        m->is_null = true;
}

static void value_null(struct kreg_value *v)
{
    size_t i;

    if (!v)
        return;
    if (v->nvalues == 0)
        v->values_null = true;
    for (i = 0; i < v->nvalues; i++)
        value_null(v->values[i]);
}

static void service_null(struct kreg_service *s)
{
    size_t i;

    meta_null(&s->metadata);
    if (s->nendpoints == 0)
        s->endpoints_null = true;
    for (i = 0; i < s->nendpoints; i++) {
        struct kreg_endpoint *e = s->endpoints[i];

        if (!e)
            continue;
        meta_null(&e->metadata);
        value_null(e->request);
        value_null(e->response);
    }
    for (i = 0; i < s->nnodes; i++)
        if (s->nodes[i])
            meta_null(&s->nodes[i]->metadata);
}

/* ---- v2 order, maps in the given order ---------------------------------*/

static int put_str(struct kbuf *b, const char *s)
{
    const char *v = s ? s : "";

    return kreg__service_encode_string(b, v, strlen(v), KREG_WIRE_V2);
}

/* `"key":` then the string @p s. */
static int put_member(struct kbuf *b, const char *key, const char *s)
{
    int rc = kbuf_adds(b, key);

    return rc == KBUF_OK ? put_str(b, s) : rc;
}

/* `"key":"value"`, after a ',' unless it is the first. */
static int put_entry(struct kbuf *b, bool first, const char *k, const char *v)
{
    int rc = first ? KBUF_OK : kbuf_addc(b, ',');

    if (rc == KBUF_OK)
        rc = put_str(b, k);
    if (rc == KBUF_OK)
        rc = kbuf_addc(b, ':');
    return rc == KBUF_OK ? put_str(b, v) : rc;
}

/* @p m with its keys in the order of @p given (the request's object for
 * it; libkreg's decoder sorted them), then any key it lacks. */
static int put_meta(struct kbuf *b, const struct kreg_metadata *m,
                    json_t *given)
{
    const char *k;
    json_t *v;
    size_t i;
    bool first = true;
    int rc;

    if (m->count == 0)
        return kbuf_adds(b, m->is_null ? "null" : "{}");
    rc = kbuf_addc(b, '{');
    json_object_foreach(given, k, v)
    {
        const char *value = kreg_metadata_get(m, k);

        if (rc == KBUF_OK && value) {
            rc = put_entry(b, first, k, value);
            first = false;
        }
    }
    for (i = 0; rc == KBUF_OK && i < m->count; i++) {
        if (json_object_get(given, m->keys[i]))
            continue;
        rc = put_entry(b, first, m->keys[i], m->values[i]);
        first = false;
    }
    return rc == KBUF_OK ? kbuf_addc(b, '}') : rc;
}

static int put_value(struct kbuf *b, const struct kreg_value *v)
{
    size_t i;
    int rc;

    if (!v)
        return kbuf_adds(b, "null");
    rc = put_member(b, "{\"name\":", v->name);
    if (rc == KBUF_OK)
        rc = put_member(b, ",\"type\":", v->type);
    if (rc == KBUF_OK)
        rc = kbuf_adds(b, ",\"values\":");
    if (rc != KBUF_OK)
        return rc;
    if (v->nvalues == 0 && v->values_null)
        return kbuf_adds(b, "null}");
    rc = kbuf_addc(b, '[');
    for (i = 0; rc == KBUF_OK && i < v->nvalues; i++) {
        if (i > 0)
            rc = kbuf_addc(b, ',');
        if (rc == KBUF_OK)
            rc = put_value(b, v->values[i]);
    }
    return rc == KBUF_OK ? kbuf_adds(b, "]}") : rc;
}

static int put_endpoint(struct kbuf *b, const struct kreg_endpoint *e,
                        json_t *given)
{
    int rc;

    if (!e)
        return kbuf_adds(b, "null");
    rc = put_member(b, "{\"name\":", e->name);
    if (rc == KBUF_OK)
        rc = kbuf_adds(b, ",\"request\":");
    if (rc == KBUF_OK)
        rc = put_value(b, e->request);
    if (rc == KBUF_OK)
        rc = kbuf_adds(b, ",\"response\":");
    if (rc == KBUF_OK)
        rc = put_value(b, e->response);
    if (rc == KBUF_OK)
        rc = kbuf_adds(b, ",\"metadata\":");
    if (rc == KBUF_OK)
        rc = put_meta(b, &e->metadata, json_object_get(given, "metadata"));
    return rc == KBUF_OK ? kbuf_addc(b, '}') : rc;
}

static int put_node(struct kbuf *b, const struct kreg_node *n, json_t *given)
{
    int rc;

    if (!n)
        return kbuf_adds(b, "null");
    rc = put_member(b, "{\"id\":", n->id);
    if (rc == KBUF_OK)
        rc = put_member(b, ",\"address\":", n->address);
    if (rc == KBUF_OK)
        rc = kbuf_adds(b, ",\"metadata\":");
    if (rc == KBUF_OK)
        rc = put_meta(b, &n->metadata, json_object_get(given, "metadata"));
    return rc == KBUF_OK ? kbuf_addc(b, '}') : rc;
}

static int put_endpoints(struct kbuf *b, const struct kreg_service *s,
                         json_t *given)
{
    size_t i;
    int rc;

    if (s->nendpoints == 0 && s->endpoints_null)
        return kbuf_adds(b, "null");
    rc = kbuf_addc(b, '[');
    for (i = 0; rc == KBUF_OK && i < s->nendpoints; i++) {
        if (i > 0)
            rc = kbuf_addc(b, ',');
        if (rc == KBUF_OK)
            rc = put_endpoint(b, s->endpoints[i], json_array_get(given, i));
    }
    return rc == KBUF_OK ? kbuf_addc(b, ']') : rc;
}

static int put_nodes(struct kbuf *b, const struct kreg_service *s,
                     json_t *given)
{
    size_t i;
    int rc;

    if (s->nnodes == 0 && s->nodes_null)
        return kbuf_adds(b, "null");
    rc = kbuf_addc(b, '[');
    for (i = 0; rc == KBUF_OK && i < s->nnodes; i++) {
        if (i > 0)
            rc = kbuf_addc(b, ',');
        if (rc == KBUF_OK)
            rc = put_node(b, s->nodes[i], json_array_get(given, i));
    }
    return rc == KBUF_OK ? kbuf_addc(b, ']') : rc;
}

/* v2 order with maps in @p given's order (the request's service, read
 * by jansson, which keeps members in order; NULL: sorted). */
static int encode_unsorted(const struct kreg_service *s, json_t *given,
                           struct kbuf *b)
{
    int rc = put_member(b, "{\"name\":", s->name);

    if (rc == KBUF_OK)
        rc = put_member(b, ",\"version\":", s->version);
    if (rc == KBUF_OK)
        rc = kbuf_adds(b, ",\"metadata\":");
    if (rc == KBUF_OK)
        rc = put_meta(b, &s->metadata, json_object_get(given, "metadata"));
    if (rc == KBUF_OK)
        rc = kbuf_adds(b, ",\"endpoints\":");
    if (rc == KBUF_OK)
        rc = put_endpoints(b, s, json_object_get(given, "endpoints"));
    if (rc == KBUF_OK)
        rc = kbuf_adds(b, ",\"nodes\":");
    if (rc == KBUF_OK)
        rc = put_nodes(b, s, json_object_get(given, "nodes"));
    return rc == KBUF_OK ? kbuf_addc(b, '}') : rc;
}

/* ---- Escapes -----------------------------------------------------------*/

/* Raw bytes for the \uXXXX escape at @p hex (4 digits) when a mutant
 * writes that character raw, else NULL. */
static const char *unescaped(const struct mutant *m, const char *hex)
{
    static const struct {
        unsigned flag;
        char hex[5];
        const char *raw;
    } table[] = {
        {MUT_JSON_NO_HTML, "003c", "<"},
        {MUT_JSON_NO_HTML, "003e", ">"},
        {MUT_JSON_NO_HTML, "0026", "&"},
        {MUT_JSON_RAW_LINESEP, "2028", "\xe2\x80\xa8"},
        {MUT_JSON_RAW_LINESEP, "2029", "\xe2\x80\xa9"},
    };
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (mutant_has(m, table[i].flag) && memcmp(hex, table[i].hex, 4) == 0)
            return table[i].raw;
    return NULL;
}

static char upper_hex(char c)
{
    return c >= 'a' && c <= 'f' ? (char)(c - 'a' + 'A') : c;
}

/* Append one escape sequence at @p p (a backslash, @p n bytes left) with
 * the mutant's change; returns the bytes consumed, 0 when out of memory. */
static size_t rewrite_escape(const struct mutant *m, const char *p, size_t n,
                             struct kbuf *b)
{
    const char *raw;
    char esc[6];

    if (n < 6 || p[1] != 'u') {
        size_t k = n < 2 ? n : 2;

        return kbuf_add(b, p, k) == KBUF_OK ? k : 0;
    }
    raw = unescaped(m, p + 2);
    if (raw)
        return kbuf_adds(b, raw) == KBUF_OK ? 6 : 0;
    memcpy(esc, p, 6);
    if (mutant_has(m, MUT_JSON_UPPER_HEX) && p[2] == '0' && p[3] == '0') {
        esc[4] = upper_hex(esc[4]);
        esc[5] = upper_hex(esc[5]);
    }
    return kbuf_add(b, esc, 6) == KBUF_OK ? 6 : 0;
}

/* Go's text @p in with the mutant's escaping into @p b. JSON structure
 * never holds '\\' or '/', so both only occur inside strings. */
static int rewrite_escapes(const struct mutant *m, const char *in, size_t len,
                           struct kbuf *b)
{
    size_t i = 0;

    while (i < len) {
        size_t used = 1;
        int rc = KBUF_OK;

        if (in[i] == '\\')
            used = rewrite_escape(m, in + i, len - i, b);
        else if (in[i] == '/' && mutant_has(m, MUT_JSON_ESCAPE_SLASH))
            rc = kbuf_adds(b, "\\/");
        else
            rc = kbuf_addc(b, in[i]);
        if (used == 0 || rc != KBUF_OK)
            return KBUF_E_NOMEM;
        i += used;
    }
    return KBUF_OK;
}

/* ---- Entry point -------------------------------------------------------*/

/* The bytes before the escape rewrite: the unsorted encoder, or libkreg's
 * encoder in the v2 or v4.10.2 order. *@p json is new (free()). */
static int encode_base(const struct mutant *m, const struct kreg_service *s,
                       const char *given, size_t given_len, char **json,
                       size_t *n, struct kreg_error *err)
{
    json_t *order = NULL;
    struct kbuf b;
    int wire =
        mutant_has(m, MUT_JSON_V4_ORDER) ? KREG_WIRE_V4_10_2 : KREG_WIRE_V2;

    if (!mutant_has(m, MUT_JSON_UNSORTED))
        return kreg_service_encode(s, wire, json, n, err);
    if (given)
        order = json_loadb(given, given_len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                           NULL);
    kbuf_init(&b, JSON_CAP);
    *json =
        encode_unsorted(s, order, &b) == KBUF_OK ? kbuf_detach(&b, n) : NULL;
    kbuf_release(&b);
    json_decref(order);
    return *json ? KREG_OK : KREG_E_NOMEM;
}

int mutant_json_encode(const struct mutant *m, const struct kreg_service *s,
                       const char *given, size_t given_len, char **out,
                       size_t *len, struct kreg_error *err)
{
    struct kreg_service *copy = NULL;
    char *json = NULL;
    size_t n = 0;
    struct kbuf b;
    int rc = KREG_OK;

    *out = NULL;
    kbuf_init(&b, JSON_CAP);
    if (mutant_has(m, MUT_JSON_EMPTY_NULL)) {
        copy = kreg_service_dup(s);
        if (!copy)
            rc = KREG_E_NOMEM;
        else
            service_null(copy);
    }
    if (rc == KREG_OK)
        rc = encode_base(m, copy ? copy : s, given, given_len, &json, &n, err);
    if (rc == KREG_OK && rewrite_escapes(m, json, n, &b) != KBUF_OK)
        rc = KREG_E_NOMEM;
    if (rc == KREG_OK) {
        *out = kbuf_detach(&b, len);
        rc = *out ? KREG_OK : KREG_E_NOMEM;
    }
    if (rc == KREG_E_NOMEM && err) {
        err->code = rc;
        snprintf(err->text, sizeof(err->text), "out of memory");
    }
    free(json);
    kreg_service_free(copy);
    kbuf_release(&b);
    return rc;
}
