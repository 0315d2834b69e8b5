/*
 * Watch streams over HTTP (docs/kubernetes-api.md, Watch): initial ADDED
 * events, live events, selector transitions, resume from a resourceVersion, the
 * 410 Expired ERROR event after compaction, bookmarks, timeoutSeconds, and
 * closing streams on demand.
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

/* Event @p i of @p w: its type and object name. */
static void expect_event(struct watch_client *w, size_t i, const char *type,
                         const char *name)
{
    json_t *ev;

    assert_true(watch_client_wait_lines(w, i + 1, 10));
    ev = watch_client_line(w, i);
    assert_non_null(ev);
    assert_string_equal(jstr(ev, "type"), type);
    if (name)
        assert_string_equal(
            jstr(json_object_get(ev, "object"), "metadata.name"), name);
    json_decref(ev);
}

static void test_watch_without_rv_starts_with_added_events(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;

    assert_int_equal(make_pod(srv, "default", "p1", NULL), 201);
    assert_int_equal(make_pod(srv, "default", "p2", NULL), 201);
    w = watch_client_start(srv, PODS "?watch=true", NULL);
    expect_event(w, 0, "ADDED", "p1");
    expect_event(w, 1, "ADDED", "p2");
    assert_int_equal(make_pod(srv, "default", "p3", NULL), 201);
    expect_event(w, 2, "ADDED", "p3");
    assert_int_equal(fakeapi_set_phase(srv, "default", "p3", "Running", NULL),
                     FAKEAPI_OK);
    expect_event(w, 3, "MODIFIED", "p3");
    fakeapi_close_watches(srv);
    assert_true(watch_client_wait_done(w, 10));
    assert_int_equal(w->status, 200);
    watch_client_free(w);
}

static void test_watch_deleted_carries_new_resource_version(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;
    struct http_res r;
    json_t *ev;
    size_t n;

    assert_int_equal(make_pod(srv, "default", "d", NULL), 201);
    w = watch_client_start(srv, PODS "?watch=1", NULL);
    expect_event(w, 0, "ADDED", "d");
    assert_int_equal(http(srv, "DELETE", PODS "/d", NULL, &r), 200);
    http_res_free(&r);
    /* MODIFIED (deletionTimestamp), then DELETED (docs/kubernetes-api.md,
     * Delete) */
    expect_event(w, 1, "MODIFIED", "d");
    expect_event(w, 2, "DELETED", "d");
    ev = watch_client_line(w, 2);
    n = strtoul(jstr(json_object_get(ev, "object"), "metadata.resourceVersion"),
                NULL, 10);
    assert_true(n == fakeapi_resource_version(srv));
    json_decref(ev);
    fakeapi_close_watches(srv);
    watch_client_free(w);
}

/* Removing the last finalizer of a pod being deleted removes it: one
 * DELETED event whose object is the pod as stored, finalizer and all, as
 * kube-apiserver v1.37 sends it (a client-go informer sees no update). */
static void test_watch_last_finalizer_gone_is_one_deleted(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;
    struct http_res r;
    json_t *ev;
    json_t *fin;
    const char *body =
        "{\"metadata\":{\"name\":\"f\",\"finalizers\":[\"example.com/"
        "hold\"]},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"
        "\"x\"}]}}";

    assert_int_equal(http(srv, "POST", PODS, body, &r), 201);
    http_res_free(&r);
    assert_int_equal(http(srv, "DELETE", PODS "/f", NULL, &r), 200);
    http_res_free(&r);
    w = watch_client_start(srv, PODS "?watch=1", NULL);
    expect_event(w, 0, "ADDED", "f");
    assert_int_equal(http_ct(srv, "PATCH", PODS "/f",
                             "application/merge-patch+json",
                             "{\"metadata\":{\"finalizers\":null}}", &r),
                     200);
    /* the answer is the patched pod: no finalizers */
    assert_null(
        json_object_get(json_object_get(r.json, "metadata"), "finalizers"));
    http_res_free(&r);
    expect_event(w, 1, "DELETED", "f");
    ev = watch_client_line(w, 1);
    fin = json_object_get(
        json_object_get(json_object_get(ev, "object"), "metadata"),
        "finalizers");
    assert_int_equal(json_array_size(fin), 1);
    assert_string_equal(json_string_value(json_array_get(fin, 0)),
                        "example.com/hold");
    json_decref(ev);
    fakeapi_close_watches(srv);
    assert_true(watch_client_wait_done(w, 10));
    /* nothing between ADDED and DELETED */
    assert_int_equal(w->lines, 2);
    watch_client_free(w);
}

static void test_watch_selector_transitions(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;
    struct http_res r;

    assert_int_equal(make_pod(srv, "default", "t", "{\"x\":\"1\"}"), 201);
    w = watch_client_start(srv, PODS "?watch=true&labelSelector=app%3Dweb",
                           NULL);
    assert_true(watch_client_wait_headers(w, 10));
    /* starts matching: ADDED */
    assert_int_equal(
        http_ct(srv, "PATCH", PODS "/t", "application/merge-patch+json",
                "{\"metadata\":{\"labels\":{\"app\":\"web\"}}}", &r),
        200);
    http_res_free(&r);
    expect_event(w, 0, "ADDED", "t");
    /* stops matching: DELETED */
    assert_int_equal(http_ct(srv, "PATCH", PODS "/t",
                             "application/merge-patch+json",
                             "{\"metadata\":{\"labels\":{\"app\":null}}}", &r),
                     200);
    http_res_free(&r);
    expect_event(w, 1, "DELETED", "t");
    fakeapi_close_watches(srv);
    watch_client_free(w);
}

static void test_watch_resumes_from_resource_version(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;
    char path[256];
    uint64_t rv;

    assert_int_equal(make_pod(srv, "default", "old", NULL), 201);
    rv = fakeapi_resource_version(srv);
    assert_int_equal(make_pod(srv, "default", "new1", NULL), 201);
    assert_int_equal(make_pod(srv, "default", "new2", NULL), 201);
    snprintf(path, sizeof(path), PODS "?watch=true&resourceVersion=%llu",
             (unsigned long long)rv);
    w = watch_client_start(srv, path, NULL);
    expect_event(w, 0, "ADDED", "new1");
    expect_event(w, 1, "ADDED", "new2");
    fakeapi_close_watches(srv);
    assert_true(watch_client_wait_done(w, 10));
    assert_int_equal(w->lines, 2);
    watch_client_free(w);
}

static void test_watch_too_old_after_compaction_is_410_event(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;
    char path[256];
    uint64_t rv;
    json_t *ev;

    assert_int_equal(make_pod(srv, "default", "a", NULL), 201);
    rv = fakeapi_resource_version(srv);
    assert_int_equal(make_pod(srv, "default", "b", NULL), 201);
    fakeapi_compact(srv);
    snprintf(path, sizeof(path), PODS "?watch=true&resourceVersion=%llu",
             (unsigned long long)rv);
    w = watch_client_start(srv, path, NULL);
    assert_true(watch_client_wait_done(w, 10));
    assert_int_equal(w->status, 200);
    ev = watch_client_line(w, 0);
    assert_string_equal(jstr(ev, "type"), "ERROR");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(ev, "object"), "code")),
                     410);
    assert_string_equal(jstr(json_object_get(ev, "object"), "reason"),
                        "Expired");
    assert_non_null(jstr(json_object_get(ev, "object"), "message"));
    json_decref(ev);
    watch_client_free(w);
}

static void test_watch_timeout_seconds_ends_stream(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;

    w = watch_client_start(srv, PODS "?watch=true&timeoutSeconds=1", NULL);
    assert_true(watch_client_wait_done(w, 10));
    assert_int_equal(w->status, 200);
    assert_int_equal(w->curl, CURLE_OK);
    watch_client_free(w);
    assert_int_equal(fakeapi_watch_count(srv), 0);
}

static void test_watch_cluster_wide_and_field_selector(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;

    assert_int_equal(fakeapi_create_namespace(srv, "other", NULL), FAKEAPI_OK);
    w = watch_client_start(
        srv, "/api/v1/pods?watch=true&fieldSelector=metadata.name%3Dwanted",
        NULL);
    assert_true(watch_client_wait_headers(w, 10));
    assert_int_equal(make_pod(srv, "default", "unwanted", NULL), 201);
    assert_int_equal(make_pod(srv, "other", "wanted", NULL), 201);
    expect_event(w, 0, "ADDED", "wanted");
    fakeapi_close_watches(srv);
    assert_true(watch_client_wait_done(w, 10));
    assert_int_equal(w->lines, 1);
    watch_client_free(w);
}

static void test_watch_table_events_for_kubectl(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;
    json_t *ev;

    assert_int_equal(make_pod(srv, "default", "tbl", NULL), 201);
    w = watch_client_start(srv, PODS "?watch=true",
                           "application/json;as=Table;v=v1;g=meta.k8s.io,"
                           "application/json");
    assert_true(watch_client_wait_lines(w, 1, 10));
    ev = watch_client_line(w, 0);
    assert_string_equal(jstr(ev, "type"), "ADDED");
    assert_string_equal(jstr(json_object_get(ev, "object"), "kind"), "Table");
    json_decref(ev);
    fakeapi_close_watches(srv);
    watch_client_free(w);
}

/* A metadata watch (client-go's metadata informers): each object as a
 * PartialObjectMetadata. */
static void test_watch_partial_object_metadata(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;
    json_t *ev;
    json_t *obj;
    struct http_res r;
    char url[512];
    const char *hdr[] = {
        "Accept: application/json;as=PartialObjectMetadataList;"
        "g=meta.k8s.io;v=v1",
        NULL};

    assert_int_equal(make_pod(srv, "default", "meta", NULL), 201);
    w = watch_client_start(srv, PODS "?watch=true&allowWatchBookmarks=true",
                           "application/json;as=PartialObjectMetadata;"
                           "g=meta.k8s.io;v=v1");
    assert_true(watch_client_wait_lines(w, 1, 10));
    ev = watch_client_line(w, 0);
    assert_string_equal(jstr(ev, "type"), "ADDED");
    obj = json_object_get(ev, "object");
    assert_string_equal(jstr(obj, "kind"), "PartialObjectMetadata");
    assert_string_equal(jstr(obj, "apiVersion"), "meta.k8s.io/v1");
    assert_string_equal(jstr(obj, "metadata.name"), "meta");
    assert_null(json_object_get(obj, "spec"));
    assert_null(json_object_get(obj, "status"));
    json_decref(ev);
    fakeapi_close_watches(srv);
    watch_client_free(w);
    /* a watch sends single objects: the list form does not fit */
    snprintf(url, sizeof(url), "%s%s?watch=true", fakeapi_url(srv), PODS);
    assert_int_equal(http_do("GET", url, NULL, hdr, &r), 406);
    assert_string_equal(jstr(r.json, "message"),
                        "you requested PartialObjectMetadataList, but the "
                        "requested object is not a list (*core.Pod)");
    http_res_free(&r);
}

static void test_watch_bad_parameters_are_http_errors(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(
        http(srv, "GET", PODS "?watch=true&labelSelector=a+in+b", NULL, &r),
        400);
    http_res_free(&r);
    assert_int_equal(
        http(srv, "GET", PODS "?watch=true&timeoutSeconds=soon", NULL, &r),
        400);
    http_res_free(&r);
    /* the watch cache's ParseUint error: a 500 without a reason */
    assert_int_equal(
        http(srv, "GET", PODS "?watch=true&resourceVersion=abc", NULL, &r),
        500);
    assert_string_equal(jstr(r.json, "message"),
                        "resourceVersion: Invalid value: \"abc\": "
                        "strconv.ParseUint: parsing \"abc\": invalid syntax");
    assert_null(json_object_get(r.json, "reason"));
    http_res_free(&r);
}

/* The 422 message of a watch query @p q (validateWatchOptions). */
static void expect_invalid(fakeapi *srv, const char *q, const char *msg)
{
    struct http_res r;
    char path[512];

    snprintf(path, sizeof(path), "%s?watch=true&%s", PODS, q);
    assert_int_equal(http(srv, "GET", path, NULL, &r), 422);
    assert_string_equal(jstr(r.json, "message"), msg);
    assert_string_equal(jstr(r.json, "details.group"), "meta.k8s.io");
    http_res_free(&r);
}

static void test_watch_list_options_validation(void **state)
{
    fakeapi *srv = *state;

    expect_invalid(srv, "sendInitialEvents=true",
                   "ListOptions.meta.k8s.io \"\" is invalid: "
                   "resourceVersionMatch: Forbidden: sendInitialEvents "
                   "requires setting resourceVersionMatch to NotOlderThan");
    expect_invalid(srv, "resourceVersionMatch=NotOlderThan",
                   "ListOptions.meta.k8s.io \"\" is invalid: "
                   "resourceVersionMatch: Forbidden: resourceVersionMatch "
                   "is forbidden for watch unless sendInitialEvents is "
                   "provided");
    expect_invalid(srv, "resourceVersion=5&resourceVersionMatch=Exact",
                   "ListOptions.meta.k8s.io \"\" is invalid: "
                   "[resourceVersionMatch: Forbidden: resourceVersionMatch "
                   "is forbidden for watch unless sendInitialEvents is "
                   "provided, resourceVersionMatch: Unsupported value: "
                   "\"Exact\": supported values: \"NotOlderThan\"]");
    expect_invalid(srv,
                   "sendInitialEvents=true&resourceVersionMatch="
                   "NotOlderThan&continue=abc",
                   "ListOptions.meta.k8s.io \"\" is invalid: "
                   "resourceVersionMatch: Forbidden: resourceVersionMatch "
                   "is forbidden when continue is provided");
}

/* Event @p i of @p w is the initial-events-end BOOKMARK. */
static void expect_initial_end(struct watch_client *w, size_t i)
{
    json_t *ev;
    json_t *obj;

    assert_true(watch_client_wait_lines(w, i + 1, 10));
    ev = watch_client_line(w, i);
    assert_string_equal(jstr(ev, "type"), "BOOKMARK");
    obj = json_object_get(ev, "object");
    assert_string_equal(jstr(obj, "kind"), "Pod");
    assert_non_null(jstr(obj, "metadata.resourceVersion"));
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(obj, "metadata"), "annotations"),
            "k8s.io/initial-events-end")),
        "true");
    assert_true(json_is_null(
        json_object_get(json_object_get(obj, "spec"), "containers")));
    assert_non_null(json_object_get(obj, "status"));
    json_decref(ev);
}

static void test_watch_send_initial_events_ends_with_bookmark(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;

    assert_int_equal(make_pod(srv, "default", "p1", NULL), 201);
    assert_int_equal(make_pod(srv, "default", "p2", NULL), 201);
    w = watch_client_start(srv,
                           PODS "?watch=true&sendInitialEvents=true&"
                                "resourceVersionMatch=NotOlderThan&"
                                "allowWatchBookmarks=true",
                           NULL);
    expect_event(w, 0, "ADDED", "p1");
    expect_event(w, 1, "ADDED", "p2");
    expect_initial_end(w, 2);
    assert_int_equal(make_pod(srv, "default", "p3", NULL), 201);
    expect_event(w, 3, "ADDED", "p3");
    fakeapi_close_watches(srv);
    watch_client_free(w);
}

/* SetListOptionsDefaults: no resourceVersion is a WatchList request */
static void test_watch_defaults_to_initial_events_bookmark(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;

    assert_int_equal(make_pod(srv, "default", "p1", NULL), 201);
    w = watch_client_start(srv, PODS "?watch=1&allowWatchBookmarks=true", NULL);
    expect_event(w, 0, "ADDED", "p1");
    expect_initial_end(w, 1);
    fakeapi_close_watches(srv);
    watch_client_free(w);
}

static void test_watch_send_initial_events_false_skips_state(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;

    assert_int_equal(make_pod(srv, "default", "old", NULL), 201);
    w = watch_client_start(srv,
                           PODS "?watch=true&sendInitialEvents=false&"
                                "resourceVersionMatch=NotOlderThan&"
                                "allowWatchBookmarks=true",
                           NULL);
    assert_true(watch_client_wait_headers(w, 10));
    assert_int_equal(make_pod(srv, "default", "new", NULL), 201);
    expect_event(w, 0, "ADDED", "new");
    fakeapi_close_watches(srv);
    watch_client_free(w);
}

static void test_watch_named_path_watches_one_pod(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;
    struct http_res r;

    assert_int_equal(make_pod(srv, "default", "p1", NULL), 201);
    assert_int_equal(make_pod(srv, "default", "p2", NULL), 201);
    w = watch_client_start(srv, "/api/v1/watch/namespaces/default/pods/p2",
                           NULL);
    expect_event(w, 0, "ADDED", "p2");
    assert_int_equal(fakeapi_set_phase(srv, "default", "p1", "Running", NULL),
                     FAKEAPI_OK);
    assert_int_equal(fakeapi_set_phase(srv, "default", "p2", "Running", NULL),
                     FAKEAPI_OK);
    expect_event(w, 1, "MODIFIED", "p2");
    fakeapi_close_watches(srv);
    watch_client_free(w);
    /* get.go ListResource: a selector must require the path's name */
    assert_int_equal(http(srv, "GET",
                          "/api/v1/watch/namespaces/default/pods/p1?"
                          "fieldSelector=metadata.name%3Dp2",
                          NULL, &r),
                     400);
    assert_string_equal(
        jstr(r.json, "message"),
        "fieldSelector metadata.name doesn't match requested name");
    http_res_free(&r);
    /* ?watch on a named path is ignored: a GET */
    assert_int_equal(http(srv, "GET", PODS "/p1?watch=1", NULL, &r), 200);
    assert_string_equal(jstr(r.json, "metadata.name"), "p1");
    http_res_free(&r);
}

static void test_watch_negative_timeout_ends_at_once(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;

    assert_int_equal(make_pod(srv, "default", "p1", NULL), 201);
    w = watch_client_start(srv, PODS "?watch=true&timeoutSeconds=-1", NULL);
    assert_true(watch_client_wait_done(w, 10));
    assert_int_equal(w->status, 200);
    assert_false(watch_client_wait_lines(w, 1, 0));
    watch_client_free(w);
}

static void test_watch_many_concurrent_watchers(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w[20];
    size_t i;

    for (i = 0; i < 20; i++)
        w[i] = watch_client_start(srv, PODS "?watch=true", NULL);
    for (i = 0; i < 20; i++)
        assert_true(watch_client_wait_headers(w[i], 10));
    assert_int_equal(fakeapi_watch_count(srv), 20);
    assert_int_equal(make_pod(srv, "default", "fan", NULL), 201);
    for (i = 0; i < 20; i++)
        expect_event(w[i], 0, "ADDED", "fan");
    assert_int_equal(fakeapi_close_watches(srv), 20);
    for (i = 0; i < 20; i++)
        watch_client_free(w[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_watch_without_rv_starts_with_added_events),
        T(test_watch_deleted_carries_new_resource_version),
        T(test_watch_last_finalizer_gone_is_one_deleted),
        T(test_watch_selector_transitions),
        T(test_watch_resumes_from_resource_version),
        T(test_watch_too_old_after_compaction_is_410_event),
        T(test_watch_timeout_seconds_ends_stream),
        T(test_watch_cluster_wide_and_field_selector),
        T(test_watch_table_events_for_kubectl),
        T(test_watch_partial_object_metadata),
        T(test_watch_bad_parameters_are_http_errors),
        T(test_watch_many_concurrent_watchers),
        T(test_watch_list_options_validation),
        T(test_watch_send_initial_events_ends_with_bookmark),
        T(test_watch_defaults_to_initial_events_bookmark),
        T(test_watch_send_initial_events_false_skips_state),
        T(test_watch_named_path_watches_one_pod),
        T(test_watch_negative_timeout_ends_at_once),
#undef T
    };
    return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
