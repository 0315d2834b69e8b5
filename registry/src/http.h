/*
 * http: libkreg's HTTP client on libcurl: one per registry handle,
 * thread-safe, with connection reuse, bounded timeouts, bearer tokens from
 * the configuration, TLS from the configuration, retries with backoff and
 * jitter for idempotent requests, and Status decoding into kreg_error.
 */
#ifndef KREG_HTTP_H
#define KREG_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "kreg.h"

struct kreg__http;
struct kreg__metrics;

/* A response; body is NUL-terminated (may be empty), owned. */
struct kreg__response {
    long status;
    char *body;
    size_t len;
};

void kreg__response_release(struct kreg__response *r);

/* Request flags. */
#define KREG__HTTP_IDEMPOTENT 0x1 /* safe to retry on 429/5xx/connection */
#define KREG__HTTP_METADATA   0x2 /* a list: metadata only if served */

/* The Accept of KREG__HTTP_METADATA: PartialObjectMetadataList (client-go's
 * metadata client asks the same), else the full list. */
#define KREG__HTTP_ACCEPT_METADATA                                             \
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"        \
    "application/json"

/*
 * New client for @p cfg (borrowed; must outlive the client). Options used:
 * connect_timeout_ms, timeout_ms, retries, retry_base_ms.
 * Returns KREG_OK, KREG_E_NOMEM or KREG_E_CONFIG.
 */
int kreg__http_new(struct kreg__config *cfg, const struct kreg_options *opt,
                   struct kreg__http **out, struct kreg_error *err);

/* Free the client and its connections; NULL is a no-op. */
void kreg__http_free(struct kreg__http *h);

/* Count each attempt and retry in @p m (borrowed: it outlives the
 * client; NULL, the default, counts nothing). Call before any request. */
void kreg__http_set_metrics(struct kreg__http *h, struct kreg__metrics *m);

/* Connections the client has opened so far; with keep-alive, fewer than
 * the requests made (diagnostics and tests). Thread-safe. */
unsigned long kreg__http_connections(const struct kreg__http *h);

/*
 * Perform a request. @p path starts with '/' and holds the escaped query.
 * @p body may be NULL. Retries (with backoff and jitter, honouring a
 * numeric Retry-After) only when @p flags has KREG__HTTP_IDEMPOTENT and the
 * answer was 429 or 5xx or the connection failed; on 401 the token is
 * invalidated and the request retried once.
 * Returns KREG_OK for 2xx; else the code for the status (401
 * UNAUTHORIZED, 403 FORBIDDEN, 404 NOT_FOUND, 409 CONFLICT, other HTTP),
 * or KREG_E_CONNECT / KREG_E_TIMEOUT / KREG_E_PROTOCOL, with @p err
 * carrying the HTTP status and the Status reason and message. @p resp
 * (optional) receives the last response in every case.
 * Thread-safe.
 */
int kreg__http_request(struct kreg__http *h, const char *method,
                       const char *path, const char *content_type,
                       const char *body, size_t len, unsigned flags,
                       struct kreg__response *resp, struct kreg_error *err);

/*
 * Stream a GET (a watch): @p on_data gets each chunk as it arrives and
 * returns 0 to go on, non-zero to stop. Returns when the server ends the
 * stream (KREG_OK), @p stop becomes true (KREG_E_STOPPED), @p on_data
 * stops it (KREG_OK), or on error (as kreg__http_request; a non-2xx answer
 * is read whole and decoded as a Status). No retries: the caller
 * reconnects. The stop flag is checked at least every 100 ms.
 */
int kreg__http_stream(struct kreg__http *h, const char *path,
                      int (*on_data)(void *ctx, const char *p, size_t n),
                      void *ctx, atomic_bool *stop, struct kreg_error *err);

/*
 * Waking a stream at once: kreg__http_stream_ex() registers its transfer
 * in the waker while it runs, and kreg__http_wake() (from any thread,
 * after setting the stop flag) interrupts the wait, so a stop is seen
 * immediately instead of within 100 ms.
 */
struct kreg__http_waker {
    pthread_mutex_t mu;
    void *multi; /* the running transfer's curl multi handle, or NULL */
};

void kreg__http_waker_init(struct kreg__http_waker *w);
void kreg__http_waker_release(struct kreg__http_waker *w);
void kreg__http_wake(struct kreg__http_waker *w);

/*
 * kreg__http_stream() that registers its transfer in @p waker (may be
 * NULL) and, when @p idle_s is not 0, drops a stream on which no byte
 * arrived for @p idle_s seconds (headers included): KREG_E_TIMEOUT.
 */
int kreg__http_stream_ex(struct kreg__http *h, const char *path,
                         int (*on_data)(void *ctx, const char *p, size_t n),
                         void *ctx, atomic_bool *stop,
                         struct kreg__http_waker *waker, unsigned idle_s,
                         struct kreg_error *err);

/* URL-escape @p s for a query value (new string, free()), NULL if OOM. */
char *kreg__http_escape(const char *s);

#endif
