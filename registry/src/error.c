#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const kreg_messages[] = {
    [KREG_OK] = "no error",
    [KREG_E_INVALID] = "invalid argument or input",
    [KREG_E_NOMEM] = "out of memory",
    [KREG_E_CONFIG] = "configuration error",
    [KREG_E_CONNECT] = "cannot connect to the API server",
    [KREG_E_TIMEOUT] = "timed out",
    [KREG_E_HTTP] = "the API server answered with an error",
    [KREG_E_NOT_FOUND] = "not found",
    [KREG_E_UNAUTHORIZED] = "unauthorized",
    [KREG_E_FORBIDDEN] = "forbidden",
    [KREG_E_CONFLICT] = "conflict",
    [KREG_E_PROTOCOL] = "undecodable answer from the API server",
    [KREG_E_TOO_BIG] = "annotation budget exceeded",
    [KREG_E_NAME] = "service name cannot be encoded",
    [KREG_E_STOPPED] = "watch stopped",
    [KREG_E_EXEC] = "exec credential plugin failed",
};

const char *kreg_strerror(int code)
{
    if (code < 0 ||
        (size_t)code >= sizeof(kreg_messages) / sizeof(kreg_messages[0]) ||
        !kreg_messages[code])
        return "unknown error";
    return kreg_messages[code];
}

int kreg__error(struct kreg_error *err, int code, int http_status,
                const char *reason, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    err->code = code;
    err->http_status = http_status;
    snprintf(err->reason, sizeof(err->reason), "%s", reason ? reason : "");
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
    return code;
}

void kreg__error_prefix(struct kreg_error *err, const char *fmt, ...)
{
    char prefix[128];
    size_t plen;
    size_t tlen;
    int n;
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    n = vsnprintf(prefix, sizeof(prefix) - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    plen = strlen(prefix);
    memcpy(prefix + plen, ": ", 2);
    plen += 2;
    tlen = strnlen(err->text, sizeof(err->text) - 1);
    if (plen + tlen > sizeof(err->text) - 1)
        tlen = sizeof(err->text) - 1 - plen;
    memmove(err->text + plen, err->text, tlen);
    memcpy(err->text, prefix, plen);
    err->text[plen + tlen] = '\0';
}
