/*
 * cases_register: Register and Deregister, judged by what they leave on
 * the pod (docs/go-micro-wire.md, Name encoding, Writing, Requests,
 * Operations).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

#define TYPE_LABEL "\"micro.mu/type\":\"service\""

/* docs/kubernetes-api.md, Validation and Request limits: keys plus values of
 * all annotations. */
#define ANNOTATION_BUDGET 262144

#define NO_NODES ",\"nodes\":null}"
#define ONE_NODE                                                               \
    ",\"nodes\":[{\"id\":\"n1\",\"address\":\"10.0.0.1:1\","                   \
    "\"metadata\":null}]}"

/* Go's bytes of a service without nodes, given one node (Register
 * refuses a service without nodes; the rest of the bytes stay Go's). */
static const char *with_node(struct kcase *c, const char *text)
{
    size_t len = strlen(text);
    size_t tail = strlen(NO_NODES);

    if (len < tail || strcmp(text + len - tail, NO_NODES) != 0)
        return text;
    return case_fmt(c, "%.*s%s", (int)(len - tail), text, ONE_NODE);
}

/* Register golden case @p name (its v2 JSON text as input) on a new
 * Running pod and check the annotation bytes and labels. */
static void register_golden(struct kcase *c, const char *suffix,
                            const char *name)
{
    const char *in = with_node(
        c, case_fixture(c, case_fmt(c, "golden/v2/%s.json", name), NULL, true));
    json_t *svc = case_parse(c, name, in);
    const char *sname = json_string_value(json_object_get(svc, "name"));
    const char *pod = case_pod(c, suffix, "Running");
    const char *want[2];

    case_golden_bytes(c, name, want);
    want[0] = with_node(c, want[0]);
    want[1] = with_node(c, want[1]);
    case_register(c, pod, in);
    case_expect_annotation(c, pod, case_service_key(c, sname), want, 2);
    case_expect_meta(c, pod,
                     case_fmt(c, "{" TYPE_LABEL ",\"%s\":\"service\"}",
                              case_selector_key(c, sname)),
                     NULL);
}

static void test_register_writes_type_and_selector_labels(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");

    case_register(c, pod, case_service(c, "greeter", "1.0.0", "greeter-1"));
    case_expect_meta(
        c, pod, "{" TYPE_LABEL ",\"micro.mu/selector-greeter\":\"service\"}",
        NULL);
}

static void test_register_writes_go_annotation_bytes(void **state)
{
    struct kcase *c = case_of(state);

    register_golden(c, "a", "a_v2_server");
    register_golden(c, "b", "b_escaped");
    register_golden(c, "m", "micro_full");
}

static void test_register_writes_nested_endpoints_and_values(void **state)
{
    struct kcase *c = case_of(state);

    register_golden(c, "c", "c_nested");
    register_golden(c, "d", "deep_values");
    register_golden(c, "n", "nil_nested");
    register_golden(c, "e", "empty_nested");
}

static void test_register_escapes_metadata_as_go_does(void **state)
{
    register_golden(case_of(state), "a", "escapes_values");
}

/* key_order's metadata in reverse order, with one node (Register needs
 * one) whose metadata is reversed too; *want gets Go's bytes. */
static const char *reversed_key_order(struct kcase *c, const char *want[2])
{
    json_t *g =
        case_parse(c, "key_order",
                   case_fixture(c, "golden/v2/key_order.json", NULL, true));
    json_t *md = json_object_get(g, "metadata");
    json_t *keys = case_hold(c, json_array());
    json_t *rev = json_object();
    const char *k;
    json_t *v;
    size_t i;

    json_object_foreach(md, k, v) json_array_append_new(keys, json_string(k));
    for (i = json_array_size(keys); i-- > 0;) {
        k = json_string_value(json_array_get(keys, i));
        json_object_set(rev, k, json_object_get(md, k));
    }
    json_object_set_new(g, "metadata", rev);
    json_object_set_new(g, "nodes",
                        json_pack("[{s:s, s:s, s:{s:s, s:s}}]", "id", "n1",
                                  "address", "a", "metadata", "b", "1", "a",
                                  "2"));
    case_golden_bytes(c, "key_order", want);
    for (i = 0; i < 2; i++) {
        CHECK(c, strstr(want[i], ",\"nodes\":null}") != NULL, "key_order?");
        want[i] = case_fmt(c,
                           "%.*s,\"nodes\":[{\"id\":\"n1\",\"address\":"
                           "\"a\",\"metadata\":{\"a\":\"2\",\"b\":\"1\"}}]}",
                           (int)(strlen(want[i]) - strlen(",\"nodes\":null}")),
                           want[i]);
    }
    return case_hold_str(c, json_dumps(g, JSON_COMPACT));
}

static void test_register_sorts_map_keys_by_bytes(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *want[2];
    const char *in = reversed_key_order(c, want);

    case_register(c, pod, in);
    case_expect_annotation(c, pod, "micro.mu/service-order", want, 2);
}

static void test_register_keeps_other_labels_and_annotations(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod =
        case_pod_with(c, "a", "Running", "{\"app\":\"web\",\"tier\":\"1\"}",
                      "{\"note\":\"keep me\"}");
    const char *svc = case_service(c, "greeter", "1.0.0", "greeter-1");

    case_register(c, pod, svc);
    case_expect_meta(
        c, pod,
        "{\"app\":\"web\",\"tier\":\"1\"," TYPE_LABEL
        ",\"micro.mu/selector-greeter\":\"service\"}",
        case_fmt(c, "{\"note\":\"keep me\",\"micro.mu/service-greeter\":%s}",
                 case_go_string(c, svc)));
}

static void test_register_several_services_on_one_pod(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *a = case_service(c, "alpha", "1", "alpha-1");
    const char *b = case_service(c, "beta", "2", "beta-1");
    const char *g = case_service(c, "go.micro.srv.gamma", "3", "gamma-1");

    case_register(c, pod, a);
    case_register(c, pod, b);
    case_register(c, pod, g);
    case_expect_meta(
        c, pod,
        "{" TYPE_LABEL ",\"micro.mu/selector-alpha\":\"service\","
        "\"micro.mu/selector-beta\":\"service\","
        "\"micro.mu/selector-go.micro.srv.gamma\":\"service\"}",
        case_fmt(c,
                 "{\"micro.mu/service-alpha\":%s,\"micro.mu/service-beta\":%s,"
                 "\"micro.mu/service-go.micro.srv.gamma\":%s}",
                 case_go_string(c, a), case_go_string(c, b),
                 case_go_string(c, g)));
    case_expect_services(c, "get beta", case_get(c, "beta"),
                         case_fmt(c, "[%s]", b));
}

static void test_reregister_replaces_the_annotation(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *v1 = case_service(c, "greeter", "1.0.0", "greeter-1");
    const char *v2 = case_service(c, "greeter", "1.0.1", "greeter-2");

    case_register(c, pod, v1);
    case_register(c, pod, v2);
    case_expect_annotation(c, pod, "micro.mu/service-greeter",
                           (const char *const[]){v2}, 1);
    case_expect_services(c, "get greeter", case_get(c, "greeter"),
                         case_fmt(c, "[%s]", v2));
}

static void test_reregister_identical_service_changes_nothing(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = case_service(c, "greeter", "1.0.0", "greeter-1");
    const char *rv;

    case_register(c, pod, svc);
    rv = case_resource_version(c, pod);
    case_register(c, pod, svc);
    /* docs/kubernetes-api.md, Pod update: a no-op patch keeps the
     * resourceVersion, so any change in what is written shows here */
    CHECK(c, strcmp(rv, case_resource_version(c, pod)) == 0,
          "re-registering the same service changed the pod (resourceVersion "
          "%s -> %s)",
          rv, case_resource_version(c, pod));
}

/* Names that need encoding: keys as go-micro builds them, names kept. */
static void test_register_encodes_names_as_go_does(void **state)
{
    static const char *const names[] = {
        "foo/bar:baz", "a b@c~d+e", "\xe6\x97\xa5\xe6\x9c\xac-x",
        "Mixed.Case-9",
        /* 54 bytes: the longest the selector label allows */
        "n23456789012345678901234567890123456789012345678901234"};
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc;
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        svc = case_service(c, names[i], "1", case_fmt(c, "node-%zu", i));
        case_register(c, pod, svc);
        CHECK(c,
              json_equal(json_object_get(case_labels(c, pod),
                                         case_selector_key(c, names[i])),
                         case_hold(c, json_string("service"))),
              "name \"%s\": no label %s=service", names[i],
              case_selector_key(c, names[i]));
        case_expect_annotation(c, pod, case_service_key(c, names[i]),
                               (const char *const[]){svc}, 1);
        case_expect_services(c, names[i], case_get(c, names[i]),
                             case_fmt(c, "[%s]", svc));
    }
}

static void test_register_refuses_names_that_cannot_be_encoded(void **state)
{
    static const char *const names[] = {
        "", "ends-", "ends_", "ends.", "caf\xc3\xa9", "a/",
        /* 55 bytes: one more than the selector label allows */
        "n234567890123456789012345678901234567890123456789012345"};
    struct kcase *c = case_of(state);
    const char *pod =
        case_pod_with(c, "a", "Running", "{\"app\":\"web\"}", NULL);
    struct impl_target it;
    char msg[1024];
    size_t i;
    int rc;

    case_target(c, pod, &it);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        rc = case_try_register(c, &it, case_service(c, names[i], "1", "n1"),
                               msg, sizeof(msg));
        CHECK(c, rc == IMPL_ERROR,
              "register \"%s\" (keys the API rejects) answered %d, want an "
              "error",
              names[i], rc);
    }
    case_expect_meta(c, pod, "{\"app\":\"web\"}", "{}");
}

/* A service whose annotation makes the pod's total exactly @p total
 * bytes (docs/kubernetes-api.md, Validation). */
static const char *service_of_size(struct kcase *c, size_t total)
{
    const char *head = "{\"name\":\"big\",\"version\":\"1\",\"metadata\":"
                       "{\"pad\":\"";
    const char *tail = "\"},\"endpoints\":null,\"nodes\":[{\"id\":\"n1\","
                       "\"address\":\"10.0.0.1:1\",\"metadata\":null}]}";
    size_t fixed = strlen("micro.mu/service-big") + strlen(head) + strlen(tail);
    char *pad;

    CHECK(c, total > fixed, "size %zu too small", total);
    pad = case_hold_str(c, malloc(total - fixed + 1));
    memset(pad, 'x', total - fixed);
    pad[total - fixed] = '\0';
    return case_fmt(c, "%s%s%s", head, pad, tail);
}

/* What the pod's annotations leave of the budget. */
static size_t budget_left(struct kcase *c, const char *pod)
{
    const char *k;
    json_t *v;
    size_t used = 0;

    json_object_foreach(case_annotations(c, pod), k, v) used +=
        strlen(k) + json_string_length(v);
    CHECK(c, used < ANNOTATION_BUDGET, "pod %s starts over budget", pod);
    return ANNOTATION_BUDGET - used;
}

static void test_register_fits_an_annotation_at_the_size_limit(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = service_of_size(c, budget_left(c, pod));

    case_register(c, pod, svc);
    case_expect_annotation(c, pod, "micro.mu/service-big",
                           (const char *const[]){svc}, 1);
}

static void
test_register_refuses_an_annotation_over_the_size_limit(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    struct impl_target it;
    char msg[1024];
    int rc;

    case_target(c, pod, &it);
    rc = case_try_register(c, &it, service_of_size(c, budget_left(c, pod) + 1),
                           msg, sizeof(msg));
    CHECK(c, rc == IMPL_ERROR,
          "register with annotations of %d bytes answered %d, want an error",
          ANNOTATION_BUDGET + 1, rc);
    case_expect_meta(c, pod, "{}", "{}");
}

static void test_register_refuses_a_service_without_nodes(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    struct impl_target it;
    char msg[1024];
    int rc;

    case_target(c, pod, &it);
    rc = case_try_register(c, &it,
                           "{\"name\":\"greeter\",\"version\":\"1\","
                           "\"metadata\":null,\"endpoints\":null,"
                           "\"nodes\":[]}",
                           msg, sizeof(msg));
    CHECK(c, rc == IMPL_ERROR,
          "register without nodes answered %d, want an error (go-micro: "
          "\"you must register at least one node\")",
          rc);
    case_expect_meta(c, pod, "{}", "{}");
}

static void test_deregister_removes_only_its_label_and_annotation(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod_with(c, "a", "Running", "{\"app\":\"web\"}",
                                    "{\"note\":\"keep me\"}");
    const char *a = case_service(c, "alpha", "1", "alpha-1");
    const char *b = case_service(c, "beta", "1", "beta-1");

    case_register(c, pod, a);
    case_register(c, pod, b);
    case_deregister(c, pod, a);
    /* docs/go-micro-wire.md, Operations: micro.mu/type stays */
    case_expect_meta(
        c, pod,
        "{\"app\":\"web\"," TYPE_LABEL ",\"micro.mu/selector-beta\":"
        "\"service\"}",
        case_fmt(c, "{\"note\":\"keep me\",\"micro.mu/service-beta\":%s}",
                 case_go_string(c, b)));
}

static void test_deregister_of_an_unknown_service_changes_nothing(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *a = case_service(c, "alpha", "1", "alpha-1");

    case_register(c, pod, a);
    case_deregister(c, pod, case_service(c, "nobody", "1", "n1"));
    case_expect_meta(
        c, pod, "{" TYPE_LABEL ",\"micro.mu/selector-alpha\":\"service\"}",
        case_fmt(c, "{\"micro.mu/service-alpha\":%s}", case_go_string(c, a)));
}

static const struct case_desc table[] = {
    CASE(test_register_writes_type_and_selector_labels),
    CASE(test_register_writes_go_annotation_bytes),
    CASE(test_register_writes_nested_endpoints_and_values),
    CASE(test_register_escapes_metadata_as_go_does),
    CASE(test_register_sorts_map_keys_by_bytes),
    CASE(test_register_keeps_other_labels_and_annotations),
    CASE(test_register_several_services_on_one_pod),
    CASE(test_reregister_replaces_the_annotation),
    CASE(test_reregister_identical_service_changes_nothing),
    CASE(test_register_encodes_names_as_go_does),
    CASE(test_register_refuses_names_that_cannot_be_encoded),
    CASE(test_register_fits_an_annotation_at_the_size_limit),
    CASE(test_register_refuses_an_annotation_over_the_size_limit),
    CASE(test_register_refuses_a_service_without_nodes),
    CASE(test_deregister_removes_only_its_label_and_annotation),
    CASE(test_deregister_of_an_unknown_service_changes_nothing),
};

size_t cases_register(const struct case_desc **out)
{
    *out = table;
    return sizeof(table) / sizeof(table[0]);
}
