#include "pod/quantity.h"

#include <string.h>

#include "knum.h"

/* Significant digits kept from the text; more are folded into `sticky`. */
#define QTY_MAX_DIGITS 96
/* Room for QTY_MAX_DIGITS plus six multiplications by 1024 (Ei). */
#define QTY_BUF_DIGITS (QTY_MAX_DIGITS + 32)
/* Exponents beyond these bounds saturate or round to one nano unit. */
#define QTY_EXP_MAX 64
#define QTY_EXP_MIN (-512)

/* A decimal mantissa: value = d[0..n) * 10^exp10 (plus a tail if sticky). */
struct qdigits {
    unsigned char d[QTY_BUF_DIGITS];
    size_t n;
    int64_t exp10;
    bool sticky; /* non-zero digits were dropped below d */
};

/* One suffix of quantitySuffixer: base 10 with an exponent, or 2^(10*k). */
struct qsuffix {
    const char *text;
    int exp10;   /* decimal exponent, when bin == 0 */
    int bin_pow; /* number of times 1024, or 0 */
};

static const struct qsuffix suffixes[] = {
    {"", 0, 0},   {"n", -9, 0}, {"u", -6, 0}, {"m", -3, 0},
    {"k", 3, 0},  {"M", 6, 0},  {"G", 9, 0},  {"T", 12, 0},
    {"P", 15, 0}, {"E", 18, 0}, {"Ki", 0, 1}, {"Mi", 0, 2},
    {"Gi", 0, 3}, {"Ti", 0, 4}, {"Pi", 0, 5}, {"Ei", 0, 6},
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void digits_push(struct qdigits *dg, char c)
{
    if (dg->n < QTY_MAX_DIGITS) {
        dg->d[dg->n++] = (unsigned char)(c - '0');
        return;
    }
    /* Dropped digit: it scales the value by ten, and may be non-zero. */
    dg->exp10++;
    if (c != '0')
        dg->sticky = true;
}

/* Multiply the mantissa by 1024 in place. */
static void digits_mul1024(struct qdigits *dg)
{
    unsigned char out[QTY_BUF_DIGITS];
    unsigned carry = 0;
    size_t i = dg->n;
    size_t o = QTY_BUF_DIGITS;

    while (i > 0 || carry > 0) {
        unsigned v = carry;

        if (i > 0)
            v += (unsigned)dg->d[--i] * 1024u;
        if (o == 0)
            break; /* cannot happen: QTY_BUF_DIGITS leaves room */
        out[--o] = (unsigned char)(v % 10u);
        carry = v / 10u;
    }
    dg->n = QTY_BUF_DIGITS - o;
    memcpy(dg->d, out + o, dg->n);
}

/* The digit at position @p p, counting from the first mantissa digit. */
static unsigned digit_at(const struct qdigits *dg, int64_t p)
{
    if (p < 0 || p >= (int64_t)dg->n)
        return 0;
    return dg->d[p];
}

static void saturate(struct fakeapi_quantity *q)
{
    q->whole = UINT64_MAX;
    q->nano = 999999999u;
}

/* Turn the mantissa into whole and nano units, rounding the tail up. */
static void digits_to_quantity(const struct qdigits *dg,
                               struct fakeapi_quantity *q)
{
    int64_t point = (int64_t)dg->n + dg->exp10; /* digits before the point */
    char whole[24];
    size_t wn = 0;
    bool tail = dg->sticky;
    int64_t p;

    q->whole = 0;
    q->nano = 0;
    if (point > 20) {
        for (p = 0; p < point - 20; p++) {
            if (digit_at(dg, p) != 0) {
                saturate(q);
                return;
            }
        }
    }
    for (p = point > 20 ? point - 20 : 0; p < point; p++)
        whole[wn++] = (char)('0' + digit_at(dg, p));
    if (wn > 0 && !knum_parse_u64(whole, wn, &q->whole)) {
        saturate(q);
        return;
    }
    for (p = point; p < point + 9; p++)
        q->nano = q->nano * 10u + digit_at(dg, p);
    for (p = point + 9 < 0 ? 0 : point + 9; p < (int64_t)dg->n; p++)
        tail = tail || dg->d[p] != 0;
    if (!tail)
        return;
    if (++q->nano == 1000000000u) {
        q->nano = 0;
        if (q->whole == UINT64_MAX)
            saturate(q);
        else
            q->whole++;
    }
}

/* The numeric part: [+-]? 0* digits* (. digits*)?; returns the suffix. */
static size_t scan_number(const char *s, size_t len, struct qdigits *dg,
                          bool *neg)
{
    size_t pos = 0;

    if (pos < len && (s[pos] == '-' || s[pos] == '+')) {
        *neg = s[pos] == '-';
        pos++;
    }
    while (pos < len && s[pos] == '0')
        pos++;
    for (; pos < len && is_digit(s[pos]); pos++)
        digits_push(dg, s[pos]);
    if (pos < len && s[pos] == '.') {
        for (pos++; pos < len && is_digit(s[pos]); pos++) {
            digits_push(dg, s[pos]);
            dg->exp10--;
        }
    }
    return pos;
}

/* parseQuantityString's suffix rule: [eEinumkKMGTP]* [-+]? [0-9]* to the
 * end, else the whole text is malformed. */
static bool suffix_well_formed(const char *s, size_t len)
{
    size_t pos = 0;

    while (pos < len && strchr("eEinumkKMGTP", s[pos]))
        pos++;
    if (pos < len && (s[pos] == '-' || s[pos] == '+'))
        pos++;
    while (pos < len && is_digit(s[pos]))
        pos++;
    return pos == len;
}

/* quantitySuffixer.interpret: a table suffix, or e/E plus an int64. */
static bool suffix_apply(const char *s, size_t len, struct qdigits *dg)
{
    size_t i;
    int64_t e;
    bool negexp = false;

    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        const struct qsuffix *x = &suffixes[i];
        int k;

        if (strlen(x->text) != len || memcmp(x->text, s, len) != 0)
            continue;
        dg->exp10 += x->exp10;
        for (k = 0; k < x->bin_pow; k++)
            digits_mul1024(dg);
        return true;
    }
    if (len < 2 || (s[0] != 'e' && s[0] != 'E'))
        return false;
    s++;
    len--;
    if (s[0] == '+' || s[0] == '-') {
        negexp = s[0] == '-';
        s++;
        len--;
    }
    if (!knum_parse_i64(s, len, &e))
        return false;
    /* Any exponent beyond the bounds saturates or rounds the same way;
     * clamping keeps exp10 far from int64 overflow. */
    if (e > -QTY_EXP_MIN)
        e = -QTY_EXP_MIN;
    dg->exp10 += negexp ? -e : e;
    return true;
}

int fakeapi__quantity_parse(const char *s, size_t len,
                            struct fakeapi_quantity *out)
{
    struct fakeapi_quantity scratch;
    struct qdigits dg;
    bool neg = false;
    size_t pos;

    if (!out)
        out = &scratch;
    while (len > 0 && is_space(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_space(s[len - 1]))
        len--;
    if (len == 0)
        return FAKEAPI_QTY_E_FORMAT;
    memset(&dg, 0, sizeof(dg));
    pos = scan_number(s, len, &dg, &neg);
    if (!suffix_well_formed(s + pos, len - pos))
        return FAKEAPI_QTY_E_FORMAT;
    if (!suffix_apply(s + pos, len - pos, &dg))
        return FAKEAPI_QTY_E_SUFFIX;
    if (dg.exp10 > QTY_EXP_MAX && dg.n > 0) {
        saturate(out);
    } else {
        if (dg.exp10 < QTY_EXP_MIN && dg.n > 0) {
            dg.n = 0; /* far below a nano unit: rounds up to one */
            dg.sticky = true;
        }
        digits_to_quantity(&dg, out);
    }
    out->neg = neg && (out->whole != 0 || out->nano != 0);
    return FAKEAPI_QTY_OK;
}

bool fakeapi__quantity_is_positive(const struct fakeapi_quantity *q)
{
    return !q->neg && (q->whole != 0 || q->nano != 0);
}

void fakeapi__quantity_add(struct fakeapi_quantity *acc,
                           const struct fakeapi_quantity *q)
{
    uint32_t nano = acc->nano + q->nano;
    uint64_t carry = nano >= 1000000000u ? 1 : 0;

    if (carry)
        nano -= 1000000000u;
    if (acc->whole > UINT64_MAX - q->whole ||
        acc->whole + q->whole > UINT64_MAX - carry) {
        saturate(acc);
        return;
    }
    acc->whole += q->whole + carry;
    acc->nano = nano;
}

/* Compare magnitudes only. */
static int cmp_abs(const struct fakeapi_quantity *a,
                   const struct fakeapi_quantity *b)
{
    if (a->whole != b->whole)
        return a->whole < b->whole ? -1 : 1;
    if (a->nano != b->nano)
        return a->nano < b->nano ? -1 : 1;
    return 0;
}

int fakeapi__quantity_cmp(const struct fakeapi_quantity *a,
                          const struct fakeapi_quantity *b)
{
    if (a->neg != b->neg)
        return a->neg ? -1 : 1;
    return a->neg ? -cmp_abs(a, b) : cmp_abs(a, b);
}
