/*
 * cases_watch: Watch, with the semantics kreg fixes in the Go watcher
 * (docs/go-micro-wire.md, Watcher, Known problems item 4; PROTOCOL.md "Watch"):
 * the results follow the services on Running pods; a service that appears is a
 * create, one whose annotation text changed an update, one that goes
 * (deregister, pod deleted, pod no longer Running) a delete; the state
 * before the watch started is not reported; nothing else is reported.
 *
 * "Nothing else" is checked without waiting: after a step that must not
 * report anything, the case makes a change that must, and expects that
 * change as the very next event.
 */
#include <stdio.h>

#include "cases.h"

static void test_watch_reports_create_on_register(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = case_service(c, "greeter", "1", "greeter-1");
    int w = case_watch(c, NULL);

    case_register(c, pod, svc);
    case_expect_event(c, w, "create", svc);
}

static void test_watch_does_not_report_the_state_before_it(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *beta = case_service(c, "beta", "1", "beta-1");
    int w;

    case_register(c, pod, case_service(c, "alpha", "1", "alpha-1"));
    w = case_watch(c, NULL);
    case_register(c, pod, beta);
    case_expect_event(c, w, "create", beta);
}

static void test_watch_reports_update_when_a_service_changes(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *v2 = case_service(c, "greeter", "2", "greeter-2");
    int w;

    case_register(c, pod, case_service(c, "greeter", "1", "greeter-1"));
    w = case_watch(c, NULL);
    case_register(c, pod, v2);
    case_expect_event(c, w, "update", v2);
}

static void test_watch_ignores_an_identical_reregister(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = case_service(c, "greeter", "1", "greeter-1");
    int w;

    case_register(c, pod, svc);
    w = case_watch(c, NULL);
    case_register(c, pod, svc);
    case_deregister(c, pod, svc);
    case_expect_event(c, w, "delete", svc);
}

static void test_watch_reports_delete_on_deregister(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = case_fixture(c, "golden/v2/a_v2_server.json", NULL, true);
    int w;

    case_register(c, pod, svc);
    w = case_watch(c, NULL);
    case_deregister(c, pod, svc);
    case_expect_event(c, w, "delete", svc);
}

static void test_watch_reports_delete_when_the_pod_is_deleted(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *both[2];
    int w;

    both[0] = case_service(c, "alpha", "1", "alpha-1");
    both[1] = case_service(c, "beta", "1", "beta-1");
    case_register(c, pod, both[0]);
    case_register(c, pod, both[1]);
    w = case_watch(c, NULL);
    case_delete_pod(c, pod);
    case_expect_events(c, w, "delete", both, 2);
}

static void test_watch_reports_delete_when_the_pod_stops_running(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = case_service(c, "greeter", "1", "greeter-1");
    int w;

    case_register(c, pod, svc);
    w = case_watch(c, NULL);
    case_phase(c, pod, "Succeeded");
    case_expect_event(c, w, "delete", svc);
}

static void
test_watch_reports_delete_when_the_pod_starts_terminating(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod_bound(c, "a", "Running");
    const char *svc = case_service(c, "greeter", "1", "greeter-1");
    int w;

    case_register(c, pod, svc);
    w = case_watch(c, NULL);
    case_terminate_pod(c, pod);
    case_expect_event(c, w, "delete", svc);
}

static void test_watch_reports_create_when_a_pod_starts_running(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Pending");
    const char *svc = case_service(c, "greeter", "1", "greeter-1");
    int w;

    case_register(c, pod, svc);
    w = case_watch(c, NULL);
    case_phase(c, pod, "Running");
    case_expect_event(c, w, "create", svc);
}

static void test_watch_of_one_service_ignores_others(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *alpha = case_service(c, "alpha", "1", "alpha-1");
    const char *beta = case_service(c, "beta", "1", "beta-1");
    int w = case_watch(c, "alpha");

    case_register(c, pod, beta);
    case_register(c, pod, alpha);
    case_expect_event(c, w, "create", alpha);
    case_deregister(c, pod, beta);
    case_deregister(c, pod, alpha);
    case_expect_event(c, w, "delete", alpha);
}

static void test_watch_follows_services_across_pods(void **state)
{
    struct kcase *c = case_of(state);
    const char *a = case_pod(c, "a", "Running");
    const char *b = case_pod(c, "b", "Running");
    const char *on_a = case_service(c, "greeter", "1", "greeter-a");
    const char *on_b = case_service(c, "greeter", "1", "greeter-b");
    int w = case_watch(c, "greeter");

    case_register(c, a, on_a);
    case_expect_event(c, w, "create", on_a);
    case_register(c, b, on_b);
    case_expect_event(c, w, "create", on_b);
    case_deregister(c, a, on_a);
    case_expect_event(c, w, "delete", on_a);
}

static const struct case_desc table[] = {
    CASE_RECOMMENDED(
        test_watch_reports_create_on_register,
        "ignored ADDED (v2, v4): a pod entering the selector with its first "
        "service is not reported; v1/v2 also drop the first second"),
    CASE_RECOMMENDED(
        test_watch_does_not_report_the_state_before_it,
        "update storm (v2; v4 by Go map order): a change on a pod re-reports "
        "its unchanged services as update; v1/v2 drop the first second"),
    CASE_RECOMMENDED(
        test_watch_reports_update_when_a_service_changes,
        "first second dropped: go-plugins v1/v2 ignore every watch line of "
        "the watch's first second, a change made at once is lost"),
    CASE_RECOMMENDED(
        test_watch_ignores_an_identical_reregister,
        "first second dropped: go-plugins v1/v2 ignore every watch line of "
        "the watch's first second, a change made at once is lost"),
    CASE_RECOMMENDED(
        test_watch_reports_delete_on_deregister,
        "first second dropped: go-plugins v1/v2 ignore every watch line of "
        "the watch's first second, a change made at once is lost"),
    CASE_RECOMMENDED(
        test_watch_reports_delete_when_the_pod_is_deleted,
        "aliased cache (v1/v2): a pod's change is diffed against the last "
        "listed pod; v1/v2 drop the first second"),
    CASE_RECOMMENDED(
        test_watch_reports_delete_when_the_pod_stops_running,
        "first second dropped: go-plugins v1/v2 ignore every watch line of "
        "the watch's first second, a change made at once is lost"),
    CASE_RECOMMENDED(
        test_watch_reports_delete_when_the_pod_starts_terminating,
        "terminating pods served: to v1/v2 a terminating pod still Running "
        "serves (update, not delete); v1/v2 drop the first second"),
    CASE_RECOMMENDED(
        test_watch_reports_create_when_a_pod_starts_running,
        "update, not create: both plugins report a pod turning Running as "
        "update (its key is cached); v1/v2 drop the first second"),
    CASE_RECOMMENDED(
        test_watch_of_one_service_ignores_others,
        "other services reported: a v1/v2 per-service watch reports other "
        "services; v2, v4 ignore ADDED (the first register)"),
    CASE_RECOMMENDED(
        test_watch_follows_services_across_pods,
        "ignored ADDED (v2, v4): a service's first register on a pod is not "
        "reported; v1/v2 drop the first second"),
};

size_t cases_watch(const struct case_desc **out)
{
    *out = table;
    return sizeof(table) / sizeof(table[0]);
}
