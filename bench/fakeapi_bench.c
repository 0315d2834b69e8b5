/*
 * fakeapi_bench: the server's figures for bench/README.md.
 *
 *   start    fakeapi_start() to the first answered GET /version (new
 *            connection), median of 50 starts
 *   list     GET with labelSelector matching 100 pods out of N (N = 1,000
 *            and 10,000), median of 300 requests on a kept-alive connection
 *   rss      resident memory after seeding 10,000 typical pods
 *   seed     time to seed 100,000 pods
 *
 * Timings are printed, never asserted (docs/conventions.md, Tests: timings go
 * in bench/).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fakeapi.h"
#include "kbuf.h"

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

static size_t sink(char *p, size_t sz, size_t n, void *cls)
{
    (void)p;
    *(size_t *)cls += sz * n;
    return sz * n;
}

static long get(CURL *c, const char *url, size_t *bytes)
{
    long status = 0;

    *bytes = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, bytes);
    if (curl_easy_perform(c) != CURLE_OK)
        return -1;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static void bench_start(void)
{
    double t[50];
    double m;
    size_t i;
    size_t bytes;

    for (i = 0; i < 50; i++) {
        fakeapi *srv = NULL;
        char url[128];
        CURL *c;
        double t0 = now_ms();

        if (fakeapi_start(NULL, &srv, NULL) != FAKEAPI_OK)
            exit(1);
        snprintf(url, sizeof(url), "%s/version", fakeapi_url(srv));
        c = curl_easy_init();
        if (get(c, url, &bytes) != 200)
            exit(1);
        t[i] = now_ms() - t0;
        curl_easy_cleanup(c);
        fakeapi_stop(srv);
    }
    m = median(t, 50); /* sorts t: t[0] is then the minimum */
    printf("start: fakeapi_start to first answered request: median %.3f ms"
           " (min %.3f, max %.3f, 50 runs)\n",
           m, t[0], t[49]);
}

/* A typical pod: labels, annotations, one container with the defaults a
 * server adds, a Running status; about 1.5 KiB of JSON. */
static void add_pod(struct kbuf *b, size_t i, bool selected, bool first)
{
    kbuf_addf(b,
              "%s{\"metadata\":{\"name\":\"pod-%06zu\",\"namespace\":"
              "\"bench\",\"labels\":{\"app\":\"%s\",\"pod-template-hash\":"
              "\"7d9f8c6b5\",\"micro.mu/type\":\"service\"},\"annotations\":"
              "{\"kubernetes.io/created-by\":\"bench\"}},\"spec\":{"
              "\"containers\":[{\"name\":\"app\",\"image\":"
              "\"registry.example.com/team/app:1.2.3\",\"ports\":[{"
              "\"containerPort\":8080,\"protocol\":\"TCP\"}],\"resources\":{"
              "\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}},"
              "\"imagePullPolicy\":\"IfNotPresent\",\"terminationMessagePath\""
              ":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\"}"
              "],\"restartPolicy\":\"Always\",\"dnsPolicy\":\"ClusterFirst\","
              "\"serviceAccountName\":\"default\",\"nodeName\":\"node-%zu\","
              "\"schedulerName\":\"default-scheduler\","
              "\"terminationGracePeriodSeconds\":30},\"status\":{\"phase\":"
              "\"Running\",\"podIP\":\"10.%zu.%zu.%zu\",\"hostIP\":"
              "\"192.168.0.%zu\",\"qosClass\":\"Burstable\",\"startTime\":"
              "\"2026-01-01T00:00:00Z\"}}",
              first ? "" : ",", i, selected ? "sel" : "other", i % 50,
              (i >> 16) & 255, (i >> 8) & 255, i & 255, i % 250);
}

static fakeapi *seeded(size_t n, size_t nsel, double *seed_ms)
{
    fakeapi *srv = NULL;
    struct kbuf b;
    size_t i;
    size_t every = nsel ? n / nsel : n + 1;
    double t0;
    struct fakeapi_error err;

    kbuf_init(&b, (size_t)1 << 33);
    kbuf_addc(&b, '[');
    for (i = 0; i < n; i++)
        add_pod(&b, i, nsel && i % every == 0, i == 0);
    kbuf_addc(&b, ']');
    if (fakeapi_start(NULL, &srv, NULL) != FAKEAPI_OK)
        exit(1);
    t0 = now_ms();
    if (fakeapi_seed_json(srv, kbuf_str(&b), kbuf_len(&b), &err) !=
        FAKEAPI_OK) {
        fprintf(stderr, "seed: %s\n", err.text);
        exit(1);
    }
    if (seed_ms)
        *seed_ms = now_ms() - t0;
    kbuf_release(&b);
    return srv;
}

static double bench_list(size_t n)
{
    fakeapi *srv = seeded(n, 100, NULL);
    double t[300];
    char url[256];
    CURL *c = curl_easy_init();
    size_t bytes = 0;
    size_t i;
    double m;

    snprintf(url, sizeof(url),
             "%s/api/v1/namespaces/bench/pods?labelSelector=app%%3Dsel",
             fakeapi_url(srv));
    get(c, url, &bytes); /* warm the connection */
    for (i = 0; i < 300; i++) {
        double t0 = now_ms();

        if (get(c, url, &bytes) != 200)
            exit(1);
        t[i] = now_ms() - t0;
    }
    m = median(t, 300);
    printf("list: labelSelector matching 100 of %zu pods: median %.3f ms "
           "(%zu bytes)\n",
           n, m, bytes);
    curl_easy_cleanup(c);
    fakeapi_stop(srv);
    return m;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static void bench_rss(void)
{
    long before = rss_kib();
    fakeapi *srv = seeded(10000, 100, NULL);
    long after = rss_kib();

    printf("rss: 10,000 typical pods: process %.1f MiB, of which the "
           "server's store %.1f MiB\n",
           (double)after / 1024.0, (double)(after - before) / 1024.0);
    fakeapi_stop(srv);
}

static void bench_seed(void)
{
    double ms = 0;
    fakeapi *srv = seeded(100000, 100, &ms);
    char url[256];
    CURL *c = curl_easy_init();
    size_t bytes;
    double t0;

    printf("seed: 100,000 pods in %.0f ms (%.1f us/pod)\n", ms,
           ms * 1000.0 / 100000.0);
    snprintf(url, sizeof(url),
             "%s/api/v1/namespaces/bench/pods?labelSelector=app%%3Dsel",
             fakeapi_url(srv));
    get(c, url, &bytes);
    t0 = now_ms();
    get(c, url, &bytes);
    printf("list: labelSelector matching 100 of 100,000 pods: %.3f ms\n",
           now_ms() - t0);
    curl_easy_cleanup(c);
    fakeapi_stop(srv);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    double small;
    double big;

    curl_global_init(CURL_GLOBAL_ALL);
    if (!only || strcmp(only, "rss") == 0)
        bench_rss(); /* first: before other runs grow the heap */
    if (!only || strcmp(only, "start") == 0)
        bench_start();
    if (!only || strcmp(only, "list") == 0) {
        small = bench_list(1000);
        big = bench_list(10000);
        printf("list: 10,000 / 1,000 ratio %.2f\n", big / small);
    }
    if (!only || strcmp(only, "seed") == 0)
        bench_seed();
    curl_global_cleanup();
    return 0;
}
