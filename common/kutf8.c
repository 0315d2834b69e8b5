/*
 * kutf8: UTF-8 as Go's unicode/utf8 decodes and encodes it, with the
 * variants of kutf8.h as flags.
 */
#include "kutf8.h"

/* What DecodeRune returns for a bad sequence, with or without REPLACE. */
static size_t invalid(unsigned flags, uint32_t *rune)
{
    if (rune)
        *rune = KUTF8_RUNE_ERROR;
    return (flags & KUTF8_REPLACE) ? 1 : 0;
}

size_t kutf8_decode(const void *s, size_t n, unsigned flags, uint32_t *rune)
{
    const unsigned char *u = s;
    unsigned char lo = 0x80; /* utf8.go's locb */
    unsigned char hi = 0xBF; /* utf8.go's hicb */
    uint32_t v;
    size_t need;
    size_t i;

    if (n == 0) {
        if (rune)
            *rune = KUTF8_RUNE_ERROR;
        return 0;
    }
    if (u[0] < 0x80) {
        if (rune)
            *rune = u[0];
        return 1;
    }
    if (u[0] < 0xC2 || u[0] > 0xF4)
        return invalid(flags, rune);
    if (u[0] < 0xE0) {
        need = 2;
        v = u[0] & 0x1Fu;
    } else if (u[0] < 0xF0) {
        need = 3;
        v = u[0] & 0x0Fu;
    } else {
        need = 4;
        v = u[0] & 0x07u;
    }
    /* utf8.go's acceptRanges, each row undone by its flag */
    if (u[0] == 0xE0 && !(flags & KUTF8_ALLOW_OVERLONG))
        lo = 0xA0;
    else if (u[0] == 0xED && !(flags & KUTF8_ALLOW_SURROGATES))
        hi = 0x9F;
    else if (u[0] == 0xF0 && !(flags & KUTF8_ALLOW_OVERLONG))
        lo = 0x90;
    else if (u[0] == 0xF4 && !(flags & KUTF8_ALLOW_ABOVE_MAX))
        hi = 0x8F;
    if (n < need || u[1] < lo || u[1] > hi)
        return invalid(flags, rune);
    v = (v << 6) | (u[1] & 0x3Fu);
    for (i = 2; i < need; i++) {
        if (u[i] < 0x80 || u[i] > 0xBF)
            return invalid(flags, rune);
        v = (v << 6) | (u[i] & 0x3Fu);
    }
    if (rune)
        *rune = v;
    return need;
}

size_t kutf8_encode(uint32_t rune, unsigned char out[KUTF8_MAX_LEN])
{
    if (rune < 0x80) {
        out[0] = (unsigned char)rune;
        return 1;
    }
    if (rune < 0x800) {
        out[0] = (unsigned char)(0xC0 | (rune >> 6));
        out[1] = (unsigned char)(0x80 | (rune & 0x3F));
        return 2;
    }
    if (rune > KUTF8_MAX_RUNE || (rune >= 0xD800 && rune <= 0xDFFF))
        rune = KUTF8_RUNE_ERROR;
    if (rune < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (rune >> 12));
        out[1] = (unsigned char)(0x80 | ((rune >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (rune & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (rune >> 18));
    out[1] = (unsigned char)(0x80 | ((rune >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((rune >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (rune & 0x3F));
    return 4;
}
