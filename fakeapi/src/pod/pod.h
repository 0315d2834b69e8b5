/*
 * pod: what a Kubernetes 1.32 API server does to a Pod object besides
 * validating it (validate.h): the create-time status and defaults, the
 * field resets of main-resource and /status updates, and the server-side
 * Table that kubectl prints (docs/kubernetes-api.md, Pods, Tables).
 *
 * Every function works on jansson trees; none takes a lock or keeps state.
 * Typical store use (validation may also run before the prepare step: it
 * only checks defaulted values when present), for a create:
 *     fakeapi__pod_decode_check -> fakeapi__pod_prepare_create ->
 *     (generate the name) -> fakeapi__validate_pod_create -> store
 * for an update:
 *     fakeapi__pod_decode_check -> fakeapi__pod_prepare_update ->
 *     fakeapi__validate_pod_update -> fakeapi__json_equal_ignoring_rv
 *     (a no-op writes nothing) -> store
 * and likewise with the _status_ variants for PUT/PATCH .../status.
 */
#ifndef FAKEAPI_POD_H
#define FAKEAPI_POD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

/* Length of an RFC 3339 UTC timestamp "2024-05-01T10:00:00Z" plus NUL. */
#define FAKEAPI_RFC3339_SIZE 21

/* Life cycle: create and update */

/**
 * Apply what the server does to a new pod before storing it: defaults
 * (pod spec, containers, the ServiceAccount, DefaultTolerationSeconds and
 * Priority admission plugins), the removal of deletionTimestamp and
 * deletionGracePeriodSeconds, and a fresh status {"phase":"Pending",
 * "qosClass":...} plus the SchedulingGated condition when the pod has
 * scheduling gates. uid, resourceVersion, creationTimestamp, namespace
 * and the generated name are the store's job.
 * @param pod  the decoded request body, changed in place.
 * @param now  RFC 3339 time for lastTransitionTime (borrowed).
 * @return FAKEAPI_OK, FAKEAPI_E_INVALID if @p pod is not an object, or
 *         FAKEAPI_E_NOMEM (the pod is then partly prepared: drop it).
 */
int fakeapi__pod_prepare_create(json_t *pod, const char *now);

/**
 * Prepare a main-resource update (PUT or PATCH of .../pods/NAME): the
 * status becomes @p old's, immutable metadata (name, namespace, uid,
 * creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds,
 * generation) is copied from @p old, and the same spec defaulting as on
 * create is applied, so that a PUT of a GET result changes nothing.
 * @param new  the decoded request body (or patched object), changed.
 * @param old  the stored pod (not modified).
 * @return FAKEAPI_OK, FAKEAPI_E_INVALID if either is not an object, or
 *         FAKEAPI_E_NOMEM (@p new is then partly prepared: drop it).
 */
int fakeapi__pod_prepare_update(json_t *new, const json_t *old);

/**
 * Prepare a .../status update: spec, ownerReferences, deletionTimestamp
 * and the other immutable metadata come from @p old; status, labels and
 * annotations from @p new (pods apply metadata sent to /status). An empty
 * status.qosClass is back-filled from @p old, and status.podIP /
 * status.podIPs[0] are made consistent as v1 conversion does.
 * @param new  the decoded request body (or patched object), changed.
 * @param old  the stored pod (not modified).
 * @return as fakeapi__pod_prepare_update().
 */
int fakeapi__pod_prepare_status_update(json_t *new, const json_t *old);

/**
 * Tell whether two pods are the same object for a no-op check: equal
 * except for metadata.resourceVersion and metadata.managedFields.
 * @return true when an update from @p a to @p b must write nothing.
 */
bool fakeapi__json_equal_ignoring_rv(const json_t *a, const json_t *b);

/* Reading */

/**
 * Compute the QoS class of a (defaulted) pod from its containers' cpu and
 * memory requests and limits, as qos.ComputePodQOS does.
 * @return "BestEffort", "Burstable" or "Guaranteed" (static text).
 */
const char *fakeapi__pod_qos_class(const json_t *pod);

/**
 * The pod's status.phase.
 * @return a borrowed string valid while @p pod lives, "" when unset.
 */
const char *fakeapi__pod_phase(const json_t *pod);

/**
 * Format @p t as "2024-05-01T10:00:00Z" (UTC, whole seconds).
 * @param t    seconds since the epoch.
 * @param buf  receives the NUL-terminated text.
 */
void fakeapi__time_rfc3339(time_t t, char buf[FAKEAPI_RFC3339_SIZE]);

/**
 * Parse an RFC 3339 timestamp ("2024-05-01T10:00:00Z", fractions and
 * "+01:00" offsets accepted), as metav1.Time reads it.
 * @param s    NUL-terminated text.
 * @param out  on success, seconds since the epoch.
 * @return true on success.
 */
bool fakeapi__time_parse(const char *s, time_t *out);

/* Table printing */

/**
 * Build the server-side Table for a pod list, as kube-apiserver 1.32
 * answers `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`: the
 * nine pod columnDefinitions and one row per pod whose cells printPod
 * computes (NAME, READY, STATUS, RESTARTS, AGE, IP, NODE, NOMINATED NODE,
 * READINESS GATES; the server always fills the wide columns).
 * @param pods_array      array of pods (not modified).
 * @param resource_version  list resourceVersion, or NULL to omit.
 * @param continue_token  list continue token, or NULL/"" to omit.
 * @param now             the time AGE is measured against.
 * @param include_object  true adds each row's PartialObjectMetadata
 *                        (includeObject=Metadata, the default).
 * @return a new Table object, or NULL when out of memory.
 */
json_t *fakeapi__pod_table(const json_t *pods_array,
                           const char *resource_version,
                           const char *continue_token, time_t now,
                           bool include_object);

/* What a Table row's "object" holds (metav1.IncludeObjectPolicy). */
enum fakeapi_include {
    FAKEAPI_INCLUDE_METADATA, /* PartialObjectMetadata (the default) */
    FAKEAPI_INCLUDE_OBJECT,   /* the full object */
    FAKEAPI_INCLUDE_NONE,     /* null */
    FAKEAPI_INCLUDE_OMIT      /* no "object" member */
};

/* How a Table is written: includeObject, the meta.k8s.io version, the
 * list's remainingItemCount (< 0: none). */
struct fakeapi_table_opts {
    enum fakeapi_include include;
    const char *version;
    long long remaining;
};

/**
 * The pod Table as fakeapi__pod_table() builds it, written as @p to says.
 * @param pods_array        array of pods (not modified).
 * @param resource_version  resourceVersion, or NULL to omit.
 * @param continue_token    continue token, or NULL/"" to omit.
 * @param now               the time AGE is measured against.
 * @param to                the form (not modified).
 * @return a new Table object, or NULL when out of memory.
 */
json_t *fakeapi__pod_table_opts(const json_t *pods_array,
                                const char *resource_version,
                                const char *continue_token, time_t now,
                                const struct fakeapi_table_opts *to);

/**
 * Format a duration as duration.HumanDuration does ("5s", "3m12s", "2d").
 * @param seconds  the duration; negative values give "0s" or "<invalid>".
 * @param buf      receives the text.
 * @param size     size of @p buf (16 is always enough).
 */
void fakeapi__pod_human_duration(long long seconds, char *buf, size_t size);

/**
 * Check a pod as decoding would: the JSON types of the fields the server
 * knows (metadata, spec, containers, status, ...) and the syntax of
 * resource quantities.
 * @param pod  the request body (not modified).
 * @return NULL, or a new 400 BadRequest Status `Pod in version "v1" cannot
 *         be handled as a Pod: json: cannot unmarshal string into Go struct
 *         field ObjectMeta.metadata.labels of type map[string]string`.
 */
json_t *fakeapi__pod_decode_check(const json_t *pod);

#endif
