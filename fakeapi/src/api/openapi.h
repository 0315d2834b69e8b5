/*
 * openapi: GET /openapi/v2, the OpenAPI v2 (Swagger 2.0) document of what
 * fakeapi serves, as JSON or as gnostic's protobuf openapi_v2.Document,
 * negotiated and cached (ETag, Last-Modified) as kube-openapi's handler
 * does. The document itself is openapi_v2_data.c, cut from a real
 * kube-apiserver's answer by fakeapi/tools/openapi_v2_gen.py.
 */
#ifndef FAKEAPI_OPENAPI_H
#define FAKEAPI_OPENAPI_H

#include <stdbool.h>
#include <stddef.h>

struct req;
struct resp;

/*
 * Answer /openapi/v2, to any method as a real server does: 200 with the
 * form the Accept header picks first (JSON for * / *), 304 when
 * If-None-Match or If-Modified-Since says the client has it (412 for a
 * matching If-None-Match on a method other than GET or HEAD), 406 (no
 * body) when Accept names neither form.
 */
void fakeapi__openapi_v2(struct req *r, struct resp *out);

#endif
