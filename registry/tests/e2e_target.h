/*
 * e2e_target: the target of the libkreg end-to-end tests, through e2e.h
 * (include that one): an embedded fakeapi server, or the cluster of
 * KREG_E2E_KUBECONFIG in a namespace per test: the per-test state, the
 * helpers' own API requests and the group runner. e2e_pods.h makes pods on
 * either target with them.
 *
 * The helpers' requests use libkreg's configuration loader and HTTP client
 * (kreg__config_load, kreg__http_request), as conformance/target.c does:
 * they are tested on their own, and what libkreg writes is still read back
 * with plain requests.
 */
#ifndef KREG_TESTS_E2E_TARGET_H
#define KREG_TESTS_E2E_TARGET_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "fakeapi.h"
#include "http.h"
#include "kreg.h"

/* The namespace on fakeapi (a cluster gets one per test). */
#define E2E_NS "default"
/* Hang guard for waits: never reached when the code works. */
#define E2E_GUARD_MS 30000

#define E2E_WATCHES 4
#define E2E_HELD    8
#define E2E_EXTRA   3 /* namespaces a test may add (e2e_ns_add) */

/* The environment that selects a cluster as the target. */
#define E2E_ENV_KUBECONFIG "KREG_E2E_KUBECONFIG"
#define E2E_ENV_CONTEXT    "KREG_E2E_CONTEXT"

/* docs/kubernetes-api.md, Keeping a pod unscheduled: the gate that keeps the
 * scheduler away, and the finalizer that keeps a deleted pod terminating. */
#define E2E_GATE      "kreg.io/hold"
#define E2E_FINALIZER "kreg.io/e2e-hold"

/* How long the cluster may take for a namespace's ServiceAccount and for
 * a namespace's deletion (kube-controller-manager does both). */
#define E2E_CLUSTER_WAIT_S 60

/*
 * A group's run against a cluster: its namespaces carry the label
 * kreg.io/e2e-run=<id>; a test's teardown deletes its namespace and the
 * group's teardown waits until all are gone (kube-controller-manager takes
 * some 5 s per namespace, and deletes several at once).
 */
struct e2e_run {
    char id[16];
    struct kreg__config cfg;
    struct kreg__http *http;
};

/* The state of one test: a target, a handle for pod "pod-a", watches. */
struct e2e {
    struct e2e_run *run; /* the group's, or NULL (fakeapi) */
    fakeapi *srv;        /* the embedded server; NULL against a cluster */
    kreg *r;
    kreg_watch *watches[E2E_WATCHES]; /* freed by the teardown */
    char ns[64];                      /* E2E_NS, or this test's own */
    struct kreg__config cfg;          /* the helpers' own access */
    struct kreg__http *http;
    char held[E2E_HELD][64];   /* pods a finalizer holds, released at the end */
    char extra[E2E_EXTRA][64]; /* namespaces e2e_ns_add() made, deleted at
                                  the end */
};

/* A test of a group, and why it needs fakeapi (NULL: any target). */
struct e2e_test {
    struct CMUnitTest unit;
    const char *fake_only;
};

/* ---- Target ------------------------------------------------------------*/

/* Borrowed: environment variable @p name when set and not empty. */
static inline const char *e2e_env(const char *name)
{
    const char *v = getenv(name);

    return v && v[0] ? v : NULL;
}

/* Whether the tests run against a cluster (KREG_E2E_KUBECONFIG). */
static inline bool e2e_is_cluster(void)
{
    return e2e_env(E2E_ENV_KUBECONFIG) != NULL;
}

/* Options reaching @p t's server as pod @p pod of t->ns (retries fast:
 * tests wait). The strings are borrowed. */
static inline void e2e_options(const struct e2e *t, const char *pod,
                               struct kreg_options *o)
{
    memset(o, 0, sizeof(*o));
    if (t->srv) {
        o->server = fakeapi_url(t->srv);
    } else {
        o->kubeconfig = e2e_env(E2E_ENV_KUBECONFIG);
        o->context = e2e_env(E2E_ENV_CONTEXT);
    }
    o->namespace_ = t->ns;
    o->pod_name = pod;
    o->no_in_cluster = true;
    o->retry_base_ms = 1;
}

/* A handle acting as pod @p pod of t->ns. */
static inline kreg *e2e_handle_as(const struct e2e *t, const char *pod)
{
    struct kreg_options o;
    struct kreg_error err;
    kreg *r = NULL;

    e2e_options(t, pod, &o);
    memset(&err, 0, sizeof(err));
    if (kreg_new(&o, &r, &err) != KREG_OK)
        fail_msg("kreg_new: %s", err.text);
    return r;
}

/*
 * One request with @p http (the status; 0 when none came, with @p why
 * filled). @p text (optional) gets the body (new string). Never asserts:
 * the teardowns use it too.
 */
static inline long e2e_http_send(struct kreg__http *http, const char *method,
                                 const char *path, const char *ctype,
                                 const char *body, char **text, char *why,
                                 size_t why_size)
{
    struct kreg__response resp;
    struct kreg_error err;
    unsigned flags = strcmp(method, "GET") == 0 ? KREG__HTTP_IDEMPOTENT : 0;
    long status;
    int rc;

    memset(&resp, 0, sizeof(resp));
    memset(&err, 0, sizeof(err));
    rc = kreg__http_request(http, method, path, ctype, body,
                            body ? strlen(body) : 0, flags, &resp, &err);
    status = resp.status;
    if (text)
        *text = strdup(resp.body ? resp.body : "");
    if (why)
        snprintf(why, why_size, "%s %s: %s", method, path,
                 err.text[0] ? err.text : kreg_strerror(rc));
    kreg__response_release(&resp);
    return status;
}

/* e2e_http_send() with the helpers' own client of @p t. */
static inline long e2e_send(struct e2e *t, const char *method, const char *path,
                            const char *ctype, const char *body, char **text,
                            char *why, size_t why_size)
{
    return e2e_http_send(t->http, method, path, ctype, body, text, why,
                         why_size);
}

/* e2e_send() that fails the test when no answer came (or no memory). */
static inline long e2e_call(struct e2e *t, const char *method, const char *path,
                            const char *ctype, const char *body, char **text)
{
    char why[512];
    long status =
        e2e_send(t, method, path, ctype, body, text, why, sizeof(why));

    if (status == 0)
        fail_msg("%s", why);
    if (text && !*text)
        fail_msg("out of memory");
    return status;
}

/* The same, requiring @p want (or @p also, when not 0); the answer's text
 * names the failure. */
static inline void e2e_call_ok(struct e2e *t, const char *method,
                               const char *path, const char *ctype,
                               const char *body, long want, long also)
{
    char *text = NULL;
    long status = e2e_call(t, method, path, ctype, body, &text);

    if (status != want && (also == 0 || status != also))
        fail_msg("%s %s: HTTP %ld: %.300s", method, path, status, text);
    free(text);
}

/* Build "/api/v1/namespaces/<ns>/pods/<name><tail>" into @p out. */
static inline const char *e2e_pod_path(const struct e2e *t, const char *name,
                                       const char *tail, char *out, size_t size)
{
    int n = snprintf(out, size, "/api/v1/namespaces/%s/pods/%s%s", t->ns, name,
                     tail);

    assert_true(n > 0 && (size_t)n < size);
    return out;
}

/* Monotonic milliseconds. */
static inline int64_t e2e_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The backoff between two tries of a refused create (not a timing). */
static inline void e2e_backoff(unsigned ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

/* ---- Waiting on the cluster's work, with a watch -----------------------*/

/* A watch stream read line by line until an event of type want. */
struct e2e_waiter {
    const char *want; /* "ADDED", "DELETED" */
    char line[65536];
    size_t len;
    bool seen;
};

static inline int e2e_waiter_feed(void *ctx, const char *p, size_t n)
{
    struct e2e_waiter *w = ctx;
    size_t i;

    for (i = 0; i < n && !w->seen; i++) {
        const char *type;
        json_t *ev;

        if (p[i] != '\n') {
            if (w->len + 1 < sizeof(w->line))
                w->line[w->len++] = p[i];
            continue;
        }
        ev = json_loadb(w->line, w->len, 0, NULL);
        w->len = 0;
        type = json_string_value(json_object_get(ev, "type"));
        w->seen = type && strcmp(type, w->want) == 0;
        json_decref(ev);
    }
    return w->seen ? 1 : 0;
}

/*
 * Watch @p path (a list with the query started, e.g. "...?fieldSelector=x")
 * until an event of type @p want, at most E2E_CLUSTER_WAIT_S seconds.
 * Returns whether it came; when the server refused the watch, *refused
 * (optional) gets the HTTP status. Never asserts.
 */
static inline bool e2e_wait_event(struct kreg__http *http, const char *path,
                                  const char *want, long *refused)
{
    struct e2e_waiter *w = calloc(1, sizeof(*w));
    struct kreg_error err;
    atomic_bool stop;
    char url[512];
    int64_t deadline = e2e_now_ms() + E2E_CLUSTER_WAIT_S * 1000;
    bool seen = false;
    int n;

    if (refused)
        *refused = 0;
    if (!w)
        return false;
    w->want = want;
    atomic_init(&stop, false);
    n = snprintf(url, sizeof(url), "%s&watch=true&timeoutSeconds=%d", path,
                 E2E_CLUSTER_WAIT_S);
    /* a stream the server ends early (it may) is opened again */
    while (n > 0 && (size_t)n < sizeof(url) && !w->seen &&
           e2e_now_ms() < deadline) {
        memset(&err, 0, sizeof(err));
        if (kreg__http_stream(http, url, e2e_waiter_feed, w, &stop, &err) !=
            KREG_OK) {
            if (refused)
                *refused = err.http_status;
            break;
        }
    }
    seen = w->seen;
    free(w);
    return seen;
}

/* ---- Lifecycle ---------------------------------------------------------*/

/* The helpers' own client for @p t's server. */
static inline int e2e_client_open(const struct e2e *t, struct kreg__config *cfg,
                                  struct kreg__http **http)
{
    struct kreg_options o;
    struct kreg_error err;

    e2e_options(t, NULL, &o);
    o.retry_base_ms = 20;
    memset(&err, 0, sizeof(err));
    if (kreg__config_load(&o, cfg, &err) != KREG_OK ||
        kreg__http_new(cfg, &o, http, &err) != KREG_OK) {
        print_error("e2e: %s\n", err.text);
        return -1;
    }
    return 0;
}

static inline int e2e_open_client(struct e2e *t)
{
    return e2e_client_open(t, &t->cfg, &t->http);
}

static inline uint32_t e2e_random(void)
{
    uint32_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
            v = 0;
        close(fd);
    }
    return v ? v : (uint32_t)getpid() ^ (uint32_t)time(NULL);
}

/*
 * Create a namespace kreg-e2e-<random> into @p ns (64 bytes), and wait for
 * its default ServiceAccount: until kube-controller-manager made it, a pod
 * create answers 403 "error looking up service account".
 */
static inline int e2e_ns_make(struct e2e *t, char *ns)
{
    char body[256];
    char path[192];
    char why[512];
    long status = 0;
    long refused;
    int i;

    for (i = 0; i < 3 && status != 201; i++) {
        snprintf(ns, 64, "kreg-e2e-%08x", e2e_random());
        snprintf(body, sizeof(body),
                 "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":"
                 "{\"name\":\"%s\",\"labels\":{\"kreg.io/e2e-run\":\"%s\"}}}",
                 ns, t->run ? t->run->id : "none");
        status = e2e_send(t, "POST", "/api/v1/namespaces", "application/json",
                          body, NULL, why, sizeof(why));
        if (status != 409)
            break;
    }
    if (status != 201) {
        print_error("e2e: namespace: HTTP %ld (%s)\n", status, why);
        ns[0] = '\0';
        return -1;
    }
    snprintf(path, sizeof(path),
             "/api/v1/namespaces/%s/serviceaccounts"
             "?fieldSelector=metadata.name%%3Ddefault",
             ns);
    /* a server without ServiceAccounts (fakeapi) has nothing to wait for */
    if (!e2e_wait_event(t->http, path, "ADDED", &refused) && refused != 404) {
        print_error("e2e: namespace %s: no default ServiceAccount in %d s\n",
                    ns, E2E_CLUSTER_WAIT_S);
        return -1;
    }
    return 0;
}

/* Create this test's namespace into t->ns (e2e_ns_make). */
static inline int e2e_ns_create(struct e2e *t)
{
    return e2e_ns_make(t, t->ns);
}

/*
 * One more namespace for this test, on either target (borrowed name,
 * valid until the test ends): created as e2e_ns_make() does, and deleted
 * by the teardown as the test's own.
 */
static inline const char *e2e_ns_add(struct e2e *t)
{
    size_t i = 0;

    while (i < E2E_EXTRA && t->extra[i][0])
        i++;
    assert_true(i < E2E_EXTRA);
    if (e2e_ns_make(t, t->extra[i]) != 0)
        fail_msg("cannot create a namespace for the test");
    return t->extra[i];
}

/* Let go of the pods a finalizer holds, so that their namespace can go. */
static inline void e2e_release_held(struct e2e *t)
{
    static const char patch[] = "{\"metadata\":{\"finalizers\":null}}";
    char path[192];
    size_t i;

    for (i = 0; i < E2E_HELD && t->held[i][0]; i++) {
        int n = snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s",
                         t->ns, t->held[i]);

        if (n > 0 && (size_t)n < sizeof(path))
            (void)e2e_send(t, "PATCH", path, "application/merge-patch+json",
                           patch, NULL, NULL, 0);
    }
}

/* Whether namespace @p ns is gone (404); *rv gets its resourceVersion
 * (new string) while it is not. */
static inline bool e2e_ns_gone(struct e2e *t, const char *ns, char **rv)
{
    char path[192];
    char *text = NULL;
    json_t *doc;
    long status;

    *rv = NULL;
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s", ns);
    status = e2e_send(t, "GET", path, NULL, NULL, &text, NULL, 0);
    doc = status == 200 && text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (doc && json_string_value(json_object_get(
                   json_object_get(doc, "metadata"), "resourceVersion")))
        *rv = strdup(json_string_value(json_object_get(
            json_object_get(doc, "metadata"), "resourceVersion")));
    json_decref(doc);
    return status == 404;
}

/*
 * Delete namespace @p ns and wait until it is gone (docs/kubernetes-api.md,
 * Namespaces: kube-controller-manager empties it first; fakeapi at once),
 * so that a run leaves nothing behind. Returns -1 when it is still there.
 */
static inline int e2e_ns_delete_named(struct e2e *t, const char *ns)
{
    char path[256];
    char *rv = NULL;
    int64_t deadline = e2e_now_ms() + E2E_CLUSTER_WAIT_S * 1000;
    long refused = 0;
    unsigned pause = 10;
    bool gone;

    snprintf(path, sizeof(path), "/api/v1/namespaces/%s", ns);
    (void)e2e_send(t, "DELETE", path, NULL, NULL, NULL, NULL, 0);
    gone = e2e_ns_gone(t, ns, &rv);
    if (!gone && rv) {
        /* its DELETED event comes after the resourceVersion just read */
        snprintf(path, sizeof(path),
                 "/api/v1/namespaces?fieldSelector=metadata.name%%3D%s"
                 "&resourceVersion=%s",
                 ns, rv);
        gone = e2e_wait_event(t->http, path, "DELETED", &refused);
    }
    /* a server that does not watch namespaces (fakeapi: 405) is asked
     * again, with a backoff (it finishes within about 100 ms) */
    while (!gone && refused != 0 && e2e_now_ms() < deadline) {
        free(rv);
        e2e_backoff(pause);
        pause = pause < 500 ? pause * 2 : pause;
        gone = e2e_ns_gone(t, ns, &rv);
    }
    free(rv);
    if (!gone)
        print_error("e2e: namespace %s: still there after %d s\n", ns,
                    E2E_CLUSTER_WAIT_S);
    return gone ? 0 : -1;
}

/* Delete this test's namespace and wait until it is gone. */
static inline int e2e_ns_delete(struct e2e *t)
{
    return e2e_ns_delete_named(t, t->ns);
}

/* Free all of @p t; against a cluster, delete its namespace first (its
 * group's teardown waits for it, or else this does). */
static inline int e2e_close(struct e2e *t)
{
    char ns_path[128];
    size_t i;
    int rc = 0;

    /* kreg.h: watchers before their handle, also after a failed test */
    for (i = 0; i < E2E_WATCHES; i++)
        kreg_watch_free(t->watches[i]);
    kreg_free(t->r);
    /* a cluster's namespaces go (fakeapi's with the server) */
    for (i = 0; t->http && !t->srv && i < E2E_EXTRA && t->extra[i][0]; i++) {
        if (t->run) {
            snprintf(ns_path, sizeof(ns_path), "/api/v1/namespaces/%s",
                     t->extra[i]);
            (void)e2e_send(t, "DELETE", ns_path, NULL, NULL, NULL, NULL, 0);
        } else if (e2e_ns_delete_named(t, t->extra[i]) != 0) {
            rc = -1;
        }
    }
    snprintf(ns_path, sizeof(ns_path), "/api/v1/namespaces/%s", t->ns);
    if (t->http && t->ns[0]) {
        e2e_release_held(t);
        if (t->run)
            (void)e2e_send(t, "DELETE", ns_path, NULL, NULL, NULL, NULL, 0);
        else if (!t->srv && e2e_ns_delete(t) != 0)
            rc = -1;
    }
    kreg__http_free(t->http);
    kreg__config_release(&t->cfg);
    fakeapi_stop(t->srv);
    free(t);
    return rc;
}

/* Setup: a fresh fakeapi server and a handle for "pod-a" (the fault
 * suites: always fakeapi). */
static inline int e2e_setup(void **state)
{
    struct e2e *t = calloc(1, sizeof(*t));

    if (!t)
        return -1;
    snprintf(t->ns, sizeof(t->ns), "%s", E2E_NS);
    if (fakeapi_start(NULL, &t->srv, NULL) != FAKEAPI_OK ||
        e2e_open_client(t) != 0) {
        (void)e2e_close(t);
        return -1;
    }
    t->r = e2e_handle_as(t, "pod-a");
    *state = t;
    return 0;
}

/* Setup on the target the environment selects: fakeapi as e2e_setup(), or
 * the cluster of KREG_E2E_KUBECONFIG in a namespace of this test's own
 * (*@p state: the group's struct e2e_run, or NULL). */
static inline int e2e_setup_target(void **state)
{
    struct e2e *t;

    if (!e2e_is_cluster())
        return e2e_setup(state);
    t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    t->run = *state;
    if (e2e_open_client(t) != 0 || e2e_ns_create(t) != 0) {
        (void)e2e_close(t);
        return -1;
    }
    t->r = e2e_handle_as(t, "pod-a");
    *state = t;
    return 0;
}

static inline int e2e_teardown(void **state)
{
    return e2e_close(*state);
}

/* Group setup against a cluster: the run (fakeapi: none). */
static inline int e2e_group_setup(void **state)
{
    struct e2e_run *run;
    struct e2e probe;

    *state = NULL;
    if (!e2e_is_cluster())
        return 0;
    run = calloc(1, sizeof(*run));
    if (!run)
        return -1;
    snprintf(run->id, sizeof(run->id), "%08x", e2e_random());
    memset(&probe, 0, sizeof(probe));
    if (e2e_client_open(&probe, &run->cfg, &run->http) != 0) {
        kreg__config_release(&run->cfg);
        free(run);
        return -1;
    }
    *state = run;
    return 0;
}

/*
 * Wait until no namespace of @p run is left: list them, and while some
 * are, watch from that list for the next deletion (no new one can come).
 */
static inline int e2e_run_wait_gone(struct e2e_run *run)
{
    char path[192];
    char from[256];
    int64_t deadline = e2e_now_ms() + 2 * E2E_CLUSTER_WAIT_S * 1000;
    long status;
    size_t left = 1;

    snprintf(path, sizeof(path),
             "/api/v1/namespaces?labelSelector=kreg.io%%2Fe2e-run%%3D%s",
             run->id);
    while (left > 0 && e2e_now_ms() < deadline) {
        char *text = NULL;
        json_t *doc;
        const char *rv;
        long refused = 0;

        status =
            e2e_http_send(run->http, "GET", path, NULL, NULL, &text, NULL, 0);
        doc = status == 200 && text ? json_loads(text, 0, NULL) : NULL;
        free(text);
        if (!doc)
            break;
        left = json_array_size(json_object_get(doc, "items"));
        rv = json_string_value(json_object_get(json_object_get(doc, "metadata"),
                                               "resourceVersion"));
        if (left > 0 && rv)
            snprintf(from, sizeof(from), "%s&resourceVersion=%s", path, rv);
        json_decref(doc);
        if (left == 0 ||
            (rv && e2e_wait_event(run->http, from, "DELETED", &refused)))
            continue;
        /* a server that does not watch namespaces (fakeapi: 405) is asked
         * again after a pause (it finishes a deletion within 100 ms) */
        if (!rv || refused == 0)
            break;
        e2e_backoff(50);
    }
    if (left == 0)
        return 0;
    print_error("e2e: namespaces labelled kreg.io/e2e-run=%s are left\n",
                run->id);
    return -1;
}

/* Group teardown: wait for the run's namespaces to be gone. */
static inline int e2e_group_teardown(void **state)
{
    struct e2e_run *run = *state;
    int rc;

    if (!run)
        return 0;
    rc = e2e_run_wait_gone(run);
    kreg__http_free(run->http);
    kreg__config_release(&run->cfg);
    free(run);
    return rc;
}

/* Table entries: a test for any target, and one that needs fakeapi. */
#define E2E_TEST(f)                                                            \
    {                                                                          \
        cmocka_unit_test_setup_teardown(f, e2e_setup_target, e2e_teardown),    \
            NULL                                                               \
    }
#define E2E_FAKE_TEST(f, why)                                                  \
    {                                                                          \
        cmocka_unit_test_setup_teardown(f, e2e_setup_target, e2e_teardown),    \
            why                                                                \
    }

/*
 * Run @p tests as group @p group. Against a cluster the E2E_FAKE_TEST ones
 * are left out, each named with the reason, and the count is printed (a
 * left-out test is not reported as passed, nor as skipped: it is not run).
 */
static inline int e2e_run_group(const char *group, const struct e2e_test *tests,
                                size_t n)
{
    struct CMUnitTest *run = calloc(n ? n : 1, sizeof(*run));
    bool cluster = e2e_is_cluster();
    size_t m = 0;
    size_t i;
    int rc;

    if (!run)
        return 1;
    for (i = 0; i < n; i++) {
        if (cluster && tests[i].fake_only)
            printf("# %s: %s not run against a cluster: needs fakeapi (%s)\n",
                   group, tests[i].unit.name, tests[i].fake_only);
        else
            run[m++] = tests[i].unit;
    }
    if (cluster)
        printf("# %s: %zu of %zu tests run against %s (context %s), "
               "%zu need fakeapi\n",
               group, m, n, e2e_env(E2E_ENV_KUBECONFIG),
               e2e_env(E2E_ENV_CONTEXT) ? e2e_env(E2E_ENV_CONTEXT) : "current",
               n - m);
    fflush(stdout);
    rc = _cmocka_run_group_tests(group, run, m, e2e_group_setup,
                                 e2e_group_teardown);
    free(run);
    return rc;
}

#endif
