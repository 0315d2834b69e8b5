#include "http/faults.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "http/server.h"

void fakeapi__fault_free(struct fault *f)
{
    if (!f)
        return;
    free(f->method);
    free(f->path);
    free(f->reason);
    free(f->message);
    free(f);
}

static char *dup_or_null(const char *s, bool *oom)
{
    char *d;

    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

static struct fault *fault_copy(const struct fakeapi_fault *f)
{
    struct fault *c = calloc(1, sizeof(*c));
    bool oom = false;

    if (!c)
        return NULL;
    c->kind = f->kind;
    if (f->method && strcmp(f->method, "*") != 0)
        c->method = dup_or_null(f->method, &oom);
    c->path = dup_or_null(f->path, &oom);
    c->reason = dup_or_null(f->reason, &oom);
    c->message = dup_or_null(f->message, &oom);
    c->left = f->count ? f->count : 1;
    c->status = f->status;
    c->retry_after_s = f->retry_after_s;
    c->latency_ms = f->latency_ms;
    if (oom) {
        fakeapi__fault_free(c);
        return NULL;
    }
    return c;
}

int fakeapi__faults_add(struct fakeapi *srv, const struct fakeapi_fault *f,
                        struct fakeapi_error *err)
{
    struct fault *c;
    struct fault **tail;

    if (!f || f->kind < FAKEAPI_FAULT_STATUS ||
        f->kind > FAKEAPI_FAULT_TRUNCATE ||
        (f->kind == FAKEAPI_FAULT_STATUS &&
         (f->status < 100 || f->status > 599))) {
        return fakeapi__error(err, FAKEAPI_E_INVALID,
                              "fault: unknown kind or status out of range");
    }
    c = fault_copy(f);
    if (!c) {
        return fakeapi__error(err, FAKEAPI_E_NOMEM, "fault: out of memory");
    }
    pthread_mutex_lock(&srv->fault_mu);
    for (tail = &srv->faults; *tail; tail = &(*tail)->next)
        ;
    *tail = c;
    pthread_mutex_unlock(&srv->fault_mu);
    return FAKEAPI_OK;
}

static bool fault_matches(const struct fault *f, const char *method,
                          const char *path)
{
    if (f->method && strcmp(f->method, method) != 0)
        return false;
    if (f->path && fnmatch(f->path, path, 0) != 0)
        return false;
    return true;
}

struct fault *fakeapi__faults_take(struct fakeapi *srv, const char *method,
                                   const char *path)
{
    struct fault **pp;
    struct fault *hit = NULL;

    pthread_mutex_lock(&srv->fault_mu);
    for (pp = &srv->faults; *pp; pp = &(*pp)->next) {
        struct fault *f = *pp;
        struct fakeapi_fault spec;

        if (!fault_matches(f, method, path))
            continue;
        memset(&spec, 0, sizeof(spec));
        spec.kind = f->kind;
        spec.status = f->status;
        spec.reason = f->reason;
        spec.message = f->message;
        spec.retry_after_s = f->retry_after_s;
        spec.latency_ms = f->latency_ms;
        spec.count = 1;
        hit = fault_copy(&spec);
        if (--f->left == 0) {
            *pp = f->next;
            fakeapi__fault_free(f);
        }
        break;
    }
    pthread_mutex_unlock(&srv->fault_mu);
    return hit;
}

void fakeapi__faults_clear(struct fakeapi *srv)
{
    struct fault *f;

    pthread_mutex_lock(&srv->fault_mu);
    f = srv->faults;
    srv->faults = NULL;
    pthread_mutex_unlock(&srv->fault_mu);
    while (f) {
        struct fault *next = f->next;

        fakeapi__fault_free(f);
        f = next;
    }
}
