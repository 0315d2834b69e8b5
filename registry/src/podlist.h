/*
 * podlist: read a PodList answer keeping only what the registry uses.
 *
 * A pod is mostly spec (containers, volumes, tolerations) and metadata
 * (labels, owner references, managed fields) that get, list and watch
 * never read. This reader walks the answer with the Go-rules reader of
 * service_read.h (the API server is Go and so is the plugin's client) and
 * builds jansson values only for the members the registry reads; every
 * other member is checked for syntax and skipped without allocating.
 */
#ifndef KREG_PODLIST_H
#define KREG_PODLIST_H

#include <stddef.h>

#include <jansson.h>

#include "kreg.h"

/*
 * Parse @p len bytes of a PodList, or of a PartialObjectMetadataList
 * (items without status), into *@p out, a new object holding:
 *   {"metadata": {"resourceVersion": s, "continue": s},
 *    "items": [{"metadata": {"name": s, "namespace": s,
 *                            "deletionTimestamp": s|null,
 *                            "labels": {"micro.mu/selector-...": s},
 *                            "annotations": {"micro.mu/service-...": s}},
 *               "status": {"phase": s,
 *                          "conditions": [{"type": s, "status": s}]}},
 *              ...]}
 * Members absent from the answer are absent here; annotations other than
 * micro.mu/service-* are left out, and labels other than
 * micro.mu/selector-* (labels is absent when a pod has none of those).
 * status.conditions is kept leniently
 * (kreg__pod_ready judges it): a value that is not an array is kept as
 * false, an element that is not an object as null, a type or status that
 * is not a string as true. Returns KREG_OK, or KREG_E_PROTOCOL
 * (the text is not a well-formed PodList; @p err says where and why) or
 * KREG_E_NOMEM, with *@p out NULL.
 */
int kreg__podlist_parse(const char *text, size_t len, json_t **out,
                        struct kreg_error *err);

#endif
