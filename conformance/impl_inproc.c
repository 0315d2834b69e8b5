/*
 * impl_inproc: libkreg linked into the suite, as the implementation under
 * test. One kreg handle per distinct target (server, namespace, pod,
 * credentials), created on first use and kept for the run, so requests
 * reuse connections as a long-lived service's would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl.h"
#include "kbuf.h"
#include "kreg.h"
#include "util.h"

/* Per-request limits: bounded, and short back-off so that an unreachable
 * server fails fast (the suite's "API down" case). */
#define INPROC_CONNECT_MS 3000
#define INPROC_TIMEOUT_MS 15000
#define INPROC_RETRIES    2
#define INPROC_BACKOFF_MS 2

struct handle {
    char *key;
    kreg *r;
};

struct inproc {
    struct impl base; /* first: the cases see a struct impl */
    struct handle *handles;
    size_t nhandles;
    kreg_watch **watches; /* id = index + 1; stopped ones stay until free */
    size_t nwatches;
};

static void set_msg(char *msg, size_t size, int rc,
                    const struct kreg_error *err)
{
    util_msg(msg, size, "%s%s%s", kreg_strerror(rc), err->text[0] ? ": " : "",
             err->text);
}

/* A key naming every field of @p t (NULL differs from ""). */
static char *target_key(const struct impl_target *t)
{
    const char *f[] = {t->server,  t->namespace_, t->pod,    t->token,
                       t->ca_file, t->kubeconfig, t->context};
    struct kbuf b;
    size_t i;

    kbuf_init(&b, 1u << 16);
    for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        if (kbuf_adds(&b, f[i] ? f[i] : "\x1e") != KBUF_OK ||
            kbuf_addc(&b, '\x1f') != KBUF_OK)
            return NULL;
    if (kbuf_addc(&b, t->insecure ? '1' : '0') != KBUF_OK)
        return NULL;
    return kbuf_detach(&b, NULL);
}

static int new_handle(const struct impl_target *t, kreg **r, char *msg,
                      size_t msg_size)
{
    struct kreg_options opt = {0};
    struct kreg_error err = {0};
    int rc;

    /* kreg.h: server overrides all config, so a kubeconfig goes alone */
    if (t->kubeconfig) {
        opt.kubeconfig = t->kubeconfig;
        opt.context = t->context;
    } else {
        opt.server = t->server;
        opt.token = t->token;
        opt.ca_file = t->ca_file;
        opt.insecure = t->insecure;
    }
    opt.namespace_ = t->namespace_;
    opt.pod_name = t->pod;
    opt.no_in_cluster = true;
    opt.connect_timeout_ms = INPROC_CONNECT_MS;
    opt.timeout_ms = INPROC_TIMEOUT_MS;
    opt.retries = INPROC_RETRIES;
    opt.retry_base_ms = INPROC_BACKOFF_MS;
    rc = kreg_new(&opt, r, &err);
    if (rc != KREG_OK)
        set_msg(msg, msg_size, rc, &err);
    return rc;
}

/* The cached handle for @p t, or NULL with @p msg filled. */
static kreg *handle_for(struct inproc *ip, const struct impl_target *t,
                        char *msg, size_t msg_size)
{
    struct handle *grown;
    char *key = target_key(t);
    kreg *r = NULL;
    size_t i;

    if (!key) {
        util_msg(msg, msg_size, "out of memory");
        return NULL;
    }
    for (i = 0; i < ip->nhandles; i++)
        if (strcmp(ip->handles[i].key, key) == 0) {
            r = ip->handles[i].r;
            goto out;
        }
    grown = realloc(ip->handles, (ip->nhandles + 1) * sizeof(*grown));
    if (!grown) {
        util_msg(msg, msg_size, "out of memory");
        goto out;
    }
    ip->handles = grown;
    if (new_handle(t, &r, msg, msg_size) != KREG_OK)
        goto out;
    ip->handles[ip->nhandles].key = key;
    ip->handles[ip->nhandles].r = r;
    ip->nhandles++;
    key = NULL;
out:
    free(key);
    return r;
}

static int impl_rc(int rc)
{
    return rc == KREG_OK ? IMPL_OK : IMPL_ERROR;
}

/* Register (@p reg) or deregister a service given as JSON text. */
static int patch_op(struct impl *im, const struct impl_target *t,
                    const char *json, bool reg, char *msg, size_t msg_size)
{
    struct kreg_error err = {0};
    struct kreg_service *s = NULL;
    kreg *r = handle_for((struct inproc *)im, t, msg, msg_size);
    int rc;

    if (!r)
        return IMPL_ERROR;
    rc = kreg_service_decode(json, strlen(json), &s, &err);
    if (rc == KREG_OK)
        rc = reg ? kreg_register(r, s, &err) : kreg_deregister(r, s, &err);
    if (rc != KREG_OK)
        set_msg(msg, msg_size, rc, &err);
    kreg_service_free(s);
    return impl_rc(rc);
}

static int op_reg(struct impl *im, const struct impl_target *t,
                  const char *service_json, char *msg, size_t msg_size)
{
    return patch_op(im, t, service_json, true, msg, msg_size);
}

static int op_dereg(struct impl *im, const struct impl_target *t,
                    const char *service_json, char *msg, size_t msg_size)
{
    return patch_op(im, t, service_json, false, msg, msg_size);
}

/* The list as a JSON array of Go-encoded services (new string). */
static char *list_json(const struct kreg_service_list *l, char *msg,
                       size_t msg_size)
{
    struct kreg_error err = {0};
    struct kbuf b;
    char *one;
    size_t i;
    int rc = KBUF_OK;

    kbuf_init(&b, 1u << 28);
    rc = kbuf_addc(&b, '[');
    for (i = 0; i < l->count && rc == KBUF_OK; i++) {
        if (kreg_service_encode(l->items[i], KREG_WIRE_V2, &one, NULL, &err) !=
            KREG_OK) {
            util_msg(msg, msg_size, "encode: %s", err.text);
            kbuf_release(&b);
            return NULL;
        }
        rc = i ? kbuf_addc(&b, ',') : KBUF_OK;
        if (rc == KBUF_OK)
            rc = kbuf_adds(&b, one);
        free(one);
    }
    if (rc == KBUF_OK)
        rc = kbuf_addc(&b, ']');
    if (rc != KBUF_OK) {
        util_msg(msg, msg_size, "out of memory");
        return NULL;
    }
    return kbuf_detach(&b, NULL);
}

/* The libkreg query of @p q (NULL: none). */
static struct kreg_query query_of(const struct impl_query *q)
{
    struct kreg_query kq;

    memset(&kq, 0, sizeof(kq));
    if (q) {
        kq.ready_only = q->ready_only;
        kq.namespaces = q->namespaces;
        kq.n_namespaces = q->n_namespaces;
        kq.all_namespaces = q->all_namespaces;
    }
    return kq;
}

static int op_get(struct impl *im, const struct impl_target *t,
                  const char *name, const struct impl_query *q, char **out,
                  char *msg, size_t msg_size)
{
    struct kreg_error err = {0};
    struct kreg_service_list *l = NULL;
    struct kreg_query kq = query_of(q);
    kreg *r = handle_for((struct inproc *)im, t, msg, msg_size);
    int rc;

    *out = NULL;
    if (!r)
        return IMPL_ERROR;
    rc = kreg_get_service_q(r, name, &kq, KREG_QUERY_SIZE, &l, &err);
    if (rc != KREG_OK) {
        set_msg(msg, msg_size, rc, &err);
        return rc == KREG_E_NOT_FOUND ? IMPL_NOT_FOUND : IMPL_ERROR;
    }
    *out = list_json(l, msg, msg_size);
    kreg_service_list_free(l);
    return *out ? IMPL_OK : IMPL_ERROR;
}

static int op_list(struct impl *im, const struct impl_target *t,
                   const struct impl_query *q, char **out, char *msg,
                   size_t msg_size)
{
    struct kreg_error err = {0};
    struct kreg_service_list *l = NULL;
    struct kreg_query kq = query_of(q);
    kreg *r = handle_for((struct inproc *)im, t, msg, msg_size);
    int rc;

    *out = NULL;
    if (!r)
        return IMPL_ERROR;
    rc = kreg_list_services_q(r, &kq, KREG_QUERY_SIZE, &l, &err);
    if (rc != KREG_OK) {
        set_msg(msg, msg_size, rc, &err);
        return IMPL_ERROR;
    }
    *out = list_json(l, msg, msg_size);
    kreg_service_list_free(l);
    return *out ? IMPL_OK : IMPL_ERROR;
}

static int op_watch(struct impl *im, const struct impl_target *t,
                    const char *name, const struct impl_query *q, int *id,
                    char *msg, size_t msg_size)
{
    struct inproc *ip = (struct inproc *)im;
    struct kreg_query kq = query_of(q);
    struct kreg_error err = {0};
    kreg_watch **grown;
    kreg_watch *w = NULL;
    kreg *r = handle_for(ip, t, msg, msg_size);
    int rc;

    *id = 0;
    if (!r)
        return IMPL_ERROR;
    grown = realloc(ip->watches, (ip->nwatches + 1) * sizeof(*grown));
    if (!grown) {
        util_msg(msg, msg_size, "out of memory");
        return IMPL_ERROR;
    }
    ip->watches = grown;
    rc = kreg_watch_new_q(r, name, &kq, KREG_QUERY_SIZE, &w, &err);
    if (rc != KREG_OK) {
        set_msg(msg, msg_size, rc, &err);
        return IMPL_ERROR;
    }
    ip->watches[ip->nwatches++] = w;
    *id = (int)ip->nwatches;
    return IMPL_OK;
}

static const char *action_name(enum kreg_action a)
{
    switch (a) {
    case KREG_ACTION_CREATE:
        return "create";
    case KREG_ACTION_UPDATE:
        return "update";
    case KREG_ACTION_DELETE:
        return "delete";
    }
    return "unknown";
}

static int op_watch_next(struct impl *im, int id, int timeout_ms,
                         struct impl_event *ev, char *msg, size_t msg_size)
{
    struct inproc *ip = (struct inproc *)im;
    struct kreg_error err = {0};
    struct kreg_result *res = NULL;
    int rc;

    memset(ev, 0, sizeof(*ev));
    if (id < 1 || (size_t)id > ip->nwatches) {
        util_msg(msg, msg_size, "no watch %d", id);
        return IMPL_ERROR;
    }
    rc = kreg_watch_next(ip->watches[id - 1], timeout_ms, &res, &err);
    if (rc == KREG_E_TIMEOUT)
        return IMPL_NOT_FOUND;
    if (rc == KREG_OK)
        rc = kreg_service_encode(res->service, KREG_WIRE_V2, &ev->service_json,
                                 NULL, &err);
    if (rc != KREG_OK) {
        set_msg(msg, msg_size, rc, &err);
        kreg_result_free(res);
        return IMPL_ERROR;
    }
    snprintf(ev->action, sizeof(ev->action), "%s", action_name(res->action));
    kreg_result_free(res);
    return IMPL_OK;
}

/* Stopping is immediate; freeing (joining the thread) waits for free(). */
static void op_watch_stop(struct impl *im, int id)
{
    struct inproc *ip = (struct inproc *)im;

    if (id >= 1 && (size_t)id <= ip->nwatches)
        kreg_watch_stop(ip->watches[id - 1]);
}

/* libkreg has every optional feature. */
static int op_features(struct impl *im, unsigned *out, char *msg,
                       size_t msg_size)
{
    (void)im;
    (void)msg;
    (void)msg_size;
    *out = IMPL_FEATURE_READY_ONLY | IMPL_FEATURE_NAMESPACES;
    return IMPL_OK;
}

static void op_free(struct impl *im)
{
    struct inproc *ip = (struct inproc *)im;
    size_t i;

    if (!ip)
        return;
    for (i = 0; i < ip->nwatches; i++)
        kreg_watch_free(ip->watches[i]);
    for (i = 0; i < ip->nhandles; i++) {
        kreg_free(ip->handles[i].r);
        free(ip->handles[i].key);
    }
    free(ip->watches);
    free(ip->handles);
    free(ip);
}

static const struct impl_ops inproc_ops = {
    .reg = op_reg,
    .dereg = op_dereg,
    .get = op_get,
    .list = op_list,
    .watch = op_watch,
    .watch_next = op_watch_next,
    .watch_stop = op_watch_stop,
    .features = op_features,
    .free = op_free,
    .kill_now = NULL,
    .log = NULL,
};

struct impl *impl_inproc_new(void)
{
    struct inproc *ip = calloc(1, sizeof(*ip));

    if (!ip)
        return NULL;
    ip->base.ops = &inproc_ops;
    ip->base.name = "libkreg (in-process)";
    return &ip->base;
}

void impl_event_release(struct impl_event *ev)
{
    if (!ev)
        return;
    free(ev->service_json);
    ev->service_json = NULL;
}
