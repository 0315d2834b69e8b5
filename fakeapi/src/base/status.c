#include "base/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/gotext.h"
#include "kbuf.h"
#include "kutf8.h"

/*
 * A JSON string of @p s with invalid UTF-8 made U+FFFD, as Go's JSON
 * encoder writes it (new reference, or NULL when out of memory). jansson
 * refuses invalid UTF-8 outright, and names taken from a URL path may
 * hold any byte: a Status built from one was lost, and a caller took the
 * missing Status for success (found by fuzz_http_request: DELETE of
 * .../pods/web%CF%C7 dereferenced a NULL pod).
 */
/* @p n bytes of @p s into @p clean with each invalid byte made U+FFFD, as
 * Go's JSON encoder writes them (and jansson takes only valid UTF-8). */
static int add_clean(struct kbuf *clean, const char *s, size_t n)
{
    size_t i = 0;
    int rc = KBUF_OK;

    while (rc == KBUF_OK && i < n) {
        uint32_t r;

        i += kutf8_decode(s + i, n - i, KUTF8_REPLACE, &r);
        rc = fakeapi__gotext_add_rune(clean, r);
    }
    return rc;
}

static json_t *go_string(const char *s, size_t n)
{
    struct kbuf clean;
    json_t *j = NULL;

    kbuf_init(&clean, 3 * n + 1);
    if (add_clean(&clean, s, n) == KBUF_OK)
        j = json_stringn(kbuf_str(&clean), kbuf_len(&clean));
    kbuf_release(&clean);
    return j;
}

static json_t *status_vnew(int code, const char *reason, const char *fmt,
                           va_list ap) __attribute__((format(printf, 3, 0)));

static json_t *status_vnew(int code, const char *reason, const char *fmt,
                           va_list ap)
{
    struct kbuf msg;
    json_t *st;

    kbuf_init(&msg, 1 << 20);
    if (kbuf_vaddf(&msg, fmt, ap) != KBUF_OK)
        return NULL;
    st = json_pack("{s:s, s:s, s:{}, s:s, s:o}", "kind", "Status", "apiVersion",
                   "v1", "metadata", "status", "Failure", "message",
                   go_string(kbuf_str(&msg), kbuf_len(&msg)));
    kbuf_release(&msg);
    if (!st)
        return NULL;
    if (reason && *reason)
        json_object_set_new(st, "reason", json_string(reason));
    json_object_set_new(st, "code", json_integer(code));
    return st;
}

json_t *fakeapi__status_new(int code, const char *reason, const char *fmt, ...)
{
    va_list ap;
    json_t *st;

    va_start(ap, fmt);
    st = status_vnew(code, reason, fmt, ap);
    va_end(ap);
    return st;
}

json_t *fakeapi__status_bad_request(const char *fmt, ...)
{
    va_list ap;
    json_t *st;

    va_start(ap, fmt);
    st = status_vnew(400, "BadRequest", fmt, ap);
    va_end(ap);
    return st;
}

/* details must come before code in the member order the server writes:
 * kind, apiVersion, metadata, status, message, reason, details, code. */
static json_t *details_of(json_t *st)
{
    json_t *d = json_object_get(st, "details");
    json_t *code;

    if (d)
        return d;
    d = json_object();
    code = json_incref(json_object_get(st, "code"));
    json_object_del(st, "code");
    json_object_set_new(st, "details", d);
    if (code)
        json_object_set_new(st, "code", code);
    return d;
}

void fakeapi__status_details(json_t *st, const char *name, const char *kind)
{
    json_t *d;

    if (!st)
        return;
    d = details_of(st);
    if (name && *name)
        json_object_set_new(d, "name", go_string(name, strlen(name)));
    if (kind && *kind)
        json_object_set_new(d, "kind", go_string(kind, strlen(kind)));
}

void fakeapi__status_cause(json_t *st, const char *reason, const char *message,
                           const char *field)
{
    json_t *d;
    json_t *causes;
    json_t *c;

    if (!st)
        return;
    d = details_of(st);
    causes = json_object_get(d, "causes");
    if (!causes) {
        causes = json_array();
        json_object_set_new(d, "causes", causes);
    }
    c = json_object();
    if (reason && *reason)
        json_object_set_new(c, "reason", go_string(reason, strlen(reason)));
    if (message && *message)
        json_object_set_new(c, "message", go_string(message, strlen(message)));
    if (field && *field)
        json_object_set_new(c, "field", go_string(field, strlen(field)));
    json_array_append_new(causes, c);
}

void fakeapi__status_retry_after(json_t *st, unsigned seconds)
{
    if (!st || seconds == 0)
        return;
    json_object_set_new(details_of(st), "retryAfterSeconds",
                        json_integer(seconds));
}

int fakeapi__status_code(const json_t *st)
{
    json_t *c = json_object_get(st, "code");

    if (!json_is_integer(c))
        return 500;
    return (int)json_integer_value(c);
}

json_t *fakeapi__status_not_found(const char *resource, const char *name)
{
    json_t *st = fakeapi__status_new(404, "NotFound", "%s \"%s\" not found",
                                     resource, name);

    fakeapi__status_details(st, name, resource);
    return st;
}

json_t *fakeapi__status_exists(const char *resource, const char *name)
{
    json_t *st = fakeapi__status_new(
        409, "AlreadyExists", "%s \"%s\" already exists", resource, name);

    fakeapi__status_details(st, name, resource);
    return st;
}

json_t *fakeapi__status_conflict(const char *resource, const char *name,
                                 const char *cause)
{
    json_t *st = fakeapi__status_new(
        409, "Conflict", "Operation cannot be fulfilled on %s \"%s\": %s",
        resource, name, cause);

    fakeapi__status_details(st, name, resource);
    return st;
}

void fakeapi__field_errors_init(struct fakeapi_field_errors *fe)
{
    fe->causes = json_array();
}

void fakeapi__field_errors_release(struct fakeapi_field_errors *fe)
{
    json_decref(fe->causes);
    fe->causes = NULL;
}

size_t fakeapi__field_errors_count(const struct fakeapi_field_errors *fe)
{
    return json_array_size(fe->causes);
}

void fakeapi__field_error(struct fakeapi_field_errors *fe, const char *type,
                          const char *field, const char *fmt, ...)
{
    struct kbuf body;
    va_list ap;
    int rc;

    kbuf_init(&body, 1 << 20);
    va_start(ap, fmt);
    rc = kbuf_vaddf(&body, fmt, ap);
    va_end(ap);
    /* a cause that failed to pack would be lost, and with it the error:
     * the answer is then out of memory */
    if (rc != KBUF_OK ||
        json_array_append_new(
            fe->causes, json_pack("{s:s, s:o, s:o}", "reason", type, "message",
                                  go_string(kbuf_str(&body), kbuf_len(&body)),
                                  "field", go_string(field, strlen(field)))) !=
            0)
        fakeapi__field_errors_nomem(fe);
    kbuf_release(&body);
}

void fakeapi__field_errors_nomem(struct fakeapi_field_errors *fe)
{
    json_decref(fe->causes);
    fe->causes = NULL;
}

json_t *fakeapi__status_invalid(const char *kind, const char *name,
                                struct fakeapi_field_errors *fe)
{
    struct kbuf msg;
    size_t n = json_array_size(fe->causes);
    size_t i;
    json_t *c;
    json_t *st;
    json_t *d;

    kbuf_init(&msg, 4 << 20);
    kbuf_addf(&msg, "%s \"%s\" is invalid: ", kind, name);
    if (n > 1)
        kbuf_addc(&msg, '[');
    json_array_foreach(fe->causes, i, c)
    {
        const char *field = json_string_value(json_object_get(c, "field"));
        const char *body = json_string_value(json_object_get(c, "message"));

        if (i > 0)
            kbuf_adds(&msg, ", ");
        if (field && *field)
            kbuf_addf(&msg, "%s: ", field);
        kbuf_adds(&msg, body ? body : "");
    }
    if (n > 1)
        kbuf_addc(&msg, ']');
    st = fakeapi__status_new(422, "Invalid", "%s", kbuf_str(&msg));
    kbuf_release(&msg);
    fakeapi__status_details(st, name, kind);
    d = json_object_get(st, "details");
    if (d && n > 0)
        json_object_set(d, "causes", fe->causes);
    json_decref(fe->causes);
    fe->causes = json_array();
    return st;
}

void fakeapi__quote(char *dst, size_t size, const char *s)
{
    struct kbuf b;
    const unsigned char *p;

    kbuf_init(&b, size > 0 ? size - 1 : 0);
    kbuf_addc(&b, '"');
    for (p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            kbuf_addf(&b, "\\%c", *p);
        else if (*p == '\n')
            kbuf_adds(&b, "\\n");
        else if (*p == '\t')
            kbuf_adds(&b, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            kbuf_addf(&b, "\\x%02x", *p);
        else
            kbuf_addc(&b, (char)*p);
    }
    kbuf_addc(&b, '"');
    if (size > 0)
        snprintf(dst, size, "%s", kbuf_str(&b));
    kbuf_release(&b);
}

/* rest/create.go transformDecodeError with summarizeData(body, 30). */
json_t *fakeapi__status_undecodable(const char *kind, const char *err,
                                    const char *body, size_t len)
{
    struct kbuf sum;
    json_t *st;
    size_t n = len > 30 ? 30 : len;
    size_t i;

    kbuf_init(&sum, 256);
    if (len == 0)
        kbuf_adds(&sum, "<empty>");
    else if (body[0] == '{')
        kbuf_add(&sum, body, n);
    else
        for (i = 0; i < n; i++)
            kbuf_addf(&sum, "%02x", (unsigned char)body[i]);
    if (len > 30)
        kbuf_adds(&sum, " ...");
    st = fakeapi__status_bad_request(
        "the object provided is unrecognized (must be of type %s): couldn't "
        "get version/kind; json parse error: %s (%s)",
        kind, err, kbuf_str(&sum));
    kbuf_release(&sum);
    return st;
}

/*
 * The 400 BadRequest Status for a parser message. Go's JSON encoder
 * writes each byte of invalid UTF-8 as U+FFFD, and jansson only takes
 * valid UTF-8, so the message is cleaned the same way first.
 */
json_t *fakeapi__status_bad_request_msg(const struct kbuf *msg)
{
    struct kbuf clean;
    json_t *st = NULL;

    kbuf_init(&clean, 3 * FAKEAPI_GOTEXT_MSG_CAP);
    if (add_clean(&clean, kbuf_str(msg), kbuf_len(msg)) == KBUF_OK)
        st = fakeapi__status_bad_request("%s", kbuf_str(&clean));
    kbuf_release(&clean);
    return st;
}
