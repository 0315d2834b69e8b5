#include "kbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Shared empty string so kbuf_str() never returns NULL before any add. */
static const char kbuf_empty[1] = "";

void kbuf_init(struct kbuf *b, size_t cap)
{
    b->priv_buf = NULL;
    b->priv_len = 0;
    b->priv_alloc = 0;
    b->priv_cap = cap;
}

void kbuf_release(struct kbuf *b)
{
    free(b->priv_buf);
    b->priv_buf = NULL;
    b->priv_len = 0;
    b->priv_alloc = 0;
}

void kbuf_reset(struct kbuf *b)
{
    b->priv_len = 0;
    if (b->priv_buf)
        b->priv_buf[0] = '\0';
}

/* Make room for @p extra more bytes plus the NUL. */
static int grow(struct kbuf *b, size_t extra)
{
    size_t need;
    size_t alloc;
    char *p;

    if (extra > b->priv_cap || b->priv_len > b->priv_cap - extra) {
        kbuf_release(b);
        return KBUF_E_TOOBIG;
    }
    need = b->priv_len + extra + 1;
    if (need <= b->priv_alloc)
        return KBUF_OK;
    alloc = b->priv_alloc ? b->priv_alloc : 64;
    while (alloc < need)
        alloc = alloc > ((size_t)-1) / 2 ? need : alloc * 2;
    p = realloc(b->priv_buf, alloc);
    if (!p) {
        kbuf_release(b);
        return KBUF_E_NOMEM;
    }
    b->priv_buf = p;
    b->priv_alloc = alloc;
    return KBUF_OK;
}

int kbuf_reserve(struct kbuf *b, size_t extra)
{
    size_t need;
    char *p;

    if (extra > b->priv_cap || b->priv_len > b->priv_cap - extra) {
        kbuf_release(b);
        return KBUF_E_TOOBIG;
    }
    need = b->priv_len + extra + 1;
    if (need <= b->priv_alloc)
        return KBUF_OK;
    p = realloc(b->priv_buf, need);
    if (!p) {
        kbuf_release(b);
        return KBUF_E_NOMEM;
    }
    b->priv_buf = p;
    b->priv_alloc = need;
    b->priv_buf[b->priv_len] = '\0';
    return KBUF_OK;
}

int kbuf_add(struct kbuf *b, const void *data, size_t len)
{
    int rc = grow(b, len);

    if (rc != KBUF_OK)
        return rc;
    if (len)
        memcpy(b->priv_buf + b->priv_len, data, len);
    b->priv_len += len;
    b->priv_buf[b->priv_len] = '\0';
    return KBUF_OK;
}

int kbuf_adds(struct kbuf *b, const char *s)
{
    return kbuf_add(b, s, strlen(s));
}

int kbuf_addc(struct kbuf *b, char c)
{
    return kbuf_add(b, &c, 1);
}

int kbuf_vaddf(struct kbuf *b, const char *fmt, va_list ap)
{
    va_list cp;
    char small[256];
    int n;
    int rc;

    va_copy(cp, ap);
    n = vsnprintf(small, sizeof(small), fmt, cp);
    va_end(cp);
    if (n < 0) {
        kbuf_release(b);
        return KBUF_E_NOMEM;
    }
    if ((size_t)n < sizeof(small))
        return kbuf_add(b, small, (size_t)n);
    rc = grow(b, (size_t)n);
    if (rc != KBUF_OK)
        return rc;
    vsnprintf(b->priv_buf + b->priv_len, (size_t)n + 1, fmt, ap);
    b->priv_len += (size_t)n;
    return KBUF_OK;
}

int kbuf_addf(struct kbuf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = kbuf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int kbuf_read_fd(struct kbuf *b, int fd)
{
    char chunk[8192];
    ssize_t n;
    int e;

    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errno;
            kbuf_release(b);
            return e;
        }
        if (n == 0)
            return 0;
        switch (kbuf_add(b, chunk, (size_t)n)) {
        case KBUF_OK:
            break;
        case KBUF_E_TOOBIG:
            return EFBIG;
        default:
            return ENOMEM;
        }
    }
}

int kbuf_read_file(struct kbuf *b, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    int e;

    if (fd < 0) {
        e = errno;
        kbuf_release(b);
        return e;
    }
    e = kbuf_read_fd(b, fd);
    close(fd);
    return e;
}

void kbuf_truncate(struct kbuf *b, size_t len)
{
    if (len < b->priv_len) {
        b->priv_len = len;
        b->priv_buf[len] = '\0';
    }
}

const char *kbuf_str(const struct kbuf *b)
{
    return b->priv_buf ? b->priv_buf : kbuf_empty;
}

size_t kbuf_len(const struct kbuf *b)
{
    return b->priv_len;
}

char *kbuf_detach(struct kbuf *b, size_t *len_out)
{
    char *p = b->priv_buf;
    size_t len = b->priv_len;

    if (!p) {
        p = malloc(1);
        if (!p)
            return NULL;
        p[0] = '\0';
    }
    b->priv_buf = NULL;
    b->priv_len = 0;
    b->priv_alloc = 0;
    if (len_out)
        *len_out = len;
    return p;
}
