/*
 * pod_table: the server-side Table for pods (docs/kubernetes-api.md, Tables):
 * the column definitions of pkg/printers/internalversion AddHandlers with the
 * 1.32 API descriptions, and the cells printPod computes. The server always
 * generates the wide columns (priority 1); kubectl hides them unless -o wide.
 * Declared in pod.h.
 */
#include "pod/pod.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kbuf.h"

static const struct {
    const char *name;
    const char *type;
    const char *format;
    int priority;
    const char *description;
} pod_columns[] = {
    {"Name", "string", "name", 0,
     "Name must be unique within a namespace. Is required when creating "
     "resources, although some resources may allow a client to request the "
     "generation of an appropriate name automatically. Name is primarily "
     "intended for creation idempotence and configuration definition. Cannot "
     "be updated. More info: "
     "https://kubernetes.io/docs/concepts/overview/working-with-objects/"
     "names#names"},
    {"Ready", "string", "", 0,
     "The aggregate readiness state of this pod for accepting traffic."},
    {"Status", "string", "", 0,
     "The aggregate status of the containers in this pod."},
    {"Restarts", "string", "", 0,
     "The number of times the containers in this pod have been restarted "
     "and when the last container in this pod has restarted."},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created. It is not guaranteed to be set in "
     "happens-before order across separate operations. Clients may not set "
     "this value. It is represented in RFC3339 form and is in UTC.\n\n"
     "Populated by the system. Read-only. Null for lists. More info: "
     "https://git.k8s.io/community/contributors/devel/sig-architecture/"
     "api-conventions.md#metadata"},
    {"IP", "string", "", 1,
     "podIP address allocated to the pod. Routable at least within the "
     "cluster. Empty if not yet allocated."},
    {"Node", "string", "", 1,
     "NodeName indicates in which node this pod is scheduled. If empty, this "
     "pod is a candidate for scheduling by the scheduler defined in "
     "schedulerName. Once this field is set, the kubelet for this node "
     "becomes responsible for the lifecycle of this pod. This field should "
     "not be used to express a desire for the pod to be scheduled on a "
     "specific node. "
     "https://kubernetes.io/docs/concepts/scheduling-eviction/"
     "assign-pod-node/#nodename"},
    {"Nominated Node", "string", "", 1,
     "nominatedNodeName is set only when this pod preempts other pods on the "
     "node, but it cannot be scheduled right away as preemption victims "
     "receive their graceful termination periods. This field does not "
     "guarantee that the pod will be scheduled on this node. Scheduler may "
     "decide to place the pod elsewhere if other nodes become available "
     "sooner. Scheduler may also decide to give the resources on this node "
     "to a higher priority pod that is created after preemption. As a "
     "result, this field may be different than PodSpec.nodeName when the "
     "pod is scheduled."},
    {"Readiness Gates", "string", "", 1,
     "If specified, all readiness gates will be evaluated for pod readiness. "
     "A pod is ready when all its containers are ready AND all conditions "
     "specified in the readiness gates have status equal to \"True\" More "
     "info: https://git.k8s.io/enhancements/keps/sig-network/"
     "580-pod-readiness-gates"},
};

void fakeapi__pod_human_duration(long long s, char *buf, size_t size)
{
    long long m = s / 60;
    long long h = s / 3600;

    if (s < -1)
        snprintf(buf, size, "<invalid>");
    else if (s < 0)
        snprintf(buf, size, "0s");
    else if (s < 120)
        snprintf(buf, size, "%llds", s);
    else if (m < 10 && s % 60 != 0)
        snprintf(buf, size, "%lldm%llds", m, s % 60);
    else if (m < 180)
        snprintf(buf, size, "%lldm", m);
    else if (h < 8 && m % 60 != 0)
        snprintf(buf, size, "%lldh%lldm", h, m % 60);
    else if (h < 48)
        snprintf(buf, size, "%lldh", h);
    else if (h < 24 * 8 && h % 24 != 0)
        snprintf(buf, size, "%lldd%lldh", h / 24, h % 24);
    else if (h < 24 * 365 * 2)
        snprintf(buf, size, "%lldd", h / 24);
    else if (h < 24 * 365 * 8 && (h / 24) % 365 != 0)
        snprintf(buf, size, "%lldy%lldd", h / 24 / 365, (h / 24) % 365);
    else
        snprintf(buf, size, "%lldy", h / 24 / 365);
}

/* What printPod accumulates over the container statuses. */
struct pod_row {
    const json_t *pod;
    time_t now;
    struct kbuf reason;
    long long restarts;
    long long ready;
    long long total;
    time_t last_restart; /* 0 = none */
};

static const char *str_at(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

static const json_t *at(const json_t *o, const char *a, const char *b)
{
    return json_object_get(json_object_get(o, a), b);
}

static void set_reason(struct pod_row *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_reason(struct pod_row *r, const char *fmt, ...)
{
    va_list ap;

    kbuf_reset(&r->reason);
    va_start(ap, fmt);
    kbuf_vaddf(&r->reason, fmt, ap);
    va_end(ap);
}

/* translateTimestampSince: "<unknown>" for a missing time. */
static void since(const char *ts, time_t now, char *buf, size_t size)
{
    time_t t;

    if (!ts || !fakeapi__time_parse(ts, &t))
        snprintf(buf, size, "<unknown>");
    else
        fakeapi__pod_human_duration((long long)(now - t), buf, size);
}

/* Keep the latest lastState.terminated.finishedAt in @p last. */
static void note_restart(const json_t *cs, time_t *last)
{
    const json_t *term = at(cs, "lastState", "terminated");
    const char *fin = json_string_value(json_object_get(term, "finishedAt"));
    time_t t;

    if (fin && fakeapi__time_parse(fin, &t) && t > *last)
        *last = t;
}

/* podutil.IsRestartableInitContainer, looked up by name. */
static bool is_restartable(const json_t *spec, const char *name)
{
    const json_t *c;
    size_t i;

    json_array_foreach(json_object_get(spec, "initContainers"), i, c)
    {
        if (strcmp(str_at(c, "name"), name) == 0)
            return strcmp(str_at(c, "restartPolicy"), "Always") == 0;
    }
    return false;
}

static bool has_condition(const json_t *status, const char *type)
{
    const json_t *c;
    size_t i;

    json_array_foreach(json_object_get(status, "conditions"), i, c)
    {
        if (strcmp(str_at(c, "type"), type) == 0 &&
            strcmp(str_at(c, "status"), "True") == 0)
            return true;
    }
    return false;
}

/* The reason of a terminated state without one: Signal:N or ExitCode:N. */
static void exit_reason(struct pod_row *r, const json_t *term,
                        const char *prefix)
{
    json_int_t sig = json_integer_value(json_object_get(term, "signal"));

    if (sig != 0)
        set_reason(r, "%sSignal:%" JSON_INTEGER_FORMAT, prefix, sig);
    else
        set_reason(r, "%sExitCode:%" JSON_INTEGER_FORMAT, prefix,
                   json_integer_value(json_object_get(term, "exitCode")));
}

/* The init container loop of printPod; true while initializing. For
 * restartable (sidecar) init containers the restarts are kept apart in
 * @p side_restarts / @p side_last. */
static bool scan_init(struct pod_row *r, long long *side_restarts,
                      time_t *side_last)
{
    const json_t *spec = json_object_get(r->pod, "spec");
    const json_t *list = at(r->pod, "status", "initContainerStatuses");
    size_t n = json_array_size(json_object_get(spec, "initContainers"));
    const json_t *cs;
    size_t i;

    json_array_foreach(list, i, cs)
    {
        const json_t *term = at(cs, "state", "terminated");
        const json_t *wait = at(cs, "state", "waiting");
        bool side = is_restartable(spec, str_at(cs, "name"));
        json_int_t rc = json_integer_value(json_object_get(cs, "restartCount"));

        r->restarts += rc;
        note_restart(cs, &r->last_restart);
        if (side) {
            *side_restarts += rc;
            note_restart(cs, side_last);
        }
        if (json_is_object(term) &&
            json_integer_value(json_object_get(term, "exitCode")) == 0)
            continue;
        if (side && json_is_true(json_object_get(cs, "started"))) {
            r->ready += json_is_true(json_object_get(cs, "ready"));
            continue;
        }
        if (json_is_object(term) && *str_at(term, "reason"))
            set_reason(r, "Init:%s", str_at(term, "reason"));
        else if (json_is_object(term))
            exit_reason(r, term, "Init:");
        else if (json_is_object(wait) && *str_at(wait, "reason") &&
                 strcmp(str_at(wait, "reason"), "PodInitializing") != 0)
            set_reason(r, "Init:%s", str_at(wait, "reason"));
        else
            set_reason(r, "Init:%zu/%zu", i, n);
        return true;
    }
    return false;
}

/* The regular container loop of printPod (last to first). */
static void scan_containers(struct pod_row *r)
{
    const json_t *status = json_object_get(r->pod, "status");
    const json_t *list = json_object_get(status, "containerStatuses");
    bool running = false;
    size_t i;

    for (i = json_array_size(list); i-- > 0;) {
        const json_t *cs = json_array_get(list, i);
        const json_t *term = at(cs, "state", "terminated");
        const json_t *wait = at(cs, "state", "waiting");

        r->restarts += json_integer_value(json_object_get(cs, "restartCount"));
        note_restart(cs, &r->last_restart);
        if (json_is_object(wait) && *str_at(wait, "reason")) {
            set_reason(r, "%s", str_at(wait, "reason"));
        } else if (json_is_object(term) && *str_at(term, "reason")) {
            set_reason(r, "%s", str_at(term, "reason"));
        } else if (json_is_object(term)) {
            exit_reason(r, term, "");
        } else if (json_is_true(json_object_get(cs, "ready")) &&
                   json_is_object(at(cs, "state", "running"))) {
            running = true;
            r->ready++;
        }
    }
    if (strcmp(kbuf_str(&r->reason), "Completed") == 0 && running)
        set_reason(r, "%s",
                   has_condition(status, "Ready") ? "Running" : "NotReady");
}

/* printPod's STATUS, READY and RESTARTS state. */
static void compute_status(struct pod_row *r)
{
    const json_t *status = json_object_get(r->pod, "status");
    const json_t *spec = json_object_get(r->pod, "spec");
    const json_t *dt = at(r->pod, "metadata", "deletionTimestamp");
    const char *phase = str_at(status, "phase");
    const json_t *c;
    long long side_restarts = 0;
    time_t side_last = 0;
    size_t i;

    set_reason(r, "%s",
               *str_at(status, "reason") ? str_at(status, "reason") : phase);
    json_array_foreach(json_object_get(status, "conditions"), i, c)
    {
        if (strcmp(str_at(c, "type"), "PodScheduled") == 0 &&
            strcmp(str_at(c, "reason"), "SchedulingGated") == 0)
            set_reason(r, "SchedulingGated");
    }
    r->total = (long long)json_array_size(json_object_get(spec, "containers"));
    json_array_foreach(json_object_get(spec, "initContainers"), i, c)
        r->total += strcmp(str_at(c, "restartPolicy"), "Always") == 0;
    if (!scan_init(r, &side_restarts, &side_last) ||
        has_condition(status, "Initialized")) {
        r->restarts = side_restarts;
        r->last_restart = side_last;
        scan_containers(r);
    }
    /* docs/kubernetes-api.md, Delete: a pod being deleted prints
     * Terminating. */
    if (dt && !json_is_null(dt) &&
        strcmp(str_at(status, "reason"), "NodeLost") == 0)
        set_reason(r, "Unknown");
    else if (dt && !json_is_null(dt) && strcmp(phase, "Succeeded") != 0 &&
             strcmp(phase, "Failed") != 0)
        set_reason(r, "Terminating");
}

/* READINESS GATES: "<none>", or true gate conditions / gates. */
static void readiness_gates(const json_t *pod, char *buf, size_t size)
{
    const json_t *gates = at(pod, "spec", "readinessGates");
    const json_t *conds = at(pod, "status", "conditions");
    const json_t *g;
    size_t i;
    size_t ok = 0;

    if (json_array_size(gates) == 0) {
        snprintf(buf, size, "<none>");
        return;
    }
    json_array_foreach(gates, i, g)
    {
        const json_t *c;
        size_t j;

        json_array_foreach(conds, j, c)
        {
            if (strcmp(str_at(c, "type"), str_at(g, "conditionType")) == 0) {
                ok += strcmp(str_at(c, "status"), "True") == 0;
                break;
            }
        }
    }
    snprintf(buf, size, "%zu/%zu", ok, json_array_size(gates));
}

/* The first pod IP (status.podIPs[0], which v1 conversion fills from
 * status.podIP), or "<none>". */
static const char *pod_ip(const json_t *pod)
{
    const json_t *status = json_object_get(pod, "status");
    const char *ip =
        str_at(json_array_get(json_object_get(status, "podIPs"), 0), "ip");

    if (!*ip)
        ip = str_at(status, "podIP");
    return *ip ? ip : "<none>";
}

static const char *or_none(const char *s)
{
    return *s ? s : "<none>";
}

/* The nine cells (the server fills the wide ones too). */
static json_t *row_cells(struct pod_row *r)
{
    const json_t *meta = json_object_get(r->pod, "metadata");
    char ready[48];
    char restarts[64];
    char age[24];
    char ago[24];
    char gates[48];

    snprintf(ready, sizeof(ready), "%lld/%lld", r->ready, r->total);
    snprintf(restarts, sizeof(restarts), "%lld", r->restarts);
    if (r->restarts != 0 && r->last_restart != 0) {
        fakeapi__pod_human_duration((long long)(r->now - r->last_restart), ago,
                                    sizeof(ago));
        snprintf(restarts, sizeof(restarts), "%lld (%s ago)", r->restarts, ago);
    }
    since(json_string_value(json_object_get(meta, "creationTimestamp")), r->now,
          age, sizeof(age));
    readiness_gates(r->pod, gates, sizeof(gates));
    return json_pack(
        "[s,s,s,s,s,s,s,s,s]", str_at(meta, "name"), ready,
        kbuf_str(&r->reason), restarts, age, pod_ip(r->pod),
        or_none(str_at(json_object_get(r->pod, "spec"), "nodeName")),
        or_none(str_at(json_object_get(r->pod, "status"), "nominatedNodeName")),
        gates);
}

/* printPod: one row, with the Completed condition of finished pods and,
 * for includeObject=Metadata, the PartialObjectMetadata. */
static json_t *pod_row(const json_t *pod, time_t now,
                       const struct fakeapi_table_opts *to)
{
    const char *phase = fakeapi__pod_phase(pod);
    struct pod_row r;
    json_t *row;
    json_t *meta;
    char apiv[40];
    int len = snprintf(apiv, sizeof(apiv), "meta.k8s.io/%s", to->version);

    memset(&r, 0, sizeof(r));
    r.pod = pod;
    r.now = now;
    kbuf_init(&r.reason, 1 << 16);
    compute_status(&r);
    row = json_pack("{s:o}", "cells", row_cells(&r));
    kbuf_release(&r.reason);
    if (row &&
        (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
        json_object_set_new(
            row, "conditions",
            json_pack("[{s:s, s:s, s:s, s:s}]", "type", "Completed", "status",
                      "True", "reason", phase, "message",
                      strcmp(phase, "Succeeded") == 0
                          ? "The pod has completed successfully."
                          : "The pod failed."));
    if (!row || to->include == FAKEAPI_INCLUDE_OMIT)
        return row;
    /* handlers/response.go: None writes "object":null, Object the
     * object itself */
    if (to->include == FAKEAPI_INCLUDE_NONE) {
        json_object_set_new(row, "object", json_null());
        return row;
    }
    if (to->include == FAKEAPI_INCLUDE_OBJECT) {
        if (json_object_set_new(row, "object", json_deep_copy(pod)) != 0) {
            json_decref(row);
            return NULL;
        }
        return row;
    }
    meta = json_deep_copy(json_object_get(pod, "metadata"));
    if (json_object_set_new(row, "object",
                            json_pack("{s:s, s:s%, s:o}", "kind",
                                      "PartialObjectMetadata", "apiVersion",
                                      apiv, len, "metadata",
                                      meta ? meta : json_object())) != 0) {
        json_decref(row);
        return NULL;
    }
    return row;
}

static json_t *column_definitions(void)
{
    json_t *cols = json_array();
    size_t i;

    for (i = 0; cols && i < sizeof(pod_columns) / sizeof(pod_columns[0]); i++) {
        json_t *c = json_pack(
            "{s:s, s:s, s:s, s:s, s:i}", "name", pod_columns[i].name, "type",
            pod_columns[i].type, "format", pod_columns[i].format, "description",
            pod_columns[i].description, "priority", pod_columns[i].priority);

        if (json_array_append_new(cols, c) != 0) {
            json_decref(cols);
            return NULL;
        }
    }
    return cols;
}

json_t *fakeapi__pod_table(const json_t *pods_array,
                           const char *resource_version,
                           const char *continue_token, time_t now,
                           bool include_object)
{
    struct fakeapi_table_opts to = {include_object ? FAKEAPI_INCLUDE_METADATA
                                                   : FAKEAPI_INCLUDE_OMIT,
                                    "v1", -1};

    return fakeapi__pod_table_opts(pods_array, resource_version, continue_token,
                                   now, &to);
}

json_t *fakeapi__pod_table_opts(const json_t *pods_array,
                                const char *resource_version,
                                const char *continue_token, time_t now,
                                const struct fakeapi_table_opts *to)
{
    json_t *table = NULL;
    json_t *meta = json_object();
    json_t *rows = json_array();
    const json_t *pod;
    size_t i;

    if (!meta || !rows)
        goto out;
    if (resource_version && *resource_version &&
        json_object_set_new(meta, "resourceVersion",
                            json_string(resource_version)) != 0)
        goto out;
    if (continue_token && *continue_token &&
        json_object_set_new(meta, "continue", json_string(continue_token)) != 0)
        goto out;
    json_array_foreach(pods_array, i, pod)
    {
        if (json_array_append_new(rows, pod_row(pod, now, to)) != 0)
            goto out;
    }
    if (to->remaining >= 0 &&
        json_object_set_new(meta, "remainingItemCount",
                            json_integer(to->remaining)) != 0)
        goto out;
    table =
        json_pack("{s:s, s:s+, s:O, s:o, s:O}", "kind", "Table", "apiVersion",
                  "meta.k8s.io/", to->version, "metadata", meta,
                  "columnDefinitions", column_definitions(), "rows", rows);
out:
    json_decref(meta);
    json_decref(rows);
    return table;
}
