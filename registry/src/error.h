/* error: filling struct kreg_error (internal to libkreg). */
#ifndef KREG_ERROR_H
#define KREG_ERROR_H

#include "kreg.h"

/*
 * Fill @p err (may be NULL) with @p code, @p http_status, @p reason (may be
 * NULL) and a printf-formatted text; returns @p code so callers can write
 * `return kreg__error(err, KREG_E_INVALID, 0, NULL, "...")`.
 */
int kreg__error(struct kreg_error *err, int code, int http_status,
                const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Prefix the text already in @p err with "<prefix>: " (context). */
void kreg__error_prefix(struct kreg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
