/*
 * A naive UTF-8 decoder, written from the definition rather than from Go's
 * tables, that test_kutf8.c and fuzz_kutf8.c compare kutf8_decode() with:
 * the lead byte gives the length, every following byte must be a
 * continuation byte, and the value spelled by the bits is then judged
 * (overlong, surrogate, above U+10FFFF) with the flags of kutf8.h.
 */
#ifndef KREG_KUTF8_REF_H
#define KREG_KUTF8_REF_H

#include <stddef.h>
#include <stdint.h>

#include "kutf8.h"

static size_t kutf8_ref_invalid(unsigned flags, uint32_t *rune)
{
    *rune = KUTF8_RUNE_ERROR;
    return (flags & KUTF8_REPLACE) ? 1 : 0;
}

static size_t kutf8_ref_decode(const unsigned char *s, size_t n, unsigned flags,
                               uint32_t *rune)
{
    static const uint32_t min_of_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len;
    size_t i;
    uint32_t v;

    if (n == 0) {
        *rune = KUTF8_RUNE_ERROR;
        return 0;
    }
    if ((s[0] & 0x80) == 0) {
        *rune = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        v = s[0] & 0x1Fu;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        v = s[0] & 0x0Fu;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        v = s[0] & 0x07u;
    } else {
        return kutf8_ref_invalid(flags, rune); /* continuation, 0xF8.. */
    }
    for (i = 1; i < len; i++) {
        if (i >= n || (s[i] & 0xC0) != 0x80)
            return kutf8_ref_invalid(flags, rune);
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (v > 0x13FFFF) /* 0xF5..0xF7: beyond even RFC 2279's four bytes */
        return kutf8_ref_invalid(flags, rune);
    if (v < min_of_len[len]) {
        /* two-byte overlongs (0xC0, 0xC1) are never accepted */
        if (len == 2 || !(flags & KUTF8_ALLOW_OVERLONG))
            return kutf8_ref_invalid(flags, rune);
    } else if (v >= 0xD800 && v <= 0xDFFF) {
        if (!(flags & KUTF8_ALLOW_SURROGATES))
            return kutf8_ref_invalid(flags, rune);
    } else if (v > 0x10FFFF) {
        if (!(flags & KUTF8_ALLOW_ABOVE_MAX))
            return kutf8_ref_invalid(flags, rune);
    }
    *rune = v;
    return len;
}

#endif
