/*
 * cli_out: what the kreg tool prints: one-line errors, Go-style JSON
 * strings and aligned tables.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kutf8.h"

#define TABLE_CAP ((size_t)64 << 20)

/* Control bytes would break the one-line contract of stderr and tables. */
static void flatten(char *s, char repl)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = repl;
    }
}

int cli_out_fail(int code, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
        line[0] = '\0';
    va_end(ap);
    flatten(line, ' ');
    fprintf(stderr, "kreg: %s\n", line);
    return code;
}

static void warn_skip(void *ctx, const char *pod, const char *key,
                      const char *why)
{
    (void)ctx;
    cli_out_fail(0, "warning: pod %s: %s skipped: %s", pod, key, why);
}

static void warn_problem(void *ctx, const char *what)
{
    (void)ctx;
    cli_out_fail(0, "warning: %s", what);
}

const struct kreg_query cli_out_warnings = {.on_skip = warn_skip,
                                            .on_problem = warn_problem};

int cli_out_kreg_error(const char *what, int rc, const struct kreg_error *err)
{
    const char *text = err && err->text[0] ? err->text : kreg_strerror(rc);
    char http[96] = "";

    /* an HTTP refusal: the Status message alone ("Unauthorized") does not
     * say that the API server answered, nor with what */
    if (err && err->http_status >= 400)
        snprintf(http, sizeof(http), " (HTTP %d%s%s)", err->http_status,
                 err->reason[0] && strcmp(err->reason, text) != 0 ? " " : "",
                 err->reason[0] && strcmp(err->reason, text) != 0 ? err->reason
                                                                  : "");
    if (what)
        return cli_out_fail(CLI_EXIT_ERROR, "%s: %s%s", what, text, http);
    return cli_out_fail(CLI_EXIT_ERROR, "%s%s", text, http);
}

/* docs/go-micro-wire.md, Writing: Go's escaping, HTML-safe, invalid UTF-8
 * byte by byte as \ufffd. */
int cli_out_json_string(struct kbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    int rc = kbuf_addc(b, '"');

    while (rc == KBUF_OK && n > 0) {
        uint32_t cp = 0;
        size_t len = kutf8_decode(p, n, 0, &cp);

        if (len == 0) {
            rc = kbuf_adds(b, "\\ufffd");
            len = 1;
        } else if (cp == '"' || cp == '\\') {
            rc = kbuf_addf(b, "\\%c", (char)cp);
        } else if (cp == '\n') {
            rc = kbuf_adds(b, "\\n");
        } else if (cp == '\r') {
            rc = kbuf_adds(b, "\\r");
        } else if (cp == '\t') {
            rc = kbuf_adds(b, "\\t");
        } else if (cp < 0x20 || cp == '<' || cp == '>' || cp == '&' ||
                   cp == 0x2028 || cp == 0x2029) {
            rc = kbuf_addf(b, "\\u%04x", (unsigned)cp);
        } else {
            rc = kbuf_add(b, p, len);
        }
        p += len;
        n -= len;
    }
    if (rc == KBUF_OK)
        rc = kbuf_addc(b, '"');
    return rc;
}

bool cli_out_write(const char *s, size_t len)
{
    /* ferror(): an earlier putchar() or fputs() may have failed too */
    if ((len > 0 && fwrite(s, 1, len, stdout) != len) || fflush(stdout) != 0 ||
        ferror(stdout)) {
        cli_out_fail(CLI_EXIT_ERROR, "write error: %s", strerror(errno));
        return false;
    }
    return true;
}

bool cli_out_line(const char *fmt, ...)
{
    struct kbuf b;
    char *line;
    size_t len = 0;
    bool ok;
    va_list ap;

    kbuf_init(&b, TABLE_CAP);
    va_start(ap, fmt);
    (void)kbuf_vaddf(&b, fmt, ap); /* a failure leaves it empty: below */
    va_end(ap);
    line = kbuf_detach(&b, &len);
    if (!line || len == 0) {
        free(line);
        cli_out_fail(CLI_EXIT_ERROR, "out of memory");
        return false;
    }
    flatten(line, '?');
    ok = cli_out_write(line, len) && cli_out_write("\n", 1);
    free(line);
    return ok;
}

/* ---- tables ---- */

/* Display width: UTF-8 continuation bytes take no column. */
static size_t columns(const char *s)
{
    size_t w = 0;

    for (; *s; s++) {
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    }
    return w;
}

void cli_table_init(struct cli_table *t, size_t ncols,
                    const char *const *header)
{
    size_t i;

    memset(t, 0, sizeof(*t));
    t->ncols = ncols < 8 ? ncols : 8;
    kbuf_init(&t->cells, TABLE_CAP);
    /* a failure is sticky: cli_table_print() reports it */
    for (i = 0; i < t->ncols; i++)
        (void)cli_table_add(t, header[i]);
}

int cli_table_add(struct cli_table *t, const char *cell)
{
    size_t col = t->ncells % t->ncols;
    char *copy;
    size_t w;
    int rc;

    if (t->failed)
        return KBUF_E_NOMEM;
    copy = strdup(cell && *cell ? cell : "<none>");
    if (!copy) {
        t->failed = true;
        return KBUF_E_NOMEM;
    }
    flatten(copy, '?');
    w = columns(copy);
    rc = kbuf_add(&t->cells, copy, strlen(copy) + 1);
    free(copy);
    if (rc != KBUF_OK) {
        t->failed = true;
        return rc;
    }
    if (w > t->width[col])
        t->width[col] = w;
    t->ncells++;
    return KBUF_OK;
}

bool cli_table_print(struct cli_table *t)
{
    const char *p = kbuf_str(&t->cells);
    const char *end = p + kbuf_len(&t->cells);
    size_t k = 0;
    bool ok = !t->failed;

    while (ok && p < end) {
        size_t col = k % t->ncols;
        size_t pad;

        fputs(p, stdout);
        if (col + 1 == t->ncols || k + 1 == t->ncells) {
            putchar('\n');
        } else {
            for (pad = columns(p); pad < t->width[col] + 2; pad++)
                putchar(' ');
        }
        p += strlen(p) + 1;
        k++;
    }
    cli_table_release(t);
    if (!ok) {
        cli_out_fail(CLI_EXIT_ERROR, "out of memory");
        return false;
    }
    return cli_out_write("", 0);
}

void cli_table_release(struct cli_table *t)
{
    kbuf_release(&t->cells);
    t->ncells = 0;
}

struct kreg_query cli_query(const struct cli_args *a)
{
    struct kreg_query q = cli_out_warnings;

    q.ready_only = a->ready;
    q.namespaces = a->nnamespaces ? a->namespaces : NULL;
    q.n_namespaces = a->nnamespaces;
    q.all_namespaces = a->all_namespaces;
    return q;
}
