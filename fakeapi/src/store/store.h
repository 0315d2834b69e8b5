/*
 * store: one server's objects: namespaces and pods, the one
 * resourceVersion counter, the indexes and the watch history.
 *
 * Locking: one rwlock per store. Readers (get, list) take it shared;
 * every write takes it exclusive, bumps the counter once, records the
 * event in the history and hands it to the subscribers (the watch
 * streams, through the callback each gave) before unlocking, so history
 * order = counter order = delivery order. The store knows nothing of
 * HTTP; `struct store` is opaque outside store/.
 *
 * Indexes: namespace/name -> entry (hash); per namespace a
 * key-ordered array (lists and continue tokens); per label key -> value ->
 * key-ordered array of entries. A label selector starts from its most
 * selective equality, `in` or exists requirement; only a selector without
 * one scans. A field selector on metadata.name uses the hash.
 */
#ifndef FAKEAPI_STORE_H
#define FAKEAPI_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hmap.h"
#include "store/obj.h"

struct fakeapi_lsel;
struct fakeapi_fsel;

/* A live object's stable identity; its snapshot changes on each write. */
struct entry {
    struct fakeapi_obj *obj; /* current snapshot (one reference) */
    char *key;               /* owned copy of obj->key */
};

/* A key-ordered array of entries. */
struct sarr {
    struct entry **v;
    size_t n;
    size_t cap;
    bool dirty; /* appended out of order; sort before reading */
};

/* Event types, as on the wire. */
enum ev_type { EV_ADDED = 1, EV_MODIFIED, EV_DELETED, EV_BOOKMARK, EV_ERROR };

/* One change, shared by the history and every watcher (refcounted). */
struct event {
    atomic_uint refs;
    enum ev_type type; /* ADDED, MODIFIED or DELETED */
    uint64_t rv;
    struct fakeapi_obj *old;       /* before (NULL for ADDED) */
    struct fakeapi_obj *cur;       /* after; for DELETED the last state at rv */
    struct fakeapi_obj *old_at_rv; /* lazily: old content with rv (for
                                      watchers that stop matching) */
};

struct event *fakeapi__event_ref(struct event *ev);
void fakeapi__event_unref(struct event *ev);

/* A namespace and its pods. */
struct nsent {
    struct fakeapi_obj *obj; /* the Namespace object */
    struct sarr pods;
    char *key;               /* "<name>/" for cluster-wide ordering */
    uint64_t finalize_at_ms; /* Terminating: removed then (mono ms); 0 */
};

/* Called for each change, with the store's write lock held, in
 * resourceVersion order: @p ev is borrowed (fakeapi__event_ref() to keep
 * it). */
typedef void fakeapi_store_notify(void *ctx, struct event *ev);

/* A new empty store keeping the last @p history events (0: 10,000), or
 * NULL when out of memory. Free with fakeapi__store_free(). */
struct store *fakeapi__store_new(size_t history);
void fakeapi__store_free(struct store *st);

void fakeapi__store_rdlock(struct store *st);
void fakeapi__store_wrlock(struct store *st);
void fakeapi__store_unlock(struct store *st);

/* ---- reads (any lock) ---- */

/* Current pod snapshot (borrowed while locked), or NULL. */
struct fakeapi_obj *fakeapi__store_pod(struct store *st, const char *ns,
                                       const char *name);

/* Namespace entry, or NULL. */
struct nsent *fakeapi__store_ns(struct store *st, const char *name);

/* Collect pods in key order: namespace @p ns (NULL = all), matching the
 * selectors (NULL = all), with key > @p after (NULL = from the start), at
 * most @p limit (0 = no limit). *more tells whether matches remain.
 * Returns 0, or -1 when out of memory. Needs the write lock if
 * fakeapi__store_needs_sort() says so, else a read lock is enough. */
int fakeapi__store_list(struct store *st, const char *ns,
                        const struct fakeapi_lsel *ls,
                        const struct fakeapi_fsel *fs, const char *after,
                        size_t limit, struct objvec *out, bool *more);

/* True when an index is dirty (a bulk seed appended out of order). */
bool fakeapi__store_needs_sort(const struct store *st);
/* Sort dirty indexes (write lock). */
void fakeapi__store_sort(struct store *st);

/* The last resourceVersion given out. */
uint64_t fakeapi__store_rv(const struct store *st);

/* Events with a resourceVersion up to this one are forgotten. */
uint64_t fakeapi__store_compacted_rv(const struct store *st);

/* Number of pods in all namespaces. */
size_t fakeapi__store_pod_count(const struct store *st);

/* Number of namespaces, and the @p i-th in name order. */
size_t fakeapi__store_ns_count(const struct store *st);
struct nsent *fakeapi__store_ns_at(const struct store *st, size_t i);

/* Number of pods in namespace @p ns (NULL = all) with key > @p after. */
size_t fakeapi__store_count_after(struct store *st, const char *ns,
                                  const char *after);

/* ---- writes (write lock) ---- */

/* A fresh random UUID (version 4) into @p out. */
void fakeapi__store_uuid(struct store *st, char out[37]);

/* @p n random characters from the generateName alphabet into @p out. */
void fakeapi__store_random_suffix(struct store *st, char *out, size_t n);

/* Next resourceVersion; the counter is bumped. */
uint64_t fakeapi__store_next_rv(struct store *st);

/*
 * Store @p json (consumed) as the current state of its pod; its
 * metadata.resourceVersion must already be set to a fresh
 * fakeapi__store_next_rv(). Creates the entry if needed (ADDED) or replaces it
 * (MODIFIED). @p bulk appends to indexes unsorted (seeding; call
 * fakeapi__store_sort() after). Returns 0 and (optional) a borrowed *out, or -1
 * when out of memory.
 */
int fakeapi__store_put_pod(struct store *st, json_t *json, bool bulk,
                           struct fakeapi_obj **out);

/* As fakeapi__store_put_pod(), for a snapshot already built (@p o consumed). */
int fakeapi__store_put_obj(struct store *st, struct fakeapi_obj *o, bool bulk,
                           struct fakeapi_obj **out);

/* Remove a pod; @p last (consumed) is its final state carrying the
 * deletion's resourceVersion (DELETED event). Returns 0 or -1. */
int fakeapi__store_delete_pod(struct store *st, json_t *last);

/* Create or replace a namespace object (consumed; rv set). */
int fakeapi__store_put_ns(struct store *st, json_t *json);

/* Remove a namespace entry (its pods must be deleted first). */
void fakeapi__store_delete_ns(struct store *st, const char *name);

/* Forget the history: resumed watches older than now get 410. */
void fakeapi__store_compact(struct store *st);

/* Replay history events with rv > @p from to @p fn (write lock).
 * Returns false when @p from is older than the history (410). */
bool fakeapi__store_replay(struct store *st, uint64_t from,
                           fakeapi_store_notify *fn, void *ctx);

/* Call @p fn with @p ctx on every change from now on (write lock); 0, or
 * -1 when out of memory. */
int fakeapi__store_subscribe(struct store *st, fakeapi_store_notify *fn,
                             void *ctx);

/* Stop calling the subscriber whose context is @p ctx (write lock). */
void fakeapi__store_unsubscribe(struct store *st, const void *ctx);

/* Number of subscribers, and the context of the @p i-th (any lock). */
size_t fakeapi__store_subscribers(const struct store *st);
void *fakeapi__store_subscriber(const struct store *st, size_t i);

#endif
