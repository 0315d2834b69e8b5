/*
 * registry: the kreg handle, register and deregister
 * (docs/go-micro-wire.md, Requests, Operations).
 */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kbuf.h"
#include "names.h"
#include "service.h"

/* docs/kubernetes-api.md, Validation: the total annotation size of a pod. */
#define ANNOTATION_BUDGET 262144

int kreg_new(const struct kreg_options *opt, kreg **out, struct kreg_error *err)
{
    static const struct kreg_options defaults;
    const struct kreg_options *o = opt ? opt : &defaults;
    kreg *r;
    int rc;

    *out = NULL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    rc = kreg__config_load(o, &r->cfg, err);
    if (rc != KREG_OK) {
        free(r);
        return rc;
    }
    rc = kreg__http_new(&r->cfg, o, &r->http, err);
    if (rc != KREG_OK) {
        kreg__config_release(&r->cfg);
        free(r);
        return rc;
    }
    r->wire = o->wire;
    kreg__metrics_init(&r->metrics);
    kreg__http_set_metrics(r->http, &r->metrics);
    r->retry_base_ms =
        o->retry_base_ms ? o->retry_base_ms : KREG__RETRY_BASE_MS;
    *out = r;
    return KREG_OK;
}

void kreg_free(kreg *r)
{
    if (!r)
        return;
    kreg__http_free(r->http);
    kreg__config_release(&r->cfg);
    free(r);
}

const char *kreg_server(const kreg *r)
{
    return r->cfg.server;
}

const char *kreg_namespace(const kreg *r)
{
    return r->cfg.namespace_;
}

const char *kreg_pod_name(const kreg *r)
{
    return r->cfg.pod_name && *r->cfg.pod_name ? r->cfg.pod_name : NULL;
}

const char *kreg__pod_name(const json_t *pod)
{
    const char *n = json_string_value(
        json_object_get(json_object_get(pod, "metadata"), "name"));

    return n ? n : "";
}

const char *kreg__pod_annotation(const json_t *pod, const char *key,
                                 size_t *len)
{
    json_t *v = json_object_get(
        json_object_get(json_object_get(pod, "metadata"), "annotations"), key);

    if (!json_is_string(v))
        return NULL;
    if (len)
        *len = json_string_length(v);
    return json_string_value(v);
}

bool kreg__pod_usable(const json_t *pod)
{
    const char *phase = json_string_value(
        json_object_get(json_object_get(pod, "status"), "phase"));
    json_t *del =
        json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp");

    return phase && strcmp(phase, "Running") == 0 &&
           (!del || json_is_null(del));
}

int kreg__pod_ready(const json_t *pod, char *why, size_t size)
{
    json_t *conds =
        json_object_get(json_object_get(pod, "status"), "conditions");
    int ready = -1; /* no Ready condition seen yet */
    json_t *c;
    size_t i;

    if (!conds || json_is_null(conds))
        return 0;
    if (!json_is_array(conds)) {
        snprintf(why, size, "status.conditions is not an array");
        return -1;
    }
    json_array_foreach(conds, i, c)
    {
        json_t *type = json_object_get(c, "type");
        json_t *st = json_object_get(c, "status");
        const char *bad = !json_is_object(c)      ? "is not an object"
                          : !type                 ? "has no type"
                          : !json_is_string(type) ? "type is not a string"
                          : !st                   ? "has no status"
                          : !json_is_string(st)   ? "status is not a string"
                                                  : NULL;

        if (bad) {
            snprintf(why, size, "status.conditions[%zu] %s", i, bad);
            return -1;
        }
        if (ready < 0 && strcmp(json_string_value(type), "Ready") == 0)
            ready = strcmp(json_string_value(st), "True") == 0;
    }
    return ready > 0;
}

int kreg__query_copy(const struct kreg_query *q, size_t size,
                     struct kreg_query *out, struct kreg_error *err)
{
    const unsigned char *b = (const unsigned char *)q;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (!q)
        return KREG_OK;
    if (size < KREG__QUERY_SIZE_0_1)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "query options: size %zu is smaller than any "
                           "struct kreg_query",
                           size);
    for (i = sizeof(*out); i < size; i++)
        if (b[i] != 0)
            return kreg__error(err, KREG_E_INVALID, 0, NULL,
                               "query options: a member this libkreg does "
                               "not know is set (byte %zu of %zu)",
                               i, size);
    memcpy(out, q, size < sizeof(*out) ? size : sizeof(*out));
    return KREG_OK;
}

/* Path of the own pod; an error when no pod name is known. */
static int pod_path(kreg *r, char *path, size_t size, struct kreg_error *err)
{
    char *ns;
    char *pod;
    int n = -1;

    if (!r->cfg.pod_name || !*r->cfg.pod_name)
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "no pod name: set the pod name option or "
                           "HOSTNAME");
    ns = kreg__http_escape(r->cfg.namespace_);
    pod = kreg__http_escape(r->cfg.pod_name);
    if (ns && pod)
        n = snprintf(path, size, "/api/v1/namespaces/%s/pods/%s", ns, pod);
    free(ns);
    free(pod);
    if (n < 0 || (size_t)n >= size)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "pod or namespace name too long");
    return KREG_OK;
}

/* Name the pod when the server says it is missing (issue 4). */
static int pod_error(kreg *r, int rc, struct kreg_error *err)
{
    if (rc == KREG_E_NOT_FOUND)
        kreg__error(err, rc, 404, "NotFound",
                    "pod \"%s\" not found in namespace \"%s\"", r->cfg.pod_name,
                    r->cfg.namespace_);
    return rc;
}

/*
 * A service whose own annotation is over the budget (docs/go-micro-wire.md,
 * Known problems item 11) is refused without a request: no pod could take it.
 */
static int check_alone(kreg *r, const char *key, size_t value_len,
                       struct kreg_error *err)
{
    size_t total = strlen(key) + value_len;

    if (total <= ANNOTATION_BUDGET)
        return KREG_OK;
    return kreg__error(err, KREG_E_TOO_BIG, 0, NULL,
                       "annotation %s would take %zu bytes, more than the "
                       "262144 the API server allows for all annotations of "
                       "pod \"%s\"",
                       key, total, r->cfg.pod_name);
}

/*
 * The API server refuses a patch that takes a pod's annotations over the
 * budget with 422, reason Invalid and a cause FieldValueTooLong on
 * metadata.annotations (kube-apiserver v1.37.2 and fakeapi answer the same
 * Status; the message is "Too long: may not be more than 262144 bytes").
 * The pod stays as it was. Such an answer becomes KREG_E_TOO_BIG with the
 * server's message; anything else is left as it is.
 */
static int map_too_big(const struct kreg__response *resp, int rc,
                       struct kreg_error *err)
{
    json_t *st;
    json_t *cause;
    const char *reason;
    const char *message;
    bool too_long = false;
    size_t i;

    if (rc != KREG_E_HTTP || resp->status != 422 || !resp->body)
        return rc;
    st = json_loadb(resp->body, resp->len, 0, NULL);
    reason = json_string_value(json_object_get(st, "reason"));
    message = json_string_value(json_object_get(st, "message"));
    json_array_foreach(
        json_object_get(json_object_get(st, "details"), "causes"), i, cause)
    {
        const char *f = json_string_value(json_object_get(cause, "field"));
        const char *why = json_string_value(json_object_get(cause, "reason"));

        too_long = too_long || (f && strcmp(f, "metadata.annotations") == 0 &&
                                why && strcmp(why, "FieldValueTooLong") == 0);
    }
    if (too_long && reason && strcmp(reason, "Invalid") == 0 && message) {
        rc = KREG_E_TOO_BIG;
        kreg__error(err, rc, 422, reason, "%s", message);
    }
    json_decref(st);
    return rc;
}

/* The Go plugin's PATCH body, byte for byte (docs/go-micro-wire.md,
 * Examples (F), Requests): json.Encoder output with HTML escaping and one
 * trailing '\n'. */
static int patch_body(const char *enc, const char *json, size_t len, int wire,
                      struct kbuf *b)
{
    int kr = KBUF_OK; /* a failed append empties b: remember any failure */
    int rc = KREG_OK;

    kr |= kbuf_adds(
        b, "{\"metadata\":{\"labels\":{\"" KREG__NAMES_SELECTOR_PREFIX);
    kr |= kbuf_adds(b, enc);
    if (json) {
        kr |= kbuf_adds(b, "\":\"service\",\"" KREG__NAMES_TYPE_LABEL
                           "\":\"service\"},\"annotations\":{"
                           "\"" KREG__NAMES_ANNOTATION_PREFIX);
        kr |= kbuf_adds(b, enc);
        kr |= kbuf_adds(b, "\":");
        rc = kreg__service_encode_string(b, json, len, wire);
        kr |= kbuf_adds(b, "}},\"status\":null}\n");
    } else {
        kr |= kbuf_adds(
            b, "\":null},\"annotations\":{\"" KREG__NAMES_ANNOTATION_PREFIX);
        kr |= kbuf_adds(b, enc);
        kr |= kbuf_adds(b, "\":null}},\"status\":null}\n");
    }
    return kr != KBUF_OK || rc != KREG_OK ? KREG_E_NOMEM : KREG_OK;
}

/* A PATCH answers the patched pod (docs/go-micro-wire.md, Responses: the plugin
 * fails on an answer that does not decode); anything else is reported,
 * though the server may have applied the patch. */
static int check_patched(kreg *r, const struct kreg__response *resp,
                         struct kreg_error *err)
{
    json_t *pod = json_loadb(resp->body ? resp->body : "", resp->len, 0, NULL);
    bool ok = json_is_object(pod) &&
              strcmp(kreg__pod_name(pod), r->cfg.pod_name) == 0;

    json_decref(pod);
    if (ok)
        return KREG_OK;
    return kreg__error(err, KREG_E_PROTOCOL, (int)resp->status, NULL,
                       "pod \"%s\": the API server answered the patch with "
                       "something else than the pod (%zu bytes)",
                       r->cfg.pod_name, resp->len);
}

/* Register (json != NULL) or deregister (json == NULL) one name. */
static int patch_service(kreg *r, const char *name, const char *json,
                         size_t len, struct kreg_error *err)
{
    char path[1024];
    char key[KREG__NAMES_KEY_SIZE];
    char enc[KREG__NAMES_KEY_SIZE];
    struct kreg__response resp = {0};
    struct kbuf body;
    int rc;

    rc = kreg__names_annotation_key(name, key, sizeof(key), err);
    if (rc == KREG_OK)
        rc = kreg_name_encode(name, enc, sizeof(enc), err);
    if (rc == KREG_OK)
        rc = pod_path(r, path, sizeof(path), err);
    if (rc == KREG_OK && json)
        rc = check_alone(r, key, len, err);
    if (rc != KREG_OK)
        return rc;
    kbuf_init(&body, 4u << 20);
    if (patch_body(enc, json, len, r->wire, &body) != KREG_OK ||
        kbuf_len(&body) == 0) {
        kbuf_release(&body);
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    }
    /* the same patch twice has the same result: safe to retry */
    rc = kreg__http_request(
        r->http, "PATCH", path, "application/strategic-merge-patch+json",
        kbuf_str(&body), kbuf_len(&body), KREG__HTTP_IDEMPOTENT, &resp, err);
    kbuf_release(&body);
    if (rc == KREG_OK)
        rc = check_patched(r, &resp, err);
    else if (json)
        rc = map_too_big(&resp, rc, err);
    kreg__response_release(&resp);
    return pod_error(r, rc, err);
}

/* "<op> <name>: " before the message ("<op> \"\": " for an empty name). */
static void prefix_op(struct kreg_error *err, const char *op, const char *name)
{
    if (*name)
        kreg__error_prefix(err, "%s %s", op, name);
    else
        kreg__error_prefix(err, "%s \"\"", op);
}

int kreg_register(kreg *r, const struct kreg_service *s, struct kreg_error *err)
{
    char *json = NULL;
    size_t len = 0;
    int rc;

    if (!s || !s->name)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "register: no service");
    if (s->nnodes == 0)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "register %s: you must register at least one node",
                           s->name);
    rc = kreg_service_encode(s, r->wire, &json, &len, err);
    if (rc == KREG_OK)
        rc = patch_service(r, s->name, json, len, err);
    free(json);
    if (rc != KREG_OK)
        prefix_op(err, "register", s->name);
    return rc;
}

int kreg_deregister(kreg *r, const struct kreg_service *s,
                    struct kreg_error *err)
{
    int rc;

    if (!s || !s->name)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "deregister: no service");
    rc = patch_service(r, s->name, NULL, 0, err);
    if (rc != KREG_OK)
        prefix_op(err, "deregister", s->name);
    return rc;
}
