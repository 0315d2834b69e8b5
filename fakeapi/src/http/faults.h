/*
 * faults: injected failures for the next N requests that match a method
 * and a path glob (test control). Guarded by srv->fault_mu.
 */
#ifndef FAKEAPI_FAULTS_H
#define FAKEAPI_FAULTS_H

#include "fakeapi.h"

struct fakeapi;

struct fault {
    struct fault *next;
    enum fakeapi_fault_kind kind;
    char *method;  /* NULL = any */
    char *path;    /* NULL = any; fnmatch glob without FNM_PATHNAME */
    unsigned left; /* requests still to hit */
    int status;
    char *reason;
    char *message;
    unsigned retry_after_s;
    unsigned latency_ms;
};

/* Copy @p f into the server's list; FAKEAPI_OK or an error code. */
int fakeapi__faults_add(struct fakeapi *srv, const struct fakeapi_fault *f,
                        struct fakeapi_error *err);

/* Take one hit of the first fault matching; returns a new copy (free
 * with fakeapi__fault_free) or NULL. */
struct fault *fakeapi__faults_take(struct fakeapi *srv, const char *method,
                                   const char *path);

void fakeapi__fault_free(struct fault *f);

/* Remove every fault. */
void fakeapi__faults_clear(struct fakeapi *srv);

#endif
