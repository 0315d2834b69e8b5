/*
 * hmap: a string-keyed hash map (open addressing, linear probing, FNV-1a)
 * from NUL-terminated keys to pointers. The map copies keys and never owns
 * values. Not thread-safe: the store's lock guards every map.
 */
#ifndef FAKEAPI_HMAP_H
#define FAKEAPI_HMAP_H

#include <stdbool.h>
#include <stddef.h>

struct hmap_slot {
    char *key; /* owned copy; NULL = empty */
    size_t hash;
    void *value;
    bool tomb; /* deleted marker (key NULL) */
};

struct hmap {
    struct hmap_slot *slots;
    size_t cap;   /* power of two or 0 */
    size_t count; /* live keys */
    size_t used;  /* live keys + tombstones */
};

void fakeapi__hmap_init(struct hmap *m);

/* Free the slots and key copies (values are the caller's). */
void fakeapi__hmap_release(struct hmap *m);

/* The value for @p key, or NULL. */
void *fakeapi__hmap_get(const struct hmap *m, const char *key);

/* Insert or replace; returns 0, or -1 when out of memory (map unchanged).
 * @p old (optional) receives the replaced value or NULL. */
int fakeapi__hmap_put(struct hmap *m, const char *key, void *value, void **old);

/* Remove @p key; returns its value or NULL. */
void *fakeapi__hmap_del(struct hmap *m, const char *key);

/* Iterate: start with *pos = 0; returns false at the end. */
bool fakeapi__hmap_next(const struct hmap *m, size_t *pos, const char **key,
                        void **value);

#endif
