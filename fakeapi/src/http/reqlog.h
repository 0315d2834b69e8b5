/*
 * reqlog: a bounded log of the requests a server answered (test control).
 * The Authorization header is never recorded.
 */
#ifndef FAKEAPI_REQLOG_H
#define FAKEAPI_REQLOG_H

#include <stddef.h>
#include <stdint.h>

struct reqlog;

struct reqlog_entry {
    uint64_t seq;
    const char *method;
    const char *path;
    const char *query;
    int status;
    const char *user_agent;
    const char *accept;
    const char *content_type;
    const char *body; /* may hold NULs; body_len bytes */
    size_t body_len;
};

/* New log keeping at most @p cap entries; NULL when out of memory. */
struct reqlog *fakeapi__reqlog_new(size_t cap);
void fakeapi__reqlog_free(struct reqlog *l);

/* Record a copy of @p e (body cut to 4 KiB). Thread-safe. */
void fakeapi__reqlog_add(struct reqlog *l, const struct reqlog_entry *e);

/* The log as a JSON array text (new, free()), or NULL when out of memory. */
char *fakeapi__reqlog_dump(struct reqlog *l);

void fakeapi__reqlog_clear(struct reqlog *l);

#endif
