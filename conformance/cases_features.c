/*
 * cases_features: the optional features an implementation announces in
 * its hello (PROTOCOL.md, "Optional features"), each case skipped unless
 * its feature is announced; all recommended (go-micro's plugins have
 * neither):
 *
 *  - readyOnly: get, list and watch with "readyOnly": only pods whose
 *    Ready condition is True serve, besides Running and not terminating;
 *  - namespaces: get, list and watch with "namespaces" or
 *    "allNamespaces": a service found in several namespaces is one
 *    service, its nodes merged per version in "<namespace>/<pod>" order;
 *    registration stays in target.namespace.
 *
 * The second namespace is the run's own with "-b" (t->ns2), made and
 * deleted with it.
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"

#define READY_GUARDS                                                           \
    "Running is not Ready: go-micro serves every Running pod, Ready or not, "  \
    "so clients call instances that are starting or failing their "            \
    "readiness probes (dubbo #5872)"
#define NAMESPACES_GUARDS                                                      \
    "one namespace: go-micro's plugins discover only in their own "            \
    "namespace (with an address, always default): a service elsewhere "        \
    "cannot be found (dubbo-go #512, spring-cloud-kubernetes #163)"

/* ---- Helpers -----------------------------------------------------------*/

/* A service @p name / @p version whose nodes are case_service()'s with
 * the ids @p ids (@p n), in that order: the merged answer of get. */
static const char *merged(struct kcase *c, const char *name,
                          const char *version, const char *const *ids, size_t n)
{
    json_t *svc = NULL;
    size_t i;

    for (i = 0; i < n; i++) {
        json_t *one =
            case_parse(c, "service", case_service(c, name, version, ids[i]));

        if (!svc)
            svc = json_deep_copy(one);
        else
            json_array_extend(json_object_get(svc, "nodes"),
                              json_object_get(one, "nodes"));
    }
    CHECK(c, svc != NULL, "out of memory");
    case_hold(c, svc);
    return case_hold_str(c, json_dumps(svc, JSON_COMPACT));
}

/* "[<service>]" */
static const char *one_of(struct kcase *c, const char *service)
{
    return case_fmt(c, "[%s]", service);
}

/* Whether a list answer names @p name (v1-v3 {"name"} or v4 services). */
static bool lists(json_t *list, const char *name)
{
    json_t *s;
    size_t i;

    json_array_foreach(list, i, s)
    {
        const char *n = json_string_value(json_object_get(s, "name"));

        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* The query over the run's two namespaces (@p n: 1 the own, 2 both, or
 * -1 the second alone). */
static struct impl_query in_namespaces(struct kcase *c, int n,
                                       const char *nss[2])
{
    struct impl_query q;

    memset(&q, 0, sizeof(q));
    nss[0] = n < 0 ? c->s->t->ns2 : c->s->t->ns;
    nss[1] = c->s->t->ns2;
    q.namespaces = nss;
    q.n_namespaces = n < 0 ? 1 : (size_t)n;
    return q;
}

/* The ids of pods @p a (own namespace) and @p b (second) ordered as their
 * "<namespace>/<pod>" names: the API server's key order. */
static void key_order(struct kcase *c, const char *a, const char *id_a,
                      const char *b, const char *id_b, const char *out[2])
{
    const char *ka = case_fmt(c, "%s/%s", c->s->t->ns, a);
    const char *kb = case_fmt(c, "%s/%s", c->s->t->ns2, b);
    bool a_first = strcmp(ka, kb) < 0;

    out[0] = a_first ? id_a : id_b;
    out[1] = a_first ? id_b : id_a;
}

/* ---- readyOnly -----------------------------------------------------------*/

static void test_get_ready_only_serves_only_ready_pods(void **state)
{
    struct kcase *c = case_of(state);
    static const char *const all[] = {"n-a", "n-b", "n-c"};
    static const char *const ready[] = {"n-a"};
    struct impl_query q = {.ready_only = true};
    const char *a;
    const char *b;
    const char *p;

    case_need(c, IMPL_FEATURE_READY_ONLY, "readyOnly");
    a = case_pod(c, "a", "Running");
    b = case_pod(c, "b", "Running");
    p = case_pod(c, "c", "Running"); /* no Ready condition at all */
    case_ready(c, a, "True");
    case_ready(c, b, "False");
    case_register(c, a, case_service(c, "greeter", "1", "n-a"));
    case_register(c, b, case_service(c, "greeter", "1", "n-b"));
    case_register(c, p, case_service(c, "greeter", "1", "n-c"));
    case_expect_services(c, "get with readyOnly", case_get_q(c, "greeter", &q),
                         one_of(c, merged(c, "greeter", "1", ready, 1)));
    case_expect_services(c, "get without it", case_get(c, "greeter"),
                         one_of(c, merged(c, "greeter", "1", all, 3)));
    /* pods carry it but none is Ready: found, no instance */
    case_register(c, b, case_service(c, "lonely", "1", "n-b"));
    case_expect_services(c, "get of a service no Ready pod serves",
                         case_get_q(c, "lonely", &q), "[]");
}

static void test_list_ready_only_serves_only_ready_pods(void **state)
{
    struct kcase *c = case_of(state);
    struct impl_query q = {.ready_only = true};
    const char *a;
    const char *b;
    json_t *l;

    case_need(c, IMPL_FEATURE_READY_ONLY, "readyOnly");
    a = case_pod(c, "a", "Running");
    b = case_pod(c, "b", "Running");
    case_ready(c, a, "True");
    case_ready(c, b, "False");
    case_register(c, a, case_service(c, "ready", "1", "n-a"));
    case_register(c, b, case_service(c, "unready", "1", "n-b"));
    l = case_list_q(c, &q);
    CHECK(c, lists(l, "ready") && !lists(l, "unready"),
          "list with readyOnly: want \"ready\" and not \"unready\", got "
          "%.600s",
          case_hold_str(c, json_dumps(l, JSON_COMPACT)));
    l = case_list(c);
    CHECK(c, lists(l, "ready") && lists(l, "unready"),
          "list without readyOnly: want both, got %.600s",
          case_hold_str(c, json_dumps(l, JSON_COMPACT)));
}

static void test_watch_ready_only_follows_the_ready_condition(void **state)
{
    struct kcase *c = case_of(state);
    struct impl_query q = {.ready_only = true};
    const char *a;
    const char *b;
    const char *svc;
    const char *other;
    int w;

    case_need(c, IMPL_FEATURE_READY_ONLY, "readyOnly");
    a = case_pod(c, "a", "Running");
    b = case_pod(c, "b", "Running");
    svc = case_service(c, "greeter", "1", "n-a");
    other = case_service(c, "greeter", "2", "n-b");
    case_register(c, a, svc);
    w = case_watch_q(c, "greeter", &q);
    /* Running but not Ready: nothing yet; Ready: it appears */
    case_ready(c, a, "True");
    case_expect_event(c, w, "create", svc);
    case_ready(c, a, "False");
    case_expect_event(c, w, "delete", svc);
    /* a register on a pod that is not Ready is no event: the next one
     * is the Ready pod's */
    case_register(c, b, other);
    case_ready(c, a, "True");
    case_expect_event(c, w, "create", svc);
}

/* ---- namespaces ----------------------------------------------------------*/

static void test_get_across_namespaces_merges_a_service(void **state)
{
    struct kcase *c = case_of(state);
    const char *nss[2];
    struct impl_query both = in_namespaces(c, 2, nss);
    const char *nss2[2];
    struct impl_query second = in_namespaces(c, -1, nss2);
    const char *ids[2];
    const char *a;
    const char *b;
    json_t *out;
    char msg[1024];
    struct impl_target it;

    case_need(c, IMPL_FEATURE_NAMESPACES, "namespaces");
    a = case_pod(c, "a", "Running");
    b = case_pod_in2(c, "b", "Running");
    case_register(c, a, case_service(c, "greeter", "1", "n-a"));
    case_register_in2(c, b, case_service(c, "greeter", "1", "n-b"));
    key_order(c, a, "n-a", b, "n-b", ids);
    case_expect_services(c, "get in both namespaces",
                         case_get_q(c, "greeter", &both),
                         one_of(c, merged(c, "greeter", "1", ids, 2)));
    case_expect_services(c, "get in the second namespace",
                         case_get_q(c, "greeter", &second),
                         one_of(c, case_service(c, "greeter", "1", "n-b")));
    case_expect_services(c, "get without namespaces", case_get(c, "greeter"),
                         one_of(c, case_service(c, "greeter", "1", "n-a")));
    case_target(c, "none", &it);
    CHECK(c,
          case_try_get_q(c, &it, "nobody", &both, &out, msg, sizeof(msg)) ==
              IMPL_NOT_FOUND,
          "get of a service in neither namespace: want not_found, got %s",
          msg[0] ? msg : "an answer");
}

static void test_get_in_all_namespaces_merges_a_service(void **state)
{
    struct kcase *c = case_of(state);
    /* a name of this run alone: all namespaces of a cluster are seen */
    const char *name = case_fmt(c, "everywhere-%s", c->s->t->ns);
    struct impl_query all = {.all_namespaces = true};
    const char *ids[2];
    const char *a;
    const char *b;

    case_need(c, IMPL_FEATURE_NAMESPACES, "namespaces");
    a = case_pod(c, "a", "Running");
    b = case_pod_in2(c, "b", "Running");
    case_register(c, a, case_service(c, name, "1", "n-a"));
    case_register_in2(c, b, case_service(c, name, "1", "n-b"));
    key_order(c, a, "n-a", b, "n-b", ids);
    case_expect_services(c, "get in all namespaces", case_get_q(c, name, &all),
                         one_of(c, merged(c, name, "1", ids, 2)));
}

static void test_list_across_namespaces(void **state)
{
    struct kcase *c = case_of(state);
    const char *nss[2];
    struct impl_query both = in_namespaces(c, 2, nss);
    const char *only = case_fmt(c, "only-b-%s", c->s->t->ns);
    struct impl_query all = {.all_namespaces = true};
    const char *a;
    const char *b;
    json_t *l;

    case_need(c, IMPL_FEATURE_NAMESPACES, "namespaces");
    a = case_pod(c, "a", "Running");
    b = case_pod_in2(c, "b", "Running");
    case_register(c, a, case_service(c, "greeter", "1", "n-a"));
    case_register_in2(c, b, case_service(c, only, "1", "n-b"));
    l = case_list_q(c, &both);
    CHECK(c, lists(l, "greeter") && lists(l, only),
          "list in both namespaces: want greeter and %s, got %.600s", only,
          case_hold_str(c, json_dumps(l, JSON_COMPACT)));
    l = case_list_q(c, &all);
    CHECK(c, lists(l, "greeter") && lists(l, only),
          "list in all namespaces: want greeter and %s, got %.600s", only,
          case_hold_str(c, json_dumps(l, JSON_COMPACT)));
    l = case_list(c);
    CHECK(c, lists(l, "greeter") && !lists(l, only),
          "list without namespaces: want greeter alone, got %.600s",
          case_hold_str(c, json_dumps(l, JSON_COMPACT)));
}

static void test_watch_across_namespaces(void **state)
{
    struct kcase *c = case_of(state);
    const char *nss[2];
    struct impl_query both = in_namespaces(c, 2, nss);
    const char *name = case_fmt(c, "roaming-%s", c->s->t->ns);
    struct impl_query all = {.all_namespaces = true};
    const char *in_b;
    const char *in_a;
    const char *a;
    const char *b;
    int w;
    int wall;

    case_need(c, IMPL_FEATURE_NAMESPACES, "namespaces");
    a = case_pod(c, "a", "Running");
    b = case_pod_in2(c, "b", "Running");
    in_b = case_service(c, name, "1", "n-b");
    in_a = case_service(c, name, "2", "n-a");
    w = case_watch_q(c, NULL, &both);
    wall = case_watch_q(c, name, &all);
    case_register_in2(c, b, in_b);
    case_expect_event(c, w, "create", in_b);
    case_expect_event(c, wall, "create", in_b);
    case_register(c, a, in_a);
    case_expect_event(c, w, "create", in_a);
    case_expect_event(c, wall, "create", in_a);
    case_delete_pod(c, a);
    case_expect_event(c, w, "delete", in_a);
    case_expect_event(c, wall, "delete", in_a);
}

static void test_register_stays_in_the_own_namespace(void **state)
{
    struct kcase *c = case_of(state);
    const char *nss[2];
    struct impl_query second = in_namespaces(c, -1, nss);
    const char *a;
    json_t *there = NULL;
    json_t *labels;
    char msg[512];
    struct impl_target it;
    json_t *out;
    int rc;

    case_need(c, IMPL_FEATURE_NAMESPACES, "namespaces");
    /* a pod of the same name in both namespaces */
    a = case_pod(c, "a", "Running");
    (void)case_pod_in2(c, "a", "Running");
    case_register(c, a, case_service(c, "greeter", "1", "n-a"));
    CHECK(c,
          json_object_get(case_labels(c, a), case_selector_key(c, "greeter")) !=
              NULL,
          "register: the own pod %s has no selector label", a);
    rc = target_pod_get_in(c->s->t, c->s->t->ns2, a, &there, msg, sizeof(msg));
    CHECK(c, rc == TARGET_OK, "read pod %s of %s back: %s", a, c->s->t->ns2,
          msg);
    case_hold(c, there);
    labels = json_object_get(json_object_get(there, "metadata"), "labels");
    CHECK(c, json_object_get(labels, case_selector_key(c, "greeter")) == NULL,
          "register changed pod %s of the other namespace %s", a, c->s->t->ns2);
    case_target(c, "none", &it);
    rc = case_try_get_q(c, &it, "greeter", &second, &out, msg, sizeof(msg));
    CHECK(c, rc == IMPL_NOT_FOUND,
          "get in the other namespace: want not_found, got %s",
          rc == IMPL_OK ? "an answer" : msg);
}

static const struct case_desc table[] = {
    CASE_RECOMMENDED(test_get_ready_only_serves_only_ready_pods, READY_GUARDS),
    CASE_RECOMMENDED(test_list_ready_only_serves_only_ready_pods, READY_GUARDS),
    CASE_RECOMMENDED(test_watch_ready_only_follows_the_ready_condition,
                     READY_GUARDS),
    CASE_RECOMMENDED(test_get_across_namespaces_merges_a_service,
                     NAMESPACES_GUARDS),
    CASE_RECOMMENDED(test_get_in_all_namespaces_merges_a_service,
                     NAMESPACES_GUARDS),
    CASE_RECOMMENDED(test_list_across_namespaces, NAMESPACES_GUARDS),
    CASE_RECOMMENDED(test_watch_across_namespaces, NAMESPACES_GUARDS),
    CASE_RECOMMENDED(test_register_stays_in_the_own_namespace,
                     NAMESPACES_GUARDS),
};

size_t cases_features(const struct case_desc **out)
{
    *out = table;
    return sizeof(table) / sizeof(table[0]);
}
