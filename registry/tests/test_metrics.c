/*
 * metrics (metrics.c): each HTTP status lands in its slot (its own, its
 * class's, or other), each method in its verb's, the slot names are the
 * labels docs/metrics.md lists, and a bump on a missing block (a client
 * made without a handle) does nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

static void test_metrics_statuses_land_in_their_slot(void **state)
{
    static const struct {
        long status;
        enum kreg_metrics_code code;
        const char *name;
    } cases[] = {
        {0, KREG_METRICS_CODE_NONE, "0"},
        {200, KREG_METRICS_CODE_200, "200"},
        {201, KREG_METRICS_CODE_201, "201"},
        {204, KREG_METRICS_CODE_2XX, "2xx"},
        {304, KREG_METRICS_CODE_3XX, "3xx"},
        {400, KREG_METRICS_CODE_400, "400"},
        {401, KREG_METRICS_CODE_401, "401"},
        {403, KREG_METRICS_CODE_403, "403"},
        {404, KREG_METRICS_CODE_404, "404"},
        {409, KREG_METRICS_CODE_409, "409"},
        {410, KREG_METRICS_CODE_410, "410"},
        {418, KREG_METRICS_CODE_4XX, "4xx"},
        {422, KREG_METRICS_CODE_422, "422"},
        {429, KREG_METRICS_CODE_429, "429"},
        {500, KREG_METRICS_CODE_500, "500"},
        {502, KREG_METRICS_CODE_502, "502"},
        {503, KREG_METRICS_CODE_503, "503"},
        {504, KREG_METRICS_CODE_504, "504"},
        {599, KREG_METRICS_CODE_5XX, "5xx"},
        {101, KREG_METRICS_CODE_OTHER, "other"},
        {600, KREG_METRICS_CODE_OTHER, "other"},
        {-1, KREG_METRICS_CODE_OTHER, "other"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum kreg_metrics_code code = kreg__metrics_code(cases[i].status);

        if (code != cases[i].code)
            fail_msg("status %ld: slot %d, expected %d", cases[i].status,
                     (int)code, (int)cases[i].code);
        assert_string_equal(kreg_metrics_code_name(code), cases[i].name);
    }
    for (i = 0; i < KREG_METRICS_CODES; i++)
        assert_non_null(kreg_metrics_code_name((int)i));
    assert_null(kreg_metrics_code_name(KREG_METRICS_CODES));
}

static void test_metrics_methods_land_in_their_verb(void **state)
{
    static const char *const methods[] = {"GET", "PATCH", "POST", "PUT",
                                          "DELETE"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        assert_string_equal(
            kreg_metrics_verb_name(kreg__metrics_verb(methods[i])), methods[i]);
    /* WATCH is a stream's slot, never a method's */
    assert_int_equal(kreg__metrics_verb("WATCH"), KREG_METRICS_VERB_OTHER);
    assert_int_equal(kreg__metrics_verb("get"), KREG_METRICS_VERB_OTHER);
    assert_int_equal(kreg__metrics_verb("HEAD"), KREG_METRICS_VERB_OTHER);
    assert_string_equal(kreg_metrics_verb_name(KREG_METRICS_VERB_OTHER),
                        "OTHER");
}

static void test_metrics_bumps_count_once_each(void **state)
{
    struct kreg__metrics m;
    int v;
    int k;

    (void)state;
    kreg__metrics_init(&m);
    kreg__metrics_request(&m, KREG_METRICS_VERB_PATCH, 422);
    kreg__metrics_request(&m, KREG_METRICS_VERB_PATCH, 422);
    kreg__metrics_request(&m, KREG_METRICS_VERB_WATCH, 0);
    kreg__metrics_retry(&m);
    kreg__metrics_reconnect(&m);
    kreg__metrics_relist(&m);
    kreg__metrics_skip(&m);
    kreg__metrics_skip(&m);
    for (v = 0; v < KREG_METRICS_VERBS; v++)
        for (k = 0; k < KREG_METRICS_CODES; k++) {
            uint64_t want =
                v == KREG_METRICS_VERB_PATCH && k == KREG_METRICS_CODE_422 ? 2
                : v == KREG_METRICS_VERB_WATCH && k == KREG_METRICS_CODE_NONE
                    ? 1
                    : 0;

            assert_true(atomic_load(&m.requests[v][k]) == want);
        }
    assert_true(atomic_load(&m.retries) == 1);
    assert_true(atomic_load(&m.watch_reconnects) == 1);
    assert_true(atomic_load(&m.relists) == 1);
    assert_true(atomic_load(&m.skipped) == 2);
    /* no block: nothing happens */
    kreg__metrics_request(NULL, KREG_METRICS_VERB_GET, 200);
    kreg__metrics_retry(NULL);
    kreg__metrics_reconnect(NULL);
    kreg__metrics_relist(NULL);
    kreg__metrics_skip(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_statuses_land_in_their_slot),
        cmocka_unit_test(test_metrics_methods_land_in_their_verb),
        cmocka_unit_test(test_metrics_bumps_count_once_each),
    };

    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
