#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kbuf.h"
#include "knum.h"

static void test_kbuf_empty_is_empty_string(void **state)
{
    struct kbuf b;

    (void)state;
    kbuf_init(&b, 16);
    assert_string_equal(kbuf_str(&b), "");
    assert_int_equal(kbuf_len(&b), 0);
    kbuf_release(&b);
}

static void test_kbuf_appends_and_formats(void **state)
{
    struct kbuf b;
    char *s;
    size_t len;

    (void)state;
    kbuf_init(&b, 1 << 20);
    assert_int_equal(kbuf_adds(&b, "ab"), KBUF_OK);
    assert_int_equal(kbuf_addc(&b, 'c'), KBUF_OK);
    assert_int_equal(kbuf_addf(&b, "-%d-%s", 42, "x"), KBUF_OK);
    assert_string_equal(kbuf_str(&b), "abc-42-x");
    /* a formatted string longer than the small stack buffer */
    assert_int_equal(kbuf_addf(&b, "%300s", "y"), KBUF_OK);
    assert_int_equal(kbuf_len(&b), 8 + 300);
    s = kbuf_detach(&b, &len);
    assert_int_equal(len, 308);
    assert_int_equal(s[307], 'y');
    assert_int_equal(kbuf_len(&b), 0);
    free(s);
    kbuf_release(&b);
}

static void test_kbuf_keeps_embedded_nul(void **state)
{
    struct kbuf b;

    (void)state;
    kbuf_init(&b, 16);
    assert_int_equal(kbuf_add(&b, "a\0b", 3), KBUF_OK);
    assert_int_equal(kbuf_len(&b), 3);
    assert_memory_equal(kbuf_str(&b), "a\0b", 3);
    kbuf_release(&b);
}

static void test_kbuf_cap_releases_on_overflow(void **state)
{
    struct kbuf b;

    (void)state;
    kbuf_init(&b, 4);
    assert_int_equal(kbuf_adds(&b, "abcd"), KBUF_OK);
    assert_int_equal(kbuf_addc(&b, 'e'), KBUF_E_TOOBIG);
    assert_int_equal(kbuf_len(&b), 0);
    assert_string_equal(kbuf_str(&b), "");
    /* still usable after the failure */
    assert_int_equal(kbuf_adds(&b, "xy"), KBUF_OK);
    assert_string_equal(kbuf_str(&b), "xy");
    kbuf_truncate(&b, 1);
    assert_string_equal(kbuf_str(&b), "x");
    kbuf_release(&b);
}

/* A reserve makes room without changing the contents, keeps the cap, and
 * leaves an empty buffer an empty string. */
static void test_kbuf_reserve(void **state)
{
    struct kbuf b;
    const char *before;

    (void)state;
    kbuf_init(&b, 64);
    assert_int_equal(kbuf_reserve(&b, 40), KBUF_OK);
    assert_string_equal(kbuf_str(&b), "");
    assert_int_equal(kbuf_adds(&b, "abc"), KBUF_OK);
    before = kbuf_str(&b);
    /* within the reserve: no reallocation */
    assert_int_equal(kbuf_add(&b, "0123456789012345678901234567890123456", 37),
                     KBUF_OK);
    assert_ptr_equal(kbuf_str(&b), before);
    assert_int_equal(kbuf_len(&b), 40);
    assert_int_equal(kbuf_reserve(&b, 24), KBUF_OK);
    assert_memory_equal(kbuf_str(&b), "abc0", 4);
    /* past the cap: refused and released, like an append */
    assert_int_equal(kbuf_reserve(&b, 25), KBUF_E_TOOBIG);
    assert_int_equal(kbuf_len(&b), 0);
    assert_string_equal(kbuf_str(&b), "");
    kbuf_release(&b);
}

/* A new temporary file holding @p len bytes of @p data; its path in
 * @p path (unlink it). */
static void temp_file(char path[32], const char *data, size_t len)
{
    int fd;

    snprintf(path, 32, "/tmp/kbuf-test-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* A whole file, NULs and all, appended to what the buffer holds; an empty
 * file adds nothing; a file of exactly the room left fits. */
static void test_kbuf_read_file(void **state)
{
    char path[32];
    struct kbuf b;
    char *big = malloc(100000);

    (void)state;
    assert_non_null(big);
    memset(big, 'x', 100000);
    big[50000] = '\0';
    temp_file(path, big, 100000);
    kbuf_init(&b, 100002);
    assert_int_equal(kbuf_adds(&b, "<>"), KBUF_OK);
    assert_int_equal(kbuf_read_file(&b, path), 0);
    assert_int_equal(kbuf_len(&b), 100002);
    assert_memory_equal(kbuf_str(&b), "<>", 2);
    assert_memory_equal(kbuf_str(&b) + 2, big, 100000);
    kbuf_release(&b);
    unlink(path);
    free(big);

    temp_file(path, "", 0);
    kbuf_init(&b, 16);
    assert_int_equal(kbuf_read_file(&b, path), 0);
    assert_int_equal(kbuf_len(&b), 0);
    assert_string_equal(kbuf_str(&b), "");
    kbuf_release(&b);
    unlink(path);
}

/* Over the cap: EFBIG and released; a missing file: open's errno. */
static void test_kbuf_read_file_errors(void **state)
{
    char path[32];
    struct kbuf b;

    (void)state;
    temp_file(path, "12345", 5);
    kbuf_init(&b, 4);
    assert_int_equal(kbuf_read_file(&b, path), EFBIG);
    assert_int_equal(kbuf_len(&b), 0);
    kbuf_release(&b);
    kbuf_init(&b, 5);
    assert_int_equal(kbuf_read_file(&b, path), 0);
    assert_string_equal(kbuf_str(&b), "12345");
    kbuf_release(&b);
    unlink(path);

    kbuf_init(&b, 16);
    assert_int_equal(kbuf_adds(&b, "kept?"), KBUF_OK);
    assert_int_equal(kbuf_read_file(&b, path), ENOENT);
    assert_int_equal(kbuf_len(&b), 0);
    assert_int_equal(kbuf_read_file(&b, "/"), EISDIR);
    assert_int_equal(kbuf_len(&b), 0);
    kbuf_release(&b);
}

/* kbuf_read_fd() reads a pipe to its end. */
static void test_kbuf_read_fd_pipe(void **state)
{
    int fds[2];
    struct kbuf b;
    int i;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    for (i = 0; i < 100; i++)
        assert_int_equal(write(fds[1], "0123456789", 10), 10);
    assert_int_equal(close(fds[1]), 0);
    kbuf_init(&b, 1 << 20);
    assert_int_equal(kbuf_read_fd(&b, fds[0]), 0);
    assert_int_equal(kbuf_len(&b), 1000);
    assert_memory_equal(kbuf_str(&b) + 990, "0123456789", 10);
    assert_int_equal(close(fds[0]), 0);
    /* a closed descriptor: read's EBADF, released */
    assert_int_equal(kbuf_read_fd(&b, fds[0]), EBADF);
    assert_int_equal(kbuf_len(&b), 0);
    kbuf_release(&b);
}

static void test_knum_rejects_garbage_and_overflow(void **state)
{
    int64_t i;
    uint64_t u;

    (void)state;
    assert_true(knum_i64("-42", &i));
    assert_int_equal(i, -42);
    assert_true(knum_i64("-9223372036854775808", &i));
    assert_true(i == INT64_MIN);
    assert_false(knum_i64("9223372036854775808", &i));
    assert_false(knum_i64("", &i));
    assert_false(knum_i64("-", &i));
    assert_false(knum_i64("1x", &i));
    assert_false(knum_i64(" 1", &i));
    assert_false(knum_u64("-1", &u));
    assert_true(knum_u64("18446744073709551615", &u));
    assert_false(knum_u64("18446744073709551616", &u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kbuf_empty_is_empty_string),
        cmocka_unit_test(test_kbuf_appends_and_formats),
        cmocka_unit_test(test_kbuf_keeps_embedded_nul),
        cmocka_unit_test(test_kbuf_cap_releases_on_overflow),
        cmocka_unit_test(test_kbuf_reserve),
        cmocka_unit_test(test_kbuf_read_file),
        cmocka_unit_test(test_kbuf_read_file_errors),
        cmocka_unit_test(test_kbuf_read_fd_pipe),
        cmocka_unit_test(test_knum_rejects_garbage_and_overflow),
    };
    return cmocka_run_group_tests_name("kbuf", tests, NULL, NULL);
}
