/*
 * watchq: a watch request's query, checked as kube-apiserver checks it
 * before the stream starts (the stream itself is http/watch.c).
 */
#include "api/watchq.h"

#include <string.h>
#include <strings.h>

#include "base/status.h"
#include "knum.h"

/* Go's strconv.ParseUint error text for @p s (not a valid uint64). */
static const char *parse_uint_err(const char *s)
{
    const char *p = s;

    while (*p >= '0' && *p <= '9')
        p++;
    return *p || p == s ? "invalid syntax" : "value out of range";
}

json_t *fakeapi__watch_check(const char *rv, const char *match,
                             const char *init, const char *cont)
{
    struct fakeapi_field_errors fe;
    uint64_t v;
    json_t *st;
    json_t *d;

    /* internalversion/defaults.go SetListOptionsDefaults runs first: with
     * neither sendInitialEvents nor resourceVersionMatch given it sets
     * both (true, NotOlderThan), which are valid */
    fakeapi__field_errors_init(&fe);
    /* internalversion/validation/validation.go validateWatchOptions */
    if (init && (!match || strcmp(match, "NotOlderThan") != 0))
        fakeapi__field_error(&fe, "FieldValueForbidden", "resourceVersionMatch",
                             "Forbidden: sendInitialEvents requires setting "
                             "resourceVersionMatch to NotOlderThan");
    if (match && *match) {
        if (!init)
            fakeapi__field_error(&fe, "FieldValueForbidden",
                                 "resourceVersionMatch",
                                 "Forbidden: resourceVersionMatch is "
                                 "forbidden for watch unless "
                                 "sendInitialEvents is provided");
        if (strcmp(match, "NotOlderThan") != 0) {
            char q[256];

            fakeapi__quote(q, sizeof(q), match);
            fakeapi__field_error(&fe, "FieldValueNotSupported",
                                 "resourceVersionMatch",
                                 "Unsupported value: %s: supported values: "
                                 "\"NotOlderThan\"",
                                 q);
        }
        if (cont && *cont)
            fakeapi__field_error(&fe, "FieldValueForbidden",
                                 "resourceVersionMatch",
                                 "Forbidden: resourceVersionMatch is "
                                 "forbidden when continue is provided");
    }
    if (fakeapi__field_errors_count(&fe) > 0) {
        st = fakeapi__status_invalid("ListOptions.meta.k8s.io", "", &fe);
        d = json_object_get(st, "details");
        if (d) {
            /* details in the server's order: group, kind, causes */
            d = json_pack("{s:s, s:s, s:O}", "group", "meta.k8s.io", "kind",
                          "ListOptions", "causes",
                          json_object_get(d, "causes"));
            if (d)
                json_object_set_new(st, "details", d);
            json_object_set_new(st, "code", json_integer(422));
        }
        fakeapi__field_errors_release(&fe);
        return st;
    }
    fakeapi__field_errors_release(&fe);
    if (!rv || !*rv || knum_u64(rv, &v))
        return NULL;
    /* cacher.go Watch: storage.ParseResourceVersion's error, which the
     * handler answers as an unknown error (500, no reason) */
    {
        char q[256];

        fakeapi__quote(q, sizeof(q), rv);
        st = fakeapi__status_new(500, "",
                                 "resourceVersion: Invalid value: %s: "
                                 "strconv.ParseUint: parsing %s: %s",
                                 q, q, parse_uint_err(rv));
        return st;
    }
}

bool fakeapi__watch_initial(const char *rv, const char *match, const char *init)
{
    if (init)
        return strcmp(init, "0") != 0 && strcasecmp(init, "false") != 0;
    return (!match || !*match) && (!rv || !*rv || strcmp(rv, "0") == 0);
}
