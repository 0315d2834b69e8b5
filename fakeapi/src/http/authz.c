/*
 * authz: restricted users and the 403 a real API server gives them.
 *
 * The request's attributes are found as the apiserver's
 * RequestInfoFactory finds them (k8s.io/apiserver endpoints/request),
 * and the refusal is written as its responsewriters.forbiddenMessage and
 * apierrors.NewForbidden write it.
 */
#include "http/authz.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "base/error.h"
#include "base/status.h"
#include "http/server.h"

static const char *const verb_names[] = {
    "get",    "list",  "watch",  "create",
    "update", "patch", "delete", "deletecollection",
};

#define NVERBS    (sizeof(verb_names) / sizeof(verb_names[0]))
#define ALL_VERBS ((1u << NVERBS) - 1)

/* Path segments kept (a request has few). */
#define MAX_PARTS 8

/* The attributes RBAC decides on (authorizer.Attributes). */
struct attrs {
    bool resource_request;
    char verb[24];
    const char *group;
    const char *ns;
    const char *resource;
    const char *name;
    const char *sub;
};

static void user_free(struct authz_user *u)
{
    size_t i;

    if (!u)
        return;
    for (i = 0; i < u->nns; i++)
        free(u->namespaces[i]);
    free(u->namespaces);
    free(u->token);
    free(u->name);
    free(u);
}

static int verb_bit(const char *v, unsigned *bits)
{
    size_t i;

    if (strcmp(v, "*") == 0) {
        *bits |= ALL_VERBS;
        return 0;
    }
    for (i = 0; i < NVERBS; i++)
        if (strcmp(v, verb_names[i]) == 0) {
            *bits |= 1u << i;
            return 0;
        }
    return -1;
}

/* The namespaces a user's verbs hold in (copied); -1 when out of memory,
 * 1 for an empty name. */
static int user_namespaces(struct authz_user *u, const char *const *namespaces,
                           size_t nns)
{
    size_t i;

    if (nns == 0)
        return 0;
    u->namespaces = calloc(nns, sizeof(*u->namespaces));
    if (!u->namespaces)
        return -1;
    for (i = 0; i < nns; i++) {
        if (!namespaces[i] || !*namespaces[i])
            return 1;
        u->namespaces[i] = strdup(namespaces[i]);
        if (!u->namespaces[i])
            return -1;
        u->nns = i + 1;
    }
    return 0;
}

int fakeapi__authz_add(struct fakeapi *srv, const char *token, const char *name,
                       const char *const *verbs, size_t n,
                       const char *const *namespaces, size_t nns,
                       struct fakeapi_error *err)
{
    struct authz_user *u;
    struct authz_user **p;
    size_t i;
    int rc;

    if (!token || !*token || !name || !*name)
        return fakeapi__error(err, FAKEAPI_E_INVALID, "%s",
                              "user: token and name must not be empty");
    u = calloc(1, sizeof(*u));
    if (!u)
        return fakeapi__error(err, FAKEAPI_E_NOMEM, "%s", "out of memory");
    for (i = 0; i < n; i++)
        if (verb_bit(verbs[i], &u->verbs) != 0) {
            user_free(u);
            return fakeapi__error(err, FAKEAPI_E_INVALID, "%s",
                                  "user: unknown verb");
        }
    rc = user_namespaces(u, namespaces, nns);
    if (rc > 0) {
        user_free(u);
        return fakeapi__error(err, FAKEAPI_E_INVALID, "%s",
                              "user: a namespace must not be empty");
    }
    u->token = strdup(token);
    u->name = strdup(name);
    if (rc != 0 || !u->token || !u->name) {
        user_free(u);
        return fakeapi__error(err, FAKEAPI_E_NOMEM, "%s", "out of memory");
    }
    pthread_mutex_lock(&srv->authz_mu);
    for (p = &srv->users; *p; p = &(*p)->next)
        if (strcmp((*p)->token, token) == 0) {
            u->next = (*p)->next;
            user_free(*p);
            break;
        }
    if (!*p)
        u->next = NULL;
    *p = u;
    pthread_mutex_unlock(&srv->authz_mu);
    return FAKEAPI_OK;
}

void fakeapi__authz_clear(struct fakeapi *srv)
{
    struct authz_user *u;

    pthread_mutex_lock(&srv->authz_mu);
    while ((u = srv->users)) {
        srv->users = u->next;
        user_free(u);
    }
    pthread_mutex_unlock(&srv->authz_mu);
}

/* Constant-time equality of a token and the bearer credential. */
static bool same_token(const char *want, const char *got)
{
    size_t wl = strlen(want);
    size_t gl = strlen(got);
    unsigned char diff = 0;
    size_t i;

    for (i = 0; i < wl; i++)
        diff |= (unsigned char)(want[i] ^ (i < gl ? got[i] : 0));
    return diff == 0 && gl == wl;
}

/* Split @p path (copied into @p buf) at '/', skipping empty segments. */
static size_t split(const char *path, char *buf, size_t size,
                    const char *parts[MAX_PARTS])
{
    size_t n = 0;
    char *p;
    char *slash;

    snprintf(buf, size, "%s", path);
    for (p = buf; *p && n < MAX_PARTS; p = slash + 1) {
        slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        if (*p)
            parts[n++] = p;
        if (!slash)
            break;
    }
    return n;
}

/* The verb of a resource request by its method (no special verb). */
static const char *method_verb(const char *method)
{
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        return "get";
    if (strcmp(method, "POST") == 0)
        return "create";
    if (strcmp(method, "PUT") == 0)
        return "update";
    if (strcmp(method, "PATCH") == 0)
        return "patch";
    if (strcmp(method, "DELETE") == 0)
        return "delete";
    return "";
}

/* RequestInfoFactory.NewRequestInfo for the paths a test meets;
 * @p parts point into a buffer the caller keeps. */
static void request_attrs(const struct req *r, const char **parts, size_t n,
                          struct attrs *a)
{
    size_t i;

    memset(a, 0, sizeof(*a));
    a->group = "";
    /* non-resource: lowercased method; /api/v1 and /apis/G/V too */
    for (i = 0; r->method[i] && i + 1 < sizeof(a->verb); i++)
        a->verb[i] = (char)(r->method[i] | 0x20);
    if (n < 3 ||
        (strcmp(parts[0], "api") != 0 && strcmp(parts[0], "apis") != 0))
        return;
    parts++;
    n--;
    if (strcmp(parts[-1], "apis") == 0) {
        if (n < 3)
            return;
        a->group = parts[0];
        parts++;
        n--;
    }
    a->resource_request = true;
    parts++; /* the version */
    n--;
    if (strcmp(parts[0], "watch") == 0 && n >= 2) {
        snprintf(a->verb, sizeof(a->verb), "watch");
        parts++;
        n--;
    } else {
        snprintf(a->verb, sizeof(a->verb), "%s", method_verb(r->method));
    }
    if (strcmp(parts[0], "namespaces") == 0 && n > 1) {
        a->ns = parts[1];
        /* namespaces/NS/status and /finalize are the namespace's own */
        if (n > 2 && strcmp(parts[2], "status") != 0 &&
            strcmp(parts[2], "finalize") != 0) {
            parts += 2;
            n -= 2;
        }
    }
    a->resource = parts[0];
    a->name = n >= 2 ? parts[1] : NULL;
    a->sub = n >= 3 ? parts[2] : NULL;
    if (!a->name && strcmp(a->verb, "get") == 0)
        snprintf(a->verb, sizeof(a->verb), "%s",
                 fakeapi__arg_bool(r, "watch") ? "watch" : "list");
    if (!a->name && strcmp(a->verb, "delete") == 0)
        snprintf(a->verb, sizeof(a->verb), "deletecollection");
}

/* The system:discovery ClusterRole every authenticated user has. */
static bool is_discovery(const struct req *r, const struct attrs *a)
{
    const char *p = r->path;

    if (a->resource_request || strcmp(a->verb, "get") != 0)
        return false;
    return strcmp(p, "/api") == 0 || strncmp(p, "/api/", 5) == 0 ||
           strcmp(p, "/apis") == 0 || strncmp(p, "/apis/", 6) == 0 ||
           strcmp(p, "/healthz") == 0 || strcmp(p, "/livez") == 0 ||
           strcmp(p, "/readyz") == 0 || strcmp(p, "/version") == 0 ||
           strcmp(p, "/version/") == 0 || strcmp(p, "/openapi") == 0 ||
           strncmp(p, "/openapi/", 9) == 0;
}

/* Whether @p u's verbs hold where @p a asks: everywhere, or (RoleBindings)
 * in one of its namespaces, never at the cluster scope. */
static bool in_scope(const struct authz_user *u, const struct attrs *a)
{
    size_t i;

    if (u->nns == 0)
        return true;
    for (i = 0; a->ns && i < u->nns; i++)
        if (strcmp(a->ns, u->namespaces[i]) == 0)
            return true;
    return false;
}

static bool allows(const struct authz_user *u, const struct attrs *a)
{
    size_t i;

    if (!a->resource_request || a->sub || strcmp(a->group, "") != 0 ||
        strcmp(a->resource, "pods") != 0 || !in_scope(u, a))
        return false;
    for (i = 0; i < NVERBS; i++)
        if (strcmp(a->verb, verb_names[i]) == 0)
            return (u->verbs & (1u << i)) != 0;
    return false;
}

/* responsewriters.Forbidden: NewForbidden(group resource, name, msg). */
static json_t *forbidden(const struct req *r, const char *user,
                         const struct attrs *a)
{
    char qu[160];
    char qres[160];
    char qg[160];
    char qn[300];
    char what[1024];
    char gr[200];
    json_t *st;

    fakeapi__quote(qu, sizeof(qu), user);
    if (!a->resource_request) {
        fakeapi__quote(qn, sizeof(qn), r->path);
        st = fakeapi__status_new(403, "Forbidden",
                                 "forbidden: User %s cannot %s path %s", qu,
                                 a->verb, qn);
        /* an empty GroupResource still gives "details":{} */
        json_object_set_new(st, "details", json_object());
        return st;
    }
    snprintf(what, sizeof(what), "%s%s%s", a->resource, a->sub ? "/" : "",
             a->sub ? a->sub : "");
    fakeapi__quote(qres, sizeof(qres), what);
    fakeapi__quote(qg, sizeof(qg), a->group);
    if (a->ns) {
        fakeapi__quote(qn, sizeof(qn), a->ns);
        snprintf(what, sizeof(what),
                 "User %s cannot %s resource %s in API group %s in the "
                 "namespace %s",
                 qu, a->verb, qres, qg, qn);
    } else {
        snprintf(what, sizeof(what),
                 "User %s cannot %s resource %s in API group %s at the "
                 "cluster scope",
                 qu, a->verb, qres, qg);
    }
    /* schema.GroupResource.String(): "resource" or "resource.group" */
    snprintf(gr, sizeof(gr), "%s%s%s", a->resource, *a->group ? "." : "",
             a->group);
    if (a->name) {
        fakeapi__quote(qn, sizeof(qn), a->name);
        st = fakeapi__status_new(403, "Forbidden", "%s %s is forbidden: %s", gr,
                                 qn, what);
    } else {
        st = fakeapi__status_new(403, "Forbidden", "%s is forbidden: %s", gr,
                                 what);
    }
    fakeapi__status_details(st, a->name, a->resource);
    if (*a->group)
        json_object_set_new(json_object_get(st, "details"), "group",
                            json_string(a->group));
    return st;
}

enum authz_decision fakeapi__authz_check(const struct req *r, json_t **status)
{
    const char *h = fakeapi__header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    const struct authz_user *u;
    const char *parts[MAX_PARTS];
    char buf[1024];
    struct attrs a;
    enum authz_decision d = AUTHZ_NOT_A_USER;
    size_t n;

    *status = NULL;
    if (!h || strncasecmp(h, "bearer ", 7) != 0)
        return AUTHZ_NOT_A_USER;
    h += 7;
    while (*h == ' ')
        h++;
    n = split(r->path, buf, sizeof(buf), parts);
    request_attrs(r, parts, n, &a);
    pthread_mutex_lock(&r->srv->authz_mu);
    for (u = r->srv->users; u; u = u->next)
        if (same_token(u->token, h))
            break;
    if (u) {
        d = allows(u, &a) || is_discovery(r, &a) ? AUTHZ_ALLOWED : AUTHZ_DENIED;
        if (d == AUTHZ_DENIED)
            *status = forbidden(r, u->name, &a);
    }
    pthread_mutex_unlock(&r->srv->authz_mu);
    return d;
}
