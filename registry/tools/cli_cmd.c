/*
 * cli_cmd: the kreg commands, each a thin layer over the public libkreg
 * API (kreg.h): read input, call the library, print, map the outcome to
 * an exit code. `watch` lives in cli_watch.c.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Far above the 262144-byte annotation budget: the library says why. */
#define INPUT_CAP  ((size_t)16 << 20)
#define OUTPUT_CAP ((size_t)256 << 20)

/* How an input path is named in messages. */
static const char *input_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdin" : path;
}

/* Open @p path for reading ("-" is stdin, which nothing else reads); -1
 * after reporting why. */
static int open_input(const char *path)
{
    int fd = strcmp(path, "-") == 0
                 ? STDIN_FILENO
                 : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        cli_out_fail(CLI_EXIT_ERROR, "%s: %s", path, strerror(errno));
    return fd;
}

static void close_input(int fd)
{
    if (fd != STDIN_FILENO)
        close(fd);
}

/* Read the rest of @p fd (named @p path) into @p b. */
static int read_rest(int fd, const char *path, struct kbuf *b)
{
    int e = kbuf_read_fd(b, fd);

    if (e == EFBIG)
        return cli_out_fail(CLI_EXIT_ERROR, "%s: larger than %zu bytes",
                            input_name(path), INPUT_CAP);
    if (e == ENOMEM)
        return cli_out_fail(CLI_EXIT_ERROR, "out of memory");
    if (e != 0)
        return cli_out_fail(CLI_EXIT_ERROR, "%s: %s", input_name(path),
                            strerror(e));
    return CLI_EXIT_OK;
}

/* Read all of @p path ("-" is stdin) into @p b. */
static int read_input(const char *path, struct kbuf *b)
{
    int fd = open_input(path);
    int rc;

    if (fd < 0)
        return CLI_EXIT_ERROR;
    rc = read_rest(fd, path, b);
    close_input(fd);
    return rc;
}

/* The next byte of @p fd, or -1 at its end (errno 0) or on an error. */
static int next_byte(int fd)
{
    unsigned char c;
    ssize_t n;

    do
        n = read(fd, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n == 1)
        return c;
    if (n == 0)
        errno = 0;
    return -1;
}

/* Decode the go-micro service JSON read from @p path; errors say what and
 * where ("svc.json: service json: nodes[0].port: expected number, got
 * string"). */
static int decode_service(const char *path, const struct kbuf *b,
                          struct kreg_service **out)
{
    struct kreg_error err = {0};
    int krc = kreg_service_decode(kbuf_str(b), kbuf_len(b), out, &err);

    return krc == KREG_OK ? CLI_EXIT_OK
                          : cli_out_kreg_error(input_name(path), krc, &err);
}

static int load_service(const char *path, struct kreg_service **out)
{
    struct kbuf b;
    int rc;

    kbuf_init(&b, INPUT_CAP);
    rc = read_input(path, &b);
    if (rc == CLI_EXIT_OK)
        rc = decode_service(path, &b, out);
    kbuf_release(&b);
    return rc;
}

/*
 * Read @p path (a file, pipe or device) as service JSON into *@p out when
 * it starts, after blanks, with '{'; else leave *@p out NULL and read no
 * further (a program called like the service, say).
 */
static int load_if_object(const char *path, struct kreg_service **out)
{
    int fd = open_input(path);
    struct kbuf b;
    int rc = CLI_EXIT_OK;
    int c;

    if (fd < 0)
        return CLI_EXIT_ERROR;
    do
        c = next_byte(fd);
    while (c == ' ' || c == '\t' || c == '\r' || c == '\n');
    kbuf_init(&b, INPUT_CAP);
    if (c == '{') {
        rc = kbuf_addc(&b, '{') == KBUF_OK
                 ? read_rest(fd, path, &b)
                 : cli_out_fail(CLI_EXIT_ERROR, "out of memory");
        if (rc == CLI_EXIT_OK)
            rc = decode_service(path, &b, out);
    } else if (c < 0 && errno != 0) {
        rc = cli_out_fail(CLI_EXIT_ERROR, "%s: %s", path, strerror(errno));
    }
    kbuf_release(&b);
    close_input(fd);
    return rc;
}

int cli_cmd_open(const struct cli_args *a, kreg **r)
{
    struct kreg_error err = {0};
    int krc = kreg_new(&a->opt, r, &err);

    if (krc != KREG_OK)
        return cli_out_kreg_error(NULL, krc, &err);
    return CLI_EXIT_OK;
}

/* Print "<verb> <name> [<version>]" (the confirmation of a change; a
 * service named on the command line has no version). */
static int confirm(const char *verb, const struct kreg_service *s)
{
    bool ok = s->version && *s->version
                  ? cli_out_line("%s %s %s", verb, s->name, s->version)
                  : cli_out_line("%s %s", verb, s->name);

    return ok ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

int cli_cmd_register(const struct cli_args *a)
{
    struct kreg_service *s = NULL;
    struct kreg_error err = {0};
    kreg *r = NULL;
    int rc;
    int krc;

    rc = load_service(a->args[0], &s);
    if (rc == CLI_EXIT_OK)
        rc = cli_cmd_open(a, &r);
    if (rc == CLI_EXIT_OK) {
        krc = kreg_register(r, s, &err);
        rc = krc == KREG_OK ? confirm("registered", s)
                            : cli_out_kreg_error(NULL, krc, &err);
    }
    rc = cli_metrics_end(a, r, NULL, rc);
    kreg_free(r);
    kreg_service_free(s);
    return rc;
}

/* NAME, FILE or "-": "-", and an existing file (or pipe) that holds a
 * JSON object, are read as service JSON; anything else is a service name
 * (so a program or folder called like the service does not get in the
 * way). */
static int deregister_target(const char *arg, struct kreg_service **out)
{
    struct stat st;
    char *name;

    if (strcmp(arg, "-") == 0)
        return load_service(arg, out);
    if (stat(arg, &st) == 0 && !S_ISDIR(st.st_mode)) {
        int rc = load_if_object(arg, out);

        if (rc != CLI_EXIT_OK || *out)
            return rc;
    }
    *out = kreg_service_new();
    name = strdup(arg);
    if (!*out || !name) {
        free(name);
        kreg_service_free(*out);
        *out = NULL;
        return cli_out_fail(CLI_EXIT_ERROR, "out of memory");
    }
    free((*out)->name);
    (*out)->name = name;
    return CLI_EXIT_OK;
}

int cli_cmd_deregister(const struct cli_args *a)
{
    struct kreg_service *s = NULL;
    struct kreg_error err = {0};
    kreg *r = NULL;
    int rc;
    int krc;

    rc = deregister_target(a->args[0], &s);
    if (rc == CLI_EXIT_OK)
        rc = cli_cmd_open(a, &r);
    if (rc == CLI_EXIT_OK) {
        krc = kreg_deregister(r, s, &err);
        rc = krc == KREG_OK ? confirm("deregistered", s)
                            : cli_out_kreg_error(NULL, krc, &err);
    }
    rc = cli_metrics_end(a, r, NULL, rc);
    kreg_free(r);
    kreg_service_free(s);
    return rc;
}

/* ---- get and list ---- */

/* Skipped annotations are worth a warning, not a failure
 * (docs/go-micro-wire.md, Known problems item 9). */
/* go-micro's GetService result as JSON: the services exactly as
 * kreg_service_encode() writes them, in an array. */
int cli_print_services_json(const struct kreg_service_list *l)
{
    struct kreg_error err = {0};
    struct kbuf out;
    size_t i;
    int rc;

    kbuf_init(&out, OUTPUT_CAP);
    rc = kbuf_addc(&out, '[');
    for (i = 0; i < l->count && rc == KBUF_OK; i++) {
        char *json = NULL;
        size_t len = 0;
        int krc =
            kreg_service_encode(l->items[i], KREG_WIRE_V2, &json, &len, &err);

        if (krc != KREG_OK) {
            kbuf_release(&out);
            return cli_out_kreg_error(l->items[i]->name, krc, &err);
        }
        if (i > 0)
            rc = kbuf_addc(&out, ',');
        if (rc == KBUF_OK)
            rc = kbuf_add(&out, json, len);
        free(json);
    }
    if (rc == KBUF_OK)
        rc = kbuf_adds(&out, "]\n");
    if (rc != KBUF_OK)
        rc = cli_out_fail(CLI_EXIT_ERROR, "out of memory");
    else if (!cli_out_write(kbuf_str(&out), kbuf_len(&out)))
        rc = CLI_EXIT_ERROR;
    kbuf_release(&out);
    return rc;
}

/* One row per node: NAME VERSION NODE ADDRESS. */
int cli_print_services_table(const struct kreg_service_list *l)
{
    static const char *const header[] = {"NAME", "VERSION", "NODE", "ADDRESS"};
    struct cli_table t;
    size_t i;
    size_t j;

    cli_table_init(&t, 4, header);
    for (i = 0; i < l->count; i++) {
        const struct kreg_service *s = l->items[i];

        for (j = 0; j == 0 || j < s->nnodes; j++) {
            const struct kreg_node *n = j < s->nnodes ? s->nodes[j] : NULL;

            cli_table_add(&t, s->name);
            cli_table_add(&t, s->version);
            cli_table_add(&t, n ? n->id : NULL);
            cli_table_add(&t, n ? n->address : NULL);
        }
    }
    return cli_table_print(&t) ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

int cli_cmd_get(const struct cli_args *a)
{
    const char *name = a->args[0];
    struct kreg_service_list *l = NULL;
    struct kreg_error err = {0};
    struct kreg_query q;
    kreg *r = NULL;
    int rc;
    int krc;

    if (a->watch)
        return cli_cmd_get_watch(a);
    rc = cli_cmd_open(a, &r);
    if (rc != CLI_EXIT_OK)
        return rc;
    q = cli_query(a);
    krc = kreg_get_service_q(r, name, &q, KREG_QUERY_SIZE, &l, &err);
    if (krc == KREG_E_NOT_FOUND) {
        cli_out_kreg_error(NULL, krc, &err);
        rc = CLI_EXIT_NOT_FOUND;
    } else if (krc != KREG_OK) {
        rc = cli_out_kreg_error("get", krc, &err);
    } else if (l->count == 0) {
        /* pods carry the label but none is usable: nothing to call */
        rc = cli_out_fail(CLI_EXIT_NOT_FOUND,
                          "service \"%s\" has no running instance", name);
    } else if (a->format == CLI_FORMAT_JSON) {
        rc = cli_print_services_json(l);
    } else {
        rc = cli_print_services_table(l);
    }
    rc = cli_metrics_end(a, r, NULL, rc);
    kreg_service_list_free(l);
    kreg_free(r);
    return rc;
}

/* As go-micro v1-v3 ListServices: one {"name":...} per distinct name
 * (the list is sorted by name, so duplicates are adjacent). */
static int print_names_json(const struct kreg_service_list *l)
{
    struct kbuf out;
    size_t i;
    size_t n = 0;
    int rc;

    kbuf_init(&out, OUTPUT_CAP);
    rc = kbuf_addc(&out, '[');
    for (i = 0; i < l->count && rc == KBUF_OK; i++) {
        const char *name = l->items[i]->name;

        if (i > 0 && strcmp(name, l->items[i - 1]->name) == 0)
            continue;
        rc = kbuf_adds(&out, n++ > 0 ? ",{\"name\":" : "{\"name\":");
        if (rc == KBUF_OK)
            rc = cli_out_json_string(&out, name);
        if (rc == KBUF_OK)
            rc = kbuf_addc(&out, '}');
    }
    if (rc == KBUF_OK)
        rc = kbuf_adds(&out, "]\n");
    if (rc != KBUF_OK)
        rc = cli_out_fail(CLI_EXIT_ERROR, "out of memory");
    else if (!cli_out_write(kbuf_str(&out), kbuf_len(&out)))
        rc = CLI_EXIT_ERROR;
    kbuf_release(&out);
    return rc;
}

/* One row per (name, version): NAME VERSION NODES (the node count). */
static int print_list_table(const struct kreg_service_list *l)
{
    static const char *const header[] = {"NAME", "VERSION", "NODES"};
    struct cli_table t;
    char count[24];
    size_t i;

    cli_table_init(&t, 3, header);
    for (i = 0; i < l->count; i++) {
        snprintf(count, sizeof(count), "%zu", l->items[i]->nnodes);
        cli_table_add(&t, l->items[i]->name);
        cli_table_add(&t, l->items[i]->version);
        cli_table_add(&t, count);
    }
    return cli_table_print(&t) ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

int cli_cmd_list(const struct cli_args *a)
{
    struct kreg_service_list *l = NULL;
    struct kreg_error err = {0};
    struct kreg_query q;
    kreg *r = NULL;
    int rc;
    int krc;

    rc = cli_cmd_open(a, &r);
    if (rc != CLI_EXIT_OK)
        return rc;
    q = cli_query(a);
    krc = kreg_list_services_q(r, &q, KREG_QUERY_SIZE, &l, &err);
    if (krc != KREG_OK)
        rc = cli_out_kreg_error("list", krc, &err);
    else if (a->format == CLI_FORMAT_JSON)
        rc = print_names_json(l);
    else
        rc = print_list_table(l);
    rc = cli_metrics_end(a, r, NULL, rc);
    kreg_service_list_free(l);
    kreg_free(r);
    return rc;
}
