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
    };
#undef T
    return cmocka_run_group_tests_name("namespaces", tests, NULL, NULL);
}
