/*
 * cli_cache: `kreg get NAME --watch`: the answer of `get`, printed again
 * each time it changes, from a kreg_cache (one list, then the watch),
 * until SIGINT or SIGTERM (exit 0), or once --count answers are out.
 *
 * The cache's on_change wakes the main thread, which asks the cache again
 * and prints only when the answer differs from the last one printed (a
 * change of another service of the same pod is no news). Staleness and
 * what the cache skips or rides out are warning lines on stderr. The stop
 * signals are taken by a sigwait() thread, as in cli_watch.c: no code
 * runs in a signal handler.
 */
#include "cli.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ANSWER_CAP ((size_t)256 << 20)

/* What the threads tell the main one, under mu. */
struct news {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned long changes; /* on_change calls so far */
    bool stop;             /* SIGINT or SIGTERM came */
    const char *name;      /* the service shown */
};

static void on_change(void *ctx, const char *name)
{
    struct news *n = ctx;

    /* another service's change, unless it cannot be told apart */
    if (name && strcmp(name, n->name) != 0)
        return;
    pthread_mutex_lock(&n->mu);
    n->changes++;
    pthread_cond_signal(&n->cv);
    pthread_mutex_unlock(&n->mu);
}

static void on_stale(void *ctx, bool stale, uint64_t age_ms)
{
    struct news *n = ctx;

    if (stale)
        cli_out_fail(0,
                     "warning: nothing from the API server for %llu s: the "
                     "answer may be out of date",
                     (unsigned long long)(age_ms / 1000));
    else
        cli_out_fail(0, "warning: the watch is current again");
    /* ask the cache again: a watch that ended for good (a 403) is only
     * told this way, and its lookups then fail with its error */
    pthread_mutex_lock(&n->mu);
    n->changes++;
    pthread_cond_signal(&n->cv);
    pthread_mutex_unlock(&n->mu);
}

struct stopper {
    sigset_t set;
    struct news *n;
    pthread_t th;
};

static void *stopper_main(void *arg)
{
    struct stopper *st = arg;
    int sig = 0;

    /* sigwait() only fails for a bad set; stop either way */
    (void)sigwait(&st->set, &sig);
    pthread_mutex_lock(&st->n->mu);
    st->n->stop = true;
    pthread_cond_signal(&st->n->cv);
    pthread_mutex_unlock(&st->n->mu);
    return NULL;
}

/* An answer, for telling a new one from the last printed: the code and
 * each service as go-micro writes it. KBUF_OK or a KBUF_E_* code. */
static int fingerprint(int krc, const struct kreg_service_list *l,
                       struct kbuf *b)
{
    size_t i;
    int rc = kbuf_addf(b, "%d", krc);

    for (i = 0; krc == KREG_OK && rc == KBUF_OK && i < l->count; i++) {
        char *json = NULL;
        size_t len = 0;

        if (kreg_service_encode(l->items[i], KREG_WIRE_V2, &json, &len, NULL) !=
            KREG_OK)
            return KBUF_E_NOMEM;
        rc = kbuf_addc(b, '\n');
        if (rc == KBUF_OK)
            rc = kbuf_add(b, json, len);
        free(json);
    }
    return rc;
}

/* Print an answer: as get prints it, "[]" (or the header alone) when
 * there is no instance, with the reason as a warning. */
static int print_answer(const struct cli_args *a, int krc,
                        const struct kreg_service_list *l,
                        const struct kreg_error *err, bool first)
{
    static const struct kreg_service_list none = {0, NULL};

    if (krc == KREG_E_NOT_FOUND)
        cli_out_fail(0, "warning: %s", err->text);
    else if (l->count == 0)
        cli_out_fail(0, "warning: service \"%s\" has no running instance",
                     a->args[0]);
    if (a->format == CLI_FORMAT_JSON)
        return cli_print_services_json(krc == KREG_OK ? l : &none);
    /* tables one after the other, an empty line between them */
    if (!first && !cli_out_write("\n", 1))
        return CLI_EXIT_ERROR;
    return cli_print_services_table(krc == KREG_OK ? l : &none);
}

/*
 * Ask the cache; print when the answer differs from @p last (the last one
 * printed, replaced then). *@p printed counts what was printed.
 */
static int show(const struct cli_args *a, kreg_cache *c, struct kbuf *last,
                unsigned long *printed)
{
    const struct kreg_service_list *l = NULL;
    struct kreg_error err = {0};
    struct kbuf now;
    int krc = kreg_cache_get(c, a->args[0], &l, &err);
    int rc = CLI_EXIT_OK;

    if (krc != KREG_OK && krc != KREG_E_NOT_FOUND)
        return cli_out_kreg_error("get", krc, &err);
    kbuf_init(&now, ANSWER_CAP);
    if (fingerprint(krc, l, &now) != KBUF_OK)
        rc = cli_out_fail(CLI_EXIT_ERROR, "out of memory");
    else if (*printed == 0 || kbuf_len(&now) != kbuf_len(last) ||
             memcmp(kbuf_str(&now), kbuf_str(last), kbuf_len(&now)) != 0) {
        rc = print_answer(a, krc, l, &err, *printed == 0);
        ++*printed;
        kbuf_reset(last);
        if (kbuf_add(last, kbuf_str(&now), kbuf_len(&now)) != KBUF_OK)
            rc = cli_out_fail(CLI_EXIT_ERROR, "out of memory");
    }
    kbuf_release(&now);
    kreg_cache_list_free(l);
    return rc;
}

/* The time @p ms from now, for pthread_cond_timedwait (CLOCK_REALTIME). */
static struct timespec in_ms(long ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Wait for a change after @p seen or a stop; with --metrics FILE, for at
 * most CLI_METRICS_REFRESH_MS (its gauges are rewritten then). */
static void wait_news(const struct cli_args *a, struct news *n,
                      unsigned long seen)
{
    struct timespec until = in_ms(CLI_METRICS_REFRESH_MS);
    int rc = 0;

    pthread_mutex_lock(&n->mu);
    while (!n->stop && n->changes == seen && rc == 0) {
        if (a->metrics)
            rc = pthread_cond_timedwait(&n->cv, &n->mu, &until);
        else
            pthread_cond_wait(&n->cv, &n->mu);
    }
    pthread_mutex_unlock(&n->mu);
}

/* Print answers until stopped, the count is reached, or a failure; with
 * --metrics FILE, rewrite it after each answer and while none comes. */
static int loop(const struct cli_args *a, const kreg *r, kreg_cache *c,
                struct news *n)
{
    unsigned long seen = 0;
    unsigned long printed = 0;
    struct kbuf last;
    int rc;

    kbuf_init(&last, ANSWER_CAP);
    rc = show(a, c, &last, &printed);
    if (rc == CLI_EXIT_OK)
        rc = cli_metrics_update(a, r, c);
    while (rc == CLI_EXIT_OK && (!a->count || printed < a->count)) {
        bool stop;
        unsigned long now;

        wait_news(a, n, seen);
        pthread_mutex_lock(&n->mu);
        stop = n->stop;
        now = n->changes;
        pthread_mutex_unlock(&n->mu);
        if (stop)
            break;
        if (now != seen)
            rc = show(a, c, &last, &printed);
        seen = now;
        if (rc == CLI_EXIT_OK)
            rc = cli_metrics_update(a, r, c);
    }
    kbuf_release(&last);
    return rc;
}

int cli_cmd_get_watch(const struct cli_args *a)
{
    struct kreg_cache_options o;
    struct kreg_error err = {0};
    struct stopper st;
    struct news n;
    kreg *r = NULL;
    kreg_cache *c = NULL;
    bool started = false;
    int rc;

    memset(&n, 0, sizeof(n));
    memset(&st, 0, sizeof(st));
    memset(&o, 0, sizeof(o));
    pthread_mutex_init(&n.mu, NULL);
    pthread_cond_init(&n.cv, NULL);
    n.name = a->args[0];
    /* blocked before libcurl or the cache start a thread */
    sigemptyset(&st.set);
    sigaddset(&st.set, SIGINT);
    sigaddset(&st.set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &st.set, NULL);
    st.n = &n;
    o.on_change = on_change;
    o.on_stale = on_stale;
    o.ctx = &n;
    rc = cli_cmd_open(a, &r);
    if (rc == CLI_EXIT_OK) {
        struct kreg_query q = cli_query(a);
        int krc = kreg_cache_new(r, &q, KREG_QUERY_SIZE, &o,
                                 KREG_CACHE_OPTIONS_SIZE, &c, &err);

        if (krc != KREG_OK)
            rc = cli_out_kreg_error("get", krc, &err);
    }
    if (rc == CLI_EXIT_OK) {
        started = pthread_create(&st.th, NULL, stopper_main, &st) == 0;
        if (!started)
            rc = cli_out_fail(CLI_EXIT_ERROR, "cannot start a thread");
    }
    if (rc == CLI_EXIT_OK)
        rc = loop(a, r, c, &n);
    if (started) {
        /* wakes the stopper if no signal came (it ignores the reason) */
        pthread_kill(st.th, SIGTERM);
        pthread_join(st.th, NULL);
    }
    rc = cli_metrics_end(a, r, c, rc);
    kreg_cache_free(c);
    kreg_free(r);
    pthread_mutex_destroy(&n.mu);
    pthread_cond_destroy(&n.cv);
    return rc;
}
