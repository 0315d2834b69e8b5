/*
 * selector: label and pod field selectors (k8s-api.md §1 and §3).
 *
 * One file for both parsers because they share the Go text rules that make
 * the error messages match a real server byte for byte: UTF-8 decoding as
 * Go's utf8.DecodeRune does it, strconv.Quote for `Invalid value: %q`, and
 * the JSON encoder's replacement of invalid UTF-8 with U+FFFD. It is past
 * 1,000 lines for that reason (style.md asks for one): three parts, marked
 * below, with part 1 the candidate to move into its own file if another
 * module ever needs Go-worded text.
 */
#include "selector.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kbuf.h"
#include "knum.h"
#include "names.h"
#include "status.h"

/* Cap on one error message before sanitising (the selector text twice, or
 * a key quoted with \x escapes, fit easily). */
#define MSG_CAP (1u << 20)

/* A byte range of the input text. */
struct span {
    const char *p;
    size_t n;
};

/* Bytewise order, as Go compares strings. */
static int span_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n > 0 ? memcmp(a, b, n) : 0;

    if (c != 0)
        return c;
    if (an == bn)
        return 0;
    return an < bn ? -1 : 1;
}

static int span_qsort_cmp(const void *a, const void *b)
{
    const struct span *x = a;
    const struct span *y = b;

    return span_cmp(x->p, x->n, y->p, y->n);
}

static char *dup_bytes(const char *p, size_t n)
{
    char *s = malloc(n + 1);

    if (!s)
        return NULL;
    if (n > 0)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* ===== Part 1: Go text rules ===== */

/*
 * Decode one rune the way Go's utf8.DecodeRune does: overlong forms,
 * surrogates, values past U+10FFFF and truncated sequences all yield
 * U+FFFD with width 1. @p n must be at least 1.
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *r)
{
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    uint32_t v;
    size_t w;
    size_t i;

    *r = 0xFFFD;
    if (s[0] < 0x80) {
        *r = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        w = 2;
        v = s[0] & 0x1Fu;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        w = 3;
        v = s[0] & 0x0Fu;
        lo = s[0] == 0xE0 ? 0xA0 : 0x80;
        hi = s[0] == 0xED ? 0x9F : 0xBF;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        w = 4;
        v = s[0] & 0x07u;
        lo = s[0] == 0xF0 ? 0x90 : 0x80;
        hi = s[0] == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 1;
    }
    if (n < w || s[1] < lo || s[1] > hi)
        return 1;
    for (i = 1; i < w; i++) {
        if (i > 1 && (s[i] & 0xC0u) != 0x80u)
            return 1;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    *r = v;
    return w;
}

/* Append rune @p r as UTF-8 (r is a valid scalar value). */
static int add_rune(struct kbuf *b, uint32_t r)
{
    char u[4];
    size_t n;

    if (r < 0x80) {
        u[0] = (char)r;
        n = 1;
    } else if (r < 0x800) {
        u[0] = (char)(0xC0 | (r >> 6));
        u[1] = (char)(0x80 | (r & 0x3F));
        n = 2;
    } else if (r < 0x10000) {
        u[0] = (char)(0xE0 | (r >> 12));
        u[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        u[2] = (char)(0x80 | (r & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (r >> 18));
        u[1] = (char)(0x80 | ((r >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((r >> 6) & 0x3F));
        u[3] = (char)(0x80 | (r & 0x3F));
        n = 4;
    }
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
static int add_quoted(struct kbuf *b, const char *s, size_t n)
{
    size_t i = 0;
    int rc = kbuf_addc(b, '"');

    while (rc == KBUF_OK && i < n) {
        uint32_t r;
        size_t w = utf8_decode((const unsigned char *)s + i, n - i, &r);

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

/*
 * The 400 BadRequest Status for a parser message. Go's JSON encoder
 * writes each byte of invalid UTF-8 as U+FFFD, and jansson only takes
 * valid UTF-8, so the message is cleaned the same way first.
 */
static json_t *bad_request(const struct kbuf *msg)
{
    const char *s = kbuf_str(msg);
    size_t n = kbuf_len(msg);
    struct kbuf clean;
    json_t *st = NULL;
    size_t i = 0;
    int rc = KBUF_OK;

    kbuf_init(&clean, 3 * MSG_CAP);
    while (rc == KBUF_OK && i < n) {
        uint32_t r;
        size_t w = utf8_decode((const unsigned char *)s + i, n - i, &r);

        rc = add_rune(&clean, r);
        i += w;
    }
    if (rc == KBUF_OK)
        st = fakeapi__status_bad_request("%s", kbuf_str(&clean));
    kbuf_release(&clean);
    return st;
}

/* strconv.ParseInt(s, 10, 64): optional '+' or '-', decimal digits, no
 * overflow. */
static bool go_parse_int64(const char *s, size_t n, int64_t *out)
{
    if (n > 0 && s[0] == '+') {
        s++;
        n--;
        if (n > 0 && s[0] == '-')
            return false;
    }
    return knum_parse_i64(s, n, out);
}

/* Append the messages of one names.h check, joined by "; " as
 * validateLabelKey / validateLabelValue join them. */
static int add_rules(struct kbuf *b,
                     size_t (*check)(const char *, size_t, json_t *),
                     const char *s, size_t n)
{
    json_t *msgs = json_array();
    json_t *m;
    size_t i;
    int rc = KBUF_OK;

    if (!msgs)
        return KBUF_E_NOMEM;
    if (check(s, n, msgs) != json_array_size(msgs))
        rc = KBUF_E_NOMEM;
    json_array_foreach(msgs, i, m)
    {
        if (i > 0)
            rc |= kbuf_adds(b, "; ");
        rc |= kbuf_adds(b, json_string_value(m));
    }
    json_decref(msgs);
    return rc;
}

/* ===== Part 2: label selectors (labels.Parse) ===== */

enum tok {
    T_EOS,
    T_IDENT,
    T_IN,
    T_NOTIN,
    T_BANG,
    T_EQ,
    T_EQEQ,
    T_NEQ,
    T_GT,
    T_LT,
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
};

/* Go's ParserContext: where a value is expected, `in` and `notin` are
 * plain identifiers (`x in (in)` is valid). */
enum ctx {
    CTX_OPERATOR,
    CTX_VALUES,
};

struct token {
    enum tok type;
    const char *lit; /* the literal; "" (length 0) at the end */
    size_t len;
};

struct lreq {
    int op;
    char *key;
    char **values; /* sorted, unique; NULL for EXISTS / NOT_EXISTS */
    size_t nvalues;
    int64_t num; /* the parsed value of GT / LT */
    size_t seq;  /* text order, to keep the key sort stable */
};

struct fakeapi_lsel {
    struct lreq *reqs;
    size_t n;
    size_t cap;
};

struct lparser {
    const char *s;
    size_t len;
    size_t pos;
    struct token cur;   /* the lookahead token */
    const char *prefix; /* put before a message */
    struct kbuf msg;
    struct span *vals; /* values of the requirement being parsed */
    size_t nvals;
    size_t capvals;
    struct fakeapi_lsel *sel;
};

/* The lexer's whitespace and special characters (selector.go
 * isWhitespace, isSpecialSymbol). */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' ||
           c == '>' || c == '<';
}

static enum tok special_token(const char *p, size_t n)
{
    if (n == 2)
        return p[0] == '=' ? T_EQEQ : T_NEQ;
    switch (p[0]) {
    case '=':
        return T_EQ;
    case '!':
        return T_BANG;
    case '(':
        return T_LPAREN;
    case ')':
        return T_RPAREN;
    case ',':
        return T_COMMA;
    case '>':
        return T_GT;
    default:
        return T_LT;
    }
}

/* Scan the next token into p->cur. Operators are matched greedily, and
 * the only two-character ones are `==` and `!=`; an identifier is any
 * maximal run of other non-blank bytes. */
static void lex_next(struct lparser *p)
{
    size_t i = p->pos;
    size_t start;

    while (i < p->len && is_space(p->s[i]))
        i++;
    start = i;
    p->cur.lit = p->s + i;
    if (i >= p->len) {
        p->cur.type = T_EOS;
        p->cur.len = 0;
    } else if (is_special(p->s[i])) {
        bool two = i + 1 < p->len && p->s[i + 1] == '=' &&
                   (p->s[i] == '=' || p->s[i] == '!');

        p->cur.len = two ? 2 : 1;
        p->cur.type = special_token(p->s + i, p->cur.len);
        i += p->cur.len;
    } else {
        while (i < p->len && !is_space(p->s[i]) && !is_special(p->s[i]))
            i++;
        p->cur.len = i - start;
        p->cur.type = T_IDENT;
        if (span_cmp(p->cur.lit, p->cur.len, "in", 2) == 0)
            p->cur.type = T_IN;
        else if (span_cmp(p->cur.lit, p->cur.len, "notin", 5) == 0)
            p->cur.type = T_NOTIN;
    }
    p->pos = i;
}

static struct token peek(const struct lparser *p, enum ctx c)
{
    struct token t = p->cur;

    if (c == CTX_VALUES && (t.type == T_IN || t.type == T_NOTIN))
        t.type = T_IDENT;
    return t;
}

static struct token consume(struct lparser *p, enum ctx c)
{
    struct token t = peek(p, c);

    lex_next(p);
    return t;
}

static int fail(struct lparser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Set the error message; FAKEAPI_E_INVALID, or FAKEAPI_E_NOMEM. */
static int fail(struct lparser *p, const char *fmt, ...)
{
    va_list ap;
    int rc;

    kbuf_reset(&p->msg);
    rc = kbuf_adds(&p->msg, p->prefix);
    va_start(ap, fmt);
    rc |= kbuf_vaddf(&p->msg, fmt, ap);
    va_end(ap);
    return rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
}

static int push_value(struct lparser *p, const char *v, size_t n)
{
    if (p->nvals == p->capvals) {
        size_t cap = p->capvals ? 2 * p->capvals : 8;
        struct span *nv = realloc(p->vals, cap * sizeof(*nv));

        if (!nv)
            return FAKEAPI_E_NOMEM;
        p->vals = nv;
        p->capvals = cap;
    }
    p->vals[p->nvals].p = v;
    p->vals[p->nvals].n = n;
    p->nvals++;
    return FAKEAPI_OK;
}

/* parseKeyAndInferOperator: [!] KEY, validated at once; a key followed by
 * the end or a ',' is an exists requirement. */
static int parse_key(struct lparser *p, struct span *key, int *op)
{
    struct token t = consume(p, CTX_VALUES);
    struct kbuf detail;
    int rc;

    *op = 0;
    if (t.type == T_BANG) {
        *op = FAKEAPI_LSEL_NOT_EXISTS;
        t = consume(p, CTX_VALUES);
    }
    if (t.type != T_IDENT)
        return fail(p, "found '%.*s', expected: identifier", (int)t.len, t.lit);
    key->p = t.lit;
    key->n = t.len;
    if (fakeapi__check_qualified_name(t.lit, t.len, NULL) > 0) {
        /* The parser's field path is nil: "<nil>: Invalid value: ...". */
        kbuf_init(&detail, MSG_CAP);
        rc = kbuf_adds(&detail, "<nil>: Invalid value: ");
        rc |= add_quoted(&detail, t.lit, t.len);
        rc |= kbuf_adds(&detail, ": ");
        rc |= add_rules(&detail, fakeapi__check_qualified_name, t.lit, t.len);
        if (rc == KBUF_OK)
            rc = fail(p, "%s", kbuf_str(&detail));
        else
            rc = FAKEAPI_E_NOMEM;
        kbuf_release(&detail);
        return rc;
    }
    t = peek(p, CTX_VALUES);
    if ((t.type == T_EOS || t.type == T_COMMA) && *op == 0)
        *op = FAKEAPI_LSEL_EXISTS;
    return FAKEAPI_OK;
}

/* parseOperator: in a key's operator position `in` and `notin` count. */
static int parse_operator(struct lparser *p, int *op)
{
    struct token t = consume(p, CTX_OPERATOR);

    switch (t.type) {
    case T_IN:
        *op = FAKEAPI_LSEL_IN;
        return FAKEAPI_OK;
    case T_NOTIN:
        *op = FAKEAPI_LSEL_NOTIN;
        return FAKEAPI_OK;
    case T_EQ:
    case T_EQEQ:
        *op = FAKEAPI_LSEL_EQ;
        return FAKEAPI_OK;
    case T_NEQ:
        *op = FAKEAPI_LSEL_NEQ;
        return FAKEAPI_OK;
    case T_GT:
        *op = FAKEAPI_LSEL_GT;
        return FAKEAPI_OK;
    case T_LT:
        *op = FAKEAPI_LSEL_LT;
        return FAKEAPI_OK;
    default:
        return fail(p, "found '%.*s', expected: in, notin, =, ==, !=, gt, lt",
                    (int)t.len, t.lit);
    }
}

/*
 * parseIdentifiersList: comma-separated, possibly empty identifiers up to
 * (not including) the ')'. A leading ",", a ",," and a trailing ",)" each
 * add the empty string; duplicates go when the set is sorted.
 */
static int parse_ident_list(struct lparser *p)
{
    struct token t;
    struct token u;
    int rc;

    for (;;) {
        t = consume(p, CTX_VALUES);
        if (t.type == T_IDENT) {
            rc = push_value(p, t.lit, t.len);
            u = peek(p, CTX_VALUES);
            if (rc != FAKEAPI_OK || u.type == T_RPAREN)
                return rc;
            if (u.type != T_COMMA)
                return fail(p, "found '%.*s', expected: ',' or ')'", (int)u.len,
                            u.lit);
            continue;
        }
        if (t.type != T_COMMA)
            return fail(p, "found '%.*s', expected: ',', or identifier",
                        (int)t.len, t.lit);
        rc = p->nvals == 0 ? push_value(p, "", 0) : FAKEAPI_OK;
        u = peek(p, CTX_VALUES);
        if (rc == FAKEAPI_OK && (u.type == T_RPAREN || u.type == T_COMMA))
            rc = push_value(p, "", 0);
        if (rc != FAKEAPI_OK || u.type == T_RPAREN)
            return rc;
    }
}

/* parseValues: "(" values ")"; "()" is the set {""}. */
static int parse_values(struct lparser *p)
{
    struct token t = consume(p, CTX_VALUES);
    struct token u;
    int rc;

    if (t.type != T_LPAREN)
        return fail(p, "found '%.*s' expected: '('", (int)t.len, t.lit);
    t = peek(p, CTX_VALUES);
    if (t.type == T_RPAREN) {
        consume(p, CTX_VALUES);
        return push_value(p, "", 0);
    }
    if (t.type != T_IDENT && t.type != T_COMMA)
        return fail(p, "found '%.*s', expected: ',', ')' or identifier",
                    (int)t.len, t.lit);
    rc = parse_ident_list(p);
    if (rc != FAKEAPI_OK)
        return rc;
    u = consume(p, CTX_VALUES);
    if (u.type != T_RPAREN) /* unreachable; Go names the first literal */
        return fail(p, "found '%.*s', expected: ')'", (int)t.len, t.lit);
    return FAKEAPI_OK;
}

/* parseExactValue: one identifier, or "" before the end or a ','. */
static int parse_exact_value(struct lparser *p)
{
    struct token t = peek(p, CTX_VALUES);

    if (t.type == T_EOS || t.type == T_COMMA)
        return push_value(p, "", 0);
    t = consume(p, CTX_VALUES);
    if (t.type == T_IDENT)
        return push_value(p, t.lit, t.len);
    return fail(p, "found '%.*s', expected: identifier", (int)t.len, t.lit);
}

/* Sort the values bytewise and drop duplicates (sets.String.List()). */
static void sort_values(struct lparser *p)
{
    size_t i;
    size_t k = 0;

    if (p->nvals < 2)
        return;
    qsort(p->vals, p->nvals, sizeof(p->vals[0]), span_qsort_cmp);
    for (i = 1; i < p->nvals; i++) {
        if (span_qsort_cmp(&p->vals[k], &p->vals[i]) != 0)
            p->vals[++k] = p->vals[i];
    }
    p->nvals = k + 1;
}

/*
 * NewRequirement's checks on the sorted values: gt/lt need an int64
 * (path values[i]) and every value must be a label value (path
 * values[i][key]). The errors are distinct by path, so the aggregate's
 * de-duplication never applies; one error prints bare, several as
 * "[e1, e2]".
 */
static int check_values(struct lparser *p, struct span key, int op,
                        int64_t *num)
{
    struct kbuf errs;
    size_t nerr = 0;
    size_t i;
    int rc = KBUF_OK;

    kbuf_init(&errs, MSG_CAP);
    if ((op == FAKEAPI_LSEL_GT || op == FAKEAPI_LSEL_LT) &&
        !go_parse_int64(p->vals[0].p, p->vals[0].n, num)) {
        nerr++;
        rc |= kbuf_adds(&errs, "values[0]: Invalid value: ");
        rc |= add_quoted(&errs, p->vals[0].p, p->vals[0].n);
        rc |= kbuf_adds(&errs, ": for 'Gt', 'Lt' operators, the value must "
                               "be an integer");
    }
    for (i = 0; i < p->nvals; i++) {
        const struct span *v = &p->vals[i];

        if (fakeapi__check_label_value(v->p, v->n, NULL) == 0)
            continue;
        rc |= kbuf_adds(&errs, nerr++ > 0 ? ", " : "");
        rc |= kbuf_addf(&errs, "values[%zu][%.*s]: Invalid value: ", i,
                        (int)key.n, key.p);
        rc |= add_quoted(&errs, v->p, v->n);
        rc |= kbuf_adds(&errs, ": ");
        rc |= add_rules(&errs, fakeapi__check_label_value, v->p, v->n);
    }
    if (rc != KBUF_OK)
        rc = FAKEAPI_E_NOMEM;
    else if (nerr == 1)
        rc = fail(p, "%s", kbuf_str(&errs));
    else if (nerr > 1)
        rc = fail(p, "[%s]", kbuf_str(&errs));
    kbuf_release(&errs);
    return rc;
}

static void lreq_release(struct lreq *r)
{
    size_t i;

    for (i = 0; r->values && i < r->nvalues; i++)
        free(r->values[i]);
    free(r->values);
    free(r->key);
}

/* Copy the key and values into a new requirement at the end of p->sel. */
static int append_req(struct lparser *p, struct span key, int op, int64_t num)
{
    struct fakeapi_lsel *s = p->sel;
    struct lreq r = {.op = op, .num = num, .seq = s->n};
    size_t i;

    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4;
        struct lreq *nr = realloc(s->reqs, cap * sizeof(*nr));

        if (!nr)
            return FAKEAPI_E_NOMEM;
        s->reqs = nr;
        s->cap = cap;
    }
    r.key = dup_bytes(key.p, key.n);
    if (r.key && p->nvals > 0)
        r.values = calloc(p->nvals, sizeof(*r.values));
    for (i = 0; r.values && i < p->nvals; i++) {
        r.values[i] = dup_bytes(p->vals[i].p, p->vals[i].n);
        r.nvalues += r.values[i] ? 1 : 0;
    }
    if (!r.key || r.nvalues != p->nvals) {
        lreq_release(&r);
        return FAKEAPI_E_NOMEM;
    }
    s->reqs[s->n++] = r;
    return FAKEAPI_OK;
}

/* parseRequirement: KEY [op values], then NewRequirement's checks. */
static int parse_requirement(struct lparser *p)
{
    struct span key = {"", 0};
    int64_t num = 0;
    int op = 0;
    int rc;

    p->nvals = 0;
    rc = parse_key(p, &key, &op);
    if (rc == FAKEAPI_OK && op == 0) {
        rc = parse_operator(p, &op);
        if (rc == FAKEAPI_OK &&
            (op == FAKEAPI_LSEL_IN || op == FAKEAPI_LSEL_NOTIN))
            rc = parse_values(p);
        else if (rc == FAKEAPI_OK)
            rc = parse_exact_value(p);
    }
    if (rc != FAKEAPI_OK)
        return rc;
    sort_values(p);
    rc = check_values(p, key, op, &num);
    if (rc != FAKEAPI_OK)
        return rc;
    return append_req(p, key, op, num);
}

/* Parser.parse: requirement ("," requirement)* to the end. */
static int parse_all(struct lparser *p)
{
    struct token t;
    int rc;

    for (;;) {
        t = peek(p, CTX_VALUES);
        if (t.type == T_EOS)
            return FAKEAPI_OK;
        if (t.type != T_IDENT && t.type != T_BANG)
            return fail(p,
                        "found '%.*s', expected: !, identifier, or 'end "
                        "of string'",
                        (int)t.len, t.lit);
        p->prefix = "unable to parse requirement: ";
        rc = parse_requirement(p);
        p->prefix = "";
        if (rc != FAKEAPI_OK)
            return rc;
        t = consume(p, CTX_VALUES);
        if (t.type == T_EOS)
            return FAKEAPI_OK;
        if (t.type != T_COMMA)
            return fail(p, "found '%.*s', expected: ',' or 'end of string'",
                        (int)t.len, t.lit);
        t = peek(p, CTX_VALUES);
        if (t.type != T_IDENT && t.type != T_BANG)
            return fail(p, "found '%.*s', expected: identifier after ','",
                        (int)t.len, t.lit);
    }
}

/* Sort by key (ByKey); ties keep their text order. */
static int lreq_cmp(const void *a, const void *b)
{
    const struct lreq *x = a;
    const struct lreq *y = b;
    int c = strcmp(x->key, y->key);

    if (c != 0)
        return c;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

int fakeapi__lsel_parse(const char *text, struct fakeapi_lsel **out,
                        json_t **status)
{
    struct lparser p = {.s = text ? text : "", .prefix = ""};
    int rc;

    *out = NULL;
    if (status)
        *status = NULL;
    p.len = strlen(p.s);
    kbuf_init(&p.msg, MSG_CAP);
    p.sel = calloc(1, sizeof(*p.sel));
    if (!p.sel) {
        rc = FAKEAPI_E_NOMEM;
        goto out;
    }
    if (p.len > FAKEAPI_SELECTOR_MAX) {
        rc = fail(&p,
                  "label selector is too long: may not be more than %d "
                  "bytes",
                  FAKEAPI_SELECTOR_MAX);
        goto out;
    }
    lex_next(&p);
    rc = parse_all(&p);
    if (rc == FAKEAPI_OK && p.sel->n > 1)
        qsort(p.sel->reqs, p.sel->n, sizeof(p.sel->reqs[0]), lreq_cmp);
out:
    if (rc == FAKEAPI_OK) {
        *out = p.sel;
        p.sel = NULL;
    } else if (rc == FAKEAPI_E_INVALID && status) {
        *status = bad_request(&p.msg);
    }
    fakeapi__lsel_free(p.sel);
    free(p.vals);
    kbuf_release(&p.msg);
    return rc;
}

void fakeapi__lsel_free(struct fakeapi_lsel *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        lreq_release(&s->reqs[i]);
    free(s->reqs);
    free(s);
}

/* Binary search of the sorted value set (length-aware: a JSON string may
 * hold a NUL, which then never equals a selector value). */
static bool has_value(const struct lreq *r, const char *s, size_t n)
{
    size_t lo = 0;
    size_t hi = r->nvalues;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *m = r->values[mid];
        int c = span_cmp(s, n, m, strlen(m));

        if (c == 0)
            return true;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

/* Requirement.Matches, for a label that is present (@p v, @p n) or not
 * (@p v NULL). */
static bool lreq_matches(const struct lreq *r, const char *v, size_t n)
{
    int64_t num;

    switch (r->op) {
    case FAKEAPI_LSEL_EQ:
    case FAKEAPI_LSEL_IN:
        return v && has_value(r, v, n);
    case FAKEAPI_LSEL_NEQ:
    case FAKEAPI_LSEL_NOTIN:
        return !v || !has_value(r, v, n);
    case FAKEAPI_LSEL_EXISTS:
        return v != NULL;
    case FAKEAPI_LSEL_NOT_EXISTS:
        return v == NULL;
    case FAKEAPI_LSEL_GT:
    case FAKEAPI_LSEL_LT:
        /* A label value that is not an int64 never matches. */
        if (!v || !go_parse_int64(v, n, &num))
            return false;
        return r->op == FAKEAPI_LSEL_GT ? num > r->num : num < r->num;
    default:
        return false;
    }
}

bool fakeapi__lsel_matches(const struct fakeapi_lsel *s, const json_t *labels)
{
    size_t i;

    if (!json_is_object(labels))
        labels = NULL;
    for (i = 0; s && i < s->n; i++) {
        /* a label that is not a string counts as absent */
        const json_t *v = json_object_get(labels, s->reqs[i].key);
        bool present = json_is_string(v);

        if (!lreq_matches(&s->reqs[i], present ? json_string_value(v) : NULL,
                          present ? json_string_length(v) : 0))
            return false;
    }
    return true;
}

/* The value of @p key in sorted @p l, or NULL. */
static const char *label_lookup(const struct fakeapi_labels *l,
                                const char *key, size_t *n)
{
    size_t lo = 0;
    size_t hi = l ? l->n : 0;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(l->keys[mid], key);

        if (c == 0) {
            *n = strlen(l->values[mid]);
            return l->values[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool fakeapi__lsel_matches_labels(const struct fakeapi_lsel *s,
                                  const struct fakeapi_labels *l)
{
    size_t i;

    for (i = 0; s && i < s->n; i++) {
        size_t n = 0;
        const char *v = label_lookup(l, s->reqs[i].key, &n);

        if (!lreq_matches(&s->reqs[i], v, n))
            return false;
    }
    return true;
}

bool fakeapi__lsel_is_empty(const struct fakeapi_lsel *s)
{
    return !s || s->n == 0;
}

size_t fakeapi__lsel_count(const struct fakeapi_lsel *s)
{
    return s ? s->n : 0;
}

bool fakeapi__lsel_req(const struct fakeapi_lsel *s, size_t i, int *op,
                       const char **key, size_t *nvalues,
                       const char *const **values)
{
    const struct lreq *r;

    if (!s || i >= s->n)
        return false;
    r = &s->reqs[i];
    *op = r->op;
    *key = r->key;
    *nvalues = r->nvalues;
    *values = (const char *const *)r->values;
    return true;
}

/* ===== Part 3: pod field selectors (fields.ParseSelector) ===== */

enum pod_field {
    PF_NAME,
    PF_NAMESPACE,
    PF_NODE_NAME,
    PF_RESTART_POLICY,
    PF_SCHEDULER_NAME,
    PF_SERVICE_ACCOUNT,
    PF_HOST_NETWORK,
    PF_PHASE,
    PF_POD_IP,
    PF_POD_IPS,
    PF_NOMINATED_NODE,
};

/*
 * The Pod field label conversion of pkg/apis/core/v1/conversion.go:
 * these labels pass, spec.host is renamed spec.nodeName, anything else is
 * "field label not supported".
 */
static const struct {
    const char *label;
    enum pod_field field;
} pod_fields[] = {
    {"metadata.name", PF_NAME},
    {"metadata.namespace", PF_NAMESPACE},
    {"spec.nodeName", PF_NODE_NAME},
    {"spec.restartPolicy", PF_RESTART_POLICY},
    {"spec.schedulerName", PF_SCHEDULER_NAME},
    {"spec.serviceAccountName", PF_SERVICE_ACCOUNT},
    {"spec.hostNetwork", PF_HOST_NETWORK},
    {"status.phase", PF_PHASE},
    {"status.podIP", PF_POD_IP},
    {"status.podIPs", PF_POD_IPS},
    {"status.nominatedNodeName", PF_NOMINATED_NODE},
    {"spec.host", PF_NODE_NAME},
};

struct fterm {
    enum pod_field field;
    bool neq;    /* != (notHasTerm) rather than = or == (hasTerm) */
    char *value; /* unescaped; may hold bytes that are not UTF-8 */
    size_t len;
};

struct fakeapi_fsel {
    struct fterm *terms;
    size_t n;
};

static bool lookup_field(const char *p, size_t n, enum pod_field *f)
{
    size_t i;

    for (i = 0; i < sizeof(pod_fields) / sizeof(pod_fields[0]); i++) {
        const char *l = pod_fields[i].label;

        if (span_cmp(p, n, l, strlen(l)) == 0) {
            *f = pod_fields[i].field;
            return true;
        }
    }
    return false;
}

/* splitTerms: cut at every ',' not preceded by an escaping '\'. The
 * backslashes stay in the terms. */
static int split_terms(const char *s, size_t n, struct span **out,
                       size_t *count)
{
    struct span *v;
    size_t cap = 1;
    size_t k = 0;
    size_t start = 0;
    size_t i;

    for (i = 0; i < n; i++)
        cap += s[i] == ',';
    v = calloc(cap, sizeof(*v));
    if (!v)
        return FAKEAPI_E_NOMEM;
    for (i = 0; i < n; i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == ',') {
            v[k].p = s + start;
            v[k++].n = i - start;
            start = i + 1;
        }
    }
    v[k].p = s + start;
    v[k++].n = n - start;
    *out = v;
    *count = k;
    return FAKEAPI_OK;
}

/* splitTerm: the first position where "!=", "==" or "=" starts (tried in
 * that order) splits the term; the field name has no escapes. */
static bool split_term(struct span t, size_t *lhs, size_t *rhs, bool *neq)
{
    size_t i;

    for (i = 0; i < t.n; i++) {
        bool two = i + 1 < t.n && t.p[i + 1] == '=';

        if (two && (t.p[i] == '!' || t.p[i] == '=')) {
            *neq = t.p[i] == '!';
            *lhs = i;
            *rhs = i + 2;
            return true;
        }
        if (t.p[i] == '=') {
            *neq = false;
            *lhs = i;
            *rhs = i + 1;
            return true;
        }
    }
    return false;
}

static bool needs_unescape(struct span v)
{
    return memchr(v.p, '\\', v.n) || memchr(v.p, ',', v.n) ||
           memchr(v.p, '=', v.n);
}

/*
 * UnescapeValue's rune walk: `\\`, `\,` and `\=` are escapes; any other
 * escape, a trailing '\' or a bare ',' or '=' is an error (message into
 * the empty @p msg). Go writes every rune back with WriteRune, so each
 * invalid UTF-8 byte comes out as U+FFFD, and the bare-character error
 * prints the rune as a number (%v of a rune: '=' is 61).
 */
static int unescape_runes(struct span v, struct kbuf *out, struct kbuf *msg)
{
    bool slash = false;
    size_t i = 0;
    uint32_t r;
    int rc = KBUF_OK;

    while (rc == KBUF_OK && i < v.n) {
        i += utf8_decode((const unsigned char *)v.p + i, v.n - i, &r);
        if (slash && r != '\\' && r != ',' && r != '=') {
            rc = kbuf_adds(msg, "invalid field selector: invalid escape "
                                "sequence: \\");
            rc |= add_rune(msg, r);
            return rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
        }
        if (!slash && (r == ',' || r == '=')) {
            rc = kbuf_addf(msg,
                           "invalid field selector: unescaped character in "
                           "value: %u",
                           (unsigned)r);
            return rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
        }
        slash = !slash && r == '\\';
        if (!slash)
            rc = add_rune(out, r);
    }
    if (rc != KBUF_OK)
        return FAKEAPI_E_NOMEM;
    if (!slash)
        return FAKEAPI_OK;
    rc = kbuf_adds(msg, "invalid field selector: invalid escape sequence: \\");
    return rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
}

/* UnescapeValue: a value without any of `\,=` is kept byte for byte. */
static int unescape(struct span v, struct fterm *t, struct kbuf *msg)
{
    struct kbuf out;
    int rc = FAKEAPI_OK;

    kbuf_init(&out, 3 * FAKEAPI_SELECTOR_MAX + 1);
    if (needs_unescape(v))
        rc = unescape_runes(v, &out, msg);
    else if (kbuf_add(&out, v.p, v.n) != KBUF_OK)
        rc = FAKEAPI_E_NOMEM;
    if (rc == FAKEAPI_OK) {
        t->value = kbuf_detach(&out, &t->len);
        rc = t->value ? FAKEAPI_OK : FAKEAPI_E_NOMEM;
    }
    kbuf_release(&out);
    return rc;
}

/*
 * parseSelector: the terms are sorted bytewise first, so errors are
 * reported for the first bad term in that order, and empty terms are
 * skipped. Each term keeps its raw field name in @p lhs for the
 * conversion step.
 */
static int parse_terms(const char *text, struct span *parts, size_t nparts,
                       struct fakeapi_fsel *sel, struct span *lhs,
                       struct kbuf *msg)
{
    size_t i;
    int rc;

    if (nparts > 1)
        qsort(parts, nparts, sizeof(parts[0]), span_qsort_cmp);
    for (i = 0; i < nparts; i++) {
        struct fterm *t = &sel->terms[sel->n];
        size_t lhs_n;
        size_t rhs;

        if (parts[i].n == 0)
            continue;
        if (!split_term(parts[i], &lhs_n, &rhs, &t->neq)) {
            rc = kbuf_addf(msg,
                           "invalid selector: '%s'; can't understand "
                           "'%.*s'",
                           text, (int)parts[i].n, parts[i].p);
            return rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
        }
        lhs[sel->n].p = parts[i].p;
        lhs[sel->n].n = lhs_n;
        rc =
            unescape((struct span){parts[i].p + rhs, parts[i].n - rhs}, t, msg);
        if (rc != FAKEAPI_OK)
            return rc;
        sel->n++;
    }
    return FAKEAPI_OK;
}

/* The Transform step (handlers/get.go): every field label through the
 * Pod conversion, in term order; the first unknown one is the error. */
static int convert_fields(struct fakeapi_fsel *sel, const struct span *lhs,
                          struct kbuf *msg)
{
    size_t i;
    int rc;

    for (i = 0; i < sel->n; i++) {
        if (lookup_field(lhs[i].p, lhs[i].n, &sel->terms[i].field))
            continue;
        rc = kbuf_addf(msg, "field label not supported: %.*s", (int)lhs[i].n,
                       lhs[i].p);
        return rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
    }
    return FAKEAPI_OK;
}

int fakeapi__fsel_parse(const char *text, struct fakeapi_fsel **out,
                        json_t **status)
{
    struct fakeapi_fsel *sel = NULL;
    struct span *parts = NULL;
    struct span *lhs = NULL;
    struct kbuf msg;
    size_t nparts = 0;
    size_t len;
    int rc;

    *out = NULL;
    if (status)
        *status = NULL;
    text = text ? text : "";
    len = strlen(text);
    kbuf_init(&msg, MSG_CAP);
    if (len > FAKEAPI_SELECTOR_MAX) {
        rc = kbuf_addf(&msg,
                       "field selector is too long: may not be more "
                       "than %d bytes",
                       FAKEAPI_SELECTOR_MAX);
        rc = rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
        goto out;
    }
    /* splitTerms of "" is no term at all. */
    rc = len > 0 ? split_terms(text, len, &parts, &nparts) : FAKEAPI_OK;
    sel = rc == FAKEAPI_OK ? calloc(1, sizeof(*sel)) : NULL;
    if (sel && nparts > 0) {
        sel->terms = calloc(nparts, sizeof(*sel->terms));
        lhs = calloc(nparts, sizeof(*lhs));
    }
    if (!sel || (nparts > 0 && (!sel->terms || !lhs))) {
        rc = FAKEAPI_E_NOMEM;
        goto out;
    }
    rc = parse_terms(text, parts, nparts, sel, lhs, &msg);
    if (rc == FAKEAPI_OK)
        rc = convert_fields(sel, lhs, &msg);
out:
    if (rc == FAKEAPI_OK) {
        *out = sel;
        sel = NULL;
    } else if (rc == FAKEAPI_E_INVALID && status) {
        *status = bad_request(&msg);
    }
    fakeapi__fsel_free(sel);
    free(lhs);
    free(parts);
    kbuf_release(&msg);
    return rc;
}

void fakeapi__fsel_free(struct fakeapi_fsel *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        free(s->terms[i].value);
    free(s->terms);
    free(s);
}

/* A borrowed string with its length ("" for anything not a string). */
struct str {
    const char *p;
    size_t n;
};

static struct str str_of(const json_t *v)
{
    struct str s = {"", 0};

    if (json_is_string(v)) {
        s.p = json_string_value(v);
        s.n = json_string_length(v);
    }
    return s;
}

static struct str member(const json_t *obj, const char *a, const char *b)
{
    return str_of(json_object_get(json_object_get(obj, a), b));
}

/*
 * status.podIP as the server sees it: the v1 -> internal conversion keeps
 * status.podIP when it is set (it wins over a different podIPs[0], "for
 * compatibility with older kubelets"), else takes status.podIPs; the
 * selectable field is then the internal podIPs[0].ip, or "".
 */
static struct str pod_ip(const json_t *status)
{
    struct str ip = str_of(json_object_get(status, "podIP"));
    const json_t *ips = json_object_get(status, "podIPs");

    if (ip.n > 0 || json_array_size(ips) == 0)
        return ip;
    return str_of(json_object_get(json_array_get(ips, 0), "ip"));
}

/*
 * One selectable field of a v1 Pod (ToSelectableFields after conversion
 * to the internal type). Every field is present, so a missing one reads
 * as "". spec.serviceAccountName falls back to the deprecated
 * spec.serviceAccount; spec.hostNetwork is "true" only for JSON true.
 * status.podIPs passes the label conversion but is not in the field set:
 * fields.Set.Get gives "" for it, so `status.podIPs=` matches every pod,
 * `status.podIPs!=` none, and any other value the reverse.
 */
static struct str pod_field(const json_t *pod, enum pod_field f)
{
    static const struct str empty = {"", 0};
    const json_t *spec = json_object_get(pod, "spec");
    struct str s;

    switch (f) {
    case PF_NAME:
        return member(pod, "metadata", "name");
    case PF_NAMESPACE:
        return member(pod, "metadata", "namespace");
    case PF_NODE_NAME:
        return member(pod, "spec", "nodeName");
    case PF_RESTART_POLICY:
        return member(pod, "spec", "restartPolicy");
    case PF_SCHEDULER_NAME:
        return member(pod, "spec", "schedulerName");
    case PF_SERVICE_ACCOUNT:
        s = member(pod, "spec", "serviceAccountName");
        return s.n > 0 ? s : member(pod, "spec", "serviceAccount");
    case PF_HOST_NETWORK:
        s.p = json_is_true(json_object_get(spec, "hostNetwork")) ? "true"
                                                                 : "false";
        s.n = strlen(s.p);
        return s;
    case PF_PHASE:
        return member(pod, "status", "phase");
    case PF_POD_IP:
        return pod_ip(json_object_get(pod, "status"));
    case PF_NOMINATED_NODE:
        return member(pod, "status", "nominatedNodeName");
    case PF_POD_IPS:
    default:
        return empty;
    }
}

void fakeapi__fields_of(const json_t *pod, struct fakeapi_fields *f)
{
    size_t i;

    for (i = 0; i < FAKEAPI_NFIELDS; i++) {
        struct str v = pod_field(pod, (enum pod_field)i);

        f->v[i] = v.p;
        f->n[i] = v.n;
    }
}

bool fakeapi__fsel_matches_fields(const struct fakeapi_fsel *s,
                                  const struct fakeapi_fields *f)
{
    size_t i;

    for (i = 0; s && i < s->n; i++) {
        const struct fterm *t = &s->terms[i];
        size_t k = (size_t)t->field;
        bool eq = span_cmp(f->v[k] ? f->v[k] : "", f->v[k] ? f->n[k] : 0,
                           t->value, t->len) == 0;

        if (eq == t->neq)
            return false;
    }
    return true;
}

bool fakeapi__fsel_is_empty(const struct fakeapi_fsel *s)
{
    return !s || s->n == 0;
}

bool fakeapi__fsel_matches(const struct fakeapi_fsel *s, const json_t *pod)
{
    size_t i;

    for (i = 0; s && i < s->n; i++) {
        const struct fterm *t = &s->terms[i];
        struct str v = pod_field(pod, t->field);
        bool eq = span_cmp(v.p, v.n, t->value, t->len) == 0;

        if (eq == t->neq)
            return false;
    }
    return true;
}

/* RequiresExactMatch: the first hasTerm on the field, in term order. */
const char *fakeapi__fsel_exact(const struct fakeapi_fsel *s, const char *field)
{
    enum pod_field f;
    size_t i;

    if (!s || !field || !lookup_field(field, strlen(field), &f))
        return NULL;
    for (i = 0; i < s->n; i++) {
        if (!s->terms[i].neq && s->terms[i].field == f)
            return s->terms[i].value;
    }
    return NULL;
}
