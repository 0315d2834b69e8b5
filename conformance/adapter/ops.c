/*
 * ops: the protocol operations (PROTOCOL.md "Requests") on libkreg.
 *
 * One kreg handle per distinct target, made on first use and kept until
 * shutdown (a handle holds connections, never registry data, so answers
 * still come from the server each time). Watch handles are small
 * integers into a table of kreg_watch. With a mutant, the operations it
 * breaks go through mutant_ops.c instead of the public API.
 */
#include "adapter.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service.h"

#define EXTRA_CAP ((size_t)256 << 20)

/* Per request, so that an answer comes before the suite's 10 s timeout;
 * failing requests are retried within it. */
#define REQUEST_TIMEOUT_MS 4000
#define CONNECT_TIMEOUT_MS 2000

struct handle {
    char *key; /* the target as canonical JSON */
    kreg *r;
};

struct watch {
    int id;
    kreg_watch *w;
    kreg *r;                   /* borrowed from the handle table */
    bool seen;                 /* MUT_WATCH_DROP_FIRST: one was dropped */
    struct kreg_result *again; /* MUT_WATCH_STORM: to report as update */
};

struct adapter {
    const struct mutant *m; /* NULL: none */
    struct handle *handles;
    size_t nhandles;
    struct watch *watches;
    size_t nwatches;
    int next_watch;
};

/* What an operation produced: the answer class, its extra members
 * (each starting with ',') and the error text. */
struct outcome {
    enum answer_class cls;
    struct kbuf extra;
    struct kreg_error err;
};

struct adapter *adapter_new(const struct mutant *m)
{
    struct adapter *a = calloc(1, sizeof(*a));

    if (a) {
        a->m = m;
        a->next_watch = 1;
    }
    return a;
}

void adapter_free(struct adapter *a)
{
    size_t i;

    if (!a)
        return;
    /* watchers before the handles they use (kreg.h) */
    for (i = 0; i < a->nwatches; i++) {
        kreg_result_free(a->watches[i].again);
        kreg_watch_free(a->watches[i].w);
    }
    for (i = 0; i < a->nhandles; i++) {
        kreg_free(a->handles[i].r);
        free(a->handles[i].key);
    }
    free(a->watches);
    free(a->handles);
    free(a);
}

/* Fail @p o with @p rc and a printf-style text; returns @p rc. */
static int fail(struct outcome *o, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct outcome *o, int rc, const char *fmt, ...)
{
    va_list ap;

    o->cls = ANSWER_ERROR;
    o->err.code = rc;
    va_start(ap, fmt);
    vsnprintf(o->err.text, sizeof(o->err.text), fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- Targets -----------------------------------------------------------*/

/* Options for @p t; strings borrowed from @p t. */
static int target_options(const json_t *t, struct kreg_options *opt,
                          struct outcome *o)
{
    memset(opt, 0, sizeof(*opt));
    if (!json_is_object(t))
        return fail(o, KREG_E_INVALID, "bad request: %s",
                    "\"target\" is not an object");
    opt->namespace_ = request_string(t, "namespace");
    opt->pod_name = request_string(t, "pod");
    opt->kubeconfig = request_string(t, "kubeconfig");
    /* PROTOCOL.md: kubeconfig and context name the same server */
    if (opt->kubeconfig) {
        opt->context = request_string(t, "context");
    } else {
        opt->server = request_string(t, "server");
        opt->token = request_string(t, "token");
        opt->ca_file = request_string(t, "caFile");
        opt->insecure = json_is_true(json_object_get(t, "insecure"));
    }
    if (!opt->server && !opt->kubeconfig)
        return fail(o, KREG_E_INVALID, "bad request: %s",
                    "target has neither \"server\" nor \"kubeconfig\"");
    opt->no_in_cluster = true;
    opt->timeout_ms = REQUEST_TIMEOUT_MS;
    opt->connect_timeout_ms = CONNECT_TIMEOUT_MS;
    return KREG_OK;
}

/* The cached handle for the request's target, made on first use. */
static int target_handle(struct adapter *a, const struct request *rq, kreg **r,
                         struct outcome *o)
{
    const json_t *t = json_object_get(rq->doc, "target");
    struct kreg_options opt;
    struct handle *grown;
    char *key;
    size_t i;
    int rc = target_options(t, &opt, o);

    if (rc != KREG_OK)
        return rc;
    key = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
    if (!key)
        return fail(o, KREG_E_NOMEM, "%s", "out of memory");
    for (i = 0; i < a->nhandles; i++) {
        if (strcmp(a->handles[i].key, key) == 0) {
            free(key);
            *r = a->handles[i].r;
            return KREG_OK;
        }
    }
    grown = realloc(a->handles, (a->nhandles + 1) * sizeof(*grown));
    if (grown)
        a->handles = grown;
    rc = grown ? kreg_new(&opt, r, &o->err) : KREG_E_NOMEM;
    if (rc != KREG_OK) {
        free(key);
        o->cls = ANSWER_ERROR;
        return rc == KREG_E_NOMEM ? fail(o, rc, "%s", "out of memory") : rc;
    }
    a->handles[a->nhandles].key = key;
    a->handles[a->nhandles].r = *r;
    a->nhandles++;
    return KREG_OK;
}

/* ---- Services in and out -----------------------------------------------*/

/* Decode the request's "service" with Go's rules. */
static int request_service(const struct request *rq, struct kreg_service **s,
                           struct outcome *o)
{
    int rc;

    if (!rq->service)
        return fail(o, KREG_E_INVALID, "bad request: %s", "no \"service\"");
    rc = kreg_service_decode(rq->service, rq->service_len, s, &o->err);
    if (rc != KREG_OK)
        o->cls = ANSWER_ERROR;
    return rc;
}

/* Append `"services":[...]` with each service as Go writes it (v2). */
static int put_services(struct kbuf *b, const struct kreg_service_list *l)
{
    size_t i;
    int rc = kbuf_adds(b, ",\"services\":[");

    for (i = 0; rc == KBUF_OK && i < l->count; i++) {
        char *json = NULL;

        if (kreg_service_encode(l->items[i], KREG_WIRE_V2, &json, NULL, NULL) !=
            KREG_OK)
            return KBUF_E_NOMEM;
        if (i > 0)
            rc = kbuf_addc(b, ',');
        if (rc == KBUF_OK)
            rc = kbuf_adds(b, json);
        free(json);
    }
    return rc == KBUF_OK ? kbuf_addc(b, ']') : rc;
}

/* The request's "name": a string without U+0000 (C strings end there),
 * or with @p null_ok, null or absent (*name NULL). */
static int request_name(const struct request *rq, bool null_ok,
                        const char **name, struct outcome *o)
{
    json_t *v = json_object_get(rq->doc, "name");

    *name = json_string_value(v);
    if (null_ok && (!v || json_is_null(v)))
        return KREG_OK;
    if (!*name)
        return fail(o, KREG_E_INVALID, "bad request: %s",
                    "\"name\" is not a string");
    if (strlen(*name) != json_string_length(v))
        return fail(o, KREG_E_INVALID, "bad request: %s",
                    "\"name\" holds U+0000");
    return KREG_OK;
}

/* The most namespaces a request may name. */
#define MAX_NAMESPACES 64

/* The request's query options (PROTOCOL.md, "Optional features"):
 * readyOnly, namespaces and allNamespaces into @p q, the names into
 * @p nss (room for @p cap), borrowed from the request. */
static int request_query(const struct request *rq, struct kreg_query *q,
                         const char **nss, size_t cap, struct outcome *o)
{
    json_t *list = json_object_get(rq->doc, "namespaces");
    json_t *v;
    size_t i;

    memset(q, 0, sizeof(*q));
    q->ready_only = json_is_true(json_object_get(rq->doc, "readyOnly"));
    q->all_namespaces = json_is_true(json_object_get(rq->doc, "allNamespaces"));
    if (!list || json_is_null(list))
        return KREG_OK;
    if (!json_is_array(list) || json_array_size(list) > cap)
        return fail(o, KREG_E_INVALID, "bad request: %s",
                    "\"namespaces\" is not an array of at most 64 strings");
    json_array_foreach(list, i, v)
    {
        nss[i] = json_string_value(v);
        if (!nss[i])
            return fail(o, KREG_E_INVALID, "bad request: %s",
                        "\"namespaces\" holds something else than strings");
    }
    q->namespaces = nss;
    q->n_namespaces = json_array_size(list);
    return KREG_OK;
}

/* request_query() with the feature mutants' bugs. */
static int query_of(const struct adapter *a, const struct request *rq,
                    struct kreg_query *q, const char **nss, size_t cap,
                    struct outcome *o)
{
    int rc = request_query(rq, q, nss, cap, o);

    if (mutant_has(a->m, MUT_FEAT_READY_IGNORED))
        q->ready_only = false;
    if (mutant_has(a->m, MUT_FEAT_OWN_NAMESPACE)) {
        q->namespaces = NULL;
        q->n_namespaces = 0;
        q->all_namespaces = false;
    }
    return rc;
}

/* ---- Operations --------------------------------------------------------*/

static void op_register(struct adapter *a, const struct request *rq,
                        struct outcome *o, bool reg)
{
    struct kreg_service *s = NULL;
    kreg *r = NULL;
    int rc = target_handle(a, rq, &r, o);

    if (rc == KREG_OK)
        rc = request_service(rq, &s, o);
    if (rc == KREG_OK && reg)
        rc = mutant_has(a->m, MUT_REGISTER_ANY)
                 ? mutant_register(a->m, r, s, rq->service, rq->service_len,
                                   &o->err)
                 : kreg_register(r, s, &o->err);
    else if (rc == KREG_OK)
        rc = mutant_has(a->m, MUT_DEREGISTER_ANY)
                 ? mutant_deregister(a->m, r, s, &o->err)
                 : kreg_deregister(r, s, &o->err);
    if (rc == KREG_E_NOT_FOUND && reg && mutant_has(a->m, MUT_REG_ERROR_NO_POD))
        snprintf(o->err.text, sizeof(o->err.text), "pod not found");
    if (rc != KREG_OK)
        o->cls = ANSWER_ERROR;
    kreg_service_free(s);
}

static void op_get(struct adapter *a, const struct request *rq,
                   struct outcome *o)
{
    const char *name = NULL;
    const char *nss[MAX_NAMESPACES];
    struct kreg_query q;
    struct kreg_service_list *l = NULL;
    kreg *r = NULL;
    int rc = target_handle(a, rq, &r, o);

    if (rc == KREG_OK)
        rc = request_name(rq, false, &name, o);
    if (rc == KREG_OK)
        rc = query_of(a, rq, &q, nss, MAX_NAMESPACES, o);
    if (rc == KREG_OK)
        rc =
            mutant_has(a->m, MUT_GET_ANY)
                ? mutant_get(a->m, r, name, &l, &o->err)
                : kreg_get_service_q(r, name, &q, KREG_QUERY_SIZE, &l, &o->err);
    /* a missing service, not a missing namespace or pod (a 404) */
    if (rc == KREG_E_NOT_FOUND && o->err.http_status == 0)
        o->cls = ANSWER_NOT_FOUND;
    else if (rc != KREG_OK)
        o->cls = ANSWER_ERROR;
    else if (put_services(&o->extra, l) != KBUF_OK)
        fail(o, KREG_E_NOMEM, "%s", "out of memory");
    kreg_service_list_free(l);
}

/* Append `"services":[{"name":..},...]`: each name once (the list is
 * sorted by name), or as the mutant lists them. */
static int put_names(struct kbuf *b, const struct kreg_service_list *l,
                     bool dups)
{
    const char *last = NULL;
    size_t i;
    int rc = kbuf_adds(b, ",\"services\":[");

    for (i = 0; rc == KBUF_OK && i < l->count; i++) {
        const char *name = l->items[i]->name;

        if (!dups && last && strcmp(last, name) == 0)
            continue;
        if (last)
            rc = kbuf_addc(b, ',');
        if (rc == KBUF_OK)
            rc = kbuf_adds(b, "{\"name\":");
        if (rc == KBUF_OK)
            rc = answer_string(b, name);
        if (rc == KBUF_OK)
            rc = kbuf_addc(b, '}');
        last = name;
    }
    return rc == KBUF_OK ? kbuf_addc(b, ']') : rc;
}

static void op_list(struct adapter *a, const struct request *rq,
                    struct outcome *o)
{
    const char *nss[MAX_NAMESPACES];
    struct kreg_query q;
    struct kreg_service_list *l = NULL;
    bool own = mutant_has(a->m, MUT_LIST_ANY);
    kreg *r = NULL;
    int rc = target_handle(a, rq, &r, o);

    if (rc == KREG_OK)
        rc = query_of(a, rq, &q, nss, MAX_NAMESPACES, o);
    if (rc == KREG_OK)
        rc = own ? mutant_list(a->m, r, &l, &o->err)
                 : kreg_list_services_q(r, &q, KREG_QUERY_SIZE, &l, &o->err);
    if (rc == KREG_OK && own && !mutant_has(a->m, MUT_LIST_DUPS))
        kreg__service_list_sort(l);
    if (rc != KREG_OK)
        o->cls = ANSWER_ERROR;
    else if (put_names(&o->extra, l, mutant_has(a->m, MUT_LIST_DUPS)) !=
             KBUF_OK)
        fail(o, KREG_E_NOMEM, "%s", "out of memory");
    kreg_service_list_free(l);
}

static void op_watch(struct adapter *a, const struct request *rq,
                     struct outcome *o)
{
    const char *name = NULL;
    const char *nss[MAX_NAMESPACES];
    struct kreg_query q;
    struct watch *grown;
    kreg_watch *w = NULL;
    kreg *r = NULL;
    int rc = target_handle(a, rq, &r, o);

    if (rc == KREG_OK)
        rc = request_name(rq, true, &name, o);
    if (rc == KREG_OK)
        rc = query_of(a, rq, &q, nss, MAX_NAMESPACES, o);
    if (rc != KREG_OK)
        return;
    grown = realloc(a->watches, (a->nwatches + 1) * sizeof(*grown));
    if (!grown) {
        fail(o, KREG_E_NOMEM, "%s", "out of memory");
        return;
    }
    a->watches = grown;
    if (mutant_has(a->m, MUT_WATCH_ALL_SERVICES))
        name = NULL;
    rc = kreg_watch_new_q(r, name, &q, KREG_QUERY_SIZE, &w, &o->err);
    if (rc != KREG_OK) {
        o->cls = ANSWER_ERROR;
        return;
    }
    a->watches[a->nwatches].id = a->next_watch++;
    a->watches[a->nwatches].w = w;
    a->watches[a->nwatches].r = r;
    a->watches[a->nwatches].seen = false;
    a->watches[a->nwatches].again = NULL;
    if (kbuf_addf(&o->extra, ",\"watch\":%d", a->watches[a->nwatches].id) !=
        KBUF_OK)
        fail(o, KREG_E_NOMEM, "%s", "out of memory");
    a->nwatches++;
}

/* The watch table slot of the request's "watch", or fail. */
static struct watch *find_watch(struct adapter *a, const struct request *rq,
                                struct outcome *o)
{
    json_t *id = json_object_get(rq->doc, "watch");
    size_t i;

    for (i = 0; json_is_integer(id) && i < a->nwatches; i++)
        if (a->watches[i].id == json_integer_value(id))
            return &a->watches[i];
    fail(o, KREG_E_INVALID, "%s", "no such watch");
    return NULL;
}

static const char *action_name(const struct mutant *m, enum kreg_action action)
{
    switch (action) {
    case KREG_ACTION_CREATE:
        return mutant_has(m, MUT_WATCH_CREATE_UPDATE) ? "update" : "create";
    case KREG_ACTION_UPDATE:
        return mutant_has(m, MUT_WATCH_UPDATE_CREATE) ? "create" : "update";
    case KREG_ACTION_DELETE:
        return "delete";
    }
    return "unknown";
}

/* Append `"event":{"action":..,"service":..}`, the action update when
 * @p again (MUT_WATCH_STORM's repeat). */
static int put_event(struct kbuf *b, const struct mutant *m,
                     const struct kreg_result *res, bool again)
{
    char *json = NULL;
    int rc;

    if (kreg_service_encode(res->service, KREG_WIRE_V2, &json, NULL, NULL) !=
        KREG_OK)
        return KBUF_E_NOMEM;
    rc = kbuf_adds(b, ",\"event\":{\"action\":");
    if (rc == KBUF_OK)
        rc = answer_string(b, again ? "update" : action_name(m, res->action));
    if (rc == KBUF_OK)
        rc = kbuf_adds(b, ",\"service\":");
    if (rc == KBUF_OK)
        rc = kbuf_adds(b, json);
    free(json);
    return rc == KBUF_OK ? kbuf_addc(b, '}') : rc;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next result within the request's timeoutMs, or none. */
static int next_result(struct adapter *a, struct watch *wt, int64_t timeout,
                       struct kreg_result **res, struct kreg_error *err)
{
    int64_t deadline = now_ms() + timeout;
    int rc;

    for (;;) {
        int64_t left = deadline - now_ms();

        rc = kreg_watch_next(wt->w, left > 0 ? (int)left : 0, res, err);
        if (rc == KREG_OK && mutant_has(a->m, MUT_WATCH_DROP_FIRST) &&
            !wt->seen) {
            wt->seen = true;
        } else if (rc != KREG_OK || !mutant_watch_drops(a->m, wt->r, *res)) {
            return rc;
        }
        kreg_result_free(*res);
        *res = NULL;
    }
}

static void op_watch_next(struct adapter *a, const struct request *rq,
                          struct outcome *o)
{
    struct watch *wt = find_watch(a, rq, o);
    json_t *t = json_object_get(rq->doc, "timeoutMs");
    int64_t timeout = json_integer_value(t); /* 0 when not an integer */
    struct kreg_result *res = NULL;
    bool again;
    int rc;

    if (!wt)
        return;
    if (timeout < 0 || timeout > 3600000)
        timeout = timeout < 0 ? 0 : 3600000;
    again = wt->again != NULL;
    res = wt->again;
    wt->again = NULL;
    rc = again ? KREG_OK : next_result(a, wt, timeout, &res, &o->err);
    if (rc == KREG_E_TIMEOUT)
        rc = kbuf_adds(&o->extra, ",\"event\":null");
    else if (rc != KREG_OK)
        o->cls = ANSWER_ERROR;
    else
        rc = put_event(&o->extra, a->m, res, again);
    if (o->cls == ANSWER_OK && rc != KBUF_OK)
        fail(o, KREG_E_NOMEM, "%s", "out of memory");
    if (o->cls == ANSWER_OK && !again && res &&
        mutant_has(a->m, MUT_WATCH_STORM) &&
        res->action != KREG_ACTION_DELETE) {
        wt->again = res;
        res = NULL;
    }
    kreg_result_free(res);
}

static void op_watch_stop(struct adapter *a, const struct request *rq,
                          struct outcome *o)
{
    struct watch *wt = find_watch(a, rq, o);

    if (!wt)
        return;
    kreg_result_free(wt->again);
    kreg_watch_free(wt->w);
    *wt = a->watches[--a->nwatches];
}

static void op_hello(struct adapter *a, const struct request *rq,
                     struct outcome *o)
{
    int rc;

    (void)rq;
    /* a mutant announces the optional features only when they are what
     * it breaks: the others' bugs are in the plain operations, which the
     * feature cases would only meet again */
    if (a->m)
        rc = kbuf_addf(&o->extra,
                       ",\"name\":\"libkreg " KREG_ADAPTER_VERSION
                       " mutant %d (%s)\"%s",
                       a->m->number, a->m->name,
                       mutant_has(a->m, MUT_FEATURES_ANY)
                           ? ",\"features\":[\"readyOnly\",\"namespaces\"]"
                           : "");
    else
        rc = kbuf_adds(&o->extra,
                       ",\"name\":\"libkreg " KREG_ADAPTER_VERSION "\","
                       "\"features\":[\"readyOnly\",\"namespaces\"]");
    if (rc != KBUF_OK)
        fail(o, KREG_E_NOMEM, "%s", "out of memory");
}

static void op_reg(struct adapter *a, const struct request *rq,
                   struct outcome *o)
{
    op_register(a, rq, o, true);
}

static void op_dereg(struct adapter *a, const struct request *rq,
                     struct outcome *o)
{
    op_register(a, rq, o, false);
}

static void op_shutdown(struct adapter *a, const struct request *rq,
                        struct outcome *o)
{
    (void)a;
    (void)rq;
    (void)o;
}

static const struct {
    const char *name;
    void (*fn)(struct adapter *a, const struct request *rq, struct outcome *o);
} ops[] = {
    {"hello", op_hello},
    {"register", op_reg},
    {"deregister", op_dereg},
    {"get", op_get},
    {"list", op_list},
    {"watch", op_watch},
    {"watch_next", op_watch_next},
    {"watch_stop", op_watch_stop},
    {"shutdown", op_shutdown},
};

bool adapter_handle(struct adapter *a, const struct request *rq,
                    struct kbuf *out)
{
    struct outcome o;
    const char *msg;
    size_t i;

    memset(&o, 0, sizeof(o));
    kbuf_init(&o.extra, EXTRA_CAP);
    for (i = 0; rq->op && i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(rq->op, ops[i].name) == 0)
            break;
    if (!rq->op)
        fail(&o, KREG_E_INVALID, "bad request: %s", "no \"op\"");
    else if (i == sizeof(ops) / sizeof(ops[0]))
        fail(&o, KREG_E_INVALID, "bad request: unknown op \"%s\"", rq->op);
    else
        ops[i].fn(a, rq, &o);
    msg = o.err.text[0] ? o.err.text : kreg_strerror(o.err.code);
    if (o.cls != ANSWER_OK)
        fprintf(stderr, "kreg-adapter: %s: %s\n", rq->op ? rq->op : "?", msg);
    if (answer_write(out, rq->id, o.cls, kbuf_str(&o.extra), msg) != KBUF_OK) {
        kbuf_reset(out);
        answer_write(out, rq->id, ANSWER_ERROR, NULL, "out of memory");
    }
    kbuf_release(&o.extra);
    return !(rq->op && strcmp(rq->op, "shutdown") == 0);
}
