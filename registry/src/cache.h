/*
 * cache: what the files of kreg_cache share (internal to libkreg). The
 * public half is declared in kreg.h.
 *
 *  - cache.c       the handle: the fed watcher, publishing, reads, the
 *                  staleness timer
 *  - cache_view.c  the writer's view (pods per key) and the snapshots
 *                  built from it
 *  - cache_map.c   the string-keyed hash map both use
 *
 * The view is kept per key: one slot per <enc> of micro.mu/selector-<enc>
 * and micro.mu/service-<enc> (names that encode alike share one), holding
 * each pod that carries the selector label or serves the annotation, in
 * pod-name order. Only the watcher's thread touches it. What readers see
 * is one immutable, reference-counted snapshot per slot, swapped in with
 * an atomic exchange: kreg_cache_get() takes a reference and never waits
 * for the writer. Old snapshots, slots and indexes are freed by the writer
 * once no reader is in the few instructions between loading a pointer and
 * taking its reference (a counter of readers in that window).
 */
#ifndef KREG_CACHE_H
#define KREG_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache_map.h"
#include "kreg.h"

/* A service as one pod's annotation holds it (decoded, never modified),
 * shared by the snapshots that serve it: freed with its last reference,
 * on whichever thread drops it. */
struct kreg__cache_psvc {
    atomic_uint refs;
    struct kreg_service *svc;
};

struct kreg__cache_snap;

/* The answer for one name, inside a snapshot: what kreg_cache_get() hands
 * out. The list comes first, so that the list pointer is the answer's. */
struct kreg__cache_answer {
    struct kreg_service_list list;
    struct kreg__cache_snap *owner;
    const char *name; /* borrowed from a held service; NULL: empty */
};

/*
 * What readers see of one slot: immutable once published. Its services
 * are shallow copies (their own nodes arrays, merged per version as
 * kreg_get_service() merges them) whose strings, maps and nodes belong to
 * the held pod services.
 */
struct kreg__cache_snap {
    atomic_uint refs; /* the slot's, and one per reader */
    size_t nheld;
    struct kreg__cache_psvc **held;
    size_t nanswers;
    struct kreg__cache_answer *answers; /* one per service name */
    struct kreg__cache_answer empty;    /* a name no pod serves */
    struct kreg_service *merged;        /* the items' storage */
    struct kreg_node **nodes;           /* the items' nodes arrays */
};

/* One pod's part in a slot (writer only). */
struct kreg__cache_member {
    char *pod;
    bool labelled;      /* carries micro.mu/selector-<enc>=service */
    bool has_text;      /* serves an annotation micro.mu/service-<enc> ... */
    uint64_t text_hash; /* ... with this text (hashed) ... */
    struct kreg__cache_psvc *ps; /* ... decoded, or NULL when its name
                                    encodes to another key */
};

/* One key: readers read enc (through the index) and snap only. */
struct kreg__cache_slot {
    char *enc;
    _Atomic(struct kreg__cache_snap *) snap; /* NULL: no pod carries it */
    size_t n;
    size_t cap;
    struct kreg__cache_member *members; /* sorted by pod name (bytes) */
    size_t labelled;                    /* members labelled */
    bool dirty;                         /* changed since the last publish */
};

/* Counters for tests and diagnostics (atomic: read from any thread). */
struct kreg__cache_counts {
    atomic_ulong changes;   /* changes the watcher handed over */
    atomic_ulong anomalies; /* ones that contradict the view: a create of
                               something there, an update of something
                               absent or to the same text, a delete of
                               something absent (none is expected) */
    atomic_ulong publishes; /* batches that swapped a snapshot */
    atomic_size_t services; /* names the published snapshots answer with a
                               non-empty list (kreg_metrics) */
};

/* ---- Pod services and snapshots (cache_view.c) ---------------------------*/

/* Drop a reference to @p ps; NULL is a no-op. */
void kreg__cache_psvc_unref(struct kreg__cache_psvc *ps);

/* Drop a reference to @p s; the last one frees it. NULL is a no-op. */
void kreg__cache_snap_unref(struct kreg__cache_snap *s);

/*
 * A new snapshot of @p slot (one reference): the members that carry the
 * label and serve, in pod-name order, per service name; NULL when out of
 * memory. Call only when slot->labelled > 0 (else nobody carries it).
 */
struct kreg__cache_snap *
kreg__cache_snap_build(const struct kreg__cache_slot *slot);

/* The answer of @p s for @p name (the empty one when no pod serves it). */
const struct kreg__cache_answer *
kreg__cache_snap_answer(const struct kreg__cache_snap *s, const char *name);

/* ---- The writer's view (cache_view.c) ----------------------------------*/

/* A new empty slot for @p enc (copied); NULL when out of memory. */
struct kreg__cache_slot *kreg__cache_slot_new(const char *enc);

/* Free a slot, its members and its snapshot reference; NULL is a no-op. */
void kreg__cache_slot_free(struct kreg__cache_slot *slot);

/*
 * Set pod @p pod's label (@p labelled) in @p slot; counts an anomaly in
 * @p counts when it was so already. 0, or -1 when out of memory.
 */
int kreg__cache_slot_label(struct kreg__cache_slot *slot, const char *pod,
                           bool labelled, struct kreg__cache_counts *counts);

/*
 * Apply @p action to pod @p pod's annotation in @p slot: its text hashes
 * to @p text_hash and decodes to @p ps (consumed; NULL for a text that
 * cannot serve under this key, and on a delete). Checked against the view:
 * an anomaly is counted in @p counts. 0, or -1 when out of memory (then
 * @p ps is dropped and the slot is unchanged).
 */
int kreg__cache_slot_serve(struct kreg__cache_slot *slot, const char *pod,
                           enum kreg_action action, struct kreg__cache_psvc *ps,
                           uint64_t text_hash,
                           struct kreg__cache_counts *counts);

/* A new pod service holding @p svc (consumed, also on failure), one
 * reference; NULL when out of memory. */
struct kreg__cache_psvc *kreg__cache_psvc_new(struct kreg_service *svc);

/* Move counts->services from what snapshot @p old answers to what @p cur
 * does (either may be NULL), as @p cur replaces @p old. */
void kreg__cache_counts_swap(struct kreg__cache_counts *counts,
                             const struct kreg__cache_snap *old,
                             const struct kreg__cache_snap *cur);

/* ---- Diagnostics (cache.c) ---------------------------------------------*/

/* For kreg_metrics: the handle of @p c, the services its snapshots answer
 * with an instance and the pods its view holds, as of now. Any thread. */
const kreg *kreg__cache_sizes(const kreg_cache *c, uint64_t *services,
                              uint64_t *pods);

/* The counters of @p c, as of now. */
void kreg__cache_counts_read(kreg_cache *c, unsigned long *changes,
                             unsigned long *anomalies,
                             unsigned long *publishes);

#endif
