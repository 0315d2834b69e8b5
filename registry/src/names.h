/*
 * names: the go-micro label and annotation keys of a service (internal to
 * libkreg; kreg_name_encode() is the public half). docs/go-micro-wire.md, Name
 * encoding.
 */
#ifndef KREG_NAMES_H
#define KREG_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "kreg.h"

/* Pod marker label, set by every Register and never removed. */
#define KREG__NAMES_TYPE_LABEL "micro.mu/type"
/* Value of the marker label and of every selector label. */
#define KREG__NAMES_SERVICE_VALUE "service"
/* Label key prefix: micro.mu/selector-<enc> = service. */
#define KREG__NAMES_SELECTOR_PREFIX "micro.mu/selector-"
/* Annotation key prefix: micro.mu/service-<enc> = the service JSON. */
#define KREG__NAMES_ANNOTATION_PREFIX "micro.mu/service-"
/* Selector listing every registered pod (ListServices, global watch). */
#define KREG__NAMES_TYPE_SELECTOR "micro.mu/type=service"

/*
 * Longest <enc> the API accepts: the name part of a key is at most 63
 * characters (docs/kubernetes-api.md, Validation), and "selector-" takes 9 of
 * them.
 */
#define KREG__NAMES_ENC_MAX 54

/* Buffer size that holds any key or selector made here, NUL included. */
#define KREG__NAMES_KEY_SIZE                                                   \
    (sizeof(KREG__NAMES_SELECTOR_PREFIX) - 1 + KREG__NAMES_ENC_MAX +           \
     sizeof("=" KREG__NAMES_SERVICE_VALUE))

/*
 * Write the selector label key "micro.mu/selector-<enc>" of @p name.
 * @param out   at least KREG__NAMES_KEY_SIZE bytes.
 * @return KREG_OK, KREG_E_NAME (the API would reject the key), or
 *         KREG_E_INVALID (NULL argument, @p out too small).
 */
int kreg__names_label_key(const char *name, char *out, size_t size,
                          struct kreg_error *err);

/* Write the annotation key "micro.mu/service-<enc>"; as above. */
int kreg__names_annotation_key(const char *name, char *out, size_t size,
                               struct kreg_error *err);

/* Write the label selector "micro.mu/selector-<enc>=service"; as above. */
int kreg__names_selector(const char *name, char *out, size_t size,
                         struct kreg_error *err);

/* Whether @p key is a service annotation key (micro.mu/service-...). */
bool kreg__names_is_annotation_key(const char *key);

#endif
