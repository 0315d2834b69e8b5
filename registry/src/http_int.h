/*
 * http_int: what the files of the http module share (internal to
 * http.c, http_call.c, http_error.c and http_stream.c). Only these
 * files see libcurl (docs/conventions.md, Files: each dependency stays in its
 * module).
 */
#ifndef KREG_HTTP_INT_H
#define KREG_HTTP_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "http_pem.h"
#include "kbuf.h"

/* Idle easy handles kept for reuse (each keeps its connections). */
#define KREG__HTTP_POOL_MAX 8

/* Largest response body read (a big PodList is a few MiB). */
#define KREG__HTTP_BODY_MAX (64u << 20)

/* Largest error body read from a stream answered with a non-2xx status. */
#define KREG__HTTP_ERROR_BODY_MAX (1u << 20)

/* The longest wait before a retry: Retry-After and backoff are capped. */
#define KREG__HTTP_RETRY_MAX_MS 10000u

struct kreg__http {
    struct kreg__config *cfg; /* borrowed */
    char *base;               /* URL prefix of every request, no trailing '/' */
    char *shown;              /* the server URL for error text (no userinfo) */
    struct curl_slist *connect_to; /* CURLOPT_CONNECT_TO for tls-server-name */
    char *host_header;             /* "Host: ..." of the real server with it */
    bool https;
    struct kreg__pemfile *ca_file; /* the configured CA, or NULL */
    long connect_timeout_ms;
    long timeout_ms;
    unsigned retries;
    unsigned retry_base_ms;
    /* the handle's counters (borrowed), or NULL: counts nothing */
    struct kreg__metrics *metrics;
    atomic_ulong connects; /* connections opened so far (diagnostics) */
    pthread_mutex_t mu;    /* guards pool, npool and rng */
    CURL *pool[KREG__HTTP_POOL_MAX];
    size_t npool;
    uint64_t rng; /* splitmix64 state for the backoff jitter */
    /* the last client certificate and key handed out (guarded by mu) */
    struct kreg__pemfile *cert_file;
    struct kreg__pemfile *key_file;
};

/*
 * One exchange on one easy handle: the options it set and what came back.
 * Release with kreg__http_call_release() (the handle is not touched).
 */
struct kreg__http_call {
    struct kreg__http *h;
    CURL *curl;                 /* borrowed */
    struct curl_slist *headers; /* owned; curl points at it */
    struct kbuf body;           /* response body (or error body) */
    size_t body_cap;            /* its cap */
    int body_rc;                /* KBUF_E_* once an append failed */
    long status;                /* HTTP status of the last answer, or 0 */
    char status_line[128];      /* e.g. "HTTP/1.1 503 Service Unavailable" */
    int64_t retry_after_s;      /* numeric Retry-After, or -1 */
    bool sent_credentials;      /* a token or client certificate was used */
    struct kreg__pemfile *cert_file; /* held for the exchange, or NULL */
    struct kreg__pemfile *key_file;
    /* Streams: 2xx body bytes go to on_data instead of body. */
    int (*on_data)(void *ctx, const char *p, size_t n);
    void *ctx;
    bool data_stopped; /* on_data asked to stop */
    char errbuf[CURL_ERROR_SIZE];
};

/*
 * Prepare @p curl (freshly reset) for a request to @p path: URL,
 * connection timeout, keep-alive, callbacks into @p c, TLS from the
 * configuration, and the headers (Accept: @p accept, or application/json
 * when NULL; User-Agent; Authorization with the current token;
 * @p content_type when not NULL). Method, body and
 * the total timeout are the caller's. @p body_cap bounds c->body.
 * Returns KREG_OK, KREG_E_NOMEM, KREG_E_CONFIG or KREG_E_EXEC (the
 * credentials could not be had); release @p c in every case.
 */
int kreg__http_call_prepare(struct kreg__http_call *c, struct kreg__http *h,
                            CURL *curl, const char *path, const char *accept,
                            const char *content_type, size_t body_cap,
                            struct kreg_error *err);

/* Note what the finished transfer on c->curl tells (status, connects). */
void kreg__http_call_finish(struct kreg__http_call *c);

/* Free what @p c owns; a zeroed @p c is a no-op. */
void kreg__http_call_release(struct kreg__http_call *c);

/*
 * Turn the outcome of a finished exchange into a KREG code and @p err:
 * KREG_OK for a 2xx, the code for the status with the Status reason and
 * message (or the status line and the start of a non-Status body), or
 * KREG_E_CONNECT / KREG_E_TIMEOUT / KREG_E_PROTOCOL / KREG_E_NOMEM for a
 * transfer that failed, with curl's text and the server URL.
 */
int kreg__http_error_result(const struct kreg__http_call *c, CURLcode cc,
                            struct kreg_error *err);

/* Whether a failed transfer (not a status) may be retried by an
 * idempotent request: the connection broke, or timed out. */
bool kreg__http_error_is_transient(CURLcode cc);

#endif
