/*
 * store_index: the key-ordered arrays of entries (a namespace's pods, a
 * label set) and the label index (key -> every entry with the key, and
 * value -> entries).
 *
 * A write holds room before it links: fakeapi__store_index_hold() grows
 * an array for one more insertion and counts it pending, making any label
 * set that is missing; the commit's insertions then cannot fail. Label
 * sets left empty with nothing pending are dropped, so a label seen once
 * costs nothing once its pods are gone.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static int entry_cmp(const void *a, const void *b)
{
    const struct entry *x = *(struct entry *const *)a;
    const struct entry *y = *(struct entry *const *)b;

    return strcmp(x->key, y->key);
}

size_t fakeapi__store_index_bound(const struct sarr *a, const char *key,
                                  bool inclusive)
{
    size_t lo = 0;
    size_t hi = a->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(a->v[mid]->key, key);

        if (c < 0 || (c == 0 && !inclusive))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int fakeapi__store_index_hold(struct sarr *a)
{
    size_t need = a->n + a->pending + 1;
    struct entry **v;
    size_t cap;

    if (need > a->cap) {
        cap = a->cap ? a->cap * 2 : 8;
        while (cap < need)
            cap *= 2;
        v = realloc(a->v, cap * sizeof(*v));
        if (!v)
            return -1;
        a->v = v;
        a->cap = cap;
    }
    a->pending++;
    return 0;
}

void fakeapi__store_index_insert(struct sarr *a, struct entry *e, bool bulk)
{
    size_t i;

    a->pending--;
    if (bulk || a->dirty) {
        if (a->n > 0 && strcmp(a->v[a->n - 1]->key, e->key) > 0)
            a->dirty = true;
        a->v[a->n++] = e;
        return;
    }
    i = fakeapi__store_index_bound(a, e->key, true);
    memmove(a->v + i + 1, a->v + i, (a->n - i) * sizeof(*a->v));
    a->v[i] = e;
    a->n++;
}

void fakeapi__store_index_sort(struct sarr *a)
{
    if (a->dirty) {
        qsort(a->v, a->n, sizeof(*a->v), entry_cmp);
        a->dirty = false;
    }
}

void fakeapi__store_index_remove(struct sarr *a, const struct entry *e)
{
    size_t i;

    fakeapi__store_index_sort(a);
    i = fakeapi__store_index_bound(a, e->key, true);
    if (i < a->n && a->v[i] == e) {
        memmove(a->v + i, a->v + i + 1, (a->n - i - 1) * sizeof(*a->v));
        a->n--;
    }
}

void fakeapi__store_index_release(struct sarr *a)
{
    free(a->v);
    memset(a, 0, sizeof(*a));
}

void fakeapi__store_index_entry_free(struct entry *e)
{
    if (!e)
        return;
    fakeapi__obj_unref(e->obj);
    free(e->key);
    free(e);
}

/* ---- label index ---- */

struct sarr *fakeapi__store_index_label(const struct store *st, const char *key,
                                        const char *value)
{
    struct lkey *lk = fakeapi__hmap_get(&st->labels, key);

    if (!lk)
        return NULL;
    return value ? fakeapi__hmap_get(&lk->values, value) : &lk->all;
}

static struct lkey *lkey_make(struct store *st, const char *key)
{
    struct lkey *lk = fakeapi__hmap_get(&st->labels, key);

    if (lk)
        return lk;
    lk = calloc(1, sizeof(*lk));
    if (!lk)
        return NULL;
    fakeapi__hmap_init(&lk->values);
    if (fakeapi__hmap_put(&st->labels, key, lk, NULL) != 0) {
        free(lk);
        return NULL;
    }
    return lk;
}

static struct sarr *value_make(struct lkey *lk, const char *value)
{
    struct sarr *s = fakeapi__hmap_get(&lk->values, value);

    if (s)
        return s;
    s = calloc(1, sizeof(*s));
    if (s && fakeapi__hmap_put(&lk->values, value, s, NULL) != 0) {
        free(s);
        s = NULL;
    }
    return s;
}

/* Drop the set of @p key = @p value, then the key's, when empty and held
 * by no one. */
static void prune(struct store *st, const char *key, const char *value)
{
    struct lkey *lk = fakeapi__hmap_get(&st->labels, key);
    struct sarr *s = lk ? fakeapi__hmap_get(&lk->values, value) : NULL;

    if (s && s->n == 0 && s->pending == 0) {
        fakeapi__hmap_del(&lk->values, value);
        fakeapi__store_index_release(s);
        free(s);
    }
    if (lk && lk->all.n == 0 && lk->all.pending == 0 && lk->values.count == 0) {
        fakeapi__hmap_del(&st->labels, key);
        fakeapi__hmap_release(&lk->values);
        fakeapi__store_index_release(&lk->all);
        free(lk);
    }
}

/* Hold room for one entry in the sets of label @p key = @p value. */
static int hold_label(struct store *st, const char *key, const char *value)
{
    struct lkey *lk = lkey_make(st, key);
    struct sarr *s = lk ? value_make(lk, value) : NULL;

    if (s && fakeapi__store_index_hold(&lk->all) == 0) {
        if (fakeapi__store_index_hold(s) == 0)
            return 0;
        lk->all.pending--;
    }
    prune(st, key, value);
    return -1;
}

static void unhold_label(struct store *st, const char *key, const char *value)
{
    struct lkey *lk = fakeapi__hmap_get(&st->labels, key);

    lk->all.pending--;
    ((struct sarr *)fakeapi__hmap_get(&lk->values, value))->pending--;
    prune(st, key, value);
}

int fakeapi__store_index_hold_labels(struct store *st,
                                     const struct fakeapi_labels *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (hold_label(st, l->keys[i], l->values[i]) != 0) {
            while (i-- > 0)
                unhold_label(st, l->keys[i], l->values[i]);
            return -1;
        }
    }
    return 0;
}

void fakeapi__store_index_unhold_labels(struct store *st,
                                        const struct fakeapi_labels *l)
{
    size_t i;

    for (i = l->n; i-- > 0;)
        unhold_label(st, l->keys[i], l->values[i]);
}

void fakeapi__store_index_link_labels(struct store *st, struct entry *e,
                                      const struct fakeapi_labels *l, bool bulk)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        struct lkey *lk = fakeapi__hmap_get(&st->labels, l->keys[i]);

        fakeapi__store_index_insert(&lk->all, e, bulk);
        fakeapi__store_index_insert(
            fakeapi__hmap_get(&lk->values, l->values[i]), e, bulk);
    }
}

void fakeapi__store_index_unlink_labels(struct store *st, struct entry *e,
                                        const struct fakeapi_labels *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        struct lkey *lk = fakeapi__hmap_get(&st->labels, l->keys[i]);
        struct sarr *s =
            lk ? fakeapi__hmap_get(&lk->values, l->values[i]) : NULL;

        if (lk)
            fakeapi__store_index_remove(&lk->all, e);
        if (s)
            fakeapi__store_index_remove(s, e);
        prune(st, l->keys[i], l->values[i]);
    }
}

void fakeapi__store_index_sort_labels(struct store *st)
{
    size_t pos = 0;
    void *p;

    while (fakeapi__hmap_next(&st->labels, &pos, NULL, &p)) {
        struct lkey *lk = p;
        size_t vpos = 0;
        void *s;

        fakeapi__store_index_sort(&lk->all);
        while (fakeapi__hmap_next(&lk->values, &vpos, NULL, &s))
            fakeapi__store_index_sort(s);
    }
}

void fakeapi__store_index_release_labels(struct store *st)
{
    size_t pos = 0;
    void *p;

    while (fakeapi__hmap_next(&st->labels, &pos, NULL, &p)) {
        struct lkey *lk = p;
        size_t vpos = 0;
        void *s;

        while (fakeapi__hmap_next(&lk->values, &vpos, NULL, &s)) {
            fakeapi__store_index_release(s);
            free(s);
        }
        fakeapi__hmap_release(&lk->values);
        fakeapi__store_index_release(&lk->all);
        free(lk);
    }
    fakeapi__hmap_release(&st->labels);
}
