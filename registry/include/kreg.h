/*
 * kreg: the go-micro Kubernetes service registry, in C.
 *
 * A service registers itself by patching labels and an annotation onto its
 * own Pod; others find it by listing pods. The wire format is the Go
 * plugin's, byte for byte (docs/go-micro-wire.md), so services registered
 * by either are found by the other.
 *
 * Conventions:
 *  - Fallible functions return KREG_OK (0) or a positive KREG_E_* code and
 *    fill the optional, caller-owned struct kreg_error.
 *  - Returned objects are "new" (the caller frees them with the named
 *    function) unless marked "borrowed". Input strings are copied.
 *  - A kreg handle may be used from several threads at once.
 *  - The library never prints, exits or aborts.
 */
#ifndef KREG_H
#define KREG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define KREG_API       __attribute__((visibility("default")))
#define KREG_NODISCARD __attribute__((warn_unused_result))
#else
#define KREG_API
#define KREG_NODISCARD
#endif

/* ---- Errors ------------------------------------------------------------*/

/** Error codes; kreg_strerror() gives static text for each. */
enum kreg_code {
    KREG_OK = 0,
    KREG_E_INVALID = 1,      /**< bad argument or malformed input */
    KREG_E_NOMEM = 2,        /**< out of memory */
    KREG_E_CONFIG = 3,       /**< configuration (kubeconfig, in-cluster) */
    KREG_E_CONNECT = 4,      /**< API server unreachable or TLS failure */
    KREG_E_TIMEOUT = 5,      /**< request or watch timed out */
    KREG_E_HTTP = 6,         /**< the API server answered with an error */
    KREG_E_NOT_FOUND = 7,    /**< no such service (or pod, see http_status) */
    KREG_E_UNAUTHORIZED = 8, /**< 401 */
    KREG_E_FORBIDDEN = 9,    /**< 403 */
    KREG_E_CONFLICT = 10,    /**< 409 after the retries */
    KREG_E_PROTOCOL = 11,    /**< undecodable answer or watch stream */
    KREG_E_TOO_BIG = 12,     /**< annotation budget (262144 bytes) exceeded */
    KREG_E_NAME = 13,        /**< service name cannot be encoded as a key */
    KREG_E_STOPPED = 14,     /**< the watcher was stopped */
    KREG_E_EXEC = 15,        /**< exec credential plugin failed */
};

/** Details of a failure; caller-owned, fixed size. */
struct kreg_error {
    int code;        /**< one of enum kreg_code */
    int http_status; /**< HTTP status when the server answered, else 0 */
    char reason[64]; /**< the Status reason, e.g. "NotFound", or "" */
    char text[256];  /**< lowercase, no full stop, the failure first;
                          carries the Status message when there is one */
};

/** Static text for any code; never NULL. */
KREG_API const char *kreg_strerror(int code);

/* ---- Service model -----------------------------------------------------*/

/*
 * The go-micro registry structs (docs/go-micro-wire.md, Structs). Strings are
 * owned, NUL-terminated and may hold any bytes but NUL; NULL is written
 * as "". A map or array with no entries is Go's nil (JSON null) when its
 * null flag is set, else empty ({} or []); with entries the flag is
 * ignored. Zero values follow Go: kreg_service_new() and the decoder
 * start every string at "" and every map and array at nil.
 */

/** A string-to-string map (go-micro metadata). */
struct kreg_metadata {
    size_t count;
    char **keys;   /**< owned; any order (encoded sorted by raw bytes),
                        unique */
    char **values; /**< owned */
    bool is_null;  /**< with count 0: encodes as null (Go nil map), else {};
                        kreg_metadata_set() clears it */
};

/** A request/response type description (recursive). */
struct kreg_value {
    char *name;
    char *type;
    size_t nvalues;
    struct kreg_value **values; /**< owned; an element may be NULL (null) */
    bool values_null;           /**< with nvalues 0: "values":null */
};

/** One endpoint of a service. */
struct kreg_endpoint {
    char *name;
    struct kreg_value *request;  /**< owned; NULL encodes as null */
    struct kreg_value *response; /**< owned; NULL encodes as null */
    struct kreg_metadata metadata;
};

/** One instance of a service. */
struct kreg_node {
    char *id;
    char *address;
    int port; /**< go-micro v1 only; written with KREG_WIRE_V1, always
                   read (a Go int; kreg refuses values beyond a C int) */
    struct kreg_metadata metadata;
};

/** A service as go-micro describes it. */
struct kreg_service {
    char *name;
    char *version;
    struct kreg_metadata metadata;
    size_t nendpoints;
    struct kreg_endpoint **endpoints; /**< owned; element NULL = null */
    bool endpoints_null;              /**< with nendpoints 0: null */
    size_t nnodes;
    struct kreg_node **nodes; /**< owned; element NULL = null */
    bool nodes_null;          /**< with nnodes 0: null */
    char *extra_json; /**< owned; the unknown top-level members read, as a
                           compact JSON object text (strings re-escaped as
                           Go writes them), or NULL; never written back
                           (Go drops them) */
};

/** A list of services (e.g. one per version). */
struct kreg_service_list {
    size_t count;
    struct kreg_service **items; /**< owned */
};

/** Encoder profiles: which go-micro version's bytes to write. */
enum kreg_wire {
    KREG_WIRE_V2 = 0,      /**< go-micro v1.8.0 .. v4.10.1 (default) */
    KREG_WIRE_V1 = 1,      /**< go-micro <= v1.7.0: node "port" */
    KREG_WIRE_V4_10_2 = 2, /**< go-micro >= v4.10.2 field order */
};

/** Encoder flags, OR-ed with a profile. */
#define KREG_WIRE_GO122_ESCAPES 0x100 /**< write \b and \f (Go >= 1.22) */

/**
 * Decode go-micro service JSON (any version's field order and members) as
 * Go's json.Unmarshal does: member names match case-insensitively, a
 * repeated member decodes into the earlier one, null or a missing member
 * leaves the zero value, invalid UTF-8 and lone surrogates become U+FFFD,
 * a top-level null is the zero service. Unlike Go, kreg refuses strings
 * holding U+0000, nesting beyond 1000 levels and ports beyond a C int.
 * @param json  the text, need not be NUL-terminated (NULL if @p len is 0).
 * @param len   its length in bytes.
 * @param out   on success, a new service: kreg_service_free(); else NULL.
 * @param err   optional; says what failed and where, e.g.
 *              "service json: nodes[0].port: expected number, got string".
 * @return KREG_OK, KREG_E_INVALID (syntax, type, limits) or KREG_E_NOMEM.
 */
KREG_API KREG_NODISCARD int kreg_service_decode(const char *json, size_t len,
                                                struct kreg_service **out,
                                                struct kreg_error *err);

/**
 * Encode a service as Go's encoding/json writes it for @p wire: compact,
 * members in struct order, maps sorted by raw key bytes, strings escaped
 * as Go does (HTML-safe; each invalid UTF-8 byte as \ufffd).
 * @param s         the service (not modified).
 * @param wire      an enum kreg_wire, optionally | KREG_WIRE_GO122_ESCAPES.
 * @param json_out  on success, a new NUL-terminated string: free() it;
 *                  else NULL.
 * @param len_out   optional: its length.
 * @param err       optional; filled on failure.
 * @return KREG_OK, KREG_E_INVALID (unknown @p wire, a NULL or repeated
 *         metadata key, nesting beyond 1000 levels) or KREG_E_NOMEM.
 */
KREG_API KREG_NODISCARD int kreg_service_encode(const struct kreg_service *s,
                                                int wire, char **json_out,
                                                size_t *len_out,
                                                struct kreg_error *err);

/** New empty service: name and version "", metadata, endpoints and nodes
 *  nil (as Go's registry.Service{}); NULL if out of memory. */
KREG_API struct kreg_service *kreg_service_new(void);

/** Deep copy, extra_json included; NULL if out of memory (or @p s NULL). */
KREG_API struct kreg_service *kreg_service_dup(const struct kreg_service *s);

/** Free a service and all it owns; NULL is a no-op. */
KREG_API void kreg_service_free(struct kreg_service *s);

/** Free a list and its services; NULL is a no-op. */
KREG_API void kreg_service_list_free(struct kreg_service_list *l);

/**
 * Set a metadata entry (copies both; replaces an existing key) and make
 * the map non-nil.
 * @return KREG_OK, KREG_E_INVALID (a NULL argument) or KREG_E_NOMEM.
 */
KREG_API KREG_NODISCARD int
kreg_metadata_set(struct kreg_metadata *m, const char *key, const char *value);

/** Borrowed value for @p key (valid until the map changes), or NULL. */
KREG_API const char *kreg_metadata_get(const struct kreg_metadata *m,
                                       const char *key);

/**
 * Append a new node (id and address copied, NULL as "", port 0, metadata
 * nil) to @p s; @p s's nodes are no longer nil.
 * @return the node (borrowed, owned by @p s) or NULL if out of memory.
 */
KREG_API struct kreg_node *kreg_service_add_node(struct kreg_service *s,
                                                 const char *id,
                                                 const char *address);

/* ---- Names -------------------------------------------------------------*/

/**
 * The go-micro label/annotation key suffix for a service name: each byte
 * outside [-A-Za-z0-9_.] becomes '_' (docs/go-micro-wire.md, Name encoding).
 * @param name  service name, NUL-terminated.
 * @param out   buffer of at least strlen(name)+1 bytes.
 * @param size  its size.
 * @param err   optional; filled on failure.
 * @return KREG_OK, or KREG_E_NAME if the keys it makes would be rejected
 *         by the API server (empty, longer than 54 bytes, not ending in an
 *         alphanumeric); @p out is written either way. KREG_E_INVALID if
 *         an argument is NULL or @p out is too small (then @p out is "").
 */
KREG_API int kreg_name_encode(const char *name, char *out, size_t size,
                              struct kreg_error *err);

/* ---- Registry handle ---------------------------------------------------*/

/** An opaque registry client; thread-safe. */
typedef struct kreg kreg;

/** kreg_options.retries: fail at the first error, do not retry. */
#define KREG_NO_RETRIES 0xffffffffu

/** Options; zero-initialise, set what you need. Strings are copied. */
struct kreg_options {
    const char *server;     /**< API server URL; overrides all config */
    const char *kubeconfig; /**< kubeconfig path (must exist; no merge) */
    const char *context;    /**< kubeconfig context, default current */
    const char *namespace_; /**< namespace; default from config, "default" */
    const char *pod_name;   /**< own pod; default $HOSTNAME */
    const char *token;      /**< bearer token; overrides config */
    const char *ca_file;    /**< PEM CA file; overrides config */
    bool insecure;          /**< skip TLS verification (explicit only) */
    const char *sa_dir;     /**< service-account dir, default
                                 /var/run/secrets/kubernetes.io/serviceaccount */
    bool no_in_cluster;     /**< never use in-cluster configuration */
    unsigned connect_timeout_ms; /**< default 5000 */
    unsigned timeout_ms;         /**< per request, default 30000 */
    unsigned retries;            /**< retries of idempotent requests: 0 for the
                                      default 3, KREG_NO_RETRIES for none */
    unsigned retry_base_ms;      /**< first backoff, default 100; also a
                                      watcher's first pause before it
                                      reconnects after a failure */
    int wire;                    /**< enum kreg_wire | flags */
};

/**
 * Create a registry client: resolve configuration (options, in-cluster,
 * KUBECONFIG or ~/.kube/config) without contacting the server.
 * @param out  on success a new handle: kreg_free(); NULL on failure.
 * @return KREG_OK, KREG_E_CONFIG, KREG_E_EXEC, KREG_E_INVALID or
 *         KREG_E_NOMEM.
 */
KREG_API KREG_NODISCARD int kreg_new(const struct kreg_options *opt, kreg **out,
                                     struct kreg_error *err);

/** Free a handle; NULL is a no-op. Watchers must be freed first. */
KREG_API void kreg_free(kreg *r);

/** Borrowed: the API server URL in use. */
KREG_API const char *kreg_server(const kreg *r);

/** Borrowed: the namespace in use. */
KREG_API const char *kreg_namespace(const kreg *r);

/** Borrowed: the pod register and deregister patch, or NULL when none is
 *  known (no pod name option and no HOSTNAME). */
KREG_API const char *kreg_pod_name(const kreg *r);

/* ---- Operations --------------------------------------------------------*/

/**
 * Register @p s on the own pod: one strategic merge patch setting the
 * micro.mu/type and micro.mu/selector-<enc> labels and the
 * micro.mu/service-<enc> annotation, as the Go plugin does: one request,
 * the PATCH. A patch that would take the pod's annotations (keys plus
 * values) over 262144 bytes is refused by the API server (422 Invalid, a
 * FieldValueTooLong cause on metadata.annotations) and leaves the pod as
 * it was: that is KREG_E_TOO_BIG, with http_status 422 and the server's
 * message in @p err. A service whose own annotation is over the budget is
 * KREG_E_TOO_BIG with http_status 0, and nothing is sent.
 * @return KREG_OK, KREG_E_INVALID (no nodes), KREG_E_NAME, KREG_E_TOO_BIG,
 *         KREG_E_NOT_FOUND (pod missing; text names pod and namespace),
 *         or a transport/HTTP code.
 * Thread-safety: may be called concurrently on one handle.
 */
KREG_API KREG_NODISCARD int kreg_register(kreg *r, const struct kreg_service *s,
                                          struct kreg_error *err);

/**
 * Deregister @p s from the own pod: its selector label and annotation are
 * deleted; micro.mu/type stays (as in the Go plugin).
 * @return as kreg_register().
 */
KREG_API KREG_NODISCARD int
kreg_deregister(kreg *r, const struct kreg_service *s, struct kreg_error *err);

/**
 * Query options; zero-initialise, set what you need. The strings a
 * callback gets are borrowed for the call only. A watcher calls them on
 * the thread that starts it for its first list, then on its own thread:
 * they must not block for long, nor stop or free that watcher.
 *
 * The struct grows at its end, and each entry point reads the members of
 * the version that added it, so that programs built against an older
 * kreg.h keep working: kreg_get_service_ex() and kreg_list_services_ex()
 * (0.1) read on_skip and ctx; kreg_watch_new_ex() (0.2) reads up to
 * watch_timeout_s; the _q entry points (0.3) take the size of the struct
 * the program was built with, read what it holds and take the rest as 0
 * (0.5 adds namespaces, n_namespaces and all_namespaces).
 */
struct kreg_query {
    /** Called per annotation skipped: it does not decode, has no name,
     *  or is another service's (names that encode alike); a watcher
     *  reports each once, and again only when its text changes. */
    void (*on_skip)(void *ctx, const char *pod, const char *key,
                    const char *why);
    void *ctx; /**< passed to the callbacks */
    /** Watch only: called per problem the watcher rode out, @p what one
     *  line: an undecodable stream line or event, an ERROR event (but
     *  410, which just re-lists), a failed request it retries. After a
     *  bad line or event it re-lists, so no change is lost. */
    void (*on_problem)(void *ctx, const char *what);
    /** Watch only: each stream asks the server to end it after this many
     *  seconds (timeoutSeconds), 0 for the default 300; the watcher then
     *  resumes. A stream that stays silent (no event, no bookmark) that
     *  long plus min(that, 30) seconds is dropped and resumed too, so a
     *  server or proxy that stops sending cannot freeze the watcher. */
    unsigned watch_timeout_s;
    /** Since 0.3, read by the _q entry points only: keep only pods whose
     *  Ready condition has status "True", besides Running and not
     *  terminating. Off by default, as go-micro (which only asks for
     *  Running). Pods are then listed whole rather than as metadata, for
     *  their status. A watcher reports a pod becoming Ready as a create of
     *  its services and one becoming unready as a delete. A pod whose
     *  status.conditions is malformed (not an array, a condition that is
     *  not an object, has no type or status, or one that is not a string)
     *  counts as not ready, and each of its service annotations is
     *  reported through on_skip (why starts "pod not ready: "). */
    bool ready_only;
    /** Since 0.5, read by the _q entry points and kreg_cache_new() only:
     *  discover in these namespaces (@p n_namespaces names, each a
     *  DNS-1123 label; repeats count once) instead of the handle's own,
     *  one request of each kind per namespace. Borrowed for the call by
     *  get and list, copied by a watcher or a cache. Registration is not
     *  affected: kreg_register() always patches the own pod, in the
     *  handle's namespace. With several namespaces, or all of them:
     *   - a service found in two namespaces is one service: nodes merged
     *     per version across all its pods, in the order of
     *     "<namespace>/<pod>" (the API server's key order), so the first
     *     such pod of a version gives its metadata and endpoints; list
     *     has one entry per (name, version) across the namespaces;
     *   - a pod is named "<namespace>/<pod>" wherever a pod name is
     *     given out (on_skip, kreg_result.pod);
     *   - a watcher or cache runs one list and one watch stream per
     *     namespace, each resumed and re-listed on its own (its own
     *     resourceVersion); a namespace that is deleted loses its pods
     *     (deletes are reported, as for any pod that goes) and stays
     *     watched, empty. A failure that retrying cannot cure in any
     *     namespace (403 ...) ends the whole watch, or cache;
     *   - an error from the API server names the request, e.g.
     *     "list pods in namespace \"b\": pods is forbidden: ..." or
     *     "watch pods cluster-wide: ..." (docs/rbac.md: the rules each
     *     mode needs). */
    const char *const *namespaces;
    size_t n_namespaces; /**< how many @p namespaces holds; 0: the own */
    /** Since 0.5: discover in every namespace, with one cluster-wide
     *  request of each kind (GET /api/v1/pods; RBAC must allow it at the
     *  cluster scope, docs/rbac.md). Not with @p namespaces. */
    bool all_namespaces;
};

/** The @p q_size to pass to the _q entry points. */
#define KREG_QUERY_SIZE sizeof(struct kreg_query)

/**
 * Find a service: Running, non-terminating pods with its selector label
 * (and Ready, with kreg_query.ready_only);
 * nodes merged per version in pod-name order (one list entry a version).
 * Annotations that do not decode are skipped (reported via @p q).
 * @param out  on success a new list: kreg_service_list_free().
 * @return KREG_OK (list may be empty when pods exist but none is usable),
 *         KREG_E_NOT_FOUND when no pod carries the label, KREG_E_NAME, or
 *         a transport/HTTP code.
 */
KREG_API KREG_NODISCARD int kreg_get_service(kreg *r, const char *name,
                                             struct kreg_service_list **out,
                                             struct kreg_error *err);

/** kreg_get_service() with query options (@p q may be NULL). */
KREG_API KREG_NODISCARD int kreg_get_service_ex(kreg *r, const char *name,
                                                const struct kreg_query *q,
                                                struct kreg_service_list **out,
                                                struct kreg_error *err);

/**
 * List services: every pod with micro.mu/type=service that is Running and
 * not terminating; one entry per distinct (name, version) with nodes
 * merged, sorted by name then version. Bad annotations are skipped.
 * @param out  on success a new list: kreg_service_list_free().
 */
KREG_API KREG_NODISCARD int kreg_list_services(kreg *r,
                                               struct kreg_service_list **out,
                                               struct kreg_error *err);

/** kreg_list_services() with query options (@p q may be NULL). */
KREG_API KREG_NODISCARD int
kreg_list_services_ex(kreg *r, const struct kreg_query *q,
                      struct kreg_service_list **out, struct kreg_error *err);

/**
 * kreg_get_service() with every query option this kreg.h has (0.3:
 * ready_only too; 0.5: namespaces, all_namespaces).
 * @param q       options, or NULL for none.
 * @param q_size  KREG_QUERY_SIZE, the size of *@p q as the program was
 *                built; members past it count as 0.
 * @return as kreg_get_service(), or KREG_E_INVALID when @p q_size is less
 *         than 0.1's struct, a larger struct sets a member this libkreg
 *         does not know, or the namespace list is bad (both namespaces
 *         and all_namespaces, a name that is not a DNS-1123 label); with
 *         several namespaces KREG_E_NOT_FOUND means that none of them has
 *         a pod with the label, and a 403 in any of them fails the call
 *         (KREG_E_FORBIDDEN, the text naming the request and namespace).
 */
KREG_API KREG_NODISCARD int kreg_get_service_q(kreg *r, const char *name,
                                               const struct kreg_query *q,
                                               size_t q_size,
                                               struct kreg_service_list **out,
                                               struct kreg_error *err);

/** kreg_list_services() with every query option (see kreg_get_service_q). */
KREG_API KREG_NODISCARD int
kreg_list_services_q(kreg *r, const struct kreg_query *q, size_t q_size,
                     struct kreg_service_list **out, struct kreg_error *err);

/* ---- Watch -------------------------------------------------------------*/

/** An opaque watcher; owned by the caller, freed with kreg_watch_free(). */
typedef struct kreg_watch kreg_watch;

/** What happened to a service. */
enum kreg_action {
    KREG_ACTION_CREATE = 1,
    KREG_ACTION_UPDATE = 2,
    KREG_ACTION_DELETE = 3,
};

/** One watch result: a service as one pod's annotation holds it. */
struct kreg_result {
    enum kreg_action action;
    struct kreg_service *service; /**< owned by the result */
    char *pod; /**< owned: the pod it came from; "<namespace>/<pod>" with
                    kreg_query.namespaces or all_namespaces */
};

/**
 * Start watching one service (@p name) or all (@p name NULL).
 * The current state is listed first and not reported (as go-micro).
 * @param out  on success a new watcher: kreg_watch_free().
 */
KREG_API KREG_NODISCARD int kreg_watch_new(kreg *r, const char *name,
                                           kreg_watch **out,
                                           struct kreg_error *err);

/** kreg_watch_new() with query options (@p q may be NULL; copied). */
KREG_API KREG_NODISCARD int kreg_watch_new_ex(kreg *r, const char *name,
                                              const struct kreg_query *q,
                                              kreg_watch **out,
                                              struct kreg_error *err);

/** kreg_watch_new() with every query option (@p q may be NULL; copied;
 *  @p q_size as for kreg_get_service_q()). */
KREG_API KREG_NODISCARD int kreg_watch_new_q(kreg *r, const char *name,
                                             const struct kreg_query *q,
                                             size_t q_size, kreg_watch **out,
                                             struct kreg_error *err);

/**
 * Wait for the next result.
 * @param timeout_ms  -1 waits forever, 0 polls.
 * @param out         on KREG_OK, a new result: kreg_result_free().
 * @return KREG_OK, KREG_E_TIMEOUT (nothing yet), KREG_E_STOPPED, or an
 *         error that ended the watch for good.
 */
KREG_API KREG_NODISCARD int kreg_watch_next(kreg_watch *w, int timeout_ms,
                                            struct kreg_result **out,
                                            struct kreg_error *err);

/** Stop a watcher from any thread; pending and later next() calls return
 *  KREG_E_STOPPED. */
KREG_API void kreg_watch_stop(kreg_watch *w);

/** Free a watcher (stops it first); NULL is a no-op. */
KREG_API void kreg_watch_free(kreg_watch *w);

/** Free a result; NULL is a no-op. */
KREG_API void kreg_result_free(struct kreg_result *res);

/* ---- Cache (0.4) -------------------------------------------------------*/

/*
 * A view of every service of the namespace (or of the namespaces of
 * kreg_query.namespaces, or of all of them) kept current by one watch, for
 * lookups that do not ask the API server: kreg_cache_get() answers from
 * memory what kreg_get_service_q() answers on a settled cluster (the same
 * list, the same KREG_E_NOT_FOUND, the same kreg_query.ready_only and
 * namespaces rules). With several namespaces the view is as old as its
 * stalest namespace: kreg_cache_age_ms() and on_stale count from the
 * oldest of their last lists, events and bookmarks.
 *
 * Threads: kreg_cache_new() lists on the calling thread, so the view is
 * complete when it returns; then the library's watcher (the one behind
 * kreg_watch_new_q(), resumed after a cut, re-listing after a 410 and
 * applying the difference) keeps it current on a thread of its own (one
 * per namespace of kreg_query.namespaces), and
 * a second thread times the staleness callback when one is set. Reads
 * never wait for them: each service key has an immutable, reference-
 * counted snapshot that the watcher swaps atomically; kreg_cache_get()
 * takes no lock and allocates nothing.
 *
 * The view follows the pods labelled micro.mu/type=service (kreg and
 * go-micro set it with every service's selector label): a pod that
 * carries a selector label without it is found by kreg_get_service() and
 * not by the cache.
 */

/** An opaque watch-backed view of the services; thread-safe. */
typedef struct kreg_cache kreg_cache;

/** Cache options; zero-initialise, set what you need. */
struct kreg_cache_options {
    /** The view counts as stale when no list, event or bookmark has
     *  arrived for this long (a stream down or held silent); 0 for the
     *  default 150000. kube-apiserver sends a bookmark about every minute
     *  (apiserver cacher.go, defaultBookmarkFrequency), fakeapi every
     *  30 s: a quiet cluster is not stale. */
    unsigned stale_ms;
    /** Called when the view becomes stale (@p stale true; @p age_ms is
     *  the time since the last list, event or bookmark), at once when
     *  the watch ended for good, and when it is current again (@p stale
     *  false). Runs on the cache's timer thread; must not block for long,
     *  nor free the cache. Optional: without it no timer thread runs. */
    void (*on_stale)(void *ctx, bool stale, uint64_t age_ms);
    /** Called after the answer for @p name (borrowed for the call) may
     *  have changed, or with @p name NULL when a change cannot be tied to
     *  a name (a pod gained or lost a selector label without serving
     *  it): a kreg_cache_get() made in or after the call sees the new
     *  answer. Not called for the first list. Runs on the watch thread;
     *  must not block for long, nor free the cache. Optional. */
    void (*on_change)(void *ctx, const char *name);
    void *ctx; /**< passed to on_stale and on_change */
    /** kreg_cache_get() fails with KREG_E_TIMEOUT while the view is stale
     *  (see stale_ms), rather than answer from it. Off by default: a
     *  stale view still answers, as go-micro's cache does, and
     *  kreg_cache_age_ms() tells how old it is. */
    bool stale_fails;
};

/** The @p o_size to pass to kreg_cache_new(). */
#define KREG_CACHE_OPTIONS_SIZE sizeof(struct kreg_cache_options)

/**
 * Start a cache: list every service of @p r's namespace (or of the
 * query's namespaces), then watch.
 * @param r       registry handle (borrowed: free the cache first).
 * @param q       query options as for kreg_watch_new_q() (copied; may be
 *                NULL): ready_only decides which pods serve; namespaces
 *                and all_namespaces where; on_skip
 *                reports each annotation the view leaves out (once, and
 *                again when its text changes), on_problem what the watch
 *                rides out; watch_timeout_s as there.
 * @param q_size  KREG_QUERY_SIZE.
 * @param o       cache options (copied; may be NULL).
 * @param o_size  KREG_CACHE_OPTIONS_SIZE, the size of *@p o as the program
 *                was built; members past it count as 0.
 * @param out     on success a new cache: kreg_cache_free(); else NULL.
 * @return KREG_OK, KREG_E_INVALID (a size, an unknown member set, a bad
 *         namespace list), or what the first lists met (a transport or
 *         HTTP code, KREG_E_NOMEM).
 */
KREG_API KREG_NODISCARD int kreg_cache_new(kreg *r, const struct kreg_query *q,
                                           size_t q_size,
                                           const struct kreg_cache_options *o,
                                           size_t o_size, kreg_cache **out,
                                           struct kreg_error *err);

/** Stop the watch, wait for the cache's threads and free the cache; no
 *  callback runs after it returns. Lists handed out stay valid until
 *  kreg_cache_list_free(). NULL is a no-op. No other call on @p c may be
 *  running. */
KREG_API void kreg_cache_free(kreg_cache *c);

/**
 * Find a service in the cache, as kreg_get_service_q() with the cache's
 * query would find it on the server: Running, non-terminating pods with
 * its label (and Ready with ready_only), nodes merged per version in
 * pod-name order. Never waits for the watch; allocates nothing.
 * @param c     the cache.
 * @param name  service name, NUL-terminated.
 * @param out   on KREG_OK, a new reference to an immutable list, shared
 *              with other readers: read it, never modify it, and drop it
 *              with kreg_cache_list_free() (not kreg_service_list_free();
 *              kreg_service_list_dup() makes an own copy). Valid until
 *              then, whatever the watch does; else NULL.
 * @param err   optional; filled on failure.
 * @return KREG_OK (the list may be empty: pods carry the label but none
 *         serves), KREG_E_NOT_FOUND (no pod carries the label),
 *         KREG_E_NAME (a name that cannot be encoded, as
 *         kreg_get_service()), KREG_E_INVALID (a NULL argument),
 *         KREG_E_TIMEOUT (stale, with kreg_cache_options.stale_fails), or
 *         the error that ended the watch for good (KREG_E_FORBIDDEN,
 *         KREG_E_NOMEM, ...): the view can no longer be kept current, so
 *         it no longer answers.
 * Thread-safety: may be called concurrently on one cache.
 */
KREG_API KREG_NODISCARD int kreg_cache_get(kreg_cache *c, const char *name,
                                           const struct kreg_service_list **out,
                                           struct kreg_error *err);

/** Drop a list kreg_cache_get() handed out; NULL is a no-op. Any thread,
 *  also after kreg_cache_free(). */
KREG_API void kreg_cache_list_free(const struct kreg_service_list *l);

/**
 * How old the view is: milliseconds since the last list, event or bookmark
 * the watch brought (each proves the view was the server's then).
 * Thread-safety: may be called concurrently.
 */
KREG_API uint64_t kreg_cache_age_ms(const kreg_cache *c);

/** Deep copy of a list (each service as kreg_service_dup()): a new list,
 *  kreg_service_list_free(); NULL if out of memory (or @p l NULL). */
KREG_API struct kreg_service_list *
kreg_service_list_dup(const struct kreg_service_list *l);

/* ---- Metrics (0.5) -----------------------------------------------------*/

/*
 * Counters and gauges of one kreg handle, for the C API and as Prometheus
 * text (docs/metrics.md lists each metric, its labels and what moves it).
 * Every handle counts from kreg_new(), whatever the thread: each count is
 * a relaxed atomic add, taking no lock. Counters only grow (they wrap at
 * 2^64); a read takes each one atomically, not all of them at one instant.
 *
 *  - requests: each attempt libkreg's HTTP client finishes, by verb and
 *    HTTP status; a retry is a second attempt and counts again. Code 0:
 *    no complete answer (refused or dropped connection, timeout, a body
 *    cut short). A watch stream counts once, as WATCH, when it ends, with
 *    the status its answer began with (0 if none came).
 *  - retries: attempts made again after the first: a 429, a 5xx or a
 *    broken transfer of a request that may be repeated (after a backoff),
 *    or a 401 retried once with credentials read again.
 *  - watch_reconnects: watch streams a watcher (or a cache's) opened after
 *    its first: resumed after the server ended a stream or it broke,
 *    after a re-list, after a failure.
 *  - relists: lists a watcher (or a cache's) made after its first
 *    stream, counted when the list came back: after a 410 Expired (the
 *    history it resumes from is gone) or a stream line or event it could
 *    not read.
 *  - skipped_annotations: service annotations reported skipped
 *    (kreg_query.on_skip, counted whether or not a callback is set): by
 *    get and list each time they meet one, by a watcher or cache once per
 *    text, as on_skip is called.
 *  - cache_*: gauges of one kreg_cache, read when one is given.
 */

/** First index of kreg_metrics.requests: the request's verb. */
enum kreg_metrics_verb {
    KREG_METRICS_VERB_GET = 0,    /**< GET: lists of pods */
    KREG_METRICS_VERB_PATCH = 1,  /**< PATCH: register, deregister */
    KREG_METRICS_VERB_POST = 2,   /**< POST (libkreg sends none today) */
    KREG_METRICS_VERB_PUT = 3,    /**< PUT (none today) */
    KREG_METRICS_VERB_DELETE = 4, /**< DELETE (none today) */
    KREG_METRICS_VERB_WATCH = 5,  /**< a watch stream (GET ...&watch=true) */
    KREG_METRICS_VERB_OTHER = 6,  /**< any other method */
};

/** The number of verbs: kreg_metrics.requests' first dimension. Fixed. */
#define KREG_METRICS_VERBS 7

/** Second index of kreg_metrics.requests: the HTTP status. The common
 *  codes have a slot each; others count in their class (2xx ... 5xx), or
 *  in OTHER outside 200..599. */
enum kreg_metrics_code {
    KREG_METRICS_CODE_NONE = 0, /**< no complete answer ("0") */
    KREG_METRICS_CODE_200 = 1,
    KREG_METRICS_CODE_201 = 2,
    KREG_METRICS_CODE_2XX = 3, /**< another 2xx */
    KREG_METRICS_CODE_3XX = 4,
    KREG_METRICS_CODE_400 = 5,
    KREG_METRICS_CODE_401 = 6,
    KREG_METRICS_CODE_403 = 7,
    KREG_METRICS_CODE_404 = 8,
    KREG_METRICS_CODE_409 = 9,
    KREG_METRICS_CODE_410 = 10,
    KREG_METRICS_CODE_422 = 11,
    KREG_METRICS_CODE_429 = 12,
    KREG_METRICS_CODE_4XX = 13, /**< another 4xx */
    KREG_METRICS_CODE_500 = 14,
    KREG_METRICS_CODE_502 = 15,
    KREG_METRICS_CODE_503 = 16,
    KREG_METRICS_CODE_504 = 17,
    KREG_METRICS_CODE_5XX = 18,   /**< another 5xx */
    KREG_METRICS_CODE_OTHER = 19, /**< 1xx, or not an HTTP status */
};

/** The number of codes: kreg_metrics.requests' second dimension. Fixed. */
#define KREG_METRICS_CODES 20

/**
 * A handle's metrics as of kreg_metrics_get(). Grows at its end only: a
 * program passes the size it was built with (KREG_METRICS_SIZE) and gets
 * the members it knows.
 */
struct kreg_metrics {
    /** Attempts by [enum kreg_metrics_verb][enum kreg_metrics_code]. */
    uint64_t requests[KREG_METRICS_VERBS][KREG_METRICS_CODES];
    uint64_t retries;             /**< attempts made again */
    uint64_t watch_reconnects;    /**< streams opened after the first */
    uint64_t relists;             /**< lists made again by watchers */
    uint64_t skipped_annotations; /**< annotations reported skipped */
    /** The cache members below were read: a cache was given. */
    bool has_cache;
    /** Service names the cache answers with at least one instance. */
    uint64_t cache_services;
    /** Pods the cache's view holds: those carrying a service's selector
     *  label or serving a service annotation, each counted once. */
    uint64_t cache_pods;
    /** kreg_cache_age_ms(): since the last list, event or bookmark. */
    uint64_t cache_age_ms;
};

/** The @p size to pass to kreg_metrics_get(). */
#define KREG_METRICS_SIZE sizeof(struct kreg_metrics)

/** Static name of a verb ("GET", "PATCH", ..., "WATCH", "OTHER"), as the
 *  Prometheus text labels it; NULL for a value outside the enum. */
KREG_API const char *kreg_metrics_verb_name(int verb);

/** Static name of a code slot ("0", "200", "4xx", ..., "other"), as the
 *  Prometheus text labels it; NULL for a value outside the enum. */
KREG_API const char *kreg_metrics_code_name(int code);

/**
 * Read the metrics of @p r, and of @p c's cache when @p c is not NULL.
 * @param r     the handle.
 * @param c     a cache started on @p r, or NULL (has_cache false, its
 *              members 0).
 * @param out   caller-owned; the first @p size bytes are written (members
 *              past this libkreg's struct set to 0).
 * @param size  KREG_METRICS_SIZE, the size of *@p out as the program was
 *              built.
 * @param err   optional; filled on failure.
 * @return KREG_OK, or KREG_E_INVALID (a NULL @p r or @p out, a @p size
 *         smaller than 0.5's struct, or a cache of another handle); then
 *         nothing is written.
 * Thread-safety: may be called concurrently with any call on @p r or
 * @p c but their _free.
 */
KREG_API KREG_NODISCARD int kreg_metrics_get(const kreg *r, const kreg_cache *c,
                                             struct kreg_metrics *out,
                                             size_t size,
                                             struct kreg_error *err);

/**
 * The metrics of @p r (and of @p c when not NULL) in the Prometheus text
 * exposition format 0.0.4, as a scrape answer or a node_exporter textfile
 * holds them: HELP and TYPE lines, counters named *_total, label values
 * escaped (backslash, double quote, line feed; invalid UTF-8 as U+FFFD).
 * kreg_requests_total has a line per verb and code counted so far; the
 * kreg_cache_* gauges are there only with a cache.
 * @param text  on success a new NUL-terminated text: free() it; else NULL.
 * @return KREG_OK, KREG_E_INVALID (as kreg_metrics_get()) or KREG_E_NOMEM.
 * Thread-safety: as kreg_metrics_get().
 */
KREG_API KREG_NODISCARD int kreg_metrics_prometheus(const kreg *r,
                                                    const kreg_cache *c,
                                                    char **text,
                                                    struct kreg_error *err);

#ifdef __cplusplus
}
#endif

#endif /* KREG_H */
