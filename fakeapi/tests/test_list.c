/*
 * Pod collections over HTTP: namespaced and cluster-wide lists, label and
 * field selectors through the indexes, pagination, the Table form,
 * deletecollection and namespaces (docs/kubernetes-api.md, Label selectors,
 * Field selectors, Lists, Tables, Namespaces).
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
    const char *seed =
        "[{\"metadata\":{\"name\":\"a1\",\"namespace\":\"a\",\"labels\":"
        "{\"app\":\"web\",\"tier\":\"fe\"}},\"status\":{\"phase\":"
        "\"Running\",\"podIP\":\"10.0.0.1\"}},"
        "{\"metadata\":{\"name\":\"a2\",\"namespace\":\"a\",\"labels\":"
        "{\"app\":\"db\"}},\"spec\":{\"nodeName\":\"n1\"},\"status\":"
        "{\"phase\":\"Pending\"}},"
        "{\"metadata\":{\"name\":\"b1\",\"namespace\":\"a-b\",\"labels\":"
        "{\"app\":\"web\"}},\"status\":{\"phase\":\"Running\"}},"
        "{\"metadata\":{\"name\":\"c1\",\"namespace\":\"c\"},\"status\":"
        "{\"phase\":\"Succeeded\"}}]";

    if (fakeapi_start(NULL, &srv, NULL) != FAKEAPI_OK)
        return -1;
    if (fakeapi_seed_json(srv, seed, strlen(seed), NULL) != FAKEAPI_OK) {
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

/* Names of the items of a list answer, comma-joined, into @p out. */
static void names(const json_t *list, char *out, size_t size)
{
    json_t *items = json_object_get(list, "items");
    json_t *it;
    size_t i;
    size_t len = 0;

    out[0] = '\0';
    json_array_foreach(items, i, it)
    {
        int n = snprintf(out + len, size - len, "%s%s", i ? "," : "",
                         jstr(it, "metadata.name"));

        if (n > 0)
            len += (size_t)n;
    }
}

static void list_names(fakeapi *srv, const char *path, char *out, size_t size,
                       long want_status)
{
    struct http_res r;

    assert_int_equal(http(srv, "GET", path, NULL, &r), want_status);
    if (want_status == 200) {
        assert_string_equal(jstr(r.json, "kind"), "PodList");
        assert_true(json_is_array(json_object_get(r.json, "items")));
        names(r.json, out, size);
    }
    http_res_free(&r);
}

static void test_list_cluster_wide_in_key_order(void **state)
{
    char got[512];

    /* etcd key order: "a-b/..." sorts before "a/..." */
    list_names(*state, "/api/v1/pods", got, sizeof(got), 200);
    assert_string_equal(got, "b1,a1,a2,c1");
}

static void test_list_namespaced_and_trailing_slash(void **state)
{
    char got[512];

    list_names(*state, "/api/v1/namespaces/a/pods", got, sizeof(got), 200);
    assert_string_equal(got, "a1,a2");
    /* docs/go-micro-wire.md, Server requirements: the Go plugin lists with
     * "pods/" */
    list_names(*state, "/api/v1/namespaces/a/pods/?labelSelector=app%3Dweb",
               got, sizeof(got), 200);
    assert_string_equal(got, "a1");
}

static void test_list_empty_has_items_array(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(
        http(srv, "GET", "/api/v1/namespaces/default/pods", NULL, &r), 200);
    assert_string_equal(r.body + strlen(r.body) - 11, "\"items\":[]}");
    assert_true(json_is_array(json_object_get(r.json, "items")));
    http_res_free(&r);
}

static void test_list_label_selectors_full_grammar(void **state)
{
    fakeapi *srv = *state;
    char got[512];

    list_names(srv, "/api/v1/pods?labelSelector=app%3Dweb", got, sizeof(got),
               200);
    assert_string_equal(got, "b1,a1");
    list_names(srv, "/api/v1/pods?labelSelector=app+in+(db,web),tier", got,
               sizeof(got), 200);
    assert_string_equal(got, "a1");
    /* docs/kubernetes-api.md, Label selectors: != and notin match pods without
     * the key */
    list_names(srv, "/api/v1/pods?labelSelector=app!%3Dweb", got, sizeof(got),
               200);
    assert_string_equal(got, "a2,c1");
    list_names(srv, "/api/v1/pods?labelSelector=app+notin+(web)", got,
               sizeof(got), 200);
    assert_string_equal(got, "a2,c1");
    list_names(srv, "/api/v1/pods?labelSelector=!app", got, sizeof(got), 200);
    assert_string_equal(got, "c1");
    list_names(srv, "/api/v1/pods?labelSelector=app%3D%3Dnone", got,
               sizeof(got), 200);
    assert_string_equal(got, "");
}

static void test_list_bad_selector_is_400(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(
        http(srv, "GET", "/api/v1/pods?labelSelector=app+in+prod", NULL, &r),
        400);
    assert_string_equal(jstr(r.json, "reason"), "BadRequest");
    http_res_free(&r);
    assert_int_equal(
        http(srv, "GET", "/api/v1/pods?fieldSelector=spec.foo%3Dx", NULL, &r),
        400);
    assert_string_equal(jstr(r.json, "message"),
                        "field label not supported: spec.foo");
    http_res_free(&r);
}

static void test_list_field_selectors(void **state)
{
    fakeapi *srv = *state;
    char got[512];

    list_names(srv, "/api/v1/pods?fieldSelector=status.phase%3DRunning", got,
               sizeof(got), 200);
    assert_string_equal(got, "b1,a1");
    list_names(srv, "/api/v1/pods?fieldSelector=metadata.name%3Da2", got,
               sizeof(got), 200);
    assert_string_equal(got, "a2");
    list_names(srv, "/api/v1/pods?fieldSelector=spec.nodeName%3D", got,
               sizeof(got), 200);
    assert_string_equal(got, "b1,a1,c1");
    list_names(srv,
               "/api/v1/pods?fieldSelector=metadata.namespace%3Da,"
               "status.phase!%3DRunning",
               got, sizeof(got), 200);
    assert_string_equal(got, "a2");
}

static void test_list_pagination_with_continue(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    char path[2048];
    char all[512] = "";
    char page[512];
    int pages = 0;
    const char *cont = NULL;
    char token[512] = "";

    do {
        if (cont)
            snprintf(path, sizeof(path), "/api/v1/pods?limit=3&continue=%s",
                     token);
        else
            snprintf(path, sizeof(path), "/api/v1/pods?limit=3");
        assert_int_equal(http(srv, "GET", path, NULL, &r), 200);
        names(r.json, page, sizeof(page));
        if (*page) {
            size_t used = strlen(all);
            int n = snprintf(all + used, sizeof(all) - used, "%s%s",
                             used ? "," : "", page);

            assert_true(n > 0 && (size_t)n < sizeof(all) - used);
        }
        cont = jstr(r.json, "metadata.continue");
        if (pages == 0) {
            assert_non_null(cont);
            assert_int_equal(
                json_integer_value(json_object_get(
                    json_object_get(r.json, "metadata"), "remainingItemCount")),
                1);
        }
        if (cont)
            snprintf(token, sizeof(token), "%s", cont);
        pages++;
        http_res_free(&r);
    } while (cont && pages < 10);
    assert_int_equal(pages, 2);
    assert_string_equal(all, "b1,a1,a2,c1");
}

static void test_list_garbled_continue_is_400(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(
        http(srv, "GET", "/api/v1/pods?limit=1&continue=%21%21%21", NULL, &r),
        400);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET",
                          "/api/v1/pods?limit=1&continue=MTox&"
                          "resourceVersion=5",
                          NULL, &r),
                     400);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/api/v1/pods?limit=abc", NULL, &r), 400);
    http_res_free(&r);
}

static void test_list_table_has_pod_columns(void **state)
{
    fakeapi *srv = *state;
    char url[512];
    const char *hdr[] = {"Accept: application/json;as=Table;v=v1;"
                         "g=meta.k8s.io,application/json",
                         NULL};
    struct http_res r;
    json_t *cols;
    json_t *rows;

    snprintf(url, sizeof(url), "%s/api/v1/namespaces/a/pods?limit=500",
             fakeapi_url(srv));
    assert_int_equal(http_do("GET", url, NULL, hdr, &r), 200);
    assert_string_equal(jstr(r.json, "kind"), "Table");
    assert_string_equal(jstr(r.json, "apiVersion"), "meta.k8s.io/v1");
    cols = json_object_get(r.json, "columnDefinitions");
    assert_string_equal(jstr(json_array_get(cols, 0), "name"), "Name");
    assert_string_equal(jstr(json_array_get(cols, 2), "name"), "Status");
    rows = json_object_get(r.json, "rows");
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(json_array_get(rows, 0), "cells"), 0)),
        "a1");
    http_res_free(&r);
}

/* GET @p path with Accept @p accept; the status, the answer in *@p r. */
static long get_as(fakeapi *srv, const char *path, const char *accept,
                   struct http_res *r)
{
    char url[512];
    char h[256];
    const char *hdr[] = {h, NULL};

    snprintf(url, sizeof(url), "%s%s", fakeapi_url(srv), path);
    snprintf(h, sizeof(h), "Accept: %s", accept);
    return http_do("GET", url, NULL, hdr, r);
}

/*
 * The metadata-only forms client-go's metadata client asks for: each item
 * is the object's metadata exactly, under kind PartialObjectMetadata;
 * selectors and pagination apply as to the full list.
 */
static void test_list_partial_object_metadata(void **state)
{
    fakeapi *srv = *state;
    struct http_res full;
    struct http_res r;
    json_t *items;
    char got[512];

    assert_int_equal(
        get_as(srv,
               "/api/v1/pods?labelSelector=app%3Dweb&fieldSelector=status."
               "phase%3DRunning",
               "application/json;as=PartialObjectMetadataList;"
               "g=meta.k8s.io;v=v1,application/json",
               &r),
        200);
    assert_string_equal(jstr(r.json, "kind"), "PartialObjectMetadataList");
    assert_string_equal(jstr(r.json, "apiVersion"), "meta.k8s.io/v1");
    assert_non_null(jstr(r.json, "metadata.resourceVersion"));
    names(r.json, got, sizeof(got));
    assert_string_equal(got, "b1,a1");
    items = json_object_get(r.json, "items");
    assert_string_equal(jstr(json_array_get(items, 1), "kind"),
                        "PartialObjectMetadata");
    assert_int_equal(json_object_size(json_array_get(items, 1)), 3);
    assert_int_equal(
        http(srv, "GET", "/api/v1/namespaces/a/pods/a1", NULL, &full), 200);
    assert_true(
        json_equal(json_object_get(json_array_get(items, 1), "metadata"),
                   json_object_get(full.json, "metadata")));
    http_res_free(&r);

    /* one object, in the other served version */
    assert_int_equal(get_as(srv, "/api/v1/namespaces/a/pods/a1",
                            "application/json;as=PartialObjectMetadata;"
                            "g=meta.k8s.io;v=v1beta1",
                            &r),
                     200);
    assert_string_equal(jstr(r.json, "kind"), "PartialObjectMetadata");
    assert_string_equal(jstr(r.json, "apiVersion"), "meta.k8s.io/v1beta1");
    assert_true(json_equal(json_object_get(r.json, "metadata"),
                           json_object_get(full.json, "metadata")));
    http_res_free(&r);
    http_res_free(&full);

    /* pages carry the continue token */
    assert_int_equal(get_as(srv, "/api/v1/pods?limit=1",
                            "application/json;as=PartialObjectMetadataList;"
                            "g=meta.k8s.io;v=v1",
                            &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    assert_non_null(jstr(r.json, "metadata.continue"));
    http_res_free(&r);

    /* namespaces too */
    assert_int_equal(get_as(srv, "/api/v1/namespaces",
                            "application/json;as=PartialObjectMetadataList;"
                            "g=meta.k8s.io;v=v1",
                            &r),
                     200);
    assert_string_equal(
        jstr(json_array_get(json_object_get(r.json, "items"), 0), "kind"),
        "PartialObjectMetadata");
    http_res_free(&r);
}

/* kube-apiserver v1.37.2 writes an empty PartialObjectMetadataList (v1
 * and v1beta1) with Go's nil slice: "items":null. */
static void test_list_empty_partial_object_metadata_has_items_null(void **state)
{
    fakeapi *srv = *state;
    const char *const versions[] = {"v1", "v1beta1"};
    char accept[128];
    struct http_res r;
    size_t i;

    for (i = 0; i < 2; i++) {
        snprintf(accept, sizeof(accept),
                 "application/json;as=PartialObjectMetadataList;"
                 "g=meta.k8s.io;v=%s",
                 versions[i]);
        assert_int_equal(get_as(srv,
                                "/api/v1/namespaces/default/pods?"
                                "labelSelector=a%3Db",
                                accept, &r),
                         200);
        assert_string_equal(jstr(r.json, "kind"), "PartialObjectMetadataList");
        assert_non_null(jstr(r.json, "metadata.resourceVersion"));
        assert_string_equal(r.body + strlen(r.body) - 13, "\"items\":null}");
        assert_true(json_is_null(json_object_get(r.json, "items")));
        http_res_free(&r);
    }
}

/* As a real server: the form must fit the answer (406 otherwise), and
 * only meta.k8s.io v1 and v1beta1 are served. */
static void test_list_partial_object_metadata_misfits(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    assert_int_equal(get_as(srv, "/api/v1/pods",
                            "application/json;as=PartialObjectMetadata;"
                            "g=meta.k8s.io;v=v1",
                            &r),
                     406);
    assert_string_equal(jstr(r.json, "message"),
                        "you requested PartialObjectMetadata, but the "
                        "requested object is a list (*core.PodList)");
    http_res_free(&r);
    assert_int_equal(get_as(srv, "/api/v1/namespaces/a/pods/a1",
                            "application/json;as=PartialObjectMetadataList;"
                            "g=meta.k8s.io;v=v1",
                            &r),
                     406);
    assert_string_equal(jstr(r.json, "reason"), "NotAcceptable");
    http_res_free(&r);
    assert_int_equal(get_as(srv, "/api/v1/pods",
                            "application/json;as=PartialObjectMetadataList;"
                            "g=meta.k8s.io;v=v2",
                            &r),
                     406);
    http_res_free(&r);
    /* an unserved version falls through to the next range */
    assert_int_equal(get_as(srv, "/api/v1/pods",
                            "application/json;as=PartialObjectMetadataList;"
                            "g=example.com;v=v1, application/json",
                            &r),
                     200);
    assert_string_equal(jstr(r.json, "kind"), "PodList");
    http_res_free(&r);
}

static void test_list_unacceptable_media_type_is_406(void **state)
{
    fakeapi *srv = *state;
    char url[512];
    const char *hdr[] = {"Accept: application/vnd.kubernetes.protobuf", NULL};
    struct http_res r;

    snprintf(url, sizeof(url), "%s/api/v1/pods", fakeapi_url(srv));
    assert_int_equal(http_do("GET", url, NULL, hdr, &r), 406);
    assert_string_equal(jstr(r.json, "reason"), "NotAcceptable");
    http_res_free(&r);
}

#define TABLE_V1 "application/json;as=Table;v=v1;g=meta.k8s.io"

/* A 4xx/5xx answer's code, reason (NULL: none) and message. */
static void expect_status(fakeapi *srv, const char *path, long code,
                          const char *reason, const char *message)
{
    struct http_res r;

    assert_int_equal(http(srv, "GET", path, NULL, &r), code);
    assert_int_equal(json_integer_value(json_object_get(r.json, "code")), code);
    if (reason)
        assert_string_equal(jstr(r.json, "reason"), reason);
    else
        assert_null(json_object_get(r.json, "reason"));
    assert_string_equal(jstr(r.json, "message"), message);
    http_res_free(&r);
}

/* base64.RawURLEncoding.DecodeString of @p s into @p out (NUL-ended). */
static size_t b64url_decode(const char *s, char *out, size_t size)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned v = 0;
    int bits = 0;
    size_t n = 0;

    for (; *s && n + 1 < size; s++) {
        const char *c = strchr(abc, *s);

        assert_non_null(c);
        v = (v << 6) | (unsigned)(c - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((v >> bits) & 0xFF);
        }
    }
    out[n] = '\0';
    return n;
}

/* A list's items have no kind or apiVersion: the list carries them. */
static void test_list_items_have_no_kind(void **state)
{
    struct http_res r;
    json_t *item;

    assert_int_equal(http(*state, "GET", "/api/v1/namespaces/a/pods", NULL, &r),
                     200);
    item = json_array_get(json_object_get(r.json, "items"), 0);
    assert_non_null(item);
    assert_null(json_object_get(item, "kind"));
    assert_null(json_object_get(item, "apiVersion"));
    assert_string_equal(jstr(item, "metadata.name"), "a1");
    http_res_free(&r);
}

/* storage/continue.go EncodeContinue: {"v","rv","start":"<name>\0"}
 * relative to the namespace, and the token resumes after that name. */
static void test_list_continue_token_is_kube_apiserver_format(void **state)
{
    struct http_res r;
    char raw[512];
    char path[1024];
    json_t *tok;
    size_t n;

    assert_int_equal(
        http(*state, "GET", "/api/v1/namespaces/a/pods?limit=1", NULL, &r),
        200);
    n = b64url_decode(jstr(r.json, "metadata.continue"), raw, sizeof(raw));
    tok = json_loadb(raw, n, JSON_ALLOW_NUL, NULL);
    assert_non_null(tok);
    assert_string_equal(jstr(tok, "v"), "meta.k8s.io/v1");
    assert_true(json_integer_value(json_object_get(tok, "rv")) > 0);
    assert_int_equal(json_string_length(json_object_get(tok, "start")), 3);
    assert_memory_equal(jstr(tok, "start"), "a1\0", 3);
    json_decref(tok);
    snprintf(path, sizeof(path),
             "/api/v1/namespaces/a/pods?limit=1&continue=%s",
             jstr(r.json, "metadata.continue"));
    http_res_free(&r);
    assert_int_equal(http(*state, "GET", path, NULL, &r), 200);
    assert_string_equal(
        jstr(json_array_get(json_object_get(r.json, "items"), 0),
             "metadata.name"),
        "a2");
    http_res_free(&r);
}

/* DecodeContinue's errors, each named as handlers/get.go wraps them. */
static void test_list_bad_continue_tokens_name_the_cause(void **state)
{
    static const struct {
        const char *token;
        const char *cause;
    } cases[] = {
        {"bad-token", "illegal base64 data at input byte 8"},
        {"eyJ2IjoieCJ9", "server does not recognize this encoded version x"},
        {"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NSwic3RhcnQiOiIifQ",
         "encoded start key empty (version meta.k8s.io/v1)"},
        {"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MCwic3RhcnQiOiJhXHUwMDAwIn0",
         "incorrect encoded start resourceVersion (version meta.k8s.io/v1)"},
        {"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NSwic3RhcnQiOiIuLi94In0", "../x"},
    };
    char path[512];
    char msg[512];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(path, sizeof(path), "/api/v1/namespaces/a/pods?continue=%s",
                 cases[i].token);
        snprintf(msg, sizeof(msg),
                 "invalid continue token: continue key is not valid: %s",
                 cases[i].cause);
        expect_status(*state, path, 400, "BadRequest", msg);
    }
}

/* etcd3/store.go: a token older than the compaction is 410 Expired with
 * a token (rv -1) that goes on at the latest version. */
static void test_list_continue_older_than_compaction_is_410(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    char path[1024];
    char raw[512];
    json_t *tok;
    size_t n;

    assert_int_equal(
        http(srv, "GET", "/api/v1/namespaces/a/pods?limit=1", NULL, &r), 200);
    snprintf(path, sizeof(path),
             "/api/v1/namespaces/a/pods?limit=1&continue=%s",
             jstr(r.json, "metadata.continue"));
    http_res_free(&r);
    assert_int_equal(make_pod(srv, "a", "a3", NULL), 201);
    fakeapi_compact(srv);
    assert_int_equal(http(srv, "GET", path, NULL, &r), 410);
    assert_string_equal(jstr(r.json, "reason"), "Expired");
    assert_non_null(strstr(jstr(r.json, "message"),
                           "The provided continue parameter is too old"));
    n = b64url_decode(jstr(r.json, "metadata.continue"), raw, sizeof(raw));
    tok = json_loadb(raw, n, JSON_ALLOW_NUL, NULL);
    assert_int_equal(json_integer_value(json_object_get(tok, "rv")), -1);
    json_decref(tok);
    snprintf(path, sizeof(path), "/api/v1/namespaces/a/pods?continue=%s",
             jstr(r.json, "metadata.continue"));
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", path, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    http_res_free(&r);
}

/* ListOptions' decoding (strconv), validation (422, meta.k8s.io) and the
 * store's version checks, in kube-apiserver's words. */
static void test_list_options_errors_match_kube_apiserver(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;

    expect_status(srv, "/api/v1/pods?limit=x", 400, "BadRequest",
                  "strconv.ParseInt: parsing \"x\": invalid syntax");
    expect_status(srv, "/api/v1/pods?limit=99999999999999999999", 400,
                  "BadRequest",
                  "strconv.ParseInt: parsing \"99999999999999999999\": value "
                  "out of range");
    expect_status(srv, "/api/v1/pods?resourceVersion=x", 400, "BadRequest",
                  "invalid resource version: resourceVersion: Invalid value: "
                  "\"x\": strconv.ParseUint: parsing \"x\": invalid syntax");
    expect_status(srv,
                  "/api/v1/pods?resourceVersion=0&resourceVersionMatch=Exact",
                  422, "Invalid",
                  "ListOptions.meta.k8s.io \"\" is invalid: "
                  "resourceVersionMatch: Forbidden: resourceVersionMatch "
                  "\"exact\" is forbidden for resourceVersion \"0\"");
    expect_status(srv,
                  "/api/v1/pods?resourceVersion=1&resourceVersionMatch=Bad&"
                  "sendInitialEvents=true",
                  422, "Invalid",
                  "ListOptions.meta.k8s.io \"\" is invalid: "
                  "[resourceVersionMatch: Unsupported value: \"Bad\": "
                  "supported values: \"Exact\", \"NotOlderThan\", \"\", "
                  "sendInitialEvents: Forbidden: sendInitialEvents is "
                  "forbidden for list]");
    assert_int_equal(
        http(srv, "GET", "/api/v1/pods?resourceVersionMatch=Exact", NULL, &r),
        422);
    assert_string_equal(jstr(r.json, "details.group"), "meta.k8s.io");
    assert_string_equal(jstr(r.json, "details.kind"), "ListOptions");
    assert_string_equal(
        jstr(json_array_get(
                 json_object_get(json_object_get(r.json, "details"), "causes"),
                 0),
             "reason"),
        "FieldValueForbidden");
    http_res_free(&r);
    assert_int_equal(
        http(srv, "GET", "/api/v1/pods?resourceVersion=999999", NULL, &r), 504);
    assert_string_equal(jstr(r.json, "reason"), "Timeout");
    assert_non_null(strstr(jstr(r.json, "message"),
                           "Timeout: Too large resource version: 999999, "
                           "current: "));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "details"),
                                           "retryAfterSeconds")),
        1);
    http_res_free(&r);
    expect_status(srv, "/api/v1/namespaces/a/pods/a1?resourceVersion=x", 500,
                  NULL,
                  "resourceVersion: Invalid value: \"x\": strconv.ParseUint: "
                  "parsing \"x\": invalid syntax");
}

/* cacher.go: resourceVersion=0 is served from the cache, limit ignored. */
static void test_list_resource_version_0_ignores_limit(void **state)
{
    struct http_res r;

    assert_int_equal(
        http(*state, "GET", "/api/v1/pods?limit=1&resourceVersion=0", NULL, &r),
        200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 4);
    assert_null(
        json_object_get(json_object_get(r.json, "metadata"), "continue"));
    http_res_free(&r);
}

/* includeObject (Metadata, Object, None), the Table's version and
 * remainingItemCount, and one pod as a Table. */
static void test_list_table_include_object_and_single_pod(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    json_t *row;

    assert_int_equal(get_as(srv, "/api/v1/namespaces/a/pods?includeObject=None",
                            TABLE_V1, &r),
                     200);
    row = json_array_get(json_object_get(r.json, "rows"), 0);
    assert_true(json_is_null(json_object_get(row, "object")));
    http_res_free(&r);
    assert_int_equal(
        get_as(srv, "/api/v1/namespaces/a/pods?includeObject=Object&limit=1",
               TABLE_V1, &r),
        200);
    row = json_array_get(json_object_get(r.json, "rows"), 0);
    assert_string_equal(jstr(row, "object.kind"), "Pod");
    assert_string_equal(jstr(row, "object.apiVersion"), "v1");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "metadata"),
                                           "remainingItemCount")),
        1);
    http_res_free(&r);
    assert_int_equal(get_as(srv, "/api/v1/namespaces/a/pods?includeObject=Bad",
                            TABLE_V1, &r),
                     400);
    assert_string_equal(jstr(r.json, "message"),
                        "Unable to convert to Table as requested: "
                        "includeObject: Invalid value: \"Bad\": must be "
                        "'Metadata', 'Object', 'None', or empty");
    http_res_free(&r);
    assert_int_equal(get_as(srv, "/api/v1/namespaces/a/pods",
                            "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
                            &r),
                     200);
    assert_string_equal(jstr(r.json, "apiVersion"), "meta.k8s.io/v1beta1");
    row = json_array_get(json_object_get(r.json, "rows"), 0);
    assert_string_equal(jstr(row, "object.apiVersion"), "meta.k8s.io/v1beta1");
    http_res_free(&r);
    assert_int_equal(get_as(srv, "/api/v1/namespaces/a/pods/a1", TABLE_V1, &r),
                     200);
    assert_string_equal(jstr(r.json, "kind"), "Table");
    assert_int_equal(json_array_size(json_object_get(r.json, "rows")), 1);
    assert_non_null(jstr(r.json, "metadata.resourceVersion"));
    http_res_free(&r);
}

/* negotiation.go: a range converting to a kind not offered is skipped. */
static void test_list_unknown_as_is_406(void **state)
{
    struct http_res r;

    assert_int_equal(get_as(*state, "/api/v1/namespaces/a",
                            "application/json;as=Foo;v=v1;g=meta.k8s.io", &r),
                     406);
    assert_string_equal(jstr(r.json, "message"),
                        "only the following media types are accepted: "
                        "application/json, application/yaml, "
                        "application/vnd.kubernetes.protobuf");
    http_res_free(&r);
}

static void test_list_deletecollection_with_selector(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    char got[512];

    assert_int_equal(http(srv, "DELETE",
                          "/api/v1/namespaces/a/pods?labelSelector=app%3Dweb",
                          NULL, &r),
                     200);
    assert_string_equal(jstr(r.json, "kind"), "PodList");
    names(r.json, got, sizeof(got));
    assert_string_equal(got, "a1");
    http_res_free(&r);
    list_names(srv, "/api/v1/pods", got, sizeof(got), 200);
    assert_string_equal(got, "b1,a2,c1");
}

static void test_list_namespaces_lifecycle(void **state)
{
    fakeapi *srv = *state;
    struct http_res r;
    char got[512];
    time_t deadline;
    long st;

    assert_int_equal(http(srv, "POST", "/api/v1/namespaces",
                          "{\"metadata\":{\"name\":\"fresh\"}}", &r),
                     201);
    assert_string_equal(jstr(r.json, "status.phase"), "Active");
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", "/api/v1/namespaces",
                          "{\"metadata\":{\"name\":\"fresh\"}}", &r),
                     409);
    http_res_free(&r);
    assert_int_equal(http(srv, "POST", "/api/v1/namespaces",
                          "{\"metadata\":{\"name\":\"Bad_Name\"}}", &r),
                     422);
    http_res_free(&r);
    assert_int_equal(
        http(srv, "GET", "/api/v1/namespaces/kube-system", NULL, &r), 200);
    http_res_free(&r);
    assert_int_equal(http(srv, "GET", "/api/v1/namespaces", NULL, &r), 200);
    assert_string_equal(jstr(r.json, "kind"), "NamespaceList");
    http_res_free(&r);
    /* deleting a namespace deletes its pods at once; the namespace is
     * Terminating until the controller's work is done */
    assert_int_equal(http(srv, "DELETE", "/api/v1/namespaces/a", NULL, &r),
                     200);
    assert_string_equal(jstr(r.json, "status.phase"), "Terminating");
    http_res_free(&r);
    list_names(srv, "/api/v1/pods", got, sizeof(got), 200);
    assert_string_equal(got, "b1,c1");
    deadline = time(NULL) + 5;
    do {
        st = http(srv, "GET", "/api/v1/namespaces/a", NULL, &r);
        http_res_free(&r);
    } while (st != 404 && time(NULL) < deadline);
    assert_int_equal(st, 404);
    assert_int_equal(
        http(srv, "DELETE", "/api/v1/namespaces/default", NULL, &r), 403);
    http_res_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_list_cluster_wide_in_key_order),
        T(test_list_namespaced_and_trailing_slash),
        T(test_list_empty_has_items_array),
        T(test_list_empty_partial_object_metadata_has_items_null),
        T(test_list_label_selectors_full_grammar),
        T(test_list_bad_selector_is_400),
        T(test_list_field_selectors),
        T(test_list_pagination_with_continue),
        T(test_list_garbled_continue_is_400),
        T(test_list_table_has_pod_columns),
        T(test_list_partial_object_metadata),
        T(test_list_partial_object_metadata_misfits),
        T(test_list_unacceptable_media_type_is_406),
        T(test_list_deletecollection_with_selector),
        T(test_list_namespaces_lifecycle),
        T(test_list_items_have_no_kind),
        T(test_list_continue_token_is_kube_apiserver_format),
        T(test_list_bad_continue_tokens_name_the_cause),
        T(test_list_continue_older_than_compaction_is_410),
        T(test_list_options_errors_match_kube_apiserver),
        T(test_list_resource_version_0_ignores_limit),
        T(test_list_table_include_object_and_single_pod),
        T(test_list_unknown_as_is_406),
#undef T
    };
    return cmocka_run_group_tests_name("list", tests, NULL, NULL);
}
