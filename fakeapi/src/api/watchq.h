/*
 * watchq: what a watch request asks for, checked as kube-apiserver checks
 * it (the stream is http/watch.c; a handler hands it these parameters in
 * its answer, struct resp).
 */
#ifndef FAKEAPI_WATCHQ_H
#define FAKEAPI_WATCHQ_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct fakeapi_lsel;
struct fakeapi_fsel;

/* The parameters of a watch stream: a handler fills them in its answer
 * (struct resp, api/req.h); the server starts the stream (http/watch.c)
 * and frees the selectors. */
struct watch_params {
    const char *ns;            /* NULL: all namespaces */
    struct fakeapi_lsel *ls;   /* consumed; NULL = everything */
    struct fakeapi_fsel *fs;   /* consumed; NULL = everything */
    bool bookmarks;            /* allowWatchBookmarks */
    bool table;                /* objects as meta.k8s.io Table */
    bool partial;              /* objects as PartialObjectMetadata */
    const char *table_version; /* of either: "v1" or "v1beta1" */
    int64_t timeout_s;         /* timeoutSeconds, 0 = server default, < 0
                                * ends the stream at once */
    bool initial;              /* sendInitialEvents, given or defaulted:
                                * the state as ADDED, then (with bookmarks)
                                * the initial-events-end BOOKMARK */
    bool has_rv;               /* resourceVersion given and not "0" */
    uint64_t rv;
};

/*
 * Check a watch's resourceVersion, resourceVersionMatch, sendInitialEvents
 * and continue (each NULL when absent) as kube-apiserver does after
 * decoding the query: SetListOptionsDefaults, then validateWatchOptions,
 * then the watch cache's ParseUint of the resourceVersion.
 * @return NULL if valid, else a new Status: 422 Invalid, or the 500 of an
 * unparsable resourceVersion.
 */
json_t *fakeapi__watch_check(const char *rv, const char *match,
                             const char *init, const char *cont);

/*
 * Whether a valid watch query sends the initial state: sendInitialEvents
 * given true, or (SetListOptionsDefaults) neither it nor
 * resourceVersionMatch given and resourceVersion "" or "0".
 */
bool fakeapi__watch_initial(const char *rv, const char *match,
                            const char *init);

#endif
