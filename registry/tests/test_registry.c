/*
 * kreg_register() and kreg_deregister() against a scripted API server
 * (script.h), for answers the fakeapi never gives: a PATCH must be
 * answered with the patched pod (docs/go-micro-wire.md, Responses), anything
 * else is a protocol error that says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kreg.h"
#include "script.h"

#define THE_POD                                                                \
    "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":"          \
    "\"pod-a\",\"namespace\":\"default\",\"resourceVersion\":\"8\"}}"

#define SERVICE                                                                \
    "{\"name\":\"greeter\",\"nodes\":[{\"id\":\"greeter-1\",\"address\":"      \
    "\"10.0.0.1:8080\"}]}"

struct st {
    struct script srv;
    kreg *r;
    struct kreg_service *s;
    struct kreg_error err;
};

static int setup(void **state)
{
    struct st *t = calloc(1, sizeof(*t));

    if (!t)
        return -1;
    script_init(&t->srv);
    if (kreg_service_decode(SERVICE, strlen(SERVICE), &t->s, NULL) != KREG_OK)
        return -1;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct st *t = *state;

    kreg_free(t->r);
    script_stop(&t->srv);
    script_release(&t->srv);
    kreg_service_free(t->s);
    free(t);
    return 0;
}

/* A register is one PATCH (no list first), answered with @p answer. */
static void start(struct st *t, const char *status, const char *answer)
{
    struct kreg_options o;
    char url[64];

    script_json(&t->srv, SCRIPT_PATCH, status, answer);
    script_start(&t->srv);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)t->srv.port);
    memset(&o, 0, sizeof(o));
    o.server = url;
    o.namespace_ = "default";
    o.pod_name = "pod-a";
    o.no_in_cluster = true;
    o.retry_base_ms = 1;
    if (kreg_new(&o, &t->r, &t->err) != KREG_OK)
        fail_msg("kreg_new: %s", t->err.text);
}

static void test_registry_register_accepts_the_patched_pod(void **state)
{
    struct st *t = *state;

    start(t, "HTTP/1.1 200 OK", THE_POD);
    assert_int_equal(kreg_register(t->r, t->s, &t->err), KREG_OK);
    assert_int_equal(kreg_deregister(t->r, t->s, &t->err), KREG_OK);
}

static void expect_not_the_pod(struct st *t, int rc, const char *op)
{
    char want[256];

    assert_int_equal(rc, KREG_E_PROTOCOL);
    assert_int_equal(t->err.code, KREG_E_PROTOCOL);
    assert_int_equal(t->err.http_status, 200);
    snprintf(want, sizeof(want),
             "%s greeter: pod \"pod-a\": the API server answered the patch "
             "with something else than the pod",
             op);
    if (strncmp(t->err.text, want, strlen(want)) != 0)
        fail_msg("got \"%s\"", t->err.text);
}

static void
test_registry_register_refuses_an_answer_that_is_not_json(void **state)
{
    struct st *t = *state;

    start(t, "HTTP/1.1 200 OK", "ok");
    expect_not_the_pod(t, kreg_register(t->r, t->s, &t->err), "register");
}

static void test_registry_register_refuses_another_object(void **state)
{
    struct st *t = *state;

    start(t, "HTTP/1.1 200 OK", "{\"kind\":\"Status\",\"status\":\"Success\"}");
    expect_not_the_pod(t, kreg_register(t->r, t->s, &t->err), "register");
}

static void test_registry_deregister_refuses_another_pod(void **state)
{
    struct st *t = *state;

    start(t, "HTTP/1.1 200 OK",
          "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"pod-b\"}}");
    expect_not_the_pod(t, kreg_deregister(t->r, t->s, &t->err), "deregister");
}

/* A 422 Status with @p cause_reason on @p field. */
#define STATUS_422(cause_reason, field)                                        \
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"              \
    "\"status\":\"Failure\",\"message\":\"Pod \\\"pod-a\\\" is invalid: "      \
    "metadata.annotations: Too long: may not be more than 262144 "             \
    "bytes\",\"reason\":\"Invalid\",\"details\":{\"name\":\"pod-a\","          \
    "\"kind\":\"Pod\",\"causes\":[{\"reason\":\"" cause_reason "\","           \
    "\"message\":\"Too long: may not be more than 262144 bytes\","             \
    "\"field\":\"" field "\"}]},\"code\":422}"

/* The server's refusal of the annotation total is KREG_E_TOO_BIG with its
 * message (kube-apiserver v1.37.2's Status, byte for byte). */
static void test_registry_register_maps_annotations_too_long(void **state)
{
    struct st *t = *state;

    start(t, "HTTP/1.1 422 Unprocessable Entity",
          STATUS_422("FieldValueTooLong", "metadata.annotations"));
    assert_int_equal(kreg_register(t->r, t->s, &t->err), KREG_E_TOO_BIG);
    assert_int_equal(t->err.code, KREG_E_TOO_BIG);
    assert_int_equal(t->err.http_status, 422);
    assert_string_equal(t->err.reason, "Invalid");
    assert_string_equal(t->err.text,
                        "register greeter: Pod \"pod-a\" is invalid: "
                        "metadata.annotations: Too long: may not be more "
                        "than 262144 bytes");
}

/* Another 422 stays an HTTP error, as before. */
static void test_registry_register_keeps_other_422s(void **state)
{
    struct st *t = *state;

    start(t, "HTTP/1.1 422 Unprocessable Entity",
          STATUS_422("FieldValueInvalid", "metadata.annotations"));
    assert_int_equal(kreg_register(t->r, t->s, &t->err), KREG_E_HTTP);
    assert_int_equal(t->err.http_status, 422);
    script_stop(&t->srv);
    script_release(&t->srv);
    script_init(&t->srv);
    kreg_free(t->r);
    t->r = NULL;
    start(t, "HTTP/1.1 422 Unprocessable Entity",
          STATUS_422("FieldValueTooLong", "metadata.labels"));
    assert_int_equal(kreg_register(t->r, t->s, &t->err), KREG_E_HTTP);
}

/* Two Running pods serving greeter: pod-a with a malformed Ready
 * condition (no status), pod-b Ready. */
#define READY_LIST                                                             \
    "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":"                \
    "{\"resourceVersion\":\"7\"},\"items\":["                                  \
    "{\"metadata\":{\"name\":\"pod-a\",\"annotations\":{"                      \
    "\"micro.mu/service-greeter\":\"{\\\"name\\\":\\\"greeter\\\","            \
    "\\\"nodes\\\":[{\\\"id\\\":\\\"a\\\"}]}\"}},"                             \
    "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\"}]}" \
    "},"                                                                       \
    "{\"metadata\":{\"name\":\"pod-b\",\"annotations\":{"                      \
    "\"micro.mu/service-greeter\":\"{\\\"name\\\":\\\"greeter\\\","            \
    "\\\"nodes\\\":[{\\\"id\\\":\\\"b\\\"}]}\"}},"                             \
    "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\","   \
    "\"status\":\"True\"}]}}]}"

static void note_skip(void *ctx, const char *pod, const char *key,
                      const char *why)
{
    char *last = ctx;

    snprintf(last, 256, "%s %s: %s", pod, key, why);
}

/* Get and list with ready_only: a pod whose conditions are malformed does
 * not serve, and its annotation is reported through on_skip. */
static void test_registry_ready_only_reports_malformed_conditions(void **state)
{
    struct st *t = *state;
    char last[256] = "";
    struct kreg_query q = {.on_skip = note_skip, .ctx = last};
    struct kreg_service_list *l = NULL;
    const char *want = "pod-a micro.mu/service-greeter: pod not ready: "
                       "status.conditions[0] has no status";

    q.ready_only = true;
    script_json(&t->srv, SCRIPT_LIST, "HTTP/1.1 200 OK", READY_LIST);
    script_json(&t->srv, SCRIPT_LIST, "HTTP/1.1 200 OK", READY_LIST);
    start(t, "HTTP/1.1 200 OK", THE_POD);
    assert_int_equal(
        kreg_get_service_q(t->r, "greeter", &q, KREG_QUERY_SIZE, &l, &t->err),
        KREG_OK);
    assert_int_equal(l->count, 1);
    assert_int_equal(l->items[0]->nnodes, 1);
    assert_string_equal(l->items[0]->nodes[0]->id, "b");
    assert_string_equal(last, want);
    kreg_service_list_free(l);
    last[0] = '\0';
    assert_int_equal(
        kreg_list_services_q(t->r, &q, KREG_QUERY_SIZE, &l, &t->err), KREG_OK);
    assert_int_equal(l->count, 1);
    assert_int_equal(l->items[0]->nnodes, 1);
    assert_string_equal(last, want);
    kreg_service_list_free(l);
}

/* The _q entry points refuse a size below 0.1's struct, and a larger
 * struct (a newer kreg.h) setting a member this libkreg does not know. */
static void test_registry_query_size_is_checked(void **state)
{
    struct st *t = *state;
    struct {
        struct kreg_query q;
        unsigned char more[8]; /* a newer kreg.h's members */
    } big;
    struct kreg_service_list *l = NULL;

    memset(&big, 0, sizeof(big));
    start(t, "HTTP/1.1 200 OK", THE_POD);
    assert_int_equal(kreg_list_services_q(t->r, &big.q, 8, &l, &t->err),
                     KREG_E_INVALID);
    assert_null(l);
    big.more[3] = 1;
    assert_int_equal(
        kreg_list_services_q(t->r, &big.q, sizeof(big), &l, &t->err),
        KREG_E_INVALID);
    assert_non_null(strstr(t->err.text, "does not know"));
    assert_null(l);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_registry_register_accepts_the_patched_pod),
        T(test_registry_register_refuses_an_answer_that_is_not_json),
        T(test_registry_register_refuses_another_object),
        T(test_registry_deregister_refuses_another_pod),
        T(test_registry_register_maps_annotations_too_long),
        T(test_registry_register_keeps_other_422s),
        T(test_registry_ready_only_reports_malformed_conditions),
        T(test_registry_query_size_is_checked),
    };
#undef T
    return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
