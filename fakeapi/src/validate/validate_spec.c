/*
 * validate_spec: the pod spec rules of ValidatePodSpec and ValidatePodCreate
 * (pkg/apis/core/validation/validation.go, 1.32).
 * Declared in validate.h. Checked: containers and init containers (name,
 * image, policies, duplicates), restart/DNS/preemption policies, node
 * selector labels, readiness and scheduling gates, tolerations, the
 * service account, node and host names, activeDeadlineSeconds (the update
 * rules are in validate_update.c). Not checked: volumes, probes,
 * ports, env, security contexts, affinity and topology rules.
 */
#include "validate/validate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"

#define FIELD_MAX 128
#define MAX_INT32 2147483647LL

static const char *const restart_policies[] = {"Always", "OnFailure", "Never"};
static const char *const dns_policies[] = {"ClusterFirstWithHostNet",
                                           "ClusterFirst", "Default", "None"};
static const char *const pull_policies[] = {"Always", "IfNotPresent", "Never"};
static const char *const message_policies[] = {"File", "FallbackToLogsOnError"};
static const char *const preemption_policies[] = {"PreemptLowerPriority",
                                                  "Never"};
static const char *const toleration_ops[] = {"Equal", "Exists"};
static const char *const taint_effects[] = {"NoSchedule", "PreferNoSchedule",
                                            "NoExecute"};
static const char *const init_restart_policies[] = {"Always"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A string member, or NULL. */
static const char *str_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool is_empty(const char *s)
{
    return !s || !*s;
}

/* "<base>[<i>].<child>" (or "<base>[<i>]" when @p child is NULL); a path
 * longer than FIELD_MAX is cut, as every field path here is. */
static void path_index(char *buf, const char *base, size_t i, const char *child)
{
    int n = snprintf(buf, FIELD_MAX, child ? "%s[%zu].%s" : "%s[%zu]", base, i,
                     child ? child : "");

    if (n < 0)
        buf[0] = '\0';
}

/* Check an enum-like member when present (defaults fill it later). */
static void check_enum(struct fakeapi_field_errors *fe, const json_t *o,
                       const char *key, const char *field,
                       const char *const *values, size_t n)
{
    const char *v = str_of(o, key);
    size_t i;

    if (is_empty(v))
        return;
    for (i = 0; i < n; i++) {
        if (strcmp(v, values[i]) == 0)
            return;
    }
    fakeapi__validate_not_supported(fe, field, v, values, n);
}

/* field.Duplicate: `Duplicate value: "x"`. */
static void add_duplicate(struct fakeapi_field_errors *fe, const char *field,
                          const char *value)
{
    struct kbuf q;

    kbuf_init(&q, 1 << 20);
    fakeapi__validate_quote(&q, value, strlen(value));
    fakeapi__validate_add(fe, "FieldValueDuplicate", field,
                          "Duplicate value: %s", kbuf_str(&q));
    kbuf_release(&q);
}

/* validation.IsValidPortName: each rule broken, in its order. */
static void validate_port_name(struct fakeapi_field_errors *fe,
                               const char *field, const char *name)
{
    size_t n = strlen(name);
    bool letter = false;
    bool charset = n > 0;
    size_t i;

    for (i = 0; i < n; i++) {
        char ch = name[i];

        letter = letter || (ch >= 'a' && ch <= 'z');
        charset = charset && ((ch >= 'a' && ch <= 'z') ||
                              (ch >= '0' && ch <= '9') || ch == '-');
    }
    if (n > 15)
        fakeapi__validate_invalid(fe, field, name,
                                  "must be no more than 15 characters");
    if (!charset)
        fakeapi__validate_invalid(fe, field, name,
                                  "must contain only alpha-numeric characters "
                                  "(a-z, 0-9), and hyphens (-)");
    if (!letter)
        fakeapi__validate_invalid(fe, field, name,
                                  "must contain at least one letter (a-z)");
    if (strstr(name, "--"))
        fakeapi__validate_invalid(fe, field, name,
                                  "must not contain consecutive hyphens (-)");
    if (n > 0 && (name[0] == '-' || name[n - 1] == '-'))
        fakeapi__validate_invalid(fe, field, name,
                                  "must not begin or end with a hyphen (-)");
}

/* Is @p name (valid) already used by ports[0..end)? */
static bool port_name_used(const json_t *ports, size_t end, const char *name)
{
    size_t i;

    for (i = 0; i < end; i++) {
        const char *n = str_of(json_array_get(ports, i), "name");

        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* validateContainerPorts: name (valid, unique), containerPort (set, in
 * range), hostPort (in range when set), protocol (supported). */
static void validate_ports(struct fakeapi_field_errors *fe, const json_t *ports,
                           const char *base)
{
    static const char *const protocols[] = {"SCTP", "TCP", "UDP"};
    static const char range[] = "must be between 1 and 65535, inclusive";
    const json_t *p;
    size_t i;

    json_array_foreach(ports, i, p)
    {
        const char *name = str_of(p, "name");
        json_int_t cp = json_integer_value(json_object_get(p, "containerPort"));
        json_int_t hp = json_integer_value(json_object_get(p, "hostPort"));
        char field[FIELD_MAX];
        size_t before = json_array_size(fe->causes);

        path_index(field, base, i, "name");
        if (!is_empty(name)) {
            validate_port_name(fe, field, name);
            if (json_array_size(fe->causes) == before &&
                port_name_used(ports, i, name))
                add_duplicate(fe, field, name);
        }
        path_index(field, base, i, "containerPort");
        if (cp == 0)
            fakeapi__validate_add(fe, "FieldValueRequired", field,
                                  "Required value");
        else if (cp < 1 || cp > 65535)
            fakeapi__validate_add(fe, "FieldValueInvalid", field,
                                  "Invalid value: %lld: %s", (long long)cp,
                                  range);
        path_index(field, base, i, "hostPort");
        if (hp != 0 && (hp < 1 || hp > 65535))
            fakeapi__validate_add(fe, "FieldValueInvalid", field,
                                  "Invalid value: %lld: %s", (long long)hp,
                                  range);
        path_index(field, base, i, "protocol");
        check_enum(fe, p, "protocol", field, protocols, NELEM(protocols));
    }
}

/* validateContainerCommon: name, image and the two policies. */
static void validate_container_common(struct fakeapi_field_errors *fe,
                                      const json_t *c, const char *base,
                                      size_t i)
{
    const char *name = str_of(c, "name");
    char field[FIELD_MAX];

    path_index(field, base, i, "name");
    if (is_empty(name))
        fakeapi__validate_add(fe, "FieldValueRequired", field,
                              "Required value");
    else
        fakeapi__validate_name(fe, field, name, fakeapi__check_dns1123_label);
    path_index(field, base, i, "image");
    if (is_empty(str_of(c, "image")))
        fakeapi__validate_add(fe, "FieldValueRequired", field,
                              "Required value");
    path_index(field, base, i, "terminationMessagePolicy");
    check_enum(fe, c, "terminationMessagePolicy", field, message_policies,
               NELEM(message_policies));
    path_index(field, base, i, "ports");
    validate_ports(fe, json_object_get(c, "ports"), field);
    path_index(field, base, i, "imagePullPolicy");
    check_enum(fe, c, "imagePullPolicy", field, pull_policies,
               NELEM(pull_policies));
}

/* Does list[0..end) hold a container named @p name? */
static bool has_name(const json_t *list, size_t end, const char *name)
{
    size_t i;

    for (i = 0; i < end && i < json_array_size(list); i++) {
        const char *n = str_of(json_array_get(list, i), "name");

        if (strcmp(n ? n : "", name) == 0)
            return true;
    }
    return false;
}

/* validateContainers: at least one; names unique among them. */
static void validate_containers(struct fakeapi_field_errors *fe,
                                const json_t *list)
{
    const json_t *c;
    size_t i;

    if (json_array_size(list) == 0) {
        fakeapi__validate_add(fe, "FieldValueRequired", "spec.containers",
                              "Required value");
        return;
    }
    json_array_foreach(list, i, c)
    {
        const char *name = str_of(c, "name");
        char field[FIELD_MAX];

        validate_container_common(fe, c, "spec.containers", i);
        path_index(field, "spec.containers", i, "name");
        if (has_name(list, i, name ? name : ""))
            add_duplicate(fe, field, name ? name : "");
        path_index(field, "spec.containers", i, "restartPolicy");
        if (json_object_get(c, "restartPolicy") &&
            !json_is_null(json_object_get(c, "restartPolicy")))
            fakeapi__validate_add(fe, "FieldValueForbidden", field,
                                  "Forbidden: may not be set for non-init "
                                  "containers");
    }
}

/* validateInitContainers: names unique among init and regular ones. */
static void validate_init_containers(struct fakeapi_field_errors *fe,
                                     const json_t *inits,
                                     const json_t *containers)
{
    const json_t *c;
    size_t i;

    json_array_foreach(inits, i, c)
    {
        const char *name = str_of(c, "name");
        char field[FIELD_MAX];

        validate_container_common(fe, c, "spec.initContainers", i);
        path_index(field, "spec.initContainers", i, "restartPolicy");
        check_enum(fe, c, "restartPolicy", field, init_restart_policies,
                   NELEM(init_restart_policies));
        path_index(field, "spec.initContainers", i, "name");
        if (has_name(containers, SIZE_MAX, name ? name : "") ||
            (!is_empty(name) && has_name(inits, i, name)))
            add_duplicate(fe, field, name ? name : "");
    }
}

/* validateContainerOnlyForPod: no whitespace around the image. */
static void validate_image_space(struct fakeapi_field_errors *fe,
                                 const json_t *list, const char *base)
{
    const json_t *c;
    size_t i;

    json_array_foreach(list, i, c)
    {
        const char *image = str_of(c, "image");
        size_t n = image ? strlen(image) : 0;
        char field[FIELD_MAX];

        if (n == 0 || (!strchr(" \t\n\v\f\r", image[0]) &&
                       !strchr(" \t\n\v\f\r", image[n - 1])))
            continue;
        path_index(field, base, i, "image");
        fakeapi__validate_invalid(fe, field, image,
                                  "must not have leading or trailing "
                                  "whitespace");
    }
}

/* Qualified-name checks of readinessGates and schedulingGates. */
static void validate_gates(struct fakeapi_field_errors *fe, const json_t *spec)
{
    const json_t *g;
    size_t i;

    json_array_foreach(json_object_get(spec, "readinessGates"), i, g)
    {
        const char *t = str_of(g, "conditionType");
        char field[FIELD_MAX];

        path_index(field, "spec.readinessGates", i, "conditionType");
        fakeapi__validate_name(fe, field, t ? t : "",
                               fakeapi__check_qualified_name);
    }
    json_array_foreach(json_object_get(spec, "schedulingGates"), i, g)
    {
        const json_t *gates = json_object_get(spec, "schedulingGates");
        const char *name = str_of(g, "name");
        char field[FIELD_MAX];

        path_index(field, "spec.schedulingGates", i, NULL);
        fakeapi__validate_name(fe, field, name ? name : "",
                               fakeapi__check_qualified_name);
        if (has_name(gates, i, name ? name : ""))
            add_duplicate(fe, field, name ? name : "");
    }
}

/* ValidateTolerations, the operator/value part. */
static void validate_toleration_value(struct fakeapi_field_errors *fe,
                                      const json_t *t, const char *op_field)
{
    const char *op = str_of(t, "operator");
    const char *value = str_of(t, "value");
    json_t *msgs;
    struct kbuf joined;
    const json_t *m;
    size_t i;

    if (op && strcmp(op, "Exists") == 0) {
        if (!is_empty(value))
            fakeapi__validate_invalid(fe, op_field, value,
                                      "value must be empty when `operator` "
                                      "is 'Exists'");
        return;
    }
    if (!is_empty(op) && strcmp(op, "Equal") != 0) {
        fakeapi__validate_not_supported(fe, op_field, op, toleration_ops,
                                        NELEM(toleration_ops));
        return;
    }
    msgs = json_array();
    kbuf_init(&joined, 1 << 20);
    fakeapi__check_label_value(value ? value : "", value ? strlen(value) : 0,
                               msgs);
    json_array_foreach(msgs, i, m)
    {
        kbuf_adds(&joined, i ? ";" : "");
        kbuf_adds(&joined, json_string_value(m));
    }
    if (json_array_size(msgs) > 0)
        fakeapi__validate_invalid(fe, op_field, value ? value : "",
                                  kbuf_str(&joined));
    kbuf_release(&joined);
    json_decref(msgs);
}

static void validate_tolerations(struct fakeapi_field_errors *fe,
                                 const json_t *list)
{
    const json_t *t;
    size_t i;

    json_array_foreach(list, i, t)
    {
        const char *key = str_of(t, "key");
        const char *op = str_of(t, "operator");
        const char *effect = str_of(t, "effect");
        const json_t *secs = json_object_get(t, "tolerationSeconds");
        char field[FIELD_MAX];
        char op_field[FIELD_MAX];

        path_index(op_field, "spec.tolerations", i, "operator");
        path_index(field, "spec.tolerations", i, "key");
        if (!is_empty(key))
            fakeapi__validate_name(fe, field, key,
                                   fakeapi__check_qualified_name);
        if (is_empty(key) && (!op || strcmp(op, "Exists") != 0))
            fakeapi__validate_invalid(
                fe, op_field, op ? op : "",
                "operator must be Exists when `key` is empty, which means "
                "\"match all values and all keys\"");
        path_index(field, "spec.tolerations", i, "effect");
        if (secs && !json_is_null(secs) &&
            (!effect || strcmp(effect, "NoExecute") != 0))
            fakeapi__validate_invalid(fe, field, effect ? effect : "",
                                      "effect must be 'NoExecute' when "
                                      "`tolerationSeconds` is set");
        validate_toleration_value(fe, t, op_field);
        check_enum(fe, t, "effect", field, taint_effects, NELEM(taint_effects));
    }
}

/* A name-like member checked with @p check when non-empty. */
static void check_named(struct fakeapi_field_errors *fe, const json_t *spec,
                        const char *key,
                        size_t (*check)(const char *, size_t, json_t *))
{
    const char *v = str_of(spec, key);
    char field[FIELD_MAX];

    if (is_empty(v))
        return;
    snprintf(field, sizeof(field), "spec.%s", key);
    fakeapi__validate_name(fe, field, v, check);
}

/* The scalar rules of ValidatePodSpec after the containers. */
static void validate_spec_scalars(struct fakeapi_field_errors *fe,
                                  const json_t *spec)
{
    const json_t *ads = json_object_get(spec, "activeDeadlineSeconds");

    check_enum(fe, spec, "restartPolicy", "spec.restartPolicy",
               restart_policies, NELEM(restart_policies));
    check_enum(fe, spec, "dnsPolicy", "spec.dnsPolicy", dns_policies,
               NELEM(dns_policies));
    fakeapi__validate_labels(fe, json_object_get(spec, "nodeSelector"),
                             "spec.nodeSelector");
    validate_gates(fe, spec);
    check_named(fe, spec, "serviceAccountName",
                fakeapi__check_dns1123_subdomain);
    check_named(fe, spec, "nodeName", fakeapi__check_dns1123_subdomain);
    if (json_is_integer(ads) &&
        (json_integer_value(ads) < 1 || json_integer_value(ads) > MAX_INT32))
        fakeapi__validate_add(fe, "FieldValueInvalid",
                              "spec.activeDeadlineSeconds",
                              "Invalid value: %" JSON_INTEGER_FORMAT
                              ": must be between 1 and 2147483647, inclusive",
                              json_integer_value(ads));
    check_named(fe, spec, "hostname", fakeapi__check_dns1123_label);
    check_named(fe, spec, "subdomain", fakeapi__check_dns1123_label);
    validate_tolerations(fe, json_object_get(spec, "tolerations"));
    check_named(fe, spec, "priorityClassName",
                fakeapi__check_dns1123_subdomain);
    check_enum(fe, spec, "preemptionPolicy", "spec.preemptionPolicy",
               preemption_policies, NELEM(preemption_policies));
}

void fakeapi__validate_spec(struct fakeapi_field_errors *fe, const json_t *spec,
                            bool create)
{
    const json_t *containers = json_object_get(spec, "containers");
    const json_t *inits = json_object_get(spec, "initContainers");

    validate_containers(fe, containers);
    validate_init_containers(fe, inits, containers);
    validate_spec_scalars(fe, spec);
    validate_image_space(fe, containers, "spec.containers");
    validate_image_space(fe, inits, "spec.initContainers");
    if (!create)
        return;
    /* ValidatePodCreate. */
    if (json_array_size(json_object_get(spec, "ephemeralContainers")) > 0)
        fakeapi__validate_add(fe, "FieldValueForbidden",
                              "spec.ephemeralContainers",
                              "Forbidden: cannot be set on create");
    if (!is_empty(str_of(spec, "nodeName")) &&
        json_array_size(json_object_get(spec, "schedulingGates")) > 0)
        fakeapi__validate_add(fe, "FieldValueForbidden", "spec.nodeName",
                              "Forbidden: cannot be set until all "
                              "schedulingGates have been cleared");
}
