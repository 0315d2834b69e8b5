/*
 * req: reading a request and building an answer (api/req.h): the
 * helpers every handler shares.
 */
#include "api/req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/jsondump.h"
#include "base/status.h"
#include "select/selector.h"
#include "store/obj.h"
#include "validate/fieldval.h"

const char *fakeapi__arg(const struct req *r, const char *name)
{
    return r->io->arg(r->conn, name);
}

bool fakeapi__arg_bool(const struct req *r, const char *name)
{
    const char *v = fakeapi__arg(r, name);

    if (!v)
        return false;
    return strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0;
}

const char *fakeapi__header(const struct req *r, const char *name)
{
    return r->io->header(r->conn, name);
}

void fakeapi__resp_raw(struct resp *out, int status, const char *ctype,
                       const char *body, size_t len)
{
    out->status = status;
    out->content_type = ctype;
    out->body = malloc(len + 1);
    if (out->body) {
        memcpy(out->body, body, len);
        out->body[len] = '\0';
        out->len = len;
    }
}

void fakeapi__resp_json(struct resp *out, int status, json_t *obj)
{
    out->status = status;
    out->body = fakeapi__jsondump_text(obj, JSON_COMPACT);
    out->len = out->body ? strlen(out->body) : 0;
    json_decref(obj);
    if (!out->body) {
        static const char oom[] =
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
            "\"status\":\"Failure\",\"message\":\"Internal error occurred: "
            "out of memory\",\"reason\":\"InternalError\",\"code\":500}";

        out->status = 500;
        fakeapi__resp_raw(out, 500, NULL, oom, sizeof(oom) - 1);
    }
}

void fakeapi__resp_text(struct resp *out, int status, char *text)
{
    out->status = status;
    out->body = text;
    out->len = strlen(text);
}

void fakeapi__resp_status(struct resp *out, json_t *status)
{
    json_t *d = json_object_get(status, "details");
    json_t *ra = json_object_get(d, "retryAfterSeconds");

    if (json_is_integer(ra) && json_integer_value(ra) > 0)
        out->retry_after = (unsigned)json_integer_value(ra);
    fakeapi__resp_json(out, status ? fakeapi__status_code(status) : 500,
                       status);
}

void fakeapi__resp_obj(struct resp *out, int status, struct fakeapi_obj *o)
{
    out->status = status;
    out->obj = fakeapi__obj_ref(o);
}

void fakeapi__resp_partial(struct resp *out, const struct fakeapi_obj *o,
                           const char *version)
{
    struct kbuf b;

    kbuf_init(&b, (size_t)1 << 34);
    if (fakeapi__obj_partial(o, version, &b) != KBUF_OK) {
        fakeapi__resp_status(
            out, fakeapi__status_new(500, "InternalError",
                                     "Internal error occurred: out of "
                                     "memory"));
        return;
    }
    out->status = 200;
    out->body = kbuf_detach(&b, &out->len);
}

void fakeapi__resp_header(struct resp *out, const char *name, const char *value)
{
    if (out->nheaders == FAKEAPI_RESP_HEADERS)
        return;
    out->headers[out->nheaders].name = name;
    snprintf(out->headers[out->nheaders].value,
             sizeof(out->headers[out->nheaders].value), "%s", value);
    out->nheaders++;
}

void fakeapi__resp_warn(struct resp *out, const char *text)
{
    fakeapi__warn(&out->warnings, text);
}

void fakeapi__resp_watch(struct resp *out, struct watch_params *p)
{
    /* the namespace may point into the request's path copies, which are
     * gone when the server starts the stream */
    char *ns = p->ns ? strdup(p->ns) : NULL;

    if (p->ns && !ns) {
        fakeapi__lsel_free(p->ls);
        fakeapi__fsel_free(p->fs);
        p->ls = NULL;
        p->fs = NULL;
        fakeapi__resp_status(
            out, fakeapi__status_new(500, "InternalError",
                                     "Internal error occurred: out of "
                                     "memory"));
        return;
    }
    out->status = 200;
    out->stream = true;
    out->watch = *p;
    out->watch.ns = ns;
    out->watch_ns = ns;
    p->ls = NULL;
    p->fs = NULL;
}

void fakeapi__resp_release(struct resp *out)
{
    free(out->body);
    out->body = NULL;
    fakeapi__obj_unref(out->obj);
    out->obj = NULL;
    json_decref(out->warnings);
    out->warnings = NULL;
    if (out->stream) {
        fakeapi__lsel_free(out->watch.ls);
        fakeapi__fsel_free(out->watch.fs);
        free(out->watch_ns);
        out->watch_ns = NULL;
        out->stream = false;
    }
}

void fakeapi__not_found_path(struct resp *out)
{
    json_t *st = fakeapi__status_new(
        404, "NotFound", "the server could not find the requested resource");

    json_object_del(st, "code");
    json_object_set_new(st, "details", json_object());
    json_object_set_new(st, "code", json_integer(404));
    fakeapi__resp_status(out, st);
}

void fakeapi__method_not_allowed(struct resp *out)
{
    json_t *st = fakeapi__status_new(
        405, "MethodNotAllowed",
        "the server does not allow this method on the requested resource");

    json_object_del(st, "code");
    json_object_set_new(st, "details", json_object());
    json_object_set_new(st, "code", json_integer(405));
    fakeapi__resp_status(out, st);
}

/*
 * go-restful's route selection (route.go matchesAccept), before any
 * handler: a route serves the types it produces; an Accept header none of
 * whose ranges (parameters dropped) is one of them or "*" + "/" + "*" is
 * a 406 with go-restful's text, which the server wraps in a Status.
 * A collection's GET also produces the watch stream types.
 */
/* Is the media type @p p (@p n bytes) one of @p produces ("a, b, c")? */
static bool produced(const char *p, size_t n, const char *produces)
{
    const char *t = produces;

    while (t) {
        const char *end = strstr(t, ", ");
        size_t len = end ? (size_t)(end - t) : strlen(t);

        if (len == n && memcmp(t, p, n) == 0)
            return true;
        t = end ? end + 2 : NULL;
    }
    return false;
}

bool fakeapi__restful_accepts(const struct req *r, const char *produces,
                              struct resp *out)
{
    const char *acc = fakeapi__header(r, "Accept");
    const char *p = acc;
    json_t *st;

    if (!acc || !*acc)
        return true;
    while (p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *semi = memchr(p, ';', n);

        if (semi)
            n = (size_t)(semi - p);
        while (n > 0 && *p == ' ') {
            p++;
            n--;
        }
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if ((n == 3 && memcmp(p, "*/*", 3) == 0) || produced(p, n, produces))
            return true;
        p = end ? end + 1 : NULL;
    }
    st = fakeapi__status_new(406, "NotAcceptable",
                             "406: Not Acceptable\n\nAvailable "
                             "representations: %s",
                             produces);
    fakeapi__status_details(st, NULL, NULL);
    fakeapi__resp_status(out, st);
    return false;
}
