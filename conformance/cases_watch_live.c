/*
 * cases_watch_live: the watch contract a go-micro peer relies on
 * (required level; PROTOCOL.md "Levels"), checked on a *live* watch: one
 * that has already reported a change. go-micro's cache and selector only
 * need every change to arrive: a service that appears or changes as
 * create or update (they treat both alike), one that goes as delete.
 *
 * The go-plugins v1/v2 watcher drops every line of its first second
 * (client/watch/body.go), so a change made right after `watch` is lost;
 * the cases in cases_watch.c (recommended) check kreg's exact semantics
 * from the first moment. Here the case first makes the watch live: it
 * re-registers a marker service on the case's pod, with a new version
 * each time, until the watch reports it (each wait is a bounded
 * watch_next, never a sleep). Then it makes its change and waits for the
 * expected event, letting other events pass (the plugins' update storm
 * is a recommended case's business).
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "util.h"

/* The marker service that makes a watch live. */
#define LIVE_NAME "kreg-conformance-live"
/* How long one marker waits for its event before the next is written. */
#define LIVE_POLL_MS 150

/* The next event of watch @p w within @p ms (held JSON), or NULL. */
static json_t *poll_event(struct kcase *c, int w, int ms)
{
    struct impl_event ev = {0};
    char msg[1024];
    json_t *svc;
    int rc;

    msg[0] = '\0';
    rc = c->s->im->ops->watch_next(c->s->im, w, ms, &ev, msg, sizeof(msg));
    if (rc == IMPL_NOT_FOUND)
        return NULL;
    CHECK(c, rc == IMPL_OK, "watch_next: %s", msg);
    svc = json_loads(ev.service_json, JSON_ALLOW_NUL, NULL);
    impl_event_release(&ev);
    CHECK(c, svc != NULL, "watch: the event's service is not JSON");
    return case_hold(
        c, json_pack("{s:s, s:o}", "action", ev.action, "service", svc));
}

static const char *event_name(const json_t *ev)
{
    const char *n = json_string_value(
        json_object_get(json_object_get(ev, "service"), "name"));

    return n ? n : "";
}

/* Start a watch of every service and make it live through pod @p pod,
 * which then carries the marker service. */
static int live_watch(struct kcase *c, const char *pod)
{
    int64_t deadline;
    unsigned k = 1;
    json_t *ev;
    int w;

    case_register(c, pod, case_service(c, LIVE_NAME, "0", "live"));
    w = case_watch(c, NULL);
    deadline = util_now_ms() + c->s->event_ms;
    for (;;) {
        case_register(c, pod,
                      case_service(c, LIVE_NAME, case_fmt(c, "%u", k), "live"));
        k++;
        do {
            ev = poll_event(c, w, LIVE_POLL_MS);
            if (ev && strcmp(event_name(ev), LIVE_NAME) == 0)
                return w;
        } while (ev);
        CHECK(c, util_now_ms() < deadline,
              "watch: none of %u changes made after the watch started was "
              "reported within %d ms",
              k - 1, c->s->event_ms);
    }
}

/*
 * Wait for an event of watch @p w for exactly @p service (JSON text)
 * whose action is one of @p actions (space-separated), letting other
 * events pass, for the suite's event timeout.
 */
static void expect_eventually(struct kcase *c, int w, const char *actions,
                              const char *service)
{
    json_t *want = case_parse(c, "expected service", service);
    int64_t deadline = util_now_ms() + c->s->event_ms;
    char *seen = case_fmt(c, "%s", "");
    const char *action;
    int64_t left;
    json_t *ev;

    for (;;) {
        left = deadline - util_now_ms();
        ev = left > 0 ? poll_event(c, w, (int)left) : NULL;
        CHECK(c, ev != NULL,
              "watch: no %s of %.300s within %d ms; other events:%.1200s",
              actions, service, c->s->event_ms, *seen ? seen : " none");
        action = json_string_value(json_object_get(ev, "action"));
        if (action && strstr(actions, action) &&
            json_equal(json_object_get(ev, "service"), want))
            return;
        if (strcmp(event_name(ev), LIVE_NAME) != 0)
            seen = case_fmt(c, "%s\n  %s %.300s", seen, action, event_name(ev));
    }
}

static void test_watch_live_reports_a_new_service(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = case_service(c, "greeter", "1", "greeter-1");
    int w = live_watch(c, pod);

    case_register(c, pod, svc);
    expect_eventually(c, w, "create update", svc);
}

static void test_watch_live_reports_a_changed_service(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *v2 = case_service(c, "greeter", "2", "greeter-2");
    int w;

    case_register(c, pod, case_service(c, "greeter", "1", "greeter-1"));
    w = live_watch(c, pod);
    case_register(c, pod, v2);
    expect_eventually(c, w, "update", v2);
}

static void test_watch_live_reports_delete_on_deregister(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = case_service(c, "greeter", "1", "greeter-1");
    int w;

    case_register(c, pod, svc);
    w = live_watch(c, pod);
    case_deregister(c, pod, svc);
    expect_eventually(c, w, "delete", svc);
}

static void test_watch_live_reports_delete_when_the_pod_is_deleted(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = case_service(c, "greeter", "1", "greeter-1");
    int w;

    case_register(c, pod, svc);
    w = live_watch(c, pod);
    case_delete_pod(c, pod);
    expect_eventually(c, w, "delete", svc);
}

static void
test_watch_live_reports_delete_when_the_pod_stops_running(void **state)
{
    struct kcase *c = case_of(state);
    const char *pod = case_pod(c, "a", "Running");
    const char *svc = case_service(c, "greeter", "1", "greeter-1");
    int w;

    case_register(c, pod, svc);
    w = live_watch(c, pod);
    case_phase(c, pod, "Failed");
    expect_eventually(c, w, "delete", svc);
}

static const struct case_desc table[] = {
    CASE(test_watch_live_reports_a_new_service),
    CASE(test_watch_live_reports_a_changed_service),
    CASE(test_watch_live_reports_delete_on_deregister),
    CASE(test_watch_live_reports_delete_when_the_pod_is_deleted),
    CASE(test_watch_live_reports_delete_when_the_pod_stops_running),
};

size_t cases_watch_live(const struct case_desc **out)
{
    *out = table;
    return sizeof(table) / sizeof(table[0]);
}
