/*
 * selector: label selectors (docs/kubernetes-api.md, Label selectors;
 * labels.Parse, Requirement .Matches of k8s.io/apimachinery
 * pkg/labels/selector.go). The Go text rules its messages need are in gotext.c;
 * pod field selectors are in fieldsel.c.
 */
#include "select/selector.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/gotext.h"
#include "base/names.h"
#include "base/status.h"
#include "kbuf.h"
#include "knum.h"

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
        if (fakeapi__gotext_cmp(p->cur.lit, p->cur.len, "in", 2) == 0)
            p->cur.type = T_IN;
        else if (fakeapi__gotext_cmp(p->cur.lit, p->cur.len, "notin", 5) == 0)
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
        kbuf_init(&detail, FAKEAPI_GOTEXT_MSG_CAP);
        rc = kbuf_adds(&detail, "<nil>: Invalid value: ");
        rc |= fakeapi__gotext_add_quoted(&detail, t.lit, t.len);
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
    qsort(p->vals, p->nvals, sizeof(p->vals[0]), fakeapi__gotext_qsort_cmp);
    for (i = 1; i < p->nvals; i++) {
        if (fakeapi__gotext_qsort_cmp(&p->vals[k], &p->vals[i]) != 0)
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

    kbuf_init(&errs, FAKEAPI_GOTEXT_MSG_CAP);
    if ((op == FAKEAPI_LSEL_GT || op == FAKEAPI_LSEL_LT) &&
        !fakeapi__gotext_parse_int64(p->vals[0].p, p->vals[0].n, num)) {
        nerr++;
        rc |= kbuf_adds(&errs, "values[0]: Invalid value: ");
        rc |= fakeapi__gotext_add_quoted(&errs, p->vals[0].p, p->vals[0].n);
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
        rc |= fakeapi__gotext_add_quoted(&errs, v->p, v->n);
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
    r.key = fakeapi__gotext_dup(key.p, key.n);
    if (r.key && p->nvals > 0)
        r.values = calloc(p->nvals, sizeof(*r.values));
    for (i = 0; r.values && i < p->nvals; i++) {
        r.values[i] = fakeapi__gotext_dup(p->vals[i].p, p->vals[i].n);
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
    kbuf_init(&p.msg, FAKEAPI_GOTEXT_MSG_CAP);
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
        *status = fakeapi__status_bad_request_msg(&p.msg);
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
        int c = fakeapi__gotext_cmp(s, n, m, strlen(m));

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
        if (!v || !fakeapi__gotext_parse_int64(v, n, &num))
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
static const char *label_lookup(const struct fakeapi_labels *l, const char *key,
                                size_t *n)
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
