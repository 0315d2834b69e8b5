/*
 * kreg-conformance: run the go-micro Kubernetes registry conformance
 * cases against an implementation (libkreg in-process, or an adapter
 * process) on a target (the embedded fake server, or a kubeconfig).
 *
 * All cases run as one cmocka group, so that TAP output has one plan and
 * JUnit output one document (cmocka 1.1.5 writes a second root for a
 * second group). The suite's namespace is removed at the end, and on
 * SIGINT, SIGTERM or SIGHUP by a thread waiting in sigwait(): those
 * signals are blocked in every thread, so no handler (and no global) is
 * needed; the thread can make HTTP requests, which a handler cannot.
 */
#include <fnmatch.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "knum.h"
#include "util.h"

#ifndef KREG_SOURCE_DIR
#define KREG_SOURCE_DIR "."
#endif

#define EVENT_MS      5000
#define NS_DELETE_MS  120000
#define SIG_DELETE_MS 10000

struct options {
    const char *kubeconfig;
    const char *context;
    const char *forbidden_context;
    const char *adapter;
    const char *output; /* NULL: cmocka's default or CMOCKA_MESSAGE_OUTPUT */
    const char *junit_file;
    const char *filter;
    int adapter_timeout_ms;
    bool list;
};

/* What the signal thread needs. */
struct sigctx {
    sigset_t set;
    struct target *t;
    struct impl *im;
};

static void usage(FILE *f)
{
    fputs("usage: kreg-conformance [options]\n"
          "\n"
          "Runs the go-micro Kubernetes registry conformance cases. By\n"
          "default: libkreg in-process against an embedded fake API server.\n"
          "\n"
          "  --kubeconfig F        run against the cluster of kubeconfig F\n"
          "  --context C           ... using its context C\n"
          "  --forbidden-context C the 403 cases act as the user of\n"
          "                        context C (same kubeconfig), whom the\n"
          "                        server refuses list, watch and patch on\n"
          "                        pods; without it they inject 403 faults\n"
          "                        (fakeapi only; skipped on other servers)\n"
          "  --adapter 'CMD ARGS'  test the program speaking PROTOCOL.md\n"
          "                        (started with /bin/sh -c)\n"
          "  --adapter-timeout MS  answer time allowed per request "
          "(10000)\n"
          "  --output std|tap|junit  result format (default std)\n"
          "  --junit-file F        write JUnit XML to F (implies junit)\n"
          "  --list                list the cases (after --filter) and exit\n"
          "  --filter GLOB         run only the cases whose name matches\n"
          "  --help                this text\n"
          "\n"
          "Exit status: 0 all passed, 1 a case failed, 2 usage or set-up\n"
          "error. Environment: KREG_FIXTURES (the fixtures directory).\n",
          f);
}

/* The value of option argv[*i], advancing *i; NULL if missing. */
static const char *value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "kreg-conformance: %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static bool parse_timeout(const char *v, int *out)
{
    int64_t n;

    if (!knum_i64(v, &n) || n <= 0 || n > 3600000) {
        fprintf(stderr, "kreg-conformance: bad --adapter-timeout: %s\n", v);
        return false;
    }
    *out = (int)n;
    return true;
}

/* Check the options together: 0 or 2. */
static int check_options(struct options *o)
{
    if ((o->context || o->forbidden_context) && !o->kubeconfig) {
        fprintf(stderr, "kreg-conformance: %s needs --kubeconfig\n",
                o->context ? "--context" : "--forbidden-context");
        return 2;
    }
    if (o->junit_file && !o->output)
        o->output = "junit";
    if (o->output && strcmp(o->output, "std") != 0 &&
        strcmp(o->output, "tap") != 0 && strcmp(o->output, "junit") != 0) {
        fprintf(stderr, "kreg-conformance: bad --output: %s\n", o->output);
        return 2;
    }
    return 0;
}

/* The field of @p o that string option @p name sets, or NULL. */
static const char **string_option(struct options *o, const char *name)
{
    const struct {
        const char *name;
        const char **slot;
    } opts[] = {
        {"--kubeconfig", &o->kubeconfig},
        {"--context", &o->context},
        {"--forbidden-context", &o->forbidden_context},
        {"--adapter", &o->adapter},
        {"--output", &o->output},
        {"--junit-file", &o->junit_file},
        {"--filter", &o->filter},
    };
    size_t i;

    for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (strcmp(name, opts[i].name) == 0)
            return opts[i].slot;
    return NULL;
}

/* Parse argv: 0 to run, 1 for --help, 2 for a usage error. */
static int parse(int argc, char **argv, struct options *o)
{
    const char **slot;
    const char *v;
    int i;

    o->adapter_timeout_ms = 10000;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
        if (strcmp(argv[i], "--list") == 0) {
            o->list = true;
            continue;
        }
        slot = string_option(o, argv[i]);
        if (!slot && strcmp(argv[i], "--adapter-timeout") != 0) {
            fprintf(stderr, "kreg-conformance: unknown option %s\n", argv[i]);
            return 2;
        }
        v = value(argc, argv, &i);
        if (!v)
            return 2;
        if (slot)
            *slot = v;
        else if (!parse_timeout(v, &o->adapter_timeout_ms))
            return 2;
    }
    return check_options(o);
}

/* Every case, in file order, that @p filter matches; *n gets the count.
 * The array is new (free()). */
static struct case_desc *select_cases(const char *filter, size_t *n)
{
    size_t (*const tables[])(const struct case_desc **) = {
        cases_register, cases_get, cases_list, cases_watch, cases_errors};
    const struct case_desc *t;
    struct case_desc *out = NULL;
    struct case_desc *grown;
    size_t i;
    size_t j;
    size_t count;

    *n = 0;
    for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        count = tables[i](&t);
        for (j = 0; j < count; j++) {
            if (filter && fnmatch(filter, t[j].name, 0) != 0)
                continue;
            grown = realloc(out, (*n + 1) * sizeof(*grown));
            if (!grown) {
                free(out);
                *n = 0;
                return NULL;
            }
            out = grown;
            out[(*n)++] = t[j];
        }
    }
    return out;
}

/* Choose cmocka's output; JUnit XML goes to the file when one is named
 * (cmocka refuses to overwrite it, so it is removed first). */
static int set_output(const struct options *o)
{
    if (!o->output)
        return 0;
    unsetenv("CMOCKA_MESSAGE_OUTPUT");
    unsetenv("CMOCKA_XML_FILE");
    if (strcmp(o->output, "tap") == 0) {
        cmocka_set_message_output(CM_OUTPUT_TAP);
    } else if (strcmp(o->output, "junit") == 0) {
        cmocka_set_message_output(CM_OUTPUT_XML);
        if (o->junit_file) {
            if (unlink(o->junit_file) != 0 && access(o->junit_file, F_OK) == 0)
                return -1;
            if (setenv("CMOCKA_XML_FILE", o->junit_file, 1) != 0)
                return -1;
        }
    } else {
        cmocka_set_message_output(CM_OUTPUT_STDOUT);
    }
    return 0;
}

static void *signal_main(void *arg)
{
    struct sigctx *sc = arg;
    char msg[256];
    int sig = 0;

    if (sigwait(&sc->set, &sig) != 0 || sig == SIGUSR1)
        return NULL;
    util_log("signal %d: stopping, removing namespace %s", sig, sc->t->ns);
    if (sc->im->ops->kill_now)
        sc->im->ops->kill_now(sc->im);
    if (target_ns_delete(sc->t, SIG_DELETE_MS, msg, sizeof(msg)) != TARGET_OK)
        util_log("%s", msg);
    _exit(128 + sig);
}

/* Run the cases as one group; returns cmocka's failure count or -1. */
static int run_cases(struct suite *s, const struct case_desc *d, size_t n)
{
    struct CMUnitTest *tests = calloc(n ? n : 1, sizeof(*tests));
    struct case_slot *slots = calloc(n ? n : 1, sizeof(*slots));
    size_t i;
    int rc = -1;

    if (!tests || !slots)
        goto out;
    for (i = 0; i < n; i++) {
        slots[i].s = s;
        slots[i].name = d[i].name;
        slots[i].index = (unsigned)i + 1;
        tests[i].name = d[i].name;
        tests[i].test_func = d[i].fn;
        tests[i].setup_func = case_setup;
        tests[i].teardown_func = case_teardown;
        tests[i].initial_state = &slots[i];
    }
    rc = _cmocka_run_group_tests("kreg-conformance", tests, n, NULL, NULL);
out:
    free(tests);
    free(slots);
    return rc;
}

/* Set up the target, its namespace and the implementation; run; clean. */
static int run(const struct options *o, const struct case_desc *d, size_t n,
               struct sigctx *sc)
{
    struct target t;
    struct suite s = {0};
    char msg[512];
    char desc[512];
    pthread_t th;
    bool thread = false;
    int rc = 2;

    if (target_open(&t, o->kubeconfig, o->context, o->forbidden_context, msg,
                    sizeof(msg)) != TARGET_OK) {
        util_log("%s", msg);
        target_close(&t);
        return 2;
    }
    s.t = &t;
    s.event_ms = EVENT_MS;
    s.fixtures = getenv("KREG_FIXTURES");
    if (!s.fixtures || !*s.fixtures)
        s.fixtures = KREG_SOURCE_DIR "/fixtures";
    s.im = o->adapter ? impl_adapter_new(o->adapter, o->adapter_timeout_ms)
                      : impl_inproc_new();
    if (!s.im) {
        util_log("out of memory");
        goto out;
    }
    if (target_ns_create(&t, msg, sizeof(msg)) != TARGET_OK) {
        util_log("cannot create the namespace: %s", msg);
        goto out;
    }
    sc->t = &t;
    sc->im = s.im;
    thread = pthread_create(&th, NULL, signal_main, sc) == 0;
    target_describe(&t, desc, sizeof(desc));
    util_log("target %s, namespace %s; testing %s", desc, t.ns, s.im->name);
    rc = run_cases(&s, d, n) == 0 ? 0 : 1;
    util_log("%s: %s", s.im->name,
             rc == 0 ? "every case passed" : "some cases failed");
    if (thread) {
        pthread_kill(th, SIGUSR1);
        pthread_join(th, NULL);
    }
out:
    target_close_watches(&t);
    if (s.im)
        s.im->ops->free(s.im);
    if (target_ns_delete(&t, NS_DELETE_MS, msg, sizeof(msg)) != TARGET_OK) {
        util_log("namespace clean-up: %s", msg);
        rc = rc ? rc : 1;
    }
    target_close(&t);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o = {0};
    struct sigctx sc = {0};
    struct case_desc *d;
    size_t n;
    size_t i;
    int rc;

    rc = parse(argc, argv, &o);
    if (rc == 1) {
        usage(stdout);
        return 0;
    }
    if (rc != 0) {
        fputs("usage: kreg-conformance [options] (--help for more)\n", stderr);
        return 2;
    }
    d = select_cases(o.filter, &n);
    if (!d && n == 0 && !o.list) {
        util_log("no case matches %s", o.filter ? o.filter : "*");
        return 2;
    }
    if (o.list) {
        for (i = 0; i < n; i++)
            printf("%s\n", d[i].name);
        free(d);
        return 0;
    }
    /* before any thread exists: the signal thread alone takes these */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sc.set);
    sigaddset(&sc.set, SIGINT);
    sigaddset(&sc.set, SIGTERM);
    sigaddset(&sc.set, SIGHUP);
    sigaddset(&sc.set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sc.set, NULL);
    if (set_output(&o) != 0) {
        util_log("cannot write %s", o.junit_file);
        free(d);
        return 2;
    }
    rc = run(&o, d, n, &sc);
    free(d);
    return rc;
}
