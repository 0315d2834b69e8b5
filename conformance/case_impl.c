/*
 * case_impl: calling the implementation under test from a case, and
 * judging its answers (get and list results, watch events).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "util.h"

#define IMPL_MSG 2048

static const char *rc_name(int rc)
{
    switch (rc) {
    case IMPL_OK:
        return "ok";
    case IMPL_NOT_FOUND:
        return "not found";
    case IMPL_ERROR:
        return "error";
    case IMPL_BROKEN:
        return "broken";
    }
    return "?";
}

/* An implementation that crashed or hung fails the case right away. */
static int judge(struct kcase *c, const char *op, int rc, const char *msg)
{
    CHECK(c, rc != IMPL_BROKEN, "%s: %s", op, msg);
    return rc;
}

void case_target(struct kcase *c, const char *pod, struct impl_target *it)
{
    target_impl(c->s->t, pod, it);
}

void case_target_forbidden(struct kcase *c, const char *pod,
                           struct impl_target *it)
{
    target_impl_forbidden(c->s->t, pod, it);
}

int case_try_register(struct kcase *c, const struct impl_target *it,
                      const char *json, char *msg, size_t msg_size)
{
    msg[0] = '\0';
    return judge(c, "register",
                 c->s->im->ops->reg(c->s->im, it, json, msg, msg_size), msg);
}

int case_try_deregister(struct kcase *c, const struct impl_target *it,
                        const char *json, char *msg, size_t msg_size)
{
    msg[0] = '\0';
    return judge(c, "deregister",
                 c->s->im->ops->dereg(c->s->im, it, json, msg, msg_size), msg);
}

/* Parse an answer array (held) into *out. */
static void answer_array(struct kcase *c, const char *op, char *text,
                         json_t **out)
{
    json_t *v;

    case_hold_str(c, text);
    v = case_parse(c, op, text);
    CHECK(c, json_is_array(v), "%s: the answer is not an array: %.300s", op,
          text);
    *out = v;
}

int case_try_get(struct kcase *c, const struct impl_target *it,
                 const char *name, json_t **out, char *msg, size_t msg_size)
{
    return case_try_get_q(c, it, name, NULL, out, msg, msg_size);
}

int case_try_get_q(struct kcase *c, const struct impl_target *it,
                   const char *name, const struct impl_query *q, json_t **out,
                   char *msg, size_t msg_size)
{
    char *text = NULL;
    int rc;

    msg[0] = '\0';
    *out = NULL;
    rc = c->s->im->ops->get(c->s->im, it, name, q, &text, msg, msg_size);
    judge(c, "get", rc, msg);
    if (rc == IMPL_OK)
        answer_array(c, "get", text, out);
    else
        free(text);
    return rc;
}

int case_try_list(struct kcase *c, const struct impl_target *it, json_t **out,
                  char *msg, size_t msg_size)
{
    return case_try_list_q(c, it, NULL, out, msg, msg_size);
}

int case_try_list_q(struct kcase *c, const struct impl_target *it,
                    const struct impl_query *q, json_t **out, char *msg,
                    size_t msg_size)
{
    char *text = NULL;
    int rc;

    msg[0] = '\0';
    *out = NULL;
    rc = c->s->im->ops->list(c->s->im, it, q, &text, msg, msg_size);
    judge(c, "list", rc, msg);
    if (rc == IMPL_OK)
        answer_array(c, "list", text, out);
    else
        free(text);
    return rc;
}

int case_try_watch(struct kcase *c, const struct impl_target *it,
                   const char *name, char *msg, size_t msg_size)
{
    return case_try_watch_q(c, it, name, NULL, msg, msg_size);
}

int case_try_watch_q(struct kcase *c, const struct impl_target *it,
                     const char *name, const struct impl_query *q, char *msg,
                     size_t msg_size)
{
    int *grown;
    int id = 0;
    int rc;

    msg[0] = '\0';
    rc = c->s->im->ops->watch(c->s->im, it, name, q, &id, msg, msg_size);
    judge(c, "watch", rc, msg);
    if (rc != IMPL_OK)
        return rc;
    grown = realloc(c->watches, (c->nwatches + 1) * sizeof(*grown));
    CHECK(c, grown != NULL, "out of memory");
    c->watches = grown;
    c->watches[c->nwatches++] = id;
    return IMPL_OK;
}

void case_register(struct kcase *c, const char *pod, const char *json)
{
    struct impl_target it;
    char msg[IMPL_MSG];
    int rc;

    case_target(c, pod, &it);
    rc = case_try_register(c, &it, json, msg, sizeof(msg));
    CHECK(c, rc == IMPL_OK, "register on pod %s: %s: %s\n  service %.300s", pod,
          rc_name(rc), msg, json);
}

void case_register_in2(struct kcase *c, const char *pod, const char *json)
{
    struct impl_target it;
    char msg[IMPL_MSG];
    int rc;

    case_target(c, pod, &it);
    it.namespace_ = c->s->t->ns2;
    rc = case_try_register(c, &it, json, msg, sizeof(msg));
    CHECK(c, rc == IMPL_OK, "register on pod %s of %s: %s: %s", pod,
          it.namespace_, rc_name(rc), msg);
}

void case_deregister(struct kcase *c, const char *pod, const char *json)
{
    struct impl_target it;
    char msg[IMPL_MSG];
    int rc;

    case_target(c, pod, &it);
    rc = case_try_deregister(c, &it, json, msg, sizeof(msg));
    CHECK(c, rc == IMPL_OK, "deregister on pod %s: %s: %s", pod, rc_name(rc),
          msg);
}

json_t *case_get(struct kcase *c, const char *name)
{
    return case_get_q(c, name, NULL);
}

json_t *case_get_q(struct kcase *c, const char *name,
                   const struct impl_query *q)
{
    struct impl_target it;
    char msg[IMPL_MSG];
    json_t *out;
    int rc;

    case_target(c, "none", &it);
    rc = case_try_get_q(c, &it, name, q, &out, msg, sizeof(msg));
    CHECK(c, rc == IMPL_OK, "get %s: %s: %s", name, rc_name(rc), msg);
    return out;
}

json_t *case_list(struct kcase *c)
{
    return case_list_q(c, NULL);
}

json_t *case_list_q(struct kcase *c, const struct impl_query *q)
{
    struct impl_target it;
    char msg[IMPL_MSG];
    json_t *out;
    int rc;

    case_target(c, "none", &it);
    rc = case_try_list_q(c, &it, q, &out, msg, sizeof(msg));
    CHECK(c, rc == IMPL_OK, "list: %s: %s", rc_name(rc), msg);
    return out;
}

int case_watch(struct kcase *c, const char *name)
{
    return case_watch_q(c, name, NULL);
}

int case_watch_q(struct kcase *c, const char *name, const struct impl_query *q)
{
    struct impl_target it;
    char msg[IMPL_MSG];
    int rc;

    case_target(c, "none", &it);
    rc = case_try_watch_q(c, &it, name, q, msg, sizeof(msg));
    CHECK(c, rc == IMPL_OK, "watch %s: %s: %s", name ? name : "(all)",
          rc_name(rc), msg);
    return c->watches[c->nwatches - 1];
}

static char *dump(struct kcase *c, const json_t *v)
{
    return case_hold_str(c, json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY));
}

/* The element of @p arr whose "version" equals @p version, or NULL. */
static json_t *by_version(json_t *arr, const char *version)
{
    size_t i;
    json_t *s;

    json_array_foreach(arr, i, s)
    {
        const char *v = json_string_value(json_object_get(s, "version"));

        if (v && strcmp(v, version) == 0)
            return s;
    }
    return NULL;
}

void case_expect_services(struct kcase *c, const char *what, json_t *got,
                          const char *want)
{
    json_t *w = case_parse(c, "expected services", want);
    const char *version;
    json_t *one;
    size_t i;

    CHECK(c, json_array_size(got) == json_array_size(w),
          "%s: %zu services, want %zu (one per version):\n  got  %.800s\n"
          "  want %.800s",
          what, json_array_size(got), json_array_size(w), dump(c, got), want);
    json_array_foreach(w, i, one)
    {
        version = json_string_value(json_object_get(one, "version"));
        CHECK(c, json_equal(by_version(got, version ? version : ""), one),
              "%s: version %s differs:\n  got  %.800s\n  want %.800s", what,
              version, dump(c, by_version(got, version ? version : "")),
              dump(c, one));
    }
}

/* The next event (held JSON {"action","service"}), failing on none. */
static json_t *next_event(struct kcase *c, int id, const char *waiting_for)
{
    struct impl_event ev = {0};
    char msg[IMPL_MSG];
    json_t *svc;
    int rc;

    msg[0] = '\0';
    rc = c->s->im->ops->watch_next(c->s->im, id, c->s->event_ms, &ev, msg,
                                   sizeof(msg));
    judge(c, "watch_next", rc, msg);
    CHECK(c, rc != IMPL_NOT_FOUND, "watch: no event within %d ms, want %s",
          c->s->event_ms, waiting_for);
    CHECK(c, rc == IMPL_OK, "watch_next: %s", msg);
    svc = json_loads(ev.service_json, JSON_ALLOW_NUL, NULL);
    impl_event_release(&ev);
    CHECK(c, svc != NULL, "watch: the event's service is not JSON");
    return case_hold(
        c, json_pack("{s:s, s:o}", "action", ev.action, "service", svc));
}

void case_expect_event(struct kcase *c, int id, const char *action,
                       const char *service)
{
    json_t *want = case_parse(c, "expected service", service);
    char *wanted = case_fmt(c, "%s %.300s", action, service);
    json_t *ev = next_event(c, id, wanted);

    CHECK(c,
          strcmp(json_string_value(json_object_get(ev, "action")), action) ==
                  0 &&
              json_equal(json_object_get(ev, "service"), want),
          "watch: unexpected event:\n  got  %.600s\n  want %s", dump(c, ev),
          wanted);
}

void case_expect_events(struct kcase *c, int id, const char *action,
                        const char *const *services, size_t n)
{
    json_t *want = case_hold(c, json_array());
    json_t *ev;
    size_t i;
    size_t j;

    for (i = 0; i < n; i++)
        json_array_append(want, case_parse(c, "expected", services[i]));
    for (i = 0; i < n; i++) {
        ev = next_event(c, id, case_fmt(c, "%zu %s events", n - i, action));
        for (j = 0; j < json_array_size(want); j++)
            if (json_equal(json_object_get(ev, "service"),
                           json_array_get(want, j)))
                break;
        CHECK(c,
              strcmp(json_string_value(json_object_get(ev, "action")),
                     action) == 0 &&
                  j < json_array_size(want),
              "watch: unexpected event:\n  got  %.600s\n  want %s of one "
              "of %.600s",
              dump(c, ev), action, dump(c, want));
        json_array_remove(want, j);
    }
}
