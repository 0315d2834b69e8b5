#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kbuf.h"
#include "knum.h"

static void test_kbuf_empty_is_empty_string(void **state)
{
    struct kbuf b;

    (void)state;
    kbuf_init(&b, 16);
    assert_string_equal(kbuf_str(&b), "");
    assert_int_equal(kbuf_len(&b), 0);
    kbuf_release(&b);
}

static void test_kbuf_appends_and_formats(void **state)
{
    struct kbuf b;
    char *s;
    size_t len;

    (void)state;
    kbuf_init(&b, 1 << 20);
    assert_int_equal(kbuf_adds(&b, "ab"), KBUF_OK);
    assert_int_equal(kbuf_addc(&b, 'c'), KBUF_OK);
    assert_int_equal(kbuf_addf(&b, "-%d-%s", 42, "x"), KBUF_OK);
    assert_string_equal(kbuf_str(&b), "abc-42-x");
    /* a formatted string longer than the small stack buffer */
    assert_int_equal(kbuf_addf(&b, "%300s", "y"), KBUF_OK);
    assert_int_equal(kbuf_len(&b), 8 + 300);
    s = kbuf_detach(&b, &len);
    assert_int_equal(len, 308);
    assert_int_equal(s[307], 'y');
    assert_int_equal(kbuf_len(&b), 0);
    free(s);
    kbuf_release(&b);
}

static void test_kbuf_keeps_embedded_nul(void **state)
{
    struct kbuf b;

    (void)state;
    kbuf_init(&b, 16);
    assert_int_equal(kbuf_add(&b, "a\0b", 3), KBUF_OK);
    assert_int_equal(kbuf_len(&b), 3);
    assert_memory_equal(kbuf_str(&b), "a\0b", 3);
    kbuf_release(&b);
}

static void test_kbuf_cap_releases_on_overflow(void **state)
{
    struct kbuf b;

    (void)state;
    kbuf_init(&b, 4);
    assert_int_equal(kbuf_adds(&b, "abcd"), KBUF_OK);
    assert_int_equal(kbuf_addc(&b, 'e'), KBUF_E_TOOBIG);
    assert_int_equal(kbuf_len(&b), 0);
    assert_string_equal(kbuf_str(&b), "");
    /* still usable after the failure */
    assert_int_equal(kbuf_adds(&b, "xy"), KBUF_OK);
    assert_string_equal(kbuf_str(&b), "xy");
    kbuf_truncate(&b, 1);
    assert_string_equal(kbuf_str(&b), "x");
    kbuf_release(&b);
}

/* A reserve makes room without changing the contents, keeps the cap, and
 * leaves an empty buffer an empty string. */
static void test_kbuf_reserve(void **state)
{
    struct kbuf b;
    const char *before;

    (void)state;
    kbuf_init(&b, 64);
    assert_int_equal(kbuf_reserve(&b, 40), KBUF_OK);
    assert_string_equal(kbuf_str(&b), "");
    assert_int_equal(kbuf_adds(&b, "abc"), KBUF_OK);
    before = kbuf_str(&b);
    /* within the reserve: no reallocation */
    assert_int_equal(kbuf_add(&b, "0123456789012345678901234567890123456", 37),
                     KBUF_OK);
    assert_ptr_equal(kbuf_str(&b), before);
    assert_int_equal(kbuf_len(&b), 40);
    assert_int_equal(kbuf_reserve(&b, 24), KBUF_OK);
    assert_memory_equal(kbuf_str(&b), "abc0", 4);
    /* past the cap: refused and released, like an append */
    assert_int_equal(kbuf_reserve(&b, 25), KBUF_E_TOOBIG);
    assert_int_equal(kbuf_len(&b), 0);
    assert_string_equal(kbuf_str(&b), "");
    kbuf_release(&b);
}

static void test_knum_rejects_garbage_and_overflow(void **state)
{
    int64_t i;
    uint64_t u;

    (void)state;
    assert_true(knum_i64("-42", &i));
    assert_int_equal(i, -42);
    assert_true(knum_i64("-9223372036854775808", &i));
    assert_true(i == INT64_MIN);
    assert_false(knum_i64("9223372036854775808", &i));
    assert_false(knum_i64("", &i));
    assert_false(knum_i64("-", &i));
    assert_false(knum_i64("1x", &i));
    assert_false(knum_i64(" 1", &i));
    assert_false(knum_u64("-1", &u));
    assert_true(knum_u64("18446744073709551615", &u));
    assert_false(knum_u64("18446744073709551616", &u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kbuf_empty_is_empty_string),
        cmocka_unit_test(test_kbuf_appends_and_formats),
        cmocka_unit_test(test_kbuf_keeps_embedded_nul),
        cmocka_unit_test(test_kbuf_cap_releases_on_overflow),
        cmocka_unit_test(test_kbuf_reserve),
        cmocka_unit_test(test_knum_rejects_garbage_and_overflow),
    };
    return cmocka_run_group_tests_name("kbuf", tests, NULL, NULL);
}
