/*
 * libkreg's watch meeting the server's watcher limit: fakeapi answers a
 * watch over max_watchers with 429 TooManyRequests and Retry-After: 1
 * (test_hardening.c checks that answer); the libkreg watch treats it as
 * transient, backs off, and once a slot frees it connects and reports
 * what changed meanwhile, once.
 */
#include "e2e.h"

static void test_e2e_limits_watch_waits_out_the_watcher_limit(void **state)
{
    fakeapi *srv = NULL;
    struct fakeapi_options o;
    kreg *r;
    kreg_watch *hog = NULL;
    kreg_watch *w = NULL;
    struct kreg_result *res = NULL;
    struct kreg_error err;

    (void)state;
    memset(&o, 0, sizeof(o));
    o.max_watchers = 1;
    assert_int_equal(fakeapi_start(&o, &srv, NULL), FAKEAPI_OK);
    e2e_seed(srv, "pod-a", "Running", NULL);
    r = e2e_handle(srv, "pod-a");
    /* the one slot is taken */
    assert_int_equal(kreg_watch_new(r, NULL, &hog, NULL), KREG_OK);
    e2e_register_on(srv, "pod-a", "first", "1", "10.0.0.1:1");
    e2e_expect(hog, KREG_ACTION_CREATE, "pod-a", "10.0.0.1:1");
    /* a second watch lists fine, then its stream gets 429s */
    assert_int_equal(kreg_watch_new(r, NULL, &w, NULL), KREG_OK);
    memset(&err, 0, sizeof(err));
    assert_int_equal(kreg_watch_next(w, 0, &res, &err), KREG_E_TIMEOUT);
    /* a change while it waits, then the slot frees */
    e2e_register_on(srv, "pod-a", "second", "1", "10.0.0.2:1");
    kreg_watch_free(hog);
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.2:1");
    /* it really met the limit */
    {
        json_t *log = e2e_log(srv);
        json_t *e;
        size_t i;
        size_t n429 = 0;

        json_array_foreach(log, i, e)
        {
            if (json_integer_value(json_object_get(e, "status")) == 429)
                n429++;
        }
        json_decref(log);
        assert_true(n429 >= 1);
    }
    /* and it is live: the next change arrives next, nothing repeated */
    e2e_register_on(srv, "pod-a", "third", "1", "10.0.0.3:1");
    e2e_expect(w, KREG_ACTION_CREATE, "pod-a", "10.0.0.3:1");
    kreg_watch_free(w);
    kreg_free(r);
    fakeapi_stop(srv);
}

int main(void)
{
    /* the test starts a server of its own; the fixture's goes unused */
    const struct e2e_test tests[] = {
        E2E_FAKE_TEST(test_e2e_limits_watch_waits_out_the_watcher_limit,
                      "its max_watchers option"),
    };

    return e2e_run_group("e2e_limits", tests, sizeof(tests) / sizeof(tests[0]));
}
