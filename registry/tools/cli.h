/*
 * cli: what the files of the kreg command-line tool share.
 *
 *  - kreg.c     main, argument parsing, help texts
 *  - cli_cmd.c  the commands register, deregister, get and list
 *  - cli_watch.c  the watch command and its signal thread
 *  - cli_cache.c  get --watch: the answer again on each change, from a
 *                 kreg_cache
 *  - cli_out.c  output: error lines, Go-style JSON strings, tables
 *  - cli_metrics.c  --metrics: the Prometheus text to a file or stdout
 *
 * Exit codes (the contract): 0 success, 1 error, 2 usage error,
 * 3 service not found (get only). Every error is one line on stderr,
 * "kreg: <text>".
 */
#ifndef KREG_CLI_H
#define KREG_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kbuf.h"
#include "kreg.h"

enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_NOT_FOUND = 3,
};

enum cli_format {
    CLI_FORMAT_DEFAULT = 0, /* the command's own: table, or JSON for watch */
    CLI_FORMAT_TABLE,
    CLI_FORMAT_JSON,
};

#define CLI_MAX_ARGS 8

/* --namespaces: how many names, and the room for their text. */
#define CLI_MAX_NAMESPACES  64
#define CLI_NAMESPACES_TEXT 4096

/* The parsed command line; strings are borrowed from argv. */
struct cli_args {
    struct kreg_options opt;
    enum cli_format format;
    bool ready;     /* --ready: kreg_query.ready_only */
    bool watch;     /* get --watch: print again on each change */
    uint64_t count; /* get --watch --count N: stop after N answers; 0: no */
    const char *metrics; /* --metrics FILE or "-", or NULL */
    /* --namespaces a,b (kreg_query.namespaces; repeatable): the names
     * point into namespaces_text */
    const char *namespaces[CLI_MAX_NAMESPACES];
    size_t nnamespaces;
    char namespaces_text[CLI_NAMESPACES_TEXT];
    size_t namespaces_len;
    bool all_namespaces; /* -A, --all-namespaces */
    bool help;
    const char *cmd;
    const char *args[CLI_MAX_ARGS];
    size_t nargs;
};

/* ---- Commands (cli_cmd.c, cli_watch.c): each returns an enum cli_exit --*/

/* Create the registry handle from the options; reports failures. */
int cli_cmd_open(const struct cli_args *a, kreg **r);

int cli_cmd_register(const struct cli_args *a);
int cli_cmd_deregister(const struct cli_args *a);
int cli_cmd_get(const struct cli_args *a);
int cli_cmd_list(const struct cli_args *a);
int cli_cmd_watch(const struct cli_args *a);
int cli_cmd_get_watch(const struct cli_args *a);

/* get's answer on stdout: -o json (an array, go-micro's bytes) or the
 * table (NAME VERSION NODE ADDRESS). */
int cli_print_services_json(const struct kreg_service_list *l);
int cli_print_services_table(const struct kreg_service_list *l);

/* ---- Metrics (cli_metrics.c) --------------------------------------------*/

/* How often get --watch and watch rewrite the --metrics FILE while
 * nothing changes, so that its gauges (the cache's age) stay true. */
#define CLI_METRICS_REFRESH_MS 10000

/* Rewrite the --metrics FILE (atomically: FILE.tmp, then a rename) with
 * the metrics of @p r and @p c (may be NULL); nothing without --metrics,
 * with "-", or without a handle. CLI_EXIT_OK, or CLI_EXIT_ERROR after
 * reporting why. */
int cli_metrics_update(const struct cli_args *a, const kreg *r,
                       const kreg_cache *c);

/* At the end of a command whose outcome is @p rc: the metrics to the
 * --metrics FILE, or to stdout with "-". Returns @p rc when it is an
 * error, else the outcome of writing them. */
int cli_metrics_end(const struct cli_args *a, const kreg *r,
                    const kreg_cache *c, int rc);

/* ---- Output (cli_out.c) -------------------------------------------------*/

/* Print "kreg: <text>" on stderr as one line (control bytes become
 * spaces); returns @p code so callers can `return cli_out_fail(...)`. */
int cli_out_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Report a libkreg failure: "kreg: [<what>: ]<err text or strerror>";
 * @p what may be NULL. Returns CLI_EXIT_ERROR. */
int cli_out_kreg_error(const char *what, int rc, const struct kreg_error *err);

/* Warnings on stderr for what get, list and watch skip or ride out:
 * "kreg: warning: pod P: KEY skipped: WHY", "kreg: warning: WHAT". */
extern const struct kreg_query cli_out_warnings;

/* cli_out_warnings with the query options of @p a (--ready,
 * --namespaces, --all-namespaces); it points into @p a. */
struct kreg_query cli_query(const struct cli_args *a);

/* Append @p s as a JSON string the way Go's encoding/json writes it. */
int cli_out_json_string(struct kbuf *b, const char *s);

/* Write @p len bytes to stdout and flush; false (and a reported error)
 * if stdout failed, e.g. a closed pipe. */
bool cli_out_write(const char *s, size_t len);

/* Print one printf-formatted line (a '\n' is added; control bytes become
 * '?') to stdout and flush; false (and a reported error) on failure. */
bool cli_out_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A table: rows of @p ncols cells, printed with aligned columns. */
struct cli_table {
    size_t ncols;
    struct kbuf cells; /* every cell NUL-terminated, row after row */
    size_t ncells;
    size_t width[8];
    bool failed; /* an add ran out of memory: print reports it */
};

/* Start a table with the header cells; @p ncols is at most 8. */
void cli_table_init(struct cli_table *t, size_t ncols,
                    const char *const *header);

/* Add one cell (filled row by row); "" or NULL shows as <none>. */
int cli_table_add(struct cli_table *t, const char *cell);

/* Print the table to stdout and release it; false on a write error. */
bool cli_table_print(struct cli_table *t);

/* Free a table that is not printed. */
void cli_table_release(struct cli_table *t);

#endif
