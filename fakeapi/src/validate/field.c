/*
 * validate/field: the field error helpers the pod checks share (Go's
 * strconv.Quote for values in messages, one error per field and type,
 * metadata name and label checks), as
 * k8s.io/apimachinery/pkg/api/validation and
 * k8s.io/apimachinery/pkg/util/validation/field word them.
 */
#include "validate/validate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"
#include "kutf8.h"

/* Go's strconv.Quote for one byte sequence: escapes, \xNN for bytes that
 * are not valid UTF-8, and printable UTF-8 copied. */
static int quote_byte(struct kbuf *b, unsigned char c)
{
    static const char esc_from[] = "\a\b\f\n\r\t\v\"\\";
    static const char esc_to[] = "abfnrtv\"\\";
    const char *e = c ? strchr(esc_from, c) : NULL;

    if (e)
        return kbuf_addf(b, "\\%c", esc_to[e - esc_from]);
    if (c < 0x20 || c == 0x7f)
        return kbuf_addf(b, "\\x%02x", c);
    return kbuf_addc(b, (char)c);
}

int fakeapi__validate_quote(struct kbuf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int rc = kbuf_addc(b, '"');

    while (rc == KBUF_OK && i < len) {
        /* the shape check only (lead byte and continuation bytes): an
         * approximation of strconv.Quote kept as it was */
        size_t n = p[i] >= 0x80
                       ? kutf8_decode(p + i, len - i, KUTF8_SHAPE_ONLY, NULL)
                       : 0;

        if (n > 0) {
            rc = kbuf_add(b, p + i, n);
            i += n;
        } else if (p[i] >= 0x80) {
            rc = kbuf_addf(b, "\\x%02x", p[i++]);
        } else {
            rc = quote_byte(b, p[i++]);
        }
    }
    return rc == KBUF_OK ? kbuf_addc(b, '"') : rc;
}

/* Is (type, field, body) already listed? */
static bool has_error(const struct fakeapi_field_errors *fe, const char *type,
                      const char *field, const char *body)
{
    const json_t *c;
    size_t i;

    json_array_foreach(fe->causes, i, c)
    {
        const char *t = json_string_value(json_object_get(c, "reason"));
        const char *f = json_string_value(json_object_get(c, "field"));
        const char *m = json_string_value(json_object_get(c, "message"));

        if (t && f && m && strcmp(t, type) == 0 && strcmp(f, field) == 0 &&
            strcmp(m, body) == 0)
            return true;
    }
    return false;
}

void fakeapi__validate_add(struct fakeapi_field_errors *fe, const char *type,
                           const char *field, const char *fmt, ...)
{
    struct kbuf body;
    va_list ap;
    int rc;

    kbuf_init(&body, 1 << 20);
    va_start(ap, fmt);
    rc = kbuf_vaddf(&body, fmt, ap);
    va_end(ap);
    /* Out of memory still records the error, with an empty body, so that
     * an invalid object is never taken as valid. */
    if (rc != KBUF_OK || !has_error(fe, type, field, kbuf_str(&body)))
        fakeapi__field_error(fe, type, field, "%s", kbuf_str(&body));
    kbuf_release(&body);
}

void fakeapi__validate_invalid(struct fakeapi_field_errors *fe,
                               const char *field, const char *value,
                               const char *detail)
{
    struct kbuf q;

    kbuf_init(&q, 1 << 22);
    fakeapi__validate_quote(&q, value, strlen(value));
    fakeapi__validate_add(fe, "FieldValueInvalid", field,
                          "Invalid value: %s: %s", kbuf_str(&q), detail);
    kbuf_release(&q);
}

size_t fakeapi__validate_name(struct fakeapi_field_errors *fe,
                              const char *field, const char *value,
                              size_t (*check)(const char *s, size_t len,
                                              json_t *msgs))
{
    json_t *msgs = json_array();
    size_t n = check(value, strlen(value), msgs);
    const json_t *m;
    size_t i;

    json_array_foreach(msgs, i, m)
        fakeapi__validate_invalid(fe, field, value, json_string_value(m));
    if (n > 0 && json_array_size(msgs) == 0) /* out of memory */
        fakeapi__validate_invalid(fe, field, value, "is invalid");
    json_decref(msgs);
    return n;
}

void fakeapi__validate_labels(struct fakeapi_field_errors *fe,
                              const json_t *labels, const char *field)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)(uintptr_t)labels, key, v)
    {
        const char *value = json_string_value(v);

        fakeapi__validate_name(fe, field, key, fakeapi__check_qualified_name);
        if (value)
            fakeapi__validate_name(fe, field, value,
                                   fakeapi__check_label_value);
    }
}

void fakeapi__validate_not_supported(struct fakeapi_field_errors *fe,
                                     const char *field, const char *value,
                                     const char *const *supported, size_t n)
{
    struct kbuf b;
    size_t i;

    kbuf_init(&b, 1 << 20);
    kbuf_adds(&b, "Unsupported value: ");
    fakeapi__validate_quote(&b, value, strlen(value));
    kbuf_adds(&b, ": supported values: ");
    for (i = 0; i < n; i++) {
        if (i > 0)
            kbuf_adds(&b, ", ");
        fakeapi__validate_quote(&b, supported[i], strlen(supported[i]));
    }
    fakeapi__validate_add(fe, "FieldValueNotSupported", field, "%s",
                          kbuf_str(&b));
    kbuf_release(&b);
}
