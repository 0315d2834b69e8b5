/*
 * A scripted API server for the tests of what the fakeapi never sends
 * (malformed watch lines, a PATCH answered with something else than the
 * pod, ...). It serves one connection at a time on 127.0.0.1: the Nth
 * request of a kind (list: a GET without watch=true; watch; patch: any
 * other method) gets the Nth answer scripted for that kind, the last one
 * repeating. After answering it keeps the connection open, silent, until
 * the client closes it, so a watch answer is a stream that never ends by
 * itself. Answers are whole HTTP responses; script_json() builds the usual
 * 200 with a JSON body. It counts and times the requests of each kind.
 */
#ifndef KREG_TEST_SCRIPT_H
#define KREG_TEST_SCRIPT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#define SCRIPT_GUARD_MS 30000 /* hang guard: never reached when it works */
#define SCRIPT_MAX      4     /* answers per kind */
#define SCRIPT_STAMPS   16    /* request times kept per kind */

enum script_kind { SCRIPT_LIST, SCRIPT_WATCH, SCRIPT_PATCH, SCRIPT_KINDS };

struct script {
    int fd;      /* listening socket, -1 before script_start() */
    int wake[2]; /* a byte on wake[1] ends the server thread */
    uint16_t port;
    pthread_t th;
    char *answers[SCRIPT_KINDS][SCRIPT_MAX]; /* owned */
    size_t n[SCRIPT_KINDS];
    pthread_mutex_t mu; /* guards served and at */
    pthread_cond_t cv;  /* signalled per request */
    size_t served[SCRIPT_KINDS];
    int64_t at[SCRIPT_KINDS][SCRIPT_STAMPS]; /* when (ms, monotonic) */
};

static inline int64_t script_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void script_init(struct script *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
}

/* How many requests of @p kind were answered so far. */
static inline size_t script_served(struct script *s, enum script_kind kind)
{
    size_t n;

    pthread_mutex_lock(&s->mu);
    n = s->served[kind];
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Wait until @p n requests of @p kind arrived; false after the guard. */
static inline bool script_wait(struct script *s, enum script_kind kind,
                               size_t n)
{
    struct timespec ts;
    bool ok;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += SCRIPT_GUARD_MS / 1000;
    pthread_mutex_lock(&s->mu);
    while (s->served[kind] < n)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0)
            break;
    ok = s->served[kind] >= n;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* Add a whole answer (copied) for the next request of @p kind. */
static inline void script_add(struct script *s, enum script_kind kind,
                              const char *answer)
{
    assert_true(s->n[kind] < SCRIPT_MAX);
    s->answers[kind][s->n[kind]] = strdup(answer);
    assert_non_null(s->answers[kind][s->n[kind]]);
    s->n[kind]++;
}

/* Add "@p status" with JSON body @p body (Content-Length, close). */
static inline void script_json(struct script *s, enum script_kind kind,
                               const char *status, const char *body)
{
    size_t len = strlen(status) + strlen(body) + 128;
    char *text = malloc(len);
    int n;

    assert_non_null(text);
    n = snprintf(text, len,
                 "%s\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                 status, strlen(body), body);
    assert_true(n > 0 && (size_t)n < len);
    script_add(s, kind, text);
    free(text);
}

/* Read one request (head, and a Content-Length body); its kind in *@p k.
 * False when the client went away first. */
static inline bool script_read(int c, enum script_kind *k)
{
    char req[16384];
    size_t len = 0;
    size_t body = 0;
    const char *end = NULL;
    const char *cl;

    while (!end && len < sizeof(req) - 1) {
        ssize_t n = recv(c, req + len, sizeof(req) - 1 - len, 0);

        if (n <= 0)
            return false;
        len += (size_t)n;
        req[len] = '\0';
        end = strstr(req, "\r\n\r\n");
    }
    if (!end)
        return false;
    cl = strstr(req, "Content-Length: ");
    if (cl && cl < end)
        body = strtoul(cl + 16, NULL, 10);
    len -= (size_t)(end + 4 - req); /* body bytes already read */
    while (len < body) {
        char sink[4096];
        ssize_t n = recv(c, sink, sizeof(sink), 0);

        if (n <= 0)
            return false;
        len += (size_t)n;
    }
    if (strncmp(req, "GET ", 4) != 0)
        *k = SCRIPT_PATCH;
    else
        *k = strstr(req, "watch=true") ? SCRIPT_WATCH : SCRIPT_LIST;
    return true;
}

static inline void script_send(int c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c, p, n, MSG_NOSIGNAL);

        if (w <= 0)
            return; /* the client went away */
        p += w;
        n -= (size_t)w;
    }
}

/* Answer one connection, then hold it until the client closes it; false
 * when the server is told to end meanwhile. */
static inline bool script_serve(struct script *s, int c)
{
    struct pollfd p[2] = {{c, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
    enum script_kind k;
    const char *answer;
    char buf[4096];
    size_t i;

    if (!script_read(c, &k) || s->n[k] == 0)
        return true; /* nothing scripted: the connection is closed */
    pthread_mutex_lock(&s->mu);
    i = s->served[k]++;
    if (i < SCRIPT_STAMPS)
        s->at[k][i] = script_now_ms();
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    answer = s->answers[k][i < s->n[k] ? i : s->n[k] - 1];
    script_send(c, answer, strlen(answer));
    for (;;) {
        if (poll(p, 2, SCRIPT_GUARD_MS) != 1 || (p[1].revents & POLLIN))
            return false;
        if (recv(c, buf, sizeof(buf), 0) <= 0)
            return true;
    }
}

static inline void *script_main(void *arg)
{
    struct script *s = arg;
    struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
    bool go_on = true;

    while (go_on && poll(p, 2, SCRIPT_GUARD_MS) >= 1 &&
           !(p[1].revents & POLLIN)) {
        int c = accept(s->fd, NULL, NULL);

        if (c < 0)
            break;
        go_on = script_serve(s, c);
        close(c);
    }
    return NULL;
}

/* Start serving; the URL is http://127.0.0.1:<s->port>. */
static inline void script_start(struct script *s)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);

    memset(&a, 0, sizeof(a));
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(pipe(s->wake), 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->fd, 8), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->th, NULL, script_main, s), 0);
}

/* End the server thread (when started) and free the answers. */
static inline void script_stop(struct script *s)
{
    size_t k;
    size_t i;

    if (s->fd >= 0) {
        assert_int_equal(write(s->wake[1], "x", 1), 1);
        pthread_join(s->th, NULL);
        close(s->fd);
        close(s->wake[0]);
        close(s->wake[1]);
        s->fd = -1;
    }
    for (k = 0; k < SCRIPT_KINDS; k++)
        for (i = 0; i < s->n[k]; i++)
            free(s->answers[k][i]);
    memset(s->n, 0, sizeof(s->n));
}

/* After script_stop(): release what script_init() set up. */
static inline void script_release(struct script *s)
{
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
}

#endif
