/*
 * testutil: HTTP helpers shared by the fakeapi tests (libcurl over
 * loopback, as libmicrohttpd's own src/testcurl does). Header-only.
 */
#ifndef FAKEAPI_TESTUTIL_H
#define FAKEAPI_TESTUTIL_H

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fakeapi.h"

struct http_res {
    long status;
    char *body;
    size_t len;
    char ctype[128];
    char retry_after[32];
    json_t *json; /* parsed body, or NULL */
    CURLcode curl;
};

static inline size_t tu_write(char *p, size_t sz, size_t n, void *cls)
{
    struct http_res *r = cls;
    char *nb = realloc(r->body, r->len + sz * n + 1);

    if (!nb)
        return 0;
    memcpy(nb + r->len, p, sz * n);
    r->body = nb;
    r->len += sz * n;
    r->body[r->len] = '\0';
    return sz * n;
}

static inline size_t tu_header(char *p, size_t sz, size_t n, void *cls)
{
    struct http_res *r = cls;
    size_t len = sz * n;

    if (len > 14 && strncasecmp(p, "Content-Type: ", 14) == 0)
        snprintf(r->ctype, sizeof(r->ctype), "%.*s", (int)(len - 16), p + 14);
    if (len > 13 && strncasecmp(p, "Retry-After: ", 13) == 0)
        snprintf(r->retry_after, sizeof(r->retry_after), "%.*s",
                 (int)(len - 15), p + 13);
    return len;
}

static inline void http_res_free(struct http_res *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

/* One request; @p hdrs is a NULL-terminated list of extra headers. */
static inline long http_do(const char *method, const char *url,
                           const char *body, const char *const *hdrs,
                           struct http_res *res)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    size_t i;

    memset(res, 0, sizeof(*res));
    for (i = 0; hdrs && hdrs[i]; i++)
        h = curl_slist_append(h, hdrs[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tu_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, res);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, tu_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, res);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    res->curl = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
    if (res->body)
        res->json = json_loads(res->body, 0, NULL);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return res->status;
}

/* Request against @p srv's URL + @p path with a content type. */
static inline long http_ct(fakeapi *srv, const char *method, const char *path,
                           const char *ctype, const char *body,
                           struct http_res *res)
{
    char url[2048];
    char ct[256];
    const char *hdrs[2] = {NULL, NULL};

    snprintf(url, sizeof(url), "%s%s", fakeapi_url(srv), path);
    if (ctype) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
        hdrs[0] = ct;
    }
    return http_do(method, url, body, hdrs, res);
}

static inline long http(fakeapi *srv, const char *method, const char *path,
                        const char *body, struct http_res *res)
{
    return http_ct(srv, method, path, body ? "application/json" : NULL, body,
                   res);
}

/* String member at a dotted path ("metadata.name") of @p j, or NULL. */
static const char *jstr(const json_t *j, const char *path)
{
    char buf[256];
    char *save;
    char *part;
    const json_t *cur = j;

    snprintf(buf, sizeof(buf), "%s", path);
    part = buf;
    while (part && cur) {
        save = strchr(part, '.');
        if (save)
            *save++ = '\0';
        cur = json_object_get(cur, part);
        part = save;
    }
    return json_string_value(cur);
}

#define POD_FMT                                                                \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","   \
    "\"labels\":%s},\"spec\":{\"containers\":[{\"name\":\"c\","                \
    "\"image\":\"busybox\"}]}}"

/* Create pod @p name with @p labels (JSON object text) in @p ns. */
static inline long make_pod(fakeapi *srv, const char *ns, const char *name,
                            const char *labels)
{
    char path[512];
    char body[4096];
    struct http_res res;
    long st;

    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
    snprintf(body, sizeof(body), POD_FMT, name, labels ? labels : "{}");
    st = http(srv, "POST", path, body, &res);
    http_res_free(&res);
    return st;
}

/* ---- a streaming watch client on its own thread ---- */

struct watch_client {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char url[2048];
    char *buf;
    size_t len;
    size_t lines;
    bool done;
    bool stop;
    bool headers; /* the response headers have arrived */
    long status;
    CURLcode curl;
    const char *accept;
};

static inline size_t wc_write(char *p, size_t sz, size_t n, void *cls)
{
    struct watch_client *w = cls;
    size_t i;
    char *nb;

    pthread_mutex_lock(&w->mu);
    nb = realloc(w->buf, w->len + sz * n + 1);
    if (!nb) {
        pthread_mutex_unlock(&w->mu);
        return 0;
    }
    w->buf = nb;
    memcpy(w->buf + w->len, p, sz * n);
    w->len += sz * n;
    w->buf[w->len] = '\0';
    for (i = 0; i < sz * n; i++)
        if (p[i] == '\n')
            w->lines++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return sz * n;
}

static inline size_t wc_header(char *p, size_t sz, size_t n, void *cls)
{
    struct watch_client *w = cls;

    if (sz * n == 2 && p[0] == '\r' && p[1] == '\n') {
        pthread_mutex_lock(&w->mu);
        w->headers = true;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    return sz * n;
}

static inline int wc_progress(void *cls, curl_off_t a, curl_off_t b,
                              curl_off_t c, curl_off_t d)
{
    struct watch_client *w = cls;
    int stop;

    (void)a;
    (void)b;
    (void)c;
    (void)d;
    pthread_mutex_lock(&w->mu);
    stop = w->stop;
    pthread_mutex_unlock(&w->mu);
    return stop;
}

static inline void *wc_main(void *arg)
{
    struct watch_client *w = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char acc[512];
    CURLcode rc;
    long st = 0;

    if (w->accept) {
        snprintf(acc, sizeof(acc), "Accept: %s", w->accept);
        h = curl_slist_append(h, acc);
    }
    curl_easy_setopt(c, CURLOPT_URL, w->url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, wc_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, wc_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, w);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, wc_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    pthread_mutex_lock(&w->mu);
    w->done = true;
    w->curl = rc;
    w->status = st;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Start watching @p path on @p srv (a new client; watch_client_free). */
static inline struct watch_client *
watch_client_start(fakeapi *srv, const char *path, const char *accept)
{
    struct watch_client *w = calloc(1, sizeof(*w));

    snprintf(w->url, sizeof(w->url), "%s%s", fakeapi_url(srv), path);
    w->accept = accept;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    pthread_create(&w->th, NULL, wc_main, w);
    return w;
}

/* Wait until @p n lines arrived (true) or the stream ended/timeout. */
static inline bool watch_client_wait_lines(struct watch_client *w, size_t n,
                                           int timeout_s)
{
    struct timespec ts;
    bool ok;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_s;
    pthread_mutex_lock(&w->mu);
    while (w->lines < n && !w->done)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
            break;
    ok = w->lines >= n;
    pthread_mutex_unlock(&w->mu);
    return ok;
}

/* Wait until the response headers arrived: the server registers a
 * watcher before it answers, so the watch is live from then on. */
static inline bool watch_client_wait_headers(struct watch_client *w,
                                             int timeout_s)
{
    struct timespec ts;
    bool ok;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_s;
    pthread_mutex_lock(&w->mu);
    while (!w->headers && !w->done)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
            break;
    ok = w->headers;
    pthread_mutex_unlock(&w->mu);
    return ok;
}

/* Wait until the stream ends (true) or timeout. */
static inline bool watch_client_wait_done(struct watch_client *w, int timeout_s)
{
    struct timespec ts;
    bool done;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_s;
    pthread_mutex_lock(&w->mu);
    while (!w->done)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
            break;
    done = w->done;
    pthread_mutex_unlock(&w->mu);
    return done;
}

/* Line @p i (0-based) parsed as JSON (new reference), or NULL. */
static inline json_t *watch_client_line(struct watch_client *w, size_t i)
{
    json_t *j = NULL;
    const char *p;
    size_t k = 0;

    pthread_mutex_lock(&w->mu);
    p = w->buf;
    while (p && k < i) {
        p = strchr(p, '\n');
        if (p)
            p++;
        k++;
    }
    if (p && *p) {
        const char *end = strchr(p, '\n');

        if (end)
            j = json_loadb(p, (size_t)(end - p), 0, NULL);
    }
    pthread_mutex_unlock(&w->mu);
    return j;
}

static inline void watch_client_free(struct watch_client *w)
{
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->buf);
    free(w);
}

#endif
