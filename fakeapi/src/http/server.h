/*
 * server: the fakeapi handle, the libmicrohttpd daemon, and the request
 * plumbing shared by the handlers (request context, responses).
 */
#ifndef FAKEAPI_SERVER_H
#define FAKEAPI_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "fakeapi.h"
#include "kbuf.h"
#include "store/store.h"

struct MHD_Daemon;
struct MHD_Connection;
struct MHD_Response;
struct authz_user;
struct fault;
struct reqlog;

/* Request body limit of a real API server (k8s-api.md §13). */
#define FAKEAPI_BODY_LIMIT 3145728

struct fakeapi {
    struct store store;
    struct MHD_Daemon *daemon;
    char url[128];
    uint16_t port;
    char *token; /* NULL: anonymous access */
    bool tls;
    char *tls_cert; /* PEM text (MHD needs it for the daemon) */
    char *tls_key;
    unsigned max_watchers;
    size_t watch_queue;
    time_t start_time;
    /* faults */
    pthread_mutex_t fault_mu;
    struct fault *faults;
    /* restricted users (authz.c) */
    pthread_mutex_t authz_mu;
    struct authz_user *users;
    /* request log */
    struct reqlog *log;
    /* ticker: watch timeouts, bookmarks, delayed answers */
    pthread_t ticker;
    pthread_mutex_t tick_mu;
    pthread_cond_t tick_cv;
    bool stopping;
    struct delayed *delayed; /* connections held by a latency fault */
    uint64_t seq;            /* request counter (under fault_mu) */
    /* OpenAPI definitions for field validation (fieldval.c), loaded at
     * the first checked write, immutable after */
    pthread_mutex_t schema_mu;
    json_t *schema;
};

/* One HTTP request, from headers to answer. */
struct req {
    struct fakeapi *srv;
    struct MHD_Connection *conn;
    const char *method;
    char *path;       /* owned copy of the URL path */
    struct kbuf body; /* capped at FAKEAPI_BODY_LIMIT */
    bool too_big;
    bool answered;
    bool delayed; /* a latency fault parked it once */
    uint64_t resume_at_ms;
    struct fault *fault; /* matched fault (owned copy) or NULL */
    uint64_t seq;
};

/* What a handler answers. */
struct resp {
    int status;
    char *body; /* owned (malloc) or NULL */
    size_t len;
    struct fakeapi_obj *obj;     /* or: a snapshot's bytes (one reference) */
    const char *content_type;    /* default application/json */
    unsigned retry_after;        /* Retry-After header when > 0 */
    struct MHD_Response *stream; /* or: a ready streaming response */
    json_t *warnings;            /* Warning texts (owned) or NULL */
};

/* Query parameter of @p r; NULL when absent, "" for a bare `?k`. */
const char *fakeapi__arg(const struct req *r, const char *name);

/* Boolean parameter (k8s-api.md §0: false only for "0"/"false"). */
bool fakeapi__arg_bool(const struct req *r, const char *name);

/* Request header, or NULL. */
const char *fakeapi__header(const struct req *r, const char *name);

/* Answer @p obj serialized (a new reference is consumed). */
void fakeapi__resp_json(struct resp *out, int status, json_t *obj);

/* Answer a Status (consumed): its code, Retry-After when it says so. */
void fakeapi__resp_status(struct resp *out, json_t *status);

/* Answer a stored snapshot (takes a new reference). */
void fakeapi__resp_obj(struct resp *out, int status, struct fakeapi_obj *o);

/* 200 with @p o as a meta.k8s.io/@p version PartialObjectMetadata. */
void fakeapi__resp_partial(struct resp *out, const struct fakeapi_obj *o,
                           const char *version);

/* Answer raw bytes (copied). */
void fakeapi__resp_raw(struct resp *out, int status, const char *ctype,
                       const char *body, size_t len);

/* Current time as RFC 3339 "2024-05-01T10:00:00Z". */
void fakeapi__now(char buf[32]);

/* Monotonic milliseconds. */
uint64_t fakeapi__mono_ms(void);

/* Wake the ticker (a new deadline). */
void fakeapi__tick(struct fakeapi *srv);

/* Route @p r to a handler (routes.c). */
void fakeapi__route(struct req *r, struct resp *out);

#endif
