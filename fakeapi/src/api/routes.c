/*
 * routes: map method + path to a handler, as the API server's router does
 * for the paths fakeapi serves (docs/kubernetes-api.md, Discovery;
 * docs/go-micro-wire.md, Server requirements for the trailing-slash list path).
 */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "base/status.h"

#define MAX_SEGS 8

/* The types an API route produces; a collection's GET adds the watch
 * stream types. */
static bool accepts(const struct req *r, bool collection, struct resp *out)
{
    return fakeapi__restful_accepts(
        r,
        collection ? FAKEAPI_PRODUCES_API
            ", application/json;stream=watch, "
            "application/vnd.kubernetes.protobuf;stream=watch"
                   : FAKEAPI_PRODUCES_API,
        out);
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
        bool get = is(m, "GET");
        bool post = ns && is(m, "POST") && !watch;
        bool del = ns && is(m, "DELETE") && !watch;

        if (!get && !post && !del)
            fakeapi__method_not_allowed(out);
        else if (!accepts(r, get, out))
            return;
        else if (get)
            fakeapi__pods_list(r, ns, watch, out);
        else if (post)
            fakeapi__pod_create(r, ns, out);
        else
            fakeapi__pods_delete_collection(r, ns, out);
        return;
    }
    /* installer.go: a named path watches only under /watch/ (a ?watch on
     * it is ignored: GET reads the object) */
    if (legacy && ns && n == 1) {
        if (!is(m, "GET"))
            fakeapi__method_not_allowed(out);
        else if (accepts(r, true, out))
            fakeapi__pods_watch_named(r, ns, rest[0], out);
        return;
    }
    if (!ns || legacy || n > 2 || (n == 2 && strcmp(rest[1], "status") != 0)) {
        fakeapi__not_found_path(out);
        return;
    }
    if (!is(m, "GET") && !is(m, "PUT") && !is(m, "PATCH") &&
        !(is(m, "DELETE") && n == 1))
        fakeapi__method_not_allowed(out);
    else if (!accepts(r, false, out))
        return;
    else if (is(m, "GET") && !fakeapi__get_special(r, ns, rest[0], out))
        fakeapi__pod_get(r, ns, rest[0], out);
    else if (is(m, "GET"))
        return;
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
        bool get = is(r->method, "GET") && !watch;

        if (!get && !is(r->method, "POST"))
            fakeapi__method_not_allowed(out);
        else if (!accepts(r, get, out))
            return;
        else if (get)
            fakeapi__ns_list(r, out);
        else
            fakeapi__ns_create(r, out);
    } else if (n == 2) {
        bool get = is(r->method, "GET") && !watch;

        if (!get && !is(r->method, "DELETE"))
            fakeapi__method_not_allowed(out);
        else if (!accepts(r, false, out))
            return;
        else if (get && !fakeapi__get_special(r, NULL, s[1], out))
            fakeapi__ns_get(r, s[1], out);
        else if (get)
            return;
        else
            fakeapi__ns_delete(r, s[1], out);
    } else if (is(s[2], "pods")) {
        route_pods(r, s[1], s + 3, n - 3, watch, legacy, out);
    } else {
        fakeapi__not_found_path(out);
    }
}

/* The API groups a kube-apiserver v1.37.2 serves (its /apis): a path in
 * one of them reaches go-restful, whose 404 is a Status. */
static bool is_builtin_group(const char *g)
{
    static const char *const groups[] = {"apiregistration.k8s.io",
                                         "apps",
                                         "events.k8s.io",
                                         "authentication.k8s.io",
                                         "authorization.k8s.io",
                                         "autoscaling",
                                         "batch",
                                         "certificates.k8s.io",
                                         "networking.k8s.io",
                                         "policy",
                                         "rbac.authorization.k8s.io",
                                         "storage.k8s.io",
                                         "admissionregistration.k8s.io",
                                         "apiextensions.k8s.io",
                                         "scheduling.k8s.io",
                                         "coordination.k8s.io",
                                         "node.k8s.io",
                                         "discovery.k8s.io",
                                         "resource.k8s.io",
                                         "flowcontrol.apiserver.k8s.io",
                                         "storagemigration.k8s.io"};
    size_t i;

    for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (is(g, groups[i]))
            return true;
    return false;
}

void fakeapi__route(struct req *r, struct resp *out)
{
    char *segs[MAX_SEGS + 1];
    char *copy;
    size_t n;

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
    else if (n >= 1 && is(segs[0], "api"))
        fakeapi__not_found_path(out);
    else if (n >= 2 && is(segs[0], "apis") && is_builtin_group(segs[1]))
        fakeapi__not_found_path(out);
    else /* elsewhere, the server's mux answers (no Status) */
        fakeapi__resp_raw(out, 404, "text/plain; charset=utf-8",
                          "404 page not found\n", 19);
    free(copy);
}
