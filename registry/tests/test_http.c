/*
 * The HTTP client (http.h) against a fakeapi server on loopback: keep-alive,
 * Status decoding, bearer tokens, retries of idempotent requests, timeouts,
 * TLS and watch streams. A tiny raw server covers answers fakeapi never
 * gives (plain-text errors, oversized bodies). Nothing here sleeps: waits
 * are on condition variables, with a generous guard against hangs.
 *
 * Past 1,000 lines on purpose: one cmocka group per module
 * (docs/conventions.md, Tests), and the module's cases are many small,
 * independent tests (retries, TLS, streams) that share one fixture; splitting
 * would duplicate the fixture.
 *
 * Over 1,000 lines: one fixture (the fakeapi server and the raw server)
 * shared by every case; split by topic it would repeat that set-up.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "fakeapi.h"
#include "http.h"
#include "http_int.h"
#include "kbuf.h"

#define PATH_LEN 1024
#define URL_LEN  96
#define GUARD_S  30 /* hang guard for waits: never reached when it works */
#define POD_PATH "/api/v1/namespaces/default/pods"

struct st {
    char fx[PATH_LEN];  /* $KREG_FIXTURES */
    char tmp[PATH_LEN]; /* private directory, removed afterwards */
    fakeapi *srv;
    struct kreg_options opt;
    struct kreg__config cfg;
    struct kreg__http *h;
    struct kreg__response resp;
    struct kreg_error err;
};

/* ---- Helpers -------------------------------------------------------------*/

/* "<dir>/<rel>" into @p buf (PATH_LEN bytes). */
static const char *join(char *buf, const char *dir, const char *rel)
{
    int n = snprintf(buf, PATH_LEN, "%s/%s", dir, rel);

    assert_true(n > 0 && n < PATH_LEN);
    return buf;
}

/* "http://<userinfo>127.0.0.1:<port>" into @p buf (URL_LEN bytes). */
static const char *loopback_url(char *buf, const char *userinfo, uint16_t port)
{
    int n = snprintf(buf, URL_LEN, "http://%s127.0.0.1:%u", userinfo,
                     (unsigned)port);

    assert_true(n > 0 && n < URL_LEN);
    return buf;
}

static void start_server(struct st *s, const struct fakeapi_options *fo)
{
    fakeapi_stop(s->srv);
    s->srv = NULL;
    assert_int_equal(fakeapi_start(fo, &s->srv, NULL), FAKEAPI_OK);
}

/* Start TLS with the fixture certificate for 127.0.0.1 and localhost. */
static void start_tls_server(struct st *s)
{
    struct fakeapi_options fo = {0};
    char cert[PATH_LEN];
    char key[PATH_LEN];

    fo.tls_cert_file = join(cert, s->fx, "tls/server.crt");
    fo.tls_key_file = join(key, s->fx, "tls/server.key");
    start_server(s, &fo);
}

/* Load s->cfg from s->opt (the server's URL unless set) and make s->h. */
static int client_rc(struct st *s)
{
    int rc;

    if (!s->opt.server && !s->opt.kubeconfig)
        s->opt.server = fakeapi_url(s->srv);
    s->opt.no_in_cluster = true;
    assert_int_equal(kreg__config_load(&s->opt, &s->cfg, &s->err), KREG_OK);
    rc = kreg__http_new(&s->cfg, &s->opt, &s->h, &s->err);
    if (rc != KREG_OK)
        assert_null(s->h);
    return rc;
}

static void client(struct st *s)
{
    assert_int_equal(client_rc(s), KREG_OK);
}

static int get(struct st *s, const char *path)
{
    kreg__response_release(&s->resp);
    memset(&s->err, 0, sizeof(s->err));
    return kreg__http_request(s->h, "GET", path, NULL, NULL, 0,
                              KREG__HTTP_IDEMPOTENT, &s->resp, &s->err);
}

static void seed_pod(struct st *s, const char *name)
{
    char json[512];
    int n = snprintf(json, sizeof(json),
                     "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
                     "{\"name\":\"%s\",\"namespace\":\"default\"},\"spec\":"
                     "{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}"
                     "]},\"status\":{\"phase\":\"Running\"}}",
                     name);

    assert_true(n > 0 && (size_t)n < sizeof(json));
    assert_int_equal(fakeapi_seed_json(s->srv, json, (size_t)n, NULL),
                     FAKEAPI_OK);
}

/* Create a pod through the API with a POST (not retried). */
static void create_pod(struct st *s, const char *name)
{
    char json[512];
    int n = snprintf(json, sizeof(json),
                     "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
                     "{\"name\":\"%s\"},\"spec\":{\"containers\":[{\"name\":"
                     "\"c\",\"image\":\"busybox\"}]}}",
                     name);

    assert_true(n > 0 && (size_t)n < sizeof(json));
    kreg__response_release(&s->resp);
    assert_int_equal(kreg__http_request(s->h, "POST", POD_PATH,
                                        "application/json", json, (size_t)n, 0,
                                        &s->resp, &s->err),
                     KREG_OK);
    assert_int_equal(s->resp.status, 201);
    kreg__response_release(&s->resp);
}

static void add_fault(struct st *s, enum fakeapi_fault_kind kind,
                      const char *method, const char *path, unsigned count,
                      int status, unsigned retry_after_s)
{
    struct fakeapi_fault f = {0};

    f.kind = kind;
    f.method = method;
    f.path = path;
    f.count = count;
    f.status = status;
    f.retry_after_s = retry_after_s;
    f.latency_ms = kind == FAKEAPI_FAULT_LATENCY ? 3000 : 0;
    assert_int_equal(fakeapi_fault_add(s->srv, &f, NULL), FAKEAPI_OK);
}

/* The request log (new reference). */
static json_t *request_log(struct st *s)
{
    char *text = NULL;
    json_t *log;

    assert_int_equal(fakeapi_request_log(s->srv, &text), FAKEAPI_OK);
    log = json_loads(text, 0, NULL);
    free(text);
    assert_true(json_is_array(log));
    return log;
}

static size_t log_count(struct st *s)
{
    json_t *log = request_log(s);
    size_t n = json_array_size(log);

    json_decref(log);
    return n;
}

/* The statuses of the logged requests, comma-separated ("503,200"). */
static void log_statuses(struct st *s, char *out, size_t size)
{
    json_t *log = request_log(s);
    size_t used = 0;
    size_t i;

    out[0] = '\0';
    for (i = 0; i < json_array_size(log); i++) {
        json_int_t st = json_integer_value(
            json_object_get(json_array_get(log, i), "status"));
        int n = snprintf(out + used, size - used, "%s%lld", i ? "," : "",
                         (long long)st);

        assert_true(n > 0 && (size_t)n < size - used);
        used += (size_t)n;
    }
    json_decref(log);
}

static void assert_pod_body(struct st *s, const char *name)
{
    json_t *pod = json_loadb(s->resp.body, s->resp.len, 0, NULL);
    const char *got;

    assert_non_null(pod);
    got = json_string_value(
        json_object_get(json_object_get(pod, "metadata"), "name"));
    assert_non_null(got);
    assert_string_equal(got, name);
    json_decref(pod);
}

/* A loopback port nobody listens on (bound, then closed). */
static uint16_t closed_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static struct timespec guard_deadline(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += GUARD_S;
    return ts;
}

/* ---- A raw one-connection server ----------------------------------------*/

/* Serves exactly one connection: reads the request head, writes @c head,
 * then @c body_bytes bytes of 'x' (until the client hangs up). */
struct raw {
    int fd;
    uint16_t port;
    pthread_t th;
    const char *head;
    size_t body_bytes;
    bool hold; /* after answering, keep the connection until the client
                  closes it (a live peer that went silent) */
    bool served;
};

static void raw_send_body(int c, size_t total)
{
    static const char chunk[65536] = {0};
    size_t sent = 0;

    while (sent < total) {
        size_t n = total - sent < sizeof(chunk) ? total - sent : sizeof(chunk);
        ssize_t w = send(c, chunk, n, MSG_NOSIGNAL);

        if (w <= 0)
            return; /* the client gave up, as it should */
        sent += (size_t)w;
    }
}

static void *raw_main(void *arg)
{
    struct raw *r = arg;
    struct pollfd p = {r->fd, POLLIN, 0};
    char req[8192];
    size_t len = 0;
    int c;

    if (poll(&p, 1, GUARD_S * 1000) != 1)
        return NULL;
    c = accept(r->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    while (len < sizeof(req) - 1) {
        ssize_t n = recv(c, req + len, sizeof(req) - 1 - len, 0);

        if (n <= 0)
            break;
        len += (size_t)n;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    if (send(c, r->head, strlen(r->head), MSG_NOSIGNAL) > 0)
        raw_send_body(c, r->body_bytes);
    if (r->hold) {
        p.fd = c;
        while (poll(&p, 1, GUARD_S * 1000) == 1 && recv(c, req, 1, 0) > 0)
            ;
    }
    close(c);
    r->served = true;
    return NULL;
}

static void raw_start_ex(struct raw *r, const char *head, size_t body_bytes,
                         bool hold)
{
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof(a);

    r->head = head;
    r->body_bytes = body_bytes;
    r->hold = hold;
    r->served = false;
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(r->fd >= 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(r->fd, 4), 0);
    assert_int_equal(getsockname(r->fd, (struct sockaddr *)&a, &alen), 0);
    r->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&r->th, NULL, raw_main, r), 0);
}

static void raw_start(struct raw *r, const char *head, size_t body_bytes)
{
    raw_start_ex(r, head, body_bytes, false);
}

/* A server that sends @p head ("" for nothing at all), then holds the
 * connection open, silent, until the client closes it. */
static void raw_start_holding(struct raw *r, const char *head)
{
    raw_start_ex(r, head, 0, true);
}

/* Join the server thread; true when it served its connection. */
static bool raw_stop(struct raw *r)
{
    pthread_join(r->th, NULL);
    close(r->fd);
    return r->served;
}

/* ---- A stream on its own thread -------------------------------------------*/

struct streamer {
    struct st *s;
    const char *path;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_bool stop;
    struct kbuf data; /* what on_data received */
    size_t lines;
    size_t stop_after; /* on_data says stop after this many lines (0: never) */
    bool done;
    int rc;
    struct kreg_error err;
};

static int streamer_on_data(void *ctx, const char *p, size_t n)
{
    struct streamer *w = ctx;
    size_t i;
    int stop;

    pthread_mutex_lock(&w->mu);
    if (kbuf_add(&w->data, p, n) != KBUF_OK)
        w->lines = (size_t)-1;
    for (i = 0; i < n; i++)
        w->lines += p[i] == '\n';
    stop = w->stop_after && w->lines >= w->stop_after;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return stop;
}

static void *streamer_main(void *arg)
{
    struct streamer *w = arg;
    int rc = kreg__http_stream(w->s->h, w->path, streamer_on_data, w, &w->stop,
                               &w->err);

    pthread_mutex_lock(&w->mu);
    w->rc = rc;
    w->done = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void streamer_start(struct streamer *w, struct st *s, const char *path,
                           size_t stop_after)
{
    memset(w, 0, sizeof(*w));
    w->s = s;
    w->path = path;
    w->stop_after = stop_after;
    atomic_init(&w->stop, false);
    kbuf_init(&w->data, 1u << 20);
    assert_int_equal(pthread_mutex_init(&w->mu, NULL), 0);
    assert_int_equal(pthread_cond_init(&w->cv, NULL), 0);
    assert_int_equal(pthread_create(&w->th, NULL, streamer_main, w), 0);
}

/* Wait until @p lines arrived or the stream ended; true for the former. */
static bool streamer_wait_lines(struct streamer *w, size_t lines)
{
    struct timespec ts = guard_deadline();
    bool ok;

    pthread_mutex_lock(&w->mu);
    while (w->lines < lines && !w->done)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
            break;
    ok = w->lines >= lines;
    pthread_mutex_unlock(&w->mu);
    return ok;
}

/* Wait for the stream to end, join, and return its code. */
static int streamer_join(struct streamer *w)
{
    struct timespec ts = guard_deadline();
    bool done;

    pthread_mutex_lock(&w->mu);
    while (!w->done)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
            break;
    done = w->done;
    pthread_mutex_unlock(&w->mu);
    if (!done) { /* fail, but leave nothing running behind */
        atomic_store(&w->stop, true);
        pthread_join(w->th, NULL);
        fail_msg("the stream did not end");
    }
    pthread_join(w->th, NULL);
    return w->rc;
}

static void streamer_release(struct streamer *w)
{
    kbuf_release(&w->data);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

/* ---- Setup
 * -----------------------------------------------------------------*/

static void rm_tmp(const char *dir)
{
    char p[PATH_LEN];

    unlink(join(p, dir, "token"));
    unlink(join(p, dir, "kubeconfig"));
    rmdir(dir);
}

static int setup(void **state)
{
    struct st *s = calloc(1, sizeof(*s));
    const char *fx = getenv("KREG_FIXTURES");

    if (!s || !fx || strlen(fx) >= sizeof(s->fx)) {
        free(s);
        return -1;
    }
    memcpy(s->fx, fx, strlen(fx) + 1);
    memcpy(s->tmp, "/tmp/kreg-http-XXXXXX", sizeof("/tmp/kreg-http-XXXXXX"));
    if (!mkdtemp(s->tmp)) {
        free(s);
        return -1;
    }
    if (fakeapi_start(NULL, &s->srv, NULL) != FAKEAPI_OK) {
        rm_tmp(s->tmp);
        free(s);
        return -1;
    }
    s->opt.retry_base_ms = 1; /* keep backoff short; Retry-After is real */
    s->opt.timeout_ms = 20000;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct st *s = *state;

    kreg__response_release(&s->resp);
    kreg__http_free(s->h);
    kreg__config_release(&s->cfg);
    fakeapi_stop(s->srv);
    rm_tmp(s->tmp);
    free(s);
    return 0;
}

/* ---- Requests
 * ----------------------------------------------------------------*/

static void test_http_get_reuses_one_connection(void **state)
{
    struct st *s = *state;
    json_t *log;
    size_t i;

    seed_pod(s, "p");
    client(s);
    for (i = 0; i < 5; i++) {
        assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
        assert_int_equal(s->resp.status, 200);
        assert_pod_body(s, "p");
    }
    assert_int_equal(kreg__http_connections(s->h), 1);
    log = request_log(s);
    assert_int_equal(json_array_size(log), 5);
    for (i = 0; i < 5; i++) {
        json_t *e = json_array_get(log, i);

        assert_string_equal(json_string_value(json_object_get(e, "userAgent")),
                            "kreg/0.1");
        assert_string_equal(json_string_value(json_object_get(e, "path")),
                            POD_PATH "/p");
    }
    json_decref(log);
}

#define THREADS    8
#define PER_THREAD 10

struct worker {
    struct kreg__http *h;
    pthread_t th;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int i;

    for (i = 0; i < PER_THREAD; i++) {
        struct kreg__response resp = {0};

        if (kreg__http_request(w->h, "GET", POD_PATH "/p", NULL, NULL, 0,
                               KREG__HTTP_IDEMPOTENT, &resp, NULL) != KREG_OK ||
            resp.status != 200 || !strstr(resp.body, "\"name\":\"p\""))
            w->failures++;
        kreg__response_release(&resp);
    }
    return NULL;
}

/* One client, many threads: every request succeeds, and the handle pool
 * opens at most one connection per concurrent caller. */
static void test_http_serves_concurrent_requests_on_one_client(void **state)
{
    struct st *s = *state;
    struct worker w[THREADS];
    size_t i;

    seed_pod(s, "p");
    client(s);
    for (i = 0; i < THREADS; i++) {
        w[i].h = s->h;
        w[i].failures = 0;
        assert_int_equal(pthread_create(&w[i].th, NULL, worker_main, &w[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(w[i].th, NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(log_count(s), THREADS * PER_THREAD);
    assert_in_range(kreg__http_connections(s->h), 1, THREADS);
}

static void test_http_post_sends_body_and_content_type(void **state)
{
    struct st *s = *state;
    static const char body[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
        "\"made\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"
        "\"busybox\"}]}}";
    json_t *log;
    json_t *e;

    client(s);
    assert_int_equal(kreg__http_request(s->h, "POST", POD_PATH,
                                        "application/json", body,
                                        sizeof(body) - 1, 0, &s->resp, &s->err),
                     KREG_OK);
    assert_int_equal(s->resp.status, 201);
    assert_pod_body(s, "made");
    assert_int_equal(fakeapi_pod_count(s->srv), 1);
    log = request_log(s);
    e = json_array_get(log, 0);
    assert_string_equal(json_string_value(json_object_get(e, "method")),
                        "POST");
    assert_string_equal(json_string_value(json_object_get(e, "contentType")),
                        "application/json");
    assert_string_equal(json_string_value(json_object_get(e, "body")), body);
    json_decref(log);
}

static void test_http_404_decodes_status_into_err(void **state)
{
    struct st *s = *state;

    client(s);
    assert_int_equal(get(s, POD_PATH "/nope"), KREG_E_NOT_FOUND);
    assert_int_equal(s->err.code, KREG_E_NOT_FOUND);
    assert_int_equal(s->err.http_status, 404);
    assert_string_equal(s->err.reason, "NotFound");
    assert_string_equal(s->err.text, "pods \"nope\" not found");
    /* the answer is handed out as well, and 404 is not retried */
    assert_int_equal(s->resp.status, 404);
    assert_non_null(strstr(s->resp.body, "\"kind\":\"Status\""));
    assert_int_equal(log_count(s), 1);
}

static void test_http_409_maps_to_conflict(void **state)
{
    struct st *s = *state;
    struct fakeapi_fault f = {0};

    f.kind = FAKEAPI_FAULT_STATUS;
    f.status = 409;
    f.message = "Operation cannot be fulfilled on pods \"p\": changed";
    assert_int_equal(fakeapi_fault_add(s->srv, &f, NULL), FAKEAPI_OK);
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_E_CONFLICT);
    assert_int_equal(s->err.http_status, 409);
    assert_string_equal(s->err.reason, "Conflict");
    assert_string_equal(s->err.text, f.message);
}

/* A PATCH the caller flags idempotent (the same patch twice has the same
 * result) is retried with its body. */
static void test_http_retries_a_patch_flagged_idempotent(void **state)
{
    struct st *s = *state;
    static const char patch[] = "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}";
    char statuses[64];
    json_t *log;
    size_t i;

    client(s);
    create_pod(s, "p"); /* as the API creates it: with the defaults */
    fakeapi_request_log_clear(s->srv);
    add_fault(s, FAKEAPI_FAULT_STATUS, "PATCH", POD_PATH "/p", 1, 503, 0);
    assert_int_equal(
        kreg__http_request(
            s->h, "PATCH", POD_PATH "/p", "application/merge-patch+json", patch,
            sizeof(patch) - 1, KREG__HTTP_IDEMPOTENT, &s->resp, &s->err),
        KREG_OK);
    assert_non_null(strstr(s->resp.body, "\"a\":\"b\""));
    log_statuses(s, statuses, sizeof(statuses));
    assert_string_equal(statuses, "503,200");
    log = request_log(s);
    for (i = 0; i < 2; i++) {
        json_t *e = json_array_get(log, i);

        assert_string_equal(json_string_value(json_object_get(e, "method")),
                            "PATCH");
        assert_string_equal(json_string_value(json_object_get(e, "body")),
                            patch);
    }
    json_decref(log);
}

static void test_http_delete_without_a_body(void **state)
{
    struct st *s = *state;

    seed_pod(s, "p");
    client(s);
    assert_int_equal(kreg__http_request(s->h, "DELETE", POD_PATH "/p", NULL,
                                        NULL, 0, 0, &s->resp, &s->err),
                     KREG_OK);
    assert_int_equal(s->resp.status, 200);
    assert_int_equal(fakeapi_pod_count(s->srv), 0);
}

static void test_http_rejects_a_relative_path(void **state)
{
    struct st *s = *state;

    client(s);
    assert_int_equal(get(s, "api/v1/pods"), KREG_E_INVALID);
    assert_int_equal(s->resp.status, 0);
    assert_int_equal(log_count(s), 0);
}

static void test_http_rejects_a_malformed_path(void **state)
{
    struct st *s = *state;

    client(s);
    assert_int_equal(get(s, "/api/v1/a b"), KREG_E_INVALID);
    assert_int_equal(log_count(s), 0);
}

/* ---- Bearer tokens
 * ---------------------------------------------------------*/

static void start_token_server(struct st *s)
{
    struct fakeapi_options fo = {0};

    fo.token = "s3cret";
    start_server(s, &fo);
    seed_pod(s, "p");
}

static void test_http_401_without_a_token_is_unauthorized(void **state)
{
    struct st *s = *state;

    start_token_server(s);
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_E_UNAUTHORIZED);
    assert_int_equal(s->err.http_status, 401);
    assert_string_equal(s->err.reason, "Unauthorized");
    assert_string_equal(s->err.text, "Unauthorized");
    /* no credential was sent, so there is nothing to refresh */
    assert_int_equal(log_count(s), 1);
}

static void test_http_sends_the_bearer_token(void **state)
{
    struct st *s = *state;

    start_token_server(s);
    s->opt.token = "s3cret";
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_pod_body(s, "p");
    assert_int_equal(log_count(s), 1);
}

static void test_http_401_with_a_wrong_token_is_retried_once(void **state)
{
    struct st *s = *state;
    char statuses[64];

    start_token_server(s);
    s->opt.token = "wrong";
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_E_UNAUTHORIZED);
    assert_null(strstr(s->err.text, "wrong"));
    log_statuses(s, statuses, sizeof(statuses));
    assert_string_equal(statuses, "401,401");
}

/* A kubeconfig whose user has a tokenFile holding "stale" (cached for a
 * minute once loaded), then rotated to the server's token. */
static void client_with_rotated_token_file(struct st *s)
{
    char token[PATH_LEN];
    char kc[PATH_LEN];
    char yaml[2 * PATH_LEN];
    int n;

    join(token, s->tmp, "token");
    join(kc, s->tmp, "kubeconfig");
    n = snprintf(yaml, sizeof(yaml),
                 "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n"
                 "  cluster:\n    server: %s\nusers:\n- name: u\n  user:\n"
                 "    tokenFile: %s\ncontexts:\n- name: x\n  context:\n"
                 "    cluster: c\n    user: u\ncurrent-context: x\n",
                 fakeapi_url(s->srv), token);
    assert_true(n > 0 && (size_t)n < sizeof(yaml));
    spit(kc, yaml);
    spit(token, "stale\n");
    s->opt.kubeconfig = kc;
    client(s);
    spit(token, "s3cret\n");
}

/* The cached token is stale until the 401 drops it (docs/kubernetes-api.md,
 * Client configuration), then the request goes through with the new one. */
static void test_http_401_refreshes_a_rotated_token_file(void **state)
{
    struct st *s = *state;
    char statuses[64];

    start_token_server(s);
    client_with_rotated_token_file(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_pod_body(s, "p");
    log_statuses(s, statuses, sizeof(statuses));
    assert_string_equal(statuses, "401,200");
}

/* ---- Retries
 * ----------------------------------------------------------------*/

static void test_http_retries_503_honouring_retry_after(void **state)
{
    struct st *s = *state;
    char statuses[64];

    seed_pod(s, "p");
    add_fault(s, FAKEAPI_FAULT_STATUS, "GET", POD_PATH "/p", 1, 503, 1);
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_int_equal(s->resp.status, 200);
    assert_pod_body(s, "p");
    log_statuses(s, statuses, sizeof(statuses));
    assert_string_equal(statuses, "503,200");
}

static void test_http_retries_429_with_backoff(void **state)
{
    struct st *s = *state;
    char statuses[64];

    seed_pod(s, "p");
    add_fault(s, FAKEAPI_FAULT_STATUS, "GET", POD_PATH "/p", 2, 429, 0);
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_pod_body(s, "p");
    log_statuses(s, statuses, sizeof(statuses));
    assert_string_equal(statuses, "429,429,200");
}

static void test_http_gives_up_after_the_configured_retries(void **state)
{
    struct st *s = *state;
    char statuses[64];

    seed_pod(s, "p");
    add_fault(s, FAKEAPI_FAULT_STATUS, "GET", POD_PATH "/p", 10, 503, 0);
    s->opt.retries = 2;
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_E_HTTP);
    assert_int_equal(s->err.http_status, 503);
    assert_string_equal(s->err.reason, "ServiceUnavailable");
    assert_int_equal(s->resp.status, 503);
    log_statuses(s, statuses, sizeof(statuses));
    assert_string_equal(statuses, "503,503,503");
}

static void test_http_no_retries_fails_at_the_first_error(void **state)
{
    struct st *s = *state;
    char statuses[64];

    seed_pod(s, "p");
    add_fault(s, FAKEAPI_FAULT_STATUS, "GET", POD_PATH "/p", 10, 503, 0);
    s->opt.retries = KREG_NO_RETRIES;
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_E_HTTP);
    assert_int_equal(s->err.http_status, 503);
    log_statuses(s, statuses, sizeof(statuses));
    assert_string_equal(statuses, "503");
}

static void test_http_does_not_retry_500_for_post(void **state)
{
    struct st *s = *state;
    static const char body[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
        "\"made\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"
        "\"busybox\"}]}}";

    add_fault(s, FAKEAPI_FAULT_STATUS, "POST", POD_PATH, 1, 500, 0);
    client(s);
    assert_int_equal(kreg__http_request(s->h, "POST", POD_PATH,
                                        "application/json", body,
                                        sizeof(body) - 1, 0, &s->resp, &s->err),
                     KREG_E_HTTP);
    assert_int_equal(s->err.http_status, 500);
    assert_string_equal(s->err.reason, "InternalError");
    assert_int_equal(log_count(s), 1);
    assert_int_equal(fakeapi_pod_count(s->srv), 0);
}

static void test_http_does_not_retry_a_dropped_post(void **state)
{
    struct st *s = *state;

    add_fault(s, FAKEAPI_FAULT_DROP, "POST", POD_PATH, 1, 0, 0);
    client(s);
    assert_int_equal(kreg__http_request(s->h, "POST", POD_PATH,
                                        "application/json", "{}", 2, 0,
                                        &s->resp, &s->err),
                     KREG_E_CONNECT);
    assert_int_equal(s->resp.status, 0);
    assert_non_null(s->resp.body);
    assert_int_equal(log_count(s), 1);
}

static void test_http_retries_a_dropped_connection_for_get(void **state)
{
    struct st *s = *state;
    char statuses[64];

    seed_pod(s, "p");
    add_fault(s, FAKEAPI_FAULT_DROP, "GET", POD_PATH "/p", 1, 0, 0);
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_pod_body(s, "p");
    log_statuses(s, statuses, sizeof(statuses));
    assert_string_equal(statuses, "0,200");
}

static void test_http_retries_a_truncated_body_for_get(void **state)
{
    struct st *s = *state;

    seed_pod(s, "p");
    add_fault(s, FAKEAPI_FAULT_TRUNCATE, "GET", POD_PATH "/p", 1, 0, 0);
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_pod_body(s, "p"); /* the whole body, from the second try */
    assert_int_equal(log_count(s), 2);
}

static void test_http_truncated_body_without_retry_is_connect(void **state)
{
    struct st *s = *state;

    seed_pod(s, "p");
    add_fault(s, FAKEAPI_FAULT_TRUNCATE, "GET", POD_PATH "/p", 1, 0, 0);
    client(s);
    assert_int_equal(kreg__http_request(s->h, "GET", POD_PATH "/p", NULL, NULL,
                                        0, 0, NULL, &s->err),
                     KREG_E_CONNECT);
    assert_non_null(strstr(s->err.text, fakeapi_url(s->srv)));
    assert_int_equal(log_count(s), 1);
}

/* ---- Transport failures
 * -------------------------------------------------------*/

static void test_http_times_out_beyond_timeout_ms(void **state)
{
    struct st *s = *state;

    seed_pod(s, "p");
    add_fault(s, FAKEAPI_FAULT_LATENCY, "GET", POD_PATH "/p", 1, 0, 0);
    s->opt.timeout_ms = 200;
    client(s);
    assert_int_equal(kreg__http_request(s->h, "GET", POD_PATH "/p", NULL, NULL,
                                        0, 0, &s->resp, &s->err),
                     KREG_E_TIMEOUT);
    assert_int_equal(s->err.code, KREG_E_TIMEOUT);
    assert_non_null(strstr(s->err.text, "timed out"));
    assert_non_null(strstr(s->err.text, fakeapi_url(s->srv)));
}

/* A timed-out GET is retried on a new connection. */
static void test_http_retries_a_timed_out_get(void **state)
{
    struct st *s = *state;

    seed_pod(s, "p");
    add_fault(s, FAKEAPI_FAULT_LATENCY, "GET", POD_PATH "/p", 1, 0, 0);
    s->opt.timeout_ms = 200;
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_pod_body(s, "p");
    assert_int_equal(kreg__http_connections(s->h), 2);
}

static void test_http_unreachable_server_is_connect(void **state)
{
    struct st *s = *state;
    char url[URL_LEN];

    loopback_url(url, "", closed_port());
    s->opt.server = url;
    client(s);
    assert_int_equal(get(s, POD_PATH), KREG_E_CONNECT);
    assert_int_equal(s->err.http_status, 0);
    assert_non_null(strstr(s->err.text, "cannot connect to the API server"));
    assert_non_null(strstr(s->err.text, url));
    assert_int_equal(s->resp.status, 0);
}

/* Credentials in the URL never reach an error text. */
static void test_http_error_text_hides_url_userinfo(void **state)
{
    struct st *s = *state;
    char url[URL_LEN];
    char shown[URL_LEN];
    uint16_t port = closed_port();

    loopback_url(url, "user:hunter2@", port);
    loopback_url(shown, "", port);
    s->opt.server = url;
    client(s);
    assert_int_equal(get(s, POD_PATH), KREG_E_CONNECT);
    assert_null(strstr(s->err.text, "hunter2"));
    assert_non_null(strstr(s->err.text, shown));
}

static void test_http_new_rejects_a_non_http_server(void **state)
{
    struct st *s = *state;

    s->opt.server = "ftp://127.0.0.1:21";
    assert_int_equal(client_rc(s), KREG_E_CONFIG);
    assert_non_null(strstr(s->err.text, "ftp"));
}

static void test_http_new_rejects_a_malformed_server_url(void **state)
{
    struct st *s = *state;

    s->opt.server = "http://exa mple:80";
    assert_int_equal(client_rc(s), KREG_E_CONFIG);
    assert_non_null(strstr(s->err.text, "server URL: "));
}

/* APF throttling answers plain text (docs/kubernetes-api.md, Status errors):
 * the status line and the text make the message. */
static void test_http_plain_text_error_keeps_the_status_line(void **state)
{
    struct st *s = *state;
    struct raw r;
    char url[URL_LEN];

    raw_start(&r,
              "HTTP/1.1 429 Too Many Requests\r\n"
              "Content-Type: text/plain\r\nContent-Length: 43\r\n"
              "Connection: close\r\n\r\n"
              "Too many requests, please try again later.\n",
              0);
    loopback_url(url, "", r.port);
    s->opt.server = url;
    client(s);
    assert_int_equal(kreg__http_request(s->h, "GET", POD_PATH, NULL, NULL, 0, 0,
                                        &s->resp, &s->err),
                     KREG_E_HTTP);
    assert_true(raw_stop(&r));
    assert_int_equal(s->err.http_status, 429);
    assert_string_equal(s->err.reason, "");
    assert_string_equal(s->err.text, "HTTP/1.1 429 Too Many Requests: Too "
                                     "many requests, please try again later.");
}

static void test_http_body_over_64_mib_is_protocol(void **state)
{
    struct st *s = *state;
    struct raw r;
    char url[URL_LEN];

    raw_start(&r,
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
              "Content-Length: 70000000\r\nConnection: close\r\n\r\n",
              70000000);
    loopback_url(url, "", r.port);
    s->opt.server = url;
    client(s);
    assert_int_equal(kreg__http_request(s->h, "GET", POD_PATH, NULL, NULL, 0,
                                        KREG__HTTP_IDEMPOTENT, &s->resp,
                                        &s->err),
                     KREG_E_PROTOCOL);
    assert_true(raw_stop(&r));
    assert_non_null(strstr(s->err.text, "larger than"));
}

/* ---- TLS
 * --------------------------------------------------------------------*/

static const char *tls_ca(struct st *s, char *ca)
{
    return join(ca, s->fx, "tls/ca.crt");
}

static void test_http_tls_verifies_with_the_configured_ca(void **state)
{
    struct st *s = *state;
    char ca[PATH_LEN];

    start_tls_server(s);
    seed_pod(s, "p");
    s->opt.ca_file = tls_ca(s, ca);
    client(s);
    assert_memory_equal(fakeapi_url(s->srv), "https://", 8);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_pod_body(s, "p");
}

static void test_http_tls_rejects_an_unknown_ca_by_default(void **state)
{
    struct st *s = *state;

    start_tls_server(s);
    client(s);
    assert_int_equal(get(s, POD_PATH), KREG_E_CONNECT);
    assert_non_null(strstr(s->err.text, "tls with the API server at"));
    assert_non_null(strstr(s->err.text, fakeapi_url(s->srv)));
    assert_int_equal(log_count(s), 0);
}

static void test_http_tls_insecure_skips_verification(void **state)
{
    struct st *s = *state;

    start_tls_server(s);
    seed_pod(s, "p");
    s->opt.insecure = true;
    client(s);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_pod_body(s, "p");
}

/* The certificate names 127.0.0.1 and localhost: with tls-server-name the
 * name checked is that one, not the URL's. */
static int tls_server_name_client(struct st *s, const char *name)
{
    char ca[PATH_LEN];
    int rc;

    start_tls_server(s);
    seed_pod(s, "p");
    s->opt.ca_file = tls_ca(s, ca);
    s->opt.no_in_cluster = true;
    s->opt.server = fakeapi_url(s->srv);
    assert_int_equal(kreg__config_load(&s->opt, &s->cfg, &s->err), KREG_OK);
    s->cfg.tls_server_name = strdup(name);
    assert_non_null(s->cfg.tls_server_name);
    rc = kreg__http_new(&s->cfg, &s->opt, &s->h, &s->err);
    if (rc != KREG_OK)
        assert_null(s->h);
    return rc;
}

static void test_http_tls_server_name_is_the_name_verified(void **state)
{
    struct st *s = *state;
    json_t *log;

    assert_int_equal(tls_server_name_client(s, "localhost"), KREG_OK);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_pod_body(s, "p");
    log = request_log(s);
    assert_int_equal(json_array_size(log), 1);
    json_decref(log);
}

static void test_http_tls_server_name_mismatch_is_connect(void **state)
{
    struct st *s = *state;

    assert_int_equal(tls_server_name_client(s, "wrong.example"), KREG_OK);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_E_CONNECT);
    assert_non_null(strstr(s->err.text, "tls with the API server at"));
    /* the text names the real server, not the verification name */
    assert_non_null(strstr(s->err.text, fakeapi_url(s->srv)));
}

static void test_http_new_rejects_a_bad_tls_server_name(void **state)
{
    struct st *s = *state;

    assert_int_equal(tls_server_name_client(s, "bad name"), KREG_E_CONFIG);
    assert_non_null(strstr(s->err.text, "tls-server-name"));
}

/* Read @p rel under the fixtures into a new buffer. */
static char *slurp_fixture(struct st *s, const char *rel, size_t *len)
{
    char path[PATH_LEN];
    FILE *f = fopen(join(path, s->fx, rel), "rb");
    struct kbuf b;
    char chunk[4096];
    size_t n;

    assert_non_null(f);
    kbuf_init(&b, 1u << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(kbuf_add(&b, chunk, n), KBUF_OK);
    fclose(f);
    return kbuf_detach(&b, len);
}

/* A client certificate and key (any valid pair: the fake does not ask
 * for one) are handed to libcurl, which loads them. */
static int client_cert_get(struct st *s, const char *cert, const char *key)
{
    char ca[PATH_LEN];

    start_tls_server(s);
    seed_pod(s, "p");
    s->opt.ca_file = tls_ca(s, ca);
    s->opt.server = fakeapi_url(s->srv);
    s->opt.no_in_cluster = true;
    assert_int_equal(kreg__config_load(&s->opt, &s->cfg, &s->err), KREG_OK);
    s->cfg.cert_pem = slurp_fixture(s, cert, &s->cfg.cert_len);
    s->cfg.key_pem = slurp_fixture(s, key, &s->cfg.key_len);
    assert_int_equal(kreg__http_new(&s->cfg, &s->opt, &s->h, &s->err), KREG_OK);
    return get(s, POD_PATH "/p");
}

static void test_http_tls_loads_the_client_certificate(void **state)
{
    struct st *s = *state;

    assert_int_equal(client_cert_get(s, "tls/server.crt", "tls/server.key"),
                     KREG_OK);
    assert_pod_body(s, "p");
}

/* A rotated certificate (an exec plugin's) gets new files; an unchanged
 * one reuses the files already handed out. */
static void test_http_tls_rotated_client_certificate(void **state)
{
    struct st *s = *state;
    const struct kreg__pemfile *first;

    assert_int_equal(client_cert_get(s, "tls/server.crt", "tls/server.key"),
                     KREG_OK);
    first = s->h->cert_file;
    assert_true(kreg__pemfile_holds(first, s->cfg.cert_pem, s->cfg.cert_len));
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_ptr_equal(s->h->cert_file, first);
    free(s->cfg.cert_pem);
    free(s->cfg.key_pem);
    s->cfg.cert_pem =
        slurp_fixture(s, "kubeconfig/pki/client.crt", &s->cfg.cert_len);
    s->cfg.key_pem =
        slurp_fixture(s, "kubeconfig/pki/client.key", &s->cfg.key_len);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    assert_pod_body(s, "p");
    assert_true(
        kreg__pemfile_holds(s->h->cert_file, s->cfg.cert_pem, s->cfg.cert_len));
    assert_true(
        kreg__pemfile_holds(s->h->key_file, s->cfg.key_pem, s->cfg.key_len));
}

static void test_http_tls_bad_client_key_is_connect(void **state)
{
    struct st *s = *state;

    /* a certificate where the key should be: libcurl refuses it */
    assert_int_equal(client_cert_get(s, "tls/server.crt", "tls/ca.crt"),
                     KREG_E_CONNECT);
    assert_non_null(strstr(s->err.text, "tls with the API server at"));
    assert_null(strstr(s->err.text, "BEGIN"));
    assert_int_equal(log_count(s), 0);
}

/* ---- Streams
 * -------------------------------------------------------------------*/

#define WATCH_PATH POD_PATH "?watch=true"

/* Line @p i of what the stream delivered has "type" @p type. */
static void assert_event(struct streamer *w, size_t i, const char *type)
{
    const char *p = kbuf_str(&w->data);
    const char *end;
    json_t *ev;
    size_t k;

    for (k = 0; k < i; k++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    end = strchr(p, '\n');
    assert_non_null(end);
    ev = json_loadb(p, (size_t)(end - p), 0, NULL);
    assert_non_null(ev);
    assert_string_equal(json_string_value(json_object_get(ev, "type")), type);
    json_decref(ev);
}

static void test_http_stream_delivers_events_and_stops_on_the_flag(void **state)
{
    struct st *s = *state;
    struct streamer w;

    seed_pod(s, "a");
    seed_pod(s, "b");
    seed_pod(s, "c");
    client(s);
    streamer_start(&w, s, WATCH_PATH, 0);
    assert_true(streamer_wait_lines(&w, 3)); /* the synthetic ADDED */
    seed_pod(s, "d");                        /* a live event */
    assert_true(streamer_wait_lines(&w, 4));
    atomic_store(&w.stop, true);
    assert_int_equal(streamer_join(&w), KREG_E_STOPPED);
    assert_int_equal(w.err.code, KREG_E_STOPPED);
    assert_event(&w, 0, "ADDED");
    assert_event(&w, 3, "ADDED");
    assert_int_equal(fakeapi_pod_count(s->srv), 4);
    streamer_release(&w);
}

static void test_http_stream_ends_ok_when_the_server_closes_it(void **state)
{
    struct st *s = *state;
    struct streamer w;

    seed_pod(s, "a");
    client(s);
    streamer_start(&w, s, WATCH_PATH, 0);
    assert_true(streamer_wait_lines(&w, 1));
    assert_int_equal(fakeapi_close_watches(s->srv), 1);
    assert_int_equal(streamer_join(&w), KREG_OK);
    streamer_release(&w);
}

static void test_http_stream_ends_ok_when_on_data_says_stop(void **state)
{
    struct st *s = *state;
    struct streamer w;

    seed_pod(s, "a");
    seed_pod(s, "b");
    client(s);
    streamer_start(&w, s, WATCH_PATH, 1);
    assert_int_equal(streamer_join(&w), KREG_OK);
    assert_false(atomic_load(&w.stop));
    assert_true(w.lines >= 1);
    streamer_release(&w);
}

static void test_http_stream_returns_stopped_when_already_stopped(void **state)
{
    struct st *s = *state;
    atomic_bool stop;

    client(s);
    atomic_init(&stop, true);
    assert_int_equal(kreg__http_stream(s->h, WATCH_PATH, streamer_on_data, NULL,
                                       &stop, &s->err),
                     KREG_E_STOPPED);
}

static int never_called(void *ctx, const char *p, size_t n)
{
    (void)ctx;
    (void)p;
    (void)n;
    fail_msg("on_data called for an error answer");
    return 1;
}

static void test_http_stream_decodes_a_410_status(void **state)
{
    struct st *s = *state;
    struct fakeapi_fault f = {0};
    atomic_bool stop;

    f.kind = FAKEAPI_FAULT_STATUS;
    f.path = POD_PATH;
    f.status = 410;
    f.reason = "Expired";
    f.message = "too old resource version: 5 (40)";
    assert_int_equal(fakeapi_fault_add(s->srv, &f, NULL), FAKEAPI_OK);
    client(s);
    atomic_init(&stop, false);
    assert_int_equal(
        kreg__http_stream(s->h, WATCH_PATH, never_called, NULL, &stop, &s->err),
        KREG_E_HTTP);
    assert_int_equal(s->err.http_status, 410);
    assert_string_equal(s->err.reason, "Expired");
    assert_string_equal(s->err.text, "too old resource version: 5 (40)");
}

static void test_http_stream_decodes_a_403_status(void **state)
{
    struct st *s = *state;
    atomic_bool stop;

    add_fault(s, FAKEAPI_FAULT_STATUS, "GET", POD_PATH, 1, 403, 0);
    client(s);
    atomic_init(&stop, false);
    assert_int_equal(
        kreg__http_stream(s->h, WATCH_PATH, never_called, NULL, &stop, &s->err),
        KREG_E_FORBIDDEN);
    assert_int_equal(s->err.http_status, 403);
    assert_string_equal(s->err.reason, "Forbidden");
}

static void test_http_stream_unreachable_server_is_connect(void **state)
{
    struct st *s = *state;
    char url[URL_LEN];
    atomic_bool stop;

    loopback_url(url, "", closed_port());
    s->opt.server = url;
    client(s);
    atomic_init(&stop, false);
    assert_int_equal(
        kreg__http_stream(s->h, WATCH_PATH, never_called, NULL, &stop, &s->err),
        KREG_E_CONNECT);
    assert_non_null(strstr(s->err.text, url));
}

/* A live peer that stops sending, before or after the headers: the
 * stream's idle bound ends it (the watcher then resumes). */
static void stream_from_a_silent_server(struct st *s, const char *head)
{
    struct raw r;
    char url[URL_LEN];
    atomic_bool stop;

    raw_start_holding(&r, head);
    loopback_url(url, "", r.port);
    s->opt.server = url;
    client(s);
    atomic_init(&stop, false);
    assert_int_equal(kreg__http_stream_ex(s->h, WATCH_PATH, never_called, NULL,
                                          &stop, NULL, 1, &s->err),
                     KREG_E_TIMEOUT);
    assert_true(raw_stop(&r));
    assert_non_null(strstr(s->err.text, "timed out"));
    assert_non_null(strstr(s->err.text, url));
}

static void test_http_stream_idle_bound_drops_a_silent_stream(void **state)
{
    stream_from_a_silent_server(*state, "HTTP/1.1 200 OK\r\n"
                                        "Content-Type: application/json\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\n");
}

static void
test_http_stream_idle_bound_drops_a_server_that_never_answers(void **state)
{
    stream_from_a_silent_server(*state, "");
}

/* A stream is not retried, but its 401 drops the cached token so the
 * caller's reconnect (here: the next request) uses the new one. */
static void test_http_stream_401_drops_the_cached_token(void **state)
{
    struct st *s = *state;
    atomic_bool stop;
    char statuses[64];

    start_token_server(s);
    client_with_rotated_token_file(s);
    atomic_init(&stop, false);
    assert_int_equal(
        kreg__http_stream(s->h, WATCH_PATH, never_called, NULL, &stop, &s->err),
        KREG_E_UNAUTHORIZED);
    assert_int_equal(s->err.http_status, 401);
    assert_int_equal(get(s, POD_PATH "/p"), KREG_OK);
    log_statuses(s, statuses, sizeof(statuses));
    assert_string_equal(statuses, "401,200");
}

/* ---- Escaping
 * --------------------------------------------------------------------*/

static void test_http_escape_encodes_query_values(void **state)
{
    char *e;

    (void)state;
    e = kreg__http_escape("micro.mu/type in (service,x y)");
    assert_non_null(e);
    assert_string_equal(e, "micro.mu%2Ftype%20in%20%28service%2Cx%20y%29");
    free(e);
    e = kreg__http_escape("a=b&c+d");
    assert_non_null(e);
    assert_string_equal(e, "a%3Db%26c%2Bd");
    free(e);
    e = kreg__http_escape("");
    assert_non_null(e);
    assert_string_equal(e, "");
    free(e);
    assert_null(kreg__http_escape(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_http_get_reuses_one_connection),
        T(test_http_serves_concurrent_requests_on_one_client),
        T(test_http_post_sends_body_and_content_type),
        T(test_http_404_decodes_status_into_err),
        T(test_http_409_maps_to_conflict),
        T(test_http_retries_a_patch_flagged_idempotent),
        T(test_http_delete_without_a_body),
        T(test_http_rejects_a_relative_path),
        T(test_http_rejects_a_malformed_path),
        T(test_http_401_without_a_token_is_unauthorized),
        T(test_http_sends_the_bearer_token),
        T(test_http_401_with_a_wrong_token_is_retried_once),
        T(test_http_401_refreshes_a_rotated_token_file),
        T(test_http_retries_503_honouring_retry_after),
        T(test_http_retries_429_with_backoff),
        T(test_http_gives_up_after_the_configured_retries),
        T(test_http_no_retries_fails_at_the_first_error),
        T(test_http_does_not_retry_500_for_post),
        T(test_http_does_not_retry_a_dropped_post),
        T(test_http_retries_a_dropped_connection_for_get),
        T(test_http_retries_a_truncated_body_for_get),
        T(test_http_truncated_body_without_retry_is_connect),
        T(test_http_times_out_beyond_timeout_ms),
        T(test_http_retries_a_timed_out_get),
        T(test_http_unreachable_server_is_connect),
        T(test_http_error_text_hides_url_userinfo),
        T(test_http_new_rejects_a_non_http_server),
        T(test_http_new_rejects_a_malformed_server_url),
        T(test_http_plain_text_error_keeps_the_status_line),
        T(test_http_body_over_64_mib_is_protocol),
        T(test_http_tls_verifies_with_the_configured_ca),
        T(test_http_tls_rejects_an_unknown_ca_by_default),
        T(test_http_tls_insecure_skips_verification),
        T(test_http_tls_server_name_is_the_name_verified),
        T(test_http_tls_server_name_mismatch_is_connect),
        T(test_http_new_rejects_a_bad_tls_server_name),
        T(test_http_tls_loads_the_client_certificate),
        T(test_http_tls_rotated_client_certificate),
        T(test_http_tls_bad_client_key_is_connect),
        T(test_http_stream_delivers_events_and_stops_on_the_flag),
        T(test_http_stream_ends_ok_when_the_server_closes_it),
        T(test_http_stream_ends_ok_when_on_data_says_stop),
        T(test_http_stream_returns_stopped_when_already_stopped),
        T(test_http_stream_decodes_a_410_status),
        T(test_http_stream_decodes_a_403_status),
        T(test_http_stream_unreachable_server_is_connect),
        T(test_http_stream_401_drops_the_cached_token),
        T(test_http_stream_idle_bound_drops_a_silent_stream),
        T(test_http_stream_idle_bound_drops_a_server_that_never_answers),
        T(test_http_escape_encodes_query_values),
#undef T
    };

    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
