/*
 * status: Kubernetes Status objects, the body of every error answer
 * (docs/kubernetes-api.md, Status errors). A Status is a jansson object owned
 * by whoever holds it (new reference); the HTTP code is its "code" member.
 */
#ifndef FAKEAPI_STATUS_H
#define FAKEAPI_STATUS_H

#include <jansson.h>

struct kbuf;

/*
 * New Failure Status {"kind":"Status","apiVersion":"v1","metadata":{},
 * "status":"Failure","message":...,"reason":...,"code":...}.
 * @p reason NULL or "" omits the member (untyped errors). Returns a new
 * reference, or NULL only when out of memory.
 */
json_t *fakeapi__status_new(int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set details.name / details.kind (either may be NULL to omit). */
void fakeapi__status_details(json_t *st, const char *name, const char *kind);

/* Append {"reason","message","field"} to details.causes (NULLs omitted). */
void fakeapi__status_cause(json_t *st, const char *reason, const char *message,
                           const char *field);

/* Set details.retryAfterSeconds (the server also sends Retry-After). */
void fakeapi__status_retry_after(json_t *st, unsigned seconds);

/* The HTTP code of a Status (500 if missing). */
int fakeapi__status_code(const json_t *st);

/* 404 NotFound: `<resource> "<name>" not found`, details {name, kind}. */
json_t *fakeapi__status_not_found(const char *resource, const char *name);

/* 409 AlreadyExists: `<resource> "<name>" already exists`. */
json_t *fakeapi__status_exists(const char *resource, const char *name);

/* 409 Conflict: `Operation cannot be fulfilled on <resource> "<name>":
 * <cause>`, details {name, kind=resource}. */
json_t *fakeapi__status_conflict(const char *resource, const char *name,
                                 const char *cause);

/* 400 BadRequest with free text and no details. */
json_t *fakeapi__status_bad_request(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * A field error list, collected while validating, then turned into one
 * 422 Invalid Status by fakeapi__status_invalid().
 */
struct fakeapi_field_errors {
    json_t *causes; /* array of {"reason","message","field"}; NULL once
                       out of memory (the answer is then a 500) */
};

void fakeapi__field_errors_init(struct fakeapi_field_errors *fe);
void fakeapi__field_errors_release(struct fakeapi_field_errors *fe);
size_t fakeapi__field_errors_count(const struct fakeapi_field_errors *fe);

/* A check ran out of memory: the list is dropped, and its answer is out
 * of memory rather than a verdict on the object. */
void fakeapi__field_errors_nomem(struct fakeapi_field_errors *fe);

/*
 * Add one error. @p type is the cause reason: FieldValueInvalid,
 * FieldValueRequired, FieldValueTooLong, FieldValueForbidden,
 * FieldValueNotSupported or FieldValueDuplicate. @p body is the error
 * body after the field, e.g. `Invalid value: "-bad": name part must ...`.
 */
void fakeapi__field_error(struct fakeapi_field_errors *fe, const char *type,
                          const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * 422 Invalid: `<Kind> "<name>" is invalid: <field>: <body>` (or
 * `[<e1>, <e2>]` for several), details {name, kind=Kind, causes}.
 * Returns a new reference; @p fe is left empty.
 */
json_t *fakeapi__status_invalid(const char *kind, const char *name,
                                struct fakeapi_field_errors *fe);

/* Write a Go-style quoted string (strconv.Quote subset) for messages. */
void fakeapi__quote(char *dst, size_t size, const char *s);

/* A body the decoder cannot read as JSON (@p err in Go's words): the
 * 400 naming the expected @p kind and a summary of the first 30 bytes
 * (rest/create.go transformDecodeError). New reference. */
json_t *fakeapi__status_undecodable(const char *kind, const char *err,
                                    const char *body, size_t len);

/* A 400 BadRequest Status with @p msg, invalid UTF-8 made U+FFFD as Go's
 * JSON encoder does (new reference, or NULL when out of memory). */
json_t *fakeapi__status_bad_request_msg(const struct kbuf *msg);

#endif
