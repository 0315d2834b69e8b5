/*
 * authz: restricted users, the part of a real API server's RBAC a test
 * needs to meet a real 403 (test control, /fakeapi/v1/users).
 *
 * A user is a bearer token, a name and the verbs RBAC grants it on
 * core-group pods: in every namespace and at the cluster scope (a
 * ClusterRole bound with a ClusterRoleBinding), or, when the user has a
 * list of namespaces, only in those (a Role and a RoleBinding in each:
 * a cluster-scope request such as GET /api/v1/pods is then refused).
 * Like every authenticated user it may also get the discovery paths
 * (the system:discovery role). Anything else is 403 Forbidden with the
 * Status a real server writes. Requests bearing any other token are not
 * users: the server's own token (or none) applies to them as before.
 * Guarded by srv->authz_mu.
 */
#ifndef FAKEAPI_AUTHZ_H
#define FAKEAPI_AUTHZ_H

#include <stddef.h>

#include <jansson.h>

#include "fakeapi.h"

struct fakeapi;
struct req;

struct authz_user {
    struct authz_user *next;
    char *token;
    char *name;
    unsigned verbs;    /* bit set of the verbs in authz.c's table */
    char **namespaces; /* where the verbs hold; none: everywhere */
    size_t nns;
};

/* What fakeapi__authz_check() decided. */
enum authz_decision {
    AUTHZ_NOT_A_USER = 0, /* no user's token: the usual auth applies */
    AUTHZ_ALLOWED = 1,    /* a user whom RBAC allows this request */
    AUTHZ_DENIED = 2,     /* a user whom RBAC denies it: answer *status */
};

/*
 * Add user @p name with bearer @p token, allowed @p verbs (n names from
 * get, list, watch, create, update, patch, delete, deletecollection, or
 * "*") on pods, in the @p nns namespaces of @p namespaces only, or (none)
 * everywhere; a user with the same token is replaced.
 * @return FAKEAPI_OK, FAKEAPI_E_INVALID (empty token, name or namespace,
 *         unknown verb) or FAKEAPI_E_NOMEM.
 */
int fakeapi__authz_add(struct fakeapi *srv, const char *token, const char *name,
                       const char *const *verbs, size_t n,
                       const char *const *namespaces, size_t nns,
                       struct fakeapi_error *err);

/* Remove every user. */
void fakeapi__authz_clear(struct fakeapi *srv);

/*
 * Decide request @p r by its bearer token. On AUTHZ_DENIED *status is a
 * new 403 Status (NULL only when out of memory).
 */
enum authz_decision fakeapi__authz_check(const struct req *r, json_t **status);

#endif
