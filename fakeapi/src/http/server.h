/*
 * server: the fakeapi handle: the libmicrohttpd daemon, where every
 * request enters (on_request -> dispatch: faults, authentication, the
 * request log, then the test control paths or the API router), the
 * ticker thread and the server's life cycle. Only http/ sees this struct;
 * the API handlers get its `api` member.
 */
#ifndef FAKEAPI_SERVER_H
#define FAKEAPI_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "api/api.h"
#include "api/req.h"
#include "fakeapi.h"
#include "kbuf.h"
#include "store/store.h"

struct MHD_Daemon;
struct MHD_Connection;
struct MHD_Response;
struct authz_user;
struct fault;
struct reqlog;

struct fakeapi {
    struct api api; /* the store and what handlers read */
    struct MHD_Daemon *daemon;
    char url[128];
    uint16_t port;
    char *token;    /* NULL: anonymous access */
    char *tls_cert; /* PEM text (MHD needs it for the daemon) */
    char *tls_key;
    unsigned max_watchers;
    size_t watch_queue;
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
};

/* Wake the ticker (a new deadline). */
void fakeapi__tick(struct fakeapi *srv);

/* control_http.c: /fakeapi/v1/@p rest, the test control paths. */
void fakeapi__control(struct req *r, const char *rest, struct resp *out);

#endif
