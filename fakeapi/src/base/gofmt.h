/*
 * gofmt: Go's fmt verbs %v and %s on decoded JSON values, for messages
 * the server builds with fmt (strategic merge patch errors, field
 * validation warnings).
 */
#ifndef FAKEAPI_GOFMT_H
#define FAKEAPI_GOFMT_H

#include <jansson.h>

#include "kbuf.h"

/* Output stops at this many bytes (Go has no limit; messages do). */
#define FAKEAPI_GOFMT_CAP ((size_t)16 * 1024)

/* Append @p v as fmt's %v prints an interface{} holding it (map[k:v]
 * with sorted keys, [a b], <nil>, shortest floats). */
void fakeapi__gofmt_v(struct kbuf *b, const json_t *v);

/* Append @p v as fmt's %s prints it (%!s(int64=1) for non-strings). */
void fakeapi__gofmt_s(struct kbuf *b, const json_t *v);

/* reflect.TypeOf(v).String() formatted with %s: "map[string]interface {}",
 * "[]interface {}", "string", "int64", "float64", "bool", or "%!s(<nil>)"
 * for a JSON null (a nil interface has no type). */
const char *fakeapi__gofmt_type(const json_t *v);

#endif
