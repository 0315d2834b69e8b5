/*
 * scope: the namespaces a query discovers in (see scope.h).
 */
#include "scope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "http.h"

/* A namespace name is a DNS-1123 label (docs/kubernetes-api.md,
 * Validation): 1 to 63 of [a-z0-9-], a letter or digit at both ends. */
static bool is_label(const char *s)
{
    size_t n = strlen(s);
    size_t i;

    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '-'))
            return false;
    }
    return true;
}

static int by_bytes(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void kreg__scope_release(struct kreg__scope *sc)
{
    size_t i;

    for (i = 0; i < sc->n; i++)
        free(sc->ns[i]);
    free(sc->ns);
    memset(sc, 0, sizeof(*sc));
}

/* The query's own list: checked, copied, sorted, repeats dropped. */
static int from_list(struct kreg__scope *sc, const struct kreg_query *q,
                     struct kreg_error *err)
{
    size_t i;
    size_t m = 0;

    for (i = 0; i < q->n_namespaces; i++) {
        const char *ns = q->namespaces[i];

        if (!ns)
            return kreg__error(err, KREG_E_INVALID, 0, NULL,
                               "query options: namespaces[%zu] is NULL", i);
        if (!is_label(ns))
            return kreg__error(err, KREG_E_INVALID, 0, NULL,
                               "query options: namespace \"%.80s\" is not a "
                               "valid namespace name (a DNS-1123 label: "
                               "[a-z0-9-], at most 63)",
                               ns);
    }
    sc->ns = calloc(q->n_namespaces, sizeof(*sc->ns));
    if (!sc->ns)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    for (i = 0; i < q->n_namespaces; i++) {
        sc->ns[i] = strdup(q->namespaces[i]);
        if (!sc->ns[i]) {
            sc->n = i;
            kreg__scope_release(sc);
            return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
        }
    }
    qsort(sc->ns, q->n_namespaces, sizeof(*sc->ns), by_bytes);
    for (i = 0; i < q->n_namespaces; i++) {
        if (m > 0 && strcmp(sc->ns[m - 1], sc->ns[i]) == 0)
            free(sc->ns[i]);
        else
            sc->ns[m++] = sc->ns[i];
    }
    sc->n = m;
    return KREG_OK;
}

int kreg__scope_init(struct kreg__scope *sc, const char *own,
                     const struct kreg_query *q, struct kreg_error *err)
{
    memset(sc, 0, sizeof(*sc));
    if (q->all_namespaces && q->n_namespaces > 0)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "query options: namespaces and all_namespaces "
                           "are both set");
    if (q->n_namespaces > 0 && !q->namespaces)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "query options: n_namespaces is %zu but "
                           "namespaces is NULL",
                           q->n_namespaces);
    if (q->n_namespaces > 0) {
        sc->qualify = true;
        return from_list(sc, q, err);
    }
    sc->ns = calloc(1, sizeof(*sc->ns));
    if (!sc->ns)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    sc->n = 1;
    if (q->all_namespaces) {
        sc->qualify = true;
        return KREG_OK;
    }
    sc->ns[0] = strdup(own ? own : "");
    if (!sc->ns[0]) {
        kreg__scope_release(sc);
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    }
    return KREG_OK;
}

int kreg__scope_path(const char *ns, char *out, size_t size)
{
    char *esc;
    int n;

    if (!ns) {
        n = snprintf(out, size, "/api/v1/pods?");
        return n > 0 && (size_t)n < size ? 0 : -1;
    }
    esc = kreg__http_escape(ns);
    if (!esc)
        return -1;
    n = snprintf(out, size, "/api/v1/namespaces/%s/pods?", esc);
    free(esc);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

void kreg__scope_error(struct kreg_error *err, const char *verb, const char *ns)
{
    if (ns)
        kreg__error_prefix(err, "%s pods in namespace \"%.63s\"", verb, ns);
    else
        kreg__error_prefix(err, "%s pods cluster-wide", verb);
}

int kreg__scope_qualify(json_t *pod, const char *ns)
{
    json_t *meta = json_object_get(pod, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *own = json_string_value(json_object_get(meta, "namespace"));
    char *key;
    size_t len;
    int rc;

    if (own && *own)
        ns = own;
    if (!name || !*name || !ns)
        return 0;
    len = strlen(ns) + 1 + strlen(name) + 1;
    key = malloc(len);
    if (!key)
        return -1;
    snprintf(key, len, "%s/%s", ns, name);
    rc = json_object_set_new(meta, "name", json_string(key));
    free(key);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(
        json_object_get(*(json_t *const *)a, "metadata"), "name"));
    const char *y = json_string_value(json_object_get(
        json_object_get(*(json_t *const *)b, "metadata"), "name"));

    return strcmp(x ? x : "", y ? y : "");
}

int kreg__scope_sort(json_t *pods)
{
    size_t n = json_array_size(pods);
    json_t **v;
    size_t i;
    int rc = 0;

    if (n < 2)
        return 0;
    v = malloc(n * sizeof(*v));
    if (!v)
        return -1;
    for (i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(pods, i));
    qsort(v, n, sizeof(*v), by_name);
    json_array_clear(pods);
    for (i = 0; i < n; i++)
        rc |= json_array_append_new(pods, v[i]);
    free(v);
    return rc == 0 ? 0 : -1;
}
