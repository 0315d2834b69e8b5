/*
 * service_encode: kreg_service_encode(), the bytes Go's json.Marshal writes
 * for a go-micro registry.Service (docs/go-micro-wire.md, Structs, Writing).
 *
 * Written by hand rather than with jansson's dumper: jansson escapes
 * differently (no \u003c for '<', raw U+2028, '/' handling, rejects
 * invalid UTF-8) and cannot reproduce Go's struct member order, null
 * versus empty collections or the \ufffd per invalid byte.
 */
#include "service.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kutf8.h"

/* Encoder state: the first failure sticks in rc and stops all output. */
struct enc {
    struct kbuf b;
    int profile; /* enum kreg_wire */
    int wire;    /* profile | flags */
    unsigned depth;
    int rc;
    struct kreg_error *err;
};

/* ---- Strings --------------------------------------------------------------*/

/* ASCII bytes Go escapes with HTML escaping on (encoding/json htmlSafeSet). */
static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' ||
           c == '&';
}

static size_t lit(char *out, const char *s)
{
    size_t n = strlen(s);

    memcpy(out, s, n);
    return n;
}

/*
 * Write into @p out (at least 7 bytes) the escape Go writes for the bytes
 * at @p u (@p n left), which need one; *@p used gets how many it covers.
 * Go's encodeState.string: \" \\ \n \r \t, \u00XX (lowercase) for other
 * controls (\b \f since Go 1.22), \u2028/\u2029, \ufffd per invalid byte.
 */
static size_t escape_at(const unsigned char *u, size_t n, int wire, char *out,
                        size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    bool go122 = (wire & KREG_WIRE_GO122_ESCAPES) != 0;

    *used = 1;
    if (u[0] == '"' || u[0] == '\\') {
        out[0] = '\\';
        out[1] = (char)u[0];
        return 2;
    }
    if (u[0] == '\n')
        return lit(out, "\\n");
    if (u[0] == '\r')
        return lit(out, "\\r");
    if (u[0] == '\t')
        return lit(out, "\\t");
    if (go122 && u[0] == '\b')
        return lit(out, "\\b");
    if (go122 && u[0] == '\f')
        return lit(out, "\\f");
    if (u[0] < 0x80) {
        lit(out, "\\u00");
        out[4] = hex[u[0] >> 4];
        out[5] = hex[u[0] & 0xF];
        return 6;
    }
    if (n >= 3 && u[0] == 0xE2 && u[1] == 0x80 &&
        (u[2] == 0xA8 || u[2] == 0xA9)) {
        *used = 3;
        lit(out, "\\u202");
        out[5] = hex[u[2] & 0xF];
        return 6;
    }
    return lit(out, "\\ufffd");
}

int kreg__service_encode_string(struct kbuf *b, const char *s, size_t len,
                                int wire)
{
    const unsigned char *u = (const unsigned char *)s;
    char esc[8];
    size_t start = 0;
    size_t i = 0;
    size_t used;
    size_t elen;
    size_t n;
    int rc = kbuf_addc(b, '"');

    while (rc == KBUF_OK && i < len) {
        if (u[i] < 0x80 && !needs_escape(u[i])) {
            i++;
            continue;
        }
        n = u[i] < 0x80 ? 0 : kutf8_decode(s + i, len - i, 0, NULL);
        if (n > 0 && !(n == 3 && u[i] == 0xE2 && u[i + 1] == 0x80 &&
                       (u[i + 2] == 0xA8 || u[i + 2] == 0xA9))) {
            i += n;
            continue;
        }
        elen = escape_at(u + i, len - i, wire, esc, &used);
        rc = kbuf_add(b, s + start, i - start);
        if (rc == KBUF_OK)
            rc = kbuf_add(b, esc, elen);
        i += used;
        start = i;
    }
    if (rc == KBUF_OK)
        rc = kbuf_add(b, s + start, len - start);
    if (rc == KBUF_OK)
        rc = kbuf_addc(b, '"');
    return rc;
}

/* ---- Output helpers -------------------------------------------------------*/

static void put(struct enc *e, const char *s)
{
    if (e->rc == KREG_OK && kbuf_adds(&e->b, s) != KBUF_OK)
        e->rc = kreg__error(e->err, KREG_E_NOMEM, 0, NULL,
                            "service encode: out of memory");
}

/* A string member value; NULL is written as "" (Go strings are never nil). */
static void put_str(struct enc *e, const char *s)
{
    if (!s)
        s = "";
    if (e->rc == KREG_OK &&
        kreg__service_encode_string(&e->b, s, strlen(s), e->wire) != KBUF_OK)
        e->rc = kreg__error(e->err, KREG_E_NOMEM, 0, NULL,
                            "service encode: out of memory");
}

/* Open an object or array level; false (and rc set) past the limit. */
static bool enter(struct enc *e, const char *open)
{
    if (e->rc != KREG_OK)
        return false;
    if (++e->depth > KREG__SERVICE_MAX_DEPTH) {
        e->rc = kreg__error(e->err, KREG_E_INVALID, 0, NULL,
                            "service encode: nested deeper than %d levels",
                            KREG__SERVICE_MAX_DEPTH);
        return false;
    }
    put(e, open);
    return e->rc == KREG_OK;
}

static void leave(struct enc *e, const char *close)
{
    e->depth--;
    put(e, close);
}

/* ---- Metadata -------------------------------------------------------------*/

struct pair {
    const char *key;
    const char *value;
};

static int pair_cmp(const void *a, const void *b)
{
    const struct pair *pa = a;
    const struct pair *pb = b;

    return strcmp(pa->key, pb->key);
}

/* The entries of @p m sorted by raw key bytes (Go sorts map keys so). */
static struct pair *sorted_pairs(struct enc *e, const struct kreg_metadata *m)
{
    struct pair *pairs = calloc(m->count, sizeof(*pairs));
    size_t i;

    if (!pairs) {
        e->rc = kreg__error(e->err, KREG_E_NOMEM, 0, NULL,
                            "service encode: out of memory");
        return NULL;
    }
    for (i = 0; i < m->count; i++) {
        pairs[i].key = m->keys[i];
        pairs[i].value = m->values[i] ? m->values[i] : "";
        if (!pairs[i].key) {
            e->rc = kreg__error(e->err, KREG_E_INVALID, 0, NULL,
                                "service encode: metadata key is NULL");
            free(pairs);
            return NULL;
        }
    }
    qsort(pairs, m->count, sizeof(*pairs), pair_cmp);
    for (i = 1; i < m->count; i++) {
        if (strcmp(pairs[i - 1].key, pairs[i].key) == 0) {
            e->rc = kreg__error(e->err, KREG_E_INVALID, 0, NULL,
                                "service encode: duplicate metadata key");
            free(pairs);
            return NULL;
        }
    }
    return pairs;
}

/* A map[string]string: null (nil), {} or sorted members. */
static void put_metadata(struct enc *e, const struct kreg_metadata *m)
{
    struct pair *pairs;
    size_t i;

    if (m->count == 0) {
        put(e, m->is_null ? "null" : "{}");
        return;
    }
    pairs = sorted_pairs(e, m);
    if (pairs && enter(e, "{")) {
        for (i = 0; i < m->count; i++) {
            if (i > 0)
                put(e, ",");
            put_str(e, pairs[i].key);
            put(e, ":");
            put_str(e, pairs[i].value);
        }
        leave(e, "}");
    }
    free(pairs);
}

/* ---- Structs --------------------------------------------------------------*/

static void put_value(struct enc *e, const struct kreg_value *v)
{
    size_t i;

    if (!v) {
        put(e, "null");
        return;
    }
    if (!enter(e, "{\"name\":"))
        return;
    put_str(e, v->name);
    put(e, ",\"type\":");
    put_str(e, v->type);
    put(e, ",\"values\":");
    if (v->nvalues == 0) {
        put(e, v->values_null ? "null" : "[]");
    } else if (enter(e, "[")) {
        for (i = 0; i < v->nvalues && e->rc == KREG_OK; i++) {
            if (i > 0)
                put(e, ",");
            put_value(e, v->values[i]);
        }
        leave(e, "]");
    }
    leave(e, "}");
}

/* Endpoint{name,request,response,metadata}; v4.10.2 moves name last. */
static void put_endpoint(struct enc *e, const struct kreg_endpoint *ep)
{
    bool v4 = e->profile == KREG_WIRE_V4_10_2;

    if (!ep) {
        put(e, "null");
        return;
    }
    if (!enter(e, "{"))
        return;
    if (!v4) {
        put(e, "\"name\":");
        put_str(e, ep->name);
        put(e, ",");
    }
    put(e, "\"request\":");
    put_value(e, ep->request);
    put(e, ",\"response\":");
    put_value(e, ep->response);
    put(e, ",\"metadata\":");
    put_metadata(e, &ep->metadata);
    if (v4) {
        put(e, ",\"name\":");
        put_str(e, ep->name);
    }
    leave(e, "}");
}

/* Node{id,address,metadata}; v1 adds port; v4.10.2 moves metadata first. */
static void put_node(struct enc *e, const struct kreg_node *n)
{
    bool v4 = e->profile == KREG_WIRE_V4_10_2;

    if (!n) {
        put(e, "null");
        return;
    }
    if (!enter(e, "{"))
        return;
    if (v4) {
        put(e, "\"metadata\":");
        put_metadata(e, &n->metadata);
        put(e, ",");
    }
    put(e, "\"id\":");
    put_str(e, n->id);
    put(e, ",\"address\":");
    put_str(e, n->address);
    if (e->profile == KREG_WIRE_V1 && e->rc == KREG_OK &&
        kbuf_addf(&e->b, ",\"port\":%d", n->port) != KBUF_OK)
        e->rc = kreg__error(e->err, KREG_E_NOMEM, 0, NULL,
                            "service encode: out of memory");
    if (!v4) {
        put(e, ",\"metadata\":");
        put_metadata(e, &n->metadata);
    }
    leave(e, "}");
}

static void put_endpoints(struct enc *e, const struct kreg_service *s)
{
    size_t i;

    if (s->nendpoints == 0) {
        put(e, s->endpoints_null ? "null" : "[]");
        return;
    }
    if (!enter(e, "["))
        return;
    for (i = 0; i < s->nendpoints && e->rc == KREG_OK; i++) {
        if (i > 0)
            put(e, ",");
        put_endpoint(e, s->endpoints[i]);
    }
    leave(e, "]");
}

static void put_nodes(struct enc *e, const struct kreg_service *s)
{
    size_t i;

    if (s->nnodes == 0) {
        put(e, s->nodes_null ? "null" : "[]");
        return;
    }
    if (!enter(e, "["))
        return;
    for (i = 0; i < s->nnodes && e->rc == KREG_OK; i++) {
        if (i > 0)
            put(e, ",");
        put_node(e, s->nodes[i]);
    }
    leave(e, "]");
}

/* Service{name,version,metadata,endpoints,nodes}: the same in every
 * go-micro version. */
static void put_service(struct enc *e, const struct kreg_service *s)
{
    if (!enter(e, "{\"name\":"))
        return;
    put_str(e, s->name);
    put(e, ",\"version\":");
    put_str(e, s->version);
    put(e, ",\"metadata\":");
    put_metadata(e, &s->metadata);
    put(e, ",\"endpoints\":");
    put_endpoints(e, s);
    put(e, ",\"nodes\":");
    put_nodes(e, s);
    leave(e, "}");
}

int kreg_service_encode(const struct kreg_service *s, int wire, char **json_out,
                        size_t *len_out, struct kreg_error *err)
{
    struct enc e;
    int profile = wire & KREG__SERVICE_WIRE_PROFILE;

    if (json_out)
        *json_out = NULL;
    if (len_out)
        *len_out = 0;
    if (!s || !json_out)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "service encode: NULL argument");
    if ((wire & ~(KREG__SERVICE_WIRE_PROFILE | KREG_WIRE_GO122_ESCAPES)) ||
        (profile != KREG_WIRE_V2 && profile != KREG_WIRE_V1 &&
         profile != KREG_WIRE_V4_10_2))
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "service encode: unknown wire value 0x%x",
                           (unsigned)wire);
    memset(&e, 0, sizeof(e));
    kbuf_init(&e.b, SIZE_MAX / 2);
    e.profile = profile;
    e.wire = wire;
    e.err = err;
    put_service(&e, s);
    if (e.rc != KREG_OK) {
        kbuf_release(&e.b);
        return e.rc;
    }
    *json_out = kbuf_detach(&e.b, len_out);
    if (!*json_out)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL,
                           "service encode: out of memory");
    return KREG_OK;
}
