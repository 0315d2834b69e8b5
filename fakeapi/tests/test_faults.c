/*
 * Fault injection (issue 3): an HTTP status with a proper Status body and
 * Retry-After, added latency, a dropped connection, a truncated body, for
 * the next N requests matching a method and a path glob; and the same
 * through the HTTP control endpoints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#define PODS "/api/v1/namespaces/default/pods"

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

static void test_faults_status_for_next_n_matching(void **state)
{
    fakeapi *srv = *state;
    struct fakeapi_fault f = {0};
    struct http_res r;

    f.kind = FAKEAPI_FAULT_STATUS;
    f.method = "GET";
    f.path = "/api/v1/namespaces/*/pods";
    f.count = 2;
    f.status = 503;
    f.retry_after_s = 3;
    assert_int_equal(fakeapi_fault_add(srv, &f, NULL), FAKEAPI_OK);
    /* other methods and paths are not hit */
    assert_int_equal(http(srv, "GET", "/version", NULL, &r), 200);
    http_res_free(&r);
    assert_int_equal(make_pod(srv, "default", "p", NULL), 201);
    assert_int_equal(http(srv, "GET", PODS, NULL, &r), 503);
    assert_string_equal(jstr(r.json, "kind"), "Status");
    assert_string_equal(jstr(r.json, "reason"), "ServiceUnavailable");
    assert_string_equal(r.retry_after, "3");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "details"),
                                           "retryAfterSeconds")),
        3);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", PODS, NULL, &r), 503);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", PODS, NULL, &r), 200);
    http_res_free(&r);
}

static void test_faults_status_never_changes_state(void **state)
{
    fakeapi *srv = *state;
    struct fakeapi_fault f = {0};
    struct http_res r;
    char body[1024];

    f.kind = FAKEAPI_FAULT_STATUS;
    f.method = "POST";
    f.status = 500;
    assert_int_equal(fakeapi_fault_add(srv, &f, NULL), FAKEAPI_OK);
    snprintf(body, sizeof(body), POD_FMT, "never", "{}");
    assert_int_equal(http(srv, "POST", PODS, body, &r), 500);
    assert_string_equal(jstr(r.json, "reason"), "InternalError");
    http_res_free(&r);
    assert_int_equal(fakeapi_pod_count(srv), 0);
}

static void test_faults_drop_closes_without_answer(void **state)
{
    fakeapi *srv = *state;
    struct fakeapi_fault f = {0};
    struct http_res r;

    f.kind = FAKEAPI_FAULT_DROP;
    f.path = "/version";
    assert_int_equal(fakeapi_fault_add(srv, &f, NULL), FAKEAPI_OK);
    http(srv, "GET", "/version", NULL, &r);
    assert_int_equal(r.curl, CURLE_GOT_NOTHING);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/version", NULL, &r), 200);
    http_res_free(&r);
}

static void test_faults_truncate_cuts_the_body(void **state)
{
    fakeapi *srv = *state;
    struct fakeapi_fault f = {0};
    struct http_res r;

    assert_int_equal(make_pod(srv, "default", "t", NULL), 201);
    f.kind = FAKEAPI_FAULT_TRUNCATE;
    f.path = PODS "/t";
    assert_int_equal(fakeapi_fault_add(srv, &f, NULL), FAKEAPI_OK);
    http(srv, "GET", PODS "/t", NULL, &r);
    assert_int_equal(r.curl, CURLE_PARTIAL_FILE);
    assert_null(r.json);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", PODS "/t", NULL, &r), 200);
    assert_non_null(r.json);
    http_res_free(&r);
}

static void test_faults_latency_delays_then_answers(void **state)
{
    fakeapi *srv = *state;
    struct fakeapi_fault f = {0};
    struct http_res r;
    char url[256];
    CURL *c;

    f.kind = FAKEAPI_FAULT_LATENCY;
    f.path = "/version";
    f.latency_ms = 300;
    assert_int_equal(fakeapi_fault_add(srv, &f, NULL), FAKEAPI_OK);
    /* a client with a shorter timeout gives up: the answer was held */
    snprintf(url, sizeof(url), "%s/version", fakeapi_url(srv));
    memset(&r, 0, sizeof(r));
    c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 50L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tu_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    assert_int_equal(curl_easy_perform(c), CURLE_OPERATION_TIMEDOUT);
    curl_easy_cleanup(c);
    http_res_free(&r);
    /* a patient client gets the real answer */
    f.latency_ms = 100;
    assert_int_equal(fakeapi_fault_add(srv, &f, NULL), FAKEAPI_OK);
    c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tu_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    assert_non_null(strstr(r.body, "\"major\""));
    http_res_free(&r);
}

static void test_faults_bad_fault_is_rejected(void **state)
{
    fakeapi *srv = *state;
    struct fakeapi_fault f = {0};
    struct fakeapi_error err = {0};

    f.kind = FAKEAPI_FAULT_STATUS;
    f.status = 42;
    assert_int_equal(fakeapi_fault_add(srv, &f, &err), FAKEAPI_E_INVALID);
    assert_true(strlen(err.text) > 0);
    f.kind = (enum fakeapi_fault_kind)99;
    assert_int_equal(fakeapi_fault_add(srv, &f, &err), FAKEAPI_E_INVALID);
}

static void test_faults_clear_removes_pending(void **state)
{
    fakeapi *srv = *state;
    struct fakeapi_fault f = {0};
    struct http_res r;

    f.kind = FAKEAPI_FAULT_STATUS;
    f.status = 500;
    f.count = 100;
    assert_int_equal(fakeapi_fault_add(srv, &f, NULL), FAKEAPI_OK);
    fakeapi_faults_clear(srv);
    assert_int_equal(http(srv, "GET", "/version", NULL, &r), 200);
    http_res_free(&r);
}

static void test_faults_http_control_endpoints(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(
        http(srv, "POST", "/fakeapi/v1/seed",
             "{\"metadata\":{\"name\":\"s\",\"namespace\":\"ctl\"},"
             "\"status\":{\"phase\":\"Running\"}}",
             &r),
        200);
    http_res_free(&r);
    assert_int_equal(
        http(srv, "GET", "/api/v1/namespaces/ctl/pods/s", NULL, &r), 200);
    assert_string_equal(jstr(r.json, "status.phase"), "Running");
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", "/fakeapi/v1/phase",
                          "{\"namespace\":\"ctl\",\"name\":\"s\","
                          "\"phase\":\"Failed\"}",
                          &r),
                     200);
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", "/fakeapi/v1/phase",
                          "{\"namespace\":\"ctl\",\"name\":\"zz\","
                          "\"phase\":\"Failed\"}",
                          &r),
                     404);
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", "/fakeapi/v1/faults",
                          "{\"kind\":\"status\",\"status\":429,"
                          "\"path\":\"/version\",\"retryAfterSeconds\":1}",
                          &r),
                     200);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/version", NULL, &r), 429);
    assert_string_equal(jstr(r.json, "reason"), "TooManyRequests");
    http_res_free(&r);
    assert_int_equal(
        http(srv, "POST", "/fakeapi/v1/faults", "{\"kind\":1}", &r), 400);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/fakeapi/v1/requests", NULL, &r), 200);
    assert_true(json_array_size(r.json) >= 5);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/fakeapi/v1/state", NULL, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "pods")), 1);
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", "/fakeapi/v1/reset", NULL, &r), 200);
    http_res_free(&r);
    assert_int_equal(fakeapi_pod_count(srv), 0);
    assert_int_equal(http(srv, "GET", "/api/v1/namespaces/ctl", NULL, &r), 404);
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", "/fakeapi/v1/seed", "{bad", &r), 400);
    http_res_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_faults_status_for_next_n_matching),
        T(test_faults_status_never_changes_state),
        T(test_faults_drop_closes_without_answer),
        T(test_faults_truncate_cuts_the_body),
        T(test_faults_latency_delays_then_answers),
        T(test_faults_bad_fault_is_rejected),
        T(test_faults_clear_removes_pending),
        T(test_faults_http_control_endpoints),
#undef T
    };
    return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
