/*
 * control_http: the test-control endpoints under /fakeapi/v1/ (see
 * fakeapi/README.md). Answers are JSON; errors are Status objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "base/status.h"
#include "http/authz.h"
#include "http/server.h"

static void ok(struct resp *out, json_t *extra)
{
    json_t *o = extra ? extra : json_object();

    json_object_set_new(o, "status", json_string("Success"));
    fakeapi__resp_json(out, 200, o);
}

static void from_err(struct resp *out, int rc, const struct fakeapi_error *e)
{
    int code = rc == FAKEAPI_E_NOT_FOUND ? 404
               : rc == FAKEAPI_E_NOMEM   ? 500
                                         : 400;

    fakeapi__resp_status(out,
                         fakeapi__status_new(code,
                                             code == 404   ? "NotFound"
                                             : code == 500 ? "InternalError"
                                                           : "BadRequest",
                                             "%s", e->text));
}

static json_t *body_object(struct req *r, struct resp *out)
{
    json_error_t jerr;
    json_t *o = json_loadb(kbuf_str(&r->body), kbuf_len(&r->body), 0, &jerr);

    if (!json_is_object(o)) {
        fakeapi__resp_status(out, fakeapi__status_bad_request(
                                      "control: expected a JSON object: %s",
                                      o ? "not an object" : jerr.text));
        json_decref(o);
        return NULL;
    }
    return o;
}

static enum fakeapi_fault_kind kind_of(const char *k)
{
    if (!k)
        return 0;
    if (strcmp(k, "status") == 0)
        return FAKEAPI_FAULT_STATUS;
    if (strcmp(k, "latency") == 0)
        return FAKEAPI_FAULT_LATENCY;
    if (strcmp(k, "drop") == 0)
        return FAKEAPI_FAULT_DROP;
    if (strcmp(k, "truncate") == 0)
        return FAKEAPI_FAULT_TRUNCATE;
    return 0;
}

static unsigned uint_member(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

    return n > 0 && n < 0x7fffffff ? (unsigned)n : 0;
}

static void add_fault(struct req *r, struct resp *out)
{
    json_t *o = body_object(r, out);
    struct fakeapi_fault f;
    struct fakeapi_error e = {0};
    int rc;

    if (!o)
        return;
    memset(&f, 0, sizeof(f));
    f.kind = kind_of(json_string_value(json_object_get(o, "kind")));
    f.method = json_string_value(json_object_get(o, "method"));
    f.path = json_string_value(json_object_get(o, "path"));
    f.count = uint_member(o, "count");
    f.status = (int)uint_member(o, "status");
    f.reason = json_string_value(json_object_get(o, "reason"));
    f.message = json_string_value(json_object_get(o, "message"));
    f.retry_after_s = uint_member(o, "retryAfterSeconds");
    f.latency_ms = uint_member(o, "latencyMs");
    rc = fakeapi_fault_add(r->srv, &f, &e);
    if (rc == FAKEAPI_OK)
        ok(out, NULL);
    else
        from_err(out, rc, &e);
    json_decref(o);
}

static void set_phase(struct req *r, struct resp *out)
{
    json_t *o = body_object(r, out);
    struct fakeapi_error e = {0};
    int rc;

    if (!o)
        return;
    rc = fakeapi_set_phase(r->srv,
                           json_string_value(json_object_get(o, "namespace")),
                           json_string_value(json_object_get(o, "name")),
                           json_string_value(json_object_get(o, "phase")), &e);
    if (rc == FAKEAPI_OK)
        ok(out, NULL);
    else
        from_err(out, rc, &e);
    json_decref(o);
}

static void state(struct req *r, struct resp *out)
{
    char rv[24];

    snprintf(rv, sizeof(rv), "%llu",
             (unsigned long long)fakeapi_resource_version(r->srv));
    fakeapi__resp_json(out, 200,
                       json_pack("{s:s, s:I, s:I}", "resourceVersion", rv,
                                 "pods", (json_int_t)fakeapi_pod_count(r->srv),
                                 "watches",
                                 (json_int_t)fakeapi_watch_count(r->srv)));
}

/* Up to 16 strings of array member @p key of @p o into @p v (*@p n of
 * them); a missing member is none. -1 when it is not such an array. */
static int strings(const json_t *o, const char *key, const char *v[16],
                   size_t *n)
{
    json_t *a = json_object_get(o, key);
    size_t i;

    *n = 0;
    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > 16)
        return -1;
    for (i = 0; i < json_array_size(a); i++) {
        v[i] = json_string_value(json_array_get(a, i));
        if (!v[i])
            return -1;
    }
    *n = i;
    return 0;
}

/* {"token":"T","name":"kreg-reader","verbs":["get"],"namespaces":["a"]}:
 * a restricted user whom RBAC allows these verbs on pods, in those
 * namespaces only when "namespaces" is given (authz.h). */
static void add_user(struct req *r, struct resp *out)
{
    json_t *o = body_object(r, out);
    const char *v[16];
    const char *ns[16];
    size_t n;
    size_t nns;
    struct fakeapi_error e = {0};
    int rc = FAKEAPI_E_INVALID;

    if (!o)
        return;
    snprintf(e.text, sizeof(e.text), "%s",
             "user: \"verbs\" must be an array of at most 16 strings");
    if (json_is_array(json_object_get(o, "verbs")) &&
        strings(o, "verbs", v, &n) == 0) {
        snprintf(e.text, sizeof(e.text), "%s",
                 "user: \"namespaces\" must be an array of at most 16 "
                 "strings");
        if (strings(o, "namespaces", ns, &nns) == 0)
            rc = fakeapi__authz_add(
                r->srv, json_string_value(json_object_get(o, "token")),
                json_string_value(json_object_get(o, "name")), v, n, ns, nns,
                &e);
    }
    json_decref(o);
    if (rc == FAKEAPI_OK)
        ok(out, NULL);
    else
        from_err(out, rc, &e);
}

void fakeapi__control(struct req *r, const char *rest, struct resp *out)
{
    const char *m = r->method;
    struct fakeapi_error e = {0};
    int rc;

    if (strcmp(rest, "seed") == 0 && strcmp(m, "POST") == 0) {
        rc = fakeapi_seed_json(r->srv, kbuf_str(&r->body), kbuf_len(&r->body),
                               &e);
        if (rc == FAKEAPI_OK)
            ok(out, NULL);
        else
            from_err(out, rc, &e);
    } else if (strcmp(rest, "phase") == 0 && strcmp(m, "POST") == 0) {
        set_phase(r, out);
    } else if (strcmp(rest, "faults") == 0 && strcmp(m, "POST") == 0) {
        add_fault(r, out);
    } else if (strcmp(rest, "users") == 0 && strcmp(m, "POST") == 0) {
        add_user(r, out);
    } else if (strcmp(rest, "users") == 0 && strcmp(m, "DELETE") == 0) {
        fakeapi__authz_clear(r->srv);
        ok(out, NULL);
    } else if (strcmp(rest, "faults") == 0 && strcmp(m, "DELETE") == 0) {
        fakeapi_faults_clear(r->srv);
        ok(out, NULL);
    } else if (strcmp(rest, "requests") == 0 && strcmp(m, "GET") == 0) {
        char *log = NULL;

        if (fakeapi_request_log(r->srv, &log) == FAKEAPI_OK) {
            out->status = 200;
            out->body = log;
            out->len = strlen(log);
        } else {
            fakeapi__resp_status(out, fakeapi__status_new(500, "InternalError",
                                                          "out of memory"));
        }
    } else if (strcmp(rest, "requests") == 0 && strcmp(m, "DELETE") == 0) {
        fakeapi_request_log_clear(r->srv);
        ok(out, NULL);
    } else if (strcmp(rest, "close-watches") == 0 && strcmp(m, "POST") == 0) {
        ok(out,
           json_pack("{s:i}", "closed", (int)fakeapi_close_watches(r->srv)));
    } else if (strcmp(rest, "compact") == 0 && strcmp(m, "POST") == 0) {
        fakeapi_compact(r->srv);
        ok(out, NULL);
    } else if (strcmp(rest, "reset") == 0 && strcmp(m, "POST") == 0) {
        fakeapi_reset(r->srv);
        ok(out, NULL);
    } else if (strcmp(rest, "state") == 0 && strcmp(m, "GET") == 0) {
        state(r, out);
    } else {
        fakeapi__not_found_path(out);
    }
}
