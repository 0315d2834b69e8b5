/*
 * config_kubeconfig: kubeconfig files (libyaml document API) into the
 * model of config_int.h, merged the way client-go's loader.go does
 * (docs/kubernetes-api.md, Client configuration). Decoding follows what Go's
 * sigs.k8s.io/yaml plus encoding/json accept: unknown keys ignored, null as
 * unset, YAML 1.1 booleans, a later duplicate key wins, -data fields strict
 * base64; the field tables below list every key read.
 */
#include "config_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "error.h"

/* How a recognised key's value is stored. */
enum ftype {
    F_STR,   /* char *; "" and null stored as NULL */
    F_PATH,  /* F_STR resolved against the file's directory */
    F_CMD,   /* F_PATH only when it contains '/' (client-go) */
    F_B64,   /* char * plus size_t at len_off; decoded base64 */
    F_BOOL,  /* bool; YAML 1.1 spellings as Go's yaml.v2 */
    F_LIST,  /* char ** plus size_t at len_off; scalars */
    F_ENV,   /* kreg__kc_exec env_names/env_values */
    F_EXEC,  /* struct kreg__kc_exec * */
    F_UNSUP, /* users only: remembered, refused when selected */
};

struct field {
    const char *key;
    enum ftype type;
    size_t off;
    size_t len_off;
    const char *why; /* F_UNSUP */
};

#define CL(m) offsetof(struct kreg__kc_cluster, m)
#define US(m) offsetof(struct kreg__kc_user, m)
#define CX(m) offsetof(struct kreg__kc_context, m)
#define EX(m) offsetof(struct kreg__kc_exec, m)

static const struct field cluster_fields[] = {
    {"server", F_STR, CL(server), 0, NULL},
    {"certificate-authority", F_PATH, CL(ca_file), 0, NULL},
    {"certificate-authority-data", F_B64, CL(ca_data), CL(ca_len), NULL},
    {"insecure-skip-tls-verify", F_BOOL, CL(insecure), 0, NULL},
    {"tls-server-name", F_STR, CL(tls_server_name), 0, NULL},
};

static const char no_basic[] = "basic authentication is not supported";
static const char no_as[] = "impersonation is not supported";

static const struct field user_fields[] = {
    {"token", F_STR, US(token), 0, NULL},
    {"tokenFile", F_PATH, US(token_file), 0, NULL},
    {"client-certificate", F_PATH, US(cert_file), 0, NULL},
    {"client-certificate-data", F_B64, US(cert_data), US(cert_len), NULL},
    {"client-key", F_PATH, US(key_file), 0, NULL},
    {"client-key-data", F_B64, US(key_data), US(key_len), NULL},
    {"exec", F_EXEC, US(exec), 0, NULL},
    {"username", F_UNSUP, 0, 0, no_basic},
    {"password", F_UNSUP, 0, 0, no_basic},
    {"auth-provider", F_UNSUP, 0, 0,
     "auth providers are not supported (use an exec plugin)"},
    {"as", F_UNSUP, 0, 0, no_as},
    {"as-uid", F_UNSUP, 0, 0, no_as},
    {"as-groups", F_UNSUP, 0, 0, no_as},
    {"as-user-extra", F_UNSUP, 0, 0, no_as},
};

static const struct field context_fields[] = {
    {"cluster", F_STR, CX(cluster), 0, NULL},
    {"user", F_STR, CX(user), 0, NULL},
    {"namespace", F_STR, CX(namespace_), 0, NULL},
};

static const struct field exec_fields[] = {
    {"apiVersion", F_STR, EX(api_version), 0, NULL},
    {"command", F_CMD, EX(command), 0, NULL},
    {"args", F_LIST, EX(args), EX(nargs), NULL},
    {"env", F_ENV, 0, 0, NULL},
    {"interactiveMode", F_STR, EX(interactive_mode), 0, NULL},
    {"provideClusterInfo", F_BOOL, EX(provide_cluster_info), 0, NULL},
    {"installHint", F_STR, EX(install_hint), 0, NULL},
};

static void free_cluster(void *p);
static void free_user(void *p);
static void free_context(void *p);

/* The three named lists: key, item key, fields, entry size, destructor. */
static const struct kind {
    const char *list;
    const char *item;
    const struct field *fields;
    size_t nfields;
    size_t size;
    void (*free_entry)(void *);
} kinds[KREG__KC_KINDS] = {
    {"clusters", "cluster", cluster_fields,
     sizeof(cluster_fields) / sizeof(cluster_fields[0]),
     sizeof(struct kreg__kc_cluster), free_cluster},
    {"users", "user", user_fields, sizeof(user_fields) / sizeof(user_fields[0]),
     sizeof(struct kreg__kc_user), free_user},
    {"contexts", "context", context_fields,
     sizeof(context_fields) / sizeof(context_fields[0]),
     sizeof(struct kreg__kc_context), free_context},
};

/* One file being parsed. */
struct pctx {
    yaml_document_t *doc;
    const char *file;
    const char *dir;
    struct kreg_error *err;
};

/* ---- Model life cycle --------------------------------------------------*/

static void free_strv(char **v, size_t n)
{
    size_t i;

    if (!v)
        return;
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_exec(struct kreg__kc_exec *e)
{
    if (!e)
        return;
    free(e->api_version);
    free(e->command);
    free_strv(e->args, e->nargs);
    free_strv(e->env_names, e->nenv);
    free_strv(e->env_values, e->nenv);
    free(e->interactive_mode);
    free(e->install_hint);
    free(e);
}

static void free_named(struct kreg__kc_named *n)
{
    free(n->name);
    free(n->origin);
}

static void free_cluster(void *p)
{
    struct kreg__kc_cluster *c = p;

    free_named(&c->n);
    free(c->server);
    free(c->ca_file);
    free(c->ca_data);
    free(c->tls_server_name);
    free(c);
}

static void free_user(void *p)
{
    struct kreg__kc_user *u = p;

    free_named(&u->n);
    free(u->token);
    free(u->token_file);
    free(u->cert_file);
    free(u->cert_data);
    free(u->key_file);
    free(u->key_data);
    free_exec(u->exec);
    free(u);
}

static void free_context(void *p)
{
    struct kreg__kc_context *c = p;

    free_named(&c->n);
    free(c->cluster);
    free(c->user);
    free(c->namespace_);
    free(c);
}

static void list_clear(int kind, struct kreg__kc_list *l)
{
    size_t i;

    for (i = 0; i < l->count; i++) {
        if (l->items[i])
            kinds[kind].free_entry(l->items[i]);
    }
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

/* Grow @p l to hold @p extra more items; false when out of memory. */
static bool list_reserve(struct kreg__kc_list *l, size_t extra)
{
    void **p;

    if (extra == 0)
        return true;
    p = realloc(l->items, (l->count + extra) * sizeof(*p));
    if (!p)
        return false;
    l->items = p;
    return true;
}

static const void *list_find(const struct kreg__kc_list *l, const char *name,
                             size_t limit)
{
    const struct kreg__kc_named *n;
    size_t i;

    for (i = 0; i < l->count && i < limit; i++) {
        n = l->items[i];
        if (n && n->name && strcmp(n->name, name) == 0)
            return n;
    }
    return NULL;
}

const void *kreg__config_kubeconfig_find(const struct kreg__kubeconfig *kc,
                                         int kind, const char *name)
{
    return list_find(&kc->lists[kind], name, kc->lists[kind].count);
}

void kreg__config_kubeconfig_init(struct kreg__kubeconfig *kc)
{
    memset(kc, 0, sizeof(*kc));
    kbuf_init(&kc->files, (size_t)-1);
}

void kreg__config_kubeconfig_release(struct kreg__kubeconfig *kc)
{
    int k;

    for (k = 0; k < KREG__KC_KINDS; k++)
        list_clear(k, &kc->lists[k]);
    free(kc->current_context);
    kc->current_context = NULL;
    kbuf_release(&kc->files);
}

/* ---- Scalars -----------------------------------------------------------*/

/* "kubeconfig FILE: AT.KEY: message"; AT and KEY may be NULL. */
static int fail(const struct pctx *pc, const char *at, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(const struct pctx *pc, const char *at, const char *key,
                const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return kreg__error(pc->err, KREG_E_CONFIG, 0, NULL,
                       "kubeconfig %s: %s%s%s%s%s", pc->file, at ? at : "",
                       at && key ? "." : "", key ? key : "",
                       at || key ? ": " : "", msg);
}

static yaml_node_t *node_at(const struct pctx *pc, int index)
{
    return yaml_document_get_node(pc->doc, index);
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
    size_t len = strlen(s);

    return n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
           memcmp(n->data.scalar.value, s, len) == 0;
}

static bool scalar_in(const yaml_node_t *n, const char *const *set, size_t c)
{
    size_t i;

    if (n->type != YAML_SCALAR_NODE ||
        n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    for (i = 0; i < c; i++) {
        if (scalar_is(n, set[i]))
            return true;
    }
    return false;
}

/* A missing node, or a plain scalar YAML reads as null. */
static bool is_null(const yaml_node_t *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

    return !n || scalar_in(n, nulls, sizeof(nulls) / sizeof(nulls[0]));
}

/* Store the scalar @p n as a new string in *out (NULL for null). */
static int get_text(const struct pctx *pc, const yaml_node_t *n, const char *at,
                    const char *key, char **out)
{
    const char *v;
    size_t len;

    free(*out);
    *out = NULL;
    if (is_null(n))
        return KREG_OK;
    if (n->type != YAML_SCALAR_NODE)
        return fail(pc, at, key, "expected a string");
    v = (const char *)n->data.scalar.value;
    len = n->data.scalar.length;
    if (memchr(v, '\0', len))
        return fail(pc, at, key, "contains a NUL byte");
    *out = kreg__config_util_dup(v, len);
    return *out ? KREG_OK : KREG_E_NOMEM;
}

static int get_bool(const struct pctx *pc, const yaml_node_t *n, const char *at,
                    const char *key, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes",
                                      "Yes",  "YES",  "on",   "On",
                                      "ON",   "y",    "Y"};
    static const char *const no[] = {"false", "False", "FALSE", "no",
                                     "No",    "NO",    "off",   "Off",
                                     "OFF",   "n",     "N"};

    if (is_null(n))
        *out = false;
    else if (scalar_in(n, yes, sizeof(yes) / sizeof(yes[0])))
        *out = true;
    else if (scalar_in(n, no, sizeof(no) / sizeof(no[0])))
        *out = false;
    else
        return fail(pc, at, key, "expected a boolean");
    return KREG_OK;
}

static int get_b64(const struct pctx *pc, const yaml_node_t *n, const char *at,
                   const char *key, char **out, size_t *len)
{
    char *text = NULL;
    int rc;

    free(*out);
    *out = NULL;
    *len = 0;
    rc = get_text(pc, n, at, key, &text);
    if (rc != KREG_OK || !text || !text[0]) {
        free(text);
        return rc;
    }
    rc = kreg__config_util_base64_decode(text, strlen(text), out, len);
    free(text);
    if (rc == KREG_E_INVALID)
        return fail(pc, at, key, "invalid base64");
    if (rc == KREG_OK && *len == 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* A string field: "" becomes NULL; paths resolve against the dir. */
static int get_string(const struct pctx *pc, const yaml_node_t *n,
                      const char *at, const struct field *f, char **out)
{
    char *p;
    int rc = get_text(pc, n, at, f->key, out);

    if (rc != KREG_OK || !*out)
        return rc;
    if (!(*out)[0]) {
        free(*out);
        *out = NULL;
        return KREG_OK;
    }
    if (f->type == F_STR || (f->type == F_CMD && !strchr(*out, '/')))
        return KREG_OK;
    p = kreg__config_util_resolve(pc->dir, *out);
    if (!p)
        return KREG_E_NOMEM;
    free(*out);
    *out = p;
    return KREG_OK;
}

/* ---- Sequences ---------------------------------------------------------*/

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* A sequence of strings (exec args); null items become "". */
static int get_list(const struct pctx *pc, const yaml_node_t *n, const char *at,
                    const char *key, char ***out, size_t *len)
{
    char where[96];
    size_t i;
    size_t count;
    int rc;

    free_strv(*out, *len);
    *out = NULL;
    *len = 0;
    if (is_null(n))
        return KREG_OK;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(pc, at, key, "expected a sequence");
    count = seq_len(n);
    *out = calloc(count + 1, sizeof(**out));
    if (!*out)
        return KREG_E_NOMEM;
    for (i = 0; i < count; i++) {
        snprintf(where, sizeof(where), "%s.%s[%zu]", at, key, i);
        rc = get_text(pc, node_at(pc, n->data.sequence.items.start[i]), where,
                      NULL, &(*out)[i]);
        *len = i + 1;
        if (rc == KREG_OK && !(*out)[i]) {
            (*out)[i] = kreg__config_util_dup("", 0);
            rc = (*out)[i] ? KREG_OK : KREG_E_NOMEM;
        }
        if (rc != KREG_OK)
            return rc;
    }
    return KREG_OK;
}

/* exec.env: a sequence of {name, value}. */
static int get_env(const struct pctx *pc, const yaml_node_t *n, const char *at,
                   struct kreg__kc_exec *e)
{
    const yaml_node_t *item;
    yaml_node_pair_t *p;
    char where[96];
    size_t i;
    size_t count;
    int rc = KREG_OK;

    free_strv(e->env_names, e->nenv);
    free_strv(e->env_values, e->nenv);
    e->env_names = NULL;
    e->env_values = NULL;
    e->nenv = 0;
    if (is_null(n))
        return KREG_OK;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(pc, at, "env", "expected a sequence");
    count = seq_len(n);
    e->env_names = calloc(count + 1, sizeof(char *));
    e->env_values = calloc(count + 1, sizeof(char *));
    if (!e->env_names || !e->env_values)
        return KREG_E_NOMEM;
    for (i = 0; i < count && rc == KREG_OK; i++) {
        e->nenv = i + 1;
        snprintf(where, sizeof(where), "%s.env[%zu]", at, i);
        item = node_at(pc, n->data.sequence.items.start[i]);
        if (!item || item->type != YAML_MAPPING_NODE)
            return fail(pc, where, NULL, "expected a mapping");
        for (p = item->data.mapping.pairs.start;
             p < item->data.mapping.pairs.top && rc == KREG_OK; p++) {
            if (scalar_is(node_at(pc, p->key), "name"))
                rc = get_text(pc, node_at(pc, p->value), where, "name",
                              &e->env_names[i]);
            else if (scalar_is(node_at(pc, p->key), "value"))
                rc = get_text(pc, node_at(pc, p->value), where, "value",
                              &e->env_values[i]);
        }
    }
    return rc;
}

/* ---- Mappings ----------------------------------------------------------*/

static int parse_fields(const struct pctx *pc, const yaml_node_t *map,
                        const char *at, const struct field *fields,
                        size_t nfields, void *obj);

static int get_exec(const struct pctx *pc, const yaml_node_t *n, const char *at,
                    struct kreg__kc_exec **out)
{
    char where[96];

    free_exec(*out);
    *out = NULL;
    if (is_null(n))
        return KREG_OK;
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return KREG_E_NOMEM;
    snprintf(where, sizeof(where), "%s.exec", at);
    return parse_fields(pc, n, where, exec_fields,
                        sizeof(exec_fields) / sizeof(exec_fields[0]), *out);
}

/* Remember the first unsupported key that is set (users only). */
static void note_unsupported(const yaml_node_t *n, const struct field *f,
                             struct kreg__kc_user *u)
{
    if (is_null(n) || u->unsupported_key)
        return;
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
        return;
    u->unsupported_key = f->key;
    u->unsupported_why = f->why;
}

static int parse_field(const struct pctx *pc, const struct field *f,
                       const yaml_node_t *v, const char *at, void *obj)
{
    char *base = obj;
    void *slot = base + f->off;

    switch (f->type) {
    case F_STR:
    case F_PATH:
    case F_CMD:
        return get_string(pc, v, at, f, slot);
    case F_B64:
        return get_b64(pc, v, at, f->key, slot,
                       (size_t *)(void *)(base + f->len_off));
    case F_BOOL:
        return get_bool(pc, v, at, f->key, slot);
    case F_LIST:
        return get_list(pc, v, at, f->key, slot,
                        (size_t *)(void *)(base + f->len_off));
    case F_ENV:
        return get_env(pc, v, at, obj);
    case F_EXEC:
        return get_exec(pc, v, at, slot);
    case F_UNSUP:
        note_unsupported(v, f, obj);
        return KREG_OK;
    }
    return KREG_OK;
}

static const struct field *find_field(const struct field *fields, size_t n,
                                      const yaml_node_t *key)
{
    size_t i;

    for (i = 0; key && i < n; i++) {
        if (scalar_is(key, fields[i].key))
            return &fields[i];
    }
    return NULL;
}

/* Parse the known keys of @p map into @p obj; a later duplicate key wins,
 * as with Go's yaml.v2. */
static int parse_fields(const struct pctx *pc, const yaml_node_t *map,
                        const char *at, const struct field *fields,
                        size_t nfields, void *obj)
{
    const struct field *f;
    yaml_node_pair_t *p;
    int rc;

    if (is_null(map))
        return KREG_OK;
    if (map->type != YAML_MAPPING_NODE)
        return fail(pc, at, NULL, "expected a mapping");
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        f = find_field(fields, nfields, node_at(pc, p->key));
        if (!f)
            continue;
        rc = parse_field(pc, f, node_at(pc, p->value), at, obj);
        if (rc != KREG_OK)
            return rc;
    }
    return KREG_OK;
}

/* ---- Named lists -------------------------------------------------------*/

/* Parse item @p idx of list @p kind and append it to @p l (which owns it
 * from then on, even on failure). */
static int parse_item(const struct pctx *pc, int kind, const yaml_node_t *item,
                      size_t idx, struct kreg__kc_list *l)
{
    const struct kind *k = &kinds[kind];
    struct kreg__kc_named *nm;
    yaml_node_pair_t *p;
    char at[64];
    char body[80];
    int rc = KREG_OK;

    snprintf(at, sizeof(at), "%s[%zu]", k->list, idx);
    snprintf(body, sizeof(body), "%s.%s", at, k->item);
    if (!item || item->type != YAML_MAPPING_NODE)
        return fail(pc, at, NULL, "expected a mapping");
    nm = calloc(1, k->size);
    if (!nm || !list_reserve(l, 1)) {
        free(nm);
        return KREG_E_NOMEM;
    }
    l->items[l->count++] = nm;
    nm->index = idx;
    nm->origin = kreg__config_util_dup(pc->file, strlen(pc->file));
    if (!nm->origin)
        return KREG_E_NOMEM;
    for (p = item->data.mapping.pairs.start;
         p < item->data.mapping.pairs.top && rc == KREG_OK; p++) {
        if (scalar_is(node_at(pc, p->key), "name"))
            rc = get_text(pc, node_at(pc, p->value), at, "name", &nm->name);
        else if (scalar_is(node_at(pc, p->key), k->item))
            rc = parse_fields(pc, node_at(pc, p->value), body, k->fields,
                              k->nfields, nm);
    }
    if (rc == KREG_OK && !nm->name)
        nm->name = kreg__config_util_dup("", 0);
    if (rc == KREG_OK && !nm->name)
        return KREG_E_NOMEM;
    if (rc == KREG_OK && list_find(l, nm->name, l->count - 1))
        return fail(pc, at, "name", "duplicate name \"%s\"", nm->name);
    return rc;
}

static int parse_list(const struct pctx *pc, int kind, const yaml_node_t *seq,
                      struct kreg__kc_list *l)
{
    size_t i;
    int rc;

    /* A repeated top-level key replaces the earlier one (yaml.v2). */
    list_clear(kind, l);
    if (is_null(seq))
        return KREG_OK;
    if (seq->type != YAML_SEQUENCE_NODE)
        return fail(pc, kinds[kind].list, NULL, "expected a sequence");
    for (i = 0; i < seq_len(seq); i++) {
        rc = parse_item(pc, kind,
                        node_at(pc, seq->data.sequence.items.start[i]), i, l);
        if (rc != KREG_OK)
            return rc;
    }
    return KREG_OK;
}

static int parse_root(const struct pctx *pc, struct kreg__kubeconfig *one)
{
    const yaml_node_t *root = yaml_document_get_root_node(pc->doc);
    const yaml_node_t *key;
    yaml_node_pair_t *p;
    int k;
    int rc = KREG_OK;

    if (is_null(root))
        return KREG_OK;
    if (root->type != YAML_MAPPING_NODE)
        return fail(pc, NULL, NULL, "expected a mapping at the top level");
    for (p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top && rc == KREG_OK; p++) {
        key = node_at(pc, p->key);
        if (!key)
            continue;
        if (scalar_is(key, "current-context"))
            rc = get_text(pc, node_at(pc, p->value), NULL, "current-context",
                          &one->current_context);
        for (k = 0; k < KREG__KC_KINDS && rc == KREG_OK; k++) {
            if (scalar_is(key, kinds[k].list))
                rc = parse_list(pc, k, node_at(pc, p->value), &one->lists[k]);
        }
    }
    return rc;
}

/* Move the entries of @p one whose names @p kc lacks into @p kc (first
 * file wins, as a whole entry); the rest are freed. Cannot fail after
 * the reservation. */
static int merge(struct kreg__kubeconfig *kc, struct kreg__kubeconfig *one)
{
    struct kreg__kc_list *dst;
    struct kreg__kc_list *src;
    struct kreg__kc_named *n;
    size_t i;
    int k;

    for (k = 0; k < KREG__KC_KINDS; k++) {
        if (!list_reserve(&kc->lists[k], one->lists[k].count))
            return KREG_E_NOMEM;
    }
    for (k = 0; k < KREG__KC_KINDS; k++) {
        dst = &kc->lists[k];
        src = &one->lists[k];
        for (i = 0; i < src->count; i++) {
            n = src->items[i];
            src->items[i] = NULL;
            if (list_find(dst, n->name, dst->count))
                kinds[k].free_entry(n);
            else
                dst->items[dst->count++] = n;
        }
    }
    if (!kc->current_context && one->current_context &&
        one->current_context[0]) {
        kc->current_context = one->current_context;
        one->current_context = NULL;
    }
    return KREG_OK;
}

static int yaml_fail(const yaml_parser_t *parser, const char *path,
                     struct kreg_error *err)
{
    /* libyaml describes every syntax error; some allocation failures
     * surface without a problem text or YAML_MEMORY_ERROR. */
    if (parser->error == YAML_MEMORY_ERROR || !parser->problem)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    return kreg__error(
        err, KREG_E_CONFIG, 0, NULL,
        "kubeconfig %s: invalid yaml: line %zu column %zu: "
        "%s%s%s",
        path, parser->problem_mark.line + 1, parser->problem_mark.column + 1,
        parser->problem ? parser->problem : "syntax error",
        parser->context ? " " : "", parser->context ? parser->context : "");
}

int kreg__config_kubeconfig_parse(struct kreg__kubeconfig *kc, const char *yaml,
                                  size_t len, const char *path, const char *dir,
                                  struct kreg_error *err)
{
    struct kreg__kubeconfig one;
    yaml_parser_t parser;
    yaml_document_t doc;
    struct pctx pc;
    bool have_doc = false;
    int rc;

    kreg__config_kubeconfig_init(&one);
    if (!yaml_parser_initialize(&parser))
        return KREG_E_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = yaml_fail(&parser, path, err);
        goto out;
    }
    have_doc = true;
    pc.doc = &doc;
    pc.file = path;
    pc.dir = dir;
    pc.err = err;
    rc = parse_root(&pc, &one);
    if (rc == KREG_OK)
        rc = merge(kc, &one);
    if (rc == KREG_OK &&
        ((kbuf_len(&kc->files) && kbuf_addc(&kc->files, ':') != KBUF_OK) ||
         kbuf_adds(&kc->files, path) != KBUF_OK))
        rc = KREG_E_NOMEM;
out:
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    kreg__config_kubeconfig_release(&one);
    return rc;
}
