/*
 * validate_update: the spec rules of ValidatePodUpdate (1.32,
 * docs/kubernetes-api.md, Pod update): container count fixed, images may
 * change, activeDeadlineSeconds may only be set or lowered, tolerations only
 * added, scheduling gates only removed, nodeSelector only extended while the
 * pod is gated; any other spec change is 422 `spec: Forbidden: pod updates may
 * not change fields other than ...`. Declared in validate.h.
 *
 * Specs are compared the way apiequality.Semantic.DeepEqual compares the
 * Go structs: a missing member equals null, false, 0, "", [] and {}.
 * Deviations: affinity changes of gated pods are not allowed (the server
 * allows node-affinity additions), quantities compare as text, and the
 * cmp.Diff after the message is a short JSON listing of the differing
 * members rather than Go syntax.
 */
#include "validate/validate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MAX 128
#define MAX_INT32 2147483647LL

/* The 1.32 text: updatablePodSpecFields joined with "," (the list without
 * resources, as InPlacePodVerticalScaling is off by default in 1.32). */
#define UPDATABLE_FIELDS                                                       \
    "`spec.containers[*].image`,`spec.initContainers[*].image`,"               \
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "      \
    "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it "    \
    "to be set to 1 if it was previously negative)"

static json_t *unconst(const json_t *j)
{
    return (json_t *)(uintptr_t)j; /* jansson iterators read only */
}

/* The zero value of any Go field: absent, null, false, 0, "", [], {}. */
static bool is_zero(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_NULL:
    case JSON_FALSE:
        return true;
    case JSON_INTEGER:
        return json_integer_value(v) == 0;
    case JSON_REAL:
        return json_real_value(v) == 0.0;
    case JSON_STRING:
        return json_string_length(v) == 0;
    case JSON_ARRAY:
        return json_array_size(v) == 0;
    case JSON_OBJECT:
        return json_object_size(v) == 0;
    default:
        return false;
    }
}

static bool sem_equal(const json_t *a, const json_t *b);

static bool sem_equal_objects(const json_t *a, const json_t *b,
                              const char *skip)
{
    const char *key;
    json_t *v;

    json_object_foreach(unconst(a), key, v)
    {
        if ((!skip || strcmp(key, skip) != 0) &&
            !sem_equal(v, json_object_get(b, key)))
            return false;
    }
    json_object_foreach(unconst(b), key, v)
    {
        if ((!skip || strcmp(key, skip) != 0) && !json_object_get(a, key) &&
            !is_zero(v))
            return false;
    }
    return true;
}

static bool sem_equal(const json_t *a, const json_t *b)
{
    size_t i;

    if (is_zero(a) && is_zero(b))
        return true;
    if (!a || !b)
        return false;
    if (json_is_object(a) && json_is_object(b))
        return sem_equal_objects(a, b, NULL);
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (i = 0; i < json_array_size(a); i++) {
            if (!sem_equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        }
        return true;
    }
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal(a, b);
}

/* ValidateContainerUpdates: false when the count changed (stop). */
static bool validate_container_updates(struct fakeapi_field_errors *fe,
                                       const json_t *news, const json_t *olds,
                                       const char *base)
{
    const json_t *c;
    size_t i;

    if (json_array_size(news) != json_array_size(olds)) {
        fakeapi__validate_add(fe, "FieldValueForbidden", base,
                              "Forbidden: pod updates may not add or "
                              "remove containers");
        return false;
    }
    json_array_foreach(news, i, c)
    {
        const char *image = json_string_value(json_object_get(c, "image"));
        size_t n = image ? strlen(image) : 0;
        char field[FIELD_MAX];

        snprintf(field, sizeof(field), "%s[%zu].image", base, i);
        if (n == 0)
            fakeapi__validate_add(fe, "FieldValueRequired", field,
                                  "Required value");
        else if (strchr(" \t\n\v\f\r", image[0]) ||
                 strchr(" \t\n\v\f\r", image[n - 1]))
            fakeapi__validate_invalid(fe, field, image,
                                      "must not have leading or trailing "
                                      "whitespace");
    }
    return true;
}

/* activeDeadlineSeconds: set from nil, or lowered; false to stop. */
static bool validate_deadline_update(struct fakeapi_field_errors *fe,
                                     const json_t *ns, const json_t *os)
{
    const json_t *n = json_object_get(ns, "activeDeadlineSeconds");
    const json_t *o = json_object_get(os, "activeDeadlineSeconds");
    const char *f = "spec.activeDeadlineSeconds";
    json_int_t nv = json_integer_value(n);

    if (json_is_integer(n)) {
        if (nv < 0 || nv > MAX_INT32) {
            fakeapi__validate_add(fe, "FieldValueInvalid", f,
                                  "Invalid value: %" JSON_INTEGER_FORMAT
                                  ": must be between 0 and 2147483647, "
                                  "inclusive",
                                  nv);
            return false;
        }
        if (json_is_integer(o) && json_integer_value(o) < nv) {
            fakeapi__validate_add(fe, "FieldValueInvalid", f,
                                  "Invalid value: %" JSON_INTEGER_FORMAT
                                  ": must be less than or equal to previous "
                                  "value",
                                  nv);
            return false;
        }
    } else if (json_is_integer(o)) {
        fakeapi__validate_invalid(fe, f, "null",
                                  "must not update from a positive integer "
                                  "to nil value");
    }
    return true;
}

/* validateOnlyAddedTolerations: every old toleration is still there,
 * except that its tolerationSeconds may change. */
static void validate_tolerations_update(struct fakeapi_field_errors *fe,
                                        const json_t *news, const json_t *olds)
{
    const json_t *o;
    size_t i;

    json_array_foreach(olds, i, o)
    {
        const json_t *n;
        size_t j;
        bool found = false;

        json_array_foreach(news, j, n)
        {
            found = found || (json_is_object(o) && json_is_object(n) &&
                              sem_equal_objects(o, n, "tolerationSeconds"));
        }
        if (!found) {
            fakeapi__validate_add(fe, "FieldValueForbidden", "spec.tolerations",
                                  "Forbidden: existing toleration can not be "
                                  "modified except its tolerationSeconds");
            return;
        }
    }
}

/* validateOnlyDeletedSchedulingGates: no gate may be added. */
static void validate_gates_update(struct fakeapi_field_errors *fe,
                                  const json_t *news, const json_t *olds)
{
    const json_t *n;
    size_t i;

    json_array_foreach(news, i, n)
    {
        const char *name = json_string_value(json_object_get(n, "name"));
        const json_t *o;
        size_t j;
        bool found = false;
        char field[FIELD_MAX];

        json_array_foreach(olds, j, o)
        {
            const char *on = json_string_value(json_object_get(o, "name"));

            found = found || (on && name && strcmp(on, name) == 0);
        }
        if (found)
            continue;
        snprintf(field, sizeof(field), "spec.schedulingGates[%zu].name", i);
        fakeapi__validate_add(fe, "FieldValueForbidden", field,
                              "Forbidden: only deletion is allowed, but "
                              "found new scheduling gate '%s'",
                              name ? name : "");
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go's %#v of a map[string]string: map[string]string{"a":"b", ...} with
 * the keys sorted. */
static void go_map(struct kbuf *b, const json_t *m)
{
    size_t n = json_object_size(m);
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    const char *key;
    json_t *v;
    size_t i = 0;

    kbuf_adds(b, "map[string]string{");
    json_object_foreach(unconst(m), key, v)
    {
        if (keys)
            keys[i++] = key;
    }
    if (keys)
        qsort(keys, i, sizeof(*keys), cmp_str);
    for (size_t k = 0; k < i; k++) {
        const char *s = json_string_value(json_object_get(m, keys[k]));

        kbuf_adds(b, k ? ", " : "");
        fakeapi__validate_quote(b, keys[k], strlen(keys[k]));
        kbuf_addc(b, ':');
        fakeapi__validate_quote(b, s ? s : "", s ? strlen(s) : 0);
    }
    kbuf_addc(b, '}');
    free(keys);
}

/* validateNodeSelectorMutation (gated pods): only additions. */
static void validate_node_selector(struct fakeapi_field_errors *fe,
                                   const json_t *news, const json_t *olds)
{
    const char *key;
    json_t *v;
    struct kbuf b;

    json_object_foreach(unconst(olds), key, v)
    {
        if (json_equal(v, json_object_get(news, key)))
            continue;
        kbuf_init(&b, 1 << 20);
        go_map(&b, news);
        fakeapi__validate_add(fe, "FieldValueInvalid", "spec.nodeSelector",
                              "Invalid value: %s: only additions to "
                              "spec.nodeSelector are allowed (no mutations "
                              "or deletions)",
                              kbuf_str(&b));
        kbuf_release(&b);
        return;
    }
}

/* Put @p old's member @p key into @p munged (or remove it); 0 or -1. */
static int munge(json_t *munged, const json_t *old, const char *key)
{
    const json_t *v = json_object_get(old, key);

    if (v)
        return json_object_set_new(munged, key, json_deep_copy(v));
    json_object_del(munged, key);
    return 0;
}

/* Reset the images of @p list to those of @p olds; 0 or -1. */
static int munge_images(json_t *list, const json_t *olds)
{
    json_t *c;
    size_t i;

    json_array_foreach(list, i, c)
    {
        if (json_is_object(c) &&
            munge(c, json_array_get(olds, i), "image") != 0)
            return -1;
    }
    return 0;
}

/* The updatable fields of @p ns set back to @p os's values, or NULL when
 * out of memory. */
static json_t *munged_spec(struct fakeapi_field_errors *fe, const json_t *ns,
                           const json_t *os)
{
    json_t *m = json_deep_copy(ns);
    const json_t *otg = json_object_get(os, "terminationGracePeriodSeconds");
    const json_t *ntg;
    int rc = m ? 0 : -1;

    if (rc == 0)
        rc = munge_images(json_object_get(m, "containers"),
                          json_object_get(os, "containers"));
    if (rc == 0)
        rc = munge_images(json_object_get(m, "initContainers"),
                          json_object_get(os, "initContainers"));
    if (rc == 0)
        rc = munge(m, os, "activeDeadlineSeconds");
    if (rc == 0)
        rc = munge(m, os, "schedulingGates");
    if (rc == 0)
        rc = munge(m, os, "tolerations");
    ntg = json_object_get(m, "terminationGracePeriodSeconds");
    if (rc == 0 && json_integer_value(otg) < 0 && json_is_integer(ntg) &&
        json_integer_value(ntg) == 1)
        rc = munge(m, os, "terminationGracePeriodSeconds");
    if (rc == 0 &&
        json_array_size(json_object_get(os, "schedulingGates")) > 0 &&
        !sem_equal(json_object_get(m, "nodeSelector"),
                   json_object_get(os, "nodeSelector"))) {
        validate_node_selector(fe, json_object_get(m, "nodeSelector"),
                               json_object_get(os, "nodeSelector"));
        rc = munge(m, os, "nodeSelector");
    }
    if (rc != 0) {
        json_decref(m);
        return NULL;
    }
    return m;
}

/* One side of the diff: "- \tName: <json>,\n". */
static void diff_line(struct kbuf *b, char sign, const char *key,
                      const json_t *v)
{
    char *s;

    if (is_zero(v))
        return;
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    kbuf_addf(b, "%c \t%c%s: %s,\n", sign,
              key[0] >= 'a' && key[0] <= 'z' ? key[0] - 32 : key[0], key + 1,
              s ? s : "");
    free(s);
}

/* A short stand-in for cmp.Diff(oldPod.Spec, mungedPodSpec). */
static void spec_diff(struct kbuf *b, const json_t *os, const json_t *m)
{
    const char *key;
    json_t *v;

    kbuf_adds(b, "  core.PodSpec{\n");
    json_object_foreach(unconst(os), key, v)
    {
        if (sem_equal(v, json_object_get(m, key)))
            continue;
        diff_line(b, '-', key, v);
        diff_line(b, '+', key, json_object_get(m, key));
    }
    json_object_foreach(unconst(m), key, v)
    {
        if (!json_object_get(os, key) && !is_zero(v))
            diff_line(b, '+', key, v);
    }
    kbuf_adds(b, "  }\n");
}

void fakeapi__validate_spec_update(struct fakeapi_field_errors *fe,
                                   const json_t *ns, const json_t *os)
{
    json_t *m;
    struct kbuf diff;

    if (!validate_container_updates(fe, json_object_get(ns, "containers"),
                                    json_object_get(os, "containers"),
                                    "spec.containers") ||
        !validate_container_updates(fe, json_object_get(ns, "initContainers"),
                                    json_object_get(os, "initContainers"),
                                    "spec.initContainers") ||
        !validate_deadline_update(fe, ns, os))
        return;
    validate_tolerations_update(fe, json_object_get(ns, "tolerations"),
                                json_object_get(os, "tolerations"));
    validate_gates_update(fe, json_object_get(ns, "schedulingGates"),
                          json_object_get(os, "schedulingGates"));
    if (sem_equal(ns, os))
        return;
    m = munged_spec(fe, ns, os);
    if (!m) {
        fakeapi__field_errors_nomem(fe);
        return;
    }
    if (sem_equal(m, os)) {
        json_decref(m);
        return;
    }
    kbuf_init(&diff, 1 << 22);
    if (m)
        spec_diff(&diff, os, m);
    fakeapi__validate_add(fe, "FieldValueForbidden", "spec",
                          "Forbidden: pod updates may not change fields "
                          "other than " UPDATABLE_FIELDS "\n%s",
                          kbuf_str(&diff));
    kbuf_release(&diff);
    json_decref(m);
}
