/*
 * case: the life cycle of one conformance case, its checks, the values
 * it holds, and the bytes Go would write (docs/go-micro-wire.md, Name encoding,
 * Writing), computed here so that no expectation comes from the implementation
 * under test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "kbuf.h"
#include "util.h"

/* The longest failure message shown (with the implementation's log). */
#define CHECK_MSG_MAX 4096

/* ---- Life cycle --------------------------------------------------------*/

int case_setup(void **state)
{
    struct case_slot *slot = *state;
    struct kcase *c = calloc(1, sizeof(*c));

    if (!c)
        return -1;
    c->s = slot->s;
    c->slot = slot;
    snprintf(c->prefix, sizeof(c->prefix), "t%02u", slot->index);
    if (c->s->im->ops->log)
        c->s->im->ops->log(c->s->im, NULL, 0); /* earlier cases' output */
    *state = c;
    return 0;
}

struct kcase *case_of(void **state)
{
    return *state;
}

void case_run(void **state)
{
    struct kcase *c = *state;

    c->slot->desc->fn(state);
    c->slot->outcome = CASE_PASSED;
}

int case_teardown(void **state)
{
    struct kcase *c = *state;
    char msg[256];
    size_t i;
    int rc = 0;

    for (i = 0; i < c->nwatches; i++)
        c->s->im->ops->watch_stop(c->s->im, c->watches[i]);
    if (c->faults)
        target_faults_clear(c->s->t);
    if (c->pods && target_pods_clear(c->s->t, msg, sizeof(msg)) != TARGET_OK) {
        util_log("%s: clean-up: %s", c->slot->name, msg);
        c->slot->outcome = CASE_FAILED;
        rc = -1;
    }
    if (c->pods2 && target_pods_clear_in(c->s->t, c->s->t->ns2, msg,
                                         sizeof(msg)) != TARGET_OK) {
        util_log("%s: clean-up: %s", c->slot->name, msg);
        c->slot->outcome = CASE_FAILED;
        rc = -1;
    }
    for (i = 0; i < c->njson; i++)
        json_decref(c->json[i]);
    for (i = 0; i < c->nstrs; i++)
        free(c->strs[i]);
    free(c->json);
    free(c->strs);
    free(c->watches);
    *state = (void *)(uintptr_t)c->slot;
    free(c);
    return rc;
}

/* ---- Checks ------------------------------------------------------------*/

void case_check(struct kcase *c, bool ok, const char *file, int line,
                const char *fmt, ...)
{
    char msg[CHECK_MSG_MAX];
    char log[1600];
    size_t n;
    va_list ap;

    if (ok)
        return;
    va_start(ap, fmt);
    util_vmsg(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->s->im->ops->log && c->s->im->ops->log(c->s->im, log, sizeof(log))) {
        n = strlen(msg);
        util_msg(msg + n, sizeof(msg) - n, "\n%s log:\n%s", c->s->im->name,
                 log);
    }
    util_sanitize(msg);
    _assert_true(0, msg, file, line);
}

void case_skip(struct kcase *c, const char *why)
{
    util_log("%s: skipped: %s", c->slot->name, why);
    c->slot->outcome = CASE_SKIPPED;
    skip();
}

void case_need(struct kcase *c, unsigned feature, const char *name)
{
    char msg[512];
    unsigned have = 0;
    int rc = IMPL_OK;

    msg[0] = '\0';
    if (c->s->im->ops->features)
        rc = c->s->im->ops->features(c->s->im, &have, msg, sizeof(msg));
    CHECK(c, rc != IMPL_BROKEN, "hello: %s", msg);
    if (!(have & feature))
        case_skip(c, case_fmt(c,
                              "the implementation does not announce \"%s\" "
                              "in its hello",
                              name));
}

/* ---- Held values -------------------------------------------------------*/

json_t *case_hold(struct kcase *c, json_t *v)
{
    json_t **grown;

    if (!v)
        return NULL;
    grown = realloc(c->json, (c->njson + 1) * sizeof(*grown));
    CHECK(c, grown != NULL, "out of memory");
    c->json = grown;
    c->json[c->njson++] = v;
    return v;
}

char *case_hold_str(struct kcase *c, char *s)
{
    char **grown;

    CHECK(c, s != NULL, "out of memory");
    grown = realloc(c->strs, (c->nstrs + 1) * sizeof(*grown));
    CHECK(c, grown != NULL, "out of memory");
    c->strs = grown;
    c->strs[c->nstrs++] = s;
    return s;
}

char *case_fmt(struct kcase *c, const char *fmt, ...)
{
    struct kbuf b;
    va_list ap;
    int rc;

    kbuf_init(&b, 64u << 20);
    va_start(ap, fmt);
    rc = kbuf_vaddf(&b, fmt, ap);
    va_end(ap);
    CHECK(c, rc == KBUF_OK, "out of memory");
    return case_hold_str(c, kbuf_detach(&b, NULL));
}

json_t *case_parse(struct kcase *c, const char *what, const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

    CHECK(c, v != NULL, "%s: not JSON (%s): %.300s", what, e.text, text);
    return case_hold(c, v);
}

const char *case_fixture(struct kcase *c, const char *rel, size_t *len,
                         bool required)
{
    char path[1024];
    char *text;
    size_t n = 0;
    int rc;

    rc = snprintf(path, sizeof(path), "%s/%s", c->s->fixtures, rel);
    CHECK(c, rc > 0 && (size_t)rc < sizeof(path), "fixture path too long");
    text = util_read_file(path, &n);
    if (len)
        *len = n;
    if (!text && !required)
        return NULL;
    CHECK(c, text != NULL, "cannot read fixture %s (set KREG_FIXTURES)", path);
    return case_hold_str(c, text);
}

/* ---- Go's bytes --------------------------------------------------------*/

static bool is_name_byte(unsigned char b)
{
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
           (b >= '0' && b <= '9') || b == '-' || b == '_' || b == '.';
}

char *case_enc(struct kcase *c, const char *name)
{
    char *out = case_hold_str(c, strdup(name));
    char *p;

    /* docs/go-micro-wire.md, Name encoding: per byte, no folding, same
     * length */
    for (p = out; *p; p++)
        if (!is_name_byte((unsigned char)*p))
            *p = '_';
    return out;
}

char *case_selector_key(struct kcase *c, const char *name)
{
    return case_fmt(c, "micro.mu/selector-%s", case_enc(c, name));
}

char *case_service_key(struct kcase *c, const char *name)
{
    return case_fmt(c, "micro.mu/service-%s", case_enc(c, name));
}

/* One byte (or U+2028/U+2029) as Go's encodeState.string writes it;
 * returns how many input bytes it used. Valid UTF-8 is assumed. */
static size_t go_char(struct kbuf *b, const unsigned char *p, int *rc)
{
    static const char hex[] = "0123456789abcdef";

    if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
        *rc = kbuf_adds(b, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
        return 3;
    }
    if (*p == '"' || *p == '\\')
        *rc = kbuf_addf(b, "\\%c", *p);
    else if (*p == '\n')
        *rc = kbuf_adds(b, "\\n");
    else if (*p == '\r')
        *rc = kbuf_adds(b, "\\r");
    else if (*p == '\t')
        *rc = kbuf_adds(b, "\\t");
    else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
        *rc = kbuf_addf(b, "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
    else
        *rc = kbuf_addc(b, (char)*p);
    return 1;
}

char *case_go_string(struct kcase *c, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    struct kbuf b;
    int rc;

    kbuf_init(&b, 64u << 20);
    rc = kbuf_addc(&b, '"');
    while (*p && rc == KBUF_OK)
        p += go_char(&b, p, &rc);
    if (rc == KBUF_OK)
        rc = kbuf_addc(&b, '"');
    CHECK(c, rc == KBUF_OK, "out of memory");
    return case_hold_str(c, kbuf_detach(&b, NULL));
}

char *case_service(struct kcase *c, const char *name, const char *version,
                   const char *node_id)
{
    return case_fmt(c,
                    "{\"name\":%s,\"version\":%s,\"metadata\":null,"
                    "\"endpoints\":[],\"nodes\":[{\"id\":%s,"
                    "\"address\":\"10.0.0.1:8080\",\"metadata\":"
                    "{\"protocol\":\"mucp\"}}]}",
                    case_go_string(c, name), case_go_string(c, version),
                    case_go_string(c, node_id));
}
