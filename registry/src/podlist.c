#include "podlist.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Nesting the skipper follows; deeper input is refused (jansson itself
 * stops at 2048). */
#define MAX_DEPTH 512

struct scan {
    const char *p;
    size_t len;
    size_t i;
    char *why;
};

static bool fail(struct scan *s, const char *what)
{
    if (s->why)
        snprintf(s->why, 128, "%.80s at byte %zu", what, s->i);
    return false;
}

static void ws(struct scan *s)
{
    while (s->i < s->len && (s->p[s->i] == ' ' || s->p[s->i] == '\t' ||
                             s->p[s->i] == '\n' || s->p[s->i] == '\r'))
        s->i++;
}

static bool expect(struct scan *s, char c)
{
    ws(s);
    if (s->i >= s->len || s->p[s->i] != c)
        return fail(s, "unexpected character");
    s->i++;
    return true;
}

/* Skip a string starting at its opening quote; @p key (optional) gets
 * its raw bytes (escapes left as they are: member names here have none). */
static bool skip_string(struct scan *s, const char **key, size_t *klen)
{
    size_t start;

    if (s->i >= s->len || s->p[s->i] != '"')
        return fail(s, "expected a string");
    start = ++s->i;
    while (s->i < s->len && s->p[s->i] != '"') {
        if (s->p[s->i] == '\\')
            s->i++;
        s->i++;
    }
    if (s->i >= s->len)
        return fail(s, "unterminated string");
    if (key) {
        *key = s->p + start;
        *klen = s->i - start;
    }
    s->i++;
    return true;
}

/* Skip any value without building it (no recursion, no allocation);
 * jansson checks the members we keep. */
static bool skip_value(struct scan *s)
{
    unsigned depth = 0;

    ws(s);
    for (;;) {
        char c;

        if (s->i >= s->len)
            return fail(s, "truncated value");
        c = s->p[s->i];
        if (c == '"') {
            if (!skip_string(s, NULL, NULL))
                return false;
        } else if (c == '{' || c == '[') {
            if (++depth > MAX_DEPTH)
                return fail(s, "nesting too deep");
            s->i++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return fail(s, "unbalanced bracket");
            depth--;
            s->i++;
        } else if (depth == 0) {
            /* a number or a literal: up to the next delimiter */
            size_t start = s->i;

            while (s->i < s->len && !strchr(",}] \t\r\n", s->p[s->i]))
                s->i++;
            return s->i > start ? true : fail(s, "expected a value");
        } else {
            s->i++;
        }
        if (depth == 0)
            return true;
    }
}

/* Parse the value at the cursor with jansson. */
static json_t *take_value(struct scan *s)
{
    json_error_t jerr;
    json_t *v;

    ws(s);
    v = json_loadb(s->p + s->i, s->len - s->i,
                   JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &jerr);
    if (!v) {
        fail(s, jerr.text);
        return NULL;
    }
    s->i += jerr.position;
    return v;
}

static bool key_is(const char *k, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(k, want, n) == 0;
}

/*
 * Walk the members of the object at the cursor; members named in
 * @p keep are parsed into @p out, the rest skipped. @p on_items, when
 * set, handles the "items" member instead.
 */
static bool walk_object(struct scan *s, json_t *out, const char *const *keep,
                        bool (*on_items)(struct scan *, json_t *))
{
    if (!expect(s, '{'))
        return false;
    ws(s);
    if (s->i < s->len && s->p[s->i] == '}') {
        s->i++;
        return true;
    }
    for (;;) {
        const char *k;
        size_t n;
        size_t j;
        bool kept = false;

        ws(s);
        if (!skip_string(s, &k, &n) || !expect(s, ':'))
            return false;
        if (on_items && key_is(k, n, "items")) {
            if (!on_items(s, out))
                return false;
            kept = true;
        }
        for (j = 0; !kept && keep[j]; j++) {
            if (key_is(k, n, keep[j])) {
                json_t *v = take_value(s);

                if (!v)
                    return false;
                json_object_set_new(out, keep[j], v);
                kept = true;
            }
        }
        if (!kept && !skip_value(s))
            return false;
        ws(s);
        if (s->i < s->len && s->p[s->i] == ',') {
            s->i++;
            continue;
        }
        return expect(s, '}');
    }
}

static bool items(struct scan *s, json_t *list)
{
    static const char *const keep[] = {"metadata", "status", NULL};
    json_t *arr = json_array();

    json_object_set_new(list, "items", arr);
    if (!expect(s, '['))
        return false;
    ws(s);
    if (s->i < s->len && s->p[s->i] == ']') {
        s->i++;
        return true;
    }
    for (;;) {
        json_t *pod = json_object();

        if (!pod || json_array_append_new(arr, pod) != 0 ||
            !walk_object(s, pod, keep, NULL))
            return false;
        ws(s);
        if (s->i < s->len && s->p[s->i] == ',') {
            s->i++;
            continue;
        }
        return expect(s, ']');
    }
}

json_t *kreg__podlist_parse(const char *text, size_t len, char *why)
{
    static const char *const keep[] = {"metadata", NULL};
    struct scan s = {text, len, 0, why};
    json_t *list = json_object();

    if (!list)
        return NULL;
    if (!walk_object(&s, list, keep, items)) {
        json_decref(list);
        return NULL;
    }
    ws(&s);
    if (s.i != s.len || !json_is_array(json_object_get(list, "items"))) {
        fail(&s, s.i != s.len ? "trailing data" : "no items");
        json_decref(list);
        return NULL;
    }
    return list;
}
