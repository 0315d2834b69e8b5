/*
 * service_read: a JSON reader with Go's encoding/json rules (see
 * service_read.h): the syntax of Go's scanner, Go's unquoting, Go's member
 * name folding, and messages that name the member path.
 */
#include "service_read.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kutf8.h"
#include "service.h"

/* State of an object or array being walked. */
struct iter {
    bool first;
    bool done;
};

/* ---- Errors ---------------------------------------------------------------*/

/* Append "nodes[0].metadata[\"k\"]" for @p at; KBUF_OK or a KBUF_E_*. */
static int path_render(const struct kreg__service_path *at, struct kbuf *b)
{
    int rc;

    if (!at)
        return KBUF_OK;
    rc = path_render(at->up, b);
    if (rc != KBUF_OK)
        return rc;
    if (at->member) {
        if (kbuf_len(b) > 0)
            rc = kbuf_addc(b, '.');
        return rc == KBUF_OK ? kbuf_adds(b, at->member) : rc;
    }
    if (at->key) {
        rc = kbuf_addc(b, '[');
        if (rc == KBUF_OK)
            rc = kreg__service_encode_string(b, at->key, strlen(at->key), 0);
        return rc == KBUF_OK ? kbuf_addc(b, ']') : rc;
    }
    return kbuf_addf(b, "[%zu]", at->index);
}

/* "<what>: <path>: <message>"; of a long path only the tail is kept, cut
 * at a character boundary. */
int kreg__service_read_fail(struct kreg__service_reader *p,
                            const struct kreg__service_path *at, int code,
                            const char *fmt, ...)
{
    char msg[160];
    struct kbuf where;
    const char *w;
    size_t wlen;
    size_t cut;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kbuf_init(&where, 1 << 16);
    if (path_render(at, &where) != KBUF_OK)
        kbuf_reset(&where); /* no path rather than a wrong one */
    w = kbuf_str(&where);
    wlen = kbuf_len(&where);
    if (wlen > 80) {
        cut = wlen - 77;
        while (((unsigned char)w[cut] & 0xC0) == 0x80)
            cut++;
        code = kreg__error(p->err, code, 0, NULL, "%s: ...%s: %s", p->what,
                           w + cut, msg);
    } else {
        code = kreg__error(p->err, code, 0, NULL, "%s: %s%s%s", p->what, w,
                           wlen ? ": " : "", msg);
    }
    kbuf_release(&where);
    return code;
}

int kreg__service_read_nomem(struct kreg__service_reader *p)
{
    return kreg__error(p->err, KREG_E_NOMEM, 0, NULL, "%s: out of memory",
                       p->what);
}

static int fail_eof(struct kreg__service_reader *p,
                    const struct kreg__service_path *at)
{
    return kreg__service_read_fail(
        p, at, KREG_E_INVALID, "offset %zu: unexpected end of input", p->len);
}

/* A syntax error at byte @p i, worded like Go's scanner errors. */
int kreg__service_read_fail_char(struct kreg__service_reader *p,
                                 const struct kreg__service_path *at, size_t i,
                                 const char *context)
{
    unsigned char c = p->s[i];

    if (c >= 0x20 && c < 0x7F)
        return kreg__service_read_fail(p, at, KREG_E_INVALID,
                                       "offset %zu: invalid character '%c' %s",
                                       i, c, context);
    return kreg__service_read_fail(p, at, KREG_E_INVALID,
                                   "offset %zu: invalid character '\\x%02x' %s",
                                   i, c, context);
}

static const char *kind_name(enum kreg__service_kind k)
{
    static const char *const names[] = {
        [KREG__SERVICE_K_EOF] = "end of input",
        [KREG__SERVICE_K_BAD] = "invalid character",
        [KREG__SERVICE_K_OBJECT] = "object",
        [KREG__SERVICE_K_ARRAY] = "array",
        [KREG__SERVICE_K_STRING] = "string",
        [KREG__SERVICE_K_NUMBER] = "number",
        [KREG__SERVICE_K_BOOL] = "bool",
        [KREG__SERVICE_K_NULL] = "null",
    };
    return names[k];
}

int kreg__service_read_fail_type(struct kreg__service_reader *p,
                                 const struct kreg__service_path *at,
                                 const char *want, enum kreg__service_kind got)
{
    return kreg__service_read_fail(p, at, KREG_E_INVALID, "expected %s, got %s",
                                   want, kind_name(got));
}

/* ---- Tokens ---------------------------------------------------------------*/

void kreg__service_read_ws(struct kreg__service_reader *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static enum kreg__service_kind peek_kind(struct kreg__service_reader *p)
{
    kreg__service_read_ws(p);
    if (p->pos >= p->len)
        return KREG__SERVICE_K_EOF;
    switch (p->s[p->pos]) {
    case '{':
        return KREG__SERVICE_K_OBJECT;
    case '[':
        return KREG__SERVICE_K_ARRAY;
    case '"':
        return KREG__SERVICE_K_STRING;
    case 't':
    case 'f':
        return KREG__SERVICE_K_BOOL;
    case 'n':
        return KREG__SERVICE_K_NULL;
    default:
        if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
            return KREG__SERVICE_K_NUMBER;
        return KREG__SERVICE_K_BAD;
    }
}

/* The kind of the value that starts here; a syntax error if none does. */
int kreg__service_read_kind(struct kreg__service_reader *p,
                            const struct kreg__service_path *at,
                            enum kreg__service_kind *k)
{
    *k = peek_kind(p);
    if (*k == KREG__SERVICE_K_EOF)
        return fail_eof(p, at);
    if (*k == KREG__SERVICE_K_BAD)
        return kreg__service_read_fail_char(p, at, p->pos,
                                            "looking for beginning of value");
    return KREG_OK;
}

/* Consume the literal @p word (true, false or null). */
int kreg__service_read_literal(struct kreg__service_reader *p,
                               const struct kreg__service_path *at,
                               const char *word)
{
    char context[48];
    size_t i;

    for (i = 0; word[i]; i++) {
        if (p->pos + i >= p->len)
            return fail_eof(p, at);
        if (p->s[p->pos + i] != (unsigned char)word[i]) {
            snprintf(context, sizeof(context), "in literal %s (expecting '%c')",
                     word, word[i]);
            return kreg__service_read_fail_char(p, at, p->pos + i, context);
        }
    }
    p->pos += i;
    return KREG_OK;
}

static bool is_digit(const struct kreg__service_reader *p, size_t i)
{
    return i < p->len && p->s[i] >= '0' && p->s[i] <= '9';
}

/* Consume a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
int kreg__service_read_number(struct kreg__service_reader *p,
                              const struct kreg__service_path *at)
{
    size_t i = p->pos;

    if (p->s[i] == '-')
        i++;
    if (i >= p->len)
        return fail_eof(p, at);
    if (!is_digit(p, i))
        return kreg__service_read_fail_char(p, at, i, "in numeric literal");
    if (p->s[i++] != '0') {
        while (is_digit(p, i))
            i++;
    }
    if (i < p->len && p->s[i] == '.') {
        if (++i >= p->len)
            return fail_eof(p, at);
        if (!is_digit(p, i))
            return kreg__service_read_fail_char(
                p, at, i, "after decimal point in numeric literal");
        while (is_digit(p, i))
            i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        if (++i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
            i++;
        if (i >= p->len)
            return fail_eof(p, at);
        if (!is_digit(p, i))
            return kreg__service_read_fail_char(
                p, at, i, "in exponent of numeric literal");
        while (is_digit(p, i))
            i++;
    }
    p->pos = i;
    return KREG_OK;
}

/* ---- Strings --------------------------------------------------------------*/

/* Append rune @p r (a scalar value: the callers never pass a lone
 * surrogate) to the string being read. */
static int add_rune(struct kreg__service_reader *p, unsigned long r)
{
    unsigned char u[KUTF8_MAX_LEN];
    size_t n = kutf8_encode((uint32_t)r, u);

    return kbuf_add(&p->str, u, n) == KBUF_OK ? KREG_OK
                                              : kreg__service_read_nomem(p);
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* \uXXXX at @p i (the backslash) without reporting: Go's getu4. */
static bool peek_u4(const struct kreg__service_reader *p, size_t i,
                    unsigned long *r)
{
    size_t k;
    int h;

    if (p->len - i < 6 || p->s[i] != '\\' || p->s[i + 1] != 'u')
        return false;
    *r = 0;
    for (k = 2; k < 6; k++) {
        h = hex_value(p->s[i + k]);
        if (h < 0)
            return false;
        *r = *r * 16 + (unsigned long)h;
    }
    return true;
}

/*
 * A \u escape at @p *i (the backslash). A surrogate pair becomes one rune;
 * any other surrogate becomes U+FFFD and the next escape is read on its
 * own, as Go's unquote does.
 */
static int unescape_u(struct kreg__service_reader *p,
                      const struct kreg__service_path *at, size_t *i)
{
    unsigned long r;
    unsigned long r2;
    size_t k;

    for (k = 2; k < 6; k++) {
        if (*i + k >= p->len)
            return fail_eof(p, at);
        if (hex_value(p->s[*i + k]) < 0)
            return kreg__service_read_fail_char(
                p, at, *i + k, "in \\u hexadecimal character escape");
    }
    peek_u4(p, *i, &r);
    *i += 6;
    if (r >= 0xD800 && r < 0xE000) {
        if (r < 0xDC00 && peek_u4(p, *i, &r2) && r2 >= 0xDC00 && r2 < 0xE000) {
            *i += 6;
            return add_rune(p, 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00));
        }
        r = KUTF8_RUNE_ERROR;
    }
    return add_rune(p, r);
}

/* The escape at @p *i (a backslash); advances past it. */
/* The byte a one-letter escape stands for, or 0 when @p c is none. */
static char escaped(unsigned char c)
{
    switch (c) {
    case '"':
    case '\\':
    case '/':
        return (char)c;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return 0;
    }
}

static int unescape(struct kreg__service_reader *p,
                    const struct kreg__service_path *at, size_t *i)
{
    char c;

    if (*i + 1 >= p->len)
        return fail_eof(p, at);
    if (p->s[*i + 1] == 'u')
        return unescape_u(p, at, i);
    c = escaped(p->s[*i + 1]);
    if (!c)
        return kreg__service_read_fail_char(p, at, *i + 1,
                                            "in string escape code");
    *i += 2;
    return kbuf_addc(&p->str, c) == KBUF_OK ? KREG_OK
                                            : kreg__service_read_nomem(p);
}

/* Flush the raw bytes [@p start, @p end) into the string being read. */
static int flush(struct kreg__service_reader *p, size_t start, size_t end)
{
    if (kbuf_add(&p->str, p->s + start, end - start) != KBUF_OK)
        return kreg__service_read_nomem(p);
    return KREG_OK;
}

/*
 * Read the string at p->pos (its opening quote) into p->str, unquoted as
 * Go does: each byte of invalid UTF-8 becomes U+FFFD.
 */
int kreg__service_read_string(struct kreg__service_reader *p,
                              const struct kreg__service_path *at)
{
    size_t i = p->pos + 1;
    size_t start = i;
    size_t n;
    int rc = KREG_OK;

    kbuf_reset(&p->str);
    while (rc == KREG_OK) {
        if (i >= p->len)
            return fail_eof(p, at);
        if (p->s[i] == '"')
            break;
        if (p->s[i] >= 0x20 && p->s[i] != '\\') {
            n = p->s[i] < 0x80 ? 1
                               : kutf8_decode(p->s + i, p->len - i, 0, NULL);
            i += n;
            if (n > 0)
                continue;
        }
        if (p->s[i] < 0x20)
            return kreg__service_read_fail_char(p, at, i, "in string literal");
        rc = flush(p, start, i);
        if (rc == KREG_OK && p->s[i] == '\\') {
            rc = unescape(p, at, &i);
        } else if (rc == KREG_OK) {
            rc = add_rune(p, KUTF8_RUNE_ERROR);
            i++;
        }
        start = i;
    }
    if (rc == KREG_OK)
        rc = flush(p, start, i);
    p->pos = i + 1;
    return rc;
}

/* Read a string value into a new heap string; U+0000 is refused. */
int kreg__service_read_take(struct kreg__service_reader *p,
                            const struct kreg__service_path *at, char **out)
{
    int rc = kreg__service_read_string(p, at);

    *out = NULL;
    if (rc != KREG_OK)
        return rc;
    if (memchr(kbuf_str(&p->str), '\0', kbuf_len(&p->str)))
        return kreg__service_read_fail(
            p, at, KREG_E_INVALID,
            "string holds U+0000, which kreg cannot represent");
    *out = kbuf_detach(&p->str, NULL);
    return *out ? KREG_OK : kreg__service_read_nomem(p);
}

/*
 * Whether the member name just read (p->str) selects @p field (lower-case
 * ASCII): Go's case-insensitive match, where U+017F matches 's' and
 * U+212A (Kelvin) matches 'k' (encoding/json fold.go, equalFoldRight).
 */
bool kreg__service_read_key_is(const struct kreg__service_reader *p,
                               const char *field)
{
    const unsigned char *k = (const unsigned char *)kbuf_str(&p->str);
    size_t n = kbuf_len(&p->str);
    size_t i = 0;

    for (; *field; field++) {
        if (i < n && k[i] < 0x80) {
            if ((k[i] | 0x20) != (unsigned char)*field ||
                !((k[i] | 0x20) >= 'a' && (k[i] | 0x20) <= 'z'))
                return false;
            i++;
        } else if (*field == 's' && n - i >= 2 && k[i] == 0xC5 &&
                   k[i + 1] == 0xBF) {
            i += 2;
        } else if (*field == 'k' && n - i >= 3 && k[i] == 0xE2 &&
                   k[i + 1] == 0x84 && k[i + 2] == 0xAA) {
            i += 3;
        } else {
            return false;
        }
    }
    return i == n;
}

/* ---- Objects and arrays ---------------------------------------------------*/

/* Consume the '{' or '[' at p->pos, one nesting level deeper. */
static int open_level(struct kreg__service_reader *p,
                      const struct kreg__service_path *at)
{
    if (++p->depth > KREG__SERVICE_MAX_DEPTH)
        return kreg__service_read_fail(
            p, at, KREG_E_INVALID, "offset %zu: nested deeper than %d levels",
            p->pos, KREG__SERVICE_MAX_DEPTH);
    p->pos++;
    return KREG_OK;
}

/*
 * Step to the next member of an object opened with open_level(): its name
 * is left in p->str and the ':' consumed, or it->done is set at the '}'.
 */
static int object_next(struct kreg__service_reader *p,
                       const struct kreg__service_path *at, struct iter *it)
{
    int rc;

    kreg__service_read_ws(p);
    if (p->pos >= p->len)
        return fail_eof(p, at);
    if (p->s[p->pos] == '}') {
        p->pos++;
        p->depth--;
        it->done = true;
        return KREG_OK;
    }
    if (!it->first) {
        if (p->s[p->pos] != ',')
            return kreg__service_read_fail_char(p, at, p->pos,
                                                "after object key:value pair");
        p->pos++;
        kreg__service_read_ws(p);
        if (p->pos >= p->len)
            return fail_eof(p, at);
    }
    it->first = false;
    if (p->s[p->pos] != '"')
        return kreg__service_read_fail_char(
            p, at, p->pos, "looking for beginning of object key string");
    rc = kreg__service_read_string(p, at);
    if (rc != KREG_OK)
        return rc;
    kreg__service_read_ws(p);
    if (p->pos >= p->len)
        return fail_eof(p, at);
    if (p->s[p->pos] != ':')
        return kreg__service_read_fail_char(p, at, p->pos, "after object key");
    p->pos++;
    return KREG_OK;
}

/* Step to the next element of an array opened with open_level(). */
static int array_next(struct kreg__service_reader *p,
                      const struct kreg__service_path *at, struct iter *it)
{
    kreg__service_read_ws(p);
    if (p->pos >= p->len)
        return fail_eof(p, at);
    if (p->s[p->pos] == ']') {
        p->pos++;
        p->depth--;
        it->done = true;
        return KREG_OK;
    }
    if (!it->first) {
        if (p->s[p->pos] != ',')
            return kreg__service_read_fail_char(p, at, p->pos,
                                                "after array element");
        p->pos++;
    }
    it->first = false;
    return KREG_OK;
}

/* Walk an object, calling @p fn for each member (name in p->str). */
int kreg__service_read_object(struct kreg__service_reader *p,
                              const struct kreg__service_path *at,
                              int (*fn)(struct kreg__service_reader *r,
                                        const struct kreg__service_path *at,
                                        void *target),
                              void *target)
{
    struct iter it = {true, false};
    int rc = open_level(p, at);

    while (rc == KREG_OK) {
        rc = object_next(p, at, &it);
        if (rc != KREG_OK || it.done)
            break;
        rc = fn(p, at, target);
    }
    return rc;
}

/* Walk an array, calling @p fn for element i; *@p n gets the count. */
int kreg__service_read_array(struct kreg__service_reader *p,
                             const struct kreg__service_path *at,
                             int (*fn)(struct kreg__service_reader *r,
                                       const struct kreg__service_path *at,
                                       size_t i, void *ctx),
                             void *ctx, size_t *n)
{
    struct iter it = {true, false};
    struct kreg__service_path here = {at, NULL, NULL, 0};
    int rc = open_level(p, at);

    *n = 0;
    while (rc == KREG_OK) {
        rc = array_next(p, at, &it);
        if (rc != KREG_OK || it.done)
            break;
        here.index = *n;
        rc = fn(p, &here, *n, ctx);
        (*n)++;
    }
    return rc;
}

/* ---- Skipping (unknown members) -------------------------------------------*/

/* Append @p text to @p out, if there is one. */
int kreg__service_read_put(struct kreg__service_reader *p, struct kbuf *out,
                           const char *text)
{
    if (out && kbuf_adds(out, text) != KBUF_OK)
        return kreg__service_read_nomem(p);
    return KREG_OK;
}

/* Append the member name just read (p->str) and ':' to @p out. */
int kreg__service_read_put_key(struct kreg__service_reader *p, struct kbuf *out)
{
    if (out && kreg__service_encode_string(out, kbuf_str(&p->str),
                                           kbuf_len(&p->str), 0) != KBUF_OK)
        return kreg__service_read_nomem(p);
    return kreg__service_read_put(p, out, ":");
}

static int skip_container(struct kreg__service_reader *p,
                          const struct kreg__service_path *at, struct kbuf *out,
                          bool object)
{
    struct iter it = {true, false};
    size_t n = 0;
    int rc = open_level(p, at);

    if (rc == KREG_OK)
        rc = kreg__service_read_put(p, out, object ? "{" : "[");
    while (rc == KREG_OK) {
        rc = object ? object_next(p, at, &it) : array_next(p, at, &it);
        if (rc != KREG_OK || it.done)
            break;
        if (n++ > 0)
            rc = kreg__service_read_put(p, out, ",");
        if (rc == KREG_OK && object)
            rc = kreg__service_read_put_key(p, out);
        if (rc == KREG_OK)
            rc = kreg__service_read_skip(p, at, out);
    }
    if (rc == KREG_OK)
        rc = kreg__service_read_put(p, out, object ? "}" : "]");
    return rc;
}

/*
 * Consume the string at p->pos (its opening quote) without unquoting it.
 * Go's scanner checks only control characters and escapes here; any other
 * byte, invalid UTF-8 included, is part of the string.
 */
static int scan_string(struct kreg__service_reader *p,
                       const struct kreg__service_path *at)
{
    size_t i = p->pos + 1;
    size_t k;

    for (;;) {
        if (i >= p->len)
            return fail_eof(p, at);
        if (p->s[i] == '"')
            break;
        if (p->s[i] < 0x20)
            return kreg__service_read_fail_char(p, at, i, "in string literal");
        if (p->s[i] != '\\') {
            i++;
            continue;
        }
        if (i + 1 >= p->len)
            return fail_eof(p, at);
        if (p->s[i + 1] == 'u') {
            for (k = 2; k < 6; k++) {
                if (i + k >= p->len)
                    return fail_eof(p, at);
                if (hex_value(p->s[i + k]) < 0)
                    return kreg__service_read_fail_char(
                        p, at, i + k, "in \\u hexadecimal character escape");
            }
            i += 6;
        } else if (escaped(p->s[i + 1])) {
            i += 2;
        } else {
            return kreg__service_read_fail_char(p, at, i + 1,
                                                "in string escape code");
        }
    }
    p->pos = i + 1;
    return KREG_OK;
}

/*
 * Validate and consume any value; with @p out, also append it there in
 * compact form (strings re-escaped as Go writes them).
 */
int kreg__service_read_skip(struct kreg__service_reader *p,
                            const struct kreg__service_path *at,
                            struct kbuf *out)
{
    size_t start;
    enum kreg__service_kind k;
    int rc = kreg__service_read_kind(p, at, &k);

    if (rc != KREG_OK)
        return rc;
    if (k == KREG__SERVICE_K_OBJECT || k == KREG__SERVICE_K_ARRAY)
        return skip_container(p, at, out, k == KREG__SERVICE_K_OBJECT);
    start = p->pos;
    if (k == KREG__SERVICE_K_STRING && !out)
        return scan_string(p, at);
    if (k == KREG__SERVICE_K_STRING) {
        rc = kreg__service_read_string(p, at);
        if (rc == KREG_OK && out &&
            kreg__service_encode_string(out, kbuf_str(&p->str),
                                        kbuf_len(&p->str), 0) != KBUF_OK)
            rc = kreg__service_read_nomem(p);
        return rc;
    }
    if (k == KREG__SERVICE_K_NUMBER)
        rc = kreg__service_read_number(p, at);
    else if (k == KREG__SERVICE_K_NULL)
        rc = kreg__service_read_literal(p, at, "null");
    else
        rc = kreg__service_read_literal(p, at,
                                        p->s[p->pos] == 't' ? "true" : "false");
    if (rc == KREG_OK && out &&
        kbuf_add(out, p->s + start, p->pos - start) != KBUF_OK)
        rc = kreg__service_read_nomem(p);
    return rc;
}

void kreg__service_read_init(struct kreg__service_reader *p, const char *s,
                             size_t len, struct kreg_error *err)
{
    p->s = (const unsigned char *)(s ? s : "");
    p->len = s ? len : 0;
    p->pos = 0;
    p->depth = 0;
    kbuf_init(&p->str, SIZE_MAX / 2);
    p->what = "service json";
    p->err = err;
}

void kreg__service_read_release(struct kreg__service_reader *p)
{
    kbuf_release(&p->str);
}
