/*
 * fieldValidation on writes: unknown and duplicate fields answered as
 * kube-apiserver v1.37.2 answers them (measured against a real control
 * plane with ci/realapi.sh): Strict refuses (400 on create and update,
 * 422 on patch), Warn (the default) drops them with a Warning header
 * each, Ignore drops them silently; any other value is a 422.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"
#include "validate/fieldval.h"

#define PODS "/api/v1/namespaces/default/pods"

/* An answer with its Warning header values, in order. */
struct fv_res {
    struct http_res r;
    json_t *warnings;
};

static size_t fv_header(char *p, size_t sz, size_t n, void *cls)
{
    json_t *w = cls;
    size_t len = sz * n;

    if (len > 11 && strncasecmp(p, "Warning: ", 9) == 0)
        json_array_append_new(w, json_stringn(p + 9, len - 11));
    return len;
}

static long fv_do(fakeapi *srv, const char *method, const char *path,
                  const char *ctype, const char *body, struct fv_res *res)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[1024];
    char ct[128];

    memset(res, 0, sizeof(*res));
    res->warnings = json_array();
    snprintf(url, sizeof(url), "%s%s", fakeapi_url(srv), path);
    snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
    h = curl_slist_append(h, ct);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tu_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &res->r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fv_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, res->warnings);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->r.status);
    if (res->r.body)
        res->r.json = json_loads(res->r.body, 0, NULL);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return res->r.status;
}

static void fv_free(struct fv_res *res)
{
    http_res_free(&res->r);
    json_decref(res->warnings);
}

static const char *warning(const struct fv_res *res, size_t i)
{
    return json_string_value(json_array_get(res->warnings, i));
}

static int setup(void **state)
{
    fakeapi *srv = NULL;

    if (fakeapi_start(NULL, &srv, NULL) != FAKEAPI_OK)
        return -1;
    if (make_pod(srv, "default", "p", "{\"a\":\"1\"}") != 201) {
        fakeapi_stop(srv);
        return -1;
    }
    *state = srv;
    return 0;
}

static int teardown(void **state)
{
    fakeapi_stop(*state);
    return 0;
}

#define MANY_UNKNOWN                                                           \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"u\","    \
    "\"foo\":1},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\","    \
    "\"foo\":2,\"zzz\":3,\"securityContext\":{\"bogus\":1}}],\"bogus\":{"      \
    "\"x\":1},\"aaa\":[1]},\"zzz\":1,\"status\":{\"bar\":1}}"

static void
test_fieldval_create_strict_lists_fields_in_document_order(void **state)
{
    struct fv_res res;

    assert_int_equal(fv_do(*state, "POST", PODS "?fieldValidation=Strict",
                           "application/json", MANY_UNKNOWN, &res),
                     400);
    assert_string_equal(jstr(res.r.json, "reason"), "BadRequest");
    assert_string_equal(
        jstr(res.r.json, "message"),
        "Pod in version \"v1\" cannot be handled as a Pod: strict decoding "
        "error: unknown field \"metadata.foo\", unknown field "
        "\"spec.containers[0].foo\", unknown field \"spec.containers[0].zzz\", "
        "unknown field \"spec.containers[0].securityContext.bogus\", unknown "
        "field \"spec.bogus\", unknown field \"spec.aaa\", unknown field "
        "\"zzz\", unknown field \"status.bar\"");
    assert_int_equal(json_array_size(res.warnings), 0);
    fv_free(&res);
}

static void test_fieldval_create_warns_by_default_and_drops(void **state)
{
    struct fv_res res;
    const json_t *c0;

    assert_int_equal(
        fv_do(*state, "POST", PODS, "application/json", MANY_UNKNOWN, &res),
        201);
    assert_int_equal(json_array_size(res.warnings), 8);
    assert_string_equal(warning(&res, 0),
                        "299 - \"unknown field \\\"metadata.foo\\\"\"");
    assert_string_equal(
        warning(&res, 1),
        "299 - \"unknown field \\\"spec.containers[0].foo\\\"\"");
    assert_string_equal(warning(&res, 7),
                        "299 - \"unknown field \\\"status.bar\\\"\"");
    assert_null(json_object_get(res.r.json, "zzz"));
    assert_null(json_object_get(json_object_get(res.r.json, "spec"), "bogus"));
    c0 = json_array_get(
        json_object_get(json_object_get(res.r.json, "spec"), "containers"), 0);
    assert_null(json_object_get(c0, "foo"));
    assert_int_equal(json_object_size(json_object_get(c0, "securityContext")),
                     0);
    fv_free(&res);
}

static void test_fieldval_create_ignore_drops_silently(void **state)
{
    struct fv_res res;

    assert_int_equal(fv_do(*state, "POST",
                           PODS "?fieldValidation=Ignore&dryRun=All",
                           "application/json", MANY_UNKNOWN, &res),
                     201);
    assert_int_equal(json_array_size(res.warnings), 0);
    assert_null(
        json_object_get(json_object_get(res.r.json, "metadata"), "foo"));
    fv_free(&res);
}

static void test_fieldval_duplicates_are_strict_errors(void **state)
{
    const char *body =
        "{\"metadata\":{\"name\":\"d1\",\"bogus\":1,\"name\":\"d2\","
        "\"labels\":{\"a\":\"1\",\"a\":\"2\"}},\"spec\":{\"containers\":[{"
        "\"name\":\"c\",\"image\":\"x\"}]},\"spec\":{\"containers\":[{"
        "\"name\":\"c\",\"image\":\"x\",\"image\":\"y\"}]}}";
    struct fv_res res;

    assert_int_equal(fv_do(*state, "POST", PODS "?fieldValidation=Strict",
                           "application/json", body, &res),
                     400);
    assert_string_equal(
        jstr(res.r.json, "message"),
        "Pod in version \"v1\" cannot be handled as a Pod: strict decoding "
        "error: unknown field \"metadata.bogus\", duplicate field "
        "\"metadata.name\", duplicate field \"metadata.labels.a\", duplicate "
        "field \"spec\", duplicate field \"spec.containers[0].image\"");
    fv_free(&res);
    /* Warn: the last one wins, as in Go */
    assert_int_equal(
        fv_do(*state, "POST", PODS, "application/json", body, &res), 201);
    assert_string_equal(jstr(res.r.json, "metadata.name"), "d2");
    assert_int_equal(json_array_size(res.warnings), 5);
    assert_string_equal(warning(&res, 3),
                        "299 - \"duplicate field \\\"spec\\\"\"");
    fv_free(&res);
}

static void test_fieldval_rejects_unknown_directive(void **state)
{
    struct fv_res res;
    const json_t *d;

    assert_int_equal(fv_do(*state, "POST", PODS "?fieldValidation=strict",
                           "application/json", MANY_UNKNOWN, &res),
                     422);
    assert_string_equal(
        jstr(res.r.json, "message"),
        "CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: "
        "Unsupported value: \"strict\": supported values: \"\", \"Ignore\", "
        "\"Strict\", \"Warn\"");
    d = json_object_get(res.r.json, "details");
    assert_string_equal(jstr(d, "group"), "meta.k8s.io");
    assert_string_equal(jstr(d, "kind"), "CreateOptions");
    assert_string_equal(
        jstr(json_array_get(json_object_get(d, "causes"), 0), "reason"),
        "FieldValueNotSupported");
    fv_free(&res);
    assert_int_equal(fv_do(*state, "PATCH", PODS "/p?fieldValidation=Nope",
                           "application/merge-patch+json", "{}", &res),
                     422);
    assert_string_equal(jstr(json_object_get(res.r.json, "details"), "kind"),
                        "PatchOptions");
    fv_free(&res);
}

static void test_fieldval_update_status_strict(void **state)
{
    const char *body = "{\"metadata\":{\"name\":\"p\"},\"spec\":{"
                       "\"containers\":[{\"name\":\"c\",\"image\":"
                       "\"busybox\"}]},\"status\":{\"bogus\":1}}";
    struct fv_res res;

    assert_int_equal(fv_do(*state, "PUT",
                           PODS "/p/status?fieldValidation=Strict",
                           "application/json", body, &res),
                     400);
    assert_string_equal(
        jstr(res.r.json, "message"),
        "Pod in version \"v1\" cannot be handled as a Pod: "
        "strict decoding error: unknown field \"status.bogus\"");
    fv_free(&res);
    assert_int_equal(
        fv_do(*state, "PUT", PODS "/p/status", "application/json", body, &res),
        200);
    assert_string_equal(warning(&res, 0),
                        "299 - \"unknown field \\\"status.bogus\\\"\"");
    fv_free(&res);
}

static void
test_fieldval_merge_patch_sorts_and_puts_duplicates_first(void **state)
{
    const char *patch = "{\"spec\":{\"zzz\":1,\"bogus\":1},\"metadata\":{"
                        "\"labels\":{\"b\":\"1\",\"b\":\"2\"},\"foo\":1}}";
    struct fv_res res;
    const char *msg;

    assert_int_equal(fv_do(*state, "PATCH", PODS "/p?fieldValidation=Strict",
                           "application/merge-patch+json", patch, &res),
                     422);
    msg = jstr(res.r.json, "message");
    assert_non_null(strstr(msg, " \"\" is invalid: patch: Invalid value: "
                                "\"{\\\"apiVersion\\\":\\\"v1\\\","));
    assert_non_null(strstr(
        msg, "\": strict decoding error: duplicate field "
             "\"metadata.labels.b\", unknown field \"metadata.foo\", unknown "
             "field \"spec.bogus\", unknown field \"spec.zzz\""));
    assert_null(jstr(json_object_get(res.r.json, "details"), "kind"));
    fv_free(&res);
    assert_int_equal(fv_do(*state, "PATCH", PODS "/p",
                           "application/merge-patch+json", patch, &res),
                     200);
    assert_int_equal(json_array_size(res.warnings), 4);
    assert_null(json_object_get(json_object_get(res.r.json, "spec"), "zzz"));
    assert_string_equal(jstr(res.r.json, "metadata.labels.b"), "2");
    fv_free(&res);
}

static void test_fieldval_strategic_patch_shows_the_patch_map(void **state)
{
    const char *patch =
        "{\"metadata\":{\"$patch\":\"replace\",\"name\":"
        "\"p\",\"labels\":{\"q\":\"1\"}},\"spec\":{\"bogus\":1}}";
    struct fv_res res;

    assert_int_equal(fv_do(*state, "PATCH", PODS "/p?fieldValidation=Strict",
                           "application/strategic-merge-patch+json", patch,
                           &res),
                     422);
    assert_string_equal(
        jstr(res.r.json, "message"),
        " \"\" is invalid: patch: Invalid value: \"map[metadata:map[labels:"
        "map[q:1] name:p] spec:map[bogus:1]]\": strict decoding error: "
        "unknown field \"spec.bogus\"");
    fv_free(&res);
}

static void test_fieldval_json_patch_checks_its_operations(void **state)
{
    const char *patch =
        "[{\"op\":\"add\",\"path\":\"/metadata/labels/y\","
        "\"value\":\"1\",\"bogus\":1},{\"op\":\"add\","
        "\"path\":\"/spec/bogus\",\"value\":{\"x\":1,\"x\":2}}]";
    struct fv_res res;

    assert_int_equal(fv_do(*state, "PATCH", PODS "/p",
                           "application/json-patch+json", patch, &res),
                     200);
    assert_int_equal(json_array_size(res.warnings), 3);
    assert_string_equal(warning(&res, 0),
                        "299 - \"json patch unknown field \\\"[0].bogus\\\"\"");
    assert_string_equal(
        warning(&res, 1),
        "299 - \"json patch duplicate field \\\"[1].value.x\\\"\"");
    assert_string_equal(warning(&res, 2),
                        "299 - \"unknown field \\\"spec.bogus\\\"\"");
    fv_free(&res);
}

static void test_fieldval_namespace_create_strict(void **state)
{
    struct fv_res res;

    assert_int_equal(
        fv_do(*state, "POST", "/api/v1/namespaces?fieldValidation=Strict",
              "application/json",
              "{\"metadata\":{\"name\":\"n\",\"foo\":1},\"spec\":{\"bogus\":1},"
              "\"zzz\":1}",
              &res),
        400);
    assert_string_equal(jstr(res.r.json, "message"),
                        "Namespace in version \"v1\" cannot be handled as a "
                        "Namespace: strict decoding error: unknown field "
                        "\"metadata.foo\", unknown field \"spec.bogus\", "
                        "unknown field \"zzz\"");
    fv_free(&res);
}

/* filters/warning.go: past 4096 runes every text is cut to 256 runes, and
 * what comes after the limit is left out. */
static void test_fieldval_headers_truncate_past_4k(void **state)
{
    json_t *texts = json_array();
    json_t *headers = json_array();
    char text[400];
    int i;

    (void)state;
    for (i = 0; i < 80; i++) {
        snprintf(text, sizeof(text), "unknown field \"spec.f%02d_%0*d\"", i,
                 i == 3 ? 300 : 60, 0);
        json_array_append_new(texts, json_string(text));
    }
    fakeapi__fieldval_headers(texts, headers);
    assert_int_equal(json_array_size(headers), 47);
    assert_int_equal(strlen(json_string_value(json_array_get(headers, 3))),
                     strlen("299 - \"\"") + 256 + 1); /* one \" kept */
    assert_int_equal(strlen(json_string_value(json_array_get(headers, 0))),
                     strlen("299 - \"\"") + 85 + 2);
    json_decref(texts);
    json_decref(headers);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_fieldval_create_strict_lists_fields_in_document_order),
        T(test_fieldval_create_warns_by_default_and_drops),
        T(test_fieldval_create_ignore_drops_silently),
        T(test_fieldval_duplicates_are_strict_errors),
        T(test_fieldval_rejects_unknown_directive),
        T(test_fieldval_update_status_strict),
        T(test_fieldval_merge_patch_sorts_and_puts_duplicates_first),
        T(test_fieldval_strategic_patch_shows_the_patch_map),
        T(test_fieldval_json_patch_checks_its_operations),
        T(test_fieldval_namespace_create_strict),
        cmocka_unit_test(test_fieldval_headers_truncate_past_4k),
    };
#undef T
    return cmocka_run_group_tests_name("fieldval", tests, NULL, NULL);
}
