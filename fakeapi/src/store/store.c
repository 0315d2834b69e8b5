#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "select/selector.h"

struct sub {
    fakeapi_store_notify *fn;
    void *ctx;
};

struct store {
    pthread_rwlock_t lock;
    uint64_t rv;
    uint64_t rng;       /* uid and generateName randomness */
    struct hmap pods;   /* "ns/name" -> struct entry */
    struct hmap nss;    /* name -> struct nsent */
    struct nsent **nsv; /* namespaces in key order */
    size_t nns;
    struct hmap labels; /* label key -> struct lkey */
    bool unsorted;      /* a bulk put may have left an index dirty */
    /* history ring */
    struct event **hist;
    size_t hist_cap;
    size_t hist_start; /* index of the oldest */
    size_t hist_len;
    uint64_t compacted_rv; /* events with rv <= this are gone */
    /* subscribers (guarded by lock) */
    struct sub *subs;
    size_t nsubs;
    size_t subs_cap;
};

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

/* ---- key-ordered entry arrays ---- */

static int entry_cmp(const void *a, const void *b)
{
    const struct entry *x = *(struct entry *const *)a;
    const struct entry *y = *(struct entry *const *)b;

    return strcmp(x->key, y->key);
}

/* First index whose key is > @p key (or >= when @p inclusive). */
static size_t sarr_bound(const struct sarr *a, const char *key, bool inclusive)
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

static int sarr_reserve(struct sarr *a)
{
    struct entry **v;
    size_t cap;

    if (a->n < a->cap)
        return 0;
    cap = a->cap ? a->cap * 2 : 8;
    v = realloc(a->v, cap * sizeof(*v));
    if (!v)
        return -1;
    a->v = v;
    a->cap = cap;
    return 0;
}

static int sarr_insert(struct sarr *a, struct entry *e, bool bulk)
{
    size_t i;

    if (sarr_reserve(a) != 0)
        return -1;
    if (bulk || a->dirty) {
        if (a->n > 0 && strcmp(a->v[a->n - 1]->key, e->key) > 0)
            a->dirty = true;
        a->v[a->n++] = e;
        return 0;
    }
    i = sarr_bound(a, e->key, true);
    memmove(a->v + i + 1, a->v + i, (a->n - i) * sizeof(*a->v));
    a->v[i] = e;
    a->n++;
    return 0;
}

static void sarr_sort(struct sarr *a)
{
    if (a->dirty) {
        qsort(a->v, a->n, sizeof(*a->v), entry_cmp);
        a->dirty = false;
    }
}

static void sarr_remove(struct sarr *a, const struct entry *e)
{
    size_t i;

    if (a->dirty)
        sarr_sort(a);
    i = sarr_bound(a, e->key, true);
    if (i < a->n && a->v[i] == e) {
        memmove(a->v + i, a->v + i + 1, (a->n - i - 1) * sizeof(*a->v));
        a->n--;
    }
}

static void sarr_release(struct sarr *a)
{
    free(a->v);
    memset(a, 0, sizeof(*a));
}

/* ---- label index: key -> (all entries with key, value -> entries) ---- */

struct lkey {
    struct sarr all;
    struct hmap values; /* value -> struct sarr */
};

static struct sarr *label_set(struct store *st, const char *key,
                              const char *value, bool create)
{
    struct lkey *lk = fakeapi__hmap_get(&st->labels, key);
    struct sarr *s;

    if (!lk) {
        if (!create)
            return NULL;
        lk = calloc(1, sizeof(*lk));
        if (!lk || fakeapi__hmap_put(&st->labels, key, lk, NULL) != 0) {
            free(lk);
            return NULL;
        }
        fakeapi__hmap_init(&lk->values);
    }
    if (!value)
        return &lk->all;
    s = fakeapi__hmap_get(&lk->values, value);
    if (!s && create) {
        s = calloc(1, sizeof(*s));
        if (!s || fakeapi__hmap_put(&lk->values, value, s, NULL) != 0) {
            free(s);
            return NULL;
        }
    }
    return s;
}

static int index_labels(struct store *st, struct entry *e,
                        const struct fakeapi_labels *l, bool bulk)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        struct sarr *all = label_set(st, l->keys[i], NULL, true);
        struct sarr *vs = label_set(st, l->keys[i], l->values[i], true);

        if (!all || !vs || sarr_insert(all, e, bulk) != 0 ||
            sarr_insert(vs, e, bulk) != 0)
            return -1;
    }
    return 0;
}

static void unindex_labels(struct store *st, struct entry *e,
                           const struct fakeapi_labels *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        struct sarr *all = label_set(st, l->keys[i], NULL, false);
        struct sarr *vs = label_set(st, l->keys[i], l->values[i], false);

        if (all)
            sarr_remove(all, e);
        if (vs)
            sarr_remove(vs, e);
    }
}

static void labels_release(struct store *st)
{
    size_t pos = 0;
    void *p;

    while (fakeapi__hmap_next(&st->labels, &pos, NULL, &p)) {
        struct lkey *lk = p;
        size_t vpos = 0;
        void *s;

        while (fakeapi__hmap_next(&lk->values, &vpos, NULL, &s)) {
            sarr_release(s);
            free(s);
        }
        fakeapi__hmap_release(&lk->values);
        sarr_release(&lk->all);
        free(lk);
    }
    fakeapi__hmap_release(&st->labels);
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

static void entry_free(struct entry *e)
{
    if (!e)
        return;
    fakeapi__obj_unref(e->obj);
    free(e->key);
    free(e);
}

void fakeapi__store_free(struct store *st)
{
    size_t pos = 0;
    void *p;
    size_t i;

    if (!st)
        return;
    while (fakeapi__hmap_next(&st->pods, &pos, NULL, &p))
        entry_free(p);
    fakeapi__hmap_release(&st->pods);
    for (i = 0; i < st->nns; i++) {
        fakeapi__obj_unref(st->nsv[i]->obj);
        sarr_release(&st->nsv[i]->pods);
        free(st->nsv[i]->key);
        free(st->nsv[i]);
    }
    free(st->nsv);
    fakeapi__hmap_release(&st->nss);
    labels_release(st);
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

uint64_t fakeapi__store_next_rv(struct store *st)
{
    return ++st->rv;
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
    return fakeapi__hmap_get(&st->nss, name);
}

/* O(1) on every list: only bulk puts (a seed) append out of order. */
bool fakeapi__store_needs_sort(const struct store *st)
{
    return st->unsorted;
}

void fakeapi__store_sort(struct store *st)
{
    size_t pos = 0;
    void *p;
    size_t i;

    for (i = 0; i < st->nns; i++)
        sarr_sort(&st->nsv[i]->pods);
    while (fakeapi__hmap_next(&st->labels, &pos, NULL, &p)) {
        struct lkey *lk = p;
        size_t vpos = 0;
        void *s;

        sarr_sort(&lk->all);
        while (fakeapi__hmap_next(&lk->values, &vpos, NULL, &s))
            sarr_sort(s);
    }
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
    size_t i = after ? sarr_bound(a, after, false) : 0;

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
            s = label_set(st, key, vals[0], false);
        else if (op == FAKEAPI_LSEL_EXISTS || op == FAKEAPI_LSEL_IN ||
                 op == FAKEAPI_LSEL_GT || op == FAKEAPI_LSEL_LT)
            s = label_set(st, key, NULL, false);
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
            if (!e || (after && strcmp(e->key, after) <= 0) ||
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

/* Record a pod change and hand it to every watcher (consumes refs). */
static int publish(struct store *st, enum ev_type type, struct fakeapi_obj *old,
                   struct fakeapi_obj *cur)
{
    struct event *ev = calloc(1, sizeof(*ev));
    size_t i;

    if (!ev) {
        fakeapi__obj_unref(old);
        fakeapi__obj_unref(cur);
        return -1;
    }
    atomic_init(&ev->refs, 1);
    ev->type = type;
    ev->rv = cur->rv;
    ev->old = old;
    ev->cur = cur;
    history_push(st, ev);
    for (i = 0; i < st->nsubs; i++)
        st->subs[i].fn(st->subs[i].ctx, ev);
    fakeapi__event_unref(ev);
    return 0;
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

/* ---- writes ---- */

int fakeapi__store_put_pod(struct store *st, json_t *json, bool bulk,
                           struct fakeapi_obj **out)
{
    return fakeapi__store_put_obj(st, fakeapi__obj_new(json), bulk, out);
}

int fakeapi__store_put_obj(struct store *st, struct fakeapi_obj *o, bool bulk,
                           struct fakeapi_obj **out)
{
    struct nsent *n;
    struct entry *e;
    struct fakeapi_obj *old = NULL;

    if (!o)
        return -1;
    if (bulk)
        st->unsorted = true;
    n = fakeapi__store_ns(st, o->ns);
    if (!n) {
        fakeapi__obj_unref(o);
        return -1;
    }
    e = fakeapi__hmap_get(&st->pods, o->key);
    if (e) {
        old = e->obj;
        unindex_labels(st, e, &old->labels);
        e->obj = o;
    } else {
        e = calloc(1, sizeof(*e));
        if (!e || !(e->key = strdup(o->key)) ||
            fakeapi__hmap_put(&st->pods, e->key, e, NULL) != 0) {
            if (e)
                free(e->key);
            free(e);
            fakeapi__obj_unref(o);
            return -1;
        }
        e->obj = o;
        if (sarr_insert(&n->pods, e, bulk) != 0)
            return -1;
    }
    if (index_labels(st, e, &o->labels, bulk) != 0)
        return -1;
    if (out)
        *out = o;
    return publish(st, old ? EV_MODIFIED : EV_ADDED, old, fakeapi__obj_ref(o));
}

int fakeapi__store_delete_pod(struct store *st, json_t *last)
{
    struct fakeapi_obj *o = fakeapi__obj_new(last);
    struct entry *e;
    struct nsent *n;
    struct fakeapi_obj *old;

    if (!o)
        return -1;
    e = fakeapi__hmap_get(&st->pods, o->key);
    if (!e) {
        fakeapi__obj_unref(o);
        return -1;
    }
    n = fakeapi__store_ns(st, o->ns);
    unindex_labels(st, e, &e->obj->labels);
    if (n)
        sarr_remove(&n->pods, e);
    fakeapi__hmap_del(&st->pods, e->key);
    old = e->obj;
    e->obj = NULL;
    entry_free(e);
    return publish(st, EV_DELETED, old, o);
}

static int nsent_cmp(const void *a, const void *b)
{
    const struct nsent *x = *(struct nsent *const *)a;
    const struct nsent *y = *(struct nsent *const *)b;

    return strcmp(x->key, y->key);
}

int fakeapi__store_put_ns(struct store *st, json_t *json)
{
    struct fakeapi_obj *o = fakeapi__obj_new(json);
    struct nsent *n;
    struct nsent **v;
    size_t klen;

    if (!o)
        return -1;
    n = fakeapi__store_ns(st, o->name);
    if (n) {
        fakeapi__obj_unref(n->obj);
        n->obj = o;
        return 0;
    }
    n = calloc(1, sizeof(*n));
    v = realloc(st->nsv, (st->nns + 1) * sizeof(*v));
    klen = strlen(o->name);
    if (n)
        n->key = malloc(klen + 2);
    if (!n || !v || !n->key ||
        fakeapi__hmap_put(&st->nss, o->name, n, NULL) != 0) {
        if (v)
            st->nsv = v;
        if (n)
            free(n->key);
        free(n);
        fakeapi__obj_unref(o);
        return -1;
    }
    memcpy(n->key, o->name, klen);
    memcpy(n->key + klen, "/", 2);
    n->obj = o;
    st->nsv = v;
    st->nsv[st->nns++] = n;
    qsort(st->nsv, st->nns, sizeof(*st->nsv), nsent_cmp);
    return 0;
}

void fakeapi__store_delete_ns(struct store *st, const char *name)
{
    struct nsent *n = fakeapi__hmap_del(&st->nss, name);
    size_t i;

    if (!n)
        return;
    for (i = 0; i < st->nns; i++) {
        if (st->nsv[i] == n) {
            memmove(st->nsv + i, st->nsv + i + 1,
                    (st->nns - i - 1) * sizeof(*st->nsv));
            st->nns--;
            break;
        }
    }
    fakeapi__obj_unref(n->obj);
    sarr_release(&n->pods);
    free(n->key);
    free(n);
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
        total += a->n - (after ? sarr_bound(a, after, false) : 0);
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
    /* k8s-api.md §2: apiserver/pkg/storage/names alphabet */
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = alphabet[next_rand(st) % (sizeof(alphabet) - 1)];
    out[n] = '\0';
}
