/*
 * test_quantity: resource quantities parsed as ParseQuantity reads them
 * (quantity.h), as QoS classes and decode errors depend on them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pod/quantity.h"

static struct fakeapi_quantity q_of(const char *s)
{
    struct fakeapi_quantity q;

    memset(&q, 0, sizeof(q));
    if (fakeapi__quantity_parse(s, strlen(s), &q) != FAKEAPI_QTY_OK)
        fail_msg("cannot parse %s", s);
    return q;
}

static void assert_qty(const char *s, uint64_t whole, uint32_t nano, bool neg)
{
    struct fakeapi_quantity q = q_of(s);

    assert_int_equal(q.whole, whole);
    assert_int_equal(q.nano, nano);
    assert_int_equal(q.neg, neg);
}

static int parse_rc(const char *s)
{
    struct fakeapi_quantity q;

    return fakeapi__quantity_parse(s, strlen(s), &q);
}

static void test_quantity_parses_decimal_suffixes(void **state)
{
    (void)state;
    assert_qty("1", 1, 0, false);
    assert_qty("100m", 0, 100000000, false);
    assert_qty("1.5", 1, 500000000, false);
    assert_qty("2k", 2000, 0, false);
    assert_qty("3M", 3000000, 0, false);
    assert_qty("1E", 1000000000000000000ULL, 0, false);
    assert_qty("5n", 0, 5, false);
    assert_qty("7u", 0, 7000, false);
    assert_qty("-2", 2, 0, true);
    assert_qty("+2", 2, 0, false);
    assert_qty(" 0 ", 0, 0, false);
}

static void test_quantity_parses_binary_suffixes(void **state)
{
    (void)state;
    assert_qty("1Ki", 1024, 0, false);
    assert_qty("1Gi", 1073741824ULL, 0, false);
    assert_qty("0.5Gi", 536870912ULL, 0, false);
    assert_qty("1Ei", 1152921504606846976ULL, 0, false);
}

static void test_quantity_parses_exponents(void **state)
{
    (void)state;
    assert_qty("1e3", 1000, 0, false);
    assert_qty("12E-3", 0, 12000000, false);
    assert_qty("1.5e+2", 150, 0, false);
}

static void test_quantity_rounds_up_below_a_nano_unit(void **state)
{
    (void)state;
    assert_qty("0.1n", 0, 1, false);
    assert_qty("1.0000000001", 1, 1, false);
}

static void test_quantity_saturates_huge_values(void **state)
{
    (void)state;
    assert_qty("100000000000000000000000", UINT64_MAX, 999999999, false);
    assert_qty("1e100", UINT64_MAX, 999999999, false);
    assert_qty("1e9223372036854775807", UINT64_MAX, 999999999, false);
    assert_qty("1e-9223372036854775807", 0, 1, false);
}

static void test_quantity_rejects_malformed_text(void **state)
{
    (void)state;
    assert_int_equal(parse_rc(""), FAKEAPI_QTY_E_FORMAT);
    assert_int_equal(parse_rc("lots"), FAKEAPI_QTY_E_FORMAT);
    assert_int_equal(parse_rc("1.2.3"), FAKEAPI_QTY_E_FORMAT);
    assert_int_equal(parse_rc("1Qi"), FAKEAPI_QTY_E_FORMAT);
    assert_int_equal(parse_rc("1 Gi"), FAKEAPI_QTY_E_FORMAT);
}

static void test_quantity_rejects_unknown_suffix(void **state)
{
    (void)state;
    assert_int_equal(parse_rc("1ki"), FAKEAPI_QTY_E_SUFFIX);
    assert_int_equal(parse_rc("1e"), FAKEAPI_QTY_E_SUFFIX);
    assert_int_equal(parse_rc("1mi"), FAKEAPI_QTY_E_SUFFIX);
}

static void test_quantity_compares_equal_values_equal(void **state)
{
    struct fakeapi_quantity a = q_of("1");
    struct fakeapi_quantity b = q_of("1000m");
    struct fakeapi_quantity c = q_of("1Gi");
    struct fakeapi_quantity d = q_of("1073741824");
    struct fakeapi_quantity e = q_of("1G");

    (void)state;
    assert_int_equal(fakeapi__quantity_cmp(&a, &b), 0);
    assert_int_equal(fakeapi__quantity_cmp(&c, &d), 0);
    assert_true(fakeapi__quantity_cmp(&e, &c) < 0);
    assert_true(fakeapi__quantity_cmp(&c, &e) > 0);
}

static void test_quantity_orders_negative_values_first(void **state)
{
    struct fakeapi_quantity n = q_of("-1");
    struct fakeapi_quantity m = q_of("-2");
    struct fakeapi_quantity z = q_of("0");

    (void)state;
    assert_true(fakeapi__quantity_cmp(&n, &z) < 0);
    assert_true(fakeapi__quantity_cmp(&m, &n) < 0);
    assert_false(fakeapi__quantity_is_positive(&n));
    assert_false(fakeapi__quantity_is_positive(&z));
    assert_false(q_of("-0").neg);
}

static void test_quantity_adds_with_carry(void **state)
{
    struct fakeapi_quantity acc = q_of("500m");
    struct fakeapi_quantity q = q_of("700m");
    struct fakeapi_quantity big = q_of("1e30");

    (void)state;
    fakeapi__quantity_add(&acc, &q);
    assert_int_equal(acc.whole, 1);
    assert_int_equal(acc.nano, 200000000);
    fakeapi__quantity_add(&acc, &big);
    assert_int_equal(acc.whole, UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantity_parses_decimal_suffixes),
        cmocka_unit_test(test_quantity_parses_binary_suffixes),
        cmocka_unit_test(test_quantity_parses_exponents),
        cmocka_unit_test(test_quantity_rounds_up_below_a_nano_unit),
        cmocka_unit_test(test_quantity_saturates_huge_values),
        cmocka_unit_test(test_quantity_rejects_malformed_text),
        cmocka_unit_test(test_quantity_rejects_unknown_suffix),
        cmocka_unit_test(test_quantity_compares_equal_values_equal),
        cmocka_unit_test(test_quantity_orders_negative_values_first),
        cmocka_unit_test(test_quantity_adds_with_carry),
    };

    return cmocka_run_group_tests_name("quantity", tests, NULL, NULL);
}
