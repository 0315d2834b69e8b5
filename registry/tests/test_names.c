/* Tests of names.c: go-micro's serviceName() encoding and the keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "golden.h"
#include "kreg.h"
#include "names.h"

struct name_case {
    const char *name;
    const char *enc;
    int rc;
};

static void check_cases(const struct name_case *cases, size_t n)
{
    struct kreg_error err;
    char out[256];
    size_t i;

    for (i = 0; i < n; i++) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(
            kreg_name_encode(cases[i].name, out, sizeof(out), &err),
            cases[i].rc);
        assert_string_equal(out, cases[i].enc);
        if (cases[i].rc != KREG_OK) {
            assert_int_equal(err.code, cases[i].rc);
            assert_true(strncmp(err.text, "service name: ", 14) == 0);
        }
    }
}

static void
test_names_encode_maps_bytes_outside_class_to_underscore(void **state)
{
    static const struct name_case cases[] = {
        {"go.micro.srv.greeter", "go.micro.srv.greeter", KREG_OK},
        {"foo/bar", "foo_bar", KREG_OK},
        {"foo:bar", "foo_bar", KREG_OK},
        {"foo bar", "foo_bar", KREG_OK},
        {"foo_bar", "foo_bar", KREG_OK},
        {"a@b~c+d", "a_b_c_d", KREG_OK},
        {"Upper.Case-1", "Upper.Case-1", KREG_OK},
        {"\xc3\xa9t\xc3\xa9", "__t__", KREG_E_NAME},
        {"\xc3\xa9", "__", KREG_E_NAME},
        {"\xe6\x97\xa5\xe6\x9c\xac", "______", KREG_E_NAME},
        {"caf\xc3\xa9x", "caf__x", KREG_OK},
        {"\x01\x7f"
         "a",
         "__a", KREG_OK},
        {"[fd00::1]", "_fd00__1_", KREG_E_NAME},
    };

    (void)state;
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_names_encode_matches_go_service_name(void **state)
{
    struct kreg_error err;
    json_t *file = golden_cases();
    json_t *names = json_object_get(file, "names");
    json_t *c;
    char out[256];
    char *name;
    size_t i;

    (void)state;
    assert_non_null(file);
    assert_true(json_array_size(names) > 10);
    json_array_foreach(names, i, c)
    {
        name = golden_string(json_object_get(c, "name"));
        assert_non_null(name);
        /* The encoding is Go's whatever the verdict on the key. */
        (void)kreg_name_encode(name, out, sizeof(out), &err);
        assert_string_equal(out, json_string_value(json_object_get(c, "enc")));
        free(name);
    }
    json_decref(file);
}

static void test_names_encode_accepts_54_bytes_rejects_55(void **state)
{
    struct kreg_error err;
    char name[64];
    char out[64];

    (void)state;
    memset(name, 'a', 54);
    name[54] = '\0';
    assert_int_equal(kreg_name_encode(name, out, sizeof(out), &err), KREG_OK);
    assert_string_equal(out, name);
    name[54] = 'b';
    name[55] = '\0';
    assert_int_equal(kreg_name_encode(name, out, sizeof(out), &err),
                     KREG_E_NAME);
    assert_string_equal(out, name);
    assert_non_null(strstr(err.text, "55 bytes"));
}

static void test_names_encode_rejects_trailing_non_alnum(void **state)
{
    static const struct name_case cases[] = {
        {"trail-", "trail-", KREG_E_NAME},
        {"trail.", "trail.", KREG_E_NAME},
        {"trail_", "trail_", KREG_E_NAME},
        {"trail/", "trail_", KREG_E_NAME},
        {"caf\xc3\xa9", "caf__", KREG_E_NAME},
    };
    struct kreg_error err;
    char out[32];

    (void)state;
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
    assert_int_equal(kreg_name_encode("trail-", out, sizeof(out), &err),
                     KREG_E_NAME);
    assert_string_equal(err.text,
                        "service name: label key \"micro.mu/selector-trail-\" "
                        "must end with a letter or digit");
}

static void test_names_encode_accepts_leading_non_alnum(void **state)
{
    /* "selector--lead" is a valid key name: only its ends are checked. */
    static const struct name_case cases[] = {
        {"-lead", "-lead", KREG_OK}, {"_lead", "_lead", KREG_OK},
        {".lead", ".lead", KREG_OK}, {"/x", "_x", KREG_OK},
        {"x", "x", KREG_OK},
    };

    (void)state;
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_names_encode_rejects_empty(void **state)
{
    struct kreg_error err;
    char out[8] = "junk";

    (void)state;
    assert_int_equal(kreg_name_encode("", out, sizeof(out), &err), KREG_E_NAME);
    assert_string_equal(out, "");
    assert_int_equal(err.code, KREG_E_NAME);
    assert_non_null(strstr(err.text, "empty"));
}

static void test_names_encode_rejects_small_buffer_and_null(void **state)
{
    struct kreg_error err;
    char out[4] = "xyz";

    (void)state;
    assert_int_equal(kreg_name_encode("abcd", out, sizeof(out), &err),
                     KREG_E_INVALID);
    assert_string_equal(out, "");
    assert_int_equal(kreg_name_encode("abc", out, sizeof(out), NULL), KREG_OK);
    assert_string_equal(out, "abc");
    assert_int_equal(kreg_name_encode(NULL, out, sizeof(out), &err),
                     KREG_E_INVALID);
    assert_int_equal(kreg_name_encode("a", NULL, 0, &err), KREG_E_INVALID);
}

static void test_names_keys_have_go_micro_prefixes(void **state)
{
    struct kreg_error err;
    char out[KREG__NAMES_KEY_SIZE];

    (void)state;
    assert_int_equal(kreg__names_label_key("shop.cart", out, sizeof(out), &err),
                     KREG_OK);
    assert_string_equal(out, "micro.mu/selector-shop.cart");
    assert_int_equal(
        kreg__names_annotation_key("shop.cart", out, sizeof(out), &err),
        KREG_OK);
    assert_string_equal(out, "micro.mu/service-shop.cart");
    assert_int_equal(kreg__names_selector("foo/bar", out, sizeof(out), &err),
                     KREG_OK);
    assert_string_equal(out, "micro.mu/selector-foo_bar=service");
    assert_string_equal(KREG__NAMES_TYPE_LABEL "=" KREG__NAMES_SERVICE_VALUE,
                        KREG__NAMES_TYPE_SELECTOR);
}

static void test_names_keys_fit_the_longest_name(void **state)
{
    struct kreg_error err;
    char name[KREG__NAMES_ENC_MAX + 1];
    char out[KREG__NAMES_KEY_SIZE];

    (void)state;
    memset(name, 'z', KREG__NAMES_ENC_MAX);
    name[KREG__NAMES_ENC_MAX] = '\0';
    assert_int_equal(kreg__names_selector(name, out, sizeof(out), &err),
                     KREG_OK);
    assert_int_equal(strlen(out), sizeof(out) - 1);
    /* the label key's name part is exactly the API's 63 characters */
    assert_int_equal(kreg__names_label_key(name, out, sizeof(out), &err),
                     KREG_OK);
    assert_int_equal(strlen(strchr(out, '/') + 1), 63);
}

static void test_names_keys_refuse_invalid_names(void **state)
{
    struct kreg_error err;
    char out[KREG__NAMES_KEY_SIZE] = "junk";
    char longname[200];

    (void)state;
    assert_int_equal(kreg__names_label_key("foo-", out, sizeof(out), &err),
                     KREG_E_NAME);
    assert_string_equal(out, "");
    assert_int_equal(kreg__names_annotation_key("", out, sizeof(out), &err),
                     KREG_E_NAME);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(kreg__names_selector(longname, out, sizeof(out), &err),
                     KREG_E_NAME);
    assert_int_equal(kreg__names_label_key("ok", out, 10, &err),
                     KREG_E_INVALID);
    assert_string_equal(out, "");
    assert_int_equal(kreg__names_label_key(NULL, out, sizeof(out), &err),
                     KREG_E_INVALID);
}

static void test_names_recognises_annotation_keys(void **state)
{
    (void)state;
    assert_true(kreg__names_is_annotation_key("micro.mu/service-greeter"));
    assert_true(kreg__names_is_annotation_key("micro.mu/service-"));
    assert_false(kreg__names_is_annotation_key("micro.mu/selector-greeter"));
    assert_false(kreg__names_is_annotation_key("micro.mu/servic"));
    assert_false(kreg__names_is_annotation_key(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_names_encode_maps_bytes_outside_class_to_underscore),
        cmocka_unit_test(test_names_encode_matches_go_service_name),
        cmocka_unit_test(test_names_encode_accepts_54_bytes_rejects_55),
        cmocka_unit_test(test_names_encode_rejects_trailing_non_alnum),
        cmocka_unit_test(test_names_encode_accepts_leading_non_alnum),
        cmocka_unit_test(test_names_encode_rejects_empty),
        cmocka_unit_test(test_names_encode_rejects_small_buffer_and_null),
        cmocka_unit_test(test_names_keys_have_go_micro_prefixes),
        cmocka_unit_test(test_names_keys_fit_the_longest_name),
        cmocka_unit_test(test_names_keys_refuse_invalid_names),
        cmocka_unit_test(test_names_recognises_annotation_keys),
    };

    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
