/*
 * libkreg's failures against an embedded fakeapi server: an unreachable
 * server, 401, 403, a missing pod (the text names pod and namespace),
 * server errors after the retries, broken answers, and a malformed
 * annotation on some other pod, which discovery skips and reports
 * (docs/go-micro-wire.md, Known problems items 7-9). Every code is the
 * documented one and every failed call hands back nothing to free.
 */
#include "e2e.h"

#define PODS_PATH "/api/v1/namespaces/default/pods"

/* ---- Helpers -----------------------------------------------------------*/

/* What every operation of @p r returns, with its error. */
struct outcome {
    int reg;
    int dereg;
    int get;
    int list;
    int watch;
    struct kreg_error err; /* of the register */
};

static void try_all(kreg *r, struct outcome *o)
{
    struct kreg_service *s = e2e_service("greeter", "1", "n", "10.0.0.1:80");
    struct kreg_service_list *l = NULL;
    kreg_watch *w = NULL;

    memset(o, 0, sizeof(*o));
    o->reg = kreg_register(r, s, &o->err);
    o->dereg = kreg_deregister(r, s, NULL);
    o->get = kreg_get_service(r, "greeter", &l, NULL);
    assert_null(l);
    o->list = kreg_list_services(r, &l, NULL);
    assert_null(l);
    o->watch = kreg_watch_new(r, "greeter", &w, NULL);
    assert_null(w);
    kreg_service_free(s);
}

static void assert_all(const struct outcome *o, int code)
{
    assert_int_equal(o->reg, code);
    assert_int_equal(o->dereg, code);
    assert_int_equal(o->get, code);
    assert_int_equal(o->list, code);
    assert_int_equal(o->watch, code);
    assert_int_equal(o->err.code, code);
}

static void add_status_fault(fakeapi *srv, const char *method, int status,
                             const char *reason, const char *message)
{
    struct fakeapi_fault f;

    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_STATUS;
    f.method = method;
    f.count = 1000;
    f.status = status;
    f.reason = reason;
    f.message = message;
    assert_int_equal(fakeapi_fault_add(srv, &f, NULL), FAKEAPI_OK);
}

/* One skipped annotation, as kreg_query.on_skip reports it. */
struct skips {
    size_t n;
    char pod[4][32];
    char key[4][64];
    char why[4][256];
};

static void on_skip(void *ctx, const char *pod, const char *key,
                    const char *why)
{
    struct skips *sk = ctx;

    if (sk->n < 4) {
        snprintf(sk->pod[sk->n], sizeof(sk->pod[0]), "%s", pod);
        snprintf(sk->key[sk->n], sizeof(sk->key[0]), "%s", key);
        snprintf(sk->why[sk->n], sizeof(sk->why[0]), "%s", why);
    }
    sk->n++;
}

/* ---- Transport and authorisation ---------------------------------------*/

static void test_e2e_errors_unreachable_server_is_connect(void **state)
{
    struct outcome o;
    fakeapi *gone = NULL;
    kreg *r;

    (void)state;
    /* a port that was just listening and is closed now */
    assert_int_equal(fakeapi_start(NULL, &gone, NULL), FAKEAPI_OK);
    r = e2e_handle(gone, "pod-a");
    fakeapi_stop(gone);
    try_all(r, &o);
    assert_all(&o, KREG_E_CONNECT);
    assert_int_equal(o.err.http_status, 0);
    assert_non_null(strstr(o.err.text, "127.0.0.1"));
    kreg_free(r);
}

static void test_e2e_errors_401_is_unauthorized(void **state)
{
    struct fakeapi_options fo;
    struct kreg_options ko;
    struct kreg_service_list *l = NULL;
    struct kreg_service *s;
    struct outcome o;
    fakeapi *srv = NULL;
    kreg *r = NULL;

    (void)state;
    memset(&fo, 0, sizeof(fo));
    fo.token = "right-token";
    assert_int_equal(fakeapi_start(&fo, &srv, NULL), FAKEAPI_OK);
    e2e_seed(srv, "pod-a", "Running", NULL);

    /* no token at all (the Go plugin given an address sends none) */
    r = e2e_handle(srv, "pod-a");
    try_all(r, &o);
    assert_all(&o, KREG_E_UNAUTHORIZED);
    assert_int_equal(o.err.http_status, 401);
    kreg_free(r);

    memset(&ko, 0, sizeof(ko));
    ko.server = fakeapi_url(srv);
    ko.pod_name = "pod-a";
    ko.no_in_cluster = true;
    ko.retry_base_ms = 1;
    ko.token = "wrong-token";
    assert_int_equal(kreg_new(&ko, &r, NULL), KREG_OK);
    try_all(r, &o);
    assert_all(&o, KREG_E_UNAUTHORIZED);
    assert_null(strstr(o.err.text, "wrong-token"));
    kreg_free(r);

    /* and the right one works */
    ko.token = "right-token";
    assert_int_equal(kreg_new(&ko, &r, NULL), KREG_OK);
    s = e2e_service("greeter", "1", "n", "10.0.0.1:80");
    assert_int_equal(kreg_register(r, s, NULL), KREG_OK);
    assert_int_equal(kreg_get_service(r, "greeter", &l, NULL), KREG_OK);
    assert_int_equal(l->count, 1);
    kreg_service_list_free(l);
    kreg_service_free(s);
    kreg_free(r);
    fakeapi_stop(srv);
}

/* docs/go-micro-wire.md, Known problems item 8: the code, the Status reason and
 * its message, not "K8s: error". */
static void
test_e2e_errors_403_is_forbidden_with_reason_and_message(void **state)
{
    struct e2e *t = *state;
    const char *msg = "pods \"pod-a\" is forbidden: User "
                      "\"system:serviceaccount:default:app\" cannot patch "
                      "resource \"pods\" in API group \"\" in the namespace "
                      "\"default\"";
    struct outcome o;

    e2e_seed(t->srv, "pod-a", "Running", NULL);
    add_status_fault(t->srv, "*", 403, "Forbidden", msg);
    try_all(t->r, &o);
    assert_all(&o, KREG_E_FORBIDDEN);
    assert_int_equal(o.err.http_status, 403);
    assert_string_equal(o.err.reason, "Forbidden");
    assert_non_null(strstr(o.err.text, "cannot patch resource \"pods\""));
}

static void test_e2e_errors_missing_pod_names_pod_and_namespace(void **state)
{
    static const char *const namespaces[] = {"shop", "no-such-namespace"};
    struct e2e *t = *state;
    size_t i;

    assert_int_equal(fakeapi_create_namespace(t->srv, "shop", NULL),
                     FAKEAPI_OK);
    e2e_seed_ns(t->srv, "shop", "other", "Running", NULL);
    for (i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++) {
        kreg *r = e2e_handle_ns(t->srv, namespaces[i], "ghost");
        struct kreg_service *s = e2e_service("greeter", "1", "n", "1.2.3.4:5");
        struct kreg_error err;

        memset(&err, 0, sizeof(err));
        assert_int_equal(kreg_register(r, s, &err), KREG_E_NOT_FOUND);
        assert_int_equal(err.http_status, 404);
        assert_non_null(strstr(err.text, "\"ghost\""));
        assert_non_null(strstr(err.text, namespaces[i]));
        memset(&err, 0, sizeof(err));
        assert_int_equal(kreg_deregister(r, s, &err), KREG_E_NOT_FOUND);
        assert_non_null(strstr(err.text, "\"ghost\""));
        assert_non_null(strstr(err.text, namespaces[i]));
        kreg_service_free(s);
        kreg_free(r);
    }
}

/* ---- Server errors and broken answers ----------------------------------*/

static void test_e2e_errors_server_error_is_http_after_retries(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l = NULL;
    struct kreg_error err;

    e2e_seed(t->srv, "pod-a", "Running", NULL);
    add_status_fault(t->srv, "GET", 503, "ServiceUnavailable",
                     "the server is currently unable to handle the request");
    fakeapi_request_log_clear(t->srv);
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_get_service(t->r, "greeter", &l, &err), KREG_E_HTTP);
    assert_null(l);
    assert_int_equal(err.http_status, 503);
    assert_string_equal(err.reason, "ServiceUnavailable");
    assert_non_null(strstr(err.text, "unable to handle the request"));
    assert_int_equal(e2e_log_count(t->srv, "GET"), 4); /* 1 + 3 retries */
}

static void test_e2e_errors_broken_answer_fails_cleanly(void **state)
{
    static const enum fakeapi_fault_kind kinds[] = {FAKEAPI_FAULT_TRUNCATE,
                                                    FAKEAPI_FAULT_DROP};
    struct e2e *t = *state;
    size_t i;

    e2e_seed(t->srv, "pod-a", "Running", NULL);
    e2e_register_on(t->srv, "pod-a", "greeter", "1", "10.0.0.1:80");
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        struct kreg_service_list *l = NULL;
        struct fakeapi_fault f;
        struct kreg_error err;
        int rc;

        memset(&f, 0, sizeof(f));
        f.kind = kinds[i];
        f.method = "GET";
        f.path = PODS_PATH;
        f.count = 1000;
        assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
        memset(&err, 0, sizeof(err));
        rc = kreg_get_service(t->r, "greeter", &l, &err);
        assert_true(rc == KREG_E_CONNECT || rc == KREG_E_PROTOCOL);
        assert_int_equal(err.code, rc);
        assert_null(l);
        fakeapi_faults_clear(t->srv);
    }
    /* and the next call works again */
    {
        struct kreg_service_list *l = NULL;

        assert_int_equal(kreg_get_service(t->r, "greeter", &l, NULL), KREG_OK);
        assert_int_equal(l->count, 1);
        kreg_service_list_free(l);
    }
}

static void test_e2e_errors_register_without_nodes_is_invalid(void **state)
{
    struct e2e *t = *state;
    struct kreg_service *s = kreg_service_new();
    struct kreg_error err;

    assert_non_null(s);
    free(s->name);
    s->name = strdup("greeter");
    assert_non_null(s->name);
    e2e_seed(t->srv, "pod-a", "Running", NULL);
    fakeapi_request_log_clear(t->srv);
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_register(t->r, s, &err), KREG_E_INVALID);
    assert_non_null(strstr(err.text, "at least one node"));
    assert_int_equal(kreg_register(t->r, NULL, NULL), KREG_E_INVALID);
    assert_int_equal(e2e_log_count(t->srv, NULL), 0);
    kreg_service_free(s);
}

/* ---- A malformed annotation on another pod -----------------------------*/

/*
 * Pod "pod-bad" carries the labels of greeter and an annotation that is
 * not service JSON, "pod-odd" one with a wrongly typed member: get, list
 * and watch still serve pod-good, and get and list say what they skipped.
 */
static void
test_e2e_errors_malformed_annotation_is_skipped_and_reported(void **state)
{
    struct e2e *t = *state;
    struct kreg_query q;
    struct skips sk;
    struct kreg_service_list *l = NULL;
    kreg_watch *w = NULL;

    e2e_seed(t->srv, "pod-good", "Running", NULL);
    e2e_seed(t->srv, "pod-bad", "Running",
             "{\"labels\":{\"micro.mu/type\":\"service\","
             "\"micro.mu/selector-greeter\":\"service\"},"
             "\"annotations\":{\"micro.mu/service-greeter\":\"{not json\"}}");
    e2e_seed(t->srv, "pod-odd", "Running",
             "{\"labels\":{\"micro.mu/type\":\"service\","
             "\"micro.mu/selector-greeter\":\"service\"},"
             "\"annotations\":{\"micro.mu/service-greeter\":"
             "\"{\\\"name\\\":1}\"}}");
    e2e_register_on(t->srv, "pod-good", "greeter", "1", "10.0.0.1:80");
    memset(&q, 0, sizeof(q));
    memset(&sk, 0, sizeof(sk));
    q.on_skip = on_skip;
    q.ctx = &sk;

    assert_int_equal(kreg_get_service_ex(t->r, "greeter", &q, &l, NULL),
                     KREG_OK);
    assert_int_equal(l->count, 1);
    assert_int_equal(l->items[0]->nnodes, 1);
    assert_string_equal(l->items[0]->nodes[0]->id, "pod-good");
    kreg_service_list_free(l);
    assert_int_equal(sk.n, 2);
    assert_string_equal(sk.pod[0], "pod-bad");
    assert_string_equal(sk.key[0], "micro.mu/service-greeter");
    assert_true(sk.why[0][0] != '\0');
    assert_string_equal(sk.pod[1], "pod-odd");
    assert_non_null(strstr(sk.why[1], "name"));

    memset(&sk, 0, sizeof(sk));
    assert_int_equal(kreg_list_services_ex(t->r, &q, &l, NULL), KREG_OK);
    assert_int_equal(l->count, 1);
    assert_string_equal(l->items[0]->nodes[0]->id, "pod-good");
    kreg_service_list_free(l);
    assert_int_equal(sk.n, 2);

    /* without a query the skips are silent, the answer the same */
    assert_int_equal(kreg_get_service(t->r, "greeter", &l, NULL), KREG_OK);
    assert_int_equal(l->count, 1);
    kreg_service_list_free(l);

    /* the watch passes over bad annotations too */
    w = e2e_watch(t, "greeter");
    e2e_patch_meta(t->srv, "pod-bad",
                   "{\"annotations\":{\"micro.mu/service-greeter\":"
                   "\"{still not json\"}}");
    e2e_register_on(t->srv, "pod-good", "greeter", "1", "10.0.0.1:81");
    e2e_expect(w, KREG_ACTION_UPDATE, "pod-good", "10.0.0.1:81");
}

/* ---- Watch failures ----------------------------------------------------*/

static void test_e2e_errors_watch_ends_for_good_on_403(void **state)
{
    struct e2e *t = *state;
    struct kreg_result *res = NULL;
    struct kreg_error err;
    kreg_watch *w = NULL;

    e2e_seed(t->srv, "pod-a", "Running", NULL);
    w = e2e_watch(t, NULL);
    e2e_register_on(t->srv, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
    add_status_fault(t->srv, "GET", 403, "Forbidden",
                     "pods is forbidden: cannot watch");
    assert_true(fakeapi_close_watches(t->srv) >= 1);
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_watch_next(w, E2E_GUARD_MS, &res, &err),
                     KREG_E_FORBIDDEN);
    assert_null(res);
    assert_int_equal(err.http_status, 403);
    assert_non_null(strstr(err.text, "cannot watch"));
    /* for good: later calls say the same at once */
    assert_int_equal(kreg_watch_next(w, 0, &res, NULL), KREG_E_FORBIDDEN);
}

/* A 403 on the re-list after a 410 ends the watch as one on the watch
 * request does, instead of retrying it for ever in silence. */
static void
test_e2e_errors_watch_ends_for_good_when_relist_is_forbidden(void **state)
{
    struct e2e *t = *state;
    struct kreg_result *res = NULL;
    struct fakeapi_fault f;
    struct kreg_error err;
    kreg_watch *w = NULL;

    e2e_seed(t->srv, "pod-a", "Running", NULL);
    w = e2e_watch(t, NULL);
    e2e_register_on(t->srv, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
    /* faults apply in the order added: the watch gets 410, the list 403 */
    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_STATUS;
    f.method = "GET";
    f.path = PODS_PATH;
    f.count = 1;
    f.status = 410;
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    add_status_fault(t->srv, "GET", 403, "Forbidden",
                     "pods is forbidden: cannot list");
    assert_true(fakeapi_close_watches(t->srv) >= 1);
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_watch_next(w, E2E_GUARD_MS, &res, &err),
                     KREG_E_FORBIDDEN);
    assert_null(res);
    assert_non_null(strstr(err.text, "cannot list"));
}

/*
 * http.h: after a 401 the token is invalidated and the caller reconnects
 * (a rotated service-account token): one 401 on the watch request does
 * not end the watch; two in a row do.
 */
static void test_e2e_errors_watch_reconnects_once_after_401(void **state)
{
    struct e2e *t = *state;
    struct kreg_result *res = NULL;
    struct fakeapi_fault f;
    kreg_watch *w = NULL;

    e2e_seed(t->srv, "pod-a", "Running", NULL);
    w = e2e_watch(t, NULL);
    e2e_register_on(t->srv, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_STATUS;
    f.method = "GET";
    f.path = PODS_PATH;
    f.count = 1;
    f.status = 401;
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    assert_true(fakeapi_close_watches(t->srv) >= 1);
    e2e_put_raw(t->srv, "pod-a", "greeter", "10.0.0.1:81");
    e2e_expect(w, KREG_ACTION_UPDATE, "pod-a", "10.0.0.1:81");

    add_status_fault(t->srv, "GET", 401, "Unauthorized", "Unauthorized");
    assert_true(fakeapi_close_watches(t->srv) >= 1);
    assert_int_equal(kreg_watch_next(w, E2E_GUARD_MS, &res, NULL),
                     KREG_E_UNAUTHORIZED);
    assert_null(res);
}

static void test_e2e_errors_watch_rides_out_transient_failures(void **state)
{
    struct e2e *t = *state;
    struct fakeapi_fault f;
    kreg_watch *w = NULL;

    e2e_seed(t->srv, "pod-a", "Running", NULL);
    w = e2e_watch(t, NULL);
    e2e_register_on(t->srv, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_STATUS;
    f.method = "GET";
    f.path = PODS_PATH;
    f.count = 1;
    f.status = 500;
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    f.kind = FAKEAPI_FAULT_DROP;
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    assert_true(fakeapi_close_watches(t->srv) >= 1);
    e2e_put_raw(t->srv, "pod-a", "greeter", "10.0.0.1:81");
    e2e_expect(w, KREG_ACTION_UPDATE, "pod-a", "10.0.0.1:81");
}

#define T(name) cmocka_unit_test_setup_teardown(name, e2e_setup, e2e_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_e2e_errors_unreachable_server_is_connect),
        T(test_e2e_errors_401_is_unauthorized),
        T(test_e2e_errors_403_is_forbidden_with_reason_and_message),
        T(test_e2e_errors_missing_pod_names_pod_and_namespace),
        T(test_e2e_errors_server_error_is_http_after_retries),
        T(test_e2e_errors_broken_answer_fails_cleanly),
        T(test_e2e_errors_register_without_nodes_is_invalid),
        T(test_e2e_errors_malformed_annotation_is_skipped_and_reported),
        T(test_e2e_errors_watch_ends_for_good_on_403),
        T(test_e2e_errors_watch_ends_for_good_when_relist_is_forbidden),
        T(test_e2e_errors_watch_reconnects_once_after_401),
        T(test_e2e_errors_watch_rides_out_transient_failures),
    };

    return cmocka_run_group_tests_name("e2e_errors", tests, NULL, NULL);
}
