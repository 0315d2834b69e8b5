/*
 * The PodList reader keeps what the registry reads of each pod, skips the
 * rest (strings holding brackets and quotes included), reads strings as Go
 * does, and refuses malformed text saying where and why.
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
#include "registry.h"

static json_t *parse(const char *s, struct kreg_error *err)
{
    json_t *doc = NULL;
    int rc = kreg__podlist_parse(s, strlen(s), &doc, err);

    if (rc != KREG_OK)
        assert_null(doc);
    return doc;
}

static const char *str_at(const json_t *v, const char *a, const char *b,
                          const char *c)
{
    v = json_object_get(v, a);
    if (b)
        v = json_object_get(v, b);
    if (c)
        v = json_object_get(v, c);
    return json_string_value(v);
}

static void test_podlist_keeps_what_the_registry_reads(void **state)
{
    const char *text =
        "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":"
        "{\"resourceVersion\":\"12\",\"continue\":\"tok\",\"x\":1},"
        "\"items\":[{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\","
        "\"labels\":{\"micro.mu/type\":\"service\"},\"annotations\":"
        "{\"micro.mu/service-x\":\"{\\\"x\\\":\\\"]}\\\"}\","
        "\"other\":\"kept out\"},\"deletionTimestamp\":\"2026-01-01T00:00:00Z\""
        "},\"spec\":{\"containers\":[{"
        "\"args\":[\"[\",\"{\",\"\\\"]\"],\"n\":-1.5e3,\"t\":true,\"f\":null}]}"
        ",\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.1\"}},"
        "{\"metadata\":{\"name\":\"b\"}}]}";
    struct kreg_error err = {0};
    json_t *l = parse(text, &err);
    json_t *a;

    (void)state;
    assert_non_null(l);
    assert_string_equal(str_at(l, "metadata", "continue", NULL), "tok");
    assert_string_equal(str_at(l, "metadata", "resourceVersion", NULL), "12");
    assert_int_equal(json_object_size(json_object_get(l, "metadata")), 2);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    a = json_array_get(json_object_get(l, "items"), 0);
    assert_int_equal(json_object_size(a), 2);
    assert_null(json_object_get(a, "spec"));
    assert_string_equal(str_at(a, "status", "phase", NULL), "Running");
    assert_int_equal(json_object_size(json_object_get(a, "status")), 1);
    assert_string_equal(str_at(a, "metadata", "name", NULL), "a");
    assert_string_equal(str_at(a, "metadata", "deletionTimestamp", NULL),
                        "2026-01-01T00:00:00Z");
    assert_null(json_object_get(json_object_get(a, "metadata"), "labels"));
    assert_string_equal(
        str_at(a, "metadata", "annotations", "micro.mu/service-x"),
        "{\"x\":\"]}\"}");
    assert_int_equal(json_object_size(json_object_get(
                         json_object_get(a, "metadata"), "annotations")),
                     1);
    json_decref(l);
}

/* Strings are unquoted as Go does: escapes decoded, invalid UTF-8 and
 * lone surrogates replaced by U+FFFD; a null deletionTimestamp is none. */
static void test_podlist_reads_strings_as_go_does(void **state)
{
    const char *text =
        "{\"items\":[{\"metadata\":{\"name\":\"p\\u00e9\","
        "\"deletionTimestamp\":null,\"annotations\":{"
        "\"micro.mu/service-a\":\"\\ud800|\xff|\\t|\\ud83d\\ude00\"}}}]}";
    struct kreg_error err = {0};
    json_t *l = parse(text, &err);
    json_t *a;

    (void)state;
    assert_non_null(l);
    a = json_array_get(json_object_get(l, "items"), 0);
    assert_string_equal(str_at(a, "metadata", "name", NULL), "p\xc3\xa9");
    assert_null(
        json_object_get(json_object_get(a, "metadata"), "deletionTimestamp"));
    assert_string_equal(
        str_at(a, "metadata", "annotations", "micro.mu/service-a"),
        "\xef\xbf\xbd|\xef\xbf\xbd|\t|\xf0\x9f\x98\x80");
    json_decref(l);
}

/* What a server sends for the metadata form: items without status. */
static void test_podlist_reads_partial_object_metadata(void **state)
{
    const char *text =
        "{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":"
        "\"meta.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"7\"},"
        "\"items\":[{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":"
        "\"meta.k8s.io/v1\",\"metadata\":{\"name\":\"a\",\"annotations\":"
        "{\"micro.mu/service-a\":\"{}\"}}}]}";
    struct kreg_error err = {0};
    json_t *l = parse(text, &err);
    json_t *a;

    (void)state;
    assert_non_null(l);
    assert_string_equal(str_at(l, "metadata", "resourceVersion", NULL), "7");
    a = json_array_get(json_object_get(l, "items"), 0);
    assert_int_equal(json_object_size(a), 1);
    assert_string_equal(str_at(a, "metadata", "name", NULL), "a");
    assert_string_equal(
        str_at(a, "metadata", "annotations", "micro.mu/service-a"), "{}");
    json_decref(l);
}

/* Selector labels are kept (a cache tells "not found" from "no running
 * instance" by them), any other label is not, and a pod with none has no
 * labels member; the labels' strings are read as Go does, and a labels
 * value that is not an object is refused with its path. */
static void test_podlist_keeps_selector_labels_only(void **state)
{
    const char *text =
        "{\"items\":[{\"metadata\":{\"name\":\"a\",\"labels\":"
        "{\"app\":\"x\",\"micro.mu/type\":\"service\","
        "\"micro.mu/selector-greeter\":\"service\","
        "\"micro.mu/selector-b\":\"\\u0073ervice\"}}},"
        "{\"metadata\":{\"name\":\"b\",\"labels\":{\"app\":\"y\"}}},"
        "{\"metadata\":{\"name\":\"c\",\"labels\":null}}]}";
    struct kreg_error err = {0};
    json_t *l = parse(text, &err);
    json_t *items;
    json_t *labels;

    (void)state;
    assert_non_null(l);
    items = json_object_get(l, "items");
    labels = json_object_get(
        json_object_get(json_array_get(items, 0), "metadata"), "labels");
    assert_int_equal(json_object_size(labels), 2);
    assert_string_equal(
        json_string_value(json_object_get(labels, "micro.mu/selector-greeter")),
        "service");
    assert_string_equal(
        json_string_value(json_object_get(labels, "micro.mu/selector-b")),
        "service");
    assert_null(json_object_get(
        json_object_get(json_array_get(items, 1), "metadata"), "labels"));
    assert_null(json_object_get(
        json_object_get(json_array_get(items, 2), "metadata"), "labels"));
    json_decref(l);
    assert_null(parse("{\"items\":[{\"metadata\":{\"labels\":[]}}]}", &err));
    assert_string_equal(err.text, "pod list: items[0].metadata.labels: "
                                  "expected object, got array");
}

static void test_podlist_empty_items(void **state)
{
    json_t *l = parse(" {\"kind\":\"PodList\",\"items\":[]} ", NULL);

    (void)state;
    assert_non_null(l);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
}

/* kube-apiserver writes an empty PartialObjectMetadataList's items as
 * Go's nil slice (v1.37.2): no items, as client-go reads it. */
static void test_podlist_null_items_are_none(void **state)
{
    json_t *l = parse("{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":"
                      "\"meta.k8s.io/v1\",\"metadata\":{\"resourceVersion\":"
                      "\"599\"},\"items\":null}",
                      NULL);

    (void)state;
    assert_non_null(l);
    assert_true(json_is_array(json_object_get(l, "items")));
    assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
}

static void test_podlist_refuses_malformed_text(void **state)
{
    static const struct {
        const char *text;
        const char *says;
    } bad[] = {
        {"", "unexpected end of input"},
        {"[]", "expected object, got array"},
        {"{\"kind\":\"PodList\"}", "no items"},
        {"{\"items\":[{\"metadata\":{\"name\":\"a\"}}", "end of input"},
        {"{\"items\":[{\"spec\":\"unterminated}]}", "end of input"},
        {"{\"items\":[{\"spec\":[}]}", "invalid character '}'"},
        {"{\"items\":[{\"metadata\":{\"name\":}}]}",
         "items[0].metadata.name: offset 30: invalid character '}'"},
        {"{\"items\":[]} trailing", "invalid character 't'"},
        {"{\"items\":[{\"spec\":]}]}", "invalid character ']'"},
        {"{\"items\":[{\"spec\":\"\\x\"}]}", "in string escape code"},
        {"{\"items\":[{\"spec\":\"\\u12g4\"}]}", "hexadecimal"},
        {"{\"items\":[{\"spec\":\"a\nb\"}]}", "in string literal"},
        {"{\"items\":{}}", "items: expected array, got object"},
        {"{\"items\":[1]}", "items[0]: expected object, got number"},
        {"{\"items\":[{\"metadata\":{\"name\":7}}]}",
         "items[0].metadata.name: expected string, got number"},
        {"{\"items\":[{\"metadata\":{\"annotations\":[]}}]}",
         "items[0].metadata.annotations: expected object, got array"},
        {"{\"items\":[{\"metadata\":{\"annotations\":{"
         "\"micro.mu/service-a\":{}}}}]}",
         "items[0].metadata.annotations[\"micro.mu/service-a\"]: expected "
         "string, got object"},
        {"{\"items\":[{\"status\":{\"phase\":true}}]}",
         "items[0].status.phase: expected string, got bool"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kreg_error err = {0};
        json_t *l = parse(bad[i].text, &err);

        if (l)
            fail_msg("accepted: %s", bad[i].text);
        assert_int_equal(err.code, KREG_E_PROTOCOL);
        if (strncmp(err.text, "pod list: ", 10) != 0 ||
            !strstr(err.text, bad[i].says))
            fail_msg("%s: said \"%s\", not \"%s\"", bad[i].text, err.text,
                     bad[i].says);
    }
}

/* Nesting is bounded, so deep input cannot exhaust the C stack. */
static void test_podlist_refuses_deep_nesting(void **state)
{
    size_t n = 100000;
    char *text = malloc(2 * n + 64);
    size_t len = 0;
    size_t i;
    struct kreg_error err = {0};
    json_t *doc = NULL;

    (void)state;
    assert_non_null(text);
    len += (size_t)snprintf(text, 64, "{\"items\":[{\"spec\":");
    for (i = 0; i < n; i++)
        text[len++] = '[';
    for (i = 0; i < n; i++)
        text[len++] = ']';
    memcpy(text + len, "}]}", 4);
    assert_int_equal(kreg__podlist_parse(text, len + 3, &doc, &err),
                     KREG_E_PROTOCOL);
    assert_null(doc);
    assert_non_null(strstr(err.text, "nested deeper than"));
    free(text);
}

/* kreg__pod_ready() of the one pod of a list whose status.conditions is
 * @p conditions (JSON text); *@p why gets its text. */
static int ready_of(const char *conditions, char *why, size_t size)
{
    char text[512];
    struct kreg_error err = {0};
    json_t *l;
    int r;

    snprintf(text, sizeof(text),
             "{\"items\":[{\"metadata\":{\"name\":\"a\"},\"status\":"
             "{\"phase\":\"Running\",\"conditions\":%s}}]}",
             conditions);
    l = parse(text, &err);
    if (!l)
        fail_msg("%s: %s", conditions, err.text);
    why[0] = '\0';
    r = kreg__pod_ready(json_array_get(json_object_get(l, "items"), 0), why,
                        size);
    json_decref(l);
    return r;
}

/* status.conditions is read leniently: a malformed value never fails the
 * list, and makes the pod not ready, saying why. */
static void test_podlist_conditions_read_leniently(void **state)
{
    static const struct {
        const char *conditions;
        int ready;
        const char *why;
    } cases[] = {
        {"[{\"type\":\"Ready\",\"status\":\"True\",\"x\":[1]}]", 1, ""},
        {"[{\"type\":\"PodScheduled\",\"status\":\"True\"},"
         "{\"type\":\"Ready\",\"status\":\"True\"}]",
         1, ""},
        {"[{\"type\":\"Ready\",\"status\":\"False\"}]", 0, ""},
        {"[{\"type\":\"Ready\",\"status\":\"Unknown\"}]", 0, ""},
        {"[{\"type\":\"Ready\",\"status\":\"True\"},"
         "{\"type\":\"Ready\",\"status\":\"False\"}]",
         1, ""},
        {"[]", 0, ""},
        {"null", 0, ""},
        {"{}", -1, "status.conditions is not an array"},
        {"\"Ready\"", -1, "status.conditions is not an array"},
        {"[null]", -1, "status.conditions[0] is not an object"},
        {"[{\"status\":\"True\"}]", -1, "status.conditions[0] has no type"},
        {"[{\"type\":null,\"status\":\"True\"}]", -1,
         "status.conditions[0] type is not a string"},
        {"[{\"type\":\"Ready\"}]", -1, "status.conditions[0] has no status"},
        {"[{\"type\":\"Ready\",\"status\":{\"a\":[]}}]", -1,
         "status.conditions[0] status is not a string"},
        {"[{\"type\":\"Ready\",\"status\":\"True\"},{\"type\":\"X\","
         "\"status\":1}]",
         -1, "status.conditions[1] status is not a string"},
    };
    char why[160];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = ready_of(cases[i].conditions, why, sizeof(why));

        if (r != cases[i].ready || strcmp(why, cases[i].why) != 0)
            fail_msg("%s: want %d \"%s\", got %d \"%s\"", cases[i].conditions,
                     cases[i].ready, cases[i].why, r, why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_podlist_keeps_what_the_registry_reads),
        cmocka_unit_test(test_podlist_reads_strings_as_go_does),
        cmocka_unit_test(test_podlist_reads_partial_object_metadata),
        cmocka_unit_test(test_podlist_keeps_selector_labels_only),
        cmocka_unit_test(test_podlist_empty_items),
        cmocka_unit_test(test_podlist_null_items_are_none),
        cmocka_unit_test(test_podlist_refuses_malformed_text),
        cmocka_unit_test(test_podlist_refuses_deep_nesting),
        cmocka_unit_test(test_podlist_conditions_read_leniently),
    };
    return cmocka_run_group_tests_name("podlist", tests, NULL, NULL);
}
