/*
 * GET /openapi/v2 over loopback HTTP: the JSON and protobuf forms, Accept
 * negotiation as kube-openapi's handler does it, ETag and Last-Modified,
 * and the document itself: references resolve, both forms hold the same
 * definitions in the same order, and every path it lists is routed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#define PB_ACCEPT "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
#define PB_TYPE   "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

/* An answer with the headers this endpoint sets. */
struct got {
    long status;
    unsigned char *body;
    size_t len;
    char ctype[128];
    char etag[160];
    char last_modified[64];
    int vary; /* Vary header lines */
};

static size_t got_write(char *p, size_t sz, size_t n, void *cls)
{
    struct got *g = cls;
    unsigned char *nb = realloc(g->body, g->len + sz * n + 1);

    if (!nb)
        return 0;
    memcpy(nb + g->len, p, sz * n);
    g->body = nb;
    g->len += sz * n;
    g->body[g->len] = '\0';
    return sz * n;
}

/* Copy header @p name's value from line @p p (@p len bytes) into @p dst. */
static void take(const char *p, size_t len, const char *name, char *dst,
                 size_t cap)
{
    size_t nl = strlen(name);

    if (len < nl + 4 || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
        return;
    snprintf(dst, cap, "%.*s", (int)(len - nl - 4), p + nl + 2);
}

static size_t got_header(char *p, size_t sz, size_t n, void *cls)
{
    struct got *g = cls;
    size_t len = sz * n;

    take(p, len, "Content-Type", g->ctype, sizeof(g->ctype));
    take(p, len, "Etag", g->etag, sizeof(g->etag));
    take(p, len, "Last-Modified", g->last_modified, sizeof(g->last_modified));
    if (len > 5 && strncasecmp(p, "Vary:", 5) == 0)
        g->vary++;
    return len;
}

/* GET (or HEAD) /openapi/v2 with up to two extra header lines. */
static long get_doc(fakeapi *srv, const char *method, const char *h1,
                    const char *h2, struct got *g)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[256];

    memset(g, 0, sizeof(*g));
    snprintf(url, sizeof(url), "%s/openapi/v2", fakeapi_url(srv));
    if (h1)
        h = curl_slist_append(h, h1);
    if (h2)
        h = curl_slist_append(h, h2);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, got_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, g);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, got_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, g);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &g->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return g->status;
}

static void got_free(struct got *g)
{
    free(g->body);
    memset(g, 0, sizeof(*g));
}

/* ---- a protobuf reader for the test's checks ---- */

struct pb {
    const unsigned char *p;
    size_t len;
};

static bool pb_varint(struct pb *b, uint64_t *v)
{
    unsigned shift = 0;

    *v = 0;
    while (b->len > 0 && shift < 64) {
        unsigned char c = *b->p++;

        b->len--;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return true;
        shift += 7;
    }
    return false;
}

/* Next field of @p b: its number and, when length-delimited, @p val. */
static bool pb_next(struct pb *b, uint64_t *num, struct pb *val)
{
    uint64_t key;
    uint64_t n = 0;

    if (b->len == 0 || !pb_varint(b, &key))
        return false;
    *num = key >> 3;
    val->p = NULL;
    val->len = 0;
    switch (key & 7) {
    case 0:
        return pb_varint(b, &n);
    case 1:
        n = 8;
        break;
    case 5:
        n = 4;
        break;
    case 2:
        if (!pb_varint(b, &n))
            return false;
        val->p = b->p;
        val->len = (size_t)n;
        break;
    default:
        return false;
    }
    if (n > b->len)
        return false;
    b->p += n;
    b->len -= (size_t)n;
    return true;
}

/* The first length-delimited field @p want of @p b, or an empty view. */
static struct pb pb_get(struct pb b, uint64_t want)
{
    struct pb val = {NULL, 0};
    uint64_t num;

    while (pb_next(&b, &num, &val))
        if (num == want && val.p)
            return val;
    val.p = NULL;
    val.len = 0;
    return val;
}

static bool pb_is(struct pb v, const char *s)
{
    return v.p && v.len == strlen(s) && memcmp(v.p, s, v.len) == 0;
}

static bool pb_has(struct pb v, const char *s)
{
    size_t n = strlen(s);
    size_t i;

    for (i = 0; v.p && i + n <= v.len; i++)
        if (memcmp(v.p + i, s, n) == 0)
            return true;
    return false;
}

/* gnostic OpenAPIv2.proto: Document.definitions = 9, Definitions entries
 * = 1 (NamedSchema: name 1, value 2), Schema.vendor_extension = 31
 * (NamedAny: name 1, value 2), Any.yaml = 2. */
enum { DOC_SWAGGER = 1, DOC_DEFINITIONS = 9, SCHEMA_VENDOR_EXTENSION = 31 };

/* ---- fixtures ---- */

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

static json_t *json_doc(fakeapi *srv)
{
    struct got g;
    json_t *doc;

    assert_int_equal(get_doc(srv, "GET", "Accept: application/json", NULL, &g),
                     200);
    doc = json_loadb((const char *)g.body, g.len, 0, NULL);
    got_free(&g);
    assert_non_null(doc);
    return doc;
}

/* ---- tests ---- */

static void test_openapi_json_has_pod_with_gvk(void **state)
{
    struct got g;
    json_t *doc;
    json_t *gvk;
    size_t i;

    assert_int_equal(
        get_doc(*state, "GET", "Accept: application/json", NULL, &g), 200);
    assert_string_equal(g.ctype, "application/json");
    assert_int_equal(g.vary, 2);
    /* kube-openapi: the SHA-512 of the JSON body, upper-case hex, quoted */
    assert_int_equal(strlen(g.etag), 130);
    assert_true(g.etag[0] == '"' && g.etag[129] == '"');
    for (i = 1; i < 129; i++)
        assert_non_null(strchr("0123456789ABCDEF", g.etag[i]));
    assert_true(strlen(g.last_modified) == 29);
    doc = json_loadb((const char *)g.body, g.len, 0, NULL);
    got_free(&g);
    assert_non_null(doc);
    assert_string_equal(jstr(doc, "swagger"), "2.0");
    gvk = json_array_get(
        json_object_get(json_object_get(json_object_get(doc, "definitions"),
                                        "io.k8s.api.core.v1.Pod"),
                        "x-kubernetes-group-version-kind"),
        0);
    assert_string_equal(jstr(gvk, "group"), "");
    assert_string_equal(jstr(gvk, "version"), "v1");
    assert_string_equal(jstr(gvk, "kind"), "Pod");
    assert_non_null(json_object_get(json_object_get(doc, "definitions"),
                                    "io.k8s.api.core.v1.Namespace"));
    json_decref(doc);
}

static void test_openapi_protobuf_for_kubectl_1_20_accept(void **state)
{
    struct got g;
    struct got j;
    struct pb doc;
    struct pb defs;
    struct pb entry;
    struct pb pod = {NULL, 0};
    uint64_t num;

    assert_int_equal(get_doc(*state, "GET", "Accept: " PB_ACCEPT, NULL, &g),
                     200);
    assert_string_equal(g.ctype, PB_TYPE);
    /* one ETag for both forms, as kube-openapi (the Vary header tells
     * caches apart) */
    assert_int_equal(get_doc(*state, "GET", NULL, NULL, &j), 200);
    assert_string_equal(g.etag, j.etag);
    got_free(&j);
    doc.p = g.body;
    doc.len = g.len;
    assert_true(pb_is(pb_get(doc, DOC_SWAGGER), "2.0"));
    defs = pb_get(doc, DOC_DEFINITIONS);
    assert_non_null(defs.p);
    while (pb_next(&defs, &num, &entry))
        if (num == 1 && pb_is(pb_get(entry, 1), "io.k8s.api.core.v1.Pod"))
            pod = pb_get(entry, 2);
    assert_non_null(pod.p);
    /* what kubectl 1.20 finds the kind by: a vendor extension whose Any
     * holds YAML naming group, version and kind */
    {
        struct pb schema = pod;
        struct pb ext;
        struct pb yaml = {NULL, 0};

        while (pb_next(&schema, &num, &ext))
            if (num == SCHEMA_VENDOR_EXTENSION &&
                pb_is(pb_get(ext, 1), "x-kubernetes-group-version-kind"))
                yaml = pb_get(pb_get(ext, 2), 2);
        assert_non_null(yaml.p);
        assert_true(pb_has(yaml, "Pod"));
        assert_true(pb_has(yaml, "v1"));
    }
    got_free(&g);
}

static void test_openapi_forms_hold_the_same_definitions(void **state)
{
    json_t *doc = json_doc(*state);
    json_t *defs = json_object_get(doc, "definitions");
    struct got g;
    struct pb b;
    struct pb entry;
    uint64_t num;
    const char *name;
    json_t *v;
    size_t n = 0;

    assert_int_equal(get_doc(*state, "GET", "Accept: " PB_ACCEPT, NULL, &g),
                     200);
    b.p = g.body;
    b.len = g.len;
    b = pb_get(b, DOC_DEFINITIONS);
    /* jansson keeps the server's (sorted) order */
    json_object_foreach(defs, name, v)
    {
        do
            assert_true(pb_next(&b, &num, &entry));
        while (num != 1);
        assert_true(pb_is(pb_get(entry, 1), name));
        n++;
    }
    assert_false(pb_next(&b, &num, &entry));
    assert_true(n > 10);
    got_free(&g);
    json_decref(doc);
}

/* Every "$ref" under @p j names a definition or parameter of @p doc. */
static void check_refs(json_t *doc, json_t *j, size_t *count)
{
    const char *k;
    json_t *v;
    size_t i;

    if (json_is_array(j)) {
        json_array_foreach(j, i, v)
        {
            check_refs(doc, v, count);
        }
        return;
    }
    json_object_foreach(j, k, v)
    {
        if (strcmp(k, "$ref") == 0 && json_is_string(v)) {
            const char *r = json_string_value(v);
            const char *d = "#/definitions/";
            const char *p = "#/parameters/";

            if (strncmp(r, d, strlen(d)) == 0)
                assert_non_null(json_object_get(
                    json_object_get(doc, "definitions"), r + strlen(d)));
            else if (strncmp(r, p, strlen(p)) == 0)
                assert_non_null(json_object_get(
                    json_object_get(doc, "parameters"), r + strlen(p)));
            else
                fail_msg("unexpected $ref %s", r);
            (*count)++;
        } else {
            check_refs(doc, v, count);
        }
    }
}

static void test_openapi_references_resolve(void **state)
{
    json_t *doc = json_doc(*state);
    size_t n = 0;

    check_refs(doc, doc, &n);
    assert_true(n > 100);
    json_decref(doc);
}

/* Fill {namespace} and {name} of a templated @p path into @p out. */
static void fill(const char *path, char *out, size_t cap)
{
    size_t o = 0;

    while (*path && o + 16 < cap) {
        if (strncmp(path, "{namespace}", 11) == 0) {
            o += (size_t)snprintf(out + o, cap - o, "default");
            path += 11;
        } else if (strncmp(path, "{name}", 6) == 0) {
            o += (size_t)snprintf(out + o, cap - o, "no-such-x");
            path += 6;
        } else {
            out[o++] = *path++;
        }
    }
    out[o] = '\0';
}

static void test_openapi_paths_are_routed(void **state)
{
    static const char *const methods[] = {"get", "put", "post", "delete",
                                          "patch"};
    json_t *doc = json_doc(*state);
    json_t *item;
    const char *path;
    size_t ops = 0;
    size_t i;

    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        char url[512];
        char method[8];

        fill(path, url, sizeof(url));
        /* a stream would run until its timeout: a malformed selector is
         * answered (400) as soon as the watch handler reads it */
        if (strstr(path, "/watch/"))
            snprintf(url + strlen(url), sizeof(url) - strlen(url),
                     "?labelSelector=a%%20in%%20b");
        for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
            struct http_res r;
            size_t k;

            if (!json_object_get(item, methods[i]))
                continue;
            for (k = 0; methods[i][k]; k++)
                method[k] = (char)(methods[i][k] - 'a' + 'A');
            method[k] = '\0';
            http_ct(*state, method, url,
                    strcmp(method, "PATCH") == 0
                        ? "application/merge-patch+json"
                        : "application/json",
                    strcmp(method, "GET") == 0 ? NULL : "{}", &r);
            /* answered by a handler: no 405, and no 404 for the path */
            if (r.status == 405 ||
                (r.status == 404 && r.body &&
                 strstr(r.body, "could not find the requested resource")))
                fail_msg("%s %s: %ld %s", method, url, r.status, r.body);
            http_res_free(&r);
            ops++;
        }
    }
    assert_true(ops >= 15);
    json_decref(doc);
}

static void test_openapi_accept_is_negotiated_like_goautoneg(void **state)
{
    static const struct {
        const char *accept;
        long status;
        const char *ctype;
    } cases[] = {
        {NULL, 200, "application/json"},
        {"Accept: */*", 200, "application/json"},
        {"Accept: application/*", 200, "application/json"},
        {"Accept: *", 200, "application/json"},
        {"Accept: application/json, " PB_ACCEPT, 200, "application/json"},
        {"Accept: " PB_ACCEPT ", application/json", 200, PB_TYPE},
        {"Accept: application/json;q=0.5, " PB_ACCEPT, 200, PB_TYPE},
        {"Accept: application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
         200, PB_TYPE},
        {"Accept: text/html, */*;q=0.1", 200, "application/json"},
        {"Accept: application/json;as=Table;v=v1;g=meta.k8s.io", 200,
         "application/json"},
        {"Accept: text/html", 406, NULL},
        {"Accept: application/yaml", 406, NULL},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct got g;

        get_doc(*state, "GET", cases[i].accept, NULL, &g);
        if (g.status != cases[i].status)
            fail_msg("%s: %ld", cases[i].accept, g.status);
        if (cases[i].ctype)
            assert_string_equal(g.ctype, cases[i].ctype);
        else
            assert_int_equal(g.len, 0);
        got_free(&g);
    }
}

static void test_openapi_etag_and_date_answer_304(void **state)
{
    struct got g;
    struct got c;
    char h[256];

    assert_int_equal(get_doc(*state, "GET", NULL, NULL, &g), 200);
    snprintf(h, sizeof(h), "If-None-Match: %s", g.etag);
    assert_int_equal(get_doc(*state, "GET", h, NULL, &c), 304);
    assert_int_equal(c.len, 0);
    assert_string_equal(c.etag, g.etag);
    assert_string_equal(c.last_modified, "");
    got_free(&c);
    /* a list, and a weak tag, match too */
    snprintf(h, sizeof(h), "If-None-Match: \"x\", W/%s", g.etag);
    assert_int_equal(get_doc(*state, "GET", h, NULL, &c), 304);
    got_free(&c);
    assert_int_equal(
        get_doc(*state, "GET", "If-None-Match: \"other\"", NULL, &c), 200);
    got_free(&c);
    snprintf(h, sizeof(h), "If-Modified-Since: %s", g.last_modified);
    assert_int_equal(get_doc(*state, "GET", h, NULL, &c), 304);
    got_free(&c);
    assert_int_equal(get_doc(*state, "GET",
                             "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT",
                             NULL, &c),
                     200);
    got_free(&c);
    /* If-None-Match decides alone when both are sent */
    snprintf(h, sizeof(h), "If-Modified-Since: %s", g.last_modified);
    assert_int_equal(get_doc(*state, "GET", h, "If-None-Match: \"other\"", &c),
                     200);
    got_free(&c);
    got_free(&g);
}

static void test_openapi_any_method_is_answered(void **state)
{
    struct http_res r;
    struct got g;
    char h[256];

    /* kube-openapi's handler serves the document whatever the method */
    assert_int_equal(http(*state, "POST", "/openapi/v2", "{}", &r), 200);
    assert_non_null(strstr(r.body, "\"swagger\":\"2.0\""));
    http_res_free(&r);
    assert_int_equal(http(*state, "DELETE", "/openapi/v2", NULL, &r), 200);
    http_res_free(&r);
    /* but only GET and HEAD get a 304: the others fail the precondition */
    assert_int_equal(get_doc(*state, "GET", NULL, NULL, &g), 200);
    snprintf(h, sizeof(h), "If-None-Match: %s", g.etag);
    got_free(&g);
    {
        char url[256];
        const char *hdrs[] = {h, NULL};

        snprintf(url, sizeof(url), "%s/openapi/v2", fakeapi_url(*state));
        assert_int_equal(http_do("PUT", url, "{}", hdrs, &r), 412);
        http_res_free(&r);
    }
    /* a trailing slash is another path */
    assert_int_equal(http(*state, "GET", "/openapi/v2/", NULL, &r), 404);
    http_res_free(&r);
}

static void test_openapi_head_has_headers_only(void **state)
{
    struct got g;

    assert_int_equal(get_doc(*state, "HEAD", "Accept: " PB_ACCEPT, NULL, &g),
                     200);
    assert_string_equal(g.ctype, PB_TYPE);
    assert_int_equal(g.len, 0);
    got_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_openapi_json_has_pod_with_gvk,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_openapi_protobuf_for_kubectl_1_20_accept, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_openapi_forms_hold_the_same_definitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openapi_references_resolve, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_openapi_paths_are_routed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_openapi_accept_is_negotiated_like_goautoneg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openapi_etag_and_date_answer_304,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_openapi_any_method_is_answered,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_openapi_head_has_headers_only,
                                        setup, teardown),
    };

    return cmocka_run_group_tests_name("openapi", tests, NULL, NULL);
}
