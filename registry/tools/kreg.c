/*
 * kreg: the command-line tool of libkreg. Registers, finds and watches
 * go-micro services in the Kubernetes registry (docs/go-micro-wire.md,
 * Operations).
 *
 *   kreg [OPTIONS] COMMAND [ARGS]   options may also follow the command
 *
 * Exit 0 on success, 1 on an error (one line on stderr), 2 on a usage
 * error, 3 when `get` finds no such service.
 */
#ifdef KREG_CLI_FAST_START
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "knum.h"

/* ---- Help texts ---------------------------------------------------------*/

static const char usage_text[] =
    "usage: kreg [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Register, find and watch go-micro services in the Kubernetes registry:\n"
    "labels and annotations on pods, as the go-micro kubernetes plugin\n"
    "writes them.\n"
    "\n"
    "Commands:\n"
    "  register FILE|-         register a service (go-micro JSON) on the pod\n"
    "  deregister NAME|FILE|-  remove a service from the pod\n"
    "  get NAME [--watch]      show the running instances of a service\n"
    "  list                    show every registered service\n"
    "  watch [NAME]            print changes as they happen\n"
    "  help [COMMAND]          this text, or the help of a command\n"
    "\n"
    "Options (before or after the command):\n"
    "  --kubeconfig FILE       kubeconfig file (else in-cluster, $KUBECONFIG\n"
    "                          or ~/.kube/config)\n"
    "  --context NAME          kubeconfig context (default: current-context)\n"
    "  -s, --server URL        API server URL; overrides the configuration\n"
    "  --token TOKEN           bearer token; overrides the configuration\n"
    "  --certificate-authority FILE\n"
    "                          PEM CA certificates for the server\n"
    "  --insecure-skip-tls-verify\n"
    "                          do not verify the server certificate\n"
    "  -n, --namespace NS      namespace (default: from the configuration):\n"
    "                          where register and deregister patch the pod,\n"
    "                          and where get, list and watch look by default\n"
    "  --pod NAME              the own pod, for register and deregister\n"
    "                          (default: $HOSTNAME)\n"
    "  --namespaces NS,NS...   get, list, watch: look in these namespaces\n"
    "                          (one request each; a service in several is\n"
    "                          one, its nodes merged) instead of the own\n"
    "  -A, --all-namespaces    get, list, watch: look in every namespace\n"
    "                          (one cluster-wide request; docs/rbac.md)\n"
    "  --ready                 get, list, watch: only pods whose Ready\n"
    "                          condition is True (go-micro: any Running pod)\n"
    "  -w, --watch             get: print the answer again on each change\n"
    "  --count N               get --watch: exit after N answers\n"
    "  -o, --output FORMAT     table or json (default: table; json for\n"
    "                          watch)\n"
    "  --metrics FILE|-        write libkreg's metrics (Prometheus text\n"
    "                          format) to FILE when the command ends, and\n"
    "                          for get --watch and watch also after each\n"
    "                          change and every 10 s; FILE is replaced\n"
    "                          atomically (FILE.tmp, then renamed), for\n"
    "                          node_exporter's textfile collector; \"-\"\n"
    "                          prints them on stdout at the end\n"
    "  -h, --help              help; after a command, that command's help\n"
    "\n"
    "Exit status: 0 success, 1 error, 2 usage error, 3 service not found.\n";

static const char register_help[] =
    "usage: kreg [OPTIONS] register FILE|-\n"
    "\n"
    "Register the service in FILE (\"-\": standard input) on the own pod\n"
    "(--pod, else $HOSTNAME): one patch sets the micro.mu/type and\n"
    "micro.mu/selector-<name> labels and the micro.mu/service-<name>\n"
    "annotation, as the go-micro plugin does. FILE holds go-micro service\n"
    "JSON with at least one node, e.g.\n"
    "\n"
    "  {\"name\":\"greeter\",\"version\":\"latest\",\"nodes\":[\n"
    "    {\"id\":\"greeter-1\",\"address\":\"10.1.2.3:8080\"}]}\n"
    "\n"
    "Prints \"registered NAME VERSION\". Exit 1 if the JSON is malformed\n"
    "(the message says what and where), the pod does not exist, or the\n"
    "API server refuses the patch.\n";

static const char deregister_help[] =
    "usage: kreg [OPTIONS] deregister NAME|FILE|-\n"
    "\n"
    "Remove a service's label and annotation from the own pod (--pod, else\n"
    "$HOSTNAME); micro.mu/type stays, as with the go-micro plugin. \"-\"\n"
    "(standard input), or an existing file holding a JSON object, is read\n"
    "as go-micro service JSON and its name is used; anything else (a\n"
    "folder or program of that name, say) is the service name. Removing a\n"
    "service that is not registered succeeds.\n"
    "\n"
    "Prints \"deregistered NAME [VERSION]\". Exit 1 if the pod does not\n"
    "exist or the API server refuses the patch.\n";

static const char get_help[] =
    "usage: kreg [OPTIONS] get NAME [--watch [--count N]]\n"
    "\n"
    "Show the instances of service NAME on Running, non-terminating pods\n"
    "(with --ready, only those whose Ready condition is True), nodes merged\n"
    "per version (pods in name order). With --namespaces a,b or -A, the pods\n"
    "of those namespaces or of all, merged in NAMESPACE/POD order: a service\n"
    "found in two namespaces is one service.\n"
    "\n"
    "  -o table  one row per node: NAME VERSION NODE ADDRESS (default)\n"
    "  -o json   a JSON array of services, one per version, as go-micro's\n"
    "            GetService returns them, each in go-micro's exact bytes\n"
    "\n"
    "Annotations that do not decode are skipped with a warning on stderr.\n"
    "Exit 3 if no pod carries the service or none of them is running.\n"
    "\n"
    "  -w, --watch  keep a watch-backed cache of the namespace's services\n"
    "               (one list, then one watch; one of each per namespace\n"
    "               with --namespaces) and print the answer again\n"
    "               each time it changes, until SIGINT or SIGTERM (exit 0):\n"
    "               -o json one array a line, [] while there is no instance;\n"
    "               tables one after the other. No instance, and a watch\n"
    "               that has brought nothing for 150 s (the answer may be\n"
    "               out of date), are warnings on stderr; a watch that ends\n"
    "               for good (403) is an error (exit 1).\n"
    "  --count N    with --watch: exit 0 after N answers.\n";

static const char list_help[] =
    "usage: kreg [OPTIONS] list\n"
    "\n"
    "Show every service registered on Running, non-terminating pods (with\n"
    "--ready, only those whose Ready condition is True), in the namespace,\n"
    "or in those of --namespaces a,b, or in all with -A (one row per name\n"
    "and version across them).\n"
    "\n"
    "  -o table  one row per name and version: NAME VERSION NODES, where\n"
    "            NODES is the number of instances (default)\n"
    "  -o json   a JSON array of {\"name\":...}, one per distinct name, as\n"
    "            go-micro's ListServices returns them\n"
    "\n"
    "Annotations that do not decode are skipped with a warning on stderr.\n";

static const char watch_help[] =
    "usage: kreg [OPTIONS] watch [NAME]\n"
    "\n"
    "Print each change to service NAME (or to any service) as it happens,\n"
    "until SIGINT or SIGTERM (then exit 0). The state at the start is not\n"
    "printed (use get or list). With --ready, only pods whose Ready\n"
    "condition is True count: a pod becoming Ready is a create, one\n"
    "becoming unready a delete. With --namespaces a,b or -A, the pods of\n"
    "those namespaces or of all (one stream each, or one cluster-wide),\n"
    "POD then being NAMESPACE/POD. Output is flushed line by line:\n"
    "\n"
    "  -o json   one JSON object a line (default):\n"
    "            {\"action\":\"create\",\"service\":{...}}, action create,\n"
    "            update or delete, the service as one pod registered it\n"
    "  -o table  ACTION NAME VERSION POD\n";

static const char help_help[] =
    "usage: kreg help [COMMAND]\n"
    "\n"
    "Print the help of kreg, or of COMMAND (same as kreg COMMAND --help).\n";

/* ---- Commands -----------------------------------------------------------*/

static int cmd_help(const struct cli_args *a);

struct command {
    const char *name;
    int (*run)(const struct cli_args *a);
    size_t min_args;
    size_t max_args;
    const char *args; /* for usage errors */
    const char *help;
};

static const struct command commands[] = {
    {"register", cli_cmd_register, 1, 1, "FILE|-", register_help},
    {"deregister", cli_cmd_deregister, 1, 1, "NAME|FILE|-", deregister_help},
    {"get", cli_cmd_get, 1, 1, "NAME", get_help},
    {"list", cli_cmd_list, 0, 0, "no arguments", list_help},
    {"watch", cli_cmd_watch, 0, 1, "[NAME]", watch_help},
    {"help", cmd_help, 0, 1, "[COMMAND]", help_help},
};

static const struct command *find_command(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

static int print_help(const char *text)
{
    return cli_out_write(text, strlen(text)) ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

static int cmd_help(const struct cli_args *a)
{
    const struct command *c;

    if (a->nargs == 0)
        return print_help(usage_text);
    c = find_command(a->args[0]);
    if (!c)
        return cli_out_fail(CLI_EXIT_USAGE,
                            "help: unknown command '%s'; see 'kreg --help'",
                            a->args[0]);
    return print_help(c->help);
}

/* ---- Options ------------------------------------------------------------*/

enum opt_id {
    OPT_KUBECONFIG,
    OPT_CONTEXT,
    OPT_SERVER,
    OPT_TOKEN,
    OPT_CA,
    OPT_INSECURE,
    OPT_NAMESPACE,
    OPT_POD,
    OPT_OUTPUT,
    OPT_READY,
    OPT_NAMESPACES,
    OPT_ALL_NAMESPACES,
    OPT_WATCH,
    OPT_COUNT,
    OPT_METRICS,
    OPT_HELP,
};

struct opt_def {
    const char *name; /* long name, after "--" */
    char letter;      /* short name, after "-", or 0 */
    enum opt_id id;
    bool has_value;
};

static const struct opt_def opt_defs[] = {
    {"kubeconfig", 0, OPT_KUBECONFIG, true},
    {"context", 0, OPT_CONTEXT, true},
    {"server", 's', OPT_SERVER, true},
    {"token", 0, OPT_TOKEN, true},
    {"certificate-authority", 0, OPT_CA, true},
    {"insecure-skip-tls-verify", 0, OPT_INSECURE, false},
    {"namespace", 'n', OPT_NAMESPACE, true},
    {"pod", 0, OPT_POD, true},
    {"output", 'o', OPT_OUTPUT, true},
    {"ready", 0, OPT_READY, false},
    {"namespaces", 0, OPT_NAMESPACES, true},
    {"all-namespaces", 'A', OPT_ALL_NAMESPACES, false},
    {"watch", 'w', OPT_WATCH, false},
    {"count", 0, OPT_COUNT, true},
    {"metrics", 0, OPT_METRICS, true},
    {"help", 'h', OPT_HELP, false},
};

/* Find an option by "--name[=value]" or "-x[value]"; *@p inline_value
 * gets the value written in the same argument, if any. */
static const struct opt_def *find_opt(const char *arg,
                                      const char **inline_value)
{
    size_t n = sizeof(opt_defs) / sizeof(opt_defs[0]);
    size_t i;

    *inline_value = NULL;
    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);

        for (i = 0; i < n; i++) {
            if (strlen(opt_defs[i].name) == len &&
                memcmp(opt_defs[i].name, name, len) == 0) {
                *inline_value = eq ? eq + 1 : NULL;
                return &opt_defs[i];
            }
        }
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (opt_defs[i].letter && opt_defs[i].letter == arg[1]) {
            *inline_value = arg[2] ? arg + 2 : NULL;
            return &opt_defs[i];
        }
    }
    return NULL;
}

/* --namespaces a,b: append each name (copied into the args); the names
 * themselves are judged by libkreg. */
static int add_namespaces(struct cli_args *a, const char *v)
{
    size_t len = strlen(v);
    char *p;
    char *comma;

    if (a->namespaces_len + len + 1 > sizeof(a->namespaces_text))
        return cli_out_fail(CLI_EXIT_USAGE, "--namespaces: too long");
    p = a->namespaces_text + a->namespaces_len;
    memcpy(p, v, len + 1);
    a->namespaces_len += len + 1;
    for (;; p = comma + 1) {
        comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p)
            return cli_out_fail(CLI_EXIT_USAGE,
                                "--namespaces: an empty name in '%s'", v);
        if (a->nnamespaces == CLI_MAX_NAMESPACES)
            return cli_out_fail(CLI_EXIT_USAGE,
                                "--namespaces: more than %d namespaces",
                                CLI_MAX_NAMESPACES);
        a->namespaces[a->nnamespaces++] = p;
        if (!comma)
            return CLI_EXIT_OK;
    }
}

static int set_opt(struct cli_args *a, enum opt_id id, const char *v)
{
    switch (id) {
    case OPT_KUBECONFIG:
        a->opt.kubeconfig = v;
        break;
    case OPT_CONTEXT:
        a->opt.context = v;
        break;
    case OPT_SERVER:
        a->opt.server = v;
        break;
    case OPT_TOKEN:
        a->opt.token = v;
        break;
    case OPT_CA:
        a->opt.ca_file = v;
        break;
    case OPT_INSECURE:
        a->opt.insecure = true;
        break;
    case OPT_NAMESPACE:
        a->opt.namespace_ = v;
        break;
    case OPT_POD:
        a->opt.pod_name = v;
        break;
    case OPT_OUTPUT:
        if (strcmp(v, "json") == 0)
            a->format = CLI_FORMAT_JSON;
        else if (strcmp(v, "table") == 0)
            a->format = CLI_FORMAT_TABLE;
        else
            return cli_out_fail(CLI_EXIT_USAGE,
                                "--output: '%s' is not json or table", v);
        break;
    case OPT_READY:
        a->ready = true;
        break;
    case OPT_NAMESPACES:
        return add_namespaces(a, v);
    case OPT_ALL_NAMESPACES:
        a->all_namespaces = true;
        break;
    case OPT_WATCH:
        a->watch = true;
        break;
    case OPT_COUNT:
        if (!knum_u64(v, &a->count) || a->count == 0)
            return cli_out_fail(CLI_EXIT_USAGE,
                                "--count: '%s' is not a positive number", v);
        break;
    case OPT_METRICS:
        a->metrics = v;
        break;
    case OPT_HELP:
        a->help = true;
        break;
    }
    return CLI_EXIT_OK;
}

/* One option at argv[*i]; consumes its value argument if it takes one. */
static int parse_opt(int argc, char **argv, int *i, struct cli_args *a)
{
    const char *arg = argv[*i];
    const char *value;
    const struct opt_def *d = find_opt(arg, &value);

    if (!d)
        return cli_out_fail(CLI_EXIT_USAGE,
                            "unknown option '%s'; see 'kreg --help'", arg);
    if (!d->has_value) {
        if (value)
            return cli_out_fail(CLI_EXIT_USAGE, "--%s takes no value", d->name);
        return set_opt(a, d->id, NULL);
    }
    if (!value) {
        if (*i + 1 >= argc)
            return cli_out_fail(CLI_EXIT_USAGE, "--%s needs a value", d->name);
        value = argv[++*i];
    }
    if (!*value)
        return cli_out_fail(CLI_EXIT_USAGE, "--%s: empty value", d->name);
    return set_opt(a, d->id, value);
}

/* Options anywhere, "--" ends them, "-" is an argument (stdin). */
static int parse(int argc, char **argv, struct cli_args *a)
{
    bool opts_done = false;
    int rc;
    int i;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (!opts_done && strcmp(arg, "--") == 0) {
            opts_done = true;
        } else if (!opts_done && arg[0] == '-' && arg[1] != '\0') {
            rc = parse_opt(argc, argv, &i, a);
            if (rc != CLI_EXIT_OK)
                return rc;
        } else if (!a->cmd) {
            a->cmd = arg;
        } else if (a->nargs < CLI_MAX_ARGS) {
            a->args[a->nargs++] = arg;
        } else {
            return cli_out_fail(CLI_EXIT_USAGE, "%s: too many arguments",
                                a->cmd);
        }
    }
    return CLI_EXIT_OK;
}

#ifdef KREG_CLI_FAST_START
/*
 * Only in the fast-start link (-DKREG_CLI_FAST_START=ON,
 * cmake/CliStart.cmake). kreg never speaks SSH, but libcurl initialises libssh2
 * when built with it (Debian's is), and libssh2 then sets up OpenSSL's engines
 * and configuration: 0.2-0.4 ms, some 5% of a `kreg get`. libssh2_init() counts
 * its callers and only the first sets up the crypto library, so asking first
 * with LIBSSH2_INIT_NO_CRYPTO (0x1 in libssh2.h) skips it; OpenSSL still
 * initialises itself should anything use it. Looked up at run time: without
 * libssh2 in the process, nothing happens.
 */
static void skip_ssh_crypto_init(void)
{
    void *sym = dlsym(RTLD_DEFAULT, "libssh2_init");
    int (*init)(int);

    if (!sym)
        return;
    memcpy(&init, &sym, sizeof(init)); /* object to function pointer */
    (void)init(0x1);
}
#endif

int main(int argc, char **argv)
{
    struct cli_args a;
    const struct command *c;
    int rc;

    memset(&a, 0, sizeof(a));
#ifdef KREG_CLI_FAST_START
    skip_ssh_crypto_init();
#endif
    /* a closed stdout shows as a write error, not a silent death */
    signal(SIGPIPE, SIG_IGN);
    rc = parse(argc, argv, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!a.cmd)
        return a.help ? print_help(usage_text)
                      : cli_out_fail(CLI_EXIT_USAGE,
                                     "no command given; see 'kreg --help'");
    c = find_command(a.cmd);
    if (!c)
        return cli_out_fail(CLI_EXIT_USAGE,
                            "unknown command '%s'; see 'kreg --help'", a.cmd);
    if (a.help)
        return print_help(c->help);
    if (a.nargs < c->min_args || a.nargs > c->max_args)
        return cli_out_fail(CLI_EXIT_USAGE,
                            "%s: expected %s; see 'kreg %s --help'", c->name,
                            c->args, c->name);
    if ((a.watch || a.count) && c->run != cli_cmd_get)
        return cli_out_fail(CLI_EXIT_USAGE,
                            "%s: --watch and --count are get's; see 'kreg %s "
                            "--help'",
                            c->name, c->name);
    if (a.count && !a.watch)
        return cli_out_fail(CLI_EXIT_USAGE, "get: --count needs --watch");
    /* registration stays in the own namespace (-n) */
    if ((a.nnamespaces || a.all_namespaces) &&
        (c->run == cli_cmd_register || c->run == cli_cmd_deregister))
        return cli_out_fail(CLI_EXIT_USAGE,
                            "%s: --namespaces and --all-namespaces are for "
                            "get, list and watch; %s uses the own namespace "
                            "(-n)",
                            c->name, c->name);
    if (a.nnamespaces && a.all_namespaces)
        return cli_out_fail(CLI_EXIT_USAGE,
                            "%s: --namespaces and --all-namespaces together",
                            c->name);
    return c->run(&a);
}
