/*
 * kutf8: the one UTF-8 decoder (and encoder) libkreg, fakeapi and the
 * conformance suite share.
 *
 * With no flags, kutf8_decode() is Go's decoder: unicode/utf8/utf8.go,
 * DecodeRune and DecodeRuneInString (its `first` table and
 * `acceptRanges`), which encoding/json, strconv.Quote and every other Go
 * package the API server and go-micro use rely on. A sequence is valid
 * when its lead byte is 0x00..0x7F (one byte) or 0xC2..0xF4, followed by
 * the right number of continuation bytes 0x80..0xBF, where the second
 * byte's range is narrowed for four lead bytes:
 *
 *   lead  second byte  what the narrowing refuses
 *   0xE0  0xA0..0xBF   overlong three-byte forms (U+0000..U+07FF)
 *   0xED  0x80..0x9F   the UTF-16 surrogates U+D800..U+DFFF
 *   0xF0  0x90..0xBF   overlong four-byte forms (U+0000..U+FFFF)
 *   0xF4  0x80..0x8F   values above U+10FFFF
 *
 * 0x80..0xC1 and 0xF5..0xFF never start a sequence (0xC0 and 0xC1 could
 * only start overlong two-byte forms); no flag changes that. A sequence
 * cut short by the end of the input is invalid, as in Go.
 *
 * Bytes are read in order and none after the first that makes the
 * sequence invalid. A NUL byte is never a continuation byte, so a
 * NUL-terminated string may be decoded with n = KUTF8_UNTIL_NUL: the
 * decoder stops at its NUL as at the end of the input.
 */
#ifndef KREG_KUTF8_H
#define KREG_KUTF8_H

#include <stddef.h>
#include <stdint.h>

/* utf8.RuneError: U+FFFD, the replacement character. */
#define KUTF8_RUNE_ERROR 0xFFFDu
/* utf8.MaxRune. */
#define KUTF8_MAX_RUNE 0x10FFFFu
/* utf8.UTFMax: the longest sequence, in bytes. */
#define KUTF8_MAX_LEN 4
/* The input length for a NUL-terminated string (see above). */
#define KUTF8_UNTIL_NUL SIZE_MAX

/*
 * The variants, OR-ed into kutf8_decode()'s @p flags.
 *
 * KUTF8_REPLACE: an invalid or truncated sequence decodes as U+FFFD of
 *   width 1, so that a loop moves on by one byte: exactly Go's
 *   utf8.DecodeRune, which returns (RuneError, 1) there; a Go loop that
 *   writes back every rune it ranges over (encoding/json's decoder,
 *   strings.Builder.WriteRune) turns each bad byte into one U+FFFD so.
 *   Without it such a sequence gives 0 (see kutf8_decode()): the form for
 *   a caller that handles the bad byte itself, as strconv.Quote (\xNN)
 *   and encoding/json's encoder (\ufffd) do after testing DecodeRune's
 *   result for (RuneError, 1).
 *
 * The three ALLOW_ flags undo the second-byte narrowing in the table
 * above, one row each; together they leave only the shape check (lead
 * byte 0xC2..0xF4, continuation bytes 0x80..0xBF). No Go decoder accepts
 * what they let through: they exist for a caller whose own rule is that
 * shape check (fakeapi's strconv.Quote approximation in its validation
 * messages) and must keep it byte for byte.
 *
 * KUTF8_ALLOW_OVERLONG: 0xE0 0x80..0x9F and 0xF0 0x80..0x8F are valid,
 *   decoding to the (overlong) value their bits spell, U+0000..U+07FF and
 *   U+0000..U+FFFF. 0xC0 and 0xC1 stay invalid. Go: refused (acceptRanges
 *   row 1 and 3).
 * KUTF8_ALLOW_SURROGATES: 0xED 0xA0..0xBF is valid, decoding to
 *   U+D800..U+DFFF, as WTF-8 does (Rust's std, library/std/src/sys_common/
 *   wtf8.rs) and CPython's "surrogatepass" error handler (Python/codecs.c).
 *   Go: refused (acceptRanges row 2).
 * KUTF8_ALLOW_ABOVE_MAX: 0xF4 0x90..0xBF is valid, decoding to
 *   U+110000..U+13FFFF, as RFC 2279's UTF-8 did before RFC 3629 capped it
 *   at U+10FFFF. Go: refused (acceptRanges row 4).
 */
enum {
    KUTF8_REPLACE = 1u << 0,
    KUTF8_ALLOW_OVERLONG = 1u << 1,
    KUTF8_ALLOW_SURROGATES = 1u << 2,
    KUTF8_ALLOW_ABOVE_MAX = 1u << 3,
    /* The shape check only: all three ALLOW_ flags. */
    KUTF8_SHAPE_ONLY =
        KUTF8_ALLOW_OVERLONG | KUTF8_ALLOW_SURROGATES | KUTF8_ALLOW_ABOVE_MAX,
};

/*
 * Decode the sequence at @p s, of which @p n bytes may be read (or
 * KUTF8_UNTIL_NUL). Returns its width, 1 to 4, and sets *@p rune (which
 * may be NULL) to its value; a byte below 0x80, NUL included, is itself.
 * An invalid or truncated sequence returns 0 with *@p rune =
 * KUTF8_RUNE_ERROR, or with KUTF8_REPLACE 1. An empty input (@p n == 0)
 * returns 0 with *@p rune = KUTF8_RUNE_ERROR whatever the flags, as Go's
 * DecodeRune returns (RuneError, 0). A valid U+FFFD (0xEF 0xBF 0xBD) has
 * width 3: the width tells it from a replaced byte.
 */
size_t kutf8_decode(const void *s, size_t n, unsigned flags, uint32_t *rune);

/*
 * Write @p rune as UTF-8 into @p out and return its width (1 to 4): Go's
 * utf8.EncodeRune, so a surrogate or a value above U+10FFFF is written as
 * U+FFFD.
 */
size_t kutf8_encode(uint32_t rune, unsigned char out[KUTF8_MAX_LEN]);

#endif
