/*
 * metrics_read: a handle's counters and a cache's gauges read out
 * (kreg_metrics_get) and written in the Prometheus text exposition format
 * 0.0.4 (kreg_metrics_prometheus; docs/metrics.md lists the metrics).
 *
 * The format (prometheus/docs, content/docs/instrumenting/
 * exposition_formats.md, Text format details): per metric family a
 * "# HELP name text" line (text escaping \ and line feed) and a
 * "# TYPE name counter|gauge" line, then one "name{label="value",...} v"
 * line per series, every line ending in a line feed; a label value is
 * UTF-8 with \, " and line feed escaped as \\, \" and \n.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "cache.h"
#include "error.h"
#include "kbuf.h"
#include "kutf8.h"
#include "metrics.h"
#include "registry.h"

#ifndef KREG__VERSION
#define KREG__VERSION "unknown"
#endif

/* The size of struct kreg_metrics in 0.5, the first: the least a caller
 * may pass. */
#define KREG__METRICS_SIZE_0_5 sizeof(struct kreg_metrics)

/* The exposition is a few KiB; the cap only bounds a runaway. */
#define TEXT_CAP ((size_t)1 << 20)

static uint64_t load(const atomic_uint_least64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Everything into @p m (zeroed first). KREG_OK or KREG_E_INVALID. */
static int read_all(const kreg *r, const kreg_cache *c, struct kreg_metrics *m,
                    struct kreg_error *err)
{
    const struct kreg__metrics *k = &r->metrics;
    size_t v;
    size_t i;

    memset(m, 0, sizeof(*m));
    if (c) {
        if (kreg__cache_sizes(c, &m->cache_services, &m->cache_pods) != r)
            return kreg__error(err, KREG_E_INVALID, 0, NULL,
                               "metrics: the cache was started on another "
                               "handle");
        m->cache_age_ms = kreg_cache_age_ms(c);
        m->has_cache = true;
    }
    for (v = 0; v < KREG_METRICS_VERBS; v++)
        for (i = 0; i < KREG_METRICS_CODES; i++)
            m->requests[v][i] = load(&k->requests[v][i]);
    m->retries = load(&k->retries);
    m->watch_reconnects = load(&k->watch_reconnects);
    m->relists = load(&k->relists);
    m->skipped_annotations = load(&k->skipped);
    return KREG_OK;
}

int kreg_metrics_get(const kreg *r, const kreg_cache *c,
                     struct kreg_metrics *out, size_t size,
                     struct kreg_error *err)
{
    struct kreg_metrics m;
    int rc;

    if (!r || !out)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "metrics: no handle or no place for the result");
    if (size < KREG__METRICS_SIZE_0_5)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "metrics: size %zu is smaller than any struct "
                           "kreg_metrics",
                           size);
    rc = read_all(r, c, &m, err);
    if (rc != KREG_OK)
        return rc;
    /* a program built against a later kreg.h: its newer members are 0 */
    memset((char *)out + sizeof(m), 0, size - sizeof(m));
    memcpy(out, &m, sizeof(m));
    return KREG_OK;
}

/* ---- The text ----------------------------------------------------------*/

/* The text being written; the first failure sticks. */
struct text {
    struct kbuf b;
    int rc; /* KBUF_OK or the first KBUF_E_* */
};

static void put(struct text *t, const char *s)
{
    if (t->rc == KBUF_OK)
        t->rc = kbuf_adds(&t->b, s);
}

static void putf(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void putf(struct text *t, const char *fmt, ...)
{
    va_list ap;

    if (t->rc != KBUF_OK)
        return;
    va_start(ap, fmt);
    t->rc = kbuf_vaddf(&t->b, fmt, ap);
    va_end(ap);
}

/* @p s as a label value: \, " and line feed escaped, each byte that does
 * not start a valid UTF-8 sequence as U+FFFD (the format is UTF-8). */
static void put_label_value(struct text *t, const char *s)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    size_t n = strlen(s);
    size_t i = 0;

    while (i < n && t->rc == KBUF_OK) {
        size_t w = kutf8_decode(s + i, n - i, 0, NULL);

        if (w == 0) {
            t->rc = kbuf_adds(&t->b, replacement);
            w = 1;
        } else if (s[i] == '\\' || s[i] == '"') {
            char esc[3] = {'\\', s[i], '\0'};

            t->rc = kbuf_adds(&t->b, esc);
        } else if (s[i] == '\n') {
            t->rc = kbuf_adds(&t->b, "\\n");
        } else {
            t->rc = kbuf_add(&t->b, s + i, w);
        }
        i += w;
    }
}

/* The HELP and TYPE lines of a family (@p help holds no \ or line feed). */
static void family(struct text *t, const char *name, const char *type,
                   const char *help)
{
    putf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(struct text *t, const char *name, const char *help,
                    uint64_t v)
{
    family(t, name, "counter", help);
    putf(t, "%s %llu\n", name, (unsigned long long)v);
}

static void gauge(struct text *t, const char *name, const char *help,
                  uint64_t v)
{
    family(t, name, "gauge", help);
    putf(t, "%s %llu\n", name, (unsigned long long)v);
}

/* kreg_info: constant labels, the value 1 (a common Prometheus idiom). */
static void info(struct text *t, const kreg *r)
{
    family(t, "kreg_info", "gauge",
           "The libkreg version and the handle's namespace; always 1.");
    put(t, "kreg_info{version=\"");
    put_label_value(t, KREG__VERSION);
    put(t, "\",namespace=\"");
    put_label_value(t, kreg_namespace(r));
    put(t, "\"} 1\n");
}

/* kreg_requests_total: a series per verb and code counted so far. */
static void requests(struct text *t, const struct kreg_metrics *m)
{
    int v;
    int k;

    family(t, "kreg_requests_total", "counter",
           "HTTP requests libkreg finished (each attempt), by verb and "
           "status code; code 0: no complete answer.");
    for (v = 0; v < KREG_METRICS_VERBS; v++)
        for (k = 0; k < KREG_METRICS_CODES; k++)
            if (m->requests[v][k] != 0)
                putf(t, "kreg_requests_total{verb=\"%s\",code=\"%s\"} %llu\n",
                     kreg_metrics_verb_name(v), kreg_metrics_code_name(k),
                     (unsigned long long)m->requests[v][k]);
}

static void cache_gauges(struct text *t, const struct kreg_metrics *m)
{
    gauge(t, "kreg_cache_services",
          "Service names the cache answers with at least one instance.",
          m->cache_services);
    gauge(t, "kreg_cache_pods",
          "Pods the cache's view holds (a service's selector label or "
          "annotation).",
          m->cache_pods);
    family(t, "kreg_cache_age_seconds", "gauge",
           "Time since the cache's last list, watch event or bookmark.");
    putf(t, "kreg_cache_age_seconds %llu.%03llu\n",
         (unsigned long long)(m->cache_age_ms / 1000),
         (unsigned long long)(m->cache_age_ms % 1000));
}

static void write_all(struct text *t, const kreg *r,
                      const struct kreg_metrics *m)
{
    info(t, r);
    requests(t, m);
    counter(t, "kreg_retries_total",
            "Requests sent again: after a 429, a 5xx or a broken transfer, "
            "or a 401 with credentials read again.",
            m->retries);
    counter(t, "kreg_watch_reconnects_total",
            "Watch streams opened after a watcher's first.",
            m->watch_reconnects);
    counter(t, "kreg_relists_total",
            "Lists a watcher completed after its first (410 Expired, an "
            "unreadable stream).",
            m->relists);
    counter(t, "kreg_skipped_annotations_total",
            "Service annotations reported skipped (undecodable, no name, "
            "another name, pod not ready).",
            m->skipped_annotations);
    if (m->has_cache)
        cache_gauges(t, m);
}

int kreg_metrics_prometheus(const kreg *r, const kreg_cache *c, char **text,
                            struct kreg_error *err)
{
    struct kreg_metrics m;
    struct text t;
    int rc;

    if (!text)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "metrics: no place for the result");
    *text = NULL;
    if (!r)
        return kreg__error(err, KREG_E_INVALID, 0, NULL, "metrics: no handle");
    rc = read_all(r, c, &m, err);
    if (rc != KREG_OK)
        return rc;
    kbuf_init(&t.b, TEXT_CAP);
    t.rc = KBUF_OK;
    write_all(&t, r, &m);
    if (t.rc == KBUF_OK)
        *text = kbuf_detach(&t.b, NULL);
    kbuf_release(&t.b);
    if (!*text)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    return KREG_OK;
}
