/*
 * error: filling the public struct fakeapi_error (fakeapi.h), the one way
 * every fakeapi function reports a failure to its caller.
 */
#ifndef FAKEAPI_ERROR_H
#define FAKEAPI_ERROR_H

#include "fakeapi.h"

/* Set @p err (may be NULL) to @p code and the formatted message, cut to
 * fit; returns @p code. */
int fakeapi__error(struct fakeapi_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Put "@p prefix: " before the message @p err already holds (cut to
 * fit); nothing when @p err is NULL. */
void fakeapi__error_prefix(struct fakeapi_error *err, const char *prefix);

#endif
