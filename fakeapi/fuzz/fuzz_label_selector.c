/*
 * fuzz_label_selector: libFuzzer harness for fakeapi__lsel_parse. Parses
 * the input (up to its first NUL, as the server receives a C string),
 * checks the parser's promises, matches a few fixed label sets and frees
 * everything. Any broken promise aborts so the fuzzer records the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/status.h"
#include "select/selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Label sets to match against (NULL first: a pod without labels). */
static const char *const label_sets[] = {
    NULL,
    "{}",
    "{\"app\":\"web\",\"env\":\"prod\",\"n\":\"7\"}",
    "{\"a\":\"\",\"b\":\"1\",\"in\":\"notin\",\"x\":\"-3\"}",
    "{\"example.com/k\":\"v\",\"A\":\"9223372036854775807\"}",
};

static void require(int ok)
{
    if (!ok)
        abort();
}

/* The accessor agrees with the parse: keys sorted, values sorted and
 * unique, value counts as documented. */
static void check_shape(const struct fakeapi_lsel *s)
{
    const char *prev = NULL;
    size_t n = fakeapi__lsel_count(s);
    size_t i;

    require(fakeapi__lsel_is_empty(s) == (n == 0));
    for (i = 0; i < n; i++) {
        const char *const *v = NULL;
        const char *key = NULL;
        size_t nv = 0;
        size_t j;
        int op = 0;

        require(fakeapi__lsel_req(s, i, &op, &key, &nv, &v));
        require(op >= FAKEAPI_LSEL_EQ && op <= FAKEAPI_LSEL_LT);
        require(!prev || strcmp(prev, key) <= 0);
        if (op == FAKEAPI_LSEL_EXISTS || op == FAKEAPI_LSEL_NOT_EXISTS)
            require(nv == 0 && v == NULL);
        else if (op != FAKEAPI_LSEL_IN && op != FAKEAPI_LSEL_NOTIN)
            require(nv == 1);
        else
            require(nv >= 1);
        for (j = 1; j < nv; j++)
            require(strcmp(v[j - 1], v[j]) < 0);
        prev = key;
    }
    require(!fakeapi__lsel_req(s, n, &(int){0}, &(const char *){NULL},
                               &(size_t){0}, &(const char *const *){NULL}));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fakeapi_lsel *s = NULL;
    json_t *st = NULL;
    char *text = malloc(size + 1);
    size_t i;
    int rc;

    if (!text)
        return 0;
    if (size > 0)
        memcpy(text, data, size);
    text[size] = '\0';
    rc = fakeapi__lsel_parse(text, &s, &st);
    if (rc == FAKEAPI_OK) {
        require(s != NULL && st == NULL);
        check_shape(s);
        for (i = 0; i < sizeof(label_sets) / sizeof(label_sets[0]); i++) {
            json_t *l =
                label_sets[i] ? json_loads(label_sets[i], 0, NULL) : NULL;

            (void)fakeapi__lsel_matches(s, l);
            json_decref(l);
        }
    } else if (rc == FAKEAPI_E_INVALID) {
        /* The Status holds a valid UTF-8 message (else jansson refuses). */
        require(s == NULL && st != NULL);
        require(fakeapi__status_code(st) == 400);
        require(json_string_value(json_object_get(st, "message")) != NULL);
    } else {
        require(rc == FAKEAPI_E_NOMEM && s == NULL && st == NULL);
    }
    json_decref(st);
    fakeapi__lsel_free(s);
    free(text);
    return 0;
}
