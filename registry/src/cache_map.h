/*
 * cache_map: a string-keyed hash map of pointers for the cache (internal).
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones), at most half full. Keys are borrowed: each must stay valid
 * and unchanged while it is in the map (the cache keys its slots by a
 * string the slot owns). A map nobody modifies may be read by any number
 * of threads at once: the cache publishes an immutable copy for readers
 * (kreg__cache_map_copy) and keeps modifying its own.
 */
#ifndef KREG_CACHE_MAP_H
#define KREG_CACHE_MAP_H

#include <stddef.h>
#include <stdint.h>

struct kreg__cache_map_slot {
    const char *key; /* NULL: empty */
    uint64_t hash;
    void *value;
};

struct kreg__cache_map {
    size_t count;
    size_t cap; /* a power of two, or 0 */
    struct kreg__cache_map_slot *slots;
};

/* The hash of @p key (FNV-1a, 64 bits). */
uint64_t kreg__cache_map_hash(const char *key);

/* An empty map; cannot fail (the table is made on the first put). */
void kreg__cache_map_init(struct kreg__cache_map *m);

/* Free the table (not the keys or values); @p m is left empty. */
void kreg__cache_map_release(struct kreg__cache_map *m);

/* The value of @p key (@p hash its kreg__cache_map_hash()), or NULL. */
void *kreg__cache_map_get(const struct kreg__cache_map *m, const char *key,
                          uint64_t hash);

/* Set @p key (borrowed) to @p value, replacing any value it had.
 * 0, or -1 when out of memory (then @p m is unchanged). */
int kreg__cache_map_put(struct kreg__cache_map *m, const char *key,
                        void *value);

/* Remove @p key, if it is there. */
void kreg__cache_map_del(struct kreg__cache_map *m, const char *key);

/* A new map (malloc'd, free it with kreg__cache_map_free) holding the
 * entries of @p m, keys still borrowed; NULL when out of memory. */
struct kreg__cache_map *kreg__cache_map_copy(const struct kreg__cache_map *m);

/* Free a map made by kreg__cache_map_copy(); NULL is a no-op. */
void kreg__cache_map_free(struct kreg__cache_map *m);

/* Iterate: start with *@p i = 0; returns the next value (and its key in
 * *@p key), or NULL at the end. The map must not change meanwhile. */
void *kreg__cache_map_next(const struct kreg__cache_map *m, size_t *i,
                           const char **key);

#endif
