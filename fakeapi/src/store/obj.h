/*
 * obj: immutable, reference-counted object snapshots (pods, namespaces).
 *
 * A write builds a new snapshot: the serialized JSON bytes, produced once,
 * plus what selectors and indexes read (name, namespace, sorted labels,
 * the selectable fields) in one compact allocation; readers take a
 * reference and never copy. GET answers the cached bytes, a list
 * concatenates them, a watch event wraps them (docs/architecture.md, Store).
 *
 * The jansson tree is not kept: at 10,000 pods it would cost several times
 * the bytes. Writers (patch, update, delete) get a private tree with
 * fakeapi__obj_tree(), which parses the bytes (tens of microseconds).
 */
#ifndef FAKEAPI_OBJ_H
#define FAKEAPI_OBJ_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kbuf.h"
#include "select/selector.h"

struct fakeapi_obj {
    atomic_uint refs;
    char *bytes; /* owned, compact JSON, NUL-terminated */
    size_t len;
    size_t meta_off;  /* the value of "metadata" is bytes[meta_off..] */
    size_t meta_len;  /* of length meta_len (0: no metadata) */
    uint64_t rv;      /* metadata.resourceVersion as a number */
    size_t rv_off;    /* its value, quotes included, is bytes[rv_off..] */
    size_t rv_len;    /* of length rv_len (0: no resourceVersion) */
    const char *ns;   /* in arena; "" when cluster-scoped */
    const char *name; /* in arena */
    const char *key;  /* in arena: "ns/name" (or "name"), list order */
    struct fakeapi_labels labels; /* in arena, sorted by key */
    struct fakeapi_fields fields; /* in arena */
    char *arena; /* owned: everything above marked "in arena" */
};

/* Snapshot @p json (consumed, even on failure); one reference, or NULL
 * when out of memory. */
struct fakeapi_obj *fakeapi__obj_new(json_t *json);

/*
 * Rewrite the resourceVersion in the bytes of @p o, a snapshot no one else
 * holds yet (built by fakeapi__obj_new() with a metadata.resourceVersion
 * string): a write builds its snapshot before it takes the store's write
 * lock and gives it the version under the lock, a copy of the tail of the
 * bytes. 0, or -1 with @p o unchanged: out of memory, or no
 * resourceVersion.
 */
int fakeapi__obj_set_rv(struct fakeapi_obj *o, uint64_t rv);

/* A private, mutable copy of the full object (new reference), or NULL
 * when out of memory (checked to dump back to the snapshot's bytes). */
json_t *fakeapi__obj_tree(const struct fakeapi_obj *o);

/* Append @p o as a meta.k8s.io/@p version PartialObjectMetadata (kind,
 * apiVersion and its metadata bytes) to @p b; KBUF_OK or a KBUF_E_*. */
int fakeapi__obj_partial(const struct fakeapi_obj *o, const char *version,
                         struct kbuf *b);

/* Take one more reference; returns @p o. */
struct fakeapi_obj *fakeapi__obj_ref(struct fakeapi_obj *o);

/* Drop a reference; the last one frees the snapshot. NULL is a no-op. */
void fakeapi__obj_unref(struct fakeapi_obj *o);

/* A growable vector of references (each element holds one). */
struct objvec {
    struct fakeapi_obj **v;
    size_t n;
    size_t cap;
};

void fakeapi__objvec_init(struct objvec *ov);
/* Append taking a new reference; 0 or -1 when out of memory. */
int fakeapi__objvec_push(struct objvec *ov, struct fakeapi_obj *o);
/* Drop every reference and free the array. */
void fakeapi__objvec_release(struct objvec *ov);

#endif
