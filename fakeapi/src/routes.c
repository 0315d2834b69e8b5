/*
 * routes: map method + path to a handler, as the API server's router does
 * for the paths fakeapi serves (k8s-api.md §9; go-micro-registry.md §7 for
 * the trailing-slash list path).
 */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "status.h"

#define MAX_SEGS 8

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

/* Split @p path (modified) at '/'; a trailing '/' is dropped. */
static size_t split(char *path, char **segs)
{
    size_t n = 0;
    char *p = path;

    while (*p == '/')
        p++;
    while (*p && n < MAX_SEGS) {
        char *slash = strchr(p, '/');

        segs[n++] = p;
        if (!slash)
            return n;
        *slash = '\0';
        p = slash + 1;
        if (!*p)
            return n;
    }
    return *p ? MAX_SEGS + 1 : n;
}

static bool is(const char *m, const char *want)
{
    return strcmp(m, want) == 0;
}

/* /api/v1/namespaces/{ns}/pods[/{name}[/status]] and /api/v1/pods;
 * @p legacy: under /api/v1/watch/ */
static void route_pods(struct req *r, const char *ns, char **rest, size_t n,
                       bool watch, bool legacy, struct resp *out)
{
    const char *m = r->method;

    if (n == 0) {
        if (is(m, "GET"))
            fakeapi__pods_list(r, ns, watch, out);
        else if (ns && is(m, "POST") && !watch)
            fakeapi__pod_create(r, ns, out);
        else if (ns && is(m, "DELETE") && !watch)
            fakeapi__pods_delete_collection(r, ns, out);
        else
            fakeapi__method_not_allowed(out);
        return;
    }
    /* installer.go: a named path watches only under /watch/ (a ?watch on
     * it is ignored: GET reads the object) */
    if (legacy && ns && n == 1) {
        if (is(m, "GET"))
            fakeapi__pods_watch_named(r, ns, rest[0], out);
        else
            fakeapi__method_not_allowed(out);
        return;
    }
    if (!ns || legacy || n > 2 || (n == 2 && strcmp(rest[1], "status") != 0)) {
        fakeapi__not_found_path(out);
        return;
    }
    if (is(m, "GET"))
        fakeapi__pod_get(r, ns, rest[0], out);
    else if (is(m, "PUT"))
        fakeapi__pod_update(r, ns, rest[0], n == 2, out);
    else if (is(m, "PATCH"))
        fakeapi__pod_patch(r, ns, rest[0], n == 2, out);
    else if (is(m, "DELETE") && n == 1)
        fakeapi__pod_delete(r, ns, rest[0], out);
    else
        fakeapi__method_not_allowed(out);
}

static void route_v1(struct req *r, char **s, size_t n, struct resp *out)
{
    bool watch = false;
    bool legacy = false;

    if (n > 0 && is(s[0], "watch")) { /* legacy /api/v1/watch/... */
        legacy = true;
        s++;
        n--;
    }
    watch = legacy || fakeapi__arg_bool(r, "watch");
    if (n >= 1 && is(s[0], "pods")) {
        route_pods(r, NULL, s + 1, n - 1, watch, legacy, out);
        return;
    }
    if (n == 0 || !is(s[0], "namespaces")) {
        fakeapi__not_found_path(out);
        return;
    }
    if (n == 1) {
        if (is(r->method, "GET") && !watch)
            fakeapi__ns_list(r, out);
        else if (is(r->method, "POST"))
            fakeapi__ns_create(r, out);
        else
            fakeapi__method_not_allowed(out);
    } else if (n == 2) {
        if (is(r->method, "GET") && !watch)
            fakeapi__ns_get(r, s[1], out);
        else if (is(r->method, "DELETE"))
            fakeapi__ns_delete(r, s[1], out);
        else
            fakeapi__method_not_allowed(out);
    } else if (is(s[2], "pods")) {
        route_pods(r, s[1], s + 3, n - 3, watch, legacy, out);
    } else {
        fakeapi__not_found_path(out);
    }
}

void fakeapi__route(struct req *r, struct resp *out)
{
    char *segs[MAX_SEGS + 1];
    char *copy;
    size_t n;

    if (strncmp(r->path, "/fakeapi/v1/", 12) == 0) {
        fakeapi__control(r, r->path + 12, out);
        return;
    }
    if (fakeapi__discovery(r, r->path, out))
        return;
    copy = strdup(r->path);
    if (!copy) {
        fakeapi__resp_status(
            out, fakeapi__status_new(500, "InternalError", "out of memory"));
        return;
    }
    n = split(copy, segs);
    if (n >= 2 && n <= MAX_SEGS && is(segs[0], "api") && is(segs[1], "v1"))
        route_v1(r, segs + 2, n - 2, out);
    else
        fakeapi__not_found_path(out);
    free(copy);
}
