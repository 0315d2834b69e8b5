/*
 * kreg_watch_*() against a scripted API server that answers what the
 * fakeapi never sends: undecodable lines, events without a type, an
 * object or a pod name, unknown event types, ERROR events other than
 * 410, lines over the cap, failed watch requests. Each is reported once
 * through kreg_query.on_problem, and the watcher re-lists, so a change
 * the bad line hid still arrives (no loss) and nothing arrives twice.
 *
 * The server (script.h) answers the Nth list and the Nth watch request
 * as scripted, then keeps the connection open, silent: a stream that
 * never ends by itself.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kreg.h"
#include "script.h"

#define GUARD_MS SCRIPT_GUARD_MS
#define PROBLEMS 4

/* ---- Pods, lists and streams -------------------------------------------*/

/* A Running pod serving greeter at @p address (new reference). */
static json_t *pod(const char *name, const char *address, const char *rv)
{
    char svc[256];

    snprintf(svc, sizeof(svc),
             "{\"name\":\"greeter\",\"version\":\"1\",\"metadata\":null,"
             "\"endpoints\":null,\"nodes\":[{\"id\":\"%s\",\"address\":\"%s\","
             "\"metadata\":null}]}",
             name, address);
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s},s:{s:s}},s:{s:s}}",
                     "kind", "Pod", "apiVersion", "v1", "metadata", "name",
                     name, "resourceVersion", rv, "labels", "micro.mu/type",
                     "service", "micro.mu/selector-greeter", "service",
                     "annotations", "micro.mu/service-greeter", svc, "status",
                     "phase", "Running");
}

/* pod() with status.conditions @p conditions (JSON text). */
static json_t *pod_cond(const char *address, const char *rv,
                        const char *conditions)
{
    json_t *p = pod("pod-a", address, rv);
    json_t *c = json_loads(conditions, JSON_DECODE_ANY, NULL);

    assert_non_null(c);
    assert_int_equal(
        json_object_set_new(json_object_get(p, "status"), "conditions", c), 0);
    return p;
}

/* A list, or a MODIFIED event line, of pod_cond(). */
static void add_list_cond(struct script *s, const char *address, const char *rv,
                          const char *conditions)
{
    json_t *l = json_pack("{s:s,s:s,s:{s:s},s:[o]}", "kind", "PodList",
                          "apiVersion", "v1", "metadata", "resourceVersion", rv,
                          "items", pod_cond(address, rv, conditions));
    char *body;

    assert_non_null(l);
    body = json_dumps(l, JSON_COMPACT);
    json_decref(l);
    assert_non_null(body);
    script_json(s, SCRIPT_LIST, "HTTP/1.1 200 OK", body);
    free(body);
}

static char *event_cond(const char *address, const char *rv,
                        const char *conditions)
{
    json_t *e = json_pack("{s:s,s:o}", "type", "MODIFIED", "object",
                          pod_cond(address, rv, conditions));
    char *text;

    assert_non_null(e);
    text = json_dumps(e, JSON_COMPACT);
    json_decref(e);
    assert_non_null(text);
    return text;
}

static void add_list(struct script *s, const char *address, const char *rv)
{
    json_t *l = json_pack("{s:s,s:s,s:{s:s},s:[o]}", "kind", "PodList",
                          "apiVersion", "v1", "metadata", "resourceVersion", rv,
                          "items", pod("pod-a", address, rv));
    char *body;

    assert_non_null(l);
    body = json_dumps(l, JSON_COMPACT);
    json_decref(l);
    assert_non_null(body);
    script_json(s, SCRIPT_LIST, "HTTP/1.1 200 OK", body);
    free(body);
}

/* One watch event line for pod-a at @p address. */
static char *event(const char *type, const char *address, const char *rv)
{
    json_t *e = json_pack("{s:s,s:o}", "type", type, "object",
                          pod("pod-a", address, rv));
    char *text;

    assert_non_null(e);
    text = json_dumps(e, JSON_COMPACT);
    json_decref(e);
    assert_non_null(text);
    return text;
}

/* A watch answer: a 200 head, then the lines given (NULL-terminated),
 * each followed by '\n'. */
static void add_watch(struct script *s, const char *first, ...)
{
    static const char head[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: application/json\r\n"
                               "Connection: close\r\n\r\n";
    size_t len = sizeof(head);
    size_t at = sizeof(head) - 1;
    const char *line;
    va_list ap;
    char *text;

    va_start(ap, first);
    for (line = first; line; line = va_arg(ap, const char *))
        len += strlen(line) + 1;
    va_end(ap);
    text = malloc(len);
    assert_non_null(text);
    memcpy(text, head, at);
    va_start(ap, first);
    for (line = first; line; line = va_arg(ap, const char *)) {
        memcpy(text + at, line, strlen(line));
        at += strlen(line);
        text[at++] = '\n';
    }
    va_end(ap);
    text[at] = '\0';
    script_add(s, SCRIPT_WATCH, text);
    free(text);
}

/* ---- What the watcher reports ------------------------------------------*/

struct seen {
    pthread_mutex_t mu;
    char problems[PROBLEMS][512];
    size_t nproblems;
    size_t nskips;
    char last_skip[256]; /* "key: why" */
};

static void on_problem(void *ctx, const char *what)
{
    struct seen *v = ctx;

    pthread_mutex_lock(&v->mu);
    if (v->nproblems < PROBLEMS)
        snprintf(v->problems[v->nproblems], sizeof(v->problems[0]), "%s", what);
    v->nproblems++;
    pthread_mutex_unlock(&v->mu);
}

static void on_skip(void *ctx, const char *p, const char *key, const char *why)
{
    struct seen *v = ctx;

    (void)p;
    pthread_mutex_lock(&v->mu);
    snprintf(v->last_skip, sizeof(v->last_skip), "%s: %s", key, why);
    v->nskips++;
    pthread_mutex_unlock(&v->mu);
}

struct st {
    struct script srv;
    struct seen seen;
    unsigned retry_base_ms; /* 0: 1 ms */
    bool ready_only;        /* kreg_query.ready_only */
    kreg *r;
    kreg_watch *w;
};

static int setup(void **state)
{
    struct st *t = calloc(1, sizeof(*t));

    if (!t)
        return -1;
    pthread_mutex_init(&t->seen.mu, NULL);
    script_init(&t->srv);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct st *t = *state;

    kreg_watch_free(t->w);
    kreg_free(t->r);
    script_stop(&t->srv);
    script_release(&t->srv);
    pthread_mutex_destroy(&t->seen.mu);
    free(t);
    return 0;
}

/* Start the server with its script, then a watch on every service. */
static void start(struct st *t)
{
    struct kreg_options o;
    struct kreg_query q;
    struct kreg_error err;
    char url[64];

    script_start(&t->srv);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)t->srv.port);
    memset(&o, 0, sizeof(o));
    memset(&err, 0, sizeof(err));
    o.server = url;
    o.namespace_ = "default";
    o.no_in_cluster = true;
    o.retry_base_ms = t->retry_base_ms ? t->retry_base_ms : 1;
    if (kreg_new(&o, &t->r, &err) != KREG_OK)
        fail_msg("kreg_new: %s", err.text);
    memset(&q, 0, sizeof(q));
    q.on_skip = on_skip;
    q.on_problem = on_problem;
    q.ctx = &t->seen;
    q.ready_only = t->ready_only;
    if (kreg_watch_new_q(t->r, NULL, &q, KREG_QUERY_SIZE, &t->w, &err) !=
        KREG_OK)
        fail_msg("kreg_watch_new_q: %s", err.text);
}

/* The next result must be @p action on pod-a at @p address. */
static void expect(struct st *t, enum kreg_action action, const char *address)
{
    struct kreg_result *res = NULL;
    struct kreg_error err;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = kreg_watch_next(t->w, GUARD_MS, &res, &err);
    if (rc != KREG_OK)
        fail_msg("kreg_watch_next: %s (%s)", kreg_strerror(rc), err.text);
    assert_int_equal(res->action, action);
    assert_string_equal(res->pod, "pod-a");
    assert_true(res->service->nnodes == 1);
    assert_string_equal(res->service->nodes[0]->address, address);
    kreg_result_free(res);
}

/* Exactly one problem was reported, and it says @p what. */
static void one_problem(struct st *t, const char *what)
{
    pthread_mutex_lock(&t->seen.mu);
    if (t->seen.nproblems != 1 || !strstr(t->seen.problems[0], what))
        fail_msg("want one problem saying \"%s\", got %zu: \"%s\"", what,
                 t->seen.nproblems,
                 t->seen.nproblems ? t->seen.problems[0] : "");
    assert_int_equal(t->seen.nskips, 0);
    pthread_mutex_unlock(&t->seen.mu);
}

/*
 * The common script: the first list has pod-a at :1; the first stream
 * moves it to :2, then sends the line @p bad; the second list has it at
 * :3, a change
 * the bad line stands for; the second stream stays silent. The watcher
 * must report :2 then :3, each once, and one problem saying @p what.
 */
static void bad_line_is_reported_and_relisted(struct st *t, const char *bad,
                                              const char *what)
{
    char *moved = event("MODIFIED", "10.0.0.1:2", "11");

    add_list(&t->srv, "10.0.0.1:1", "10");
    add_list(&t->srv, "10.0.0.1:3", "13");
    add_watch(&t->srv, moved, bad, (const char *)NULL);
    add_watch(&t->srv, (const char *)NULL);
    free(moved);
    start(t);
    expect(t, KREG_ACTION_UPDATE, "10.0.0.1:2");
    expect(t, KREG_ACTION_UPDATE, "10.0.0.1:3");
    one_problem(t, what);
    /* one re-list, one new stream: the second stream stays silent */
    assert_true(script_wait(&t->srv, SCRIPT_WATCH, 2));
    assert_int_equal(script_served(&t->srv, SCRIPT_LIST), 2);
    assert_int_equal(script_served(&t->srv, SCRIPT_WATCH), 2);
}

/* An ERROR event saying the resourceVersion is too old (docs/kubernetes-api.md,
 * Watch). */
#define GONE                                                                   \
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":"      \
    "\"v1\",\"status\":\"Failure\",\"message\":\"too old resource version: "   \
    "11 (12)\",\"reason\":\"Expired\",\"code\":410}}"

/* ---- Tests -------------------------------------------------------------*/

static void test_watch_undecodable_line_is_reported_and_relisted(void **state)
{
    bad_line_is_reported_and_relisted(*state, "{\"type\":\"MODIFIED\",\"obj",
                                      "watch stream: undecodable line: ");
}

static void test_watch_event_without_type_is_reported_and_relisted(void **state)
{
    bad_line_is_reported_and_relisted(*state, "{\"object\":{}}",
                                      "watch stream: an event without a type");
}

static void
test_watch_event_without_object_is_reported_and_relisted(void **state)
{
    bad_line_is_reported_and_relisted(*state,
                                      "{\"type\":\"ADDED\",\"object\":5}",
                                      "watch stream: an event without an "
                                      "object");
}

static void test_watch_unknown_event_type_is_reported_and_relisted(void **state)
{
    bad_line_is_reported_and_relisted(
        *state, "{\"type\":\"RENAMED\",\"object\":{}}",
        "watch stream: unknown event type \"RENAMED\"");
}

static void
test_watch_event_without_pod_name_is_reported_and_relisted(void **state)
{
    bad_line_is_reported_and_relisted(
        *state, "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{}}}",
        "watch stream: MODIFIED event for a pod without a name");
}

/* docs/kubernetes-api.md, Watch: an ERROR event carries a Status; only 410 is
 * routine */
static void test_watch_error_event_is_reported_and_relisted(void **state)
{
    bad_line_is_reported_and_relisted(
        *state,
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":"
        "\"v1\",\"status\":\"Failure\",\"message\":\"etcd is sad\","
        "\"reason\":\"InternalError\",\"code\":500}}",
        "watch stream: ERROR event: 500 InternalError: etcd is sad");
}

static void test_watch_line_over_the_cap_is_reported_and_relisted(void **state)
{
    size_t n = (8u << 20) + 16;
    char *huge = malloc(n + 1);

    assert_non_null(huge);
    memset(huge, ' ', n);
    huge[n] = '\0';
    bad_line_is_reported_and_relisted(*state, huge,
                                      "watch stream: a line over 8 MiB");
    free(huge);
}

/* A failed watch request is retried (and said so); the change made
 * meanwhile arrives through the resumed stream. */
static void test_watch_failed_request_is_reported_and_retried(void **state)
{
    struct st *t = *state;
    char *moved = event("MODIFIED", "10.0.0.1:2", "11");

    add_list(&t->srv, "10.0.0.1:1", "10");
    script_json(&t->srv, SCRIPT_WATCH, "HTTP/1.1 500 Internal Server Error",
                "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
                "\"Failure\",\"message\":\"boom\",\"reason\":"
                "\"InternalError\",\"code\":500}");
    add_watch(&t->srv, moved, (const char *)NULL);
    free(moved);
    start(t);
    expect(t, KREG_ACTION_UPDATE, "10.0.0.1:2");
    one_problem(t, "watch pods in namespace \"default\": boom (HTTP 500 "
                   "InternalError); retrying in ");
}

/* A routine 410 in the middle of a stream, after an event: the event
 * counts, the watcher re-lists at once, and nothing is a problem. */
static void test_watch_410_relists_without_a_problem(void **state)
{
    struct st *t = *state;
    char *moved = event("MODIFIED", "10.0.0.1:2", "11");

    char *stale = event("MODIFIED", "10.0.0.1:9", "12");

    add_list(&t->srv, "10.0.0.1:1", "10");
    add_list(&t->srv, "10.0.0.1:3", "13");
    /* what follows the 410 on the same stream is not read */
    add_watch(&t->srv, moved, GONE, stale, (const char *)NULL);
    add_watch(&t->srv, (const char *)NULL);
    free(moved);
    free(stale);
    start(t);
    expect(t, KREG_ACTION_UPDATE, "10.0.0.1:2");
    expect(t, KREG_ACTION_UPDATE, "10.0.0.1:3");
    assert_true(script_wait(&t->srv, SCRIPT_WATCH, 2));
    assert_int_equal(script_served(&t->srv, SCRIPT_LIST), 2);
    pthread_mutex_lock(&t->seen.mu);
    assert_int_equal(t->seen.nproblems, 0);
    pthread_mutex_unlock(&t->seen.mu);
}

/*
 * A server that ends every stream at once without an event (a 410 each
 * time, or an empty answer) is not asked again and again: the pauses
 * between watch requests double from retry_base_ms (20 ms here).
 */
static void streams_ending_at_once_back_off(struct st *t, const char *line)
{
    size_t i;

    add_list(&t->srv, "10.0.0.1:1", "10");
    if (line)
        add_watch(&t->srv, line, (const char *)NULL);
    else
        script_json(&t->srv, SCRIPT_WATCH, "HTTP/1.1 200 OK", "");
    t->retry_base_ms = 20;
    start(t);
    assert_true(script_wait(&t->srv, SCRIPT_WATCH, 5));
    kreg_watch_free(t->w);
    t->w = NULL;
    script_stop(&t->srv);
    for (i = 1; i < 5; i++) {
        int64_t gap =
            t->srv.at[SCRIPT_WATCH][i] - t->srv.at[SCRIPT_WATCH][i - 1];

        if (gap < (int64_t)(20u << (i - 1)))
            fail_msg("watch request %zu came %lld ms after the one before, "
                     "want at least %u",
                     i, (long long)gap, 20u << (i - 1));
    }
}

static void test_watch_a_410_each_time_backs_off(void **state)
{
    streams_ending_at_once_back_off(*state, GONE);
}

static void test_watch_empty_answers_back_off(void **state)
{
    streams_ending_at_once_back_off(*state, NULL);
}

/* The skips reported so far, and the last one's text. */
static void skips_are(struct st *t, size_t n, const char *last)
{
    pthread_mutex_lock(&t->seen.mu);
    if (t->seen.nskips != n || strcmp(t->seen.last_skip, last) != 0)
        fail_msg("want %zu skips, the last \"%s\"; got %zu, \"%s\"", n, last,
                 t->seen.nskips, t->seen.last_skip);
    assert_int_equal(t->seen.nproblems, 0);
    pthread_mutex_unlock(&t->seen.mu);
}

#define READY "[{\"type\":\"Ready\",\"status\":\"True\"}]"
#define KEY   "micro.mu/service-greeter: pod not ready: "

/*
 * kreg_query.ready_only with malformed status.conditions, in a list and in
 * events (a server could send them; kube-apiserver and fakeapi refuse
 * them): the pod counts as not ready (its services are deleted), each is
 * reported once through on_skip, and the watch goes on without a problem.
 */
static void test_watch_ready_malformed_conditions_are_not_ready(void **state)
{
    static const char *const bad[] = {
        "{\"type\":\"Ready\"}",
        "[{\"status\":\"True\"}]",
        "[{\"type\":\"Ready\",\"status\":true}]",
        "[{\"type\":7,\"status\":\"True\"}]",
        "[{\"type\":\"Ready\"}]",
        "[{\"type\":\"PodScheduled\",\"status\":\"True\"},3]",
    };
    static const char *const why[] = {
        "status.conditions is not an array",
        "status.conditions[0] has no type",
        "status.conditions[0] status is not a string",
        "status.conditions[0] type is not a string",
        "status.conditions[0] has no status",
        "status.conditions[1] is not an object",
    };
    struct st *t = *state;
    char *lines[2 * 6 + 1];
    char want[256];
    size_t i;

    t->ready_only = true;
    /* the list: malformed, so not ready (and reported at once) */
    add_list_cond(&t->srv, "10.0.0.1:1", "10", "\"Ready\"");
    for (i = 0; i < 6; i++) {
        char rv[16];

        snprintf(rv, sizeof(rv), "%zu", 11 + 2 * i);
        lines[2 * i] = event_cond("10.0.0.1:1", rv, READY);
        snprintf(rv, sizeof(rv), "%zu", 12 + 2 * i);
        lines[2 * i + 1] = event_cond("10.0.0.1:1", rv, bad[i]);
    }
    lines[12] = NULL;
    add_watch(&t->srv, lines[0], lines[1], lines[2], lines[3], lines[4],
              lines[5], lines[6], lines[7], lines[8], lines[9], lines[10],
              lines[11], (const char *)NULL);
    add_watch(&t->srv, (const char *)NULL);
    start(t);
    skips_are(t, 1, KEY "status.conditions is not an array");
    for (i = 0; i < 6; i++) {
        expect(t, KREG_ACTION_CREATE, "10.0.0.1:1");
        expect(t, KREG_ACTION_DELETE, "10.0.0.1:1");
    }
    /* the deletes came from the same lines as the reports */
    snprintf(want, sizeof(want), KEY "%s", why[5]);
    skips_are(t, 7, want);
    for (i = 0; i < 12; i++)
        free(lines[i]);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_watch_undecodable_line_is_reported_and_relisted),
        T(test_watch_event_without_type_is_reported_and_relisted),
        T(test_watch_event_without_object_is_reported_and_relisted),
        T(test_watch_unknown_event_type_is_reported_and_relisted),
        T(test_watch_event_without_pod_name_is_reported_and_relisted),
        T(test_watch_error_event_is_reported_and_relisted),
        T(test_watch_line_over_the_cap_is_reported_and_relisted),
        T(test_watch_failed_request_is_reported_and_retried),
        T(test_watch_410_relists_without_a_problem),
        T(test_watch_a_410_each_time_backs_off),
        T(test_watch_empty_answers_back_off),
        T(test_watch_ready_malformed_conditions_are_not_ready),
    };
#undef T
    return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
