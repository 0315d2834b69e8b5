/*
 * handlers: the API endpoints, one file per resource (discovery.c,
 * openapi.c, namespaces.c, pods.c, list.c), reached from routes.c; the
 * answer forms they share (media.c); seeding (seed.c).
 */
#ifndef FAKEAPI_HANDLERS_H
#define FAKEAPI_HANDLERS_H

#include "api/api.h"
#include "api/req.h"
#include "store/store.h"

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
void fakeapi__pods_watch_named(struct req *r, const char *ns, const char *name,
                               struct resp *out);
void fakeapi__pods_list(struct req *r, const char *ns, bool watch,
                        struct resp *out);
void fakeapi__pods_delete_collection(struct req *r, const char *ns,
                                     struct resp *out);

/* The form of an answer, from the Accept header (docs/kubernetes-api.md, HTTP
 * basics, Tables). */
enum fakeapi_form {
    FAKEAPI_FORM_JSON,         /* the object or list itself */
    FAKEAPI_FORM_TABLE,        /* meta.k8s.io Table */
    FAKEAPI_FORM_PARTIAL,      /* meta.k8s.io PartialObjectMetadata */
    FAKEAPI_FORM_PARTIAL_LIST, /* meta.k8s.io PartialObjectMetadataList */
};

struct fakeapi_media {
    enum fakeapi_form form;
    const char *version; /* meta.k8s.io version of the other forms */
};

/* media.c: Accept negotiation: fills @p m and returns NULL, or returns a new
 * 406 Status when nothing offered is served. */
json_t *fakeapi__negotiate(const struct req *r, struct fakeapi_media *m);

/* list.c: a GET of one object (pod @p ns/@p name, or namespace @p name
 * when @p ns is NULL) answered here: an unparsable resourceVersion, and
 * the object as a Table. Returns false when the handler answers. */
bool fakeapi__get_special(struct req *r, const char *ns, const char *name,
                          struct resp *out);

/* The Table form's options from the query (includeObject) for a
 * meta.k8s.io/@p version Table: NULL, or a 400 Status (new reference). */
struct fakeapi_table_opts;
json_t *fakeapi__table_opts(const struct req *r, const char *version,
                            struct fakeapi_table_opts *to);

/*
 * The 406 a real server gives when the PartialObjectMetadata form does
 * not fit the answer (a list asked as one object or the reverse), or NULL
 * when it fits. @p type names the internal Go type, e.g. "*core.PodList".
 */
json_t *fakeapi__partial_misfit(const struct fakeapi_media *m, bool list,
                                const char *type);

/* Answer @p n snapshots as a PartialObjectMetadataList (@p cont and
 * @p remaining >= 0 as in a list's metadata). */
void fakeapi__send_partial_list(struct resp *out, const char *version,
                                struct fakeapi_obj *const *objs, size_t n,
                                uint64_t rv, const char *cont,
                                long long remaining);

/*
 * Stage in @p b the deletion of @p cur (write lock held) as podStrategy
 * does (docs/kubernetes-api.md, Delete): the grace period is @p explicit_grace
 * or the pod's own, forced to 0 for unbound or finished pods; 0 writes
 * deletionTimestamp (MODIFIED) and then removes the object (DELETED); a
 * grace period only marks it terminating. Nothing is stored before @p b
 * commits. Returns the answer body (new reference), or NULL when out of
 * memory (@p b has failed, or the answer could not be made).
 */
json_t *fakeapi__pod_remove(struct store_batch *b, struct fakeapi_obj *cur,
                            const int64_t *explicit_grace);

/* Stage namespace @p name in @p b unless it exists once @p b commits
 * (write lock held); 0, or -1: @p b has failed. */
int fakeapi__ns_ensure(struct api *srv, struct store_batch *b,
                       const char *name);

/* The namespaces every server starts with; 0 or -1. */
int fakeapi__init_namespaces(struct api *srv);

/* The namespace must exist: NULL, or a new 404 Status. Lock held. */
json_t *fakeapi__ns_required(struct api *srv, const char *ns);

/* namespaces.c: NamespaceLifecycle for a create of @p resource @p name in
 * @p ns (write lock held): NULL, the namespace's 404, or the 403 of a
 * namespace being terminated (new reference). */
json_t *fakeapi__ns_admit(struct api *srv, const char *ns, const char *resource,
                          const char *name);

/* namespaces.c: the namespace Table (NAME, STATUS, AGE) of @p items
 * (not modified) at @p rv, written as @p to says; new, NULL when out of
 * memory. */
json_t *fakeapi__ns_table(const json_t *items, const char *rv,
                          const struct fakeapi_table_opts *to);

/* namespaces.c: remove the terminating namespaces due at @p now (mono
 * ms; takes the write lock); returns when the next one is due. */
uint64_t fakeapi__ns_finalize(struct api *srv, uint64_t now);

/* routes.c: route @p r to a handler (the API's paths; the server's own
 * /fakeapi/v1/ control paths are routed before, by http/). */
void fakeapi__route(struct req *r, struct resp *out);

/* seed.c: store the pods of @p json (@p len bytes: a Pod, a PodList or
 * an array of Pods) as fakeapi_seed_json() says (fakeapi.h). */
int fakeapi__seed(struct api *srv, const char *json, size_t len,
                  struct fakeapi_error *err);

/* pods.c */
/**
 * Delete one pod of a deletecollection (write lock held), as store.go
 * DeleteCollection does: a Delete with the request's gracePeriodSeconds
 * (the pod's own grace period without it), nothing stored on dryRun=All.
 * The deletion is staged in @p b: the collection commits whole or not at
 * all.
 * @param r    the deletecollection request (borrowed).
 * @param b    the collection's write.
 * @param cur  the listed pod (borrowed, unchanged until @p b commits).
 * @return the pod as listed, before the deletion, without kind and
 *         apiVersion (a new reference), or NULL when out of memory.
 */
json_t *fakeapi__pod_delete_listed(struct req *r, struct store_batch *b,
                                   struct fakeapi_obj *cur);

#endif
