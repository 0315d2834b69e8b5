/*
 * config: where the API server is and how to authenticate to it
 * (internal to libkreg). docs/kubernetes-api.md, Client configuration;
 * docs/go-micro-wire.md, Finding the API server and Known problems (items 6-8).
 *
 * Precedence, first match wins:
 *  (a) opt->server set: that URL with opt->token, opt->ca_file and
 *      opt->insecure only; namespace opt->namespace_ or "default".
 *  (b) opt->kubeconfig set: that file only (it must exist; no merging).
 *  (c) in-cluster, when KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT
 *      are both non-empty, opt->no_in_cluster is false and opt->context is
 *      unset: https://host:port (IPv6 bracketed), the service-account dir
 *      opt->sa_dir (default /var/run/secrets/kubernetes.io/serviceaccount):
 *      token (re-read, rotation), ca.crt (system CAs when absent, as
 *      client-go), namespace ($POD_NAMESPACE first, as client-go).
 *  (d) the files in $KUBECONFIG (split on ':', duplicates dropped, missing
 *      files skipped, the first file defining a cluster, user or context
 *      name wins as a whole entry, the first non-empty current-context
 *      wins) or else $HOME/.kube/config.
 * Explicit options then override what was loaded: namespace_, token (it
 * replaces token, tokenFile and exec), ca_file or insecure (either replaces
 * both loaded settings; setting both is an error), pod_name (else
 * $HOSTNAME). context selects the kubeconfig context.
 *
 * Kubeconfig: the context is opt->context or current-context; its cluster
 * gives server, certificate-authority(-data), insecure-skip-tls-verify
 * (with a CA it is an error, as in client-go) and tls-server-name; its user
 * gives token, tokenFile (the file wins and is re-read), client-certificate
 * (-data), client-key(-data) and exec; its namespace is the default one.
 * -data wins over the path form; relative paths resolve against the
 * directory of the file that defined the entry, and so does exec.command
 * when it contains '/'. username/password, auth-provider and impersonation
 * (as*) are refused with "... not supported".
 *
 * Exec plugins (client.authentication.k8s.io/v1 and v1beta1) get
 * KUBERNETES_EXEC_INFO and are run without a terminal (stdin /dev/null,
 * interactiveMode Always is refused), with at most 1 MiB of stdout and
 * 10 s. The ExecCredential's token or clientCertificateData/clientKeyData
 * (PEM text) is cached until expirationTimestamp (forever without one)
 * and until kreg__config_invalidate(). As in client-go, a plugin is only
 * used when the user has no token, tokenFile or client certificate.
 * kreg__config_load() runs it once, so a broken plugin fails there.
 *
 * No error text ever contains a token or key.
 */
#ifndef KREG_CONFIG_H
#define KREG_CONFIG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kreg.h"

struct kreg__config_exec; /* exec plugin state, config_exec.c */

/* ---- Types -------------------------------------------------------------*/

/** Resolved configuration; owns every member. */
struct kreg__config {
    char *server;          /**< base URL without trailing '/' */
    char *ca_pem;          /**< CA bundle PEM bytes, or NULL (system CAs) */
    size_t ca_len;         /**< length of @c ca_pem */
    char *cert_pem;        /**< static client certificate PEM, or NULL */
    size_t cert_len;       /**< length of @c cert_pem */
    char *key_pem;         /**< static client key PEM, or NULL; never
                                logged */
    size_t key_len;        /**< length of @c key_pem */
    char *tls_server_name; /**< SNI/verification name override, or NULL */
    bool insecure;         /**< skip TLS verification */
    char *namespace_;      /**< resolved namespace ("default" if none) */
    char *pod_name;        /**< option, else $HOSTNAME, else NULL */
    char *source;          /**< human text: "kubeconfig /p (context x)",
                                "in-cluster" or "options" */

    /* Private: the token sources, under priv_lock. */
    char *priv_token;          /* static token (option or kubeconfig) */
    char *priv_token_file;     /* re-read token file, or NULL */
    char *priv_file_token;     /* its last good contents, trimmed */
    int64_t priv_file_read_ms; /* CLOCK_MONOTONIC ms of that read */
    struct kreg__config_exec *priv_exec; /* exec plugin, or NULL */
    pthread_mutex_t priv_lock;
    bool priv_lock_ready;
};

/** How long a token file read stays fresh (client-go: 1 minute). */
#define KREG__CONFIG_TOKEN_FILE_PERIOD_MS 60000

/* ---- Lifecycle ---------------------------------------------------------*/

/**
 * Resolve the configuration (precedence above) into @p cfg.
 * @param opt  options, may be NULL (all defaults); strings are copied.
 * @param cfg  caller-owned, uninitialised; on success release it with
 *             kreg__config_release(); on failure it is left zeroed with
 *             nothing to release (releasing it anyway is harmless).
 * @param err  optional; the text names the file and key, e.g.
 *             "kubeconfig /tmp/x: users[0].user.client-key-data: invalid
 *             base64".
 * @return KREG_OK, KREG_E_CONFIG, KREG_E_EXEC (the plugin failed) or
 *         KREG_E_NOMEM.
 */
int kreg__config_load(const struct kreg_options *opt, struct kreg__config *cfg,
                      struct kreg_error *err);

/** Free all @p cfg owns and zero it; a zeroed @p cfg is a no-op. */
void kreg__config_release(struct kreg__config *cfg);

/* ---- Credentials -------------------------------------------------------*/

/**
 * Get the bearer token to send now: the token file's contents (re-read at
 * most every 60 s, falling back to the last good read, then to the static
 * token), else the exec plugin's token (run again when expired or
 * invalidated), else the static token.
 * @param token_out  a new NUL-terminated string (free() it), or NULL when
 *                   there is no token.
 * @return KREG_OK, KREG_E_CONFIG (token file unreadable with no fallback),
 *         KREG_E_EXEC or KREG_E_NOMEM.
 * Thread-safety: may be called concurrently on one @p cfg.
 */
int kreg__config_token(struct kreg__config *cfg, char **token_out,
                       struct kreg_error *err);

/**
 * Get the client certificate and key (PEM text): the static ones, else
 * the exec plugin's (run again when expired or invalidated).
 * @param cert      a new string (free() it), or NULL when there is none.
 * @param cert_len  its length.
 * @param key       a new string (free() it), or NULL with @p cert.
 * @param key_len   its length.
 * @return KREG_OK, KREG_E_EXEC or KREG_E_NOMEM.
 * Thread-safety: may be called concurrently on one @p cfg.
 */
int kreg__config_client_cert(struct kreg__config *cfg, char **cert,
                             size_t *cert_len, char **key, size_t *key_len,
                             struct kreg_error *err);

/**
 * Drop cached credentials after a 401: the exec credential and the token
 * file's cached contents; the next kreg__config_token() re-reads or
 * re-runs.
 * Thread-safety: may be called concurrently on one @p cfg.
 */
void kreg__config_invalidate(struct kreg__config *cfg);

/* ---- Parsing -----------------------------------------------------------*/

/**
 * Parse one kubeconfig document from memory and check the context it
 * selects, as kreg__config_load() would, without reading any file or
 * running any plugin (the fuzzing entry point).
 * @param yaml  the text, need not be NUL-terminated.
 * @param dir   base directory for relative paths, e.g. "/nonexistent".
 * @param opt   options (context, ca_file, insecure), may be NULL.
 * @return KREG_OK, KREG_E_CONFIG or KREG_E_NOMEM.
 */
int kreg__config_parse_kubeconfig_mem(const char *yaml, size_t len,
                                      const char *dir,
                                      const struct kreg_options *opt,
                                      struct kreg_error *err);

#endif
