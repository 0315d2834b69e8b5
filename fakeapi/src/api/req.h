/*
 * req: one HTTP request as the handlers see it, and the answer they give.
 * The transport (http/server.c) reads the connection, fills struct req,
 * calls the router (api/routes.c) and turns struct resp into bytes; the
 * handlers never see the transport's own types.
 */
#ifndef FAKEAPI_REQ_H
#define FAKEAPI_REQ_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "api/watchq.h"
#include "kbuf.h"

struct api;
struct fakeapi;
struct fakeapi_obj;
struct fault;

/* Request body limit of a real API server (k8s.io/apiserver
 * pkg/server/config.go: MaxRequestBodyBytes, 3 MiB). */
#define FAKEAPI_BODY_LIMIT 3145728

/* How a request's query parameters and headers are read (the transport
 * gives these; @p conn is its connection). */
struct req_io {
    /* Query parameter @p name: NULL when absent, "" for a bare `?k`. */
    const char *(*arg)(void *conn, const char *name);
    /* Request header @p name, or NULL. */
    const char *(*header)(void *conn, const char *name);
};

/* One HTTP request, from headers to answer. */
struct req {
    struct api *api;         /* what handlers work on */
    struct fakeapi *srv;     /* the server (the transport's: http/ only) */
    void *conn;              /* the transport's connection */
    const struct req_io *io; /* reads conn */
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

#define FAKEAPI_RESP_HEADERS 4

/* What a handler answers. */
struct resp {
    int status;
    char *body; /* owned (malloc) or NULL */
    size_t len;
    struct fakeapi_obj *obj;  /* or: a snapshot's bytes (one reference) */
    const char *static_body;  /* or: bytes that live forever (len) */
    const char *content_type; /* default application/json */
    unsigned retry_after;     /* Retry-After header when > 0 */
    json_t *warnings;         /* Warning texts (owned) or NULL */
    /* headers of its own, sent before the common ones, in this order */
    struct {
        const char *name; /* static */
        char value[160];  /* an ETag is 130 */
    } headers[FAKEAPI_RESP_HEADERS];
    unsigned nheaders;
    /* or: a watch stream with these parameters (the selectors and the
     * namespace, a copy in watch_ns, owned) */
    bool stream;
    struct watch_params watch;
    char *watch_ns;
};

/* Query parameter of @p r; NULL when absent, "" for a bare `?k`. */
const char *fakeapi__arg(const struct req *r, const char *name);

/* Boolean parameter: false only when absent, "0" or "false" in any case
 * (k8s.io/apimachinery/pkg/runtime/conversion.go,
 * Convert_Slice_string_To_bool). */
bool fakeapi__arg_bool(const struct req *r, const char *name);

/* Request header, or NULL. */
const char *fakeapi__header(const struct req *r, const char *name);

/* Answer @p obj serialized (a new reference is consumed). */
void fakeapi__resp_json(struct resp *out, int status, json_t *obj);

/* Answer @p text (consumed: JSON text from malloc() or json_dumps()),
 * made before a write commits so that nothing is left to fail after. */
void fakeapi__resp_text(struct resp *out, int status, char *text);

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

/* Add header @p name (a static string) with @p value (copied; cut to
 * fit); past FAKEAPI_RESP_HEADERS headers nothing is added. */
void fakeapi__resp_header(struct resp *out, const char *name,
                          const char *value);

/* Add a Warning to the answer (duplicates dropped; fakeapi__warn()). */
void fakeapi__resp_warn(struct resp *out, const char *text);

/* Ask for a watch stream with @p p (its selectors consumed, its namespace
 * copied): the server
 * starts it once the handler returns, or answers the Status that stops
 * it (over the watcher limit, out of memory). */
void fakeapi__resp_watch(struct resp *out, struct watch_params *p);

/* Free what an unsent answer owns. */
void fakeapi__resp_release(struct resp *out);

/* 404 for a path nothing serves. */
void fakeapi__not_found_path(struct resp *out);

/* 405 for a method a path does not allow. */
void fakeapi__method_not_allowed(struct resp *out);

/* The types API routes produce (go-restful Produces). */
#define FAKEAPI_PRODUCES_API                                                   \
    "application/json, application/yaml, application/vnd.kubernetes.protobuf"

/*
 * go-restful's route selection (route.go matchesAccept), before any
 * handler: true when an Accept range (parameters dropped) is one of
 * @p produces ("a, b") or any type; else a 406 in go-restful's words,
 * which the server wraps in a Status, is put in @p out.
 */
bool fakeapi__restful_accepts(const struct req *r, const char *produces,
                              struct resp *out);

#endif
