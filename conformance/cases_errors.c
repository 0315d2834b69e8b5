/*
 * cases_errors: failures are reported as failures (docs/go-micro-wire.md,
 * Responses, Known problems item 8): a missing pod, an API server that is down,
 * 403 Forbidden (never mistaken for "not found"), and nothing is half-written.
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"

static void test_register_on_a_missing_pod_fails_naming_the_pod(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_fmt(c, "%s-missing", c->prefix);
    struct impl_target it;
    char msg[1024];
    int rc;

    case_target(c, pod, &it);
    rc = case_try_register(c, &it, case_service(c, "greeter", "1", "n1"), msg,
                           sizeof(msg));
    CHECK(c, rc == IMPL_ERROR,
          "register on a missing pod answered %d (%s), "
          "want an error",
          rc, msg);
    CHECK(c, strstr(msg, pod) != NULL,
          "the error does not name the missing pod %s: %s", pod, msg);
}

static void test_register_on_a_missing_pod_fails(void **state)
{
    struct kcase *c = case_of(state);
    struct impl_target it;
    char msg[1024];
    int rc;

    case_target(c, case_fmt(c, "%s-missing", c->prefix), &it);
    rc = case_try_register(c, &it, case_service(c, "greeter", "1", "n1"), msg,
                           sizeof(msg));
    CHECK(c, rc == IMPL_ERROR,
          "register on a missing pod answered %d (%s), "
          "want an error",
          rc, msg);
}

static void test_deregister_on_a_missing_pod_fails(void **state)
{
    struct kcase *c = case_of(state);
    struct impl_target it;
    char msg[1024];
    int rc;

    case_target(c, case_fmt(c, "%s-missing", c->prefix), &it);
    rc = case_try_deregister(c, &it, case_service(c, "greeter", "1", "n1"), msg,
                             sizeof(msg));
    CHECK(c, rc == IMPL_ERROR,
          "deregister on a missing pod answered %d (%s), "
          "want an error",
          rc, msg);
}

static void test_operations_fail_when_the_api_server_is_down(void **state)
{
    struct kcase *c = case_of(state);
    const char *svc = case_service(c, "greeter", "1", "n1");
    struct impl_target it;
    char msg[1024];
    json_t *out;
    int rc;

    target_impl_down(c->s->t, case_fmt(c, "%s-a", c->prefix), &it);
    rc = case_try_register(c, &it, svc, msg, sizeof(msg));
    CHECK(c, rc == IMPL_ERROR, "register (API down) answered %d", rc);
    rc = case_try_deregister(c, &it, svc, msg, sizeof(msg));
    CHECK(c, rc == IMPL_ERROR, "deregister (API down) answered %d", rc);
    rc = case_try_get(c, &it, "greeter", &out, msg, sizeof(msg));
    CHECK(c, rc == IMPL_ERROR,
          "get (API down) answered %d, want an error (not \"not found\")", rc);
    rc = case_try_list(c, &it, &out, msg, sizeof(msg));
    CHECK(c, rc == IMPL_ERROR, "list (API down) answered %d", rc);
}

static void test_register_fails_when_forbidden(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    struct impl_target it;
    char msg[1024];
    int rc;

    case_forbid(c, "PATCH",
                case_fmt(c, "/api/v1/namespaces/%s/pods/%s", c->s->t->ns, pod),
                "{}", 10);
    case_target_forbidden(c, pod, &it);
    rc = case_try_register(c, &it, case_service(c, "greeter", "1", "n1"), msg,
                           sizeof(msg));
    CHECK(c, rc == IMPL_ERROR, "register (403) answered %d, want an error", rc);
    case_expect_meta(c, pod, "{}", "{}");
}

/* 403 on the pod list (and watch), with and without Go's trailing slash
 * (only a fault needs telling them apart). */
static void forbid_list(struct kcase *c)
{
    const char *path = case_fmt(c, "/api/v1/namespaces/%s/pods", c->s->t->ns);

    case_forbid(c, "GET", path, NULL, 50);
    if (!target_has_forbidden(c->s->t))
        case_fault(c, "GET", case_fmt(c, "%s/", path), 403, 50);
}

static void test_get_fails_when_forbidden_not_not_found(void **state)
{
    struct kcase *c = case_of(state);
    struct impl_target it;
    char msg[1024];
    json_t *out;
    int rc;

    forbid_list(c);
    case_target_forbidden(c, "none", &it);
    rc = case_try_get(c, &it, "greeter", &out, msg, sizeof(msg));
    CHECK(c, rc == IMPL_ERROR,
          "get (403) answered %d (%s), want an error (not \"not found\")", rc,
          msg);
}

static void test_list_fails_when_forbidden(void **state)
{
    struct kcase *c = case_of(state);
    struct impl_target it;
    char msg[1024];
    json_t *out;
    int rc;

    forbid_list(c);
    case_target_forbidden(c, "none", &it);
    rc = case_try_list(c, &it, &out, msg, sizeof(msg));
    CHECK(c, rc == IMPL_ERROR, "list (403) answered %d (%s), want an error", rc,
          msg);
}

/* The watch may refuse to start, or start and report the error first;
 * reporting nothing (the Go watcher never checks the status) fails. */
static void expect_watch_fails(struct kcase *c, const struct impl_target *it,
                               const char *why)
{
    struct impl_event ev = {0};
    char msg[1024];
    int rc;

    rc = case_try_watch(c, it, NULL, msg, sizeof(msg));
    if (rc == IMPL_ERROR)
        return;
    CHECK(c, rc == IMPL_OK, "watch (%s) answered %d (%s)", why, rc, msg);
    rc = c->s->im->ops->watch_next(c->s->im, c->watches[c->nwatches - 1],
                                   c->s->event_ms, &ev, msg, sizeof(msg));
    impl_event_release(&ev);
    CHECK(c, rc == IMPL_ERROR,
          "watch (%s): watch_next answered %d, want the error reported", why,
          rc);
}

static void test_watch_fails_when_forbidden(void **state)
{
    struct kcase *c = case_of(state);
    struct impl_target it;

    forbid_list(c);
    case_target_forbidden(c, "none", &it);
    expect_watch_fails(c, &it, "403");
}

static void test_watch_fails_when_the_api_server_is_down(void **state)
{
    struct kcase *c = case_of(state);
    struct impl_target it;

    target_impl_down(c->s->t, "none", &it);
    expect_watch_fails(c, &it, "API down");
}

static const struct case_desc table[] = {
    CASE(test_register_on_a_missing_pod_fails),
    CASE_RECOMMENDED(
        test_register_on_a_missing_pod_fails_naming_the_pod,
        "an error without the pod's name: the plugins' 404 says only "
        "\"K8s: not found\" (v2) or \"pod not found\" (v4)"),
    CASE(test_deregister_on_a_missing_pod_fails),
    CASE(test_operations_fail_when_the_api_server_is_down),
    CASE(test_register_fails_when_forbidden),
    CASE(test_get_fails_when_forbidden_not_not_found),
    CASE(test_list_fails_when_forbidden),
    CASE(test_watch_fails_when_forbidden),
    CASE(test_watch_fails_when_the_api_server_is_down),
};

size_t cases_errors(const struct case_desc **out)
{
    *out = table;
    return sizeof(table) / sizeof(table[0]);
}
