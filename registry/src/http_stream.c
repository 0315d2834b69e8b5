/*
 * http_stream: a streamed GET for watches (http.h kreg__http_stream).
 * The transfer runs in a private curl multi handle so the stop flag is
 * seen within STOP_POLL_MS whatever the server does: libcurl's progress
 * callback only runs about once a second on an idle stream.
 */
#include "http_int.h"

#include <string.h>

#include "error.h"
#include "metrics.h"

/* http.h: the stop flag is checked at least this often. */
#define STOP_POLL_MS 100

/*
 * Run the one transfer of @p m until it ends or @p stop is set.
 * Returns KREG_OK with *cc set to its outcome, KREG_E_STOPPED, or
 * KREG_E_NOMEM when the multi interface failed.
 */
static int pump(CURLM *m, atomic_bool *stop, CURLcode *cc,
                struct kreg_error *err)
{
    const CURLMsg *msg;
    CURLMcode mc = CURLM_OK;
    int running = 1;
    int left = 0;

    *cc = CURLE_OK;
    while (running > 0 && mc == CURLM_OK) {
        if (atomic_load(stop))
            return kreg__error(err, KREG_E_STOPPED, 0, NULL, "watch stopped");
        mc = curl_multi_perform(m, &running);
        if (mc == CURLM_OK && running > 0)
            mc = curl_multi_poll(m, NULL, 0, STOP_POLL_MS, NULL);
    }
    if (mc != CURLM_OK)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "libcurl: %s",
                           curl_multi_strerror(mc));
    msg = curl_multi_info_read(m, &left);
    if (msg && msg->msg == CURLMSG_DONE)
        *cc = msg->data.result;
    return KREG_OK;
}

/* Count a stream that ran (docs/metrics.md): once, as WATCH, with the
 * status its answer began with, 0 when none came. */
static void count_stream(struct kreg__http_call *c, int rc)
{
    long status = c->status;

    if (rc == KREG_E_STOPPED &&
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
        status = 0;
    kreg__metrics_request(c->h->metrics, KREG_METRICS_VERB_WATCH, status);
}

/* What a finished stream means (http.h). */
static int stream_result(struct kreg__http_call *c, CURLcode cc,
                         struct kreg_error *err)
{
    if (cc == CURLE_WRITE_ERROR && c->data_stopped)
        return KREG_OK; /* on_data asked to stop */
    if (cc == CURLE_OK && c->status == 401)
        kreg__config_invalidate(c->h->cfg); /* the caller reconnects */
    return kreg__http_error_result(c, cc, err);
}

void kreg__http_waker_init(struct kreg__http_waker *w)
{
    pthread_mutex_init(&w->mu, NULL);
    w->multi = NULL;
}

void kreg__http_waker_release(struct kreg__http_waker *w)
{
    pthread_mutex_destroy(&w->mu);
}

void kreg__http_wake(struct kreg__http_waker *w)
{
    pthread_mutex_lock(&w->mu);
    if (w->multi)
        curl_multi_wakeup(w->multi);
    pthread_mutex_unlock(&w->mu);
}

static void waker_set(struct kreg__http_waker *w, CURLM *m)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->multi = m;
    pthread_mutex_unlock(&w->mu);
}

int kreg__http_stream(struct kreg__http *h, const char *path,
                      int (*on_data)(void *ctx, const char *p, size_t n),
                      void *ctx, atomic_bool *stop, struct kreg_error *err)
{
    return kreg__http_stream_ex(h, path, on_data, ctx, stop, NULL, 0, err);
}

int kreg__http_stream_ex(struct kreg__http *h, const char *path,
                         int (*on_data)(void *ctx, const char *p, size_t n),
                         void *ctx, atomic_bool *stop,
                         struct kreg__http_waker *waker, unsigned idle_s,
                         struct kreg_error *err)
{
    struct kreg__http_call c;
    CURLM *m = NULL;
    CURL *e = NULL;
    bool added = false;
    CURLcode cc = CURLE_OK;
    int rc;

    memset(&c, 0, sizeof(c));
    if (!h || !path || path[0] != '/' || !on_data || !stop)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "stream: bad argument");
    m = curl_multi_init();
    e = curl_easy_init();
    if (!m || !e) {
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
        goto out;
    }
    /* No total timeout: a watch lasts as long as the server keeps it;
     * TCP keep-alive (http_call.c) notices a dead peer, the idle bound
     * (below 1 byte/s for idle_s) a live peer that went silent. */
    rc = kreg__http_call_prepare(&c, h, e, path, NULL, NULL,
                                 KREG__HTTP_ERROR_BODY_MAX, err);
    if (rc == KREG_OK && idle_s > 0 &&
        (curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK ||
         curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)idle_s) != CURLE_OK))
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL,
                         "libcurl: cannot set the stream's idle bound");
    if (rc != KREG_OK)
        goto out;
    c.on_data = on_data;
    c.ctx = ctx;
    if (curl_multi_add_handle(m, e) != CURLM_OK) {
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
        goto out;
    }
    added = true;
    waker_set(waker, m);
    rc = pump(m, stop, &cc, err);
    waker_set(waker, NULL);
    if (rc == KREG_OK)
        kreg__http_call_finish(&c);
    if (rc == KREG_OK || rc == KREG_E_STOPPED)
        count_stream(&c, rc);
    if (rc == KREG_OK)
        rc = stream_result(&c, cc, err);
out:
    if (added)
        (void)curl_multi_remove_handle(m, e);
    curl_easy_cleanup(e);
    curl_multi_cleanup(m);
    kreg__http_call_release(&c);
    return rc;
}
