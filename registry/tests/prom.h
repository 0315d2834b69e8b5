/*
 * prom: a strict reader of the Prometheus text exposition format 0.0.4
 * for the metrics tests (test_e2e_metrics.c). Header-only, like e2e.h;
 * include it after <cmocka.h>'s prerequisites.
 *
 * It takes what the format allows (prometheus/docs, content/docs/
 * instrumenting/exposition_formats.md, Text format details) and a little
 * less, as kreg writes it: every line ends in a line feed, no blank line,
 * no timestamp, one space between parts. "# HELP" and "# TYPE" come once
 * per family, before its samples and in that order; a sample's name is
 * its family's (counter and gauge families, the only types kreg writes);
 * a counter family ends in _total; names and label names match the
 * format's patterns; a label value holds only the escapes \\, \" and \n
 * and is valid UTF-8; a value is a number strtod() reads whole, or +Inf,
 * -Inf, NaN; no series (name and labels) comes twice; the text is valid
 * UTF-8. What it read is kept for lookups: prom_value().
 */
#ifndef KREG_TESTS_PROM_H
#define KREG_TESTS_PROM_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kutf8.h"

#define PROM_MAX_SAMPLES  256
#define PROM_MAX_FAMILIES 32
#define PROM_MAX_LABELS   4
#define PROM_NAME_MAX     128
#define PROM_VALUE_MAX    256

struct prom_label {
    char name[PROM_NAME_MAX];
    char value[PROM_VALUE_MAX]; /* unescaped */
};

struct prom_sample {
    char name[PROM_NAME_MAX];
    size_t nlabels;
    struct prom_label labels[PROM_MAX_LABELS];
    double value;
};

struct prom_family {
    char name[PROM_NAME_MAX];
    char type[16];
    bool has_type;
    size_t samples;
};

struct prom {
    size_t nsamples;
    struct prom_sample samples[PROM_MAX_SAMPLES];
    size_t nfamilies;
    struct prom_family families[PROM_MAX_FAMILIES];
    char error[256]; /* why the text was refused, with its line */
};

/* Refuse the text: a reason with the line number; returns false. */
static inline bool prom_fail(struct prom *p, int line, const char *why)
{
    snprintf(p->error, sizeof(p->error), "line %d: %s", line, why);
    return false;
}

static inline bool prom_is_name_start(char c, bool colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (colon && c == ':');
}

static inline bool prom_is_name_char(char c, bool colon)
{
    return prom_is_name_start(c, colon) || (c >= '0' && c <= '9');
}

/* A metric name (@p colon) or label name at *@p s into @p out; moves *s
 * past it. */
static inline bool prom_name(const char **s, bool colon, char *out)
{
    size_t n = 0;

    if (!prom_is_name_start(**s, colon))
        return false;
    while (prom_is_name_char((*s)[n], colon) && n + 1 < PROM_NAME_MAX) {
        out[n] = (*s)[n];
        n++;
    }
    out[n] = '\0';
    *s += n;
    return !prom_is_name_char(**s, colon);
}

/* A quoted label value at *@p s (after its opening quote), unescaped into
 * @p out; moves *s past the closing quote. */
static inline bool prom_label_value(const char **s, char *out)
{
    size_t n = 0;

    while (**s != '"') {
        char c = **s;

        if (c == '\0' || c == '\n' || n + 2 >= PROM_VALUE_MAX)
            return false;
        if (c == '\\') {
            char e = (*s)[1];

            if (e != '\\' && e != '"' && e != 'n')
                return false;
            out[n++] = e == 'n' ? '\n' : e;
            *s += 2;
            continue;
        }
        out[n++] = c;
        (*s)++;
    }
    out[n] = '\0';
    (*s)++;
    return true;
}

/* Whether @p s (NUL-terminated) is valid UTF-8. */
static inline bool prom_utf8(const char *s)
{
    size_t n = strlen(s);
    size_t i = 0;

    while (i < n) {
        size_t w = kutf8_decode(s + i, n - i, 0, NULL);

        if (w == 0)
            return false;
        i += w;
    }
    return true;
}

static inline bool prom_number(const char *s, double *v)
{
    char *end = NULL;

    if (strcmp(s, "+Inf") == 0 || strcmp(s, "-Inf") == 0) {
        *v = s[0] == '+' ? INFINITY : -INFINITY;
        return true;
    }
    if (strcmp(s, "NaN") == 0) {
        *v = NAN;
        return true;
    }
    if (!*s || *s == ' ')
        return false;
    *v = strtod(s, &end);
    return end && *end == '\0';
}

static inline struct prom_family *prom_family_of(struct prom *p,
                                                 const char *name)
{
    size_t i;

    for (i = 0; i < p->nfamilies; i++)
        if (strcmp(p->families[i].name, name) == 0)
            return &p->families[i];
    return NULL;
}

/* "# HELP name text" or "# TYPE name type". */
static inline bool prom_comment(struct prom *p, int ln, const char *s)
{
    bool help = strncmp(s, "# HELP ", 7) == 0;
    bool type = strncmp(s, "# TYPE ", 7) == 0;
    char name[PROM_NAME_MAX];
    struct prom_family *f;

    if (!help && !type)
        return prom_fail(p, ln, "a comment other than HELP or TYPE");
    s += 7;
    if (!prom_name(&s, true, name) || *s != ' ')
        return prom_fail(p, ln, "a bad metric name in HELP or TYPE");
    s++;
    f = prom_family_of(p, name);
    if (help) {
        if (f)
            return prom_fail(p, ln, "a second HELP, or HELP after TYPE");
        if (p->nfamilies == PROM_MAX_FAMILIES)
            return prom_fail(p, ln, "too many families");
        f = &p->families[p->nfamilies++];
        snprintf(f->name, sizeof(f->name), "%s", name);
        for (; *s; s++)
            if (*s == '\\' && s[1] != '\\' && s[1] != 'n')
                return prom_fail(p, ln, "a bad escape in HELP");
            else if (*s == '\\')
                s++;
        return true;
    }
    if (!f || f->has_type || f->samples > 0)
        return prom_fail(p, ln, "TYPE without HELP first, or twice");
    if (strcmp(s, "counter") != 0 && strcmp(s, "gauge") != 0)
        return prom_fail(p, ln, "a type kreg does not write");
    snprintf(f->type, sizeof(f->type), "%s", s);
    f->has_type = true;
    if (strcmp(s, "counter") == 0 &&
        (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total") != 0))
        return prom_fail(p, ln, "a counter whose name does not end in _total");
    return true;
}

static inline bool prom_same_series(const struct prom_sample *a,
                                    const struct prom_sample *b)
{
    size_t i;

    if (strcmp(a->name, b->name) != 0 || a->nlabels != b->nlabels)
        return false;
    for (i = 0; i < a->nlabels; i++)
        if (strcmp(a->labels[i].name, b->labels[i].name) != 0 ||
            strcmp(a->labels[i].value, b->labels[i].value) != 0)
            return false;
    return true;
}

/* The labels of a sample, after its '{'; moves *@p s past the '}'. */
static inline bool prom_labels(const char **s, struct prom_sample *x)
{
    while (**s != '}') {
        struct prom_label *l;
        size_t i;

        if (x->nlabels == PROM_MAX_LABELS)
            return false;
        l = &x->labels[x->nlabels];
        if (!prom_name(s, false, l->name) || **s != '=' || (*s)[1] != '"')
            return false;
        *s += 2;
        if (!prom_label_value(s, l->value) || !prom_utf8(l->value))
            return false;
        for (i = 0; i < x->nlabels; i++)
            if (strcmp(x->labels[i].name, l->name) == 0)
                return false;
        x->nlabels++;
        if (**s == ',')
            (*s)++;
        else if (**s != '}')
            return false;
    }
    (*s)++;
    return true;
}

static inline bool prom_sample_line(struct prom *p, int ln, const char *s)
{
    struct prom_sample *x;
    struct prom_family *f;
    size_t i;

    if (p->nsamples == PROM_MAX_SAMPLES)
        return prom_fail(p, ln, "too many samples");
    x = &p->samples[p->nsamples];
    memset(x, 0, sizeof(*x));
    if (!prom_name(&s, true, x->name))
        return prom_fail(p, ln, "a bad metric name");
    f = prom_family_of(p, x->name);
    if (!f || !f->has_type)
        return prom_fail(p, ln, "a sample before its HELP and TYPE");
    if (f != &p->families[p->nfamilies - 1])
        return prom_fail(p, ln, "a sample away from its family's group");
    if (*s == '{') {
        s++;
        if (!prom_labels(&s, x))
            return prom_fail(p, ln, "bad labels");
    }
    if (*s != ' ' || !prom_number(s + 1, &x->value))
        return prom_fail(p, ln, "a bad value (or a timestamp)");
    for (i = 0; i < p->nsamples; i++)
        if (prom_same_series(&p->samples[i], x))
            return prom_fail(p, ln, "a series twice");
    f->samples++;
    p->nsamples++;
    return true;
}

/* Read @p text; false (and p->error) when it breaks a rule above. */
static inline bool prom_parse(struct prom *p, const char *text)
{
    const char *s = text;
    int ln = 0;

    memset(p, 0, sizeof(*p));
    if (!prom_utf8(text))
        return prom_fail(p, 0, "not UTF-8");
    if (!*text || text[strlen(text) - 1] != '\n')
        return prom_fail(p, 0, "empty, or no line feed at the end");
    while (*s) {
        const char *nl = strchr(s, '\n');
        char line[1024];
        size_t n = (size_t)(nl - s);
        bool ok;

        ln++;
        if (n == 0 || n >= sizeof(line))
            return prom_fail(p, ln, "an empty or overlong line");
        memcpy(line, s, n);
        line[n] = '\0';
        ok = line[0] == '#' ? prom_comment(p, ln, line)
                            : prom_sample_line(p, ln, line);
        if (!ok)
            return false;
        s = nl + 1;
    }
    return true;
}

/*
 * The value of the series @p name with the labels @p labels ("a=x,b=y",
 * the values unescaped, in the order written; "" for none); -1 when the
 * text has no such series.
 */
static inline double prom_value(const struct prom *p, const char *name,
                                const char *labels)
{
    size_t i;

    for (i = 0; i < p->nsamples; i++) {
        const struct prom_sample *x = &p->samples[i];
        char have[1024] = "";
        size_t k;

        if (strcmp(x->name, name) != 0)
            continue;
        for (k = 0; k < x->nlabels; k++) {
            size_t len = strlen(have);

            snprintf(have + len, sizeof(have) - len, "%s%s=%s", k ? "," : "",
                     x->labels[k].name, x->labels[k].value);
        }
        if (strcmp(have, labels) == 0)
            return x->value;
    }
    return -1;
}

/* The type of family @p name ("counter", "gauge"), or NULL. */
static inline const char *prom_type(const struct prom *p, const char *name)
{
    size_t i;

    for (i = 0; i < p->nfamilies; i++)
        if (strcmp(p->families[i].name, name) == 0)
            return p->families[i].type;
    return NULL;
}

#endif
