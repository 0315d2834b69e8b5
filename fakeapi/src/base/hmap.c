#include "base/hmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

void fakeapi__hmap_init(struct hmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
    m->used = 0;
}

void fakeapi__hmap_release(struct hmap *m)
{
    size_t i;

    for (i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    fakeapi__hmap_init(m);
}

static struct hmap_slot *find(const struct hmap *m, const char *key, size_t h)
{
    size_t mask = m->cap - 1;
    size_t i;

    if (m->cap == 0)
        return NULL;
    for (i = h & mask;; i = (i + 1) & mask) {
        struct hmap_slot *s = &m->slots[i];

        if (!s->key && !s->tomb)
            return NULL;
        if (s->key && s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
}

void *fakeapi__hmap_get(const struct hmap *m, const char *key)
{
    struct hmap_slot *s = find(m, key, hash_str(key));

    return s ? s->value : NULL;
}

static int rehash(struct hmap *m, size_t cap)
{
    struct hmap_slot *slots = calloc(cap, sizeof(*slots));
    size_t i;

    if (!slots)
        return -1;
    for (i = 0; i < m->cap; i++) {
        struct hmap_slot *s = &m->slots[i];
        size_t j;

        if (!s->key)
            continue;
        for (j = s->hash & (cap - 1); slots[j].key; j = (j + 1) & (cap - 1))
            ;
        slots[j] = *s;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    m->used = m->count;
    return 0;
}

int fakeapi__hmap_put(struct hmap *m, const char *key, void *value, void **old)
{
    size_t h = hash_str(key);
    struct hmap_slot *s = find(m, key, h);
    size_t i;
    char *copy;

    if (old)
        *old = NULL;
    if (s) {
        if (old)
            *old = s->value;
        s->value = value;
        return 0;
    }
    if ((m->used + 1) * 4 >= m->cap * 3 &&
        rehash(m, m->cap ? (m->count * 2 >= m->cap ? m->cap * 2 : m->cap)
                         : 16) != 0)
        return -1;
    copy = strdup(key);
    if (!copy)
        return -1;
    for (i = h & (m->cap - 1); m->slots[i].key; i = (i + 1) & (m->cap - 1))
        ;
    if (!m->slots[i].tomb)
        m->used++;
    m->slots[i].key = copy;
    m->slots[i].hash = h;
    m->slots[i].value = value;
    m->slots[i].tomb = false;
    m->count++;
    return 0;
}

void *fakeapi__hmap_del(struct hmap *m, const char *key)
{
    struct hmap_slot *s = find(m, key, hash_str(key));
    void *v;

    if (!s)
        return NULL;
    v = s->value;
    free(s->key);
    s->key = NULL;
    s->value = NULL;
    s->tomb = true;
    m->count--;
    return v;
}

bool fakeapi__hmap_next(const struct hmap *m, size_t *pos, const char **key,
                        void **value)
{
    while (*pos < m->cap) {
        struct hmap_slot *s = &m->slots[(*pos)++];

        if (s->key) {
            if (key)
                *key = s->key;
            if (value)
                *value = s->value;
            return true;
        }
    }
    return false;
}
