#include "validate/validate.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/names.h"

/* docs/kubernetes-api.md, Validation: TotalAnnotationSizeLimitB. */
#define ANNOTATIONS_MAX_BYTES 262144
/* Field paths here are short: "spec.initContainers[12].image". */
#define FIELD_MAX 128
/* apimachineryvalidation.FieldImmutableErrorMsg. */
#define IMMUTABLE_MSG "field is immutable"

/* apimachinery ValidateAnnotations: keys lower-cased before the
 * qualified-name check (the error shows the key as sent), then the total
 * size of keys and values (docs/kubernetes-api.md, Validation). */
static void validate_annotations(struct fakeapi_field_errors *fe,
                                 const json_t *ann)
{
    unsigned long long total = 0;
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)(uintptr_t)ann, key, v)
    {
        size_t len = strlen(key);
        char *lower = malloc(len + 1);
        json_t *msgs = json_array();
        const json_t *m;
        size_t i;

        for (i = 0; lower && i <= len; i++)
            lower[i] =
                (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 : key[i]);
        if (lower)
            fakeapi__check_qualified_name(lower, len, msgs);
        json_array_foreach(msgs, i, m) fakeapi__validate_invalid(
            fe, "metadata.annotations", key, json_string_value(m));
        json_decref(msgs);
        free(lower);
        total += len + json_string_length(v);
    }
    if (total > ANNOTATIONS_MAX_BYTES)
        fakeapi__validate_add(fe, "FieldValueTooLong", "metadata.annotations",
                              "Too long: may not be more than %d bytes",
                              ANNOTATIONS_MAX_BYTES);
}

/*
 * NameIsDNSSubdomain(name, prefix=true): one trailing '-' may stay on a
 * generateName, masked as maskTrailingDash does (it drops the last two
 * characters and appends "a", an upstream quirk kept on purpose).
 */
static void validate_generate_name(struct fakeapi_field_errors *fe,
                                   const char *gen)
{
    size_t len = strlen(gen);
    json_t *msgs = json_array();
    const json_t *m;
    char *masked = malloc(len + 1);
    size_t i;

    if (masked) {
        memcpy(masked, gen, len + 1);
        if (len > 1 && gen[len - 1] == '-') {
            masked[len - 2] = 'a';
            masked[len - 1] = '\0';
        }
        fakeapi__check_dns1123_subdomain(masked, strlen(masked), msgs);
    }
    json_array_foreach(msgs, i, m) fakeapi__validate_invalid(
        fe, "metadata.generateName", gen, json_string_value(m));
    json_decref(msgs);
    free(masked);
}

/* ValidateObjectMeta for a namespaced object (validatePodMetadataAndSpec
 * first part). The namespace is checked when present: the store sets it
 * from the URL. */
static void validate_meta(struct fakeapi_field_errors *fe, const json_t *meta)
{
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *gen = json_string_value(json_object_get(meta, "generateName"));
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const json_t *generation = json_object_get(meta, "generation");

    if (gen && *gen)
        validate_generate_name(fe, gen);
    if (name && *name)
        fakeapi__validate_name(fe, "metadata.name", name,
                               fakeapi__check_dns1123_subdomain);
    else if (!gen || !*gen)
        fakeapi__validate_add(fe, "FieldValueRequired", "metadata.name",
                              "Required value: name or generateName is "
                              "required");
    if (ns && *ns)
        fakeapi__validate_name(fe, "metadata.namespace", ns,
                               fakeapi__check_dns1123_label);
    if (json_is_integer(generation) && json_integer_value(generation) < 0)
        fakeapi__validate_add(fe, "FieldValueInvalid", "metadata.generation",
                              "Invalid value: %" JSON_INTEGER_FORMAT
                              ": must be greater than or equal to 0",
                              json_integer_value(generation));
    fakeapi__validate_labels(fe, json_object_get(meta, "labels"),
                             "metadata.labels");
    validate_annotations(fe, json_object_get(meta, "annotations"));
}

/* The name Status details carry: the (generated) name, else the
 * generateName the caller has not expanded. */
static const char *details_name(const json_t *pod)
{
    const json_t *meta = json_object_get(pod, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));

    if (!name || !*name)
        name = json_string_value(json_object_get(meta, "generateName"));
    return name ? name : "";
}

/* Turn the collected errors into the answer. */
static json_t *finish(struct fakeapi_field_errors *fe, const char *kind,
                      const char *name)
{
    json_t *st = NULL;

    if (!fe->causes)
        st = fakeapi__status_new(500, "InternalError",
                                 "Internal error occurred: out of memory");
    else if (fakeapi__field_errors_count(fe) > 0)
        st = fakeapi__status_invalid(kind, name, fe);
    fakeapi__field_errors_release(fe);
    return st;
}

json_t *fakeapi__validate_pod_create(const json_t *pod)
{
    struct fakeapi_field_errors fe;

    fakeapi__field_errors_init(&fe);
    if (fe.causes) {
        validate_meta(&fe, json_object_get(pod, "metadata"));
        fakeapi__validate_spec(&fe, json_object_get(pod, "spec"), true);
    }
    return finish(&fe, "Pod", details_name(pod));
}

/* ValidateNoNewFinalizers: a pod being deleted may only lose finalizers.
 * The value is shown as Go's %#v of a []string. */
static void validate_finalizers(struct fakeapi_field_errors *fe,
                                const json_t *newm, const json_t *oldm)
{
    const json_t *oldf = json_object_get(oldm, "finalizers");
    const json_t *f;
    struct kbuf extra;
    size_t i;
    size_t n = 0;

    if (!json_object_get(oldm, "deletionTimestamp") ||
        json_is_null(json_object_get(oldm, "deletionTimestamp")))
        return;
    kbuf_init(&extra, 1 << 20);
    kbuf_adds(&extra, "[]string{");
    json_array_foreach(json_object_get(newm, "finalizers"), i, f)
    {
        const json_t *o;
        size_t j;
        bool found = false;
        const char *s = json_string_value(f);

        json_array_foreach(oldf, j, o) found = found || json_equal(f, o);
        if (found || !s)
            continue;
        kbuf_adds(&extra, n++ ? ", " : "");
        fakeapi__validate_quote(&extra, s, strlen(s));
    }
    kbuf_addc(&extra, '}');
    if (n > 0)
        fakeapi__validate_add(fe, "FieldValueForbidden", "metadata.finalizers",
                              "Forbidden: no new finalizers can be added if "
                              "the object is being deleted, found new "
                              "finalizers %s",
                              kbuf_str(&extra));
    kbuf_release(&extra);
}

json_t *fakeapi__validate_pod_update(const json_t *old, const json_t *new)
{
    struct fakeapi_field_errors fe;
    const json_t *meta = json_object_get(new, "metadata");

    fakeapi__field_errors_init(&fe);
    if (fe.causes) {
        /* ValidateObjectMetaUpdate, then validatePodMetadataAndSpec. */
        validate_finalizers(&fe, meta, json_object_get(old, "metadata"));
        validate_meta(&fe, meta);
        fakeapi__validate_spec(&fe, json_object_get(new, "spec"), false);
        fakeapi__validate_spec_update(&fe, json_object_get(new, "spec"),
                                      json_object_get(old, "spec"));
    }
    return finish(&fe, "Pod", details_name(new));
}

/* validatePodConditions: custom condition types are qualified names. The
 * server reports them under "metadata.conditions[i].Type" (it builds the
 * path from the metadata path), and so does the fake. */
static void validate_conditions(struct fakeapi_field_errors *fe,
                                const json_t *conditions)
{
    static const char *const system[] = {"PodScheduled", "Ready",
                                         "Initialized"};
    const json_t *c;
    size_t i;

    json_array_foreach(conditions, i, c)
    {
        const char *type = json_string_value(json_object_get(c, "type"));
        char field[FIELD_MAX];
        size_t k;
        bool sys = false;

        for (k = 0; k < 3; k++)
            sys = sys || (type && strcmp(type, system[k]) == 0);
        if (sys)
            continue;
        snprintf(field, sizeof(field), "metadata.conditions[%zu].Type", i);
        fakeapi__validate_name(fe, field, type ? type : "",
                               fakeapi__check_qualified_name);
    }
}

/* Is the init container @p name restartable (restartPolicy Always)? */
static bool is_restartable_init(const json_t *init_specs, const char *name)
{
    const json_t *c;
    size_t i;

    json_array_foreach(init_specs, i, c)
    {
        const char *n = json_string_value(json_object_get(c, "name"));
        const char *rp = json_string_value(json_object_get(c, "restartPolicy"));

        if (n && name && strcmp(n, name) == 0)
            return rp && strcmp(rp, "Always") == 0;
    }
    return false;
}

/* ValidateContainerStateTransition / ValidateInitContainerStateTransition:
 * unless the restart policy allows it, a terminated container stays
 * terminated. @p init_specs is the init containers' spec, or NULL. */
static void validate_transitions(struct fakeapi_field_errors *fe,
                                 const json_t *news, const json_t *olds,
                                 const char *field, const char *policy,
                                 const json_t *init_specs)
{
    const json_t *o;
    size_t i;

    if (strcmp(policy, "Always") == 0)
        return;
    json_array_foreach(olds, i, o)
    {
        const json_t *term =
            json_object_get(json_object_get(o, "state"), "terminated");
        const char *name = json_string_value(json_object_get(o, "name"));
        const json_t *n;
        size_t j;

        if (!json_is_object(term) ||
            (json_integer_value(json_object_get(term, "exitCode")) != 0 &&
             strcmp(policy, "OnFailure") == 0) ||
            (init_specs && is_restartable_init(init_specs, name)))
            continue;
        json_array_foreach(news, j, n)
        {
            const char *nn = json_string_value(json_object_get(n, "name"));
            char path[FIELD_MAX];

            if (!name || !nn || strcmp(name, nn) != 0 ||
                json_is_object(
                    json_object_get(json_object_get(n, "state"), "terminated")))
                continue;
            snprintf(path, sizeof(path), "%s[%zu].state", field, i);
            fakeapi__validate_add(fe, "FieldValueForbidden", path,
                                  "Forbidden: may not be transitioned to "
                                  "non-terminated state");
        }
    }
}

/* validatePodIPs: every entry is an IP address (the dual-stack rules for
 * two entries are not checked). */
static void validate_pod_ips(struct fakeapi_field_errors *fe, const json_t *ips)
{
    const json_t *e;
    size_t i;

    json_array_foreach(ips, i, e)
    {
        const char *ip = json_string_value(json_object_get(e, "ip"));
        unsigned char buf[16];
        char field[FIELD_MAX];

        if (ip && (inet_pton(AF_INET, ip, buf) == 1 ||
                   inet_pton(AF_INET6, ip, buf) == 1))
            continue;
        snprintf(field, sizeof(field), "status.podIPs[%zu]", i);
        fakeapi__validate_invalid(fe, field, ip ? ip : "",
                                  "must be a valid IP address, (e.g. "
                                  "10.9.8.7 or 2001:db8::ffff)");
    }
}

/* The status part of ValidatePodStatusUpdate. */
static void validate_status(struct fakeapi_field_errors *fe, const json_t *old,
                            const json_t *new)
{
    const json_t *st = json_object_get(new, "status");
    const json_t *ost = json_object_get(old, "status");
    const json_t *ospec = json_object_get(old, "spec");
    const char *policy =
        json_string_value(json_object_get(ospec, "restartPolicy"));
    const char *qos = json_string_value(json_object_get(st, "qosClass"));
    const char *oqos = json_string_value(json_object_get(ost, "qosClass"));
    const char *nom =
        json_string_value(json_object_get(st, "nominatedNodeName"));
    const char *onom =
        json_string_value(json_object_get(ost, "nominatedNodeName"));

    if (nom && *nom && (!onom || strcmp(nom, onom) != 0))
        fakeapi__validate_name(fe, "status.nominatedNodeName", nom,
                               fakeapi__check_dns1123_subdomain);
    /* docs/kubernetes-api.md, The status subresource: a changed qosClass is 422
     * (immutable). */
    if (strcmp(qos ? qos : "", oqos ? oqos : "") != 0)
        fakeapi__validate_invalid(fe, "status.qosClass", qos ? qos : "",
                                  IMMUTABLE_MSG);
    if (!policy || !*policy)
        policy = "Always";
    validate_transitions(fe, json_object_get(st, "containerStatuses"),
                         json_object_get(ost, "containerStatuses"),
                         "status.containerStatuses", policy, NULL);
    validate_transitions(fe, json_object_get(st, "initContainerStatuses"),
                         json_object_get(ost, "initContainerStatuses"),
                         "status.initContainerStatuses", policy,
                         json_object_get(ospec, "initContainers"));
    validate_transitions(fe, json_object_get(st, "ephemeralContainerStatuses"),
                         json_object_get(ost, "ephemeralContainerStatuses"),
                         "status.ephemeralContainerStatuses", "Never", NULL);
    validate_pod_ips(fe, json_object_get(st, "podIPs"));
}

json_t *fakeapi__validate_pod_status_update(const json_t *old,
                                            const json_t *new)
{
    struct fakeapi_field_errors fe;
    const json_t *meta = json_object_get(new, "metadata");

    fakeapi__field_errors_init(&fe);
    if (fe.causes) {
        /* ValidateObjectMetaUpdate: finalizers, labels, annotations. */
        validate_finalizers(&fe, meta, json_object_get(old, "metadata"));
        fakeapi__validate_labels(&fe, json_object_get(meta, "labels"),
                                 "metadata.labels");
        validate_annotations(&fe, json_object_get(meta, "annotations"));
        validate_conditions(
            &fe, json_object_get(json_object_get(new, "status"), "conditions"));
        validate_status(&fe, old, new);
    }
    return finish(&fe, "Pod", details_name(new));
}

json_t *fakeapi__validate_namespace_name(const char *name)
{
    struct fakeapi_field_errors fe;

    fakeapi__field_errors_init(&fe);
    if (fe.causes && (!name || !*name))
        fakeapi__validate_add(&fe, "FieldValueRequired", "metadata.name",
                              "Required value: name or generateName is "
                              "required");
    else if (fe.causes) {
        fakeapi__validate_name(&fe, "metadata.name", name,
                               fakeapi__check_dns1123_label);
        /* namespace strategy PrepareForCreate labels the namespace
         * kubernetes.io/metadata.name=<name>; ValidateObjectMeta then
         * checks that label's value too */
        fakeapi__validate_name(&fe, "metadata.labels", name,
                               fakeapi__check_label_value);
    }
    return finish(&fe, "Namespace", name ? name : "");
}
