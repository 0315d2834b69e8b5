/*
 * http_pem: PEM bytes behind a path libcurl can open (see http_pem.h).
 */
#define _GNU_SOURCE /* memfd_create */
#include "http_pem.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error.h"

struct kreg__pemfile {
    atomic_uint refs;
    int fd;
    char path[40]; /* /proc/self/fd/N */
    char *pem;     /* a copy, for kreg__pemfile_holds() */
    size_t len;
};

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int kreg__pemfile_new(const char *pem, size_t len, const char *what,
                      struct kreg__pemfile **out, struct kreg_error *err)
{
    struct kreg__pemfile *f = calloc(1, sizeof(*f));
    int saved;

    *out = NULL;
    if (!f || !(f->pem = malloc(len ? len : 1))) {
        free(f);
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    }
    memcpy(f->pem, pem, len);
    f->len = len;
    atomic_init(&f->refs, 1);
    f->fd = memfd_create("kreg-pem", MFD_CLOEXEC);
    if (f->fd < 0 || write_all(f->fd, pem, len) != 0) {
        saved = errno;
        kreg__pemfile_unref(f);
        return kreg__error(err, saved == ENOMEM ? KREG_E_NOMEM : KREG_E_CONFIG,
                           0, NULL, "%s: cannot hand it to libcurl: %s", what,
                           strerror(saved));
    }
    snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
    *out = f;
    return KREG_OK;
}

const char *kreg__pemfile_path(const struct kreg__pemfile *f)
{
    return f->path;
}

bool kreg__pemfile_holds(const struct kreg__pemfile *f, const char *pem,
                         size_t len)
{
    return f && f->len == len && memcmp(f->pem, pem, len) == 0;
}

struct kreg__pemfile *kreg__pemfile_ref(struct kreg__pemfile *f)
{
    if (f)
        atomic_fetch_add(&f->refs, 1);
    return f;
}

void kreg__pemfile_unref(struct kreg__pemfile *f)
{
    if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
        return;
    if (f->fd >= 0)
        close(f->fd);
    /* the copy may be a private key */
    explicit_bzero(f->pem, f->len);
    free(f->pem);
    free(f);
}
