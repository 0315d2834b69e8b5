#include "http/reqlog.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define BODY_KEEP 4096

struct reqlog {
    pthread_mutex_t mu;
    json_t **ring;
    size_t cap;
    size_t start;
    size_t len;
};

struct reqlog *fakeapi__reqlog_new(size_t cap)
{
    struct reqlog *l = calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    l->cap = cap ? cap : 10000;
    l->ring = calloc(l->cap, sizeof(*l->ring));
    if (!l->ring || pthread_mutex_init(&l->mu, NULL) != 0) {
        free(l->ring);
        free(l);
        return NULL;
    }
    return l;
}

void fakeapi__reqlog_clear(struct reqlog *l)
{
    size_t i;

    pthread_mutex_lock(&l->mu);
    for (i = 0; i < l->len; i++)
        json_decref(l->ring[(l->start + i) % l->cap]);
    l->start = 0;
    l->len = 0;
    pthread_mutex_unlock(&l->mu);
}

void fakeapi__reqlog_free(struct reqlog *l)
{
    if (!l)
        return;
    fakeapi__reqlog_clear(l);
    pthread_mutex_destroy(&l->mu);
    free(l->ring);
    free(l);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

void fakeapi__reqlog_add(struct reqlog *l, const struct reqlog_entry *e)
{
    size_t blen = e->body_len < BODY_KEEP ? e->body_len : BODY_KEEP;
    json_t *o = json_object();
    json_t *body;

    if (!o)
        return;
    /* bodies may be any bytes: keep them only when valid UTF-8 text */
    body = json_stringn(e->body ? e->body : "", blen);
    if (!body)
        body = json_string("<binary>");
    json_object_set_new(o, "seq", json_integer((json_int_t)e->seq));
    json_object_set_new(o, "method", str_or_null(e->method));
    json_object_set_new(o, "path", str_or_null(e->path));
    json_object_set_new(o, "query", str_or_null(e->query));
    json_object_set_new(o, "status", json_integer(e->status));
    json_object_set_new(o, "userAgent", str_or_null(e->user_agent));
    json_object_set_new(o, "accept", str_or_null(e->accept));
    json_object_set_new(o, "contentType", str_or_null(e->content_type));
    json_object_set_new(o, "body", body ? body : json_null());
    pthread_mutex_lock(&l->mu);
    if (l->len == l->cap) {
        json_decref(l->ring[l->start]);
        l->start = (l->start + 1) % l->cap;
        l->len--;
    }
    l->ring[(l->start + l->len) % l->cap] = o;
    l->len++;
    pthread_mutex_unlock(&l->mu);
}

char *fakeapi__reqlog_dump(struct reqlog *l)
{
    json_t *arr = json_array();
    char *s;
    size_t i;

    if (!arr)
        return NULL;
    pthread_mutex_lock(&l->mu);
    for (i = 0; i < l->len; i++)
        json_array_append(arr, l->ring[(l->start + i) % l->cap]);
    pthread_mutex_unlock(&l->mu);
    s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}
