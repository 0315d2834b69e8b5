/*
 * kreg_cache_*() against fakeapi or a cluster (e2e.h; issue 14): the cache
 * answers what kreg_get_service_q() answers on a settled cluster (the same
 * lists, the same KREG_E_NOT_FOUND and KREG_E_NAME, the same ready_only
 * rule), follows registers, deregisters, phase and readiness changes, says
 * when it is stale (a stream held silent) and stops answering when the
 * watch ends for good.
 *
 * Nothing sleeps to let time pass: each step waits, with a guard, until the
 * cache's answers equal the server's, re-checking after each on_change.
 */
#include "e2e.h"
#include "e2e_cache.h"

#define PODS_PATH "/api/v1/namespaces/default/pods"

/* ---- Set-up ------------------------------------------------------------*/

/* A cache on t->r with every callback reporting to @p s. */
static kreg_cache *cache_on(kreg *r, struct e2e_seen *s, bool ready_only,
                            unsigned stale_ms, bool stale_fails)
{
    struct kreg_query q;
    struct kreg_cache_options o;
    struct kreg_error err;
    kreg_cache *c = NULL;

    memset(&q, 0, sizeof(q));
    memset(&o, 0, sizeof(o));
    memset(&err, 0, sizeof(err));
    q.on_skip = e2e_seen_skip;
    q.ctx = s;
    q.ready_only = ready_only;
    o.on_change = e2e_seen_change;
    o.on_stale = e2e_seen_stale;
    o.ctx = s;
    o.stale_ms = stale_ms;
    o.stale_fails = stale_fails;
    if (kreg_cache_new(r, &q, KREG_QUERY_SIZE, &o, KREG_CACHE_OPTIONS_SIZE, &c,
                       &err) != KREG_OK)
        fail_msg("kreg_cache_new: %s", err.text);
    assert_non_null(c);
    return c;
}

/* Metadata registering @p name / @p version at @p address, as JSON object
 * text (new): the labels and annotation kreg_register() writes. */
static char *service_meta(const char *name, const char *version,
                          const char *address)
{
    struct kreg_service *s = e2e_service(name, version, "n1", address);
    char enc[64];
    char sel[128];
    char key[128];
    char *json = NULL;
    char *text;
    json_t *m;

    assert_int_equal(kreg_name_encode(name, enc, sizeof(enc), NULL), KREG_OK);
    assert_int_equal(kreg_service_encode(s, KREG_WIRE_V2, &json, NULL, NULL),
                     KREG_OK);
    kreg_service_free(s);
    snprintf(sel, sizeof(sel), "micro.mu/selector-%s", enc);
    snprintf(key, sizeof(key), "micro.mu/service-%s", enc);
    m = json_pack("{s:{s:s,s:s},s:{s:s}}", "labels", "micro.mu/type", "service",
                  sel, "service", "annotations", key, json);
    free(json);
    assert_non_null(m);
    text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    assert_non_null(text);
    return text;
}

/* Fail unless the cache answers as the server for @p names now. */
static void check_same(kreg *r, kreg_cache *c, const char *const *names,
                       bool ready_only)
{
    char *diff = NULL;

    if (!e2e_same_answers(r, c, names, ready_only, &diff))
        fail_msg("the cache does not answer as the server: %s", diff);
    free(diff);
}

/* The first node's address of version @p v of the answer for @p name. */
static void expect_nodes(kreg_cache *c, const char *name, size_t versions,
                         size_t v, size_t nodes, const char *first_address)
{
    const struct kreg_service_list *l = NULL;

    assert_int_equal(kreg_cache_get(c, name, &l, NULL), KREG_OK);
    assert_int_equal(l->count, versions);
    if (versions > 0) {
        assert_int_equal(l->items[v]->nnodes, nodes);
        assert_string_equal(l->items[v]->nodes[0]->address, first_address);
    }
    kreg_cache_list_free(l);
}

/* ---- Tests -------------------------------------------------------------*/

static void
test_e2e_cache_answers_as_get_service_on_a_settled_cluster(void **state)
{
    static const char *const names[] = {"greeter", "lonely",  "ghost",
                                        "broken",  "foo/bar", "foo:bar",
                                        "nosuch",  NULL};
    struct e2e *t = *state;
    const struct kreg_service_list *l = NULL;
    struct e2e_seen s;
    kreg_cache *c;
    char *meta;

    e2e_seen_init(&s);
    /* pods made out of name order: answers follow the names */
    e2e_add_pod(t, "pod-c", "Running", NULL);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(t, "pod-b", "Running", NULL);
    e2e_add_pod(t, "pod-d", "Pending", NULL);
    e2e_register_as(t, "pod-c", "greeter", "1.0", "10.0.0.3:80");
    e2e_register_as(t, "pod-b", "greeter", "2.0", "10.0.0.2:80");
    e2e_register_as(t, "pod-a", "greeter", "1.0", "10.0.0.1:80");
    e2e_register_as(t, "pod-d", "lonely", "1", "10.0.0.4:80");
    /* names that encode alike: one key, two services */
    e2e_register_as(t, "pod-a", "foo/bar", "1", "10.0.1.1:80");
    e2e_register_as(t, "pod-b", "foo:bar", "1", "10.0.1.2:80");
    meta = service_meta("ghost", "1", "10.0.2.1:80");
    e2e_add_terminating_pod(t, "pod-t", "Running", meta);
    free(meta);
    e2e_add_pod(t, "pod-e", "Running",
                "{\"labels\":{\"micro.mu/type\":\"service\","
                "\"micro.mu/selector-broken\":\"service\"},"
                "\"annotations\":{\"micro.mu/service-broken\":\"{not json\"}}");
    c = cache_on(t->r, &s, false, 0, false);
    check_same(t->r, c, names, false);
    /* versions in the order of their first pod, nodes in pod order */
    assert_int_equal(kreg_cache_get(c, "greeter", &l, NULL), KREG_OK);
    assert_int_equal(l->count, 2);
    assert_string_equal(l->items[0]->version, "1.0");
    assert_int_equal(l->items[0]->nnodes, 2);
    assert_string_equal(l->items[0]->nodes[0]->address, "10.0.0.1:80");
    assert_string_equal(l->items[0]->nodes[1]->address, "10.0.0.3:80");
    assert_string_equal(l->items[1]->version, "2.0");
    kreg_cache_list_free(l);
    expect_nodes(c, "foo/bar", 1, 0, 1, "10.0.1.1:80");
    expect_nodes(c, "foo:bar", 1, 0, 1, "10.0.1.2:80");
    /* pods carry these, none serves: an empty answer, not "not found" */
    expect_nodes(c, "lonely", 0, 0, 0, NULL);
    expect_nodes(c, "ghost", 0, 0, 0, NULL);
    expect_nodes(c, "broken", 0, 0, 0, NULL);
    assert_int_equal(kreg_cache_get(c, "nosuch", &l, NULL), KREG_E_NOT_FOUND);
    assert_null(l);
    /* the annotation that does not decode was reported */
    assert_true(s.skips >= 1);
    assert_string_equal(s.skip_key, "micro.mu/service-broken");
    kreg_cache_free(c);
    e2e_seen_release(&s);
}

static void test_e2e_cache_follows_registers_phases_and_deletes(void **state)
{
    static const char *const names[] = {"greeter", "other", "third", NULL};
    struct e2e *t = *state;
    const struct kreg_service_list *l = NULL;
    struct e2e_seen s;
    kreg_cache *c;

    e2e_seen_init(&s);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(t, "pod-b", "Running", NULL);
    c = cache_on(t->r, &s, false, 0, false);
    check_same(t->r, c, names, false);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_wait_same(&s, t->r, c, names, false);
    expect_nodes(c, "greeter", 1, 0, 1, "10.0.0.1:80");
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_wait_same(&s, t->r, c, names, false);
    expect_nodes(c, "greeter", 1, 0, 2, "10.0.0.1:80");
    e2e_register_as(t, "pod-a", "greeter", "2", "10.0.0.1:81");
    e2e_register_as(t, "pod-b", "other", "1", "10.0.0.2:90");
    e2e_wait_same(&s, t->r, c, names, false);
    expect_nodes(c, "greeter", 2, 1, 1, "10.0.0.2:80");
    e2e_set_phase(t, "pod-b", "Pending");
    e2e_wait_same(&s, t->r, c, names, false);
    expect_nodes(c, "other", 0, 0, 0, NULL);
    e2e_set_phase(t, "pod-b", "Running");
    e2e_wait_same(&s, t->r, c, names, false);
    e2e_deregister_as(t, "pod-a", "greeter");
    e2e_wait_same(&s, t->r, c, names, false);
    expect_nodes(c, "greeter", 1, 0, 1, "10.0.0.2:80");
    e2e_remove_pod(t, "pod-b");
    e2e_wait_same(&s, t->r, c, names, false);
    assert_int_equal(kreg_cache_get(c, "other", &l, NULL), KREG_E_NOT_FOUND);
    /* each change was told by name */
    assert_true(s.named >= 6);
    /* a label alone: "no instance", and a change told without a name */
    e2e_edit_meta(t, "pod-a",
                  "{\"labels\":{\"micro.mu/selector-third\":\"service\"}}");
    e2e_wait_same(&s, t->r, c, names, false);
    expect_nodes(c, "third", 0, 0, 0, NULL);
    assert_true(s.changes > s.named);
    kreg_cache_free(c);
    e2e_seen_release(&s);
}

static void test_e2e_cache_ready_only_keeps_ready_pods(void **state)
{
    static const char *const names[] = {"greeter", NULL};
    struct e2e *t = *state;
    struct e2e_seen s;
    kreg_cache *c;

    e2e_seen_init(&s);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(t, "pod-b", "Running", NULL);
    e2e_add_pod(t, "pod-c", "Running", NULL);
    e2e_set_ready(t, "pod-a", "True");
    e2e_set_ready(t, "pod-c", "False");
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_register_as(t, "pod-c", "greeter", "1", "10.0.0.3:80");
    c = cache_on(t->r, &s, true, 0, false);
    check_same(t->r, c, names, true);
    expect_nodes(c, "greeter", 1, 0, 1, "10.0.0.1:80");
    /* becoming Ready serves, becoming unready stops */
    e2e_set_ready(t, "pod-b", "True");
    e2e_wait_same(&s, t->r, c, names, true);
    expect_nodes(c, "greeter", 1, 0, 2, "10.0.0.1:80");
    e2e_set_ready(t, "pod-a", "False");
    e2e_wait_same(&s, t->r, c, names, true);
    expect_nodes(c, "greeter", 1, 0, 1, "10.0.0.2:80");
    e2e_set_ready(t, "pod-b", "False");
    e2e_wait_same(&s, t->r, c, names, true);
    expect_nodes(c, "greeter", 0, 0, 0, NULL);
    kreg_cache_free(c);
    e2e_seen_release(&s);
}

static void test_e2e_cache_ready_only_reports_malformed_conditions(void **state)
{
    static const char *const names[] = {"greeter", NULL};
    static const char pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
        "\"pod-m\",\"namespace\":\"default\",\"labels\":{\"micro.mu/type\":"
        "\"service\",\"micro.mu/selector-greeter\":\"service\"},"
        "\"annotations\":{\"micro.mu/service-greeter\":\"{\\\"name\\\":"
        "\\\"greeter\\\",\\\"version\\\":\\\"1\\\",\\\"nodes\\\":[{\\\"id\\\":"
        "\\\"m\\\",\\\"address\\\":\\\"10.0.0.9:80\\\"}]}\"}},"
        "\"spec\":" E2E_SPEC ",\"status\":{\"phase\":\"Running\","
        "\"conditions\":[{\"type\":\"Ready\"}]}}";
    struct e2e *t = *state;
    struct e2e_seen s;
    kreg_cache *c;

    e2e_seen_init(&s);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_set_ready(t, "pod-a", "True");
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    assert_int_equal(fakeapi_seed_json(t->srv, pod, strlen(pod), NULL),
                     FAKEAPI_OK);
    c = cache_on(t->r, &s, true, 0, false);
    check_same(t->r, c, names, true);
    expect_nodes(c, "greeter", 1, 0, 1, "10.0.0.1:80");
    /* the malformed pod counts as not ready, and says so */
    assert_int_equal(s.skips, 1);
    assert_string_equal(s.skip_key, "micro.mu/service-greeter");
    assert_true(strncmp(s.skip_why, "pod not ready: ", 15) == 0);
    kreg_cache_free(c);
    e2e_seen_release(&s);
}

/* How long the stale test's cache may go without news. */
#define STALE_MS 1000u

static void test_e2e_cache_reports_a_stream_held_silent_as_stale(void **state)
{
    static const char *const names[] = {"greeter", NULL};
    struct e2e *t = *state;
    const struct kreg_service_list *l = NULL;
    struct fakeapi_fault f;
    struct e2e_seen s;
    kreg_cache *c;
    int64_t until;
    unsigned i = 0;

    e2e_seen_init(&s);
    e2e_seed(t->srv, "pod-a", "Running", NULL);
    c = cache_on(t->r, &s, false, STALE_MS, true);
    /* live: a change at a time, each waited for, for twice stale_ms */
    until = e2e_now_ms() + 2 * (int64_t)STALE_MS;
    while (e2e_now_ms() < until) {
        char addr[32];

        snprintf(addr, sizeof(addr), "10.0.0.1:%u", 1000 + i++);
        e2e_register_on(t->srv, "pod-a", "greeter", "1", addr);
        e2e_wait_same(&s, t->r, c, names, false);
    }
    assert_int_equal(s.stale, 0);
    /* held: the next watch request is answered three stale_ms late (the
     * register is a PATCH: it passes) */
    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_LATENCY;
    f.method = "GET";
    f.path = PODS_PATH;
    f.count = 1;
    f.latency_ms = 3 * STALE_MS;
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    (void)fakeapi_close_watches(t->srv); /* or the next one is held */
    e2e_register_on(t->srv, "pod-a", "greeter", "2", "10.0.0.1:2000");
    e2e_seen_wait(&s, &s.stale, 0, "stale report");
    assert_true(s.stale_age >= STALE_MS);
    assert_true(kreg_cache_age_ms(c) >= STALE_MS);
    /* stale_fails: the old answer is not passed off as current */
    assert_int_equal(kreg_cache_get(c, "greeter", &l, NULL), KREG_E_TIMEOUT);
    assert_null(l);
    /* the stream comes back with the change: current again */
    e2e_seen_wait(&s, &s.fresh, 0, "report of a current view");
    e2e_wait_same(&s, t->r, c, names, false);
    expect_nodes(c, "greeter", 1, 0, 1, "10.0.0.1:2000");
    assert_int_equal(s.stale, 1);
    kreg_cache_free(c);
    e2e_seen_release(&s);
}

static void test_e2e_cache_stops_answering_when_the_watch_ends(void **state)
{
    struct e2e *t = *state;
    const struct kreg_service_list *l = NULL;
    struct fakeapi_fault f;
    struct kreg_error err;
    struct e2e_seen s;
    kreg_cache *c;

    e2e_seen_init(&s);
    e2e_seed(t->srv, "pod-a", "Running", NULL);
    e2e_register_on(t->srv, "pod-a", "greeter", "1", "10.0.0.1:80");
    c = cache_on(t->r, &s, false, 0, false);
    expect_nodes(c, "greeter", 1, 0, 1, "10.0.0.1:80");
    /* RBAC takes the watch away: a 403 ends a watch for good */
    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_STATUS;
    f.method = "GET";
    f.path = PODS_PATH;
    f.count = 1000;
    f.status = 403;
    f.message = "pods is forbidden: User \"x\" cannot watch resource \"pods\"";
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    /* (no stream may be open yet: the next one meets the fault then) */
    (void)fakeapi_close_watches(t->srv);
    /* told at once, without waiting for stale_ms (150 s) */
    e2e_seen_wait(&s, &s.stale, 0, "stale report");
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_cache_get(c, "greeter", &l, &err), KREG_E_FORBIDDEN);
    assert_null(l);
    assert_int_equal(err.http_status, 403);
    assert_non_null(strstr(err.text, "cannot watch"));
    fakeapi_faults_clear(t->srv);
    kreg_cache_free(c);
    e2e_seen_release(&s);
}

static void test_e2e_cache_empties_when_its_namespace_is_deleted(void **state)
{
    static const char *const names[] = {"greeter", NULL};
    struct e2e *t = *state;
    const struct kreg_service_list *l = NULL;
    struct kreg_service *svc;
    struct e2e_seen s;
    kreg_cache *c;
    kreg *r;

    e2e_seen_init(&s);
    assert_int_equal(fakeapi_create_namespace(t->srv, "doomed", NULL),
                     FAKEAPI_OK);
    e2e_seed_ns(t->srv, "doomed", "pod-x", "Running", NULL);
    r = e2e_handle_ns(t->srv, "doomed", "pod-x");
    svc = e2e_service("greeter", "1", "pod-x", "10.0.0.1:80");
    assert_int_equal(kreg_register(r, svc, NULL), KREG_OK);
    kreg_service_free(svc);
    c = cache_on(r, &s, false, 0, false);
    expect_nodes(c, "greeter", 1, 0, 1, "10.0.0.1:80");
    assert_int_equal(
        e2e_http(t->srv, "DELETE", "/api/v1/namespaces/doomed", NULL, NULL),
        200);
    /* its pods are deleted: "not found", as kreg_get_service() says, from
     * a view that is still current (not an old answer, not an error) */
    e2e_wait_same(&s, r, c, names, false);
    assert_int_equal(kreg_cache_get(c, "greeter", &l, NULL), KREG_E_NOT_FOUND);
    assert_int_equal(s.stale, 0);
    kreg_cache_free(c);
    kreg_free(r);
    e2e_seen_release(&s);
}

static void test_e2e_cache_first_list_failing_is_an_error(void **state)
{
    struct e2e *t = *state;
    struct fakeapi_fault f;
    struct kreg_error err;
    kreg_cache *c = NULL;

    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_STATUS;
    f.method = "GET";
    f.path = PODS_PATH;
    f.status = 403;
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_cache_new(t->r, NULL, 0, NULL, 0, &c, &err),
                     KREG_E_FORBIDDEN);
    assert_null(c);
    assert_int_equal(err.http_status, 403);
}

static void test_e2e_cache_refuses_names_that_cannot_be_encoded(void **state)
{
    char long_name[64];
    const char *const bad[] = {"", "bad-", "x/", long_name};
    struct e2e *t = *state;
    const struct kreg_service_list *l = NULL;
    struct kreg_service_list *sl = NULL;
    struct kreg_error e1;
    struct kreg_error e2;
    struct e2e_seen s;
    kreg_cache *c;
    size_t i;

    e2e_seen_init(&s);
    memset(long_name, 'a', 55);
    long_name[55] = '\0';
    c = cache_on(t->r, &s, false, 0, false);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&e1, 0, sizeof(e1));
        memset(&e2, 0, sizeof(e2));
        assert_int_equal(kreg_get_service(t->r, bad[i], &sl, &e1), KREG_E_NAME);
        assert_int_equal(kreg_cache_get(c, bad[i], &l, &e2), KREG_E_NAME);
        assert_null(l);
        /* the same words, naming what is wrong */
        assert_string_equal(e2.text, e1.text);
    }
    assert_int_equal(kreg_cache_get(c, NULL, &l, NULL), KREG_E_INVALID);
    assert_int_equal(kreg_cache_get(c, "greeter", NULL, NULL), KREG_E_INVALID);
    assert_int_equal(kreg_cache_get(NULL, "greeter", &l, NULL), KREG_E_INVALID);
    assert_null(l);
    kreg_cache_free(c);
    e2e_seen_release(&s);
}

static void test_e2e_cache_lists_outlive_the_cache(void **state)
{
    struct e2e *t = *state;
    const struct kreg_service_list *l = NULL;
    struct kreg_service_list *copy;
    kreg_cache *c = NULL;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    assert_int_equal(kreg_cache_new(t->r, NULL, 0, NULL, 0, &c, NULL), KREG_OK);
    assert_int_equal(kreg_cache_get(c, "greeter", &l, NULL), KREG_OK);
    copy = kreg_service_list_dup(l);
    assert_non_null(copy);
    kreg_cache_free(c);
    /* still readable: the reference keeps the snapshot */
    assert_int_equal(l->count, 1);
    assert_string_equal(l->items[0]->nodes[0]->address, "10.0.0.1:80");
    kreg_cache_list_free(l);
    assert_int_equal(copy->count, 1);
    assert_string_equal(copy->items[0]->name, "greeter");
    assert_string_equal(copy->items[0]->nodes[0]->address, "10.0.0.1:80");
    kreg_service_list_free(copy);
    kreg_cache_list_free(NULL);
    kreg_cache_free(NULL);
    assert_null(kreg_service_list_dup(NULL));
}

static void test_e2e_cache_refuses_options_it_does_not_know(void **state)
{
    struct e2e *t = *state;
    struct {
        struct kreg_cache_options o;
        unsigned char later[16];
    } big;
    struct kreg_query q;
    kreg_cache *c = NULL;

    memset(&big, 0, sizeof(big));
    memset(&q, 0, sizeof(q));
    /* a later program's struct, its new members zero: fine */
    assert_int_equal(
        kreg_cache_new(t->r, NULL, 0, &big.o, sizeof(big), &c, NULL), KREG_OK);
    kreg_cache_free(c);
    c = NULL;
    /* ... with one set: refused, not ignored */
    big.later[3] = 1;
    assert_int_equal(
        kreg_cache_new(t->r, NULL, 0, &big.o, sizeof(big), &c, NULL),
        KREG_E_INVALID);
    assert_null(c);
    assert_int_equal(
        kreg_cache_new(t->r, NULL, 0, &big.o, sizeof(big.o) - 1, &c, NULL),
        KREG_E_INVALID);
    assert_int_equal(kreg_cache_new(t->r, &q, 4, NULL, 0, &c, NULL),
                     KREG_E_INVALID);
    assert_int_equal(kreg_cache_new(NULL, NULL, 0, NULL, 0, &c, NULL),
                     KREG_E_INVALID);
    assert_null(c);
}

int main(void)
{
    static const struct e2e_test tests[] = {
        E2E_TEST(test_e2e_cache_answers_as_get_service_on_a_settled_cluster),
        E2E_TEST(test_e2e_cache_follows_registers_phases_and_deletes),
        E2E_TEST(test_e2e_cache_ready_only_keeps_ready_pods),
        E2E_FAKE_TEST(test_e2e_cache_ready_only_reports_malformed_conditions,
                      "seeds a pod whose conditions a real server refuses"),
        E2E_FAKE_TEST(test_e2e_cache_reports_a_stream_held_silent_as_stale,
                      "a latency fault holds the watch"),
        E2E_FAKE_TEST(test_e2e_cache_stops_answering_when_the_watch_ends,
                      "a 403 fault ends the watch"),
        E2E_FAKE_TEST(test_e2e_cache_empties_when_its_namespace_is_deleted,
                      "deletes a namespace of its own making"),
        E2E_FAKE_TEST(test_e2e_cache_first_list_failing_is_an_error,
                      "a 403 fault on the first list"),
        E2E_TEST(test_e2e_cache_refuses_names_that_cannot_be_encoded),
        E2E_TEST(test_e2e_cache_lists_outlive_the_cache),
        E2E_TEST(test_e2e_cache_refuses_options_it_does_not_know),
    };

    return e2e_run_group("e2e_cache", tests, sizeof(tests) / sizeof(tests[0]));
}
