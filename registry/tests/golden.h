/*
 * golden: reading the fixtures of fixtures/golden (written by Go, see
 * fixtures/golden/gen/main.go) from the registry tests. Header-only; each
 * test file includes it once.
 */
#ifndef KREG_TESTS_GOLDEN_H
#define KREG_TESTS_GOLDEN_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Path of fixtures/@p rel: $KREG_FIXTURES (set by ctest), else ./fixtures. */
static inline bool golden_path(const char *rel, char *out, size_t size)
{
    const char *root = getenv("KREG_FIXTURES");
    int n;

    n = snprintf(out, size, "%s/%s", root ? root : "fixtures", rel);
    return n > 0 && (size_t)n < size;
}

/*
 * Read fixtures/@p rel whole into a new buffer (free() it), with a NUL
 * after the @p len_out bytes; NULL if it does not exist.
 */
static inline char *golden_read(const char *rel, size_t *len_out)
{
    char path[4096];
    char *buf = NULL;
    FILE *f;
    long n;

    if (!golden_path(rel, path, sizeof(path)))
        return NULL;
    f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0)
            buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        if (buf) {
            buf[n] = '\0';
            if (len_out)
                *len_out = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

static inline int golden_b64(char c)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *hit = c ? strchr(alphabet, c) : NULL;

    return hit ? (int)(hit - alphabet) : -1;
}

/*
 * A string of cases.json: a JSON string, or {"base64": "..."} for bytes
 * that are not valid UTF-8. Returns a new NUL-terminated heap string, or
 * NULL if @p v is neither.
 */
static inline char *golden_string(const json_t *v)
{
    const char *b64;
    unsigned long acc = 0;
    size_t bits = 0;
    size_t n = 0;
    char *out;
    int d;

    if (json_is_string(v))
        return strdup(json_string_value(v));
    b64 = json_string_value(json_object_get(v, "base64"));
    if (!b64)
        return NULL;
    out = malloc(strlen(b64) + 1);
    if (!out)
        return NULL;
    for (; *b64 && *b64 != '='; b64++) {
        d = golden_b64(*b64);
        if (d < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6 | (unsigned long)d) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((acc >> bits) & 0xFF);
        }
    }
    out[n] = '\0';
    return out;
}

/* fixtures/golden/cases.json, parsed; NULL if missing. json_decref() it. */
static inline json_t *golden_cases(void)
{
    char path[4096];

    if (!golden_path("golden/cases.json", path, sizeof(path)))
        return NULL;
    return json_load_file(path, 0, NULL);
}

#endif
