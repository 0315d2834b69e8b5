/*
 * fuzz_watch_stream: libFuzzer harness for libkreg's watch stream decoder
 * (line splitting, event JSON, the view and its create/update/delete
 * difference, 410 re-lists), driven through the public API only.
 *
 * A tiny HTTP server on a loopback socket, run by one thread for the
 * whole process, plays the API server: a list request gets an empty
 * PodList; the first watch request of an input gets the input as its
 * chunked body (cut into chunks of varying sizes), then the connection
 * ends; a later watch request is closed unanswered and tells the harness
 * that the client has consumed the first stream (kreg only reconnects
 * once it has decoded all of it). The harness then drains
 * kreg_watch_next() without waiting, stops and frees the watcher. It must
 * never crash, hang or leak; a result must be well formed.
 *
 * Inputs of odd length watch the one service "greeter", even ones every
 * service, so both annotation filters run; one even input in two feeds a
 * kreg_cache instead (the fed watcher, the cache's slots and snapshots),
 * which is then asked for a few names: an answer must be well formed and
 * hold only the name asked.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kreg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CONSUMED_WAIT_S 20 /* the client must finish a stream by then */

static const char pod_list[] =
    "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":"
    "{\"resourceVersion\":\"100\"},\"items\":[]}";

/* The process-wide fake API server and the state of the current input
 * (a libFuzzer harness has no other place for it than file scope). */
struct stub {
    int lfd;
    uint16_t port;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const uint8_t *body; /* the current input (under mu) */
    size_t len;
    unsigned watches; /* watch requests seen for this input */
    bool stopping;
};

static struct stub g_stub = {
    .lfd = -1,
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .cv = PTHREAD_COND_INITIALIZER,
};
static kreg *g_kreg;

static void require(bool ok)
{
    if (!ok)
        abort();
}

static bool send_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        c += k;
        n -= (size_t)k;
    }
    return true;
}

/* Read the request head into @p buf; false if it does not come. */
static bool read_head(int fd, char *buf, size_t size)
{
    size_t len = 0;

    while (len + 1 < size) {
        struct pollfd pfd = {fd, POLLIN, 0};
        ssize_t k;

        if (poll(&pfd, 1, 2000) <= 0)
            return false;
        k = recv(fd, buf + len, size - 1 - len, 0);
        if (k <= 0)
            return false;
        len += (size_t)k;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            return true;
    }
    return false;
}

/* The input as a chunked body, sent at once; chunk sizes vary so that
 * libcurl hands lines and UTF-8 sequences over split at every kind of
 * place (it passes each chunk's data on separately). */
static void send_stream(int fd, const uint8_t *p, size_t n)
{
    static const size_t sizes[] = {1, 7, 64, 3, 1000, 2, 4096, 13};
    static const char head[] =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    size_t cap = sizeof(head) + n + (n + 1) * 12 + 8;
    char *out = malloc(cap);
    size_t len = sizeof(head) - 1;
    size_t i = 0;

    require(out != NULL);
    memcpy(out, head, len);
    while (n > 0) {
        size_t c = sizes[i++ % (sizeof(sizes) / sizeof(sizes[0]))];

        if (c > n)
            c = n;
        len += (size_t)snprintf(out + len, cap - len, "%zx\r\n", c);
        memcpy(out + len, p, c);
        memcpy(out + len + c, "\r\n", 2);
        len += c + 2;
        p += c;
        n -= c;
    }
    memcpy(out + len, "0\r\n\r\n", 5);
    /* a failed send: the client stopped reading (a 410 ends it early) */
    (void)send_all(fd, out, len + 5);
    free(out);
}

static void send_list(int fd)
{
    char out[512];
    int k = snprintf(out, sizeof(out),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     sizeof(pod_list) - 1, pod_list);

    require(k > 0 && (size_t)k < sizeof(out));
    (void)send_all(fd, out, (size_t)k);
}

/* One connection, one request (every answer says Connection: close). */
static void serve(int fd)
{
    char head[16384];
    char *eol;
    bool watch;
    unsigned nth;
    const uint8_t *body;
    size_t len;

    if (!read_head(fd, head, sizeof(head)))
        return;
    eol = strstr(head, "\r\n");
    if (eol)
        *eol = '\0'; /* look at the request line only */
    watch = strstr(head, "watch=true") != NULL;
    if (!watch) {
        send_list(fd);
        return;
    }
    pthread_mutex_lock(&g_stub.mu);
    nth = ++g_stub.watches;
    body = g_stub.body;
    len = g_stub.len;
    pthread_cond_broadcast(&g_stub.cv);
    pthread_mutex_unlock(&g_stub.mu);
    if (nth == 1)
        send_stream(fd, body, len);
    /* later ones: closed unanswered; the client backs off until stopped */
}

static void *stub_main(void *arg)
{
    struct linger lg = {1, 0};
    struct timeval tv = {2, 0};
    int one = 1;

    (void)arg;
    for (;;) {
        int fd = accept(g_stub.lfd, NULL, NULL);
        bool stopping;

        pthread_mutex_lock(&g_stub.mu);
        stopping = g_stub.stopping;
        pthread_mutex_unlock(&g_stub.mu);
        if (stopping) {
            if (fd >= 0)
                close(fd);
            return NULL;
        }
        if (fd < 0)
            continue;
        /* no TIME_WAIT pile-up; never block on a client that stopped */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        serve(fd);
        close(fd);
    }
}

static void stop_all(void)
{
    kreg_free(g_kreg);
    g_kreg = NULL;
    pthread_mutex_lock(&g_stub.mu);
    g_stub.stopping = true;
    pthread_mutex_unlock(&g_stub.mu);
    shutdown(g_stub.lfd, SHUT_RDWR); /* wakes accept() */
    pthread_join(g_stub.th, NULL);
    close(g_stub.lfd);
}

static void start_all(void)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    struct kreg_options o;
    char url[64];
    int one = 1;

    g_stub.lfd = socket(AF_INET, SOCK_STREAM, 0);
    require(g_stub.lfd >= 0);
    setsockopt(g_stub.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    require(bind(g_stub.lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    require(listen(g_stub.lfd, 64) == 0);
    require(getsockname(g_stub.lfd, (struct sockaddr *)&sin, &sl) == 0);
    g_stub.port = ntohs(sin.sin_port);
    require(pthread_create(&g_stub.th, NULL, stub_main, NULL) == 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)g_stub.port);
    memset(&o, 0, sizeof(o));
    o.server = url;
    o.namespace_ = "default";
    o.pod_name = "fuzz";
    o.no_in_cluster = true;
    o.connect_timeout_ms = 2000;
    o.timeout_ms = 5000;
    o.retries = 1;
    o.retry_base_ms = 1;
    require(kreg_new(&o, &g_kreg, NULL) == KREG_OK);
    require(atexit(stop_all) == 0);
}

/* Wait until the client asked for a second watch, i.e. has consumed the
 * first stream to its end. */
static void wait_consumed(void)
{
    struct timespec ts;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += CONSUMED_WAIT_S;
    pthread_mutex_lock(&g_stub.mu);
    while (g_stub.watches < 2 && rc == 0)
        rc = pthread_cond_timedwait(&g_stub.cv, &g_stub.mu, &ts);
    pthread_mutex_unlock(&g_stub.mu);
    require(rc == 0); /* else the watcher hangs on a finished stream */
}

static void drain(kreg_watch *w)
{
    struct kreg_result *res = NULL;
    struct kreg_error err;

    while (kreg_watch_next(w, 0, &res, &err) == KREG_OK) {
        require(res != NULL && res->service != NULL && res->pod != NULL);
        require(res->action == KREG_ACTION_CREATE ||
                res->action == KREG_ACTION_UPDATE ||
                res->action == KREG_ACTION_DELETE);
        require(res->service->name != NULL);
        kreg_result_free(res);
        res = NULL;
    }
    require(res == NULL);
    require(err.code != KREG_OK && err.text[0] != '\0');
}

/* Ask the cache for names the seeds use; check what it answers. */
static void ask(kreg_cache *c)
{
    static const char *const names[] = {"greeter", "a", "x", "foo/bar"};
    size_t i;
    size_t j;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct kreg_service_list *l = NULL;
        struct kreg_error err;
        int rc = kreg_cache_get(c, names[i], &l, &err);

        require(rc == KREG_OK ? l != NULL : l == NULL && err.text[0] != '\0');
        for (j = 0; rc == KREG_OK && j < l->count; j++)
            require(l->items[j] && strcmp(l->items[j]->name, names[i]) == 0);
        kreg_cache_list_free(l);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kreg_watch *w = NULL;
    kreg_cache *c = NULL;
    struct kreg_error err;

    if (!g_kreg)
        start_all();
    pthread_mutex_lock(&g_stub.mu);
    g_stub.body = data;
    g_stub.len = size;
    g_stub.watches = 0;
    pthread_mutex_unlock(&g_stub.mu);
    if (size % 4 == 2)
        require(kreg_cache_new(g_kreg, NULL, 0, NULL, 0, &c, &err) == KREG_OK);
    else
        require(kreg_watch_new(g_kreg, (size & 1) ? "greeter" : NULL, &w,
                               &err) == KREG_OK);
    wait_consumed();
    if (c)
        ask(c);
    else
        drain(w);
    kreg_cache_free(c);
    kreg_watch_free(w);
    pthread_mutex_lock(&g_stub.mu);
    g_stub.body = NULL; /* @p data is only valid during this call */
    g_stub.len = 0;
    pthread_mutex_unlock(&g_stub.mu);
    return 0;
}
