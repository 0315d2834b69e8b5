/*
 * e2e_cache: what the kreg_cache end-to-end tests (test_e2e_cache.c, the
 * cache half of test_e2e_chaos.c) share. Header-only, like e2e.h; include
 * it after e2e.h.
 *
 * A struct e2e_seen records what a cache's callbacks reported, under a mutex
 * with a condition variable, so that a test waits for a report instead of
 * sleeping. Answers are compared as text: the code, then each service as
 * kreg_service_encode() writes it.
 */
#ifndef KREG_TESTS_E2E_CACHE_H
#define KREG_TESTS_E2E_CACHE_H

#include <pthread.h>
#include <time.h>

#include "e2e.h"
#include "kbuf.h"

/* ---- What the callbacks saw --------------------------------------------*/

struct e2e_seen {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned changes;   /* on_change calls */
    unsigned named;     /* ... with a name */
    unsigned stale;     /* e2e_seen_stale(true) calls */
    unsigned fresh;     /* e2e_seen_stale(false) calls */
    uint64_t stale_age; /* the age the last e2e_seen_stale(true) gave */
    unsigned skips;     /* on_skip calls */
    char skip_why[256]; /* the last one's reason */
    char skip_key[128]; /* ... and key */
};

static inline void e2e_seen_init(struct e2e_seen *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
}

static inline void e2e_seen_release(struct e2e_seen *s)
{
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
}

static inline void e2e_seen_change(void *ctx, const char *name)
{
    struct e2e_seen *s = ctx;

    pthread_mutex_lock(&s->mu);
    s->changes++;
    s->named += name != NULL;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static inline void e2e_seen_stale(void *ctx, bool stale, uint64_t age_ms)
{
    struct e2e_seen *s = ctx;

    pthread_mutex_lock(&s->mu);
    if (stale) {
        s->stale++;
        s->stale_age = age_ms;
    } else {
        s->fresh++;
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static inline void e2e_seen_skip(void *ctx, const char *pod, const char *key,
                                 const char *why)
{
    struct e2e_seen *s = ctx;

    (void)pod;
    pthread_mutex_lock(&s->mu);
    s->skips++;
    snprintf(s->skip_why, sizeof(s->skip_why), "%s", why);
    snprintf(s->skip_key, sizeof(s->skip_key), "%s", key);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* The guard's deadline for pthread_cond_timedwait (CLOCK_REALTIME). */
static inline struct timespec e2e_guard_deadline(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += E2E_GUARD_MS / 1000;
    return ts;
}

/* Wait until *@p counter (a member of @p s) exceeds @p than. */
static inline void e2e_seen_wait(struct e2e_seen *s, const unsigned *counter,
                                 unsigned than, const char *what)
{
    struct timespec ts = e2e_guard_deadline();

    pthread_mutex_lock(&s->mu);
    while (*counter <= than)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0)
            break;
    pthread_mutex_unlock(&s->mu);
    if (*counter <= than)
        fail_msg("no %s within %d ms", what, E2E_GUARD_MS);
}

/* ---- Answers -------------------------------------------------------------*/

/* An answer as text: the code, then each service as kreg_service_encode()
 * writes it (new string). */
static inline char *e2e_answer_text(int rc, const struct kreg_service_list *l)
{
    struct kbuf b;
    size_t i;

    kbuf_init(&b, (size_t)64 << 20);
    kbuf_addf(&b, "%s", kreg_strerror(rc));
    for (i = 0; rc == KREG_OK && i < l->count; i++) {
        char *json = NULL;

        assert_int_equal(
            kreg_service_encode(l->items[i], KREG_WIRE_V2, &json, NULL, NULL),
            KREG_OK);
        kbuf_addf(&b, "\n%s", json);
        free(json);
    }
    assert_true(kbuf_len(&b) > 0);
    return kbuf_detach(&b, NULL);
}

/* kreg_get_service_q() with @p q (NULL: none), as text. */
static inline char *e2e_server_answer_q(kreg *r, const char *name,
                                        const struct kreg_query *q)
{
    struct kreg_service_list *l = NULL;
    char *text;
    int rc;

    rc = kreg_get_service_q(r, name, q, KREG_QUERY_SIZE, &l, NULL);
    text = e2e_answer_text(rc, l);
    kreg_service_list_free(l);
    return text;
}

/* kreg_get_service_q() with @p ready_only, as text. */
static inline char *e2e_server_answer(kreg *r, const char *name,
                                      bool ready_only)
{
    struct kreg_query q;

    memset(&q, 0, sizeof(q));
    q.ready_only = ready_only;
    return e2e_server_answer_q(r, name, &q);
}

/* kreg_cache_get(), as text. */
static inline char *e2e_cache_answer(kreg_cache *c, const char *name)
{
    const struct kreg_service_list *l = NULL;
    int rc = kreg_cache_get(c, name, &l, NULL);
    char *text = e2e_answer_text(rc, l);

    kreg_cache_list_free(l);
    return text;
}

/* Whether the cache answers as kreg_get_service_q() with @p q for every
 * name of @p names (NULL-terminated); on a difference *@p diff says which
 * (new). */
static inline bool e2e_same_answers_q(kreg *r, kreg_cache *c,
                                      const char *const *names,
                                      const struct kreg_query *q, char **diff)
{
    for (; *names; names++) {
        char *want = e2e_server_answer_q(r, *names, q);
        char *got = e2e_cache_answer(c, *names);
        bool same = strcmp(want, got) == 0;

        if (!same && diff) {
            size_t n = strlen(want) + strlen(got) + strlen(*names) + 64;

            free(*diff);
            *diff = malloc(n);
            assert_non_null(*diff);
            snprintf(*diff, n, "%s: server:\n%s\ncache:\n%s", *names, want,
                     got);
        }
        free(want);
        free(got);
        if (!same)
            return false;
    }
    return true;
}

/* e2e_same_answers_q() with only @p ready_only. */
static inline bool e2e_same_answers(kreg *r, kreg_cache *c,
                                    const char *const *names, bool ready_only,
                                    char **diff)
{
    struct kreg_query q;

    memset(&q, 0, sizeof(q));
    q.ready_only = ready_only;
    return e2e_same_answers_q(r, c, names, &q, diff);
}

/* Wait until the cache answers as kreg_get_service_q() with @p q for
 * @p names, re-checking after each on_change; fail with the difference
 * after the guard. */
static inline void e2e_wait_same_q(struct e2e_seen *s, kreg *r, kreg_cache *c,
                                   const char *const *names,
                                   const struct kreg_query *q)
{
    struct timespec ts = e2e_guard_deadline();
    char *diff = NULL;

    for (;;) {
        unsigned gen;
        int rc = 0;

        pthread_mutex_lock(&s->mu);
        gen = s->changes;
        pthread_mutex_unlock(&s->mu);
        if (e2e_same_answers_q(r, c, names, q, &diff))
            break;
        pthread_mutex_lock(&s->mu);
        while (s->changes == gen && rc == 0)
            rc = pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        pthread_mutex_unlock(&s->mu);
        if (rc != 0)
            fail_msg("the cache does not answer as the server: %s", diff);
    }
    free(diff);
}

/* e2e_wait_same_q() with only @p ready_only. */
static inline void e2e_wait_same(struct e2e_seen *s, kreg *r, kreg_cache *c,
                                 const char *const *names, bool ready_only)
{
    struct kreg_query q;

    memset(&q, 0, sizeof(q));
    q.ready_only = ready_only;
    e2e_wait_same_q(s, r, c, names, &q);
}

#endif
