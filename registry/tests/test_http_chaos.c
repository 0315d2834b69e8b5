/*
 * Out-of-memory tests of the HTTP client's constructor and of escaping
 * (jansson test_chaos.c, curl torture mode): each call runs with
 * allocation 0, 1, 2, ... failing until it succeeds. Every failing run
 * must return KREG_E_NOMEM (NULL for escaping), hand out nothing and leak
 * nothing (libcurl's allocations included); the final run must succeed.
 *
 * malloc, calloc, realloc and free are replaced by ELF interposition
 * (glibc "Replacing malloc"), forwarding to glibc's __libc_* functions;
 * libcurl allocates through them too. This needs glibc, no sanitizer
 * (ASan owns the allocator) and no valgrind (it replaces them again),
 * else the tests are skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "http.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) ||     \
    __has_feature(thread_sanitizer)
#define HTTP_CHAOS_OFF 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HTTP_CHAOS_OFF 1
#endif

#if defined(__GLIBC__) && !defined(HTTP_CHAOS_OFF)
#define HTTP_CHAOS 1

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

/* The build hides symbols by default; libc and libcurl must see these. */
#define EXPORTED __attribute__((visibility("default")))

/* Process-wide by nature: allocations left before one fails (-1: none)
 * and the number of live blocks. The tests run on one thread. */
static long countdown = -1;
static long live;

static bool fail_now(void)
{
    if (countdown < 0)
        return false;
    return countdown-- == 0;
}

EXPORTED void *malloc(size_t size)
{
    void *p = fail_now() ? NULL : __libc_malloc(size);

    live += p != NULL;
    return p;
}

EXPORTED void *calloc(size_t n, size_t size)
{
    void *p = fail_now() ? NULL : __libc_calloc(n, size);

    live += p != NULL;
    return p;
}

EXPORTED void *realloc(void *old, size_t size)
{
    void *p;

    if (fail_now())
        return NULL;
    p = __libc_realloc(old, size);
    if (p && !old)
        live++;
    return p;
}

EXPORTED void free(void *p)
{
    live -= p != NULL;
    __libc_free(p);
}
#endif

#define MAX_RUNS 100000 /* far more allocations than any run makes */

/* A configuration made by hand: nothing in it is allocated (never
 * released). */
struct chaos {
    char server[64];
    char name[16];
    struct kreg__config cfg;
};

static int setup(void **state)
{
    struct chaos *c = calloc(1, sizeof(*c));

    if (!c)
        return -1;
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

#ifdef HTTP_CHAOS
/* Valgrind preloads its own allocator (vgpreload_*.so): skip. */
static bool under_valgrind(void)
{
    const char *pre = getenv("LD_PRELOAD");

    return pre && strstr(pre, "vgpreload");
}

/* Fail each allocation of kreg__http_new() in turn. */
static void new_under_chaos(struct chaos *c)
{
    struct kreg__http *h = NULL;
    struct kreg_error err;
    long before;
    long n;
    int rc;

    if (under_valgrind())
        skip();
    /* warm-up: libcurl's global init and lazy state, once */
    assert_int_equal(kreg__http_new(&c->cfg, NULL, &h, &err), KREG_OK);
    kreg__http_free(h);
    for (n = 0; n < MAX_RUNS; n++) {
        h = NULL;
        before = live;
        countdown = n;
        rc = kreg__http_new(&c->cfg, NULL, &h, &err);
        countdown = -1;
        if (rc == KREG_OK) {
            assert_non_null(h);
            kreg__http_free(h);
            assert_int_equal(live, before);
            return;
        }
        assert_int_equal(rc, KREG_E_NOMEM);
        assert_int_equal(err.code, KREG_E_NOMEM);
        assert_null(h);
        assert_int_equal(live, before);
    }
    fail_msg("kreg__http_new never succeeded");
}
#endif

static void test_http_chaos_new_fails_cleanly(void **state)
{
#ifdef HTTP_CHAOS
    struct chaos *c = *state;

    memcpy(c->server, "http://127.0.0.1:8080/prefix",
           sizeof("http://127.0.0.1:8080/prefix"));
    c->cfg.server = c->server;
    new_under_chaos(c);
#else
    (void)state;
    skip();
#endif
}

static void test_http_chaos_new_with_tls_server_name_fails_cleanly(void **state)
{
#ifdef HTTP_CHAOS
    struct chaos *c = *state;

    memcpy(c->server, "https://127.0.0.1:6443",
           sizeof("https://127.0.0.1:6443"));
    memcpy(c->name, "localhost", sizeof("localhost"));
    c->cfg.server = c->server;
    c->cfg.tls_server_name = c->name;
    new_under_chaos(c);
#else
    (void)state;
    skip();
#endif
}

static void test_http_chaos_escape_fails_cleanly(void **state)
{
#ifdef HTTP_CHAOS
    char *e;
    long before;
    long n;

    (void)state;
    if (under_valgrind())
        skip();
    for (n = 0; n < MAX_RUNS; n++) {
        before = live;
        countdown = n;
        e = kreg__http_escape("micro.mu/type in (service)");
        countdown = -1;
        if (e) {
            assert_string_equal(e, "micro.mu%2Ftype%20in%20%28service%29");
            free(e);
            assert_int_equal(live, before);
            return;
        }
        assert_int_equal(live, before);
    }
    fail_msg("kreg__http_escape never succeeded");
#else
    (void)state;
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_chaos_new_fails_cleanly,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_http_chaos_new_with_tls_server_name_fails_cleanly, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_http_chaos_escape_fails_cleanly,
                                        setup, teardown),
    };

    return cmocka_run_group_tests_name("http_chaos", tests, NULL, NULL);
}
