/*
 * service_decode: kreg_service_decode(), go-micro service JSON read the way
 * Go's json.Unmarshal reads it into a registry.Service
 * (docs/go-micro-wire.md, Reading). The JSON syntax is service_read.c's.
 *
 * Go's decoding rules reproduced here (encoding/json decode.go, Go 1.19):
 *  - a member decodes *into* what is already there, so a repeated member
 *    merges: maps keep their entries, arrays decode into the existing
 *    elements and are then cut to the new length;
 *  - null leaves strings and numbers unchanged and makes maps, arrays and
 *    pointers nil; a null map value is stored as "";
 *  - member names match exactly or by Go's folding;
 *  - unknown members are skipped (kept in extra_json at the top level);
 *  - a top-level null is the zero Service.
 * Differences, all on input no Go service writes: nesting is limited to
 * KREG__SERVICE_MAX_DEPTH (Go: 10000), a string holding U+0000 is refused
 * (C strings), "port" must fit a C int and is read (v1) whatever the
 * profile, and the first type error stops decoding.
 */
#include "service.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "knum.h"
#include "service_read.h"

/* ---- Members --------------------------------------------------------------*/

/* A string member: null leaves it unchanged, as in Go. */
static int decode_str(struct kreg__service_reader *p,
                      const struct kreg__service_path *at, char **dst)
{
    char *s;
    enum kreg__service_kind k;
    int rc = kreg__service_read_kind(p, at, &k);

    if (rc != KREG_OK)
        return rc;
    if (k == KREG__SERVICE_K_NULL)
        return kreg__service_read_literal(p, at, "null");
    if (k != KREG__SERVICE_K_STRING)
        return kreg__service_read_fail_type(p, at, "string", k);
    rc = kreg__service_read_take(p, at, &s);
    if (rc != KREG_OK)
        return rc;
    free(*dst);
    *dst = s;
    return KREG_OK;
}

/* v1's Node.port, a Go int read with strconv.ParseInt: 80.0 and 8e1 are
 * errors too. It must also fit a C int. */
static int decode_port(struct kreg__service_reader *p,
                       const struct kreg__service_path *at, int *port)
{
    const char *text;
    size_t start;
    int64_t v;
    enum kreg__service_kind k;
    int rc = kreg__service_read_kind(p, at, &k);

    if (rc != KREG_OK)
        return rc;
    if (k == KREG__SERVICE_K_NULL)
        return kreg__service_read_literal(p, at, "null");
    if (k != KREG__SERVICE_K_NUMBER)
        return kreg__service_read_fail_type(p, at, "number", k);
    start = p->pos;
    rc = kreg__service_read_number(p, at);
    if (rc != KREG_OK)
        return rc;
    text = (const char *)p->s + start;
    if (memchr(text, '.', p->pos - start) ||
        memchr(text, 'e', p->pos - start) || memchr(text, 'E', p->pos - start))
        return kreg__service_read_fail(
            p, at, KREG_E_INVALID, "expected an integer, got %.*s",
            (int)(p->pos - start > 40 ? 40 : p->pos - start), text);
    if (!knum_parse_i64(text, p->pos - start, &v) || v < INT_MIN || v > INT_MAX)
        return kreg__service_read_fail(
            p, at, KREG_E_INVALID, "%.*s is out of range for int",
            (int)(p->pos - start > 40 ? 40 : p->pos - start), text);
    *port = (int)v;
    return KREG_OK;
}

/* null: consumed and *@p is_null set; an object: left for the caller. */
static int null_or_object(struct kreg__service_reader *p,
                          const struct kreg__service_path *at, bool *is_null)
{
    enum kreg__service_kind k;
    int rc = kreg__service_read_kind(p, at, &k);

    *is_null = false;
    if (rc != KREG_OK)
        return rc;
    if (k == KREG__SERVICE_K_NULL) {
        *is_null = true;
        return kreg__service_read_literal(p, at, "null");
    }
    if (k != KREG__SERVICE_K_OBJECT)
        return kreg__service_read_fail_type(p, at, "object", k);
    return KREG_OK;
}

/* null: consumed and *@p is_null set; an array: left for the caller. */
static int null_or_array(struct kreg__service_reader *p,
                         const struct kreg__service_path *at, bool *is_null)
{
    enum kreg__service_kind k;
    int rc = kreg__service_read_kind(p, at, &k);

    *is_null = false;
    if (rc != KREG_OK)
        return rc;
    if (k == KREG__SERVICE_K_NULL) {
        *is_null = true;
        return kreg__service_read_literal(p, at, "null");
    }
    if (k != KREG__SERVICE_K_ARRAY)
        return kreg__service_read_fail_type(p, at, "array", k);
    return KREG_OK;
}

/* Room for element @p count of an array of @p size-byte items. Returns the
 * (possibly moved) storage, or NULL if out of memory (@p items intact). */
static void *grow(void *items, size_t count, size_t *cap, size_t size)
{
    size_t ncap;
    void *n;

    if (count < *cap)
        return items;
    ncap = *cap < 4 ? 4 : *cap * 2;
    if (ncap > SIZE_MAX / size)
        return NULL;
    n = realloc(items, ncap * size);
    if (n)
        *cap = ncap;
    return n;
}

/* ---- Metadata -------------------------------------------------------------*/

struct meta_ctx {
    struct kreg_metadata *m;
    size_t kcap;
    size_t vcap;
};

struct entry {
    char *key;
    char *value;
    size_t order;
};

static int entry_cmp(const void *a, const void *b)
{
    const struct entry *x = a;
    const struct entry *y = b;
    int c = strcmp(x->key, y->key);

    if (c != 0)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Sort by raw key bytes and keep the last of equal keys: Go assigns one
 * map entry per member, so the last one wins. */
static int metadata_normalize(struct kreg__service_reader *p,
                              struct kreg_metadata *m)
{
    struct entry *e;
    size_t i;
    size_t n = 0;

    for (i = 1; i < m->count && strcmp(m->keys[i - 1], m->keys[i]) < 0; i++)
        ;
    if (i >= m->count)
        return KREG_OK; /* sorted and unique, as Go writes maps */
    e = malloc(m->count * sizeof(*e));
    if (!e)
        return kreg__service_read_nomem(p);
    for (i = 0; i < m->count; i++) {
        e[i].key = m->keys[i];
        e[i].value = m->values[i];
        e[i].order = i;
    }
    qsort(e, m->count, sizeof(*e), entry_cmp);
    for (i = 0; i < m->count; i++) {
        if (i + 1 < m->count && strcmp(e[i].key, e[i + 1].key) == 0) {
            free(e[i].key);
            free(e[i].value);
            continue;
        }
        m->keys[n] = e[i].key;
        m->values[n] = e[i].value;
        n++;
    }
    m->count = n;
    free(e);
    return KREG_OK;
}

/* Append an entry (duplicates are dropped later); consumes @p k, @p v. */
static int metadata_add(struct kreg__service_reader *p, struct meta_ctx *c,
                        char *k, char *v)
{
    struct kreg_metadata *m = c->m;
    char **keys;
    char **values;

    keys = grow(m->keys, m->count, &c->kcap, sizeof(*keys));
    if (keys)
        m->keys = keys;
    values = keys ? grow(m->values, m->count, &c->vcap, sizeof(*values)) : NULL;
    if (!values) {
        free(k);
        free(v);
        return kreg__service_read_nomem(p);
    }
    m->values = values;
    m->keys[m->count] = k;
    m->values[m->count] = v;
    m->count++;
    return KREG_OK;
}

/* One map member; a null value is stored as "" (Go's zero string). */
static int metadata_member(struct kreg__service_reader *p,
                           const struct kreg__service_path *at, void *target)
{
    struct kreg__service_path here = {at, NULL, NULL, 0};
    char *k;
    char *v = NULL;
    enum kreg__service_kind kind;
    int rc;

    if (memchr(kbuf_str(&p->str), '\0', kbuf_len(&p->str)))
        return kreg__service_read_fail(
            p, at, KREG_E_INVALID,
            "key holds U+0000, which kreg cannot represent");
    k = kbuf_detach(&p->str, NULL);
    if (!k)
        return kreg__service_read_nomem(p);
    here.key = k;
    rc = kreg__service_read_kind(p, &here, &kind);
    if (rc == KREG_OK && kind == KREG__SERVICE_K_NULL) {
        rc = kreg__service_read_literal(p, &here, "null");
        v = rc == KREG_OK ? strdup("") : NULL;
        if (rc == KREG_OK && !v)
            rc = kreg__service_read_nomem(p);
    } else if (rc == KREG_OK && kind == KREG__SERVICE_K_STRING) {
        rc = kreg__service_read_take(p, &here, &v);
    } else if (rc == KREG_OK) {
        rc = kreg__service_read_fail_type(p, &here, "string", kind);
    }
    if (rc != KREG_OK) {
        free(k);
        free(v);
        return rc;
    }
    return metadata_add(p, target, k, v);
}

/* A map[string]string: null makes it nil; an object adds to what is there
 * (Go reuses a non-nil map). */
static int decode_metadata(struct kreg__service_reader *p,
                           const struct kreg__service_path *at,
                           struct kreg_metadata *m)
{
    struct meta_ctx c = {m, m->count, m->count};
    bool is_null;
    int rc = null_or_object(p, at, &is_null);

    if (rc != KREG_OK)
        return rc;
    if (is_null) {
        kreg__service_metadata_release(m);
        m->is_null = true;
        return KREG_OK;
    }
    m->is_null = false;
    rc = kreg__service_read_object(p, at, metadata_member, &c);
    if (rc == KREG_OK)
        rc = metadata_normalize(p, m);
    return rc;
}

/* ---- Objects held through pointers ----------------------------------------*/

/*
 * The Go struct types the service holds through pointers (*Value,
 * *Endpoint, *Node), as the generic decoders below see them. A slot is
 * the address of one such pointer (a struct kreg_node ** as a void *, the
 * way qsort hands out elements): only clear and fill know its type.
 */
struct obj_type {
    /* Free the T in @p slot (none: nothing) and make the slot NULL. */
    void (*clear)(void *slot);
    /* The T in @p slot, a new zero one put there first if it is NULL;
     * NULL when out of memory. */
    void *(*fill)(void *slot);
    /* One member of the T's object (kreg__service_read_object()). */
    int (*member)(struct kreg__service_reader *p,
                  const struct kreg__service_path *at, void *obj);
    size_t slot_size; /* sizeof(T *) */
};

/* A *T: null frees it (the slot becomes NULL); an object decodes into it,
 * allocated first if nil (Go's decode.go, indirect()). */
static int decode_obj(struct kreg__service_reader *p,
                      const struct kreg__service_path *at,
                      const struct obj_type *t, void *slot)
{
    bool is_null;
    void *obj;
    int rc = null_or_object(p, at, &is_null);

    if (rc != KREG_OK)
        return rc;
    if (is_null) {
        t->clear(slot);
        return KREG_OK;
    }
    obj = t->fill(slot);
    if (!obj)
        return kreg__service_read_nomem(p);
    return kreg__service_read_object(p, at, t->member, obj);
}

/*
 * A []*T being decoded (Service.Endpoints, Service.Nodes, Value.Values):
 * the owner's count and nil flag, and its array as a void * (items) that
 * the caller stores back, whether or not decoding succeeds (it may have
 * moved).
 */
struct obj_array {
    const struct obj_type *type;
    void *items;
    size_t *count;
    bool *is_null;
    size_t cap;
};

static void *obj_array_slot(const struct obj_array *a, size_t i)
{
    return (char *)a->items + i * a->type->slot_size;
}

/* Element @p i: decoded into the one already there, else appended. */
static int obj_array_elem(struct kreg__service_reader *p,
                          const struct kreg__service_path *at, size_t i,
                          void *ctx)
{
    struct obj_array *a = ctx;
    void *items;

    if (i == *a->count) {
        items = grow(a->items, *a->count, &a->cap, a->type->slot_size);
        if (!items)
            return kreg__service_read_nomem(p);
        a->items = items;
        /* a nil T *: the library's structs are calloc()ed, so all-bits-zero
         * is NULL throughout */
        memset(obj_array_slot(a, i), 0, a->type->slot_size);
        (*a->count)++;
    }
    return decode_obj(p, at, a->type, obj_array_slot(a, i));
}

/* null makes the slice nil; an array decodes into the existing elements,
 * then the slice is cut to the new length (Go's decode.go, array()). */
static int decode_obj_array(struct kreg__service_reader *p,
                            const struct kreg__service_path *at,
                            struct obj_array *a)
{
    bool is_null;
    size_t n = 0;
    size_t i;
    int rc = null_or_array(p, at, &is_null);

    if (rc == KREG_OK && !is_null)
        rc = kreg__service_read_array(p, at, obj_array_elem, a, &n);
    if (rc != KREG_OK)
        return rc;
    for (i = n; i < *a->count; i++)
        a->type->clear(obj_array_slot(a, i));
    *a->count = n;
    *a->is_null = is_null;
    return KREG_OK;
}

/* ---- Values ---------------------------------------------------------------*/

static int value_member(struct kreg__service_reader *p,
                        const struct kreg__service_path *at, void *target);

static void value_clear(void *slot)
{
    struct kreg_value **v = slot;

    kreg__service_value_free(*v);
    *v = NULL;
}

static void *value_fill(void *slot)
{
    struct kreg_value **v = slot;

    if (!*v)
        *v = kreg__service_value_new();
    return *v;
}

static const struct obj_type value_type = {
    value_clear, value_fill, value_member, sizeof(struct kreg_value *)};

/* Value.values: decoded into the existing elements, then cut to length. */
static int decode_values(struct kreg__service_reader *p,
                         const struct kreg__service_path *at,
                         struct kreg_value *v)
{
    struct obj_array a = {&value_type, v->values, &v->nvalues, &v->values_null,
                          v->nvalues};
    int rc = decode_obj_array(p, at, &a);

    v->values = a.items;
    return rc;
}

static int value_member(struct kreg__service_reader *p,
                        const struct kreg__service_path *at, void *target)
{
    struct kreg_value *v = target;
    struct kreg__service_path here = {at, NULL, NULL, 0};

    if (kreg__service_read_key_is(p, "name")) {
        here.member = "name";
        return decode_str(p, &here, &v->name);
    }
    if (kreg__service_read_key_is(p, "type")) {
        here.member = "type";
        return decode_str(p, &here, &v->type);
    }
    if (kreg__service_read_key_is(p, "values")) {
        here.member = "values";
        return decode_values(p, &here, v);
    }
    return kreg__service_read_skip(p, at, NULL);
}

/* ---- Endpoints ------------------------------------------------------------*/

static int endpoint_member(struct kreg__service_reader *p,
                           const struct kreg__service_path *at, void *target)
{
    struct kreg_endpoint *e = target;
    struct kreg__service_path here = {at, NULL, NULL, 0};

    if (kreg__service_read_key_is(p, "name")) {
        here.member = "name";
        return decode_str(p, &here, &e->name);
    }
    if (kreg__service_read_key_is(p, "request")) {
        here.member = "request";
        return decode_obj(p, &here, &value_type, &e->request);
    }
    if (kreg__service_read_key_is(p, "response")) {
        here.member = "response";
        return decode_obj(p, &here, &value_type, &e->response);
    }
    if (kreg__service_read_key_is(p, "metadata")) {
        here.member = "metadata";
        return decode_metadata(p, &here, &e->metadata);
    }
    return kreg__service_read_skip(p, at, NULL);
}

static void endpoint_clear(void *slot)
{
    struct kreg_endpoint **e = slot;

    kreg__service_endpoint_free(*e);
    *e = NULL;
}

static void *endpoint_fill(void *slot)
{
    struct kreg_endpoint **e = slot;

    if (!*e)
        *e = kreg__service_endpoint_new();
    return *e;
}

static const struct obj_type endpoint_type = {endpoint_clear, endpoint_fill,
                                              endpoint_member,
                                              sizeof(struct kreg_endpoint *)};

static int decode_endpoints(struct kreg__service_reader *p,
                            const struct kreg__service_path *at,
                            struct kreg_service *s)
{
    struct obj_array a = {&endpoint_type, s->endpoints, &s->nendpoints,
                          &s->endpoints_null, s->nendpoints};
    int rc = decode_obj_array(p, at, &a);

    s->endpoints = a.items;
    return rc;
}

/* ---- Nodes ----------------------------------------------------------------*/

static int node_member(struct kreg__service_reader *p,
                       const struct kreg__service_path *at, void *target)
{
    struct kreg_node *n = target;
    struct kreg__service_path here = {at, NULL, NULL, 0};

    if (kreg__service_read_key_is(p, "id")) {
        here.member = "id";
        return decode_str(p, &here, &n->id);
    }
    if (kreg__service_read_key_is(p, "address")) {
        here.member = "address";
        return decode_str(p, &here, &n->address);
    }
    if (kreg__service_read_key_is(p, "port")) {
        here.member = "port";
        return decode_port(p, &here, &n->port);
    }
    if (kreg__service_read_key_is(p, "metadata")) {
        here.member = "metadata";
        return decode_metadata(p, &here, &n->metadata);
    }
    return kreg__service_read_skip(p, at, NULL);
}

static void node_clear(void *slot)
{
    struct kreg_node **n = slot;

    kreg__service_node_free(*n);
    *n = NULL;
}

static void *node_fill(void *slot)
{
    struct kreg_node **n = slot;

    if (!*n)
        *n = kreg__service_node_new();
    return *n;
}

static const struct obj_type node_type = {node_clear, node_fill, node_member,
                                          sizeof(struct kreg_node *)};

static int decode_nodes(struct kreg__service_reader *p,
                        const struct kreg__service_path *at,
                        struct kreg_service *s)
{
    struct obj_array a = {&node_type, s->nodes, &s->nnodes, &s->nodes_null,
                          s->nnodes};
    int rc = decode_obj_array(p, at, &a);

    s->nodes = a.items;
    return rc;
}

/* ---- Service --------------------------------------------------------------*/

struct service_ctx {
    struct kreg_service *s;
    struct kbuf extra; /* unknown members, compact, for extra_json */
    size_t nextra;
};

static int service_member(struct kreg__service_reader *p,
                          const struct kreg__service_path *at, void *target)
{
    struct service_ctx *c = target;
    struct kreg__service_path here = {at, NULL, NULL, 0};
    int rc;

    if (kreg__service_read_key_is(p, "name")) {
        here.member = "name";
        return decode_str(p, &here, &c->s->name);
    }
    if (kreg__service_read_key_is(p, "version")) {
        here.member = "version";
        return decode_str(p, &here, &c->s->version);
    }
    if (kreg__service_read_key_is(p, "metadata")) {
        here.member = "metadata";
        return decode_metadata(p, &here, &c->s->metadata);
    }
    if (kreg__service_read_key_is(p, "endpoints")) {
        here.member = "endpoints";
        return decode_endpoints(p, &here, c->s);
    }
    if (kreg__service_read_key_is(p, "nodes")) {
        here.member = "nodes";
        return decode_nodes(p, &here, c->s);
    }
    rc = kreg__service_read_put(p, &c->extra, c->nextra++ ? "," : "{");
    if (rc == KREG_OK)
        rc = kreg__service_read_put_key(p, &c->extra);
    if (rc == KREG_OK)
        rc = kreg__service_read_skip(p, at, &c->extra);
    return rc;
}

/* After the value: only whitespace may follow; close extra_json. */
static int finish(struct kreg__service_reader *p, struct service_ctx *c)
{
    int rc;

    kreg__service_read_ws(p);
    if (p->pos < p->len)
        return kreg__service_read_fail_char(p, NULL, p->pos,
                                            "after top-level value");
    if (c->nextra == 0)
        return KREG_OK;
    rc = kreg__service_read_put(p, &c->extra, "}");
    if (rc != KREG_OK)
        return rc;
    c->s->extra_json = kbuf_detach(&c->extra, NULL);
    return c->s->extra_json ? KREG_OK : kreg__service_read_nomem(p);
}

int kreg_service_decode(const char *json, size_t len, struct kreg_service **out,
                        struct kreg_error *err)
{
    struct kreg__service_reader p;
    struct service_ctx c;
    enum kreg__service_kind k = KREG__SERVICE_K_EOF;
    int rc;

    if (out)
        *out = NULL;
    if (!out || (!json && len > 0))
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "service json: NULL argument");
    kreg__service_read_init(&p, json, len, err);
    kbuf_init(&c.extra, SIZE_MAX / 2);
    c.nextra = 0;
    c.s = kreg_service_new();
    rc = c.s ? kreg__service_read_kind(&p, NULL, &k)
             : kreg__service_read_nomem(&p);
    /* A top-level null leaves Go's zero value, as Unmarshal does. */
    if (rc == KREG_OK && k == KREG__SERVICE_K_NULL)
        rc = kreg__service_read_literal(&p, NULL, "null");
    else if (rc == KREG_OK && k == KREG__SERVICE_K_OBJECT)
        rc = kreg__service_read_object(&p, NULL, service_member, &c);
    else if (rc == KREG_OK)
        rc = kreg__service_read_fail_type(&p, NULL, "object", k);
    if (rc == KREG_OK)
        rc = finish(&p, &c);
    kreg__service_read_release(&p);
    kbuf_release(&c.extra);
    if (rc != KREG_OK) {
        kreg_service_free(c.s);
        return rc;
    }
    *out = c.s;
    return KREG_OK;
}
