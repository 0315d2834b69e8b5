/*
 * libkreg keeps 0.1's ABI (registry/CMakeLists.txt, the SONAME): every
 * public struct has the layout it had, except that kreg_query may grow at
 * its end (kreg_watch_new_ex() reads 0.2's members, the _q entry points
 * all of them, up to the size their caller passes). The 0.1 header is kept
 * in abi/ and compiled in its own file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "kreg.h"

#include "abi/layout.h"

/* Structs a 0.2 program passes by pointer and 0.2 may read further in. */
static const char *const may_grow[] = {"sizeof kreg_query"};

static void test_abi_structs_keep_their_0_1_layout(void **state)
{
    static const struct abi_entry now[] = {ABI_LAYOUT_0_1};
    size_t nnow = sizeof(now) / sizeof(now[0]);
    size_t nold = 0;
    const struct abi_entry *old = abi_0_1(&nold);
    size_t i;

    (void)state;
    assert_int_equal(nold, nnow);
    for (i = 0; i < nold; i++) {
        bool grows = false;
        size_t k;

        assert_string_equal(old[i].what, now[i].what);
        for (k = 0; k < sizeof(may_grow) / sizeof(may_grow[0]); k++)
            grows = grows || strcmp(old[i].what, may_grow[k]) == 0;
        if (grows ? now[i].value < old[i].value : now[i].value != old[i].value)
            fail_msg("%s: %zu in 0.1, %zu now", old[i].what, old[i].value,
                     now[i].value);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abi_structs_keep_their_0_1_layout),
    };

    return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
