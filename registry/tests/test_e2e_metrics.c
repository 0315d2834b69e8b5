/*
 * kreg_metrics_get() and kreg_metrics_prometheus() against fakeapi or a
 * cluster (e2e.h; docs/metrics.md): for a known sequence of operations
 * the counts are exact (a register is one PATCH 200, a get one GET 200, a
 * 503 then a success two GETs and a retry, a cut stream a reconnect, a
 * compaction's 410 a re-list, a malformed annotation one skip), a cache's
 * gauges follow its view, the text is well-formed exposition format (a
 * strict reader, prom.h) with odd label values escaped, and the getter
 * checks the size it is given.
 *
 * The counts are read from t->r, which no helper uses: the helpers that
 * register, seed or wait use handles or clients of their own.
 */
#include "e2e.h"
#include "e2e_cache.h"
#include "prom.h"

#define PODS_PATH "/api/v1/namespaces/default/pods"

/* ---- Helpers -----------------------------------------------------------*/

static struct kreg_metrics metrics_of(const kreg *r, const kreg_cache *c)
{
    struct kreg_metrics m;
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_metrics_get(r, c, &m, KREG_METRICS_SIZE, &err) != KREG_OK)
        fail_msg("kreg_metrics_get: %s", err.text);
    return m;
}

/* The exposition of @p r (and @p c), read by the strict reader into
 * @p p; fails the test when the text breaks a rule. */
static void exposition_of(const kreg *r, const kreg_cache *c, struct prom *p)
{
    struct kreg_error err;
    char *text = NULL;

    memset(&err, 0, sizeof(err));
    if (kreg_metrics_prometheus(r, c, &text, &err) != KREG_OK)
        fail_msg("kreg_metrics_prometheus: %s", err.text);
    assert_non_null(text);
    if (!prom_parse(p, text))
        fail_msg("exposition: %s in:\n%s", p->error, text);
    free(text);
}

/* One expected request count. */
struct want_req {
    enum kreg_metrics_verb verb;
    enum kreg_metrics_code code;
    uint64_t n;
};

/* Fail unless the request counts of @p m are exactly @p want (every other
 * slot 0), and the exposition @p p says the same. */
static void expect_requests(const struct kreg_metrics *m, const struct prom *p,
                            const struct want_req *want, size_t nwant)
{
    int v;
    int k;

    for (v = 0; v < KREG_METRICS_VERBS; v++) {
        for (k = 0; k < KREG_METRICS_CODES; k++) {
            char labels[64];
            uint64_t n = 0;
            size_t i;

            for (i = 0; i < nwant; i++)
                if ((int)want[i].verb == v && (int)want[i].code == k)
                    n = want[i].n;
            if (m->requests[v][k] != n)
                fail_msg("requests %s %s: %llu, expected %llu",
                         kreg_metrics_verb_name(v), kreg_metrics_code_name(k),
                         (unsigned long long)m->requests[v][k],
                         (unsigned long long)n);
            if (!p)
                continue;
            snprintf(labels, sizeof(labels), "verb=%s,code=%s",
                     kreg_metrics_verb_name(v), kreg_metrics_code_name(k));
            /* a series only for what was counted */
            assert_true(prom_value(p, "kreg_requests_total", labels) ==
                        (n ? (double)n : -1));
        }
    }
}

static uint64_t requests_of(const struct kreg_metrics *m,
                            enum kreg_metrics_verb v, enum kreg_metrics_code k)
{
    return m->requests[v][k];
}

/* A fault on the next @p count GETs of the pods collection. */
static void fault_gets(fakeapi *srv, enum fakeapi_fault_kind kind, int status,
                       unsigned count)
{
    struct fakeapi_fault f;

    memset(&f, 0, sizeof(f));
    f.kind = kind;
    f.method = "GET";
    f.path = PODS_PATH;
    f.status = status;
    f.count = count;
    assert_int_equal(fakeapi_fault_add(srv, &f, NULL), FAKEAPI_OK);
}

/* Get @p name through @p r, which must find it. */
static void get_ok(kreg *r, const char *name)
{
    struct kreg_service_list *l = NULL;
    struct kreg_error err;

    memset(&err, 0, sizeof(err));
    if (kreg_get_service(r, name, &l, &err) != KREG_OK)
        fail_msg("get %s: %s", name, err.text);
    kreg_service_list_free(l);
}

/* ---- Counts ------------------------------------------------------------*/

/*
 * A fresh handle has every counter at 0 (the series without labels are
 * there, kreg_requests_total has none, no cache gauge); then a register
 * is one PATCH answered 200 and a get one GET (the list) answered 200.
 */
static void test_e2e_metrics_register_is_one_patch_get_one_get(void **state)
{
    static const struct want_req after_register[] = {
        {KREG_METRICS_VERB_PATCH, KREG_METRICS_CODE_200, 1}};
    static const struct want_req after_get[] = {
        {KREG_METRICS_VERB_PATCH, KREG_METRICS_CODE_200, 1},
        {KREG_METRICS_VERB_GET, KREG_METRICS_CODE_200, 1}};
    struct e2e *t = *state;
    struct kreg_service *s =
        e2e_service("greeter", "1", "pod-a", "10.0.0.1:80");
    struct kreg_error err;
    struct kreg_metrics m;
    struct prom p;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    m = metrics_of(t->r, NULL);
    exposition_of(t->r, NULL, &p);
    expect_requests(&m, &p, NULL, 0);
    assert_false(m.has_cache);
    assert_true(m.retries == 0 && m.watch_reconnects == 0 && m.relists == 0 &&
                m.skipped_annotations == 0);
    assert_string_equal(prom_type(&p, "kreg_requests_total"), "counter");
    assert_true(prom_value(&p, "kreg_retries_total", "") == 0);
    assert_true(prom_value(&p, "kreg_watch_reconnects_total", "") == 0);
    assert_true(prom_value(&p, "kreg_relists_total", "") == 0);
    assert_true(prom_value(&p, "kreg_skipped_annotations_total", "") == 0);
    assert_null(prom_type(&p, "kreg_cache_services"));
    assert_null(prom_type(&p, "kreg_cache_age_seconds"));

    memset(&err, 0, sizeof(err));
    if (kreg_register(t->r, s, &err) != KREG_OK)
        fail_msg("register: %s", err.text);
    m = metrics_of(t->r, NULL);
    exposition_of(t->r, NULL, &p);
    expect_requests(&m, &p, after_register, 1);

    get_ok(t->r, "greeter");
    m = metrics_of(t->r, NULL);
    exposition_of(t->r, NULL, &p);
    expect_requests(&m, &p, after_get, 2);
    assert_true(m.retries == 0 && m.watch_reconnects == 0 && m.relists == 0 &&
                m.skipped_annotations == 0);
    kreg_service_free(s);
}

/*
 * Each attempt counts with its status and each retry once: a 503 then a
 * success is GET 503 + GET 200 + 1 retry; an answer cut short then a
 * success GET 0 (no complete answer) + GET 200 + 1 retry. (Not a dropped
 * connection: libcurl itself tries again at once when a connection it
 * reused closes without an answer, and that attempt is not libkreg's.)
 */
static void test_e2e_metrics_count_each_attempt_and_retry(void **state)
{
    static const struct want_req after_503[] = {
        {KREG_METRICS_VERB_GET, KREG_METRICS_CODE_503, 1},
        {KREG_METRICS_VERB_GET, KREG_METRICS_CODE_200, 1}};
    static const struct want_req after_cut[] = {
        {KREG_METRICS_VERB_GET, KREG_METRICS_CODE_503, 1},
        {KREG_METRICS_VERB_GET, KREG_METRICS_CODE_NONE, 1},
        {KREG_METRICS_VERB_GET, KREG_METRICS_CODE_200, 2}};
    struct e2e *t = *state;
    struct kreg_metrics m;
    struct prom p;

    e2e_add_pod(t, "pod-b", "Running", NULL);
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");

    fault_gets(t->srv, FAKEAPI_FAULT_STATUS, 503, 1);
    get_ok(t->r, "greeter");
    m = metrics_of(t->r, NULL);
    exposition_of(t->r, NULL, &p);
    expect_requests(&m, &p, after_503, 2);
    assert_true(m.retries == 1);
    assert_true(prom_value(&p, "kreg_retries_total", "") == 1);

    fault_gets(t->srv, FAKEAPI_FAULT_TRUNCATE, 0, 1);
    get_ok(t->r, "greeter");
    m = metrics_of(t->r, NULL);
    exposition_of(t->r, NULL, &p);
    expect_requests(&m, &p, after_cut, 3);
    assert_true(m.retries == 2);
    assert_true(prom_value(&p, "kreg_retries_total", "") == 2);
}

/*
 * A stream the server cuts is one reconnect: the watcher lists once (GET
 * 200), the first stream counts as WATCH 200 when it ends, and the second,
 * still open, not yet.
 */
static void test_e2e_metrics_a_cut_stream_is_a_reconnect(void **state)
{
    static const struct want_req want[] = {
        {KREG_METRICS_VERB_GET, KREG_METRICS_CODE_200, 1},
        {KREG_METRICS_VERB_WATCH, KREG_METRICS_CODE_200, 1}};
    struct e2e *t = *state;
    struct kreg_metrics m;
    struct prom p;
    kreg_watch *w;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(t, "pod-b", "Running", NULL);
    w = e2e_watch(t, NULL);
    /* a result proves the stream is open */
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
    m = metrics_of(t->r, NULL);
    assert_true(m.watch_reconnects == 0);

    assert_true(fakeapi_close_watches(t->srv) >= 1);
    /* ... and this one that the next is */
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-b", "10.0.0.2:80");
    m = metrics_of(t->r, NULL);
    exposition_of(t->r, NULL, &p);
    expect_requests(&m, &p, want, 2);
    assert_true(m.watch_reconnects == 1);
    assert_true(m.relists == 0);
    assert_true(m.retries == 0);
    assert_true(prom_value(&p, "kreg_watch_reconnects_total", "") == 1);
}

/*
 * A watcher cut off while the history is compacted resumes into the 410
 * Expired event and lists again: one re-list, a second GET 200. (How
 * often it tried to reconnect while cut off depends on timing: at least
 * once.)
 */
static void test_e2e_metrics_a_compaction_410_is_a_relist(void **state)
{
    struct e2e *t = *state;
    struct kreg_metrics m;
    struct prom p;
    kreg_watch *w;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(t, "pod-b", "Running", NULL);
    w = e2e_watch(t, NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");

    /* cut off (lists and watches dropped), a change, the history gone */
    fault_gets(t->srv, FAKEAPI_FAULT_DROP, 0, 1000000);
    assert_true(fakeapi_close_watches(t->srv) >= 1);
    e2e_put_raw(t->srv, "pod-b", "greeter", "10.0.0.2:80");
    fakeapi_compact(t->srv);
    fakeapi_faults_clear(t->srv);
    e2e_expect(w, KREG_ACTION_CREATE, "pod-b", "10.0.0.2:80");

    m = metrics_of(t->r, NULL);
    exposition_of(t->r, NULL, &p);
    assert_true(m.relists == 1);
    assert_true(requests_of(&m, KREG_METRICS_VERB_GET, KREG_METRICS_CODE_200) ==
                2);
    assert_true(m.watch_reconnects >= 1);
    assert_true(prom_value(&p, "kreg_relists_total", "") == 1);
    assert_true(prom_value(&p, "kreg_requests_total", "verb=GET,code=200") ==
                2);
}

/*
 * A malformed annotation is one skip each time get meets it (without an
 * on_skip callback too), and one for a watcher, which reports it once:
 * not again when the pod changes otherwise.
 */
static void test_e2e_metrics_a_malformed_annotation_is_one_skip(void **state)
{
    struct e2e *t = *state;
    struct kreg_service_list *l = NULL;
    struct kreg_metrics m;
    struct prom p;
    kreg_watch *w;

    e2e_add_pod(t, "pod-a", "Running",
                "{\"labels\":{\"micro.mu/type\":\"service\","
                "\"micro.mu/selector-broken\":\"service\"},"
                "\"annotations\":{\"micro.mu/service-broken\":\"{not json\"}}");
    e2e_add_pod(t, "pod-b", "Running", NULL);
    assert_int_equal(kreg_get_service(t->r, "broken", &l, NULL), KREG_OK);
    assert_int_equal(l->count, 0);
    kreg_service_list_free(l);
    m = metrics_of(t->r, NULL);
    assert_true(m.skipped_annotations == 1);

    w = e2e_watch(t, NULL);
    m = metrics_of(t->r, NULL);
    assert_true(m.skipped_annotations == 2);
    /* pod-a changes, not its annotation: no new skip (results come in
     * order: the create shows the change was seen) */
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:80");
    m = metrics_of(t->r, NULL);
    exposition_of(t->r, NULL, &p);
    assert_true(m.skipped_annotations == 2);
    assert_true(prom_value(&p, "kreg_skipped_annotations_total", "") == 2);
}

/* ---- A cache's gauges --------------------------------------------------*/

/* A cache on @p r reporting to @p s. */
static kreg_cache *cache_on(kreg *r, struct e2e_seen *s)
{
    struct kreg_cache_options o;
    struct kreg_error err;
    kreg_cache *c = NULL;

    memset(&o, 0, sizeof(o));
    memset(&err, 0, sizeof(err));
    o.on_change = e2e_seen_change;
    o.ctx = s;
    if (kreg_cache_new(r, NULL, KREG_QUERY_SIZE, &o, KREG_CACHE_OPTIONS_SIZE,
                       &c, &err) != KREG_OK)
        fail_msg("kreg_cache_new: %s", err.text);
    return c;
}

/* Wait until the cache says @p services and @p pods (after each change). */
static void wait_sizes(struct e2e_seen *s, const kreg *r, const kreg_cache *c,
                       uint64_t services, uint64_t pods)
{
    struct timespec ts = e2e_guard_deadline();
    struct kreg_metrics m;
    int rc = 0;

    for (;;) {
        unsigned gen;

        pthread_mutex_lock(&s->mu);
        gen = s->changes;
        pthread_mutex_unlock(&s->mu);
        m = metrics_of(r, c);
        if (m.cache_services == services && m.cache_pods == pods)
            return;
        pthread_mutex_lock(&s->mu);
        while (s->changes == gen && rc == 0)
            rc = pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        pthread_mutex_unlock(&s->mu);
        if (rc != 0)
            fail_msg("cache: %llu services, %llu pods; expected %llu, %llu",
                     (unsigned long long)m.cache_services,
                     (unsigned long long)m.cache_pods,
                     (unsigned long long)services, (unsigned long long)pods);
    }
}

/*
 * The cache's gauges: the names it answers with an instance, the pods its
 * view holds (a selector label or a serving annotation, in any phase; a
 * pod without either is not), and its age; only with a cache, and only
 * with a cache of the same handle.
 */
static void test_e2e_metrics_cache_gauges_follow_the_view(void **state)
{
    struct e2e *t = *state;
    struct kreg_metrics m;
    struct e2e_seen s;
    struct prom p;
    kreg_cache *c;
    kreg *other;

    e2e_seen_init(&s);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(t, "pod-b", "Running", NULL);
    e2e_add_pod(t, "pod-c", "Running", NULL);
    e2e_add_pod(t, "pod-d", "Pending", NULL);
    e2e_add_pod(t, "pod-e", "Running", NULL);
    e2e_register_as(t, "pod-a", "greeter", "1", "10.0.0.1:80");
    e2e_register_as(t, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_register_as(t, "pod-c", "other", "1", "10.0.0.3:80");
    /* labelled, not serving: held, no instance */
    e2e_register_as(t, "pod-d", "lonely", "1", "10.0.0.4:80");
    c = cache_on(t->r, &s);
    m = metrics_of(t->r, c);
    assert_true(m.has_cache);
    assert_true(m.cache_services == 2);
    assert_true(m.cache_pods == 4);
    assert_true(m.cache_age_ms < (uint64_t)E2E_GUARD_MS);
    exposition_of(t->r, c, &p);
    assert_string_equal(prom_type(&p, "kreg_cache_services"), "gauge");
    assert_true(prom_value(&p, "kreg_cache_services", "") == 2);
    assert_true(prom_value(&p, "kreg_cache_pods", "") == 4);
    assert_true(prom_value(&p, "kreg_cache_age_seconds", "") >= 0);
    assert_true(prom_value(&p, "kreg_cache_age_seconds", "") <
                E2E_GUARD_MS / 1000.0);

    e2e_deregister_as(t, "pod-c", "other");
    wait_sizes(&s, t->r, c, 1, 3);
    e2e_register_as(t, "pod-e", "third", "1", "10.0.0.5:80");
    wait_sizes(&s, t->r, c, 2, 4);

    /* a cache is read with the handle it was started on */
    other = e2e_handle_as(t, "pod-a");
    assert_int_equal(kreg_metrics_get(other, c, &m, KREG_METRICS_SIZE, NULL),
                     KREG_E_INVALID);
    kreg_free(other);
    kreg_cache_free(c);
    e2e_seen_release(&s);
}

/* ---- The API -----------------------------------------------------------*/

/*
 * The getter takes the size the program was built with: a smaller one is
 * refused and nothing written, a larger one (a later kreg.h) gets its
 * newer members zeroed; a NULL handle or result is refused.
 */
static void test_e2e_metrics_getter_checks_the_size(void **state)
{
    struct e2e *t = *state;
    _Alignas(struct kreg_metrics) unsigned char
        buf[sizeof(struct kreg_metrics) + 64];
    struct kreg_metrics *m = (struct kreg_metrics *)(void *)buf;
    struct kreg_error err;
    size_t i;

    memset(&err, 0, sizeof(err));
    memset(buf, 0xAA, sizeof(buf));
    assert_int_equal(
        kreg_metrics_get(t->r, NULL, m, KREG_METRICS_SIZE - 8, &err),
        KREG_E_INVALID);
    assert_non_null(strstr(err.text, "smaller"));
    for (i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xAA);

    assert_int_equal(kreg_metrics_get(t->r, NULL, m, sizeof(buf), NULL),
                     KREG_OK);
    for (i = sizeof(struct kreg_metrics); i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0);
    assert_false(m->has_cache);

    memset(buf, 0xAA, sizeof(buf));
    assert_int_equal(kreg_metrics_get(t->r, NULL, m, KREG_METRICS_SIZE, NULL),
                     KREG_OK);
    for (i = sizeof(struct kreg_metrics); i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xAA);
    assert_int_equal(kreg_metrics_get(NULL, NULL, m, KREG_METRICS_SIZE, NULL),
                     KREG_E_INVALID);
    assert_int_equal(
        kreg_metrics_get(t->r, NULL, NULL, KREG_METRICS_SIZE, NULL),
        KREG_E_INVALID);
    assert_int_equal(kreg_metrics_prometheus(t->r, NULL, NULL, NULL),
                     KREG_E_INVALID);
    assert_string_equal(kreg_metrics_verb_name(KREG_METRICS_VERB_WATCH),
                        "WATCH");
    assert_string_equal(kreg_metrics_code_name(KREG_METRICS_CODE_4XX), "4xx");
    assert_null(kreg_metrics_verb_name(KREG_METRICS_VERBS));
    assert_null(kreg_metrics_code_name(-1));
}

/*
 * Label values are escaped as the format says: a namespace (kreg_new()
 * takes any text) holding a backslash, a double quote, a line feed, a
 * valid multi-byte character and a byte that is not UTF-8 reads back as
 * written, the bad byte as U+FFFD.
 */
static void test_e2e_metrics_escape_odd_label_values(void **state)
{
    struct e2e *t = *state;
    struct kreg_options o;
    struct prom p;
    char *text = NULL;
    kreg *r = NULL;

    e2e_options(t, "pod-a", &o);
    o.namespace_ = "we\\ird \"ns\"\nnext \xc3\xa9 \xff end";
    assert_int_equal(kreg_new(&o, &r, NULL), KREG_OK);
    assert_int_equal(kreg_metrics_prometheus(r, NULL, &text, NULL), KREG_OK);
    assert_non_null(strstr(text, "namespace=\"we\\\\ird \\\"ns\\\"\\nnext "
                                 "\xc3\xa9 \xef\xbf\xbd end\""));
    if (!prom_parse(&p, text))
        fail_msg("exposition: %s in:\n%s", p.error, text);
    assert_true(p.samples[0].nlabels == 2);
    assert_string_equal(p.samples[0].name, "kreg_info");
    assert_string_equal(p.samples[0].labels[1].name, "namespace");
    assert_string_equal(p.samples[0].labels[1].value,
                        "we\\ird \"ns\"\nnext \xc3\xa9 \xef\xbf\xbd end");
    assert_true(p.samples[0].value == 1);
    free(text);
    kreg_free(r);
}

int main(void)
{
    const struct e2e_test tests[] = {
        E2E_TEST(test_e2e_metrics_register_is_one_patch_get_one_get),
        E2E_FAKE_TEST(test_e2e_metrics_count_each_attempt_and_retry,
                      "a 503 and a drop fault"),
        E2E_FAKE_TEST(test_e2e_metrics_a_cut_stream_is_a_reconnect,
                      "closing watches"),
        E2E_FAKE_TEST(test_e2e_metrics_a_compaction_410_is_a_relist,
                      "a drop fault, compacting the history"),
        E2E_TEST(test_e2e_metrics_a_malformed_annotation_is_one_skip),
        E2E_TEST(test_e2e_metrics_cache_gauges_follow_the_view),
        E2E_TEST(test_e2e_metrics_getter_checks_the_size),
        E2E_TEST(test_e2e_metrics_escape_odd_label_values),
    };

    return e2e_run_group("e2e_metrics", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
