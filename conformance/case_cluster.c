/*
 * case_cluster: pods and what the cluster holds, read back through the
 * suite's own API access (target.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "util.h"

/* Longest excerpt of bytes shown around a difference. */
#define EXCERPT 120

/* A node that does not exist: pods bound to it are never run. */
#define NOWHERE_NODE "kreg-conformance-nowhere"

/* Create pod <prefix>-<suffix>, gated or bound to @p node. */
static const char *create_pod(struct kcase *c, const char *suffix,
                              const char *phase, const char *labels,
                              const char *annotations, const char *node)
{
    char *name = case_fmt(c, "%s-%s", c->prefix, suffix);
    json_t *l = labels ? case_parse(c, "labels", labels) : NULL;
    json_t *a = annotations ? case_parse(c, "annotations", annotations) : NULL;
    char msg[512];
    int rc;

    c->pods = true;
    rc = target_pod_create(c->s->t, name, l, a, node, msg, sizeof(msg));
    CHECK(c, rc == TARGET_OK, "create pod %s: %s", name, msg);
    if (phase && strcmp(phase, "Pending") != 0)
        case_phase(c, name, phase);
    return name;
}

const char *case_pod_with(struct kcase *c, const char *suffix,
                          const char *phase, const char *labels,
                          const char *annotations)
{
    return create_pod(c, suffix, phase, labels, annotations, NULL);
}

const char *case_pod(struct kcase *c, const char *suffix, const char *phase)
{
    return create_pod(c, suffix, phase, NULL, NULL, NULL);
}

const char *case_pod_bound(struct kcase *c, const char *suffix,
                           const char *phase)
{
    return create_pod(c, suffix, phase, NULL, NULL, NOWHERE_NODE);
}

const char *case_pod_in2(struct kcase *c, const char *suffix, const char *phase)
{
    char *name = case_fmt(c, "%s-%s", c->prefix, suffix);
    const char *ns = c->s->t->ns2;
    char msg[512];
    int rc;

    c->pods2 = true;
    rc = target_pod_create_in(c->s->t, ns, name, NULL, NULL, NULL, msg,
                              sizeof(msg));
    CHECK(c, rc == TARGET_OK, "create pod %s in %s: %s", name, ns, msg);
    if (phase && strcmp(phase, "Pending") != 0) {
        rc = target_pod_phase_in(c->s->t, ns, name, phase, msg, sizeof(msg));
        CHECK(c, rc == TARGET_OK, "set phase %s of pod %s in %s: %s", phase,
              name, ns, msg);
    }
    return name;
}

void case_ready(struct kcase *c, const char *pod, const char *status)
{
    char msg[512];
    int rc = target_pod_ready(c->s->t, pod, status, msg, sizeof(msg));

    CHECK(c, rc == TARGET_OK, "set Ready=%s of pod %s: %s", status, pod, msg);
}

void case_phase(struct kcase *c, const char *pod, const char *phase)
{
    char msg[512];
    int rc = target_pod_phase(c->s->t, pod, phase, msg, sizeof(msg));

    CHECK(c, rc == TARGET_OK, "set phase %s of pod %s: %s", phase, pod, msg);
}

void case_delete_pod(struct kcase *c, const char *pod)
{
    char msg[512];
    int rc = target_pod_delete(c->s->t, pod, 0, msg, sizeof(msg));

    CHECK(c, rc == TARGET_OK, "delete pod %s: %s", pod, msg);
}

void case_terminate_pod(struct kcase *c, const char *pod)
{
    char msg[512];
    int rc = target_pod_delete(c->s->t, pod, 30, msg, sizeof(msg));
    json_t *p;

    CHECK(c, rc == TARGET_OK, "delete pod %s with grace: %s", pod, msg);
    p = case_read_pod(c, pod);
    CHECK(c,
          json_is_string(json_object_get(json_object_get(p, "metadata"),
                                         "deletionTimestamp")),
          "pod %s deleted with grace is not terminating", pod);
}

void case_patch_pod(struct kcase *c, const char *pod, const char *patch)
{
    char msg[512];
    int rc = target_pod_patch(c->s->t, pod, patch, msg, sizeof(msg));

    CHECK(c, rc == TARGET_OK, "patch pod %s: %s", pod, msg);
}

json_t *case_read_pod(struct kcase *c, const char *pod)
{
    char msg[512];
    json_t *p = NULL;
    int rc = target_pod_get(c->s->t, pod, &p, msg, sizeof(msg));

    CHECK(c, rc == TARGET_OK, "read pod %s back: %s", pod, msg);
    return case_hold(c, p);
}

/* metadata.<which> of @p p (a pod read back), {} if absent. */
static json_t *meta_map(struct kcase *c, json_t *p, const char *which)
{
    json_t *m = json_object_get(json_object_get(p, "metadata"), which);

    if (!m)
        return case_hold(c, json_object());
    CHECK(c, json_is_object(m), "pod %s: metadata.%s is not an object",
          json_string_value(
              json_object_get(json_object_get(p, "metadata"), "name")),
          which);
    return m;
}

json_t *case_labels(struct kcase *c, const char *pod)
{
    return meta_map(c, case_read_pod(c, pod), "labels");
}

json_t *case_annotations(struct kcase *c, const char *pod)
{
    return meta_map(c, case_read_pod(c, pod), "annotations");
}

const char *case_resource_version(struct kcase *c, const char *pod)
{
    const char *rv = json_string_value(json_object_get(
        json_object_get(case_read_pod(c, pod), "metadata"), "resourceVersion"));

    CHECK(c, rv != NULL, "pod %s has no resourceVersion", pod);
    return case_hold_str(c, strdup(rv));
}

static char *dump(struct kcase *c, const json_t *v)
{
    return case_hold_str(
        c, json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY));
}

void case_expect_meta(struct kcase *c, const char *pod, const char *labels,
                      const char *annotations)
{
    json_t *p = case_read_pod(c, pod);
    json_t *l = meta_map(c, p, "labels");
    json_t *a = meta_map(c, p, "annotations");

    CHECK(c, json_equal(l, case_parse(c, "labels", labels)),
          "pod %s labels:\n  got  %s\n  want %s", pod, dump(c, l), labels);
    if (annotations)
        CHECK(c, json_equal(a, case_parse(c, "annotations", annotations)),
              "pod %s annotations:\n  got  %.600s\n  want %.600s", pod,
              dump(c, a), annotations);
}

/* Index of the first differing byte. */
static size_t first_diff(const char *a, size_t na, const char *b, size_t nb)
{
    size_t i = 0;

    while (i < na && i < nb && a[i] == b[i])
        i++;
    return i;
}

void case_expect_annotation(struct kcase *c, const char *pod, const char *key,
                            const char *const *want, size_t n)
{
    json_t *v = json_object_get(case_annotations(c, pod), key);
    const char *got = json_string_value(v);
    size_t len = json_string_length(v);
    size_t i;
    size_t at;

    CHECK(c, got != NULL, "pod %s has no annotation %s", pod, key);
    for (i = 0; i < n; i++)
        if (want[i] && strlen(want[i]) == len && memcmp(got, want[i], len) == 0)
            return;
    at = first_diff(got, len, want[0], strlen(want[0]));
    CHECK(c, false,
          "pod %s annotation %s: not the bytes Go writes (%zu bytes, want "
          "%zu); first difference at byte %zu:\n  got  ...%.*s\n  want ...%.*s",
          pod, key, len, strlen(want[0]), at, EXCERPT,
          got + (at > 20 ? at - 20 : 0), EXCERPT,
          want[0] + (at > 20 ? at - 20 : 0));
}

/* golden/<dir>/<name>.roundtrip.json, else golden/<dir>/<name>.json. */
static const char *golden(struct kcase *c, const char *dir, const char *name)
{
    const char *t = case_fixture(
        c, case_fmt(c, "golden/%s/%s.roundtrip.json", dir, name), NULL, false);

    return t ? t
             : case_fixture(c, case_fmt(c, "golden/%s/%s.json", dir, name),
                            NULL, true);
}

void case_golden_bytes(struct kcase *c, const char *name, const char *want[2])
{
    want[0] = golden(c, "v2", name);
    want[1] = golden(c, "v2_go122", name);
}

void case_fault(struct kcase *c, const char *method, const char *path,
                int status, unsigned count)
{
    char msg[512];
    int rc;

    rc = target_fault(c->s->t, method, path, status, count, msg, sizeof(msg));
    if (rc == TARGET_E_UNSUPPORTED)
        case_skip(c, "needs fault injection: a real cluster cannot be made "
                     "to answer this on demand (run against fakeapi)");
    CHECK(c, rc == TARGET_OK, "inject a %d fault: %s", status, msg);
    c->faults = true;
}

void case_forbid(struct kcase *c, const char *method, const char *path,
                 const char *probe, unsigned count)
{
    char msg[512];
    int rc;

    if (!target_has_forbidden(c->s->t)) {
        case_fault(c, method, path, 403, count);
        return;
    }
    rc = target_forbidden_check(c->s->t, method, path, probe, msg, sizeof(msg));
    CHECK(c, rc == TARGET_OK,
          "--forbidden-context %s: the server did not refuse %s %s with "
          "403 (%s); the 403 cases need a user who may not do that",
          c->s->t->forbidden.context, method, path, msg);
}
