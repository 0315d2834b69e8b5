/*
 * util: small helpers the conformance suite's files share (time, bounded
 * messages, whole writes, file reading, logging to stderr).
 */
#ifndef KREG_CONFORMANCE_UTIL_H
#define KREG_CONFORMANCE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t util_now_ms(void);

/* Wait @p ms milliseconds; only for back-off between polls of a
 * condition that has no event to wait on (a real cluster's deletions). */
void util_pause_ms(unsigned ms);

/* snprintf into @p msg (truncating; a NULL or empty buffer is a no-op; a
 * formatting error leaves ""): the suite's one way to fill a message. */
void util_msg(char *msg, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* util_msg() with a va_list. */
void util_vmsg(char *msg, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* A line on stderr prefixed "kreg-conformance: ". */
void util_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write all @p len bytes to blocking @p fd; 0 or -1. */
int util_write_all(int fd, const void *p, size_t len);

/* Read a whole file: a new NUL-terminated buffer (free()), NULL on error. */
char *util_read_file(const char *path, size_t *len);

/*
 * Make @p s safe for every output format: bytes below 0x20 (except tab and
 * newline) and DEL become '?', invalid UTF-8 becomes '?', and "]]>" (which
 * would end a JUnit CDATA section) becomes "]]?". In place.
 */
void util_sanitize(char *s);

#endif
