/*
 * knum: the one checked way to turn text into numbers (docs/conventions.md
 * bans atoi/atol/atof). Every parser here rejects empty input, leading or
 * trailing garbage, signs where none is allowed, and overflow.
 */
#ifndef KREG_KNUM_H
#define KREG_KNUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse @p len bytes of decimal digits (optional leading '-') as int64.
 * Returns true and sets @p out on success. */
bool knum_parse_i64(const char *s, size_t len, int64_t *out);

/* Parse @p len bytes of decimal digits (no sign) as uint64. */
bool knum_parse_u64(const char *s, size_t len, uint64_t *out);

/* NUL-terminated conveniences for the two parsers above. */
bool knum_i64(const char *s, int64_t *out);
bool knum_u64(const char *s, uint64_t *out);

#endif
