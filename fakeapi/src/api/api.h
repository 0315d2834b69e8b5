/*
 * api: what the API handlers (api/) work on. One per server, owned and
 * filled by it (http/server.c); the handlers read it and never free it.
 */
#ifndef FAKEAPI_API_H
#define FAKEAPI_API_H

#include <stdbool.h>
#include <time.h>

#include "validate/fieldval.h"

struct store;

struct api {
    struct store *store;          /* the objects (owned by the server) */
    struct fakeapi_schema schema; /* OpenAPI definitions for fieldval */
    time_t start_time;            /* Last-Modified of /openapi/v2 */
    const char *url;              /* the server's base URL */
    bool tls;
    /* Wake the server's ticker: a new deadline exists (a namespace to
     * finalize). Called with no lock held, or the store's. */
    void (*wake)(void *ctx);
    void *wake_ctx;
};

#endif
