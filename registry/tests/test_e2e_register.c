/*
 * kreg_register() and kreg_deregister() against fakeapi or a cluster
 * (e2e.h): the labels, annotation and PATCH body are the Go plugin's bytes
 * (fixtures/golden, docs/go-micro-wire.md, Examples, Requests), other metadata
 * is kept, re-registering is idempotent, failures leave the pod as it was,
 * names and sizes the API server would refuse are refused before any
 * request, and one handle serves several threads at once.
 */
#include <pthread.h>

#include "e2e.h"
#include "golden.h"

#define TYPE_LABEL "micro.mu/type"
#define CART_LABEL "micro.mu/selector-shop.cart"
#define CART_KEY   "micro.mu/service-shop.cart"
#define BUDGET     262144

/* ---- Helpers -----------------------------------------------------------*/

/* docs/go-micro-wire.md, Examples (B) built field by field: what Go registers
 * for shop.cart. */
static struct kreg_service *service_b(void)
{
    struct kreg_service *s =
        e2e_service("shop.cart", "1.2.0", "n1", "[fd00::7]:9000");

    assert_int_equal(kreg_metadata_set(&s->metadata, "team", "a&b"), KREG_OK);
    assert_int_equal(kreg_metadata_set(&s->metadata, "desc", "<cart>"),
                     KREG_OK);
    return s;
}

static void register_ok(kreg *r, const struct kreg_service *s)
{
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_register(r, s, &err) != KREG_OK)
        fail_msg("register %s: %s", s->name, err.text);
}

static void deregister_ok(kreg *r, const struct kreg_service *s)
{
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_deregister(r, s, &err) != KREG_OK)
        fail_msg("deregister %s: %s", s->name, err.text);
}

/* fixtures/golden/@p rel, whole (new). */
static char *fixture(const char *rel, size_t *len)
{
    char *text = golden_read(rel, len);

    if (!text)
        fail_msg("missing fixture %s", rel);
    return text;
}

/* The body of the only PATCH in the log (new string). */
static char *only_patch_body(fakeapi *srv)
{
    json_t *log = e2e_log(srv);
    json_t *e;
    char *body = NULL;
    size_t i;

    json_array_foreach(log, i, e)
    {
        if (strcmp(e2e_log_str(e, "method"), "PATCH") != 0)
            continue;
        assert_null(body);
        assert_string_equal(e2e_log_str(e, "path"),
                            "/api/v1/namespaces/default/pods/pod-a");
        assert_string_equal(e2e_log_str(e, "contentType"),
                            "application/strategic-merge-patch+json");
        body = strdup(e2e_log_str(e, "body"));
        assert_non_null(body);
    }
    json_decref(log);
    assert_non_null(body);
    return body;
}

/* Create pod @p pod Running with annotation "filler" of @p n bytes ('x'). */
static void add_with_filler(struct e2e *t, const char *pod, size_t n)
{
    json_t *meta = json_object();
    char *fill = malloc(n + 1);
    char *text;

    assert_non_null(meta);
    assert_non_null(fill);
    memset(fill, 'x', n);
    fill[n] = '\0';
    assert_int_equal(json_object_set_new(meta, "annotations",
                                         json_pack("{s:s}", "filler", fill)),
                     0);
    free(fill);
    text = json_dumps(meta, JSON_COMPACT);
    json_decref(meta);
    assert_non_null(text);
    e2e_add_pod(t, pod, "Running", text);
    free(text);
}

/* ---- Bytes on the wire -------------------------------------------------*/

static void test_e2e_register_writes_go_labels_and_annotation(void **state)
{
    struct e2e *t = *state;
    struct kreg_service *s = service_b();
    char *golden;
    json_t *pod;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    register_ok(t->r, s);
    pod = e2e_read_pod(t, "pod-a");
    golden = fixture("golden/v2/b_escaped.json", NULL);
    assert_string_equal(e2e_label(pod, TYPE_LABEL), "service");
    assert_string_equal(e2e_label(pod, CART_LABEL), "service");
    assert_string_equal(e2e_annotation(pod, CART_KEY), golden);
    free(golden);
    json_decref(pod);
    kreg_service_free(s);
}

static void test_e2e_register_sends_the_go_patch_body(void **state)
{
    struct e2e *t = *state;
    struct kreg_service *s = service_b();
    char *golden;
    char *body;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    fakeapi_request_log_clear(t->srv);
    register_ok(t->r, s);
    body = only_patch_body(t->srv);
    golden = fixture("golden/patch/register_b.json", NULL);
    assert_string_equal(body, golden);
    free(golden);
    free(body);

    fakeapi_request_log_clear(t->srv);
    deregister_ok(t->r, s);
    body = only_patch_body(t->srv);
    golden = fixture("golden/patch/deregister_b.json", NULL);
    assert_string_equal(body, golden);
    free(golden);
    free(body);
    kreg_service_free(s);
}

/*
 * Each registrable golden case (a node, a name the API accepts), read
 * back from the fixture Go wrote and registered: the stored annotation is
 * the fixture, byte for byte.
 */
static void
test_e2e_register_annotation_equals_go_for_golden_cases(void **state)
{
    static const char *const cases[] = {
        "a_v2_server", "b_escaped",    "c_nested",   "d_v1_port",
        "e_v4_order",  "empty_nested", "micro_full", "nil_elements",
        "nil_nested",  "v1_ports",
    };
    struct e2e *t = *state;
    size_t i;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char rel[128];
        char key[128];
        char enc[64];
        struct kreg_service *s = NULL;
        size_t len = 0;
        char *golden;
        json_t *pod;
        int n = snprintf(rel, sizeof(rel), "golden/v2/%s.json", cases[i]);

        assert_true(n > 0 && (size_t)n < sizeof(rel));
        golden = fixture(rel, &len);
        assert_int_equal(kreg_service_decode(golden, len, &s, NULL), KREG_OK);
        register_ok(t->r, s);
        assert_int_equal(kreg_name_encode(s->name, enc, sizeof(enc), NULL),
                         KREG_OK);
        n = snprintf(key, sizeof(key), "micro.mu/service-%s", enc);
        assert_true(n > 0 && (size_t)n < sizeof(key));
        pod = e2e_read_pod(t, "pod-a");
        if (!e2e_annotation(pod, key) ||
            strcmp(e2e_annotation(pod, key), golden) != 0)
            fail_msg("case %s: annotation differs from Go's", cases[i]);
        json_decref(pod);
        kreg_service_free(s);
        free(golden);
    }
}

/* ---- What a register changes -------------------------------------------*/

static void test_e2e_register_keeps_other_labels_and_annotations(void **state)
{
    struct e2e *t = *state;
    struct kreg_service *s = service_b();
    json_t *pod;

    e2e_add_pod(t, "pod-a", "Running",
                "{\"labels\":{\"app\":\"web\",\"tier\":\"front\"},"
                "\"annotations\":{\"owner\":\"team-x\"}}");
    register_ok(t->r, s);
    pod = e2e_read_pod(t, "pod-a");
    assert_string_equal(e2e_label(pod, "app"), "web");
    assert_string_equal(e2e_label(pod, "tier"), "front");
    assert_string_equal(e2e_annotation(pod, "owner"), "team-x");
    assert_string_equal(e2e_label(pod, CART_LABEL), "service");
    assert_int_equal(json_object_size(json_object_get(
                         json_object_get(pod, "metadata"), "labels")),
                     4);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(pod, "status"), "phase")),
                        "Running");
    json_decref(pod);
    kreg_service_free(s);
}

static void test_e2e_register_holds_several_services_on_one_pod(void **state)
{
    struct e2e *t = *state;
    struct kreg_service *a = e2e_service("svc.a", "1", "pod-a", "10.0.0.1:1");
    struct kreg_service *b = e2e_service("svc.b", "1", "pod-a", "10.0.0.1:2");
    struct kreg_service *c = e2e_service("svc.c", "1", "pod-a", "10.0.0.1:3");
    struct kreg_service_list *l = NULL;
    json_t *pod;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    register_ok(t->r, a);
    register_ok(t->r, b);
    register_ok(t->r, c);
    assert_int_equal(kreg_list_services(t->r, &l, NULL), KREG_OK);
    assert_int_equal(l->count, 3);
    assert_string_equal(l->items[0]->name, "svc.a");
    assert_string_equal(l->items[1]->name, "svc.b");
    assert_string_equal(l->items[2]->name, "svc.c");
    assert_string_equal(l->items[2]->nodes[0]->address, "10.0.0.1:3");
    kreg_service_list_free(l);

    deregister_ok(t->r, b);
    pod = e2e_read_pod(t, "pod-a");
    assert_non_null(e2e_annotation(pod, "micro.mu/service-svc.a"));
    assert_null(e2e_annotation(pod, "micro.mu/service-svc.b"));
    assert_null(e2e_label(pod, "micro.mu/selector-svc.b"));
    assert_non_null(e2e_annotation(pod, "micro.mu/service-svc.c"));
    assert_string_equal(e2e_label(pod, "micro.mu/selector-svc.c"), "service");
    json_decref(pod);
    kreg_service_free(a);
    kreg_service_free(b);
    kreg_service_free(c);
}

static void
test_e2e_register_again_changes_nothing_unless_service_changed(void **state)
{
    struct e2e *t = *state;
    struct kreg_service *s = service_b();
    uint64_t store_rv = 0;
    char *rv1;
    char *rv2;
    json_t *pod;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    register_ok(t->r, s);
    rv1 = e2e_read_rv(t, "pod-a");
    if (t->srv)
        store_rv = fakeapi_resource_version(t->srv);
    register_ok(t->r, s);
    rv2 = e2e_read_rv(t, "pod-a");
    assert_string_equal(rv1, rv2);
    /* nothing else was written either: only fakeapi tells (a cluster's
     * resourceVersion moves with its controllers' writes) */
    if (t->srv)
        assert_int_equal(fakeapi_resource_version(t->srv), store_rv);
    free(rv2);

    free(s->nodes[0]->address);
    s->nodes[0]->address = strdup("[fd00::8]:9000");
    assert_non_null(s->nodes[0]->address);
    register_ok(t->r, s);
    rv2 = e2e_read_rv(t, "pod-a");
    assert_string_not_equal(rv1, rv2);
    pod = e2e_read_pod(t, "pod-a");
    assert_non_null(strstr(e2e_annotation(pod, CART_KEY), "[fd00::8]:9000"));
    json_decref(pod);
    free(rv1);
    free(rv2);
    kreg_service_free(s);
}

static void test_e2e_deregister_keeps_type_label_and_the_rest(void **state)
{
    struct e2e *t = *state;
    struct kreg_service *s = service_b();
    json_t *pod;

    e2e_add_pod(t, "pod-a", "Running",
                "{\"labels\":{\"app\":\"web\"},"
                "\"annotations\":{\"owner\":\"team-x\"}}");
    register_ok(t->r, s);
    deregister_ok(t->r, s);
    pod = e2e_read_pod(t, "pod-a");
    assert_string_equal(e2e_label(pod, TYPE_LABEL), "service");
    assert_null(e2e_label(pod, CART_LABEL));
    assert_null(e2e_annotation(pod, CART_KEY));
    assert_string_equal(e2e_label(pod, "app"), "web");
    assert_string_equal(e2e_annotation(pod, "owner"), "team-x");
    json_decref(pod);
    /* a second deregister has nothing to delete and still succeeds */
    deregister_ok(t->r, s);
    kreg_service_free(s);
}

/* ---- Failures leave the pod as it was ----------------------------------*/

static void test_e2e_register_failure_leaves_pod_unchanged(void **state)
{
    static const int statuses[] = {500, 403, 422};
    struct e2e *t = *state;
    struct kreg_service *s = service_b();
    size_t i;

    e2e_add_pod(t, "pod-a", "Running",
                "{\"labels\":{\"app\":\"web\"},"
                "\"annotations\":{\"owner\":\"team-x\"}}");
    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        struct fakeapi_fault f;
        struct kreg_error err;
        char *before = e2e_read_pod_text(t, "pod-a");
        char *after;

        memset(&f, 0, sizeof(f));
        f.kind = FAKEAPI_FAULT_STATUS;
        f.method = "PATCH";
        f.count = 100; /* more than the retries */
        f.status = statuses[i];
        assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
        memset(&err, 0, sizeof(err));
        assert_int_not_equal(kreg_register(t->r, s, &err), KREG_OK);
        assert_int_equal(err.http_status, statuses[i]);
        fakeapi_faults_clear(t->srv);
        after = e2e_read_pod_text(t, "pod-a");
        assert_string_equal(before, after);
        free(before);
        free(after);
    }
    kreg_service_free(s);
}

static void
test_e2e_register_rejects_unencodable_names_before_any_request(void **state)
{
    static const char *const bad[] = {
        "",
        "svc-",
        "svc_",
        "svc.",
        "greeter:",
        "\xe6\x97\xa5\xe6\x9c\xac", /* 日本: ends in non-ASCII */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 55 */
    };
    struct e2e *t = *state;
    char *before;
    char *after;
    size_t i;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    before = e2e_read_pod_text(t, "pod-a");
    if (t->srv)
        fakeapi_request_log_clear(t->srv);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kreg_service *s = e2e_service(bad[i], "1", "n", "1.2.3.4:5");
        struct kreg_service_list *l = NULL;
        kreg_watch *w = NULL;
        struct kreg_error err;

        memset(&err, 0, sizeof(err));
        assert_int_equal(kreg_register(t->r, s, &err), KREG_E_NAME);
        assert_int_equal(err.code, KREG_E_NAME);
        assert_int_equal(err.http_status, 0);
        assert_int_equal(kreg_deregister(t->r, s, NULL), KREG_E_NAME);
        assert_int_equal(kreg_get_service(t->r, bad[i], &l, NULL), KREG_E_NAME);
        assert_null(l);
        assert_int_equal(kreg_watch_new(t->r, bad[i], &w, NULL), KREG_E_NAME);
        assert_null(w);
        kreg_service_free(s);
    }
    /* KREG_E_NAME is kreg's own answer, never a server's; fakeapi's log
     * also shows that no request went out */
    if (t->srv)
        assert_int_equal(e2e_log_count(t->srv, NULL), 0);
    after = e2e_read_pod_text(t, "pod-a");
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* The longest name the API accepts (54 bytes) registers. */
static void test_e2e_register_accepts_longest_valid_name(void **state)
{
    struct e2e *t = *state;
    const char *name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    struct kreg_service *s = e2e_service(name, "1", "n", "1.2.3.4:5");
    struct kreg_service_list *l = NULL;

    assert_int_equal(strlen(name), 54);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    register_ok(t->r, s);
    assert_int_equal(kreg_get_service(t->r, name, &l, NULL), KREG_OK);
    assert_int_equal(l->count, 1);
    kreg_service_list_free(l);
    kreg_service_free(s);
}

/*
 * The budget: keys plus values of all annotations at most 262144 bytes
 * (docs/kubernetes-api.md, Validation). Exactly at the limit the register goes
 * through and the server accepts it; one byte more and the server refuses the
 * one PATCH (422 Invalid, a FieldValueTooLong cause on metadata.annotations),
 * which kreg reports as KREG_E_TOO_BIG with the server's message; the pod stays
 * as it was. No GET is made (fakeapi's log).
 */
static void test_e2e_register_over_budget_is_too_big_in_one_patch(void **state)
{
    struct e2e *t = *state;
    struct kreg_service *s = e2e_service("budget", "1", "n", "1.2.3.4:5");
    size_t key_len = strlen("micro.mu/service-budget");
    size_t json_len = 0;
    char *json = NULL;
    struct kreg_error err;
    char *before;
    char *after;
    json_t *pod;
    kreg *r;
    size_t fill;

    assert_int_equal(
        kreg_service_encode(s, KREG_WIRE_V2, &json, &json_len, NULL), KREG_OK);
    free(json);
    fill = BUDGET - strlen("filler") - key_len - json_len;

    add_with_filler(t, "pod-a", fill);
    register_ok(t->r, s);
    pod = e2e_read_pod(t, "pod-a");
    assert_non_null(e2e_annotation(pod, "micro.mu/service-budget"));
    json_decref(pod);

    add_with_filler(t, "pod-b", fill + 1);
    r = e2e_handle_as(t, "pod-b");
    before = e2e_read_pod_text(t, "pod-b");
    if (t->srv)
        fakeapi_request_log_clear(t->srv);
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_register(r, s, &err), KREG_E_TOO_BIG);
    assert_int_equal(err.code, KREG_E_TOO_BIG);
    assert_int_equal(err.http_status, 422);
    assert_string_equal(err.reason, "Invalid");
    assert_non_null(strstr(err.text, "register budget: "));
    assert_non_null(strstr(err.text, "metadata.annotations: Too long"));
    assert_non_null(strstr(err.text, "262144 bytes"));
    if (t->srv) {
        assert_int_equal(e2e_log_count(t->srv, "PATCH"), 1);
        assert_int_equal(e2e_log_count(t->srv, NULL), 1);
    }
    after = e2e_read_pod_text(t, "pod-b");
    assert_string_equal(before, after);
    free(before);
    free(after);
    kreg_free(r);
    kreg_service_free(s);
}

/* A service too big on its own is refused without a request: no pod could
 * take it (KREG_E_TOO_BIG without an HTTP status is kreg's own answer). */
static void test_e2e_register_refuses_service_over_budget(void **state)
{
    struct e2e *t = *state;
    struct kreg_service *s = e2e_service("huge", "1", "n", "1.2.3.4:5");
    char *big = malloc(BUDGET + 1);
    struct kreg_error err;

    assert_non_null(big);
    memset(big, 'y', BUDGET);
    big[BUDGET] = '\0';
    assert_int_equal(kreg_metadata_set(&s->metadata, "blob", big), KREG_OK);
    free(big);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    if (t->srv)
        fakeapi_request_log_clear(t->srv);
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_register(t->r, s, &err), KREG_E_TOO_BIG);
    assert_int_equal(err.http_status, 0);
    if (t->srv)
        assert_int_equal(e2e_log_count(t->srv, NULL), 0);
    kreg_service_free(s);
}

/*
 * One round trip per register and deregister, as the Go plugin: one PATCH
 * of the pod, no GET or list before it (fakeapi's log).
 */
static void test_e2e_register_is_one_patch(void **state)
{
    struct e2e *t = *state;
    struct kreg_service *s = service_b();
    json_t *log;
    json_t *e;
    size_t i;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    fakeapi_request_log_clear(t->srv);
    register_ok(t->r, s);
    register_ok(t->r, s);
    deregister_ok(t->r, s);
    log = e2e_log(t->srv);
    assert_int_equal(json_array_size(log), 3);
    json_array_foreach(log, i, e)
    {
        assert_string_equal(e2e_log_str(e, "method"), "PATCH");
        assert_string_equal(e2e_log_str(e, "path"),
                            "/api/v1/namespaces/" E2E_NS "/pods/pod-a");
    }
    json_decref(log);
    kreg_service_free(s);
}

/*
 * The Go plugin's RBAC grants pods list, watch and patch, not get
 * (docs/go-micro-wire.md, Known problems item 8): kreg registers, and still
 * reports an over-budget register as KREG_E_TOO_BIG, under a Role a Go service
 * runs with.
 */
static void test_e2e_register_needs_only_list_and_patch_rights(void **state)
{
    struct e2e *t = *state;
    struct kreg_service *s = service_b();
    struct fakeapi_fault f;
    struct kreg_error err;
    json_t *pod;
    kreg *r;

    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_STATUS;
    f.method = "GET";
    f.path = "/api/v1/namespaces/*/pods/*";
    f.count = 1000;
    f.status = 403;
    f.reason = "Forbidden";
    f.message = "pods \"pod-a\" is forbidden: cannot get resource \"pods\"";
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    register_ok(t->r, s);
    deregister_ok(t->r, s);
    /* read behind the fault, through fakeapi's C API */
    pod = e2e_pod(t->srv, "pod-a");
    assert_string_equal(e2e_label(pod, TYPE_LABEL), "service");
    json_decref(pod);

    /* a create is validated: the filler takes the whole budget */
    add_with_filler(t, "pod-b", BUDGET - strlen("filler"));
    r = e2e_handle_as(t, "pod-b");
    fakeapi_request_log_clear(t->srv);
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_register(r, s, &err), KREG_E_TOO_BIG);
    assert_int_equal(e2e_log_count(t->srv, "PATCH"), 1);
    assert_int_equal(e2e_log_count(t->srv, "GET"), 0);
    kreg_free(r);
    kreg_service_free(s);
}

/* ---- One handle, several threads ---------------------------------------*/

#define WORKERS 4
#define ROUNDS  25

struct worker {
    pthread_t th;
    kreg *r;        /* shared */
    char name[32];  /* registered on the handle's pod, pod-a */
    char peer[32];  /* served by another pod */
    char paddr[32]; /* the peer's address */
    int failures;
    char why[300];
};

static void worker_fail(struct worker *wk, const char *what,
                        const struct kreg_error *err)
{
    if (wk->failures++ == 0)
        snprintf(wk->why, sizeof(wk->why), "%s: %s", what,
                 err ? err->text : "");
}

/* The only service of @p l has a node at @p address. */
static bool has_address(const struct kreg_service_list *l, const char *address)
{
    return l && l->count == 1 && l->items[0]->nnodes == 1 &&
           strcmp(l->items[0]->nodes[0]->address, address) == 0;
}

static void worker_round(struct worker *wk, int round)
{
    struct kreg_service *s = kreg_service_new();
    struct kreg_service_list *l = NULL;
    struct kreg_error err;
    char addr[32];

    snprintf(addr, sizeof(addr), "10.9.0.1:%d", 1000 + round);
    memset(&err, 0, sizeof(err));
    if (s) {
        free(s->name);
        s->name = strdup(wk->name);
    }
    if (!s || !s->name || !kreg_service_add_node(s, "pod-a", addr)) {
        worker_fail(wk, "out of memory", NULL);
    } else if (kreg_register(wk->r, s, &err) != KREG_OK) {
        worker_fail(wk, "register", &err);
    } else if (kreg_get_service(wk->r, wk->name, &l, &err) != KREG_OK ||
               !has_address(l, addr)) {
        worker_fail(wk, "get own", &err);
    }
    kreg_service_list_free(l);
    l = NULL;
    if (kreg_get_service(wk->r, wk->peer, &l, &err) != KREG_OK ||
        !has_address(l, wk->paddr))
        worker_fail(wk, "get peer", &err);
    kreg_service_list_free(l);
    kreg_service_free(s);
}

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    int i;

    for (i = 0; i < ROUNDS; i++)
        worker_round(wk, i);
    return NULL;
}

static void test_e2e_register_one_handle_serves_threads_at_once(void **state)
{
    struct e2e *t = *state;
    struct worker wk[WORKERS];
    json_t *pod;
    int i;

    memset(wk, 0, sizeof(wk));
    e2e_add_pod(t, "pod-a", "Running", NULL);
    for (i = 0; i < WORKERS; i++) {
        char podname[16];

        snprintf(podname, sizeof(podname), "pod-%d", i + 1);
        snprintf(wk[i].name, sizeof(wk[i].name), "own-%d", i);
        snprintf(wk[i].peer, sizeof(wk[i].peer), "peer-%d", i);
        snprintf(wk[i].paddr, sizeof(wk[i].paddr), "10.8.0.%d:80", i + 1);
        e2e_add_pod(t, podname, "Running", NULL);
        e2e_register_as(t, podname, wk[i].peer, "1", wk[i].paddr);
        wk[i].r = t->r;
    }
    for (i = 0; i < WORKERS; i++)
        assert_int_equal(pthread_create(&wk[i].th, NULL, worker_main, &wk[i]),
                         0);
    for (i = 0; i < WORKERS; i++)
        assert_int_equal(pthread_join(wk[i].th, NULL), 0);
    for (i = 0; i < WORKERS; i++)
        if (wk[i].failures)
            fail_msg("worker %d: %d failures, first %s", i, wk[i].failures,
                     wk[i].why);
    /* every thread's last register is on the pod: no update was lost */
    pod = e2e_read_pod(t, "pod-a");
    for (i = 0; i < WORKERS; i++) {
        char key[64];
        const char *ann;

        snprintf(key, sizeof(key), "micro.mu/service-%s", wk[i].name);
        ann = e2e_annotation(pod, key);
        assert_non_null(ann);
        assert_non_null(strstr(ann, "10.9.0.1:1024"));
    }
    json_decref(pod);
}

int main(void)
{
    const struct e2e_test tests[] = {
        E2E_TEST(test_e2e_register_writes_go_labels_and_annotation),
        E2E_FAKE_TEST(test_e2e_register_sends_the_go_patch_body,
                      "the request log"),
        E2E_TEST(test_e2e_register_annotation_equals_go_for_golden_cases),
        E2E_TEST(test_e2e_register_keeps_other_labels_and_annotations),
        E2E_TEST(test_e2e_register_holds_several_services_on_one_pod),
        E2E_TEST(
            test_e2e_register_again_changes_nothing_unless_service_changed),
        E2E_TEST(test_e2e_deregister_keeps_type_label_and_the_rest),
        E2E_FAKE_TEST(test_e2e_register_failure_leaves_pod_unchanged,
                      "status faults on PATCH"),
        E2E_TEST(
            test_e2e_register_rejects_unencodable_names_before_any_request),
        E2E_TEST(test_e2e_register_accepts_longest_valid_name),
        E2E_TEST(test_e2e_register_over_budget_is_too_big_in_one_patch),
        E2E_TEST(test_e2e_register_refuses_service_over_budget),
        E2E_FAKE_TEST(test_e2e_register_is_one_patch, "the request log"),
        E2E_FAKE_TEST(test_e2e_register_needs_only_list_and_patch_rights,
                      "a 403 fault on get"),
        E2E_TEST(test_e2e_register_one_handle_serves_threads_at_once),
    };

    return e2e_run_group("e2e_register", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
