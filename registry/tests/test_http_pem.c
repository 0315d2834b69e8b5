/*
 * http_pem: certificates handed to libcurl as anonymous memory files
 * (never on disk) that read back byte for byte and live while referenced.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "http_pem.h"

static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n"
                          "-----END CERTIFICATE-----\n";

/* The bytes behind @p path, read through a fresh open as libcurl does. */
static size_t read_path(const char *path, char *out, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    assert_true(fd >= 0);
    n = read(fd, out, size);
    close(fd);
    assert_true(n >= 0);
    return (size_t)n;
}

static void test_pemfile_reads_back_from_memory(void **state)
{
    struct kreg__pemfile *f = NULL;
    struct kreg_error err = {0};
    char buf[256];
    char target[256];
    ssize_t n;

    (void)state;
    assert_int_equal(kreg__pemfile_new(pem, strlen(pem), "CA", &f, &err),
                     KREG_OK);
    /* opened twice: each open starts at the first byte */
    assert_int_equal(read_path(kreg__pemfile_path(f), buf, sizeof(buf)),
                     strlen(pem));
    assert_memory_equal(buf, pem, strlen(pem));
    assert_int_equal(read_path(kreg__pemfile_path(f), buf, sizeof(buf)),
                     strlen(pem));
    /* a memory file, not a file on disk */
    n = readlink(kreg__pemfile_path(f), target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_memory_equal(target, "/memfd:", 7);
    assert_true(kreg__pemfile_holds(f, pem, strlen(pem)));
    assert_false(kreg__pemfile_holds(f, pem, strlen(pem) - 1));
    assert_false(kreg__pemfile_holds(NULL, pem, strlen(pem)));
    kreg__pemfile_unref(f);
}

static void test_pemfile_lives_while_referenced(void **state)
{
    struct kreg__pemfile *f = NULL;
    struct kreg_error err = {0};
    char path[64];
    char buf[256];

    (void)state;
    assert_int_equal(kreg__pemfile_new("", 0, "empty", &f, &err), KREG_OK);
    assert_int_equal(read_path(kreg__pemfile_path(f), buf, sizeof(buf)), 0);
    kreg__pemfile_unref(f);
    assert_int_equal(kreg__pemfile_new(pem, strlen(pem), "CA", &f, &err),
                     KREG_OK);
    snprintf(path, sizeof(path), "%s", kreg__pemfile_path(f));
    assert_ptr_equal(kreg__pemfile_ref(f), f);
    kreg__pemfile_unref(f);
    assert_int_equal(read_path(path, buf, sizeof(buf)), strlen(pem));
    kreg__pemfile_unref(f);
    /* the last reference closed it (no descriptor was opened since) */
    assert_int_equal(access(path, F_OK), -1);
    assert_null(kreg__pemfile_ref(NULL));
    kreg__pemfile_unref(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pemfile_reads_back_from_memory),
        cmocka_unit_test(test_pemfile_lives_while_referenced),
    };
    return cmocka_run_group_tests_name("http_pem", tests, NULL, NULL);
}
