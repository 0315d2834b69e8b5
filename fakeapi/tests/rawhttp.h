/*
 * rawhttp: plain loopback sockets for the load and hardening tests, where
 * libcurl cannot do what a test needs: a thousand idle connections,
 * partial headers, a client that never reads, hundreds of streams read
 * from one thread with poll(); and a wait on the server's watch count.
 * Header-only, like testutil.h.
 */
#ifndef FAKEAPI_RAWHTTP_H
#define FAKEAPI_RAWHTTP_H

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fakeapi.h"
#include "kbuf.h"

static inline uint64_t raw_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A blocking TCP connection to 127.0.0.1:@p port, or -1. @p rcvbuf > 0
 * shrinks the receive buffer first (a reader that lags). */
static inline int raw_connect(uint16_t port, int rcvbuf)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static inline bool raw_send(int fd, const void *p, size_t n)
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

static inline bool raw_sends(int fd, const char *s)
{
    return raw_send(fd, s, strlen(s));
}

/* Append what @p fd has within @p wait_ms to @p in: the byte count, 0 at
 * the end of the stream (or a reset), -1 when nothing came. */
static inline ssize_t raw_recv(int fd, struct kbuf *in, int wait_ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    char chunk[16384];
    ssize_t k;

    if (poll(&pfd, 1, wait_ms) <= 0)
        return -1;
    k = recv(fd, chunk, sizeof(chunk), 0);
    if (k < 0)
        return errno == EINTR || errno == EAGAIN ? -1 : 0;
    if (k > 0 && kbuf_add(in, chunk, (size_t)k) != KBUF_OK)
        return 0;
    return k;
}

/* Read until @p needle is in @p in (true), the stream ends or
 * @p timeout_ms pass (false). */
static inline bool raw_wait_for(int fd, struct kbuf *in, const char *needle,
                                int timeout_ms)
{
    uint64_t deadline = raw_now_ms() + (uint64_t)timeout_ms;

    while (!strstr(kbuf_str(in), needle)) {
        uint64_t now = raw_now_ms();

        if (now >= deadline || raw_recv(fd, in, (int)(deadline - now)) == 0)
            return strstr(kbuf_str(in), needle) != NULL;
    }
    return true;
}

/* Read to the end of the stream; false if it has not ended in time. */
static inline bool raw_read_to_end(int fd, struct kbuf *in, int timeout_ms)
{
    uint64_t deadline = raw_now_ms() + (uint64_t)timeout_ms;

    for (;;) {
        uint64_t now = raw_now_ms();

        if (now >= deadline)
            return false;
        if (raw_recv(fd, in, (int)(deadline - now)) == 0)
            return true;
    }
}

/* The status code of the answer in @p in, or 0. */
static inline int raw_status(const struct kbuf *in)
{
    const char *s = kbuf_str(in);

    if (kbuf_len(in) < 12 || strncmp(s, "HTTP/1.", 7) != 0)
        return 0;
    return (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
}

/* The body after the head in @p in (borrowed), or "". */
static inline const char *raw_body(const struct kbuf *in)
{
    const char *p = strstr(kbuf_str(in), "\r\n\r\n");

    return p ? p + 4 : "";
}

/* Has the peer closed @p fd? Reads and drops whatever is pending. */
static inline bool raw_is_closed(int fd)
{
    char chunk[4096];

    for (;;) {
        ssize_t k = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);

        if (k > 0)
            continue;
        if (k == 0)
            return true;
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
}

/* One request on a new connection, answer read to its end ("Connection:
 * close" in @p req); the status code, or 0 on failure. */
static inline int raw_request(uint16_t port, const char *req, struct kbuf *in,
                              int timeout_ms)
{
    int fd = raw_connect(port, 0);
    bool ok;

    if (fd < 0)
        return 0;
    ok = raw_sends(fd, req) && raw_read_to_end(fd, in, timeout_ms);
    close(fd);
    return ok ? raw_status(in) : 0;
}

/*
 * fakeapi has no notification for its watch count, so this polls it
 * (every millisecond, up to @p timeout_s): true once it equals @p n.
 */
static inline bool wait_watch_count(fakeapi *srv, unsigned n, int timeout_s)
{
    uint64_t deadline = raw_now_ms() + (uint64_t)timeout_s * 1000;
    struct timespec ms = {0, 1000000};

    while (fakeapi_watch_count(srv) != n) {
        if (raw_now_ms() >= deadline)
            return false;
        nanosleep(&ms, NULL);
    }
    return true;
}

#endif
