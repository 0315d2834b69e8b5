/*
 * config_incluster: the service-account configuration of a pod (client-go
 * rest.InClusterConfig and inClusterClientConfig.Namespace;
 * docs/kubernetes-api.md, Client configuration). Unlike go-micro
 * (docs/go-micro-wire.md, Finding the API server) an IPv6 host is bracketed,
 * the token is re-read, and nothing exits the process.
 */
#include "config_int.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "knum.h"

#define HOST_ENV "KUBERNETES_SERVICE_HOST"
#define PORT_ENV "KUBERNETES_SERVICE_PORT"

bool kreg__config_incluster_is_available(void)
{
    const char *host = getenv(HOST_ENV);
    const char *port = getenv(PORT_ENV);

    return host && host[0] && port && port[0];
}

/* https://host:port, the host bracketed when it is an IPv6 address. */
static int make_server(struct kreg__config *cfg, struct kreg_error *err)
{
    const char *host = getenv(HOST_ENV);
    const char *port = getenv(PORT_ENV);
    bool v6 = strchr(host, ':') && host[0] != '[';
    struct kbuf b;
    uint64_t n;

    if (!knum_u64(port, &n) || n == 0 || n > 65535)
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "in-cluster: " PORT_ENV " \"%.32s\" is not a port",
                           port);
    kbuf_init(&b, (size_t)-1);
    if (kbuf_addf(&b, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
                  port) != KBUF_OK)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    cfg->server = kbuf_detach(&b, NULL);
    return cfg->server ? KREG_OK : KREG_E_NOMEM;
}

static char *sa_path(const char *dir, const char *name)
{
    return kreg__config_util_resolve(dir, name);
}

/* ca.crt: when unreadable client-go logs and uses the system CAs. */
static int read_ca(struct kreg__config *cfg, const char *dir)
{
    char *path = sa_path(dir, "ca.crt");
    int e;
    int rc;

    if (!path)
        return KREG_E_NOMEM;
    rc = kreg__config_util_read_file(path, KREG__CONFIG_FILE_MAX, &cfg->ca_pem,
                                     &cfg->ca_len, &e);
    free(path);
    if (rc == KREG_OK && cfg->ca_len == 0) {
        free(cfg->ca_pem);
        cfg->ca_pem = NULL;
    }
    return rc == KREG_E_NOMEM ? KREG_E_NOMEM : KREG_OK;
}

/* $POD_NAMESPACE, else the namespace file (trimmed), else NULL. */
static int read_namespace(struct kreg__config *cfg, const char *dir)
{
    const char *env = getenv("POD_NAMESPACE");
    char *path;
    char *data = NULL;
    size_t len = 0;
    int e;
    int rc;

    if (env && env[0]) {
        cfg->namespace_ = kreg__config_util_dup(env, strlen(env));
        return cfg->namespace_ ? KREG_OK : KREG_E_NOMEM;
    }
    path = sa_path(dir, "namespace");
    if (!path)
        return KREG_E_NOMEM;
    rc = kreg__config_util_read_file(path, 4096, &data, &len, &e);
    free(path);
    if (rc == KREG_E_NOMEM)
        return rc;
    if (rc == KREG_OK && kreg__config_util_trim(data, len) > 0) {
        cfg->namespace_ = data;
        data = NULL;
    }
    free(data);
    return KREG_OK;
}

int kreg__config_incluster_load(const struct kreg_options *opt,
                                struct kreg__config *cfg,
                                struct kreg_error *err)
{
    const char *dir = KREG__CONFIG_SA_DIR;
    int rc;

    if (opt && opt->sa_dir && opt->sa_dir[0])
        dir = opt->sa_dir;
    rc = make_server(cfg, err);
    if (rc != KREG_OK)
        return rc;
    cfg->priv_token_file = sa_path(dir, "token");
    cfg->source = kreg__config_util_dup("in-cluster", 10);
    if (!cfg->priv_token_file || !cfg->source)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    rc = read_ca(cfg, dir);
    if (rc == KREG_OK)
        rc = read_namespace(cfg, dir);
    if (rc != KREG_OK)
        return kreg__error(err, rc, 0, NULL, "out of memory");
    return KREG_OK;
}
