/*
 * cli_metrics: --metrics FILE|-: libkreg's metrics in the Prometheus text
 * format (kreg_metrics_prometheus(), docs/metrics.md) when a command ends,
 * and for the long-running ones (get --watch, watch) also as they run.
 *
 * A FILE is replaced atomically, as node_exporter's textfile collector
 * wants (its README: write to a temporary file, then rename): the text
 * goes to FILE.tmp, which is then renamed over FILE, so a scrape never
 * reads half a file. "-" prints the text on stdout, once, at the end.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write all of @p text to @p fd; false with errno on failure. */
static bool write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        text += n;
        len -= (size_t)n;
    }
    return true;
}

/* Replace @p path with @p text through "<path>.tmp". */
static int replace_file(const char *path, const char *text)
{
    size_t n = strlen(path) + sizeof(".tmp");
    char *tmp = malloc(n);
    int fd = -1;
    int rc = CLI_EXIT_OK;

    if (!tmp)
        return cli_out_fail(CLI_EXIT_ERROR, "out of memory");
    snprintf(tmp, n, "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0 || !write_all(fd, text, strlen(text)))
        rc = cli_out_fail(CLI_EXIT_ERROR, "metrics: %s: %s", tmp,
                          strerror(errno));
    if (fd >= 0 && close(fd) != 0 && rc == CLI_EXIT_OK)
        rc = cli_out_fail(CLI_EXIT_ERROR, "metrics: %s: %s", tmp,
                          strerror(errno));
    if (rc == CLI_EXIT_OK && rename(tmp, path) != 0)
        rc = cli_out_fail(CLI_EXIT_ERROR, "metrics: %s: %s", path,
                          strerror(errno));
    if (rc != CLI_EXIT_OK && fd >= 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* The text, written where --metrics says (stdout only when @p end). */
static int put(const struct cli_args *a, const kreg *r, const kreg_cache *c,
               bool end)
{
    struct kreg_error err = {0};
    char *text = NULL;
    bool to_stdout;
    int krc;
    int rc;

    if (!a->metrics || !r)
        return CLI_EXIT_OK;
    to_stdout = strcmp(a->metrics, "-") == 0;
    if (to_stdout && !end)
        return CLI_EXIT_OK;
    krc = kreg_metrics_prometheus(r, c, &text, &err);
    if (krc != KREG_OK)
        return cli_out_kreg_error("metrics", krc, &err);
    rc = to_stdout ? (cli_out_write(text, strlen(text)) ? CLI_EXIT_OK
                                                        : CLI_EXIT_ERROR)
                   : replace_file(a->metrics, text);
    free(text);
    return rc;
}

int cli_metrics_update(const struct cli_args *a, const kreg *r,
                       const kreg_cache *c)
{
    return put(a, r, c, false);
}

int cli_metrics_end(const struct cli_args *a, const kreg *r,
                    const kreg_cache *c, int rc)
{
    int mrc = put(a, r, c, true);

    /* the command's own failure comes first; else one of the metrics */
    return rc != CLI_EXIT_OK ? rc : mrc;
}
