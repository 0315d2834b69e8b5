/*
 * impl_adapter: an implementation in any language, behind the adapter
 * protocol (conformance/PROTOCOL.md): JSON lines on a child's stdin and
 * stdout, one answer per request, in order, within a timeout.
 *
 * A request that is not answered in time, an answer that is not a JSON
 * object with the request's id, or an adapter that exits makes that call
 * IMPL_BROKEN: the adapter is killed (with its process group) and started
 * again on the next request, so the suite goes on with the next case.
 * Watch handles do not survive a restart.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "impl.h"
#include "proc.h"
#include "util.h"

/* How long shutdown may take before the adapter is killed. */
#define SHUTDOWN_MS 1000

struct awatch {
    unsigned gen;      /* adapter generation that made it */
    json_int_t handle; /* the adapter's handle */
};

struct adapter {
    struct impl base; /* first: the cases see a struct impl */
    char *command;
    int timeout_ms;
    struct proc proc;
    atomic_int pgid; /* for kill_now() from the signal thread */
    json_int_t next_id;
    unsigned gen;      /* bumped at every start */
    unsigned features; /* IMPL_FEATURE_* its hello announced */
    struct awatch *watches;
    size_t nwatches;
    char name[512];
};

/* Drop trailing whitespace (a log's last newline). */
static void trim(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

/* Kill the adapter after a protocol failure; @p msg gets why and its
 * last stderr lines. */
static int broken(struct adapter *ad, const char *why, char *msg,
                  size_t msg_size)
{
    char status[64];
    char log[PROC_LOG_MAX + 1];

    proc_stop(&ad->proc, 0, status, sizeof(status));
    atomic_store(&ad->pgid, 0);
    proc_log_take(&ad->proc, log, sizeof(log));
    trim(log);
    util_msg(msg, msg_size,
             "adapter broken: %s (%s, restarted for the next "
             "request)%s%s",
             why, status, log[0] ? "; its stderr: " : "", log);
    return IMPL_BROKEN;
}

/* The request line: @p members plus id and op, and @p service spliced in
 * as raw JSON text (so its bytes reach the adapter as the case wrote
 * them). New string ending in '\n', or NULL. */
static char *request_line(json_int_t id, const char *op, json_t *members,
                          const char *service)
{
    json_t *o = json_pack("{s:I, s:s}", "id", id, "op", op);
    struct kbuf b;
    char *text;
    int rc;

    if (!o || (members && json_object_update(o, members) != 0)) {
        json_decref(o);
        return NULL;
    }
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return NULL;
    kbuf_init(&b, PROC_LINE_MAX);
    rc = kbuf_add(&b, text, strlen(text) - 1); /* without the '}' */
    if (rc == KBUF_OK && service)
        rc = kbuf_addf(&b, ",\"service\":%s", service);
    if (rc == KBUF_OK)
        rc = kbuf_adds(&b, "}\n");
    free(text);
    return rc == KBUF_OK ? kbuf_detach(&b, NULL) : NULL;
}

/* Check the answer line; on success *answer is the object (new). */
static int parse_answer(struct adapter *ad, json_int_t id, const char *line,
                        size_t len, json_t **answer, char *msg, size_t msg_size)
{
    json_t *a = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
    json_t *ok = json_object_get(a, "ok");
    char why[160];

    if (!json_is_object(a) || !json_is_integer(json_object_get(a, "id")) ||
        !json_is_boolean(ok)) {
        util_msg(why, sizeof(why),
                 "answered something that is not a JSON object with id and "
                 "ok: \"%.80s\"",
                 line);
        util_sanitize(why);
        json_decref(a);
        return broken(ad, why, msg, msg_size);
    }
    if (json_integer_value(json_object_get(a, "id")) != id) {
        util_msg(why, sizeof(why), "answered id %lld to request %lld",
                 (long long)json_integer_value(json_object_get(a, "id")),
                 (long long)id);
        json_decref(a);
        return broken(ad, why, msg, msg_size);
    }
    *answer = a;
    return IMPL_OK;
}

/* One exchange on a running adapter. */
static int exchange(struct adapter *ad, const char *op, json_t *members,
                    const char *service, int extra_ms, json_t **answer,
                    char *msg, size_t msg_size)
{
    int64_t deadline = util_now_ms() + ad->timeout_ms + extra_ms;
    json_int_t id = ++ad->next_id;
    char *req = request_line(id, op, members, service);
    char why[256];
    char *line = NULL;
    size_t len = 0;
    int rc;

    if (!req) {
        util_msg(msg, msg_size, "%s: out of memory", op);
        return IMPL_ERROR;
    }
    rc = proc_write(&ad->proc, req, strlen(req), deadline, why, sizeof(why));
    free(req);
    if (rc == PROC_OK)
        rc = proc_read_line(&ad->proc, deadline, &line, &len, why, sizeof(why));
    if (rc == PROC_E_TIMEOUT)
        util_msg(why, sizeof(why), "no answer to %s within %d ms", op,
                 ad->timeout_ms + extra_ms);
    else if (rc == PROC_E_EOF)
        util_msg(why, sizeof(why), "it exited before answering %s", op);
    if (rc != PROC_OK)
        return broken(ad, why, msg, msg_size);
    rc = parse_answer(ad, id, line, len, answer, msg, msg_size);
    free(line);
    return rc;
}

/* The IMPL_FEATURE_* bits of hello's "features" (PROTOCOL.md): names it
 * does not know, and anything but an array of strings, count as none. */
static unsigned hello_features(const json_t *names)
{
    unsigned bits = 0;
    json_t *v;
    size_t i;

    json_array_foreach(names, i, v)
    {
        const char *n = json_string_value(v);

        if (n && strcmp(n, "readyOnly") == 0)
            bits |= IMPL_FEATURE_READY_ONLY;
        else if (n && strcmp(n, "namespaces") == 0)
            bits |= IMPL_FEATURE_NAMESPACES;
    }
    return bits;
}

/* Start the adapter and greet it, unless it runs. */
static int ensure_running(struct adapter *ad, char *msg, size_t msg_size)
{
    json_t *a = NULL;
    const char *hello;
    int rc;

    if (ad->proc.pid > 0)
        return IMPL_OK;
    if (proc_start(&ad->proc, ad->command, msg, msg_size) != PROC_OK)
        return IMPL_BROKEN;
    atomic_store(&ad->pgid, (int)ad->proc.pid);
    ad->gen++;
    rc = exchange(ad, "hello", NULL, NULL, 0, &a, msg, msg_size);
    if (rc != IMPL_OK)
        return rc;
    hello = json_string_value(json_object_get(a, "name"));
    util_msg(ad->name, sizeof(ad->name), "adapter: %s (%s)", ad->command,
             hello ? hello : "no name");
    ad->features = hello_features(json_object_get(a, "features"));
    json_decref(a);
    return IMPL_OK;
}

/* A request: IMPL_OK with *answer (new), or the error class.
 * @p members (may be NULL) is consumed. */
static int request(struct adapter *ad, const char *op, json_t *members,
                   const char *service, int extra_ms, json_t **answer,
                   char *msg, size_t msg_size)
{
    json_t *a = NULL;
    json_t *e;
    const char *code;
    const char *text;
    int rc;

    *answer = NULL;
    rc = ensure_running(ad, msg, msg_size);
    if (rc == IMPL_OK)
        rc = exchange(ad, op, members, service, extra_ms, &a, msg, msg_size);
    json_decref(members);
    if (rc != IMPL_OK)
        return rc;
    if (json_is_true(json_object_get(a, "ok"))) {
        *answer = a;
        return IMPL_OK;
    }
    e = json_object_get(a, "error");
    code = json_string_value(json_object_get(e, "code"));
    text = json_string_value(json_object_get(e, "message"));
    util_msg(msg, msg_size, "%s: %s", code ? code : "error",
             text ? text : "(no message)");
    util_sanitize(msg);
    rc = code && strcmp(code, "not_found") == 0 ? IMPL_NOT_FOUND : IMPL_ERROR;
    json_decref(a);
    return rc;
}

/* The target object of PROTOCOL.md (NULL members as null). */
static json_t *target_json(const struct impl_target *t)
{
    return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:b}",
                     "server", t->server, "namespace", t->namespace_, "pod",
                     t->pod, "token", t->token, "caFile", t->ca_file,
                     "kubeconfig", t->kubeconfig, "context", t->context,
                     "insecure", t->insecure);
}

static json_t *with_target(const struct impl_target *t)
{
    json_t *tj = target_json(t);

    return tj ? json_pack("{s:o}", "target", tj) : NULL;
}

/* @p m with the members of @p q (PROTOCOL.md, "Optional features"): only
 * those set, so that a request without options is as before. */
static json_t *with_query(json_t *m, const struct impl_query *q)
{
    json_t *ns;
    size_t i;

    if (!m || !q)
        return m;
    if (q->ready_only)
        json_object_set_new(m, "readyOnly", json_true());
    if (q->all_namespaces)
        json_object_set_new(m, "allNamespaces", json_true());
    if (q->n_namespaces > 0) {
        ns = json_array();
        for (i = 0; ns && i < q->n_namespaces; i++)
            json_array_append_new(ns, json_string(q->namespaces[i]));
        json_object_set_new(m, "namespaces", ns ? ns : json_null());
    }
    return m;
}

static int op_service(struct impl *im, const struct impl_target *t,
                      const char *op, const char *json, char *msg,
                      size_t msg_size)
{
    struct adapter *ad = (struct adapter *)im;
    json_t *a = NULL;
    json_t *m = with_target(t);
    json_t *checked;
    int rc;

    /* raw newlines would break the framing: send it re-encoded then */
    if (strchr(json, '\n')) {
        checked = json_loads(json, JSON_DECODE_ANY, NULL);
        json_object_set_new(m, "service", checked ? checked : json_null());
        json = NULL;
    }
    rc = request(ad, op, m, json, 0, &a, msg, msg_size);
    json_decref(a);
    return rc;
}

static int op_reg(struct impl *im, const struct impl_target *t,
                  const char *service_json, char *msg, size_t msg_size)
{
    return op_service(im, t, "register", service_json, msg, msg_size);
}

static int op_dereg(struct impl *im, const struct impl_target *t,
                    const char *service_json, char *msg, size_t msg_size)
{
    return op_service(im, t, "deregister", service_json, msg, msg_size);
}

/* "services" of an answer as text into *out. */
static int services_text(struct adapter *ad, json_t *a, char **out, char *msg,
                         size_t msg_size)
{
    json_t *s = json_object_get(a, "services");

    if (!json_is_array(s))
        return broken(ad, "answered without a \"services\" array", msg,
                      msg_size);
    *out = json_dumps(s, JSON_COMPACT);
    if (!*out) {
        util_msg(msg, msg_size, "out of memory");
        return IMPL_ERROR;
    }
    return IMPL_OK;
}

static int op_get(struct impl *im, const struct impl_target *t,
                  const char *name, const struct impl_query *q, char **out,
                  char *msg, size_t msg_size)
{
    struct adapter *ad = (struct adapter *)im;
    json_t *m = with_query(with_target(t), q);
    json_t *a = NULL;
    int rc;

    *out = NULL;
    json_object_set_new(m, "name", json_string(name));
    rc = request(ad, "get", m, NULL, 0, &a, msg, msg_size);
    if (rc == IMPL_OK)
        rc = services_text(ad, a, out, msg, msg_size);
    json_decref(a);
    return rc;
}

static int op_list(struct impl *im, const struct impl_target *t,
                   const struct impl_query *q, char **out, char *msg,
                   size_t msg_size)
{
    struct adapter *ad = (struct adapter *)im;
    json_t *a = NULL;
    int rc;

    *out = NULL;
    rc = request(ad, "list", with_query(with_target(t), q), NULL, 0, &a, msg,
                 msg_size);
    if (rc == IMPL_OK)
        rc = services_text(ad, a, out, msg, msg_size);
    json_decref(a);
    return rc;
}

static int op_watch(struct impl *im, const struct impl_target *t,
                    const char *name, const struct impl_query *q, int *id,
                    char *msg, size_t msg_size)
{
    struct adapter *ad = (struct adapter *)im;
    json_t *m = with_query(with_target(t), q);
    json_t *a = NULL;
    json_t *h;
    struct awatch *grown;
    int rc;

    *id = 0;
    json_object_set_new(m, "name", name ? json_string(name) : json_null());
    rc = request(ad, "watch", m, NULL, 0, &a, msg, msg_size);
    if (rc != IMPL_OK)
        return rc;
    h = json_object_get(a, "watch");
    if (!json_is_integer(h)) {
        json_decref(a);
        return broken(ad, "answered a watch without a \"watch\" handle", msg,
                      msg_size);
    }
    grown = realloc(ad->watches, (ad->nwatches + 1) * sizeof(*grown));
    if (!grown) {
        json_decref(a);
        util_msg(msg, msg_size, "out of memory");
        return IMPL_ERROR;
    }
    ad->watches = grown;
    ad->watches[ad->nwatches].gen = ad->gen;
    ad->watches[ad->nwatches].handle = json_integer_value(h);
    *id = (int)++ad->nwatches;
    json_decref(a);
    return IMPL_OK;
}

/* The event of a watch_next answer into @p ev. */
static int take_event(struct adapter *ad, json_t *a, struct impl_event *ev,
                      char *msg, size_t msg_size)
{
    json_t *e = json_object_get(a, "event");
    const char *action = json_string_value(json_object_get(e, "action"));
    json_t *svc = json_object_get(e, "service");

    if (json_is_null(e))
        return IMPL_NOT_FOUND;
    if (!action || !json_is_object(svc))
        return broken(ad, "answered an event without action and service", msg,
                      msg_size);
    util_msg(ev->action, sizeof(ev->action), "%s", action);
    ev->service_json = json_dumps(svc, JSON_COMPACT);
    if (!ev->service_json) {
        util_msg(msg, msg_size, "out of memory");
        return IMPL_ERROR;
    }
    return IMPL_OK;
}

static int op_watch_next(struct impl *im, int id, int timeout_ms,
                         struct impl_event *ev, char *msg, size_t msg_size)
{
    struct adapter *ad = (struct adapter *)im;
    const struct awatch *w;
    json_t *a = NULL;
    json_t *m;
    int rc;

    memset(ev, 0, sizeof(*ev));
    if (id < 1 || (size_t)id > ad->nwatches) {
        util_msg(msg, msg_size, "no watch %d", id);
        return IMPL_ERROR;
    }
    w = &ad->watches[id - 1];
    if (w->gen != ad->gen || ad->proc.pid <= 0) {
        util_msg(msg, msg_size, "the adapter was restarted: watch lost");
        return IMPL_BROKEN;
    }
    m = json_pack("{s:I, s:i}", "watch", w->handle, "timeoutMs", timeout_ms);
    rc = request(ad, "watch_next", m, NULL, timeout_ms, &a, msg, msg_size);
    if (rc == IMPL_OK)
        rc = take_event(ad, a, ev, msg, msg_size);
    json_decref(a);
    return rc;
}

static void op_watch_stop(struct impl *im, int id)
{
    struct adapter *ad = (struct adapter *)im;
    const struct awatch *w;
    char msg[256];
    json_t *a = NULL;

    if (id < 1 || (size_t)id > ad->nwatches)
        return;
    w = &ad->watches[id - 1];
    if (w->gen != ad->gen || ad->proc.pid <= 0)
        return;
    if (request(ad, "watch_stop", json_pack("{s:I}", "watch", w->handle), NULL,
                0, &a, msg, sizeof(msg)) != IMPL_OK)
        util_log("watch_stop: %s", msg);
    json_decref(a);
}

/* What the adapter's hello announced (it is started for it). */
static int op_features(struct impl *im, unsigned *out, char *msg,
                       size_t msg_size)
{
    struct adapter *ad = (struct adapter *)im;
    int rc = ensure_running(ad, msg, msg_size);

    *out = rc == IMPL_OK ? ad->features : 0;
    return rc;
}

static void op_free(struct impl *im)
{
    struct adapter *ad = (struct adapter *)im;
    char msg[256];
    json_t *a = NULL;

    if (!ad)
        return;
    if (ad->proc.pid > 0) {
        ad->timeout_ms =
            ad->timeout_ms < SHUTDOWN_MS ? ad->timeout_ms : SHUTDOWN_MS;
        if (request(ad, "shutdown", NULL, NULL, 0, &a, msg, sizeof(msg)) ==
            IMPL_OK)
            proc_stop(&ad->proc, SHUTDOWN_MS, NULL, 0);
        json_decref(a);
    }
    atomic_store(&ad->pgid, 0);
    proc_release(&ad->proc);
    free(ad->watches);
    free(ad->command);
    free(ad);
}

static size_t op_log(struct impl *im, char *out, size_t size)
{
    return proc_log_take(&((struct adapter *)im)->proc, out, size);
}

/* Signal thread: the pid is read atomically; the group is killed. */
static void op_kill_now(struct impl *im)
{
    int pg = atomic_load(&((struct adapter *)im)->pgid);

    if (pg > 0)
        kill(-pg, SIGKILL);
}

static const struct impl_ops adapter_ops = {
    .reg = op_reg,
    .dereg = op_dereg,
    .get = op_get,
    .list = op_list,
    .watch = op_watch,
    .watch_next = op_watch_next,
    .watch_stop = op_watch_stop,
    .features = op_features,
    .free = op_free,
    .kill_now = op_kill_now,
    .log = op_log,
};

struct impl *impl_adapter_new(const char *command, int timeout_ms)
{
    struct adapter *ad = calloc(1, sizeof(*ad));

    if (!ad)
        return NULL;
    ad->command = strdup(command);
    if (!ad->command) {
        free(ad);
        return NULL;
    }
    ad->timeout_ms = timeout_ms;
    proc_init(&ad->proc);
    atomic_init(&ad->pgid, 0);
    util_msg(ad->name, sizeof(ad->name), "adapter: %s", command);
    ad->base.ops = &adapter_ops;
    ad->base.name = ad->name;
    return &ad->base;
}
