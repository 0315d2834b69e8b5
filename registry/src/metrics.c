/*
 * metrics: counting (metrics.h) and the names of the request slots
 * (kreg_metrics_verb_name, kreg_metrics_code_name). Reading the counters
 * out is metrics_read.c's.
 */
#include "metrics.h"

#include <string.h>

/* docs/metrics.md: the verb label of each slot. */
static const char *const verb_names[KREG_METRICS_VERBS] = {
    [KREG_METRICS_VERB_GET] = "GET",       [KREG_METRICS_VERB_PATCH] = "PATCH",
    [KREG_METRICS_VERB_POST] = "POST",     [KREG_METRICS_VERB_PUT] = "PUT",
    [KREG_METRICS_VERB_DELETE] = "DELETE", [KREG_METRICS_VERB_WATCH] = "WATCH",
    [KREG_METRICS_VERB_OTHER] = "OTHER",
};

/* docs/metrics.md: the code label of each slot. */
static const char *const code_names[KREG_METRICS_CODES] = {
    [KREG_METRICS_CODE_NONE] = "0",  [KREG_METRICS_CODE_200] = "200",
    [KREG_METRICS_CODE_201] = "201", [KREG_METRICS_CODE_2XX] = "2xx",
    [KREG_METRICS_CODE_3XX] = "3xx", [KREG_METRICS_CODE_400] = "400",
    [KREG_METRICS_CODE_401] = "401", [KREG_METRICS_CODE_403] = "403",
    [KREG_METRICS_CODE_404] = "404", [KREG_METRICS_CODE_409] = "409",
    [KREG_METRICS_CODE_410] = "410", [KREG_METRICS_CODE_422] = "422",
    [KREG_METRICS_CODE_429] = "429", [KREG_METRICS_CODE_4XX] = "4xx",
    [KREG_METRICS_CODE_500] = "500", [KREG_METRICS_CODE_502] = "502",
    [KREG_METRICS_CODE_503] = "503", [KREG_METRICS_CODE_504] = "504",
    [KREG_METRICS_CODE_5XX] = "5xx", [KREG_METRICS_CODE_OTHER] = "other",
};

/* The statuses with a slot of their own, in slot order. */
static const struct {
    long status;
    enum kreg_metrics_code code;
} exact[] = {
    {200, KREG_METRICS_CODE_200}, {201, KREG_METRICS_CODE_201},
    {400, KREG_METRICS_CODE_400}, {401, KREG_METRICS_CODE_401},
    {403, KREG_METRICS_CODE_403}, {404, KREG_METRICS_CODE_404},
    {409, KREG_METRICS_CODE_409}, {410, KREG_METRICS_CODE_410},
    {422, KREG_METRICS_CODE_422}, {429, KREG_METRICS_CODE_429},
    {500, KREG_METRICS_CODE_500}, {502, KREG_METRICS_CODE_502},
    {503, KREG_METRICS_CODE_503}, {504, KREG_METRICS_CODE_504},
};

const char *kreg_metrics_verb_name(int verb)
{
    return verb >= 0 && verb < KREG_METRICS_VERBS ? verb_names[verb] : NULL;
}

const char *kreg_metrics_code_name(int code)
{
    return code >= 0 && code < KREG_METRICS_CODES ? code_names[code] : NULL;
}

void kreg__metrics_init(struct kreg__metrics *m)
{
    size_t v;
    size_t k;

    for (v = 0; v < KREG_METRICS_VERBS; v++)
        for (k = 0; k < KREG_METRICS_CODES; k++)
            atomic_init(&m->requests[v][k], 0);
    atomic_init(&m->retries, 0);
    atomic_init(&m->watch_reconnects, 0);
    atomic_init(&m->relists, 0);
    atomic_init(&m->skipped, 0);
}

enum kreg_metrics_verb kreg__metrics_verb(const char *method)
{
    int v;

    /* WATCH is a stream's, never a method's */
    for (v = 0; v < KREG_METRICS_VERB_OTHER; v++)
        if (v != KREG_METRICS_VERB_WATCH && strcmp(method, verb_names[v]) == 0)
            return (enum kreg_metrics_verb)v;
    return KREG_METRICS_VERB_OTHER;
}

enum kreg_metrics_code kreg__metrics_code(long status)
{
    size_t i;

    if (status == 0)
        return KREG_METRICS_CODE_NONE;
    for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (exact[i].status == status)
            return exact[i].code;
    if (status >= 200 && status <= 299)
        return KREG_METRICS_CODE_2XX;
    if (status >= 300 && status <= 399)
        return KREG_METRICS_CODE_3XX;
    if (status >= 400 && status <= 499)
        return KREG_METRICS_CODE_4XX;
    if (status >= 500 && status <= 599)
        return KREG_METRICS_CODE_5XX;
    return KREG_METRICS_CODE_OTHER;
}

/* A counter orders nothing: relaxed. */
static void bump(atomic_uint_least64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

void kreg__metrics_request(struct kreg__metrics *m, enum kreg_metrics_verb verb,
                           long status)
{
    if (m)
        bump(&m->requests[verb][kreg__metrics_code(status)]);
}

void kreg__metrics_retry(struct kreg__metrics *m)
{
    if (m)
        bump(&m->retries);
}

void kreg__metrics_reconnect(struct kreg__metrics *m)
{
    if (m)
        bump(&m->watch_reconnects);
}

void kreg__metrics_relist(struct kreg__metrics *m)
{
    if (m)
        bump(&m->relists);
}

void kreg__metrics_skip(struct kreg__metrics *m)
{
    if (m)
        bump(&m->skipped);
}
