/*
 * proc: a child process started with /bin/sh -c COMMAND, with pipes on
 * its stdin, stdout and stderr, and reads and writes bounded by a
 * deadline (poll). Used for adapters (impl_adapter.c, PROTOCOL.md).
 *
 * The child runs in a process group of its own, so that a hung adapter
 * and whatever it started are killed together, with the default signal
 * dispositions and an empty signal mask (the suite blocks SIGINT/SIGTERM
 * for its signal thread and ignores SIGPIPE). Its stderr is drained
 * whenever the suite waits, so it never blocks on a full pipe, and the
 * last PROC_LOG_MAX bytes are kept for failure messages.
 */
#ifndef KREG_CONFORMANCE_PROC_H
#define KREG_CONFORMANCE_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kbuf.h"

#define PROC_LOG_MAX  1536
#define PROC_LINE_MAX (256u << 20)

enum proc_rc {
    PROC_OK = 0,
    PROC_E_TIMEOUT = 1, /* the deadline passed */
    PROC_E_EOF = 2,     /* the child closed its end */
    PROC_E_IO = 3,      /* a pipe error or no memory; msg says which */
};

struct proc {
    pid_t pid; /* 0 when not running */
    int in;    /* our ends, -1 when closed */
    int out;
    int err;
    struct kbuf rbuf;           /* stdout bytes not yet returned */
    char log[PROC_LOG_MAX + 1]; /* stderr since proc_log_take() */
    size_t loglen;
};

/* Initialise an idle @p p (cannot fail). */
void proc_init(struct proc *p);

/* Start @p command. PROC_OK or PROC_E_IO with @p msg filled. */
int proc_start(struct proc *p, const char *command, char *msg, size_t msg_size);

/* Write all of @p data before @p deadline_ms (util_now_ms() clock). */
int proc_write(struct proc *p, const char *data, size_t len,
               int64_t deadline_ms, char *msg, size_t msg_size);

/* Read one line before @p deadline_ms: *line is new (free()), without
 * its '\n', NUL-terminated; *len its length. */
int proc_read_line(struct proc *p, int64_t deadline_ms, char **line,
                   size_t *len, char *msg, size_t msg_size);

/*
 * End the child: close its stdin, give it @p grace_ms to exit, then kill
 * its process group and reap it. @p status (optional) gets a description
 * such as "exited with status 3" or "killed by signal 9". Idle: no-op.
 */
void proc_stop(struct proc *p, int grace_ms, char *status, size_t status_size);

/* Copy the stderr captured so far into @p out (sanitized, may be NULL)
 * and forget it. Returns the number of bytes it held. */
size_t proc_log_take(struct proc *p, char *out, size_t size);

/* Release all @p p owns (stops the child at once). */
void proc_release(struct proc *p);

#endif
