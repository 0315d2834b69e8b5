/*
 * Namespace list selectors over HTTP: labelSelector and fieldSelector
 * filter GET /api/v1/namespaces as kube-apiserver v1.37.2 does, with the
 * same 400 answers for bad selectors and unsupported field labels
 * (measured against a real control plane, ci/realapi.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "testutil.h"

static int setup(void **state)
{
    static const char *const bodies[] = {
        "{\"metadata\":{\"name\":\"nsa\",\"labels\":{\"team\":\"nsa\","
        "\"tier\":\"x\"}}}",
        "{\"metadata\":{\"name\":\"nsb\",\"labels\":{\"team\":\"nsb\","
        "\"tier\":\"x\"}}}",
    };
    fakeapi *srv = NULL;
    struct http_res r;
    size_t i;

    if (fakeapi_start(NULL, &srv, NULL) != FAKEAPI_OK)
        return -1;
    for (i = 0; i < 2; i++) {
        long st = http(srv, "POST", "/api/v1/namespaces", bodies[i], &r);

        http_res_free(&r);
        if (st != 201) {
            fakeapi_stop(srv);
            return -1;
        }
    }
    *state = srv;
    return 0;
}

static int teardown(void **state)
{
    fakeapi_stop(*state);
    return 0;
}

/* The names the list answers for @p query, comma-joined into @p out
 * ("default", "nsa" and "nsb" only: the other initial ones are skipped). */
static void ns_names(fakeapi *srv, const char *query, char *out, size_t size)
{
    char path[512];
    struct http_res r;
    json_t *it;
    size_t i;
    size_t len = 0;

    snprintf(path, sizeof(path), "/api/v1/namespaces?%s", query);
    assert_int_equal(http(srv, "GET", path, NULL, &r), 200);
    assert_string_equal(jstr(r.json, "kind"), "NamespaceList");
    out[0] = '\0';
    json_array_foreach(json_object_get(r.json, "items"), i, it)
    {
        const char *name = jstr(it, "metadata.name");
        int n;

        if (strncmp(name, "kube-", 5) == 0)
            continue;
        n = snprintf(out + len, size - len, "%s%s", len ? "," : "", name);
        if (n > 0)
            len += (size_t)n;
    }
    http_res_free(&r);
}

static void expect_400(fakeapi *srv, const char *query, const char *msg)
{
    char path[512];
    struct http_res r;

    snprintf(path, sizeof(path), "/api/v1/namespaces?%s", query);
    assert_int_equal(http(srv, "GET", path, NULL, &r), 400);
    assert_string_equal(jstr(r.json, "reason"), "BadRequest");
    assert_string_equal(jstr(r.json, "message"), msg);
    http_res_free(&r);
}

static void test_namespaces_list_filters_by_label_selector(void **state)
{
    char got[256];

    ns_names(*state, "labelSelector=team%3Dnsa", got, sizeof(got));
    assert_string_equal(got, "nsa");
    ns_names(*state, "labelSelector=tier", got, sizeof(got));
    assert_string_equal(got, "nsa,nsb");
    ns_names(*state, "labelSelector=team!%3Dnsa,tier", got, sizeof(got));
    assert_string_equal(got, "nsb");
    /* the label every namespace gets from the server */
    ns_names(*state, "labelSelector=kubernetes.io/metadata.name%3Ddefault", got,
             sizeof(got));
    assert_string_equal(got, "default");
    ns_names(*state, "labelSelector=team%3Dnsa,team%3Dnsb", got, sizeof(got));
    assert_string_equal(got, "");
}

static void test_namespaces_list_filters_by_field_selector(void **state)
{
    char got[256];

    ns_names(*state, "fieldSelector=metadata.name%3Dnsa", got, sizeof(got));
    assert_string_equal(got, "nsa");
    ns_names(*state, "fieldSelector=metadata.name%3D%3Dnsb", got, sizeof(got));
    assert_string_equal(got, "nsb");
    ns_names(*state, "fieldSelector=metadata.name!%3Dnsa", got, sizeof(got));
    assert_string_equal(got, "default,nsb");
    ns_names(*state, "fieldSelector=status.phase%3DActive", got, sizeof(got));
    assert_string_equal(got, "default,nsa,nsb");
    ns_names(*state, "fieldSelector=status.phase%3DTerminating", got,
             sizeof(got));
    assert_string_equal(got, "");
    ns_names(*state, "fieldSelector=metadata.name%3D", got, sizeof(got));
    assert_string_equal(got, "");
}

static void test_namespaces_list_ands_label_and_field_selectors(void **state)
{
    char got[256];

    ns_names(*state,
             "fieldSelector=metadata.name%3Dnsa&labelSelector=team%3Dnsb", got,
             sizeof(got));
    assert_string_equal(got, "");
    ns_names(*state,
             "fieldSelector=metadata.name%3Dnsa,status.phase%3DActive"
             "&labelSelector=tier",
             got, sizeof(got));
    assert_string_equal(got, "nsa");
}

static void test_namespaces_list_rejects_unsupported_field_label(void **state)
{
    expect_400(*state, "fieldSelector=metadata.namespace%3Dnsa",
               "field label not supported: metadata.namespace");
    /* the registry's "name" alias does not pass the conversion */
    expect_400(*state, "fieldSelector=name%3Dnsa",
               "field label not supported: name");
    expect_400(*state, "fieldSelector=metadata.uid%3Dx",
               "field label not supported: metadata.uid");
    expect_400(*state, "fieldSelector=metadata.name",
               "invalid selector: 'metadata.name'; can't understand "
               "'metadata.name'");
}

static void test_namespaces_list_rejects_bad_label_selector_first(void **state)
{
    expect_400(*state, "labelSelector=%3D%3D",
               "found '==', expected: !, identifier, or 'end of string'");
    expect_400(*state, "labelSelector=a%20in%20x",
               "unable to parse requirement: found 'x' expected: '('");
    /* both bad: the label selector is parsed first */
    expect_400(*state, "fieldSelector=bad%3D1&labelSelector=%3D%3D",
               "found '==', expected: !, identifier, or 'end of string'");
}

static void test_namespaces_list_filters_table_and_metadata_forms(void **state)
{
    const char *table[] = {
        "Accept: application/json;as=Table;v=v1;g=meta.k8s.io", NULL};
    const char *partial[] = {"Accept: application/json;as="
                             "PartialObjectMetadataList;v=v1;g=meta.k8s.io",
                             NULL};
    char url[512];
    struct http_res r;

    snprintf(url, sizeof(url), "%s/api/v1/namespaces?labelSelector=team%%3Dnsb",
             fakeapi_url(*state));
    assert_int_equal(http_do("GET", url, NULL, table, &r), 200);
    assert_string_equal(jstr(r.json, "kind"), "Table");
    assert_int_equal(json_array_size(json_object_get(r.json, "rows")), 1);
    http_res_free(&r);
    assert_int_equal(http_do("GET", url, NULL, partial, &r), 200);
    assert_string_equal(jstr(r.json, "kind"), "PartialObjectMetadataList");
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    assert_string_equal(
        jstr(json_array_get(json_object_get(r.json, "items"), 0),
             "metadata.name"),
        "nsb");
    http_res_free(&r);
}

/* GET @p path until it answers @p want, at most 5 s (a condition, not a
 * sleep: each try is a request); returns the last status. */
static long get_until(fakeapi *srv, const char *path, long want)
{
    uint64_t deadline = (uint64_t)time(NULL) + 5;
    struct http_res r;
    long st;

    do {
        st = http(srv, "GET", path, NULL, &r);
        http_res_free(&r);
    } while (st != want && (uint64_t)time(NULL) < deadline);
    return st;
}

/* A delete is an update to Terminating (new resourceVersion, the
 * deletionTimestamp before the labels); the namespace stays until the
 * controller's work is done; a second delete answers it as it is. */
static void test_namespaces_delete_terminates_then_removes(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    char rv[32];
    json_t *meta;
    const char *key;
    json_t *v;
    size_t i = 0;

    assert_int_equal(make_pod(srv, "nsa", "p1", NULL), 201);
    assert_int_equal(http(srv, "GET", "/api/v1/namespaces/nsa", NULL, &r), 200);
    snprintf(rv, sizeof(rv), "%s", jstr(r.json, "metadata.resourceVersion"));
    http_res_free(&r);
    assert_int_equal(http(srv, "DELETE", "/api/v1/namespaces/nsa", NULL, &r),
                     200);
    assert_string_equal(jstr(r.json, "status.phase"), "Terminating");
    assert_string_not_equal(jstr(r.json, "metadata.resourceVersion"), rv);
    meta = json_object_get(r.json, "metadata");
    json_object_foreach(meta, key, v)
    {
        if (strcmp(key, "deletionTimestamp") == 0)
            assert_int_equal(i, 4); /* name uid rv creation deletion */
        i++;
    }
    http_res_free(&r);
    /* its pods are gone at once */
    assert_int_equal(http(srv, "GET", "/api/v1/namespaces/nsa/pods", NULL, &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    http_res_free(&r);
    assert_int_equal(http(srv, "DELETE", "/api/v1/namespaces/nsa", NULL, &r),
                     200);
    assert_string_equal(jstr(r.json, "status.phase"), "Terminating");
    http_res_free(&r);
    assert_int_equal(get_until(srv, "/api/v1/namespaces/nsa", 404), 404);
}

/* NamespaceLifecycle: no new pod in a namespace being terminated. */
static void test_namespaces_terminating_refuses_new_pods(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    json_t *cause;

    assert_int_equal(http(srv, "DELETE", "/api/v1/namespaces/nsb", NULL, &r),
                     200);
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", "/api/v1/namespaces/nsb/pods",
                          "{\"metadata\":{\"name\":\"p2\"},\"spec\":{"
                          "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}",
                          &r),
                     403);
    assert_string_equal(jstr(r.json, "message"),
                        "pods \"p2\" is forbidden: unable to create new "
                        "content in namespace nsb because it is being "
                        "terminated");
    assert_string_equal(jstr(r.json, "details.name"), "p2");
    assert_string_equal(jstr(r.json, "details.kind"), "pods");
    cause = json_array_get(
        json_object_get(json_object_get(r.json, "details"), "causes"), 0);
    assert_string_equal(jstr(cause, "reason"), "NamespaceTerminating");
    assert_string_equal(jstr(cause, "message"),
                        "namespace nsb is being terminated");
    assert_string_equal(jstr(cause, "field"), "metadata.namespace");
    http_res_free(&r);
    assert_int_equal(get_until(srv, "/api/v1/namespaces/nsb", 404), 404);
    assert_int_equal(make_pod(srv, "nsb", "p3", NULL), 404);
}

/* Create keeps annotations, sorts labels as Go writes a map, generates a
 * name, answers a dry run without storing it, and refuses another kind. */
static void test_namespaces_create_as_kube_apiserver(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    const char *name;
    const char *first = NULL;
    const char *key;
    json_t *v;

    assert_int_equal(
        http(srv, "POST", "/api/v1/namespaces",
             "{\"metadata\":{\"generateName\":\"gen-\",\"labels\":{\"z\":"
             "\"1\",\"a\":\"2\"},\"annotations\":{\"n\":\"v\"}}}",
             &r),
        201);
    name = jstr(r.json, "metadata.name");
    assert_int_equal(strlen(name), 9);
    assert_memory_equal(name, "gen-", 4);
    assert_string_equal(jstr(r.json, "metadata.generateName"), "gen-");
    assert_string_equal(jstr(r.json, "metadata.annotations.n"), "v");
    json_object_foreach(
        json_object_get(json_object_get(r.json, "metadata"), "labels"), key, v)
    {
        if (!first)
            first = key;
    }
    assert_string_equal(first, "a");
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", "/api/v1/namespaces?dryRun=All",
                          "{\"metadata\":{\"name\":\"dry\"}}", &r),
                     201);
    assert_null(jstr(r.json, "metadata.resourceVersion"));
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/api/v1/namespaces/dry", NULL, &r), 404);
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", "/api/v1/namespaces",
                          "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
                          "\"metadata\":{\"name\":\"k\"}}",
                          &r),
                     400);
    assert_string_equal(jstr(r.json, "message"),
                        "Pod in version \"v1\" cannot be handled as a "
                        "Namespace: converting (v1.Pod) to (core.Namespace): "
                        "unknown conversion");
    http_res_free(&r);
}

/* A NamespaceList's items carry no kind or apiVersion. */
static void test_namespaces_list_items_have_no_kind(void **state)
{
    struct http_res r;
    json_t *item;

    assert_int_equal(
        http(*state, "GET",
             "/api/v1/namespaces?fieldSelector=metadata.name%3Dnsa", NULL, &r),
        200);
    item = json_array_get(json_object_get(r.json, "items"), 0);
    assert_string_equal(jstr(item, "metadata.name"), "nsa");
    assert_null(json_object_get(item, "kind"));
    assert_null(json_object_get(item, "apiVersion"));
    http_res_free(&r);
}

/* One namespace as a Table: the full column descriptions, the object as
 * includeObject says, the namespace's resourceVersion. */
static void test_namespaces_get_as_table(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    char url[512];
    const char *hdr[] = {"Accept: application/json;as=Table;v=v1;g=meta.k8s.io",
                         NULL};
    json_t *cols;
    json_t *row;

    snprintf(url, sizeof(url), "%s/api/v1/namespaces/nsa?includeObject=Object",
             fakeapi_url(srv));
    assert_int_equal(http_do("GET", url, NULL, hdr, &r), 200);
    assert_string_equal(jstr(r.json, "kind"), "Table");
    cols = json_object_get(r.json, "columnDefinitions");
    assert_non_null(strstr(jstr(json_array_get(cols, 0), "description"),
                           "More info: https://kubernetes.io/docs/concepts/"
                           "overview/working-with-objects/names#names"));
    row = json_array_get(json_object_get(r.json, "rows"), 0);
    assert_string_equal(jstr(row, "object.kind"), "Namespace");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(row, "cells"), 1)),
        "Active");
    http_res_free(&r);
}

/* An empty body: Go's "unexpected end of JSON input", "<empty>". */
static void test_namespaces_create_empty_body_is_unrecognized(void **state)
{
    struct http_res r;

    assert_int_equal(http_ct(*state, "POST", "/api/v1/namespaces",
                             "application/json", "", &r),
                     400);
    assert_string_equal(jstr(r.json, "message"),
                        "the object provided is unrecognized (must be of type "
                        "Namespace): couldn't get version/kind; json parse "
                        "error: unexpected end of JSON input (<empty>)");
    http_res_free(&r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_namespaces_list_filters_by_label_selector),
        T(test_namespaces_list_filters_by_field_selector),
        T(test_namespaces_list_ands_label_and_field_selectors),
        T(test_namespaces_list_rejects_unsupported_field_label),
        T(test_namespaces_list_rejects_bad_label_selector_first),
        T(test_namespaces_list_filters_table_and_metadata_forms),
        T(test_namespaces_delete_terminates_then_removes),
        T(test_namespaces_terminating_refuses_new_pods),
        T(test_namespaces_create_as_kube_apiserver),
        T(test_namespaces_get_as_table),
        T(test_namespaces_list_items_have_no_kind),
        T(test_namespaces_create_empty_body_is_unrecognized),
    };
#undef T
    return cmocka_run_group_tests_name("namespaces", tests, NULL, NULL);
}
