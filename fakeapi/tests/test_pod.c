/*
 * test_pod: what the server does to pods besides validation (pod.h): the
 * create-time status and defaults, QoS classes, update resets, the no-op
 * check, timestamps and the Table kubectl prints (docs/kubernetes-api.md, Pods,
 * Tables).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "pod/pod.h"
#include "validate/validate.h"

#define NOW_TEXT "2024-05-01T10:00:00Z"
#define NOW_UNIX 1714557600

static const char base_pod[] =
    "{\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\","
    "\"creationTimestamp\":\"2024-05-01T09:59:55Z\"},"
    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}";

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);

    if (!j)
        fail_msg("bad test JSON: %s", err.text);
    return j;
}

/* The value at a dotted path ("spec.containers.0.image"). */
static json_t *get(const json_t *root, const char *path)
{
    char buf[160];
    char *tok = buf;
    const json_t *o = root;

    snprintf(buf, sizeof(buf), "%s", path);
    while (tok && o) {
        char *dot = strchr(tok, '.');

        if (dot)
            *dot = '\0';
        if (json_is_array(o))
            o = json_array_get(o, (size_t)strtoul(tok, NULL, 10));
        else
            o = json_object_get(o, tok);
        tok = dot ? dot + 1 : NULL;
    }
    return (json_t *)(uintptr_t)o;
}

static const char *sget(const json_t *root, const char *path)
{
    const char *s = json_string_value(get(root, path));

    /* cmocka's fail_msg() jumps out but is not declared noreturn */
    if (!s) {
        fail_msg("no string at %s", path);
        return "";
    }
    return s;
}

static json_t *created(const char *text)
{
    json_t *pod = load(text);

    assert_int_equal(fakeapi__pod_prepare_create(pod, NOW_TEXT), 0);
    return pod;
}

static json_t *created_with_resources(const char *resources)
{
    char text[512];

    snprintf(text, sizeof(text),
             "{\"metadata\":{\"name\":\"p1\"},\"spec\":{\"containers\":[{"
             "\"name\":\"c\",\"image\":\"nginx\",\"resources\":%s}]}}",
             resources);
    return created(text);
}

static void test_pod_create_discards_client_status(void **state)
{
    json_t *pod = load(base_pod);

    (void)state;
    json_object_set_new(
        pod, "status",
        json_pack("{s:s, s:s}", "phase", "Running", "podIP", "10.0.0.1"));
    assert_int_equal(fakeapi__pod_prepare_create(pod, NOW_TEXT), 0);
    assert_int_equal(json_object_size(json_object_get(pod, "status")), 2);
    assert_string_equal(sget(pod, "status.phase"), "Pending");
    assert_string_equal(sget(pod, "status.qosClass"), "BestEffort");
    assert_null(get(pod, "status.podIP"));
    assert_null(get(pod, "status.conditions"));
    json_decref(pod);
}

static void test_pod_create_sets_spec_defaults(void **state)
{
    json_t *pod = created(base_pod);

    (void)state;
    assert_string_equal(sget(pod, "spec.restartPolicy"), "Always");
    assert_string_equal(sget(pod, "spec.dnsPolicy"), "ClusterFirst");
    assert_int_equal(
        json_integer_value(get(pod, "spec.terminationGracePeriodSeconds")), 30);
    assert_string_equal(sget(pod, "spec.schedulerName"), "default-scheduler");
    assert_true(json_is_object(get(pod, "spec.securityContext")));
    assert_int_equal(json_object_size(get(pod, "spec.securityContext")), 0);
    assert_true(json_is_true(get(pod, "spec.enableServiceLinks")));
    assert_string_equal(sget(pod, "spec.serviceAccountName"), "default");
    assert_string_equal(sget(pod, "spec.serviceAccount"), "default");
    assert_int_equal(json_integer_value(get(pod, "spec.priority")), 0);
    assert_true(json_is_integer(get(pod, "spec.priority")));
    assert_string_equal(sget(pod, "spec.preemptionPolicy"),
                        "PreemptLowerPriority");
    /* strategy.go PrepareForCreate: a pod starts at generation 1 */
    assert_int_equal(json_integer_value(get(pod, "metadata.generation")), 1);
    json_decref(pod);
}

static void test_pod_create_adds_default_tolerations(void **state)
{
    json_t *pod = created(base_pod);
    const char *keys[] = {"node.kubernetes.io/not-ready",
                          "node.kubernetes.io/unreachable"};
    size_t i;

    (void)state;
    assert_int_equal(json_array_size(get(pod, "spec.tolerations")), 2);
    for (i = 0; i < 2; i++) {
        const json_t *t = json_array_get(get(pod, "spec.tolerations"), i);

        assert_string_equal(sget(t, "key"), keys[i]);
        assert_string_equal(sget(t, "operator"), "Exists");
        assert_string_equal(sget(t, "effect"), "NoExecute");
        assert_int_equal(json_integer_value(get(t, "tolerationSeconds")), 300);
    }
    json_decref(pod);
}

static void test_pod_create_keeps_tolerations_that_cover_defaults(void **st)
{
    json_t *pod = created("{\"metadata\":{\"name\":\"p1\"},\"spec\":{"
                          "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}],"
                          "\"tolerations\":[{\"operator\":\"Exists\"}]}}");

    (void)st;
    assert_int_equal(json_array_size(get(pod, "spec.tolerations")), 1);
    json_decref(pod);
}

static void test_pod_create_sets_container_defaults(void **state)
{
    json_t *pod = created(base_pod);

    (void)state;
    assert_string_equal(sget(pod, "spec.containers.0.imagePullPolicy"),
                        "Always");
    assert_string_equal(sget(pod, "spec.containers.0.terminationMessagePath"),
                        "/dev/termination-log");
    assert_string_equal(sget(pod, "spec.containers.0.terminationMessagePolicy"),
                        "File");
    assert_true(json_is_object(get(pod, "spec.containers.0.resources")));
    assert_int_equal(json_object_size(get(pod, "spec.containers.0.resources")),
                     0);
    json_decref(pod);
}

static const char *pull_policy_of(const char *image, char policy[32])
{
    char text[256];
    json_t *pod;
    int n;

    n = snprintf(text, sizeof(text),
                 "{\"metadata\":{\"name\":\"p1\"},\"spec\":{\"containers\":"
                 "[{\"name\":\"c\",\"image\":\"%s\"}]}}",
                 image);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    pod = created(text);
    n = snprintf(policy, 32, "%s",
                 sget(pod, "spec.containers.0.imagePullPolicy"));
    assert_true(n >= 0 && n < 32);
    json_decref(pod);
    return policy;
}

static void test_pod_pull_policy_follows_the_image_tag(void **state)
{
    char buf[32];

    (void)state;
    assert_string_equal(pull_policy_of("nginx", buf), "Always");
    assert_string_equal(pull_policy_of("nginx:latest", buf), "Always");
    assert_string_equal(pull_policy_of("localhost:5000/app", buf), "Always");
    assert_string_equal(pull_policy_of("nginx:1.27", buf), "IfNotPresent");
    assert_string_equal(pull_policy_of("localhost:5000/app:v2", buf),
                        "IfNotPresent");
    assert_string_equal(pull_policy_of("nginx@sha256:0123", buf),
                        "IfNotPresent");
    assert_string_equal(pull_policy_of("nginx:latest2", buf), "IfNotPresent");
}

static void test_pod_create_keeps_client_pull_policy(void **state)
{
    json_t *pod = created("{\"metadata\":{\"name\":\"p1\"},\"spec\":{"
                          "\"containers\":[{\"name\":\"c\",\"image\":\"i\","
                          "\"imagePullPolicy\":\"Never\",\"ports\":[{"
                          "\"containerPort\":80}]}]}}");

    (void)state;
    assert_string_equal(sget(pod, "spec.containers.0.imagePullPolicy"),
                        "Never");
    assert_string_equal(sget(pod, "spec.containers.0.ports.0.protocol"), "TCP");
    json_decref(pod);
}

static void test_pod_create_adds_scheduling_gated_condition(void **state)
{
    json_t *pod = created("{\"metadata\":{\"name\":\"p1\"},\"spec\":{"
                          "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}],"
                          "\"schedulingGates\":[{\"name\":\"kreg.io/hold\"}]"
                          "}}");
    const json_t *c = get(pod, "status.conditions.0");

    (void)state;
    assert_int_equal(json_array_size(get(pod, "status.conditions")), 1);
    assert_string_equal(sget(c, "type"), "PodScheduled");
    assert_string_equal(sget(c, "status"), "False");
    assert_string_equal(sget(c, "reason"), "SchedulingGated");
    assert_string_equal(sget(c, "message"),
                        "Scheduling is blocked due to non-empty scheduling "
                        "gates");
    assert_true(json_is_null(json_object_get(c, "lastProbeTime")));
    assert_string_equal(sget(c, "lastTransitionTime"), NOW_TEXT);
    assert_string_equal(sget(pod, "status.phase"), "Pending");
    json_decref(pod);
}

static void test_pod_create_clears_deletion_fields(void **state)
{
    json_t *pod = load(base_pod);

    (void)state;
    json_object_set_new(json_object_get(pod, "metadata"), "deletionTimestamp",
                        json_string(NOW_TEXT));
    json_object_set_new(json_object_get(pod, "metadata"),
                        "deletionGracePeriodSeconds", json_integer(0));
    assert_int_equal(fakeapi__pod_prepare_create(pod, NOW_TEXT), 0);
    assert_null(get(pod, "metadata.deletionTimestamp"));
    assert_null(get(pod, "metadata.deletionGracePeriodSeconds"));
    json_decref(pod);
}

static void test_pod_create_rejects_non_object(void **state)
{
    json_t *arr = json_array();

    (void)state;
    assert_int_not_equal(fakeapi__pod_prepare_create(arr, NOW_TEXT), 0);
    json_decref(arr);
}

static const char *qos_of(const char *resources, char qos[16])
{
    json_t *pod = created_with_resources(resources);

    snprintf(qos, 16, "%s", sget(pod, "status.qosClass"));
    json_decref(pod);
    return qos;
}

static void test_pod_qos_is_best_effort_without_resources(void **state)
{
    char buf[16];

    (void)state;
    assert_string_equal(qos_of("{}", buf), "BestEffort");
    assert_string_equal(qos_of("{\"requests\":{\"cpu\":\"0\"}}", buf),
                        "BestEffort");
    assert_string_equal(
        qos_of("{\"requests\":{\"nvidia.com/gpu\":\"1\"}}", buf), "BestEffort");
}

static void test_pod_qos_is_guaranteed_with_equal_limits(void **state)
{
    char buf[16];

    (void)state;
    assert_string_equal(
        qos_of("{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}", buf),
        "Guaranteed");
    assert_string_equal(qos_of("{\"limits\":{\"cpu\":\"1\",\"memory\":"
                               "\"1Gi\"},\"requests\":{\"cpu\":\"1000m\","
                               "\"memory\":\"1073741824\"}}",
                               buf),
                        "Guaranteed");
}

static void test_pod_qos_is_burstable_otherwise(void **state)
{
    char buf[16];

    (void)state;
    assert_string_equal(qos_of("{\"requests\":{\"cpu\":\"100m\"}}", buf),
                        "Burstable");
    assert_string_equal(qos_of("{\"limits\":{\"cpu\":\"1\"}}", buf),
                        "Burstable");
    assert_string_equal(qos_of("{\"limits\":{\"cpu\":\"1\",\"memory\":"
                               "\"1Gi\"},\"requests\":{\"cpu\":\"500m\"}}",
                               buf),
                        "Burstable");
}

static void test_pod_create_defaults_requests_from_limits(void **state)
{
    json_t *pod =
        created_with_resources("{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"},"
                               "\"requests\":{\"cpu\":\"500m\"}}");

    (void)state;
    assert_string_equal(sget(pod, "spec.containers.0.resources.requests.cpu"),
                        "500m");
    assert_string_equal(
        sget(pod, "spec.containers.0.resources.requests.memory"), "1Gi");
    json_decref(pod);
}

static void test_pod_update_resets_status_and_immutable_metadata(void **st)
{
    json_t *old = created(base_pod);
    json_t *new = load("{\"metadata\":{\"name\":\"other\",\"uid\":\"x\","
                       "\"labels\":{\"a\":\"b\"}},\"spec\":{\"containers\":"
                       "[{\"name\":\"c\",\"image\":\"nginx:2\"}]},"
                       "\"status\":{\"phase\":\"Running\"}}");

    (void)st;
    json_object_set_new(json_object_get(old, "metadata"), "uid",
                        json_string("u1"));
    fakeapi__pod_prepare_update(new, old);
    assert_true(json_equal(get(new, "status"), get(old, "status")));
    assert_string_equal(sget(new, "metadata.name"), "p1");
    assert_string_equal(sget(new, "metadata.uid"), "u1");
    assert_string_equal(sget(new, "metadata.creationTimestamp"),
                        "2024-05-01T09:59:55Z");
    assert_string_equal(sget(new, "metadata.labels.a"), "b");
    assert_string_equal(sget(new, "spec.containers.0.image"), "nginx:2");
    assert_string_equal(sget(new, "spec.containers.0.imagePullPolicy"),
                        "IfNotPresent");
    assert_int_equal(json_array_size(get(new, "spec.tolerations")), 2);
    assert_int_equal(json_integer_value(get(new, "spec.priority")), 0);
    json_decref(new);
    json_decref(old);
}

static void test_pod_update_of_get_result_is_a_no_op(void **state)
{
    json_t *old = created(base_pod);
    json_t *new;

    (void)state;
    json_object_set_new(json_object_get(old, "metadata"), "resourceVersion",
                        json_string("7"));
    new = json_deep_copy(old);
    json_object_set_new(json_object_get(new, "metadata"), "resourceVersion",
                        json_string("6"));
    fakeapi__pod_prepare_update(new, old);
    assert_true(fakeapi__json_equal_ignoring_rv(old, new));
    json_decref(new);
    json_decref(old);
}

static void test_pod_equal_ignoring_rv_sees_real_changes(void **state)
{
    json_t *a = created(base_pod);
    json_t *b = json_deep_copy(a);

    (void)state;
    json_object_set_new(json_object_get(b, "metadata"), "managedFields",
                        json_array());
    json_object_set_new(json_object_get(b, "metadata"), "resourceVersion",
                        json_string("9"));
    assert_true(fakeapi__json_equal_ignoring_rv(a, b));
    json_object_set_new(json_object_get(b, "metadata"), "labels",
                        json_pack("{s:s}", "a", "b"));
    assert_false(fakeapi__json_equal_ignoring_rv(a, b));
    json_object_del(json_object_get(b, "metadata"), "labels");
    json_object_set_new(b, "status", json_object());
    assert_false(fakeapi__json_equal_ignoring_rv(a, b));
    json_decref(a);
    json_decref(b);
}

static void test_pod_status_update_resets_spec_and_owner_refs(void **state)
{
    json_t *old = created(base_pod);
    json_t *new;

    (void)state;
    json_object_set_new(json_object_get(old, "metadata"), "ownerReferences",
                        load("[{\"uid\":\"o1\",\"kind\":\"ReplicaSet\"}]"));
    new = load("{\"metadata\":{\"name\":\"p1\",\"labels\":{\"x\":\"y\"},"
               "\"deletionTimestamp\":\"2024-05-01T11:00:00Z\"},"
               "\"spec\":{\"containers\":[]},"
               "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.1.2.3\"}}");
    fakeapi__pod_prepare_status_update(new, old);
    assert_true(json_equal(get(new, "spec"), get(old, "spec")));
    assert_true(json_equal(get(new, "metadata.ownerReferences"),
                           get(old, "metadata.ownerReferences")));
    assert_null(get(new, "metadata.deletionTimestamp"));
    assert_string_equal(sget(new, "metadata.labels.x"), "y");
    assert_string_equal(sget(new, "status.phase"), "Running");
    assert_string_equal(sget(new, "status.qosClass"), "BestEffort");
    assert_string_equal(sget(new, "status.podIPs.0.ip"), "10.1.2.3");
    json_decref(new);
    json_decref(old);
}

static void test_pod_phase_is_empty_when_unset(void **state)
{
    json_t *pod = load(base_pod);

    (void)state;
    assert_string_equal(fakeapi__pod_phase(pod), "");
    json_object_set_new(pod, "status", json_pack("{s:s}", "phase", "Failed"));
    assert_string_equal(fakeapi__pod_phase(pod), "Failed");
    json_decref(pod);
}

static void test_pod_time_round_trips_rfc3339(void **state)
{
    char buf[FAKEAPI_RFC3339_SIZE];
    time_t t = 0;

    (void)state;
    fakeapi__time_rfc3339(NOW_UNIX, buf);
    assert_string_equal(buf, NOW_TEXT);
    assert_true(fakeapi__time_parse(NOW_TEXT, &t));
    assert_int_equal((long long)t, NOW_UNIX);
    assert_true(fakeapi__time_parse("2024-05-01T12:00:00.5+02:00", &t));
    assert_int_equal((long long)t, NOW_UNIX);
    assert_false(fakeapi__time_parse("2024-05-01 10:00:00Z", &t));
    assert_false(fakeapi__time_parse("2024-13-01T10:00:00Z", &t));
    assert_false(fakeapi__time_parse("yesterday", &t));
}

static void test_pod_human_duration_matches_kubectl(void **state)
{
    static const struct {
        long long s;
        const char *want;
    } cases[] = {
        {-2, "<invalid>"},
        {-1, "0s"},
        {0, "0s"},
        {5, "5s"},
        {119, "119s"},
        {120, "2m"},
        {192, "3m12s"},
        {600, "10m"},
        {179 * 60 + 59, "179m"},
        {3 * 3600, "3h"},
        {3 * 3600 + 5 * 60, "3h5m"},
        {8 * 3600 + 59, "8h"},
        {47 * 3600, "47h"},
        {48 * 3600, "2d"},
        {51 * 3600, "2d3h"},
        {8 * 86400, "8d"},
        {729 * 86400, "729d"},
        {730 * 86400, "2y"},
        {740 * 86400, "2y10d"},
        {8 * 365 * 86400LL, "8y"},
    };
    char buf[24];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fakeapi__pod_human_duration(cases[i].s, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].want);
    }
}

/* ---- Table ---- */

/* The Table of one pod given as JSON text. */
static json_t *table_of(const char *pod_text, bool include_object)
{
    json_t *arr = json_array();
    json_t *t;

    json_array_append_new(arr, load(pod_text));
    t = fakeapi__pod_table(arr, "42", NULL, NOW_UNIX, include_object);
    json_decref(arr);
    assert_non_null(t);
    return t;
}

static void assert_cells(const json_t *t, const char *const want[9])
{
    const json_t *cells = get(t, "rows.0.cells");
    size_t i;

    assert_int_equal(json_array_size(cells), 9);
    for (i = 0; i < 9; i++)
        assert_string_equal(json_string_value(json_array_get(cells, i)),
                            want[i]);
}

static void test_pod_table_has_the_server_columns(void **state)
{
    static const char *const names[] = {
        "Name", "Ready", "Status",         "Restarts",       "Age",
        "IP",   "Node",  "Nominated Node", "Readiness Gates"};
    json_t *arr = json_array();
    json_t *t = fakeapi__pod_table(arr, "42", "tok", NOW_UNIX, true);
    const json_t *cols = get(t, "columnDefinitions");
    size_t i;

    (void)state;
    assert_string_equal(sget(t, "kind"), "Table");
    assert_string_equal(sget(t, "apiVersion"), "meta.k8s.io/v1");
    assert_string_equal(sget(t, "metadata.resourceVersion"), "42");
    assert_string_equal(sget(t, "metadata.continue"), "tok");
    assert_true(json_is_array(get(t, "rows")));
    assert_int_equal(json_array_size(get(t, "rows")), 0);
    assert_int_equal(json_array_size(cols), 9);
    for (i = 0; i < 9; i++) {
        const json_t *c = json_array_get(cols, i);

        assert_string_equal(sget(c, "name"), names[i]);
        assert_string_equal(sget(c, "type"), "string");
        assert_string_equal(sget(c, "format"), i == 0 ? "name" : "");
        assert_int_equal(json_integer_value(get(c, "priority")), i < 5 ? 0 : 1);
        assert_true(strlen(sget(c, "description")) > 0);
    }
    assert_string_equal(sget(cols, "1.description"),
                        "The aggregate readiness state of this pod for "
                        "accepting traffic.");
    json_decref(t);
    json_decref(arr);
}

static void test_pod_table_prints_a_running_pod(void **state)
{
    static const char *const want[9] = {"web",    "1/1",    "Running",
                                        "0",      "5s",     "10.1.2.3",
                                        "node-1", "<none>", "<none>"};
    json_t *t = table_of(
        "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","
        "\"creationTimestamp\":\"2024-05-01T09:59:55Z\"},"
        "\"spec\":{\"nodeName\":\"node-1\",\"containers\":[{\"name\":\"c\","
        "\"image\":\"i\"}]},\"status\":{\"phase\":\"Running\","
        "\"podIPs\":[{\"ip\":\"10.1.2.3\"}],\"containerStatuses\":[{"
        "\"name\":\"c\",\"ready\":true,\"restartCount\":0,\"state\":{"
        "\"running\":{\"startedAt\":\"2024-05-01T09:59:58Z\"}}}]}}",
        true);

    (void)state;
    assert_cells(t, want);
    assert_string_equal(sget(t, "rows.0.object.kind"), "PartialObjectMetadata");
    assert_string_equal(sget(t, "rows.0.object.apiVersion"), "meta.k8s.io/v1");
    assert_string_equal(sget(t, "rows.0.object.metadata.name"), "web");
    assert_string_equal(sget(t, "rows.0.object.metadata.namespace"), "default");
    assert_null(get(t, "rows.0.conditions"));
    json_decref(t);
}

static void test_pod_table_prints_a_new_pending_pod(void **state)
{
    static const char *const want[9] = {"p1",     "0/1",    "Pending",
                                        "0",      "3m12s",  "<none>",
                                        "<none>", "<none>", "<none>"};
    json_t *pod = created("{\"metadata\":{\"name\":\"p1\","
                          "\"creationTimestamp\":\"2024-05-01T09:56:48Z\"},"
                          "\"spec\":{\"containers\":[{\"name\":\"c\","
                          "\"image\":\"i\"}]}}");
    char *text = json_dumps(pod, 0);
    json_t *t = table_of(text, false);

    (void)state;
    assert_cells(t, want);
    assert_null(get(t, "rows.0.object"));
    free(text);
    json_decref(t);
    json_decref(pod);
}

static void test_pod_table_prints_scheduling_gated(void **state)
{
    json_t *pod = created("{\"metadata\":{\"name\":\"p1\","
                          "\"creationTimestamp\":\"2024-04-29T10:00:00Z\"},"
                          "\"spec\":{\"containers\":[{\"name\":\"c\","
                          "\"image\":\"i\"}],\"schedulingGates\":[{\"name\":"
                          "\"kreg.io/hold\"}]}}");
    char *text = json_dumps(pod, 0);
    json_t *t = table_of(text, true);

    (void)state;
    assert_string_equal(sget(t, "rows.0.cells.2"), "SchedulingGated");
    assert_string_equal(sget(t, "rows.0.cells.4"), "2d");
    free(text);
    json_decref(t);
    json_decref(pod);
}

static void test_pod_table_prints_terminating(void **state)
{
    json_t *t = table_of(
        "{\"metadata\":{\"name\":\"p1\",\"creationTimestamp\":"
        "\"2024-05-01T09:00:00Z\",\"deletionTimestamp\":"
        "\"2024-05-01T10:00:30Z\"},\"spec\":{\"containers\":[{\"name\":"
        "\"c\",\"image\":\"i\"}]},\"status\":{\"phase\":\"Running\","
        "\"containerStatuses\":[{\"name\":\"c\",\"ready\":true,"
        "\"state\":{\"running\":{}}}]}}",
        true);

    (void)state;
    assert_string_equal(sget(t, "rows.0.cells.1"), "1/1");
    assert_string_equal(sget(t, "rows.0.cells.2"), "Terminating");
    assert_string_equal(sget(t, "rows.0.cells.4"), "60m");
    json_decref(t);
}

static void test_pod_table_prints_waiting_reason_and_restarts(void **state)
{
    json_t *t = table_of(
        "{\"metadata\":{\"name\":\"p1\",\"creationTimestamp\":"
        "\"2024-05-01T09:00:00Z\"},\"spec\":{\"containers\":[{\"name\":"
        "\"c\",\"image\":\"i\"},{\"name\":\"d\",\"image\":\"i\"}]},"
        "\"status\":{\"phase\":\"Running\",\"containerStatuses\":["
        "{\"name\":\"c\",\"ready\":false,\"restartCount\":3,\"state\":{"
        "\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},\"lastState\":{"
        "\"terminated\":{\"exitCode\":1,\"finishedAt\":"
        "\"2024-05-01T09:58:00Z\"}}},{\"name\":\"d\",\"ready\":true,"
        "\"state\":{\"running\":{}}}]}}",
        true);

    (void)state;
    assert_string_equal(sget(t, "rows.0.cells.1"), "1/2");
    assert_string_equal(sget(t, "rows.0.cells.2"), "CrashLoopBackOff");
    assert_string_equal(sget(t, "rows.0.cells.3"), "3 (2m ago)");
    json_decref(t);
}

static void test_pod_table_prints_completed_with_condition(void **state)
{
    json_t *t = table_of(
        "{\"metadata\":{\"name\":\"job\",\"creationTimestamp\":"
        "\"2024-05-01T09:00:00Z\"},\"spec\":{\"containers\":[{\"name\":"
        "\"c\",\"image\":\"i\"}]},\"status\":{\"phase\":\"Succeeded\","
        "\"containerStatuses\":[{\"name\":\"c\",\"ready\":false,\"state\":{"
        "\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}}]}}",
        true);

    (void)state;
    assert_string_equal(sget(t, "rows.0.cells.1"), "0/1");
    assert_string_equal(sget(t, "rows.0.cells.2"), "Completed");
    assert_string_equal(sget(t, "rows.0.conditions.0.type"), "Completed");
    assert_string_equal(sget(t, "rows.0.conditions.0.status"), "True");
    assert_string_equal(sget(t, "rows.0.conditions.0.reason"), "Succeeded");
    assert_string_equal(sget(t, "rows.0.conditions.0.message"),
                        "The pod has completed successfully.");
    json_decref(t);
}

static void test_pod_table_prints_exit_code_without_reason(void **state)
{
    json_t *t = table_of(
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":"
        "\"c\",\"image\":\"i\"}]},\"status\":{\"phase\":\"Failed\","
        "\"containerStatuses\":[{\"name\":\"c\",\"state\":{\"terminated\":"
        "{\"exitCode\":2}}}]}}",
        true);

    (void)state;
    assert_string_equal(sget(t, "rows.0.cells.2"), "ExitCode:2");
    assert_string_equal(sget(t, "rows.0.cells.4"), "<unknown>");
    assert_string_equal(sget(t, "rows.0.conditions.0.message"),
                        "The pod failed.");
    json_decref(t);
}

static void test_pod_table_prints_init_progress(void **state)
{
    json_t *t = table_of(
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"initContainers\":["
        "{\"name\":\"i1\",\"image\":\"i\"},{\"name\":\"i2\",\"image\":\"i\"}],"
        "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]},\"status\":{"
        "\"phase\":\"Pending\",\"initContainerStatuses\":[{\"name\":\"i1\","
        "\"state\":{\"terminated\":{\"exitCode\":0}}},{\"name\":\"i2\","
        "\"state\":{\"running\":{}}}]}}",
        true);
    json_t *u = table_of(
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"initContainers\":["
        "{\"name\":\"i1\",\"image\":\"i\"}],\"containers\":[{\"name\":\"c\","
        "\"image\":\"i\"}]},\"status\":{\"phase\":\"Pending\","
        "\"initContainerStatuses\":[{\"name\":\"i1\",\"state\":{"
        "\"terminated\":{\"exitCode\":1,\"reason\":\"Error\"}}}]}}",
        true);

    (void)state;
    assert_string_equal(sget(t, "rows.0.cells.2"), "Init:1/2");
    assert_string_equal(sget(u, "rows.0.cells.2"), "Init:Error");
    json_decref(t);
    json_decref(u);
}

static void test_pod_table_prints_readiness_gates(void **state)
{
    json_t *t = table_of(
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":"
        "\"c\",\"image\":\"i\"}],\"readinessGates\":[{\"conditionType\":"
        "\"a.io/x\"},{\"conditionType\":\"a.io/y\"}]},\"status\":{"
        "\"phase\":\"Running\",\"nominatedNodeName\":\"n2\",\"podIP\":"
        "\"10.0.0.9\",\"conditions\":[{\"type\":\"a.io/x\",\"status\":"
        "\"True\"}]}}",
        true);

    (void)state;
    assert_string_equal(sget(t, "rows.0.cells.5"), "10.0.0.9");
    assert_string_equal(sget(t, "rows.0.cells.7"), "n2");
    assert_string_equal(sget(t, "rows.0.cells.8"), "1/2");
    json_decref(t);
}

/* jansson allocations left before the chaos allocator fails (jansson's
 * allocator hooks take no context, so this one test keeps it here). */
static size_t chaos_left;

static void *chaos_malloc(size_t n)
{
    if (chaos_left == 0)
        return NULL;
    chaos_left--;
    return malloc(n);
}

/* Every step of a create and a list, with the Nth allocation failing:
 * no crash, no leak (ASan and valgrind check the latter). */
static void test_pod_survives_allocation_failures(void **state)
{
    size_t n;

    (void)state;
    for (n = 0; n < 800; n++) {
        json_t *pod = load("{\"metadata\":{\"name\":\"p1\",\"labels\":"
                           "{\"a\":\"-x\"}},\"spec\":{\"containers\":[{"
                           "\"name\":\"c\",\"image\":\"i\",\"resources\":"
                           "{\"limits\":{\"cpu\":\"1\"}}}],"
                           "\"schedulingGates\":[{\"name\":\"g\"}]}}");
        json_t *arr = json_array();
        json_t *old = json_deep_copy(pod);
        json_t *st;
        json_t *up;
        json_t *t;

        chaos_left = n;
        json_set_alloc_funcs(chaos_malloc, free);
        (void)fakeapi__pod_prepare_create(pod, NOW_TEXT);
        fakeapi__pod_prepare_update(old, pod);
        st = fakeapi__validate_pod_create(pod);
        up = fakeapi__validate_pod_update(pod, old);
        json_array_append(arr, pod);
        t = fakeapi__pod_table(arr, "1", NULL, NOW_UNIX, true);
        json_set_alloc_funcs(malloc, free);
        json_decref(t);
        json_decref(up);
        json_decref(st);
        json_decref(arr);
        json_decref(old);
        json_decref(pod);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pod_create_discards_client_status),
        cmocka_unit_test(test_pod_create_sets_spec_defaults),
        cmocka_unit_test(test_pod_create_adds_default_tolerations),
        cmocka_unit_test(test_pod_create_keeps_tolerations_that_cover_defaults),
        cmocka_unit_test(test_pod_create_sets_container_defaults),
        cmocka_unit_test(test_pod_pull_policy_follows_the_image_tag),
        cmocka_unit_test(test_pod_create_keeps_client_pull_policy),
        cmocka_unit_test(test_pod_create_adds_scheduling_gated_condition),
        cmocka_unit_test(test_pod_create_clears_deletion_fields),
        cmocka_unit_test(test_pod_create_rejects_non_object),
        cmocka_unit_test(test_pod_qos_is_best_effort_without_resources),
        cmocka_unit_test(test_pod_qos_is_guaranteed_with_equal_limits),
        cmocka_unit_test(test_pod_qos_is_burstable_otherwise),
        cmocka_unit_test(test_pod_create_defaults_requests_from_limits),
        cmocka_unit_test(test_pod_update_resets_status_and_immutable_metadata),
        cmocka_unit_test(test_pod_update_of_get_result_is_a_no_op),
        cmocka_unit_test(test_pod_equal_ignoring_rv_sees_real_changes),
        cmocka_unit_test(test_pod_status_update_resets_spec_and_owner_refs),
        cmocka_unit_test(test_pod_phase_is_empty_when_unset),
        cmocka_unit_test(test_pod_time_round_trips_rfc3339),
        cmocka_unit_test(test_pod_human_duration_matches_kubectl),
        cmocka_unit_test(test_pod_table_has_the_server_columns),
        cmocka_unit_test(test_pod_table_prints_a_running_pod),
        cmocka_unit_test(test_pod_table_prints_a_new_pending_pod),
        cmocka_unit_test(test_pod_table_prints_scheduling_gated),
        cmocka_unit_test(test_pod_table_prints_terminating),
        cmocka_unit_test(test_pod_table_prints_waiting_reason_and_restarts),
        cmocka_unit_test(test_pod_table_prints_completed_with_condition),
        cmocka_unit_test(test_pod_table_prints_exit_code_without_reason),
        cmocka_unit_test(test_pod_table_prints_init_progress),
        cmocka_unit_test(test_pod_table_prints_readiness_gates),
        cmocka_unit_test(test_pod_survives_allocation_failures),
    };

    return cmocka_run_group_tests_name("pod", tests, NULL, NULL);
}
