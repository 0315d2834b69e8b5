/*
 * Restricted users (authz.c): a user whom RBAC lets only get pods meets
 * the 403 Forbidden a real kube-apiserver writes (its message, reason and
 * details, checked against v1.37.2 with ci/realapi.sh's kreg-reader) for
 * list, watch, patch, subresources, other resources and paths; discovery
 * stays open to it; other tokens keep the server's own rule. A user
 * given namespaces is held to them (RoleBindings), never the cluster scope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#define ADMIN  "admin-token"
#define READER "reader-token"
#define PODS   "/api/v1/namespaces/default/pods"
#define READER_USER                                                            \
    "{\"token\":\"" READER "\",\"name\":\"kreg-reader\",\"verbs\":[\"get\"]}"

/* A request as the holder of @p token (NULL: none). */
static long as(fakeapi *srv, const char *token, const char *method,
               const char *path, const char *body, struct http_res *res)
{
    char url[1024];
    char auth[256];
    const char *hdrs[3] = {strcmp(method, "PATCH") == 0
                               ? "Content-Type: application/merge-patch+json"
                               : "Content-Type: application/json",
                           NULL, NULL};

    snprintf(url, sizeof(url), "%s%s", fakeapi_url(srv), path);
    if (token) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        hdrs[1] = auth;
    }
    return http_do(method, url, body, hdrs, res);
}

static int setup(void **state)
{
    struct fakeapi_options opt = {0};
    fakeapi *srv = NULL;
    struct http_res r;
    long st;

    opt.token = ADMIN;
    if (fakeapi_start(&opt, &srv, NULL) != FAKEAPI_OK)
        return -1;
    st = as(srv, ADMIN, "POST", PODS,
            "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":"
            "[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
            &r);
    http_res_free(&r);
    if (st == 201)
        st = as(srv, ADMIN, "POST", "/fakeapi/v1/users", READER_USER, &r);
    http_res_free(&r);
    *state = srv;
    return st == 200 ? 0 : -1;
}

static int teardown(void **state)
{
    fakeapi_stop(*state);
    return 0;
}

/* Check a 403 answer: reason Forbidden, @p message, details. */
static void expect_forbidden(struct http_res *r, const char *message,
                             const char *name, const char *kind)
{
    assert_int_equal(r->status, 403);
    assert_string_equal(jstr(r->json, "kind"), "Status");
    assert_string_equal(jstr(r->json, "status"), "Failure");
    assert_string_equal(jstr(r->json, "reason"), "Forbidden");
    assert_string_equal(jstr(r->json, "message"), message);
    assert_int_equal(json_integer_value(json_object_get(r->json, "code")), 403);
    if (name)
        assert_string_equal(jstr(r->json, "details.name"), name);
    else
        assert_null(jstr(r->json, "details.name"));
    if (kind)
        assert_string_equal(jstr(r->json, "details.kind"), kind);
    else /* a path: "details":{} */
        assert_int_equal(json_object_size(json_object_get(r->json, "details")),
                         0);
    assert_true(json_is_object(json_object_get(r->json, "details")));
    http_res_free(r);
}

static void test_authz_user_may_get_a_pod(void **state)
{
    struct http_res r;

    assert_int_equal(as(*state, READER, "GET", PODS "/p", NULL, &r), 200);
    assert_string_equal(jstr(r.json, "metadata.name"), "p");
    http_res_free(&r);
    /* a missing pod is a 404: RBAC allowed the get */
    assert_int_equal(as(*state, READER, "GET", PODS "/q", NULL, &r), 404);
    http_res_free(&r);
}

static void test_authz_list_is_forbidden_in_the_namespace(void **state)
{
    struct http_res r;

    as(*state, READER, "GET", PODS "?labelSelector=a%3Db", NULL, &r);
    assert_null(jstr(r.json, "details.group"));
    expect_forbidden(&r,
                     "pods is forbidden: User \"kreg-reader\" cannot list "
                     "resource \"pods\" in API group \"\" in the namespace "
                     "\"default\"",
                     NULL, "pods");
    as(*state, READER, "GET", "/api/v1/pods", NULL, &r);
    expect_forbidden(&r,
                     "pods is forbidden: User \"kreg-reader\" cannot list "
                     "resource \"pods\" in API group \"\" at the cluster "
                     "scope",
                     NULL, "pods");
}

static void test_authz_watch_is_forbidden(void **state)
{
    const char *want = "pods is forbidden: User \"kreg-reader\" cannot watch "
                       "resource \"pods\" in API group \"\" in the namespace "
                       "\"default\"";
    struct http_res r;

    as(*state, READER, "GET", PODS "?watch=1&resourceVersion=1", NULL, &r);
    expect_forbidden(&r, want, NULL, "pods");
    as(*state, READER, "GET", "/api/v1/watch/namespaces/default/pods", NULL,
       &r);
    expect_forbidden(&r, want, NULL, "pods");
}

static void test_authz_writes_are_forbidden_naming_the_pod(void **state)
{
    struct http_res r;

    as(*state, READER, "PATCH", PODS "/p",
       "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", &r);
    expect_forbidden(&r,
                     "pods \"p\" is forbidden: User \"kreg-reader\" cannot "
                     "patch resource \"pods\" in API group \"\" in the "
                     "namespace \"default\"",
                     "p", "pods");
    as(*state, READER, "DELETE", PODS "/p", NULL, &r);
    expect_forbidden(&r,
                     "pods \"p\" is forbidden: User \"kreg-reader\" cannot "
                     "delete resource \"pods\" in API group \"\" in the "
                     "namespace \"default\"",
                     "p", "pods");
    as(*state, READER, "DELETE", PODS, NULL, &r);
    expect_forbidden(&r,
                     "pods is forbidden: User \"kreg-reader\" cannot "
                     "deletecollection resource \"pods\" in API group \"\" "
                     "in the namespace \"default\"",
                     NULL, "pods");
    as(*state, READER, "POST", PODS, "{}", &r);
    expect_forbidden(&r,
                     "pods is forbidden: User \"kreg-reader\" cannot create "
                     "resource \"pods\" in API group \"\" in the namespace "
                     "\"default\"",
                     NULL, "pods");
    /* nothing was written */
    as(*state, ADMIN, "GET", PODS "/p", NULL, &r);
    assert_null(jstr(r.json, "metadata.labels.a"));
    http_res_free(&r);
}

static void
test_authz_subresources_and_other_resources_are_forbidden(void **state)
{
    struct http_res r;

    as(*state, READER, "GET", PODS "/p/status", NULL, &r);
    expect_forbidden(&r,
                     "pods \"p\" is forbidden: User \"kreg-reader\" cannot "
                     "get resource \"pods/status\" in API group \"\" in the "
                     "namespace \"default\"",
                     "p", "pods");
    as(*state, READER, "GET", "/api/v1/namespaces", NULL, &r);
    expect_forbidden(&r,
                     "namespaces is forbidden: User \"kreg-reader\" cannot "
                     "list resource \"namespaces\" in API group \"\" at the "
                     "cluster scope",
                     NULL, "namespaces");
    as(*state, READER, "GET", "/api/v1/namespaces/default", NULL, &r);
    expect_forbidden(&r,
                     "namespaces \"default\" is forbidden: User "
                     "\"kreg-reader\" cannot get resource \"namespaces\" in "
                     "API group \"\" in the namespace \"default\"",
                     "default", "namespaces");
    as(*state, READER, "GET", "/apis/apps/v1/namespaces/default/deployments",
       NULL, &r);
    assert_string_equal(jstr(r.json, "details.group"), "apps");
    expect_forbidden(&r,
                     "deployments.apps is forbidden: User \"kreg-reader\" "
                     "cannot list resource \"deployments\" in API group "
                     "\"apps\" in the namespace \"default\"",
                     NULL, "deployments");
}

static void test_authz_discovery_is_open_other_paths_are_not(void **state)
{
    const char *open[] = {"/api", "/api/v1", "/apis", "/version", "/healthz"};
    struct http_res r;
    size_t i;

    for (i = 0; i < sizeof(open) / sizeof(open[0]); i++) {
        assert_int_equal(as(*state, READER, "GET", open[i], NULL, &r), 200);
        http_res_free(&r);
    }
    as(*state, READER, "GET", "/fakeapi/v1/state", NULL, &r);
    expect_forbidden(&r,
                     "forbidden: User \"kreg-reader\" cannot get path "
                     "\"/fakeapi/v1/state\"",
                     NULL, NULL);
}

static void test_authz_other_tokens_keep_the_server_rule(void **state)
{
    struct http_res r;

    assert_int_equal(as(*state, "wrong", "GET", PODS, NULL, &r), 401);
    http_res_free(&r);
    assert_int_equal(as(*state, NULL, "GET", PODS, NULL, &r), 401);
    http_res_free(&r);
    assert_int_equal(as(*state, ADMIN, "GET", PODS, NULL, &r), 200);
    http_res_free(&r);
}

static void test_authz_users_are_replaced_and_removed(void **state)
{
    struct http_res r;

    /* the same token again: replaced, now with list */
    assert_int_equal(as(*state, ADMIN, "POST", "/fakeapi/v1/users",
                        "{\"token\":\"" READER "\",\"name\":\"kreg-reader\","
                        "\"verbs\":[\"get\",\"list\"]}",
                        &r),
                     200);
    http_res_free(&r);
    assert_int_equal(as(*state, READER, "GET", PODS, NULL, &r), 200);
    http_res_free(&r);
    assert_int_equal(as(*state, ADMIN, "DELETE", "/fakeapi/v1/users", NULL, &r),
                     200);
    http_res_free(&r);
    /* no longer a user: the server's token rule answers */
    assert_int_equal(as(*state, READER, "GET", PODS "/p", NULL, &r), 401);
    http_res_free(&r);
}

/* A user with "namespaces" has RoleBindings there, no ClusterRoleBinding:
 * its verbs hold in those namespaces only, and a cluster-scope request is
 * refused, as kube-apiserver's RBAC refuses it. */
static void test_authz_namespaced_user_is_held_to_its_namespaces(void **state)
{
    struct http_res r;

    assert_int_equal(
        as(*state, ADMIN, "POST", "/fakeapi/v1/users",
           "{\"token\":\"ns-token\",\"name\":\"kreg-ns\",\"verbs\":"
           "[\"list\",\"watch\"],\"namespaces\":[\"default\",\"shop\"]}",
           &r),
        200);
    http_res_free(&r);
    assert_int_equal(as(*state, "ns-token", "GET", PODS, NULL, &r), 200);
    http_res_free(&r);
    /* a namespace that does not exist lists empty, as on a real server */
    assert_int_equal(
        as(*state, "ns-token", "GET", "/api/v1/namespaces/shop/pods", NULL, &r),
        200);
    http_res_free(&r);
    as(*state, "ns-token", "GET", "/api/v1/namespaces/other/pods", NULL, &r);
    expect_forbidden(&r,
                     "pods is forbidden: User \"kreg-ns\" cannot list "
                     "resource \"pods\" in API group \"\" in the namespace "
                     "\"other\"",
                     NULL, "pods");
    as(*state, "ns-token", "GET", "/api/v1/pods?watch=1", NULL, &r);
    expect_forbidden(&r,
                     "pods is forbidden: User \"kreg-ns\" cannot watch "
                     "resource \"pods\" in API group \"\" at the cluster "
                     "scope",
                     NULL, "pods");
    /* the verbs it was not given are refused in its namespaces too */
    as(*state, "ns-token", "GET", PODS "/p", NULL, &r);
    expect_forbidden(&r,
                     "pods \"p\" is forbidden: User \"kreg-ns\" cannot get "
                     "resource \"pods\" in API group \"\" in the namespace "
                     "\"default\"",
                     "p", "pods");
}

static void test_authz_control_rejects_bad_users(void **state)
{
    const char *bad[] = {
        "{\"token\":\"t\",\"name\":\"u\",\"verbs\":[\"steal\"]}",
        "{\"token\":\"\",\"name\":\"u\",\"verbs\":[]}",
        "{\"token\":\"t\",\"verbs\":[\"get\"]}",
        "{\"token\":\"t\",\"name\":\"u\",\"verbs\":\"get\"}",
        "{\"token\":\"t\",\"name\":\"u\",\"verbs\":[1]}",
        "{\"token\":\"t\",\"name\":\"u\",\"verbs\":[],\"namespaces\":\"a\"}",
        "{\"token\":\"t\",\"name\":\"u\",\"verbs\":[],\"namespaces\":[\"\"]}",
        "[]",
    };
    struct http_res r;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            as(*state, ADMIN, "POST", "/fakeapi/v1/users", bad[i], &r), 400);
        assert_string_equal(jstr(r.json, "reason"), "BadRequest");
        http_res_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_authz_user_may_get_a_pod, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_authz_list_is_forbidden_in_the_namespace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authz_watch_is_forbidden, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_authz_writes_are_forbidden_naming_the_pod, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_authz_subresources_and_other_resources_are_forbidden, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_authz_discovery_is_open_other_paths_are_not, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_authz_other_tokens_keep_the_server_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_authz_users_are_replaced_and_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_authz_namespaced_user_is_held_to_its_namespaces, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_authz_control_rejects_bad_users,
                                        setup, teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests_name("authz", tests, NULL, NULL);
}
