/*
 * http: libkreg's HTTP client (http.h): the handle and its pool of easy
 * handles, requests with retries, and URL escaping. Exchanges are set up
 * in http_call.c, outcomes decoded in http_error.c, watches streamed in
 * http_stream.c.
 */
#include "http_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "metrics.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000u
#define DEFAULT_TIMEOUT_MS         30000u
#define DEFAULT_RETRIES            3u
#define DEFAULT_RETRY_BASE_MS      100u

/* Longest derived URL or header (the server URL plus a few bytes). */
#define SERVER_TEXT_MAX 8192u

/* docs/conventions.md, State: libcurl's process-wide init runs once (the one
 * exception to "no mutable globals"). */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    /* A failure shows again as curl_easy_init() returning NULL (libcurl
     * retries its global init there, under its own lock since 7.84);
     * kreg__http_new() creates a first handle to find out. */
    (void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int nomem(struct kreg_error *err)
{
    return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
}

/* ---- Server URL ----------------------------------------------------------*/

/* A part of @p u as a new malloc()ed string in *out, NULL when absent.
 * Returns KREG_OK or KREG_E_NOMEM. */
static int url_part(CURLU *u, CURLUPart part, unsigned flags, char **out)
{
    char *s = NULL;
    CURLUcode uc = curl_url_get(u, part, &s, flags);

    *out = NULL;
    if (uc == CURLUE_OUT_OF_MEMORY)
        return KREG_E_NOMEM;
    if (uc != CURLUE_OK)
        return KREG_OK;
    *out = strdup(s);
    curl_free(s);
    return *out ? KREG_OK : KREG_E_NOMEM;
}

/* The whole URL of @p u without its trailing '/' (paths are appended);
 * NULL if out of memory. */
static char *url_base(CURLU *u)
{
    char *s = NULL;
    size_t n;

    if (url_part(u, CURLUPART_URL, 0, &s) != KREG_OK || !s)
        return NULL;
    n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *format(const char *fmt, ...)
{
    struct kbuf b;
    va_list ap;
    int rc;

    kbuf_init(&b, SERVER_TEXT_MAX);
    va_start(ap, fmt);
    rc = kbuf_vaddf(&b, fmt, ap);
    va_end(ap);
    return rc == KBUF_OK ? kbuf_detach(&b, NULL) : NULL;
}

/*
 * tls-server-name (docs/kubernetes-api.md, Client configuration): libcurl has
 * no option for the name to verify, so the URL carries that name (it is then
 * the SNI and the name checked) while CURLOPT_CONNECT_TO still reaches the real
 * host, whose name goes into the Host header as Go sends it.
 */
static int use_server_name(struct kreg__http *h, CURLU *u,
                           struct kreg_error *err)
{
    const char *name = h->cfg->tls_server_name;
    char *host = NULL;
    char *port = NULL;
    char *explicit_port = NULL;
    char *entry = NULL;
    CURLUcode uc;
    int rc = KREG_OK;

    if (url_part(u, CURLUPART_HOST, 0, &host) != KREG_OK ||
        url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT, &port) != KREG_OK ||
        url_part(u, CURLUPART_PORT, 0, &explicit_port) != KREG_OK) {
        rc = nomem(err);
        goto out;
    }
    if (!host || !port) { /* not for http(s) URLs that parsed */
        rc = kreg__error(err, KREG_E_CONFIG, 0, NULL, "server URL: no host");
        goto out;
    }
    h->host_header = explicit_port ? format("Host: %s:%s", host, explicit_port)
                                   : format("Host: %s", host);
    entry = format("%s:%s:%s:%s", name, port, host, port);
    h->connect_to = entry ? curl_slist_append(NULL, entry) : NULL;
    if (!h->host_header || !h->connect_to) {
        rc = nomem(err);
        goto out;
    }
    uc = curl_url_set(u, CURLUPART_HOST, name, 0);
    if (uc != CURLUE_OK)
        rc = uc == CURLUE_OUT_OF_MEMORY
                 ? nomem(err)
                 : kreg__error(err, KREG_E_CONFIG, 0, NULL,
                               "tls-server-name \"%s\": not a host name", name);
out:
    free(host);
    free(port);
    free(explicit_port);
    free(entry);
    return rc;
}

/*
 * Derive the URLs from cfg->server. Userinfo, query and fragment are
 * dropped: error texts show the URL, and credentials never go there.
 */
static int parse_server(struct kreg__http *h, struct kreg_error *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    CURLUcode uc;
    int rc = KREG_OK;

    if (!u)
        return nomem(err);
    uc = curl_url_set(u, CURLUPART_URL, h->cfg->server, 0);
    if (uc != CURLUE_OK) {
        rc = uc == CURLUE_OUT_OF_MEMORY
                 ? nomem(err)
                 : kreg__error(err, KREG_E_CONFIG, 0, NULL, "server URL: %s",
                               curl_url_strerror(uc));
        goto out;
    }
    if (url_part(u, CURLUPART_SCHEME, 0, &scheme) != KREG_OK) {
        rc = nomem(err);
        goto out;
    }
    if (!scheme ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        rc = kreg__error(err, KREG_E_CONFIG, 0, NULL,
                         "server URL: scheme \"%s\" is not http or https",
                         scheme ? scheme : "");
        goto out;
    }
    h->https = strcmp(scheme, "https") == 0;
    (void)curl_url_set(u, CURLUPART_USER, NULL, 0);
    (void)curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
    (void)curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
    (void)curl_url_set(u, CURLUPART_QUERY, NULL, 0);
    (void)curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    h->shown = url_base(u);
    if (h->shown && h->https && h->cfg->tls_server_name &&
        h->cfg->tls_server_name[0])
        rc = use_server_name(h, u, err);
    h->base = url_base(u);
    if (rc == KREG_OK && (!h->shown || !h->base))
        rc = nomem(err);
out:
    free(scheme);
    curl_url_cleanup(u);
    return rc;
}

/* ---- Lifecycle -----------------------------------------------------------*/

/* Seed the jitter from the time and the handle's address (two clients
 * started together still differ). */
static uint64_t seed(const struct kreg__http *h)
{
    struct timespec ts = {0, 0};

    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^
           (uint64_t)(uintptr_t)h;
}

static unsigned or_default(unsigned v, unsigned def)
{
    return v ? v : def;
}

/* Fill a zeroed client whose mutex is ready. */
static int client_init(struct kreg__http *h, struct kreg__config *cfg,
                       const struct kreg_options *opt, struct kreg_error *err)
{
    int rc;

    h->cfg = cfg;
    h->connect_timeout_ms =
        (long)or_default(opt->connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
    h->timeout_ms = (long)or_default(opt->timeout_ms, DEFAULT_TIMEOUT_MS);
    h->retries = opt->retries == KREG_NO_RETRIES
                     ? 0
                     : or_default(opt->retries, DEFAULT_RETRIES);
    h->retry_base_ms = or_default(opt->retry_base_ms, DEFAULT_RETRY_BASE_MS);
    atomic_init(&h->connects, 0);
    h->rng = seed(h);
    rc = parse_server(h, err);
    if (rc != KREG_OK)
        return rc;
    if (h->https && cfg->ca_pem && !cfg->insecure) {
        rc = kreg__pemfile_new(cfg->ca_pem, cfg->ca_len, "CA certificate",
                               &h->ca_file, err);
        if (rc != KREG_OK)
            return rc;
    }
    h->pool[0] = curl_easy_init();
    if (!h->pool[0])
        return kreg__error(err, KREG_E_NOMEM, 0, NULL,
                           "libcurl: cannot create a handle");
    h->npool = 1;
    return KREG_OK;
}

int kreg__http_new(struct kreg__config *cfg, const struct kreg_options *opt,
                   struct kreg__http **out, struct kreg_error *err)
{
    static const struct kreg_options defaults;
    struct kreg__http *h;
    int rc;

    *out = NULL;
    if (!cfg || !cfg->server)
        return kreg__error(err, KREG_E_CONFIG, 0, NULL, "no server URL");
    if (pthread_once(&curl_once, curl_init_once) != 0)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL,
                           "libcurl: cannot initialise");
    h = calloc(1, sizeof(*h));
    if (!h || pthread_mutex_init(&h->mu, NULL) != 0) {
        free(h);
        return nomem(err);
    }
    rc = client_init(h, cfg, opt ? opt : &defaults, err);
    if (rc == KREG_OK) {
        *out = h;
        h = NULL;
    }
    kreg__http_free(h);
    return rc;
}

void kreg__http_free(struct kreg__http *h)
{
    size_t i;

    if (!h)
        return;
    for (i = 0; i < h->npool; i++)
        curl_easy_cleanup(h->pool[i]);
    curl_slist_free_all(h->connect_to);
    kreg__pemfile_unref(h->ca_file);
    kreg__pemfile_unref(h->cert_file);
    kreg__pemfile_unref(h->key_file);
    free(h->host_header);
    free(h->base);
    free(h->shown);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

void kreg__http_set_metrics(struct kreg__http *h, struct kreg__metrics *m)
{
    h->metrics = m;
}

unsigned long kreg__http_connections(const struct kreg__http *h)
{
    return atomic_load(&h->connects);
}

void kreg__response_release(struct kreg__response *r)
{
    if (!r)
        return;
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* ---- Handle pool ---------------------------------------------------------*/

/* An idle handle (its connections still open), or a new one; NULL if out
 * of memory. Each handle serves one thread at a time. */
static CURL *pool_take(struct kreg__http *h)
{
    CURL *e = NULL;

    pthread_mutex_lock(&h->mu);
    if (h->npool > 0)
        e = h->pool[--h->npool];
    pthread_mutex_unlock(&h->mu);
    return e ? e : curl_easy_init();
}

/* Reset the options (they point into the finished exchange; live
 * connections survive a reset) and keep the handle, or drop it when the
 * pool is full. */
static void pool_give(struct kreg__http *h, CURL *e)
{
    curl_easy_reset(e);
    pthread_mutex_lock(&h->mu);
    if (h->npool < KREG__HTTP_POOL_MAX) {
        h->pool[h->npool++] = e;
        e = NULL;
    }
    pthread_mutex_unlock(&h->mu);
    curl_easy_cleanup(e);
}

/* ---- Requests ------------------------------------------------------------*/

struct request {
    const char *method;
    const char *path;
    const char *accept; /* NULL: application/json */
    const char *content_type;
    const char *body;
    size_t len;
};

/* splitmix64: small, and good enough for jitter. */
static uint64_t rng_next(struct kreg__http *h)
{
    uint64_t z;

    pthread_mutex_lock(&h->mu);
    h->rng += 0x9e3779b97f4a7c15u;
    z = h->rng;
    pthread_mutex_unlock(&h->mu);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/*
 * How long to wait before retry number @p tries + 1: a numeric
 * Retry-After (docs/kubernetes-api.md, Client retries), else exponential
 * backoff from retry_base_ms with full jitter; both capped at 10 s.
 */
static unsigned retry_delay_ms(struct kreg__http *h, unsigned tries,
                               int64_t retry_after_s)
{
    uint64_t ceiling;

    if (retry_after_s >= 0)
        return retry_after_s >= KREG__HTTP_RETRY_MAX_MS / 1000
                   ? KREG__HTTP_RETRY_MAX_MS
                   : (unsigned)retry_after_s * 1000u;
    ceiling = (uint64_t)h->retry_base_ms << (tries < 16 ? tries : 16);
    if (ceiling > KREG__HTTP_RETRY_MAX_MS)
        ceiling = KREG__HTTP_RETRY_MAX_MS;
    return (unsigned)(rng_next(h) % (ceiling + 1));
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

static int set_method(CURL *e, const struct kreg__http *h,
                      const struct request *rq, struct kreg_error *err)
{
    bool has_body = rq->body || strcmp(rq->method, "POST") == 0 ||
                    strcmp(rq->method, "PUT") == 0 ||
                    strcmp(rq->method, "PATCH") == 0;
    CURLcode cc;

    cc = curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    if (cc == CURLE_OK) /* "": every encoding libcurl can decode */
        cc = curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    if (cc == CURLE_OK && strcmp(rq->method, "GET") == 0)
        cc = curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    else if (cc == CURLE_OK)
        cc = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, rq->method);
    if (cc == CURLE_OK && has_body)
        cc = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)rq->len);
    if (cc == CURLE_OK && has_body)
        cc = curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
    if (cc != CURLE_OK)
        return nomem(err);
    return KREG_OK;
}

/* One try on a pooled handle; @p c is left to release, *cc is libcurl's
 * outcome. Returns non-OK only when the request could not be sent. */
static int attempt(struct kreg__http *h, const struct request *rq,
                   struct kreg__http_call *c, CURLcode *cc,
                   struct kreg_error *err)
{
    CURL *e = pool_take(h);
    int rc;

    *cc = CURLE_OK;
    if (!e) {
        memset(c, 0, sizeof(*c));
        return nomem(err);
    }
    rc = kreg__http_call_prepare(c, h, e, rq->path, rq->accept,
                                 rq->content_type, KREG__HTTP_BODY_MAX, err);
    if (rc == KREG_OK)
        rc = set_method(e, h, rq, err);
    if (rc == KREG_OK) {
        *cc = curl_easy_perform(e);
        kreg__http_call_finish(c);
    }
    pool_give(h, e);
    return rc;
}

/* 429, 5xx and broken or timed-out transfers (docs/kubernetes-api.md, Client
 * retries). */
static bool is_retryable(const struct kreg__http_call *c, CURLcode cc)
{
    if (cc != CURLE_OK)
        return c->body_rc == KBUF_OK && kreg__http_error_is_transient(cc);
    return c->status == 429 || (c->status >= 500 && c->status <= 599);
}

/* Hand the last answer to the caller (http.h: in every case). */
static int hand_out(struct kreg__http_call *c, int rc,
                    struct kreg__response *resp, struct kreg_error *err)
{
    if (!resp)
        return rc;
    resp->status = c->status;
    resp->body = kbuf_detach(&c->body, &resp->len);
    if (!resp->body && rc == KREG_OK)
        return nomem(err);
    return rc;
}

int kreg__http_request(struct kreg__http *h, const char *method,
                       const char *path, const char *content_type,
                       const char *body, size_t len, unsigned flags,
                       struct kreg__response *resp, struct kreg_error *err)
{
    const struct request rq = {
        method,
        path,
        flags & KREG__HTTP_METADATA ? KREG__HTTP_ACCEPT_METADATA : NULL,
        content_type,
        body,
        len};
    struct kreg__http_call c;
    CURLcode cc;
    unsigned tries = 0;
    bool refreshed = false;
    int rc;

    if (resp)
        memset(resp, 0, sizeof(*resp));
    if (!h || !method || !path || path[0] != '/')
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "request: no method or no absolute path");
    for (;;) {
        rc = attempt(h, &rq, &c, &cc, err);
        if (rc != KREG_OK)
            break;
        /* docs/metrics.md: a transfer that failed is code 0 */
        kreg__metrics_request(h->metrics, kreg__metrics_verb(method),
                              cc == CURLE_OK ? c.status : 0);
        if (cc == CURLE_OK && c.status == 401)
            kreg__config_invalidate(h->cfg);
        if (cc == CURLE_OK && c.status == 401 && c.sent_credentials &&
            !refreshed) {
            refreshed = true; /* a stale token: once, any method */
        } else if ((flags & KREG__HTTP_IDEMPOTENT) && tries < h->retries &&
                   is_retryable(&c, cc)) {
            sleep_ms(retry_delay_ms(h, tries,
                                    cc == CURLE_OK ? c.retry_after_s : -1));
            tries++;
        } else {
            rc = kreg__http_error_result(&c, cc, err);
            break;
        }
        kreg__metrics_retry(h->metrics);
        kreg__http_call_release(&c);
    }
    rc = hand_out(&c, rc, resp, err);
    kreg__http_call_release(&c);
    return rc;
}

/* ---- Escaping ------------------------------------------------------------*/

char *kreg__http_escape(const char *s)
{
    char *e;
    char *copy;

    if (!s)
        return NULL;
    e = curl_easy_escape(NULL, s, 0); /* the handle is unused since 7.82 */
    if (!e)
        return NULL;
    copy = strdup(e);
    curl_free(e);
    return copy;
}
