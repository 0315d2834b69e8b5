/*
 * kreg_get_service() and kreg_list_services() against fakeapi or a cluster
 * (e2e.h; docs/go-micro-wire.md, Operations, Known problems items 5 and 9):
 * only Running, non-terminating pods serve; nodes merge per version in pod-name
 * order; a service no pod carries is KREG_E_NOT_FOUND; names that encode alike
 * do not leak into each other; lists longer than a page are followed.
 */
#include "e2e.h"

/* ---- Helpers -----------------------------------------------------------*/

static struct kreg_service_list *get_ok(kreg *r, const char *name)
{
    struct kreg_service_list *l = NULL;
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_get_service(r, name, &l, &err) != KREG_OK)
        fail_msg("get %s: %s", name, err.text);
    assert_non_null(l);
    return l;
}

static struct kreg_service_list *list_ok(kreg *r)
{
    struct kreg_service_list *l = NULL;
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_list_services(r, &l, &err) != KREG_OK)
        fail_msg("list: %s", err.text);
    assert_non_null(l);
    return l;
}

/* Get and list with kreg_query.ready_only. */
static struct kreg_service_list *get_ready_ok(kreg *r, const char *name)
{
    struct kreg_query q = {.ready_only = true};
    struct kreg_service_list *l = NULL;
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_get_service_q(r, name, &q, KREG_QUERY_SIZE, &l, &err) != KREG_OK)
        fail_msg("get %s: %s", name, err.text);
    assert_non_null(l);
    return l;
}

static struct kreg_service_list *list_ready_ok(kreg *r)
{
    struct kreg_query q = {.ready_only = true};
    struct kreg_service_list *l = NULL;
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_list_services_q(r, &q, KREG_QUERY_SIZE, &l, &err) != KREG_OK)
        fail_msg("list: %s", err.text);
    assert_non_null(l);
    return l;
}

/* The node ids of @p s joined by ',' into @p out. */
static const char *node_ids(const struct kreg_service *s, char *out,
                            size_t size)
{
    size_t used = 0;
    size_t i;

    out[0] = '\0';
    for (i = 0; i < s->nnodes; i++) {
        int n = snprintf(out + used, size - used, "%s%s", i ? "," : "",
                         s->nodes[i]->id);

        assert_true(n > 0 && (size_t)n < size - used);
        used += (size_t)n;
    }
    return out;
}

/* The entry of @p l with @p version. */
static const struct kreg_service *
with_version(const struct kreg_service_list *l, const char *version)
{
    size_t i;

    for (i = 0; i < l->count; i++)
        if (strcmp(l->items[i]->version, version) == 0)
            return l->items[i];
    fail_msg("no version %s", version);
    return NULL;
}

/* ---- Get -----------------------------------------------------------------*/

static void test_e2e_get_serves_only_running_pods(void **state)
{
    static const char *const phases[] = {"Pending", "Running", "Succeeded",
                                         "Failed", "Unknown"};
    struct e2e *t = *state;
    struct kreg_service_list *l;
    char pod[32];
    char ids[64];
    size_t i;

    for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
        snprintf(pod, sizeof(pod), "pod-%zu", i);
        e2e_add_pod(t, pod, "Running", NULL);
        e2e_register_as(t, pod, "greeter", "1", "10.0.0.1:80");
        e2e_set_phase(t, pod, phases[i]);
    }
    l = get_ok(t->r, "greeter");
    assert_int_equal(l->count, 1);
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)), "pod-1");
    kreg_service_list_free(l);

    e2e_set_phase(t, "pod-3", "Running");
    l = get_ok(t->r, "greeter");
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)), "pod-1,pod-3");
    kreg_service_list_free(l);
}

static void test_e2e_get_skips_terminating_pods(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l;
    char ids[64];

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_terminating_pod(t, "pod-b", "Running", NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    l = get_ok(t->r, "greeter");
    assert_int_equal(l->count, 1);
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)), "pod-a");
    kreg_service_list_free(l);
    l = list_ok(t->r);
    assert_int_equal(l->count, 1);
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)), "pod-a");
    kreg_service_list_free(l);
}

/*
 * docs/go-micro-wire.md, Operations step 4: one entry per version; the first
 * pod (by name) of a version gives the service, later pods only add their
 * nodes, in pod-name order.
 */
static void test_e2e_get_merges_nodes_per_version_in_pod_order(void **state)
{
    struct e2e *t = *state;
    const struct kreg_service *v1;
    const struct kreg_service *v2;
    struct kreg_service *first;
    struct kreg_service_list *l;
    kreg *r;
    char ids[64];

    /* seeded out of order: the list order is the pod names' */
    e2e_add_pod(t, "pod-d", "Running", NULL);
    e2e_add_pod(t, "pod-b", "Running", NULL);
    e2e_add_pod(t, "pod-c", "Running", NULL);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    first = e2e_service("greeter", "v1", "pod-a", "10.0.0.1:80");
    assert_int_equal(kreg_metadata_set(&first->metadata, "from", "pod-a"),
                     KREG_OK);
    r = e2e_handle_as(t, "pod-a");
    assert_int_equal(kreg_register(r, first, NULL), KREG_OK);
    kreg_free(r);
    kreg_service_free(first);
    e2e_register_as(t, "pod-d", "greeter", "v2", "10.0.0.4:80");
    e2e_register_as(t, "pod-c", "greeter", "v1", "10.0.0.3:80");
    e2e_register_as(t, "pod-b", "greeter", "v2", "10.0.0.2:80");

    l = get_ok(t->r, "greeter");
    assert_int_equal(l->count, 2);
    v1 = with_version(l, "v1");
    v2 = with_version(l, "v2");
    assert_string_equal(node_ids(v1, ids, sizeof(ids)), "pod-a,pod-c");
    assert_string_equal(node_ids(v2, ids, sizeof(ids)), "pod-b,pod-d");
    assert_string_equal(kreg_metadata_get(&v1->metadata, "from"), "pod-a");
    assert_string_equal(v1->nodes[1]->address, "10.0.0.3:80");
    kreg_service_list_free(l);
}

static void test_e2e_get_not_found_when_no_pod_has_the_label(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l = NULL;
    struct kreg_error err;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_register_as(t, "pod-a", "other", "1", "10.0.0.1:80");
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_get_service(t->r, "greeter", &l, &err),
                     KREG_E_NOT_FOUND);
    assert_null(l);
    assert_int_equal(err.code, KREG_E_NOT_FOUND);
    assert_non_null(strstr(err.text, "greeter"));
}

static void test_e2e_get_not_found_after_deregister(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l = NULL;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    l = get_ok(t->r, "greeter");
    assert_int_equal(l->count, 1);
    kreg_service_list_free(l);
    l = NULL;
    e2e_deregister_as(t, "pod-a", "greeter");
    assert_int_equal(kreg_get_service(t->r, "greeter", &l, NULL),
                     KREG_E_NOT_FOUND);
    assert_null(l);
}

/* docs/go-micro-wire.md, Operations step 2: pods carry the label but none
 * serves: empty, not an error. */
static void test_e2e_get_empty_when_no_pod_is_usable(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_terminating_pod(t, "pod-b", "Running", NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_set_phase(t, "pod-a", "Pending");
    l = get_ok(t->r, "greeter");
    assert_int_equal(l->count, 0);
    kreg_service_list_free(l);
}

/* Get and list fetch only what they read: the metadata of Running pods
 * (fieldSelector and PartialObjectMetadataList), one request when some
 * pod serves. */
static void test_e2e_get_and_list_fetch_metadata_of_running_pods(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l;
    json_t *log;
    json_t *e;
    size_t i;
    size_t lists = 0;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    fakeapi_request_log_clear(t->srv);
    l = get_ok(t->r, "greeter");
    assert_int_equal(l->count, 1);
    kreg_service_list_free(l);
    l = list_ok(t->r);
    assert_int_equal(l->count, 1);
    kreg_service_list_free(l);
    log = e2e_log(t->srv);
    json_array_foreach(log, i, e)
    {
        if (strcmp(e2e_log_str(e, "method"), "GET") != 0)
            continue;
        lists++;
        assert_non_null(strstr(e2e_log_str(e, "query"),
                               "fieldSelector=status.phase=Running"));
        assert_non_null(
            strstr(e2e_log_str(e, "accept"), "as=PartialObjectMetadataList"));
    }
    assert_int_equal(lists, 2);
    json_decref(log);
}

/*
 * kreg_query.ready_only: only Running pods whose Ready condition is True
 * serve (no condition, or False, do not; nor a Ready pod that is not
 * Running); without it, every Running pod does, as go-micro.
 */
static void test_e2e_get_and_list_ready_only(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l;
    char ids[64];

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(t, "pod-b", "Running", NULL);
    e2e_add_pod(t, "pod-c", "Running", NULL);
    e2e_add_pod(t, "pod-d", "Pending", NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_register_as(t, "pod-c", "greeter", "1", "10.0.0.3:80");
    e2e_register_as(t, "pod-d", "greeter", "1", "10.0.0.4:80");
    e2e_set_ready(t, "pod-a", "True");
    e2e_set_ready(t, "pod-b", "False");
    e2e_set_ready(t, "pod-d", "True");

    l = get_ready_ok(t->r, "greeter");
    assert_int_equal(l->count, 1);
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)), "pod-a");
    kreg_service_list_free(l);
    l = list_ready_ok(t->r);
    assert_int_equal(l->count, 1);
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)), "pod-a");
    kreg_service_list_free(l);
    l = get_ok(t->r, "greeter");
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)),
                        "pod-a,pod-b,pod-c");
    kreg_service_list_free(l);

    e2e_set_ready(t, "pod-b", "True");
    e2e_set_ready(t, "pod-a", "False");
    l = get_ready_ok(t->r, "greeter");
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)), "pod-b");
    kreg_service_list_free(l);
    l = list_ready_ok(t->r);
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)), "pod-b");
    kreg_service_list_free(l);
}

/* With ready_only, get and list read whole pods (their conditions), still
 * only Running ones. */
static void test_e2e_get_and_list_ready_only_fetch_whole_pods(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l;
    json_t *log;
    json_t *e;
    size_t i;
    size_t lists = 0;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_set_ready(t, "pod-a", "True");
    fakeapi_request_log_clear(t->srv);
    l = get_ready_ok(t->r, "greeter");
    assert_int_equal(l->count, 1);
    kreg_service_list_free(l);
    l = list_ready_ok(t->r);
    assert_int_equal(l->count, 1);
    kreg_service_list_free(l);
    log = e2e_log(t->srv);
    json_array_foreach(log, i, e)
    {
        if (strcmp(e2e_log_str(e, "method"), "GET") != 0)
            continue;
        lists++;
        assert_non_null(strstr(e2e_log_str(e, "query"),
                               "fieldSelector=status.phase=Running"));
        assert_null(
            strstr(e2e_log_str(e, "accept"), "as=PartialObjectMetadataList"));
    }
    assert_int_equal(lists, 2);
    json_decref(log);
}

/* "foo/bar" and "foo:bar" share the keys of "foo_bar" (docs/go-micro-wire.md,
 * Name encoding): each get returns only the entries whose decoded name is the
 * one asked for. */
static void test_e2e_get_keeps_names_that_encode_alike_apart(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l;
    char ids[64];

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(t, "pod-b", "Running", NULL);
    e2e_register_as(t, "pod-a", "foo/bar", "1", "10.0.0.1:80");
    e2e_register_as(t, "pod-b", "foo:bar", "1", "10.0.0.2:80");
    l = get_ok(t->r, "foo/bar");
    assert_int_equal(l->count, 1);
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)), "pod-a");
    kreg_service_list_free(l);
    l = get_ok(t->r, "foo:bar");
    assert_int_equal(l->count, 1);
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)), "pod-b");
    kreg_service_list_free(l);
}

/* Seed @p n Running pods "p-00000".. serving @p name, in one request. */
static void seed_serving(fakeapi *srv, size_t n, const char *name)
{
    json_t *arr = json_array();
    json_t *spec = json_loads(E2E_SPEC, 0, NULL);
    struct fakeapi_error err;
    char *text;
    size_t i;

    assert_non_null(arr);
    assert_non_null(spec);
    for (i = 0; i < n; i++) {
        char pod[32];
        char ann[256];
        char lab[64];
        char key[64];
        int len;

        snprintf(pod, sizeof(pod), "p-%05zu", i);
        snprintf(lab, sizeof(lab), "micro.mu/selector-%s", name);
        snprintf(key, sizeof(key), "micro.mu/service-%s", name);
        len = snprintf(ann, sizeof(ann),
                       "{\"name\":\"%s\",\"version\":\"1\",\"metadata\":null,"
                       "\"endpoints\":null,\"nodes\":[{\"id\":\"%s\","
                       "\"address\":\"10.1.0.1:80\",\"metadata\":null}]}",
                       name, pod);
        assert_true(len > 0 && (size_t)len < sizeof(ann));
        assert_int_equal(
            json_array_append_new(
                arr,
                json_pack("{s:{s:s,s:{s:s,s:s},s:{s:s}},s:O,s:{s:s}}",
                          "metadata", "name", pod, "labels", lab, "service",
                          "micro.mu/type", "service", "annotations", key, ann,
                          "spec", spec, "status", "phase", "Running")),
            0);
    }
    json_decref(spec);
    text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    assert_non_null(text);
    memset(&err, 0, sizeof(err));
    if (fakeapi_seed_json(srv, text, strlen(text), &err) != FAKEAPI_OK)
        fail_msg("seed: %s", err.text);
    free(text);
}

/* More pods than one page (500): every page is read, in order. */
static void test_e2e_get_reads_every_page(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l;
    json_t *log;
    json_t *e;
    size_t lists = 0;
    size_t i;

    seed_serving(t->srv, 1203, "greeter");
    fakeapi_request_log_clear(t->srv);
    l = get_ok(t->r, "greeter");
    assert_int_equal(l->count, 1);
    assert_int_equal(l->items[0]->nnodes, 1203);
    assert_string_equal(l->items[0]->nodes[0]->id, "p-00000");
    assert_string_equal(l->items[0]->nodes[1202]->id, "p-01202");
    kreg_service_list_free(l);
    log = e2e_log(t->srv);
    json_array_foreach(log, i, e)
    {
        if (strcmp(e2e_log_str(e, "method"), "GET") == 0)
            lists++;
    }
    json_decref(log);
    assert_int_equal(lists, 3);
}

/* ---- List ----------------------------------------------------------------*/

static void test_e2e_list_returns_every_service_sorted(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l;
    char ids[64];

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(t, "pod-b", "Running", NULL);
    e2e_add_pod(t, "pod-c", "Running", NULL);
    e2e_add_pod(t, "pod-x", "Running", "{\"labels\":{\"app\":\"web\"}}");
    e2e_register_as(t, "pod-b", "zeta", "1", "10.0.0.2:80");
    e2e_register_as(t, "pod-b", "alpha", "2", "10.0.0.2:81");
    e2e_register_as(t, "pod-a", "alpha", "1", "10.0.0.1:81");
    e2e_register_as(t, "pod-c", "alpha", "1", "10.0.0.3:81");
    e2e_register_as(t, "pod-c", "gone", "1", "10.0.0.3:82");
    e2e_deregister_as(t, "pod-c", "gone");

    l = list_ok(t->r);
    assert_int_equal(l->count, 3);
    assert_string_equal(l->items[0]->name, "alpha");
    assert_string_equal(l->items[0]->version, "1");
    assert_string_equal(node_ids(l->items[0], ids, sizeof(ids)), "pod-a,pod-c");
    assert_string_equal(l->items[1]->name, "alpha");
    assert_string_equal(l->items[1]->version, "2");
    assert_string_equal(l->items[2]->name, "zeta");
    kreg_service_list_free(l);

    /* a pod that stops running takes its services out of the list */
    e2e_set_phase(t, "pod-b", "Failed");
    l = list_ok(t->r);
    assert_int_equal(l->count, 1);
    assert_string_equal(l->items[0]->name, "alpha");
    kreg_service_list_free(l);
}

static void test_e2e_list_empty_without_registered_pods(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    l = list_ok(t->r);
    assert_int_equal(l->count, 0);
    kreg_service_list_free(l);
}

int main(void)
{
    const struct e2e_test tests[] = {
        E2E_TEST(test_e2e_get_serves_only_running_pods),
        E2E_TEST(test_e2e_get_skips_terminating_pods),
        E2E_TEST(test_e2e_get_merges_nodes_per_version_in_pod_order),
        E2E_TEST(test_e2e_get_not_found_when_no_pod_has_the_label),
        E2E_TEST(test_e2e_get_not_found_after_deregister),
        E2E_TEST(test_e2e_get_empty_when_no_pod_is_usable),
        E2E_FAKE_TEST(test_e2e_get_and_list_fetch_metadata_of_running_pods,
                      "the request log"),
        E2E_TEST(test_e2e_get_keeps_names_that_encode_alike_apart),
        E2E_FAKE_TEST(test_e2e_get_reads_every_page,
                      "the request log, and seeding 1203 pods at once"),
        E2E_TEST(test_e2e_get_and_list_ready_only),
        E2E_FAKE_TEST(test_e2e_get_and_list_ready_only_fetch_whole_pods,
                      "the request log"),
        E2E_TEST(test_e2e_list_returns_every_service_sorted),
        E2E_TEST(test_e2e_list_empty_without_registered_pods),
    };

    return e2e_run_group("e2e_discover", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
