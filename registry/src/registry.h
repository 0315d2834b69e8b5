/*
 * registry: the kreg handle and what the operations share (internal).
 */
#ifndef KREG_REGISTRY_H
#define KREG_REGISTRY_H

#include <stdbool.h>

#include <jansson.h>

#include "config.h"
#include "http.h"
#include "kreg.h"

/* kreg_options.retry_base_ms by default (http.c uses the same). */
#define KREG__RETRY_BASE_MS 100u

struct kreg {
    struct kreg__config cfg;
    struct kreg__http *http;
    int wire;
    unsigned retry_base_ms; /* kreg_options: the default applied */
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

/* A pod serves traffic: phase Running and no deletionTimestamp
 * (go-micro-registry.md §4, §6 item 5). */
bool kreg__pod_usable(const json_t *pod);

/* Borrowed annotation value of @p pod for @p key, or NULL. */
const char *kreg__pod_annotation(const json_t *pod, const char *key,
                                 size_t *len);

/* Borrowed metadata.name of @p pod ("" if absent). */
const char *kreg__pod_name(const json_t *pod);

#endif
