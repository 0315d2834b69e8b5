/*
 * impl: an implementation under test, as the conformance cases see it.
 *
 * Every operation names the API server, namespace and pod the
 * implementation acts as (struct impl_target), so the same cases drive
 * in-process libkreg (impl_inproc.c) and any program speaking the adapter
 * protocol (impl_adapter.c, conformance/PROTOCOL.md).
 *
 * Services cross this interface as go-micro JSON text; answers are
 * JSON text too, so the cases compare what any language produced.
 */
#ifndef KREG_CONFORMANCE_IMPL_H
#define KREG_CONFORMANCE_IMPL_H

#include <stdbool.h>
#include <stddef.h>

/* Where and as whom the implementation acts. Strings are borrowed. */
struct impl_target {
    const char *server;     /* API server URL */
    const char *namespace_; /* namespace */
    const char *pod;        /* the pod it runs in (register/deregister) */
    const char *token;      /* bearer token or NULL */
    const char *ca_file;    /* PEM CA file or NULL */
    const char *kubeconfig; /* kubeconfig path or NULL (real clusters) */
    const char *context;    /* kubeconfig context or NULL */
    bool insecure;
};

/* Optional features an implementation announces in its hello
 * (PROTOCOL.md, "Optional features"); their cases run only then. */
#define IMPL_FEATURE_READY_ONLY 0x1u /* "readyOnly" */
#define IMPL_FEATURE_NAMESPACES 0x2u /* "namespaces" */

/* Query options of get, list and watch; each needs its feature. Strings
 * are borrowed. */
struct impl_query {
    bool ready_only;               /* readyOnly: Ready pods only */
    const char *const *namespaces; /* namespaces: discover in these */
    size_t n_namespaces;
    bool all_namespaces; /* allNamespaces: discover in every one */
};

/* Outcome classes every implementation must tell apart. */
enum impl_rc {
    IMPL_OK = 0,
    IMPL_NOT_FOUND = 1, /* get: no pod carries the service */
    IMPL_ERROR = 2,     /* the operation failed (message says why) */
    IMPL_BROKEN = 3,    /* the implementation crashed, hung or spoke
                           garbage: the case fails, the suite goes on */
};

/* A watch event: action "create", "update" or "delete" + service JSON. */
struct impl_event {
    char action[16];
    char *service_json; /* owned */
};

struct impl;

struct impl_ops {
    /* Register the service (go-micro JSON text) on t->pod. */
    int (*reg)(struct impl *im, const struct impl_target *t,
               const char *service_json, char *msg, size_t msg_size);
    /* Deregister the service (go-micro JSON text: name, version, nodes). */
    int (*dereg)(struct impl *im, const struct impl_target *t,
                 const char *service_json, char *msg, size_t msg_size);
    /* Get: *out = new JSON array text of services (one per version).
     * @p q: query options (NULL: none). */
    int (*get)(struct impl *im, const struct impl_target *t, const char *name,
               const struct impl_query *q, char **out, char *msg,
               size_t msg_size);
    /* List: *out = new JSON array text of {"name": ...} objects. */
    int (*list)(struct impl *im, const struct impl_target *t,
                const struct impl_query *q, char **out, char *msg,
                size_t msg_size);
    /* Start a watch (name NULL = all services); *id identifies it. */
    int (*watch)(struct impl *im, const struct impl_target *t, const char *name,
                 const struct impl_query *q, int *id, char *msg,
                 size_t msg_size);
    /* Next event within timeout_ms: IMPL_OK with ev filled, or
     * IMPL_NOT_FOUND when none came in time. */
    int (*watch_next)(struct impl *im, int id, int timeout_ms,
                      struct impl_event *ev, char *msg, size_t msg_size);
    /* Stop a watch. */
    void (*watch_stop)(struct impl *im, int id);
    /* The features the implementation announces (IMPL_FEATURE_* bits)
     * into *@p out; an adapter is started (and greeted) for it. */
    int (*features)(struct impl *im, unsigned *out, char *msg, size_t msg_size);
    /* Free everything (stops the adapter process). */
    void (*free)(struct impl *im);
    /* Optional: from another thread (the signal clean-up), end any child
     * process at once; the handle is then only fit for free(). */
    void (*kill_now)(struct impl *im);
    /* Optional: copy the implementation's log output since the last call
     * (an adapter's stderr) into @p out, sanitized, and forget it; returns
     * how many bytes there were. @p out may be NULL to just forget. */
    size_t (*log)(struct impl *im, char *out, size_t size);
};

struct impl {
    const struct impl_ops *ops;
    const char *name; /* "libkreg (in-process)", "adapter: <command>" */
};

/* In-process libkreg. NULL when out of memory. */
struct impl *impl_inproc_new(void);

/* An adapter process started with /bin/sh -c @p command; each request is
 * answered within @p timeout_ms or the case fails (IMPL_BROKEN). */
struct impl *impl_adapter_new(const char *command, int timeout_ms);

void impl_event_release(struct impl_event *ev);

#endif
