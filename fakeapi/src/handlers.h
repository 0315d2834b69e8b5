/*
 * handlers: the HTTP endpoints, one file per resource (discovery.c,
 * namespaces.c, pods.c, list.c, control.c), reached from routes.c.
 */
#ifndef FAKEAPI_HANDLERS_H
#define FAKEAPI_HANDLERS_H

#include "server.h"

/* discovery.c: /version, /api, /apis, /api/v1, /openapi, health.
 * Returns false when @p path is not a discovery path. */
bool fakeapi__discovery(struct req *r, const char *path, struct resp *out);

/* namespaces.c */
void fakeapi__ns_list(struct req *r, struct resp *out);
void fakeapi__ns_create(struct req *r, struct resp *out);
void fakeapi__ns_get(struct req *r, const char *ns, struct resp *out);
void fakeapi__ns_delete(struct req *r, const char *ns, struct resp *out);

/* pods.c: one pod (@p sub is NULL or "status") */
void fakeapi__pod_get(struct req *r, const char *ns, const char *name,
                      struct resp *out);
void fakeapi__pod_create(struct req *r, const char *ns, struct resp *out);
void fakeapi__pod_update(struct req *r, const char *ns, const char *name,
                         bool status, struct resp *out);
void fakeapi__pod_patch(struct req *r, const char *ns, const char *name,
                        bool status, struct resp *out);
void fakeapi__pod_delete(struct req *r, const char *ns, const char *name,
                         struct resp *out);

/* list.c: collections (@p ns NULL = all namespaces) */
void fakeapi__pods_list(struct req *r, const char *ns, bool watch,
                        struct resp *out);
void fakeapi__pods_delete_collection(struct req *r, const char *ns,
                                     struct resp *out);

/* Accept negotiation: JSON (*table false), a meta.k8s.io Table (true,
 * with its version), or a new 406 Status. */
json_t *fakeapi__negotiate(const struct req *r, bool *table,
                           const char **table_version);

/* control.c: /fakeapi/v1/... test control */
void fakeapi__control(struct req *r, const char *rest, struct resp *out);

/*
 * Delete @p cur (write lock held) as podStrategy does (k8s-api.md §8):
 * the grace period is @p explicit_grace or the pod's own, forced to 0 for
 * unbound or finished pods; 0 writes deletionTimestamp (MODIFIED) and then
 * removes the object (DELETED); a grace period only marks it terminating.
 * Returns the answer body (new reference), or NULL when out of memory.
 */
json_t *fakeapi__pod_remove(struct fakeapi *srv, struct fakeapi_obj *cur,
                            const int64_t *explicit_grace);

/* Create namespace @p name if missing (write lock held); 0 or -1. */
int fakeapi__ns_ensure(struct fakeapi *srv, const char *name);

/* The namespaces every server starts with; 0 or -1. */
int fakeapi__init_namespaces(struct fakeapi *srv);

/* 404 for a path nothing serves. */
void fakeapi__not_found_path(struct resp *out);

/* 405 for a method a path does not allow. */
void fakeapi__method_not_allowed(struct resp *out);

/* The namespace must exist: NULL, or a new 404 Status. Lock held. */
json_t *fakeapi__ns_required(struct fakeapi *srv, const char *ns);

#endif
