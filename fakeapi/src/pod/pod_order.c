/*
 * pod_order: a Pod's members in the order kube-apiserver writes them.
 * encoding/json writes a struct's fields in declaration order
 * (staging/src/k8s.io/api/core/v1/types.go), whatever order the client
 * sent, so the fake puts every member it knows at its Go field's place;
 * members it does not list keep their order after the listed ones.
 * Declared in pod_write.h.
 */
#include "pod/pod_write.h"

#include <stdlib.h>
#include <string.h>

#include "fakeapi.h"

struct order;

struct ofield {
    const char *name;
    const struct order *sub; /* an object, or each object of a list */
};

struct order {
    const struct ofield *fields;
    size_t n;
};

/* A Go map: encoding/json writes its keys sorted. */
static const struct order sorted_map = {NULL, 0};
#define MAP (&sorted_map)

#define NF(a)     (sizeof(a) / sizeof((a)[0]))
#define ORDER(id) static const struct order id = {id##_f, NF(id##_f)}

/* metav1.ObjectMeta */
static const struct ofield meta_f[] = {
    {"name", NULL},
    {"generateName", NULL},
    {"namespace", NULL},
    {"selfLink", NULL},
    {"uid", NULL},
    {"resourceVersion", NULL},
    {"generation", NULL},
    {"creationTimestamp", NULL},
    {"deletionTimestamp", NULL},
    {"deletionGracePeriodSeconds", NULL},
    {"labels", MAP},
    {"annotations", MAP},
    {"ownerReferences", NULL},
    {"finalizers", NULL},
    {"managedFields", NULL},
};
ORDER(meta);

/* v1.ContainerPort */
static const struct ofield port_f[] = {
    {"name", NULL},     {"hostPort", NULL}, {"containerPort", NULL},
    {"protocol", NULL}, {"hostIP", NULL},
};
ORDER(port);

/* v1.EnvVar */
static const struct ofield env_f[] = {
    {"name", NULL},
    {"value", NULL},
    {"valueFrom", NULL},
};
ORDER(env);

/* v1.ResourceRequirements */
static const struct ofield resources_f[] = {
    {"limits", MAP},
    {"requests", MAP},
    {"claims", NULL},
};
ORDER(resources);

/* v1.VolumeMount */
static const struct ofield mount_f[] = {
    {"name", NULL},        {"readOnly", NULL}, {"recursiveReadOnly", NULL},
    {"mountPath", NULL},   {"subPath", NULL},  {"mountPropagation", NULL},
    {"subPathExpr", NULL},
};
ORDER(mount);

/* v1.Container (and the EphemeralContainerCommon fields in the same
 * order, plus targetContainerName) */
static const struct ofield container_f[] = {
    {"name", NULL},
    {"image", NULL},
    {"command", NULL},
    {"args", NULL},
    {"workingDir", NULL},
    {"ports", &port},
    {"envFrom", NULL},
    {"env", &env},
    {"resources", &resources},
    {"resizePolicy", NULL},
    {"restartPolicy", NULL},
    {"restartPolicyRules", NULL},
    {"volumeMounts", &mount},
    {"volumeDevices", NULL},
    {"livenessProbe", NULL},
    {"readinessProbe", NULL},
    {"startupProbe", NULL},
    {"lifecycle", NULL},
    {"terminationMessagePath", NULL},
    {"terminationMessagePolicy", NULL},
    {"imagePullPolicy", NULL},
    {"securityContext", NULL},
    {"stdin", NULL},
    {"stdinOnce", NULL},
    {"tty", NULL},
    {"targetContainerName", NULL},
};
ORDER(container);

/* v1.Toleration */
static const struct ofield toleration_f[] = {
    {"key", NULL},    {"operator", NULL},          {"value", NULL},
    {"effect", NULL}, {"tolerationSeconds", NULL},
};
ORDER(toleration);

/* v1.PodSpec */
static const struct ofield spec_f[] = {
    {"volumes", NULL},
    {"initContainers", &container},
    {"containers", &container},
    {"ephemeralContainers", &container},
    {"restartPolicy", NULL},
    {"terminationGracePeriodSeconds", NULL},
    {"activeDeadlineSeconds", NULL},
    {"dnsPolicy", NULL},
    {"nodeSelector", MAP},
    {"serviceAccountName", NULL},
    {"serviceAccount", NULL},
    {"automountServiceAccountToken", NULL},
    {"nodeName", NULL},
    {"hostNetwork", NULL},
    {"hostPID", NULL},
    {"hostIPC", NULL},
    {"shareProcessNamespace", NULL},
    {"securityContext", NULL},
    {"imagePullSecrets", NULL},
    {"hostname", NULL},
    {"subdomain", NULL},
    {"affinity", NULL},
    {"schedulerName", NULL},
    {"tolerations", &toleration},
    {"hostAliases", NULL},
    {"priorityClassName", NULL},
    {"priority", NULL},
    {"dnsConfig", NULL},
    {"readinessGates", NULL},
    {"runtimeClassName", NULL},
    {"enableServiceLinks", NULL},
    {"preemptionPolicy", NULL},
    {"overhead", MAP},
    {"topologySpreadConstraints", NULL},
    {"setHostnameAsFQDN", NULL},
    {"os", NULL},
    {"hostUsers", NULL},
    {"schedulingGates", NULL},
    {"resourceClaims", NULL},
    {"resources", &resources},
};
ORDER(spec);

/* v1.PodCondition */
static const struct ofield condition_f[] = {
    {"type", NULL},          {"observedGeneration", NULL}, {"status", NULL},
    {"lastProbeTime", NULL}, {"lastTransitionTime", NULL}, {"reason", NULL},
    {"message", NULL},
};
ORDER(condition);

/* v1.PodStatus */
static const struct ofield status_f[] = {
    {"observedGeneration", NULL},
    {"phase", NULL},
    {"conditions", &condition},
    {"message", NULL},
    {"reason", NULL},
    {"nominatedNodeName", NULL},
    {"hostIP", NULL},
    {"hostIPs", NULL},
    {"podIP", NULL},
    {"podIPs", NULL},
    {"startTime", NULL},
    {"initContainerStatuses", NULL},
    {"containerStatuses", NULL},
    {"qosClass", NULL},
    {"ephemeralContainerStatuses", NULL},
    {"resize", NULL},
    {"resourceClaimStatuses", NULL},
};
ORDER(status);

/* v1.Pod, TypeMeta inlined first */
static const struct ofield pod_f[] = {
    {"kind", NULL},  {"apiVersion", NULL}, {"metadata", &meta},
    {"spec", &spec}, {"status", &status},
};
ORDER(pod);

static int reorder(json_t *obj, const struct order *o);

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Rebuild the map @p obj with its keys in byte order. */
/* json_copy(@p obj), or NULL: jansson's shallow copy of an object drops
 * a member it cannot insert and still succeeds (value.c,
 * json_object_copy). */
static json_t *whole_copy(json_t *obj)
{
    json_t *c = json_copy(obj);

    if (c && json_object_size(c) != json_object_size(obj)) {
        json_decref(c);
        c = NULL;
    }
    return c;
}

static int sort_keys(json_t *obj)
{
    size_t n = json_object_size(obj);
    const char **keys;
    json_t *rest;
    const char *k;
    json_t *v;
    size_t i = 0;
    int rc = 0;

    if (n < 2)
        return 0; /* qsort takes no NULL array */
    keys = calloc(n, sizeof(*keys));
    rest = whole_copy(obj);
    if (!keys || !rest) {
        free(keys);
        json_decref(rest);
        return -1;
    }
    json_object_foreach(rest, k, v) keys[i++] = k;
    qsort(keys, n, sizeof(*keys), cmp_key);
    json_object_clear(obj);
    for (i = 0; i < n && rc == 0; i++)
        rc = json_object_set(obj, keys[i], json_object_get(rest, keys[i]));
    free(keys);
    json_decref(rest);
    return rc;
}

/* Order @p v as @p o says: an object, or each object of a list. */
static int reorder_value(json_t *v, const struct order *o)
{
    json_t *e;
    size_t i;

    if (o == MAP)
        return json_is_object(v) ? sort_keys(v) : 0;
    if (json_is_object(v))
        return reorder(v, o);
    json_array_foreach(v, i, e)
    {
        if (json_is_object(e) && reorder(e, o) != 0)
            return -1;
    }
    return 0;
}

/* Rebuild @p obj with its listed members first, in the table's order.
 * jansson keeps insertion order, so clear and insert again. */
static int reorder(json_t *obj, const struct order *o)
{
    json_t *rest = whole_copy(obj);
    const char *k;
    json_t *v;
    size_t i;
    int rc = 0;

    if (!rest)
        return -1;
    json_object_clear(obj);
    for (i = 0; i < o->n && rc == 0; i++) {
        v = json_object_get(rest, o->fields[i].name);
        if (!v)
            continue;
        if (o->fields[i].sub && reorder_value(v, o->fields[i].sub) != 0)
            rc = -1;
        else if (json_object_set(obj, o->fields[i].name, v) != 0)
            rc = -1;
        json_object_del(rest, o->fields[i].name);
    }
    json_object_foreach(rest, k, v)
    {
        if (rc == 0 && json_object_set(obj, k, v) != 0)
            rc = -1;
    }
    json_decref(rest);
    return rc;
}

/* ObjectMeta's maps and lists are `omitempty`
 * (k8s.io/apimachinery/pkg/apis/meta/v1/types.go, ObjectMeta): Go's
 * encoding/json leaves an empty one out, so a pod whose last label or
 * annotation a patch removed has no "labels"/"annotations" member. */
static void drop_empty_meta(json_t *obj)
{
    static const char *const keys[] = {"labels", "annotations", "finalizers",
                                       "ownerReferences"};
    json_t *m = json_object_get(obj, "metadata");
    size_t i;
    json_t *v;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        v = json_object_get(m, keys[i]);
        if ((json_is_object(v) && json_object_size(v) == 0) ||
            (json_is_array(v) && json_array_size(v) == 0))
            json_object_del(m, keys[i]);
    }
}

int fakeapi__pod_order(json_t *obj)
{
    if (!json_is_object(obj))
        return FAKEAPI_E_INVALID;
    drop_empty_meta(obj);
    return reorder(obj, &pod) == 0 ? FAKEAPI_OK : FAKEAPI_E_NOMEM;
}
