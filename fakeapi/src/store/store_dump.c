/*
 * store_dump: the store's state as text, for tests (fakeapi__store_dump(),
 * store.h): two stores give the same text exactly when they hold the same
 * state.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of @p m, sorted (a new array of borrowed keys), or NULL. */
static const char **sorted_keys(const struct hmap *m)
{
    const char **keys = malloc((m->count ? m->count : 1) * sizeof(*keys));
    size_t pos = 0;
    size_t n = 0;
    const char *k;

    if (!keys)
        return NULL;
    while (n < m->count && fakeapi__hmap_next(m, &pos, &k, NULL))
        keys[n++] = k;
    qsort(keys, n, sizeof(*keys), str_cmp);
    return keys;
}

static int dump_sarr(struct kbuf *b, const char *what, const struct sarr *a)
{
    int rc = kbuf_addf(b, "  %s %zu pending=%zu%s:", what, a->n, a->pending,
                       a->dirty ? " dirty" : "");
    size_t i;

    for (i = 0; rc == KBUF_OK && i < a->n; i++)
        rc = kbuf_addf(b, " %s", a->v[i]->key);
    return rc == KBUF_OK ? kbuf_addc(b, '\n') : rc;
}

static int dump_pods(const struct store *st, struct kbuf *b)
{
    const char **keys = sorted_keys(&st->pods);
    int rc = keys ? KBUF_OK : KBUF_E_NOMEM;
    size_t i;

    if (rc == KBUF_OK)
        rc = kbuf_addf(b, "pods %zu\n", st->pods.count);
    for (i = 0; rc == KBUF_OK && i < st->pods.count; i++) {
        const struct entry *e = fakeapi__hmap_get(&st->pods, keys[i]);

        rc = kbuf_addf(b, "pod %s %s%s%s %s\n", keys[i], e->key,
                       e->next ? " staged" : "", e->doomed ? " doomed" : "",
                       e->obj ? e->obj->bytes : "(none)");
    }
    free(keys);
    return rc;
}

static int dump_namespaces(const struct store *st, struct kbuf *b)
{
    int rc = kbuf_addf(b, "namespaces %zu %zu pending=%zu\n", st->nss.count,
                       st->nns, st->nsv_pending);
    size_t i;

    for (i = 0; rc == KBUF_OK && i < st->nns; i++) {
        const struct nsent *n = st->nsv[i];

        rc = kbuf_addf(b, "ns %s %s finalize=%llu%s%s hashed=%d %s\n", n->key,
                       n->obj ? n->obj->name : "(none)",
                       (unsigned long long)n->finalize_at_ms,
                       n->next ? " staged" : "", n->doomed ? " doomed" : "",
                       n->obj ? fakeapi__hmap_get(&st->nss, n->obj->name) == n
                              : -1,
                       n->obj ? n->obj->bytes : "(none)");
        if (rc == KBUF_OK)
            rc = dump_sarr(b, "pods", &n->pods);
    }
    return rc;
}

static int dump_label(struct kbuf *b, const char *key, const struct lkey *lk)
{
    const char **vals = sorted_keys(&lk->values);
    int rc = vals ? kbuf_addf(b, "label %s values=%zu\n", key, lk->values.count)
                  : KBUF_E_NOMEM;
    size_t i;

    if (rc == KBUF_OK)
        rc = dump_sarr(b, "(all)", &lk->all);
    for (i = 0; rc == KBUF_OK && i < lk->values.count; i++)
        rc = dump_sarr(b, vals[i], fakeapi__hmap_get(&lk->values, vals[i]));
    free(vals);
    return rc;
}

static int dump_labels(const struct store *st, struct kbuf *b)
{
    const char **keys = sorted_keys(&st->labels);
    int rc =
        keys ? kbuf_addf(b, "labels %zu\n", st->labels.count) : KBUF_E_NOMEM;
    size_t i;

    for (i = 0; rc == KBUF_OK && i < st->labels.count; i++)
        rc = dump_label(b, keys[i], fakeapi__hmap_get(&st->labels, keys[i]));
    free(keys);
    return rc;
}

static int dump_history(const struct store *st, struct kbuf *b)
{
    int rc = kbuf_addf(b, "history %zu\n", st->hist_len);
    size_t i;

    for (i = 0; rc == KBUF_OK && i < st->hist_len; i++) {
        const struct event *ev = st->hist[(st->hist_start + i) % st->hist_cap];

        rc = kbuf_addf(b, "event %d %llu %s old=%llu %s\n", (int)ev->type,
                       (unsigned long long)ev->rv, ev->cur->key,
                       ev->old ? (unsigned long long)ev->old->rv : 0ULL,
                       ev->cur->bytes);
    }
    return rc;
}

int fakeapi__store_dump(const struct store *st, struct kbuf *b)
{
    int rc = kbuf_addf(
        b, "rv %llu compacted %llu unsorted %d subscribers %zu\n",
        (unsigned long long)st->rv, (unsigned long long)st->compacted_rv,
        (int)st->unsorted, st->nsubs);

    if (rc == KBUF_OK)
        rc = dump_pods(st, b);
    if (rc == KBUF_OK)
        rc = dump_namespaces(st, b);
    if (rc == KBUF_OK)
        rc = dump_labels(st, b);
    if (rc == KBUF_OK)
        rc = dump_history(st, b);
    return rc;
}
