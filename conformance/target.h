/*
 * target: the API server the conformance suite runs against, and the
 * suite's own access to it (independent of the implementation under
 * test, so what the implementation leaves in the cluster is read back
 * through the API).
 *
 * A target is the embedded fake server (fakeapi.h, no set-up) or a
 * cluster from a kubeconfig. Either way the suite works in a namespace
 * of its own, creates pods that no scheduler or kubelet touches
 * (spec.schedulingGates) and sets their phase through the /status
 * subresource (docs/kubernetes-api.md, Keeping a pod unscheduled).
 *
 * Every function may be called from any thread (the HTTP client is
 * thread-safe), which the signal clean-up relies on.
 */
#ifndef KREG_CONFORMANCE_TARGET_H
#define KREG_CONFORMANCE_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "fakeapi.h"
#include "http.h"
#include "impl.h"

/* ---- Types -------------------------------------------------------------*/

enum target_rc {
    TARGET_OK = 0,
    TARGET_E_NOT_FOUND = 1,   /* no such pod */
    TARGET_E_UNSUPPORTED = 2, /* the server cannot inject faults */
    TARGET_E_FAILED = 3,      /* the request failed; msg says why */
};

/* A user of the server as the suite acts as it. */
struct target_user {
    struct kreg__config cfg; /* its server, credentials, CA */
    struct kreg__http *http; /* the suite's client as that user */
    char *context;           /* kubeconfig context (copy), or NULL */
    char *token;             /* the bearer token in use, or NULL */
    char *ca_file;           /* the CA as a file for adapters, or NULL */
};

struct target {
    fakeapi *srv;           /* the embedded server, or NULL */
    struct target_user own; /* the suite's user: namespaces, pods, checks */
    /* --forbidden-context: a user of the same server whom RBAC refuses
     * list, watch and patch on pods (HTTP 403); "forbidden.http" is NULL
     * without one, and the 403 cases inject faults instead */
    struct target_user forbidden;
    char *kubeconfig; /* copy, or NULL (embedded) */
    char *down_url;   /* a URL on which nothing listens */
    int down_fd;      /* its socket: bound, never listening */
    char ns[64];      /* this run's namespace, "" before */
    char ns2[72];     /* a second one, <ns>-b, for the namespace cases */
    bool has_control; /* /fakeapi/v1/ test control answers */
};

/* ---- Lifecycle ---------------------------------------------------------*/

/*
 * Open a target: with @p kubeconfig NULL start the embedded fake server,
 * else use that file (and @p context, may be NULL). With
 * @p forbidden_context (needs @p kubeconfig) the 403 cases act as that
 * context's user, which must name the same server. Nothing is created on
 * the server yet. On failure @p t needs no target_close() (it is harmless).
 * Returns TARGET_OK or TARGET_E_FAILED with @p msg filled.
 */
int target_open(struct target *t, const char *kubeconfig, const char *context,
                const char *forbidden_context, char *msg, size_t msg_size);

/* Free all @p t owns (stops the embedded server); the namespace must be
 * deleted first. A zeroed @p t is a no-op. */
void target_close(struct target *t);

/* Human text: "embedded fakeapi http://..." or "kubeconfig F (context C,
 * ...)". */
void target_describe(const struct target *t, char *out, size_t size);

/* ---- Namespace ---------------------------------------------------------*/

/* Create this run's namespace (kreg-conf-<random>) into t->ns, and a
 * second one, <ns>-b, into t->ns2 (the namespace cases). */
int target_ns_create(struct target *t, char *msg, size_t msg_size);

/* Delete t->ns and t->ns2 and wait for their 404s, at most @p timeout_ms. */
int target_ns_delete(struct target *t, int timeout_ms, char *msg,
                     size_t msg_size);

/* ---- Pods --------------------------------------------------------------*/

/*
 * Create pod @p name in t->ns with optional @p labels and @p annotations
 * (JSON objects, borrowed). It starts Pending, gated (spec.schedulingGates),
 * or, with @p node, bound to that node, which need not exist: a bound pod
 * deleted with a grace period stays terminating (docs/kubernetes-api.md,
 * Delete), as no kubelet confirms it.
 */
int target_pod_create(struct target *t, const char *name, json_t *labels,
                      json_t *annotations, const char *node, char *msg,
                      size_t msg_size);

/* target_pod_create() in namespace @p ns (t->ns2, say). */
int target_pod_create_in(struct target *t, const char *ns, const char *name,
                         json_t *labels, json_t *annotations, const char *node,
                         char *msg, size_t msg_size);

/* Set status.phase with a merge patch of .../pods/NAME/status. */
int target_pod_phase(struct target *t, const char *name, const char *phase,
                     char *msg, size_t msg_size);

/* target_pod_phase() in namespace @p ns. */
int target_pod_phase_in(struct target *t, const char *ns, const char *name,
                        const char *phase, char *msg, size_t msg_size);

/* Set the pod's Ready condition to @p status ("True", "False"): a
 * strategic merge patch of .../status, which merges conditions by type. */
int target_pod_ready(struct target *t, const char *name, const char *status,
                     char *msg, size_t msg_size);

/* Read a pod: *pod is a new reference. TARGET_E_NOT_FOUND if absent. */
int target_pod_get(struct target *t, const char *name, json_t **pod, char *msg,
                   size_t msg_size);

/* target_pod_get() in namespace @p ns. */
int target_pod_get_in(struct target *t, const char *ns, const char *name,
                      json_t **pod, char *msg, size_t msg_size);

/* Apply a JSON merge patch (text) to the pod, e.g. to write an
 * annotation as another client would. */
int target_pod_patch(struct target *t, const char *name, const char *patch,
                     char *msg, size_t msg_size);

/* Delete a pod with @p grace_s seconds of grace (0: at once). */
int target_pod_delete(struct target *t, const char *name, int grace_s,
                      char *msg, size_t msg_size);

/* Delete every pod of t->ns and wait until none is listed. */
int target_pods_clear(struct target *t, char *msg, size_t msg_size);

/* target_pods_clear() in namespace @p ns. */
int target_pods_clear_in(struct target *t, const char *ns, char *msg,
                         size_t msg_size);

/* ---- Faults ------------------------------------------------------------*/

/*
 * Answer the next @p count requests matching @p method and the path glob
 * @p path ('*' crosses '/') with HTTP @p status and a Status object.
 * Returns TARGET_E_UNSUPPORTED on a server without fakeapi's test control.
 */
int target_fault(struct target *t, const char *method, const char *path,
                 int status, unsigned count, char *msg, size_t msg_size);

/* Whether the 403 cases act as a --forbidden-context user. */
bool target_has_forbidden(const struct target *t);

/*
 * Check that the server refuses @p method on @p path (body @p body, a
 * merge patch, or NULL) to the --forbidden-context user with 403:
 * TARGET_OK if so, else TARGET_E_FAILED with @p msg saying what came.
 * The 403 cases' precondition: the refusal comes from the server.
 */
int target_forbidden_check(struct target *t, const char *method,
                           const char *path, const char *body, char *msg,
                           size_t msg_size);

/* Remove pending faults (no-op without test control). */
void target_faults_clear(struct target *t);

/* End every open watch stream now (no-op without test control): at the
 * end of a run, so that stopped watchers need not notice on their own. */
void target_close_watches(struct target *t);

/* ---- Implementation targets --------------------------------------------*/

/* Fill @p out so that the implementation acts as pod @p pod in t->ns;
 * the strings are borrowed from @p t and @p pod. */
void target_impl(const struct target *t, const char *pod,
                 struct impl_target *out);

/* As target_impl(), but acting as the --forbidden-context user; without
 * one, as target_impl() (the 403 cases then inject faults). */
void target_impl_forbidden(const struct target *t, const char *pod,
                           struct impl_target *out);

/* As target_impl(), but pointing at a server that is down. */
void target_impl_down(const struct target *t, const char *pod,
                      struct impl_target *out);

#endif
