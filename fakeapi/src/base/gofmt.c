/*
 * gofmt: Go's fmt verbs %v and %s on decoded JSON values.
 *
 * The strategic merge patch errors the server does not type reach the
 * client as err.Error(), which Go builds with fmt: "map: map[image:x] does
 * not contain declared merge key: name". These helpers print a jansson
 * value the way fmt prints the interface{} Go decoded from the same JSON.
 */
#include "base/gofmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper values print as "..." (Go has no limit; messages do). */
#define GOFMT_MAX_DEPTH 64

/* jansson's iterators take a non-const json_t; the values are only read. */
static json_t *iterable(const json_t *v)
{
    json_t *p;

    memcpy(&p, &v, sizeof(p));
    return p;
}

static void add(struct kbuf *b, const char *s, size_t n)
{
    size_t len = kbuf_len(b);

    if (len >= FAKEAPI_GOFMT_CAP)
        return;
    if (n > FAKEAPI_GOFMT_CAP - len)
        n = FAKEAPI_GOFMT_CAP - len;
    kbuf_add(b, s, n);
}

static void adds(struct kbuf *b, const char *s)
{
    add(b, s, strlen(s));
}

/* strconv.FormatFloat(f, 'g', -1, 64), as %v prints a float64: the
 * shortest digits that read back as @p f, in %e form when the exponent is
 * below -4 or at least 6 (the precision Go uses for shortest output). */
static void add_float(struct kbuf *b, double f)
{
    char e[40];
    char digits[24];
    char out[48];
    size_t nd = 0;
    int exp;
    int prec;
    char *p;

    for (prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, f);
        if (strtod(e, NULL) == f)
            break;
    }
    p = e;
    if (*p == '-') {
        adds(b, "-");
        p++;
    }
    for (; *p && *p != 'e'; p++) {
        if (*p != '.' && nd < sizeof(digits) - 1)
            digits[nd++] = *p;
    }
    digits[nd] = '\0';
    exp = *p ? (int)strtol(p + 1, NULL, 10) : 0;
    if (nd == 1 && digits[0] == '0') {
        adds(b, "0");
        return;
    }
    if (exp < -4 || exp >= 6) {
        snprintf(out, sizeof(out), "%c%s%se%c%02d", digits[0],
                 nd > 1 ? "." : "", digits + 1, exp < 0 ? '-' : '+',
                 exp < 0 ? -exp : exp);
    } else if (exp < 0) {
        snprintf(out, sizeof(out), "0.%.*s%s", -exp - 1, "0000", digits);
    } else if ((size_t)exp + 1 >= nd) {
        snprintf(out, sizeof(out), "%s%.*s", digits,
                 (int)((size_t)exp + 1 - nd), "000000");
    } else {
        snprintf(out, sizeof(out), "%.*s.%s", exp + 1, digits,
                 digits + exp + 1);
    }
    adds(b, out);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print(struct kbuf *b, const json_t *v, char verb, int depth);

/* fmt prints a map's entries sorted by key (internal/fmtsort). */
static void print_map(struct kbuf *b, const json_t *v, char verb, int depth)
{
    size_t n = json_object_size(v);
    const char **keys;
    const char *k;
    json_t *x;
    size_t i = 0;

    keys = n ? malloc(n * sizeof(*keys)) : NULL;
    adds(b, "map[");
    if (keys) {
        json_object_foreach(iterable(v), k, x)
        {
            keys[i++] = k;
        }
        qsort(keys, n, sizeof(*keys), cmp_keys);
        for (i = 0; i < n && kbuf_len(b) < FAKEAPI_GOFMT_CAP; i++) {
            if (i > 0)
                adds(b, " ");
            adds(b, keys[i]);
            adds(b, ":");
            print(b, json_object_get(v, keys[i]), verb, depth + 1);
        }
        free(keys);
    }
    adds(b, "]");
}

static void print_scalar(struct kbuf *b, const json_t *v)
{
    char num[32];

    switch (json_typeof(v)) {
    case JSON_STRING:
        add(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        adds(b, num);
        break;
    case JSON_REAL:
        add_float(b, json_real_value(v));
        break;
    case JSON_TRUE:
        adds(b, "true");
        break;
    case JSON_FALSE:
        adds(b, "false");
        break;
    default:
        adds(b, "<nil>");
        break;
    }
}

static void print(struct kbuf *b, const json_t *v, char verb, int depth)
{
    size_t i;

    if (depth > GOFMT_MAX_DEPTH) {
        adds(b, "...");
        return;
    }
    if (json_is_object(v)) {
        print_map(b, v, verb, depth);
        return;
    }
    if (json_is_array(v)) {
        adds(b, "[");
        for (i = 0; i < json_array_size(v) && kbuf_len(b) < FAKEAPI_GOFMT_CAP;
             i++) {
            if (i > 0)
                adds(b, " ");
            print(b, json_array_get(v, i), verb, depth + 1);
        }
        adds(b, "]");
        return;
    }
    if (verb == 's' && !json_is_string(v)) {
        /* fmt's bad-verb form: %!s(int64=1), %!s(<nil>) */
        adds(b, "%!s(");
        if (!json_is_null(v)) {
            adds(b, fakeapi__gofmt_type(v));
            adds(b, "=");
        }
        print_scalar(b, v);
        adds(b, ")");
        return;
    }
    print_scalar(b, v);
}

void fakeapi__gofmt_v(struct kbuf *b, const json_t *v)
{
    print(b, v, 'v', 0);
}

void fakeapi__gofmt_s(struct kbuf *b, const json_t *v)
{
    print(b, v, 's', 0);
}

const char *fakeapi__gofmt_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "map[string]interface {}";
    case JSON_ARRAY:
        return "[]interface {}";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "int64";
    case JSON_REAL:
        return "float64";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    case JSON_NULL:
    default:
        return "%!s(<nil>)";
    }
}
