#include "base/jsondump.h"

#include <stdbool.h>
#include <stdint.h>

struct sink {
    struct kbuf *b;
    int rc; /* the first failure, kept */
};

static int sink_add(const char *buf, size_t size, void *data)
{
    struct sink *s = data;

    if (s->rc == KBUF_OK)
        s->rc = kbuf_add(s->b, buf, size);
    return s->rc == KBUF_OK ? 0 : -1;
}

int fakeapi__jsondump_add(struct kbuf *b, const json_t *json, size_t flags)
{
    struct sink s = {b, KBUF_OK};

    if (json_dump_callback(json, sink_add, &s, flags) != 0 && s.rc == KBUF_OK)
        s.rc = KBUF_E_NOMEM; /* jansson's own (an allocation) */
    if (s.rc != KBUF_OK)
        kbuf_release(b);
    return s.rc;
}

char *fakeapi__jsondump_text(const json_t *json, size_t flags)
{
    struct kbuf b;

    kbuf_init(&b, SIZE_MAX / 2);
    if (!json || fakeapi__jsondump_add(&b, json, flags) != KBUF_OK)
        return NULL;
    return kbuf_detach(&b, NULL);
}
