/*
 * pod_decode: the type checks the server's JSON decoder applies to a Pod
 * body (docs/kubernetes-api.md, Pod create: "Decode errors give 400 `Pod in
 * version "v1" cannot be handled as a Pod: ...`"). Declared in pod.h.
 *
 * The server decodes into Go structs with sigs.k8s.io/json (encoding/json
 * semantics): null leaves a field at its zero value, unknown fields are
 * dropped, and the first type mismatch in document order is reported as
 * `json: cannot unmarshal <json type> into Go struct field <Struct>.<path>
 * of type <Go type>`, <path> being the dotted JSON path from the root
 * without array indexes or map keys. Quantities report their own parse
 * error. The tables below describe the fields clients send; members not
 * listed are not checked (the fake keeps them as sent).
 */
#include "pod/pod.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/status.h"
#include "kbuf.h"
#include "pod/quantity.h"

enum jkind {
    K_STRING,  /* string or a named string type */
    K_INT64,   /* int64, *int64 */
    K_INT32,   /* int32, *int32 */
    K_BOOL,    /* bool, *bool */
    K_TIME,    /* metav1.Time: RFC 3339 string */
    K_STRMAP,  /* map[string]string */
    K_STRLIST, /* []string */
    K_QTYMAP,  /* v1.ResourceList: name -> Quantity */
    K_OBJECT,  /* a struct, fields in sub */
    K_LIST,    /* a slice of structs, fields in sub */
    K_ANYOBJ,  /* a struct whose fields are not checked */
    K_ANYLIST, /* a slice of such structs */
};

struct jstruct;

struct jfield {
    const char *name; /* JSON name */
    enum jkind kind;
    const char *gotype;        /* Go type, as reflect prints it */
    const struct jstruct *sub; /* K_OBJECT and K_LIST */
};

struct jstruct {
    const char *goname; /* the struct's name in messages */
    const struct jfield *fields;
    size_t n;
};

#define NF(a) (sizeof(a) / sizeof((a)[0]))
#define STR(n)                                                                 \
    {                                                                          \
        n, K_STRING, "string", NULL                                            \
    }
#define NAMED(n, t)                                                            \
    {                                                                          \
        n, K_STRING, t, NULL                                                   \
    }
#define I64(n)                                                                 \
    {                                                                          \
        n, K_INT64, "int64", NULL                                              \
    }
#define I32(n)                                                                 \
    {                                                                          \
        n, K_INT32, "int32", NULL                                              \
    }
#define BOOL(n)                                                                \
    {                                                                          \
        n, K_BOOL, "bool", NULL                                                \
    }
#define TIME(n)                                                                \
    {                                                                          \
        n, K_TIME, "string", NULL                                              \
    }
#define ANYOBJ(n, t)                                                           \
    {                                                                          \
        n, K_ANYOBJ, t, NULL                                                   \
    }
#define ANYLIST(n, t)                                                          \
    {                                                                          \
        n, K_ANYLIST, t, NULL                                                  \
    }
#define STRUCT(v, name) static const struct jstruct v = {name, v##_f, NF(v##_f)}

static const struct jfield owner_ref_f[] = {
    STR("apiVersion"),         STR("kind"),        STR("name"),
    NAMED("uid", "types.UID"), BOOL("controller"), BOOL("blockOwnerDeletion"),
};
STRUCT(owner_ref, "OwnerReference");

static const struct jfield object_meta_f[] = {
    STR("name"),
    STR("generateName"),
    STR("namespace"),
    STR("selfLink"),
    NAMED("uid", "types.UID"),
    STR("resourceVersion"),
    I64("generation"),
    TIME("creationTimestamp"),
    TIME("deletionTimestamp"),
    I64("deletionGracePeriodSeconds"),
    {"labels", K_STRMAP, "map[string]string", NULL},
    {"annotations", K_STRMAP, "map[string]string", NULL},
    {"ownerReferences", K_LIST, "[]v1.OwnerReference", &owner_ref},
    {"finalizers", K_STRLIST, "[]string", NULL},
    ANYLIST("managedFields", "[]v1.ManagedFieldsEntry"),
};
STRUCT(object_meta, "ObjectMeta");

static const struct jfield port_f[] = {
    STR("name"),          I32("hostPort"),
    I32("containerPort"), NAMED("protocol", "v1.Protocol"),
    STR("hostIP"),
};
STRUCT(port, "ContainerPort");

static const struct jfield env_f[] = {
    STR("name"),
    STR("value"),
    ANYOBJ("valueFrom", "v1.EnvVarSource"),
};
STRUCT(env, "EnvVar");

static const struct jfield resources_f[] = {
    {"limits", K_QTYMAP, "v1.ResourceList", NULL},
    {"requests", K_QTYMAP, "v1.ResourceList", NULL},
    ANYLIST("claims", "[]v1.ResourceClaim"),
};
STRUCT(resources, "ResourceRequirements");

static const struct jfield container_f[] = {
    STR("name"),
    STR("image"),
    {"command", K_STRLIST, "[]string", NULL},
    {"args", K_STRLIST, "[]string", NULL},
    STR("workingDir"),
    {"ports", K_LIST, "[]v1.ContainerPort", &port},
    ANYLIST("envFrom", "[]v1.EnvFromSource"),
    {"env", K_LIST, "[]v1.EnvVar", &env},
    {"resources", K_OBJECT, "v1.ResourceRequirements", &resources},
    ANYLIST("resizePolicy", "[]v1.ContainerResizePolicy"),
    NAMED("restartPolicy", "v1.ContainerRestartPolicy"),
    ANYLIST("volumeMounts", "[]v1.VolumeMount"),
    ANYLIST("volumeDevices", "[]v1.VolumeDevice"),
    ANYOBJ("livenessProbe", "v1.Probe"),
    ANYOBJ("readinessProbe", "v1.Probe"),
    ANYOBJ("startupProbe", "v1.Probe"),
    ANYOBJ("lifecycle", "v1.Lifecycle"),
    STR("terminationMessagePath"),
    NAMED("terminationMessagePolicy", "v1.TerminationMessagePolicy"),
    NAMED("imagePullPolicy", "v1.PullPolicy"),
    ANYOBJ("securityContext", "v1.SecurityContext"),
    BOOL("stdin"),
    BOOL("stdinOnce"),
    BOOL("tty"),
};
STRUCT(container, "Container");

static const struct jfield toleration_f[] = {
    STR("key"),
    NAMED("operator", "v1.TolerationOperator"),
    STR("value"),
    NAMED("effect", "v1.TaintEffect"),
    I64("tolerationSeconds"),
};
STRUCT(toleration, "Toleration");

static const struct jfield readiness_gate_f[] = {
    NAMED("conditionType", "v1.PodConditionType"),
};
STRUCT(readiness_gate, "PodReadinessGate");

static const struct jfield scheduling_gate_f[] = {STR("name")};
STRUCT(scheduling_gate, "PodSchedulingGate");

static const struct jfield pod_spec_f[] = {
    ANYLIST("volumes", "[]v1.Volume"),
    {"initContainers", K_LIST, "[]v1.Container", &container},
    {"containers", K_LIST, "[]v1.Container", &container},
    ANYLIST("ephemeralContainers", "[]v1.EphemeralContainer"),
    NAMED("restartPolicy", "v1.RestartPolicy"),
    I64("terminationGracePeriodSeconds"),
    I64("activeDeadlineSeconds"),
    NAMED("dnsPolicy", "v1.DNSPolicy"),
    {"nodeSelector", K_STRMAP, "map[string]string", NULL},
    STR("serviceAccountName"),
    STR("serviceAccount"),
    BOOL("automountServiceAccountToken"),
    STR("nodeName"),
    BOOL("hostNetwork"),
    BOOL("hostPID"),
    BOOL("hostIPC"),
    BOOL("shareProcessNamespace"),
    ANYOBJ("securityContext", "v1.PodSecurityContext"),
    ANYLIST("imagePullSecrets", "[]v1.LocalObjectReference"),
    STR("hostname"),
    STR("subdomain"),
    ANYOBJ("affinity", "v1.Affinity"),
    STR("schedulerName"),
    {"tolerations", K_LIST, "[]v1.Toleration", &toleration},
    ANYLIST("hostAliases", "[]v1.HostAlias"),
    STR("priorityClassName"),
    I32("priority"),
    ANYOBJ("dnsConfig", "v1.PodDNSConfig"),
    {"readinessGates", K_LIST, "[]v1.PodReadinessGate", &readiness_gate},
    STR("runtimeClassName"),
    BOOL("enableServiceLinks"),
    NAMED("preemptionPolicy", "v1.PreemptionPolicy"),
    {"overhead", K_QTYMAP, "v1.ResourceList", NULL},
    ANYLIST("topologySpreadConstraints", "[]v1.TopologySpreadConstraint"),
    BOOL("setHostnameAsFQDN"),
    ANYOBJ("os", "v1.PodOS"),
    BOOL("hostUsers"),
    {"schedulingGates", K_LIST, "[]v1.PodSchedulingGate", &scheduling_gate},
    ANYLIST("resourceClaims", "[]v1.PodResourceClaim"),
};
STRUCT(pod_spec, "PodSpec");

static const struct jfield condition_f[] = {
    NAMED("type", "v1.PodConditionType"),
    NAMED("status", "v1.ConditionStatus"),
    TIME("lastProbeTime"),
    TIME("lastTransitionTime"),
    STR("reason"),
    STR("message"),
};
STRUCT(condition, "PodCondition");

static const struct jfield ip_f[] = {STR("ip")};
static const struct jstruct pod_ip = {"PodIP", ip_f, NF(ip_f)};
static const struct jstruct host_ip = {"HostIP", ip_f, NF(ip_f)};

static const struct jfield waiting_f[] = {STR("reason"), STR("message")};
STRUCT(waiting, "ContainerStateWaiting");

static const struct jfield running_f[] = {TIME("startedAt")};
STRUCT(running, "ContainerStateRunning");

static const struct jfield terminated_f[] = {
    I32("exitCode"),   I32("signal"),      STR("reason"),      STR("message"),
    TIME("startedAt"), TIME("finishedAt"), STR("containerID"),
};
STRUCT(terminated, "ContainerStateTerminated");

static const struct jfield state_f[] = {
    {"waiting", K_OBJECT, "v1.ContainerStateWaiting", &waiting},
    {"running", K_OBJECT, "v1.ContainerStateRunning", &running},
    {"terminated", K_OBJECT, "v1.ContainerStateTerminated", &terminated},
};
STRUCT(state, "ContainerState");

static const struct jfield cstatus_f[] = {
    STR("name"),
    {"state", K_OBJECT, "v1.ContainerState", &state},
    {"lastState", K_OBJECT, "v1.ContainerState", &state},
    BOOL("ready"),
    I32("restartCount"),
    STR("image"),
    STR("imageID"),
    STR("containerID"),
    BOOL("started"),
};
STRUCT(cstatus, "ContainerStatus");

static const struct jfield pod_status_f[] = {
    NAMED("phase", "v1.PodPhase"),
    {"conditions", K_LIST, "[]v1.PodCondition", &condition},
    STR("message"),
    STR("reason"),
    STR("nominatedNodeName"),
    STR("hostIP"),
    {"hostIPs", K_LIST, "[]v1.HostIP", &host_ip},
    STR("podIP"),
    {"podIPs", K_LIST, "[]v1.PodIP", &pod_ip},
    TIME("startTime"),
    {"initContainerStatuses", K_LIST, "[]v1.ContainerStatus", &cstatus},
    {"containerStatuses", K_LIST, "[]v1.ContainerStatus", &cstatus},
    NAMED("qosClass", "v1.PodQOSClass"),
    {"ephemeralContainerStatuses", K_LIST, "[]v1.ContainerStatus", &cstatus},
    NAMED("resize", "v1.PodResizeStatus"),
    ANYLIST("resourceClaimStatuses", "[]v1.PodResourceClaimStatus"),
};
STRUCT(pod_status, "PodStatus");

static const struct jfield pod_root_f[] = {
    {"metadata", K_OBJECT, "v1.ObjectMeta", &object_meta},
    {"spec", K_OBJECT, "v1.PodSpec", &pod_spec},
    {"status", K_OBJECT, "v1.PodStatus", &pod_status},
};
STRUCT(pod_root, "Pod");

/* Decoding state: the dotted path so far and the first error. */
struct dctx {
    struct kbuf path;
    struct kbuf msg;
    bool bad;
};

static json_t *unconst(const json_t *j)
{
    return (json_t *)(uintptr_t)j; /* jansson iterators read only */
}

/* How encoding/json names a JSON value in UnmarshalTypeError.Value. */
static void json_kind(struct kbuf *b, const json_t *v, bool literal)
{
    if (json_is_string(v))
        kbuf_adds(b, "string");
    else if (json_is_boolean(v))
        kbuf_adds(b, "bool");
    else if (json_is_object(v))
        kbuf_adds(b, "object");
    else if (json_is_array(v))
        kbuf_adds(b, "array");
    else if (literal && json_is_integer(v))
        kbuf_addf(b, "number %" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (literal && json_is_real(v))
        kbuf_addf(b, "number %.17g", json_real_value(v));
    else
        kbuf_adds(b, "number");
}

static void type_error(struct dctx *c, const json_t *v, const char *sname,
                       const char *gotype, bool literal)
{
    if (c->bad)
        return;
    c->bad = true;
    kbuf_adds(&c->msg, "json: cannot unmarshal ");
    json_kind(&c->msg, v, literal);
    kbuf_addf(&c->msg, " into Go struct field %s.%s of type %s", sname,
              kbuf_str(&c->path), gotype);
}

/* Quantity.UnmarshalJSON: strings and numbers are parsed, anything else
 * fails the format rule. */
static void check_quantity(struct dctx *c, const json_t *v)
{
    char num[40];
    int rc = FAKEAPI_QTY_E_FORMAT;
    int n = -1;

    if (json_is_string(v))
        rc = fakeapi__quantity_parse(json_string_value(v),
                                     json_string_length(v), NULL);
    else if (json_is_integer(v))
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
    else if (json_is_real(v))
        n = snprintf(num, sizeof(num), "%.17g", json_real_value(v));
    if (n > 0 && (size_t)n < sizeof(num))
        rc = fakeapi__quantity_parse(num, (size_t)n, NULL);
    if (rc == FAKEAPI_QTY_OK || c->bad)
        return;
    c->bad = true;
    kbuf_adds(&c->msg, rc == FAKEAPI_QTY_E_SUFFIX ? FAKEAPI_QTY_SUFFIX_MSG
                                                  : FAKEAPI_QTY_FORMAT_MSG);
}

/* metav1.Time: a string in RFC 3339 (the parse error is approximated). */
static void check_time(struct dctx *c, const json_t *v, const char *sname)
{
    time_t t;

    if (!json_is_string(v)) {
        type_error(c, v, sname, "string", false);
        return;
    }
    if (fakeapi__time_parse(json_string_value(v), &t) || c->bad)
        return;
    c->bad = true;
    kbuf_addf(&c->msg,
              "parsing time \"%s\" as \"2006-01-02T15:04:05Z07:00\": cannot "
              "parse \"%s\" as \"2006\"",
              json_string_value(v), json_string_value(v));
}

static void check_struct(struct dctx *c, const json_t *obj,
                         const struct jstruct *st);

/* The members of a map or the elements of a list, each of @p elem_type. */
static void check_elements(struct dctx *c, const json_t *v,
                           const struct jfield *f, const char *sname)
{
    const char *elem = f->gotype + 2; /* "[]T" -> "T" */
    const json_t *e;
    const char *key;
    size_t i;

    if (f->kind == K_STRMAP || f->kind == K_QTYMAP) {
        json_object_foreach(unconst(v), key, e)
        {
            if (json_is_null(e))
                continue;
            if (f->kind == K_QTYMAP)
                check_quantity(c, e);
            else if (!json_is_string(e))
                type_error(c, e, sname, "string", false);
        }
        return;
    }
    json_array_foreach(v, i, e)
    {
        if (json_is_null(e))
            continue;
        if (f->kind == K_STRLIST && !json_is_string(e))
            type_error(c, e, sname, "string", false);
        else if (f->kind != K_STRLIST && !json_is_object(e))
            type_error(c, e, sname, elem, false);
        else if (f->kind == K_LIST)
            check_struct(c, e, f->sub);
    }
}

/* Is @p v of the JSON type the field's kind needs? */
static bool shape_ok(const json_t *v, enum jkind k)
{
    switch (k) {
    case K_STRING:
    case K_TIME:
        return json_is_string(v) || k == K_TIME;
    case K_INT64:
        return json_is_integer(v);
    case K_INT32:
        return json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
               json_integer_value(v) <= INT32_MAX;
    case K_BOOL:
        return json_is_boolean(v);
    case K_STRMAP:
    case K_QTYMAP:
    case K_OBJECT:
    case K_ANYOBJ:
        return json_is_object(v);
    default:
        return json_is_array(v);
    }
}

static void check_field(struct dctx *c, const json_t *v, const struct jfield *f,
                        const char *sname)
{
    size_t mark = kbuf_len(&c->path);

    if (json_is_null(v) || c->bad)
        return;
    if (mark > 0)
        kbuf_addc(&c->path, '.');
    kbuf_adds(&c->path, f->name);
    if (!shape_ok(v, f->kind))
        type_error(c, v, sname, f->gotype,
                   f->kind == K_INT64 || f->kind == K_INT32);
    else if (f->kind == K_TIME)
        check_time(c, v, sname);
    else if (f->kind == K_OBJECT)
        check_struct(c, v, f->sub);
    else if (f->kind != K_STRING && f->kind != K_INT64 && f->kind != K_INT32 &&
             f->kind != K_BOOL && f->kind != K_ANYOBJ)
        check_elements(c, v, f, sname);
    kbuf_truncate(&c->path, mark);
}

/* Members in document order (jansson keeps it), unknown ones skipped. */
static void check_struct(struct dctx *c, const json_t *obj,
                         const struct jstruct *st)
{
    const char *key;
    json_t *v;

    json_object_foreach(unconst(obj), key, v)
    {
        size_t i;

        for (i = 0; i < st->n && !c->bad; i++) {
            if (strcmp(st->fields[i].name, key) == 0)
                check_field(c, v, &st->fields[i], st->goname);
        }
    }
}

/*
 * kind and apiVersion are read first, by the serializer's meta factory,
 * into an anonymous struct; its failure is reported as an unrecognized
 * object with a summary of the body (runtime.transformDecodeError).
 */
static json_t *check_type_meta(const json_t *pod)
{
    static const char *const keys[] = {"apiVersion", "kind"};
    char *body;
    json_t *st;
    size_t i;

    for (i = 0; i < 2; i++) {
        const json_t *v = json_object_get(pod, keys[i]);

        if (!v || json_is_null(v) || json_is_string(v))
            continue;
        body = json_dumps(pod, JSON_COMPACT);
        st = fakeapi__status_bad_request(
            "the object provided is unrecognized (must be of type Pod): "
            "couldn't get version/kind; json parse error: json: cannot "
            "unmarshal %s into Go struct field .%s of type string (%.30s%s)",
            json_is_boolean(v)  ? "bool"
            : json_is_number(v) ? "number"
            : json_is_object(v) ? "object"
                                : "array",
            keys[i], body ? body : "", body && strlen(body) > 30 ? " ..." : "");
        free(body);
        return st;
    }
    return NULL;
}

json_t *fakeapi__pod_decode_check(const json_t *pod)
{
    struct dctx c;
    json_t *st = NULL;

    if (!json_is_object(pod))
        return fakeapi__status_bad_request(
            "the object provided is unrecognized (must be of type Pod): "
            "couldn't get version/kind; json parse error: json: cannot "
            "unmarshal %s into Go value of type struct { APIVersion string "
            "\"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
            "\"json:\\\"kind,omitempty\\\"\" }",
            json_is_array(pod)    ? "array"
            : json_is_string(pod) ? "string"
                                  : "number");
    st = check_type_meta(pod);
    if (st)
        return st;
    kbuf_init(&c.path, 1 << 16);
    kbuf_init(&c.msg, 1 << 20);
    c.bad = false;
    check_struct(&c, pod, &pod_root);
    if (c.bad)
        st = fakeapi__status_bad_request(
            "Pod in version \"v1\" cannot be handled as a Pod: %s",
            kbuf_str(&c.msg));
    kbuf_release(&c.path);
    kbuf_release(&c.msg);
    return st;
}
