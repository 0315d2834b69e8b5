#include "pod/pod.h"

#include <stdint.h>
#include <string.h>

#include "fakeapi.h"

/*
 * Spec defaults (pkg/apis/core/v1/defaults.go, run when the body is
 * decoded, so on create and on every update) and the admission plugins
 * that mutate a new pod (ServiceAccount, DefaultTolerationSeconds,
 * Priority). The projected kube-api-access-* volume that ServiceAccount
 * admission adds is pod_admit.c's, as it needs a random name.
 */

/* The two tolerations DefaultTolerationSeconds admission adds. */
static const char *const default_toleration_keys[] = {
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
};

/* Built-in PriorityClasses; any other class name is taken as priority 0
 * (a real server would answer 403 for an unknown class). */
static const struct {
    const char *name;
    long long value;
} builtin_priorities[] = {
    {"system-node-critical", 2000001000},
    {"system-cluster-critical", 2000000000},
};

/* The object member @p key of @p parent, created as {} when missing or
 * null; NULL when out of memory or when it holds a non-object. */
static json_t *obj_child(json_t *parent, const char *key)
{
    json_t *v = json_object_get(parent, key);

    if (json_is_object(v))
        return v;
    if (v && !json_is_null(v))
        return NULL;
    v = json_object();
    if (json_object_set_new(parent, key, v) != 0)
        return NULL;
    return v;
}

static bool is_set_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s && *s;
}

/* Set a string member unless it already holds a non-empty string (Go
 * reads "", null and a missing member alike as unset). */
static int default_str(json_t *o, const char *key, const char *value)
{
    if (is_set_str(o, key))
        return 0;
    return json_object_set_new(o, key, json_string(value));
}

/* Set a pointer-typed member (int64, bool) unless present and non-null. */
static int default_value(json_t *o, const char *key, json_t *value)
{
    json_t *cur = json_object_get(o, key);

    if (cur && !json_is_null(cur)) {
        json_decref(value);
        return 0;
    }
    return json_object_set_new(o, key, value);
}

/* Copy @p src's member @p key to @p dst (deep), or remove it from @p dst
 * when @p src has none. */
static int copy_member(json_t *dst, const json_t *src, const char *key)
{
    json_t *v = json_object_get(src, key);

    if (!v) {
        json_object_del(dst, key);
        return 0;
    }
    return json_object_set_new(dst, key, json_deep_copy(v));
}

/* True when @p c is a character of a lower-case repository path. */
static bool is_repo_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '/';
}

/*
 * SetDefaults_Container: parsers.ParseImageName yields tag "latest" for a
 * reference with neither tag nor digest; "latest" pulls Always, anything
 * else (another tag, a digest, an unparsable reference) IfNotPresent.
 */
static const char *pull_policy_for(const char *image)
{
    const char *at;
    const char *slash;
    const char *colon;
    const char *p;
    size_t name_len;

    if (!image || !*image)
        return "IfNotPresent";
    at = strchr(image, '@');
    name_len = at ? (size_t)(at - image) : strlen(image);
    slash = memchr(image, '/', name_len);
    /* A first component with '.', ':' or "localhost" (or upper case) is a
     * registry host and may hold upper case and a port; skip it. */
    p = image;
    if (slash) {
        size_t first = (size_t)(slash - image);
        bool host = memchr(image, '.', first) || memchr(image, ':', first) ||
                    (first == 9 && memcmp(image, "localhost", 9) == 0);

        for (size_t i = 0; i < first && !host; i++)
            host = image[i] >= 'A' && image[i] <= 'Z';
        if (host)
            p = slash + 1;
    }
    colon = NULL;
    for (const char *q = p; q < image + name_len; q++) {
        if (*q == ':')
            colon = q;
        else if (!colon && !is_repo_char(*q))
            return "IfNotPresent"; /* invalid reference format */
    }
    if (colon && colon + 1 == image + name_len)
        return "IfNotPresent"; /* "name:" is invalid */
    if (colon)
        return strncmp(colon + 1, "latest", 6) == 0 &&
                       colon + 7 == image + name_len
                   ? "Always"
                   : "IfNotPresent";
    return at ? "IfNotPresent" : "Always";
}

/* SetDefaults_Container and SetDefaults_ContainerPort. */
static int default_container(json_t *c)
{
    const char *image = json_string_value(json_object_get(c, "image"));
    json_t *ports = json_object_get(c, "ports");
    json_t *port;
    size_t i;

    if (default_str(c, "imagePullPolicy", pull_policy_for(image)) != 0 ||
        default_str(c, "terminationMessagePath", "/dev/termination-log") != 0 ||
        default_str(c, "terminationMessagePolicy", "File") != 0 ||
        !obj_child(c, "resources"))
        return FAKEAPI_E_NOMEM;
    json_array_foreach(ports, i, port)
    {
        if (json_is_object(port) && default_str(port, "protocol", "TCP") != 0)
            return FAKEAPI_E_NOMEM;
    }
    return FAKEAPI_OK;
}

/* SetDefaults_Pod: a container with limits but no request for a resource
 * requests its limit. */
static int default_requests(json_t *c)
{
    json_t *res = json_object_get(c, "resources");
    json_t *limits = json_object_get(res, "limits");
    json_t *requests;
    const char *key;
    json_t *v;

    if (!json_is_object(limits) || json_object_size(limits) == 0)
        return FAKEAPI_OK;
    requests = obj_child(res, "requests");
    if (!requests)
        return FAKEAPI_E_NOMEM;
    json_object_foreach(limits, key, v)
    {
        if (json_object_get(requests, key))
            continue;
        if (json_object_set_new(requests, key, json_deep_copy(v)) != 0)
            return FAKEAPI_E_NOMEM;
    }
    return FAKEAPI_OK;
}

static int default_containers(json_t *spec, const char *key)
{
    json_t *list = json_object_get(spec, key);
    json_t *c;
    size_t i;

    json_array_foreach(list, i, c)
    {
        if (!json_is_object(c))
            continue;
        if (default_container(c) != FAKEAPI_OK ||
            default_requests(c) != FAKEAPI_OK)
            return FAKEAPI_E_NOMEM;
    }
    return FAKEAPI_OK;
}

/*
 * v1 conversion keeps one service account name: serviceAccountName, else
 * the deprecated serviceAccount; on the way out serviceAccount mirrors it.
 */
static int normalize_service_account(json_t *spec, bool create)
{
    const char *name =
        json_string_value(json_object_get(spec, "serviceAccountName"));
    json_t *v;

    if (!name || !*name)
        name = json_string_value(json_object_get(spec, "serviceAccount"));
    if ((!name || !*name) && create)
        name = "default"; /* ServiceAccount admission */
    if (!name || !*name) {
        json_object_del(spec, "serviceAccountName");
        json_object_del(spec, "serviceAccount");
        return FAKEAPI_OK;
    }
    v = json_string(name); /* copy first: @p name may be freed below */
    if (!v || json_object_set_new(spec, "serviceAccountName", v) != 0 ||
        json_object_set(spec, "serviceAccount", v) != 0)
        return FAKEAPI_E_NOMEM;
    return FAKEAPI_OK;
}

/* SetDefaults_PodSpec and SetDefaults_Pod (pod-level part). */
static int default_spec(json_t *spec, bool create)
{
    if (default_str(spec, "restartPolicy", "Always") != 0 ||
        default_str(spec, "dnsPolicy", "ClusterFirst") != 0 ||
        !obj_child(spec, "securityContext") ||
        default_value(spec, "terminationGracePeriodSeconds",
                      json_integer(30)) != 0 ||
        default_str(spec, "schedulerName", "default-scheduler") != 0 ||
        default_value(spec, "enableServiceLinks", json_true()) != 0 ||
        default_containers(spec, "initContainers") != FAKEAPI_OK ||
        default_containers(spec, "containers") != FAKEAPI_OK ||
        normalize_service_account(spec, create) != FAKEAPI_OK)
        return FAKEAPI_E_NOMEM;
    return FAKEAPI_OK;
}

/* Does an existing toleration cover @p key's NoExecute taint? Its key is
 * that key or empty, its effect NoExecute or empty. */
static bool tolerates(const json_t *tolerations, const char *key)
{
    const json_t *t;
    size_t i;

    json_array_foreach(tolerations, i, t)
    {
        const char *k = json_string_value(json_object_get(t, "key"));
        const char *e = json_string_value(json_object_get(t, "effect"));

        if ((!k || !*k || strcmp(k, key) == 0) &&
            (!e || !*e || strcmp(e, "NoExecute") == 0))
            return true;
    }
    return false;
}

/* DefaultTolerationSeconds admission (create and update). */
static int default_tolerations(json_t *spec)
{
    json_t *list = json_object_get(spec, "tolerations");
    size_t i;

    for (i = 0; i < 2; i++) {
        const char *key = default_toleration_keys[i];
        json_t *t;

        if (tolerates(list, key))
            continue;
        if (!json_is_array(list)) {
            list = json_array();
            if (json_object_set_new(spec, "tolerations", list) != 0)
                return FAKEAPI_E_NOMEM;
        }
        t = json_pack("{s:s, s:s, s:s, s:i}", "key", key, "operator", "Exists",
                      "effect", "NoExecute", "tolerationSeconds", 300);
        if (json_array_append_new(list, t) != 0)
            return FAKEAPI_E_NOMEM;
    }
    return FAKEAPI_OK;
}

/* Priority admission on create: the class's value (0 without a class or
 * default class) and preemptionPolicy PreemptLowerPriority. */
static int default_priority(json_t *spec)
{
    const char *cls =
        json_string_value(json_object_get(spec, "priorityClassName"));
    long long value = 0;
    size_t i;

    for (i = 0;
         cls && i < sizeof(builtin_priorities) / sizeof(builtin_priorities[0]);
         i++) {
        if (strcmp(cls, builtin_priorities[i].name) == 0)
            value = builtin_priorities[i].value;
    }
    if (default_value(spec, "priority", json_integer(value)) != 0 ||
        default_str(spec, "preemptionPolicy", "PreemptLowerPriority") != 0)
        return FAKEAPI_E_NOMEM;
    return FAKEAPI_OK;
}

/* docs/kubernetes-api.md, Pod create: status discarded on create and replaced
 * by Pending, the QoS class and, for a gated pod, PodScheduled=False
 * SchedulingGated (strategy.go PrepareForCreate,
 * applySchedulingGatedCondition). */
static int fresh_status(json_t *pod, const json_t *spec, const char *now)
{
    json_t *gates = json_object_get(spec, "schedulingGates");
    json_t *status;
    json_t *cond;

    status = json_pack("{s:s, s:s}", "phase", "Pending", "qosClass",
                       fakeapi__pod_qos_class(pod));
    if (json_object_set_new(pod, "status", status) != 0)
        return FAKEAPI_E_NOMEM;
    if (json_array_size(gates) == 0)
        return FAKEAPI_OK;
    cond = json_pack("{s:s, s:s, s:n, s:s, s:s, s:s}", "type", "PodScheduled",
                     "status", "False", "lastProbeTime", "lastTransitionTime",
                     now ? now : "", "reason", "SchedulingGated", "message",
                     "Scheduling is blocked due to non-empty scheduling "
                     "gates");
    if (json_object_set_new(status, "conditions", json_pack("[o]", cond)) != 0)
        return FAKEAPI_E_NOMEM;
    return FAKEAPI_OK;
}

int fakeapi__pod_prepare_create(json_t *pod, const char *now)
{
    json_t *meta;
    json_t *spec;

    if (!json_is_object(pod))
        return FAKEAPI_E_INVALID;
    meta = obj_child(pod, "metadata");
    spec = obj_child(pod, "spec");
    if (!meta || !spec)
        return json_is_object(json_object_get(pod, "spec")) &&
                       json_is_object(json_object_get(pod, "metadata"))
                   ? FAKEAPI_E_NOMEM
                   : FAKEAPI_E_INVALID;
    /* rest.BeforeCreate: a new object is never being deleted;
     * strategy.go PrepareForCreate: a pod starts at generation 1. */
    json_object_del(meta, "deletionTimestamp");
    json_object_del(meta, "deletionGracePeriodSeconds");
    if (json_object_set_new(meta, "generation", json_integer(1)) != 0)
        return FAKEAPI_E_NOMEM;
    if (default_spec(spec, true) != FAKEAPI_OK ||
        default_tolerations(spec) != FAKEAPI_OK ||
        default_priority(spec) != FAKEAPI_OK)
        return FAKEAPI_E_NOMEM;
    return fresh_status(pod, spec, now);
}

/* rest.BeforeUpdate and the strategies: what an update cannot change.
 * 0 or -1. */
static int keep_immutable_meta(json_t *new, const json_t *old)
{
    static const char *const keys[] = {
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    };
    const json_t *ometa = json_object_get(old, "metadata");
    json_t *meta = obj_child(new, "metadata");
    const json_t *given = json_object_get(new, "metadata");
    size_t i;

    if (!meta) /* not an object (validation's), or none could be made */
        return given && !json_is_null(given) ? 0 : -1;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (copy_member(meta, ometa, keys[i]) != 0)
            return -1;
    return 0;
}

/* strategy.go updatePodGeneration: a changed spec moves the generation
 * one past the stored one. 0 or -1. */
static int bump_generation(json_t *new, const json_t *old)
{
    const json_t *ometa = json_object_get(old, "metadata");
    json_int_t gen = json_integer_value(json_object_get(ometa, "generation"));
    json_t *meta = json_object_get(new, "metadata");

    if (!json_is_object(meta) ||
        json_equal(json_object_get(new, "spec"), json_object_get(old, "spec")))
        return 0;
    return json_object_set_new(meta, "generation", json_integer(gen + 1));
}

int fakeapi__pod_prepare_update(json_t *new, const json_t *old)
{
    const json_t *ospec = json_object_get(old, "spec");
    json_t *spec;

    if (!json_is_object(new) || !json_is_object(old))
        return FAKEAPI_E_INVALID;
    /* docs/kubernetes-api.md, Pod update: status reset to the stored one on
     * update. */
    if (copy_member(new, old, "status") != 0 ||
        keep_immutable_meta(new, old) != 0)
        return FAKEAPI_E_NOMEM;
    spec = json_object_get(new, "spec");
    if (!json_is_object(spec))
        return FAKEAPI_OK;
    /* Decoding defaults the spec again; DefaultTolerationSeconds runs on
     * updates too; Priority admission keeps the stored values. */
    if (default_spec(spec, false) != FAKEAPI_OK ||
        default_tolerations(spec) != FAKEAPI_OK)
        return FAKEAPI_E_NOMEM;
    if (!json_object_get(spec, "priority") &&
        copy_member(spec, ospec, "priority") != 0)
        return FAKEAPI_E_NOMEM;
    if (!json_object_get(spec, "preemptionPolicy") &&
        copy_member(spec, ospec, "preemptionPolicy") != 0)
        return FAKEAPI_E_NOMEM;
    return bump_generation(new, old) == 0 ? FAKEAPI_OK : FAKEAPI_E_NOMEM;
}

/* Convert_v1_PodStatus_To_core_PodStatus and back: the single-IP field is
 * authoritative and becomes the list's first entry; an empty single-IP
 * field is read from the list. 0 or -1. */
static int normalize_ips(json_t *status, const char *one, const char *many)
{
    const char *ip = json_string_value(json_object_get(status, one));
    json_t *list = json_object_get(status, many);
    const char *first =
        json_string_value(json_object_get(json_array_get(list, 0), "ip"));

    if (ip && *ip && (!first || strcmp(first, ip) != 0))
        return json_object_set_new(status, many,
                                   json_pack("[{s:s}]", "ip", ip));
    if ((!ip || !*ip) && first && *first)
        return json_object_set_new(status, one, json_string(first));
    return 0;
}

/* metav1.Time without omitempty: a condition's unset times are null.
 * 0 or -1. */
static int null_condition_times(json_t *conditions)
{
    static const char *const keys[] = {"lastProbeTime", "lastTransitionTime"};
    json_t *c;
    size_t i;
    size_t k;

    json_array_foreach(conditions, i, c)
    {
        for (k = 0; json_is_object(c) && k < 2; k++) {
            if (!json_object_get(c, keys[k]) &&
                json_object_set_new(c, keys[k], json_null()) != 0)
                return -1;
        }
    }
    return 0;
}

int fakeapi__pod_prepare_status_update(json_t *new, const json_t *old)
{
    const json_t *ostatus = json_object_get(old, "status");
    json_t *status;
    json_t *meta;

    if (!json_is_object(new) || !json_is_object(old))
        return FAKEAPI_E_INVALID;
    /* docs/kubernetes-api.md, The status subresource: spec, deletionTimestamp
     * and ownerReferences are reset; labels and annotations are applied. */
    if (copy_member(new, old, "spec") != 0 ||
        keep_immutable_meta(new, old) != 0)
        return FAKEAPI_E_NOMEM;
    meta = json_object_get(new, "metadata");
    if (meta && copy_member(meta, json_object_get(old, "metadata"),
                            "ownerReferences") != 0)
        return FAKEAPI_E_NOMEM;
    status = obj_child(new, "status");
    if (!status) /* not an object (validation's), or none could be made */
        return json_object_get(new, "status") &&
                       !json_is_null(json_object_get(new, "status"))
                   ? FAKEAPI_OK
                   : FAKEAPI_E_NOMEM;
    if (!is_set_str(status, "qosClass") &&
        json_object_get(ostatus, "qosClass") &&
        copy_member(status, ostatus, "qosClass") != 0)
        return FAKEAPI_E_NOMEM;
    if (null_condition_times(json_object_get(status, "conditions")) != 0 ||
        normalize_ips(status, "podIP", "podIPs") != 0 ||
        normalize_ips(status, "hostIP", "hostIPs") != 0)
        return FAKEAPI_E_NOMEM;
    return FAKEAPI_OK;
}

/* jansson's iteration API takes a mutable object even to read it; this
 * is the one place the const is dropped, and nothing is written. */
static json_t *unconst(const json_t *j)
{
    return (json_t *)(uintptr_t)j;
}

/* Compare two metadata objects, skipping resourceVersion/managedFields. */
static bool meta_equal(const json_t *a, const json_t *b)
{
    const char *key;
    json_t *v;

    json_object_foreach(unconst(a), key, v)
    {
        if (strcmp(key, "resourceVersion") == 0 ||
            strcmp(key, "managedFields") == 0)
            continue;
        if (!json_equal(v, json_object_get(b, key)))
            return false;
    }
    json_object_foreach(unconst(b), key, v)
    {
        if (strcmp(key, "resourceVersion") == 0 ||
            strcmp(key, "managedFields") == 0)
            continue;
        if (!json_object_get(a, key))
            return false;
    }
    return true;
}

bool fakeapi__json_equal_ignoring_rv(const json_t *a, const json_t *b)
{
    const char *key;
    json_t *v;

    if (!json_is_object(a) || !json_is_object(b))
        return json_equal(a, b);
    json_object_foreach(unconst(a), key, v)
    {
        const json_t *w = json_object_get(b, key);

        if (strcmp(key, "metadata") == 0) {
            if (!json_is_object(v) || !json_is_object(w))
                return json_equal(v, w);
            if (!meta_equal(v, w))
                return false;
        } else if (!json_equal(v, w)) {
            return false;
        }
    }
    json_object_foreach(unconst(b), key, v)
    {
        if (!json_object_get(a, key))
            return false;
    }
    return true;
}

const char *fakeapi__pod_phase(const json_t *pod)
{
    const char *p = json_string_value(
        json_object_get(json_object_get(pod, "status"), "phase"));

    return p ? p : "";
}
