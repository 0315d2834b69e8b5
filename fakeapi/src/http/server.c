/*
 * server: the libmicrohttpd daemon, request plumbing (body, auth, faults,
 * request log), the ticker thread and the server's life cycle.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "api/handlers.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/status.h"
#include "http/authz.h"
#include "http/faults.h"
#include "http/reqlog.h"
#include "http/watch.h"
#include "knum.h"
#include "select/selector.h"
#include "store/obj.h"
#include "validate/fieldval.h"

/* A connection parked by a latency fault until resume_at_ms. */
struct delayed {
    struct delayed *next;
    struct MHD_Connection *conn;
    uint64_t resume_at_ms;
};

/* ---- reading a request (struct req_io) ---- */

static const char *mhd_arg(void *conn, const char *name)
{
    const char *v;

    if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, name,
                                      strlen(name), &v, NULL) != MHD_YES)
        return NULL;
    return v ? v : ""; /* a bare `?watch` has no value */
}

static const char *mhd_header(void *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static const struct req_io mhd_io = {mhd_arg, mhd_header};

/* ---- the access handler ---- */

static void req_free(struct req *r)
{
    if (!r)
        return;
    kbuf_release(&r->body);
    free(r->path);
    fakeapi__fault_free(r->fault);
    free(r);
}

static enum MHD_Result add_query(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value)
{
    struct kbuf *b = cls;

    (void)kind;
    if (kbuf_len(b) > 0)
        kbuf_addc(b, '&');
    kbuf_adds(b, key);
    if (value) {
        kbuf_addc(b, '=');
        kbuf_adds(b, value);
    }
    return MHD_YES;
}

static void log_request(struct req *r, int status)
{
    struct reqlog_entry e;
    struct kbuf q;

    kbuf_init(&q, 64 * 1024);
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_query, &q);
    e.seq = r->seq;
    e.method = r->method;
    e.path = r->path;
    e.query = kbuf_str(&q);
    e.status = status;
    e.user_agent = fakeapi__header(r, MHD_HTTP_HEADER_USER_AGENT);
    e.accept = fakeapi__header(r, MHD_HTTP_HEADER_ACCEPT);
    e.content_type = fakeapi__header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    e.body = kbuf_str(&r->body);
    e.body_len = kbuf_len(&r->body);
    fakeapi__reqlog_add(r->srv->log, &e);
    kbuf_release(&q);
}

/* Truncated-body fault: serve half of the bytes, then cut the connection. */
struct trunc {
    char *body;
    size_t len;
};

static ssize_t trunc_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct trunc *t = cls;
    size_t half = t->len / 2;
    size_t n;

    if (pos >= half)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    n = half - (size_t)pos < max ? half - (size_t)pos : max;
    memcpy(buf, t->body + pos, n);
    return (ssize_t)n;
}

static void trunc_free(void *cls)
{
    struct trunc *t = cls;

    free(t->body);
    free(t);
}

static void obj_release_cb(void *cls)
{
    fakeapi__obj_unref(cls);
}

/* Turn a handler's answer into an MHD response. */
static struct MHD_Response *make_response(struct req *r, struct resp *out)
{
    struct MHD_Response *mr = NULL;

    if (out->stream) {
        json_t *status = NULL;

        mr = fakeapi__watch_start(r->srv, r->conn, &out->watch, &status);
        fakeapi__lsel_free(out->watch.ls);
        fakeapi__fsel_free(out->watch.fs);
        free(out->watch_ns);
        out->watch_ns = NULL;
        out->stream = false;
        if (mr)
            return mr;
        fakeapi__resp_status(out, status); /* over the limit, or no memory */
    }
    if (r->fault && r->fault->kind == FAKEAPI_FAULT_TRUNCATE) {
        struct trunc *t = calloc(1, sizeof(*t));

        if (!t)
            return NULL;
        if (out->obj || out->static_body) {
            const char *src = out->obj ? out->obj->bytes : out->static_body;

            t->len = out->obj ? out->obj->len : out->len;
            t->body = malloc(t->len ? t->len : 1);
            if (t->body)
                memcpy(t->body, src, t->len);
        } else {
            t->body = out->body;
            t->len = out->len;
            out->body = NULL;
        }
        return MHD_create_response_from_callback(t->len, 4096, trunc_reader, t,
                                                 trunc_free);
    }
    if (out->obj) {
        mr = MHD_create_response_from_buffer_with_free_callback_cls(
            out->obj->len, out->obj->bytes, obj_release_cb, out->obj);
        if (mr)
            out->obj = NULL;
        return mr;
    }
    if (out->static_body) /* lives forever: nothing to copy or free */
        return MHD_create_response_from_buffer(
            out->len, (void *)(uintptr_t)out->static_body,
            MHD_RESPMEM_PERSISTENT);
    mr = MHD_create_response_from_buffer(out->len, out->body,
                                         MHD_RESPMEM_MUST_FREE);
    if (mr)
        out->body = NULL;
    return mr;
}

/* One Warning header per recorded text (filters/warning.go). */
static void add_warnings(struct MHD_Response *mr, const json_t *texts)
{
    json_t *headers;
    const json_t *h;
    size_t i;

    if (json_array_size(texts) == 0)
        return;
    headers = json_array();
    fakeapi__fieldval_headers(texts, headers);
    json_array_foreach(headers, i, h)
        MHD_add_response_header(mr, "Warning", json_string_value(h));
    json_decref(headers);
}

static enum MHD_Result send_resp(struct req *r, struct resp *out)
{
    struct MHD_Response *mr = make_response(r, out);
    enum MHD_Result ok;
    char ra[16];

    free(out->body);
    fakeapi__obj_unref(out->obj);
    log_request(r, out->status);
    if (!mr) {
        json_decref(out->warnings);
        return MHD_NO;
    }
    for (unsigned i = 0; i < out->nheaders; i++)
        MHD_add_response_header(mr, out->headers[i].name,
                                out->headers[i].value);
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
                            out->content_type ? out->content_type
                                              : "application/json");
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL,
                            "no-cache, private");
    if (out->retry_after) {
        snprintf(ra, sizeof(ra), "%u", out->retry_after);
        MHD_add_response_header(mr, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    add_warnings(mr, out->warnings);
    json_decref(out->warnings);
    ok = MHD_queue_response(r->conn, (unsigned)out->status, mr);
    MHD_destroy_response(mr);
    r->answered = true;
    return ok;
}

/* Constant-time comparison of the bearer token (docs/kubernetes-api.md, HTTP
 * basics: the scheme is case-insensitive). */
static bool authorized(const struct req *r)
{
    const char *h = fakeapi__header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *want = r->srv->token;
    size_t wl = strlen(want);
    size_t gl;
    unsigned char diff = 0;
    size_t i;

    if (!h || strncasecmp(h, "bearer ", 7) != 0)
        return false;
    h += 7;
    while (*h == ' ')
        h++;
    gl = strlen(h);
    for (i = 0; i < wl; i++)
        diff |= (unsigned char)(want[i] ^ (i < gl ? h[i] : 0));
    return diff == 0 && gl == wl;
}

static bool is_public_path(const char *path)
{
    return strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 ||
           strcmp(path, "/livez") == 0 || strcmp(path, "/version") == 0;
}

/* Park the connection until the latency fault's delay has passed. */
static enum MHD_Result park(struct req *r)
{
    struct delayed *d = calloc(1, sizeof(*d));
    struct fakeapi *srv = r->srv;

    if (!d)
        return MHD_NO;
    r->delayed = true;
    d->conn = r->conn;
    d->resume_at_ms = fakeapi__mono_ms() + r->fault->latency_ms;
    MHD_suspend_connection(r->conn);
    pthread_mutex_lock(&srv->tick_mu);
    d->next = srv->delayed;
    srv->delayed = d;
    pthread_cond_signal(&srv->tick_cv);
    pthread_mutex_unlock(&srv->tick_mu);
    return MHD_YES;
}

static enum MHD_Result fault_status(struct req *r)
{
    struct resp out = {0};
    struct fault *f = r->fault;
    const char *reason = f->reason;
    json_t *st;

    if (!reason)
        reason = f->status == 429   ? "TooManyRequests"
                 : f->status == 409 ? "Conflict"
                 : f->status == 503 ? "ServiceUnavailable"
                 : f->status == 504 ? "Timeout"
                 : f->status == 500 ? "InternalError"
                 : f->status == 401 ? "Unauthorized"
                 : f->status == 403 ? "Forbidden"
                 : f->status == 404 ? "NotFound"
                                    : "";
    st = fakeapi__status_new(f->status, reason, "%s",
                             f->message ? f->message
                                        : "injected fault (fakeapi)");
    fakeapi__status_retry_after(st, f->retry_after_s);
    fakeapi__resp_status(&out, st);
    return send_resp(r, &out);
}

static enum MHD_Result dispatch(struct req *r)
{
    struct resp out = {0};
    enum authz_decision az;
    json_t *st = NULL;

    if (!r->delayed) {
        pthread_mutex_lock(&r->srv->fault_mu);
        r->seq = ++r->srv->seq;
        pthread_mutex_unlock(&r->srv->fault_mu);
        r->fault = fakeapi__faults_take(r->srv, r->method, r->path);
    }
    if (r->fault) {
        switch (r->fault->kind) {
        case FAKEAPI_FAULT_DROP:
            log_request(r, 0);
            return MHD_NO;
        case FAKEAPI_FAULT_STATUS:
            return fault_status(r);
        case FAKEAPI_FAULT_LATENCY:
            if (!r->delayed)
                return park(r);
            break;
        case FAKEAPI_FAULT_TRUNCATE:
            break;
        }
    }
    /* a restricted user's token authenticates it; RBAC decides */
    az = fakeapi__authz_check(r, &st);
    if (az == AUTHZ_DENIED) {
        fakeapi__resp_status(&out, st);
        return send_resp(r, &out);
    }
    if (r->srv->token && az == AUTHZ_NOT_A_USER && !is_public_path(r->path) &&
        !authorized(r)) {
        fakeapi__resp_status(
            &out, fakeapi__status_new(401, "Unauthorized", "Unauthorized"));
        return send_resp(r, &out);
    }
    if (r->too_big) {
        fakeapi__resp_status(
            &out, fakeapi__status_new(413, "RequestEntityTooLarge",
                                      "Request entity too large: limit is "
                                      "%d",
                                      FAKEAPI_BODY_LIMIT));
        return send_resp(r, &out);
    }
    if (strncmp(r->path, "/fakeapi/v1/", 12) == 0)
        fakeapi__control(r, r->path + 12, &out);
    else
        fakeapi__route(r, &out);
    return send_resp(r, &out);
}

static struct req *req_new(struct fakeapi *srv, struct MHD_Connection *conn,
                           const char *url, const char *method)
{
    struct req *r = calloc(1, sizeof(*r));
    const char *cl;
    uint64_t n;

    if (!r)
        return NULL;
    r->srv = srv;
    r->api = &srv->api;
    r->conn = conn;
    r->io = &mhd_io;
    r->method = method;
    r->path = strdup(url);
    kbuf_init(&r->body, FAKEAPI_BODY_LIMIT);
    if (!r->path) {
        free(r);
        return NULL;
    }
    cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && knum_u64(cl, &n) && n > FAKEAPI_BODY_LIMIT)
        r->too_big = true;
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct fakeapi *srv = cls;
    struct req *r = *con_cls;

    (void)version;
    if (!r) {
        r = req_new(srv, conn, url, method);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        if (r->too_big) /* answer now; do not read 3 MiB+ for nothing */
            return dispatch(r);
        return MHD_YES;
    }
    if (r->answered) {
        *upload_size = 0; /* discard what remains of a rejected body */
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!r->too_big && kbuf_add(&r->body, upload, *upload_size) != KBUF_OK)
            r->too_big = true;
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    req_free(*con_cls);
    *con_cls = NULL;
}

static void quiet_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fmt;
    (void)ap;
}

/* ---- the ticker: watch deadlines, bookmarks, latency faults, the end
 * of terminating namespaces ---- */

#define BOOKMARK_EVERY_MS 30000
/* How often idle watch streams are checked for a vanished client. */
#define PROBE_EVERY_MS 1000

void fakeapi__tick(struct fakeapi *srv)
{
    pthread_mutex_lock(&srv->tick_mu);
    pthread_cond_signal(&srv->tick_cv);
    pthread_mutex_unlock(&srv->tick_mu);
}

/* struct api's wake (the handlers' way to reach the ticker). */
static void wake(void *ctx)
{
    fakeapi__tick(ctx);
}

/* Resume parked connections that are due; returns the next due time. */
static uint64_t resume_delayed(struct fakeapi *srv, uint64_t now)
{
    struct delayed **pp = &srv->delayed;
    uint64_t next = UINT64_MAX;

    while (*pp) {
        struct delayed *d = *pp;

        if (d->resume_at_ms <= now) {
            *pp = d->next;
            MHD_resume_connection(d->conn);
            free(d);
        } else {
            if (d->resume_at_ms < next)
                next = d->resume_at_ms;
            pp = &d->next;
        }
    }
    return next;
}

/* Close watches past their timeoutSeconds or whose client has gone
 * (@p probe); send due bookmarks. *any tells whether watches are open. */
static uint64_t expire_watches(struct fakeapi *srv, uint64_t now, bool bookmark,
                               bool probe, bool *any)
{
    struct store *st = srv->api.store;
    uint64_t next = UINT64_MAX;
    size_t i;

    fakeapi__store_rdlock(st);
    *any = fakeapi__store_subscribers(st) > 0;
    for (i = 0; i < fakeapi__store_subscribers(st); i++) {
        struct watcher *w = fakeapi__store_subscriber(st, i);
        uint64_t dl = fakeapi__watch_deadline(w);

        if (dl && dl <= now)
            fakeapi__watch_close(w);
        else if (dl && dl < next)
            next = dl;
        if (bookmark)
            fakeapi__watch_bookmark(w, fakeapi__store_rv(st));
        if (probe)
            fakeapi__watch_probe(w);
    }
    fakeapi__store_unlock(st);
    return next;
}

static void *ticker(void *arg)
{
    struct fakeapi *srv = arg;
    uint64_t next_bookmark = fakeapi__mono_ms() + BOOKMARK_EVERY_MS;
    uint64_t next_probe = fakeapi__mono_ms() + PROBE_EVERY_MS;

    pthread_mutex_lock(&srv->tick_mu);
    while (!srv->stopping) {
        uint64_t now = fakeapi__mono_ms();
        uint64_t next = resume_delayed(srv, now);
        uint64_t wnext;
        uint64_t nsnext;
        bool bookmark = now >= next_bookmark;
        bool probe = now >= next_probe;
        bool any;
        struct timespec ts;

        pthread_mutex_unlock(&srv->tick_mu);
        wnext = expire_watches(srv, now, bookmark, probe, &any);
        nsnext = fakeapi__ns_finalize(&srv->api, now);
        pthread_mutex_lock(&srv->tick_mu);
        if (nsnext < next)
            next = nsnext;
        if (bookmark)
            next_bookmark = now + BOOKMARK_EVERY_MS;
        if (probe)
            next_probe = now + PROBE_EVERY_MS;
        if (wnext < next)
            next = wnext;
        if (next_bookmark < next)
            next = next_bookmark;
        /* probing only matters while watches are open (a new watch wakes
         * the ticker) */
        if (any && next_probe < next)
            next = next_probe;
        if (srv->stopping)
            break;
        clock_gettime(CLOCK_REALTIME, &ts);
        {
            uint64_t wait = next > now ? next - now : 0;
            uint64_t ns = (uint64_t)ts.tv_nsec + (wait % 1000) * 1000000;

            ts.tv_sec += (time_t)(wait / 1000 + ns / 1000000000);
            ts.tv_nsec = (long)(ns % 1000000000);
        }
        pthread_cond_timedwait(&srv->tick_cv, &srv->tick_mu, &ts);
    }
    pthread_mutex_unlock(&srv->tick_mu);
    return NULL;
}

/* ---- life cycle ---- */

static char *slurp(const char *path)
{
    struct kbuf b;

    kbuf_init(&b, 1 << 20);
    if (kbuf_read_file(&b, path) != 0)
        return NULL;
    return kbuf_detach(&b, NULL);
}

static int start_daemon(struct fakeapi *srv, const struct fakeapi_options *o,
                        struct fakeapi_error *err)
{
    const char *bind = o->bind ? o->bind : "127.0.0.1";
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr *sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     MHD_ALLOW_SUSPEND_RESUME;
    const union MHD_DaemonInfo *info;

    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));
    if (inet_pton(AF_INET, bind, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sin.sin_port = htons(o->port);
        sa = (struct sockaddr *)&sin;
    } else if (inet_pton(AF_INET6, bind, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(o->port);
        sa = (struct sockaddr *)&sin6;
        flags |= MHD_USE_IPv6;
    } else {
        return fakeapi__error(err, FAKEAPI_E_INVALID,
                              "bind address %s: not an IP "
                              "address",
                              bind);
    }
    if (srv->api.tls)
        flags |= MHD_USE_TLS;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads ? o->threads : 2),
        MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(o->max_connections ? o->max_connections : 2000),
        MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(o->idle_timeout_s ? o->idle_timeout_s : 60),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_EXTERNAL_LOGGER, quiet_logger, srv,
        srv->api.tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, srv->tls_key,
        MHD_OPTION_HTTPS_MEM_CERT, srv->tls_cert, MHD_OPTION_END);
    if (!srv->daemon)
        return fakeapi__error(
            err, FAKEAPI_E_START,
            "cannot start the HTTP daemon on %s (port in use, or "
            "bad TLS key/certificate)",
            bind);
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : o->port;
    snprintf(srv->url, sizeof(srv->url), "%s://%s%s%s:%u",
             srv->api.tls ? "https" : "http",
             sa->sa_family == AF_INET6 ? "[" : "", bind,
             sa->sa_family == AF_INET6 ? "]" : "", (unsigned)srv->port);
    return FAKEAPI_OK;
}

static int load_tls(struct fakeapi *srv, const struct fakeapi_options *o,
                    struct fakeapi_error *err)
{
    if (!o->tls_cert_file && !o->tls_key_file)
        return FAKEAPI_OK;
    if (!o->tls_cert_file || !o->tls_key_file)
        return fakeapi__error(err, FAKEAPI_E_TLS,
                              "tls: both a certificate and a key "
                              "are needed");
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return fakeapi__error(err, FAKEAPI_E_TLS,
                              "tls: libmicrohttpd was built "
                              "without TLS");
    srv->tls_cert = slurp(o->tls_cert_file);
    if (!srv->tls_cert)
        return fakeapi__error(err, FAKEAPI_E_TLS, "tls: cannot read %s",
                              o->tls_cert_file);
    srv->tls_key = slurp(o->tls_key_file);
    if (!srv->tls_key)
        return fakeapi__error(err, FAKEAPI_E_TLS, "tls: cannot read %s",
                              o->tls_key_file);
    srv->api.tls = true;
    return FAKEAPI_OK;
}

static void srv_free(struct fakeapi *srv)
{
    struct delayed *d;

    fakeapi__faults_clear(srv);
    fakeapi__authz_clear(srv);
    while ((d = srv->delayed)) {
        srv->delayed = d->next;
        free(d);
    }
    fakeapi__reqlog_free(srv->log);
    fakeapi__store_free(srv->api.store);
    pthread_mutex_destroy(&srv->fault_mu);
    pthread_mutex_destroy(&srv->authz_mu);
    pthread_mutex_destroy(&srv->tick_mu);
    fakeapi__schema_release(&srv->api.schema);
    pthread_cond_destroy(&srv->tick_cv);
    free(srv->token);
    free(srv->tls_cert);
    free(srv->tls_key);
    free(srv);
}

int fakeapi_start(const struct fakeapi_options *opt, fakeapi **out,
                  struct fakeapi_error *err)
{
    static const struct fakeapi_options defaults;
    const struct fakeapi_options *o = opt ? opt : &defaults;
    struct fakeapi *srv;
    int rc;

    *out = NULL;
    srv = calloc(1, sizeof(*srv));
    if (!srv)
        return fakeapi__error(err, FAKEAPI_E_NOMEM, "out of memory");
    srv->api.store = fakeapi__store_new(o->history);
    if (!srv->api.store || fakeapi__schema_init(&srv->api.schema) != 0) {
        fakeapi__store_free(srv->api.store);
        free(srv);
        return fakeapi__error(err, FAKEAPI_E_NOMEM, "out of memory");
    }
    pthread_mutex_init(&srv->fault_mu, NULL);
    pthread_mutex_init(&srv->authz_mu, NULL);
    pthread_mutex_init(&srv->tick_mu, NULL);
    pthread_cond_init(&srv->tick_cv, NULL);
    srv->api.url = srv->url;
    srv->api.wake = wake;
    srv->api.wake_ctx = srv;
    srv->log = fakeapi__reqlog_new(o->request_log);
    srv->max_watchers = o->max_watchers ? o->max_watchers : 1000;
    srv->watch_queue = o->watch_queue ? o->watch_queue : 10000;
    srv->api.start_time = time(NULL);
    if (o->token && *o->token)
        srv->token = strdup(o->token);
    if (!srv->log || (o->token && *o->token && !srv->token) ||
        fakeapi__init_namespaces(&srv->api) != 0) {
        srv_free(srv);
        return fakeapi__error(err, FAKEAPI_E_NOMEM, "out of memory");
    }
    rc = load_tls(srv, o, err);
    if (rc == FAKEAPI_OK)
        rc = start_daemon(srv, o, err);
    if (rc != FAKEAPI_OK) {
        srv_free(srv);
        return rc;
    }
    if (pthread_create(&srv->ticker, NULL, ticker, srv) != 0) {
        MHD_stop_daemon(srv->daemon);
        srv_free(srv);
        return fakeapi__error(err, FAKEAPI_E_START, "cannot start a thread");
    }
    *out = srv;
    return FAKEAPI_OK;
}

void fakeapi_stop(fakeapi *srv)
{
    struct delayed *d;
    size_t i;

    if (!srv)
        return;
    pthread_mutex_lock(&srv->tick_mu);
    srv->stopping = true;
    pthread_cond_signal(&srv->tick_cv);
    pthread_mutex_unlock(&srv->tick_mu);
    pthread_join(srv->ticker, NULL);
    /* wake every parked connection so the daemon can close it */
    while ((d = srv->delayed)) {
        srv->delayed = d->next;
        MHD_resume_connection(d->conn);
        free(d);
    }
    fakeapi__store_rdlock(srv->api.store);
    for (i = 0; i < fakeapi__store_subscribers(srv->api.store); i++)
        fakeapi__watch_close(fakeapi__store_subscriber(srv->api.store, i));
    fakeapi__store_unlock(srv->api.store);
    MHD_stop_daemon(srv->daemon);
    srv_free(srv);
}

const char *fakeapi_url(const fakeapi *srv)
{
    return srv->url;
}

uint16_t fakeapi_port(const fakeapi *srv)
{
    return srv->port;
}

const char *fakeapi_strerror(int code)
{
    switch (code) {
    case FAKEAPI_OK:
        return "no error";
    case FAKEAPI_E_INVALID:
        return "invalid argument or input";
    case FAKEAPI_E_NOMEM:
        return "out of memory";
    case FAKEAPI_E_IO:
        return "file or socket error";
    case FAKEAPI_E_NOT_FOUND:
        return "not found";
    case FAKEAPI_E_EXISTS:
        return "already exists";
    case FAKEAPI_E_START:
        return "cannot start the server";
    case FAKEAPI_E_TLS:
        return "TLS error";
    }
    return "unknown error";
}
