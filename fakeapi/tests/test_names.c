/*
 * test_names: the k8s name and label syntax checks (fakeapi/src/names.c),
 * messages compared word for word with k8s.io/apimachinery
 * pkg/util/validation (docs/kubernetes-api.md, Validation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/names.h"

#define QNAME_RULE                                                             \
    "must consist of alphanumeric characters, '-', '_' or '.', and must "      \
    "start and end with an alphanumeric character (e.g. 'MyName',  or "        \
    "'my.name',  or '123-abc', regex used for validation is "                  \
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define NAME_PART_RULE "name part " QNAME_RULE
#define SUBDOMAIN_RULE                                                         \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "  \
    "characters, '-' or '.', and must start and end with an alphanumeric "     \
    "character (e.g. 'example.com', regex used for validation is "             \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_VALUE_RULE                                                       \
    "a valid label must be an empty string or consist of alphanumeric "        \
    "characters, '-', '_' or '.', and must start and end with an "             \
    "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "    \
    "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?"             \
    "[A-Za-z0-9])?')"
#define DNS_LABEL_RULE                                                         \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric "      \
    "characters or '-', and must start and end with an alphanumeric "          \
    "character (e.g. 'my-name',  or '123-abc', regex used for validation "     \
    "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

/* Run @p check on the NUL-terminated @p s and compare every message with
 * the NULL-terminated list @p want (in order). */
static void expect(size_t (*check)(const char *, size_t, json_t *),
                   const char *s, const char *const *want)
{
    json_t *msgs = json_array();
    size_t n;
    size_t i;

    assert_non_null(msgs);
    n = check(s, strlen(s), msgs);
    assert_int_equal(n, json_array_size(msgs));
    for (i = 0; want[i]; i++) {
        assert_true(i < n);
        assert_string_equal(json_string_value(json_array_get(msgs, i)),
                            want[i]);
    }
    assert_int_equal(i, n);
    json_decref(msgs);
}

static void expect_valid(size_t (*check)(const char *, size_t, json_t *),
                         const char *s)
{
    assert_int_equal(check(s, strlen(s), NULL), 0);
}

/* A string of @p n copies of @p c, in @p buf (at least n + 1 bytes). */
static const char *repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

static void test_names_qualified_name_accepts_plain_and_prefixed(void **state)
{
    (void)state;
    expect_valid(fakeapi__check_qualified_name, "a");
    expect_valid(fakeapi__check_qualified_name, "app.kubernetes.io/name");
    expect_valid(fakeapi__check_qualified_name, "example.com/MyName");
    expect_valid(fakeapi__check_qualified_name, "A_b.c-9");
}

static void test_names_qualified_name_allows_upper_case_name_part(void **state)
{
    (void)state;
    expect_valid(fakeapi__check_qualified_name, "App");
    expect_valid(fakeapi__check_qualified_name, "k8s.io/Tier");
}

static void test_names_qualified_name_rejects_upper_case_prefix(void **state)
{
    static const char *const want[] = {"prefix part " SUBDOMAIN_RULE, NULL};

    (void)state;
    expect(fakeapi__check_qualified_name, "Example.com/app", want);
}

static void test_names_qualified_name_rejects_bad_edges(void **state)
{
    static const char *const want[] = {NAME_PART_RULE, NULL};

    (void)state;
    expect(fakeapi__check_qualified_name, "-app", want);
    expect(fakeapi__check_qualified_name, "app-", want);
    expect(fakeapi__check_qualified_name, "_app", want);
    expect(fakeapi__check_qualified_name, "a b", want);
    expect(fakeapi__check_qualified_name, "x/a@b", want);
}

static void test_names_qualified_name_rejects_two_slashes(void **state)
{
    static const char *const want[] = {
        "a valid label key " QNAME_RULE " with an optional DNS subdomain "
        "prefix and '/' (e.g. 'example.com/MyName')",
        NULL};

    (void)state;
    expect(fakeapi__check_qualified_name, "a/b/c", want);
    expect(fakeapi__check_qualified_name, "//", want);
}

static void test_names_qualified_name_reports_empty_name_twice(void **state)
{
    static const char *const want[] = {"name part must be non-empty",
                                       NAME_PART_RULE, NULL};

    (void)state;
    expect(fakeapi__check_qualified_name, "", want);
    expect(fakeapi__check_qualified_name, "example.com/", want);
}

static void test_names_qualified_name_rejects_empty_prefix(void **state)
{
    static const char *const want[] = {"prefix part must be non-empty", NULL};
    static const char *const both[] = {"prefix part must be non-empty",
                                       "name part must be non-empty",
                                       NAME_PART_RULE, NULL};

    (void)state;
    expect(fakeapi__check_qualified_name, "/app", want);
    expect(fakeapi__check_qualified_name, "/", both);
}

static void test_names_qualified_name_limits_name_part_to_63(void **state)
{
    static const char *const want[] = {
        "name part must be no more than 63 bytes", NULL};
    char buf[80];

    (void)state;
    expect_valid(fakeapi__check_qualified_name, repeat(buf, 'a', 63));
    expect(fakeapi__check_qualified_name, repeat(buf, 'a', 64), want);
}

static void test_names_qualified_name_limits_prefix_to_253(void **state)
{
    static const char *const want[] = {
        "prefix part must be no more than 253 bytes", NULL};
    char buf[300];

    (void)state;
    repeat(buf, 'a', 253);
    memcpy(buf + 253, "/x", 3);
    expect_valid(fakeapi__check_qualified_name, buf);
    repeat(buf, 'a', 254);
    memcpy(buf + 254, "/x", 3);
    expect(fakeapi__check_qualified_name, buf, want);
}

static void test_names_qualified_name_uses_length_not_nul(void **state)
{
    (void)state;
    assert_int_equal(fakeapi__check_qualified_name("a-b", 1, NULL), 0);
    assert_int_equal(fakeapi__check_qualified_name("a\0b", 3, NULL), 1);
}

static void test_names_label_value_accepts_empty_and_63(void **state)
{
    char buf[80];

    (void)state;
    expect_valid(fakeapi__check_label_value, "");
    expect_valid(fakeapi__check_label_value, "My_value-1.2");
    expect_valid(fakeapi__check_label_value, repeat(buf, 'v', 63));
}

static void test_names_label_value_rejects_bad_characters(void **state)
{
    static const char *const want[] = {LABEL_VALUE_RULE, NULL};

    (void)state;
    expect(fakeapi__check_label_value, "-x", want);
    expect(fakeapi__check_label_value, "x.", want);
    expect(fakeapi__check_label_value, "a/b", want);
    expect(fakeapi__check_label_value, "caf\xc3\xa9", want);
}

static void test_names_label_value_long_and_bad_gives_two(void **state)
{
    static const char *const too_long[] = {"must be no more than 63 bytes",
                                           NULL};
    static const char *const both[] = {"must be no more than 63 bytes",
                                       LABEL_VALUE_RULE, NULL};
    char buf[80];

    (void)state;
    expect(fakeapi__check_label_value, repeat(buf, 'v', 64), too_long);
    buf[63] = '-';
    expect(fakeapi__check_label_value, buf, both);
}

static void test_names_subdomain_accepts_dotted_lower_case(void **state)
{
    (void)state;
    expect_valid(fakeapi__check_dns1123_subdomain, "a");
    expect_valid(fakeapi__check_dns1123_subdomain, "my-pod.v1-2.example");
    expect_valid(fakeapi__check_dns1123_subdomain, "0");
}

static void test_names_subdomain_rejects_bad_shapes(void **state)
{
    static const char *const want[] = {SUBDOMAIN_RULE, NULL};

    (void)state;
    expect(fakeapi__check_dns1123_subdomain, "", want);
    expect(fakeapi__check_dns1123_subdomain, "My-pod", want);
    expect(fakeapi__check_dns1123_subdomain, "a..b", want);
    expect(fakeapi__check_dns1123_subdomain, ".a", want);
    expect(fakeapi__check_dns1123_subdomain, "a.", want);
    expect(fakeapi__check_dns1123_subdomain, "a.-b", want);
    expect(fakeapi__check_dns1123_subdomain, "a_b", want);
}

static void test_names_subdomain_limits_length_to_253(void **state)
{
    static const char *const want[] = {"must be no more than 253 characters",
                                       NULL};
    char buf[300];

    (void)state;
    expect_valid(fakeapi__check_dns1123_subdomain, repeat(buf, 'a', 253));
    expect(fakeapi__check_dns1123_subdomain, repeat(buf, 'a', 254), want);
}

static void test_names_dns_label_says_no_dots_for_subdomains(void **state)
{
    static const char *const want[] = {"must not contain dots", NULL};

    (void)state;
    expect_valid(fakeapi__check_dns1123_label, "kube-system");
    expect(fakeapi__check_dns1123_label, "a.b", want);
}

static void test_names_dns_label_rejects_other_shapes(void **state)
{
    static const char *const want[] = {DNS_LABEL_RULE, NULL};
    static const char *const long_dotted[] = {
        "must be no more than 63 characters", "must not contain dots", NULL};
    char buf[80];

    (void)state;
    expect(fakeapi__check_dns1123_label, "", want);
    expect(fakeapi__check_dns1123_label, "Default", want);
    expect(fakeapi__check_dns1123_label, "a-", want);
    expect(fakeapi__check_dns1123_label, "a..b", want);
    repeat(buf, 'a', 64);
    buf[10] = '.';
    expect(fakeapi__check_dns1123_label, buf, long_dotted);
}

static void test_names_counts_without_collecting(void **state)
{
    (void)state;
    assert_int_equal(fakeapi__check_qualified_name("", 0, NULL), 2);
    assert_int_equal(fakeapi__check_label_value("-", 1, NULL), 1);
    assert_int_equal(fakeapi__check_dns1123_subdomain("A", 1, NULL), 1);
    assert_int_equal(fakeapi__check_dns1123_label("a.b", 3, NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_qualified_name_accepts_plain_and_prefixed),
        cmocka_unit_test(test_names_qualified_name_allows_upper_case_name_part),
        cmocka_unit_test(test_names_qualified_name_rejects_upper_case_prefix),
        cmocka_unit_test(test_names_qualified_name_rejects_bad_edges),
        cmocka_unit_test(test_names_qualified_name_rejects_two_slashes),
        cmocka_unit_test(test_names_qualified_name_reports_empty_name_twice),
        cmocka_unit_test(test_names_qualified_name_rejects_empty_prefix),
        cmocka_unit_test(test_names_qualified_name_limits_name_part_to_63),
        cmocka_unit_test(test_names_qualified_name_limits_prefix_to_253),
        cmocka_unit_test(test_names_qualified_name_uses_length_not_nul),
        cmocka_unit_test(test_names_label_value_accepts_empty_and_63),
        cmocka_unit_test(test_names_label_value_rejects_bad_characters),
        cmocka_unit_test(test_names_label_value_long_and_bad_gives_two),
        cmocka_unit_test(test_names_subdomain_accepts_dotted_lower_case),
        cmocka_unit_test(test_names_subdomain_rejects_bad_shapes),
        cmocka_unit_test(test_names_subdomain_limits_length_to_253),
        cmocka_unit_test(test_names_dns_label_says_no_dots_for_subdomains),
        cmocka_unit_test(test_names_dns_label_rejects_other_shapes),
        cmocka_unit_test(test_names_counts_without_collecting),
    };

    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
