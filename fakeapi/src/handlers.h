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

/* control.c: /fakeapi/v1/... test control */
void fakeapi__control(struct req *r, const char *rest, struct resp *out);

/* 404 for a path nothing serves. */
void fakeapi__not_found_path(struct resp *out);

/* 405 for a method a path does not allow. */
void fakeapi__method_not_allowed(struct resp *out);

/* The namespace must exist: NULL, or a new 404 Status. Lock held. */
json_t *fakeapi__ns_required(struct fakeapi *srv, const char *ns);

#endif
