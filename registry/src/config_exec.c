/*
 * config_exec: exec credential plugins (client-go plugin/pkg/client/auth/
 * exec/exec.go; docs/kubernetes-api.md, Client configuration). The plugin is
 * looked up as Go's exec.LookPath does and started with posix_spawn (safe in
 * threaded programs), with stdin on /dev/null,
 * KUBERNETES_EXEC_INFO in its environment, stdout captured up to 1 MiB and
 * a deadline of 10 s; its ExecCredential is parsed with jansson.
 *
 * Secrets: the plugin's output is never quoted in an error (jansson's
 * error text quotes the input, so only line and column are reported).
 */
#include "config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "error.h"

extern char **environ;

#define EXEC_INFO "KUBERNETES_EXEC_INFO"

/* One run of the plugin. */
struct run {
    pid_t pid;
    int fd[2];        /* read ends: stdout, stderr */
    struct kbuf out;  /* stdout, capped */
    char errtxt[128]; /* start of stderr, for messages */
    size_t errlen;
    int status; /* waitpid status, or -1 when reaped elsewhere */
};

/* A credential read from the plugin. */
struct cred {
    char *token;
    char *cert;
    size_t cert_len;
    char *key;
    size_t key_len;
    int64_t expiry_ms;
};

static void cred_release(struct cred *c)
{
    free(c->token);
    free(c->cert);
    free(c->key);
    memset(c, 0, sizeof(*c));
}

static char *dup_str(const char *s)
{
    return s ? kreg__config_util_dup(s, strlen(s)) : NULL;
}

/* ---- Life cycle --------------------------------------------------------*/

static char *env_entry(const char *name, const char *value)
{
    struct kbuf b;

    kbuf_init(&b, (size_t)-1);
    if (kbuf_addf(&b, "%s=%s", name, value ? value : "") != KBUF_OK)
        return NULL;
    return kbuf_detach(&b, NULL);
}

static int copy_spec(const struct kreg__kc_exec *spec,
                     struct kreg__config_exec *ex)
{
    size_t i;

    ex->api_version = dup_str(spec->api_version);
    ex->argv = calloc(spec->nargs + 2, sizeof(char *));
    ex->env = calloc(spec->nenv + 1, sizeof(char *));
    if (!ex->api_version || !ex->argv || !ex->env)
        return KREG_E_NOMEM;
    ex->argv[0] = dup_str(spec->command);
    if (!ex->argv[0])
        return KREG_E_NOMEM;
    for (i = 0; i < spec->nargs; i++) {
        ex->argv[i + 1] = dup_str(spec->args[i]);
        if (!ex->argv[i + 1])
            return KREG_E_NOMEM;
    }
    for (i = 0; i < spec->nenv; i++) {
        ex->env[i] = env_entry(spec->env_names[i], spec->env_values[i]);
        if (!ex->env[i])
            return KREG_E_NOMEM;
    }
    if (spec->install_hint) {
        ex->install_hint = dup_str(spec->install_hint);
        if (!ex->install_hint)
            return KREG_E_NOMEM;
    }
    return KREG_OK;
}

int kreg__config_exec_new(const struct kreg__kc_exec *spec,
                          struct kreg__config_exec **out,
                          struct kreg_error *err)
{
    struct kreg__config_exec *ex = calloc(1, sizeof(*ex));
    int rc;

    *out = NULL;
    if (!ex)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    ex->provide_cluster_info = spec->provide_cluster_info;
    ex->timeout_ms = KREG__CONFIG_EXEC_TIMEOUT;
    rc = copy_spec(spec, ex);
    if (rc != KREG_OK) {
        kreg__config_exec_free(ex);
        return kreg__error(err, rc, 0, NULL, "out of memory");
    }
    *out = ex;
    return KREG_OK;
}

static void free_strv(char **v)
{
    size_t i;

    for (i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

void kreg__config_exec_invalidate(struct kreg__config_exec *ex)
{
    free(ex->token);
    free(ex->cert);
    free(ex->key);
    ex->token = NULL;
    ex->cert = NULL;
    ex->key = NULL;
    ex->cert_len = 0;
    ex->key_len = 0;
    ex->expiry_ms = 0;
    ex->cached = false;
}

void kreg__config_exec_free(struct kreg__config_exec *ex)
{
    if (!ex)
        return;
    kreg__config_exec_invalidate(ex);
    free(ex->api_version);
    free_strv(ex->argv);
    free_strv(ex->env);
    free(ex->install_hint);
    free(ex);
}

/* ---- Environment -------------------------------------------------------*/

/* Same variable name ("NAME=..." or "NAME")? */
static bool same_name(const char *a, const char *b)
{
    while (*a && *a != '=' && *a == *b) {
        a++;
        b++;
    }
    return (*a == '\0' || *a == '=') && (*b == '\0' || *b == '=');
}

static bool overridden(const struct kreg__config_exec *ex, const char *e,
                       size_t from)
{
    size_t i;

    if (same_name(e, EXEC_INFO))
        return true;
    for (i = from; ex->env[i]; i++) {
        if (same_name(e, ex->env[i]))
            return true;
    }
    return false;
}

/*
 * The plugin's environment, as client-go: ours, then the kubeconfig's env
 * (a later duplicate wins), then KUBERNETES_EXEC_INFO. The array is new,
 * the strings borrowed.
 */
static char **build_env(const struct kreg__config_exec *ex, char *info)
{
    size_t n = 0;
    size_t k = 0;
    size_t i;
    char **envp;

    while (environ && environ[n])
        n++;
    for (i = 0; ex->env[i]; i++)
        n++;
    envp = calloc(n + 2, sizeof(char *));
    if (!envp)
        return NULL;
    for (i = 0; environ && environ[i]; i++) {
        if (!overridden(ex, environ[i], 0))
            envp[k++] = environ[i];
    }
    for (i = 0; ex->env[i]; i++) {
        if (!overridden(ex, ex->env[i], i + 1))
            envp[k++] = ex->env[i];
    }
    envp[k] = info;
    return envp;
}

/* Go's clientauthentication Cluster, for provideClusterInfo. */
static json_t *cluster_info(const struct kreg__config *cfg)
{
    json_t *c = json_object();
    struct kbuf ca;
    int bad = 0;

    if (!c)
        return NULL;
    bad |= json_object_set_new(c, "server", json_string(cfg->server));
    if (cfg->tls_server_name)
        bad |= json_object_set_new(c, "tls-server-name",
                                   json_string(cfg->tls_server_name));
    if (cfg->insecure)
        bad |= json_object_set_new(c, "insecure-skip-tls-verify", json_true());
    if (cfg->ca_pem) {
        kbuf_init(&ca, (size_t)-1);
        bad |= kreg__config_util_base64_encode(&ca, cfg->ca_pem, cfg->ca_len);
        bad |= json_object_set_new(c, "certificate-authority-data",
                                   json_string(kbuf_str(&ca)));
        kbuf_release(&ca);
    }
    if (bad) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* "KUBERNETES_EXEC_INFO={...}" as a new string, or NULL. */
static char *exec_info(const struct kreg__config_exec *ex,
                       const struct kreg__config *cfg)
{
    json_t *root = json_object();
    json_t *spec = json_object();
    char *text = NULL;
    char *entry = NULL;
    int bad = !root || !spec;

    bad |= json_object_set_new(root, "kind", json_string("ExecCredential"));
    bad |=
        json_object_set_new(root, "apiVersion", json_string(ex->api_version));
    if (ex->provide_cluster_info)
        bad |= json_object_set_new(spec, "cluster", cluster_info(cfg));
    bad |= json_object_set_new(spec, "interactive", json_false());
    bad |= json_object_set(root, "spec", spec);
    if (!bad)
        text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text)
        entry = env_entry(EXEC_INFO, text);
    free(text);
    json_decref(spec);
    json_decref(root);
    return entry;
}

/* ---- Running -----------------------------------------------------------*/

static const char *cmd_name(const struct kreg__config_exec *ex)
{
    return ex->argv[0];
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int spawn_error(const struct kreg__config_exec *ex, int e,
                       struct kreg_error *err)
{
    char buf[96];
    const char *hint = ex->install_hint ? ex->install_hint : "";

    if (e == ENOMEM)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    if (e == ENOENT)
        return kreg__error(err, KREG_E_EXEC, 0, NULL,
                           "exec plugin %s: executable not found%s%.*s",
                           cmd_name(ex), hint[0] ? ": " : "",
                           (int)strcspn(hint, "\n"), hint);
    return kreg__error(err, KREG_E_EXEC, 0, NULL, "exec plugin %s: %s",
                       cmd_name(ex),
                       kreg__config_util_strerror(e, buf, sizeof(buf)));
}

static int set_actions(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at,
                       const int out[2], const int errp[2])
{
    sigset_t none;
    sigset_t def;
    int e;

    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGCHLD);
    e = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
    if (!e)
        e = posix_spawn_file_actions_adddup2(fa, out[1], 1);
    if (!e)
        e = posix_spawn_file_actions_adddup2(fa, errp[1], 2);
    if (!e)
        e = posix_spawnattr_setsigmask(at, &none);
    if (!e)
        e = posix_spawnattr_setsigdefault(at, &def);
    if (!e)
        e = posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK |
                                             POSIX_SPAWN_SETSIGDEF);
    return e;
}

/* 0 when @p path is an executable regular file, else an errno value. */
static int check_executable(const char *path)
{
    struct stat sb;

    if (stat(path, &sb) != 0)
        return errno;
    if (!S_ISREG(sb.st_mode) || access(path, X_OK) != 0)
        return EACCES;
    return 0;
}

/*
 * Go's exec.LookPath, which exec.Command runs first: a name containing '/'
 * is used as it is, else the first executable file in $PATH (relative
 * directories skipped, as Go's ErrDot). Resolving here also makes "not
 * found" reliable where posix_spawn reports a failed exec only as exit
 * status 127. Returns 0 or an errno value.
 */
static int look_path(const char *name, char **out)
{
    const char *p = getenv("PATH");
    char *cand;
    size_t len;
    int e;

    *out = NULL;
    if (strchr(name, '/')) {
        e = check_executable(name);
        if (e)
            return e;
        *out = dup_str(name);
        return *out ? 0 : ENOMEM;
    }
    for (p = p ? p : "/usr/bin:/bin"; *p; p += len + (p[len] == ':')) {
        len = strcspn(p, ":");
        if (len == 0 || p[0] != '/')
            continue;
        cand = kreg__config_util_dup(p, len);
        if (!cand)
            return ENOMEM;
        *out = kreg__config_util_resolve(cand, name);
        free(cand);
        if (!*out)
            return ENOMEM;
        if (check_executable(*out) == 0)
            return 0;
        free(*out);
        *out = NULL;
    }
    return ENOENT;
}

/* Start the plugin with its stdout and stderr on pipes in @p r. */
static int spawn_plugin(const struct kreg__config_exec *ex, char **envp,
                        struct run *r, struct kreg_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    int out[2] = {-1, -1};
    int errp[2] = {-1, -1};
    char *path = NULL;
    int i;
    int e;

    e = look_path(ex->argv[0], &path);
    if (e)
        goto out;
    if (pipe(out) != 0 || pipe(errp) != 0) {
        e = errno;
        goto out;
    }
    for (i = 0; i < 2; i++) {
        fcntl(out[i], F_SETFD, FD_CLOEXEC);
        fcntl(errp[i], F_SETFD, FD_CLOEXEC);
    }
    e = posix_spawn_file_actions_init(&fa);
    if (e)
        goto out;
    e = posix_spawnattr_init(&at);
    if (!e) {
        e = set_actions(&fa, &at, out, errp);
        if (!e)
            e = posix_spawn(&r->pid, path, &fa, &at, ex->argv, envp);
        posix_spawnattr_destroy(&at);
    }
    posix_spawn_file_actions_destroy(&fa);
out:
    free(path);
    close_fd(&out[1]);
    close_fd(&errp[1]);
    if (e) {
        close_fd(&out[0]);
        close_fd(&errp[0]);
        return spawn_error(ex, e, err);
    }
    r->fd[0] = out[0];
    r->fd[1] = errp[0];
    return KREG_OK;
}

/* Read what is there on pipe @p i; closes it at EOF. */
static int drain(struct run *r, int i, const struct kreg__config_exec *ex,
                 struct kreg_error *err)
{
    char chunk[4096];
    ssize_t n = read(r->fd[i], chunk, sizeof(chunk));
    size_t room;
    int rc;

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return KREG_OK;
    if (n <= 0) {
        close_fd(&r->fd[i]);
        return KREG_OK;
    }
    if (i == 1) {
        room = sizeof(r->errtxt) - 1 - r->errlen;
        if ((size_t)n < room)
            room = (size_t)n;
        memcpy(r->errtxt + r->errlen, chunk, room);
        r->errlen += room;
        r->errtxt[r->errlen] = '\0';
        return KREG_OK;
    }
    rc = kbuf_add(&r->out, chunk, (size_t)n);
    if (rc == KBUF_E_NOMEM)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    if (rc == KBUF_E_TOOBIG)
        return kreg__error(err, KREG_E_EXEC, 0, NULL,
                           "exec plugin %s: output larger than %u bytes",
                           cmd_name(ex), KREG__CONFIG_EXEC_OUT_MAX);
    return KREG_OK;
}

static int timed_out(const struct kreg__config_exec *ex, struct kreg_error *err)
{
    return kreg__error(err, KREG_E_EXEC, 0, NULL,
                       "exec plugin %s: no answer within %u ms", cmd_name(ex),
                       ex->timeout_ms);
}

/* Read both pipes to EOF before @p deadline. */
static int read_output(const struct kreg__config_exec *ex, struct run *r,
                       int64_t deadline, struct kreg_error *err)
{
    struct pollfd pfd[2];
    int64_t left;
    int i;
    int rc = KREG_OK;

    while (rc == KREG_OK && (r->fd[0] >= 0 || r->fd[1] >= 0)) {
        left = deadline - kreg__config_util_mono_ms();
        if (left <= 0)
            return timed_out(ex, err);
        for (i = 0; i < 2; i++) {
            pfd[i].fd = r->fd[i];
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
        }
        if (poll(pfd, 2, (int)left) < 0 && errno != EINTR)
            return kreg__error(err, KREG_E_EXEC, 0, NULL,
                               "exec plugin %s: poll failed", cmd_name(ex));
        for (i = 0; i < 2 && rc == KREG_OK; i++) {
            if (r->fd[i] >= 0 && pfd[i].revents)
                rc = drain(r, i, ex, err);
        }
    }
    return rc;
}

/* Reap the plugin before @p deadline; r->pid is 0 afterwards. */
static int wait_exit(const struct kreg__config_exec *ex, struct run *r,
                     int64_t deadline, struct kreg_error *err)
{
    const struct timespec tick = {0, 2 * 1000 * 1000};
    pid_t got;

    for (;;) {
        got = waitpid(r->pid, &r->status, WNOHANG);
        if (got == r->pid || (got < 0 && errno != EINTR)) {
            /* ECHILD: the application reaps children itself. */
            if (got < 0)
                r->status = -1;
            r->pid = 0;
            return KREG_OK;
        }
        if (kreg__config_util_mono_ms() >= deadline)
            return timed_out(ex, err);
        nanosleep(&tick, NULL);
    }
}

static void kill_and_reap(struct run *r)
{
    if (r->pid <= 0)
        return;
    kill(r->pid, SIGKILL);
    while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    r->pid = 0;
}

static int exit_error(const struct kreg__config_exec *ex, const struct run *r,
                      struct kreg_error *err)
{
    int len = (int)strcspn(r->errtxt, "\r\n");

    if (WIFSIGNALED(r->status))
        return kreg__error(err, KREG_E_EXEC, 0, NULL,
                           "exec plugin %s: killed by signal %d", cmd_name(ex),
                           WTERMSIG(r->status));
    return kreg__error(err, KREG_E_EXEC, 0, NULL,
                       "exec plugin %s: exit code %d%s%.*s", cmd_name(ex),
                       WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1,
                       len ? ": " : "", len, r->errtxt);
}

/* Run the plugin once; its stdout is left in r->out. */
static int run_plugin(const struct kreg__config_exec *ex,
                      const struct kreg__config *cfg, struct run *r,
                      struct kreg_error *err)
{
    char *info = exec_info(ex, cfg);
    char **envp = info ? build_env(ex, info) : NULL;
    int64_t deadline = kreg__config_util_mono_ms() + ex->timeout_ms;
    int rc;

    if (!envp) {
        rc = kreg__error(err, KREG_E_NOMEM, 0, NULL,
                         "exec plugin %s: cannot build its environment",
                         cmd_name(ex));
        goto out;
    }
    rc = spawn_plugin(ex, envp, r, err);
    if (rc == KREG_OK)
        rc = read_output(ex, r, deadline, err);
    if (rc == KREG_OK)
        rc = wait_exit(ex, r, deadline, err);
    if (rc == KREG_OK && r->status != -1 &&
        !(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0))
        rc = exit_error(ex, r, err);
out:
    kill_and_reap(r);
    close_fd(&r->fd[0]);
    close_fd(&r->fd[1]);
    free(envp);
    free(info);
    return rc;
}

/* ---- The ExecCredential ------------------------------------------------*/

/* A string member: 1 (set, non-empty), 0 (absent, null or ""), -1 (not a
 * string). */
static int member(const json_t *obj, const char *key, const char **s,
                  size_t *len)
{
    const json_t *v = json_object_get(obj, key);

    *s = NULL;
    *len = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    *s = json_string_value(v);
    *len = json_string_length(v);
    return *len ? 1 : 0;
}

static int cred_error(const struct kreg__config_exec *ex,
                      struct kreg_error *err, const char *what)
{
    return kreg__error(err, KREG_E_EXEC, 0, NULL,
                       "exec plugin %s: invalid ExecCredential: %s",
                       cmd_name(ex), what);
}

/* Copy status.token, the certificate pair and the expiry into @p c. */
static int read_status(const struct kreg__config_exec *ex, const json_t *status,
                       struct cred *c, struct kreg_error *err)
{
    const char *s[4];
    size_t n[4];
    int t = member(status, "token", &s[0], &n[0]);
    int ce = member(status, "clientCertificateData", &s[1], &n[1]);
    int k = member(status, "clientKeyData", &s[2], &n[2]);
    int x = member(status, "expirationTimestamp", &s[3], &n[3]);

    if (t < 0 || ce < 0 || k < 0 || x < 0)
        return cred_error(ex, err, "status member is not a string");
    if (!t && !ce && !k)
        return cred_error(ex, err, "no token or client certificate");
    if (ce != k)
        return cred_error(ex, err,
                          "clientCertificateData and clientKeyData must be "
                          "set together");
    if (t && !kreg__config_util_is_token(s[0], n[0]))
        return cred_error(ex, err, "status.token has control characters");
    if (x && !kreg__config_util_parse_time(s[3], n[3], &c->expiry_ms))
        return cred_error(ex, err,
                          "status.expirationTimestamp is not RFC 3339");
    if (t)
        c->token = kreg__config_util_dup(s[0], n[0]);
    if (ce) {
        c->cert = kreg__config_util_dup(s[1], n[1]);
        c->cert_len = n[1];
        c->key = kreg__config_util_dup(s[2], n[2]);
        c->key_len = n[2];
    }
    if ((t && !c->token) || (ce && (!c->cert || !c->key)))
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    return KREG_OK;
}

static int parse_output(const struct kreg__config_exec *ex, const char *text,
                        size_t len, struct cred *c, struct kreg_error *err)
{
    char what[96];
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *s;
    size_t n;
    int rc;

    if (!root && json_error_code(&jerr) == json_error_out_of_memory)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    if (!root) {
        snprintf(what, sizeof(what), "not JSON (line %d column %d)", jerr.line,
                 jerr.column);
        return cred_error(ex, err, what);
    }
    if (member(root, "kind", &s, &n) != 1 || strcmp(s, "ExecCredential"))
        rc = cred_error(ex, err, "kind is not ExecCredential");
    else if (member(root, "apiVersion", &s, &n) != 1 ||
             strcmp(s, ex->api_version) != 0)
        rc = cred_error(ex, err, "apiVersion differs from the kubeconfig's");
    else if (!json_is_object(json_object_get(root, "status")))
        rc = cred_error(ex, err, "no status");
    else
        rc = read_status(ex, json_object_get(root, "status"), c, err);
    json_decref(root);
    return rc;
}

int kreg__config_exec_refresh(struct kreg__config_exec *ex,
                              const struct kreg__config *cfg,
                              struct kreg_error *err)
{
    struct cred c;
    struct run r;
    int rc;

    /* exec.go: cached until now is after expirationTimestamp. */
    if (ex->cached &&
        (!ex->expiry_ms || kreg__config_util_real_ms() <= ex->expiry_ms))
        return KREG_OK;
    memset(&c, 0, sizeof(c));
    memset(&r, 0, sizeof(r));
    r.fd[0] = -1;
    r.fd[1] = -1;
    kbuf_init(&r.out, KREG__CONFIG_EXEC_OUT_MAX);
    rc = run_plugin(ex, cfg, &r, err);
    if (rc == KREG_OK)
        rc = parse_output(ex, kbuf_str(&r.out), kbuf_len(&r.out), &c, err);
    kbuf_release(&r.out);
    if (rc != KREG_OK) {
        cred_release(&c);
        return rc;
    }
    kreg__config_exec_invalidate(ex);
    ex->token = c.token;
    ex->cert = c.cert;
    ex->cert_len = c.cert_len;
    ex->key = c.key;
    ex->key_len = c.key_len;
    ex->expiry_ms = c.expiry_ms;
    ex->cached = true;
    return KREG_OK;
}
