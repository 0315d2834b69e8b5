/*
 * config_int: what the config*.c files share (internal to config).
 *
 *  config.c            precedence, options, credentials, life cycle
 *  config_kubeconfig.c kubeconfig YAML (libyaml) and merging
 *  config_select.c     the selected context and client-go's checks on it
 *  config_exec.c       exec credential plugins (posix_spawn, jansson)
 *  config_incluster.c  in-cluster service-account configuration
 *  config_util.c       file reading, base64, paths, errno text
 */
#ifndef KREG_CONFIG_INT_H
#define KREG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "kbuf.h"

/* ---- Limits ------------------------------------------------------------*/

#define KREG__CONFIG_FILE_MAX     (16u << 20) /* kubeconfig, CA, cert, key */
#define KREG__CONFIG_TOKEN_MAX    (1u << 20)  /* token files */
#define KREG__CONFIG_EXEC_OUT_MAX (1u << 20)  /* plugin stdout */
#define KREG__CONFIG_EXEC_TIMEOUT 10000       /* ms */

#define KREG__CONFIG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* ---- Kubeconfig model (config_kubeconfig.c) ----------------------------*/

/* What every named entry starts with. */
struct kreg__kc_named {
    char *name;
    char *origin; /* file that defined it, for messages */
    size_t index; /* its position in that file's list */
};

struct kreg__kc_cluster {
    struct kreg__kc_named n;
    char *server;
    char *ca_file; /* resolved path */
    char *ca_data; /* decoded */
    size_t ca_len;
    bool insecure;
    char *tls_server_name;
};

struct kreg__kc_exec {
    char *api_version;
    char *command; /* resolved when it contains '/' */
    char **args;
    size_t nargs;
    char **env_names;
    char **env_values;
    size_t nenv;
    char *interactive_mode; /* NULL when absent */
    bool provide_cluster_info;
    char *install_hint;
};

struct kreg__kc_user {
    struct kreg__kc_named n;
    char *token;
    char *token_file; /* resolved path */
    char *cert_file;  /* resolved path */
    char *cert_data;
    size_t cert_len;
    char *key_file; /* resolved path */
    char *key_data;
    size_t key_len;
    struct kreg__kc_exec *exec;
    const char *unsupported_key; /* first unsupported key set, static */
    const char *unsupported_why;
};

struct kreg__kc_context {
    struct kreg__kc_named n;
    char *cluster;
    char *user;
    char *namespace_;
};

enum kreg__kc_kind {
    KREG__KC_CLUSTER = 0,
    KREG__KC_USER = 1,
    KREG__KC_CONTEXT = 2,
    KREG__KC_KINDS = 3,
};

/* Entries of one kind; items point to the struct of that kind. */
struct kreg__kc_list {
    void **items;
    size_t count;
};

/* One or more merged kubeconfig files. */
struct kreg__kubeconfig {
    struct kreg__kc_list lists[KREG__KC_KINDS];
    char *current_context; /* first non-empty, or NULL */
    struct kbuf files;     /* "a:b": the files merged, for messages */
};

/* What a context selects; pointers borrowed from the kubeconfig. */
struct kreg__kc_selection {
    const struct kreg__kc_context *context;
    const struct kreg__kc_cluster *cluster;
    const struct kreg__kc_user *user; /* NULL: anonymous */
};

void kreg__config_kubeconfig_init(struct kreg__kubeconfig *kc);
void kreg__config_kubeconfig_release(struct kreg__kubeconfig *kc);

/*
 * Parse the YAML text of @p path (for messages; @p dir resolves relative
 * paths) and merge it into @p kc: names already present are kept (first
 * file wins), current-context is taken if still unset. A duplicate name
 * within the file is an error, as in client-go. On error @p kc holds what
 * earlier files gave.
 * Returns KREG_OK, KREG_E_CONFIG or KREG_E_NOMEM.
 */
int kreg__config_kubeconfig_parse(struct kreg__kubeconfig *kc, const char *yaml,
                                  size_t len, const char *path, const char *dir,
                                  struct kreg_error *err);

/* ---- Context selection (config_select.c) ------------------------------*/

/*
 * Select opt->context or current-context and check it as client-go's
 * validation does (cluster and user exist, server set, CA with insecure,
 * certificate without key, exec fields, unsupported methods); opt->ca_file
 * and opt->insecure replace the cluster's CA settings before the check.
 * Returns KREG_OK or KREG_E_CONFIG.
 */
int kreg__config_select_context(const struct kreg__kubeconfig *kc,
                                const struct kreg_options *opt,
                                struct kreg__kc_selection *sel,
                                struct kreg_error *err);

/* The entry named @p name in list @p kind, or NULL. */
const void *kreg__config_kubeconfig_find(const struct kreg__kubeconfig *kc,
                                         int kind, const char *name);

/* ---- Exec plugins (config_exec.c) --------------------------------------*/

/* A plugin and its cached credential; used under the config's lock. */
struct kreg__config_exec {
    char *api_version;
    char **argv; /* argv[0] is the command; NULL-terminated */
    char **env;  /* "NAME=VALUE" from the kubeconfig, NULL-terminated */
    bool provide_cluster_info;
    char *install_hint;
    unsigned timeout_ms; /* KREG__CONFIG_EXEC_TIMEOUT; tests lower it */
    /* cache */
    bool cached;
    int64_t expiry_ms; /* Unix ms, 0 = until invalidated */
    char *token;       /* NULL when the plugin gave only a certificate */
    char *cert;
    size_t cert_len;
    char *key;
    size_t key_len;
};

/* Copy a checked exec spec; returns KREG_OK or KREG_E_NOMEM. */
int kreg__config_exec_new(const struct kreg__kc_exec *spec,
                          struct kreg__config_exec **out,
                          struct kreg_error *err);

/* Free @p ex; NULL is a no-op. */
void kreg__config_exec_free(struct kreg__config_exec *ex);

/*
 * Make the cache valid: run the plugin unless a credential is cached and
 * not past its expiry. @p cfg gives the cluster info (provideClusterInfo).
 * Returns KREG_OK, KREG_E_EXEC or KREG_E_NOMEM.
 */
int kreg__config_exec_refresh(struct kreg__config_exec *ex,
                              const struct kreg__config *cfg,
                              struct kreg_error *err);

/* Drop the cached credential. */
void kreg__config_exec_invalidate(struct kreg__config_exec *ex);

/* ---- In-cluster (config_incluster.c) -----------------------------------*/

/* True when KUBERNETES_SERVICE_HOST and _PORT are both non-empty. */
bool kreg__config_incluster_is_available(void);

/*
 * Fill @p cfg (zeroed, lock ready) from the environment and the
 * service-account dir: server, ca_pem, namespace_, priv_token_file.
 * Returns KREG_OK, KREG_E_CONFIG or KREG_E_NOMEM.
 */
int kreg__config_incluster_load(const struct kreg_options *opt,
                                struct kreg__config *cfg,
                                struct kreg_error *err);

/* ---- Helpers (config_util.c) -------------------------------------------*/

/*
 * Read a whole file of at most @p cap bytes into a new NUL-terminated
 * buffer. Returns KREG_OK, KREG_E_NOMEM, or KREG_E_CONFIG with *errnum
 * set (EFBIG when larger than @p cap).
 */
int kreg__config_util_read_file(const char *path, size_t cap, char **data,
                                size_t *len, int *errnum);

/* Lowercase text for @p errnum into @p buf (never fails). */
const char *kreg__config_util_strerror(int errnum, char *buf, size_t size);

/*
 * Decode standard base64 with padding ('\r' and '\n' ignored, as Go);
 * @p out is a new NUL-terminated buffer. Returns KREG_OK, KREG_E_INVALID
 * or KREG_E_NOMEM.
 */
int kreg__config_util_base64_decode(const char *in, size_t len, char **out,
                                    size_t *out_len);

/* Append the standard base64 of @p data to @p b; a KBUF_* code. */
int kreg__config_util_base64_encode(struct kbuf *b, const void *data,
                                    size_t len);

/*
 * @p path if absolute or empty, else "@p dir/@p path"; a new string or
 * NULL when out of memory.
 */
char *kreg__config_util_resolve(const char *dir, const char *path);

/*
 * The absolute directory of @p path (getcwd() joined when relative); a
 * new string or NULL when out of memory or getcwd() fails.
 */
char *kreg__config_util_dirname(const char *path);

/* strdup() of @p len bytes of @p s; NULL when out of memory. */
char *kreg__config_util_dup(const char *s, size_t len);

/* Strip leading and trailing whitespace in place; returns the length. */
size_t kreg__config_util_trim(char *s, size_t len);

/* True when @p s (length @p len) can go into an Authorization header:
 * non-empty, no control characters. */
bool kreg__config_util_is_token(const char *s, size_t len);

/*
 * Parse an RFC 3339 time ("2025-01-01T00:00:00Z", fraction and offset
 * allowed, as Go's time.RFC3339) into Unix ms. False when malformed.
 */
bool kreg__config_util_parse_time(const char *s, size_t len, int64_t *ms);

/* Milliseconds on CLOCK_MONOTONIC or CLOCK_REALTIME. */
int64_t kreg__config_util_mono_ms(void);
int64_t kreg__config_util_real_ms(void);

#endif
