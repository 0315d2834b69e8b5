/*
 * The PodList reader keeps each pod's metadata and status, skips the rest
 * (strings holding brackets and quotes included), and refuses malformed
 * text with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "podlist.h"

static json_t *parse(const char *s, char *why)
{
    return kreg__podlist_parse(s, strlen(s), why);
}

static void test_podlist_keeps_metadata_and_status_only(void **state)
{
    const char *text =
        "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":"
        "{\"resourceVersion\":\"12\",\"continue\":\"tok\"},\"items\":[{"
        "\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"annotations\":"
        "{\"k\":\"{\\\"x\\\":\\\"]}\\\"}\"}},\"spec\":{\"containers\":[{"
        "\"args\":[\"[\",\"{\",\"\\\"]\"],\"n\":-1.5e3,\"t\":true,\"f\":null}]}"
        ","
        "\"status\":{\"phase\":\"Running\"}},{\"metadata\":{\"name\":\"b\"}}]}";
    char why[128] = "";
    json_t *l = parse(text, why);
    json_t *a;

    (void)state;
    assert_non_null(l);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(l, "metadata"), "continue")),
                        "tok");
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    a = json_array_get(json_object_get(l, "items"), 0);
    assert_int_equal(json_object_size(a), 2);
    assert_null(json_object_get(a, "spec"));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(a, "status"), "phase")),
                        "Running");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(a, "metadata"), "annotations"),
            "k")),
        "{\"x\":\"]}\"}");
    json_decref(l);
}

static void test_podlist_empty_items(void **state)
{
    json_t *l = parse(" {\"kind\":\"PodList\",\"items\":[]} ", NULL);

    (void)state;
    assert_non_null(l);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
}

static void test_podlist_refuses_malformed_text(void **state)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"kind\":\"PodList\"}",
        "{\"items\":[{\"metadata\":{\"name\":\"a\"}}",
        "{\"items\":[{\"spec\":\"unterminated}]}",
        "{\"items\":[{\"spec\":[}]}",
        "{\"items\":[{\"metadata\":{\"name\":}}]}",
        "{\"items\":[]} trailing",
        "{\"items\":[{\"spec\":]}]}",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char why[128] = "";
        json_t *l = parse(bad[i], why);

        if (l)
            fail_msg("accepted: %s", bad[i]);
        assert_true(strlen(why) > 0);
    }
}

static void test_podlist_refuses_deep_nesting_without_recursion(void **state)
{
    size_t n = 100000;
    char *text = malloc(2 * n + 64);
    size_t len = 0;
    size_t i;
    char why[128] = "";

    (void)state;
    len += (size_t)snprintf(text, 64, "{\"items\":[{\"spec\":");
    for (i = 0; i < n; i++)
        text[len++] = '[';
    for (i = 0; i < n; i++)
        text[len++] = ']';
    memcpy(text + len, "}]}", 4);
    assert_null(kreg__podlist_parse(text, len + 3, why));
    assert_non_null(strstr(why, "nesting"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_podlist_keeps_metadata_and_status_only),
        cmocka_unit_test(test_podlist_empty_items),
        cmocka_unit_test(test_podlist_refuses_malformed_text),
        cmocka_unit_test(test_podlist_refuses_deep_nesting_without_recursion),
    };
    return cmocka_run_group_tests_name("podlist", tests, NULL, NULL);
}
