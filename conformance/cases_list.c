/*
 * cases_list: ListServices (docs/go-micro-wire.md, Operations): each name once,
 * Running pods only, names read from the JSON (not the keys), and a
 * malformed annotation skipped rather than failing the list.
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"

/* Check that @p got lists exactly the names in @p want (a JSON array of
 * strings): each entry a name, no (name, version) twice, and a name
 * without a version at most once (v1-v3 list names only, v4 and kreg
 * one entry per version; both are allowed by PROTOCOL.md). */
static void expect_names(struct kcase *c, json_t *got, const char *want)
{
    json_t *w = case_parse(c, "expected names", want);
    json_t *seen = case_hold(c, json_object());
    json_t *names = case_hold(c, json_array());
    const char *name;
    const char *version;
    json_t *e;
    size_t i;
    char *id;

    json_array_foreach(got, i, e)
    {
        name = json_string_value(json_object_get(e, "name"));
        version = json_string_value(json_object_get(e, "version"));
        CHECK(c, name != NULL, "list: entry %zu has no name", i);
        id = case_fmt(c, "%s\x1f%s", name, version ? version : "\x1e");
        CHECK(c, json_object_get(seen, id) == NULL,
              "list: \"%s\" (version %s) listed twice", name,
              version ? version : "none");
        json_object_set_new(seen, id, json_true());
        if (!json_object_get(seen, name)) {
            json_object_set_new(seen, name, json_true());
            json_array_append_new(names, json_string(name));
        }
    }
    json_array_foreach(w, i, e)
        CHECK(c, json_object_get(seen, json_string_value(e)) != NULL,
              "list: \"%s\" missing from %.600s", json_string_value(e),
              case_hold_str(c, json_dumps(got, JSON_COMPACT)));
    CHECK(c, json_array_size(names) == json_array_size(w),
          "list: names %.600s, want exactly %s",
          case_hold_str(c, json_dumps(names, JSON_COMPACT)), want);
}

static void test_list_returns_each_name_once(void **state)
{
    struct kcase *c = case_of(state);
    const char *a = case_pod(c, "a", "Running");
    const char *b = case_pod(c, "b", "Running");

    case_register(c, a, case_service(c, "alpha", "1", "alpha-a"));
    case_register(c, b, case_service(c, "alpha", "1", "alpha-b"));
    case_register(c, a, case_service(c, "beta", "1", "beta-a"));
    expect_names(c, case_list(c), "[\"alpha\",\"beta\"]");
}

static void test_list_survives_a_malformed_annotation(void **state)
{
    struct kcase *c = case_of(state);
    const char *a = case_pod(c, "a", "Running");
    const char *b = case_pod_with(
        c, "b", "Running",
        "{\"micro.mu/type\":\"service\",\"micro.mu/selector-broken\":"
        "\"service\"}",
        "{\"micro.mu/service-broken\":\"{not json\"}");

    (void)b;
    case_register(c, a, case_service(c, "alpha", "1", "alpha-a"));
    /* a bad entry next to a good one on the same pod, too */
    case_patch_pod(c, a,
                   "{\"metadata\":{\"annotations\":{\"micro.mu/service-bad\":"
                   "\"{\\\"name\\\":1}\"}}}");
    expect_names(c, case_list(c), "[\"alpha\"]");
}

static void test_list_keeps_only_running_pods(void **state)
{
    struct kcase *c = case_of(state);

    case_register(c, case_pod(c, "a", "Running"),
                  case_service(c, "alpha", "1", "n1"));
    case_register(c, case_pod(c, "b", "Pending"),
                  case_service(c, "beta", "1", "n1"));
    case_register(c, case_pod(c, "c", "Succeeded"),
                  case_service(c, "gamma", "1", "n1"));
    case_register(c, case_pod(c, "d", "Failed"),
                  case_service(c, "delta", "1", "n1"));
    expect_names(c, case_list(c), "[\"alpha\"]");
}

static void test_list_skips_terminating_pods(void **state)
{
    struct kcase *c = case_of(state);
    const char *a = case_pod_bound(c, "a", "Running");

    case_register(c, a, case_service(c, "alpha", "1", "n1"));
    case_register(c, case_pod(c, "b", "Running"),
                  case_service(c, "beta", "1", "n1"));
    case_terminate_pod(c, a);
    expect_names(c, case_list(c), "[\"beta\"]");
}

static void test_list_returns_names_as_registered(void **state)
{
    struct kcase *c = case_of(state);

    /* both encode to foo_bar_baz: only the JSON tells them apart */
    case_register(c, case_pod(c, "a", "Running"),
                  case_service(c, "foo/bar:baz", "1", "n1"));
    case_register(c, case_pod(c, "b", "Running"),
                  case_service(c, "foo_bar_baz", "1", "n2"));
    expect_names(c, case_list(c), "[\"foo/bar:baz\",\"foo_bar_baz\"]");
}

static void test_list_is_empty_without_services(void **state)
{
    struct kcase *c = case_of(state);

    case_pod_with(c, "a", "Running", "{\"app\":\"web\"}", NULL);
    expect_names(c, case_list(c), "[]");
}

static void test_list_drops_deregistered_services(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *alpha = case_service(c, "alpha", "1", "n1");

    case_register(c, pod, alpha);
    case_register(c, pod, case_service(c, "beta", "1", "n1"));
    case_deregister(c, pod, alpha);
    expect_names(c, case_list(c), "[\"beta\"]");
}

static const struct case_desc table[] = {
    CASE(test_list_returns_each_name_once),
    CASE(test_list_survives_a_malformed_annotation),
    CASE(test_list_keeps_only_running_pods),
    CASE_RECOMMENDED(
        test_list_skips_terminating_pods,
        "terminating pods served: go-plugins v1/v2 ListServices never reads "
        "metadata.deletionTimestamp"),
    CASE(test_list_returns_names_as_registered),
    CASE(test_list_is_empty_without_services),
    CASE(test_list_drops_deregistered_services),
};

size_t cases_list(const struct case_desc **out)
{
    *out = table;
    return sizeof(table) / sizeof(table[0]);
}
