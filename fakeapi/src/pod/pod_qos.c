/* pod_qos: the QoS class the server stores in status.qosClass
 * (docs/kubernetes-api.md, Pod create, pkg/apis/core/helper/qos ComputePodQOS).
 * Declared in pod.h. */
#include "pod/pod.h"

#include <stdio.h>
#include <string.h>

#include "pod/quantity.h"

/* A quantity member read as Quantity.UnmarshalJSON would (string or
 * number); false when missing or malformed. */
static bool qty_of(const json_t *v, struct fakeapi_quantity *q)
{
    char num[40];
    int n;

    if (json_is_string(v))
        return fakeapi__quantity_parse(json_string_value(v),
                                       json_string_length(v),
                                       q) == FAKEAPI_QTY_OK;
    if (json_is_integer(v))
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
    else if (json_is_real(v))
        n = snprintf(num, sizeof(num), "%.17g", json_real_value(v));
    else
        return false;
    if (n < 0 || (size_t)n >= sizeof(num))
        return false;
    return fakeapi__quantity_parse(num, (size_t)n, q) == FAKEAPI_QTY_OK;
}

/* Per-resource sums over the containers, for cpu and memory only
 * (isSupportedQoSComputeResource). */
struct qos_sums {
    struct fakeapi_quantity req[2];
    struct fakeapi_quantity lim[2];
    bool has_req[2];
    bool has_lim[2];
    bool guaranteed;
};

static const char *const qos_resources[2] = {"cpu", "memory"};

static void qos_add_container(struct qos_sums *s, const json_t *c)
{
    const json_t *res = json_object_get(c, "resources");
    const json_t *requests = json_object_get(res, "requests");
    const json_t *limits = json_object_get(res, "limits");
    int found_limits = 0;
    int r;

    for (r = 0; r < 2; r++) {
        const json_t *lv = json_object_get(limits, qos_resources[r]);
        const json_t *rv = json_object_get(requests, qos_resources[r]);
        struct fakeapi_quantity q;

        /* SetDefaults_Pod: a missing request defaults to the limit. */
        if (!rv)
            rv = lv;
        if (qty_of(rv, &q) && fakeapi__quantity_is_positive(&q)) {
            fakeapi__quantity_add(&s->req[r], &q);
            s->has_req[r] = true;
        }
        if (qty_of(lv, &q) && fakeapi__quantity_is_positive(&q)) {
            fakeapi__quantity_add(&s->lim[r], &q);
            s->has_lim[r] = true;
            found_limits++;
        }
    }
    if (found_limits < 2)
        s->guaranteed = false;
}

/* qos.ComputePodQOS: BestEffort without any cpu/memory request or limit;
 * Guaranteed when every container limits both and the summed requests
 * equal the summed limits; Burstable otherwise. */
const char *fakeapi__pod_qos_class(const json_t *pod)
{
    static const char *const lists[2] = {"containers", "initContainers"};
    const json_t *spec = json_object_get(pod, "spec");
    struct qos_sums s;
    const json_t *c;
    size_t i;
    int l;
    int r;

    memset(&s, 0, sizeof(s));
    s.guaranteed = true;
    for (l = 0; l < 2; l++) {
        json_array_foreach(json_object_get(spec, lists[l]), i, c)
            qos_add_container(&s, c);
    }
    if (!s.has_req[0] && !s.has_req[1] && !s.has_lim[0] && !s.has_lim[1])
        return "BestEffort";
    for (r = 0; r < 2 && s.guaranteed; r++) {
        if (s.has_req[r] != s.has_lim[r] ||
            (s.has_req[r] && fakeapi__quantity_cmp(&s.req[r], &s.lim[r]) != 0))
            s.guaranteed = false;
    }
    return s.guaranteed ? "Guaranteed" : "Burstable";
}
