/*
 * error: struct fakeapi_error filled one way (base/error.h).
 */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>

int fakeapi__error(struct fakeapi_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err) {
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof(err->text), fmt, ap);
        va_end(ap);
    }
    return code;
}

void fakeapi__error_prefix(struct fakeapi_error *err, const char *prefix)
{
    char msg[sizeof(err->text)];

    if (!err)
        return;
    snprintf(msg, sizeof(msg), "%s", err->text);
    snprintf(err->text, sizeof(err->text), "%.100s: %.150s", prefix, msg);
}
