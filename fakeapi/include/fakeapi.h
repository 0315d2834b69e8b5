/*
 * fakeapi: an in-process fake Kubernetes API server for pods.
 *
 * A fakeapi server answers the pod, namespace and discovery endpoints of a
 * Kubernetes 1.32 API server over HTTP (optionally HTTPS) on 127.0.0.1, so
 * kubectl, client-go, the Python client and libkreg can talk to it as to a
 * cluster. Tests drive it through this header (seed pods, set phases, read
 * state back, inject faults) or through the HTTP control prefix
 * /fakeapi/v1/ documented in fakeapi/README.md.
 *
 * Conventions:
 *  - Functions that can fail return FAKEAPI_OK (0) or a positive
 *    FAKEAPI_E_* code; details go to the optional struct fakeapi_error.
 *  - Every function may be called from any thread while the server runs.
 *  - Several servers may run in one process; they share nothing.
 *  - JSON crosses this API as text, never as a dependency's types.
 */
#ifndef FAKEAPI_H
#define FAKEAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FAKEAPI_API       __attribute__((visibility("default")))
#define FAKEAPI_NODISCARD __attribute__((warn_unused_result))
#else
#define FAKEAPI_API
#define FAKEAPI_NODISCARD
#endif

/* ---- Types -------------------------------------------------------------*/

/** An opaque running server; owns its threads, sockets and store. */
typedef struct fakeapi fakeapi;

/** Error codes. */
enum fakeapi_code {
    FAKEAPI_OK = 0,
    FAKEAPI_E_INVALID = 1,   /**< bad argument or malformed input */
    FAKEAPI_E_NOMEM = 2,     /**< out of memory */
    FAKEAPI_E_IO = 3,        /**< file or socket error */
    FAKEAPI_E_NOT_FOUND = 4, /**< no such pod or namespace */
    FAKEAPI_E_EXISTS = 5,    /**< object already exists */
    FAKEAPI_E_START = 6,     /**< the HTTP daemon could not start */
    FAKEAPI_E_TLS = 7,       /**< TLS unsupported or bad key/certificate */
};

/** Details of a failure; caller-owned, fixed size. */
struct fakeapi_error {
    int code;       /**< one of enum fakeapi_code */
    char text[256]; /**< lowercase, no full stop, the failure first */
};

/** Start-up options; zero-initialise and set what you need. */
struct fakeapi_options {
    const char *bind;          /**< address to bind, default "127.0.0.1" */
    uint16_t port;             /**< 0 (default) picks an ephemeral port */
    const char *token;         /**< if set, requests need "Bearer <token>" */
    const char *tls_cert_file; /**< PEM server certificate: enables TLS */
    const char *tls_key_file;  /**< PEM private key for tls_cert_file */
    unsigned threads;          /**< HTTP worker threads, 0 = 2 */
    size_t history;            /**< watch history events kept, 0 = 10000 */
    size_t watch_queue;        /**< events queued per watcher, 0 = 10000 */
    unsigned max_watchers;     /**< concurrent watches, 0 = 1000 */
    unsigned max_connections;  /**< concurrent connections, 0 = 2000 */
    unsigned idle_timeout_s;   /**< idle connection timeout, 0 = 60 */
    size_t request_log;        /**< request log entries kept, 0 = 10000 */
    bool quiet;                /**< reserved; the library never prints */
};

/** What a fault does to a matching request. */
enum fakeapi_fault_kind {
    FAKEAPI_FAULT_STATUS = 1,   /**< answer with an HTTP status + Status */
    FAKEAPI_FAULT_LATENCY = 2,  /**< delay the answer, then serve it */
    FAKEAPI_FAULT_DROP = 3,     /**< close the connection, no answer */
    FAKEAPI_FAULT_TRUNCATE = 4, /**< send half of the real body, then close */
};

/** A fault for the next @c count requests matching @c method and @c path. */
struct fakeapi_fault {
    enum fakeapi_fault_kind kind;
    const char *method;     /**< "GET", "PATCH", ... or NULL/"*" for any */
    const char *path;       /**< glob (fnmatch, '*' crosses '/'), NULL = any */
    unsigned count;         /**< how many matching requests, 0 = 1 */
    int status;             /**< FAKEAPI_FAULT_STATUS: HTTP code, e.g. 503 */
    const char *reason;     /**< Status reason, NULL = derived from status */
    const char *message;    /**< Status message, NULL = generic */
    unsigned retry_after_s; /**< adds Retry-After and retryAfterSeconds */
    unsigned latency_ms;    /**< FAKEAPI_FAULT_LATENCY: added delay */
};

/* ---- Lifecycle ---------------------------------------------------------*/

/**
 * Start a server; it is answering when this returns.
 * @param opt  options, or NULL for all defaults (127.0.0.1, ephemeral port).
 * @param out  on success, a new server: stop it with fakeapi_stop().
 * @param err  optional; filled on failure.
 * @return FAKEAPI_OK, FAKEAPI_E_START, FAKEAPI_E_TLS or FAKEAPI_E_NOMEM;
 *         on failure *out is NULL and nothing needs cleaning up.
 */
FAKEAPI_API FAKEAPI_NODISCARD int
fakeapi_start(const struct fakeapi_options *opt, fakeapi **out,
              struct fakeapi_error *err);

/**
 * Stop a server: close every connection and watch, free everything.
 * @param srv  server, or NULL (no-op). Invalid after this call.
 */
FAKEAPI_API void fakeapi_stop(fakeapi *srv);

/**
 * The base URL, e.g. "http://127.0.0.1:38211".
 * @return borrowed string, valid until fakeapi_stop().
 */
FAKEAPI_API const char *fakeapi_url(const fakeapi *srv);

/** The TCP port the server listens on. */
FAKEAPI_API uint16_t fakeapi_port(const fakeapi *srv);

/* ---- Test control: state -----------------------------------------------*/

/**
 * Seed pods from JSON text: a Pod, a PodList or a JSON array of Pods.
 * Seeding is test control: the given status (e.g. phase Running),
 * labels, annotations and deletion marks are kept; the spec gets the
 * defaults a create adds (and a pause container when it has none), so
 * the pod accepts later updates; uid, resourceVersion and
 * creationTimestamp are set when missing; a missing namespace is created;
 * a pod that already exists is replaced. All or nothing: on error no pod
 * is stored.
 * @param json  the text (need not be NUL-terminated); copied.
 * @param len   its length in bytes.
 * @return FAKEAPI_OK or FAKEAPI_E_INVALID (err says what and where).
 */
FAKEAPI_API FAKEAPI_NODISCARD int fakeapi_seed_json(fakeapi *srv,
                                                    const char *json,
                                                    size_t len,
                                                    struct fakeapi_error *err);

/**
 * Seed pods from a file holding what fakeapi_seed_json() accepts.
 * @return FAKEAPI_OK, FAKEAPI_E_IO or FAKEAPI_E_INVALID.
 */
FAKEAPI_API FAKEAPI_NODISCARD int
fakeapi_seed_file(fakeapi *srv, const char *path, struct fakeapi_error *err);

/**
 * Set a pod's status.phase (a watched MODIFIED event, a new resourceVersion).
 * @return FAKEAPI_OK, FAKEAPI_E_NOT_FOUND or FAKEAPI_E_INVALID.
 */
FAKEAPI_API FAKEAPI_NODISCARD int
fakeapi_set_phase(fakeapi *srv, const char *ns, const char *name,
                  const char *phase, struct fakeapi_error *err);

/**
 * Read a pod back as the server would serve it.
 * @param json_out  on success, new NUL-terminated JSON: free() it.
 * @return FAKEAPI_OK, FAKEAPI_E_NOT_FOUND or FAKEAPI_E_NOMEM.
 */
FAKEAPI_API FAKEAPI_NODISCARD int fakeapi_get_pod(fakeapi *srv, const char *ns,
                                                  const char *name,
                                                  char **json_out,
                                                  struct fakeapi_error *err);

/**
 * Create a namespace (test control; no-op if it exists).
 * @return FAKEAPI_OK or FAKEAPI_E_INVALID for a bad name.
 */
FAKEAPI_API FAKEAPI_NODISCARD int
fakeapi_create_namespace(fakeapi *srv, const char *ns,
                         struct fakeapi_error *err);

/** The current resourceVersion (the store's one counter). */
FAKEAPI_API uint64_t fakeapi_resource_version(fakeapi *srv);

/** Number of pods stored, all namespaces. */
FAKEAPI_API size_t fakeapi_pod_count(fakeapi *srv);

/**
 * Drop every pod, namespace (but the initial ones), fault, log entry and
 * watch; the resourceVersion counter keeps increasing.
 */
FAKEAPI_API void fakeapi_reset(fakeapi *srv);

/* ---- Test control: requests and faults ---------------------------------*/

/**
 * Read the request log: a JSON array, oldest first, of
 * {"seq","method","path","query","status","userAgent","accept","contentType",
 * "body"}
 * (body truncated to 4 KiB; the Authorization header is never logged).
 * @param json_out  on success, new NUL-terminated JSON: free() it.
 * @return FAKEAPI_OK or FAKEAPI_E_NOMEM.
 */
FAKEAPI_API FAKEAPI_NODISCARD int fakeapi_request_log(fakeapi *srv,
                                                      char **json_out);

/** Empty the request log. */
FAKEAPI_API void fakeapi_request_log_clear(fakeapi *srv);

/**
 * Inject a fault for the next @c f->count requests that match.
 * Faults are checked in the order added; a request takes at most one.
 * @return FAKEAPI_OK or FAKEAPI_E_INVALID.
 */
FAKEAPI_API FAKEAPI_NODISCARD int
fakeapi_fault_add(fakeapi *srv, const struct fakeapi_fault *f,
                  struct fakeapi_error *err);

/** Remove every pending fault. */
FAKEAPI_API void fakeapi_faults_clear(fakeapi *srv);

/**
 * Close every open watch stream now (clients see the stream end).
 * @return the number of streams closed.
 */
FAKEAPI_API unsigned fakeapi_close_watches(fakeapi *srv);

/**
 * Forget the watch history: a watch resumed from any resourceVersion older
 * than the current one then gets the real 410 Expired ERROR event.
 */
FAKEAPI_API void fakeapi_compact(fakeapi *srv);

/** Number of watch streams open now. */
FAKEAPI_API unsigned fakeapi_watch_count(fakeapi *srv);

/* ---- Clients -----------------------------------------------------------*/

/**
 * Write a kubeconfig for this server that kubectl and other clients use
 * unchanged: server URL, CA data when TLS (from @p ca_file), the token when
 * one is set, and @p ns as the context's namespace.
 * @param path     file to write (replaced).
 * @param ns       namespace, or NULL for "default".
 * @param ca_file  PEM CA that signed the server certificate, or NULL.
 * @return FAKEAPI_OK or FAKEAPI_E_IO.
 */
FAKEAPI_API FAKEAPI_NODISCARD int
fakeapi_write_kubeconfig(const fakeapi *srv, const char *path, const char *ns,
                         const char *ca_file, struct fakeapi_error *err);

/* ---- Errors ------------------------------------------------------------*/

/** Static text for a code; never NULL. */
FAKEAPI_API const char *fakeapi_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif /* FAKEAPI_H */
