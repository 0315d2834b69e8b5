/*
 * pod_write: what kube-apiserver does to a pod's JSON on its way into
 * storage besides defaults and validation: the ServiceAccount token
 * mount (pod_admit.c) and the member order it is written in
 * (pod_order.c). Both work on jansson trees, take no lock, keep no state.
 */
#ifndef FAKEAPI_POD_WRITE_H
#define FAKEAPI_POD_WRITE_H

#include <jansson.h>

struct fakeapi_obj;

/**
 * Mount the ServiceAccount token as the ServiceAccount admission plugin
 * does on create: a projected volume kube-api-access-<suffix> (or the
 * pod's existing kube-api-access-* volume) mounted read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount in every init and app
 * container that has no mount there; nothing when the pod sets
 * automountServiceAccountToken false.
 * @param pod     a pod prepared by fakeapi__pod_prepare_create, changed.
 * @param suffix  5 random name characters (borrowed).
 * @return FAKEAPI_OK or FAKEAPI_E_NOMEM (drop the pod).
 */
int fakeapi__pod_admit_token(json_t *pod, const char *suffix);

/**
 * Put a pod's members in the order kube-apiserver writes them (Go field
 * order: kind, apiVersion, metadata, spec, status and, inside, the
 * structs clients send); unknown members keep their order after those.
 * Empty metadata labels, annotations, finalizers and ownerReferences are
 * removed, as Go's omitempty leaves them out.
 * @param obj  the pod, changed in place.
 * @return FAKEAPI_OK, FAKEAPI_E_INVALID if @p obj is not an object, or
 *         FAKEAPI_E_NOMEM (members may then be missing: drop the pod).
 */
int fakeapi__pod_order(json_t *obj);

#endif
