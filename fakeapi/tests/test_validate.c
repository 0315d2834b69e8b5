/*
 * test_validate: the pod and namespace validation rules of validate.h,
 * checked against the 1.32 server's codes, reasons, details and wording
 * (docs/kubernetes-api.md, Validation, Pods, Status errors).
 *
 * Past 1,000 lines on purpose: one cmocka group per module
 * (docs/conventions.md, Tests), one short test per validation rule and its
 * exact server wording.
 *
 * Over 1,000 lines: a table of rules against the server's wording, one
 * case each, sharing the pod builders; a split would repeat them.
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

#define QNAME_RULE                                                             \
    "must consist of alphanumeric characters, '-', '_' or '.', and must "      \
    "start and end with an alphanumeric character (e.g. 'MyName',  or "        \
    "'my.name',  or '123-abc', regex used for validation is "                  \
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LABEL_VALUE_RULE                                                       \
    "a valid label must be an empty string or consist of alphanumeric "        \
    "characters, '-', '_' or '.', and must start and end with an "             \
    "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "    \
    "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?"             \
    "[A-Za-z0-9])?')"
#define SUBDOMAIN_RULE                                                         \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "  \
    "characters, '-' or '.', and must start and end with an alphanumeric "     \
    "character (e.g. 'example.com', regex used for validation is "             \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define DNS_LABEL_RULE                                                         \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric "      \
    "characters or '-', and must start and end with an alphanumeric "          \
    "character (e.g. 'my-name',  or '123-abc', regex used for validation is "  \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define UPDATE_FORBIDDEN                                                       \
    "spec: Forbidden: pod updates may not change fields other than "           \
    "`spec.containers[*].image`,`spec.initContainers[*].image`,"               \
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "      \
    "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it "    \
    "to be set to 1 if it was previously negative)\n"

static const char base_pod[] =
    "{\"metadata\":{\"name\":\"p1\"},"
    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}";

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);

    if (!j)
        fail_msg("bad test JSON: %s", err.text);
    return j;
}

/* Set @p value (consumed) at a dotted path of objects. */
static void put(json_t *root, const char *path, json_t *value)
{
    char buf[128];
    char *dot;
    char *p = buf;
    json_t *o = root;

    snprintf(buf, sizeof(buf), "%s", path);
    while ((dot = strchr(p, '.')) != NULL) {
        json_t *next;

        *dot = '\0';
        next = json_object_get(o, p);
        if (!next) {
            next = json_object();
            json_object_set_new(o, p, next);
        }
        o = next;
        p = dot + 1;
    }
    json_object_set_new(o, p, value);
}

static const char *message_of(const json_t *st)
{
    return json_string_value(json_object_get(st, "message"));
}

static const json_t *cause_of(const json_t *st, size_t i)
{
    return json_array_get(
        json_object_get(json_object_get(st, "details"), "causes"), i);
}

/* A 422 Invalid Status for @p kind/@p name with @p message. */
static void assert_invalid(const json_t *st, const char *kind, const char *name,
                           const char *message)
{
    const json_t *d = json_object_get(st, "details");

    assert_non_null(st);
    assert_int_equal(fakeapi__status_code(st), 422);
    assert_string_equal(json_string_value(json_object_get(st, "reason")),
                        "Invalid");
    assert_string_equal(json_string_value(json_object_get(st, "status")),
                        "Failure");
    assert_string_equal(json_string_value(json_object_get(d, "kind")), kind);
    if (*name)
        assert_string_equal(json_string_value(json_object_get(d, "name")),
                            name);
    else
        assert_null(json_object_get(d, "name"));
    if (message)
        assert_string_equal(message_of(st), message);
}

static void assert_cause(const json_t *st, size_t i, const char *reason,
                         const char *field, const char *message)
{
    const json_t *c = cause_of(st, i);

    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "reason")),
                        reason);
    assert_string_equal(json_string_value(json_object_get(c, "field")), field);
    assert_string_equal(json_string_value(json_object_get(c, "message")),
                        message);
}

static size_t cause_count(const json_t *st)
{
    return json_array_size(
        json_object_get(json_object_get(st, "details"), "causes"));
}

/* Validate a create of base_pod after @p edit-like changes. */
static json_t *create_with(json_t *pod)
{
    json_t *st = fakeapi__validate_pod_create(pod);

    json_decref(pod);
    return st;
}

static void test_validate_accepts_minimal_pod(void **state)
{
    (void)state;
    assert_null(create_with(load(base_pod)));
}

static void test_validate_accepts_prepared_pod(void **state)
{
    json_t *pod = load(base_pod);

    (void)state;
    assert_int_equal(fakeapi__pod_prepare_create(pod, "2024-05-01T10:00:00Z"),
                     0);
    assert_null(create_with(pod));
}

static void test_validate_rejects_label_value_with_leading_dash(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    put(pod, "metadata.labels", json_pack("{s:s}", "app", "-x"));
    st = create_with(pod);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: metadata.labels: Invalid value: "
                   "\"-x\": " LABEL_VALUE_RULE);
    assert_int_equal(cause_count(st), 1);
    assert_cause(st, 0, "FieldValueInvalid", "metadata.labels",
                 "Invalid value: \"-x\": " LABEL_VALUE_RULE);
    json_decref(st);
}

static void test_validate_rejects_label_key_with_leading_dash(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    put(pod, "metadata.labels", json_pack("{s:s}", "-bad", "v"));
    st = create_with(pod);
    /* docs/kubernetes-api.md, Validation: the exact example of the server's
     * answer. */
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: metadata.labels: Invalid value: "
                   "\"-bad\": name part " QNAME_RULE);
    assert_cause(st, 0, "FieldValueInvalid", "metadata.labels",
                 "Invalid value: \"-bad\": name part " QNAME_RULE);
    json_decref(st);
}

static void test_validate_accepts_upper_case_annotation_key(void **state)
{
    json_t *pod = load(base_pod);

    (void)state;
    put(pod, "metadata.annotations", json_pack("{s:s}", "Example.COM/X", "1"));
    assert_null(create_with(pod));
}

static void test_validate_rejects_upper_case_label_key_prefix(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    put(pod, "metadata.labels", json_pack("{s:s}", "Example.COM/X", "1"));
    st = create_with(pod);
    assert_invalid(st, "Pod", "p1", NULL);
    assert_cause(
        st, 0, "FieldValueInvalid", "metadata.labels",
        "Invalid value: \"Example.COM/X\": prefix part " SUBDOMAIN_RULE);
    json_decref(st);
}

static void test_validate_rejects_bad_annotation_key_as_sent(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    put(pod, "metadata.annotations", json_pack("{s:s}", "A/-B", "1"));
    st = create_with(pod);
    assert_invalid(st, "Pod", "p1", NULL);
    assert_cause(st, 0, "FieldValueInvalid", "metadata.annotations",
                 "Invalid value: \"A/-B\": name part " QNAME_RULE);
    json_decref(st);
}

/* Annotations whose keys and values add up to @p total bytes. */
static json_t *annotations_of_size(size_t total)
{
    char *value = malloc(total);
    json_t *ann;

    assert_non_null(value);
    memset(value, 'v', total - 1);
    value[total - 1] = '\0';
    /* key "k" (1 byte) + value (total - 1 bytes) */
    ann = json_pack("{s:s}", "k", value);
    free(value);
    return ann;
}

static void test_validate_accepts_annotations_of_exactly_256k(void **state)
{
    json_t *pod = load(base_pod);

    (void)state;
    put(pod, "metadata.annotations", annotations_of_size(262144));
    assert_null(create_with(pod));
}

static void test_validate_rejects_annotations_over_256k(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    put(pod, "metadata.annotations", annotations_of_size(262145));
    st = create_with(pod);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: metadata.annotations: Too long: "
                   "may not be more than 262144 bytes");
    assert_cause(st, 0, "FieldValueTooLong", "metadata.annotations",
                 "Too long: may not be more than 262144 bytes");
    json_decref(st);
}

static void test_validate_requires_name_or_generate_name(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    json_object_del(json_object_get(pod, "metadata"), "name");
    st = create_with(pod);
    assert_invalid(st, "Pod", "",
                   "Pod \"\" is invalid: metadata.name: Required value: name "
                   "or generateName is required");
    assert_cause(st, 0, "FieldValueRequired", "metadata.name",
                 "Required value: name or generateName is required");
    json_decref(st);
}

static void test_validate_rejects_upper_case_name(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    put(pod, "metadata.name", json_string("Web"));
    st = create_with(pod);
    assert_invalid(st, "Pod", "Web",
                   "Pod \"Web\" is invalid: metadata.name: Invalid value: "
                   "\"Web\": " SUBDOMAIN_RULE);
    json_decref(st);
}

static void test_validate_accepts_generate_name_with_trailing_dash(void **st)
{
    json_t *pod = load(base_pod);

    (void)st;
    json_object_del(json_object_get(pod, "metadata"), "name");
    put(pod, "metadata.generateName", json_string("web-"));
    assert_null(create_with(pod));
}

static void test_validate_rejects_bad_generate_name(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    json_object_del(json_object_get(pod, "metadata"), "name");
    put(pod, "metadata.generateName", json_string("Web-"));
    st = create_with(pod);
    assert_invalid(st, "Pod", "Web-", NULL);
    assert_cause(st, 0, "FieldValueInvalid", "metadata.generateName",
                 "Invalid value: \"Web-\": " SUBDOMAIN_RULE);
    json_decref(st);
}

static void test_validate_requires_containers(void **state)
{
    json_t *st = create_with(load("{\"metadata\":{\"name\":\"p1\"},"
                                  "\"spec\":{\"containers\":[]}}"));

    (void)state;
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.containers: Required value");
    assert_cause(st, 0, "FieldValueRequired", "spec.containers",
                 "Required value");
    json_decref(st);
}

static void test_validate_requires_containers_without_spec(void **state)
{
    json_t *st = create_with(load("{\"metadata\":{\"name\":\"p1\"}}"));

    (void)state;
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.containers: Required value");
    json_decref(st);
}

static void test_validate_requires_container_image(void **state)
{
    json_t *st = create_with(load("{\"metadata\":{\"name\":\"p1\"},"
                                  "\"spec\":{\"containers\":"
                                  "[{\"name\":\"c\"}]}}"));

    (void)state;
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.containers[0].image: "
                   "Required value");
    assert_cause(st, 0, "FieldValueRequired", "spec.containers[0].image",
                 "Required value");
    json_decref(st);
}

static void test_validate_rejects_container_name_not_dns_label(void **state)
{
    json_t *st = create_with(load("{\"metadata\":{\"name\":\"p1\"},"
                                  "\"spec\":{\"containers\":[{\"name\":"
                                  "\"Web_1\",\"image\":\"nginx\"}]}}"));

    (void)state;
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.containers[0].name: Invalid "
                   "value: \"Web_1\": " DNS_LABEL_RULE);
    json_decref(st);
}

static void test_validate_rejects_duplicate_container_names(void **state)
{
    json_t *st = create_with(load(
        "{\"metadata\":{\"name\":\"p1\"},\"spec\":{\"containers\":["
        "{\"name\":\"c\",\"image\":\"a\"},{\"name\":\"c\",\"image\":\"b\"}],"
        "\"initContainers\":[{\"name\":\"c\",\"image\":\"i\"}]}}"));

    (void)state;
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: [spec.containers[1].name: "
                   "Duplicate value: \"c\", spec.initContainers[0].name: "
                   "Duplicate value: \"c\"]");
    assert_cause(st, 0, "FieldValueDuplicate", "spec.containers[1].name",
                 "Duplicate value: \"c\"");
    json_decref(st);
}

static void test_validate_joins_several_errors_in_brackets(void **state)
{
    json_t *st = create_with(
        load("{\"metadata\":{\"name\":\"p1\",\"labels\":{\"a\":\"-x\"}},"
             "\"spec\":{\"containers\":[{\"name\":\"c\"}]}}"));

    (void)state;
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: [metadata.labels: Invalid value: "
                   "\"-x\": " LABEL_VALUE_RULE ", spec.containers[0].image: "
                   "Required value]");
    assert_int_equal(cause_count(st), 2);
    json_decref(st);
}

static void test_validate_rejects_unsupported_restart_policy(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    put(pod, "spec.restartPolicy", json_string("Sometimes"));
    st = create_with(pod);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.restartPolicy: Unsupported "
                   "value: \"Sometimes\": supported values: \"Always\", "
                   "\"OnFailure\", \"Never\"");
    assert_cause(st, 0, "FieldValueNotSupported", "spec.restartPolicy",
                 "Unsupported value: \"Sometimes\": supported values: "
                 "\"Always\", \"OnFailure\", \"Never\"");
    json_decref(st);
}

static void test_validate_rejects_node_name_with_scheduling_gates(void **st_)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)st_;
    put(pod, "spec.nodeName", json_string("n1"));
    put(pod, "spec.schedulingGates", json_pack("[{s:s}]", "name", "g/x"));
    st = create_with(pod);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.nodeName: Forbidden: cannot "
                   "be set until all schedulingGates have been cleared");
    json_decref(st);
}

static void test_validate_rejects_bad_scheduling_gate_name(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    put(pod, "spec.schedulingGates", json_pack("[{s:s}]", "name", "-g"));
    st = create_with(pod);
    assert_invalid(st, "Pod", "p1", NULL);
    assert_cause(st, 0, "FieldValueInvalid", "spec.schedulingGates[0]",
                 "Invalid value: \"-g\": name part " QNAME_RULE);
    json_decref(st);
}

static void
test_validate_rejects_toleration_seconds_without_no_execute(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    put(pod, "spec.tolerations",
        json_pack("[{s:s, s:s, s:s, s:i}]", "key", "k", "operator", "Exists",
                  "effect", "NoSchedule", "tolerationSeconds", 5));
    st = create_with(pod);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.tolerations[0].effect: "
                   "Invalid value: \"NoSchedule\": effect must be "
                   "'NoExecute' when `tolerationSeconds` is set");
    json_decref(st);
}

static void test_validate_rejects_active_deadline_of_zero(void **state)
{
    json_t *pod = load(base_pod);
    json_t *st;

    (void)state;
    put(pod, "spec.activeDeadlineSeconds", json_integer(0));
    st = create_with(pod);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.activeDeadlineSeconds: "
                   "Invalid value: 0: must be between 1 and 2147483647, "
                   "inclusive");
    json_decref(st);
}

static void test_validate_rejects_image_with_trailing_space(void **state)
{
    json_t *st = create_with(load("{\"metadata\":{\"name\":\"p1\"},"
                                  "\"spec\":{\"containers\":[{\"name\":"
                                  "\"c\",\"image\":\"nginx \"}]}}"));

    (void)state;
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.containers[0].image: Invalid "
                   "value: \"nginx \": must not have leading or trailing "
                   "whitespace");
    json_decref(st);
}

static void test_validate_namespace_accepts_dns_label(void **state)
{
    (void)state;
    assert_null(fakeapi__validate_namespace_name("team-a"));
}

static void test_validate_namespace_rejects_upper_case(void **state)
{
    json_t *st = fakeapi__validate_namespace_name("Team");

    (void)state;
    assert_invalid(st, "Namespace", "Team",
                   "Namespace \"Team\" is invalid: metadata.name: Invalid "
                   "value: \"Team\": " DNS_LABEL_RULE);
    assert_cause(st, 0, "FieldValueInvalid", "metadata.name",
                 "Invalid value: \"Team\": " DNS_LABEL_RULE);
    json_decref(st);
}

static void test_validate_namespace_rejects_dots(void **state)
{
    json_t *st = fakeapi__validate_namespace_name("a.b");

    (void)state;
    assert_invalid(st, "Namespace", "a.b",
                   "Namespace \"a.b\" is invalid: metadata.name: Invalid "
                   "value: \"a.b\": must not contain dots");
    json_decref(st);
}

/* ---- updates ---- */

/* A stored pod (prepared as on create) and a copy to edit. */
static json_t *stored_pod(const char *text)
{
    json_t *pod = load(text);

    assert_int_equal(fakeapi__pod_prepare_create(pod, "2024-05-01T10:00:00Z"),
                     0);
    put(pod, "metadata.uid", json_string("u1"));
    put(pod, "metadata.resourceVersion", json_string("5"));
    return pod;
}

static json_t *update_of(const json_t *old, json_t *new)
{
    json_t *st;

    fakeapi__pod_prepare_update(new, old);
    st = fakeapi__validate_pod_update(old, new);
    json_decref(new);
    return st;
}

static void test_validate_update_allows_image_change(void **state)
{
    json_t *old = stored_pod(base_pod);
    json_t *new = json_deep_copy(old);

    (void)state;
    put(json_array_get(
            json_object_get(json_object_get(new, "spec"), "containers"), 0),
        "image", json_string("nginx:1.27"));
    assert_null(update_of(old, new));
    json_decref(old);
}

static void test_validate_update_allows_label_change(void **state)
{
    json_t *old = stored_pod(base_pod);
    json_t *new = json_deep_copy(old);

    (void)state;
    put(new, "metadata.labels", json_pack("{s:s}", "env", "prod"));
    assert_null(update_of(old, new));
    json_decref(old);
}

static void test_validate_update_rejects_bad_label(void **state)
{
    json_t *old = stored_pod(base_pod);
    json_t *new = json_deep_copy(old);
    json_t *st;

    (void)state;
    put(new, "metadata.labels", json_pack("{s:s}", "env", "-x"));
    st = update_of(old, new);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: metadata.labels: Invalid value: "
                   "\"-x\": " LABEL_VALUE_RULE);
    assert_int_equal(cause_count(st), 1);
    json_decref(st);
    json_decref(old);
}

static void test_validate_update_forbids_other_spec_changes(void **state)
{
    json_t *old = stored_pod(base_pod);
    json_t *new = json_deep_copy(old);
    json_t *st;
    const char *msg;

    (void)state;
    put(new, "spec.restartPolicy", json_string("Never"));
    st = update_of(old, new);
    assert_invalid(st, "Pod", "p1", NULL);
    msg = message_of(st);
    assert_true(strncmp(msg, "Pod \"p1\" is invalid: " UPDATE_FORBIDDEN,
                        strlen("Pod \"p1\" is invalid: " UPDATE_FORBIDDEN)) ==
                0);
    assert_non_null(strstr(msg, "RestartPolicy"));
    assert_string_equal(
        json_string_value(json_object_get(cause_of(st, 0), "reason")),
        "FieldValueForbidden");
    assert_string_equal(
        json_string_value(json_object_get(cause_of(st, 0), "field")), "spec");
    json_decref(st);
    json_decref(old);
}

static void test_validate_update_forbids_adding_a_container(void **state)
{
    json_t *old = stored_pod(base_pod);
    json_t *new = json_deep_copy(old);
    json_t *st;

    (void)state;
    json_array_append_new(
        json_object_get(json_object_get(new, "spec"), "containers"),
        json_pack("{s:s, s:s}", "name", "d", "image", "busybox"));
    st = update_of(old, new);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.containers: Forbidden: pod "
                   "updates may not add or remove containers");
    json_decref(st);
    json_decref(old);
}

static void test_validate_update_allows_added_toleration(void **state)
{
    json_t *old = stored_pod(base_pod);
    json_t *new = json_deep_copy(old);

    (void)state;
    json_array_append_new(
        json_object_get(json_object_get(new, "spec"), "tolerations"),
        json_pack("{s:s, s:s, s:s}", "key", "gpu", "operator", "Exists",
                  "effect", "NoSchedule"));
    assert_null(update_of(old, new));
    json_decref(old);
}

static void test_validate_update_allows_new_toleration_seconds(void **state)
{
    json_t *old = stored_pod(base_pod);
    json_t *new = json_deep_copy(old);

    (void)state;
    put(json_array_get(
            json_object_get(json_object_get(new, "spec"), "tolerations"), 0),
        "tolerationSeconds", json_integer(60));
    assert_null(update_of(old, new));
    json_decref(old);
}

static void test_validate_update_forbids_removed_toleration(void **state)
{
    json_t *old = load(base_pod);
    json_t *new;
    json_t *st;

    (void)state;
    put(old, "spec.tolerations",
        json_pack("[{s:s, s:s}]", "key", "gpu", "operator", "Exists"));
    assert_int_equal(fakeapi__pod_prepare_create(old, "2024-05-01T10:00:00Z"),
                     0);
    new = json_deep_copy(old);
    json_array_remove(
        json_object_get(json_object_get(new, "spec"), "tolerations"), 0);
    st = update_of(old, new);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.tolerations: Forbidden: "
                   "existing toleration can not be modified except its "
                   "tolerationSeconds");
    json_decref(st);
    json_decref(old);
}

static json_t *gated_pod(void)
{
    json_t *pod = load(base_pod);

    put(pod, "spec.schedulingGates",
        json_pack("[{s:s},{s:s}]", "name", "kreg.io/hold", "name",
                  "kreg.io/b"));
    assert_int_equal(fakeapi__pod_prepare_create(pod, "2024-05-01T10:00:00Z"),
                     0);
    return pod;
}

static void test_validate_update_allows_removing_scheduling_gates(void **st_)
{
    json_t *old = gated_pod();
    json_t *new = json_deep_copy(old);

    (void)st_;
    json_array_remove(
        json_object_get(json_object_get(new, "spec"), "schedulingGates"), 0);
    assert_null(update_of(old, new));
    new = json_deep_copy(old);
    json_object_del(json_object_get(new, "spec"), "schedulingGates");
    assert_null(update_of(old, new));
    json_decref(old);
}

static void test_validate_update_forbids_adding_scheduling_gate(void **st_)
{
    json_t *old = gated_pod();
    json_t *new = json_deep_copy(old);
    json_t *st;

    (void)st_;
    json_array_append_new(
        json_object_get(json_object_get(new, "spec"), "schedulingGates"),
        json_pack("{s:s}", "name", "kreg.io/new"));
    st = update_of(old, new);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.schedulingGates[2].name: "
                   "Forbidden: only deletion is allowed, but found new "
                   "scheduling gate 'kreg.io/new'");
    json_decref(st);
    json_decref(old);
}

static void
test_validate_update_allows_node_selector_addition_while_gated(void **state)
{
    json_t *old = gated_pod();
    json_t *new = json_deep_copy(old);

    (void)state;
    put(new, "spec.nodeSelector", json_pack("{s:s}", "disk", "ssd"));
    assert_null(update_of(old, new));
    json_decref(old);
}

static void test_validate_update_forbids_node_selector_change(void **state)
{
    json_t *old = gated_pod();
    json_t *new;
    json_t *st;

    (void)state;
    put(old, "spec.nodeSelector", json_pack("{s:s}", "disk", "ssd"));
    new = json_deep_copy(old);
    put(new, "spec.nodeSelector", json_pack("{s:s}", "disk", "hdd"));
    st = update_of(old, new);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.nodeSelector: Invalid value: "
                   "map[string]string{\"disk\":\"hdd\"}: only additions to "
                   "spec.nodeSelector are allowed (no mutations or "
                   "deletions)");
    json_decref(st);
    json_decref(old);
}

static void test_validate_update_allows_lowering_active_deadline(void **st_)
{
    json_t *old = load(base_pod);
    json_t *new;
    json_t *st;

    (void)st_;
    assert_int_equal(fakeapi__pod_prepare_create(old, "2024-05-01T10:00:00Z"),
                     0);
    new = json_deep_copy(old);
    put(new, "spec.activeDeadlineSeconds", json_integer(60));
    assert_null(update_of(old, new)); /* from nil to a value */
    put(old, "spec.activeDeadlineSeconds", json_integer(60));
    new = json_deep_copy(old);
    put(new, "spec.activeDeadlineSeconds", json_integer(30));
    assert_null(update_of(old, new));
    new = json_deep_copy(old);
    put(new, "spec.activeDeadlineSeconds", json_integer(90));
    st = update_of(old, new);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.activeDeadlineSeconds: "
                   "Invalid value: 90: must be less than or equal to "
                   "previous value");
    json_decref(st);
    new = json_deep_copy(old);
    json_object_del(json_object_get(new, "spec"), "activeDeadlineSeconds");
    st = update_of(old, new);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: spec.activeDeadlineSeconds: "
                   "Invalid value: \"null\": must not update from a positive "
                   "integer to nil value");
    json_decref(st);
    json_decref(old);
}

static void
test_validate_update_rejects_new_finalizer_while_deleting(void **state)
{
    json_t *old = stored_pod(base_pod);
    json_t *new;
    json_t *st;

    (void)state;
    put(old, "metadata.deletionTimestamp", json_string("2024-05-01T10:01:00Z"));
    new = json_deep_copy(old);
    put(new, "metadata.finalizers", json_pack("[s]", "kreg.io/f"));
    st = update_of(old, new);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: metadata.finalizers: Forbidden: no "
                   "new finalizers can be added if the object is being "
                   "deleted, found new finalizers []string{\"kreg.io/f\"}");
    json_decref(st);
    json_decref(old);
}

/* ---- /status updates ---- */

static json_t *status_update_of(const json_t *old, json_t *new)
{
    json_t *st;

    fakeapi__pod_prepare_status_update(new, old);
    st = fakeapi__validate_pod_status_update(old, new);
    json_decref(new);
    return st;
}

static void test_validate_status_update_accepts_phase_change(void **state)
{
    json_t *old = stored_pod(base_pod);
    json_t *new = json_deep_copy(old);

    (void)state;
    put(new, "status", json_pack("{s:s}", "phase", "Running"));
    assert_null(status_update_of(old, new));
    json_decref(old);
}

static void test_validate_status_update_rejects_qos_class_change(void **st_)
{
    json_t *old = stored_pod(base_pod);
    json_t *new = json_deep_copy(old);
    json_t *st;

    (void)st_;
    put(new, "status.qosClass", json_string("Guaranteed"));
    st = status_update_of(old, new);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: status.qosClass: Invalid value: "
                   "\"Guaranteed\": field is immutable");
    assert_cause(st, 0, "FieldValueInvalid", "status.qosClass",
                 "Invalid value: \"Guaranteed\": field is immutable");
    json_decref(st);
    json_decref(old);
}

static void test_validate_status_update_rejects_bad_condition_type(void **s)
{
    json_t *old = stored_pod(base_pod);
    json_t *new = json_deep_copy(old);
    json_t *st;

    (void)s;
    put(new, "status.conditions",
        json_pack("[{s:s, s:s}, {s:s, s:s}]", "type", "Ready", "status", "True",
                  "type", "my cond", "status", "True"));
    st = status_update_of(old, new);
    assert_invalid(st, "Pod", "p1", NULL);
    assert_cause(st, 0, "FieldValueInvalid", "metadata.conditions[1].Type",
                 "Invalid value: \"my cond\": name part " QNAME_RULE);
    json_decref(st);
    json_decref(old);
}

static void test_validate_status_update_keeps_terminated_when_never(void **s)
{
    json_t *old = load(base_pod);
    json_t *new;
    json_t *st;

    (void)s;
    put(old, "spec.restartPolicy", json_string("Never"));
    assert_int_equal(fakeapi__pod_prepare_create(old, "2024-05-01T10:00:00Z"),
                     0);
    put(old, "status.containerStatuses",
        load("[{\"name\":\"c\",\"state\":{\"terminated\":{\"exitCode\":1}}}]"));
    new = json_deep_copy(old);
    put(new, "status.containerStatuses",
        load("[{\"name\":\"c\",\"state\":{\"running\":{}}}]"));
    st = status_update_of(old, new);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: status.containerStatuses[0].state: "
                   "Forbidden: may not be transitioned to non-terminated "
                   "state");
    json_decref(st);
    json_decref(old);
}

static void test_validate_status_update_rejects_bad_pod_ip(void **state)
{
    json_t *old = stored_pod(base_pod);
    json_t *new = json_deep_copy(old);
    json_t *st;

    (void)state;
    put(new, "status.podIP", json_string("10.0.0.300"));
    st = status_update_of(old, new);
    assert_invalid(st, "Pod", "p1",
                   "Pod \"p1\" is invalid: status.podIPs[0]: Invalid value: "
                   "\"10.0.0.300\": must be a valid IP address, (e.g. "
                   "10.9.8.7 or 2001:db8::ffff)");
    json_decref(st);
    json_decref(old);
}

/* ---- decoding ---- */

static void assert_bad_request(json_t *st, const char *message)
{
    assert_non_null(st);
    assert_int_equal(fakeapi__status_code(st), 400);
    assert_string_equal(json_string_value(json_object_get(st, "reason")),
                        "BadRequest");
    assert_null(json_object_get(st, "details"));
    assert_string_equal(message_of(st), message);
    json_decref(st);
}

static json_t *decode(const char *text)
{
    json_t *pod = load(text);
    json_t *st = fakeapi__pod_decode_check(pod);

    json_decref(pod);
    return st;
}

static void test_validate_decode_accepts_full_pod(void **state)
{
    json_t *pod = stored_pod(base_pod);

    (void)state;
    assert_null(fakeapi__pod_decode_check(pod));
    json_decref(pod);
}

static void test_validate_decode_rejects_labels_as_string(void **state)
{
    (void)state;
    assert_bad_request(
        decode("{\"metadata\":{\"name\":\"p\",\"labels\":\"a=b\"}}"),
        "Pod in version \"v1\" cannot be handled as a Pod: json: cannot "
        "unmarshal string into Go struct field ObjectMeta.metadata.labels of "
        "type map[string]string");
}

static void test_validate_decode_rejects_number_label_value(void **state)
{
    (void)state;
    assert_bad_request(
        decode("{\"metadata\":{\"labels\":{\"a\":1}}}"),
        "Pod in version \"v1\" cannot be handled as a Pod: json: cannot "
        "unmarshal number into Go struct field ObjectMeta.metadata.labels of "
        "type string");
}

static void test_validate_decode_rejects_containers_as_object(void **state)
{
    (void)state;
    assert_bad_request(
        decode("{\"spec\":{\"containers\":{\"name\":\"c\"}}}"),
        "Pod in version \"v1\" cannot be handled as a Pod: json: cannot "
        "unmarshal object into Go struct field PodSpec.spec.containers of "
        "type []v1.Container");
}

static void test_validate_decode_rejects_number_container_name(void **state)
{
    (void)state;
    assert_bad_request(
        decode("{\"spec\":{\"containers\":[{\"name\":7}]}}"),
        "Pod in version \"v1\" cannot be handled as a Pod: json: cannot "
        "unmarshal number into Go struct field Container.spec.containers.name "
        "of type string");
}

static void
test_validate_decode_reports_first_error_in_document_order(void **state)
{
    (void)state;
    assert_bad_request(
        decode("{\"status\":{\"phase\":1},\"spec\":[]}"),
        "Pod in version \"v1\" cannot be handled as a Pod: json: cannot "
        "unmarshal number into Go struct field PodStatus.status.phase of "
        "type v1.PodPhase");
}

static void test_validate_decode_rejects_int32_overflow(void **state)
{
    (void)state;
    assert_bad_request(
        decode("{\"status\":{\"containerStatuses\":[{\"restartCount\":"
               "3000000000}]}}"),
        "Pod in version \"v1\" cannot be handled as a Pod: json: cannot "
        "unmarshal number 3000000000 into Go struct field "
        "ContainerStatus.status.containerStatuses.restartCount of type "
        "int32");
}

static void test_validate_decode_rejects_malformed_quantity(void **state)
{
    (void)state;
    assert_bad_request(
        decode("{\"spec\":{\"containers\":[{\"resources\":{\"limits\":"
               "{\"cpu\":\"lots\"}}}]}}"),
        "Pod in version \"v1\" cannot be handled as a Pod: quantities must "
        "match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    assert_bad_request(
        decode("{\"spec\":{\"containers\":[{\"resources\":{\"limits\":"
               "{\"cpu\":\"1ki\"}}}]}}"),
        "Pod in version \"v1\" cannot be handled as a Pod: unable to parse "
        "quantity's suffix");
}

static void
test_validate_decode_accepts_numeric_quantity_and_nulls(void **state)
{
    (void)state;
    assert_null(decode("{\"metadata\":{\"labels\":null},\"spec\":{"
                       "\"containers\":[{\"name\":\"c\",\"resources\":{"
                       "\"limits\":{\"cpu\":2,\"memory\":\"1Gi\"}}}],"
                       "\"nodeName\":null},\"unknown\":5}"));
}

static void test_validate_decode_rejects_bad_timestamp(void **state)
{
    (void)state;
    assert_bad_request(
        decode("{\"metadata\":{\"creationTimestamp\":5}}"),
        "Pod in version \"v1\" cannot be handled as a Pod: json: cannot "
        "unmarshal number into Go struct field "
        "ObjectMeta.metadata.creationTimestamp of type string");
}

static void test_validate_decode_rejects_number_kind(void **state)
{
    json_t *st = decode("{\"kind\":5}");

    (void)state;
    assert_non_null(st);
    assert_int_equal(fakeapi__status_code(st), 400);
    assert_non_null(
        strstr(message_of(st), "couldn't get version/kind; json parse error"));
    json_decref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_accepts_minimal_pod),
        cmocka_unit_test(test_validate_accepts_prepared_pod),
        cmocka_unit_test(test_validate_rejects_label_value_with_leading_dash),
        cmocka_unit_test(test_validate_rejects_label_key_with_leading_dash),
        cmocka_unit_test(test_validate_accepts_upper_case_annotation_key),
        cmocka_unit_test(test_validate_rejects_upper_case_label_key_prefix),
        cmocka_unit_test(test_validate_rejects_bad_annotation_key_as_sent),
        cmocka_unit_test(test_validate_accepts_annotations_of_exactly_256k),
        cmocka_unit_test(test_validate_rejects_annotations_over_256k),
        cmocka_unit_test(test_validate_requires_name_or_generate_name),
        cmocka_unit_test(test_validate_rejects_upper_case_name),
        cmocka_unit_test(
            test_validate_accepts_generate_name_with_trailing_dash),
        cmocka_unit_test(test_validate_rejects_bad_generate_name),
        cmocka_unit_test(test_validate_requires_containers),
        cmocka_unit_test(test_validate_requires_containers_without_spec),
        cmocka_unit_test(test_validate_requires_container_image),
        cmocka_unit_test(test_validate_rejects_container_name_not_dns_label),
        cmocka_unit_test(test_validate_rejects_duplicate_container_names),
        cmocka_unit_test(test_validate_joins_several_errors_in_brackets),
        cmocka_unit_test(test_validate_rejects_unsupported_restart_policy),
        cmocka_unit_test(test_validate_rejects_node_name_with_scheduling_gates),
        cmocka_unit_test(test_validate_rejects_bad_scheduling_gate_name),
        cmocka_unit_test(
            test_validate_rejects_toleration_seconds_without_no_execute),
        cmocka_unit_test(test_validate_rejects_active_deadline_of_zero),
        cmocka_unit_test(test_validate_rejects_image_with_trailing_space),
        cmocka_unit_test(test_validate_namespace_accepts_dns_label),
        cmocka_unit_test(test_validate_namespace_rejects_upper_case),
        cmocka_unit_test(test_validate_namespace_rejects_dots),
        cmocka_unit_test(test_validate_update_allows_image_change),
        cmocka_unit_test(test_validate_update_allows_label_change),
        cmocka_unit_test(test_validate_update_rejects_bad_label),
        cmocka_unit_test(test_validate_update_forbids_other_spec_changes),
        cmocka_unit_test(test_validate_update_forbids_adding_a_container),
        cmocka_unit_test(test_validate_update_allows_added_toleration),
        cmocka_unit_test(test_validate_update_allows_new_toleration_seconds),
        cmocka_unit_test(test_validate_update_forbids_removed_toleration),
        cmocka_unit_test(test_validate_update_allows_removing_scheduling_gates),
        cmocka_unit_test(test_validate_update_forbids_adding_scheduling_gate),
        cmocka_unit_test(
            test_validate_update_allows_node_selector_addition_while_gated),
        cmocka_unit_test(test_validate_update_forbids_node_selector_change),
        cmocka_unit_test(test_validate_update_allows_lowering_active_deadline),
        cmocka_unit_test(
            test_validate_update_rejects_new_finalizer_while_deleting),
        cmocka_unit_test(test_validate_status_update_accepts_phase_change),
        cmocka_unit_test(test_validate_status_update_rejects_qos_class_change),
        cmocka_unit_test(
            test_validate_status_update_rejects_bad_condition_type),
        cmocka_unit_test(
            test_validate_status_update_keeps_terminated_when_never),
        cmocka_unit_test(test_validate_status_update_rejects_bad_pod_ip),
        cmocka_unit_test(test_validate_decode_accepts_full_pod),
        cmocka_unit_test(test_validate_decode_rejects_labels_as_string),
        cmocka_unit_test(test_validate_decode_rejects_number_label_value),
        cmocka_unit_test(test_validate_decode_rejects_containers_as_object),
        cmocka_unit_test(test_validate_decode_rejects_number_container_name),
        cmocka_unit_test(
            test_validate_decode_reports_first_error_in_document_order),
        cmocka_unit_test(test_validate_decode_rejects_int32_overflow),
        cmocka_unit_test(test_validate_decode_rejects_malformed_quantity),
        cmocka_unit_test(
            test_validate_decode_accepts_numeric_quantity_and_nulls),
        cmocka_unit_test(test_validate_decode_rejects_bad_timestamp),
        cmocka_unit_test(test_validate_decode_rejects_number_kind),
    };

    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
