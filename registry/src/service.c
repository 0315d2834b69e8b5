/*
 * service: the go-micro service model: life cycle, metadata, lists,
 * merging and comparison (docs/go-micro-wire.md, Structs). JSON is in
 * service_decode.c and service_encode.c.
 */
#include "service.h"

#include <stdlib.h>
#include <string.h>

/* Copy @p s (NULL stays NULL) into *@p out; false if out of memory. */
static bool copy_str(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return true;
    *out = strdup(s);
    return *out != NULL;
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* ---- Metadata -------------------------------------------------------------*/

void kreg__service_metadata_release(struct kreg_metadata *m)
{
    size_t i;

    for (i = 0; i < m->count; i++) {
        free(m->keys[i]);
        free(m->values[i]);
    }
    free(m->keys);
    free(m->values);
    m->keys = NULL;
    m->values = NULL;
    m->count = 0;
}

int kreg__service_metadata_copy(struct kreg_metadata *dst,
                                const struct kreg_metadata *src)
{
    size_t i;

    memset(dst, 0, sizeof(*dst));
    dst->is_null = src->is_null;
    if (src->count == 0)
        return KREG_OK;
    dst->keys = calloc(src->count, sizeof(*dst->keys));
    dst->values = calloc(src->count, sizeof(*dst->values));
    if (!dst->keys || !dst->values)
        goto nomem;
    for (i = 0; i < src->count; i++) {
        dst->keys[i] = strdup(src->keys[i] ? src->keys[i] : "");
        dst->values[i] = strdup(src->values[i] ? src->values[i] : "");
        dst->count++;
        if (!dst->keys[i] || !dst->values[i])
            goto nomem;
    }
    return KREG_OK;
nomem:
    kreg__service_metadata_release(dst);
    return KREG_E_NOMEM;
}

int kreg_metadata_set(struct kreg_metadata *m, const char *key,
                      const char *value)
{
    char **keys;
    char **values;
    char *k;
    char *v;
    size_t i;

    if (!m || !key || !value)
        return KREG_E_INVALID;
    v = strdup(value);
    if (!v)
        return KREG_E_NOMEM;
    for (i = 0; i < m->count; i++) {
        if (m->keys[i] && strcmp(m->keys[i], key) == 0) {
            free(m->values[i]);
            m->values[i] = v;
            m->is_null = false;
            return KREG_OK;
        }
    }
    k = strdup(key);
    keys = k ? realloc(m->keys, (m->count + 1) * sizeof(*keys)) : NULL;
    if (keys)
        m->keys = keys;
    values = keys ? realloc(m->values, (m->count + 1) * sizeof(*values)) : NULL;
    if (!values) {
        free(k);
        free(v);
        return KREG_E_NOMEM;
    }
    m->values = values;
    m->keys[m->count] = k;
    m->values[m->count] = v;
    m->count++;
    m->is_null = false;
    return KREG_OK;
}

const char *kreg_metadata_get(const struct kreg_metadata *m, const char *key)
{
    size_t i;

    if (!m || !key)
        return NULL;
    for (i = 0; i < m->count; i++) {
        if (m->keys[i] && strcmp(m->keys[i], key) == 0)
            return m->values[i] ? m->values[i] : "";
    }
    return NULL;
}

/* Same map, and both nil or both not (count > 0 always encodes a map). */
static bool metadata_equal(const struct kreg_metadata *a,
                           const struct kreg_metadata *b)
{
    size_t i;
    const char *v;

    if ((a->is_null && a->count == 0) != (b->is_null && b->count == 0))
        return false;
    if (a->count != b->count)
        return false;
    for (i = 0; i < a->count; i++) {
        v = kreg_metadata_get(b, a->keys[i] ? a->keys[i] : "");
        if (!v || !str_eq(v, a->values[i]))
            return false;
    }
    return true;
}

/* ---- Values ---------------------------------------------------------------*/

struct kreg_value *kreg__service_value_new(void)
{
    struct kreg_value *v = calloc(1, sizeof(*v));

    if (!v)
        return NULL;
    v->name = strdup("");
    v->type = strdup("");
    v->values_null = true;
    if (!v->name || !v->type) {
        kreg__service_value_free(v);
        return NULL;
    }
    return v;
}

void kreg__service_value_free(struct kreg_value *v)
{
    size_t i;

    if (!v)
        return;
    for (i = 0; i < v->nvalues; i++)
        kreg__service_value_free(v->values[i]);
    free(v->values);
    free(v->name);
    free(v->type);
    free(v);
}

struct kreg_value *kreg__service_value_dup(const struct kreg_value *v)
{
    struct kreg_value *c;
    size_t i;

    if (!v)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->values_null = v->values_null;
    if (!copy_str(v->name, &c->name) || !copy_str(v->type, &c->type))
        goto nomem;
    if (v->nvalues) {
        c->values = calloc(v->nvalues, sizeof(*c->values));
        if (!c->values)
            goto nomem;
    }
    for (i = 0; i < v->nvalues; i++) {
        c->values[i] = kreg__service_value_dup(v->values[i]);
        c->nvalues++;
        if (v->values[i] && !c->values[i])
            goto nomem;
    }
    return c;
nomem:
    kreg__service_value_free(c);
    return NULL;
}

static bool value_equal(const struct kreg_value *a, const struct kreg_value *b)
{
    size_t i;

    if (!a || !b)
        return a == b;
    if (!str_eq(a->name, b->name) || !str_eq(a->type, b->type))
        return false;
    if ((a->values_null && a->nvalues == 0) !=
            (b->values_null && b->nvalues == 0) ||
        a->nvalues != b->nvalues)
        return false;
    for (i = 0; i < a->nvalues; i++) {
        if (!value_equal(a->values[i], b->values[i]))
            return false;
    }
    return true;
}

/* ---- Endpoints ------------------------------------------------------------*/

struct kreg_endpoint *kreg__service_endpoint_new(void)
{
    struct kreg_endpoint *e = calloc(1, sizeof(*e));

    if (!e)
        return NULL;
    e->name = strdup("");
    e->metadata.is_null = true;
    if (!e->name) {
        free(e);
        return NULL;
    }
    return e;
}

void kreg__service_endpoint_free(struct kreg_endpoint *e)
{
    if (!e)
        return;
    free(e->name);
    kreg__service_value_free(e->request);
    kreg__service_value_free(e->response);
    kreg__service_metadata_release(&e->metadata);
    free(e);
}

struct kreg_endpoint *kreg__service_endpoint_dup(const struct kreg_endpoint *e)
{
    struct kreg_endpoint *c;

    if (!e)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    if (kreg__service_metadata_copy(&c->metadata, &e->metadata) != KREG_OK ||
        !copy_str(e->name, &c->name))
        goto nomem;
    c->request = kreg__service_value_dup(e->request);
    c->response = kreg__service_value_dup(e->response);
    if ((e->request && !c->request) || (e->response && !c->response))
        goto nomem;
    return c;
nomem:
    kreg__service_endpoint_free(c);
    return NULL;
}

static bool endpoint_equal(const struct kreg_endpoint *a,
                           const struct kreg_endpoint *b)
{
    if (!a || !b)
        return a == b;
    return str_eq(a->name, b->name) && value_equal(a->request, b->request) &&
           value_equal(a->response, b->response) &&
           metadata_equal(&a->metadata, &b->metadata);
}

/* ---- Nodes ----------------------------------------------------------------*/

struct kreg_node *kreg__service_node_new(void)
{
    struct kreg_node *n = calloc(1, sizeof(*n));

    if (!n)
        return NULL;
    n->id = strdup("");
    n->address = strdup("");
    n->metadata.is_null = true;
    if (!n->id || !n->address) {
        kreg__service_node_free(n);
        return NULL;
    }
    return n;
}

void kreg__service_node_free(struct kreg_node *n)
{
    if (!n)
        return;
    free(n->id);
    free(n->address);
    kreg__service_metadata_release(&n->metadata);
    free(n);
}

struct kreg_node *kreg__service_node_dup(const struct kreg_node *n)
{
    struct kreg_node *c;

    if (!n)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->port = n->port;
    if (kreg__service_metadata_copy(&c->metadata, &n->metadata) != KREG_OK ||
        !copy_str(n->id, &c->id) || !copy_str(n->address, &c->address)) {
        kreg__service_node_free(c);
        return NULL;
    }
    return c;
}

static bool node_equal(const struct kreg_node *a, const struct kreg_node *b)
{
    if (!a || !b)
        return a == b;
    return str_eq(a->id, b->id) && str_eq(a->address, b->address) &&
           a->port == b->port && metadata_equal(&a->metadata, &b->metadata);
}

/* ---- Services -------------------------------------------------------------*/

struct kreg_service *kreg_service_new(void)
{
    struct kreg_service *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->name = strdup("");
    s->version = strdup("");
    s->metadata.is_null = true;
    s->endpoints_null = true;
    s->nodes_null = true;
    if (!s->name || !s->version) {
        kreg_service_free(s);
        return NULL;
    }
    return s;
}

void kreg_service_free(struct kreg_service *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->nendpoints; i++)
        kreg__service_endpoint_free(s->endpoints[i]);
    free(s->endpoints);
    for (i = 0; i < s->nnodes; i++)
        kreg__service_node_free(s->nodes[i]);
    free(s->nodes);
    kreg__service_metadata_release(&s->metadata);
    free(s->name);
    free(s->version);
    free(s->extra_json);
    free(s);
}

/* Copy the endpoint and node arrays of @p s into @p c. */
static bool dup_arrays(struct kreg_service *c, const struct kreg_service *s)
{
    size_t i;

    if (s->nendpoints) {
        c->endpoints = calloc(s->nendpoints, sizeof(*c->endpoints));
        if (!c->endpoints)
            return false;
    }
    for (i = 0; i < s->nendpoints; i++) {
        c->endpoints[i] = kreg__service_endpoint_dup(s->endpoints[i]);
        c->nendpoints++;
        if (s->endpoints[i] && !c->endpoints[i])
            return false;
    }
    if (s->nnodes) {
        c->nodes = calloc(s->nnodes, sizeof(*c->nodes));
        if (!c->nodes)
            return false;
    }
    for (i = 0; i < s->nnodes; i++) {
        c->nodes[i] = kreg__service_node_dup(s->nodes[i]);
        c->nnodes++;
        if (s->nodes[i] && !c->nodes[i])
            return false;
    }
    return true;
}

struct kreg_service *kreg_service_dup(const struct kreg_service *s)
{
    struct kreg_service *c;

    if (!s)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->endpoints_null = s->endpoints_null;
    c->nodes_null = s->nodes_null;
    if (kreg__service_metadata_copy(&c->metadata, &s->metadata) != KREG_OK ||
        !copy_str(s->name, &c->name) || !copy_str(s->version, &c->version) ||
        !copy_str(s->extra_json, &c->extra_json) || !dup_arrays(c, s)) {
        kreg_service_free(c);
        return NULL;
    }
    return c;
}

struct kreg_node *kreg_service_add_node(struct kreg_service *s, const char *id,
                                        const char *address)
{
    struct kreg_node **nodes;
    struct kreg_node *n;

    if (!s)
        return NULL;
    n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->metadata.is_null = true;
    n->id = strdup(id ? id : "");
    n->address = strdup(address ? address : "");
    nodes = n->id && n->address
                ? realloc(s->nodes, (s->nnodes + 1) * sizeof(*nodes))
                : NULL;
    if (!nodes) {
        kreg__service_node_free(n);
        return NULL;
    }
    s->nodes = nodes;
    s->nodes[s->nnodes++] = n;
    s->nodes_null = false;
    return n;
}

int kreg__service_merge_nodes(struct kreg_service *dst,
                              struct kreg_service *src)
{
    struct kreg_node **nodes;
    size_t n = dst->nnodes;

    if (src->nnodes == 0)
        return KREG_OK;
    nodes = realloc(dst->nodes, (n + src->nnodes) * sizeof(*nodes));
    if (!nodes)
        return KREG_E_NOMEM;
    memcpy(nodes + n, src->nodes, src->nnodes * sizeof(*nodes));
    dst->nodes = nodes;
    dst->nnodes = n + src->nnodes;
    dst->nodes_null = false;
    free(src->nodes);
    src->nodes = NULL;
    src->nnodes = 0;
    return KREG_OK;
}

bool kreg__service_equal(const struct kreg_service *a,
                         const struct kreg_service *b)
{
    size_t i;

    if (!a || !b)
        return a == b;
    if (!str_eq(a->name, b->name) || !str_eq(a->version, b->version) ||
        !metadata_equal(&a->metadata, &b->metadata))
        return false;
    if ((a->endpoints_null && a->nendpoints == 0) !=
            (b->endpoints_null && b->nendpoints == 0) ||
        a->nendpoints != b->nendpoints)
        return false;
    if ((a->nodes_null && a->nnodes == 0) !=
            (b->nodes_null && b->nnodes == 0) ||
        a->nnodes != b->nnodes)
        return false;
    for (i = 0; i < a->nendpoints; i++) {
        if (!endpoint_equal(a->endpoints[i], b->endpoints[i]))
            return false;
    }
    for (i = 0; i < a->nnodes; i++) {
        if (!node_equal(a->nodes[i], b->nodes[i]))
            return false;
    }
    return true;
}

/* ---- Lists ----------------------------------------------------------------*/

struct kreg_service_list *kreg__service_list_new(void)
{
    return calloc(1, sizeof(struct kreg_service_list));
}

void kreg_service_list_free(struct kreg_service_list *l)
{
    size_t i;

    if (!l)
        return;
    for (i = 0; i < l->count; i++)
        kreg_service_free(l->items[i]);
    free(l->items);
    free(l);
}

struct kreg_service_list *
kreg_service_list_dup(const struct kreg_service_list *l)
{
    struct kreg_service_list *c;
    size_t i;

    if (!l)
        return NULL;
    c = kreg__service_list_new();
    if (!c || l->count == 0)
        return c;
    c->items = calloc(l->count, sizeof(*c->items));
    if (!c->items) {
        free(c);
        return NULL;
    }
    for (i = 0; i < l->count; i++) {
        /* a NULL element stays NULL, as kreg_service_dup() gives it */
        c->items[i] = kreg_service_dup(l->items[i]);
        c->count = i + 1;
        if (l->items[i] && !c->items[i]) {
            kreg_service_list_free(c);
            return NULL;
        }
    }
    return c;
}

int kreg__service_list_append(struct kreg_service_list *l,
                              struct kreg_service *s)
{
    struct kreg_service **items;

    items = realloc(l->items, (l->count + 1) * sizeof(*items));
    if (!items) {
        kreg_service_free(s);
        return KREG_E_NOMEM;
    }
    l->items = items;
    l->items[l->count++] = s;
    return KREG_OK;
}

struct kreg_service *kreg__service_list_find(const struct kreg_service_list *l,
                                             const char *name,
                                             const char *version)
{
    size_t i;

    for (i = 0; i < l->count; i++) {
        if (l->items[i] && str_eq(l->items[i]->name, name) &&
            str_eq(l->items[i]->version, version))
            return l->items[i];
    }
    return NULL;
}

static int service_cmp(const struct kreg_service *a,
                       const struct kreg_service *b)
{
    int c = strcmp(a->name ? a->name : "", b->name ? b->name : "");

    if (c != 0)
        return c;
    return strcmp(a->version ? a->version : "", b->version ? b->version : "");
}

/* Insertion sort: stable, and lists hold one entry per name and version. */
void kreg__service_list_sort(struct kreg_service_list *l)
{
    struct kreg_service *s;
    size_t i;
    size_t j;

    for (i = 1; i < l->count; i++) {
        s = l->items[i];
        for (j = i; j > 0 && service_cmp(l->items[j - 1], s) > 0; j--)
            l->items[j] = l->items[j - 1];
        l->items[j] = s;
    }
}
