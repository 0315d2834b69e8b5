/*
 * Out-of-memory tests of the service model (jansson test_chaos.c, curl
 * torture mode): each operation runs with allocation 0, 1, 2, ... failing
 * until it succeeds, and must then return KREG_E_NOMEM, hand nothing out
 * and leak nothing.
 *
 * The allocator is replaced by ELF interposition of malloc, calloc,
 * realloc, free and strdup (glibc, "Replacing malloc"), wrapping glibc's
 * own __libc_* functions. That needs glibc and no sanitizer (ASan replaces
 * the allocator itself); elsewhere the tests are skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "golden.h"
#include "kreg.h"
#include "service.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define CHAOS_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CHAOS_SANITIZED 1
#endif

#if defined(__GLIBC__) && !defined(CHAOS_SANITIZED)
#define CHAOS_ENABLED 1

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

/*
 * The allocator's state is process-wide by nature: allocations left
 * before one fails (-1: none fails) and the number of live blocks.
 */
static long chaos_countdown = -1;
static long chaos_live;

static bool chaos_fails(void)
{
    if (chaos_countdown < 0)
        return false;
    return chaos_countdown-- == 0;
}

void *malloc(size_t size)
{
    void *p = chaos_fails() ? NULL : __libc_malloc(size);

    if (p)
        chaos_live++;
    return p;
}

void *calloc(size_t n, size_t size)
{
    void *p = chaos_fails() ? NULL : __libc_calloc(n, size);

    if (p)
        chaos_live++;
    return p;
}

void *realloc(void *old, size_t size)
{
    void *p;

    if (size == 0)
        return __libc_realloc(old, size);
    p = chaos_fails() ? NULL : __libc_realloc(old, size);
    if (p && !old)
        chaos_live++;
    return p;
}

/* glibc's own strdup calls its internal malloc: route it through ours. */
char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);

    if (p)
        memcpy(p, s, n);
    return p;
}

void free(void *p)
{
    if (p)
        chaos_live--;
    __libc_free(p);
}
#endif

/*
 * Run @p op with allocation n failing for n = 0, 1, ... until it
 * succeeds; every failure must be KREG_E_NOMEM and leak nothing.
 * Returns the number of allocations the successful run made room for.
 */
static long run_chaos(int (*op)(void *ctx), void *ctx, void (*undo)(void *ctx))
{
#ifdef CHAOS_ENABLED
    long n;
    long live;
    int rc;

    for (n = 0;; n++) {
        live = chaos_live;
        chaos_countdown = n;
        rc = op(ctx);
        chaos_countdown = -1;
        if (rc == KREG_OK)
            break;
        if (rc != KREG_E_NOMEM)
            fail_msg("allocation %ld failing gave code %d", n, rc);
        if (chaos_live != live)
            fail_msg("allocation %ld failing leaked %ld blocks", n,
                     chaos_live - live);
    }
    undo(ctx);
    if (chaos_live != live)
        fail_msg("leaked %ld blocks", chaos_live - live);
    return n;
#else
    (void)op;
    (void)ctx;
    (void)undo;
    fail_msg("no failing allocator in this build");
    return 0;
#endif
}

/* Skip (before anything is allocated) where the allocator cannot be
 * replaced. */
static void require_chaos(void)
{
#ifndef CHAOS_ENABLED
    skip();
#endif
}

/* ---- Operations under test
 * -------------------------------------------------*/

struct decode_ctx {
    const char *json;
    size_t len;
    struct kreg_service *s;
    int wire;
    char *out;
};

static int op_decode(void *ctx)
{
    struct decode_ctx *c = ctx;
    struct kreg_error err;
    int rc = kreg_service_decode(c->json, c->len, &c->s, &err);

    if (rc != KREG_OK && c->s)
        fail_msg("decode failed but handed out a service");
    if (rc == KREG_E_NOMEM)
        assert_string_equal(err.text, "service json: out of memory");
    return rc;
}

static void undo_decode(void *ctx)
{
    struct decode_ctx *c = ctx;

    kreg_service_free(c->s);
    c->s = NULL;
}

static int op_encode(void *ctx)
{
    struct decode_ctx *c = ctx;
    int rc = kreg_service_encode(c->s, c->wire, &c->out, NULL, NULL);

    if (rc != KREG_OK && c->out)
        fail_msg("encode failed but handed out text");
    return rc;
}

static void undo_encode(void *ctx)
{
    struct decode_ctx *c = ctx;

    free(c->out);
    c->out = NULL;
}

static int op_dup(void *ctx)
{
    struct decode_ctx *c = ctx;
    struct kreg_service *d = kreg_service_dup(c->s);

    if (!d)
        return KREG_E_NOMEM;
    assert_true(kreg__service_equal(c->s, d));
    kreg_service_free(d);
    return KREG_OK;
}

static void undo_nothing(void *ctx)
{
    (void)ctx;
}

static int op_build(void *ctx)
{
    struct kreg_service_list *l = kreg__service_list_new();
    struct kreg_service *s = kreg_service_new();
    struct kreg_service *t = kreg_service_new();
    struct kreg_node *n;
    int rc = KREG_E_NOMEM;

    (void)ctx;
    if (!l || !s || !t)
        goto out;
    n = kreg_service_add_node(s, "id", "10.0.0.1:1");
    if (!n || kreg_metadata_set(&n->metadata, "k", "v") != KREG_OK ||
        kreg_metadata_set(&n->metadata, "k", "w") != KREG_OK ||
        kreg_metadata_set(&s->metadata, "a", "b") != KREG_OK)
        goto out;
    if (!kreg_service_add_node(t, "x", "y") ||
        kreg__service_merge_nodes(t, s) != KREG_OK)
        goto out;
    rc = kreg__service_list_append(l, s);
    s = NULL; /* consumed, also on failure */
    if (rc == KREG_OK) {
        rc = kreg__service_list_append(l, t);
        t = NULL;
    }
out:
    kreg_service_free(s);
    kreg_service_free(t);
    kreg_service_list_free(l);
    return rc;
}

/* ---- Tests
 * -----------------------------------------------------------------*/

static const char *const inputs[] = {
    "golden/v1/micro_full.json",
    "golden/v2/escapes_keys.json",
    "golden/v4_10_2/nil_elements.json",
    "golden/v2/deep_values.json",
    "golden/decode/duplicate_nodes_reuse.in",
    "golden/decode/duplicate_metadata_merges.in",
    "golden/decode/unknown_members.in",
    "golden/decode/lone_surrogates.in",
};

static void test_service_chaos_decode_fails_cleanly(void **state)
{
    struct decode_ctx c;
    char *json;
    size_t i;

    (void)state;
    require_chaos();
    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        memset(&c, 0, sizeof(c));
        json = golden_read(inputs[i], &c.len);
        assert_non_null(json);
        c.json = json;
        assert_true(run_chaos(op_decode, &c, undo_decode) > 0);
        free(json);
    }
}

static void test_service_chaos_encode_and_dup_fail_cleanly(void **state)
{
    struct decode_ctx c;
    char *json;
    size_t i;

    (void)state;
    require_chaos();
    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        memset(&c, 0, sizeof(c));
        json = golden_read(inputs[i], &c.len);
        assert_non_null(json);
        assert_int_equal(kreg_service_decode(json, c.len, &c.s, NULL), KREG_OK);
        c.wire = KREG_WIRE_V1;
        assert_true(run_chaos(op_encode, &c, undo_encode) > 0);
        assert_true(run_chaos(op_dup, &c, undo_nothing) > 0);
        kreg_service_free(c.s);
        free(json);
    }
}

static void test_service_chaos_builders_fail_cleanly(void **state)
{
    (void)state;
    require_chaos();
    assert_true(run_chaos(op_build, NULL, undo_nothing) > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_chaos_decode_fails_cleanly),
        cmocka_unit_test(test_service_chaos_encode_and_dup_fail_cleanly),
        cmocka_unit_test(test_service_chaos_builders_fail_cleanly),
    };

    return cmocka_run_group_tests_name("service_chaos", tests, NULL, NULL);
}
