/*
 * answer: protocol answer lines (PROTOCOL.md "Framing", "Errors").
 *
 * Strings are written with libkreg's Go-style escaper, so any bytes a
 * message carries (a service name with invalid UTF-8, say) still make a
 * valid JSON line with no raw newline.
 */
#include "adapter.h"

#include <stdlib.h>
#include <string.h>

#include "service.h"

int answer_string(struct kbuf *b, const char *s)
{
    return kreg__service_encode_string(b, s, strlen(s), KREG_WIRE_V2);
}

int answer_key(struct kbuf *b, const char *key)
{
    int rc = answer_string(b, key);

    return rc != KBUF_OK ? rc : kbuf_addc(b, ':');
}

/* Append the request's id as sent, or null. */
static int add_id(struct kbuf *b, const json_t *id)
{
    char *text;
    int rc;

    if (!id)
        return kbuf_adds(b, "null");
    text = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text)
        return KBUF_E_NOMEM;
    rc = kbuf_adds(b, text);
    free(text);
    return rc;
}

int answer_write(struct kbuf *out, const json_t *id, enum answer_class cls,
                 const char *extra, const char *message)
{
    int rc = kbuf_adds(out, "{\"id\":");

    if (rc == KBUF_OK)
        rc = add_id(out, id);
    if (rc != KBUF_OK)
        return rc;
    if (cls == ANSWER_OK) {
        rc = kbuf_adds(out, ",\"ok\":true");
        if (rc == KBUF_OK)
            rc = kbuf_adds(out, extra ? extra : "");
        return rc == KBUF_OK ? kbuf_adds(out, "}\n") : rc;
    }
    rc = kbuf_adds(out, cls == ANSWER_NOT_FOUND
                            ? ",\"ok\":false,\"error\":{\"code\":\"not_found\""
                            : ",\"ok\":false,\"error\":{\"code\":\"error\"");
    if (rc == KBUF_OK)
        rc = kbuf_adds(out, ",\"message\":");
    if (rc == KBUF_OK)
        rc = answer_string(out, message && *message ? message : "failed");
    return rc == KBUF_OK ? kbuf_adds(out, "}}\n") : rc;
}
