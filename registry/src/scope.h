/*
 * scope: which namespaces a query discovers in (kreg_query.namespaces and
 * all_namespaces, 0.5), the paths that reach them, and how an error names
 * the request that met it (internal to libkreg; docs/rbac.md).
 */
#ifndef KREG_SCOPE_H
#define KREG_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "kreg.h"

/*
 * The namespaces of a query: @c n names, sorted by bytes and unique, or one
 * NULL entry for every namespace (one cluster-wide request). With
 * @c qualify (the query set namespaces or all_namespaces) pods are named
 * "<namespace>/<pod>" and ordered by those names.
 */
struct kreg__scope {
    size_t n;
    char **ns; /* owned, each owned; ns[0] NULL: cluster-wide */
    bool qualify;
};

/*
 * Fill @p sc from @p q (a whole copy, kreg__query_copy) for a handle whose
 * own namespace is @p own: the own namespace alone when the query names
 * none. On failure @p sc needs no release.
 * @return KREG_OK, KREG_E_INVALID (namespaces and all_namespaces both
 *         set, n_namespaces without an array, a name that is not a
 *         DNS-1123 label) or KREG_E_NOMEM.
 */
int kreg__scope_init(struct kreg__scope *sc, const char *own,
                     const struct kreg_query *q, struct kreg_error *err);

void kreg__scope_release(struct kreg__scope *sc);

/*
 * Write the path of the pods of @p ns (NULL: every namespace) followed by
 * "?" into @p out: "/api/v1/namespaces/<ns>/pods?" or "/api/v1/pods?".
 * @return 0, or -1 when out of memory or @p out is too small.
 */
int kreg__scope_path(const char *ns, char *out, size_t size);

/*
 * Prefix @p err's text with the request that failed, "<verb> pods in
 * namespace \"<ns>\"" or "<verb> pods cluster-wide" (@p ns NULL), so that
 * a 403 says which permission is missing and where (docs/rbac.md).
 */
void kreg__scope_error(struct kreg_error *err, const char *verb,
                       const char *ns);

/*
 * Name @p pod (a pod object libkreg parsed, so its own) "<ns>/<name>",
 * as pods are named with @c qualify: metadata.name is rewritten, <ns>
 * being its metadata.namespace, or @p ns when it has none. A pod without
 * a name, or without a namespace when @p ns is NULL, is left as it is.
 * @return 0, or -1 when out of memory.
 */
int kreg__scope_qualify(json_t *pod, const char *ns);

/* Sort the array @p pods by metadata.name (bytes): with qualified names,
 * the API server's key order across namespaces. 0, or -1 when out of
 * memory (the array is then emptied). */
int kreg__scope_sort(json_t *pods);

#endif
