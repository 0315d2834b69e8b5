/*
 * store: one server's objects: namespaces and pods, the one
 * resourceVersion counter, the indexes and the watch history.
 *
 * Locking: one rwlock per store. Readers (get, list) take it shared;
 * every write takes it exclusive, moves the counter once per change,
 * records each event in the history and hands it to the subscribers (the
 * watch streams, through the callback each gave) before unlocking, so
 * history order = counter order = delivery order. A write is all or
 * nothing (see "writes" below). The store knows nothing of HTTP;
 * `struct store` is opaque outside store/ (store_int.h).
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
#include "kbuf.h"
#include "store/obj.h"

struct fakeapi_lsel;
struct fakeapi_fsel;

/* A live object's stable identity; its snapshot changes on each write. */
struct entry {
    struct fakeapi_obj *obj; /* current snapshot (one reference); NULL
                                while a batch stages its creation */
    char *key;               /* owned copy of obj->key */
    /* while a batch is staged (store.c's) */
    struct fakeapi_obj *next; /* the state the batch gives it (borrowed) */
    bool doomed;              /* the batch removes it */
};

/* A key-ordered array of entries. */
struct sarr {
    struct entry **v;
    size_t n;
    size_t cap;
    size_t pending; /* insertions a staged batch holds room for */
    bool dirty;     /* appended out of order; sort before reading */
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
    struct fakeapi_obj *obj; /* the Namespace object; NULL while a batch
                                stages its creation */
    struct sarr pods;
    char *key;               /* "<name>/" for cluster-wide ordering */
    uint64_t finalize_at_ms; /* Terminating: removed then (mono ms); 0 */
    /* while a batch is staged (store.c's) */
    struct fakeapi_obj *next; /* the state the batch gives it (borrowed) */
    bool doomed;              /* the batch removes it */
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

/* Namespace entry, or NULL (also for one a batch is staging:
 * fakeapi__store_batch_has_ns() tells). */
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

/* ---- writes (write lock) ----
 *
 * Every write is all or nothing. A write of one change
 * (fakeapi__store_put_pod() and the other single calls) and a batch of
 * several (a pod deleted with grace 0 is a MODIFIED then a DELETED;
 * deletecollection; a namespace deletion and its pods; a seed) go the
 * same way: staging a change allocates all its commit will need (the
 * event, a new entry and its key, room in the hash, the namespace array
 * and every label set it joins, a new label set), and the commit then
 * only links, unlinks and frees. A failed stage leaves the store as it
 * was: no object, index entry, history event or watcher notification,
 * and the resourceVersion counter where it stood.
 *
 * Each change carries the next resourceVersion (fakeapi__store_next_rv()
 * for a single write, fakeapi__store_batch_next_rv() in a batch) in its
 * metadata.resourceVersion; the counter moves when that change commits, so
 * a failed write leaves no gap. A change carrying another version (the
 * version could not be written into the object) is refused.
 */

/* A fresh random UUID (version 4) into @p out. */
void fakeapi__store_uuid(struct store *st, char out[37]);

/* @p n random characters from the generateName alphabet into @p out. */
void fakeapi__store_random_suffix(struct store *st, char *out, size_t n);

/* The resourceVersion the next single write carries (the counter + 1);
 * the counter itself moves when that write commits. */
uint64_t fakeapi__store_next_rv(const struct store *st);

/*
 * Store @p json (consumed) as the current state of its pod; its
 * metadata.resourceVersion must be fakeapi__store_next_rv(). Creates the
 * entry if needed (ADDED) or replaces it (MODIFIED). @p bulk appends to
 * indexes unsorted (seeding; call fakeapi__store_sort() after). Returns 0
 * and (optional) a borrowed *out, or -1 (out of memory, wrong version, no
 * such namespace) with the store unchanged.
 */
int fakeapi__store_put_pod(struct store *st, json_t *json, bool bulk,
                           struct fakeapi_obj **out);

/* As fakeapi__store_put_pod(), for a snapshot already built (@p o consumed;
 * NULL is a failure). */
int fakeapi__store_put_obj(struct store *st, struct fakeapi_obj *o, bool bulk,
                           struct fakeapi_obj **out);

/* Remove a pod; @p last (consumed) is its final state carrying the
 * deletion's resourceVersion (DELETED event). Returns 0, or -1 with the
 * store unchanged. */
int fakeapi__store_delete_pod(struct store *st, json_t *last);

/* Create or replace a namespace object (consumed; its resourceVersion is
 * fakeapi__store_next_rv()). Returns 0, or -1 with the store unchanged. */
int fakeapi__store_put_ns(struct store *st, json_t *json);

/* Remove a namespace entry (its pods must be deleted first: else nothing
 * happens). */
void fakeapi__store_delete_ns(struct store *st, const char *name);

struct batch_op;

/*
 * A batch: changes staged one by one, then committed whole, or dropped
 * whole (fakeapi__store_batch_release()). Embedded by the caller; its
 * members are store.c's. Stage, commit and release under one hold of the
 * write lock. While a batch is staged reads see the store as it was.
 * A batch may not put a pod it deletes, nor delete a namespace that keeps
 * a pod.
 */
struct store_batch {
    struct store *st;
    struct batch_op *ops;
    size_t n;
    size_t cap;
    uint64_t rv; /* the last resourceVersion staged */
    bool failed; /* a stage failed: the commit drops the batch */
};

/* Start an empty batch on @p st (cannot fail). */
void fakeapi__store_batch_init(struct store_batch *b, struct store *st);

/* The resourceVersion the next change staged in @p b carries. */
uint64_t fakeapi__store_batch_next_rv(const struct store_batch *b);

/* Stage a pod's new state @p o (consumed; NULL fails the batch), as
 * fakeapi__store_put_obj(). 0, or -1: the batch has failed. */
int fakeapi__store_batch_put(struct store_batch *b, struct fakeapi_obj *o,
                             bool bulk);

/* Stage a pod's removal; @p last (consumed; NULL fails the batch) as in
 * fakeapi__store_delete_pod(). 0, or -1: the batch has failed. */
int fakeapi__store_batch_delete(struct store_batch *b,
                                struct fakeapi_obj *last);

/* Stage a namespace's new state @p o (consumed; NULL fails the batch). 0,
 * or -1: the batch has failed. */
int fakeapi__store_batch_put_ns(struct store_batch *b, struct fakeapi_obj *o);

/* Stage the removal of namespace @p name, whose every pod must be staged
 * for removal already. 0, or -1: the batch has failed. */
int fakeapi__store_batch_delete_ns(struct store_batch *b, const char *name);

/* Whether namespace @p name exists once @p b commits. */
bool fakeapi__store_batch_has_ns(const struct store_batch *b, const char *name);

/* Apply every staged change in order, each recorded in the history and
 * handed to the subscribers, and empty the batch: 0. When a stage has
 * failed, drop them instead (the store as it was) and return -1. A batch
 * whose stages all succeeded always commits. */
int fakeapi__store_batch_commit(struct store_batch *b);

/* Drop whatever @p b holds staged (the store as it was before it) and free
 * its memory; after a commit, only the memory. */
void fakeapi__store_batch_release(struct store_batch *b);

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

/* ---- tests ---- */

/*
 * Append to @p b a text that two stores share exactly when they hold the
 * same state (any lock): the resourceVersion counter and the compaction
 * point; every pod (hash order is not state: by key) and namespace with
 * its bytes; each namespace's key array and each label set as stored;
 * the size of each hash; the history (type and resourceVersion of each
 * event, oldest first); the number of subscribers. Capacities are not
 * state. For tests (test_store_chaos.c); KBUF_OK or a KBUF_E_*.
 */
int fakeapi__store_dump(const struct store *st, struct kbuf *b);

#endif
