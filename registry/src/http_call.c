/*
 * http_call: setting up one exchange on a libcurl easy handle (options,
 * TLS, credentials, headers) and collecting what comes back (status
 * line, Retry-After, body). Shared by requests and streams.
 */
#include "http_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "knum.h"

#define USER_AGENT "kreg/0.1"

/* Longest header line built: a token (config_int.h: at most 1 MiB). */
#define HEADER_MAX ((1u << 20) + 64)

/* Longest URL built (label selectors and continue tokens are short). */
#define URL_MAX (1u << 20)

/* TCP keep-alive probes: a dead peer is noticed on idle watch streams. */
#define KEEPALIVE_IDLE_S     30L
#define KEEPALIVE_INTERVAL_S 15L

/* Read size: a pod list of 100 pods (135 KB) in 3 reads instead of 9. */
#define RECV_BUFFER (64L * 1024)

/* ---- Callbacks -----------------------------------------------------------*/

static bool is_2xx(long status)
{
    return status >= 200 && status < 300;
}

/* Body bytes: to on_data for a 2xx stream, else into the capped body. */
/* A body of announced length goes into one allocation. The buffer is still
 * empty, so a refused reserve (over the body cap) loses nothing: the
 * append that crosses the cap reports it. */
static void reserve_body(struct kreg__http_call *c)
{
    curl_off_t n = -1;

    if (curl_easy_getinfo(c->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &n) ==
            CURLE_OK &&
        n > 0 && (uint64_t)n < SIZE_MAX / 2)
        (void)kbuf_reserve(&c->body, (size_t)n);
}

static size_t on_write(char *p, size_t size, size_t n, void *userdata)
{
    struct kreg__http_call *c = userdata;
    size_t len = size * n;
    long status = 0;

    if (c->on_data && curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE,
                                        &status) == CURLE_OK) {
        if (is_2xx(status)) {
            if (c->on_data(c->ctx, p, len) != 0) {
                c->data_stopped = true;
                return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
            }
            return len;
        }
    }
    if (kbuf_len(&c->body) == 0)
        reserve_body(c);
    c->body_rc = kbuf_add(&c->body, p, len);
    return c->body_rc == KBUF_OK ? len : 0;
}

/* Length of @p p without trailing CR, LF, spaces and tabs. */
static size_t trimmed_len(const char *p, size_t len)
{
    while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
                       p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    return len;
}

/* docs/kubernetes-api.md, Client retries: only a numeric Retry-After counts (no
 * HTTP-dates). */
static void parse_retry_after(struct kreg__http_call *c, const char *v,
                              size_t len)
{
    uint64_t s;

    while (len > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    len = trimmed_len(v, len);
    if (knum_parse_u64(v, len, &s))
        c->retry_after_s = s > INT64_MAX ? INT64_MAX : (int64_t)s;
}

/* Header lines: each status line starts a new answer (100 Continue). */
static size_t on_header(char *p, size_t size, size_t n, void *userdata)
{
    static const char retry_after[] = "Retry-After:";
    struct kreg__http_call *c = userdata;
    size_t len = size * n;
    size_t keep;

    if (len > 5 && memcmp(p, "HTTP/", 5) == 0) {
        keep = trimmed_len(p, len);
        if (keep >= sizeof(c->status_line))
            keep = sizeof(c->status_line) - 1;
        memcpy(c->status_line, p, keep);
        c->status_line[keep] = '\0';
        c->retry_after_s = -1;
    } else if (len > sizeof(retry_after) - 1 &&
               strncasecmp(p, retry_after, sizeof(retry_after) - 1) == 0) {
        parse_retry_after(c, p + sizeof(retry_after) - 1,
                          len - (sizeof(retry_after) - 1));
    }
    return len;
}

/* ---- Options -------------------------------------------------------------*/

/* Keep the first failure of a series of curl_easy_setopt() calls. */
static void keep(CURLcode *acc, CURLcode cc)
{
    if (*acc == CURLE_OK)
        *acc = cc;
}

/* A setopt failure is no memory or a libcurl built without a feature. */
static int setopt_error(CURLcode cc, struct kreg_error *err)
{
    if (cc == CURLE_OUT_OF_MEMORY)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    return kreg__error(err, KREG_E_CONFIG, 0, NULL, "libcurl: %s",
                       curl_easy_strerror(cc));
}

/* Options every exchange sets. */
static CURLcode set_common(struct kreg__http_call *c, const char *url)
{
    CURL *e = c->curl;
    CURLcode cc = CURLE_OK;

    keep(&cc, curl_easy_setopt(e, CURLOPT_URL, url));
    keep(&cc, curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"));
    keep(&cc, curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
    keep(&cc, curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf));
    keep(&cc, curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                               c->h->connect_timeout_ms));
    keep(&cc, curl_easy_setopt(e, CURLOPT_BUFFERSIZE, RECV_BUFFER));
    keep(&cc, curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L));
    keep(&cc, curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, KEEPALIVE_IDLE_S));
    keep(&cc, curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, KEEPALIVE_INTERVAL_S));
    keep(&cc, curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT));
    keep(&cc, curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write));
    keep(&cc, curl_easy_setopt(e, CURLOPT_WRITEDATA, c));
    keep(&cc, curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header));
    keep(&cc, curl_easy_setopt(e, CURLOPT_HEADERDATA, c));
    if (c->h->connect_to)
        keep(&cc, curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->h->connect_to));
    return cc;
}

/*
 * The files holding @p cert and @p key for this exchange: the client's
 * current pair when it holds these bytes, else a new pair that becomes the
 * current one (an exec plugin rotated them). The call keeps a reference
 * to both until it is released.
 */
static int client_files(struct kreg__http_call *c, const char *cert,
                        size_t cert_len, const char *key, size_t key_len,
                        struct kreg_error *err)
{
    struct kreg__http *h = c->h;
    struct kreg__pemfile *cf = NULL;
    struct kreg__pemfile *kf = NULL;
    int rc = KREG_OK;

    pthread_mutex_lock(&h->mu);
    if (!kreg__pemfile_holds(h->cert_file, cert, cert_len) ||
        !kreg__pemfile_holds(h->key_file, key, key_len)) {
        rc = kreg__pemfile_new(cert, cert_len, "client certificate", &cf, err);
        if (rc == KREG_OK)
            rc = kreg__pemfile_new(key, key_len, "client key", &kf, err);
        if (rc == KREG_OK) {
            kreg__pemfile_unref(h->cert_file);
            kreg__pemfile_unref(h->key_file);
            h->cert_file = cf;
            h->key_file = kf;
        } else {
            kreg__pemfile_unref(cf);
        }
    }
    if (rc == KREG_OK) {
        c->cert_file = kreg__pemfile_ref(h->cert_file);
        c->key_file = kreg__pemfile_ref(h->key_file);
    }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

/*
 * TLS: verification is on unless the configuration says insecure; the CA
 * bundle is the configured one, else the system's. Certificates go to
 * libcurl as files (http_pem.h), which every TLS backend reads. The client
 * certificate is fetched for each exchange since an exec plugin may
 * rotate it (docs/kubernetes-api.md, Client configuration); a changed one is
 * simply a connection that cannot be reused.
 */
static int set_tls(struct kreg__http_call *c, struct kreg_error *err)
{
    struct kreg__config *cfg = c->h->cfg;
    CURL *e = c->curl;
    char *cert = NULL;
    char *key = NULL;
    size_t cert_len = 0;
    size_t key_len = 0;
    CURLcode cc = CURLE_OK;
    int rc;

    keep(&cc,
         curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, cfg->insecure ? 0L : 1L));
    keep(&cc,
         curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, cfg->insecure ? 0L : 2L));
    if (c->h->ca_file)
        keep(&cc, curl_easy_setopt(e, CURLOPT_CAINFO,
                                   kreg__pemfile_path(c->h->ca_file)));
    rc = kreg__config_client_cert(cfg, &cert, &cert_len, &key, &key_len, err);
    if (rc == KREG_OK && cert && key)
        rc = client_files(c, cert, cert_len, key, key_len, err);
    if (rc != KREG_OK)
        goto out;
    if (cert && key) {
        keep(&cc, curl_easy_setopt(e, CURLOPT_SSLCERT,
                                   kreg__pemfile_path(c->cert_file)));
        keep(&cc, curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM"));
        keep(&cc, curl_easy_setopt(e, CURLOPT_SSLKEY,
                                   kreg__pemfile_path(c->key_file)));
        keep(&cc, curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM"));
        c->sent_credentials = true;
    }
    if (cc != CURLE_OK)
        rc = setopt_error(cc, err);
out:
    free(cert);
    free(key);
    return rc;
}

static int add_header(struct curl_slist **list, const char *line,
                      struct kreg_error *err)
{
    struct curl_slist *n = curl_slist_append(*list, line);

    if (!n)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    *list = n;
    return KREG_OK;
}

/* Append a formatted header line (built in @p line, reset first). */
static int add_headerf(struct curl_slist **list, struct kbuf *line,
                       struct kreg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int add_headerf(struct curl_slist **list, struct kbuf *line,
                       struct kreg_error *err, const char *fmt, ...)
{
    va_list ap;
    int brc;

    kbuf_reset(line);
    va_start(ap, fmt);
    brc = kbuf_vaddf(line, fmt, ap);
    va_end(ap);
    if (brc != KBUF_OK)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    return add_header(list, kbuf_str(line), err);
}

/*
 * Headers; the bearer token is read for each exchange (token files
 * rotate, exec credentials expire: docs/kubernetes-api.md, Client
 * configuration). "Expect:" stops libcurl from waiting for a 100 Continue on
 * large bodies.
 */
static int set_headers(struct kreg__http_call *c, const char *accept,
                       const char *content_type, struct kreg_error *err)
{
    struct kbuf line;
    char *token = NULL;
    int rc;

    kbuf_init(&line, HEADER_MAX);
    rc = kreg__config_token(c->h->cfg, &token, err);
    if (rc == KREG_OK)
        rc = add_headerf(&c->headers, &line, err, "Accept: %s",
                         accept ? accept : "application/json");
    if (rc == KREG_OK)
        rc = add_header(&c->headers, "Expect:", err);
    if (rc == KREG_OK && content_type)
        rc = add_headerf(&c->headers, &line, err, "Content-Type: %s",
                         content_type);
    if (rc == KREG_OK && c->h->host_header)
        rc = add_header(&c->headers, c->h->host_header, err);
    if (rc == KREG_OK && token) {
        rc = add_headerf(&c->headers, &line, err, "Authorization: Bearer %s",
                         token);
        c->sent_credentials = true;
    }
    if (rc == KREG_OK &&
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK)
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    kbuf_release(&line);
    free(token);
    return rc;
}

/* ---- Exchange ------------------------------------------------------------*/

int kreg__http_call_prepare(struct kreg__http_call *c, struct kreg__http *h,
                            CURL *curl, const char *path, const char *accept,
                            const char *content_type, size_t body_cap,
                            struct kreg_error *err)
{
    struct kbuf url;
    CURLcode cc;
    int brc;
    int rc = KREG_OK;

    memset(c, 0, sizeof(*c));
    c->h = h;
    c->curl = curl;
    c->retry_after_s = -1;
    c->body_cap = body_cap;
    kbuf_init(&c->body, body_cap);
    kbuf_init(&url, URL_MAX);
    brc = kbuf_adds(&url, h->base);
    if (brc == KBUF_OK)
        brc = kbuf_adds(&url, path);
    if (brc != KBUF_OK) {
        rc = brc == KBUF_E_NOMEM
                 ? kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory")
                 : kreg__error(err, KREG_E_INVALID, 0, NULL,
                               "request path: longer than %u bytes", URL_MAX);
        goto out;
    }
    cc = set_common(c, kbuf_str(&url));
    if (cc != CURLE_OK) {
        rc = setopt_error(cc, err);
        goto out;
    }
    if (h->https)
        rc = set_tls(c, err);
    if (rc == KREG_OK)
        rc = set_headers(c, accept, content_type, err);
out:
    kbuf_release(&url);
    return rc;
}

void kreg__http_call_finish(struct kreg__http_call *c)
{
    long connects = 0;

    if (curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status) !=
        CURLE_OK)
        c->status = 0;
    if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &connects) ==
            CURLE_OK &&
        connects > 0)
        atomic_fetch_add(&c->h->connects, (unsigned long)connects);
}

void kreg__http_call_release(struct kreg__http_call *c)
{
    curl_slist_free_all(c->headers);
    c->headers = NULL;
    kreg__pemfile_unref(c->cert_file);
    kreg__pemfile_unref(c->key_file);
    c->cert_file = NULL;
    c->key_file = NULL;
    kbuf_release(&c->body);
}
