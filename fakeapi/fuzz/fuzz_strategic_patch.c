/*
 * fuzz_strategic_patch: libFuzzer harness for the strategic patch path of the
 * PATCH engine (fakeapi/src/patch*.c). The input is the request body; it is
 * applied to a fixed Pod. Beyond crashes and leaks, the harness checks the
 * contract of fakeapi__patch_apply(): exactly one of result and Status,
 * the result an object, the Status code one the engine may answer, and
 * the stored Pod untouched.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "patch/patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char pod_json[] =
    "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\","
    "\"namespace\":\"default\",\"resourceVersion\":\"7\",\"labels\":{\"app\":"
    "\"a\",\"micro.mu/type\":\"service\"},\"annotations\":{\"k\":\"v\"},"
    "\"finalizers\":[\"f/a\",\"f/b\"],\"ownerReferences\":[{\"uid\":\"u1\","
    "\"kind\":\"ReplicaSet\",\"name\":\"rs\"}]},\"spec\":{\"containers\":["
    "{\"name\":\"app\",\"image\":\"i:1\",\"ports\":[{\"containerPort\":80,"
    "\"protocol\":\"TCP\"}],\"env\":[{\"name\":\"A\",\"value\":\"1\"}],"
    "\"volumeMounts\":[{\"name\":\"d\",\"mountPath\":\"/d\"}],\"args\":"
    "[\"x\",\"y\"]},{\"name\":\"side\",\"image\":\"s:1\"}],\"volumes\":[{"
    "\"name\":\"d\",\"emptyDir\":{}}],\"tolerations\":[{\"key\":\"t\","
    "\"operator\":\"Exists\"}],\"schedulingGates\":[{\"name\":\"g\"}]},"
    "\"status\":{\"phase\":\"Running\",\"podIPs\":[{\"ip\":\"10.0.0.1\"}],"
    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},{\"type\":"
    "\"PodScheduled\",\"status\":\"True\"}]}}";

static int allowed(int code)
{
    return code == 400 || code == 413 || code == 422 || code == 500 ||
           code == 504;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *pod = json_loads(pod_json, 0, NULL);
    json_t *copy = json_deep_copy(pod);
    json_t *st = NULL;
    json_t *res;

    if (!pod || !copy)
        abort();
    res = fakeapi__patch_apply(FAKEAPI_PATCH_STRATEGIC, pod, (const char *)data,
                               size, &st);
    if (!res == !st)
        abort();
    if (res && !json_is_object(res))
        abort();
    if (st && !allowed((int)json_integer_value(json_object_get(st, "code"))))
        abort();
    if (!json_equal(pod, copy))
        abort();
    if (res) {
        char *text = json_dumps(res, JSON_COMPACT);

        free(text);
    }
    json_decref(res);
    json_decref(st);
    json_decref(copy);
    json_decref(pod);
    return 0;
}
