/*
 * protobuf: just enough of the Kubernetes protobuf encoding to read the
 * objects that kubectl's typed clients send that way (kubectl create
 * namespace POSTs a protobuf Namespace): the "k8s\0" envelope, the
 * runtime.Unknown wrapper and an object's ObjectMeta name, generateName,
 * namespace, labels and annotations.
 */
#ifndef FAKEAPI_PROTOBUF_H
#define FAKEAPI_PROTOBUF_H

#include <stddef.h>

#include <jansson.h>

/* Is @p ctype the Kubernetes protobuf media type? */
int fakeapi__is_protobuf(const char *ctype);

/*
 * Decode @p len bytes of an enveloped protobuf object into
 * {"kind","apiVersion","metadata":{...}} (new reference), or NULL when the
 * bytes are not a well-formed envelope.
 */
json_t *fakeapi__protobuf_object(const unsigned char *p, size_t len);

#endif
