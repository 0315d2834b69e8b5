/*
 * obj: immutable, reference-counted object snapshots (pods, namespaces).
 *
 * A write builds a new snapshot: the jansson tree plus its serialized JSON
 * bytes, produced once; readers take a reference and never copy. GET
 * answers the cached bytes, a list concatenates them, a watch event wraps
 * them (design.md, "fakeapi internals"). After fakeapi__obj_new() the tree
 * is read-only: to change an object, deep-copy the tree.
 */
#ifndef FAKEAPI_OBJ_H
#define FAKEAPI_OBJ_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct fakeapi_obj {
    atomic_uint refs;
    json_t *json;        /* owned, read-only */
    char *bytes;         /* owned, compact JSON, NUL-terminated */
    size_t len;
    uint64_t rv;         /* metadata.resourceVersion as a number */
    const char *ns;      /* borrowed from json; "" when cluster-scoped */
    const char *name;    /* borrowed from json */
    json_t *labels;       /* borrowed from json, or NULL; read-only */
    char *key;           /* owned "ns/name" (or "name"), the list order */
};

/* Snapshot @p json (consumed, even on failure); one reference, or NULL
 * when out of memory. */
struct fakeapi_obj *fakeapi__obj_new(json_t *json);

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

void objvec_init(struct objvec *ov);
/* Append taking a new reference; 0 or -1 when out of memory. */
int objvec_push(struct objvec *ov, struct fakeapi_obj *o);
/* Drop every reference and free the array. */
void objvec_release(struct objvec *ov);

#endif
