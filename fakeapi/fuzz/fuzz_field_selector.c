/*
 * fuzz_field_selector: libFuzzer harness for fakeapi__fsel_parse. Parses
 * the input (up to its first NUL), checks the parser's promises, matches a
 * few fixed pods, asks for the index lookups and frees everything. Any
 * broken promise aborts so the fuzzer records the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/status.h"
#include "select/selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const pods[] = {
    "{}",
    "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"prod\"},"
    "\"spec\":{\"nodeName\":\"node-a\",\"restartPolicy\":\"Always\","
    "\"schedulerName\":\"default-scheduler\",\"serviceAccount\":\"old\","
    "\"hostNetwork\":true},"
    "\"status\":{\"phase\":\"Running\",\"podIPs\":[{\"ip\":\"10.0.0.7\"}],"
    "\"nominatedNodeName\":\"node-b\"}}",
    "{\"metadata\":{\"name\":\"a,b=c\\\\d\",\"namespace\":\"default\"},"
    "\"spec\":{\"hostNetwork\":\"yes\"},\"status\":{\"podIP\":\"::1\","
    "\"podIPs\":[{\"ip\":\"10.1.1.1\"}]}}",
    "{\"metadata\":[],\"spec\":null,\"status\":{\"podIPs\":[1,{}]}}",
};

static const char *const fields[] = {
    "metadata.name", "metadata.namespace", "spec.host",
    "status.podIPs", "no.such.field",      "",
};

static void require(int ok)
{
    if (!ok)
        abort();
}

static void exercise(const struct fakeapi_fsel *s)
{
    size_t i;

    for (i = 0; i < sizeof(pods) / sizeof(pods[0]); i++) {
        json_t *pod = json_loads(pods[i], 0, NULL);

        (void)fakeapi__fsel_matches(s, pod);
        json_decref(pod);
    }
    (void)fakeapi__fsel_matches(s, NULL);
    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *v = fakeapi__fsel_exact(s, fields[i]);

        require(!v || strlen(v) <= FAKEAPI_SELECTOR_MAX * 3);
    }
    if (fakeapi__fsel_is_empty(s))
        require(fakeapi__fsel_exact(s, "metadata.name") == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fakeapi_fsel *s = NULL;
    json_t *st = NULL;
    char *text = malloc(size + 1);
    int rc;

    if (!text)
        return 0;
    if (size > 0)
        memcpy(text, data, size);
    text[size] = '\0';
    rc = fakeapi__fsel_parse(text, &s, &st);
    if (rc == FAKEAPI_OK) {
        require(s != NULL && st == NULL);
        exercise(s);
    } else if (rc == FAKEAPI_E_INVALID) {
        require(s == NULL && st != NULL);
        require(fakeapi__status_code(st) == 400);
        require(json_string_value(json_object_get(st, "message")) != NULL);
    } else {
        require(rc == FAKEAPI_E_NOMEM && s == NULL && st == NULL);
    }
    json_decref(st);
    fakeapi__fsel_free(s);
    free(text);
    return 0;
}
