/*
 * discovery: what kubectl 1.32 and other clients read before they talk
 * about pods (k8s-api.md §9): version, legacy (non-aggregated) discovery,
 * the OpenAPI v2 document (openapi.c) kubectl < 1.24 validates against,
 * the minimal OpenAPI v3 document kubectl's --validate needs, health.
 */
#include <string.h>

#include "handlers.h"
#include "openapi.h"

static const char version_json[] =
    "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0\","
    "\"gitCommit\":\"0000000000000000000000000000000000000000\","
    "\"gitTreeState\":\"clean\",\"buildDate\":\"2024-12-11T00:00:00Z\","
    "\"goVersion\":\"go1.23.3\",\"compiler\":\"gc\","
    "\"platform\":\"linux/amd64\"}";

static const char apis_json[] =
    "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}";

static const char v1_json[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
    "{\"name\":\"namespaces\",\"singularName\":\"namespace\","
    "\"namespaced\":false,\"kind\":\"Namespace\",\"verbs\":[\"create\","
    "\"delete\",\"get\",\"list\"],\"shortNames\":[\"ns\"]},"
    "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,"
    "\"kind\":\"Pod\",\"verbs\":[\"create\",\"delete\",\"deletecollection\","
    "\"get\",\"list\",\"patch\",\"update\",\"watch\"],\"shortNames\":"
    "[\"po\"],\"categories\":[\"all\"]},"
    "{\"name\":\"pods/status\",\"singularName\":\"\",\"namespaced\":true,"
    "\"kind\":\"Pod\",\"verbs\":[\"get\",\"patch\",\"update\"]}]}";

static const char openapi_root[] =
    "{\"paths\":{\"api/v1\":{\"serverRelativeURL\":"
    "\"/openapi/v3/api/v1?hash=6B6E6F6B6E6F\"}}}";

/* The Pod PATCH operation declaring fieldValidation: kubectl then
 * validates on the server (fieldValidation=Strict) instead of locally. */
static const char openapi_v1[] =
    "{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"Kubernetes\","
    "\"version\":\"v1.32.0\"},\"paths\":{"
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
                          r->srv->url + (r->srv->tls ? 8 : 7));

    fakeapi__resp_json(out, 200, o);
}

#define SEND(body) fakeapi__resp_raw(out, 200, NULL, body, sizeof(body) - 1)

bool fakeapi__discovery(struct req *r, const char *path, struct resp *out)
{
    if (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 ||
        strcmp(path, "/livez") == 0) {
        fakeapi__resp_raw(out, 200, "text/plain; charset=utf-8", "ok", 2);
        return true;
    }
    if (strcmp(path, "/openapi/v2") == 0) { /* any method, as a real server */
        fakeapi__openapi_v2(r, out);
        return true;
    }
    if (strcmp(r->method, "GET") != 0)
        return false;
    if (strcmp(path, "/version") == 0 || strcmp(path, "/version/") == 0)
        SEND(version_json);
    else if (strcmp(path, "/api") == 0 || strcmp(path, "/api/") == 0)
        api_versions(r, out);
    else if (strcmp(path, "/apis") == 0 || strcmp(path, "/apis/") == 0)
        SEND(apis_json); /* must be 200 (k8s-api.md §9) */
    else if (strcmp(path, "/api/v1") == 0 || strcmp(path, "/api/v1/") == 0)
        SEND(v1_json);
    else if (strcmp(path, "/openapi/v3") == 0)
        SEND(openapi_root);
    else if (strcmp(path, "/openapi/v3/api/v1") == 0)
        SEND(openapi_v1);
    else
        return false;
    return true;
}
