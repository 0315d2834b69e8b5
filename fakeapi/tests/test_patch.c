/*
 * test_patch: the PATCH engine (fakeapi/src/patch*.c) against the answers
 * of a Kubernetes 1.32 API server (docs/kubernetes-api.md, Patch) and the
 * request bodies real clients send (kubectl, the go-micro plugin).
 *
 * Past 1,000 lines on purpose: one cmocka group per module
 * (docs/conventions.md, Tests), one short test per patch rule and error class,
 * sharing the pod fixture.
 *
 * Over 1,000 lines: a table of patches against the server's answers, one
 * case each, sharing the document builders; a split would repeat them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "kbuf.h"
#include "patch/patch.h"

#define JP FAKEAPI_PATCH_JSON
#define MP FAKEAPI_PATCH_MERGE
#define SP FAKEAPI_PATCH_STRATEGIC

/* A Pod as a 1.32 server returns it (trimmed to what the tests touch). */
static const char pod_json[] =
    "{\"kind\":\"Pod\",\"apiVersion\":\"v1\","
    "\"metadata\":{\"name\":\"greeter-7d9f\",\"namespace\":\"default\","
    "\"uid\":\"6f1c3b1e-8a8e-4f0e-9c43-1d2b3c4d5e6f\","
    "\"resourceVersion\":\"1042\","
    "\"creationTimestamp\":\"2024-05-01T10:00:00Z\","
    "\"labels\":{\"app\":\"greeter\",\"app.kubernetes.io/name\":\"greeter\","
    "\"micro.mu/type\":\"service\"},"
    "\"annotations\":{\"kreg.io/note\":\"keep\"},"
    "\"finalizers\":[\"kreg.io/a\",\"kreg.io/b\"],"
    "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\","
    "\"name\":\"greeter\",\"uid\":\"11111111-2222-3333-4444-555555555555\","
    "\"controller\":true}]},"
    "\"spec\":{\"containers\":["
    "{\"name\":\"app\",\"image\":\"greeter:1.0\","
    "\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
    "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}"
    "],"
    "\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/data\"}],"
    "\"args\":[\"--port\",\"8080\"]},"
    "{\"name\":\"sidecar\",\"image\":\"envoy:1.30\"}],"
    "\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}}],"
    "\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\","
    "\"operator\":\"Exists\",\"effect\":\"NoExecute\","
    "\"tolerationSeconds\":300}],"
    "\"schedulingGates\":[{\"name\":\"kreg.io/hold\"}],"
    "\"restartPolicy\":\"Always\",\"dnsPolicy\":\"ClusterFirst\"},"
    "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.1.2.3\","
    "\"podIPs\":[{\"ip\":\"10.1.2.3\"}],"
    "\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\"},"
    "{\"type\":\"Ready\",\"status\":\"False\"}],"
    "\"qosClass\":\"BestEffort\"}}";

/* docs/go-micro-wire.md, Examples (F): the register body of service B. */
static const char register_body[] =
    "{\"metadata\":{\"labels\":{\"micro.mu/selector-shop.cart\":\"service\","
    "\"micro.mu/type\":\"service\"},\"annotations\":{\"micro.mu/"
    "service-shop.cart\":\"{\\\"name\\\":\\\"shop.cart\\\",\\\"version\\\":"
    "\\\"1.2.0\\\",\\\"metadata\\\":{\\\"desc\\\":\\\"\\\\u003ccart\\\\u003e"
    "\\\",\\\"team\\\":\\\"a\\\\u0026b\\\"},\\\"endpoints\\\":null,\\\"nodes"
    "\\\":[{\\\"id\\\":\\\"n1\\\",\\\"address\\\":\\\"[fd00::7]:9000\\\","
    "\\\"metadata\\\":null}]}\"}},\"status\":null}\n";

/* Section 2.4 B: the annotation value it stores, byte for byte. */
static const char service_b[] =
    "{\"name\":\"shop.cart\",\"version\":\"1.2.0\",\"metadata\":{\"desc\":"
    "\"\\u003ccart\\u003e\",\"team\":\"a\\u0026b\"},\"endpoints\":null,"
    "\"nodes\":[{\"id\":\"n1\",\"address\":\"[fd00::7]:9000\",\"metadata\":"
    "null}]}";

/* Section 3.2: the deregister body. */
static const char deregister_body[] =
    "{\"metadata\":{\"labels\":{\"micro.mu/selector-shop.cart\":null},"
    "\"annotations\":{\"micro.mu/service-shop.cart\":null}},\"status\":null}"
    "\n";

static int setup(void **state)
{
    json_error_t err;

    *state = json_loads(pod_json, 0, &err);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    json_decref(*state);
    return 0;
}

/* The value at a JSON pointer (array elements by index). */
static json_t *at(json_t *v, const char *path)
{
    char seg[128];
    const char *end;
    size_t n;
    size_t i;
    size_t k;

    while (v && *path == '/') {
        path++;
        end = strchr(path, '/');
        n = end ? (size_t)(end - path) : strlen(path);
        assert_true(n < sizeof(seg));
        for (i = 0, k = 0; i < n; i++, k++) {
            seg[k] = path[i];
            if (path[i] != '~' || i + 1 >= n)
                continue;
            if (path[i + 1] == '1')
                seg[k] = '/';
            if (path[i + 1] == '0' || path[i + 1] == '1')
                i++;
        }
        seg[k] = '\0';
        if (json_is_array(v))
            v = json_array_get(v, strtoul(seg, NULL, 10));
        else
            v = json_object_get(v, seg);
        path += n;
    }
    return v;
}

static const char *str_at(json_t *v, const char *path)
{
    return json_string_value(at(v, path));
}

/* Apply, assert success, and check purity: @p orig is deep-equal to a
 * copy taken before, and changing the result does not reach it. */
static json_t *apply_ok(enum fakeapi_patch_type type, json_t *orig,
                        const char *doc)
{
    json_t *before = json_deep_copy(orig);
    json_t *st = NULL;
    json_t *meta;
    json_t *name;
    json_t *res;

    assert_non_null(before);
    res = fakeapi__patch_apply(type, orig, doc, strlen(doc), &st);
    if (!res) {
        char *text = json_dumps(st, JSON_COMPACT);

        print_error("unexpected failure: %s\n", text ? text : "?");
        free(text);
    }
    assert_non_null(res);
    assert_null(st);
    assert_true(json_equal(orig, before));
    meta = at(res, "/metadata");
    name = json_incref(json_object_get(meta, "name"));
    if (json_is_object(meta)) {
        json_object_set_new(meta, "name", json_string("changed"));
        assert_true(json_equal(orig, before));
        if (name)
            json_object_set(meta, "name", name);
        else
            json_object_del(meta, "name");
    }
    json_decref(name);
    json_decref(before);
    return res;
}

/* Apply, assert failure with @p code, @p reason (NULL: none) and, when
 * not NULL, @p message; purity is checked as for apply_ok(). */
static json_t *expect_status(enum fakeapi_patch_type type, json_t *orig,
                             const char *doc, size_t len, int code,
                             const char *reason, const char *message)
{
    json_t *before = json_deep_copy(orig);
    json_t *st = NULL;
    json_t *res;

    res = fakeapi__patch_apply(type, orig, doc, len, &st);
    assert_null(res);
    assert_non_null(st);
    assert_true(json_equal(orig, before));
    json_decref(before);
    assert_string_equal(str_at(st, "/kind"), "Status");
    assert_string_equal(str_at(st, "/status"), "Failure");
    assert_int_equal(json_integer_value(at(st, "/code")), code);
    if (reason)
        assert_string_equal(str_at(st, "/reason"), reason);
    else
        assert_null(at(st, "/reason"));
    if (message)
        assert_string_equal(str_at(st, "/message"), message);
    return st;
}

static void expect_fail(enum fakeapi_patch_type type, json_t *orig,
                        const char *doc, int code, const char *reason,
                        const char *message)
{
    json_decref(
        expect_status(type, orig, doc, strlen(doc), code, reason, message));
}

/* ---- Content-Type ------------------------------------------------------*/

static void test_patch_type_maps_media_types_ignoring_parameters(void **state)
{
    (void)state;
    assert_int_equal(fakeapi__patch_type("application/json-patch+json"), JP);
    assert_int_equal(fakeapi__patch_type("application/merge-patch+json"), MP);
    assert_int_equal(
        fakeapi__patch_type("application/strategic-merge-patch+json"), SP);
    assert_int_equal(
        fakeapi__patch_type("application/merge-patch+json; charset=utf-8"), MP);
    assert_int_equal(fakeapi__patch_type("Application/JSON-Patch+JSON"), JP);
    assert_int_equal(fakeapi__patch_type("application/apply-patch+yaml"),
                     FAKEAPI_PATCH_APPLY);
    assert_int_equal(fakeapi__patch_type("application/json"),
                     FAKEAPI_PATCH_NONE);
    assert_int_equal(fakeapi__patch_type("application/merge-patch+json "),
                     FAKEAPI_PATCH_NONE);
    assert_int_equal(fakeapi__patch_type(";application/merge-patch+json"),
                     FAKEAPI_PATCH_NONE);
    assert_int_equal(fakeapi__patch_type(""), FAKEAPI_PATCH_NONE);
    assert_int_equal(fakeapi__patch_type(NULL), FAKEAPI_PATCH_NONE);
}

static void test_patch_apply_refuses_server_side_apply_with_415(void **state)
{
    const char *msg = "the body of the request was in an unknown format - "
                      "accepted media types include: "
                      "application/json-patch+json, "
                      "application/merge-patch+json, "
                      "application/strategic-merge-patch+json, "
                      "application/apply-patch+yaml";

    expect_fail(FAKEAPI_PATCH_APPLY, *state, "metadata:\n  labels: {}\n", 415,
                "UnsupportedMediaType", msg);
}

/* go-restful refuses a Content-Type the PATCH route does not consume
 * (application/json among them) before the handler, in its own words. */
static void test_patch_apply_refuses_unknown_type_as_go_restful(void **state)
{
    json_t *st =
        expect_status(FAKEAPI_PATCH_NONE, *state, "{}", 2, 415,
                      "UnsupportedMediaType", "415: Unsupported Media Type");

    assert_true(json_is_object(json_object_get(st, "details")));
    assert_int_equal(json_object_size(json_object_get(st, "details")), 0);
    json_decref(st);
}

/* ---- The go-micro plugin (docs/go-micro-wire.md, Requests) --------------*/

static void
test_patch_smp_go_micro_register_merges_labels_and_drops_status(void **state)
{
    json_t *pod = *state;
    json_t *res;

    assert_int_equal(strlen(register_body), 366);
    res = apply_ok(SP, pod, register_body);
    assert_string_equal(str_at(res, "/metadata/labels/app"), "greeter");
    assert_string_equal(
        str_at(res, "/metadata/labels/micro.mu~1selector-shop.cart"),
        "service");
    assert_string_equal(str_at(res, "/metadata/labels/micro.mu~1type"),
                        "service");
    assert_int_equal(json_object_size(at(res, "/metadata/labels")), 4);
    assert_string_equal(
        str_at(res, "/metadata/annotations/micro.mu~1service-shop.cart"),
        service_b);
    assert_string_equal(str_at(res, "/metadata/annotations/kreg.io~1note"),
                        "keep");
    assert_null(json_object_get(res, "status"));
    assert_true(json_equal(at(res, "/spec"), at(pod, "/spec")));
    json_decref(res);
}

static void
test_patch_smp_go_micro_deregister_removes_service_keeps_marker(void **state)
{
    json_t *registered = apply_ok(SP, *state, register_body);
    json_t *res = apply_ok(SP, registered, deregister_body);

    assert_null(at(res, "/metadata/labels/micro.mu~1selector-shop.cart"));
    assert_string_equal(str_at(res, "/metadata/labels/micro.mu~1type"),
                        "service");
    assert_null(at(res, "/metadata/annotations/micro.mu~1service-shop.cart"));
    assert_string_equal(str_at(res, "/metadata/annotations/kreg.io~1note"),
                        "keep");
    assert_int_equal(json_object_size(at(res, "/metadata/labels")), 3);
    json_decref(registered);
    json_decref(res);
}

static void test_patch_smp_null_status_deletes_status(void **state)
{
    json_t *res = apply_ok(SP, *state, "{\"status\":null}");

    assert_null(json_object_get(res, "status"));
    assert_non_null(json_object_get(res, "spec"));
    json_decref(res);
}

/* ---- kubectl label / annotate: merge patches ---------------------------*/

static void test_patch_merge_null_deletes_label(void **state)
{
    json_t *res =
        apply_ok(MP, *state, "{\"metadata\":{\"labels\":{\"app\":null}}}");

    assert_null(at(res, "/metadata/labels/app"));
    assert_string_equal(str_at(res, "/metadata/labels/micro.mu~1type"),
                        "service");
    assert_int_equal(json_object_size(at(res, "/metadata/labels")), 2);
    json_decref(res);
}

static void test_patch_merge_kubectl_label_and_annotate_set_values(void **state)
{
    json_t *res =
        apply_ok(MP, *state,
                 "{\"metadata\":{\"labels\":{\"env\":\"prod\",\"app\":\"v2\"},"
                 "\"annotations\":{\"kreg.io/owner\":\"team-a\"},"
                 "\"resourceVersion\":\"1042\"}}");
    const char *k;
    json_t *v;
    size_t i = 0;
    static const char *const order[] = {"app", "app.kubernetes.io/name",
                                        "micro.mu/type", "env"};

    assert_string_equal(str_at(res, "/metadata/labels/env"), "prod");
    assert_string_equal(str_at(res, "/metadata/labels/app"), "v2");
    assert_string_equal(str_at(res, "/metadata/annotations/kreg.io~1owner"),
                        "team-a");
    assert_string_equal(str_at(res, "/metadata/annotations/kreg.io~1note"),
                        "keep");
    /* target members keep their place, new ones come last */
    json_object_foreach(at(res, "/metadata/labels"), k, v)
    {
        assert_string_equal(k, order[i++]);
    }
    json_decref(res);
}

static void test_patch_merge_replaces_lists_and_prunes_nulls(void **state)
{
    json_t *res = apply_ok(
        MP, *state,
        "{\"metadata\":{\"finalizers\":[\"x\",null]},"
        "\"spec\":{\"containers\":[{\"name\":\"only\",\"image\":\"i\","
        "\"command\":null}],\"nodeSelector\":{\"a\":\"b\",\"c\":null}}}");

    assert_int_equal(json_array_size(at(res, "/metadata/finalizers")), 1);
    assert_string_equal(str_at(res, "/metadata/finalizers/0"), "x");
    assert_int_equal(json_array_size(at(res, "/spec/containers")), 1);
    assert_string_equal(str_at(res, "/spec/containers/0/name"), "only");
    assert_null(at(res, "/spec/containers/0/command"));
    assert_int_equal(json_object_size(at(res, "/spec/nodeSelector")), 1);
    json_decref(res);
}

static void test_patch_merge_rejects_null_and_non_object_bodies(void **state)
{
    expect_fail(MP, *state, "null", 400, "BadRequest", "Invalid JSON Patch");
    expect_fail(MP, *state, "[{\"op\":\"add\"}]", 400, "BadRequest",
                "error decoding patch: json: cannot unmarshal array into Go "
                "value of type map[string]interface {}");
    expect_fail(MP, *state, "\"x\"", 400, "BadRequest",
                "error decoding patch: json: cannot unmarshal string into Go "
                "value of type map[string]interface {}");
    expect_fail(MP, *state, "12", 400, "BadRequest",
                "error decoding patch: json: cannot unmarshal number into Go "
                "value of type map[string]interface {}");
}

static void test_patch_merge_helper_follows_rfc7386_examples(void **state)
{
    /* RFC 7386 appendix A, target, patch, result */
    static const char *const cases[][3] = {
        {"{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
        {"{\"a\":\"b\"}", "{\"a\":null}", "{}"},
        {"{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
        {"{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
        {"{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
         "{\"a\":{\"b\":\"d\"}}"},
        {"{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
        {"[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"},
        {"{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"},
        {"{\"a\":\"foo\"}", "null", "null"},
        {"{\"a\":\"foo\"}", "\"bar\"", "\"bar\""},
        {"{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
        {"[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"},
        {"{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
        /* evanphx: nulls inside new arrays are pruned as well */
        {"{}", "{\"a\":[null,{\"b\":null,\"c\":1}]}", "{\"a\":[{\"c\":1}]}"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *t = json_loads(cases[i][0], JSON_DECODE_ANY, NULL);
        json_t *p = json_loads(cases[i][1], JSON_DECODE_ANY, NULL);
        json_t *want = json_loads(cases[i][2], JSON_DECODE_ANY, NULL);
        json_t *t0 = json_deep_copy(t);
        json_t *p0 = json_deep_copy(p);
        json_t *got = fakeapi__merge_patch(t, p);

        assert_non_null(got);
        if (!json_equal(got, want))
            fail_msg("case %zu", i);
        assert_true(json_equal(t, t0));
        assert_true(json_equal(p, p0));
        json_decref(t);
        json_decref(p);
        json_decref(want);
        json_decref(t0);
        json_decref(p0);
        json_decref(got);
    }
}

/* ---- kubectl patch --type json ------------------------------------------*/

static void test_patch_json_escaped_slash_reaches_label_key(void **state)
{
    json_t *res = apply_ok(
        JP, *state,
        "[{\"op\":\"replace\",\"path\":\"/metadata/labels/"
        "app.kubernetes.io~1name\",\"value\":\"cart\"},"
        "{\"op\":\"add\",\"path\":\"/metadata/labels/"
        "a~0b~01\",\"value\":\"t\"},"
        "{\"op\":\"remove\",\"path\":\"/metadata/labels/micro.mu~1type\"}]");

    assert_string_equal(str_at(res, "/metadata/labels/app.kubernetes.io~1name"),
                        "cart");
    assert_string_equal(json_string_value(json_object_get(
                            at(res, "/metadata/labels"), "a~b~1")),
                        "t");
    assert_null(at(res, "/metadata/labels/micro.mu~1type"));
    json_decref(res);
}

static void test_patch_json_ops_add_remove_replace_move_copy_test(void **state)
{
    json_t *res = apply_ok(
        JP, *state,
        "[{\"op\":\"test\",\"path\":\"/spec/containers/0/ports\","
        "\"value\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}]},"
        "{\"op\":\"copy\",\"from\":\"/metadata/labels/app\","
        "\"path\":\"/metadata/annotations/copied\"},"
        "{\"op\":\"move\",\"from\":\"/metadata/annotations/kreg.io~1note\","
        "\"path\":\"/metadata/labels/note\"},"
        "{\"op\":\"replace\",\"path\":\"/spec/containers/1/image\","
        "\"value\":\"envoy:1.31\"},"
        "{\"op\":\"add\",\"path\":\"/spec/containers/0/args/-\","
        "\"value\":\"-v\"},"
        "{\"op\":\"add\",\"path\":\"/spec/containers/0/args/0\","
        "\"value\":\"serve\"},"
        "{\"op\":\"remove\",\"path\":\"/spec/tolerations/-1\"},"
        "{\"op\":\"test\",\"path\":\"/metadata/labels/missing\","
        "\"value\":null}]");

    assert_string_equal(str_at(res, "/metadata/annotations/copied"), "greeter");
    assert_string_equal(str_at(res, "/metadata/labels/note"), "keep");
    assert_null(at(res, "/metadata/annotations/kreg.io~1note"));
    assert_string_equal(str_at(res, "/spec/containers/1/image"), "envoy:1.31");
    assert_int_equal(json_array_size(at(res, "/spec/containers/0/args")), 4);
    assert_string_equal(str_at(res, "/spec/containers/0/args/0"), "serve");
    assert_string_equal(str_at(res, "/spec/containers/0/args/3"), "-v");
    assert_int_equal(json_array_size(at(res, "/spec/tolerations")), 0);
    json_decref(res);
}

static void
test_patch_json_null_body_and_empty_list_change_nothing(void **state)
{
    json_t *res = apply_ok(JP, *state, "null");

    assert_true(json_equal(res, *state));
    json_decref(res);
    res = apply_ok(JP, *state, " [ ] ");
    assert_true(json_equal(res, *state));
    json_decref(res);
}

/* [jp] partialDoc.get never fails, so replacing a missing member of an
 * object adds it, as kube-apiserver does. */
static void test_patch_json_replace_of_missing_member_adds_it(void **state)
{
    json_t *res =
        apply_ok(JP, *state,
                 "[{\"op\":\"replace\",\"path\":\"/metadata/labels/zz\","
                 "\"value\":\"1\"}]");

    assert_string_equal(str_at(res, "/metadata/labels/zz"), "1");
    json_decref(res);
}

static void test_patch_json_unapplicable_ops_are_generic_422(void **state)
{
    static const char *const bodies[] = {
        /* add does not create parents (docs/kubernetes-api.md, Patch) */
        "[{\"op\":\"add\",\"path\":\"/metadata/missing/x\",\"value\":1}]",
        "[{\"op\":\"remove\",\"path\":\"/metadata/labels/nope\"}]",
        /* replace: only an array index must exist ([jp] partialDoc.get) */
        "[{\"op\":\"replace\",\"path\":\"/spec/containers/5\","
        "\"value\":1}]",
        "[{\"op\":\"test\",\"path\":\"/metadata/name\",\"value\":\"other\"}]",
        "[{\"op\":\"test\",\"path\":\"/spec/containers/0/ports/0/"
        "containerPort\",\"value\":8080.0}]",
        "[{\"op\":\"test\",\"path\":\"/metadata/labels\","
        "\"value\":{\"app\":\"greeter\"}}]",
        "[{\"op\":\"add\",\"path\":\"/spec/containers/5\",\"value\":{}}]",
        "[{\"op\":\"add\",\"path\":\"/spec/containers/x\",\"value\":{}}]",
        "[{\"op\":\"remove\",\"path\":\"/spec/containers/-3\"}]",
        "[{\"op\":\"add\",\"path\":\"\",\"value\":{}}]",
        "[{\"op\":\"add\",\"path\":\"metadata\",\"value\":{}}]",
        "[{\"op\":\"move\",\"from\":\"/metadata\",\"path\":\"/metadata/x\"}]",
        "[{\"op\":\"copy\",\"path\":\"/metadata/x\"}]",
        "[{\"op\":\"add\",\"value\":1}]",
        "[{\"op\":\"frobnicate\",\"path\":\"/a\"}]",
        "[{\"path\":\"/a\",\"value\":1}]",
        "[null]",
        "[{\"op\":\"replace\",\"path\":\"\",\"value\":\"scalar\"}]",
    };
    size_t i;
    json_t *st;

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        st = expect_status(JP, *state, bodies[i], strlen(bodies[i]), 422,
                           "Invalid",
                           "the server rejected our request due to an error "
                           "in our request");
        assert_true(json_is_object(at(st, "/details")));
        assert_int_equal(json_object_size(at(st, "/details")), 0);
        json_decref(st);
    }
}

static void
test_patch_json_replacing_root_with_array_is_invalid_patch(void **state)
{
    const char *body = "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]";
    json_t *st =
        expect_status(JP, *state, body, strlen(body), 422, "Invalid", NULL);

    assert_string_equal(str_at(st, "/details/causes/0/field"), "patch");
    assert_string_equal(str_at(st, "/details/causes/0/reason"),
                        "FieldValueInvalid");
    assert_non_null(strstr(str_at(st, "/message"), " \"\" is invalid: patch: "
                                                   "Invalid value: \"[1]\""));
    json_decref(st);
}

static void test_patch_json_replacing_root_with_object_is_allowed(void **state)
{
    json_t *res =
        apply_ok(JP, *state,
                 "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"kind\":"
                 "\"Pod\",\"metadata\":{\"name\":\"n\"}}},"
                 "{\"op\":\"test\",\"path\":\"\",\"value\":{\"kind\":\"Pod\","
                 "\"metadata\":{\"name\":\"n\"}}}]");

    assert_int_equal(json_object_size(res), 2);
    json_decref(res);
}

static void test_patch_json_type_errors_are_400_in_go_words(void **state)
{
    expect_fail(JP, *state, "{\"op\":\"add\"}", 400, "BadRequest",
                "error decoding patch: json: cannot unmarshal object into Go "
                "value of type []handlers.jsonPatchOp");
    expect_fail(JP, *state, "[1]", 400, "BadRequest",
                "error decoding patch: json: cannot unmarshal number into Go "
                "value of type handlers.jsonPatchOp");
    expect_fail(JP, *state, "[{\"op\":\"add\",\"path\":5,\"value\":1}]", 400,
                "BadRequest",
                "error decoding patch: json: cannot unmarshal number into Go "
                "struct field jsonPatchOp.path of type string");
    expect_fail(JP, *state, "[{\"op\":[],\"path\":\"/a\"}]", 400, "BadRequest",
                "error decoding patch: json: cannot unmarshal array into Go "
                "struct field jsonPatchOp.op of type string");
    expect_fail(JP, *state, "[{\"op\":\"move\",\"from\":true}]", 400,
                "BadRequest",
                "error decoding patch: json: cannot unmarshal bool into Go "
                "struct field jsonPatchOp.from of type string");
}

static void test_patch_json_more_than_10000_ops_is_413(void **state)
{
    struct kbuf b;
    size_t i;

    kbuf_init(&b, 1 << 20);
    kbuf_addc(&b, '[');
    for (i = 0; i < FAKEAPI_PATCH_MAX_OPS; i++)
        kbuf_adds(&b,
                  "{\"op\":\"test\",\"path\":\"/kind\",\"value\":\"Pod\"},");
    kbuf_adds(&b, "{\"op\":\"remove\",\"path\":\"/kind\"}]");
    expect_fail(JP, *state, kbuf_str(&b), 413, "RequestEntityTooLarge",
                "Request entity too large: The allowed maximum operations in a "
                "JSON patch is 10000, got 10001");
    /* exactly 10000 is allowed */
    kbuf_truncate(&b, kbuf_len(&b) -
                          strlen("{\"op\":\"remove\",\"path\":"
                                 "\"/kind\"}]") -
                          1);
    kbuf_addc(&b, ']');
    json_decref(apply_ok(JP, *state, kbuf_str(&b)));
    kbuf_release(&b);
}

static void test_patch_json_copies_beyond_3mib_are_422(void **state)
{
    struct kbuf b;
    size_t i;

    kbuf_init(&b, 4 << 20);
    kbuf_adds(&b, "[{\"op\":\"add\",\"path\":\"/metadata/annotations/big\","
                  "\"value\":\"");
    for (i = 0; i < (1u << 20); i++)
        kbuf_addc(&b, 'x');
    kbuf_adds(&b, "\"}");
    for (i = 0; i < 3; i++)
        kbuf_addf(&b,
                  ",{\"op\":\"copy\",\"from\":\"/metadata/annotations/big\","
                  "\"path\":\"/metadata/annotations/c%zu\"}",
                  i);
    kbuf_adds(&b, "]");
    /* three copies of 1 MiB + 2 bytes pass the 3 MiB budget */
    expect_fail(JP, *state, kbuf_str(&b), 422, "Invalid", NULL);
    kbuf_truncate(&b, kbuf_len(&b) - 1);
    kbuf_truncate(&b, kbuf_len(&b) - strlen(",{\"op\":\"copy\",\"from\":"
                                            "\"/metadata/annotations/big\","
                                            "\"path\":\"/metadata/"
                                            "annotations/c2\"}"));
    kbuf_adds(&b, "]");
    json_decref(apply_ok(JP, *state, kbuf_str(&b)));
    kbuf_release(&b);
}

static void
test_patch_json_test_without_value_on_missing_path_is_500(void **state)
{
    expect_fail(JP, *state,
                "[{\"op\":\"test\",\"path\":\"/metadata/labels/nope\"}]", 500,
                NULL,
                "This request caused apiserver to panic. Look in the logs for "
                "details.");
}

/* ---- kubectl patch (strategic) -------------------------------------------*/

static void
test_patch_smp_containers_merge_by_name_keeping_the_rest(void **state)
{
    json_t *res = apply_ok(
        SP, *state,
        "{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"greeter:2"
        ".0\",\"env\":[{\"name\":\"B\",\"value\":\"3\"},{\"name\":\"C\","
        "\"value\":\"4\"}],\"ports\":[{\"containerPort\":9090}]}]}}");

    assert_int_equal(json_array_size(at(res, "/spec/containers")), 2);
    assert_string_equal(str_at(res, "/spec/containers/0/name"), "app");
    assert_string_equal(str_at(res, "/spec/containers/0/image"), "greeter:2.0");
    assert_string_equal(str_at(res, "/spec/containers/1/image"), "envoy:1.30");
    /* env merged by name: A kept, B changed, C added */
    assert_int_equal(json_array_size(at(res, "/spec/containers/0/env")), 3);
    assert_string_equal(str_at(res, "/spec/containers/0/env/0/name"), "A");
    assert_string_equal(str_at(res, "/spec/containers/0/env/1/value"), "3");
    assert_string_equal(str_at(res, "/spec/containers/0/env/2/name"), "C");
    /* ports merged by containerPort; an element the server order cannot
     * place goes before the server-only ones ([am] mergeSortedSlice) */
    assert_int_equal(json_array_size(at(res, "/spec/containers/0/ports")), 2);
    assert_int_equal(
        json_integer_value(at(res, "/spec/containers/0/ports/0/containerPort")),
        9090);
    assert_int_equal(
        json_integer_value(at(res, "/spec/containers/0/ports/1/containerPort")),
        8080);
    /* untagged lists inside a merged element are kept */
    assert_int_equal(json_array_size(at(res, "/spec/containers/0/args")), 2);
    assert_string_equal(str_at(res, "/spec/containers/0/volumeMounts/0/"
                                    "mountPath"),
                        "/data");
    json_decref(res);
}

static void test_patch_smp_patch_delete_removes_list_element(void **state)
{
    json_t *res = apply_ok(
        SP, *state,
        "{\"spec\":{\"containers\":[{\"$patch\":\"delete\",\"name\":\"app\"}],"
        "\"schedulingGates\":[{\"$patch\":\"delete\",\"name\":\"kreg.io/"
        "hold\"}]},\"metadata\":{\"ownerReferences\":[{\"$patch\":"
        "\"delete\",\"uid\":\"11111111-2222-3333-4444-555555555555\"}]}}");

    assert_int_equal(json_array_size(at(res, "/spec/containers")), 1);
    assert_string_equal(str_at(res, "/spec/containers/0/name"), "sidecar");
    assert_int_equal(json_array_size(at(res, "/spec/schedulingGates")), 0);
    assert_int_equal(json_array_size(at(res, "/metadata/ownerReferences")), 0);
    json_decref(res);
}

static void test_patch_smp_patch_replace_replaces_map_and_list(void **state)
{
    json_t *res = apply_ok(
        SP, *state,
        "{\"metadata\":{\"labels\":{\"$patch\":\"replace\",\"only\":\"one\"}},"
        "\"spec\":{\"containers\":[{\"$patch\":\"replace\"},{\"name\":\"new\","
        "\"image\":\"n:1\"}]}}");

    assert_int_equal(json_object_size(at(res, "/metadata/labels")), 1);
    assert_string_equal(str_at(res, "/metadata/labels/only"), "one");
    assert_int_equal(json_array_size(at(res, "/spec/containers")), 1);
    assert_string_equal(str_at(res, "/spec/containers/0/name"), "new");
    json_decref(res);
}

static void test_patch_smp_patch_delete_on_map_empties_it(void **state)
{
    json_t *res = apply_ok(
        SP, *state, "{\"metadata\":{\"annotations\":{\"$patch\":\"delete\"}}}");

    assert_true(json_is_object(at(res, "/metadata/annotations")));
    assert_int_equal(json_object_size(at(res, "/metadata/annotations")), 0);
    json_decref(res);
}

static void test_patch_smp_conditions_merge_by_type(void **state)
{
    json_t *res = apply_ok(
        SP, *state,
        "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},"
        "{\"type\":\"kreg.io/Custom\",\"status\":\"True\"}],"
        "\"podIPs\":[{\"ip\":\"fd00::3\"}],\"phase\":\"Running\"}}");

    assert_int_equal(json_array_size(at(res, "/status/conditions")), 3);
    assert_string_equal(str_at(res, "/status/conditions/0/type"),
                        "PodScheduled");
    assert_string_equal(str_at(res, "/status/conditions/1/type"), "Ready");
    assert_string_equal(str_at(res, "/status/conditions/1/status"), "True");
    assert_string_equal(str_at(res, "/status/conditions/2/type"),
                        "kreg.io/Custom");
    assert_int_equal(json_array_size(at(res, "/status/podIPs")), 2);
    json_decref(res);
}

static void test_patch_merge_replaces_conditions_whole(void **state)
{
    json_t *res =
        apply_ok(MP, *state,
                 "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":"
                 "\"True\"}]}}");

    assert_int_equal(json_array_size(at(res, "/status/conditions")), 1);
    json_decref(res);
}

static void
test_patch_smp_finalizers_union_and_delete_from_primitive_list(void **state)
{
    json_t *res = apply_ok(
        SP, *state,
        "{\"metadata\":{\"finalizers\":[\"kreg.io/c\",\"kreg.io/a\"]}}");

    /* patch order first where the server order allows, as [am] does */
    assert_int_equal(json_array_size(at(res, "/metadata/finalizers")), 3);
    assert_string_equal(str_at(res, "/metadata/finalizers/0"), "kreg.io/c");
    assert_string_equal(str_at(res, "/metadata/finalizers/1"), "kreg.io/a");
    assert_string_equal(str_at(res, "/metadata/finalizers/2"), "kreg.io/b");
    json_decref(res);
    res = apply_ok(SP, *state,
                   "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":"
                   "[\"kreg.io/a\",\"kreg.io/zzz\"]}}");
    assert_int_equal(json_array_size(at(res, "/metadata/finalizers")), 1);
    assert_string_equal(str_at(res, "/metadata/finalizers/0"), "kreg.io/b");
    json_decref(res);
}

static void test_patch_smp_untagged_lists_are_replaced(void **state)
{
    json_t *res = apply_ok(
        SP, *state,
        "{\"spec\":{\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\"}],"
        "\"containers\":[{\"name\":\"app\",\"args\":[\"x\"]}]},"
        "\"status\":{\"containerStatuses\":[{\"name\":\"app\"}]}}");

    assert_int_equal(json_array_size(at(res, "/spec/tolerations")), 1);
    assert_string_equal(str_at(res, "/spec/tolerations/0/key"), "k");
    assert_int_equal(json_array_size(at(res, "/spec/containers/0/args")), 1);
    assert_int_equal(json_array_size(at(res, "/status/containerStatuses")), 1);
    json_decref(res);
}

static void test_patch_smp_set_element_order_reorders_list(void **state)
{
    json_t *res = apply_ok(
        SP, *state,
        "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"sidecar\"},"
        "{\"name\":\"app\"}],\"containers\":[{\"name\":\"app\",\"image\":"
        "\"greeter:3\"}]}}");

    assert_string_equal(str_at(res, "/spec/containers/0/name"), "sidecar");
    assert_string_equal(str_at(res, "/spec/containers/1/name"), "app");
    assert_string_equal(str_at(res, "/spec/containers/1/image"), "greeter:3");
    assert_null(at(res, "/spec/$setElementOrder~1containers"));
    json_decref(res);
    res = apply_ok(SP, *state,
                   "{\"metadata\":{\"$setElementOrder/finalizers\":"
                   "[\"kreg.io/b\",\"kreg.io/a\"]}}");
    assert_string_equal(str_at(res, "/metadata/finalizers/0"), "kreg.io/b");
    json_decref(res);
}

static void test_patch_smp_retain_keys_clears_unlisted_fields(void **state)
{
    json_t *res = apply_ok(
        SP, *state,
        "{\"spec\":{\"volumes\":[{\"$retainKeys\":[\"name\",\"configMap\"],"
        "\"name\":\"data\",\"configMap\":{\"name\":\"cm\"}}]}}");

    assert_null(at(res, "/spec/volumes/0/emptyDir"));
    assert_string_equal(str_at(res, "/spec/volumes/0/configMap/name"), "cm");
    assert_null(at(res, "/spec/volumes/0/$retainKeys"));
    json_decref(res);
}

static void test_patch_smp_new_values_lose_nulls_and_directives(void **state)
{
    json_t *res =
        apply_ok(SP, *state,
                 "{\"spec\":{\"nodeSelector\":{\"a\":\"b\",\"c\":null},"
                 "\"readinessGates\":[{\"conditionType\":\"x\"},{\"$patch\":"
                 "\"delete\",\"conditionType\":\"y\"}]}}");

    assert_int_equal(json_object_size(at(res, "/spec/nodeSelector")), 1);
    assert_int_equal(json_array_size(at(res, "/spec/readinessGates")), 1);
    json_decref(res);
}

static void test_patch_smp_ports_merge_by_container_port_only(void **state)
{
    /* patchMergeKey is containerPort alone: a UDP port on the number of a
     * TCP port merges into it instead of adding a second port */
    json_t *res =
        apply_ok(SP, *state,
                 "{\"spec\":{\"containers\":[{\"name\":\"app\",\"ports\":[{"
                 "\"containerPort\":8080,\"protocol\":\"UDP\"}]}]}}");

    assert_int_equal(json_array_size(at(res, "/spec/containers/0/ports")), 1);
    assert_string_equal(str_at(res, "/spec/containers/0/ports/0/protocol"),
                        "UDP");
    json_decref(res);
}

static void
test_patch_smp_delete_from_primitive_list_works_on_any_list(void **state)
{
    json_t *res =
        apply_ok(SP, *state,
                 "{\"spec\":{\"containers\":[{\"name\":\"app\","
                 "\"$deleteFromPrimitiveList/args\":[\"--port\"]}]}}");

    assert_int_equal(json_array_size(at(res, "/spec/containers/0/args")), 1);
    assert_string_equal(str_at(res, "/spec/containers/0/args/0"), "8080");
    json_decref(res);
}

/* ---- strategic merge patch errors ----------------------------------------*/

static void test_patch_smp_non_object_body_is_400(void **state)
{
    json_t *res;

    expect_fail(SP, *state, "[{\"op\":\"add\"}]", 400, "BadRequest",
                "json: cannot unmarshal array into Go value of type "
                "map[string]interface {}");
    expect_fail(SP, *state, "true", 400, "BadRequest",
                "json: cannot unmarshal bool into Go value of type "
                "map[string]interface {}");
    /* null decodes to a nil map: no change */
    res = apply_ok(SP, *state, "null");
    assert_true(json_equal(res, *state));
    json_decref(res);
}

static void test_patch_smp_unknown_patch_value_is_untyped_500(void **state)
{
    expect_fail(SP, *state,
                "{\"metadata\":{\"labels\":{\"$patch\":\"merge\",\"a\":1.5}}}",
                500, NULL,
                "unknown patch type: merge in map: map[$patch:merge a:1.5]");
    expect_fail(SP, *state,
                "{\"spec\":{\"containers\":[{\"name\":\"app\",\"$patch\":"
                "\"nuke\"}]}}",
                500, NULL,
                "unknown patch type: nuke in map: map[$patch:nuke name:app]");
    expect_fail(SP, *state, "{\"$patch\":7}", 500, NULL,
                "unknown patch type: %!s(int64=7) in map: map[$patch:7]");
    expect_fail(SP, *state,
                "{\"spec\":{\"containers\":[{\"$patch\":\"merge\"}]}}", 500,
                NULL, "merging lists cannot yet be specified in the patch");
}

static void
test_patch_smp_element_without_merge_key_is_untyped_500(void **state)
{
    expect_fail(SP, *state,
                "{\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\"}]}}", 500,
                NULL,
                "map: map[image:nginx:1.25] does not contain declared merge "
                "key: name");
    expect_fail(SP, *state,
                "{\"spec\":{\"containers\":[{\"$patch\":\"delete\"}]}}", 500,
                NULL,
                "map: map[$patch:delete] does not contain declared merge "
                "key: name");
}

static void
test_patch_smp_mixed_or_nested_lists_fail_like_the_server(void **state)
{
    json_t *pod = json_deep_copy(*state);

    /* a list of lists is a 422 when its first element is a list */
    json_object_set_new(at(pod, "/spec"), "hostAliases", json_array());
    expect_fail(SP, pod, "{\"spec\":{\"hostAliases\":[[\"x\"]]}}", 422,
                "Invalid",
                "the server rejected our request due to an error in our "
                "request");
    json_decref(pod);
    expect_fail(SP, *state, "{\"metadata\":{\"finalizers\":[[\"x\"]]}}", 500,
                NULL,
                "list element types are not identical: [[kreg.io/a kreg.io/b] "
                "[[x]]]");
    expect_fail(SP, *state, "{\"metadata\":{\"finalizers\":[1]}}", 500, NULL,
                "list element types are not identical: [[kreg.io/a kreg.io/b] "
                "[1]]");
    expect_fail(SP, *state, "{\"metadata\":{\"finalizers\":[{\"a\":1}]}}", 500,
                NULL,
                "list element types are not identical: [[kreg.io/a kreg.io/b] "
                "[map[a:1]]]");
}

static void test_patch_smp_bad_directive_formats_are_400(void **state)
{
    expect_fail(SP, *state,
                "{\"spec\":{\"volumes\":[{\"name\":\"data\",\"$retainKeys\":"
                "\"name\"}]}}",
                400, "BadRequest", "invalid patch format of retainKeys");
    expect_fail(SP, *state,
                "{\"spec\":{\"volumes\":[{\"name\":\"data\",\"$retainKeys\":"
                "[\"emptyDir\"]}]}}",
                400, "BadRequest", "invalid patch format of retainKeys");
    expect_fail(SP, *state,
                "{\"metadata\":{\"$setElementOrderfinalizers\":[\"a\"]}}", 400,
                "BadRequest", "invalid patch format of setElementOrder list");
    expect_fail(SP, *state,
                "{\"metadata\":{\"$deleteFromPrimitiveList\":[\"a\"]}}", 400,
                "BadRequest", "invalid patch format of primitive list");
    expect_fail(SP, *state,
                "{\"metadata\":{\"$setElementOrder/finalizers\":\"a\"}}", 500,
                NULL, "expected a []interface {}, but received a string");
    expect_fail(SP, *state,
                "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":"
                "\"app\"}],\"containers\":[{\"name\":\"sidecar\","
                "\"image\":\"x\"}]}}",
                500, NULL,
                "the order in patch list:\n[map[image:x name:sidecar]]\n "
                "doesn't match $setElementOrder list:\n[map[name:app]]");
}

static void test_patch_smp_unknown_dollar_keys_are_plain_fields(void **state)
{
    json_t *res = apply_ok(SP, *state, "{\"spec\":{\"$unknown\":{\"a\":1}}}");

    assert_int_equal(json_integer_value(at(res, "/spec/$unknown/a")), 1);
    json_decref(res);
}

/* ---- decoding the body -------------------------------------------------*/

static void test_patch_malformed_json_is_400_in_go_words(void **state)
{
    static const char *const cases[][2] = {
        {"", "unexpected end of JSON input"},
        {"   ", "unexpected end of JSON input"},
        {"{", "unexpected end of JSON input"},
        {"{\"a\":", "unexpected end of JSON input"},
        {"x", "invalid character 'x' looking for beginning of value"},
        {"{\"a\":1,}",
         "invalid character '}' looking for beginning of object key string"},
        {"{\"a\" 1}", "invalid character '1' after object key"},
        {"{\"a\":1 \"b\":2}",
         "invalid character '\"' after object key:value pair"},
        {"[1 2]", "invalid character '2' after array element"},
        {"{} {}", "invalid character '{' after top-level value"},
        {"{\"a\":tru}", "invalid character '}' in literal true (expecting "
                        "'e')"},
        {"{\"a\":nul", "invalid character ' ' in literal null (expecting "
                       "'l')"},
        {"{\"a\":-}", "invalid character '}' in numeric literal"},
        {"{\"a\":1.}", "invalid character '}' after decimal point in numeric "
                       "literal"},
        {"{\"a\":1e+}", "invalid character '}' in exponent of numeric literal"},
        {"{\"a\":01}", "invalid character '1' after object key:value pair"},
        {"{\"a\":\"\\x\"}", "invalid character 'x' in string escape code"},
        {"{\"a\":\"\\u12g4\"}",
         "invalid character 'g' in \\u hexadecimal character escape"},
        {"{\"a\":\"\t\"}", "invalid character '\\t' in string literal"},
        {"{'a':1}", "invalid character '\\'' looking for beginning of object "
                    "key string"},
        {"\x01", "invalid character '\\x01' looking for beginning of value"},
        {"{\"a\":1}\xff", "invalid character 'ÿ' after top-level value"},
    };
    char msg[256];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(msg, sizeof(msg), "error decoding patch: %s", cases[i][1]);
        /* [jp] MergePatch: any syntax error is its errBadJSONPatch */
        expect_fail(MP, *state, cases[i][0], 400, "BadRequest",
                    "invalid JSON patch");
        expect_fail(JP, *state, cases[i][0], 400, "BadRequest", msg);
        expect_fail(SP, *state, cases[i][0], 400, "BadRequest", cases[i][1]);
    }
}

static void test_patch_nesting_deeper_than_100_is_400(void **state)
{
    char doc[512];
    size_t i;
    json_t *res;

    /* {"a": [[...]]} with 100 levels in all is fine, 101 is not */
    memcpy(doc, "{\"a\":", 5);
    for (i = 0; i < 99; i++)
        doc[5 + i] = '[';
    for (i = 0; i < 99; i++)
        doc[104 + i] = ']';
    doc[203] = '}';
    doc[204] = '\0';
    res = apply_ok(MP, *state, doc);
    json_decref(res);
    memcpy(doc, "{\"a\":", 5);
    for (i = 0; i < 100; i++)
        doc[5 + i] = '[';
    for (i = 0; i < 100; i++)
        doc[105 + i] = ']';
    doc[205] = '}';
    doc[206] = '\0';
    expect_fail(MP, *state, doc, 400, "BadRequest", "invalid JSON patch");
    expect_fail(JP, *state, doc, 400, "BadRequest",
                "error decoding patch: invalid character '[' exceeded max "
                "depth");
    expect_fail(SP, *state, doc, 400, "BadRequest",
                "invalid character '[' exceeded max depth");
}

static void
test_patch_invalid_utf8_and_lone_surrogates_become_fffd(void **state)
{
    json_t *res =
        apply_ok(MP, *state,
                 "{\"metadata\":{\"annotations\":{\"x\":\"a\xff\xc3\",\"y\":"
                 "\"\\ud800\\u0041\",\"z\":\"\\ud83d\\ude00\",\"n\":"
                 "123456789012345678901"
                 "}}}");

    assert_string_equal(str_at(res, "/metadata/annotations/x"),
                        "a\xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(str_at(res, "/metadata/annotations/y"), "\xef\xbf\xbd"
                                                                "A");
    assert_string_equal(str_at(res, "/metadata/annotations/z"),
                        "\xf0\x9f\x98\x80");
    assert_true(json_is_real(at(res, "/metadata/annotations/n")));
    json_decref(res);
}

static void test_patch_body_with_nul_in_string_is_accepted(void **state)
{
    static const char body[] = "{\"metadata\":{\"annotations\":{\"x\":"
                               "\"a\\u0000b\"}}}\n";
    json_t *st = NULL;
    json_t *res = fakeapi__patch_apply(MP, *state, body, sizeof(body) - 1, &st);

    assert_non_null(res);
    assert_int_equal(json_string_length(at(res, "/metadata/annotations/x")), 3);
    json_decref(res);
}

static void
test_patch_hostile_list_merge_runs_out_of_budget_with_504(void **state)
{
    struct kbuf b;
    size_t i;

    kbuf_init(&b, 1 << 20);
    kbuf_adds(&b, "{\"metadata\":{\"finalizers\":[");
    for (i = 0; i < 20000; i++)
        kbuf_addf(&b, "%s\"f%zu\"", i ? "," : "", i);
    kbuf_adds(&b, "]}}");
    expect_fail(SP, *state, kbuf_str(&b), 504, "Timeout",
                "Timeout: request did not complete within requested timeout "
                "- context deadline exceeded");
    kbuf_release(&b);
}

static void test_patch_failure_without_status_pointer_is_safe(void **state)
{
    assert_null(fakeapi__patch_apply(SP, *state, "[", 1, NULL));
    assert_null(fakeapi__patch_apply(SP, *state, NULL, 0, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_patch_type_maps_media_types_ignoring_parameters),
        T(test_patch_apply_refuses_server_side_apply_with_415),
        T(test_patch_apply_refuses_unknown_type_as_go_restful),
        T(test_patch_smp_go_micro_register_merges_labels_and_drops_status),
        T(test_patch_smp_go_micro_deregister_removes_service_keeps_marker),
        T(test_patch_smp_null_status_deletes_status),
        T(test_patch_merge_null_deletes_label),
        T(test_patch_merge_kubectl_label_and_annotate_set_values),
        T(test_patch_merge_replaces_lists_and_prunes_nulls),
        T(test_patch_merge_rejects_null_and_non_object_bodies),
        T(test_patch_merge_helper_follows_rfc7386_examples),
        T(test_patch_json_escaped_slash_reaches_label_key),
        T(test_patch_json_ops_add_remove_replace_move_copy_test),
        T(test_patch_json_null_body_and_empty_list_change_nothing),
        T(test_patch_json_replace_of_missing_member_adds_it),
        T(test_patch_json_unapplicable_ops_are_generic_422),
        T(test_patch_json_replacing_root_with_array_is_invalid_patch),
        T(test_patch_json_replacing_root_with_object_is_allowed),
        T(test_patch_json_type_errors_are_400_in_go_words),
        T(test_patch_json_more_than_10000_ops_is_413),
        T(test_patch_json_copies_beyond_3mib_are_422),
        T(test_patch_json_test_without_value_on_missing_path_is_500),
        T(test_patch_smp_containers_merge_by_name_keeping_the_rest),
        T(test_patch_smp_patch_delete_removes_list_element),
        T(test_patch_smp_patch_replace_replaces_map_and_list),
        T(test_patch_smp_patch_delete_on_map_empties_it),
        T(test_patch_smp_conditions_merge_by_type),
        T(test_patch_merge_replaces_conditions_whole),
        T(test_patch_smp_finalizers_union_and_delete_from_primitive_list),
        T(test_patch_smp_untagged_lists_are_replaced),
        T(test_patch_smp_set_element_order_reorders_list),
        T(test_patch_smp_retain_keys_clears_unlisted_fields),
        T(test_patch_smp_new_values_lose_nulls_and_directives),
        T(test_patch_smp_ports_merge_by_container_port_only),
        T(test_patch_smp_delete_from_primitive_list_works_on_any_list),
        T(test_patch_smp_non_object_body_is_400),
        T(test_patch_smp_unknown_patch_value_is_untyped_500),
        T(test_patch_smp_element_without_merge_key_is_untyped_500),
        T(test_patch_smp_mixed_or_nested_lists_fail_like_the_server),
        T(test_patch_smp_bad_directive_formats_are_400),
        T(test_patch_smp_unknown_dollar_keys_are_plain_fields),
        T(test_patch_malformed_json_is_400_in_go_words),
        T(test_patch_nesting_deeper_than_100_is_400),
        T(test_patch_invalid_utf8_and_lone_surrogates_become_fffd),
        T(test_patch_body_with_nul_in_string_is_accepted),
        T(test_patch_hostile_list_merge_runs_out_of_budget_with_504),
        T(test_patch_failure_without_status_pointer_is_safe),
#undef T
    };

    return cmocka_run_group_tests_name("patch", tests, NULL, NULL);
}
