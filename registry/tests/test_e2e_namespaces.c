/*
 * Discovery over several namespaces or all of them (kreg_query.namespaces,
 * all_namespaces; issue 14), against fakeapi or a cluster (e2e.h): get and
 * list merge a service across namespaces in "<namespace>/<pod>" order,
 * all namespaces is one cluster-wide request, a watcher and a cache run a
 * stream per namespace, a namespace deleted under them loses its pods and
 * nothing else, a 403 names the request, the verb and the namespace
 * (docs/rbac.md), registration stays in the own namespace, and bad
 * namespace lists are refused.
 *
 * A test's other namespaces come from e2e_ns_add(); in_ns() acts in one
 * of them with the test's own client. The restricted users are fakeapi's
 * (POST /fakeapi/v1/users with "namespaces") or, on a cluster, a
 * ServiceAccount with a Role and a RoleBinding in each namespace and a
 * token from the TokenRequest API: the same rules, the server's own 403.
 */
#include "e2e.h"
#include "e2e_cache.h"

#define STALE_MS 1000u

/* ---- Helpers -----------------------------------------------------------*/

/* @p t seen from namespace @p ns: the same target and client, pods and
 * handles in @p ns. It owns nothing and is never closed. */
static struct e2e in_ns(const struct e2e *t, const char *ns)
{
    struct e2e v = *t;

    snprintf(v.ns, sizeof(v.ns), "%s", ns);
    v.r = NULL;
    memset(v.watches, 0, sizeof(v.watches));
    memset(v.held, 0, sizeof(v.held));
    memset(v.extra, 0, sizeof(v.extra));
    return v;
}

/* A service name no other test of the run uses: on a cluster, a
 * cluster-wide request also sees the namespaces earlier tests left
 * terminating. */
static void unique_name(char *out, size_t size, const char *base)
{
    snprintf(out, size, "%s-%08x", base, e2e_random());
}

/* "<ns>/<pod>" into @p out. */
static const char *key_of(char *out, size_t size, const char *ns,
                          const char *pod)
{
    snprintf(out, size, "%s/%s", ns, pod);
    return out;
}

/* A query over @p n namespaces of @p nss (borrowed), or all of them. */
static struct kreg_query scope_query(const char *const *nss, size_t n, bool all)
{
    struct kreg_query q;

    memset(&q, 0, sizeof(q));
    q.namespaces = nss;
    q.n_namespaces = n;
    q.all_namespaces = all;
    return q;
}

/* kreg_get_service_q() with @p q; the code, and the list in *@p out. */
static int get_q(kreg *r, const char *name, const struct kreg_query *q,
                 struct kreg_service_list **out, struct kreg_error *err)
{
    memset(err, 0, sizeof(*err));
    return kreg_get_service_q(r, name, q, KREG_QUERY_SIZE, out, err);
}

/* The answer for @p name must be @p nversions versions, version @p v
 * holding the node addresses @p addrs (@p n, in that order). */
static void expect_version(const struct kreg_service_list *l, size_t nversions,
                           size_t v, const char *version,
                           const char *const *addrs, size_t n)
{
    size_t i;

    assert_non_null(l);
    assert_int_equal(l->count, nversions);
    assert_string_equal(l->items[v]->version, version);
    if (l->items[v]->nnodes != n)
        fail_msg("version %s: %zu nodes, want %zu", version,
                 l->items[v]->nnodes, n);
    for (i = 0; i < n; i++)
        assert_string_equal(l->items[v]->nodes[i]->address, addrs[i]);
}

/* The service of name @p name and version @p version in a list answer. */
static const struct kreg_service *find_in(const struct kreg_service_list *l,
                                          const char *name, const char *version)
{
    size_t i;

    for (i = 0; i < l->count; i++)
        if (strcmp(l->items[i]->name, name) == 0 &&
            strcmp(l->items[i]->version, version) == 0)
            return l->items[i];
    return NULL;
}

/* A watch of @p name (NULL: all) with @p q on t->r, owned by @p t. */
static kreg_watch *watch_q(struct e2e *t, const char *name,
                           const struct kreg_query *q)
{
    struct kreg_error err;
    kreg_watch *w = NULL;
    size_t i = 0;

    while (i < E2E_WATCHES && t->watches[i])
        i++;
    assert_true(i < E2E_WATCHES);
    memset(&err, 0, sizeof(err));
    if (kreg_watch_new_q(t->r, name, q, KREG_QUERY_SIZE, &w, &err) != KREG_OK)
        fail_msg("watch: %s", err.text);
    t->watches[i] = w;
    return w;
}

/* A cache on @p r with @p q, reporting to @p s. */
static kreg_cache *cache_q(kreg *r, struct kreg_query *q, struct e2e_seen *s,
                           unsigned stale_ms)
{
    struct kreg_cache_options o;
    struct kreg_error err;
    kreg_cache *c = NULL;

    memset(&o, 0, sizeof(o));
    memset(&err, 0, sizeof(err));
    q->on_skip = e2e_seen_skip;
    q->ctx = s;
    o.on_change = e2e_seen_change;
    o.on_stale = e2e_seen_stale;
    o.ctx = s;
    o.stale_ms = stale_ms;
    if (kreg_cache_new(r, q, KREG_QUERY_SIZE, &o, KREG_CACHE_OPTIONS_SIZE, &c,
                       &err) != KREG_OK)
        fail_msg("kreg_cache_new: %s", err.text);
    return c;
}

/* Fail unless @p err's text starts with @p start and holds @p also. */
static void expect_text(const struct kreg_error *err, const char *start,
                        const char *also)
{
    if (strncmp(err->text, start, strlen(start)) != 0 ||
        (also && !strstr(err->text, also)))
        fail_msg("error \"%s\": wanted it to start with \"%s\"%s%s%s",
                 err->text, start, also ? " and hold \"" : "", also ? also : "",
                 also ? "\"" : "");
}

/* The cache's answer for @p name has @p nodes nodes in its one version. */
static void expect_version_in(kreg_cache *c, const char *name, size_t nodes)
{
    const struct kreg_service_list *l = NULL;

    assert_int_equal(kreg_cache_get(c, name, &l, NULL), KREG_OK);
    assert_int_equal(l->count, 1);
    assert_int_equal(l->items[0]->nnodes, nodes);
    kreg_cache_list_free(l);
}

/* Wait until fakeapi has @p n watch streams open (the watcher's threads
 * open them after it is made), so that closing them reaches them all. */
static void wait_streams(fakeapi *srv, unsigned n)
{
    int64_t deadline = e2e_now_ms() + E2E_GUARD_MS;
    unsigned pause = 1;

    while (fakeapi_watch_count(srv) < n) {
        if (e2e_now_ms() >= deadline)
            fail_msg("%u watch streams open, want %u", fakeapi_watch_count(srv),
                     n);
        e2e_backoff(pause);
        pause = pause < 100 ? pause * 2 : pause;
    }
}

/* ---- Restricted users --------------------------------------------------*/

/* On a cluster: a ServiceAccount @p user in t->ns, a Role allowing
 * @p verbs (JSON array text) on pods and a RoleBinding to it in each of
 * @p nss, and a token for it (new string). */
static char *cluster_user(struct e2e *t, const char *user, const char *verbs,
                          const char *const *nss, size_t n)
{
    char path[192];
    char body[1024];
    char *text = NULL;
    const char *tok;
    json_t *doc;
    char *copy;
    size_t i;

    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts",
             t->ns);
    snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"%s\"}}", user);
    e2e_call_ok(t, "POST", path, "application/json", body, 201, 0);
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path),
                 "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/roles",
                 nss[i]);
        snprintf(body, sizeof(body),
                 "{\"metadata\":{\"name\":\"%s\"},\"rules\":[{\"apiGroups\":"
                 "[\"\"],\"resources\":[\"pods\"],\"verbs\":%s}]}",
                 user, verbs);
        e2e_call_ok(t, "POST", path, "application/json", body, 201, 0);
        snprintf(path, sizeof(path),
                 "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/"
                 "rolebindings",
                 nss[i]);
        snprintf(body, sizeof(body),
                 "{\"metadata\":{\"name\":\"%s\"},\"roleRef\":{\"apiGroup\":"
                 "\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":"
                 "\"%s\"},\"subjects\":[{\"kind\":\"ServiceAccount\","
                 "\"name\":\"%s\",\"namespace\":\"%s\"}]}",
                 user, user, user, t->ns);
        e2e_call_ok(t, "POST", path, "application/json", body, 201, 0);
    }
    snprintf(path, sizeof(path),
             "/api/v1/namespaces/%s/serviceaccounts/%s/token", t->ns, user);
    if (e2e_call(t, "POST", path, "application/json",
                 "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":"
                 "\"TokenRequest\",\"spec\":{\"expirationSeconds\":3600}}",
                 &text) != 201)
        fail_msg("token for %s: %.300s", user, text);
    doc = json_loads(text, 0, NULL);
    free(text);
    tok = json_string_value(
        json_object_get(json_object_get(doc, "status"), "token"));
    assert_non_null(tok);
    copy = strdup(tok);
    json_decref(doc);
    assert_non_null(copy);
    return copy;
}

/* On fakeapi: user @p user held to @p nss (a new token string). */
static char *fake_user(struct e2e *t, const char *user, const char *verbs,
                       const char *const *nss, size_t n)
{
    json_t *body =
        json_pack("{s:s+,s:s,s:o,s:[]}", "token", user, "-token", "name", user,
                  "verbs", json_loads(verbs, 0, NULL), "namespaces");
    char *text;
    char *tok;
    size_t i;

    assert_non_null(body);
    for (i = 0; i < n; i++)
        assert_int_equal(
            json_array_append_new(json_object_get(body, "namespaces"),
                                  json_string(nss[i])),
            0);
    text = json_dumps(body, JSON_COMPACT);
    assert_non_null(text);
    e2e_call_ok(t, "POST", "/fakeapi/v1/users", "application/json", text, 200,
                0);
    tok = strdup(json_string_value(json_object_get(body, "token")));
    free(text);
    json_decref(body);
    assert_non_null(tok);
    return tok;
}

/*
 * A handle acting as pod-a of t->ns for a user whom RBAC allows only
 * @p verbs (JSON array text) on pods, only in the @p n namespaces of
 * @p nss. Waits until the server applies the rules (RBAC's cache is
 * eventually consistent): a list in nss[0] is allowed.
 */
/* Whether the target is fakeapi, embedded or behind a kubeconfig: it has
 * its test control. */
static bool is_fake(struct e2e *t)
{
    return t->srv ||
           e2e_call(t, "GET", "/fakeapi/v1/state", NULL, NULL, NULL) == 200;
}

static kreg *restricted(struct e2e *t, const char *user, const char *verbs,
                        const char *const *nss, size_t n)
{
    char *tok = is_fake(t) ? fake_user(t, user, verbs, nss, n)
                           : cluster_user(t, user, verbs, nss, n);
    int64_t deadline = e2e_now_ms() + E2E_CLUSTER_WAIT_S * 1000;
    struct kreg_query q = scope_query(nss, 1, false);
    struct kreg_options o;
    struct kreg_error err;
    kreg *r = NULL;
    unsigned pause = 10;

    e2e_options(t, "pod-a", &o);
    o.token = tok;
    memset(&err, 0, sizeof(err));
    if (kreg_new(&o, &r, &err) != KREG_OK)
        fail_msg("kreg_new: %s", err.text);
    free(tok);
    for (;;) {
        struct kreg_service_list *l = NULL;
        int rc = kreg_list_services_q(r, &q, KREG_QUERY_SIZE, &l, &err);

        kreg_service_list_free(l);
        if (rc != KREG_E_FORBIDDEN)
            break;
        if (e2e_now_ms() >= deadline)
            fail_msg("%s: RBAC still refuses: %s", user, err.text);
        e2e_backoff(pause);
        pause = pause < 500 ? pause * 2 : pause;
    }
    return r;
}

/* ---- Get and list --------------------------------------------------------*/

/*
 * One service in three namespaces: asked over a list of them (out of
 * order, one repeated), nodes merge per version in "<namespace>/<pod>"
 * order, a pod of the same name in two namespaces counts twice, a
 * namespace whose pod does not run adds nothing; the handle's own
 * namespace alone still answers as before.
 */
static void test_e2e_ns_get_and_list_merge_across_namespaces(void **state)
{
    struct e2e *t = *state;
    const char *b_ns = e2e_ns_add(t);
    const char *c_ns = e2e_ns_add(t);
    struct e2e b = in_ns(t, b_ns);
    struct e2e c = in_ns(t, c_ns);
    const char *const nss[] = {c_ns, t->ns, b_ns, t->ns};
    struct kreg_query q = scope_query(nss, 4, false);
    struct kreg_query only_c = scope_query(&nss[0], 1, false);
    struct kreg_service_list *l = NULL;
    struct kreg_error err;
    const char *v1[2];
    char ka[160];
    char kb[160];
    char name[64];

    unique_name(name, sizeof(name), "greeter");
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(&b, "pod-a", "Running", NULL);
    e2e_add_pod(&b, "pod-b", "Running", NULL);
    e2e_add_pod(&c, "pod-c", "Pending", NULL);
    e2e_register_as(t, "pod-a", name, "v1", "10.0.0.1:80");
    e2e_register_as(&b, "pod-a", name, "v1", "10.0.0.2:80");
    e2e_register_as(&b, "pod-b", name, "v2", "10.0.0.3:80");
    e2e_register_as(&c, "pod-c", name, "v1", "10.0.0.4:80");
    /* the API server's key order: "<namespace>/<pod>" by bytes */
    key_of(ka, sizeof(ka), t->ns, "pod-a");
    key_of(kb, sizeof(kb), b_ns, "pod-a");
    v1[0] = strcmp(ka, kb) < 0 ? "10.0.0.1:80" : "10.0.0.2:80";
    v1[1] = strcmp(ka, kb) < 0 ? "10.0.0.2:80" : "10.0.0.1:80";

    assert_int_equal(get_q(t->r, name, &q, &l, &err), KREG_OK);
    expect_version(l, 2, 0, "v1", v1, 2);
    expect_version(l, 2, 1, "v2", (const char *const[]){"10.0.0.3:80"}, 1);
    kreg_service_list_free(l);
    /* list: one entry per (name, version) across the namespaces */
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_list_services_q(t->r, &q, KREG_QUERY_SIZE, &l, &err),
                     KREG_OK);
    assert_int_equal(l->count, 2);
    assert_non_null(find_in(l, name, "v1"));
    assert_int_equal(find_in(l, name, "v1")->nnodes, 2);
    assert_string_equal(find_in(l, name, "v1")->nodes[0]->address, v1[0]);
    assert_int_equal(find_in(l, name, "v2")->nnodes, 1);
    kreg_service_list_free(l);
    /* the own namespace alone: as without a query */
    assert_int_equal(kreg_get_service(t->r, name, &l, NULL), KREG_OK);
    expect_version(l, 1, 0, "v1", (const char *const[]){"10.0.0.1:80"}, 1);
    kreg_service_list_free(l);
    /* a namespace whose pod carries the label but does not run: found,
     * no instance */
    assert_int_equal(get_q(t->r, name, &only_c, &l, &err), KREG_OK);
    assert_int_equal(l->count, 0);
    kreg_service_list_free(l);
    /* no namespace of the list has the label: not found */
    assert_int_equal(get_q(t->r, "nobody", &q, &l, &err), KREG_E_NOT_FOUND);
    assert_null(l);
    assert_string_equal(err.text, "service \"nobody\" not found");
}

/*
 * All namespaces: the same merged answer, from one cluster-wide request
 * (on fakeapi the request log shows it), pods named "<namespace>/<pod>"
 * in a skip report.
 */
static void test_e2e_ns_all_namespaces_is_one_cluster_wide_list(void **state)
{
    struct e2e *t = *state;
    const char *b_ns = e2e_ns_add(t);
    struct e2e b = in_ns(t, b_ns);
    struct kreg_query all = scope_query(NULL, 0, true);
    struct kreg_service_list *l = NULL;
    struct kreg_error err;
    const char *v1[2];
    char ka[160];
    char kb[160];
    char name[64];
    char sel[160];
    char enc[64];

    unique_name(name, sizeof(name), "greeter");
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(&b, "pod-b", "Running", NULL);
    e2e_register_as(t, "pod-a", name, "v1", "10.0.0.1:80");
    e2e_register_as(&b, "pod-b", name, "v1", "10.0.0.2:80");
    key_of(ka, sizeof(ka), t->ns, "pod-a");
    key_of(kb, sizeof(kb), b_ns, "pod-b");
    v1[0] = strcmp(ka, kb) < 0 ? "10.0.0.1:80" : "10.0.0.2:80";
    v1[1] = strcmp(ka, kb) < 0 ? "10.0.0.2:80" : "10.0.0.1:80";
    if (t->srv)
        fakeapi_request_log_clear(t->srv);
    assert_int_equal(get_q(t->r, name, &all, &l, &err), KREG_OK);
    expect_version(l, 1, 0, "v1", v1, 2);
    kreg_service_list_free(l);
    memset(&err, 0, sizeof(err));
    assert_int_equal(
        kreg_list_services_q(t->r, &all, KREG_QUERY_SIZE, &l, &err), KREG_OK);
    assert_non_null(find_in(l, name, "v1"));
    assert_int_equal(find_in(l, name, "v1")->nnodes, 2);
    kreg_service_list_free(l);
    if (t->srv) {
        json_t *log = e2e_log(t->srv);
        json_t *e;
        size_t i;
        size_t cluster = 0;

        assert_int_equal(kreg_name_encode(name, enc, sizeof(enc), NULL),
                         KREG_OK);
        snprintf(sel, sizeof(sel), "labelSelector=micro.mu/selector-%s", enc);
        json_array_foreach(log, i, e)
        {
            /* every request was cluster-wide */
            assert_string_equal(e2e_log_str(e, "path"), "/api/v1/pods");
            cluster += strstr(e2e_log_str(e, "query"), sel) != NULL;
        }
        assert_int_equal(cluster, 1);              /* get: one list */
        assert_int_equal(json_array_size(log), 2); /* and list: one more */
        json_decref(log);
    }
}

/* Registration is not discovery: it patches the own pod of the handle's
 * namespace, never a pod of the same name elsewhere. */
static void test_e2e_ns_register_stays_in_the_own_namespace(void **state)
{
    struct e2e *t = *state;
    const char *b_ns = e2e_ns_add(t);
    struct e2e b = in_ns(t, b_ns);
    const char *const nss[] = {t->ns, b_ns};
    struct kreg_query only_b = scope_query(&nss[1], 1, false);
    struct kreg_query both = scope_query(nss, 2, false);
    struct kreg_service *s = e2e_service("greeter", "v1", "n1", "10.0.0.1:80");
    struct kreg_service_list *l = NULL;
    struct kreg_error err;
    json_t *mine;
    json_t *theirs;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(&b, "pod-a", "Running", NULL);
    memset(&err, 0, sizeof(err));
    if (kreg_register(t->r, s, &err) != KREG_OK)
        fail_msg("register: %s", err.text);
    kreg_service_free(s);
    mine = e2e_read_pod(t, "pod-a");
    theirs = e2e_read_pod(&b, "pod-a");
    assert_non_null(e2e_annotation(mine, "micro.mu/service-greeter"));
    assert_null(e2e_annotation(theirs, "micro.mu/service-greeter"));
    assert_null(e2e_label(theirs, "micro.mu/selector-greeter"));
    json_decref(mine);
    json_decref(theirs);
    assert_int_equal(get_q(t->r, "greeter", &only_b, &l, &err),
                     KREG_E_NOT_FOUND);
    assert_int_equal(get_q(t->r, "greeter", &both, &l, &err), KREG_OK);
    expect_version(l, 1, 0, "v1", (const char *const[]){"10.0.0.1:80"}, 1);
    kreg_service_list_free(l);
}

/* Bad namespace lists are refused before any request, by every entry
 * point that reads them. */
static void test_e2e_ns_bad_namespace_lists_are_refused(void **state)
{
    static const char *const upper[] = {"Bad_NS"};
    static const char *const empty[] = {""};
    static const char *const null[] = {NULL};
    static const char *const long_one[] = {
        "a123456789012345678901234567890123456789012345678901234567890123"};
    static const char *const dash[] = {"-a"};
    static const char *const fine[] = {"default"};
    const struct kreg_query bad[] = {
        scope_query(upper, 1, false), scope_query(empty, 1, false),
        scope_query(null, 1, false),  scope_query(long_one, 1, false),
        scope_query(dash, 1, false),  scope_query(NULL, 1, false),
        scope_query(fine, 1, true),
    };
    struct e2e *t = *state;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kreg_query q = bad[i];
        struct kreg_service_list *l = NULL;
        struct kreg_error err;
        kreg_watch *w = NULL;
        kreg_cache *c = NULL;

        assert_int_equal(get_q(t->r, "greeter", &q, &l, &err), KREG_E_INVALID);
        assert_non_null(strstr(err.text, "query options: "));
        assert_int_equal(
            kreg_list_services_q(t->r, &q, KREG_QUERY_SIZE, &l, NULL),
            KREG_E_INVALID);
        assert_int_equal(
            kreg_watch_new_q(t->r, NULL, &q, KREG_QUERY_SIZE, &w, NULL),
            KREG_E_INVALID);
        assert_null(w);
        assert_int_equal(
            kreg_cache_new(t->r, &q, KREG_QUERY_SIZE, NULL, 0, &c, NULL),
            KREG_E_INVALID);
        assert_null(c);
    }
}

/* ---- Watch and cache -----------------------------------------------------*/

/*
 * A watcher over two namespaces reports the changes of both, each pod as
 * "<namespace>/<pod>", and nothing of a third; one over all namespaces
 * follows them all.
 */
static void test_e2e_ns_watch_follows_its_namespaces(void **state)
{
    struct e2e *t = *state;
    const char *b_ns = e2e_ns_add(t);
    const char *c_ns = e2e_ns_add(t);
    struct e2e b = in_ns(t, b_ns);
    struct e2e c = in_ns(t, c_ns);
    const char *const nss[] = {t->ns, b_ns};
    struct kreg_query q = scope_query(nss, 2, false);
    struct kreg_query all = scope_query(NULL, 0, true);
    kreg_watch *w;
    kreg_watch *wall;
    char name[64];
    char k[160];

    unique_name(name, sizeof(name), "greeter");
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(&b, "pod-b", "Running", NULL);
    e2e_add_pod(&c, "pod-c", "Running", NULL);
    w = watch_q(t, NULL, &q);
    wall = watch_q(t, name, &all);
    e2e_register_as(&b, "pod-b", name, "v1", "10.0.0.2:80");
    e2e_expect(w, KREG_ACTION_CREATE, key_of(k, sizeof(k), b_ns, "pod-b"),
               "10.0.0.2:80");
    e2e_expect(wall, KREG_ACTION_CREATE, k, "10.0.0.2:80");
    /* another namespace: not this watcher's (its next result is the own
     * namespace's register), but the cluster-wide one's */
    e2e_register_as(&c, "pod-c", name, "v1", "10.0.0.3:80");
    e2e_expect(wall, KREG_ACTION_CREATE, key_of(k, sizeof(k), c_ns, "pod-c"),
               "10.0.0.3:80");
    e2e_register_as(t, "pod-a", name, "v1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, key_of(k, sizeof(k), t->ns, "pod-a"),
               "10.0.0.1:80");
    e2e_expect(wall, KREG_ACTION_CREATE, k, "10.0.0.1:80");
    e2e_deregister_as(&b, "pod-b", name);
    e2e_expect(w, KREG_ACTION_DELETE, key_of(k, sizeof(k), b_ns, "pod-b"),
               "10.0.0.2:80");
    e2e_expect(wall, KREG_ACTION_DELETE, k, "10.0.0.2:80");
    e2e_remove_pod(&c, "pod-c");
    e2e_expect(wall, KREG_ACTION_DELETE, key_of(k, sizeof(k), c_ns, "pod-c"),
               "10.0.0.3:80");
}

/*
 * A cache over two namespaces, and one over all of them, answer as
 * kreg_get_service_q() with the same query on a settled cluster, through
 * registers, phase changes and deletes in either namespace.
 */
static void test_e2e_ns_cache_answers_as_get_across_namespaces(void **state)
{
    struct e2e *t = *state;
    const char *b_ns = e2e_ns_add(t);
    struct e2e b = in_ns(t, b_ns);
    const char *const nss[] = {b_ns, t->ns};
    struct kreg_query q = scope_query(nss, 2, false);
    struct kreg_query all = scope_query(NULL, 0, true);
    struct e2e_seen s;
    struct e2e_seen sa;
    const char *names[] = {NULL, "nobody", NULL};
    kreg_cache *c;
    kreg_cache *ca;
    char name[64];

    unique_name(name, sizeof(name), "greeter");
    names[0] = name;
    e2e_seen_init(&s);
    e2e_seen_init(&sa);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(&b, "pod-a", "Running", NULL);
    e2e_register_as(t, "pod-a", name, "v1", "10.0.0.1:80");
    c = cache_q(t->r, &q, &s, 0);
    ca = cache_q(t->r, &all, &sa, 0);
    e2e_wait_same_q(&s, t->r, c, names, &q);
    e2e_wait_same_q(&sa, t->r, ca, names, &all);
    e2e_register_as(&b, "pod-a", name, "v1", "10.0.0.2:80");
    e2e_wait_same_q(&s, t->r, c, names, &q);
    e2e_wait_same_q(&sa, t->r, ca, names, &all);
    e2e_register_as(&b, "pod-a", name, "v2", "10.0.0.3:80");
    e2e_set_phase(t, "pod-a", "Failed");
    e2e_wait_same_q(&s, t->r, c, names, &q);
    e2e_wait_same_q(&sa, t->r, ca, names, &all);
    e2e_remove_pod(&b, "pod-a");
    e2e_wait_same_q(&s, t->r, c, names, &q);
    e2e_wait_same_q(&sa, t->r, ca, names, &all);
    assert_int_equal(s.stale, 0);
    kreg_cache_free(c);
    kreg_cache_free(ca);
    e2e_seen_release(&s);
    e2e_seen_release(&sa);
}

/*
 * A namespace deleted while watched: its pods go (the watcher reports
 * their services deleted, the cache drops them, get over the same list
 * answers without them), nothing fails, and the other namespace is still
 * followed.
 */
static void test_e2e_ns_namespace_deleted_while_watched(void **state)
{
    struct e2e *t = *state;
    const char *b_ns = e2e_ns_add(t);
    struct e2e b = in_ns(t, b_ns);
    const char *const nss[] = {t->ns, b_ns};
    struct kreg_query q = scope_query(nss, 2, false);
    struct kreg_service_list *l = NULL;
    const struct kreg_service_list *cl = NULL;
    struct kreg_error err;
    struct e2e_seen s;
    const char *names[] = {NULL, NULL};
    kreg_watch *w;
    kreg_cache *c;
    char name[64];
    char k[160];

    unique_name(name, sizeof(name), "greeter");
    names[0] = name;
    e2e_seen_init(&s);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(&b, "pod-b", "Running", NULL);
    e2e_register_as(t, "pod-a", name, "v1", "10.0.0.1:80");
    e2e_register_as(&b, "pod-b", name, "v1", "10.0.0.2:80");
    w = watch_q(t, name, &q);
    c = cache_q(t->r, &q, &s, 0);
    e2e_wait_same_q(&s, t->r, c, names, &q);
    assert_int_equal(kreg_cache_get(c, name, &cl, NULL), KREG_OK);
    assert_int_equal(cl->items[0]->nnodes, 2);
    kreg_cache_list_free(cl);

    assert_int_equal(e2e_ns_delete_named(t, b_ns), 0);
    e2e_expect(w, KREG_ACTION_DELETE, key_of(k, sizeof(k), b_ns, "pod-b"),
               "10.0.0.2:80");
    /* the list of a namespace that is gone is empty, not an error */
    assert_int_equal(get_q(t->r, name, &q, &l, &err), KREG_OK);
    expect_version(l, 1, 0, "v1", (const char *const[]){"10.0.0.1:80"}, 1);
    kreg_service_list_free(l);
    e2e_wait_same_q(&s, t->r, c, names, &q);
    assert_int_equal(kreg_cache_get(c, name, &cl, &err), KREG_OK);
    assert_int_equal(cl->items[0]->nnodes, 1);
    kreg_cache_list_free(cl);
    /* still following the namespace that is left */
    e2e_register_as(t, "pod-a", name, "v2", "10.0.0.5:80");
    e2e_expect(w, KREG_ACTION_UPDATE, key_of(k, sizeof(k), t->ns, "pod-a"),
               "10.0.0.5:80");
    e2e_wait_same_q(&s, t->r, c, names, &q);
    assert_int_equal(s.stale, 0);
    kreg_cache_free(c);
    e2e_seen_release(&s);
}

/*
 * A 403 names the request, the verb and the namespace, or the cluster
 * scope: docs/rbac.md, each mode's rules. A user whom RBAC lets get,
 * list and watch pods in the own namespace only cannot list another one,
 * nor all of them; one who may list both but watch neither gets its
 * watcher and cache going (the first lists pass), then ended by the
 * watch's 403.
 */
static void test_e2e_ns_forbidden_names_verb_and_namespace(void **state)
{
    struct e2e *t = *state;
    const char *b_ns = e2e_ns_add(t);
    const char *const nss[] = {t->ns, b_ns};
    struct kreg_query both = scope_query(nss, 2, false);
    struct kreg_query own = scope_query(nss, 1, false);
    struct kreg_query all = scope_query(NULL, 0, true);
    struct kreg_service_list *l = NULL;
    const struct kreg_service_list *cl = NULL;
    struct kreg_result *res = NULL;
    struct kreg_error err;
    struct e2e_seen s;
    char want[256];
    kreg *r1;
    kreg *r2;
    kreg_watch *w = NULL;
    kreg_cache *c = NULL;

    e2e_seen_init(&s);
    r1 = restricted(t, "kreg-ns-own", "[\"get\",\"list\",\"watch\"]", nss, 1);
    assert_int_equal(get_q(r1, "greeter", &own, &l, &err), KREG_E_NOT_FOUND);
    snprintf(want, sizeof(want), "list pods in namespace \"%s\": ", b_ns);
    assert_int_equal(get_q(r1, "greeter", &both, &l, &err), KREG_E_FORBIDDEN);
    assert_int_equal(err.http_status, 403);
    expect_text(&err, want, "cannot list resource \"pods\"");
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_list_services_q(r1, &both, KREG_QUERY_SIZE, &l, &err),
                     KREG_E_FORBIDDEN);
    expect_text(&err, want, "cannot list resource \"pods\"");
    assert_int_equal(get_q(r1, "greeter", &all, &l, &err), KREG_E_FORBIDDEN);
    expect_text(&err, "list pods cluster-wide: ", "at the cluster scope");
    memset(&err, 0, sizeof(err));
    assert_int_equal(
        kreg_watch_new_q(r1, NULL, &both, KREG_QUERY_SIZE, &w, &err),
        KREG_E_FORBIDDEN);
    expect_text(&err, want, "cannot list resource \"pods\"");
    memset(&err, 0, sizeof(err));
    assert_int_equal(
        kreg_cache_new(r1, &all, KREG_QUERY_SIZE, NULL, 0, &c, &err),
        KREG_E_FORBIDDEN);
    expect_text(&err, "list pods cluster-wide: ", "at the cluster scope");
    kreg_free(r1);

    r2 = restricted(t, "kreg-ns-lister", "[\"get\",\"list\"]", nss, 2);
    memset(&err, 0, sizeof(err));
    assert_int_equal(
        kreg_watch_new_q(r2, NULL, &both, KREG_QUERY_SIZE, &w, &err), KREG_OK);
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_watch_next(w, E2E_GUARD_MS, &res, &err),
                     KREG_E_FORBIDDEN);
    assert_null(res);
    expect_text(&err, "watch pods in namespace \"",
                "cannot watch resource \"pods\"");
    kreg_watch_free(w);
    c = cache_q(r2, &both, &s, 0);
    /* told at once; lookups then fail with the watch's error */
    e2e_seen_wait(&s, &s.stale, 0, "stale report");
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_cache_get(c, "greeter", &cl, &err), KREG_E_FORBIDDEN);
    expect_text(&err, "watch pods in namespace \"",
                "cannot watch resource \"pods\"");
    kreg_cache_free(c);
    kreg_free(r2);
    e2e_seen_release(&s);
}

/*
 * A namespace deleted under a watcher and a cache whose user may read it
 * only through a RoleBinding there: the RoleBinding goes with the
 * namespace, so the next request of that namespace's stream is refused.
 * That ends both for good with an error naming the namespace (never an
 * answer that quietly lacks a namespace): the watcher's next call returns
 * it (after the deletes it saw, if any), the cache reports itself stale at
 * once and its lookups fail with it. (fakeapi's user loses the namespace
 * the same way: it is given the own namespace alone again.)
 */
static void
test_e2e_ns_deleted_namespace_and_its_binding_end_clearly(void **state)
{
    struct e2e *t = *state;
    const char *b_ns = e2e_ns_add(t);
    struct e2e b = in_ns(t, b_ns);
    const char *const nss[] = {t->ns, b_ns};
    struct kreg_query q = scope_query(nss, 2, false);
    const struct kreg_service_list *cl = NULL;
    struct kreg_result *res = NULL;
    struct kreg_error err;
    struct e2e_seen s;
    char want[160];
    char k[160];
    kreg_watch *w = NULL;
    kreg_cache *c;
    kreg *r;
    int rc;

    e2e_seen_init(&s);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(&b, "pod-b", "Running", NULL);
    e2e_register_as(t, "pod-a", "greeter", "v1", "10.0.0.1:80");
    e2e_register_as(&b, "pod-b", "greeter", "v1", "10.0.0.2:80");
    r = restricted(t, "kreg-ns-del", "[\"list\",\"watch\"]", nss, 2);
    /* streams end every second: the next request comes soon */
    q.watch_timeout_s = 1;
    memset(&err, 0, sizeof(err));
    assert_int_equal(
        kreg_watch_new_q(r, "greeter", &q, KREG_QUERY_SIZE, &w, &err), KREG_OK);
    c = cache_q(r, &q, &s, 0);
    assert_int_equal(kreg_cache_get(c, "greeter", &cl, NULL), KREG_OK);
    assert_int_equal(cl->items[0]->nnodes, 2);
    kreg_cache_list_free(cl);

    assert_int_equal(e2e_ns_delete_named(t, b_ns), 0);
    if (is_fake(t))
        free(fake_user(t, "kreg-ns-del", "[\"list\",\"watch\"]", nss, 1));
    snprintf(want, sizeof(want), "pods in namespace \"%s\": ", b_ns);
    key_of(k, sizeof(k), b_ns, "pod-b");
    /* the deletes the stream saw before it was refused, then the end */
    for (;;) {
        memset(&err, 0, sizeof(err));
        rc = kreg_watch_next(w, E2E_GUARD_MS, &res, &err);
        if (rc != KREG_OK)
            break;
        if (res->action != KREG_ACTION_DELETE || strcmp(res->pod, k) != 0)
            fail_msg("unexpected result %d on %s", (int)res->action, res->pod);
        kreg_result_free(res);
    }
    assert_int_equal(rc, KREG_E_FORBIDDEN);
    if (!strstr(err.text, want))
        fail_msg("error \"%s\" does not name \"%s\"", err.text, want);
    e2e_seen_wait(&s, &s.stale, 0, "stale report");
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_cache_get(c, "greeter", &cl, &err), KREG_E_FORBIDDEN);
    assert_null(cl);
    assert_non_null(strstr(err.text, want));
    kreg_watch_free(w);
    kreg_cache_free(c);
    kreg_free(r);
    e2e_seen_release(&s);
}

/* ---- fakeapi only --------------------------------------------------------*/

/*
 * Each namespace's stream resumes from its own resourceVersion: when one
 * of them meets 410 Gone, only that namespace is listed again, and no
 * change of either is lost or repeated.
 */
static void test_e2e_ns_streams_resume_and_relist_apart(void **state)
{
    struct e2e *t = *state;
    const char *b_ns = e2e_ns_add(t);
    struct e2e b = in_ns(t, b_ns);
    const char *const nss[] = {t->ns, b_ns};
    struct kreg_query q = scope_query(nss, 2, false);
    struct fakeapi_fault f;
    char path[128];
    char k[160];
    json_t *log;
    json_t *e;
    size_t i;
    size_t lists_b = 0;
    size_t lists_own = 0;
    kreg_watch *w;

    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(&b, "pod-b", "Running", NULL);
    w = watch_q(t, NULL, &q);
    e2e_register_as(&b, "pod-b", "greeter", "v1", "10.0.0.2:80");
    e2e_expect(w, KREG_ACTION_CREATE, key_of(k, sizeof(k), b_ns, "pod-b"),
               NULL);
    wait_streams(t->srv, 2);
    /* B's next watch request is answered 410: B re-lists, own resumes */
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", b_ns);
    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_STATUS;
    f.method = "GET";
    f.path = path;
    f.count = 1;
    f.status = 410;
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    fakeapi_request_log_clear(t->srv);
    assert_int_equal(fakeapi_close_watches(t->srv), 2);
    e2e_register_as(&b, "pod-b", "greeter", "v1", "10.0.0.3:80");
    e2e_expect(w, KREG_ACTION_UPDATE, k, "10.0.0.3:80");
    e2e_register_as(t, "pod-a", "greeter", "v1", "10.0.0.1:80");
    e2e_expect(w, KREG_ACTION_CREATE, key_of(k, sizeof(k), t->ns, "pod-a"),
               "10.0.0.1:80");
    log = e2e_log(t->srv);
    json_array_foreach(log, i, e)
    {
        bool list = strcmp(e2e_log_str(e, "method"), "GET") == 0 &&
                    !strstr(e2e_log_str(e, "query"), "watch=");

        lists_b += list && strcmp(e2e_log_str(e, "path"), path) == 0;
        lists_own += list && strstr(e2e_log_str(e, "path"), "/default/");
    }
    json_decref(log);
    assert_int_equal(lists_b, 1);
    assert_int_equal(lists_own, 0);
}

/*
 * The cache is only as fresh as its stalest namespace: with one stream
 * held silent, events in the other namespace do not keep it current, so a
 * stale answer is not passed off as fresh.
 */
static void test_e2e_ns_cache_is_stale_when_one_namespace_is(void **state)
{
    struct e2e *t = *state;
    const char *b_ns = e2e_ns_add(t);
    struct e2e b = in_ns(t, b_ns);
    const char *const nss[] = {t->ns, b_ns};
    struct kreg_query q = scope_query(nss, 2, false);
    const struct kreg_service_list *l = NULL;
    struct kreg_cache_options o;
    struct fakeapi_fault f;
    struct e2e_seen s;
    char path[128];
    int64_t until;
    unsigned i = 0;
    kreg_cache *c = NULL;

    e2e_seen_init(&s);
    e2e_add_pod(t, "pod-a", "Running", NULL);
    e2e_add_pod(&b, "pod-b", "Running", NULL);
    memset(&o, 0, sizeof(o));
    o.on_stale = e2e_seen_stale;
    o.on_change = e2e_seen_change;
    o.ctx = &s;
    o.stale_ms = STALE_MS;
    o.stale_fails = true;
    assert_int_equal(kreg_cache_new(t->r, &q, KREG_QUERY_SIZE, &o,
                                    KREG_CACHE_OPTIONS_SIZE, &c, NULL),
                     KREG_OK);
    /* B's next watch request is held three stale_ms */
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", b_ns);
    memset(&f, 0, sizeof(f));
    f.kind = FAKEAPI_FAULT_LATENCY;
    f.method = "GET";
    f.path = path;
    f.count = 1;
    f.latency_ms = 3 * STALE_MS;
    wait_streams(t->srv, 2);
    assert_int_equal(fakeapi_fault_add(t->srv, &f, NULL), FAKEAPI_OK);
    assert_int_equal(fakeapi_close_watches(t->srv), 2);
    /* the own namespace keeps changing, each change seen */
    until = e2e_now_ms() + 2 * (int64_t)STALE_MS;
    for (;;) {
        char addr[32];
        unsigned seen;
        unsigned stale;

        pthread_mutex_lock(&s.mu);
        seen = s.changes;
        stale = s.stale;
        pthread_mutex_unlock(&s.mu);
        if (stale > 0 || e2e_now_ms() >= until)
            break;

        snprintf(addr, sizeof(addr), "10.0.0.1:%u", 1000 + i++);
        e2e_register_as(t, "pod-a", "greeter", "1", addr);
        e2e_seen_wait(&s, &s.changes, seen, "change");
    }
    e2e_seen_wait(&s, &s.stale, 0, "stale report");
    assert_true(kreg_cache_age_ms(c) >= STALE_MS);
    assert_int_equal(kreg_cache_get(c, "greeter", &l, NULL), KREG_E_TIMEOUT);
    assert_null(l);
    /* B's stream comes back with B's change: current again (a stream
     * that brings nothing proves nothing until a bookmark) */
    e2e_register_as(&b, "pod-b", "greeter", "1", "10.0.0.2:80");
    e2e_seen_wait(&s, &s.fresh, 0, "report of a current view");
    expect_version_in(c, "greeter", 2);
    kreg_cache_free(c);
    e2e_seen_release(&s);
}

int main(void)
{
    const struct e2e_test tests[] = {
        E2E_TEST(test_e2e_ns_get_and_list_merge_across_namespaces),
        E2E_TEST(test_e2e_ns_all_namespaces_is_one_cluster_wide_list),
        E2E_TEST(test_e2e_ns_register_stays_in_the_own_namespace),
        E2E_TEST(test_e2e_ns_bad_namespace_lists_are_refused),
        E2E_TEST(test_e2e_ns_watch_follows_its_namespaces),
        E2E_TEST(test_e2e_ns_cache_answers_as_get_across_namespaces),
        E2E_TEST(test_e2e_ns_namespace_deleted_while_watched),
        E2E_TEST(test_e2e_ns_forbidden_names_verb_and_namespace),
        E2E_TEST(test_e2e_ns_deleted_namespace_and_its_binding_end_clearly),
        E2E_FAKE_TEST(test_e2e_ns_streams_resume_and_relist_apart,
                      "faults and the request log"),
        E2E_FAKE_TEST(test_e2e_ns_cache_is_stale_when_one_namespace_is,
                      "a latency fault holds one stream"),
    };

    return e2e_run_group("e2e_namespaces", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
