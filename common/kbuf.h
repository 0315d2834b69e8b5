/*
 * kbuf: a growable byte buffer embedded by value (after curl's dynbuf and
 * git's strbuf), shared by libkreg, fakeapi and the conformance suite;
 * also the one way they read a whole file.
 *
 * Invariants:
 *  - kbuf_init() cannot fail; it sets a size cap that appends never exceed.
 *  - The data is always NUL-terminated (kbuf_str() never returns NULL) and
 *    may contain NULs; kbuf_len() is the explicit length.
 *  - A failed append (no memory, or the cap would be exceeded) releases the
 *    buffer, leaving it empty and usable, and returns an error.
 *  - Only kbuf.c touches the members.
 */
#ifndef KREG_KBUF_H
#define KREG_KBUF_H

#include <stdarg.h>
#include <stddef.h>

struct kbuf {
    char *priv_buf;
    size_t priv_len;
    size_t priv_alloc;
    size_t priv_cap;
};

enum {
    KBUF_OK = 0,
    KBUF_E_NOMEM = 1,
    KBUF_E_TOOBIG = 2,
};

/* Prepare @p b for use; at most @p cap bytes may be stored in it. */
void kbuf_init(struct kbuf *b, size_t cap);

/* Free the storage; @p b stays initialised and empty. */
void kbuf_release(struct kbuf *b);

/* Empty the buffer but keep its storage for reuse. */
void kbuf_reset(struct kbuf *b);

/* Make room for @p extra more bytes in one allocation (when the final
 * size is known); KBUF_OK, or KBUF_E_NOMEM/KBUF_E_TOOBIG (released). */
int kbuf_reserve(struct kbuf *b, size_t extra);

/* Append @p len bytes; KBUF_OK, or KBUF_E_NOMEM/KBUF_E_TOOBIG (released). */
int kbuf_add(struct kbuf *b, const void *data, size_t len);

/* Append a NUL-terminated string. */
int kbuf_adds(struct kbuf *b, const char *s);

/* Append one byte. */
int kbuf_addc(struct kbuf *b, char c);

/* Append printf-formatted text. */
int kbuf_addf(struct kbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append vprintf-formatted text. */
int kbuf_vaddf(struct kbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/*
 * Append everything @p fd has left to read: read(2) to end of file,
 * retried on EINTR (after git's strbuf_read). Returns 0, or an errno
 * value: EFBIG when the cap would be exceeded, ENOMEM, or read's own
 * error; on an error @p b is released (as by a failed append).
 */
int kbuf_read_fd(struct kbuf *b, int fd);

/*
 * Append the whole file at @p path (after git's strbuf_read_file): opened
 * read-only, close-on-exec and without becoming the controlling terminal,
 * then kbuf_read_fd(). Returns 0 or an errno value (open's, or
 * kbuf_read_fd()'s); on an error @p b is released.
 */
int kbuf_read_file(struct kbuf *b, const char *path);

/* Drop everything after the first @p len bytes (no-op if shorter). */
void kbuf_truncate(struct kbuf *b, size_t len);

/* Borrowed pointer to the data, valid until the next change; never NULL. */
const char *kbuf_str(const struct kbuf *b);

/* Number of bytes stored. */
size_t kbuf_len(const struct kbuf *b);

/*
 * Hand the storage out: returns a new NUL-terminated heap string (free()
 * it), or NULL if out of memory; @p len_out (optional) gets its length.
 * @p b is left empty.
 */
char *kbuf_detach(struct kbuf *b, size_t *len_out);

#endif
