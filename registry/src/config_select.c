/*
 * config_select: pick the kubeconfig context and apply the checks of
 * client-go's clientcmd validation (validation.go) to what it selects.
 * Every message names the file and key: "kubeconfig F: users[0].user.x: ..".
 */
#include "config_int.h"

#include <string.h>

#include "error.h"

#define EXEC_V1      "client.authentication.k8s.io/v1"
#define EXEC_V1BETA1 "client.authentication.k8s.io/v1beta1"

static bool is_set(const char *s)
{
    return s && s[0];
}

static int bad(struct kreg_error *err, const struct kreg__kc_named *n,
               const char *list, const char *key, const char *what)
{
    return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                       "kubeconfig %s: %s[%zu]%s: %s", n->origin, list,
                       n->index, key, what);
}

static int select_cluster(const struct kreg__kubeconfig *kc,
                          const struct kreg_options *opt,
                          const struct kreg__kc_context *ctx,
                          struct kreg__kc_selection *sel,
                          struct kreg_error *err)
{
    const struct kreg__kc_cluster *cl;
    bool override;

    if (!is_set(ctx->cluster))
        return bad(err, &ctx->n, "contexts", ".context.cluster", "missing");
    cl = kreg__config_kubeconfig_find(kc, KREG__KC_CLUSTER, ctx->cluster);
    if (!cl)
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "kubeconfig %s: contexts[%zu].context.cluster: "
                           "cluster \"%s\" not found",
                           ctx->n.origin, ctx->n.index, ctx->cluster);
    if (!is_set(cl->server))
        return bad(err, &cl->n, "clusters", ".cluster.server", "missing");
    /* client-go getCluster: an insecure or CA override replaces both. */
    override = opt && (opt->insecure || is_set(opt->ca_file));
    if (!override && cl->insecure && (cl->ca_file || cl->ca_data))
        return bad(err, &cl->n, "clusters", ".cluster",
                   "specifying a root certificates file with the insecure "
                   "flag is not allowed");
    sel->cluster = cl;
    return KREG_OK;
}

static int check_interactive(const struct kreg__kc_user *u,
                             const struct kreg__kc_exec *e,
                             struct kreg_error *err)
{
    const char *key = ".user.exec.interactiveMode";
    const char *m = e->interactive_mode;

    /* clientcmd v1 defaults: only v1beta1 defaults to IfAvailable. */
    if (!is_set(m) && strcmp(e->api_version, EXEC_V1) == 0)
        return bad(err, &u->n, "users", key,
                   "missing (required by " EXEC_V1 ")");
    if (!is_set(m) || strcmp(m, "Never") == 0 || strcmp(m, "IfAvailable") == 0)
        return KREG_OK;
    if (strcmp(m, "Always") == 0)
        return bad(err, &u->n, "users", key,
                   "Always is not supported (plugins run without a "
                   "terminal)");
    return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                       "kubeconfig %s: users[%zu]%s: \"%s\" is invalid "
                       "(Never, IfAvailable or Always)",
                       u->n.origin, u->n.index, key, m);
}

static int check_exec(const struct kreg__kc_user *u, struct kreg_error *err)
{
    const struct kreg__kc_exec *e = u->exec;
    size_t i;

    if (!is_set(e->api_version))
        return bad(err, &u->n, "users", ".user.exec.apiVersion", "missing");
    if (strcmp(e->api_version, EXEC_V1) != 0 &&
        strcmp(e->api_version, EXEC_V1BETA1) != 0)
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "kubeconfig %s: users[%zu].user.exec.apiVersion: "
                           "\"%s\" is not supported (" EXEC_V1 " or v1beta1)",
                           u->n.origin, u->n.index, e->api_version);
    if (!is_set(e->command))
        return bad(err, &u->n, "users", ".user.exec.command", "missing");
    for (i = 0; i < e->nenv; i++) {
        if (!is_set(e->env_names[i]))
            return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                               "kubeconfig %s: users[%zu].user.exec.env[%zu]"
                               ".name: missing",
                               u->n.origin, u->n.index, i);
    }
    return check_interactive(u, e, err);
}

static int check_user(const struct kreg__kc_user *u, struct kreg_error *err)
{
    bool cert = u->cert_file || u->cert_data;
    bool key = u->key_file || u->key_data;

    if (u->unsupported_key)
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "kubeconfig %s: users[%zu].user.%s: %s", u->n.origin,
                           u->n.index, u->unsupported_key, u->unsupported_why);
    if (cert && !key)
        return bad(err, &u->n, "users", ".user",
                   "client-key or client-key-data is required with a "
                   "client certificate");
    if (key && !cert)
        return bad(err, &u->n, "users", ".user",
                   "client-certificate or client-certificate-data is "
                   "required with a client key");
    return u->exec ? check_exec(u, err) : KREG_OK;
}

static int select_user(const struct kreg__kubeconfig *kc,
                       const struct kreg__kc_context *ctx,
                       struct kreg__kc_selection *sel, struct kreg_error *err)
{
    const struct kreg__kc_user *u;

    /* No user: anonymous, as client-go allows. */
    if (!is_set(ctx->user))
        return KREG_OK;
    u = kreg__config_kubeconfig_find(kc, KREG__KC_USER, ctx->user);
    if (!u)
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "kubeconfig %s: contexts[%zu].context.user: "
                           "user \"%s\" not found",
                           ctx->n.origin, ctx->n.index, ctx->user);
    sel->user = u;
    return check_user(u, err);
}

int kreg__config_select_context(const struct kreg__kubeconfig *kc,
                                const struct kreg_options *opt,
                                struct kreg__kc_selection *sel,
                                struct kreg_error *err)
{
    const char *files = kbuf_str(&kc->files);
    const char *name = kc->current_context;
    const struct kreg__kc_context *ctx;
    int rc;

    memset(sel, 0, sizeof(*sel));
    if (opt && is_set(opt->context))
        name = opt->context;
    if (!is_set(name))
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "kubeconfig %s: no current-context and no context "
                           "option",
                           files);
    ctx = kreg__config_kubeconfig_find(kc, KREG__KC_CONTEXT, name);
    if (!ctx)
        return kreg__error(err, KREG_E_CONFIG, 0, NULL,
                           "kubeconfig %s: context \"%s\" not found", files,
                           name);
    rc = select_cluster(kc, opt, ctx, sel, err);
    if (rc == KREG_OK)
        rc = select_user(kc, ctx, sel, err);
    if (rc == KREG_OK)
        sel->context = ctx;
    else
        memset(sel, 0, sizeof(*sel));
    return rc;
}
