/*
 * mutant_ops: register, deregister, get and list with the mutants' bugs.
 *
 * These follow libkreg's own code (registry/src/registry.c, discover.c)
 * step for step through its internal HTTP client, and differ only where
 * the mutant says: the key encoding, the labels and annotations patched,
 * the patch type, the pod filter, the merge and the not-found rule.
 */
#include "adapter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "names.h"
#include "registry.h"
#include "service.h"

#define BODY_CAP ((size_t)4 << 20)

#define SMP_TYPE        "application/strategic-merge-patch+json"
#define JSON_PATCH_TYPE "application/json-patch+json"

/* The keys of one service name, with the mutant's encoding. */
struct keys {
    char enc[KREG__NAMES_ENC_MAX + 1];
    char selector[KREG__NAMES_KEY_SIZE];   /* micro.mu/selector-<enc>=service */
    char annotation[KREG__NAMES_KEY_SIZE]; /* micro.mu/service-<enc> */
};

/* docs/go-micro-wire.md, Name encoding, with MUT_ENC_DOTS / MUT_ENC_LOWER. */
static int make_keys(const struct mutant *m, const char *name, struct keys *k,
                     struct kreg_error *err)
{
    char *p;
    int rc;

    /* validates the name as libkreg does (length, last byte), so that
     * the encoding fits k->enc */
    rc = kreg__names_selector(name, k->selector, sizeof(k->selector), err);
    if (rc == KREG_OK)
        rc = kreg_name_encode(name, k->enc, sizeof(k->enc), err);
    if (rc != KREG_OK)
        return rc;
    for (p = k->enc; *p; p++) {
        if (*p == '.' && mutant_has(m, MUT_ENC_DOTS))
            *p = '_';
        if (*p >= 'A' && *p <= 'Z' && mutant_has(m, MUT_ENC_LOWER))
            *p = (char)(*p - 'A' + 'a');
    }
    snprintf(k->selector, sizeof(k->selector),
             KREG__NAMES_SELECTOR_PREFIX "%s=" KREG__NAMES_SERVICE_VALUE,
             k->enc);
    snprintf(k->annotation, sizeof(k->annotation),
             KREG__NAMES_ANNOTATION_PREFIX "%s", k->enc);
    return KREG_OK;
}

/* The path of a pod in the handle's namespace. */
static int pod_path(kreg *r, const char *pod, char *path, size_t size,
                    struct kreg_error *err)
{
    char *ns = kreg__http_escape(kreg_namespace(r));
    char *name = pod ? kreg__http_escape(pod) : NULL;
    int n = -1;

    if (ns && name)
        n = snprintf(path, size, "/api/v1/namespaces/%s/pods/%s", ns, name);
    free(ns);
    free(name);
    if (!pod || !*pod)
        return kreg__error(err, KREG_E_CONFIG, 0, NULL, "no pod name");
    if (n < 0 || (size_t)n >= size)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "pod or namespace name too long");
    return KREG_OK;
}

/* PATCH the own pod with @p body. */
static int patch_pod(kreg *r, const char *type, const struct kbuf *body,
                     struct kreg_error *err)
{
    char path[1024];
    int rc = pod_path(r, r->cfg.pod_name, path, sizeof(path), err);

    if (rc != KREG_OK)
        return rc;
    rc = kreg__http_request(r->http, "PATCH", path, type, kbuf_str(body),
                            kbuf_len(body), 0, NULL, err);
    if (rc == KREG_E_NOT_FOUND)
        kreg__error(err, rc, 404, "NotFound",
                    "pod \"%s\" not found in namespace \"%s\"", r->cfg.pod_name,
                    kreg_namespace(r));
    return rc;
}

/* The register body: a strategic merge patch (docs/go-micro-wire.md,
 * Examples (F)), or with MUT_REPLACE_MAPS a JSON patch whose "add" replaces
 * the whole labels and annotations maps. */
static int register_body(const struct mutant *m, const struct keys *k,
                         const char *json, size_t len, struct kbuf *b)
{
    const char *type = mutant_has(m, MUT_NO_TYPE_LABEL)
                           ? ""
                           : ",\"" KREG__NAMES_TYPE_LABEL "\":\"service\"";
    bool replace = mutant_has(m, MUT_REPLACE_MAPS);
    int rc;

    if (replace)
        rc =
            kbuf_addf(b,
                      "[{\"op\":\"add\",\"path\":\"/metadata/labels\","
                      "\"value\":{\"%s%s\":\"service\"%s}},{\"op\":\"add\","
                      "\"path\":\"/metadata/annotations\",\"value\":{\"%s\":",
                      KREG__NAMES_SELECTOR_PREFIX, k->enc, type, k->annotation);
    else
        rc =
            kbuf_addf(b,
                      "{\"metadata\":{\"labels\":{\"%s%s\":\"service\"%s},"
                      "\"annotations\":{\"%s\":",
                      KREG__NAMES_SELECTOR_PREFIX, k->enc, type, k->annotation);
    if (rc == KBUF_OK)
        rc = kreg__service_encode_string(b, json, len, KREG_WIRE_V2);
    if (rc == KBUF_OK)
        rc = kbuf_adds(b, replace ? "}}]\n" : "}},\"status\":null}\n");
    return rc;
}

/* The deregister body (docs/go-micro-wire.md, Requests), without the
 * annotation's null with MUT_DEREG_KEEP_ANN, with micro.mu/type's with
 * MUT_DEREG_DROP_TYPE. */
static int deregister_body(const struct mutant *m, const struct keys *k,
                           struct kbuf *b)
{
    const char *type = mutant_has(m, MUT_DEREG_DROP_TYPE)
                           ? ",\"" KREG__NAMES_TYPE_LABEL "\":null"
                           : "";

    if (mutant_has(m, MUT_DEREG_KEEP_ANN))
        return kbuf_addf(b,
                         "{\"metadata\":{\"labels\":{\"%s%s\":null%s}},"
                         "\"status\":null}\n",
                         KREG__NAMES_SELECTOR_PREFIX, k->enc, type);
    return kbuf_addf(b,
                     "{\"metadata\":{\"labels\":{\"%s%s\":null%s},"
                     "\"annotations\":{\"%s\":null}},\"status\":null}\n",
                     KREG__NAMES_SELECTOR_PREFIX, k->enc, type, k->annotation);
}

int mutant_register(const struct mutant *m, kreg *r,
                    const struct kreg_service *s, const char *given,
                    size_t given_len, struct kreg_error *err)
{
    struct keys k;
    char *json = NULL;
    size_t len = 0;
    struct kbuf body;
    int rc;

    kbuf_init(&body, BODY_CAP);
    if (s->nnodes == 0) {
        rc = kreg__error(err, KREG_E_INVALID, 0, NULL,
                         "you must register at least one node");
        goto out;
    }
    rc = make_keys(m, s->name, &k, err);
    if (rc == KREG_OK)
        rc = mutant_json_encode(m, s, given, given_len, &json, &len, err);
    if (rc != KREG_OK)
        goto out;
    if (register_body(m, &k, json, len, &body) != KBUF_OK) {
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
        goto out;
    }
    rc = patch_pod(r,
                   mutant_has(m, MUT_REPLACE_MAPS) ? JSON_PATCH_TYPE : SMP_TYPE,
                   &body, err);
out:
    if (rc != KREG_OK)
        kreg__error_prefix(err, "register %s", s->name);
    free(json);
    kbuf_release(&body);
    return rc;
}

int mutant_deregister(const struct mutant *m, kreg *r,
                      const struct kreg_service *s, struct kreg_error *err)
{
    struct keys k;
    struct kbuf body;
    int rc = make_keys(m, s->name, &k, err);

    kbuf_init(&body, BODY_CAP);
    if (rc == KREG_OK && deregister_body(m, &k, &body) != KBUF_OK)
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    if (rc == KREG_OK)
        rc = patch_pod(r, SMP_TYPE, &body, err);
    if (rc != KREG_OK)
        kreg__error_prefix(err, "deregister %s", s->name);
    kbuf_release(&body);
    return rc;
}

/* Whether @p pod is served: Running unless @p any_phase, not terminating
 * unless @p terminating (docs/go-micro-wire.md, Operations, Known
 * problems item 5). */
static bool serves(const json_t *pod, bool any_phase, bool terminating)
{
    const char *phase = json_string_value(
        json_object_get(json_object_get(pod, "status"), "phase"));
    json_t *del =
        json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp");

    if (!any_phase && (!phase || strcmp(phase, "Running") != 0))
        return false;
    return terminating || !del || json_is_null(del);
}

/* Decode annotation @p key of @p pod; NULL when absent or undecodable. */
static struct kreg_service *decode_ann(const json_t *pod, const char *key)
{
    size_t len = 0;
    const char *text = kreg__pod_annotation(pod, key, &len);
    struct kreg_service *s = NULL;

    if (!text || kreg_service_decode(text, len, &s, NULL) != KREG_OK)
        return NULL;
    return s;
}

/* Add @p s (consumed) to @p out: merged per version, or appended. */
static int add_service(const struct mutant *m, struct kreg_service_list *out,
                       struct kreg_service *s)
{
    struct kreg_service *have = NULL;
    int rc;

    if (!mutant_has(m, MUT_GET_NO_MERGE))
        have = kreg__service_list_find(out, s->name, s->version);
    if (!have)
        return kreg__service_list_append(out, s);
    rc = kreg__service_merge_nodes(have, s);
    kreg_service_free(s);
    return rc;
}

/* Add the services of @p pods carrying @p key for @p name to @p out. */
static int collect(const struct mutant *m, const json_t *pods, const char *key,
                   const char *name, struct kreg_service_list *out)
{
    bool any_phase = mutant_has(m, MUT_GET_ANY_PHASE);
    bool terminating = mutant_has(m, MUT_GET_TERMINATING);
    const json_t *pod;
    size_t i;

    json_array_foreach(pods, i, pod)
    {
        struct kreg_service *s;

        if (!serves(pod, any_phase, terminating))
            continue;
        s = decode_ann(pod, key);
        if (s && (!s->name || strcmp(s->name, name) != 0)) {
            kreg_service_free(s);
            s = NULL;
        }
        if (s && add_service(m, out, s) != KREG_OK)
            return KREG_E_NOMEM;
    }
    return KREG_OK;
}

int mutant_get(const struct mutant *m, kreg *r, const char *name,
               struct kreg_service_list **out, struct kreg_error *err)
{
    struct keys k;
    json_t *pods = NULL;
    int rc;

    *out = NULL;
    rc = make_keys(m, name, &k, err);
    if (rc == KREG_OK)
        rc = kreg__list_pods(r, k.selector, false, &pods, NULL, err);
    if (rc != KREG_OK)
        return rc;
    if (json_array_size(pods) == 0 && !mutant_has(m, MUT_GET_NOTFOUND_EMPTY)) {
        json_decref(pods);
        return kreg__error(err, KREG_E_NOT_FOUND, 0, NULL,
                           "service \"%s\" not found", name);
    }
    *out = kreg__service_list_new();
    rc = *out ? collect(m, pods, k.annotation, name, *out) : KREG_E_NOMEM;
    json_decref(pods);
    if (rc != KREG_OK) {
        kreg_service_list_free(*out);
        *out = NULL;
        return kreg__error(err, rc, 0, NULL, "out of memory");
    }
    return KREG_OK;
}

/* Append every service annotation of @p pod to @p out, unmerged. */
static int pod_services(const json_t *pod, struct kreg_service_list *out)
{
    json_t *ann =
        json_object_get(json_object_get(pod, "metadata"), "annotations");
    const char *k;
    json_t *v;

    json_object_foreach(ann, k, v)
    {
        struct kreg_service *s;

        if (!kreg__names_is_annotation_key(k))
            continue;
        s = decode_ann(pod, k);
        if (s && !s->name) {
            kreg_service_free(s);
            s = NULL;
        }
        if (s && kreg__service_list_append(out, s) != KREG_OK)
            return KREG_E_NOMEM;
    }
    return KREG_OK;
}

int mutant_list(const struct mutant *m, kreg *r, struct kreg_service_list **out,
                struct kreg_error *err)
{
    bool any_phase = mutant_has(m, MUT_LIST_ANY_PHASE);
    bool terminating = mutant_has(m, MUT_LIST_TERMINATING);
    json_t *pods = NULL;
    json_t *pod;
    size_t i;
    int rc;

    *out = NULL;
    rc = kreg__list_pods(r, KREG__NAMES_TYPE_SELECTOR, false, &pods, NULL, err);
    if (rc != KREG_OK)
        return rc;
    *out = kreg__service_list_new();
    if (!*out)
        rc = KREG_E_NOMEM;
    json_array_foreach(pods, i, pod)
    {
        if (rc == KREG_OK && serves(pod, any_phase, terminating))
            rc = pod_services(pod, *out);
    }
    json_decref(pods);
    if (rc != KREG_OK) {
        kreg_service_list_free(*out);
        *out = NULL;
        return kreg__error(err, rc, 0, NULL, "out of memory");
    }
    return KREG_OK;
}

bool mutant_watch_drops(const struct mutant *m, kreg *r,
                        const struct kreg_result *res)
{
    char path[1024];
    struct kreg_error err = {0};

    if (!mutant_has(m, MUT_WATCH_NO_POD_DELETE) ||
        res->action != KREG_ACTION_DELETE ||
        pod_path(r, res->pod, path, sizeof(path), &err) != KREG_OK)
        return false;
    return kreg__http_request(r->http, "GET", path, NULL, NULL, 0,
                              KREG__HTTP_IDEMPOTENT, NULL,
                              &err) == KREG_E_NOT_FOUND;
}
