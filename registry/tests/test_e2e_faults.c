/*
 * The fault matrix (issue 6): every libkreg operation (register,
 * deregister, get, list, watch start) against every fault the fake
 * injects (500, 503 with Retry-After, 429, 409, a dropped connection, a
 * truncated body, latency beyond the timeout), once as a passing hiccup
 * and once as a lasting failure. Each cell asserts the outcome and then
 * the server state: a failed write leaves the pod byte for byte as it
 * was (nothing half-registered), a successful one leaves exactly the
 * expected annotation (nothing lost).
 *
 * Bounded: one retry, 1 ms backoff, a 300 ms request timeout; Retry-After
 * is 1 s in the one cell that checks it is honoured.
 */
#include "e2e.h"

enum op { OP_REGISTER, OP_DEREGISTER, OP_GET, OP_LIST, OP_WATCH, OP_COUNT };

static const char *const op_names[] = {"register", "deregister", "get", "list",
                                       "watch"};

struct fault_case {
    const char *name;
    enum fakeapi_fault_kind kind;
    int status;
    unsigned retry_after;
    int lasting_rc; /* outcome when every attempt fails */
    bool retried;   /* a passing hiccup is absorbed by the retry */
    bool processed; /* the server still handles the request (the answer
                       is lost or late): a write may have landed, whole */
};

static const struct fault_case faults[] = {
    {"500", FAKEAPI_FAULT_STATUS, 500, 0, KREG_E_HTTP, true, false},
    {"503+Retry-After", FAKEAPI_FAULT_STATUS, 503, 1, KREG_E_HTTP, true, false},
    {"429", FAKEAPI_FAULT_STATUS, 429, 0, KREG_E_HTTP, true, false},
    {"409", FAKEAPI_FAULT_STATUS, 409, 0, KREG_E_CONFLICT, false, false},
    {"drop", FAKEAPI_FAULT_DROP, 0, 0, KREG_E_CONNECT, true, false},
    {"truncate", FAKEAPI_FAULT_TRUNCATE, 0, 0, KREG_E_CONNECT, true, true},
    {"latency", FAKEAPI_FAULT_LATENCY, 0, 0, KREG_E_TIMEOUT, true, true},
};

#define SVC_ANN "micro.mu/service-greeter"

static kreg *fast_handle(fakeapi *srv)
{
    struct kreg_options o;
    kreg *r = NULL;

    memset(&o, 0, sizeof(o));
    o.server = fakeapi_url(srv);
    o.namespace_ = E2E_NS;
    o.pod_name = "pod-a";
    o.no_in_cluster = true;
    o.retries = 1;
    o.retry_base_ms = 1;
    o.timeout_ms = 300;
    assert_int_equal(kreg_new(&o, &r, NULL), KREG_OK);
    return r;
}

/* Inject @p f for the next @p count requests to the pods collection or
 * one pod. */
static void inject(fakeapi *srv, const struct fault_case *f, unsigned count)
{
    struct fakeapi_fault ff;

    memset(&ff, 0, sizeof(ff));
    ff.kind = f->kind;
    ff.path = "/api/v1/namespaces/default/pods*";
    ff.count = count;
    ff.status = f->status;
    ff.retry_after_s = f->retry_after;
    ff.latency_ms = 600;
    assert_int_equal(fakeapi_fault_add(srv, &ff, NULL), FAKEAPI_OK);
}

static int run_op(kreg *r, enum op op, struct kreg_error *err)
{
    struct kreg_service *s = e2e_service("greeter", "2", "pod-a", "10.0.0.2:1");
    struct kreg_service_list *l = NULL;
    kreg_watch *w = NULL;
    int rc = KREG_OK;

    switch (op) {
    case OP_REGISTER:
        rc = kreg_register(r, s, err);
        break;
    case OP_DEREGISTER:
        rc = kreg_deregister(r, s, err);
        break;
    case OP_GET:
        rc = kreg_get_service(r, "greeter", &l, err);
        break;
    case OP_LIST:
        rc = kreg_list_services(r, &l, err);
        break;
    case OP_WATCH:
        rc = kreg_watch_new(r, NULL, &w, err);
        break;
    case OP_COUNT:
        break;
    }
    if (rc == KREG_OK && (op == OP_GET || op == OP_LIST))
        assert_int_equal(l->count, 1); /* the answer is whole */
    kreg_service_list_free(l);
    kreg_watch_free(w);
    kreg_service_free(s);
    return rc;
}

/* Did @p op land whole on the pod? (register: version 2 and both labels;
 * deregister: the annotation and the selector label gone) */
static bool landed_whole(fakeapi *srv, enum op op)
{
    json_t *pod = e2e_pod(srv, "pod-a");
    const char *ann = e2e_annotation(pod, SVC_ANN);
    const char *sel = e2e_label(pod, "micro.mu/selector-greeter");
    bool whole = false;

    if (op == OP_REGISTER)
        whole = ann && strstr(ann, "\"version\":\"2\"") && sel &&
                e2e_label(pod, "micro.mu/type");
    else if (op == OP_DEREGISTER)
        whole = !ann && !sel && e2e_label(pod, "micro.mu/type");
    json_decref(pod);
    return whole;
}

/* One cell: a fresh server with greeter v1 registered on pod-a. */
static void cell(enum op op, const struct fault_case *f, bool lasting)
{
    fakeapi *srv = NULL;
    kreg *r;
    struct kreg_error err;
    char *before;
    char *after;
    json_t *pod;
    int rc;

    assert_int_equal(fakeapi_start(NULL, &srv, NULL), FAKEAPI_OK);
    e2e_seed(srv, "pod-a", "Running", NULL);
    e2e_register_on(srv, "pod-a", "greeter", "1", "10.0.0.1:1");
    before = e2e_pod_text(srv, "pod-a");
    r = fast_handle(srv);
    inject(srv, f, lasting ? 10 : 1);
    memset(&err, 0, sizeof(err));
    rc = run_op(r, op, &err);
    fakeapi_faults_clear(srv);
    if (lasting || !f->retried) {
        if (rc != (lasting ? f->lasting_rc : KREG_E_CONFLICT))
            fail_msg("%s under a %s %s fault: got %s (%s)", op_names[op],
                     lasting ? "lasting" : "passing", f->name,
                     kreg_strerror(rc), err.text);
        /* nothing half-done: the pod is exactly as it was */
        /* nothing half-done: the pod is exactly as it was, or, when the
         * server handled the write and only the answer was lost, the
         * write is there whole */
        after = e2e_pod_text(srv, "pod-a");
        if (strcmp(before, after) != 0 &&
            !(f->processed && landed_whole(srv, op)))
            fail_msg("%s under a %s %s fault left the pod half-changed",
                     op_names[op], lasting ? "lasting" : "passing", f->name);
        free(after);
    } else {
        if (rc != KREG_OK)
            fail_msg("%s under a passing %s fault: %s (%s)", op_names[op],
                     f->name, kreg_strerror(rc), err.text);
        /* nothing lost: the write landed whole */
        pod = e2e_pod(srv, "pod-a");
        if (op == OP_REGISTER)
            assert_non_null(
                strstr(e2e_annotation(pod, SVC_ANN), "\"version\":\"2\""));
        else if (op == OP_DEREGISTER)
            assert_null(e2e_annotation(pod, SVC_ANN));
        else
            assert_non_null(
                strstr(e2e_annotation(pod, SVC_ANN), "\"version\":\"1\""));
        json_decref(pod);
    }
    free(before);
    kreg_free(r);
    fakeapi_stop(srv);
}

static void test_e2e_faults_every_operation_every_fault(void **state)
{
    size_t f;
    int op;

    (void)state;
    for (op = 0; op < OP_COUNT; op++) {
        for (f = 0; f < sizeof(faults) / sizeof(faults[0]); f++) {
            /* Retry-After costs a second a cell: check it on one op */
            if (faults[f].retry_after && op != OP_REGISTER)
                continue;
            cell((enum op)op, &faults[f], false);
            cell((enum op)op, &faults[f], true);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_faults_every_operation_every_fault),
    };
    return cmocka_run_group_tests_name("e2e_faults", tests, NULL, NULL);
}
