/*
 * util: helpers shared by the conformance suite's files.
 */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kbuf.h"
#include "kutf8.h"

#define FILE_MAX (64u << 20)

int64_t util_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void util_pause_ms(unsigned ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

void util_vmsg(char *msg, size_t size, const char *fmt, va_list ap)
{
    if (!msg || size == 0)
        return;
    if (vsnprintf(msg, size, fmt, ap) < 0)
        msg[0] = '\0';
}

void util_msg(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    util_vmsg(msg, size, fmt, ap);
    va_end(ap);
}

void util_log(const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    util_vmsg(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "kreg-conformance: %s\n", line);
}

int util_write_all(int fd, const void *p, size_t len)
{
    const char *c = p;
    ssize_t n;

    while (len > 0) {
        n = write(fd, c, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

char *util_read_file(const char *path, size_t *len)
{
    struct kbuf b;

    kbuf_init(&b, FILE_MAX);
    if (kbuf_read_file(&b, path) != 0)
        return NULL; /* released */
    return kbuf_detach(&b, len);
}

void util_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n;

    while (*p) {
        if (p[0] == ']' && p[1] == ']' && p[2] == '>')
            p[2] = '?';
        /* Go's rules: no overlongs, surrogates or runes past U+10FFFF */
        n = kutf8_decode(p, KUTF8_UNTIL_NUL, 0, NULL);
        if (n == 0 || (*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f) {
            *p = '?';
            n = 1;
        }
        p += n;
    }
}
