/*
 * cli_watch: `kreg watch [NAME]`: one line per result until SIGINT or
 * SIGTERM, then exit 0.
 *
 * The stop signals are blocked in every thread (before libcurl or the
 * watcher start any) and taken by one thread with sigwait(), which calls
 * kreg_watch_stop(): no code runs in a signal handler, and the main
 * thread's kreg_watch_next() returns KREG_E_STOPPED.
 */
#include "cli.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define LINE_CAP ((size_t)256 << 20)

struct stopper {
    sigset_t set;
    kreg_watch *w;
    pthread_t th;
};

static void *stopper_main(void *arg)
{
    struct stopper *st = arg;
    int sig = 0;

    /* sigwait() only fails for a bad set; stop the watch either way */
    (void)sigwait(&st->set, &sig);
    kreg_watch_stop(st->w);
    return NULL;
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

/* go-micro's registry.Result as one JSON line: {"action":..,"service":..}
 * with the service exactly as kreg_service_encode() writes it. */
static int print_json(const struct kreg_result *res)
{
    struct kreg_error err = {0};
    char *json = NULL;
    size_t len = 0;
    struct kbuf line;
    int rc = CLI_EXIT_OK;
    int krc;

    krc = kreg_service_encode(res->service, KREG_WIRE_V2, &json, &len, &err);
    if (krc != KREG_OK)
        return cli_out_kreg_error("watch", krc, &err);
    kbuf_init(&line, LINE_CAP);
    if (kbuf_addf(&line, "{\"action\":\"%s\",\"service\":",
                  action_name(res->action)) != KBUF_OK ||
        kbuf_add(&line, json, len) != KBUF_OK ||
        kbuf_adds(&line, "}\n") != KBUF_OK)
        rc = cli_out_fail(CLI_EXIT_ERROR, "out of memory");
    else if (!cli_out_write(kbuf_str(&line), kbuf_len(&line)))
        rc = CLI_EXIT_ERROR;
    kbuf_release(&line);
    free(json);
    return rc;
}

/* Streamed rows cannot be aligned on later ones: fixed widths. */
static int print_row(const struct kreg_result *res)
{
    const struct kreg_service *s = res->service;

    return cli_out_line("%-8s %-24s %-10s %s", action_name(res->action),
                        s->name && *s->name ? s->name : "<none>",
                        s->version && *s->version ? s->version : "<none>",
                        res->pod ? res->pod : "<none>")
               ? CLI_EXIT_OK
               : CLI_EXIT_ERROR;
}

/* Print results until the watch is stopped (exit 0) or fails; with
 * --metrics FILE, rewrite it after each one and while none comes. */
static int watch_loop(const struct cli_args *a, const kreg *r, kreg_watch *w)
{
    enum cli_format format = a->format;
    int wait_ms = a->metrics ? CLI_METRICS_REFRESH_MS : -1;
    struct kreg_error err = {0};
    struct kreg_result *res = NULL;
    int rc = CLI_EXIT_OK;
    int krc;

    if (format == CLI_FORMAT_TABLE &&
        !cli_out_line("%-8s %-24s %-10s %s", "ACTION", "NAME", "VERSION",
                      "POD"))
        return CLI_EXIT_ERROR;
    while (rc == CLI_EXIT_OK) {
        krc = kreg_watch_next(w, wait_ms, &res, &err);
        if (krc == KREG_E_STOPPED)
            break;
        if (krc == KREG_E_TIMEOUT && wait_ms >= 0) {
            rc = cli_metrics_update(a, r, NULL);
            continue;
        }
        if (krc != KREG_OK)
            return cli_out_kreg_error("watch", krc, &err);
        rc = format == CLI_FORMAT_TABLE ? print_row(res) : print_json(res);
        kreg_result_free(res);
        res = NULL;
        if (rc == CLI_EXIT_OK)
            rc = cli_metrics_update(a, r, NULL);
    }
    return rc;
}

int cli_cmd_watch(const struct cli_args *a)
{
    struct kreg_error err = {0};
    struct stopper st;
    kreg *r = NULL;
    kreg_watch *w = NULL;
    bool started = false;
    int rc;
    int krc;

    memset(&st, 0, sizeof(st));
    sigemptyset(&st.set);
    sigaddset(&st.set, SIGINT);
    sigaddset(&st.set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &st.set, NULL);
    rc = cli_cmd_open(a, &r);
    if (rc == CLI_EXIT_OK) {
        struct kreg_query q = cli_query(a);

        krc = kreg_watch_new_q(r, a->nargs > 0 ? a->args[0] : NULL, &q,
                               KREG_QUERY_SIZE, &w, &err);
        if (krc != KREG_OK)
            rc = cli_out_kreg_error("watch", krc, &err);
    }
    if (rc == CLI_EXIT_OK) {
        st.w = w;
        started = pthread_create(&st.th, NULL, stopper_main, &st) == 0;
        if (!started)
            rc = cli_out_fail(CLI_EXIT_ERROR, "cannot start a thread");
    }
    if (rc == CLI_EXIT_OK)
        rc = watch_loop(a, r, w);
    if (started) {
        /* wakes the stopper if no signal came (it ignores the reason) */
        pthread_kill(st.th, SIGTERM);
        pthread_join(st.th, NULL);
    }
    kreg_watch_free(w);
    rc = cli_metrics_end(a, r, NULL, rc);
    kreg_free(r);
    return rc;
}
