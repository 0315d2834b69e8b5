/*
 * cache: kreg_cache, a view of every service kept current by the watcher
 * (issue 14), read without locks (see cache.h for the structure).
 *
 * The writer is the fed watcher (watch.h): each change it hands over
 * updates one slot and marks it dirty; when the watcher says the view is
 * the server's (after a list, an event or a bookmark) the dirty slots get
 * new snapshots, swapped in atomically, and the index of slots is
 * replaced when slots came or went. What the swap retired is freed once
 * no reader is between loading a pointer and taking its reference.
 */
#include "cache.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "names.h"
#include "registry.h"
#include "service.h"
#include "watch.h"

/* kreg_cache_options.stale_ms by default: kube-apiserver sends a bookmark
 * about every minute (cacher.go defaultBookmarkFrequency), so two and a
 * half of them missing means the stream is down or held. */
#define STALE_MS 150000u

/* A slot changed since the last publish, and what publishing it retired. */
struct kreg__cache_dirty {
    struct kreg__cache_slot *slot;
    struct kreg__cache_snap *old; /* the snapshot it replaced */
    bool dead;                    /* no pod left: out of the map */
};

struct kreg_cache {
    kreg *r;
    struct kreg_query q;
    struct kreg_cache_options o;
    kreg_watch *w;

    /* the writer's (the watch thread; the creator's for the first list) */
    struct kreg__cache_map slots; /* enc -> struct kreg__cache_slot */
    struct kreg__cache_dirty *dirty;
    size_t ndirty;
    size_t capdirty;
    bool reindex; /* slots came or went since the last publish */
    bool loaded;  /* the first list is in: later changes are reported */
    struct kreg__cache_counts counts;

    /* the readers': the counter every reader writes on a line of its own,
     * apart from what they only read */
    _Alignas(64) atomic_uint readers; /* between a load and its reference */
    _Alignas(64) _Atomic(struct kreg__cache_map *) index; /* enc -> slot */
    atomic_int fatal; /* the code that ended the watch for good, or 0 */
    struct kreg_error fatal_err;     /* written once, before fatal */
    _Atomic int_least64_t synced_ms; /* the last list, event or bookmark */

    /* the staleness timer (with on_stale only) */
    pthread_t timer;
    bool timer_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;         /* under mu */
    atomic_bool stale; /* as last reported */
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const kreg *kreg__cache_sizes(const kreg_cache *c, uint64_t *services,
                              uint64_t *pods)
{
    *services = atomic_load(&c->counts.services);
    *pods = kreg__watch_pods(c->w);
    return c->r;
}

void kreg__cache_counts_read(kreg_cache *c, unsigned long *changes,
                             unsigned long *anomalies, unsigned long *publishes)
{
    *changes = atomic_load(&c->counts.changes);
    *anomalies = atomic_load(&c->counts.anomalies);
    *publishes = atomic_load(&c->counts.publishes);
}

/* ---- The end of the watch -------------------------------------------*/

/* Wake the timer to look again (the view became current, or the watch
 * ended). */
static void poke_timer(kreg_cache *c)
{
    if (!c->timer_started)
        return;
    pthread_mutex_lock(&c->mu);
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* The view can no longer be kept current: reads fail with @p code from
 * now on (the first reason is kept). Writer only. */
static void end_for_good(kreg_cache *c, int code, const struct kreg_error *err)
{
    if (atomic_load(&c->fatal))
        return;
    c->fatal_err = *err;
    atomic_store(&c->fatal, code);
    poke_timer(c);
}

static void feed_ended(void *ctx, int code, const struct kreg_error *err)
{
    end_for_good(ctx, code, err);
}

/* Out of memory while applying a change or publishing: the view would
 * be wrong, so it ends (the watcher then ends too). Returns -1. */
static int lost(kreg_cache *c)
{
    struct kreg_error e = {0};

    kreg__error(&e, KREG_E_NOMEM, 0, NULL,
                "out of memory: the cache lost a change");
    end_for_good(c, KREG_E_NOMEM, &e);
    return -1;
}

/* ---- Applying changes (the writer) -------------------------------------*/

/* The slot of @p enc, made (and indexed at the next publish) when
 * missing; NULL when out of memory. */
static struct kreg__cache_slot *slot_of(kreg_cache *c, const char *enc)
{
    struct kreg__cache_slot *slot =
        kreg__cache_map_get(&c->slots, enc, kreg__cache_map_hash(enc));

    if (slot)
        return slot;
    slot = kreg__cache_slot_new(enc);
    if (!slot || kreg__cache_map_put(&c->slots, slot->enc, slot) != 0) {
        kreg__cache_slot_free(slot);
        return NULL;
    }
    c->reindex = true;
    return slot;
}

/* Remember that @p slot changed (before its change: it is marked dirty
 * by the change). -1 when out of memory. */
static int note_dirty(kreg_cache *c, struct kreg__cache_slot *slot)
{
    if (slot->dirty)
        return 0;
    if (c->ndirty == c->capdirty) {
        size_t cap = c->capdirty ? c->capdirty * 2 : 16;
        struct kreg__cache_dirty *d = realloc(c->dirty, cap * sizeof(*d));

        if (!d)
            return -1;
        c->dirty = d;
        c->capdirty = cap;
    }
    c->dirty[c->ndirty].slot = slot;
    c->dirty[c->ndirty].old = NULL;
    c->dirty[c->ndirty].dead = false;
    c->ndirty++;
    return 0;
}

static uint64_t text_hash(const char *text)
{
    return kreg__cache_map_hash(text);
}

/*
 * The service annotation @p text of @p pod under <enc>, decoded; NULL
 * when it cannot serve under that key (its name encodes to another key,
 * or to none: kreg_get_service() skips it too, so it is reported), or
 * when out of memory (*@p oom).
 */
static struct kreg__cache_psvc *decode_for(kreg_cache *c, const char *pod,
                                           const char *key, const char *enc,
                                           const char *text, bool *oom)
{
    char label[KREG__NAMES_KEY_SIZE];
    struct kreg_service *svc = NULL;
    struct kreg__cache_psvc *ps;
    int rc = kreg_service_decode(text, strlen(text), &svc, NULL);

    *oom = rc == KREG_E_NOMEM;
    if (rc != KREG_OK) /* the watcher passes only what decodes */
        return NULL;
    if (kreg__names_label_key(svc->name, label, sizeof(label), NULL) !=
            KREG_OK ||
        strcmp(label + strlen(KREG__NAMES_SELECTOR_PREFIX), enc) != 0) {
        kreg__metrics_skip(&c->r->metrics);
        if (c->q.on_skip)
            c->q.on_skip(c->q.ctx, pod, key,
                         "annotation is for another service name");
        kreg_service_free(svc);
        return NULL;
    }
    ps = kreg__cache_psvc_new(svc);
    *oom = !ps;
    return ps;
}

/* kreg__watch_feed.change: one key of one pod. */
static int feed_change(void *ctx, enum kreg_action action, const char *pod,
                       const char *key, const char *text)
{
    static const char sel[] = KREG__NAMES_SELECTOR_PREFIX;
    static const char ann[] = KREG__NAMES_ANNOTATION_PREFIX;
    kreg_cache *c = ctx;
    bool is_label = strncmp(key, sel, sizeof(sel) - 1) == 0;
    const char *enc = key + (is_label ? sizeof(sel) : sizeof(ann)) - 1;
    struct kreg__cache_slot *slot;
    struct kreg__cache_psvc *ps = NULL;
    bool oom = false;

    if (atomic_load(&c->fatal))
        return -1;
    atomic_fetch_add(&c->counts.changes, 1);
    slot = slot_of(c, enc);
    if (!slot || note_dirty(c, slot) != 0)
        return lost(c);
    if (is_label)
        return kreg__cache_slot_label(slot, pod, action != KREG_ACTION_DELETE,
                                      &c->counts) == 0
                   ? 0
                   : lost(c);
    if (action != KREG_ACTION_DELETE)
        ps = decode_for(c, pod, key, enc, text, &oom);
    if (oom)
        return lost(c);
    return kreg__cache_slot_serve(slot, pod, action, ps, text_hash(text),
                                  &c->counts) == 0
               ? 0
               : lost(c);
}

/* ---- Publishing (the writer) -------------------------------------------*/

/* Wait until no reader is between loading a pointer this publish
 * replaced and taking its reference: a reader counts itself in before
 * its first load and out after its reference is taken, so once the count
 * is seen at zero after the swaps, every reader that may have loaded an
 * old pointer holds its reference (or has let go). The window is a few
 * instructions; a reader preempted inside it delays the writer only. */
static void wait_readers(kreg_cache *c)
{
    while (atomic_load(&c->readers) != 0)
        sched_yield();
}

/* on_change for the names of slot @p d's old and new snapshots. */
static void notify(const kreg_cache *c, const struct kreg__cache_dirty *d)
{
    const struct kreg__cache_snap *cur = atomic_load(&d->slot->snap);
    size_t told = 0;
    size_t i;

    if (d->dead)
        cur = NULL;
    for (i = 0; cur && i < cur->nanswers; i++, told++)
        c->o.on_change(c->o.ctx, cur->answers[i].name);
    for (i = 0; d->old && i < d->old->nanswers; i++) {
        const char *name = d->old->answers[i].name;

        if (!cur || kreg__cache_snap_answer(cur, name) == &cur->empty) {
            c->o.on_change(c->o.ctx, name);
            told++;
        }
    }
    if (told == 0)
        c->o.on_change(c->o.ctx, NULL);
}

/* Give dirty slot @p d its new snapshot, and take it out of the map when
 * no pod is left in it. */
static void swap_one(kreg_cache *c, struct kreg__cache_dirty *d)
{
    struct kreg__cache_slot *slot = d->slot;
    struct kreg__cache_snap *snap = NULL;

    slot->dirty = false;
    if (slot->labelled > 0 && !(snap = kreg__cache_snap_build(slot))) {
        lost(c); /* reads fail from now on: the old snapshot may stay */
        return;
    }
    d->old = atomic_exchange(&slot->snap, snap);
    kreg__cache_counts_swap(&c->counts, d->old, snap);
    if (slot->n == 0) {
        kreg__cache_map_del(&c->slots, slot->enc);
        d->dead = true;
        c->reindex = true;
    }
}

/* A new index for readers when slots came or went; on failure the dead
 * slots go back into the map (no growth: they were in it) and stay. */
static struct kreg__cache_map *reindex(kreg_cache *c)
{
    struct kreg__cache_map *idx;
    size_t i;

    if (!c->reindex)
        return NULL;
    idx = kreg__cache_map_copy(&c->slots);
    if (idx)
        return atomic_exchange(&c->index, idx);
    lost(c);
    for (i = 0; i < c->ndirty; i++) {
        if (c->dirty[i].dead &&
            kreg__cache_map_put(&c->slots, c->dirty[i].slot->enc,
                                c->dirty[i].slot) == 0)
            c->dirty[i].dead = false;
    }
    return NULL;
}

/* Publish what changed since the last publish: new snapshots, a new
 * index, then (no reader left on them) free what they replaced. */
static void publish(kreg_cache *c)
{
    struct kreg__cache_map *old_index;
    bool retired = false;
    size_t i;

    if (c->ndirty == 0 && !c->reindex)
        return;
    for (i = 0; i < c->ndirty; i++) {
        swap_one(c, &c->dirty[i]);
        retired = retired || c->dirty[i].old || c->dirty[i].dead;
    }
    old_index = reindex(c);
    if (retired || old_index)
        wait_readers(c);
    for (i = 0; i < c->ndirty; i++) {
        struct kreg__cache_dirty *d = &c->dirty[i];

        if (c->loaded && c->o.on_change)
            notify(c, d);
        kreg__cache_snap_unref(d->old);
        if (d->dead)
            kreg__cache_slot_free(d->slot);
    }
    kreg__cache_map_free(old_index);
    c->ndirty = 0;
    c->reindex = false;
    atomic_fetch_add(&c->counts.publishes, 1);
}

/* kreg__watch_feed.synced: the view is the server's as of @p since_ms
 * (with several namespaces, the stream heard from longest ago counts). */
static void feed_synced(void *ctx, int64_t since_ms)
{
    kreg_cache *c = ctx;

    if (atomic_load(&c->fatal))
        return;
    publish(c);
    c->loaded = true;
    atomic_store(&c->synced_ms, since_ms);
    if (atomic_load(&c->stale))
        poke_timer(c);
}

/* ---- The staleness timer ---------------------------------------------*/

/* CLOCK_MONOTONIC @p ms as a timespec (the condition uses that clock). */
static struct timespec at_ms(int64_t ms)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    return ts;
}

/*
 * Report each change of staleness: stale when no list, event or bookmark
 * came for stale_ms, or at once when the watch ended for good. Sleeps
 * until the view would turn stale, or, stale, until the writer pokes it.
 */
static void *timer_main(void *arg)
{
    kreg_cache *c = arg;

    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        int64_t last = atomic_load(&c->synced_ms);
        int64_t age = mono_ms() - last;
        bool stale =
            atomic_load(&c->fatal) != 0 || age >= (int64_t)c->o.stale_ms;
        struct timespec ts;

        if (stale != atomic_load(&c->stale)) {
            atomic_store(&c->stale, stale);
            pthread_mutex_unlock(&c->mu);
            c->o.on_stale(c->o.ctx, stale, age > 0 ? (uint64_t)age : 0);
            pthread_mutex_lock(&c->mu);
            continue;
        }
        if (stale) {
            pthread_cond_wait(&c->cv, &c->mu);
            continue;
        }
        ts = at_ms(last + (int64_t)c->o.stale_ms);
        (void)pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static int timer_start(kreg_cache *c, struct kreg_error *err)
{
    if (!c->o.on_stale)
        return KREG_OK;
    if (pthread_create(&c->timer, NULL, timer_main, c) != 0)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL,
                           "cannot start the cache's timer thread");
    c->timer_started = true;
    return KREG_OK;
}

static void timer_stop(kreg_cache *c)
{
    if (!c->timer_started)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->timer, NULL);
}

/* ---- The public API ----------------------------------------------------*/

/* Copy the first @p size bytes of @p o (NULL: all zero), refusing a size
 * smaller than 0.4's struct or a larger one that sets a member this
 * libkreg does not know, as kreg__query_copy() does. */
static int options_copy(const struct kreg_cache_options *o, size_t size,
                        struct kreg_cache_options *out, struct kreg_error *err)
{
    const unsigned char *b = (const unsigned char *)o;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (!o)
        return KREG_OK;
    if (size < sizeof(*out))
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "cache options: size %zu is smaller than any "
                           "struct kreg_cache_options",
                           size);
    for (i = sizeof(*out); i < size; i++)
        if (b[i] != 0)
            return kreg__error(err, KREG_E_INVALID, 0, NULL,
                               "cache options: a member this libkreg does "
                               "not know is set (byte %zu of %zu)",
                               i, size);
    memcpy(out, o, sizeof(*out));
    return KREG_OK;
}

static void cache_free_parts(kreg_cache *c)
{
    struct kreg__cache_slot *slot;
    const char *enc;
    size_t i = 0;

    timer_stop(c);
    while ((slot = kreg__cache_map_next(&c->slots, &i, &enc)))
        kreg__cache_slot_free(slot);
    kreg__cache_map_release(&c->slots);
    kreg__cache_map_free(atomic_load(&c->index));
    free(c->dirty);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

/* The parts kreg_cache_new() sets up before it lists. */
static int cache_init(kreg_cache *c, kreg *r, const struct kreg_query *q,
                      size_t q_size, const struct kreg_cache_options *o,
                      size_t o_size, struct kreg_error *err)
{
    pthread_condattr_t ca;
    int rc;

    c->r = r;
    kreg__cache_map_init(&c->slots);
    atomic_init(&c->index, NULL);
    atomic_init(&c->readers, 0);
    atomic_init(&c->fatal, 0);
    atomic_init(&c->synced_ms, mono_ms());
    atomic_init(&c->stale, false);
    atomic_init(&c->counts.changes, 0);
    atomic_init(&c->counts.anomalies, 0);
    atomic_init(&c->counts.publishes, 0);
    atomic_init(&c->counts.services, 0);
    pthread_mutex_init(&c->mu, NULL);
    /* the timer sleeps until a CLOCK_MONOTONIC deadline */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    rc = kreg__query_copy(q, q_size, &c->q, err);
    if (rc == KREG_OK)
        rc = options_copy(o, o_size, &c->o, err);
    if (rc == KREG_OK && !c->o.stale_ms)
        c->o.stale_ms = STALE_MS;
    return rc;
}

int kreg_cache_new(kreg *r, const struct kreg_query *q, size_t q_size,
                   const struct kreg_cache_options *o, size_t o_size,
                   kreg_cache **out, struct kreg_error *err)
{
    struct kreg__watch_feed feed = {NULL, feed_change, feed_synced, feed_ended};
    kreg_cache *c;
    int rc;

    if (!out)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "cache: no place for the result");
    *out = NULL;
    if (!r)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "cache: no registry handle");
    /* aligned as declared: the readers' counter has a line of its own */
    c = aligned_alloc(_Alignof(struct kreg_cache), sizeof(*c));
    if (!c)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    memset(c, 0, sizeof(*c));
    feed.ctx = c;
    rc = cache_init(c, r, q, q_size, o, o_size, err);
    /* the timer first: the watcher may poke it as soon as it runs */
    if (rc == KREG_OK)
        rc = timer_start(c, err);
    if (rc == KREG_OK)
        rc = kreg__watch_new_feed(r, &c->q, sizeof(c->q), &feed, &c->w, err);
    if (rc == KREG_OK && atomic_load(&c->fatal)) {
        if (err)
            *err = c->fatal_err;
        rc = atomic_load(&c->fatal);
    }
    if (rc != KREG_OK) {
        kreg_watch_free(c->w);
        cache_free_parts(c);
        return rc;
    }
    *out = c;
    return KREG_OK;
}

void kreg_cache_free(kreg_cache *c)
{
    if (!c)
        return;
    /* no feed call runs after this: the view is the cache's alone */
    kreg_watch_free(c->w);
    cache_free_parts(c);
}

uint64_t kreg_cache_age_ms(const kreg_cache *c)
{
    int64_t age = mono_ms() - atomic_load(&c->synced_ms);

    return age > 0 ? (uint64_t)age : 0;
}

/* The snapshot of <enc> (new reference), or NULL: no pod carries it. The
 * only place readers touch shared pointers. */
static struct kreg__cache_snap *snap_ref(kreg_cache *c, const char *enc)
{
    uint64_t h = kreg__cache_map_hash(enc);
    struct kreg__cache_map *idx;
    struct kreg__cache_slot *slot;
    struct kreg__cache_snap *snap = NULL;

    atomic_fetch_add(&c->readers, 1);
    idx = atomic_load(&c->index);
    slot = idx ? kreg__cache_map_get(idx, enc, h) : NULL;
    if (slot)
        snap = atomic_load(&slot->snap);
    if (snap)
        atomic_fetch_add(&snap->refs, 1);
    atomic_fetch_sub(&c->readers, 1);
    return snap;
}

int kreg_cache_get(kreg_cache *c, const char *name,
                   const struct kreg_service_list **out, struct kreg_error *err)
{
    char label[KREG__NAMES_KEY_SIZE];
    struct kreg__cache_snap *snap;
    int fatal;
    int rc;

    if (!out)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "cache get: no place for the result");
    *out = NULL;
    if (!c)
        return kreg__error(err, KREG_E_INVALID, 0, NULL, "cache get: no cache");
    /* the same refusal as kreg_get_service(): a name the API would reject
     * as a key was never registered */
    rc = kreg__names_label_key(name, label, sizeof(label), err);
    if (rc != KREG_OK)
        return rc;
    fatal = atomic_load(&c->fatal);
    if (fatal) {
        if (err)
            *err = c->fatal_err;
        return fatal;
    }
    if (c->o.stale_fails && kreg_cache_age_ms(c) >= c->o.stale_ms)
        return kreg__error(err, KREG_E_TIMEOUT, 0, NULL,
                           "cache: no list, event or bookmark for %llu ms "
                           "(stale after %u ms)",
                           (unsigned long long)kreg_cache_age_ms(c),
                           c->o.stale_ms);
    snap = snap_ref(c, label + strlen(KREG__NAMES_SELECTOR_PREFIX));
    if (!snap)
        return kreg__error(err, KREG_E_NOT_FOUND, 0, NULL,
                           "service \"%s\" not found", name);
    *out = &kreg__cache_snap_answer(snap, name)->list;
    return KREG_OK;
}

void kreg_cache_list_free(const struct kreg_service_list *l)
{
    /* the list is the first member of its answer (cache.h) */
    const struct kreg__cache_answer *a =
        (const struct kreg__cache_answer *)(const void *)l;

    if (l)
        kreg__cache_snap_unref(a->owner);
}
