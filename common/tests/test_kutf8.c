#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kutf8.h"
#include "kutf8_ref.h"

/* Every combination of the flags. */
#define ALL_FLAGS 16u

/* A case needs no flag to be valid, one of the ALLOW_ flags, or is never
 * valid. */
#define ALWAYS 0u
#define NEVER  0x100u

struct boundary {
    const char *what;
    const char *bytes;
    size_t n;
    unsigned needs; /* ALWAYS, NEVER, or the ALLOW_ flag it needs */
    uint32_t rune;  /* when valid */
    size_t width;   /* when valid */
};

static const struct boundary boundaries[] = {
    /* one byte */
    {"NUL", "\x00", 1, ALWAYS, 0x00, 1},
    {"DEL, the last ASCII", "\x7f", 1, ALWAYS, 0x7F, 1},
    {"lone first continuation byte", "\x80", 1, NEVER, 0, 0},
    {"lone last continuation byte", "\xbf", 1, NEVER, 0, 0},
    {"0xFE", "\xfe", 1, NEVER, 0, 0},
    {"0xFF", "\xff", 1, NEVER, 0, 0},
    /* two bytes */
    {"overlong NUL (0xC0)", "\xc0\x80", 2, NEVER, 0, 0},
    {"overlong U+007F (0xC1)", "\xc1\xbf", 2, NEVER, 0, 0},
    {"U+0080, the first of two bytes", "\xc2\x80", 2, ALWAYS, 0x80, 2},
    {"U+07FF, the last of two bytes", "\xdf\xbf", 2, ALWAYS, 0x7FF, 2},
    {"two-byte lead, ASCII after", "\xc2\x41", 2, NEVER, 0, 0},
    {"two-byte lead, lead after", "\xc2\xc2", 2, NEVER, 0, 0},
    /* three bytes */
    {"overlong NUL in three", "\xe0\x80\x80", 3, KUTF8_ALLOW_OVERLONG, 0, 3},
    {"overlong U+07FF in three", "\xe0\x9f\xbf", 3, KUTF8_ALLOW_OVERLONG, 0x7FF,
     3},
    {"U+0800, the first of three", "\xe0\xa0\x80", 3, ALWAYS, 0x800, 3},
    {"U+D7FF, before the surrogates", "\xed\x9f\xbf", 3, ALWAYS, 0xD7FF, 3},
    {"U+D800, the first surrogate", "\xed\xa0\x80", 3, KUTF8_ALLOW_SURROGATES,
     0xD800, 3},
    {"U+DBFF, the last high surrogate", "\xed\xaf\xbf", 3,
     KUTF8_ALLOW_SURROGATES, 0xDBFF, 3},
    {"U+DC00, the first low surrogate", "\xed\xb0\x80", 3,
     KUTF8_ALLOW_SURROGATES, 0xDC00, 3},
    {"U+DFFF, the last surrogate", "\xed\xbf\xbf", 3, KUTF8_ALLOW_SURROGATES,
     0xDFFF, 3},
    {"U+E000, after the surrogates", "\xee\x80\x80", 3, ALWAYS, 0xE000, 3},
    {"U+FFFD itself", "\xef\xbf\xbd", 3, ALWAYS, 0xFFFD, 3},
    {"U+FFFF, the last of three", "\xef\xbf\xbf", 3, ALWAYS, 0xFFFF, 3},
    {"three-byte lead, bad second", "\xe2\x28\xa1", 3, NEVER, 0, 0},
    {"three-byte lead, bad third", "\xe2\x82\x28", 3, NEVER, 0, 0},
    {"surrogate lead, bad third", "\xed\xa0\x28", 3, NEVER, 0, 0},
    /* four bytes */
    {"overlong NUL in four", "\xf0\x80\x80\x80", 4, KUTF8_ALLOW_OVERLONG, 0, 4},
    {"overlong U+FFFF in four", "\xf0\x8f\xbf\xbf", 4, KUTF8_ALLOW_OVERLONG,
     0xFFFF, 4},
    {"overlong surrogate in four", "\xf0\x8d\xa0\x80", 4, KUTF8_ALLOW_OVERLONG,
     0xD800, 4},
    {"U+10000, the first of four", "\xf0\x90\x80\x80", 4, ALWAYS, 0x10000, 4},
    {"U+10FFFF, the last rune", "\xf4\x8f\xbf\xbf", 4, ALWAYS, 0x10FFFF, 4},
    {"U+110000, one past the last", "\xf4\x90\x80\x80", 4,
     KUTF8_ALLOW_ABOVE_MAX, 0x110000, 4},
    {"U+13FFFF, the most 0xF4 spells", "\xf4\xbf\xbf\xbf", 4,
     KUTF8_ALLOW_ABOVE_MAX, 0x13FFFF, 4},
    {"0xF5 lead (U+140000)", "\xf5\x80\x80\x80", 4, NEVER, 0, 0},
    {"0xF7 lead", "\xf7\xbf\xbf\xbf", 4, NEVER, 0, 0},
    {"0xF8, five-byte lead", "\xf8\x88\x80\x80\x80", 5, NEVER, 0, 0},
    {"four-byte lead, bad fourth", "\xf0\x9f\x98\x28", 4, NEVER, 0, 0},
    {"above-max lead, bad fourth", "\xf4\x90\x80\x28", 4, NEVER, 0, 0},
    /* truncated by the end of the input */
    {"two-byte lead alone", "\xc2", 1, NEVER, 0, 0},
    {"three bytes cut after one", "\xe2", 1, NEVER, 0, 0},
    {"three bytes cut after two", "\xe2\x82", 2, NEVER, 0, 0},
    {"surrogate cut after two", "\xed\xa0", 2, NEVER, 0, 0},
    {"overlong cut after two", "\xe0\x80", 2, NEVER, 0, 0},
    {"four bytes cut after three", "\xf0\x9f\x98", 3, NEVER, 0, 0},
    {"above-max cut after three", "\xf4\x90\x80", 3, NEVER, 0, 0},
};

/* The result every flag combination must give for @p b. */
static void check_boundary(const struct boundary *b, unsigned flags)
{
    uint32_t r = 0x12345;
    uint32_t ref = 0;
    bool valid = b->needs != NEVER && (b->needs & ~flags) == 0;
    size_t w = kutf8_decode(b->bytes, b->n, flags, &r);
    char what[160];

    snprintf(what, sizeof(what), "%s, flags 0x%x", b->what, flags);
    if (valid) {
        if (w != b->width || r != b->rune)
            fail_msg("%s: got width %zu rune U+%04X, want %zu U+%04X", what, w,
                     (unsigned)r, b->width, (unsigned)b->rune);
    } else if (w != ((flags & KUTF8_REPLACE) ? 1u : 0u) ||
               r != KUTF8_RUNE_ERROR) {
        fail_msg("%s: got width %zu rune U+%04X, want invalid", what, w,
                 (unsigned)r);
    }
    /* the reference agrees, and a NULL rune changes nothing */
    assert_int_equal(
        kutf8_ref_decode((const unsigned char *)b->bytes, b->n, flags, &ref),
        w);
    assert_int_equal(ref, r);
    assert_int_equal(kutf8_decode(b->bytes, b->n, flags, NULL), w);
}

static void test_kutf8_boundaries_under_every_flag(void **state)
{
    size_t i;
    unsigned f;

    (void)state;
    for (i = 0; i < sizeof(boundaries) / sizeof(boundaries[0]); i++)
        for (f = 0; f < ALL_FLAGS; f++)
            check_boundary(&boundaries[i], f);
}

/* Go's utf8.DecodeRune on an empty input: (RuneError, 0) whatever. */
static void test_kutf8_empty_input(void **state)
{
    uint32_t r = 0;
    unsigned f;

    (void)state;
    for (f = 0; f < ALL_FLAGS; f++) {
        r = 0;
        assert_int_equal(kutf8_decode("", 0, f, &r), 0);
        assert_int_equal(r, KUTF8_RUNE_ERROR);
    }
}

/* A valid sequence followed by more bytes decodes alone; a truncated one
 * is invalid however long the input it is cut from would be. */
static void test_kutf8_reads_one_sequence(void **state)
{
    uint32_t r;

    (void)state;
    assert_int_equal(kutf8_decode("\xc3\xa9t\xc3\xa9", 5, 0, &r), 2);
    assert_int_equal(r, 0xE9);
    assert_int_equal(kutf8_decode("\xe2\x82\xac\x80", 4, 0, &r), 3);
    assert_int_equal(r, 0x20AC);
    /* the n limit is honoured even where valid bytes follow in memory */
    assert_int_equal(kutf8_decode("\xe2\x82\xac", 2, 0, &r), 0);
    assert_int_equal(kutf8_decode("\xe2\x82\xac", 2, KUTF8_REPLACE, &r), 1);
    assert_int_equal(r, KUTF8_RUNE_ERROR);
}

/*
 * KUTF8_UNTIL_NUL: a NUL-terminated string in a buffer of exactly its
 * size; the decoder stops at the NUL (AddressSanitizer builds catch a
 * read past it).
 */
static void test_kutf8_until_nul_stops_at_the_nul(void **state)
{
    static const char *const cut[] = {"\xc2", "\xe2",     "\xe2\x82",
                                      "\xf0", "\xf0\x9f", "\xf0\x9f\x98"};
    uint32_t r;
    size_t i;
    unsigned f;

    (void)state;
    for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        size_t len = strlen(cut[i]) + 1;
        char *s = malloc(len);

        assert_non_null(s);
        memcpy(s, cut[i], len);
        for (f = 0; f < ALL_FLAGS; f++) {
            assert_int_equal(kutf8_decode(s, KUTF8_UNTIL_NUL, f, &r),
                             (f & KUTF8_REPLACE) ? 1 : 0);
            assert_int_equal(r, KUTF8_RUNE_ERROR);
        }
        free(s);
    }
    /* a complete sequence before the NUL decodes */
    assert_int_equal(kutf8_decode("\xf0\x9f\x98\x80", KUTF8_UNTIL_NUL, 0, &r),
                     4);
    assert_int_equal(r, 0x1F600);
    /* and the NUL itself is U+0000, width 1 */
    assert_int_equal(kutf8_decode("", KUTF8_UNTIL_NUL, 0, &r), 1);
    assert_int_equal(r, 0);
}

/* Differential: every input of one, two and three bytes, and four-byte
 * inputs over every lead and second byte with boundary third and fourth
 * bytes, under every flag combination, against the reference. */
static void compare(const unsigned char *s, size_t n, unsigned f)
{
    uint32_t r1 = 0;
    uint32_t r2 = 0;
    size_t w1 = kutf8_decode(s, n, f, &r1);
    size_t w2 = kutf8_ref_decode(s, n, f, &r2);

    if (w1 != w2 || r1 != r2)
        fail_msg("%02x %02x %02x %02x (n %zu, flags 0x%x): kutf8 %zu U+%04X, "
                 "reference %zu U+%04X",
                 s[0], n > 1 ? s[1] : 0, n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, n,
                 f, w1, (unsigned)r1, w2, (unsigned)r2);
}

static void test_kutf8_matches_the_reference_exhaustively(void **state)
{
    static const unsigned char edge[] = {0x00, 0x41, 0x7F, 0x80, 0x81, 0x8F,
                                         0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
    unsigned char s[4];
    unsigned a;
    unsigned b;
    unsigned c;
    unsigned d;
    unsigned f;

    (void)state;
    for (f = 0; f < ALL_FLAGS; f++) {
        for (a = 0; a < 256; a++) {
            s[0] = (unsigned char)a;
            compare(s, 1, f);
            for (b = 0; b < 256; b++) {
                s[1] = (unsigned char)b;
                compare(s, 2, f);
                for (c = 0; a >= 0xE0 && c < 256; c++) {
                    s[2] = (unsigned char)c;
                    compare(s, 3, f);
                }
                for (c = 0; a >= 0xF0 && c < sizeof(edge); c++) {
                    s[2] = edge[c];
                    for (d = 0; d < sizeof(edge); d++) {
                        s[3] = edge[d];
                        compare(s, 4, f);
                    }
                }
            }
        }
    }
}

/* Go's utf8.EncodeRune: the boundaries, and U+FFFD for what is no rune. */
static void test_kutf8_encode_boundaries(void **state)
{
    static const struct {
        uint32_t rune;
        const char *bytes;
    } cases[] = {
        {0x00, "\x00"},
        {0x7F, "\x7f"},
        {0x80, "\xc2\x80"},
        {0x7FF, "\xdf\xbf"},
        {0x800, "\xe0\xa0\x80"},
        {0xD7FF, "\xed\x9f\xbf"},
        {0xD800, "\xef\xbf\xbd"},
        {0xDFFF, "\xef\xbf\xbd"},
        {0xE000, "\xee\x80\x80"},
        {0xFFFF, "\xef\xbf\xbf"},
        {0x10000, "\xf0\x90\x80\x80"},
        {0x10FFFF, "\xf4\x8f\xbf\xbf"},
        {0x110000, "\xef\xbf\xbd"},
        {0xFFFFFFFF, "\xef\xbf\xbd"},
    };
    unsigned char out[KUTF8_MAX_LEN];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t want = cases[i].rune == 0 ? 1 : strlen(cases[i].bytes);

        assert_int_equal(kutf8_encode(cases[i].rune, out), want);
        assert_memory_equal(out, cases[i].bytes, want);
    }
}

/* Every rune encodes to what decodes back to it, with no flag. */
static void test_kutf8_every_rune_round_trips(void **state)
{
    unsigned char out[KUTF8_MAX_LEN];
    uint32_t r;
    uint32_t back;
    size_t w;

    (void)state;
    for (r = 0; r <= KUTF8_MAX_RUNE; r++) {
        if (r >= 0xD800 && r <= 0xDFFF)
            continue;
        w = kutf8_encode(r, out);
        if (kutf8_decode(out, w, 0, &back) != w || back != r)
            fail_msg("U+%04X does not round-trip", (unsigned)r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kutf8_boundaries_under_every_flag),
        cmocka_unit_test(test_kutf8_empty_input),
        cmocka_unit_test(test_kutf8_reads_one_sequence),
        cmocka_unit_test(test_kutf8_until_nul_stops_at_the_nul),
        cmocka_unit_test(test_kutf8_matches_the_reference_exhaustively),
        cmocka_unit_test(test_kutf8_encode_boundaries),
        cmocka_unit_test(test_kutf8_every_rune_round_trips),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
