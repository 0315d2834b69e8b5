/*
 * util: helpers shared by the conformance suite's files.
 */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kbuf.h"

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

void util_msg(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (!msg || size == 0)
        return;
    va_start(ap, fmt);
    if (vsnprintf(msg, size, fmt, ap) < 0)
        msg[0] = '\0';
    va_end(ap);
}

void util_log(const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
        line[0] = '\0';
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
    char chunk[65536];
    FILE *f = fopen(path, "rb");
    size_t n;
    bool ok = true;

    if (!f)
        return NULL;
    kbuf_init(&b, FILE_MAX);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (kbuf_add(&b, chunk, n) != KBUF_OK) {
            ok = false;
            break;
        }
    if (ferror(f))
        ok = false;
    fclose(f);
    if (!ok) {
        kbuf_release(&b);
        return NULL;
    }
    return kbuf_detach(&b, len);
}

/* Length of the valid UTF-8 sequence at @p s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    size_t i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* overlong forms, surrogates, beyond U+10FFFF */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

void util_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n;

    while (*p) {
        if (p[0] == ']' && p[1] == ']' && p[2] == '>')
            p[2] = '?';
        n = utf8_len(p);
        if (n == 0 || (*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f) {
            *p = '?';
            n = 1;
        }
        p += n;
    }
}
