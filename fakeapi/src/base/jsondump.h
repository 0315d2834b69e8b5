/*
 * jsondump: jansson's dump made safe when memory runs out. json_dumps()
 * can then return a text with bytes missing: jansson's dump.c ignores a
 * failure to write an object's key and carries on, and its buffer drops
 * what it could not append. Here the first failure sticks, and the dump
 * fails whole.
 */
#ifndef FAKEAPI_JSONDUMP_H
#define FAKEAPI_JSONDUMP_H

#include <stddef.h>

#include <jansson.h>

#include "kbuf.h"

/* Append the text of @p json (json_dumps() @p flags; JSON_ENCODE_ANY for
 * a value other than an object or array) to @p b: KBUF_OK, or a KBUF_E_*
 * with @p b released. */
int fakeapi__jsondump_add(struct kbuf *b, const json_t *json, size_t flags);

/* The text of @p json as json_dumps(@p json, @p flags) writes it: new
 * (free()), or NULL when out of memory. */
char *fakeapi__jsondump_text(const json_t *json, size_t flags);

#endif
