/*
 * cache_map: the cache's string-keyed hash map (see cache_map.h).
 */
#include "cache_map.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The first table; it doubles when it would be more than half full. */
#define FIRST_CAP 16

uint64_t kreg__cache_map_hash(const char *key)
{
    uint64_t h = 0xcbf29ce484222325u;

    for (; *key; key++) {
        h ^= (unsigned char)*key;
        h *= 0x100000001b3u;
    }
    return h;
}

void kreg__cache_map_init(struct kreg__cache_map *m)
{
    memset(m, 0, sizeof(*m));
}

void kreg__cache_map_release(struct kreg__cache_map *m)
{
    free(m->slots);
    kreg__cache_map_init(m);
}

/* The slot holding @p key, or the empty one where it would go. */
static size_t find(const struct kreg__cache_map *m, const char *key,
                   uint64_t hash)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash & mask;

    while (m->slots[i].key &&
           (m->slots[i].hash != hash || strcmp(m->slots[i].key, key) != 0))
        i = (i + 1) & mask;
    return i;
}

void *kreg__cache_map_get(const struct kreg__cache_map *m, const char *key,
                          uint64_t hash)
{
    size_t i;

    if (m->count == 0)
        return NULL;
    i = find(m, key, hash);
    return m->slots[i].key ? m->slots[i].value : NULL;
}

/* Move every entry to a table of @p cap slots. 0, or -1. */
static int grow(struct kreg__cache_map *m, size_t cap)
{
    struct kreg__cache_map bigger = {m->count, cap, NULL};
    size_t i;

    bigger.slots = calloc(cap, sizeof(*bigger.slots));
    if (!bigger.slots)
        return -1;
    for (i = 0; i < m->cap; i++) {
        if (m->slots[i].key)
            bigger.slots[find(&bigger, m->slots[i].key, m->slots[i].hash)] =
                m->slots[i];
    }
    free(m->slots);
    *m = bigger;
    return 0;
}

int kreg__cache_map_put(struct kreg__cache_map *m, const char *key, void *value)
{
    uint64_t hash = kreg__cache_map_hash(key);
    size_t i;

    if ((m->count + 1) * 2 > m->cap &&
        grow(m, m->cap ? m->cap * 2 : FIRST_CAP) != 0)
        return -1;
    i = find(m, key, hash);
    if (!m->slots[i].key)
        m->count++;
    m->slots[i].key = key;
    m->slots[i].hash = hash;
    m->slots[i].value = value;
    return 0;
}

/* Whether home slot @p h lies cyclically in (@p from, @p to]. */
static bool between(size_t from, size_t h, size_t to)
{
    return from <= to ? from < h && h <= to : from < h || h <= to;
}

void kreg__cache_map_del(struct kreg__cache_map *m, const char *key)
{
    size_t mask = m->cap - 1;
    size_t hole;
    size_t j;

    if (m->count == 0)
        return;
    hole = find(m, key, kreg__cache_map_hash(key));
    if (!m->slots[hole].key)
        return;
    /* backward shift: pull back each later entry of the run that may
     * live in the hole (its home is not between the hole and it) */
    for (j = (hole + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = (size_t)m->slots[j].hash & mask;

        if (!between(hole, home, j)) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    memset(&m->slots[hole], 0, sizeof(m->slots[hole]));
    m->count--;
}

struct kreg__cache_map *kreg__cache_map_copy(const struct kreg__cache_map *m)
{
    struct kreg__cache_map *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    *c = *m;
    c->slots = NULL;
    if (m->cap == 0)
        return c;
    c->slots = malloc(m->cap * sizeof(*c->slots));
    if (!c->slots) {
        free(c);
        return NULL;
    }
    memcpy(c->slots, m->slots, m->cap * sizeof(*c->slots));
    return c;
}

void kreg__cache_map_free(struct kreg__cache_map *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m);
}

void *kreg__cache_map_next(const struct kreg__cache_map *m, size_t *i,
                           const char **key)
{
    for (; *i < m->cap; (*i)++) {
        if (m->slots[*i].key) {
            *key = m->slots[*i].key;
            return m->slots[(*i)++].value;
        }
    }
    return NULL;
}
