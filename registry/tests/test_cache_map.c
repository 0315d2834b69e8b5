/*
 * The cache's hash map finds what was put, forgets what was deleted
 * (backward-shift deletion keeps every probe run whole), and a copy is
 * independent of the map it was taken from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache_map.h"

#define KEYS 64

struct keys {
    char text[KEYS][16];
};

static int setup(void **state)
{
    struct keys *k = calloc(1, sizeof(*k));
    size_t i;

    if (!k)
        return -1;
    for (i = 0; i < KEYS; i++)
        snprintf(k->text[i], sizeof(k->text[i]), "key-%zu", i);
    *state = k;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void *get(const struct kreg__cache_map *m, const char *key)
{
    return kreg__cache_map_get(m, key, kreg__cache_map_hash(key));
}

static void test_cache_map_empty_finds_nothing(void **state)
{
    struct kreg__cache_map m;
    const char *key;
    size_t i = 0;

    (void)state;
    kreg__cache_map_init(&m);
    assert_null(get(&m, "a"));
    kreg__cache_map_del(&m, "a");
    assert_null(kreg__cache_map_next(&m, &i, &key));
    kreg__cache_map_release(&m);
}

static void test_cache_map_put_replaces_and_del_forgets(void **state)
{
    struct kreg__cache_map m;
    int a = 1;
    int b = 2;

    (void)state;
    kreg__cache_map_init(&m);
    assert_int_equal(kreg__cache_map_put(&m, "x", &a), 0);
    assert_ptr_equal(get(&m, "x"), &a);
    assert_int_equal(kreg__cache_map_put(&m, "x", &b), 0);
    assert_ptr_equal(get(&m, "x"), &b);
    assert_int_equal(m.count, 1);
    kreg__cache_map_del(&m, "x");
    assert_null(get(&m, "x"));
    assert_int_equal(m.count, 0);
    kreg__cache_map_release(&m);
}

/* Random puts and deletes over 64 keys, checked against a plain array
 * after every step: a deletion that broke a probe run would lose a key. */
static void test_cache_map_matches_a_reference_under_churn(void **state)
{
    struct keys *k = *state;
    struct kreg__cache_map m;
    int values[KEYS];
    bool in[KEYS];
    unsigned seed = 12345u;
    size_t step;
    size_t i;

    memset(in, 0, sizeof(in));
    kreg__cache_map_init(&m);
    for (step = 0; step < 20000; step++) {
        size_t n = 0;

        seed = seed * 1103515245u + 12345u;
        i = (seed >> 16) % KEYS;
        if ((seed >> 8) & 1) {
            values[i] = (int)step;
            assert_int_equal(kreg__cache_map_put(&m, k->text[i], &values[i]),
                             0);
            in[i] = true;
        } else {
            kreg__cache_map_del(&m, k->text[i]);
            in[i] = false;
        }
        for (i = 0; i < KEYS; i++) {
            assert_ptr_equal(get(&m, k->text[i]), in[i] ? &values[i] : NULL);
            n += in[i];
        }
        assert_int_equal(m.count, n);
        assert_true(m.count * 2 <= m.cap);
    }
    kreg__cache_map_release(&m);
}

static void test_cache_map_copy_is_independent(void **state)
{
    struct keys *k = *state;
    struct kreg__cache_map m;
    struct kreg__cache_map *c;
    int v[KEYS];
    const char *key;
    size_t seen = 0;
    size_t i;

    kreg__cache_map_init(&m);
    for (i = 0; i < KEYS; i++)
        assert_int_equal(kreg__cache_map_put(&m, k->text[i], &v[i]), 0);
    c = kreg__cache_map_copy(&m);
    assert_non_null(c);
    for (i = 0; i < KEYS; i += 2)
        kreg__cache_map_del(&m, k->text[i]);
    for (i = 0; i < KEYS; i++) {
        assert_ptr_equal(get(c, k->text[i]), &v[i]);
        assert_ptr_equal(get(&m, k->text[i]), i % 2 ? &v[i] : NULL);
    }
    /* iteration visits each entry once */
    i = 0;
    while (kreg__cache_map_next(c, &i, &key)) {
        assert_non_null(get(c, key));
        seen++;
    }
    assert_int_equal(seen, KEYS);
    kreg__cache_map_free(c);
    kreg__cache_map_free(NULL);
    kreg__cache_map_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_map_empty_finds_nothing),
        cmocka_unit_test(test_cache_map_put_replaces_and_del_forgets),
        cmocka_unit_test_setup_teardown(
            test_cache_map_matches_a_reference_under_churn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_map_copy_is_independent,
                                        setup, teardown),
    };

    return cmocka_run_group_tests_name("cache_map", tests, NULL, NULL);
}
