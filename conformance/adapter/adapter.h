/*
 * adapter: the reference conformance adapter for libkreg (kreg-adapter).
 *
 * It speaks conformance/PROTOCOL.md on stdin/stdout: one JSON request a
 * line, one JSON answer a line, in order. The files of the program:
 *
 *  - kreg_adapter.c   main: options, the read loop, dispatch
 *  - request.c        splitting a request line into its members
 *  - answer.c         writing answers (Go-style JSON strings)
 *  - ops.c            the operations on libkreg, handle and watch tables
 *  - mutants.c        the table of deliberate bugs (--mutant N)
 *  - mutant_ops.c     register, deregister, get and list with bugs
 *  - mutant_json.c    annotation bytes with bugs
 *
 * Without --mutant every operation goes through the public libkreg API.
 * A mutant replaces some operations with a faithful, small deviation so
 * that the suite can prove it notices; libkreg itself stays correct.
 */
#ifndef KREG_ADAPTER_H
#define KREG_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "kbuf.h"
#include "kreg.h"

/* ---- Requests (request.c) ------------------------------------------------*/

/*
 * A parsed request. Every member but "service" is parsed with jansson
 * into @c doc; "service" is kept as its raw text so that libkreg decodes
 * it with Go's rules (invalid UTF-8, lone surrogates, any nesting).
 */
struct request {
    json_t *doc;         /* owned: the members except "service" */
    json_t *id;          /* borrowed from doc, or NULL */
    const char *op;      /* borrowed from doc, or NULL */
    const char *service; /* borrowed from the line, or NULL */
    size_t service_len;
};

/*
 * Split @p line (@p len bytes) into @p rq. On failure @p msg says why and
 * @p rq holds the members read before the fault (rq->id may be set);
 * release it in both cases.
 * @return true on success.
 */
bool request_parse(const char *line, size_t len, struct request *rq, char *msg,
                   size_t msg_size);

/* Free what @p rq owns; a zeroed @p rq is a no-op. */
void request_release(struct request *rq);

/* Borrowed string member @p key, NULL when absent, null or not a string. */
const char *request_string(const json_t *obj, const char *key);

/* ---- Answers (answer.c) --------------------------------------------------*/

/* Error classes of the protocol. */
enum answer_class {
    ANSWER_OK = 0,
    ANSWER_NOT_FOUND = 1,
    ANSWER_ERROR = 2,
};

/*
 * Append the whole answer line to @p out: `{"id":..,"ok":true` + @p extra
 * + `}` for ANSWER_OK, else the error object with @p message; then '\n'.
 * @p extra holds members, each starting with ',' (may be empty).
 * @return KBUF_OK or a KBUF_E_* code.
 */
int answer_write(struct kbuf *out, const json_t *id, enum answer_class cls,
                 const char *extra, const char *message);

/* Append @p s as a JSON string, escaped as Go's encoding/json does. */
int answer_string(struct kbuf *b, const char *s);

/* Append `"key":` to @p b. */
int answer_key(struct kbuf *b, const char *key);

/* ---- Mutants (mutants.c) -------------------------------------------------*/

/* What a mutant changes: OR-ed into struct mutant.flags. */
enum mutant_flag {
    MUT_ENC_DOTS = 1u << 0,             /* '.' also becomes '_' in keys */
    MUT_ENC_LOWER = 1u << 1,            /* keys are lower-cased */
    MUT_NO_TYPE_LABEL = 1u << 2,        /* register omits micro.mu/type */
    MUT_DEREG_KEEP_ANN = 1u << 3,       /* deregister leaves the annotation */
    MUT_DEREG_DROP_TYPE = 1u << 4,      /* deregister removes micro.mu/type */
    MUT_GET_ANY_PHASE = 1u << 5,        /* get ignores status.phase */
    MUT_GET_NO_MERGE = 1u << 6,         /* get: one entry per pod */
    MUT_JSON_UNSORTED = 1u << 7,        /* metadata keys in given order */
    MUT_JSON_NO_HTML = 1u << 8,         /* < > & written raw */
    MUT_JSON_RAW_LINESEP = 1u << 9,     /* U+2028, U+2029 written raw */
    MUT_JSON_EMPTY_NULL = 1u << 10,     /* empty lists and maps as null */
    MUT_GET_NOTFOUND_EMPTY = 1u << 11,  /* no pod: [] not not_found */
    MUT_LIST_DUPS = 1u << 12,           /* list: one entry per annotation */
    MUT_WATCH_UPDATE_CREATE = 1u << 13, /* update reported as create */
    MUT_WATCH_NO_POD_DELETE = 1u << 14, /* deleted pods report nothing */
    MUT_JSON_V4_ORDER = 1u << 15,       /* go-micro v4.10.2 field order */
    MUT_GET_TERMINATING = 1u << 16,     /* get serves terminating pods */
    MUT_REPLACE_MAPS = 1u << 17,        /* register replaces labels, annots */
    MUT_JSON_UPPER_HEX = 1u << 18,      /* \u001F instead of \u001f */
    MUT_JSON_ESCAPE_SLASH = 1u << 19,   /* '/' written as \/ */
    MUT_LIST_ANY_PHASE = 1u << 20,      /* list ignores status.phase */
    /* recommended behaviours (the level of the cases that catch them) */
    MUT_LIST_TERMINATING = 1u << 21,    /* list serves terminating pods */
    MUT_REG_ERROR_NO_POD = 1u << 22,    /* 404 error without the pod */
    MUT_WATCH_CREATE_UPDATE = 1u << 23, /* create reported as update */
    MUT_WATCH_ALL_SERVICES = 1u << 24,  /* a watch of one sees all */
    MUT_WATCH_STORM = 1u << 25,         /* each change re-reported */
    MUT_WATCH_DROP_FIRST = 1u << 26,    /* a watch's first event lost */
    /* optional features announced, then done wrong */
    MUT_FEAT_READY_IGNORED = 1u << 27, /* readyOnly announced, ignored */
    MUT_FEAT_OWN_NAMESPACE = 1u << 28, /* namespaces announced, only the
                                          target's namespace read */
};

/* Mutants that announce the optional features (the others do not). */
#define MUT_FEATURES_ANY (MUT_FEAT_READY_IGNORED | MUT_FEAT_OWN_NAMESPACE)

/* Flags that change the annotation bytes. */
#define MUT_JSON_ANY                                                           \
    (MUT_JSON_UNSORTED | MUT_JSON_NO_HTML | MUT_JSON_RAW_LINESEP |             \
     MUT_JSON_EMPTY_NULL | MUT_JSON_V4_ORDER | MUT_JSON_UPPER_HEX |            \
     MUT_JSON_ESCAPE_SLASH)
/* Flags that need the adapter's own register. */
#define MUT_REGISTER_ANY                                                       \
    (MUT_JSON_ANY | MUT_ENC_DOTS | MUT_ENC_LOWER | MUT_NO_TYPE_LABEL |         \
     MUT_REPLACE_MAPS)
/* ... its own deregister. */
#define MUT_DEREGISTER_ANY                                                     \
    (MUT_ENC_DOTS | MUT_ENC_LOWER | MUT_DEREG_KEEP_ANN | MUT_DEREG_DROP_TYPE)
/* ... its own get. */
#define MUT_GET_ANY                                                            \
    (MUT_ENC_DOTS | MUT_ENC_LOWER | MUT_GET_ANY_PHASE | MUT_GET_NO_MERGE |     \
     MUT_GET_NOTFOUND_EMPTY | MUT_GET_TERMINATING)
/* ... its own list. */
#define MUT_LIST_ANY (MUT_LIST_DUPS | MUT_LIST_ANY_PHASE | MUT_LIST_TERMINATING)

/* One deliberate bug. @c recommended: it breaks only a recommended
 * behaviour (PROTOCOL.md "Levels"), so only a recommended case may catch
 * it; else a required case must (mutants_test.sh checks both). */
struct mutant {
    int number;
    const char *name;
    const char *description;
    unsigned flags;
    bool recommended;
};

/* Borrowed: mutant @p number, or NULL when there is none. */
const struct mutant *mutant_find(int number);

/* Print the table ("N<TAB>name<TAB>level<TAB>description" a line, level
 * "required" or "recommended") to stdout. */
void mutant_list_print(void);

/* Whether @p m (may be NULL) has any of @p flags. */
bool mutant_has(const struct mutant *m, unsigned flags);

/* ---- Mutant operations (mutant_ops.c) ------------------------------------*/

/* Register @p s on the own pod, with @p m's bugs. As kreg_register();
 * @p given is the request's service text (@p given_len bytes), or NULL. */
int mutant_register(const struct mutant *m, kreg *r,
                    const struct kreg_service *s, const char *given,
                    size_t given_len, struct kreg_error *err);

/* Deregister @p s, with @p m's bugs. As kreg_deregister(). */
int mutant_deregister(const struct mutant *m, kreg *r,
                      const struct kreg_service *s, struct kreg_error *err);

/* Get @p name, with @p m's bugs. As kreg_get_service(). */
int mutant_get(const struct mutant *m, kreg *r, const char *name,
               struct kreg_service_list **out, struct kreg_error *err);

/* List one entry per service annotation of the listed pods (not
 * merged), with @p m's bugs; @p out is new, free with
 * kreg_service_list_free(). */
int mutant_list(const struct mutant *m, kreg *r, struct kreg_service_list **out,
                struct kreg_error *err);

/*
 * Whether a watch result should be dropped: with MUT_WATCH_NO_POD_DELETE,
 * a delete whose pod no longer exists (the implementation ignores DELETED
 * events).
 */
bool mutant_watch_drops(const struct mutant *m, kreg *r,
                        const struct kreg_result *res);

/* ---- Mutant annotation bytes (mutant_json.c) -----------------------------*/

/*
 * Encode @p s as the annotation value with @p m's JSON bugs.
 * @param given  the request's service text (its map order), or NULL.
 * @param out    a new string (free()), NULL on failure.
 * @return KREG_OK, KREG_E_INVALID or KREG_E_NOMEM.
 */
int mutant_json_encode(const struct mutant *m, const struct kreg_service *s,
                       const char *given, size_t given_len, char **out,
                       size_t *len, struct kreg_error *err);

/* ---- Operations (ops.c) --------------------------------------------------*/

struct adapter; /* the handle and watch tables; ops.c */

/* New adapter state (@p m may be NULL: no mutant); NULL if out of memory. */
struct adapter *adapter_new(const struct mutant *m);

/* Stop every watch, free every handle and the state; NULL is a no-op. */
void adapter_free(struct adapter *a);

/*
 * Run one request and append its answer line to @p out.
 * @return true to go on, false after shutdown.
 */
bool adapter_handle(struct adapter *a, const struct request *rq,
                    struct kbuf *out);

#endif
