/*
 * The server's life cycle, discovery, authentication, limits and the
 * request log, driven over loopback HTTP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

static int setup(void **state)
{
    fakeapi *srv = NULL;

    if (fakeapi_start(NULL, &srv, NULL) != FAKEAPI_OK)
        return -1;
    *state = srv;
    return 0;
}

static int teardown(void **state)
{
    fakeapi_stop(*state);
    return 0;
}

static void test_server_starts_on_loopback_ephemeral_port(void **state)
{
    fakeapi *srv = *state;
    char want[64];

    assert_true(fakeapi_port(srv) > 0);
    snprintf(want, sizeof(want), "http://127.0.0.1:%u",
             (unsigned)fakeapi_port(srv));
    assert_string_equal(fakeapi_url(srv), want);
}

static void test_server_several_servers_share_nothing(void **state)
{
    fakeapi *a = *state;
    fakeapi *b = NULL;

    assert_int_equal(fakeapi_start(NULL, &b, NULL), FAKEAPI_OK);
    assert_int_not_equal(fakeapi_port(a), fakeapi_port(b));
    assert_int_equal(make_pod(a, "default", "only-in-a", NULL), 201);
    assert_int_equal(fakeapi_pod_count(a), 1);
    assert_int_equal(fakeapi_pod_count(b), 0);
    fakeapi_stop(b);
}

static void test_server_port_in_use_is_start_error(void **state)
{
    fakeapi *a = *state;
    fakeapi *b = NULL;
    struct fakeapi_options o = {0};
    struct fakeapi_error err = {0};

    o.port = fakeapi_port(a);
    assert_int_equal(fakeapi_start(&o, &b, &err), FAKEAPI_E_START);
    assert_null(b);
    assert_int_equal(err.code, FAKEAPI_E_START);
    assert_true(strlen(err.text) > 0);
}

static void test_server_discovery_answers_kubectl_paths(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(http(srv, "GET", "/version", NULL, &r), 200);
    assert_string_equal(jstr(r.json, "major"), "1");
    assert_string_equal(jstr(r.json, "minor"), "37");
    assert_string_equal(jstr(r.json, "emulationMinor"), "37");
    assert_string_equal(jstr(r.json, "minCompatibilityMinor"), "36");
    assert_string_equal(r.ctype, "application/json");
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/api", NULL, &r), 200);
    assert_string_equal(jstr(r.json, "kind"), "APIVersions");
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/apis", NULL, &r), 200);
    assert_string_equal(jstr(r.json, "kind"), "APIGroupList");
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/api/v1", NULL, &r), 200);
    assert_string_equal(jstr(r.json, "groupVersion"), "v1");
    assert_non_null(strstr(r.body, "\"pods/status\""));
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/openapi/v3", NULL, &r), 200);
    assert_non_null(strstr(r.body, "serverRelativeURL"));
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/openapi/v3/api/v1", NULL, &r), 200);
    assert_non_null(strstr(r.body, "fieldValidation"));
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/healthz", NULL, &r), 200);
    assert_string_equal(r.body, "ok");
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/readyz", NULL, &r), 200);
    http_res_free(&r);
}

static void test_server_unknown_path_is_404_status(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(http(srv, "GET", "/apis/apps/v1/deployments", NULL, &r),
                     404);
    assert_string_equal(jstr(r.json, "kind"), "Status");
    assert_string_equal(jstr(r.json, "reason"), "NotFound");
    assert_string_equal(jstr(r.json, "message"),
                        "the server could not find the requested resource");
    http_res_free(&r);
}

/* GET @p path as the admin with header @p hdr. */
static long get_hdr(fakeapi *srv, const char *path, const char *hdr,
                    struct http_res *r)
{
    char url[1024];
    const char *hdrs[] = {hdr, NULL};

    snprintf(url, sizeof(url), "%s%s", fakeapi_url(srv), path);
    return http_do("GET", url, NULL, hdrs, r);
}

/* go-restful refuses an Accept naming none of the route's types before
 * any handler, in its words; a collection's GET also lists the watch
 * types. */
static void test_server_unacceptable_accept_is_go_restful_406(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(get_hdr(srv, "/api/v1/pods", "Accept: text/html", &r),
                     406);
    assert_string_equal(jstr(r.json, "message"),
                        "406: Not Acceptable\n\nAvailable representations: "
                        "application/json, application/yaml, "
                        "application/vnd.kubernetes.protobuf, "
                        "application/json;stream=watch, "
                        "application/vnd.kubernetes.protobuf;stream=watch");
    assert_true(json_is_object(json_object_get(r.json, "details")));
    http_res_free(&r);
    assert_int_equal(get_hdr(srv, "/api/v1/namespaces/default/pods/nope",
                             "Accept: application/*", &r),
                     406);
    assert_string_equal(jstr(r.json, "message"),
                        "406: Not Acceptable\n\nAvailable representations: "
                        "application/json, application/yaml, "
                        "application/vnd.kubernetes.protobuf");
    http_res_free(&r);
    assert_int_equal(get_hdr(srv, "/api/v1/namespaces/default/pods",
                             "Accept: text/html, application/json;q=0.5", &r),
                     200);
    http_res_free(&r);
}

/* Discovery: /version produces JSON only and /api the API's types (a
 * go-restful 406); /apis negotiates as the handlers do. */
static void test_server_discovery_refuses_unacceptable_types(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(get_hdr(srv, "/version", "Accept: text/html", &r), 406);
    assert_string_equal(jstr(r.json, "message"),
                        "406: Not Acceptable\n\nAvailable representations: "
                        "application/json");
    http_res_free(&r);
    assert_int_equal(get_hdr(srv, "/api/v1", "Accept: text/html", &r), 406);
    http_res_free(&r);
    assert_int_equal(get_hdr(srv, "/apis", "Accept: text/html", &r), 406);
    assert_string_equal(jstr(r.json, "message"),
                        "only the following media types are accepted: "
                        "application/json, application/yaml, "
                        "application/vnd.kubernetes.protobuf");
    assert_null(json_object_get(r.json, "details"));
    http_res_free(&r);
    assert_int_equal(get_hdr(srv, "/apis", "Accept: application/*", &r), 200);
    http_res_free(&r);
}

/* Outside /api and the built-in groups, the mux's plain-text 404. */
static void test_server_paths_outside_the_api_are_plain_404(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(http(srv, "GET", "/nope", NULL, &r), 404);
    assert_string_equal(r.ctype, "text/plain; charset=utf-8");
    assert_string_equal(r.body, "404 page not found\n");
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/apis/nope", NULL, &r), 404);
    assert_string_equal(r.body, "404 page not found\n");
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/readyz/nope", NULL, &r), 404);
    assert_string_equal(r.body, "404 page not found\n");
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/api/v2", NULL, &r), 404);
    assert_string_equal(jstr(r.json, "kind"), "Status");
    http_res_free(&r);
}

/* Health checks by name, the root path list, 405 on discovery paths. */
static void test_server_health_checks_root_and_discovery_methods(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(http(srv, "GET", "/livez/ping", NULL, &r), 200);
    assert_string_equal(r.body, "ok");
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/readyz/shutdown", NULL, &r), 200);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/", NULL, &r), 200);
    assert_true(json_is_array(json_object_get(r.json, "paths")));
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", "/version", "{}", &r), 405);
    assert_string_equal(jstr(r.json, "reason"), "MethodNotAllowed");
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/openapi/v3", NULL, &r), 200);
    assert_string_equal(r.ctype, "text/plain; charset=utf-8");
    http_res_free(&r);
    /* info.version is major.minor, as kube-apiserver v1.37.2 writes it */
    assert_int_equal(http(srv, "GET", "/openapi/v3/api/v1", NULL, &r), 200);
    assert_string_equal(jstr(r.json, "info.version"), "1.37");
    http_res_free(&r);
}

static void test_server_wrong_method_is_405(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(http(srv, "PUT", "/api/v1/pods", "{}", &r), 405);
    assert_string_equal(jstr(r.json, "reason"), "MethodNotAllowed");
    http_res_free(&r);
}

static void test_server_token_required_when_set(void **state)
{
    fakeapi *srv = NULL;
    struct fakeapi_options o = {0};
    struct http_res r;
    char url[256];
    const char *bad[] = {"Authorization: Bearer wrong", NULL};
    const char *good[] = {"Authorization: bearer s3cret", NULL};

    (void)state;
    o.token = "s3cret";
    assert_int_equal(fakeapi_start(&o, &srv, NULL), FAKEAPI_OK);
    snprintf(url, sizeof(url), "%s/api/v1/namespaces/default/pods",
             fakeapi_url(srv));
    assert_int_equal(http_do("GET", url, NULL, NULL, &r), 401);
    assert_string_equal(jstr(r.json, "reason"), "Unauthorized");
    assert_string_equal(jstr(r.json, "message"), "Unauthorized");
    http_res_free(&r);
    assert_int_equal(http_do("GET", url, NULL, bad, &r), 401);
    http_res_free(&r);
    /* docs/kubernetes-api.md, HTTP basics: the scheme is case-insensitive */
    assert_int_equal(http_do("GET", url, NULL, good, &r), 200);
    http_res_free(&r);
    /* health needs no token */
    snprintf(url, sizeof(url), "%s/healthz", fakeapi_url(srv));
    assert_int_equal(http_do("GET", url, NULL, NULL, &r), 200);
    http_res_free(&r);
    fakeapi_stop(srv);
}

static void test_server_body_over_3mib_is_413(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    size_t n = 3145728 + 10;
    char *big = malloc(n + 1);

    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    assert_int_equal(
        http(srv, "POST", "/api/v1/namespaces/default/pods", big, &r), 413);
    assert_string_equal(jstr(r.json, "reason"), "RequestEntityTooLarge");
    assert_string_equal(jstr(r.json, "message"),
                        "Request entity too large: limit is 3145728");
    http_res_free(&r);
    free(big);
    assert_int_equal(fakeapi_pod_count(srv), 0);
}

static void test_server_request_log_records_without_token(void **state)
{
    fakeapi *srv = NULL;
    struct fakeapi_options o = {0};
    struct http_res r;
    char url[256];
    const char *auth[] = {"Authorization: Bearer topsecret-token", NULL};
    char *log = NULL;
    json_t *j;

    (void)state;
    o.token = "topsecret-token";
    assert_int_equal(fakeapi_start(&o, &srv, NULL), FAKEAPI_OK);
    snprintf(url, sizeof(url),
             "%s/api/v1/namespaces/default/pods?labelSelector=a%%3Db",
             fakeapi_url(srv));
    http_do("GET", url, NULL, auth, &r);
    http_res_free(&r);
    assert_int_equal(fakeapi_request_log(srv, &log), FAKEAPI_OK);
    assert_null(strstr(log, "topsecret"));
    j = json_loads(log, 0, NULL);
    assert_int_equal(json_array_size(j), 1);
    assert_string_equal(jstr(json_array_get(j, 0), "method"), "GET");
    assert_string_equal(jstr(json_array_get(j, 0), "path"),
                        "/api/v1/namespaces/default/pods");
    assert_string_equal(jstr(json_array_get(j, 0), "query"),
                        "labelSelector=a=b");
    json_decref(j);
    free(log);
    fakeapi_request_log_clear(srv);
    assert_int_equal(fakeapi_request_log(srv, &log), FAKEAPI_OK);
    assert_string_equal(log, "[]");
    free(log);
    fakeapi_stop(srv);
}

static void test_server_tls_serves_https(void **state)
{
    fakeapi *srv = NULL;
    struct fakeapi_options o = {0};
    char cert[512];
    char key[512];
    char ca[512];
    const char *fx = getenv("KREG_FIXTURES");
    CURL *c;
    struct http_res r = {0};
    char url[256];

    (void)state;
    if (!fx)
        skip();
    snprintf(cert, sizeof(cert), "%s/tls/server.crt", fx);
    snprintf(key, sizeof(key), "%s/tls/server.key", fx);
    snprintf(ca, sizeof(ca), "%s/tls/ca.crt", fx);
    o.tls_cert_file = cert;
    o.tls_key_file = key;
    assert_int_equal(fakeapi_start(&o, &srv, NULL), FAKEAPI_OK);
    assert_memory_equal(fakeapi_url(srv), "https://", 8);
    snprintf(url, sizeof(url), "%s/version", fakeapi_url(srv));
    c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tu_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    assert_int_equal(r.status, 200);
    curl_easy_cleanup(c);
    http_res_free(&r);
    fakeapi_stop(srv);
}

static void test_server_kubeconfig_names_server_and_namespace(void **state)
{
    fakeapi *srv = *state;
    char path[] = "/tmp/fakeapi-kcXXXXXX";
    int fd = mkstemp(path);
    char buf[4096] = {0};
    FILE *f;
    char want[256];

    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(fakeapi_write_kubeconfig(srv, path, "team-a", NULL, NULL),
                     FAKEAPI_OK);
    f = fopen(path, "r");
    assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
    fclose(f);
    unlink(path);
    snprintf(want, sizeof(want), "server: \"%s\"", fakeapi_url(srv));
    assert_non_null(strstr(buf, want));
    assert_non_null(strstr(buf, "namespace: \"team-a\""));
    assert_non_null(strstr(buf, "current-context: fakeapi"));
    assert_null(strstr(buf, "token"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_server_starts_on_loopback_ephemeral_port, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_server_several_servers_share_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_port_in_use_is_start_error,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_server_discovery_answers_kubectl_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_unknown_path_is_404_status,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_wrong_method_is_405, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_server_unacceptable_accept_is_go_restful_406, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_server_paths_outside_the_api_are_plain_404, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_server_discovery_refuses_unacceptable_types, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_server_health_checks_root_and_discovery_methods, setup,
            teardown),
        cmocka_unit_test(test_server_token_required_when_set),
        cmocka_unit_test_setup_teardown(test_server_body_over_3mib_is_413,
                                        setup, teardown),
        cmocka_unit_test(test_server_request_log_records_without_token),
        cmocka_unit_test(test_server_tls_serves_https),
        cmocka_unit_test_setup_teardown(
            test_server_kubeconfig_names_server_and_namespace, setup, teardown),
    };
    return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
