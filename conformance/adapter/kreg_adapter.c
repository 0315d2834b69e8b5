/*
 * kreg-adapter: the reference conformance adapter for libkreg.
 *
 *   kreg-adapter [--mutant N]    speak PROTOCOL.md on stdin/stdout
 *   kreg-adapter --list-mutants  print "N<TAB>name<TAB>description" lines
 *
 * Every line read gets exactly one answer line, in order; a line that is
 * not a request gets an error answer (with its id when one can be read).
 * The adapter exits 0 after "shutdown" or at the end of its input, and 1
 * when its output fails. Standard error carries one line per failed
 * operation, for the suite's case reports.
 */
#include "adapter.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knum.h"

/* Answers can carry every service of a namespace. */
#define OUT_CAP ((size_t)512 << 20)

static int usage(FILE *f, int code)
{
    fputs("usage: kreg-adapter [--mutant N] | --list-mutants | --help\n"
          "\n"
          "The conformance adapter for libkreg: reads requests from stdin,\n"
          "writes answers to stdout (conformance/PROTOCOL.md).\n"
          "\n"
          "  --mutant N      behave with deliberate bug N (see below)\n"
          "  --list-mutants  print the bugs: number, name, description\n",
          f);
    return code;
}

/* The id of a line the request parser refused, when jansson can read it. */
static json_t *salvage_id(const char *line, size_t len)
{
    json_t *doc = json_loadb(line, len, 0, NULL);
    json_t *id = json_incref(json_object_get(doc, "id"));

    json_decref(doc);
    return id;
}

/* Answer one line into @p out; false after shutdown. */
static bool handle_line(struct adapter *a, const char *line, size_t len,
                        struct kbuf *out)
{
    struct request rq;
    char msg[256];
    bool go_on;

    if (!request_parse(line, len, &rq, msg, sizeof(msg))) {
        json_t *id = rq.id ? json_incref(rq.id) : salvage_id(line, len);

        fprintf(stderr, "kreg-adapter: %s\n", msg);
        answer_write(out, id, ANSWER_ERROR, NULL, msg);
        json_decref(id);
        request_release(&rq);
        return true;
    }
    go_on = adapter_handle(a, &rq, out);
    request_release(&rq);
    return go_on;
}

/* The read loop; returns the exit code. */
static int serve(struct adapter *a)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    struct kbuf out;
    bool go_on = true;
    int code = 0;

    kbuf_init(&out, OUT_CAP);
    while (go_on && (n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;

        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        kbuf_reset(&out);
        go_on = handle_line(a, line, len, &out);
        if (kbuf_len(&out) == 0 ||
            fwrite(kbuf_str(&out), 1, kbuf_len(&out), stdout) !=
                kbuf_len(&out) ||
            fflush(stdout) != 0) {
            fprintf(stderr, "kreg-adapter: cannot write the answer\n");
            code = 1;
            break;
        }
    }
    free(line);
    kbuf_release(&out);
    return code;
}

int main(int argc, char **argv)
{
    const struct mutant *m = NULL;
    struct adapter *a;
    int64_t number;
    int code;

    if (argc == 2 && strcmp(argv[1], "--list-mutants") == 0) {
        mutant_list_print();
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        return usage(stdout, 0);
    if (argc == 3 && strcmp(argv[1], "--mutant") == 0) {
        if (!knum_i64(argv[2], &number) || number < 0 || number > 1000 ||
            !(m = mutant_find((int)number))) {
            fprintf(stderr, "kreg-adapter: no mutant %s (--list-mutants)\n",
                    argv[2]);
            return 2;
        }
    } else if (argc != 1) {
        return usage(stderr, 2);
    }
    /* a closed pipe must fail the write, not kill the process */
    signal(SIGPIPE, SIG_IGN);
    a = adapter_new(m);
    if (!a) {
        fprintf(stderr, "kreg-adapter: out of memory\n");
        return 1;
    }
    code = serve(a);
    adapter_free(a);
    return code;
}
