/*
 * service_read: a JSON reader with Go's encoding/json rules, for the
 * service decoder (internal to libkreg).
 *
 * Why not jansson: Go accepts what jansson rejects and the registry must
 * read whatever a Go service wrote or accepts: invalid UTF-8 and lone
 * surrogate escapes become U+FFFD, member names match Go's case folding,
 * and errors must name the member path. The reader is recursive descent
 * over the input bytes; every object and array level counts against
 * KREG__SERVICE_MAX_DEPTH, which bounds the C stack.
 *
 * Conventions: every function returns KREG_OK or fills p->err and returns
 * its code (KREG_E_INVALID for syntax and type errors, KREG_E_NOMEM). The
 * grammar is RFC 8259 as Go's scanner implements it (whitespace is space,
 * tab, CR, LF; numbers -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?).
 */
#ifndef KREG_SERVICE_READ_H
#define KREG_SERVICE_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "kbuf.h"
#include "kreg.h"

/* Reader state; set up with kreg__service_read_init(). */
struct kreg__service_reader {
    const unsigned char *s;
    size_t len;
    size_t pos;      /* next byte to read */
    unsigned depth;  /* open objects and arrays */
    struct kbuf str; /* the last string or member name read, unquoted */
    struct kreg_error *err;
    const char *what; /* what is read, first in messages ("service json") */
};

/*
 * Where a value sits, for messages such as nodes[0].metadata["k"]: a chain
 * of frames on the C stack, root first; NULL is the document itself.
 */
struct kreg__service_path {
    const struct kreg__service_path *up;
    const char *member; /* a struct member, or */
    const char *key;    /* a map key, or neither: an array index */
    size_t index;
};

/* What the next value is, from its first byte. */
enum kreg__service_kind {
    KREG__SERVICE_K_EOF,
    KREG__SERVICE_K_BAD,
    KREG__SERVICE_K_OBJECT,
    KREG__SERVICE_K_ARRAY,
    KREG__SERVICE_K_STRING,
    KREG__SERVICE_K_NUMBER,
    KREG__SERVICE_K_BOOL,
    KREG__SERVICE_K_NULL,
};

/* Prepare @p p to read @p len bytes at @p s; release with _release(). */
void kreg__service_read_init(struct kreg__service_reader *p, const char *s,
                             size_t len, struct kreg_error *err);

/* Free the reader's scratch storage. */
void kreg__service_read_release(struct kreg__service_reader *p);

/* ---- Errors ---------------------------------------------------------------*/

/* Fill p->err with "<what>: <path>: <message>"; returns @p code. */
int kreg__service_read_fail(struct kreg__service_reader *p,
                            const struct kreg__service_path *at, int code,
                            const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* KREG_E_NOMEM with its text. */
int kreg__service_read_nomem(struct kreg__service_reader *p);

/* A syntax error at byte @p i: "invalid character 'x' <context>". */
int kreg__service_read_fail_char(struct kreg__service_reader *p,
                                 const struct kreg__service_path *at, size_t i,
                                 const char *context);

/* A type error: "expected <want>, got <kind>". */
int kreg__service_read_fail_type(struct kreg__service_reader *p,
                                 const struct kreg__service_path *at,
                                 const char *want, enum kreg__service_kind got);

/* ---- Values ---------------------------------------------------------------*/

/* Skip whitespace. */
void kreg__service_read_ws(struct kreg__service_reader *p);

/* Skip whitespace and classify the next value; EOF or a byte that starts
 * no value is a syntax error. Nothing is consumed. */
int kreg__service_read_kind(struct kreg__service_reader *p,
                            const struct kreg__service_path *at,
                            enum kreg__service_kind *k);

/* Consume the literal @p word: "true", "false" or "null". */
int kreg__service_read_literal(struct kreg__service_reader *p,
                               const struct kreg__service_path *at,
                               const char *word);

/* Consume a number; its text is [start, p->pos) for the caller. */
int kreg__service_read_number(struct kreg__service_reader *p,
                              const struct kreg__service_path *at);

/* Consume a string (at its quote) and leave it unquoted in p->str. */
int kreg__service_read_string(struct kreg__service_reader *p,
                              const struct kreg__service_path *at);

/* Consume a string into a new heap string (*@p out, free() it); one that
 * holds U+0000 is refused, as C strings cannot carry it. */
int kreg__service_read_take(struct kreg__service_reader *p,
                            const struct kreg__service_path *at, char **out);

/* Whether the member name in p->str selects @p field (lower-case ASCII)
 * under Go's case folding (U+017F matches 's', U+212A matches 'k'). */
bool kreg__service_read_key_is(const struct kreg__service_reader *p,
                               const char *field);

/*
 * Consume an object (at its '{'), calling @p fn once per member with the
 * member name in p->str and the reader at the member's value, which @p fn
 * must consume.
 */
int kreg__service_read_object(struct kreg__service_reader *p,
                              const struct kreg__service_path *at,
                              int (*fn)(struct kreg__service_reader *p,
                                        const struct kreg__service_path *at,
                                        void *target),
                              void *target);

/*
 * Consume an array (at its '['), calling @p fn for element i (path
 * at[i]), which must consume it; *@p n gets the number of elements seen.
 */
int kreg__service_read_array(struct kreg__service_reader *p,
                             const struct kreg__service_path *at,
                             int (*fn)(struct kreg__service_reader *p,
                                       const struct kreg__service_path *at,
                                       size_t i, void *ctx),
                             void *ctx, size_t *n);

/* Validate and consume any value; with @p out, also append it there in
 * compact form (strings re-escaped as Go writes them). */
int kreg__service_read_skip(struct kreg__service_reader *p,
                            const struct kreg__service_path *at,
                            struct kbuf *out);

/* Append @p text to @p out, if there is one. */
int kreg__service_read_put(struct kreg__service_reader *p, struct kbuf *out,
                           const char *text);

/* Append the member name in p->str, quoted, and ':' to @p out. */
int kreg__service_read_put_key(struct kreg__service_reader *p,
                               struct kbuf *out);

#endif
