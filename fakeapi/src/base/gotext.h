/*
 * gotext: Go text rules shared by the selector parsers (internal).
 */
#ifndef FAKEAPI_GOTEXT_H
#define FAKEAPI_GOTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kbuf.h"

/* Cap on one error message before sanitising (the selector text twice, or
 * a key quoted with \x escapes, fit easily). */
#define FAKEAPI_GOTEXT_MSG_CAP (1u << 20)

/* A byte range of the input text. */
struct span {
    const char *p;
    size_t n;
};

/* Bytewise order, as Go compares strings. */
int fakeapi__gotext_cmp(const char *a, size_t an, const char *b, size_t bn);

/* qsort comparator for struct span. */
int fakeapi__gotext_qsort_cmp(const void *a, const void *b);

/* A NUL-terminated copy of @p n bytes (new, free()), or NULL. */
char *fakeapi__gotext_dup(const char *p, size_t n);

/* Append rune @p r as UTF-8. */
int fakeapi__gotext_add_rune(struct kbuf *b, uint32_t r);

/* Append @p s quoted as strconv.Quote does. */
int fakeapi__gotext_add_quoted(struct kbuf *b, const char *s, size_t n);

/* strconv.ParseInt(s, 10, 64). */
bool fakeapi__gotext_parse_int64(const char *s, size_t n, int64_t *out);

#endif
