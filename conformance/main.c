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
#include <strings.h>
#include <unistd.h>

#include "cases.h"
#include "knum.h"
#include "report.h"
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
    bool strict;         /* recommended cases fail the run too */
    char xml_dir[64];    /* junit: where cmocka writes, before the levels */
    char env_file[1024]; /* CMOCKA_XML_FILE, before set_output() sets it */
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
          "  --strict              recommended cases fail the run too\n"
          "  --list                list the cases (after --filter) with\n"
          "                        their level, and exit\n"
          "  --filter GLOB         run only the cases whose name matches\n"
          "  --help                this text\n"
          "\n"
          "Each case is required (what interoperating with go-micro needs)\n"
          "or recommended (where kreg does better than go-micro's plugin;\n"
          "the plugin behaviour it guards against is shown).\n"
          "\n"
          "Exit status: 0 every required case passed (every case with\n"
          "--strict), 1 one failed, 2 usage or set-up error.\n"
          "Environment: KREG_FIXTURES (the fixtures directory).\n",
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
        if (strcmp(argv[i], "--strict") == 0) {
            o->strict = true;
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
        cases_register,   cases_get,    cases_list,    cases_watch,
        cases_watch_live, cases_errors, cases_features};
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

/* Take CMOCKA_MESSAGE_OUTPUT (TAP, XML with CMOCKA_XML_FILE) as the
 * options it stands for, so that the levels reach every format. */
static void output_from_env(struct options *o)
{
    const char *env = getenv("CMOCKA_MESSAGE_OUTPUT");
    const char *file = getenv("CMOCKA_XML_FILE");

    if (o->output || !env)
        return;
    if (strcasecmp(env, "TAP") == 0)
        o->output = "tap";
    else if (strcasecmp(env, "XML") == 0)
        o->output = "junit";
    if (o->output && !o->junit_file && file && *file &&
        strcmp(o->output, "junit") == 0 &&
        snprintf(o->env_file, sizeof(o->env_file), "%s", file) > 0)
        o->junit_file = o->env_file;
}

/* Choose cmocka's output. JUnit XML goes to a file in a directory of
 * its own (o->xml_dir), which finish_junit() copies out with the levels. */
static int set_output(struct options *o)
{
    char path[96];

    if (!o->output)
        return 0;
    if (strcmp(o->output, "tap") == 0) {
        cmocka_set_message_output(CM_OUTPUT_TAP);
    } else if (strcmp(o->output, "junit") == 0) {
        cmocka_set_message_output(CM_OUTPUT_XML);
        snprintf(o->xml_dir, sizeof(o->xml_dir), "/tmp/kreg-conf-xml-XXXXXX");
        if (!mkdtemp(o->xml_dir)) {
            o->xml_dir[0] = '\0';
            return -1;
        }
        snprintf(path, sizeof(path), "%s/junit.xml", o->xml_dir);
        if (setenv("CMOCKA_XML_FILE", path, 1) != 0)
            return -1;
    } else {
        cmocka_set_message_output(CM_OUTPUT_STDOUT);
    }
    return 0;
}

/* Copy cmocka's XML to --junit-file or stdout, with the levels. */
static int finish_junit(const struct options *o, const struct case_slot *slots,
                        size_t n)
{
    char path[96];
    FILE *f = stdout;
    int rc;

    snprintf(path, sizeof(path), "%s/junit.xml", o->xml_dir);
    if (o->junit_file) {
        f = fopen(o->junit_file, "w");
        if (!f) {
            util_log("cannot write %s", o->junit_file);
            return -1;
        }
    }
    rc = report_junit(path, f, slots, n);
    if (o->junit_file && fclose(f) != 0)
        rc = -1;
    if (rc != 0)
        util_log("cannot write the JUnit XML");
    return rc;
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

/* The summary per level, where the output format has room for it. */
static void summary(const struct options *o, const struct case_slot *slots,
                    size_t n)
{
    if (!o->output || strcmp(o->output, "std") == 0)
        report_summary(stdout, "", slots, n, o->strict);
    else if (strcmp(o->output, "tap") == 0)
        report_summary(stdout, "# ", slots, n, o->strict);
    else
        report_summary(stderr, "kreg-conformance: ", slots, n, o->strict);
    fflush(stdout);
}

/* Run the cases as one group; returns the exit status (0, 1, or 2 when
 * out of memory). */
static int run_cases(const struct options *o, struct suite *s,
                     const struct case_desc *d, size_t n)
{
    struct CMUnitTest *tests = calloc(n ? n : 1, sizeof(*tests));
    struct case_slot *slots = calloc(n ? n : 1, sizeof(*slots));
    char **names = calloc(n ? n : 1, sizeof(*names));
    size_t i;
    int rc = 2;

    if (!tests || !slots || !names)
        goto out;
    for (i = 0; i < n; i++) {
        names[i] = report_test_name(&d[i], o->output, o->strict);
        if (!names[i])
            goto out;
        slots[i].s = s;
        slots[i].desc = &d[i];
        slots[i].name = d[i].name;
        slots[i].index = (unsigned)i + 1;
        tests[i].name = names[i];
        tests[i].test_func = case_run;
        tests[i].setup_func = case_setup;
        tests[i].teardown_func = case_teardown;
        tests[i].initial_state = &slots[i];
    }
    if (_cmocka_run_group_tests("kreg-conformance", tests, n, NULL, NULL) < 0)
        goto out;
    rc = report_status(slots, n, o->strict);
    if (o->output && strcmp(o->output, "junit") == 0 &&
        finish_junit(o, slots, n) != 0)
        rc = 2;
    summary(o, slots, n);
out:
    for (i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
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
    rc = run_cases(o, &s, d, n);
    util_log("%s: %s", s.im->name,
             rc == 0 ? (o->strict ? "every case passed"
                                  : "every required case passed")
                     : "some cases failed");
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
    char path[96];
    size_t n;
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
        report_list(stdout, d, n);
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
    output_from_env(&o);
    if (set_output(&o) != 0) {
        util_log("cannot make a directory for the JUnit XML");
        rc = 2;
    } else {
        rc = run(&o, d, n, &sc);
    }
    if (o.xml_dir[0]) {
        snprintf(path, sizeof(path), "%s/junit.xml", o.xml_dir);
        unlink(path);
        rmdir(o.xml_dir);
    }
    free(d);
    return rc;
}
