/*
 * media: the forms an answer can take, from the Accept header: the object
 * itself, a meta.k8s.io Table, PartialObjectMetadata or its list
 * (k8s.io/apiserver/pkg/endpoints/handlers/negotiation and
 * handlers/response.go transformObject).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/handlers.h"
#include "base/status.h"
#include "pod/pod.h"
#include "store/obj.h"

/* The value of parameter @p name in a media range's parameters @p params
 * (";a=b;c=d", spaces allowed around ';'), copied to @p out. */
static bool range_param(const char *params, const char *name, char *out,
                        size_t size)
{
    size_t n = strlen(name);
    const char *p = params;

    while ((p = strchr(p, ';')) != NULL) {
        const char *end;

        p++;
        while (*p == ' ')
            p++;
        end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            size_t len = (size_t)(end - p) - n - 1;

            while (len > 0 && p[n + 1 + len - 1] == ' ')
                len--;
            snprintf(out, size, "%.*s", (int)len, p + n + 1);
            return true;
        }
        p = end;
    }
    return false;
}

/* A meta.k8s.io version the server serves for the transformed forms. */
static const char *meta_version(const char *range)
{
    char g[32];
    char v[32];

    if (!range_param(range, "g", g, sizeof(g)) ||
        strcmp(g, "meta.k8s.io") != 0 || !range_param(range, "v", v, sizeof(v)))
        return NULL;
    return strcmp(v, "v1") == 0        ? "v1"
           : strcmp(v, "v1beta1") == 0 ? "v1beta1"
                                       : NULL;
}

json_t *fakeapi__negotiate(const struct req *r, struct fakeapi_media *m)
{
    const char *acc = fakeapi__header(r, "Accept");
    const char *part = acc;

    m->form = FAKEAPI_FORM_JSON;
    m->version = "v1";
    if (!acc || !*acc)
        return NULL;
    /* media ranges in order; the first one we serve wins */
    while (part && *part) {
        const char *end = strchr(part, ',');
        size_t len = end ? (size_t)(end - part) : strlen(part);
        char range[256];
        char as[64];

        while (len > 0 && *part == ' ') {
            part++;
            len--;
        }
        snprintf(range, sizeof(range), "%.*s", (int)len, part);
        if (range_param(range, "as", as, sizeof(as)) &&
            (strcmp(as, "PartialObjectMetadata") == 0 ||
             strcmp(as, "PartialObjectMetadataList") == 0)) {
            /* served only for meta.k8s.io v1 and v1beta1 */
            m->version = meta_version(range);
            if (m->version) {
                m->form = strcmp(as, "PartialObjectMetadata") == 0
                              ? FAKEAPI_FORM_PARTIAL
                              : FAKEAPI_FORM_PARTIAL_LIST;
                return NULL;
            }
        } else if (range_param(range, "as", as, sizeof(as))) {
            /* negotiation.go: a range converting to a kind the server
             * does not offer is skipped */
            m->version = strcmp(as, "Table") == 0 ? meta_version(range) : NULL;
            if (m->version) {
                m->form = FAKEAPI_FORM_TABLE;
                return NULL;
            }
        } else if (strncmp(range, "application/json", 16) == 0 ||
                   strncmp(range, "*/*", 3) == 0 ||
                   strncmp(range, "application/*", 13) == 0) {
            m->version = "v1";
            return NULL;
        }
        part = end ? end + 1 : NULL;
    }
    m->form = FAKEAPI_FORM_JSON;
    m->version = "v1";
    return fakeapi__status_new(406, "NotAcceptable",
                               "only the following media types are accepted: "
                               "application/json, application/yaml, "
                               "application/vnd.kubernetes.protobuf");
}

/* handlers/response.go, asPartialObjectMetadata(List) */
json_t *fakeapi__partial_misfit(const struct fakeapi_media *m, bool list,
                                const char *type)
{
    char msg[160];

    if (m->form == FAKEAPI_FORM_PARTIAL && list)
        snprintf(msg, sizeof(msg),
                 "you requested PartialObjectMetadata, but the requested "
                 "object is a list (%s)",
                 type);
    else if (m->form == FAKEAPI_FORM_PARTIAL_LIST && !list)
        snprintf(msg, sizeof(msg),
                 "you requested PartialObjectMetadataList, but the requested "
                 "object is not a list (%s)",
                 type);
    else
        return NULL;
    return fakeapi__status_new(406, "NotAcceptable", "%s", msg);
}

void fakeapi__send_partial_list(struct resp *out, const char *version,
                                struct fakeapi_obj *const *objs, size_t n,
                                uint64_t rv, const char *cont,
                                long long remaining)
{
    struct kbuf b;
    size_t total = 0;
    size_t i;
    int rc;

    kbuf_init(&b, (size_t)1 << 34);
    for (i = 0; i < n; i++)
        total += objs[i]->meta_len + 80;
    kbuf_reserve(&b, total + 256 + (cont ? strlen(cont) : 0));
    rc = kbuf_addf(&b,
                   "{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":"
                   "\"meta.k8s.io/%s\",\"metadata\":{\"resourceVersion\":"
                   "\"%llu\"",
                   version, (unsigned long long)rv);
    if (rc == KBUF_OK && cont)
        rc = kbuf_addf(&b, ",\"continue\":\"%s\"", cont);
    if (rc == KBUF_OK && remaining >= 0)
        rc = kbuf_addf(&b, ",\"remainingItemCount\":%lld", remaining);
    /* kube-apiserver writes an empty PartialObjectMetadataList's items as
     * Go's nil slice: null (a PodList's as []) */
    if (rc == KBUF_OK)
        rc = kbuf_adds(&b, n ? "},\"items\":[" : "},\"items\":null}");
    for (i = 0; rc == KBUF_OK && i < n; i++) {
        if (i > 0)
            rc = kbuf_addc(&b, ',');
        if (rc == KBUF_OK)
            rc = fakeapi__obj_partial(objs[i], version, &b);
    }
    if (rc == KBUF_OK && n)
        rc = kbuf_adds(&b, "]}");
    if (rc != KBUF_OK) {
        fakeapi__resp_status(
            out, fakeapi__status_new(500, "InternalError",
                                     "Internal error occurred: out of "
                                     "memory"));
        return;
    }
    out->status = 200;
    out->body = kbuf_detach(&b, &out->len);
}

json_t *fakeapi__table_opts(const struct req *r, const char *version,
                            struct fakeapi_table_opts *to)
{
    const char *inc = fakeapi__arg(r, "includeObject");

    to->include = FAKEAPI_INCLUDE_METADATA;
    to->version = version;
    to->remaining = -1;
    if (!inc || !*inc || strcmp(inc, "Metadata") == 0)
        return NULL;
    if (strcmp(inc, "Object") == 0) {
        to->include = FAKEAPI_INCLUDE_OBJECT;
        return NULL;
    }
    if (strcmp(inc, "None") == 0) {
        to->include = FAKEAPI_INCLUDE_NONE;
        return NULL;
    }
    /* handlers/response.go transformObject: the TableOptions' errors */
    return fakeapi__status_bad_request(
        "Unable to convert to Table as requested: includeObject: Invalid "
        "value: \"%s\": must be 'Metadata', 'Object', 'None', or empty",
        inc);
}
