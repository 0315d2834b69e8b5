/*
 * Load shapes the server must survive with correct answers (issue 6):
 * concurrent writers with resourceVersion preconditions, a thousand idle
 * or half-sent connections, hundreds of watchers, and a watcher that
 * never reads. Bounded, 127.0.0.1 only; waits on conditions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "knum.h"
#include "rawhttp.h"
#include "testutil.h"

#define PODS "/api/v1/namespaces/default/pods"

/* Make sure this process may hold @p n descriptors. */
static void need_fds(rlim_t n)
{
    struct rlimit rl;

    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < n && rl.rlim_max >= n) {
        rl.rlim_cur = n;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    if (rl.rlim_cur < n)
        skip(); /* the hard limit forbids the test */
}

/* ---- concurrent writers ---- */

#define WRITERS     8
#define WRITES      200
#define SHARED_PODS 4
#define MAX_RETRIES 10000

struct writer {
    pthread_t th;
    fakeapi *srv;
    unsigned id;
    unsigned requests;             /* answered requests */
    unsigned conflicts;            /* 409s retried */
    unsigned failures;             /* anything else: the test fails */
    unsigned regressed;            /* a read older than an earlier one */
    uint64_t seen[SHARED_PODS];    /* newest rv seen per pod */
    uint64_t wrote[WRITES];        /* rv each successful write made */
    uint64_t precondition[WRITES]; /* rv the write was based on */
};

struct one_res {
    struct kbuf body;
};

static size_t one_write(char *p, size_t sz, size_t n, void *cls)
{
    struct one_res *r = cls;

    return kbuf_add(&r->body, p, sz * n) == KBUF_OK ? sz * n : 0;
}

/* One request on the writer's keep-alive handle: the status, or 0. */
static long one(CURL *c, const char *method, const char *url, const char *body,
                struct one_res *res)
{
    struct curl_slist *h =
        curl_slist_append(NULL, "Content-Type: application/merge-patch+json");
    long st = 0;

    kbuf_reset(&res->body);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, one_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, res);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    return st;
}

/* The resourceVersion of the pod in @p res, or 0. */
static uint64_t rv_of(const struct one_res *res)
{
    json_t *j = json_loadb(kbuf_str(&res->body), kbuf_len(&res->body), 0, NULL);
    const char *s = jstr(j, "metadata.resourceVersion");
    uint64_t rv = 0;

    if (!s || !knum_u64(s, &rv))
        rv = 0;
    json_decref(j);
    return rv;
}

/* A read or write answer for pod @p p: its rv never goes back. */
static uint64_t saw(struct writer *w, unsigned p, const struct one_res *res)
{
    uint64_t rv = rv_of(res);

    if (rv == 0 || rv < w->seen[p])
        w->regressed++;
    else
        w->seen[p] = rv;
    return rv;
}

/* Add label w<id>-<i> to shared pod (id + i) % SHARED_PODS: read, patch
 * with the read resourceVersion as precondition, retry on 409. */
static void write_one(struct writer *w, CURL *c, struct one_res *res,
                      unsigned i)
{
    unsigned p = (w->id + i) % SHARED_PODS;
    char url[256];
    char body[256];
    unsigned tries;

    snprintf(url, sizeof(url), "%s" PODS "/shared-%u", fakeapi_url(w->srv), p);
    for (tries = 0; tries < MAX_RETRIES; tries++) {
        uint64_t rv;
        long st = one(c, "GET", url, NULL, res);

        w->requests += st != 0;
        if (st != 200) {
            w->failures++;
            return;
        }
        rv = saw(w, p, res);
        snprintf(body, sizeof(body),
                 "{\"metadata\":{\"resourceVersion\":\"%llu\",\"labels\":"
                 "{\"w%u-%u\":\"v\"}}}",
                 (unsigned long long)rv, w->id, i);
        st = one(c, "PATCH", url, body, res);
        w->requests += st != 0;
        if (st == 409) {
            w->conflicts++;
            continue;
        }
        if (st != 200) {
            w->failures++;
            return;
        }
        w->precondition[i] = rv;
        w->wrote[i] = saw(w, p, res);
        return;
    }
    w->failures++;
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    CURL *c = curl_easy_init();
    struct one_res res;
    unsigned i;

    kbuf_init(&res.body, 1u << 24);
    for (i = 0; c && i < WRITES; i++)
        write_one(w, c, &res, i);
    if (!c)
        w->failures++;
    kbuf_release(&res.body);
    curl_easy_cleanup(c);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Shared pod @p p carries the key of every write made to it, and its
 * resourceVersion is the one the last of those writes made. */
static void check_labels(fakeapi *srv, const struct writer *w, unsigned p)
{
    uint64_t last = 0;
    uint64_t rv = 0;
    char name[16];
    char key[32];
    char *json = NULL;
    json_t *pod;
    json_t *labels;
    unsigned t;
    unsigned i;

    snprintf(name, sizeof(name), "shared-%u", p);
    assert_int_equal(fakeapi_get_pod(srv, "default", name, &json, NULL),
                     FAKEAPI_OK);
    pod = json_loads(json, 0, NULL);
    free(json);
    labels = json_object_get(json_object_get(pod, "metadata"), "labels");
    for (t = 0; t < WRITERS; t++) {
        for (i = 0; i < WRITES; i++) {
            if ((t + i) % SHARED_PODS != p)
                continue;
            snprintf(key, sizeof(key), "w%u-%u", t, i);
            assert_non_null(json_object_get(labels, key));
            if (w[t].wrote[i] > last)
                last = w[t].wrote[i];
        }
    }
    assert_true(knum_u64(jstr(pod, "metadata.resourceVersion"), &rv));
    assert_true(rv == last);
    /* app=s plus one key per write: nothing lost, nothing extra */
    assert_int_equal(json_object_size(labels),
                     1 + WRITERS * WRITES / SHARED_PODS);
    json_decref(pod);
}

/* No failure, reads never went back in time, every write made a newer
 * version than the one it was based on, and no two writes share an rv. */
static void check_writes(fakeapi *srv, const struct writer *w)
{
    uint64_t *all = calloc(WRITERS * WRITES, sizeof(*all));
    size_t n = 0;
    unsigned t;
    unsigned i;

    assert_non_null(all);
    for (i = 0; i < SHARED_PODS; i++)
        check_labels(srv, w, i);
    for (t = 0; t < WRITERS; t++) {
        assert_int_equal(w[t].failures, 0);
        assert_int_equal(w[t].regressed, 0);
        for (i = 0; i < WRITES; i++) {
            assert_true(w[t].wrote[i] > w[t].precondition[i]);
            all[n++] = w[t].wrote[i];
        }
    }
    qsort(all, n, sizeof(all[0]), cmp_u64);
    for (i = 1; i < n; i++)
        assert_true(all[i] > all[i - 1]);
    free(all);
}

static void test_load_concurrent_patches_lose_no_update(void **state)
{
    fakeapi *srv = NULL;
    struct writer *w = calloc(WRITERS, sizeof(*w));
    unsigned t;
    unsigned p;
    unsigned conflicts = 0;

    (void)state;
    assert_non_null(w);
    assert_int_equal(fakeapi_start(NULL, &srv, NULL), FAKEAPI_OK);
    for (p = 0; p < SHARED_PODS; p++) {
        char name[16];

        snprintf(name, sizeof(name), "shared-%u", p);
        assert_int_equal(make_pod(srv, "default", name, "{\"app\":\"s\"}"),
                         201);
    }
    for (t = 0; t < WRITERS; t++) {
        w[t].srv = srv;
        w[t].id = t;
        assert_int_equal(pthread_create(&w[t].th, NULL, writer_main, &w[t]), 0);
    }
    for (t = 0; t < WRITERS; t++) {
        pthread_join(w[t].th, NULL);
        conflicts += w[t].conflicts;
    }
    check_writes(srv, w);
    /* eight writers on four pods: the preconditions did collide */
    assert_true(conflicts > 0);
    fakeapi_stop(srv);
    free(w);
}

/* ---- a thousand idle and half-sent connections (slowloris) ---- */

#define IDLE_CONNS     1000
#define IDLE_TIMEOUT_S 3

/* Open @p n connections; odd ones send an unfinished request head. */
static void open_idle(uint16_t port, int *fds, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        fds[i] = raw_connect(port, 0);
        assert_true(fds[i] >= 0);
        if (i % 2)
            assert_true(raw_sends(fds[i], "GET " PODS " HTTP/1.1\r\n"
                                          "Host: 127.0.0.1\r\nX-Slow: "));
    }
}

/* Wait until the server has closed every one of @p fds (true). */
static bool wait_all_closed(int *fds, size_t n, int timeout_s)
{
    uint64_t deadline = raw_now_ms() + (uint64_t)timeout_s * 1000;
    struct pollfd *pfd = calloc(n, sizeof(*pfd));
    size_t open = n;
    size_t i;

    assert_non_null(pfd);
    while (open > 0 && raw_now_ms() < deadline) {
        for (i = 0; i < n; i++) {
            pfd[i].fd = fds[i];
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
        }
        if (poll(pfd, n, 100) <= 0)
            continue;
        for (i = 0; i < n; i++) {
            if (fds[i] >= 0 && pfd[i].revents && raw_is_closed(fds[i])) {
                close(fds[i]);
                fds[i] = -1; /* poll() skips negative descriptors */
                open--;
            }
        }
    }
    free(pfd);
    return open == 0;
}

static void test_load_idle_connections_do_not_starve_clients(void **state)
{
    struct fakeapi_options o = {0};
    fakeapi *srv = NULL;
    int *fds = calloc(IDLE_CONNS, sizeof(*fds));
    struct http_res r;
    size_t i;

    (void)state;
    assert_non_null(fds);
    need_fds(2 * IDLE_CONNS + 256);
    o.idle_timeout_s = IDLE_TIMEOUT_S;
    assert_int_equal(fakeapi_start(&o, &srv, NULL), FAKEAPI_OK);
    open_idle(fakeapi_port(srv), fds, IDLE_CONNS);
    /* other clients are served while the thousand are held */
    for (i = 0; i < 20; i++) {
        assert_int_equal(http(srv, "GET", i % 2 ? "/healthz" : PODS, NULL, &r),
                         200);
        http_res_free(&r);
    }
    for (i = 0; i < IDLE_CONNS; i++)
        assert_false(raw_is_closed(fds[i]));
    /* and the server drops them after the idle timeout */
    assert_true(wait_all_closed(fds, IDLE_CONNS, IDLE_TIMEOUT_S + 20));
    assert_int_equal(http(srv, "GET", "/healthz", NULL, &r), 200);
    http_res_free(&r);
    fakeapi_stop(srv);
    free(fds);
}

/* ---- the connection limit ---- */

#define CONN_LIMIT 8

static void test_load_connection_limit_queues_then_serves(void **state)
{
    struct fakeapi_options o = {0};
    fakeapi *srv = NULL;
    int fds[CONN_LIMIT];
    struct kbuf in;
    size_t i;
    int extra;

    (void)state;
    o.max_connections = CONN_LIMIT;
    o.threads = 1; /* with a pool, the limit is split between workers */
    assert_int_equal(fakeapi_start(&o, &srv, NULL), FAKEAPI_OK);
    open_idle(fakeapi_port(srv), fds, CONN_LIMIT);
    kbuf_init(&in, 1u << 16);
    extra = raw_connect(fakeapi_port(srv), 0);
    assert_true(extra >= 0);
    assert_true(raw_sends(extra, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1"
                                 "\r\nConnection: close\r\n\r\n"));
    /* at the limit the daemon stops accepting: the extra connection waits
     * in the listen backlog, unanswered but not refused (a bounded look:
     * there is no event for "nothing happened") */
    assert_false(raw_wait_for(extra, &in, "\r\n", 300));
    assert_false(raw_is_closed(extra));
    /* a slot frees: it is served */
    for (i = 0; i < CONN_LIMIT; i++)
        close(fds[i]);
    assert_true(raw_wait_for(extra, &in, "\r\n\r\n", 20000));
    assert_int_equal(raw_status(&in), 200);
    close(extra);
    kbuf_release(&in);
    fakeapi_stop(srv);
}

/* ---- hundreds of watchers ---- */

#define WATCHERS 300

static void test_load_every_watcher_gets_the_event(void **state)
{
    fakeapi *srv = NULL;
    int *fds = calloc(WATCHERS, sizeof(*fds));
    struct kbuf *in = calloc(WATCHERS, sizeof(*in));
    uint16_t port;
    size_t i;

    (void)state;
    assert_true(fds && in);
    need_fds(2 * WATCHERS + 256);
    assert_int_equal(fakeapi_start(NULL, &srv, NULL), FAKEAPI_OK);
    port = fakeapi_port(srv);
    for (i = 0; i < WATCHERS; i++) {
        kbuf_init(&in[i], 1u << 20);
        fds[i] = raw_connect(port, 0);
        assert_true(fds[i] >= 0);
        assert_true(raw_sends(fds[i], "GET " PODS "?watch=true HTTP/1.1\r\n"
                                      "Host: 127.0.0.1\r\n\r\n"));
    }
    /* the server registers a watcher before it answers the headers */
    for (i = 0; i < WATCHERS; i++)
        assert_true(raw_wait_for(fds[i], &in[i], "\r\n\r\n", 20000));
    assert_int_equal(fakeapi_watch_count(srv), WATCHERS);
    assert_int_equal(make_pod(srv, "default", "fanout", NULL), 201);
    for (i = 0; i < WATCHERS; i++) {
        assert_true(raw_wait_for(fds[i], &in[i], "\"name\":\"fanout\"", 20000));
        assert_non_null(strstr(raw_body(&in[i]), "{\"type\":\"ADDED\""));
        close(fds[i]);
        kbuf_release(&in[i]);
    }
    /* the server notices the clients left while their streams are idle
     * (no event needed) and frees the watchers */
    assert_true(wait_watch_count(srv, 0, 20));
    fakeapi_stop(srv);
    free(in);
    free(fds);
}

/* ---- a watcher that never reads ---- */

#define QUEUE      64
#define BIG_EVENTS 600
#define ANNOTATION 16384

/* Set annotation "blob" of pod @p name to @p n bytes of @p c. */
static void patch_blob(fakeapi *srv, const char *name, char c, size_t n)
{
    char path[256];
    char *body = malloc(n + 64);
    struct http_res r;
    int k;

    assert_non_null(body);
    k = snprintf(body, n + 64, "{\"metadata\":{\"annotations\":{\"blob\":\"");
    memset(body + k, c, n);
    snprintf(body + k + n, 64, "\"}}}");
    snprintf(path, sizeof(path), PODS "/%s", name);
    assert_int_equal(
        http_ct(srv, "PATCH", path, "application/merge-patch+json", body, &r),
        200);
    http_res_free(&r);
    free(body);
}

static void test_load_unread_watch_is_closed_alone(void **state)
{
    struct fakeapi_options o = {0};
    fakeapi *srv = NULL;
    struct watch_client *good;
    struct kbuf in;
    size_t i;
    int fd;

    (void)state;
    o.watch_queue = QUEUE;
    o.idle_timeout_s = 2;
    assert_int_equal(fakeapi_start(&o, &srv, NULL), FAKEAPI_OK);
    assert_int_equal(make_pod(srv, "default", "busy", NULL), 201);
    good = watch_client_start(srv, PODS "?watch=true&resourceVersion=0", NULL);
    assert_true(watch_client_wait_lines(good, 1, 20)); /* ADDED busy */
    /* a small receive buffer that is never read */
    kbuf_init(&in, 1u << 20);
    fd = raw_connect(fakeapi_port(srv), 4096);
    assert_true(fd >= 0);
    assert_true(raw_sends(fd, "GET " PODS "?watch=true HTTP/1.1\r\n"
                              "Host: 127.0.0.1\r\n\r\n"));
    assert_true(raw_wait_for(fd, &in, "\r\n\r\n", 20000));
    assert_int_equal(fakeapi_watch_count(srv), 2);
    /* far more than the queue and the socket buffers hold; the reader
     * keeps up with each event before the next one is written */
    for (i = 0; i < BIG_EVENTS; i++) {
        patch_blob(srv, "busy", (char)('a' + i % 26), ANNOTATION);
        assert_true(watch_client_wait_lines(good, i + 2, 20));
    }
    /* the stalled stream is closed; the reader is untouched */
    assert_true(wait_watch_count(srv, 1, 20));
    patch_blob(srv, "busy", 'z', 16);
    assert_true(watch_client_wait_lines(good, BIG_EVENTS + 2, 20));
    pthread_mutex_lock(&good->mu);
    assert_false(good->done);
    pthread_mutex_unlock(&good->mu);
    close(fd);
    kbuf_release(&in);
    watch_client_free(good);
    fakeapi_stop(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_concurrent_patches_lose_no_update),
        cmocka_unit_test(test_load_idle_connections_do_not_starve_clients),
        cmocka_unit_test(test_load_connection_limit_queues_then_serves),
        cmocka_unit_test(test_load_every_watcher_gets_the_event),
        cmocka_unit_test(test_load_unread_watch_is_closed_alone),
    };

    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests_name("load", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
