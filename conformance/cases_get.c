/*
 * cases_get: GetService (docs/go-micro-wire.md, Operations): Running pods only,
 * nodes merged per version in pod-name order, not found only when no pod
 * carries the service, and services written by Go are read.
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"

/* A greeter of @p version with service metadata {"pod": @p pod} and one
 * node, as Go writes it. */
static const char *greeter(struct kcase *c, const char *version,
                           const char *pod, const char *node)
{
    return case_fmt(c,
                    "{\"name\":\"greeter\",\"version\":\"%s\",\"metadata\":"
                    "{\"pod\":\"%s\"},\"endpoints\":[],\"nodes\":[%s]}",
                    version, pod, node);
}

static const char *node(struct kcase *c, const char *id)
{
    return case_fmt(c,
                    "{\"id\":\"%s\",\"address\":\"10.0.0.1:8080\","
                    "\"metadata\":{\"protocol\":\"mucp\"}}",
                    id);
}

/* Write a service's labels and annotation as another client (Go) did. */
static void write_as_go(struct kcase *c, const char *pod, const char *name,
                        const char *json)
{
    case_patch_pod(
        c, pod,
        case_fmt(c,
                 "{\"metadata\":{\"labels\":{\"micro.mu/type\":\"service\","
                 "\"%s\":\"service\"},\"annotations\":{\"%s\":%s}}}",
                 case_selector_key(c, name), case_service_key(c, name),
                 case_go_string(c, json)));
}

static void test_get_returns_the_registered_service(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = case_fixture(c, "golden/v2/c_nested.json", NULL, true);

    case_register(c, pod, svc);
    case_expect_services(c, "get greeter", case_get(c, "greeter"),
                         case_fmt(c, "[%s]", svc));
}

static void test_get_keeps_only_running_pods(void **state)
{
    static const char *const phases[] = {"Pending", "Running", "Succeeded",
                                         "Failed", "Unknown"};
    struct kcase *c = case_of(state);
    const char *pod;
    size_t i;

    for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
        pod = case_pod(c, case_fmt(c, "p%zu", i), phases[i]);
        case_register(c, pod, greeter(c, "1", "x", node(c, phases[i])));
    }
    case_expect_services(
        c, "get greeter (one pod per phase)", case_get(c, "greeter"),
        case_fmt(c, "[%s]", greeter(c, "1", "x", node(c, "Running"))));
}

static void test_get_returns_empty_when_no_pod_is_running(void **state)
{
    struct kcase *c = case_of(state);
    const char *svc = greeter(c, "1", "x", node(c, "n1"));

    case_register(c, case_pod(c, "a", "Pending"), svc);
    case_register(c, case_pod(c, "b", "Succeeded"), svc);
    /* docs/go-micro-wire.md, Operations step 2: pods exist, none usable */
    case_expect_services(c, "get greeter (no Running pod)",
                         case_get(c, "greeter"), "[]");
}

static void test_get_merges_nodes_per_version_across_pods(void **state)
{
    struct kcase *c = case_of(state);
    const char *a = case_pod(c, "a", "Running");
    const char *b = case_pod(c, "b", "Running");
    const char *p3 = case_pod(c, "c", "Running");

    /* registration order differs from the pod-name order on purpose */
    case_register(c, b, greeter(c, "1", "b", node(c, "b-1")));
    case_register(c, p3, greeter(c, "2", "c", node(c, "c-1")));
    case_register(c, a, greeter(c, "1", "a", node(c, "a-1")));
    case_expect_services(
        c, "get greeter (two versions, three pods)", case_get(c, "greeter"),
        case_fmt(c, "[%s,%s]",
                 greeter(c, "1", "a",
                         case_fmt(c, "%s,%s", node(c, "a-1"), node(c, "b-1"))),
                 greeter(c, "2", "c", node(c, "c-1"))));
}

static void test_get_returns_not_found_for_an_unknown_service(void **state)
{
    struct kcase *c = case_of(state);
    struct impl_target it;
    char msg[1024];
    json_t *out;
    int rc;

    case_register(c, case_pod(c, "a", "Running"),
                  case_service(c, "somebody", "1", "n1"));
    case_target(c, "none", &it);
    rc = case_try_get(c, &it, "nobody", &out, msg, sizeof(msg));
    CHECK(c, rc == IMPL_NOT_FOUND,
          "get of an unknown service answered %d "
          "(%s), want not found",
          rc, msg);
}

static void test_get_returns_not_found_after_deregister(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = case_service(c, "greeter", "1", "n1");
    struct impl_target it;
    char msg[1024];
    json_t *out;
    int rc;

    case_register(c, pod, svc);
    case_deregister(c, pod, svc);
    case_target(c, "none", &it);
    rc = case_try_get(c, &it, "greeter", &out, msg, sizeof(msg));
    CHECK(c, rc == IMPL_NOT_FOUND,
          "get after deregister answered %d (%s), want not found", rc, msg);
}

static void test_get_skips_terminating_pods(void **state)
{
    struct kcase *c = case_of(state);
    const char *a = case_pod_bound(c, "a", "Running");
    const char *b = case_pod(c, "b", "Running");

    case_register(c, a, greeter(c, "1", "x", node(c, "a-1")));
    case_register(c, b, greeter(c, "1", "x", node(c, "b-1")));
    /* docs/go-micro-wire.md, Known problems item 5: a terminating pod serves no
     * more */
    case_terminate_pod(c, a);
    case_expect_services(
        c, "get greeter (pod a terminating)", case_get(c, "greeter"),
        case_fmt(c, "[%s]", greeter(c, "1", "x", node(c, "b-1"))));
}

static void test_get_skips_a_pod_without_the_annotation(void **state)
{
    struct kcase *c = case_of(state);
    const char *svc = case_service(c, "greeter", "1", "n1");
    const char *b = case_pod_with(
        c, "b", "Running",
        "{\"micro.mu/type\":\"service\",\"micro.mu/selector-greeter\":"
        "\"service\"}",
        NULL);

    (void)b;
    case_register(c, case_pod(c, "a", "Running"), svc);
    case_expect_services(c, "get greeter", case_get(c, "greeter"),
                         case_fmt(c, "[%s]", svc));
}

static void test_get_finds_a_service_written_by_go(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *go = case_fixture(c, "golden/v2/micro_full.json", NULL, true);

    write_as_go(c, pod, "go.micro.srv.greeter", go);
    case_expect_services(c, "get go.micro.srv.greeter",
                         case_get(c, "go.micro.srv.greeter"),
                         case_fmt(c, "[%s]", go));
}

static void test_get_reads_what_other_go_micro_versions_write(void **state)
{
    struct kcase *c = case_of(state);
    const char *a = case_pod(c, "a", "Running");
    const char *b;

    /* go-micro >= v4.10.2 orders Node and Endpoint members differently */
    write_as_go(c, a, "greeter",
                case_fixture(c, "golden/v4_10_2/e_v4_order.json", NULL, true));
    case_expect_services(
        c, "get greeter (v4.10.2 bytes)", case_get(c, "greeter"),
        case_fmt(c, "[%s]",
                 case_fixture(c, "golden/v2/e_v4_order.json", NULL, true)));
    case_delete_pod(c, a);
    /* go-micro <= v1.7.0 wrote a node "port", which v2 drops */
    b = case_pod(c, "b", "Running");
    write_as_go(c, b, "greeter",
                case_fixture(c, "golden/v1/d_v1_port.json", NULL, true));
    case_expect_services(
        c, "get greeter (v1 bytes)", case_get(c, "greeter"),
        case_fmt(c, "[%s]",
                 case_fixture(c, "golden/v2/d_v1_port.json", NULL, true)));
}

static const struct case_desc table[] = {
    CASE(test_get_returns_the_registered_service),
    CASE(test_get_keeps_only_running_pods),
    CASE(test_get_returns_empty_when_no_pod_is_running),
    CASE(test_get_merges_nodes_per_version_across_pods),
    CASE(test_get_returns_not_found_for_an_unknown_service),
    CASE(test_get_returns_not_found_after_deregister),
    CASE_RECOMMENDED(
        test_get_skips_terminating_pods,
        "terminating pods served: go-plugins v1/v2 GetService never reads "
        "metadata.deletionTimestamp"),
    CASE(test_get_skips_a_pod_without_the_annotation),
    CASE(test_get_finds_a_service_written_by_go),
    CASE(test_get_reads_what_other_go_micro_versions_write),
};

size_t cases_get(const struct case_desc **out)
{
    *out = table;
    return sizeof(table) / sizeof(table[0]);
}
