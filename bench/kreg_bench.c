/*
 * kreg_bench: libkreg's figures against an embedded fakeapi server on
 * loopback (issue 4, "Must show" item 3).
 *
 *   register  kreg_register() of a changed service (a real update), and of
 *             the same service again (go-micro's periodic re-register, a
 *             no-op on the server): median of 500 each
 *   get       kreg_get_service() with 10,000 pods in the namespace, 100
 *             of them serving the service: median of 300
 *   list      kreg_list_services() over those 10,000 registered pods:
 *             median of 20
 *   watch     from kreg_register() returning to kreg_watch_next()
 *             returning its update, on a per-service watch: median of 500
 *
 *   cache     kreg_cache_get() against kreg_get_service() in the same run,
 *             10,000 pods, 100 of them serving the service (issue 14):
 *             latency (median, p99) and lookups per second, one thread and
 *             two; the memory the cache takes (malloc'd bytes, all arenas,
 *             before and after kreg_cache_new()) and its first list
 *
 * Usage: kreg_bench [register|get|watch|cache]  (no argument: all).
 * Timings are printed, never asserted (docs/conventions.md, Tests: timings go
 * in bench/).
 */
#define _GNU_SOURCE /* mallinfo2() */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fakeapi.h"
#include "kbuf.h"
#include "kreg.h"
#include "watch.h"

#define PODS    10000
#define SERVING 100
#define ROUNDS  500
#define GETS    300
#define LISTS   20
#define LOOKUPS 200000  /* kreg_cache_get() calls timed one by one */
#define LOOPED  2000000 /* ... and back to back, per thread */

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[n / 2];
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[(size_t)((double)(n - 1) * p)];
}

static void die(const char *what, const char *text)
{
    fprintf(stderr, "kreg_bench: %s: %s\n", what, text);
    exit(1);
}

/* ---- Set-up ------------------------------------------------------------*/

/*
 * Append pod @p i: a typical pod registered with one service, "greeter"
 * for the serving ones, "svc-<i % 97>" for the others.
 */
static void add_pod(struct kbuf *b, size_t i, bool serving)
{
    char svc[32];

    if (serving)
        snprintf(svc, sizeof(svc), "%s", "greeter");
    else
        snprintf(svc, sizeof(svc), "svc-%zu", i % 97);
    kbuf_addf(b,
              "%s{\"metadata\":{\"name\":\"pod-%06zu\",\"labels\":{\"app\":"
              "\"%s\",\"pod-template-hash\":\"7d9f8c6b5\",\"micro.mu/type\":"
              "\"service\",\"micro.mu/selector-%s\":\"service\"},"
              "\"annotations\":{\"micro.mu/service-%s\":\"{\\\"name\\\":"
              "\\\"%s\\\",\\\"version\\\":\\\"latest\\\",\\\"metadata\\\":"
              "null,\\\"endpoints\\\":[],\\\"nodes\\\":[{\\\"id\\\":\\\"%s-"
              "%06zu\\\",\\\"address\\\":\\\"10.%zu.%zu.%zu:8080\\\","
              "\\\"metadata\\\":{\\\"broker\\\":\\\"http\\\",\\\"protocol\\\":"
              "\\\"mucp\\\",\\\"registry\\\":\\\"kubernetes\\\",\\\"server\\\":"
              "\\\"mucp\\\",\\\"transport\\\":\\\"http\\\"}}]}\"}},"
              "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":"
              "\"registry.example.com/team/app:1.2.3\"}],\"nodeName\":"
              "\"node-%zu\"},\"status\":{\"phase\":\"Running\",\"podIP\":"
              "\"10.%zu.%zu.%zu\"}}",
              i ? "," : "", i, svc, svc, svc, svc, svc, i, (i >> 16) & 255,
              (i >> 8) & 255, i & 255, i % 50, (i >> 16) & 255, (i >> 8) & 255,
              i & 255);
}

/* Seed @p n pods, @p serving of them evenly spread serving "greeter". */
static void seed(fakeapi *srv, size_t n, size_t serving)
{
    struct fakeapi_error err;
    struct kbuf b;
    size_t every = serving ? n / serving : n + 1;
    size_t i;

    kbuf_init(&b, (size_t)1 << 31);
    kbuf_addc(&b, '[');
    for (i = 0; i < n; i++)
        add_pod(&b, i, serving && i % every == 0);
    if (kbuf_addc(&b, ']') != KBUF_OK)
        die("seed", "out of memory");
    if (fakeapi_seed_json(srv, kbuf_str(&b), kbuf_len(&b), &err) != FAKEAPI_OK)
        die("seed", err.text);
    kbuf_release(&b);
}

static fakeapi *server(void)
{
    struct fakeapi_error err;
    fakeapi *srv = NULL;

    if (fakeapi_start(NULL, &srv, &err) != FAKEAPI_OK)
        die("fakeapi_start", err.text);
    return srv;
}

static kreg *handle(fakeapi *srv, const char *pod)
{
    struct kreg_options o;
    struct kreg_error err;
    kreg *r = NULL;

    memset(&o, 0, sizeof(o));
    o.server = fakeapi_url(srv);
    o.namespace_ = "default";
    o.pod_name = pod;
    o.no_in_cluster = true;
    if (kreg_new(&o, &r, &err) != KREG_OK)
        die("kreg_new", err.text);
    return r;
}

/* A go-micro v2 style service with one node on @p port (new). */
static struct kreg_service *service(const char *name, int port)
{
    struct kreg_service *s = kreg_service_new();
    char addr[32];

    snprintf(addr, sizeof(addr), "10.1.2.3:%d", port);
    if (!s)
        die("service", "out of memory");
    free(s->name);
    s->name = strdup(name);
    free(s->version);
    s->version = strdup("latest");
    s->endpoints_null = false;
    if (!s->name || !s->version || !kreg_service_add_node(s, "n1", addr) ||
        kreg_metadata_set(&s->nodes[0]->metadata, "protocol", "mucp") !=
            KREG_OK)
        die("service", "out of memory");
    return s;
}

static void register_ok(kreg *r, const struct kreg_service *s)
{
    struct kreg_error err;

    if (kreg_register(r, s, &err) != KREG_OK)
        die("register", err.text);
}

/* ---- Figures -----------------------------------------------------------*/

static void bench_register(void)
{
    fakeapi *srv = server();
    kreg *r;
    double t[ROUNDS];
    struct kreg_service *s;
    size_t i;

    seed(srv, 1, 0);
    r = handle(srv, "pod-000000");
    for (i = 0; i < ROUNDS; i++) {
        double t0;

        s = service("greeter", 1000 + (int)i);
        t0 = now_us();
        register_ok(r, s);
        t[i] = now_us() - t0;
        kreg_service_free(s);
    }
    printf("register: changed service (one PATCH): median %.0f "
           "us, p90 %.0f us (%d registers)\n",
           median(t, ROUNDS), pct(t, ROUNDS, 0.9), ROUNDS);
    s = service("greeter", 999);
    for (i = 0; i < ROUNDS; i++) {
        double t0 = now_us();

        register_ok(r, s);
        t[i] = now_us() - t0;
    }
    kreg_service_free(s);
    printf("register: same service again (server no-op): median %.0f us "
           "(%d registers)\n",
           median(t, ROUNDS), ROUNDS);
    kreg_free(r);
    fakeapi_stop(srv);
}

static void bench_get(void)
{
    fakeapi *srv = server();
    double t[GETS];
    struct kreg_error err;
    kreg *r;
    size_t i;

    seed(srv, PODS, SERVING);
    r = handle(srv, "pod-000000");
    for (i = 0; i < GETS; i++) {
        struct kreg_service_list *l = NULL;
        double t0 = now_us();

        if (kreg_get_service(r, "greeter", &l, &err) != KREG_OK)
            die("get", err.text);
        t[i] = now_us() - t0;
        if (l->count != 1 || l->items[0]->nnodes != SERVING)
            die("get", "wrong answer");
        kreg_service_list_free(l);
    }
    printf("get: %d of %d pods serve it: median %.0f us, p90 %.0f us (%d "
           "gets)\n",
           SERVING, PODS, median(t, GETS), pct(t, GETS, 0.9), GETS);
    for (i = 0; i < LISTS; i++) {
        struct kreg_service_list *l = NULL;
        double t0 = now_us();

        if (kreg_list_services(r, &l, &err) != KREG_OK)
            die("list", err.text);
        t[i] = now_us() - t0;
        kreg_service_list_free(l);
    }
    printf("list: all services of %d registered pods: median %.1f ms (%d "
           "lists)\n",
           PODS, median(t, LISTS) / 1e3, LISTS);
    kreg_free(r);
    fakeapi_stop(srv);
}

static void bench_watch(void)
{
    fakeapi *srv = server();
    double t[ROUNDS];
    struct kreg_error err;
    kreg_watch *w = NULL;
    kreg *r;
    size_t i;

    seed(srv, 1, 0);
    r = handle(srv, "pod-000000");
    if (kreg_watch_new(r, "greeter", &w, &err) != KREG_OK)
        die("watch", err.text);
    for (i = 0; i < ROUNDS; i++) {
        struct kreg_service *s = service("greeter", 1000 + (int)i);
        struct kreg_result *res = NULL;
        double t0;

        register_ok(r, s);
        t0 = now_us();
        if (kreg_watch_next(w, 10000, &res, &err) != KREG_OK)
            die("watch next", err.text);
        t[i] = now_us() - t0;
        if (res->action != (i ? KREG_ACTION_UPDATE : KREG_ACTION_CREATE))
            die("watch", "unexpected action");
        kreg_result_free(res);
        kreg_service_free(s);
    }
    printf("watch: register returned to kreg_watch_next returned: median "
           "%.0f us, p90 %.0f us (%d events)\n",
           median(t, ROUNDS), pct(t, ROUNDS, 0.9), ROUNDS);
    kreg_watch_free(w);
    kreg_free(r);
    fakeapi_stop(srv);
}

/* ---- The cache (issue 14) ---------------------------------------------*/

/* Bytes malloc has handed out and not had back, every arena. */
static double heap_bytes(void)
{
    struct mallinfo2 m = mallinfo2();

    return (double)m.uordblks + (double)m.hblkhd;
}

/* One lookup (a new reference: kreg_cache_list_free()). */
static const struct kreg_service_list *lookup(kreg_cache *c)
{
    const struct kreg_service_list *l = NULL;
    struct kreg_error err;

    if (kreg_cache_get(c, "greeter", &l, &err) != KREG_OK)
        die("cache get", err.text);
    return l;
}

struct looper {
    kreg_cache *c;
    double us; /* wall time of LOOPED lookups */
    pthread_t th;
};

static void *loop_main(void *arg)
{
    struct looper *lp = arg;
    double t0 = now_us();
    size_t i;

    for (i = 0; i < LOOPED; i++)
        kreg_cache_list_free(lookup(lp->c));
    lp->us = now_us() - t0;
    return NULL;
}

/* Lookups per second with @p n (1 or 2) threads at once, all together. */
static double lookups_per_s(kreg_cache *c, size_t n)
{
    struct looper lp[2];
    double rate = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        lp[i].c = c;
        if (pthread_create(&lp[i].th, NULL, loop_main, &lp[i]) != 0)
            die("cache", "cannot start a thread");
    }
    for (i = 0; i < n; i++) {
        pthread_join(lp[i].th, NULL);
        rate += LOOPED / (lp[i].us / 1e6);
    }
    return rate;
}

/* The memory a plain watcher on every service takes, for comparison. */
static double watch_bytes(kreg *r)
{
    struct kreg_error err;
    kreg_watch *w = NULL;
    double before = heap_bytes();
    double after;

    if (kreg_watch_new(r, NULL, &w, &err) != KREG_OK)
        die("watch", err.text);
    after = heap_bytes();
    kreg_watch_free(w);
    return after - before;
}

static int feed_change(void *ctx, enum kreg_action action, const char *pod,
                       const char *key, const char *text)
{
    (void)ctx;
    (void)action;
    (void)pod;
    (void)key;
    (void)text;
    return 0;
}

static void feed_synced(void *ctx, int64_t since_ms)
{
    (void)ctx;
    (void)since_ms;
}

static void feed_ended(void *ctx, int code, const struct kreg_error *err)
{
    (void)ctx;
    (void)code;
    (void)err;
}

/* The part of the cache's memory that is its watcher's view: a fed
 * watcher (watch.h) whose feed keeps nothing. */
static double fed_watch_bytes(kreg *r)
{
    struct kreg__watch_feed feed = {NULL, feed_change, feed_synced, feed_ended};
    struct kreg_error err;
    kreg_watch *w = NULL;
    double before = heap_bytes();
    double after;

    if (kreg__watch_new_feed(r, NULL, 0, &feed, &w, &err) != KREG_OK)
        die("watch", err.text);
    after = heap_bytes();
    kreg_watch_free(w);
    return after - before;
}

/* kreg_get_service() GETS times: latencies into @p us; lookups/s. */
static double time_gets(kreg *r, double *us)
{
    struct kreg_error err;
    double sum = 0;
    size_t i;

    for (i = 0; i < GETS; i++) {
        struct kreg_service_list *l = NULL;
        double t0 = now_us();

        if (kreg_get_service(r, "greeter", &l, &err) != KREG_OK)
            die("get", err.text);
        us[i] = now_us() - t0;
        sum += us[i];
        kreg_service_list_free(l);
    }
    return GETS / (sum / 1e6);
}

/* kreg_cache_get() LOOKUPS times, each timed: latencies into @p us. */
static void time_lookups(kreg_cache *c, double *us)
{
    size_t i;

    for (i = 0; i < LOOKUPS; i++) {
        double t0 = now_us();

        kreg_cache_list_free(lookup(c));
        us[i] = now_us() - t0;
    }
}

/* What timing one call costs (in the figures of time_lookups()). */
static double timer_us(double *us)
{
    size_t i;

    for (i = 0; i < LOOKUPS; i++) {
        double t0 = now_us();

        us[i] = now_us() - t0;
    }
    return median(us, LOOKUPS);
}

static void bench_cache(void)
{
    static double t[LOOKUPS];
    fakeapi *srv = server();
    double get_us[GETS];
    struct kreg_error err;
    const struct kreg_service_list *l;
    kreg_cache *c = NULL;
    double gets_per_s;
    double bytes;
    double load_ms;
    double timer;
    double one;
    double two;
    kreg *r;

    seed(srv, PODS, SERVING);
    r = handle(srv, "pod-000000");
    gets_per_s = time_gets(r, get_us);
    bytes = heap_bytes();
    load_ms = now_us();
    if (kreg_cache_new(r, NULL, 0, NULL, 0, &c, &err) != KREG_OK)
        die("cache", err.text);
    load_ms = (now_us() - load_ms) / 1e3;
    bytes = heap_bytes() - bytes;
    l = lookup(c);
    if (l->count != 1 || l->items[0]->nnodes != SERVING)
        die("cache", "wrong answer");
    kreg_cache_list_free(l);
    timer = timer_us(t);
    time_lookups(c, t);
    one = lookups_per_s(c, 1);
    two = lookups_per_s(c, 2);
    printf("cache: %d of %d pods serve it, same run:\n", SERVING, PODS);
    printf("  kreg_get_service: median %.0f us, p99 %.0f us, %.0f lookups/s "
           "(%d gets)\n",
           median(get_us, GETS), pct(get_us, GETS, 0.99), gets_per_s, GETS);
    printf("  kreg_cache_get + kreg_cache_list_free: median %.3f us, p99 "
           "%.3f us (%d timed one by one; the timing itself, included: "
           "%.3f us)\n",
           median(t, LOOKUPS), pct(t, LOOKUPS, 0.99), LOOKUPS, timer);
    printf("  back to back: %.2f M lookups/s on one thread, %.2f M on two "
           "(%d each)\n",
           one / 1e6, two / 1e6, LOOPED);
    printf("  ratios: median latency %.0fx, lookups/s %.0fx\n",
           median(get_us, GETS) / median(t, LOOKUPS), one / gets_per_s);
    printf("  kreg_cache_new (first list: every phase, whole pods): %.0f ms; "
           "memory %.1f MiB (%.0f bytes a pod), of which its watcher's view "
           "%.1f MiB; a kreg_watch on every service: %.1f MiB\n",
           load_ms, bytes / 1048576.0, bytes / PODS,
           fed_watch_bytes(r) / 1048576.0, watch_bytes(r) / 1048576.0);
    kreg_cache_free(c);
    kreg_free(r);
    fakeapi_stop(srv);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;

    if (!only || strcmp(only, "register") == 0)
        bench_register();
    if (!only || strcmp(only, "get") == 0)
        bench_get();
    if (!only || strcmp(only, "watch") == 0)
        bench_watch();
    if (!only || strcmp(only, "cache") == 0)
        bench_cache();
    return 0;
}
