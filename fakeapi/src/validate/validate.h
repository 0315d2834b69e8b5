/*
 * validate: the object rules a Kubernetes 1.32 API server applies to pods
 * and namespace names (pkg/apis/core/validation ValidatePodCreate,
 * ValidatePodUpdate, ValidatePodStatusUpdate; apimachinery ObjectMeta and
 * label rules; docs/kubernetes-api.md, Validation, Pods), plus the JSON type
 * checks the decoder applies before them.
 *
 * Every check returns NULL when the object passes, or a new Status (the
 * caller frees it with json_decref()) worded as the server words it:
 * 422 Invalid with details {name, kind, causes[{reason, message, field}]}
 * for validation, 400 BadRequest for decode errors. Validation may run
 * before or after pod.h's prepare functions: values the server defaults
 * are only checked when present.
 *
 * Deviation: the server lists a cause twice when two rules report the very
 * same error (its message shows it once); here it is listed once.
 */
#ifndef FAKEAPI_VALIDATE_H
#define FAKEAPI_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/status.h"
#include "kbuf.h"

/* Operations */

/**
 * Validate a pod to be created: metadata (name or generateName, namespace,
 * labels, annotations and their total size, finalizers) and spec
 * (containers, init containers, policies, gates, tolerations, ...).
 * @param pod  the pod (not modified); its name should already be
 *             generated when generateName is used.
 * @return NULL, or a new 422 Invalid Status with details.kind "Pod".
 */
json_t *fakeapi__validate_pod_create(const json_t *pod);

/**
 * Validate a main-resource update: the metadata and spec checks of create
 * plus the update rules (only images, activeDeadlineSeconds downwards,
 * tolerations additions, schedulingGates removals and, while gated,
 * nodeSelector additions may change).
 * @param old  the stored pod (not modified).
 * @param new  the prepared new pod (not modified).
 * @return NULL, or a new 422 Invalid Status.
 */
json_t *fakeapi__validate_pod_update(const json_t *old, const json_t *new);

/**
 * Validate a .../status update: labels and annotations, custom condition
 * types (qualified names), qosClass immutability, nominatedNodeName,
 * podIPs, and container states that may not leave `terminated`.
 * @param old  the stored pod (not modified).
 * @param new  the prepared new pod (not modified).
 * @return NULL, or a new 422 Invalid Status.
 */
json_t *fakeapi__validate_pod_status_update(const json_t *old,
                                            const json_t *new);

/**
 * Validate a namespace name (a DNS-1123 label).
 * @param name  NUL-terminated name.
 * @return NULL, or a new 422 Invalid Status with details.kind "Namespace".
 */
json_t *fakeapi__validate_namespace_name(const char *name);

/* Internal: shared by validate.c and validate_spec.c */

/* Append the Go %q form of @p s to @p b (KBUF_OK or an error). */
int fakeapi__validate_quote(struct kbuf *b, const char *s, size_t len);

/* Add one error unless the same (type, field, body) is already there, the
 * way ErrorList.ToAggregate drops repeats from the message. */
void fakeapi__validate_add(struct fakeapi_field_errors *fe, const char *type,
                           const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* field.Invalid with a string value: `Invalid value: "<v>": <detail>`. */
void fakeapi__validate_invalid(struct fakeapi_field_errors *fe,
                               const char *field, const char *value,
                               const char *detail);

/* Run @p check (a names.h function) on @p value; one Invalid per
 * message. Returns the count. */
size_t fakeapi__validate_name(struct fakeapi_field_errors *fe,
                              const char *field, const char *value,
                              size_t (*check)(const char *s, size_t len,
                                              json_t *msgs));

/* ValidateLabels: keys are qualified names, values label values. */
void fakeapi__validate_labels(struct fakeapi_field_errors *fe,
                              const json_t *labels, const char *field);

/* field.NotSupported: `Unsupported value: "x": supported values: ...`. */
void fakeapi__validate_not_supported(struct fakeapi_field_errors *fe,
                                     const char *field, const char *value,
                                     const char *const *supported, size_t n);

/* ValidatePodSpec and the create-only spec rules (@p create). */
void fakeapi__validate_spec(struct fakeapi_field_errors *fe, const json_t *spec,
                            bool create);

/* The spec part of ValidatePodUpdate (after the checks above). */
void fakeapi__validate_spec_update(struct fakeapi_field_errors *fe,
                                   const json_t *new_spec,
                                   const json_t *old_spec);

#endif
