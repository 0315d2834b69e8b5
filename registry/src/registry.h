/*
 * registry: the kreg handle and what the operations share (internal).
 */
#ifndef KREG_REGISTRY_H
#define KREG_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "http.h"
#include "kreg.h"
#include "metrics.h"

/* kreg_options.retry_base_ms by default (http.c uses the same). */
#define KREG__RETRY_BASE_MS 100u

struct kreg {
    struct kreg__config cfg;
    struct kreg__http *http;
    int wire;
    unsigned retry_base_ms; /* kreg_options: the default applied */
    /* the handle's counters (metrics.h), which its client borrows */
    struct kreg__metrics metrics;
};

/*
 * List the pods of the handle's namespace matching @p selector (a raw
 * label selector, escaped here), following `continue` pages. With
 * @p running, only Running pods: the server filters the phase
 * (fieldSelector status.phase=Running) and sends only metadata where it
 * can (PartialObjectMetadataList); each item then gets the status.phase
 * "Running" the selector guarantees, so it reads as a pod from a watch
 * event does. Without, every pod as the Go plugin lists them.
 * @param items  on success a new JSON array of pods (podlist.h's shape).
 * @param rv     optional: the list's resourceVersion (new string).
 */
int kreg__list_pods(kreg *r, const char *selector, bool running, json_t **items,
                    char **rv, struct kreg_error *err);

/* kreg__list_pods() in namespace @p ns (NULL: every namespace, with one
 * cluster-wide list), and with @p status: full pods even when @p running,
 * so that status.conditions is there (kreg_query.ready_only). A failure's
 * text starts with the request, "list pods in namespace \"<ns>\"" or
 * "list pods cluster-wide" (scope.h). */
int kreg__list_pods_ex(kreg *r, const char *ns, const char *selector,
                       bool running, bool status, json_t **items, char **rv,
                       struct kreg_error *err);

/*
 * Copy the first @p size bytes of @p q (NULL: all zero) into *@p out and
 * zero the rest: a program built against an older kreg.h passes a smaller
 * struct. Refuses (KREG_E_INVALID) a size that ends inside the 0.1 members,
 * or a larger struct with a non-zero member this libkreg does not know.
 */
int kreg__query_copy(const struct kreg_query *q, size_t size,
                     struct kreg_query *out, struct kreg_error *err);

/* The size of kreg_query in 0.1 (on_skip, ctx) and in 0.2 (to
 * watch_timeout_s): what the entry points of those versions may read. */
#define KREG__QUERY_SIZE_0_1 offsetof(struct kreg_query, on_problem)
#define KREG__QUERY_SIZE_0_2 offsetof(struct kreg_query, ready_only)

/*
 * Whether @p pod's Ready condition has status "True" (the first Ready
 * condition counts): 1 ready, 0 not (no such condition, or another
 * status), -1 when status.conditions is malformed (not an array, an
 * element that is not an object, a type or status missing or not a
 * string); the pod is then not ready and @p why (@p size bytes) says why.
 */
int kreg__pod_ready(const json_t *pod, char *why, size_t size);

/* A pod serves traffic: phase Running and no deletionTimestamp
 * (docs/go-micro-wire.md, Operations, Known problems item 5). */
bool kreg__pod_usable(const json_t *pod);

/* Borrowed annotation value of @p pod for @p key, or NULL. */
const char *kreg__pod_annotation(const json_t *pod, const char *key,
                                 size_t *len);

/* Borrowed metadata.name of @p pod ("" if absent). */
const char *kreg__pod_name(const json_t *pod);

#endif
