/*
 * store: life cycle, reads, the history and the subscribers (store.h);
 * the writes are in store_batch.c, the indexes in store_index.c.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "select/selector.h"

/* ---- events ---- */

struct event *fakeapi__event_ref(struct event *ev)
{
    atomic_fetch_add_explicit(&ev->refs, 1, memory_order_relaxed);
    return ev;
}

void fakeapi__event_unref(struct event *ev)
{
    if (!ev ||
        atomic_fetch_sub_explicit(&ev->refs, 1, memory_order_acq_rel) != 1)
        return;
    fakeapi__obj_unref(ev->old);
    fakeapi__obj_unref(ev->cur);
    fakeapi__obj_unref(ev->old_at_rv);
    free(ev);
}

/* ---- life cycle and locking ---- */

struct store *fakeapi__store_new(size_t history)
{
    struct store *st = calloc(1, sizeof(*st));

    if (!st)
        return NULL;
    if (pthread_rwlock_init(&st->lock, NULL) != 0) {
        free(st);
        return NULL;
    }
    fakeapi__hmap_init(&st->pods);
    fakeapi__hmap_init(&st->nss);
    fakeapi__hmap_init(&st->labels);
    st->hist_cap = history ? history : 10000;
    st->rng = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)st << 16) ^
              0x9E3779B97F4A7C15ULL;
    st->hist = calloc(st->hist_cap, sizeof(*st->hist));
    if (!st->hist) {
        pthread_rwlock_destroy(&st->lock);
        free(st);
        return NULL;
    }
    return st;
}

void fakeapi__store_free(struct store *st)
{
    size_t pos = 0;
    void *p;
    size_t i;

    if (!st)
        return;
    while (fakeapi__hmap_next(&st->pods, &pos, NULL, &p))
        fakeapi__store_index_entry_free(p);
    fakeapi__hmap_release(&st->pods);
    for (i = 0; i < st->nns; i++) {
        fakeapi__obj_unref(st->nsv[i]->obj);
        fakeapi__store_index_release(&st->nsv[i]->pods);
        free(st->nsv[i]->key);
        free(st->nsv[i]);
    }
    free(st->nsv);
    fakeapi__hmap_release(&st->nss);
    fakeapi__store_index_release_labels(st);
    for (i = 0; i < st->hist_len; i++)
        fakeapi__event_unref(st->hist[(st->hist_start + i) % st->hist_cap]);
    free(st->hist);
    free(st->subs);
    pthread_rwlock_destroy(&st->lock);
    free(st);
}

uint64_t fakeapi__store_rv(const struct store *st)
{
    return st->rv;
}

uint64_t fakeapi__store_compacted_rv(const struct store *st)
{
    return st->compacted_rv;
}

size_t fakeapi__store_pod_count(const struct store *st)
{
    return st->pods.count;
}

size_t fakeapi__store_ns_count(const struct store *st)
{
    return st->nns;
}

struct nsent *fakeapi__store_ns_at(const struct store *st, size_t i)
{
    return i < st->nns ? st->nsv[i] : NULL;
}

void fakeapi__store_rdlock(struct store *st)
{
    pthread_rwlock_rdlock(&st->lock);
}

void fakeapi__store_wrlock(struct store *st)
{
    pthread_rwlock_wrlock(&st->lock);
}

void fakeapi__store_unlock(struct store *st)
{
    pthread_rwlock_unlock(&st->lock);
}

uint64_t fakeapi__store_next_rv(const struct store *st)
{
    return st->rv + 1;
}

/* ---- reads ---- */

static struct entry *pod_entry(struct store *st, const char *ns,
                               const char *name)
{
    char key[600];
    int n = snprintf(key, sizeof(key), "%s/%s", ns, name);

    if (n < 0 || (size_t)n >= sizeof(key))
        return NULL;
    return fakeapi__hmap_get(&st->pods, key);
}

struct fakeapi_obj *fakeapi__store_pod(struct store *st, const char *ns,
                                       const char *name)
{
    struct entry *e = pod_entry(st, ns, name);

    return e ? e->obj : NULL;
}

struct nsent *fakeapi__store_ns(struct store *st, const char *name)
{
    struct nsent *n = fakeapi__hmap_get(&st->nss, name);

    return n && n->obj ? n : NULL;
}

/* O(1) on every list: only bulk puts (a seed) append out of order. */
bool fakeapi__store_needs_sort(const struct store *st)
{
    return st->unsorted;
}

void fakeapi__store_sort(struct store *st)
{
    size_t i;

    for (i = 0; i < st->nns; i++)
        fakeapi__store_index_sort(&st->nsv[i]->pods);
    fakeapi__store_index_sort_labels(st);
    st->unsorted = false;
}

/* Filtering state for one list call. */
struct listq {
    const char *ns;
    const struct fakeapi_lsel *ls;
    const struct fakeapi_fsel *fs;
    size_t limit;
    struct objvec *out;
    bool *more;
};

static bool entry_matches(const struct listq *q, const struct entry *e)
{
    const struct fakeapi_obj *o = e->obj;

    if (q->ns && strcmp(o->ns, q->ns) != 0)
        return false;
    if (q->ls && !fakeapi__lsel_matches_labels(q->ls, &o->labels))
        return false;
    if (q->fs && !fakeapi__fsel_matches_fields(q->fs, &o->fields))
        return false;
    return true;
}

/* Take matches from a key-ordered array starting after @p after; returns
 * 1 when the limit is reached (and *more was decided), 0 to go on, -1 on
 * out of memory. */
static int take_from(const struct listq *q, const struct sarr *a,
                     const char *after)
{
    size_t i = after ? fakeapi__store_index_bound(a, after, false) : 0;

    for (; i < a->n; i++) {
        if (!entry_matches(q, a->v[i]))
            continue;
        if (q->limit && q->out->n == q->limit) {
            *q->more = true;
            return 1;
        }
        if (fakeapi__objvec_push(q->out, a->v[i]->obj) != 0)
            return -1;
    }
    return 0;
}

/* The smallest index set that holds every match of @p ls, or NULL when
 * the selector has no positive requirement. *empty is set when some
 * requirement can match nothing. A multi-value `in` uses the set of all
 * pods with the key (a superset; the filter does the rest). */
static const struct sarr *best_set(struct store *st,
                                   const struct fakeapi_lsel *ls, bool *empty)
{
    const struct sarr *best = NULL;
    size_t i;
    size_t n = ls ? fakeapi__lsel_count(ls) : 0;

    *empty = false;
    for (i = 0; i < n; i++) {
        int op;
        const char *key;
        size_t nv;
        const char *const *vals;
        const struct sarr *s = NULL;

        if (!fakeapi__lsel_req(ls, i, &op, &key, &nv, &vals))
            continue;
        if (op == FAKEAPI_LSEL_EQ || (op == FAKEAPI_LSEL_IN && nv == 1))
            s = fakeapi__store_index_label(st, key, vals[0]);
        else if (op == FAKEAPI_LSEL_EXISTS || op == FAKEAPI_LSEL_IN ||
                 op == FAKEAPI_LSEL_GT || op == FAKEAPI_LSEL_LT)
            s = fakeapi__store_index_label(st, key, NULL);
        else
            continue;
        if (!s || s->n == 0) {
            *empty = true;
            return NULL;
        }
        if (!best || s->n < best->n)
            best = s;
    }
    return best;
}

int fakeapi__store_list(struct store *st, const char *ns,
                        const struct fakeapi_lsel *ls,
                        const struct fakeapi_fsel *fs, const char *after,
                        size_t limit, struct objvec *out, bool *more)
{
    struct listq q = {ns, ls, fs, limit, out, more};
    const char *fname = fs ? fakeapi__fsel_exact(fs, "metadata.name") : NULL;
    const char *fns = fs ? fakeapi__fsel_exact(fs, "metadata.namespace") : NULL;
    const struct sarr *best;
    bool empty;
    size_t i;
    int rc = 0;

    *more = false;
    if (fns) {
        if (ns && strcmp(ns, fns) != 0)
            return 0;
        q.ns = fns;
    }
    if (fname) {
        /* metadata.name=X: at most one pod per namespace, by hash */
        for (i = 0; i < st->nns && rc == 0; i++) {
            struct nsent *n = st->nsv[i];
            const char *nsname = n->obj->name;
            struct entry *e;

            if (q.ns && strcmp(q.ns, nsname) != 0)
                continue;
            e = pod_entry(st, nsname, fname);
            if (!e || !e->obj || (after && strcmp(e->key, after) <= 0) ||
                !entry_matches(&q, e))
                continue;
            if (limit && out->n == limit) {
                *more = true;
                break;
            }
            if (fakeapi__objvec_push(out, e->obj) != 0)
                rc = -1;
        }
        return rc;
    }
    best = best_set(st, ls, &empty);
    if (empty)
        return 0;
    if (best)
        return take_from(&q, best, after) < 0 ? -1 : 0;
    if (q.ns) {
        struct nsent *n = fakeapi__store_ns(st, q.ns);

        return n && take_from(&q, &n->pods, after) < 0 ? -1 : 0;
    }
    for (i = 0; i < st->nns; i++) {
        rc = take_from(&q, &st->nsv[i]->pods, after);
        if (rc != 0)
            break;
    }
    return rc < 0 ? -1 : 0;
}

/* ---- history and delivery ---- */

static void history_push(struct store *st, struct event *ev)
{
    if (st->hist_len == st->hist_cap) {
        struct event *old = st->hist[st->hist_start];

        st->compacted_rv = old->rv;
        fakeapi__event_unref(old);
        st->hist_start = (st->hist_start + 1) % st->hist_cap;
        st->hist_len--;
    }
    st->hist[(st->hist_start + st->hist_len) % st->hist_cap] =
        fakeapi__event_ref(ev);
    st->hist_len++;
}

void fakeapi__store_compact(struct store *st)
{
    while (st->hist_len > 0) {
        fakeapi__event_unref(st->hist[st->hist_start]);
        st->hist_start = (st->hist_start + 1) % st->hist_cap;
        st->hist_len--;
    }
    st->compacted_rv = st->rv;
}

bool fakeapi__store_replay(struct store *st, uint64_t from,
                           fakeapi_store_notify *fn, void *ctx)
{
    size_t i;

    if (from < st->compacted_rv)
        return false;
    for (i = 0; i < st->hist_len; i++) {
        struct event *ev = st->hist[(st->hist_start + i) % st->hist_cap];

        if (ev->rv > from)
            fn(ctx, ev);
    }
    return true;
}

void fakeapi__store_publish(struct store *st, struct event *ev)
{
    size_t i;

    history_push(st, ev);
    for (i = 0; i < st->nsubs; i++)
        st->subs[i].fn(st->subs[i].ctx, ev);
    fakeapi__event_unref(ev);
}

int fakeapi__store_subscribe(struct store *st, fakeapi_store_notify *fn,
                             void *ctx)
{
    if (st->nsubs == st->subs_cap) {
        size_t cap = st->subs_cap ? st->subs_cap * 2 : 16;
        struct sub *v = realloc(st->subs, cap * sizeof(*v));

        if (!v)
            return -1;
        st->subs = v;
        st->subs_cap = cap;
    }
    st->subs[st->nsubs].fn = fn;
    st->subs[st->nsubs].ctx = ctx;
    st->nsubs++;
    return 0;
}

void fakeapi__store_unsubscribe(struct store *st, const void *ctx)
{
    size_t i;

    for (i = 0; i < st->nsubs; i++) {
        if (st->subs[i].ctx == ctx) {
            st->subs[i] = st->subs[--st->nsubs];
            return;
        }
    }
}

size_t fakeapi__store_subscribers(const struct store *st)
{
    return st->nsubs;
}

void *fakeapi__store_subscriber(const struct store *st, size_t i)
{
    return i < st->nsubs ? st->subs[i].ctx : NULL;
}

size_t fakeapi__store_count_after(struct store *st, const char *ns,
                                  const char *after)
{
    size_t total = 0;
    size_t i;

    for (i = 0; i < st->nns; i++) {
        const struct sarr *a = &st->nsv[i]->pods;

        if (ns && strcmp(st->nsv[i]->obj->name, ns) != 0)
            continue;
        total +=
            a->n - (after ? fakeapi__store_index_bound(a, after, false) : 0);
    }
    return total;
}

/* xorshift64*: enough for uids and name suffixes of a test server */
static uint64_t next_rand(struct store *st)
{
    uint64_t x = st->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    st->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

void fakeapi__store_uuid(struct store *st, char out[37])
{
    uint64_t a = next_rand(st);
    uint64_t b = next_rand(st);

    a = (a & ~0xF000ULL) | 0x4000ULL;               /* version 4 */
    b = (b & 0x3FFFFFFFFFFFFFFFULL) | (1ULL << 63); /* variant 10 */
    snprintf(out, 37, "%08llx-%04llx-%04llx-%04llx-%012llx",
             (unsigned long long)(a >> 32),
             (unsigned long long)((a >> 16) & 0xFFFF),
             (unsigned long long)(a & 0xFFFF), (unsigned long long)(b >> 48),
             (unsigned long long)(b & 0xFFFFFFFFFFFFULL));
}

void fakeapi__store_random_suffix(struct store *st, char *out, size_t n)
{
    /* docs/kubernetes-api.md, Validation: apiserver/pkg/storage/names
     * alphabet */
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = alphabet[next_rand(st) % (sizeof(alphabet) - 1)];
    out[n] = '\0';
}
