/*
 * target: the embedded fake or a kubeconfig cluster, and the suite's own
 * API requests (namespaces, gated pods, phases, faults).
 *
 * The suite reuses libkreg's configuration loader and HTTP client
 * (kreg__config_load, kreg__http_request): they are tested on their own,
 * and every answer an implementation gives is still checked against what
 * these plain requests read back.
 */
#include "target.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* docs/kubernetes-api.md, Keeping a pod unscheduled: the gate that keeps the
 * scheduler away. */
#define GATE "kreg.io/hold"
/* The image is never pulled: a gated pod is never scheduled. */
#define IMAGE "registry.k8s.io/pause:3.10"

/* A fresh namespace's ServiceAccount may lag (docs/kubernetes-api.md, Pod
 * create). */
#define SA_WAIT_MS    15000
#define CLEAR_WAIT_MS 30000

struct reply {
    long status;
    json_t *doc; /* decoded body, or NULL */
};

/* One request as @p u; *rep gets the status and decoded body (NULL-safe). */
static int call_as(struct target_user *u, const char *method, const char *path,
                   const char *ctype, const char *body, struct reply *rep,
                   char *msg, size_t msg_size)
{
    struct kreg__response resp = {0};
    struct kreg_error err = {0};
    int rc;

    rc = kreg__http_request(
        u->http, method, path, ctype, body, body ? strlen(body) : 0,
        strcmp(method, "GET") == 0 ? KREG__HTTP_IDEMPOTENT : 0, &resp, &err);
    if (rep) {
        rep->status = resp.status;
        rep->doc = resp.len ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    }
    kreg__response_release(&resp);
    if (rc == KREG_OK)
        return TARGET_OK;
    util_msg(msg, msg_size, "%s %s: %s", method, path,
             err.text[0] ? err.text : kreg_strerror(rc));
    return err.http_status == 404 ? TARGET_E_NOT_FOUND : TARGET_E_FAILED;
}

/* One request as the suite's own user. */
static int call(struct target *t, const char *method, const char *path,
                const char *ctype, const char *body, struct reply *rep,
                char *msg, size_t msg_size)
{
    return call_as(&t->own, method, path, ctype, body, rep, msg, msg_size);
}

static void reply_release(struct reply *rep)
{
    json_decref(rep->doc);
    rep->doc = NULL;
}

/* The path of pod @p name plus @p tail; false (with @p msg) when it does
 * not fit @p size. */
static bool pod_path(const char *ns, const char *name, const char *tail,
                     char *out, size_t size, char *msg, size_t msg_size)
{
    int n =
        snprintf(out, size, "/api/v1/namespaces/%s/pods/%s%s", ns, name, tail);

    if (n >= 0 && (size_t)n < size)
        return true;
    util_msg(msg, msg_size, "pod name too long: %.64s...", name);
    return false;
}

/* Request that only needs to succeed. */
static int call_simple(struct target *t, const char *method, const char *path,
                       const char *ctype, const char *body, char *msg,
                       size_t msg_size)
{
    return call(t, method, path, ctype, body, NULL, msg, msg_size);
}

/* ---- Lifecycle ---------------------------------------------------------*/

/* A loopback port that refuses connections: bound, never listening. */
static int reserve_down_url(struct target *t, int *fd_out)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    char url[64];
    int fd;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        close(fd);
        return -1;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(a.sin_port));
    t->down_url = strdup(url);
    *fd_out = fd;
    return t->down_url ? 0 : -1;
}

/* The CA PEM as a file, for adapters that take a path. */
static int write_ca_file(struct target_user *u)
{
    char path[] = "/tmp/kreg-conf-ca-XXXXXX";
    int fd;
    bool ok;

    if (!u->cfg.ca_pem)
        return 0;
    fd = mkstemp(path);
    if (fd < 0)
        return -1;
    ok = util_write_all(fd, u->cfg.ca_pem, u->cfg.ca_len) == 0;
    close(fd);
    u->ca_file = ok ? strdup(path) : NULL;
    if (!u->ca_file)
        unlink(path);
    return u->ca_file ? 0 : -1;
}

/* Load @p u's configuration (opt->context names it) and its client. */
static int open_user(struct target_user *u, const struct kreg_options *opt,
                     char *msg, size_t msg_size)
{
    struct kreg_error err = {0};

    if (opt->context) {
        u->context = strdup(opt->context);
        if (!u->context) {
            util_msg(msg, msg_size, "target: out of memory");
            return TARGET_E_FAILED;
        }
    }
    if (kreg__config_load(opt, &u->cfg, &err) != KREG_OK ||
        kreg__http_new(&u->cfg, opt, &u->http, &err) != KREG_OK ||
        kreg__config_token(&u->cfg, &u->token, &err) != KREG_OK) {
        util_msg(msg, msg_size, "target: %s%s%s", err.text,
                 opt->context ? ", context " : "",
                 opt->context ? opt->context : "");
        return TARGET_E_FAILED;
    }
    if (write_ca_file(u) != 0) {
        util_msg(msg, msg_size, "target: cannot write the CA file");
        return TARGET_E_FAILED;
    }
    return TARGET_OK;
}

/* fakeapi's HTTP control prefix answers on the standalone binary. */
static void probe_control(struct target *t)
{
    char msg[256];

    t->has_control = t->srv || call_simple(t, "GET", "/fakeapi/v1/state", NULL,
                                           NULL, msg, sizeof(msg)) == TARGET_OK;
}

static int out_of_memory(char *msg, size_t msg_size)
{
    util_msg(msg, msg_size, "target: out of memory");
    return TARGET_E_FAILED;
}

static void close_user(struct target_user *u)
{
    kreg__http_free(u->http);
    kreg__config_release(&u->cfg);
    if (u->ca_file)
        unlink(u->ca_file);
    free(u->ca_file);
    free(u->context);
    free(u->token);
    memset(u, 0, sizeof(*u));
}

/* The --forbidden-context user: the same kubeconfig, another context,
 * which must name the same server (the suite's namespace is there). */
static int open_forbidden(struct target *t, struct kreg_options *opt,
                          const char *context, char *msg, size_t msg_size)
{
    int rc;

    opt->context = context;
    rc = open_user(&t->forbidden, opt, msg, msg_size);
    if (rc != TARGET_OK)
        return rc;
    if (strcmp(t->forbidden.cfg.server, t->own.cfg.server) != 0) {
        util_msg(msg, msg_size,
                 "target: --forbidden-context %s names server %s, not %s",
                 context, t->forbidden.cfg.server, t->own.cfg.server);
        return TARGET_E_FAILED;
    }
    return TARGET_OK;
}

int target_open(struct target *t, const char *kubeconfig, const char *context,
                const char *forbidden_context, char *msg, size_t msg_size)
{
    struct kreg_options opt = {0};
    struct fakeapi_error ferr = {0};
    int rc;

    memset(t, 0, sizeof(*t));
    t->down_fd = -1;
    opt.no_in_cluster = true;
    opt.timeout_ms = 15000;
    opt.connect_timeout_ms = 5000;
    opt.retries = 3;
    opt.retry_base_ms = 20;
    if (!kubeconfig) {
        if (fakeapi_start(NULL, &t->srv, &ferr) != FAKEAPI_OK) {
            util_msg(msg, msg_size, "fakeapi: %s", ferr.text);
            return TARGET_E_FAILED;
        }
        opt.server = fakeapi_url(t->srv);
    } else {
        t->kubeconfig = strdup(kubeconfig);
        if (!t->kubeconfig)
            return out_of_memory(msg, msg_size);
        opt.kubeconfig = kubeconfig;
        opt.context = context;
    }
    rc = open_user(&t->own, &opt, msg, msg_size);
    if (rc == TARGET_OK && kubeconfig && forbidden_context)
        rc = open_forbidden(t, &opt, forbidden_context, msg, msg_size);
    if (rc != TARGET_OK)
        return rc;
    if (reserve_down_url(t, &t->down_fd) != 0)
        return out_of_memory(msg, msg_size);
    probe_control(t);
    return TARGET_OK;
}

void target_close(struct target *t)
{
    close_user(&t->own);
    close_user(&t->forbidden);
    fakeapi_stop(t->srv);
    t->srv = NULL;
    free(t->kubeconfig);
    free(t->down_url);
    if (t->down_fd >= 0)
        close(t->down_fd);
    memset(t, 0, sizeof(*t));
    t->down_fd = -1;
}

void target_describe(const struct target *t, char *out, size_t size)
{
    if (t->srv)
        util_msg(out, size, "embedded fakeapi %s", fakeapi_url(t->srv));
    else
        util_msg(out, size, "kubeconfig %s (context %s, server %s%s%s%s)",
                 t->kubeconfig, t->own.context ? t->own.context : "current",
                 t->own.cfg.server,
                 t->has_control ? ", fakeapi test control" : "",
                 t->forbidden.http ? ", 403 cases as context " : "",
                 t->forbidden.http ? t->forbidden.context : "");
}

/* ---- Namespace ---------------------------------------------------------*/

static uint32_t random_u32(void)
{
    uint32_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
            v = 0;
        close(fd);
    }
    if (v == 0)
        v = (uint32_t)getpid() ^ (uint32_t)time(NULL);
    return v;
}

/* Create namespace @p ns, labelled as the suite's. */
static int ns_create(struct target *t, const char *ns, struct reply *rep,
                     char *msg, size_t msg_size)
{
    char body[256];

    snprintf(body, sizeof(body),
             "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
             "\"metadata\":{\"name\":\"%s\",\"labels\":"
             "{\"kreg.io/conformance\":\"true\"}}}",
             ns);
    return call(t, "POST", "/api/v1/namespaces", "application/json", body, rep,
                msg, msg_size);
}

int target_ns_create(struct target *t, char *msg, size_t msg_size)
{
    struct reply rep = {0};
    int attempt;
    int rc = TARGET_E_FAILED;

    for (attempt = 0; attempt < 3; attempt++) {
        snprintf(t->ns, sizeof(t->ns), "kreg-conf-%08x", random_u32());
        rc = ns_create(t, t->ns, &rep, msg, msg_size);
        reply_release(&rep);
        if (rc == TARGET_OK || rep.status != 409)
            break;
    }
    if (rc != TARGET_OK) {
        t->ns[0] = '\0';
        return rc;
    }
    /* the namespace cases' second one: the first's name and "-b" */
    snprintf(t->ns2, sizeof(t->ns2), "%s-b", t->ns);
    rc = ns_create(t, t->ns2, &rep, msg, msg_size);
    reply_release(&rep);
    if (rc != TARGET_OK)
        t->ns2[0] = '\0';
    return rc;
}

/* Ask for the deletion of @p ns: TARGET_OK, or TARGET_E_NOT_FOUND when it
 * is gone already. */
static int ns_delete(struct target *t, const char *ns, char *msg,
                     size_t msg_size)
{
    char path[128];

    if (!ns[0])
        return TARGET_E_NOT_FOUND;
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s", ns);
    return call_simple(t, "DELETE", path, NULL, NULL, msg, msg_size);
}

/* Whether @p ns is gone (404); TARGET_E_FAILED when it is there. */
static int ns_gone(struct target *t, const char *ns, char *msg, size_t msg_size)
{
    char path[128];
    int rc;

    if (!ns[0])
        return TARGET_OK;
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s", ns);
    rc = call_simple(t, "GET", path, NULL, NULL, msg, msg_size);
    return rc == TARGET_E_NOT_FOUND ? TARGET_OK : TARGET_E_FAILED;
}

int target_ns_delete(struct target *t, int timeout_ms, char *msg,
                     size_t msg_size)
{
    int64_t deadline = util_now_ms() + timeout_ms;
    unsigned pause = 5;
    int rc = ns_delete(t, t->ns, msg, msg_size);
    int rc2 = ns_delete(t, t->ns2, msg, msg_size);

    if (rc != TARGET_OK && rc != TARGET_E_NOT_FOUND)
        return rc;
    if (rc2 != TARGET_OK && rc2 != TARGET_E_NOT_FOUND)
        return rc2;
    /* docs/kubernetes-api.md, Namespaces: deletion is asynchronous; wait for
     * the 404s (both are emptied at once) */
    for (;;) {
        if (ns_gone(t, t->ns, msg, msg_size) == TARGET_OK &&
            ns_gone(t, t->ns2, msg, msg_size) == TARGET_OK)
            return TARGET_OK;
        if (util_now_ms() >= deadline) {
            util_msg(msg, msg_size,
                     "namespace %s or %s still exists after "
                     "%d ms",
                     t->ns, t->ns2, timeout_ms);
            return TARGET_E_FAILED;
        }
        util_pause_ms(pause);
        pause = pause < 200 ? pause * 2 : pause;
    }
}

/* ---- Pods --------------------------------------------------------------*/

/* A gated pod, or one bound to @p node (never scheduled either way). */
static char *pod_body(const char *name, json_t *labels, json_t *annotations,
                      const char *node)
{
    json_t *meta = json_pack("{s:s}", "name", name);
    json_t *spec =
        json_pack("{s:[{s:s, s:s}], s:i}", "containers", "name", "app", "image",
                  IMAGE, "terminationGracePeriodSeconds", 0);
    json_t *pod;
    char *text;

    if (labels)
        json_object_set(meta, "labels", labels);
    if (annotations)
        json_object_set(meta, "annotations", annotations);
    /* nodeName and schedulingGates exclude each other on create */
    if (node)
        json_object_set_new(spec, "nodeName", json_string(node));
    else
        json_object_set_new(spec, "schedulingGates",
                            json_pack("[{s:s}]", "name", GATE));
    pod = json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", "v1", "kind", "Pod",
                    "metadata", meta, "spec", spec);
    if (!pod)
        return NULL;
    text = json_dumps(pod, JSON_COMPACT);
    json_decref(pod);
    return text;
}

int target_pod_create(struct target *t, const char *name, json_t *labels,
                      json_t *annotations, const char *node, char *msg,
                      size_t msg_size)
{
    return target_pod_create_in(t, t->ns, name, labels, annotations, node, msg,
                                msg_size);
}

int target_pod_create_in(struct target *t, const char *ns, const char *name,
                         json_t *labels, json_t *annotations, const char *node,
                         char *msg, size_t msg_size)
{
    char path[128];
    char *body = pod_body(name, labels, annotations, node);
    int64_t deadline = util_now_ms() + SA_WAIT_MS;
    struct reply rep = {0};
    int rc;

    if (!body) {
        util_msg(msg, msg_size, "pod %s: out of memory", name);
        return TARGET_E_FAILED;
    }
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
    for (;;) {
        rc = call(t, "POST", path, "application/json", body, &rep, msg,
                  msg_size);
        reply_release(&rep);
        /* "error looking up service account": a new namespace's default
         * ServiceAccount is not there yet on a real cluster */
        if (rc == TARGET_OK || rep.status != 403 || util_now_ms() >= deadline)
            break;
        util_pause_ms(50);
    }
    free(body);
    return rc;
}

int target_pod_phase(struct target *t, const char *name, const char *phase,
                     char *msg, size_t msg_size)
{
    return target_pod_phase_in(t, t->ns, name, phase, msg, msg_size);
}

int target_pod_phase_in(struct target *t, const char *ns, const char *name,
                        const char *phase, char *msg, size_t msg_size)
{
    char path[192];
    char body[128];

    if (!pod_path(ns, name, "/status", path, sizeof(path), msg, msg_size))
        return TARGET_E_FAILED;
    snprintf(body, sizeof(body), "{\"status\":{\"phase\":\"%s\"}}", phase);
    /* docs/kubernetes-api.md, Keeping a pod unscheduled: a merge patch leaves
     * the conditions list alone */
    return call_simple(t, "PATCH", path, "application/merge-patch+json", body,
                       msg, msg_size);
}

int target_pod_ready(struct target *t, const char *name, const char *status,
                     char *msg, size_t msg_size)
{
    char path[192];
    char body[160];

    if (!pod_path(t->ns, name, "/status", path, sizeof(path), msg, msg_size))
        return TARGET_E_FAILED;
    snprintf(body, sizeof(body),
             "{\"status\":{\"conditions\":[{\"type\":\"Ready\","
             "\"status\":\"%s\"}]}}",
             status);
    /* a strategic merge patch merges the conditions by type */
    return call_simple(t, "PATCH", path,
                       "application/strategic-merge-patch+json", body, msg,
                       msg_size);
}

int target_pod_get(struct target *t, const char *name, json_t **pod, char *msg,
                   size_t msg_size)
{
    return target_pod_get_in(t, t->ns, name, pod, msg, msg_size);
}

int target_pod_get_in(struct target *t, const char *ns, const char *name,
                      json_t **pod, char *msg, size_t msg_size)
{
    char path[192];
    struct reply rep = {0};
    int rc;

    *pod = NULL;
    if (!pod_path(ns, name, "", path, sizeof(path), msg, msg_size))
        return TARGET_E_FAILED;
    rc = call(t, "GET", path, NULL, NULL, &rep, msg, msg_size);
    if (rc == TARGET_OK && !json_is_object(rep.doc)) {
        util_msg(msg, msg_size, "GET %s: the answer is not a pod", path);
        rc = TARGET_E_FAILED;
    }
    if (rc == TARGET_OK) {
        *pod = rep.doc;
        rep.doc = NULL;
    }
    reply_release(&rep);
    return rc;
}

int target_pod_patch(struct target *t, const char *name, const char *patch,
                     char *msg, size_t msg_size)
{
    char path[192];

    if (!pod_path(t->ns, name, "", path, sizeof(path), msg, msg_size))
        return TARGET_E_FAILED;
    return call_simple(t, "PATCH", path, "application/merge-patch+json", patch,
                       msg, msg_size);
}

int target_pod_delete(struct target *t, const char *name, int grace_s,
                      char *msg, size_t msg_size)
{
    char path[256];
    char tail[48];

    snprintf(tail, sizeof(tail), "?gracePeriodSeconds=%d", grace_s);
    if (!pod_path(t->ns, name, tail, path, sizeof(path), msg, msg_size))
        return TARGET_E_FAILED;
    return call_simple(t, "DELETE", path, NULL, NULL, msg, msg_size);
}

/* Number of pods listed in @p ns, or -1. */
static long count_pods(struct target *t, const char *ns, char *msg,
                       size_t msg_size)
{
    char path[128];
    struct reply rep = {0};
    long n = -1;

    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
    if (call(t, "GET", path, NULL, NULL, &rep, msg, msg_size) == TARGET_OK &&
        json_is_array(json_object_get(rep.doc, "items")))
        n = (long)json_array_size(json_object_get(rep.doc, "items"));
    reply_release(&rep);
    return n;
}

int target_pods_clear(struct target *t, char *msg, size_t msg_size)
{
    return target_pods_clear_in(t, t->ns, msg, msg_size);
}

int target_pods_clear_in(struct target *t, const char *ns, char *msg,
                         size_t msg_size)
{
    char path[160];
    int64_t deadline = util_now_ms() + CLEAR_WAIT_MS;
    unsigned pause = 2;
    long n;
    int rc;

    snprintf(path, sizeof(path),
             "/api/v1/namespaces/%s/pods?gracePeriodSeconds=0", ns);
    rc = call_simple(t, "DELETE", path, NULL, NULL, msg, msg_size);
    if (rc != TARGET_OK)
        return rc;
    for (;;) {
        n = count_pods(t, ns, msg, msg_size);
        if (n == 0)
            return TARGET_OK;
        if (n < 0)
            return TARGET_E_FAILED;
        if (util_now_ms() >= deadline) {
            util_msg(msg, msg_size, "%ld pods left in %s", n, ns);
            return TARGET_E_FAILED;
        }
        util_pause_ms(pause);
        pause = pause < 200 ? pause * 2 : pause;
    }
}

/* ---- Faults ------------------------------------------------------------*/

bool target_has_forbidden(const struct target *t)
{
    return t->forbidden.http != NULL;
}

int target_forbidden_check(struct target *t, const char *method,
                           const char *path, const char *body, char *msg,
                           size_t msg_size)
{
    struct reply rep = {0};
    int rc;

    rc = call_as(&t->forbidden, method, path,
                 body ? "application/merge-patch+json" : NULL, body, &rep, msg,
                 msg_size);
    reply_release(&rep);
    if (rep.status == 403)
        return TARGET_OK;
    if (rc == TARGET_OK)
        util_msg(msg, msg_size, "HTTP %ld", rep.status);
    return TARGET_E_FAILED;
}

int target_fault(struct target *t, const char *method, const char *path,
                 int status, unsigned count, char *msg, size_t msg_size)
{
    struct fakeapi_fault f = {0};
    struct fakeapi_error ferr = {0};
    json_t *o;
    char *body;
    int rc;

    if (t->srv) {
        f.kind = FAKEAPI_FAULT_STATUS;
        f.method = method;
        f.path = path;
        f.count = count;
        f.status = status;
        if (fakeapi_fault_add(t->srv, &f, &ferr) == FAKEAPI_OK)
            return TARGET_OK;
        util_msg(msg, msg_size, "fault: %s", ferr.text);
        return TARGET_E_FAILED;
    }
    if (!t->has_control)
        return TARGET_E_UNSUPPORTED;
    o = json_pack("{s:s, s:s, s:s, s:I, s:i}", "kind", "status", "method",
                  method, "path", path, "count", (json_int_t)count, "status",
                  status);
    body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    rc = body ? call_simple(t, "POST", "/fakeapi/v1/faults", "application/json",
                            body, msg, msg_size)
              : TARGET_E_FAILED;
    free(body);
    return rc;
}

void target_faults_clear(struct target *t)
{
    char msg[256];

    if (t->srv)
        fakeapi_faults_clear(t->srv);
    else if (t->has_control &&
             call_simple(t, "DELETE", "/fakeapi/v1/faults", NULL, NULL, msg,
                         sizeof(msg)) != TARGET_OK)
        util_log("warning: %s", msg);
}

void target_close_watches(struct target *t)
{
    char msg[256];

    if (t->srv)
        fakeapi_close_watches(t->srv);
    else if (t->has_control &&
             call_simple(t, "POST", "/fakeapi/v1/close-watches",
                         "application/json", "{}", msg,
                         sizeof(msg)) != TARGET_OK)
        util_log("warning: %s", msg);
}

/* ---- Implementation targets --------------------------------------------*/

/* The implementation acts as @p u of @p t. */
static void impl_as(const struct target *t, const struct target_user *u,
                    const char *pod, struct impl_target *out)
{
    memset(out, 0, sizeof(*out));
    out->server = u->cfg.server;
    out->namespace_ = t->ns;
    out->pod = pod;
    out->token = u->token;
    out->ca_file = u->ca_file;
    out->insecure = u->cfg.insecure;
    out->kubeconfig = t->kubeconfig;
    out->context = u->context;
}

void target_impl(const struct target *t, const char *pod,
                 struct impl_target *out)
{
    impl_as(t, &t->own, pod, out);
}

void target_impl_forbidden(const struct target *t, const char *pod,
                           struct impl_target *out)
{
    impl_as(t, t->forbidden.http ? &t->forbidden : &t->own, pod, out);
}

void target_impl_down(const struct target *t, const char *pod,
                      struct impl_target *out)
{
    memset(out, 0, sizeof(*out));
    out->server = t->down_url;
    out->namespace_ = t->ns;
    out->pod = pod;
}
