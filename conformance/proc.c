/*
 * proc: a child behind pipes, with deadline-bounded I/O.
 *
 * posix_spawn() rather than fork(): the suite is multi-threaded (fakeapi,
 * libkreg watchers, the signal thread), and between fork() and exec() only
 * async-signal-safe calls are allowed; posix_spawn does the same
 * fork+exec of /bin/sh -c with that taken care of.
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

void proc_init(struct proc *p)
{
    memset(p, 0, sizeof(*p));
    p->in = -1;
    p->out = -1;
    p->err = -1;
    kbuf_init(&p->rbuf, PROC_LINE_MAX);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int set_flags(int fd, bool nonblock)
{
    int fl = fcntl(fd, F_GETFL);

    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || fl < 0)
        return -1;
    return nonblock ? fcntl(fd, F_SETFL, fl | O_NONBLOCK) : 0;
}

/* Three pipes; fds[0..2] are the child's ends (stdin, stdout, stderr),
 * fds[3..5] ours, non-blocking. All close on exec. */
static int make_pipes(int fds[6])
{
    int p[6] = {-1, -1, -1, -1, -1, -1}; /* in, out, err: read, write */
    int rc = -1;
    int i;

    if (pipe(&p[0]) != 0 || pipe(&p[2]) != 0 || pipe(&p[4]) != 0)
        goto out;
    fds[0] = p[0];
    fds[1] = p[3];
    fds[2] = p[5];
    fds[3] = p[1];
    fds[4] = p[2];
    fds[5] = p[4];
    rc = 0;
    for (i = 0; i < 6 && rc == 0; i++)
        rc = set_flags(fds[i], i >= 3);
out:
    if (rc != 0)
        for (i = 0; i < 6; i++)
            close_fd(&p[i]);
    return rc;
}

/* Own process group, empty mask, default dispositions. */
static int spawn_attr(posix_spawnattr_t *attr)
{
    sigset_t none;
    sigset_t def;

    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGHUP);
    sigaddset(&def, SIGUSR1);
    if (posix_spawnattr_init(attr) != 0)
        return -1;
    if (posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP |
                                           POSIX_SPAWN_SETSIGMASK |
                                           POSIX_SPAWN_SETSIGDEF) != 0 ||
        posix_spawnattr_setpgroup(attr, 0) != 0 ||
        posix_spawnattr_setsigmask(attr, &none) != 0 ||
        posix_spawnattr_setsigdefault(attr, &def) != 0) {
        posix_spawnattr_destroy(attr);
        return -1;
    }
    return 0;
}

int proc_start(struct proc *p, const char *command, char *msg, size_t msg_size)
{
    char sh[] = "sh";
    char dash_c[] = "-c";
    char *argv[] = {sh, dash_c, (char *)(uintptr_t)command, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int fds[6];
    int rc;
    int i;

    if (make_pipes(fds) != 0) {
        util_msg(msg, msg_size, "pipe: %s", strerror(errno));
        return PROC_E_IO;
    }
    rc = spawn_attr(&attr);
    if (rc == 0 && posix_spawn_file_actions_init(&fa) != 0) {
        posix_spawnattr_destroy(&attr);
        rc = -1;
    }
    if (rc == 0) {
        for (i = 0; i < 3 && rc == 0; i++)
            rc = posix_spawn_file_actions_adddup2(&fa, fds[i], i);
        if (rc == 0)
            rc = posix_spawn(&p->pid, "/bin/sh", &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
    }
    for (i = 0; i < 3; i++)
        close_fd(&fds[i]);
    if (rc != 0) {
        p->pid = 0;
        for (i = 3; i < 6; i++)
            close_fd(&fds[i]);
        util_msg(msg, msg_size, "cannot start /bin/sh -c %s: %s", command,
                 strerror(rc > 0 ? rc : errno));
        return PROC_E_IO;
    }
    p->in = fds[3];
    p->out = fds[4];
    p->err = fds[5];
    kbuf_reset(&p->rbuf);
    return PROC_OK;
}

/* Keep the last PROC_LOG_MAX bytes of stderr. */
static void log_add(struct proc *p, const char *s, size_t n)
{
    size_t drop;

    if (n >= PROC_LOG_MAX) {
        s += n - PROC_LOG_MAX;
        n = PROC_LOG_MAX;
    }
    if (p->loglen + n > PROC_LOG_MAX) {
        drop = p->loglen + n - PROC_LOG_MAX;
        memmove(p->log, p->log + drop, p->loglen - drop);
        p->loglen -= drop;
    }
    memcpy(p->log + p->loglen, s, n);
    p->loglen += n;
    p->log[p->loglen] = '\0';
}

/* Read what stderr holds now; closes it at EOF. */
static void drain_err(struct proc *p)
{
    char buf[4096];
    ssize_t n;

    while (p->err >= 0) {
        n = read(p->err, buf, sizeof(buf));
        if (n > 0) {
            log_add(p, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            close_fd(&p->err);
        return;
    }
}

/* Wait until @p fd is ready for @p events, draining stderr meanwhile.
 * Returns 1 when ready, 0 at the deadline. */
static int wait_fd(struct proc *p, int fd, short events, int64_t deadline)
{
    struct pollfd pfd[2];
    int64_t left;
    nfds_t n;

    for (;;) {
        left = deadline - util_now_ms();
        if (left <= 0)
            return 0;
        pfd[0].fd = fd;
        pfd[0].events = events;
        pfd[0].revents = 0;
        pfd[1].fd = p->err;
        pfd[1].events = POLLIN;
        pfd[1].revents = 0;
        n = p->err >= 0 ? 2 : 1;
        if (poll(pfd, n, left > 1000000 ? 1000000 : (int)left) < 0 &&
            errno != EINTR)
            return 1; /* let the read or write report the error */
        if (n == 2 && pfd[1].revents)
            drain_err(p);
        if (pfd[0].revents)
            return 1;
    }
}

int proc_write(struct proc *p, const char *data, size_t len,
               int64_t deadline_ms, char *msg, size_t msg_size)
{
    ssize_t n;

    while (len > 0) {
        if (p->in < 0) {
            util_msg(msg, msg_size, "its stdin is closed");
            return PROC_E_EOF;
        }
        n = write(p->in, data, len);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EPIPE) {
            util_msg(msg, msg_size, "it closed its stdin");
            return PROC_E_EOF;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            util_msg(msg, msg_size, "write: %s", strerror(errno));
            return PROC_E_IO;
        }
        if (!wait_fd(p, p->in, POLLOUT, deadline_ms)) {
            util_msg(msg, msg_size, "it did not read its input in time");
            return PROC_E_TIMEOUT;
        }
    }
    return PROC_OK;
}

/* Move the first line of rbuf to *line. False when there is none. */
static bool take_line(struct proc *p, char **line, size_t *len)
{
    const char *s = kbuf_str(&p->rbuf);
    size_t total = kbuf_len(&p->rbuf);
    const char *nl = memchr(s, '\n', total);
    struct kbuf rest;
    size_t n;

    if (!nl)
        return false;
    n = (size_t)(nl - s);
    kbuf_init(&rest, PROC_LINE_MAX);
    if (kbuf_add(&rest, nl + 1, total - n - 1) != KBUF_OK)
        return false;
    kbuf_truncate(&p->rbuf, n);
    *line = kbuf_detach(&p->rbuf, len);
    kbuf_release(&p->rbuf);
    p->rbuf = rest;
    return *line != NULL;
}

int proc_read_line(struct proc *p, int64_t deadline_ms, char **line,
                   size_t *len, char *msg, size_t msg_size)
{
    char buf[65536];
    ssize_t n;

    *line = NULL;
    *len = 0;
    for (;;) {
        if (take_line(p, line, len))
            return PROC_OK;
        if (p->out < 0) {
            util_msg(msg, msg_size, "it closed its stdout");
            return PROC_E_EOF;
        }
        n = read(p->out, buf, sizeof(buf));
        if (n > 0) {
            if (kbuf_add(&p->rbuf, buf, (size_t)n) != KBUF_OK) {
                util_msg(msg, msg_size, "an answer line over %u bytes",
                         PROC_LINE_MAX);
                return PROC_E_IO;
            }
            continue;
        }
        if (n == 0) {
            close_fd(&p->out);
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            util_msg(msg, msg_size, "read: %s", strerror(errno));
            return PROC_E_IO;
        }
        if (!wait_fd(p, p->out, POLLIN, deadline_ms)) {
            util_msg(msg, msg_size, "no answer in time");
            return PROC_E_TIMEOUT;
        }
    }
}

static void describe_status(int st, char *out, size_t size)
{
    if (WIFEXITED(st))
        util_msg(out, size, "exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        util_msg(out, size, "killed by signal %d", WTERMSIG(st));
    else
        util_msg(out, size, "ended");
}

void proc_stop(struct proc *p, int grace_ms, char *status, size_t status_size)
{
    int64_t deadline = util_now_ms() + grace_ms;
    char *line = NULL;
    size_t len;
    int st = 0;

    util_msg(status, status_size, "not running");
    if (p->pid <= 0)
        return;
    close_fd(&p->in);
    /* its stdout ends when it exits (unless a grandchild keeps it) */
    while (p->out >= 0 && util_now_ms() < deadline &&
           proc_read_line(p, deadline, &line, &len, NULL, 0) == PROC_OK)
        free(line);
    if (waitpid(p->pid, &st, WNOHANG) == 0) {
        /* the group id is still reserved: the leader is not reaped */
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
        while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
            continue;
    } else {
        kill(-p->pid, SIGKILL); /* stragglers of its group */
    }
    describe_status(st, status, status_size);
    drain_err(p);
    close_fd(&p->out);
    close_fd(&p->err);
    kbuf_reset(&p->rbuf);
    p->pid = 0;
}

size_t proc_log_take(struct proc *p, char *out, size_t size)
{
    size_t had;

    drain_err(p);
    had = p->loglen;
    if (out && size) {
        util_msg(out, size, "%s", p->log);
        util_sanitize(out);
    }
    p->loglen = 0;
    p->log[0] = '\0';
    return had;
}

void proc_release(struct proc *p)
{
    proc_stop(p, 0, NULL, 0);
    close_fd(&p->in);
    close_fd(&p->out);
    close_fd(&p->err);
    kbuf_release(&p->rbuf);
}
