/*
 * store_int: what the store/ files share (store.h is the module's face):
 * the store's own struct, and the indexes.
 *
 * store.c      life cycle, reads, the history and the subscribers
 * store_index.c the key-ordered arrays and the label index: room is held
 *              for an insertion before it is made, so linking cannot fail
 * store_batch.c the writes: stage (allocate), then commit (link, unlink,
 *              free)
 * store_dump.c  the state as text, for tests
 */
#ifndef FAKEAPI_STORE_INT_H
#define FAKEAPI_STORE_INT_H

#include "store/store.h"

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
    size_t nsv_cap;
    size_t nsv_pending; /* namespaces a staged batch holds room for */
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

/* Per label key: every entry with the key, and per value. */
struct lkey {
    struct sarr all;
    struct hmap values; /* value -> struct sarr */
};

/* ---- store_index.c ---- */

/* First index of @p a whose key is > @p key (or >= when @p inclusive). */
size_t fakeapi__store_index_bound(const struct sarr *a, const char *key,
                                  bool inclusive);

/* Hold room in @p a for one more insertion (a->pending); 0 or -1. */
int fakeapi__store_index_hold(struct sarr *a);

/* Insert @p e into @p a, using room held before (cannot fail); @p bulk
 * appends out of order. */
void fakeapi__store_index_insert(struct sarr *a, struct entry *e, bool bulk);

/* Remove @p e from @p a, if there. */
void fakeapi__store_index_remove(struct sarr *a, const struct entry *e);

/* Sort @p a if an append left it out of order. */
void fakeapi__store_index_sort(struct sarr *a);

void fakeapi__store_index_release(struct sarr *a);

/* The set of label @p key (NULL @p value: every value), or NULL. */
struct sarr *fakeapi__store_index_label(const struct store *st, const char *key,
                                        const char *value);

/* Hold room for one entry in the sets of each of @p l's labels, making
 * the missing sets; 0, or -1 with nothing held. */
int fakeapi__store_index_hold_labels(struct store *st,
                                     const struct fakeapi_labels *l);

/* Give back what fakeapi__store_index_hold_labels() held. */
void fakeapi__store_index_unhold_labels(struct store *st,
                                        const struct fakeapi_labels *l);

/* Insert @p e into the sets of @p l's labels (room held before). */
void fakeapi__store_index_link_labels(struct store *st, struct entry *e,
                                      const struct fakeapi_labels *l,
                                      bool bulk);

/* Remove @p e from the sets of @p l's labels; a set left empty and held
 * by no one is dropped. */
void fakeapi__store_index_unlink_labels(struct store *st, struct entry *e,
                                        const struct fakeapi_labels *l);

/* Sort every label set an append left out of order. */
void fakeapi__store_index_sort_labels(struct store *st);

/* Free the label index. */
void fakeapi__store_index_release_labels(struct store *st);

/* Free an entry and its reference (NULL is a no-op). */
void fakeapi__store_index_entry_free(struct entry *e);

/* ---- store.c ---- */

/* Record @p ev (consumed) in the history and hand it to every subscriber. */
void fakeapi__store_publish(struct store *st, struct event *ev);

#endif
