/*
 * names: Kubernetes name, label and annotation syntax checks, worded as
 * k8s.io/apimachinery/pkg/util/validation words them (docs/kubernetes-api.md,
 * Validation).
 *
 * Each check appends one message string per violated rule to @p msgs (a
 * jansson array; may be NULL to only count) and returns how many it added:
 * 0 means valid. Messages are the bare rule text, e.g. "must be no more
 * than 63 characters" or "name part must consist of alphanumeric
 * characters, '-', '_' or '.', and must start and end with an alphanumeric
 * character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for
 * validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".
 */
#ifndef FAKEAPI_NAMES_H
#define FAKEAPI_NAMES_H

#include <stddef.h>

#include <jansson.h>

/* IsQualifiedName: label keys, annotation keys (lower-cased first). */
size_t fakeapi__check_qualified_name(const char *s, size_t len, json_t *msgs);

/* IsValidLabelValue: empty allowed, <= 63, name-part characters. */
size_t fakeapi__check_label_value(const char *s, size_t len, json_t *msgs);

/* IsDNS1123Subdomain: pod and generateName bases, key prefixes. */
size_t fakeapi__check_dns1123_subdomain(const char *s, size_t len,
                                        json_t *msgs);

/* IsDNS1123Label: container names, namespace names. */
size_t fakeapi__check_dns1123_label(const char *s, size_t len, json_t *msgs);

#endif
