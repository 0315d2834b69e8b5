/*
 * gotext: the Go text rules that make selector error messages match a real
 * API server byte for byte: bytewise comparison, UTF-8 decoding as Go's
 * utf8.DecodeRune does it, strconv.Quote for `Invalid value: %q`, the JSON
 * encoder's replacement of invalid UTF-8 with U+FFFD, strconv.ParseInt.
 * Shared by the label (selector.c) and field (fieldsel.c) selectors.
 */
#include "base/gotext.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "knum.h"
#include "kutf8.h"

/* Bytewise order, as Go compares strings. */
int fakeapi__gotext_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n > 0 ? memcmp(a, b, n) : 0;

    if (c != 0)
        return c;
    if (an == bn)
        return 0;
    return an < bn ? -1 : 1;
}

int fakeapi__gotext_qsort_cmp(const void *a, const void *b)
{
    const struct span *x = a;
    const struct span *y = b;

    return fakeapi__gotext_cmp(x->p, x->n, y->p, y->n);
}

char *fakeapi__gotext_dup(const char *p, size_t n)
{
    char *s = malloc(n + 1);

    if (!s)
        return NULL;
    if (n > 0)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Append rune @p r as UTF-8 (r is a valid scalar value). */
int fakeapi__gotext_add_rune(struct kbuf *b, uint32_t r)
{
    unsigned char u[KUTF8_MAX_LEN];
    size_t n = kutf8_encode(r, u);

    return kbuf_add(b, u, n);
}

/*
 * Runes strconv.IsPrint rejects: controls, spaces other than U+0020,
 * format characters, surrogates, private use and noncharacters. Go also
 * rejects unassigned code points; those are not listed (they print raw
 * here, a known difference only visible with exotic input).
 */
static const struct {
    uint32_t lo;
    uint32_t hi;
} not_print[] = {
    {0x0000, 0x001F},   {0x007F, 0x00A0},    {0x00AD, 0x00AD},
    {0x0600, 0x0605},   {0x061C, 0x061C},    {0x06DD, 0x06DD},
    {0x070F, 0x070F},   {0x0890, 0x0891},    {0x08E2, 0x08E2},
    {0x1680, 0x1680},   {0x180E, 0x180E},    {0x2000, 0x200F},
    {0x2028, 0x202F},   {0x205F, 0x206F},    {0x3000, 0x3000},
    {0xD800, 0xF8FF},   {0xFDD0, 0xFDEF},    {0xFEFF, 0xFEFF},
    {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},  {0x110CD, 0x110CD},
    {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3},  {0x1D173, 0x1D17A},
    {0xE0000, 0xE007F}, {0xF0000, 0x10FFFF},
};

static bool go_isprint(uint32_t r)
{
    size_t i;

    if ((r & 0xFFFEu) == 0xFFFEu)
        return false;
    for (i = 0; i < sizeof(not_print) / sizeof(not_print[0]); i++) {
        if (r >= not_print[i].lo && r <= not_print[i].hi)
            return false;
    }
    return true;
}

/* strconv.appendEscapedRune for a double-quoted string. */
static int add_escaped_rune(struct kbuf *b, uint32_t r, const char *raw,
                            size_t w)
{
    static const char named[] = "\aa\bb\ff\nn\rr\tt\vv";
    const char *e;

    if (r == '"' || r == '\\') {
        char esc[2] = {'\\', (char)r};

        return kbuf_add(b, esc, 2);
    }
    if (go_isprint(r))
        return kbuf_add(b, raw, w);
    e = r > 0 && r < 0x20 ? memchr(named, (int)r, sizeof(named) - 1) : NULL;
    if (e && (e - named) % 2 == 0)
        return kbuf_addf(b, "\\%c", e[1]);
    if (r < 0x20 || r == 0x7F)
        return kbuf_addf(b, "\\x%02x", (unsigned)r);
    if (r < 0x10000)
        return kbuf_addf(b, "\\u%04x", (unsigned)r);
    return kbuf_addf(b, "\\U%08x", (unsigned)r);
}

/* Append @p s quoted as Go's %q (strconv.Quote) writes it. */
int fakeapi__gotext_add_quoted(struct kbuf *b, const char *s, size_t n)
{
    size_t i = 0;
    int rc = kbuf_addc(b, '"');

    while (rc == KBUF_OK && i < n) {
        uint32_t r;
        size_t w = kutf8_decode(s + i, n - i, KUTF8_REPLACE, &r);

        if (w == 1 && r == 0xFFFD)
            rc = kbuf_addf(b, "\\x%02x", (unsigned)(unsigned char)s[i]);
        else
            rc = add_escaped_rune(b, r, s + i, w);
        i += w;
    }
    if (rc == KBUF_OK)
        rc = kbuf_addc(b, '"');
    return rc;
}

/* strconv.ParseInt(s, 10, 64): optional '+' or '-', decimal digits, no
 * overflow. */
bool fakeapi__gotext_parse_int64(const char *s, size_t n, int64_t *out)
{
    if (n > 0 && s[0] == '+') {
        s++;
        n--;
        if (n > 0 && s[0] == '-')
            return false;
    }
    return knum_parse_i64(s, n, out);
}
