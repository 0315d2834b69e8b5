/*
 * discovery: what kubectl 1.32 and other clients read before they talk
 * about pods (docs/kubernetes-api.md, Discovery): version, legacy
 * (non-aggregated) discovery, the OpenAPI v2 document (openapi.c) kubectl <
 * 1.24 validates against, the minimal OpenAPI v3 document kubectl's --validate
 * needs, health.
 */
#include <string.h>

#include "api/handlers.h"
#include "api/openapi.h"

/* A 1.37 server's version.Info (component-base/version): since 1.31 it
 * carries the emulated version and the minimum compatibility version
 * (compatibility/version.go: one minor below the binary's). */
static const char version_json[] =
    "{\"major\":\"1\",\"minor\":\"37\",\"emulationMajor\":\"1\","
    "\"emulationMinor\":\"37\",\"minCompatibilityMajor\":\"1\","
    "\"minCompatibilityMinor\":\"36\",\"gitVersion\":\"v1.37.2\","
    "\"gitCommit\":\"0000000000000000000000000000000000000000\","
    "\"gitTreeState\":\"clean\",\"buildDate\":\"2026-10-27T12:01:04Z\","
    "\"goVersion\":\"go1.26.8\",\"compiler\":\"gc\","
    "\"platform\":\"linux/amd64\"}";

static const char apis_json[] =
    "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}";

static const char v1_json[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
    "{\"name\":\"namespaces\",\"singularName\":\"namespace\","
    "\"namespaced\":false,\"kind\":\"Namespace\",\"verbs\":[\"create\","
    "\"delete\",\"get\",\"list\"],\"shortNames\":[\"ns\"],"
    "\"storageVersionHash\":\"Q3oi5N2YM8M=\"},"
    "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,"
    "\"kind\":\"Pod\",\"verbs\":[\"create\",\"delete\",\"deletecollection\","
    "\"get\",\"list\",\"patch\",\"update\",\"watch\"],\"shortNames\":"
    "[\"po\"],\"categories\":[\"all\"],"
    "\"storageVersionHash\":\"xPOwRZ+Yhw8=\"},"
    "{\"name\":\"pods/status\",\"singularName\":\"\",\"namespaced\":true,"
    "\"kind\":\"Pod\",\"verbs\":[\"get\",\"patch\",\"update\"]}]}";

static const char openapi_root[] =
    "{\"paths\":{\"api/v1\":{\"serverRelativeURL\":"
    "\"/openapi/v3/api/v1?hash=6B6E6F6B6E6F\"}}}";

/* The Pod PATCH operation declaring fieldValidation: kubectl then
 * validates on the server (fieldValidation=Strict) instead of locally.
 * info.version is major.minor, as kube-apiserver v1.37.2 writes it. */
static const char openapi_v1[] =
    "{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"Kubernetes\","
    "\"version\":\"1.37\"},\"paths\":{"
    "\"/api/v1/namespaces/{namespace}/pods/{name}\":{\"patch\":{"
    "\"x-kubernetes-group-version-kind\":{\"group\":\"\",\"version\":\"v1\","
    "\"kind\":\"Pod\"},\"parameters\":[{\"name\":\"fieldValidation\","
    "\"in\":\"query\",\"schema\":{\"type\":\"string\"}}],"
    "\"responses\":{}}}}}";

static void api_versions(struct req *r, struct resp *out)
{
    json_t *o = json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions",
                          "versions", "v1", "serverAddressByClientCIDRs",
                          "clientCIDR", "0.0.0.0/0", "serverAddress",
                          r->api->url + (r->api->tls ? 8 : 7));

    fakeapi__resp_json(out, 200, o);
}

/* The server's paths (the root document, sorted as the mux lists them). */
static const char root_json[] =
    "{\"paths\":[\"/api\",\"/api/v1\",\"/apis\",\"/apis/\",\"/healthz\","
    "\"/healthz/etcd\",\"/healthz/log\",\"/healthz/ping\",\"/livez\","
    "\"/livez/etcd\",\"/livez/log\",\"/livez/ping\",\"/openapi/v2\","
    "\"/openapi/v3\",\"/openapi/v3/\",\"/readyz\",\"/readyz/etcd\","
    "\"/readyz/log\",\"/readyz/ping\",\"/readyz/shutdown\",\"/version\"]}";

#define SEND(body) fakeapi__resp_raw(out, 200, NULL, body, sizeof(body) - 1)

/* /healthz, /livez, /readyz and their checks (server/healthz: any
 * method; an unknown check is the mux's 404). */
static bool health(const char *path, struct resp *out)
{
    static const char *const roots[] = {"/healthz", "/livez", "/readyz"};
    static const char *const checks[] = {"", "/ping", "/log", "/etcd"};
    size_t i;
    size_t j;

    for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
        size_t n = strlen(roots[i]);

        if (strncmp(path, roots[i], n) != 0)
            continue;
        for (j = 0; j < sizeof(checks) / sizeof(checks[0]); j++)
            if (strcmp(path + n, checks[j]) == 0)
                break;
        if (j < sizeof(checks) / sizeof(checks[0]) ||
            (i == 2 && strcmp(path + n, "/shutdown") == 0)) {
            fakeapi__resp_raw(out, 200, "text/plain; charset=utf-8", "ok", 2);
            return true;
        }
        if (path[n] == '/') {
            fakeapi__resp_raw(out, 404, "text/plain; charset=utf-8",
                              "404 page not found\n", 19);
            return true;
        }
    }
    return false;
}

static bool is_any(const char *path, const char *a, const char *b)
{
    return strcmp(path, a) == 0 || strcmp(path, b) == 0;
}

bool fakeapi__discovery(struct req *r, const char *path, struct resp *out)
{
    bool get = strcmp(r->method, "GET") == 0;

    if (health(path, out))
        return true;
    if (strcmp(path, "/openapi/v2") == 0) { /* any method, as a real server */
        fakeapi__openapi_v2(r, out);
        return true;
    }
    /* go-restful routes: another method is 405 */
    if (!get &&
        (is_any(path, "/version", "/version/") ||
         is_any(path, "/api", "/api/") || is_any(path, "/apis", "/apis/") ||
         is_any(path, "/api/v1", "/api/v1/"))) {
        fakeapi__method_not_allowed(out);
        return true;
    }
    if (!get)
        return false;
    /* go-restful routes: /version produces JSON only, /api and /api/v1
     * the API's types; /apis negotiates as the handlers do */
    if (is_any(path, "/version", "/version/") &&
        !fakeapi__restful_accepts(r, "application/json", out))
        return true;
    if ((is_any(path, "/api", "/api/") ||
         is_any(path, "/api/v1", "/api/v1/")) &&
        !fakeapi__restful_accepts(r, FAKEAPI_PRODUCES_API, out))
        return true;
    if (is_any(path, "/apis", "/apis/")) {
        struct fakeapi_media m;
        json_t *bad = fakeapi__negotiate(r, &m);

        if (bad) {
            fakeapi__resp_status(out, bad);
            return true;
        }
    }
    if (strcmp(path, "/") == 0)
        SEND(root_json);
    else if (strcmp(path, "/version") == 0 || strcmp(path, "/version/") == 0)
        SEND(version_json);
    else if (strcmp(path, "/api") == 0 || strcmp(path, "/api/") == 0)
        api_versions(r, out);
    else if (strcmp(path, "/apis") == 0 || strcmp(path, "/apis/") == 0)
        SEND(apis_json); /* must be 200 (docs/kubernetes-api.md, Discovery) */
    else if (strcmp(path, "/api/v1") == 0 || strcmp(path, "/api/v1/") == 0)
        SEND(v1_json);
    else if (strcmp(path, "/openapi/v3") == 0)
        /* handler3: the root document is written without a Content-Type,
         * so net/http sniffs one */
        fakeapi__resp_raw(out, 200, "text/plain; charset=utf-8", openapi_root,
                          sizeof(openapi_root) - 1);
    else if (strcmp(path, "/openapi/v3/api/v1") == 0)
        SEND(openapi_v1);
    else
        return false;
    return true;
}
