/*
 * Watch chaos (issue 6): concurrent writers make thousands of changes
 * (register, re-register with new nodes, deregister, phase flips) while
 * the watch streams are cut at random points and the history is compacted
 * (so the next resume gets 410 and the watchers re-list). At the end every
 * watcher's view, built only from the results it reported, equals the
 * server's state, and no change was reported twice (a create of something
 * present, an update to the same text, a delete of something absent).
 *
 * The same chaos against a kreg_cache: at the end its answer for every
 * name equals kreg_get_service() on the settled server, and no change the
 * watcher handed it contradicted its view (a create of something there, an
 * update of something absent or to the same text, a delete of something
 * absent: none lost, none doubled).
 *
 * Bounded and deterministic in outcome: fixed seeds, fixed counts, and the
 * end is detected by a sentinel change every watcher must report, waited
 * for with kreg_watch_next (no sleeps); the cache is waited for with its
 * on_change.
 */
#include "e2e.h"

#include <pthread.h>

#include "cache.h"
#include "e2e_cache.h"

#define PODS     6
#define WRITERS  2
#define OPS      600 /* per writer */
#define SERVICES 5   /* names per pod */
#define WATCHERS 3

struct chaos {
    fakeapi *srv;
    kreg *handles[PODS]; /* one per pod; shared by the writers */
    unsigned seed;
    unsigned cuts;
    unsigned compactions;
};

static const char *pod_name(size_t i)
{
    static const char *const names[PODS] = {"c-0", "c-1", "c-2",
                                            "c-3", "c-4", "c-5"};

    return names[i];
}

static unsigned next_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

/* What a writer did. */
struct tally {
    unsigned failed;      /* operations the server refused (none expected) */
    unsigned cuts;        /* watch streams cut */
    unsigned compactions; /* history compactions (each forces a 410) */
};

/* One random change; sometimes cut the streams or compact the history. */
static void one_op(struct chaos *c, unsigned *seed, int writer, struct tally *t)
{
    size_t p = next_rand(seed) % PODS;
    unsigned k = next_rand(seed) % SERVICES;
    unsigned what = next_rand(seed) % 10;
    char name[32];
    char version[16];
    char addr[32];
    struct kreg_error err;
    struct kreg_service *s;

    snprintf(name, sizeof(name), "svc-%u", k);
    snprintf(version, sizeof(version), "v%u", next_rand(seed) % 3);
    snprintf(addr, sizeof(addr), "10.%d.%zu.%u:80", writer, p,
             next_rand(seed) % 200);
    memset(&err, 0, sizeof(err));
    if (what < 5) {
        s = e2e_service(name, version, pod_name(p), addr);
        /* 409s and the like may happen under chaos: the state is what
         * the server ends with, whatever the outcome */
        if (kreg_register(c->handles[p], s, &err) != KREG_OK)
            t->failed++;
        kreg_service_free(s);
    } else if (what < 8) {
        s = e2e_service(name, version, pod_name(p), addr);
        if (kreg_deregister(c->handles[p], s, &err) != KREG_OK)
            t->failed++;
        kreg_service_free(s);
    } else {
        if (fakeapi_set_phase(c->srv, E2E_NS, pod_name(p),
                              what == 8 ? "Pending" : "Running",
                              NULL) != FAKEAPI_OK)
            t->failed++;
    }
    what = next_rand(seed) % 40;
    if (what == 0) {
        fakeapi_compact(c->srv); /* the next resume is too old: 410 */
        fakeapi_close_watches(c->srv);
        t->compactions++;
    } else if (what < 3) {
        fakeapi_close_watches(c->srv);
        t->cuts++;
    }
}

struct writer {
    struct chaos *c;
    int id;
    struct tally t;
    pthread_t th;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    unsigned seed = w->c->seed + (unsigned)w->id * 7919u;
    int i;

    for (i = 0; i < OPS; i++)
        one_op(w->c, &seed, w->id, &w->t);
    return NULL;
}

/* A watcher's view: "pod\nservice-name" -> encoded service text. */
static void apply(json_t *view, const struct kreg_result *res)
{
    char key[256];
    char *text = NULL;
    size_t len = 0;
    json_t *have;

    assert_int_equal(
        kreg_service_encode(res->service, KREG_WIRE_V2, &text, &len, NULL),
        KREG_OK);
    snprintf(key, sizeof(key), "%s\n%s", res->pod, res->service->name);
    have = json_object_get(view, key);
    switch (res->action) {
    case KREG_ACTION_CREATE:
        if (have)
            fail_msg("create reported twice for %s", key);
        json_object_set_new(view, key, json_string(text));
        break;
    case KREG_ACTION_UPDATE:
        if (!have)
            fail_msg("update of %s, which the watcher never saw", key);
        if (strcmp(json_string_value(have), text) == 0)
            fail_msg("update of %s to the text it already had", key);
        json_object_set_new(view, key, json_string(text));
        break;
    case KREG_ACTION_DELETE:
        if (!have)
            fail_msg("delete of %s, which is not there", key);
        json_object_del(view, key);
        break;
    }
    free(text);
}

/* What the server holds: usable pods' micro.mu/service-* annotations. */
static json_t *server_view(fakeapi *srv)
{
    json_t *view = json_object();
    size_t p;

    for (p = 0; p < PODS; p++) {
        json_t *pod = e2e_pod(srv, pod_name(p));
        json_t *ann =
            json_object_get(json_object_get(pod, "metadata"), "annotations");
        const char *phase = json_string_value(
            json_object_get(json_object_get(pod, "status"), "phase"));
        const char *k;
        json_t *v;

        json_object_foreach(ann, k, v)
        {
            char key[256];

            if (strncmp(k, "micro.mu/service-", 17) != 0 ||
                strcmp(phase ? phase : "", "Running") != 0)
                continue;
            snprintf(key, sizeof(key), "%s\n%s", pod_name(p), k + 17);
            json_object_set(view, key, v);
        }
        json_decref(pod);
    }
    return view;
}

/* Fail the test, showing both views. */
static void views_differ(size_t i, const json_t *view, const json_t *want)
{
    char *a = json_dumps(view, JSON_SORT_KEYS);
    char *b = json_dumps(want, JSON_SORT_KEYS);

    fail_msg("watcher %zu's view differs from the server:\n%s\n%s", i, a, b);
}

/*
 * Drain watcher @p i into @p view until the sentinel's create arrived and
 * the view is the server's (@p want); returns how many results it took.
 * A re-list reports its differences in no set order, so the sentinel may
 * come before other pods' last changes.
 */
static size_t drain(size_t i, kreg_watch *w, json_t *view, const json_t *want)
{
    size_t n = 0;
    bool sentinel = false;

    while (!sentinel || !json_equal(view, want)) {
        struct kreg_result *res = NULL;
        int rc = kreg_watch_next(w, E2E_GUARD_MS, &res, NULL);

        if (rc != KREG_OK)
            views_differ(i, view, want);
        sentinel = sentinel || strcmp(res->service->name, "sentinel") == 0;
        apply(view, res);
        kreg_result_free(res);
        n++;
    }
    return n;
}

/* A server with the chaos's pods, and a handle per pod. */
static void chaos_start(struct chaos *c)
{
    size_t i;

    memset(c, 0, sizeof(*c));
    c->seed = 20261124u;
    assert_int_equal(fakeapi_start(NULL, &c->srv, NULL), FAKEAPI_OK);
    for (i = 0; i < PODS; i++) {
        e2e_seed(c->srv, pod_name(i), "Running", NULL);
        c->handles[i] = e2e_handle(c->srv, pod_name(i));
    }
}

/* Run the writers to their end, check that the chaos really happened,
 * then make the sentinel change every watcher must report after all
 * others (the pod must be Running for it to count). */
static void chaos_run(struct chaos *c)
{
    struct writer w[WRITERS];
    unsigned cuts = 0;
    unsigned compactions = 0;
    size_t i;

    for (i = 0; i < WRITERS; i++) {
        w[i].c = c;
        w[i].id = (int)i;
        memset(&w[i].t, 0, sizeof(w[i].t));
        assert_int_equal(pthread_create(&w[i].th, NULL, writer_main, &w[i]), 0);
    }
    for (i = 0; i < WRITERS; i++) {
        pthread_join(w[i].th, NULL);
        assert_int_equal(w[i].t.failed, 0);
        cuts += w[i].t.cuts;
        compactions += w[i].t.compactions;
    }
    assert_true(cuts >= 10);
    assert_true(compactions >= 2);
    assert_int_equal(fakeapi_set_phase(c->srv, E2E_NS, "c-0", "Running", NULL),
                     FAKEAPI_OK);
    e2e_register_on(c->srv, "c-0", "sentinel", "1", "10.9.9.9:1");
}

static void chaos_stop(struct chaos *c)
{
    size_t i;

    for (i = 0; i < PODS; i++)
        kreg_free(c->handles[i]);
    fakeapi_stop(c->srv);
}

static void test_e2e_chaos_watchers_converge_without_repeats(void **state)
{
    struct chaos c;
    kreg_watch *watches[WATCHERS];
    json_t *views[WATCHERS];
    json_t *want;
    kreg *r0;
    size_t seen[WATCHERS];
    size_t i;

    (void)state;
    chaos_start(&c);
    r0 = e2e_handle(c.srv, "c-0");
    for (i = 0; i < WATCHERS; i++) {
        assert_int_equal(kreg_watch_new(r0, NULL, &watches[i], NULL), KREG_OK);
        views[i] = json_object();
    }
    chaos_run(&c);
    want = server_view(c.srv);
    for (i = 0; i < WATCHERS; i++) {
        seen[i] = drain(i, watches[i], views[i], want);
        assert_true(seen[i] >= 100); /* thousands of changes, hundreds seen */
        kreg_watch_free(watches[i]);
        json_decref(views[i]);
    }
    json_decref(want);
    kreg_free(r0);
    chaos_stop(&c);
}

static void
test_e2e_chaos_cache_converges_without_lost_or_doubled_changes(void **state)
{
    static const char *const names[] = {"svc-0", "svc-1",  "svc-2",    "svc-3",
                                        "svc-4", "nosuch", "sentinel", NULL};
    struct kreg_cache_options o;
    struct e2e_seen s;
    unsigned long changes;
    unsigned long anomalies;
    unsigned long publishes;
    struct chaos c;
    kreg_cache *cache = NULL;
    kreg *r0;

    (void)state;
    chaos_start(&c);
    e2e_seen_init(&s);
    memset(&o, 0, sizeof(o));
    o.on_change = e2e_seen_change;
    o.ctx = &s;
    r0 = e2e_handle(c.srv, "c-0");
    assert_int_equal(
        kreg_cache_new(r0, NULL, 0, &o, KREG_CACHE_OPTIONS_SIZE, &cache, NULL),
        KREG_OK);
    chaos_run(&c);
    /* the server is settled: the cache must come to answer as it does */
    e2e_wait_same(&s, r0, cache, names, false);
    kreg__cache_counts_read(cache, &changes, &anomalies, &publishes);
    assert_int_equal(anomalies, 0);
    assert_true(changes >= 100); /* thousands of changes, hundreds seen */
    assert_true(publishes >= 10);
    kreg_cache_free(cache);
    kreg_free(r0);
    e2e_seen_release(&s);
    chaos_stop(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_chaos_watchers_converge_without_repeats),
        cmocka_unit_test(
            test_e2e_chaos_cache_converges_without_lost_or_doubled_changes),
    };
    return cmocka_run_group_tests_name("e2e_chaos", tests, NULL, NULL);
}
