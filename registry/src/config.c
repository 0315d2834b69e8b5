/*
 * config: the precedence of config.h, the explicit options, and the
 * thread-safe credential calls. Parsing lives in config_kubeconfig.c,
 * the context checks in config_select.c, plugins in config_exec.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "error.h"

static const struct kreg_options no_options;

static bool is_set(const char *s)
{
    return s && s[0];
}

static char *dup_str(const char *s)
{
    return kreg__config_util_dup(s, strlen(s));
}

static int nomem(struct kreg_error *err)
{
    return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
}

/* ---- Reading the files a kubeconfig names ------------------------------*/

/* Read @p path for @p key of entry @p n; the error names all three. */
static int read_entry_file(const struct kreg__kc_named *n, const char *list,
                           const char *key, const char *path, char **out,
                           size_t *len, struct kreg_error *err)
{
    char buf[96];
    int e;
    int rc;

    rc = kreg__config_util_read_file(path, KREG__CONFIG_FILE_MAX, out, len, &e);
    if (rc == KREG_E_NOMEM)
        return nomem(err);
    if (rc != KREG_OK)
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "kubeconfig %s: %s[%zu].%s: %s: %s", n->origin, list,
                           n->index, key, path,
                           kreg__config_util_strerror(e, buf, sizeof(buf)));
    return KREG_OK;
}

/* -data wins over the path form (client-go, with a warning). */
static int data_or_file(const struct kreg__kc_named *n, const char *list,
                        const char *key, const char *data, size_t data_len,
                        const char *file, char **out, size_t *len,
                        struct kreg_error *err)
{
    if (data) {
        *out = kreg__config_util_dup(data, data_len);
        *len = data_len;
        return *out ? KREG_OK : nomem(err);
    }
    if (file)
        return read_entry_file(n, list, key, file, out, len, err);
    return KREG_OK;
}

/* ---- Kubeconfig --------------------------------------------------------*/

static int use_cluster(const struct kreg__kc_cluster *cl,
                       const struct kreg_options *opt, struct kreg__config *cfg,
                       struct kreg_error *err)
{
    cfg->server = dup_str(cl->server);
    if (!cfg->server)
        return nomem(err);
    if (is_set(cl->tls_server_name)) {
        cfg->tls_server_name = dup_str(cl->tls_server_name);
        if (!cfg->tls_server_name)
            return nomem(err);
    }
    /* An insecure or CA option replaces both (client-go getCluster), so
     * the file the kubeconfig names is not even read. */
    if (opt->insecure || is_set(opt->ca_file))
        return KREG_OK;
    cfg->insecure = cl->insecure;
    return data_or_file(&cl->n, "clusters", "cluster.certificate-authority",
                        cl->ca_data, cl->ca_len, cl->ca_file, &cfg->ca_pem,
                        &cfg->ca_len, err);
}

static int use_user(const struct kreg__kc_user *u, struct kreg__config *cfg,
                    struct kreg_error *err)
{
    int rc;

    rc = data_or_file(&u->n, "users", "user.client-certificate", u->cert_data,
                      u->cert_len, u->cert_file, &cfg->cert_pem, &cfg->cert_len,
                      err);
    if (rc == KREG_OK)
        rc = data_or_file(&u->n, "users", "user.client-key", u->key_data,
                          u->key_len, u->key_file, &cfg->key_pem, &cfg->key_len,
                          err);
    if (rc != KREG_OK)
        return rc;
    if (u->token && !kreg__config_util_is_token(u->token, strlen(u->token)))
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "kubeconfig %s: users[%zu].user.token: has control "
                           "characters",
                           u->n.origin, u->n.index);
    if (u->token)
        cfg->priv_token = dup_str(u->token);
    if (u->token_file)
        cfg->priv_token_file = dup_str(u->token_file);
    if ((u->token && !cfg->priv_token) ||
        (u->token_file && !cfg->priv_token_file))
        return nomem(err);
    /* exec.go UpdateTransportConfig: a token or certificate wins. */
    if (u->exec && !u->token && !u->token_file && !cfg->cert_pem)
        return kreg__config_exec_new(u->exec, &cfg->priv_exec, err);
    return KREG_OK;
}

static int use_kubeconfig(const struct kreg__kubeconfig *kc,
                          const struct kreg_options *opt,
                          struct kreg__config *cfg, struct kreg_error *err)
{
    struct kreg__kc_selection sel;
    struct kbuf src;
    int rc;

    rc = kreg__config_select_context(kc, opt, &sel, err);
    if (rc == KREG_OK)
        rc = use_cluster(sel.cluster, opt, cfg, err);
    if (rc == KREG_OK && sel.user)
        rc = use_user(sel.user, cfg, err);
    if (rc != KREG_OK)
        return rc;
    if (is_set(sel.context->namespace_)) {
        cfg->namespace_ = dup_str(sel.context->namespace_);
        if (!cfg->namespace_)
            return nomem(err);
    }
    kbuf_init(&src, (size_t)-1);
    if (kbuf_addf(&src, "kubeconfig %s (context %s)", sel.context->n.origin,
                  sel.context->n.name) != KBUF_OK)
        return nomem(err);
    cfg->source = kbuf_detach(&src, NULL);
    return cfg->source ? KREG_OK : nomem(err);
}

/* Read and merge one file; a missing one is skipped unless @p must. */
static int add_file(struct kreg__kubeconfig *kc, const char *path, bool must,
                    struct kreg_error *err)
{
    char buf[96];
    char *data = NULL;
    char *dir = NULL;
    size_t len;
    int e;
    int rc;

    rc = kreg__config_util_read_file(path, KREG__CONFIG_FILE_MAX, &data, &len,
                                     &e);
    if (rc == KREG_E_CONFIG && e == ENOENT && !must)
        return KREG_OK;
    if (rc == KREG_E_NOMEM)
        return nomem(err);
    if (rc != KREG_OK)
        return kreg__error(err, rc, 0, NULL, "kubeconfig %s: %s", path,
                           kreg__config_util_strerror(e, buf, sizeof(buf)));
    dir = kreg__config_util_dirname(path);
    if (!dir)
        rc = nomem(err);
    else
        rc = kreg__config_kubeconfig_parse(kc, data, len, path, dir, err);
    free(dir);
    free(data);
    return rc;
}

/* Has the ':'-separated segment at @p seg appeared before it? */
static bool seen_before(const char *list, const char *seg, size_t len)
{
    const char *p = list;
    const char *end;

    while (p < seg) {
        end = strchr(p, ':');
        if ((size_t)(end - p) == len && memcmp(p, seg, len) == 0)
            return true;
        p = end + 1;
    }
    return false;
}

/* $KUBECONFIG: split on ':', empty and repeated entries dropped (loader.go
 * deduplicate), missing files skipped. */
static int add_list(struct kreg__kubeconfig *kc, const char *list,
                    struct kreg_error *err)
{
    const char *p = list;
    char *path;
    size_t len;
    int rc = KREG_OK;

    while (rc == KREG_OK && *p) {
        len = strcspn(p, ":");
        if (len && !seen_before(list, p, len)) {
            path = kreg__config_util_dup(p, len);
            rc = path ? add_file(kc, path, false, err) : nomem(err);
            free(path);
        }
        p += len;
        if (*p == ':')
            p++;
    }
    return rc;
}

static int load_default(const struct kreg_options *opt,
                        struct kreg__config *cfg, struct kreg_error *err)
{
    struct kreg__kubeconfig kc;
    const char *env = getenv("KUBECONFIG");
    const char *home = getenv("HOME");
    char *path = NULL;
    int rc;

    kreg__config_kubeconfig_init(&kc);
    if (is_set(env)) {
        rc = add_list(&kc, env, err);
    } else if (is_set(home)) {
        path = kreg__config_util_resolve(home, ".kube/config");
        rc = path ? add_file(&kc, path, false, err) : nomem(err);
    } else {
        rc = KREG_OK;
    }
    if (rc == KREG_OK && kbuf_len(&kc.files) == 0)
        rc = kreg__error(err, KREG_E_CONFIG, 0, NULL,
                         "no configuration found (no server option, not in "
                         "a cluster, no file in %s%s)",
                         is_set(env) ? "KUBECONFIG=" : "",
                         is_set(env) ? env
                         : path      ? path
                                     : "~/.kube/config");
    if (rc == KREG_OK)
        rc = use_kubeconfig(&kc, opt, cfg, err);
    kreg__config_kubeconfig_release(&kc);
    free(path);
    return rc;
}

static int load_explicit(const struct kreg_options *opt,
                         struct kreg__config *cfg, struct kreg_error *err)
{
    struct kreg__kubeconfig kc;
    int rc;

    kreg__config_kubeconfig_init(&kc);
    rc = add_file(&kc, opt->kubeconfig, true, err);
    if (rc == KREG_OK)
        rc = use_kubeconfig(&kc, opt, cfg, err);
    kreg__config_kubeconfig_release(&kc);
    return rc;
}

int kreg__config_parse_kubeconfig_mem(const char *yaml, size_t len,
                                      const char *dir,
                                      const struct kreg_options *opt,
                                      struct kreg_error *err)
{
    struct kreg__kubeconfig kc;
    struct kreg__kc_selection sel;
    int rc;

    kreg__config_kubeconfig_init(&kc);
    rc = kreg__config_kubeconfig_parse(&kc, yaml, len, "<memory>", dir, err);
    if (rc == KREG_OK)
        rc = kreg__config_select_context(&kc, opt ? opt : &no_options, &sel,
                                         err);
    kreg__config_kubeconfig_release(&kc);
    return rc;
}

/* ---- Options -----------------------------------------------------------*/

static int apply_tls_options(const struct kreg_options *opt,
                             struct kreg__config *cfg, struct kreg_error *err)
{
    char buf[96];
    int e;
    int rc;

    if (!opt->insecure && !is_set(opt->ca_file))
        return KREG_OK;
    if (opt->insecure && is_set(opt->ca_file))
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "options: ca_file with insecure: specifying a root "
                           "certificates file with the insecure flag is not "
                           "allowed");
    free(cfg->ca_pem);
    cfg->ca_pem = NULL;
    cfg->ca_len = 0;
    cfg->insecure = opt->insecure;
    if (!is_set(opt->ca_file))
        return KREG_OK;
    rc = kreg__config_util_read_file(opt->ca_file, KREG__CONFIG_FILE_MAX,
                                     &cfg->ca_pem, &cfg->ca_len, &e);
    if (rc == KREG_E_NOMEM)
        return nomem(err);
    if (rc != KREG_OK)
        return kreg__error(err, rc, 0, NULL, "options: ca_file %s: %s",
                           opt->ca_file,
                           kreg__config_util_strerror(e, buf, sizeof(buf)));
    return KREG_OK;
}

/* An option token replaces the token, the token file and the plugin. */
static int apply_token_option(const struct kreg_options *opt,
                              struct kreg__config *cfg, struct kreg_error *err)
{
    if (!is_set(opt->token))
        return KREG_OK;
    if (!kreg__config_util_is_token(opt->token, strlen(opt->token)))
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "options: token has control characters");
    free(cfg->priv_token);
    free(cfg->priv_token_file);
    cfg->priv_token_file = NULL;
    kreg__config_exec_free(cfg->priv_exec);
    cfg->priv_exec = NULL;
    cfg->priv_token = dup_str(opt->token);
    return cfg->priv_token ? KREG_OK : nomem(err);
}

/* Replace *field by @p value when @p value is set, else keep it, else
 * use @p fallback (may be NULL). */
static int override(char **field, const char *value, const char *fallback)
{
    const char *use = is_set(value) ? value : *field ? NULL : fallback;

    if (!use)
        return KREG_OK;
    free(*field);
    *field = dup_str(use);
    return *field ? KREG_OK : KREG_E_NOMEM;
}

/* A URL without a scheme gets https:// when TLS is configured, else
 * http:// (client-go DefaultServerURL); trailing '/' are dropped. */
static int finish_server(struct kreg__config *cfg, struct kreg_error *err)
{
    const char *scheme = strstr(cfg->server, "://");
    bool tls = cfg->ca_pem || cfg->cert_pem || cfg->insecure;
    size_t min = scheme ? (size_t)(scheme - cfg->server) + 4 : 1;
    size_t len = strlen(cfg->server);
    struct kbuf b;

    while (len > min && cfg->server[len - 1] == '/')
        cfg->server[--len] = '\0';
    if (scheme)
        return KREG_OK;
    kbuf_init(&b, (size_t)-1);
    if (kbuf_addf(&b, "%s%s", tls ? "https://" : "http://", cfg->server) !=
        KBUF_OK)
        return nomem(err);
    free(cfg->server);
    cfg->server = kbuf_detach(&b, NULL);
    return cfg->server ? KREG_OK : nomem(err);
}

static int apply_options(const struct kreg_options *opt,
                         struct kreg__config *cfg, struct kreg_error *err)
{
    int rc;

    rc = apply_tls_options(opt, cfg, err);
    if (rc == KREG_OK)
        rc = apply_token_option(opt, cfg, err);
    if (rc != KREG_OK)
        return rc;
    if (override(&cfg->namespace_, opt->namespace_, "default") != KREG_OK ||
        override(&cfg->pod_name, opt->pod_name,
                 is_set(getenv("HOSTNAME")) ? getenv("HOSTNAME") : NULL) !=
            KREG_OK)
        return nomem(err);
    return finish_server(cfg, err);
}

static int load_options(const struct kreg_options *opt,
                        struct kreg__config *cfg, struct kreg_error *err)
{
    cfg->server = dup_str(opt->server);
    cfg->source = dup_str("options");
    return cfg->server && cfg->source ? KREG_OK : nomem(err);
}

/* ---- Credentials -------------------------------------------------------*/

static int copy_out(const char *s, char **out, struct kreg_error *err)
{
    *out = dup_str(s);
    return *out ? KREG_OK : nomem(err);
}

/*
 * The token file's contents (trimmed), re-read when older than the period
 * (client-go cachedFileTokenSource). When the read fails, the last good
 * contents, then the static token, are used (cachingTokenSource and the
 * bearer round tripper). Called with priv_lock held.
 */
static int file_token_locked(struct kreg__config *cfg, char **out,
                             struct kreg_error *err)
{
    int64_t now = kreg__config_util_mono_ms();
    char buf[96];
    char *data = NULL;
    size_t len = 0;
    int e = 0;
    int rc;

    if (cfg->priv_file_token &&
        now - cfg->priv_file_read_ms < KREG__CONFIG_TOKEN_FILE_PERIOD_MS)
        return copy_out(cfg->priv_file_token, out, err);
    rc = kreg__config_util_read_file(cfg->priv_token_file,
                                     KREG__CONFIG_TOKEN_MAX, &data, &len, &e);
    if (rc == KREG_E_NOMEM)
        return nomem(err);
    if (rc == KREG_OK) {
        len = kreg__config_util_trim(data, len);
        if (kreg__config_util_is_token(data, len)) {
            free(cfg->priv_file_token);
            cfg->priv_file_token = data;
            cfg->priv_file_read_ms = now;
            return copy_out(data, out, err);
        }
    }
    free(data);
    if (cfg->priv_file_token || cfg->priv_token)
        return copy_out(cfg->priv_file_token ? cfg->priv_file_token
                                             : cfg->priv_token,
                        out, err);
    return kreg__error(
        err, KREG_E_CONFIG, 0, NULL, "token file %s: %s", cfg->priv_token_file,
        rc == KREG_OK ? "empty or has control characters"
                      : kreg__config_util_strerror(e, buf, sizeof(buf)));
}

int kreg__config_token(struct kreg__config *cfg, char **token_out,
                       struct kreg_error *err)
{
    int rc = KREG_OK;

    *token_out = NULL;
    pthread_mutex_lock(&cfg->priv_lock);
    if (cfg->priv_token_file) {
        rc = file_token_locked(cfg, token_out, err);
    } else if (cfg->priv_exec) {
        rc = kreg__config_exec_refresh(cfg->priv_exec, cfg, err);
        if (rc == KREG_OK && cfg->priv_exec->token)
            rc = copy_out(cfg->priv_exec->token, token_out, err);
    } else if (cfg->priv_token) {
        rc = copy_out(cfg->priv_token, token_out, err);
    }
    pthread_mutex_unlock(&cfg->priv_lock);
    return rc;
}

static int copy_pair(const char *c, size_t clen, const char *k, size_t klen,
                     char **cert, size_t *cert_len, char **key, size_t *key_len)
{
    *cert = kreg__config_util_dup(c, clen);
    *key = kreg__config_util_dup(k, klen);
    if (!*cert || !*key) {
        free(*cert);
        free(*key);
        *cert = NULL;
        *key = NULL;
        return KREG_E_NOMEM;
    }
    *cert_len = clen;
    *key_len = klen;
    return KREG_OK;
}

int kreg__config_client_cert(struct kreg__config *cfg, char **cert,
                             size_t *cert_len, char **key, size_t *key_len,
                             struct kreg_error *err)
{
    const struct kreg__config_exec *ex = cfg->priv_exec;
    int rc = KREG_OK;

    *cert = NULL;
    *key = NULL;
    *cert_len = 0;
    *key_len = 0;
    if (cfg->cert_pem)
        rc = copy_pair(cfg->cert_pem, cfg->cert_len, cfg->key_pem, cfg->key_len,
                       cert, cert_len, key, key_len);
    if (cfg->cert_pem || !ex)
        return rc == KREG_OK ? KREG_OK : nomem(err);
    pthread_mutex_lock(&cfg->priv_lock);
    rc = kreg__config_exec_refresh(cfg->priv_exec, cfg, err);
    if (rc == KREG_OK && ex->cert)
        rc = copy_pair(ex->cert, ex->cert_len, ex->key, ex->key_len, cert,
                       cert_len, key, key_len);
    pthread_mutex_unlock(&cfg->priv_lock);
    return rc == KREG_E_NOMEM ? nomem(err) : rc;
}

void kreg__config_invalidate(struct kreg__config *cfg)
{
    pthread_mutex_lock(&cfg->priv_lock);
    if (cfg->priv_exec)
        kreg__config_exec_invalidate(cfg->priv_exec);
    free(cfg->priv_file_token);
    cfg->priv_file_token = NULL;
    cfg->priv_file_read_ms = 0;
    pthread_mutex_unlock(&cfg->priv_lock);
}

/* ---- Life cycle --------------------------------------------------------*/

/* Read the token file and run the plugin once, so load fails early. */
static int prime(struct kreg__config *cfg, struct kreg_error *err)
{
    char *token = NULL;
    int rc;

    /* Covers the plugin too: it exists only without a token file. */
    rc = kreg__config_token(cfg, &token, err);
    free(token);
    if (rc != KREG_OK && rc != KREG_E_NOMEM)
        kreg__error_prefix(err, "%s", cfg->source);
    return rc;
}

int kreg__config_load(const struct kreg_options *opt, struct kreg__config *cfg,
                      struct kreg_error *err)
{
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    if (!opt)
        opt = &no_options;
    if (pthread_mutex_init(&cfg->priv_lock, NULL) != 0)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "cannot create a mutex");
    cfg->priv_lock_ready = true;
    if (is_set(opt->server))
        rc = load_options(opt, cfg, err);
    else if (is_set(opt->kubeconfig))
        rc = load_explicit(opt, cfg, err);
    else if (!opt->no_in_cluster && !is_set(opt->context) &&
             kreg__config_incluster_is_available())
        rc = kreg__config_incluster_load(opt, cfg, err);
    else
        rc = load_default(opt, cfg, err);
    if (rc == KREG_OK)
        rc = apply_options(opt, cfg, err);
    if (rc == KREG_OK)
        rc = prime(cfg, err);
    if (rc != KREG_OK)
        kreg__config_release(cfg);
    return rc;
}

void kreg__config_release(struct kreg__config *cfg)
{
    if (!cfg)
        return;
    free(cfg->server);
    free(cfg->ca_pem);
    free(cfg->cert_pem);
    free(cfg->key_pem);
    free(cfg->tls_server_name);
    free(cfg->namespace_);
    free(cfg->pod_name);
    free(cfg->source);
    free(cfg->priv_token);
    free(cfg->priv_token_file);
    free(cfg->priv_file_token);
    kreg__config_exec_free(cfg->priv_exec);
    if (cfg->priv_lock_ready)
        pthread_mutex_destroy(&cfg->priv_lock);
    memset(cfg, 0, sizeof(*cfg));
}
