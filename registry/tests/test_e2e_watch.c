/*
 * kreg_watch_*() against fakeapi or a cluster (e2e.h; docs/go-micro-wire.md,
 * Watcher, Known problems item 4): a first register is a create (it reaches a
 * selector watch as ADDED), an update is reported only when the annotation text
 * changed, deregister, pod deletion and leaving Running are deletes; a cut
 * stream resumes without loss or repeats, and a 410 re-lists and reports
 * exactly the difference.
 *
 * "Nothing was reported" is checked without sleeping: after the change
 * that must stay silent, a change that must be reported follows, and the
 * next result has to be that one (results come in order).
 */
#include <pthread.h>

#include "e2e.h"

#define PODS_PATH "/api/v1/namespaces/default/pods"

/* ---- Helpers -----------------------------------------------------------*/

/* Create Running pods "pod-<first>", ... (@p n of them). */
static void seed_pods_from(struct e2e *t, char first, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        char pod[32];

        snprintf(pod, sizeof(pod), "pod-%c", first + i);
        e2e_add_pod(t, pod, "Running", NULL);
    }
}

/* Create Running pods "pod-a", "pod-b", ... (@p n of them). */
static void seed_pods(struct e2e *t, int n)
{
    seed_pods_from(t, 'a', n);
}

/* Make the server refuse list and watch requests by closing the
 * connection, and end the open streams: the watcher is cut off until
 * fakeapi_faults_clear(). kreg_register() reads the pod through the list
 * path too, so changes meanwhile are made with e2e_put_raw(). */
static void disconnect(fakeapi *srv)
{
    struct fakeapi_fault f;

    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_DROP;
    f.method = "GET";
    f.path = PODS_PATH;
    f.count = 1000000;
    assert_int_equal(fakeapi_fault_add(srv, &f, NULL), FAKEAPI_OK);
    assert_true(fakeapi_close_watches(srv) >= 1);
}

/* Successful label-selector lists (not watches) in the log: the
 * watcher's, as registers read their pod with a field selector. */
static size_t lists_logged(fakeapi *srv)
{
    json_t *log = e2e_log(srv);
    json_t *e;
    size_t n = 0;
    size_t i;

    json_array_foreach(log, i, e)
    {
        if (strcmp(e2e_log_str(e, "method"), "GET") == 0 &&
            strcmp(e2e_log_str(e, "path"), PODS_PATH) == 0 &&
            json_integer_value(json_object_get(e, "status")) == 200 &&
            strstr(e2e_log_str(e, "query"), "labelSelector=") &&
            !strstr(e2e_log_str(e, "query"), "watch="))
            n++;
    }
    json_decref(log);
    return n;
}

/* One expected result, ticked off when seen. */
struct want {
    enum kreg_action action;
    const char *pod;
    const char *address; /* first node's, or NULL */
    bool seen;
};

/* Take exactly @p n results and match each to one unseen @p want. */
static void expect_set(kreg_watch *w, struct want *want, size_t n)
{
    size_t got;
    size_t i;

    for (got = 0; got < n; got++) {
        struct kreg_result *res = e2e_next(w);
        bool matched = false;

        for (i = 0; i < n && !matched; i++) {
            if (want[i].seen || want[i].action != res->action ||
                strcmp(want[i].pod, res->pod) != 0)
                continue;
            if (want[i].address &&
                (res->service->nnodes < 1 ||
                 strcmp(res->service->nodes[0]->address, want[i].address)))
                continue;
            want[i].seen = true;
            matched = true;
        }
        if (!matched)
            fail_msg("unexpected result: action %d on %s", (int)res->action,
                     res->pod);
        kreg_result_free(res);
    }
}

/* ---- Create, update, delete --------------------------------------------*/

static void test_e2e_watch_reports_first_register_as_create(void **state)
{
    struct e2e *t = *state;
    kreg_watch *one;
    kreg_watch *all;
    struct kreg_result *res;

    seed_pods(t, 1);
    one = e2e_watch(t, "greeter");
    all = e2e_watch(t, NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    res = e2e_next(one);
    assert_int_equal(res->action, KREG_ACTION_CREATE);
    assert_string_equal(res->pod, "pod-a");
    assert_string_equal(res->service->name, "greeter");
    assert_string_equal(res->service->version, "1");
    assert_string_equal(res->service->nodes[0]->address, "10.0.0.1:80");
    kreg_result_free(res);
    e2e_expect(all, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
}

static void test_e2e_watch_does_not_report_the_initial_state(void **state)
{
    struct e2e *t = *state;
    kreg_watch *w;

    seed_pods(t, 2);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    w = e2e_watch(t, "greeter");
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-b", "10.0.0.2:80");
}

static void
test_e2e_watch_updates_only_when_annotation_text_changes(void **state)
{
    struct e2e *t = *state;
    kreg_watch *one;
    kreg_watch *all;

    seed_pods(t, 1);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    one = e2e_watch(t, "greeter");
    all = e2e_watch(t, NULL);
    /* silent: the same bytes again (no server event), a label, another
     * annotation (MODIFIED events that leave the service text alone) */
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_edit_meta(t, "pod-a", "{\"labels\":{\"app\":\"web\"}}");
    e2e_edit_meta(t, "pod-a", "{\"annotations\":{\"owner\":\"x\"}}");
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:81");
    e2e_expect(one, KREG_ACTION_UPDATE, "pod-a", "10.0.0.1:81");
    e2e_expect(all, KREG_ACTION_UPDATE, "pod-a", "10.0.0.1:81");
}

static void test_e2e_watch_reports_deregister_as_delete(void **state)
{
    struct e2e *t = *state;
    kreg_watch *one;
    kreg_watch *all;

    seed_pods(t, 1);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_register_as(t, "pod-a", "other", "1", "10.0.0.1:90");
    one = e2e_watch(t, "greeter");
    all = e2e_watch(t, NULL);
    /* a selector watch sees DELETED, the global one MODIFIED */
    e2e_deregister_as(t, "pod-a", "greeter");
    e2e_expect(one, KREG_ACTION_DELETE, "pod-a", "10.0.0.1:80");
    e2e_expect(all, KREG_ACTION_DELETE, "pod-a", "10.0.0.1:80");
    e2e_deregister_as(t, "pod-a", "other");
    e2e_expect(all, KREG_ACTION_DELETE, "pod-a", "10.0.0.1:90");
}

static void test_e2e_watch_reports_pod_deletion_as_delete(void **state)
{
    struct e2e *t = *state;
    kreg_watch *one;
    kreg_watch *all;

    seed_pods(t, 1);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    one = e2e_watch(t, "greeter");
    all = e2e_watch(t, NULL);
    e2e_remove_pod(t, "pod-a");
    e2e_expect(one, KREG_ACTION_DELETE, "pod-a", "10.0.0.1:80");
    e2e_expect(all, KREG_ACTION_DELETE, "pod-a", "10.0.0.1:80");
}

static void test_e2e_watch_reports_leaving_running_as_delete(void **state)
{
    static const char *const phases[] = {"Succeeded", "Failed", "Pending",
                                         "Unknown"};
    struct e2e *t = *state;
    kreg_watch *w;
    size_t i;

    seed_pods(t, 1);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    w = e2e_watch(t, "greeter");
    for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
        e2e_set_phase(t, "pod-a", phases[i]);
        e2e_expect(w, KREG_ACTION_DELETE, "pod-a", "10.0.0.1:80");
        /* back to Running: it serves again */
        e2e_set_phase(t, "pod-a", "Running");
        e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
    }
}

/* A watcher with @p q, freed by the teardown. */
static kreg_watch *watch_q(struct e2e *t, const char *name,
                           const struct kreg_query *q)
{
    struct kreg_error err;
    kreg_watch *w = NULL;
    size_t i;

    memset(&err, 0, sizeof(err));
    if (kreg_watch_new_q(t->r, name, q, KREG_QUERY_SIZE, &w, &err) != KREG_OK)
        fail_msg("watch: %s", err.text);
    for (i = 0; i < E2E_WATCHES && t->watches[i]; i++)
        ;
    assert_true(i < E2E_WATCHES);
    t->watches[i] = w; /* the teardown frees it */
    return w;
}

/*
 * kreg_query.ready_only: a Running pod becoming Ready is a create of its
 * services, becoming unready a delete; a pod not Ready is not in the
 * watcher's initial state, and registering on it is silent. A watcher
 * without ready_only sees none of these condition changes.
 */
static void test_e2e_watch_ready_only(void **state)
{
    struct kreg_query q = {.ready_only = true};
    struct e2e *t = *state;
    kreg_watch *ready;
    kreg_watch *ready_all;
    kreg_watch *plain;

    seed_pods(t, 2);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    ready = watch_q(t, "greeter", &q);
    ready_all = watch_q(t, NULL, &q);
    plain = e2e_watch(t, "greeter");

    e2e_set_ready(t, "pod-a", "True");
    e2e_expect(ready, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
    e2e_expect(ready_all, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
    e2e_set_ready(t, "pod-a", "False");
    e2e_expect(ready, KREG_ACTION_DELETE, "pod-a", "10.0.0.1:80");
    e2e_expect(ready_all, KREG_ACTION_DELETE, "pod-a", "10.0.0.1:80");

    /* silent for the ready watchers: pod-b is not Ready (a report would
     * come first, with the first address) */
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_expect(plain, KREG_ACTION_CREATE, "pod-b", "10.0.0.2:80");
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:81");
    e2e_expect(plain, KREG_ACTION_UPDATE, "pod-b", "10.0.0.2:81");
    e2e_set_ready(t, "pod-b", "True");
    e2e_expect(ready, KREG_ACTION_CREATE, "pod-b", "10.0.0.2:81");
    e2e_expect(ready_all, KREG_ACTION_CREATE, "pod-b", "10.0.0.2:81");
    /* a Ready pod leaving Running is a delete too; the plain watcher saw
     * no condition change (this is its next result) */
    e2e_set_phase(t, "pod-b", "Failed");
    e2e_expect(ready, KREG_ACTION_DELETE, "pod-b", "10.0.0.2:81");
    e2e_expect(plain, KREG_ACTION_DELETE, "pod-b", "10.0.0.2:81");
}

static void test_e2e_watch_one_service_ignores_the_others(void **state)
{
    struct e2e *t = *state;
    kreg_watch *w;

    seed_pods(t, 2);
    w = e2e_watch(t, "foo/bar");
    e2e_register_as(t, "pod-a", "other", "1", "10.0.0.1:80");
    /* same keys as foo/bar (docs/go-micro-wire.md, Name encoding), another
     * name: not ours */
    e2e_register_as(t, "pod-a", "foo:bar", "1", "10.0.0.1:81");
    e2e_register_as(t, "pod-b", "foo/bar", "1", "10.0.0.2:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-b", "10.0.0.2:80");
}

/* ---- Cuts and 410 ------------------------------------------------------*/

static void
test_e2e_watch_resumes_after_stream_cut_without_loss_or_repeat(void **state)
{
    struct e2e *t = *state;
    kreg_watch *w;

    seed_pods(t, 5);
    w = e2e_watch(t, NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");

    assert_true(fakeapi_close_watches(t->srv) >= 1);
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_register_as(t, "pod-c", "greeter", "1", "10.0.0.3:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-b", "10.0.0.2:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-c", "10.0.0.3:80");
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:81");
    e2e_expect(w, KREG_ACTION_UPDATE, "pod-a", "10.0.0.1:81");

    /* resumed from the last resourceVersion seen, not an older one: an
     * older one would replay pod-a's :80 as an update */
    assert_true(fakeapi_close_watches(t->srv) >= 1);
    e2e_register_as(t, "pod-d", "greeter", "1", "10.0.0.4:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-d", "10.0.0.4:80");

    /* cut off for a while: what changed meanwhile comes once */
    disconnect(t->srv);
    e2e_put_raw(t->srv, "pod-a", "greeter", "10.0.0.1:82");
    e2e_put_raw(t->srv, "pod-b", "greeter", NULL);
    fakeapi_faults_clear(t->srv);
    e2e_expect(w, KREG_ACTION_UPDATE, "pod-a", "10.0.0.1:82");
    e2e_expect(w, KREG_ACTION_DELETE, "pod-b", "10.0.0.2:80");

    e2e_register_as(t, "pod-e", "greeter", "1", "10.0.0.5:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-e", "10.0.0.5:80");
    /* it resumed from resourceVersions: one list, at the start */
    assert_int_equal(lists_logged(t->srv), 1);
}

/*
 * While the watcher is cut off the history is compacted, so its resume
 * gets the 410 ERROR event; it re-lists and reports exactly what differs
 * from what it had reported: a change made and undone, a label, and a pod
 * that came and went while it was away leave no trace.
 */
static void
test_e2e_watch_relists_after_410_reporting_only_the_difference(void **state)
{
    struct e2e *t = *state;
    struct want want[] = {
        {KREG_ACTION_UPDATE, "pod-a", "10.0.0.1:81", false},
        {KREG_ACTION_DELETE, "pod-b", "10.0.0.2:80", false},
        {KREG_ACTION_CREATE, "pod-c", "10.0.0.3:80", false},
        {KREG_ACTION_DELETE, "pod-f", "10.0.0.6:80", false},
    };
    kreg_watch *w;

    seed_pods(t, 8);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_register_as(t, "pod-d", "greeter", "1", "10.0.0.4:80");
    e2e_register_as(t, "pod-e", "greeter", "1", "10.0.0.5:80");
    e2e_register_as(t, "pod-f", "greeter", "1", "10.0.0.6:80");
    w = e2e_watch(t, NULL);
    /* a result proves the stream is open */
    e2e_register_as(t, "pod-g", "greeter", "1", "10.0.0.7:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-g", "10.0.0.7:80");

    disconnect(t->srv);
    e2e_put_raw(t->srv, "pod-a", "greeter", "10.0.0.1:81");
    e2e_put_raw(t->srv, "pod-b", "greeter", NULL);
    e2e_put_raw(t->srv, "pod-c", "greeter", "10.0.0.3:80");
    e2e_edit_meta(t, "pod-d", "{\"labels\":{\"app\":\"web\"}}");
    e2e_put_raw(t->srv, "pod-e", "greeter", "10.0.0.5:81");
    e2e_put_raw(t->srv, "pod-e", "greeter", "10.0.0.5:80");
    e2e_set_phase(t, "pod-f", "Failed");
    e2e_put_raw(t->srv, "pod-h", "greeter", "10.0.0.8:80");
    e2e_put_raw(t->srv, "pod-h", "greeter", NULL);
    fakeapi_compact(t->srv);
    fakeapi_faults_clear(t->srv);

    expect_set(w, want, sizeof(want) / sizeof(want[0]));
    /* nothing more: the next result is the next change */
    e2e_register_as(t, "pod-g", "greeter", "1", "10.0.0.7:81");
    e2e_expect(w, KREG_ACTION_UPDATE, "pod-g", "10.0.0.7:81");
    assert_int_equal(lists_logged(t->srv), 2);
}

/* docs/kubernetes-api.md, Watch: an HTTP 410 on the watch request means the
 * same as the ERROR event: re-list (and report nothing when nothing
 * changed). */
static void test_e2e_watch_relists_after_http_410(void **state)
{
    struct e2e *t = *state;
    struct fakeapi_fault f;
    kreg_watch *w;

    seed_pods(t, 2);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    w = e2e_watch(t, "greeter");
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-b", "10.0.0.2:80");

    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_STATUS;
    f.method = "GET";
    f.path = PODS_PATH;
    f.status = 410;
    f.reason = "Expired";
    f.message = "too old resource version: 1 (2)";
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    assert_true(fakeapi_close_watches(t->srv) >= 1);

    e2e_put_raw(t->srv, "pod-b", "greeter", "10.0.0.2:81");
    e2e_expect(w, KREG_ACTION_UPDATE, "pod-b", "10.0.0.2:81");
    assert_int_equal(lists_logged(t->srv), 2);
}

/* ---- Stop --------------------------------------------------------------*/

struct waiter {
    kreg_watch *w;
    int rc;
    struct kreg_result *res;
};

static void *waiter_main(void *arg)
{
    struct waiter *wt = arg;

    wt->rc = kreg_watch_next(wt->w, -1, &wt->res, NULL);
    return NULL;
}

static void test_e2e_watch_stop_from_another_thread_wakes_next(void **state)
{
    struct e2e *t = *state;
    struct waiter wt;
    struct kreg_result *res = NULL;
    pthread_t th;

    seed_pods(t, 1);
    memset(&wt, 0, sizeof(wt));
    wt.w = e2e_watch(t, NULL);
    assert_int_equal(pthread_create(&th, NULL, waiter_main, &wt), 0);
    kreg_watch_stop(wt.w);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(wt.rc, KREG_E_STOPPED);
    assert_null(wt.res);
    assert_int_equal(kreg_watch_next(wt.w, 0, &res, NULL), KREG_E_STOPPED);
    assert_null(res);
    e2e_watch_free(t, wt.w);
}

static void test_e2e_watch_free_ends_an_open_stream(void **state)
{
    struct e2e *t = *state;
    kreg_watch *w;

    seed_pods(t, 1);
    w = e2e_watch(t, NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
    assert_int_equal(fakeapi_watch_count(t->srv), 1);
    e2e_watch_free(t, w);
    kreg_watch_free(NULL);
}

/* Skipped annotations a watcher reported (kreg_query.on_skip). */
struct skips {
    pthread_mutex_t mu;
    size_t n;
    char last[256]; /* "pod key: why" */
};

static void count_skip(void *ctx, const char *pod, const char *key,
                       const char *why)
{
    struct skips *k = ctx;

    pthread_mutex_lock(&k->mu);
    k->n++;
    snprintf(k->last, sizeof(k->last), "%s %s: %s", pod, key, why);
    pthread_mutex_unlock(&k->mu);
}

static size_t skips_seen(struct skips *k)
{
    size_t n;

    pthread_mutex_lock(&k->mu);
    n = k->n;
    pthread_mutex_unlock(&k->mu);
    return n;
}

/* Set annotation micro.mu/service-broken of pod-a to @p text. */
static void put_broken(struct e2e *t, const char *text)
{
    json_t *meta =
        json_pack("{s:{s:s}}", "annotations", "micro.mu/service-broken", text);
    char *body = json_dumps(meta, JSON_COMPACT);

    json_decref(meta);
    assert_non_null(body);
    e2e_edit_meta(t, "pod-a", body);
    free(body);
}

/*
 * An annotation that does not decode is reported once, when first seen
 * (here: in the first list), not again when the pod changes otherwise,
 * and again when its text changes; the watch goes on meanwhile.
 */
static void test_e2e_watch_reports_a_skipped_annotation_once(void **state)
{
    struct e2e *t = *state;
    struct skips k;
    struct kreg_query q;
    struct kreg_error err;
    kreg_watch *w = NULL;
    size_t i;

    memset(&k, 0, sizeof(k));
    pthread_mutex_init(&k.mu, NULL);
    memset(&q, 0, sizeof(q));
    q.on_skip = count_skip;
    q.ctx = &k;
    memset(&err, 0, sizeof(err));
    e2e_add_pod(t, "pod-a", "Running",
                "{\"labels\":{\"micro.mu/type\":\"service\"},\"annotations\":"
                "{\"micro.mu/service-broken\":\"{not json\"}}");
    seed_pods_from(t, 'b', 2);
    if (kreg_watch_new_ex(t->r, NULL, &q, &w, &err) != KREG_OK)
        fail_msg("watch: %s", err.text);
    for (i = 0; i < E2E_WATCHES && t->watches[i]; i++)
        ;
    t->watches[i] = w; /* the teardown frees it */
    assert_int_equal(skips_seen(&k), 1);
    assert_string_equal(k.last, "pod-a micro.mu/service-broken: service json: "
                                "offset 1: invalid character 'n' looking for "
                                "beginning of object key string");

    /* pod-a changes, not its annotation: no report (the create after it
     * shows the change was seen: results come in order) */
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
    assert_int_equal(skips_seen(&k), 1);

    put_broken(t, "{\"name\":");
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-b", "10.0.0.2:80");
    assert_int_equal(skips_seen(&k), 2);
    pthread_mutex_destroy(&k.mu);
}

/*
 * A server that accepts the watch request and then says nothing (here:
 * a latency fault far beyond the hang guard) cannot freeze the watcher:
 * with kreg_query.watch_timeout_s 1 a stream silent for 2 s is dropped and
 * resumed.
 */
static void test_e2e_watch_resumes_after_a_silent_stream(void **state)
{
    struct e2e *t = *state;
    struct kreg_query q;
    struct kreg_error err;
    struct fakeapi_fault f;
    kreg_watch *w = NULL;
    size_t i;

    memset(&err, 0, sizeof(err));
    seed_pods(t, 1);
    memset(&q, 0, sizeof(q));
    q.watch_timeout_s = 1;
    if (kreg_watch_new_ex(t->r, NULL, &q, &w, &err) != KREG_OK)
        fail_msg("watch: %s", err.text);
    for (i = 0; i < E2E_WATCHES && t->watches[i]; i++)
        ;
    t->watches[i] = w; /* the teardown frees it */
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");

    /* the next GET, a watch request (nothing else lists from now on;
     * the change below is a PATCH), is held for twice the hang guard */
    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_LATENCY;
    f.method = "GET";
    f.path = PODS_PATH;
    f.latency_ms = 2 * E2E_GUARD_MS;
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    fakeapi_close_watches(t->srv);
    e2e_put_raw(t->srv, "pod-a", "greeter", "10.0.0.1:81");
    e2e_expect(w, KREG_ACTION_UPDATE, "pod-a", "10.0.0.1:81");
}

int main(void)
{
    const struct e2e_test tests[] = {
        E2E_TEST(test_e2e_watch_reports_first_register_as_create),
        E2E_TEST(test_e2e_watch_does_not_report_the_initial_state),
        E2E_TEST(test_e2e_watch_updates_only_when_annotation_text_changes),
        E2E_TEST(test_e2e_watch_reports_deregister_as_delete),
        E2E_TEST(test_e2e_watch_reports_pod_deletion_as_delete),
        E2E_TEST(test_e2e_watch_reports_leaving_running_as_delete),
        E2E_TEST(test_e2e_watch_ready_only),
        E2E_TEST(test_e2e_watch_one_service_ignores_the_others),
        E2E_FAKE_TEST(
            test_e2e_watch_resumes_after_stream_cut_without_loss_or_repeat,
            "closing watches, a drop fault, the request log"),
        E2E_FAKE_TEST(
            test_e2e_watch_relists_after_410_reporting_only_the_difference,
            "a drop fault, compacting the history, the request log"),
        E2E_FAKE_TEST(test_e2e_watch_relists_after_http_410,
                      "a 410 fault, the request log"),
        E2E_TEST(test_e2e_watch_stop_from_another_thread_wakes_next),
        E2E_FAKE_TEST(test_e2e_watch_free_ends_an_open_stream,
                      "its count of open watches"),
        E2E_FAKE_TEST(test_e2e_watch_resumes_after_a_silent_stream,
                      "a latency fault"),
        E2E_TEST(test_e2e_watch_reports_a_skipped_annotation_once),
    };

    return e2e_run_group("e2e_watch", tests, sizeof(tests) / sizeof(tests[0]));
}
