/*
 * openapi: GET /openapi/v2 as kube-openapi's handler (pkg/handler) serves
 * it on a real API server: the Accept header parsed and ordered as
 * goautoneg does, JSON or gnostic's protobuf openapi_v2.Document (kubectl
 * < 1.24 asks only for the protobuf and validates `create -f` against it),
 * one ETag for both (the JSON body's SHA-512), Vary: Accept, and the
 * conditional requests http.ServeContent answers with 304.
 *
 * Not done: gzip (a real server compresses when asked; clients take either)
 * and byte ranges (http.ServeContent's 206; no client asks). The answer
 * carries headers of its own (fakeapi__resp_header()).
 */
#include "api/openapi.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "api/req.h"
#include "base/openapi_doc.h"
#include "base/status.h"

#define PB_TYPE     "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
#define MAX_CLAUSES 32

/* What the handler offers, in its order: a clause matching several takes
 * the first. The deprecated '@' subtype is what kubectl 1.20 asks for. */
static const struct offer {
    const char *subtype;
    bool pb;
} offers[] = {
    {"json", false},
    {"com.github.proto-openapi.spec.v2@v1.0+protobuf", true},
    {"com.github.proto-openapi.spec.v2.v1.0+protobuf", true},
};

/* One media range of an Accept header (goautoneg's Accept). */
struct clause {
    const char *type;
    size_t tlen;
    const char *sub;
    size_t slen;
    double q;
};

static bool is_star(const char *s, size_t n)
{
    return n == 1 && *s == '*';
}

/* [*s, *e) without the spaces at both ends (strings.Trim(x, " ")). */
static void trim(const char **s, const char **e)
{
    while (*s < *e && **s == ' ')
        (*s)++;
    while (*e > *s && (*e)[-1] == ' ')
        (*e)--;
}

/* goautoneg: q is strconv.ParseFloat of the raw value, 0 when it fails. */
static double parse_q(const char *s, const char *e)
{
    char buf[32];
    char *end;
    double q;
    size_t n = (size_t)(e - s);

    if (n == 0 || n >= sizeof(buf))
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    q = strtod(buf, &end);
    return *end == '\0' && buf[0] != ' ' ? q : 0;
}

/* Parse the media range [s, e) into @p c; false to skip it. */
static bool parse_clause(const char *s, const char *e, struct clause *c)
{
    const char *semi = memchr(s, ';', (size_t)(e - s));
    const char *me = semi ? semi : e;
    const char *slash = memchr(s, '/', (size_t)(me - s));
    const char *ts = s;
    const char *te = slash ? slash : me;

    c->q = 1.0;
    trim(&ts, &te);
    c->type = ts;
    c->tlen = (size_t)(te - ts);
    if (!slash) {
        if (!is_star(c->type, c->tlen))
            return false;
        c->sub = c->type;
        c->slen = 1;
    } else {
        const char *ss = slash + 1;
        const char *se = me;

        if (memchr(ss, '/', (size_t)(se - ss)))
            return false;
        trim(&ss, &se);
        c->sub = ss;
        c->slen = (size_t)(se - ss);
    }
    while (semi) {
        const char *ps = semi + 1;
        const char *next = memchr(ps, ';', (size_t)(e - ps));
        const char *pe = next ? next : e;
        const char *eq = memchr(ps, '=', (size_t)(pe - ps));
        const char *ks = ps;
        const char *ke = eq;

        semi = next;
        if (!eq)
            continue;
        trim(&ks, &ke);
        if (ke - ks == 1 && *ks == 'q')
            c->q = parse_q(eq + 1, pe);
    }
    return true;
}

/* goautoneg's accept_slice.Less, inconsistent as it is. */
static bool before(const struct clause *a, const struct clause *b)
{
    if (a->q > b->q)
        return true;
    if (!is_star(a->type, a->tlen) && is_star(b->type, b->tlen))
        return true;
    return !is_star(a->sub, a->slen) && is_star(b->sub, b->slen);
}

/* Split @p accept and order it as sort.Sort does for so few elements
 * (Go's insertion sort below 13), so ties land where a real server's do. */
static size_t parse_accept(const char *accept, struct clause *cs)
{
    size_t n = 0;
    size_t i;
    size_t j;

    while (n < MAX_CLAUSES) {
        const char *comma = strchr(accept, ',');
        const char *end = comma ? comma : accept + strlen(accept);

        if (parse_clause(accept, end, &cs[n]))
            n++;
        if (!comma)
            break;
        accept = comma + 1;
    }
    for (i = 1; i < n; i++)
        for (j = i; j > 0 && before(&cs[j], &cs[j - 1]); j--) {
            struct clause t = cs[j];

            cs[j] = cs[j - 1];
            cs[j - 1] = t;
        }
    return n;
}

/* The form to answer: 0 JSON, 1 protobuf, -1 none (406). */
static int pick(const char *accept)
{
    struct clause cs[MAX_CLAUSES];
    size_t n;
    size_t i;
    size_t k;

    if (!accept || !*accept)
        accept = "*/*";
    n = parse_accept(accept, cs);
    for (i = 0; i < n; i++) {
        const struct clause *c = &cs[i];

        if (!is_star(c->type, c->tlen) &&
            !(c->tlen == 11 && memcmp(c->type, "application", 11) == 0))
            continue;
        for (k = 0; k < sizeof(offers) / sizeof(offers[0]); k++) {
            size_t sl = strlen(offers[k].subtype);

            if (is_star(c->sub, c->slen) ||
                (c->slen == sl && memcmp(c->sub, offers[k].subtype, sl) == 0))
                return offers[k].pb ? 1 : 0;
        }
    }
    return -1;
}

/* net/http's etagWeakMatch over an If-None-Match list: "*" or any tag
 * equal to ours but for a W/ prefix. */
static bool none_match(const char *h, const char *etag)
{
    size_t el = strlen(etag);

    while (*h) {
        const char *start;

        while (*h == ' ' || *h == '\t' || *h == ',')
            h++;
        if (*h == '*')
            return true;
        if (strncmp(h, "W/", 2) == 0)
            h += 2;
        if (*h != '"')
            return false; /* malformed: net/http stops looking */
        start = h;
        h = strchr(h + 1, '"');
        if (!h)
            return false;
        h++;
        if ((size_t)(h - start) == el && memcmp(start, etag, el) == 0)
            return true;
    }
    return false;
}

static const char wdays[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                 "Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1-12). */
static long days_from_civil(long y, long m, long d)
{
    long era;
    long yoe;
    long doy;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* http.TimeFormat, "Mon, 02 Jan 2006 15:04:05 GMT", locale-free. */
static void http_date(time_t t, char buf[64])
{
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(buf, 64, "%s, %02d %s %04d %02d:%02d:%02d GMT",
             wdays[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Parse an http.TimeFormat date; false when it is not one. (net/http
 * also reads RFC 850 and asctime dates; no client of ours sends them.) */
static bool parse_http_date(const char *s, time_t *out)
{
    char mon[4] = {0};
    int d;
    int y;
    int hh;
    int mm;
    int ss;
    int used = 0;
    int m;

    if (strlen(s) != 29 ||
        sscanf(s + 5, "%2d %3c %4d %2d:%2d:%2d GMT%n", &d, mon, &y, &hh, &mm,
               &ss, &used) != 6 ||
        used != 24)
        return false;
    for (m = 0; m < 12 && strcmp(months[m], mon) != 0; m++)
        ;
    if (m == 12)
        return false;
    *out = (time_t)(days_from_civil(y, m + 1, d) * 86400L + hh * 3600L +
                    mm * 60L + ss);
    return true;
}

/* http.ServeContent's checkIfNoneMatch, then checkIfModifiedSince: 200,
 * or 304 for a GET or HEAD the client has (412 for another method). */
static int precondition(const struct req *r)
{
    const char *inm = fakeapi__header(r, "If-None-Match");
    const char *ims;
    bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    time_t t;

    if (inm && *inm) {
        if (!none_match(inm, fakeapi__openapi_v2_etag))
            return 200;
        return get ? 304 : 412;
    }
    ims = fakeapi__header(r, "If-Modified-Since");
    if (get && ims && parse_http_date(ims, &t) && r->api->start_time <= t)
        return 304;
    return 200;
}

void fakeapi__openapi_v2(struct req *r, struct resp *out)
{
    int form = pick(fakeapi__header(r, "Accept"));
    const char *body =
        form == 1 ? fakeapi__openapi_v2_pb : fakeapi__openapi_v2_json;
    size_t len =
        form == 1 ? fakeapi__openapi_v2_pb_len : fakeapi__openapi_v2_json_len;
    char date[64];

    out->status = form < 0 ? 406 : precondition(r);
    if (out->status != 200)
        len = 0;
    /* a static body: nothing to copy or free */
    out->static_body = body;
    out->len = len;
    /* in a real server's order (its compression filter adds the first) */
    fakeapi__resp_header(out, "Vary", "Accept-Encoding");
    fakeapi__resp_header(out, "Vary", "Accept");
    if (form >= 0) {
        /* as net/http spells it */
        fakeapi__resp_header(out, "Etag", fakeapi__openapi_v2_etag);
        /* net/http drops Last-Modified from a 304 that has an ETag */
        if (out->status == 200) {
            http_date(r->api->start_time, date);
            fakeapi__resp_header(out, "Last-Modified", date);
        }
    }
    out->content_type = form == 1 ? PB_TYPE : "application/json";
}
