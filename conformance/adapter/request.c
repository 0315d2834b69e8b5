/*
 * request: split a protocol line (PROTOCOL.md "Requests") into members.
 *
 * The line is walked with libkreg's Go-rules JSON reader, which accepts
 * what Go's decoder accepts; each member's raw text is then parsed by
 * jansson, except "service", whose raw text goes to kreg_service_decode()
 * untouched. So a service the suite sends with invalid UTF-8, a lone
 * surrogate escape or deep nesting reaches libkreg as a Go program would
 * read it, and cannot break the envelope.
 */
#include "adapter.h"

#include <stdio.h>
#include <string.h>

#include "service_read.h"

/* State of the member walk. */
struct split {
    const char *line;
    json_t *doc;
    const char *service;
    size_t service_len;
    char *msg;
    size_t msg_size;
    bool failed; /* msg is set */
};

/* One top-level member: its raw value goes to jansson or is kept. */
static int member(struct kreg__service_reader *p,
                  const struct kreg__service_path *at, void *ctx)
{
    struct split *sp = ctx;
    char key[64];
    size_t start;
    unsigned depth = p->depth;
    json_error_t jerr;
    json_t *v;
    int rc;

    snprintf(key, sizeof(key), "%s", kbuf_str(&p->str));
    kreg__service_read_ws(p);
    start = p->pos;
    /* the envelope's level does not count against the service's depth */
    p->depth = 0;
    rc = kreg__service_read_skip(p, at, NULL);
    p->depth = depth;
    if (rc != KREG_OK && strcmp(key, "service") == 0 && p->err) {
        /* a service libkreg cannot read, in a well-formed request */
        snprintf(sp->msg, sp->msg_size, "%s", p->err->text);
        sp->failed = true;
    }
    if (rc != KREG_OK)
        return rc;
    if (strcmp(key, "service") == 0) {
        sp->service = sp->line + start;
        sp->service_len = p->pos - start;
        return KREG_OK;
    }
    v = json_loadb(sp->line + start, p->pos - start,
                   JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!v) {
        snprintf(sp->msg, sp->msg_size, "bad request: member \"%s\": %s", key,
                 jerr.text);
        sp->failed = true;
        return KREG_E_INVALID;
    }
    json_object_set_new(sp->doc, key, v);
    return KREG_OK;
}

bool request_parse(const char *line, size_t len, struct request *rq, char *msg,
                   size_t msg_size)
{
    struct kreg_error err = {0};
    struct kreg__service_reader p;
    struct split sp = {line, json_object(), NULL, 0, msg, msg_size, false};
    int rc;

    memset(rq, 0, sizeof(*rq));
    if (!sp.doc) {
        snprintf(msg, msg_size, "out of memory");
        return false;
    }
    kreg__service_read_init(&p, line, len, &err);
    rc = kreg__service_read_object(&p, NULL, member, &sp);
    if (rc == KREG_OK) {
        kreg__service_read_ws(&p);
        if (p.pos != p.len)
            rc = kreg__service_read_fail_char(&p, NULL, p.pos,
                                              "after the request object");
    }
    kreg__service_read_release(&p);
    if (rc != KREG_OK && !sp.failed) {
        /* the reader names itself "service json"; here it read a request */
        const char *text = err.text;

        if (strncmp(text, "service json: ", 14) == 0)
            text += 14;
        snprintf(msg, msg_size, "bad request: %s", text);
    }
    /* on failure too: the members read so far name the id to answer */
    rq->doc = sp.doc;
    rq->id = json_object_get(sp.doc, "id");
    if (rc != KREG_OK)
        return false;
    rq->op = request_string(sp.doc, "op");
    rq->service = sp.service;
    rq->service_len = sp.service_len;
    return true;
}

void request_release(struct request *rq)
{
    json_decref(rq->doc);
    memset(rq, 0, sizeof(*rq));
}

const char *request_string(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}
