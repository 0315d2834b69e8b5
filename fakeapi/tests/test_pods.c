/*
 * One pod over HTTP: create, get, update, patch, status, delete, and
 * every error path of those (docs/kubernetes-api.md, Pods, Patch, Status
 * errors, Delete).
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

static void test_pods_create_sets_server_fields(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    const char *body =
        "{\"metadata\":{\"name\":\"p1\"},\"spec\":{\"containers\":[{\"name\":"
        "\"c\",\"image\":\"nginx:1.25\"}]},\"status\":{\"phase\":"
        "\"Running\"}}";

    assert_int_equal(http(srv, "POST", PODS, body, &r), 201);
    assert_string_equal(jstr(r.json, "kind"), "Pod");
    assert_string_equal(jstr(r.json, "apiVersion"), "v1");
    assert_string_equal(jstr(r.json, "metadata.namespace"), "default");
    assert_int_equal(strlen(jstr(r.json, "metadata.uid")), 36);
    assert_non_null(jstr(r.json, "metadata.resourceVersion"));
    assert_int_equal(strlen(jstr(r.json, "metadata.creationTimestamp")), 20);
    /* docs/kubernetes-api.md, Pod create: status sent on create is discarded */
    assert_string_equal(jstr(r.json, "status.phase"), "Pending");
    assert_string_equal(jstr(r.json, "spec.restartPolicy"), "Always");
    /* strategy.go PrepareForCreate: generation 1; ServiceAccount
     * admission mounts the token in every container */
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(r.json, "metadata"), "generation")),
                     1);
    assert_non_null(strstr(r.body, "\"mountPath\":\"/var/run/secrets/"
                                   "kubernetes.io/serviceaccount\""));
    assert_non_null(strstr(r.body, "\"name\":\"kube-api-access-"));
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", PODS "/p1", NULL, &r), 200);
    assert_string_equal(jstr(r.json, "metadata.name"), "p1");
    http_res_free(&r);
}

static void test_pods_resource_version_strictly_increases(void **state)
{
    fakeapi *srv = *state;
    uint64_t a;
    uint64_t b;

    a = fakeapi_resource_version(srv);
    assert_int_equal(make_pod(srv, "default", "a", NULL), 201);
    b = fakeapi_resource_version(srv);
    assert_true(b > a);
    assert_int_equal(make_pod(srv, "default", "b", NULL), 201);
    assert_true(fakeapi_resource_version(srv) > b);
}

static void test_pods_create_duplicate_is_409_already_exists(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    char body[1024];

    assert_int_equal(make_pod(srv, "default", "dup", NULL), 201);
    snprintf(body, sizeof(body), POD_FMT, "dup", "{}");
    assert_int_equal(http(srv, "POST", PODS, body, &r), 409);
    assert_string_equal(jstr(r.json, "reason"), "AlreadyExists");
    assert_string_equal(jstr(r.json, "message"), "pods \"dup\" already exists");
    assert_string_equal(jstr(r.json, "details.kind"), "pods");
    assert_string_equal(jstr(r.json, "details.name"), "dup");
    http_res_free(&r);
}

static void test_pods_generate_name_appends_five_chars(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    const char *body =
        "{\"metadata\":{\"generateName\":\"web-\"},\"spec\":{\"containers\":"
        "[{\"name\":\"c\",\"image\":\"x\"}]}}";
    const char *name;

    assert_int_equal(http(srv, "POST", PODS, body, &r), 201);
    name = jstr(r.json, "metadata.name");
    assert_int_equal(strlen(name), 9);
    assert_memory_equal(name, "web-", 4);
    assert_true(strspn(name + 4, "bcdfghjklmnpqrstvwxz2456789") == 5);
    http_res_free(&r);
}

static void test_pods_create_in_missing_namespace_is_404(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    char body[1024];

    snprintf(body, sizeof(body), POD_FMT, "p", "{}");
    assert_int_equal(
        http(srv, "POST", "/api/v1/namespaces/nope/pods", body, &r), 404);
    assert_string_equal(jstr(r.json, "message"),
                        "namespaces \"nope\" not found");
    assert_string_equal(jstr(r.json, "details.kind"), "namespaces");
    http_res_free(&r);
}

static void test_pods_invalid_label_is_422_with_cause(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    char body[1024];
    json_t *cause;

    snprintf(body, sizeof(body), POD_FMT, "p1", "{\"-bad\":\"x\"}");
    assert_int_equal(http(srv, "POST", PODS, body, &r), 422);
    assert_string_equal(jstr(r.json, "reason"), "Invalid");
    assert_string_equal(jstr(r.json, "details.kind"), "Pod");
    assert_string_equal(jstr(r.json, "details.name"), "p1");
    cause = json_array_get(
        json_object_get(json_object_get(r.json, "details"), "causes"), 0);
    assert_string_equal(jstr(cause, "field"), "metadata.labels");
    assert_string_equal(jstr(cause, "reason"), "FieldValueInvalid");
    assert_non_null(strstr(jstr(r.json, "message"),
                           "Pod \"p1\" is invalid: metadata.labels: "));
    http_res_free(&r);
    assert_int_equal(fakeapi_pod_count(srv), 0);
}

static void test_pods_malformed_json_is_400(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(http(srv, "POST", PODS, "{\"metadata\":", &r), 400);
    assert_string_equal(jstr(r.json, "reason"), "BadRequest");
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", PODS, "[1,2]", &r), 400);
    http_res_free(&r);
}

static void test_pods_get_missing_is_404_not_found(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(http(srv, "GET", PODS "/ghost", NULL, &r), 404);
    assert_string_equal(jstr(r.json, "message"), "pods \"ghost\" not found");
    assert_string_equal(jstr(r.json, "details.kind"), "pods");
    http_res_free(&r);
}

/* The Go plugin's register body (docs/go-micro-wire.md, Examples (F)). */
static const char go_register[] =
    "{\"metadata\":{\"labels\":{\"micro.mu/selector-shop.cart\":\"service\","
    "\"micro.mu/type\":\"service\"},\"annotations\":{\"micro.mu/"
    "service-shop.cart\":\"{\\\"name\\\":\\\"shop.cart\\\",\\\"version\\\":"
    "\\\"1.2.0\\\",\\\"metadata\\\":{\\\"desc\\\":\\\"\\\\u003ccart\\\\u003e"
    "\\\",\\\"team\\\":\\\"a\\\\u0026b\\\"},\\\"endpoints\\\":null,\\\"nodes"
    "\\\":[{\\\"id\\\":\\\"n1\\\",\\\"address\\\":\\\"[fd00::7]:9000\\\","
    "\\\"metadata\\\":null}]}\"}},\"status\":null}\n";

static void test_pods_go_plugin_patch_registers_and_keeps_status(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    const char *ann;

    assert_int_equal(make_pod(srv, "default", "svc", "{\"app\":\"x\"}"), 201);
    assert_int_equal(fakeapi_set_phase(srv, "default", "svc", "Running", NULL),
                     FAKEAPI_OK);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/svc",
                             "application/strategic-merge-patch+json",
                             go_register, &r),
                     200);
    assert_string_equal(jstr(r.json, "status.phase"), "Running");
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", PODS "/svc", NULL, &r), 200);
    ann = json_string_value(json_object_get(
        json_object_get(json_object_get(r.json, "metadata"), "annotations"),
        "micro.mu/service-shop.cart"));
    assert_string_equal(
        ann, "{\"name\":\"shop.cart\",\"version\":\"1.2.0\",\"metadata\":{"
             "\"desc\":\"\\u003ccart\\u003e\",\"team\":\"a\\u0026b\"},"
             "\"endpoints\":null,\"nodes\":[{\"id\":\"n1\",\"address\":"
             "\"[fd00::7]:9000\",\"metadata\":null}]}");
    assert_string_equal(jstr(r.json, "metadata.labels.app"), "x");
    assert_string_equal(jstr(r.json, "status.phase"), "Running");
    http_res_free(&r);
}

static void test_pods_merge_patch_null_deletes_label(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(make_pod(srv, "default", "m", "{\"a\":\"1\",\"b\":\"2\"}"),
                     201);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/m",
                             "application/merge-patch+json",
                             "{\"metadata\":{\"labels\":{\"a\":null}}}", &r),
                     200);
    assert_null(jstr(r.json, "metadata.labels.a"));
    assert_string_equal(jstr(r.json, "metadata.labels.b"), "2");
    http_res_free(&r);
}

static void test_pods_json_patch_escaped_key(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(make_pod(srv, "default", "j", "{\"x\":\"1\"}"), 201);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/j",
                             "application/json-patch+json",
                             "[{\"op\":\"add\",\"path\":\"/metadata/labels/"
                             "app.kubernetes.io~1name\",\"value\":\"web\"}]",
                             &r),
                     200);
    assert_non_null(strstr(r.body, "\"app.kubernetes.io/name\":\"web\""));
    http_res_free(&r);
}

static void test_pods_patch_unknown_media_type_is_415(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(make_pod(srv, "default", "u", NULL), 201);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/u", "text/plain", "{}", &r),
                     415);
    assert_string_equal(jstr(r.json, "reason"), "UnsupportedMediaType");
    http_res_free(&r);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/u",
                             "application/apply-patch+yaml", "{}", &r),
                     415);
    http_res_free(&r);
}

static void
test_pods_stale_resource_version_is_409_and_changes_nothing(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    uint64_t rv;
    char *before = NULL;
    char *after = NULL;

    assert_int_equal(make_pod(srv, "default", "c", "{\"a\":\"1\"}"), 201);
    rv = fakeapi_resource_version(srv);
    assert_int_equal(fakeapi_get_pod(srv, "default", "c", &before, NULL),
                     FAKEAPI_OK);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/c",
                             "application/merge-patch+json",
                             "{\"metadata\":{\"resourceVersion\":\"1\","
                             "\"labels\":{\"a\":\"2\"}}}",
                             &r),
                     409);
    assert_string_equal(jstr(r.json, "reason"), "Conflict");
    assert_string_equal(
        jstr(r.json, "message"),
        "Operation cannot be fulfilled on pods \"c\": the object has been "
        "modified; please apply your changes to the latest version and try "
        "again");
    http_res_free(&r);
    assert_int_equal(fakeapi_get_pod(srv, "default", "c", &after, NULL),
                     FAKEAPI_OK);
    assert_string_equal(before, after);
    assert_true(fakeapi_resource_version(srv) == rv);
    free(before);
    free(after);
}

static void test_pods_rejected_patch_leaves_pod_unchanged(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    uint64_t rv;
    char *before = NULL;
    char *after = NULL;

    assert_int_equal(make_pod(srv, "default", "k", "{\"a\":\"1\"}"), 201);
    rv = fakeapi_resource_version(srv);
    assert_int_equal(fakeapi_get_pod(srv, "default", "k", &before, NULL),
                     FAKEAPI_OK);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/k",
                             "application/merge-patch+json",
                             "{\"metadata\":{\"labels\":{\"ok\":\"1\","
                             "\"bad key\":\"x\"}}}",
                             &r),
                     422);
    http_res_free(&r);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/k",
                             "application/merge-patch+json",
                             "{\"metadata\":", &r),
                     400);
    http_res_free(&r);
    assert_int_equal(fakeapi_get_pod(srv, "default", "k", &after, NULL),
                     FAKEAPI_OK);
    assert_string_equal(before, after);
    assert_true(fakeapi_resource_version(srv) == rv);
    free(before);
    free(after);
}

static void test_pods_noop_patch_keeps_resource_version(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    uint64_t rv;

    assert_int_equal(make_pod(srv, "default", "n", "{\"a\":\"1\"}"), 201);
    rv = fakeapi_resource_version(srv);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/n",
                             "application/merge-patch+json",
                             "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}", &r),
                     200);
    http_res_free(&r);
    assert_true(fakeapi_resource_version(srv) == rv);
}

static void test_pods_update_ignores_status_status_ignores_spec(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    json_t *pod;
    char *text;

    assert_int_equal(make_pod(srv, "default", "s", NULL), 201);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/s",
                             "application/merge-patch+json",
                             "{\"status\":{\"phase\":\"Running\"}}", &r),
                     200);
    assert_string_equal(jstr(r.json, "status.phase"), "Pending");
    http_res_free(&r);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/s/status",
                             "application/merge-patch+json",
                             "{\"status\":{\"phase\":\"Running\"},"
                             "\"spec\":{\"nodeName\":\"n1\"}}",
                             &r),
                     200);
    assert_string_equal(jstr(r.json, "status.phase"), "Running");
    assert_null(jstr(r.json, "spec.nodeName"));
    http_res_free(&r);
    /* PUT of what GET returned, with a label added */
    assert_int_equal(http(srv, "GET", PODS "/s/status", NULL, &r), 200);
    pod = json_incref(r.json);
    http_res_free(&r);
    json_object_set_new(json_object_get(pod, "metadata"), "labels",
                        json_pack("{s:s}", "put", "yes"));
    text = json_dumps(pod, JSON_COMPACT);
    assert_int_equal(http(srv, "PUT", PODS "/s", text, &r), 200);
    assert_string_equal(jstr(r.json, "metadata.labels.put"), "yes");
    assert_string_equal(jstr(r.json, "status.phase"), "Running");
    http_res_free(&r);
    /* the same PUT again carries a stale resourceVersion */
    assert_int_equal(http(srv, "PUT", PODS "/s", text, &r), 409);
    http_res_free(&r);
    free(text);
    json_decref(pod);
}

static void test_pods_update_name_mismatch_is_400(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    char body[1024];

    assert_int_equal(make_pod(srv, "default", "a", NULL), 201);
    snprintf(body, sizeof(body), POD_FMT, "b", "{}");
    assert_int_equal(http(srv, "PUT", PODS "/a", body, &r), 400);
    assert_string_equal(jstr(r.json, "message"),
                        "the name of the object (b) does not match the name "
                        "on the URL (a)");
    http_res_free(&r);
}

static void test_pods_delete_unbound_returns_pod_and_removes(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(make_pod(srv, "default", "d", NULL), 201);
    assert_int_equal(http(srv, "DELETE", PODS "/d",
                          "{\"propagationPolicy\":\"Background\"}", &r),
                     200);
    assert_string_equal(jstr(r.json, "kind"), "Pod");
    assert_non_null(jstr(r.json, "metadata.deletionTimestamp"));
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", PODS "/d", NULL, &r), 404);
    http_res_free(&r);
    assert_int_equal(http(srv, "DELETE", PODS "/d", NULL, &r), 404);
    http_res_free(&r);
}

/* Removing a pod's last label and annotation leaves no empty map behind:
 * ObjectMeta's maps are omitempty, so kube-apiserver writes none (seen
 * after a go-micro deregister, which patches both to null). */
static void
test_pods_last_label_and_annotation_removed_leave_no_map(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    const char *body =
        "{\"metadata\":{\"name\":\"e\",\"labels\":{\"a\":\"1\"},"
        "\"annotations\":{\"n\":\"x\"}},\"spec\":{\"containers\":[{"
        "\"name\":\"c\",\"image\":\"x\"}]}}";
    json_t *meta;

    assert_int_equal(http(srv, "POST", PODS, body, &r), 201);
    http_res_free(&r);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/e",
                             "application/strategic-merge-patch+json",
                             "{\"metadata\":{\"labels\":{\"a\":null},"
                             "\"annotations\":{\"n\":null}}}",
                             &r),
                     200);
    meta = json_object_get(r.json, "metadata");
    assert_null(json_object_get(meta, "labels"));
    assert_null(json_object_get(meta, "annotations"));
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", PODS "/e", NULL, &r), 200);
    meta = json_object_get(r.json, "metadata");
    assert_null(json_object_get(meta, "labels"));
    assert_null(json_object_get(meta, "annotations"));
    http_res_free(&r);
}

static void test_pods_finalizers_hold_a_deleted_pod(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    const char *body =
        "{\"metadata\":{\"name\":\"fin\",\"finalizers\":[\"example.com/"
        "hold\"]},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"
        "\"x\"}]}}";

    assert_int_equal(http(srv, "POST", PODS, body, &r), 201);
    http_res_free(&r);
    assert_int_equal(http(srv, "DELETE", PODS "/fin", NULL, &r), 200);
    http_res_free(&r);
    /* still there, terminating, until the finalizer goes */
    assert_int_equal(http(srv, "GET", PODS "/fin", NULL, &r), 200);
    assert_non_null(jstr(r.json, "metadata.deletionTimestamp"));
    http_res_free(&r);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/fin",
                             "application/merge-patch+json",
                             "{\"metadata\":{\"finalizers\":null}}", &r),
                     200);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", PODS "/fin", NULL, &r), 404);
    http_res_free(&r);
}

static void test_pods_delete_precondition_mismatch_is_409(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(make_pod(srv, "default", "pc", NULL), 201);
    assert_int_equal(http(srv, "DELETE", PODS "/pc",
                          "{\"preconditions\":{\"resourceVersion\":\"1\"}}",
                          &r),
                     409);
    assert_non_null(strstr(jstr(r.json, "message"),
                           "Operation cannot be fulfilled on Pod \"pc\": the "
                           "ResourceVersion in the precondition (1)"));
    http_res_free(&r);
    assert_int_equal(http(srv, "DELETE", PODS "/pc",
                          "{\"propagationPolicy\":\"Sideways\"}", &r),
                     422);
    http_res_free(&r);
    assert_int_equal(fakeapi_pod_count(srv), 1);
}

static void test_pods_seed_keeps_status_and_phase_can_change(void **state)
{
    fakeapi *srv = *state;
    struct fakeapi_error err = {0};
    const char *seed =
        "{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"s1\","
        "\"namespace\":\"seeded\"},\"status\":{\"phase\":\"Running\"}},"
        "{\"metadata\":{\"name\":\"s2\"}}]}";
    char *pod = NULL;

    assert_int_equal(fakeapi_seed_json(srv, seed, strlen(seed), &err),
                     FAKEAPI_OK);
    assert_int_equal(fakeapi_get_pod(srv, "seeded", "s1", &pod, NULL),
                     FAKEAPI_OK);
    assert_non_null(strstr(pod, "\"phase\":\"Running\""));
    free(pod);
    assert_int_equal(fakeapi_set_phase(srv, "default", "s2", "Failed", NULL),
                     FAKEAPI_OK);
    assert_int_equal(fakeapi_get_pod(srv, "default", "s2", &pod, NULL),
                     FAKEAPI_OK);
    assert_non_null(strstr(pod, "\"phase\":\"Failed\""));
    free(pod);
    assert_int_equal(fakeapi_set_phase(srv, "default", "zz", "Failed", &err),
                     FAKEAPI_E_NOT_FOUND);
}

static void test_pods_seeded_pod_accepts_patches(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    const char *seed = "{\"metadata\":{\"name\":\"bare\"},\"status\":"
                       "{\"phase\":\"Running\"}}";

    assert_int_equal(fakeapi_seed_json(srv, seed, strlen(seed), NULL),
                     FAKEAPI_OK);
    /* seeding defaults the spec as a create would: an update of the
     * labels is not a spec change */
    assert_int_equal(http_ct(srv, "PATCH", PODS "/bare",
                             "application/strategic-merge-patch+json",
                             go_register, &r),
                     200);
    assert_string_equal(jstr(r.json, "status.phase"), "Running");
    http_res_free(&r);
}

static void test_pods_bad_seed_changes_nothing(void **state)
{
    fakeapi *srv = *state;
    struct fakeapi_error err = {0};
    const char *seed = "[{\"metadata\":{\"name\":\"ok\"}},{\"metadata\":{}}]";

    assert_int_equal(fakeapi_seed_json(srv, seed, strlen(seed), &err),
                     FAKEAPI_E_INVALID);
    assert_non_null(strstr(err.text, "item 1"));
    assert_int_equal(fakeapi_pod_count(srv), 0);
    assert_int_equal(fakeapi_seed_json(srv, "{", 1, &err), FAKEAPI_E_INVALID);
    assert_non_null(strstr(err.text, "line 1"));
}

/* One dry-run write: @p ct NULL for a PUT of @p body. Checks the answer's
 * @p label_path equals @p want and its resourceVersion is @p rv. */
static void dry_write(fakeapi *srv, const char *method, const char *path,
                      const char *ct, const char *body, const char *label_path,
                      const char *want, const char *rv)
{
    struct http_res r;

    assert_int_equal(ct ? http_ct(srv, method, path, ct, body, &r)
                        : http(srv, method, path, body, &r),
                     200);
    assert_string_equal(jstr(r.json, label_path), want);
    assert_string_equal(jstr(r.json, "metadata.resourceVersion"), rv);
    http_res_free(&r);
}

/* dryrun.go DryRunnableStorage: every dry-run verb answers the would-be
 * object and writes nothing: no new resourceVersion, no watch event. */
static void test_pods_dry_run_answers_would_be_and_stores_nothing(void **state)
{
    fakeapi *srv = *state;
    struct watch_client *w;
    struct http_res r;
    char *before;
    char *put;
    char rv[32];
    char path[128];
    json_t *ev;

    assert_int_equal(make_pod(srv, "default", "d", "{\"a\":\"1\"}"), 201);
    assert_int_equal(http(srv, "GET", PODS "/d", NULL, &r), 200);
    before = strdup(r.body);
    snprintf(rv, sizeof(rv), "%s", jstr(r.json, "metadata.resourceVersion"));
    http_res_free(&r);
    snprintf(path, sizeof(path), PODS "?watch=true&resourceVersion=%s", rv);
    w = watch_client_start(srv, path, NULL);
    assert_true(watch_client_wait_headers(w, 10));

    /* PUT what GET answered, one label changed */
    put = strdup(before);
    memcpy(strstr(put, "\"a\":\"1\""), "\"a\":\"2\"", 7);
    dry_write(srv, "PUT", PODS "/d?dryRun=All", NULL, put, "metadata.labels.a",
              "2", rv);
    free(put);
    dry_write(srv, "PATCH", PODS "/d?dryRun=All",
              "application/merge-patch+json",
              "{\"metadata\":{\"labels\":{\"a\":\"merge\"}}}",
              "metadata.labels.a", "merge", rv);
    dry_write(srv, "PATCH", PODS "/d?dryRun=All",
              "application/strategic-merge-patch+json",
              "{\"metadata\":{\"labels\":{\"a\":\"smp\"}}}",
              "metadata.labels.a", "smp", rv);
    dry_write(srv, "PATCH", PODS "/d?dryRun=All", "application/json-patch+json",
              "[{\"op\":\"replace\",\"path\":\"/metadata/labels/a\","
              "\"value\":\"json\"}]",
              "metadata.labels.a", "json", rv);
    dry_write(srv, "PATCH", PODS "/d/status?dryRun=All",
              "application/merge-patch+json",
              "{\"status\":{\"phase\":\"Running\"}}", "status.phase", "Running",
              rv);
    assert_int_equal(http(srv, "DELETE", PODS "/d?dryRun=All", NULL, &r), 200);
    assert_non_null(jstr(r.json, "metadata.deletionTimestamp"));
    http_res_free(&r);

    /* nothing stored */
    assert_int_equal(http(srv, "GET", PODS "/d", NULL, &r), 200);
    assert_string_equal(r.body, before);
    http_res_free(&r);
    /* the first event is the next real write's, not a dry run's */
    assert_int_equal(make_pod(srv, "default", "after", NULL), 201);
    assert_true(watch_client_wait_lines(w, 1, 10));
    ev = watch_client_line(w, 0);
    assert_string_equal(jstr(ev, "type"), "ADDED");
    assert_string_equal(jstr(ev, "object.metadata.name"), "after");
    json_decref(ev);
    fakeapi_close_watches(srv);
    assert_true(watch_client_wait_done(w, 10));
    assert_int_equal(w->lines, 1);
    watch_client_free(w);
    free(before);
}

/* validation.ValidateDryRun: "All" is the only value. */
static void test_pods_dry_run_other_value_is_422(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(make_pod(srv, "default", "v", NULL), 201);
    assert_int_equal(http_ct(srv, "PATCH", PODS "/v?dryRun=Bogus",
                             "application/merge-patch+json", "{}", &r),
                     422);
    assert_string_equal(jstr(r.json, "message"),
                        "PatchOptions.meta.k8s.io \"\" is invalid: dryRun: "
                        "Unsupported value: [\"Bogus\"]: supported values: "
                        "\"All\"");
    http_res_free(&r);
}

/* A body that is not JSON fails the serializer's kind sniffing first:
 * Go's syntax error and a summary of the body (transformDecodeError). */
static void test_pods_create_unparsable_body_is_unrecognized(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(
        http(srv, "POST", "/api/v1/namespaces/default/pods", "{", &r), 400);
    assert_string_equal(jstr(r.json, "message"),
                        "the object provided is unrecognized (must be of type "
                        "Pod): couldn't get version/kind; json parse error: "
                        "unexpected end of JSON input ({)");
    http_res_free(&r);
    assert_int_equal(
        http(srv, "POST", "/api/v1/namespaces/default/pods", "  x", &r), 400);
    assert_string_equal(jstr(r.json, "message"),
                        "the object provided is unrecognized (must be of type "
                        "Pod): couldn't get version/kind; json parse error: "
                        "invalid character 'x' looking for beginning of value "
                        "(202078)");
    http_res_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_pods_create_sets_server_fields),
        T(test_pods_create_unparsable_body_is_unrecognized),
        T(test_pods_resource_version_strictly_increases),
        T(test_pods_create_duplicate_is_409_already_exists),
        T(test_pods_generate_name_appends_five_chars),
        T(test_pods_create_in_missing_namespace_is_404),
        T(test_pods_invalid_label_is_422_with_cause),
        T(test_pods_malformed_json_is_400),
        T(test_pods_get_missing_is_404_not_found),
        T(test_pods_go_plugin_patch_registers_and_keeps_status),
        T(test_pods_merge_patch_null_deletes_label),
        T(test_pods_json_patch_escaped_key),
        T(test_pods_patch_unknown_media_type_is_415),
        T(test_pods_stale_resource_version_is_409_and_changes_nothing),
        T(test_pods_rejected_patch_leaves_pod_unchanged),
        T(test_pods_noop_patch_keeps_resource_version),
        T(test_pods_update_ignores_status_status_ignores_spec),
        T(test_pods_update_name_mismatch_is_400),
        T(test_pods_delete_unbound_returns_pod_and_removes),
        T(test_pods_last_label_and_annotation_removed_leave_no_map),
        T(test_pods_finalizers_hold_a_deleted_pod),
        T(test_pods_delete_precondition_mismatch_is_409),
        T(test_pods_seed_keeps_status_and_phase_can_change),
        T(test_pods_bad_seed_changes_nothing),
        T(test_pods_seeded_pod_accepts_patches),
        T(test_pods_dry_run_answers_would_be_and_stores_nothing),
        T(test_pods_dry_run_other_value_is_422),
#undef T
    };
    return cmocka_run_group_tests_name("pods", tests, NULL, NULL);
}
