/*
 * dryRun=All on every pod verb (issue 13): each request is sent twice,
 * first with dryRun=All, then for real. The dry run answers what the real
 * request answers, apart from what a real server generates (uid,
 * creationTimestamp, deletionTimestamp, resourceVersion, the token
 * volume's suffix); it stores nothing, moves no resourceVersion and sends
 * no watch event (k8s.io/apiserver/pkg/registry/generic/registry/dryrun.go
 * DryRunnableStorage: Create, GuaranteedUpdate and Delete return before
 * the storage is written; store.go DeleteCollection deletes through
 * Delete). fakeapi/fidelity/corpus/dryrun.yaml compares the same requests
 * with a real kube-apiserver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#define PODS  "/api/v1/namespaces/default/pods"
#define MERGE "application/merge-patch+json"
#define SMP   "application/strategic-merge-patch+json"
#define JSONP "application/json-patch+json"

struct fixture {
    fakeapi *srv;
    struct watch_client *w; /* every pod event after rv0 */
    uint64_t rv0;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char path[128];

    if (!f || fakeapi_start(NULL, &f->srv, NULL) != FAKEAPI_OK) {
        free(f);
        return -1;
    }
    f->rv0 = fakeapi_resource_version(f->srv);
    /* every pod of these tests is in "default"; the watch spans all
     * namespaces */
    snprintf(path, sizeof(path), "/api/v1/pods?watch=true&resourceVersion=%llu",
             (unsigned long long)f->rv0);
    f->w = watch_client_start(f->srv, path, NULL);
    if (!watch_client_wait_headers(f->w, 10)) {
        watch_client_free(f->w);
        fakeapi_stop(f->srv);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    watch_client_free(f->w);
    fakeapi_stop(f->srv);
    free(f);
    return 0;
}

/* Drop what a server generates: resourceVersion, uid and the times of
 * creation and deletion wherever they are, and the random suffix of the
 * ServiceAccount token volume (its name and its mounts' names). */
static void strip_generated(json_t *j)
{
    static const char *const keys[] = {
        "resourceVersion", "uid", "creationTimestamp", "deletionTimestamp"};
    const char *k;
    json_t *v;
    size_t i;

    if (json_is_object(j)) {
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            json_object_del(j, keys[i]);
        json_object_foreach(j, k, v)
        {
            if (json_is_string(v) &&
                strncmp(json_string_value(v), "kube-api-access-", 16) == 0)
                json_string_set(v, "kube-api-access-");
            strip_generated(v);
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) strip_generated(v);
    }
}

/* The answers are the same once generated values are dropped. */
static void assert_same_answer(const struct http_res *dry,
                               const struct http_res *real)
{
    json_t *a = json_deep_copy(dry->json);
    json_t *b = json_deep_copy(real->json);
    bool same;

    assert_non_null(a);
    assert_non_null(b);
    strip_generated(a);
    strip_generated(b);
    same = json_equal(a, b);
    if (!same)
        print_error("dry run answered %s\nthe request answered %s\n", dry->body,
                    real->body);
    json_decref(a);
    json_decref(b);
    assert_int_equal(dry->status, real->status);
    assert_true(same);
}

static void request(fakeapi *srv, const char *method, const char *path,
                    const char *ctype, const char *body, struct http_res *r)
{
    if (ctype)
        http_ct(srv, method, path, ctype, body, r);
    else
        http(srv, method, path, body, r);
}

/*
 * Send @p method @p path (a query is allowed) with dryRun=All, check that
 * the state read at @p state_path (its status and bytes) and the
 * resourceVersion did not move, then send it for real: both answer
 * @p want and the same object. *dry_out, when given, keeps the dry run's
 * answer (free with http_res_free()).
 */
static void dry_then_real(fakeapi *srv, const char *method, const char *path,
                          const char *ctype, const char *body,
                          const char *state_path, long want,
                          struct http_res *dry_out)
{
    struct http_res before;
    struct http_res after;
    struct http_res dry;
    struct http_res real;
    char dpath[512];
    uint64_t rv = fakeapi_resource_version(srv);

    snprintf(dpath, sizeof(dpath), "%s%sdryRun=All", path,
             strchr(path, '?') ? "&" : "?");
    http(srv, "GET", state_path, NULL, &before);
    request(srv, method, dpath, ctype, body, &dry);
    http(srv, "GET", state_path, NULL, &after);
    assert_int_equal(dry.status, want);
    /* nothing stored, the counter where it was */
    assert_int_equal(after.status, before.status);
    assert_string_equal(after.body, before.body);
    assert_true(fakeapi_resource_version(srv) == rv);
    request(srv, method, path, ctype, body, &real);
    assert_int_equal(real.status, want);
    assert_same_answer(&dry, &real);
    http_res_free(&before);
    http_res_free(&after);
    http_res_free(&real);
    if (dry_out)
        *dry_out = dry;
    else
        http_res_free(&dry);
}

/* The watch opened before the first request saw the real writes only:
 * one event per resourceVersion given out since, in order. */
static void assert_watch_saw_real_writes_only(struct fixture *f)
{
    uint64_t end = fakeapi_resource_version(f->srv);
    size_t n = (size_t)(end - f->rv0);
    size_t i;

    assert_true(n > 0);
    assert_true(watch_client_wait_lines(f->w, n, 10));
    fakeapi_close_watches(f->srv);
    assert_true(watch_client_wait_done(f->w, 10));
    assert_int_equal(f->w->lines, n);
    for (i = 0; i < n; i++) {
        json_t *ev = watch_client_line(f->w, i);
        char want[24];

        snprintf(want, sizeof(want), "%llu",
                 (unsigned long long)(f->rv0 + 1 + i));
        assert_non_null(ev);
        assert_string_equal(jstr(ev, "object.metadata.resourceVersion"), want);
        json_decref(ev);
    }
}

/* The stored pod @p name (new JSON text: free() it). */
static char *stored(fakeapi *srv, const char *name)
{
    char *text = NULL;

    assert_int_equal(fakeapi_get_pod(srv, "default", name, &text, NULL),
                     FAKEAPI_OK);
    return text;
}

/* @p name's resourceVersion as stored (into @p rv). */
static void stored_rv(fakeapi *srv, const char *name, char rv[32])
{
    char *text = stored(srv, name);
    json_t *j = json_loads(text, 0, NULL);

    snprintf(rv, 32, "%s", jstr(j, "metadata.resourceVersion"));
    json_decref(j);
    free(text);
}

/* A dry-run create answers the pod as created (defaults, uid, creation
 * time, token volume) without a resourceVersion: nothing was written. */
static void test_pods_dryrun_create(void **state)
{
    struct fixture *f = *state;
    struct http_res dry;

    dry_then_real(f->srv, "POST", PODS, NULL,
                  "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\"}},"
                  "\"spec\":{\"containers\":[{\"name\":\"c\","
                  "\"image\":\"busybox\"}]}}",
                  PODS "/p", 201, &dry);
    assert_null(jstr(dry.json, "metadata.resourceVersion"));
    assert_non_null(jstr(dry.json, "metadata.uid"));
    assert_string_equal(jstr(dry.json, "spec.restartPolicy"), "Always");
    http_res_free(&dry);
    assert_watch_saw_real_writes_only(f);
}

/* PUT and each patch kind: the would-be pod at the stored
 * resourceVersion (dryrun.go GuaranteedUpdate). */
static void test_pods_dryrun_update_and_patches(void **state)
{
    struct fixture *f = *state;
    struct http_res dry;
    struct http_res r;
    char rv[32];
    char *put;

    assert_int_equal(make_pod(f->srv, "default", "p", "{\"a\":\"1\"}"), 201);
    /* PUT what GET answered, one label changed */
    assert_int_equal(http(f->srv, "GET", PODS "/p", NULL, &r), 200);
    put = strdup(r.body);
    http_res_free(&r);
    memcpy(strstr(put, "\"a\":\"1\""), "\"a\":\"2\"", 7);
    stored_rv(f->srv, "p", rv);
    dry_then_real(f->srv, "PUT", PODS "/p", NULL, put, PODS "/p", 200, &dry);
    assert_string_equal(jstr(dry.json, "metadata.labels.a"), "2");
    assert_string_equal(jstr(dry.json, "metadata.resourceVersion"), rv);
    http_res_free(&dry);
    free(put);

    stored_rv(f->srv, "p", rv);
    dry_then_real(f->srv, "PATCH", PODS "/p", MERGE,
                  "{\"metadata\":{\"labels\":{\"b\":\"merge\"}}}", PODS "/p",
                  200, &dry);
    assert_string_equal(jstr(dry.json, "metadata.labels.b"), "merge");
    assert_string_equal(jstr(dry.json, "metadata.resourceVersion"), rv);
    http_res_free(&dry);

    /* a spec change: the generation moves in both answers */
    dry_then_real(f->srv, "PATCH", PODS "/p", SMP,
                  "{\"spec\":{\"containers\":[{\"name\":\"c\","
                  "\"image\":\"busybox:2\"}]}}",
                  PODS "/p", 200, &dry);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(dry.json, "metadata"), "generation")),
                     2);
    http_res_free(&dry);

    dry_then_real(f->srv, "PATCH", PODS "/p", JSONP,
                  "[{\"op\":\"add\",\"path\":\"/metadata/annotations\","
                  "\"value\":{\"x\":\"y\"}}]",
                  PODS "/p", 200, &dry);
    assert_string_equal(jstr(dry.json, "metadata.annotations.x"), "y");
    http_res_free(&dry);

    /* a rejected patch is rejected alike */
    dry_then_real(f->srv, "PATCH", PODS "/p", JSONP,
                  "[{\"op\":\"test\",\"path\":\"/metadata/labels/a\","
                  "\"value\":\"9\"}]",
                  PODS "/p", 422, NULL);
    assert_watch_saw_real_writes_only(f);
}

/* The /status subresource, by PUT and by PATCH. */
static void test_pods_dryrun_status(void **state)
{
    struct fixture *f = *state;
    struct http_res dry;
    struct http_res r;
    json_t *pod;
    char *put;

    assert_int_equal(make_pod(f->srv, "default", "p", NULL), 201);
    assert_int_equal(http(f->srv, "GET", PODS "/p", NULL, &r), 200);
    pod = json_deep_copy(r.json);
    http_res_free(&r);
    json_object_set_new(json_object_get(pod, "status"), "phase",
                        json_string("Running"));
    put = json_dumps(pod, JSON_COMPACT);
    json_decref(pod);
    dry_then_real(f->srv, "PUT", PODS "/p/status", NULL, put, PODS "/p", 200,
                  &dry);
    assert_string_equal(jstr(dry.json, "status.phase"), "Running");
    http_res_free(&dry);
    free(put);

    dry_then_real(f->srv, "PATCH", PODS "/p/status", MERGE,
                  "{\"status\":{\"message\":\"dry\"}}", PODS "/p", 200, &dry);
    assert_string_equal(jstr(dry.json, "status.message"), "dry");
    http_res_free(&dry);
    assert_watch_saw_real_writes_only(f);
}

/* DELETE of a bound pod (a grace period: marked terminating) and of an
 * unbound one (grace 0: removed). */
static void test_pods_dryrun_delete(void **state)
{
    struct fixture *f = *state;
    struct http_res dry;
    struct http_res r;
    char rv[32];

    assert_int_equal(
        http(f->srv, "POST", PODS,
             "{\"metadata\":{\"name\":\"bound\"},\"spec\":{\"nodeName\":"
             "\"node-a\",\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
             &r),
        201);
    http_res_free(&r);
    assert_int_equal(make_pod(f->srv, "default", "p", NULL), 201);

    stored_rv(f->srv, "bound", rv);
    dry_then_real(f->srv, "DELETE", PODS "/bound", NULL, NULL, PODS "/bound",
                  200, &dry);
    assert_non_null(jstr(dry.json, "metadata.deletionTimestamp"));
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(dry.json, "metadata"),
                                         "deletionGracePeriodSeconds")),
                     30);
    assert_string_equal(jstr(dry.json, "metadata.resourceVersion"), rv);
    http_res_free(&dry);

    dry_then_real(f->srv, "DELETE", PODS "/p", NULL, NULL, PODS "/p", 200,
                  NULL);
    assert_int_equal(http(f->srv, "GET", PODS "/p", NULL, &r), 404);
    http_res_free(&r);
    assert_watch_saw_real_writes_only(f);
}

/* A deletecollection answers the pods as listed; the dry run deletes
 * none of them. */
static void test_pods_dryrun_deletecollection(void **state)
{
    struct fixture *f = *state;
    struct http_res dry;
    struct http_res r;

    assert_int_equal(make_pod(f->srv, "default", "q1", "{\"app\":\"x\"}"), 201);
    assert_int_equal(make_pod(f->srv, "default", "q2", "{\"app\":\"x\"}"), 201);
    assert_int_equal(make_pod(f->srv, "default", "other", NULL), 201);
    dry_then_real(f->srv, "DELETE", PODS "?labelSelector=app%3Dx", NULL, NULL,
                  PODS, 200, &dry);
    assert_int_equal(json_array_size(json_object_get(dry.json, "items")), 2);
    http_res_free(&dry);
    assert_int_equal(
        http(f->srv, "GET", PODS "?labelSelector=app%3Dx", NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    http_res_free(&r);
    assert_int_equal(fakeapi_pod_count(f->srv), 1);
    assert_watch_saw_real_writes_only(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_pods_dryrun_create),
        T(test_pods_dryrun_update_and_patches),
        T(test_pods_dryrun_status),
        T(test_pods_dryrun_delete),
        T(test_pods_dryrun_deletecollection),
#undef T
    };
    return cmocka_run_group_tests_name("pods_dryrun", tests, NULL, NULL);
}
