/*
 * fieldsel: pod and namespace field selectors (docs/kubernetes-api.md, Field
 * selectors; fields.ParseSelector and the Pod and Namespace field label
 * conversions of pkg/apis/core/v1/conversion.go).
 */
#include "select/selector.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/gotext.h"
#include "base/status.h"
#include "kbuf.h"
#include "kutf8.h"

enum pod_field {
    PF_NAME,
    PF_NAMESPACE,
    PF_NODE_NAME,
    PF_RESTART_POLICY,
    PF_SCHEDULER_NAME,
    PF_SERVICE_ACCOUNT,
    PF_HOST_NETWORK,
    PF_PHASE,
    PF_POD_IP,
    PF_POD_IPS,
    PF_NOMINATED_NODE,
};

/*
 * The Pod field label conversion of pkg/apis/core/v1/conversion.go:
 * these labels pass, spec.host is renamed spec.nodeName, anything else is
 * "field label not supported".
 */
struct field_label {
    const char *label;
    enum pod_field field;
};

static const struct field_label pod_fields[] = {
    {"metadata.name", PF_NAME},
    {"metadata.namespace", PF_NAMESPACE},
    {"spec.nodeName", PF_NODE_NAME},
    {"spec.restartPolicy", PF_RESTART_POLICY},
    {"spec.schedulerName", PF_SCHEDULER_NAME},
    {"spec.serviceAccountName", PF_SERVICE_ACCOUNT},
    {"spec.hostNetwork", PF_HOST_NETWORK},
    {"status.phase", PF_PHASE},
    {"status.podIP", PF_POD_IP},
    {"status.podIPs", PF_POD_IPS},
    {"status.nominatedNodeName", PF_NOMINATED_NODE},
    {"spec.host", PF_NODE_NAME},
    {NULL, PF_NAME},
};

/*
 * The Namespace conversion (AddFieldLabelConversionsForNamespace in
 * pkg/apis/core/v1/conversion.go): only these two pass. The registry's
 * NamespaceToSelectableFields (pkg/registry/core/namespace/strategy.go)
 * reads them from the same members as a pod's.
 */
static const struct field_label ns_fields[] = {
    {"metadata.name", PF_NAME},
    {"status.phase", PF_PHASE},
    {NULL, PF_NAME},
};

struct fterm {
    enum pod_field field;
    bool neq;    /* != (notHasTerm) rather than = or == (hasTerm) */
    char *value; /* unescaped; may hold bytes that are not UTF-8 */
    size_t len;
};

struct fakeapi_fsel {
    struct fterm *terms;
    size_t n;
};

static bool lookup_field(const struct field_label *table, const char *p,
                         size_t n, enum pod_field *f)
{
    size_t i;

    for (i = 0; table[i].label; i++) {
        const char *l = table[i].label;

        if (fakeapi__gotext_cmp(p, n, l, strlen(l)) == 0) {
            *f = table[i].field;
            return true;
        }
    }
    return false;
}

/* splitTerms: cut at every ',' not preceded by an escaping '\'. The
 * backslashes stay in the terms. */
static int split_terms(const char *s, size_t n, struct span **out,
                       size_t *count)
{
    struct span *v;
    size_t cap = 1;
    size_t k = 0;
    size_t start = 0;
    size_t i;

    for (i = 0; i < n; i++)
        cap += s[i] == ',';
    v = calloc(cap, sizeof(*v));
    if (!v)
        return FAKEAPI_E_NOMEM;
    for (i = 0; i < n; i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == ',') {
            v[k].p = s + start;
            v[k++].n = i - start;
            start = i + 1;
        }
    }
    v[k].p = s + start;
    v[k++].n = n - start;
    *out = v;
    *count = k;
    return FAKEAPI_OK;
}

/* splitTerm: the first position where "!=", "==" or "=" starts (tried in
 * that order) splits the term; the field name has no escapes. */
static bool split_term(struct span t, size_t *lhs, size_t *rhs, bool *neq)
{
    size_t i;

    for (i = 0; i < t.n; i++) {
        bool two = i + 1 < t.n && t.p[i + 1] == '=';

        if (two && (t.p[i] == '!' || t.p[i] == '=')) {
            *neq = t.p[i] == '!';
            *lhs = i;
            *rhs = i + 2;
            return true;
        }
        if (t.p[i] == '=') {
            *neq = false;
            *lhs = i;
            *rhs = i + 1;
            return true;
        }
    }
    return false;
}

static bool needs_unescape(struct span v)
{
    return memchr(v.p, '\\', v.n) || memchr(v.p, ',', v.n) ||
           memchr(v.p, '=', v.n);
}

/*
 * UnescapeValue's rune walk: `\\`, `\,` and `\=` are escapes; any other
 * escape, a trailing '\' or a bare ',' or '=' is an error (message into
 * the empty @p msg). Go writes every rune back with WriteRune, so each
 * invalid UTF-8 byte comes out as U+FFFD, and the bare-character error
 * prints the rune as a number (%v of a rune: '=' is 61).
 */
static int unescape_runes(struct span v, struct kbuf *out, struct kbuf *msg)
{
    bool slash = false;
    size_t i = 0;
    uint32_t r;
    int rc = KBUF_OK;

    while (rc == KBUF_OK && i < v.n) {
        i += kutf8_decode(v.p + i, v.n - i, KUTF8_REPLACE, &r);
        if (slash && r != '\\' && r != ',' && r != '=') {
            rc = kbuf_adds(msg, "invalid field selector: invalid escape "
                                "sequence: \\");
            rc |= fakeapi__gotext_add_rune(msg, r);
            return rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
        }
        if (!slash && (r == ',' || r == '=')) {
            rc = kbuf_addf(msg,
                           "invalid field selector: unescaped character in "
                           "value: %u",
                           (unsigned)r);
            return rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
        }
        slash = !slash && r == '\\';
        if (!slash)
            rc = fakeapi__gotext_add_rune(out, r);
    }
    if (rc != KBUF_OK)
        return FAKEAPI_E_NOMEM;
    if (!slash)
        return FAKEAPI_OK;
    rc = kbuf_adds(msg, "invalid field selector: invalid escape sequence: \\");
    return rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
}

/* UnescapeValue: a value without any of `\,=` is kept byte for byte. */
static int unescape(struct span v, struct fterm *t, struct kbuf *msg)
{
    struct kbuf out;
    int rc = FAKEAPI_OK;

    kbuf_init(&out, 3 * FAKEAPI_SELECTOR_MAX + 1);
    if (needs_unescape(v))
        rc = unescape_runes(v, &out, msg);
    else if (kbuf_add(&out, v.p, v.n) != KBUF_OK)
        rc = FAKEAPI_E_NOMEM;
    if (rc == FAKEAPI_OK) {
        t->value = kbuf_detach(&out, &t->len);
        rc = t->value ? FAKEAPI_OK : FAKEAPI_E_NOMEM;
    }
    kbuf_release(&out);
    return rc;
}

/*
 * parseSelector: the terms are sorted bytewise first, so errors are
 * reported for the first bad term in that order, and empty terms are
 * skipped. Each term keeps its raw field name in @p lhs for the
 * conversion step.
 */
static int parse_terms(const char *text, struct span *parts, size_t nparts,
                       struct fakeapi_fsel *sel, struct span *lhs,
                       struct kbuf *msg)
{
    size_t i;
    int rc;

    if (nparts > 1)
        qsort(parts, nparts, sizeof(parts[0]), fakeapi__gotext_qsort_cmp);
    for (i = 0; i < nparts; i++) {
        struct fterm *t = &sel->terms[sel->n];
        size_t lhs_n;
        size_t rhs;

        if (parts[i].n == 0)
            continue;
        if (!split_term(parts[i], &lhs_n, &rhs, &t->neq)) {
            rc = kbuf_addf(msg,
                           "invalid selector: '%s'; can't understand "
                           "'%.*s'",
                           text, (int)parts[i].n, parts[i].p);
            return rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
        }
        lhs[sel->n].p = parts[i].p;
        lhs[sel->n].n = lhs_n;
        rc =
            unescape((struct span){parts[i].p + rhs, parts[i].n - rhs}, t, msg);
        if (rc != FAKEAPI_OK)
            return rc;
        sel->n++;
    }
    return FAKEAPI_OK;
}

/* The Transform step (handlers/get.go): every field label through the
 * kind's conversion, in term order; the first unknown one is the error. */
static int convert_fields(const struct field_label *table,
                          struct fakeapi_fsel *sel, const struct span *lhs,
                          struct kbuf *msg)
{
    size_t i;
    int rc;

    for (i = 0; i < sel->n; i++) {
        if (lookup_field(table, lhs[i].p, lhs[i].n, &sel->terms[i].field))
            continue;
        rc = kbuf_addf(msg, "field label not supported: %.*s", (int)lhs[i].n,
                       lhs[i].p);
        return rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
    }
    return FAKEAPI_OK;
}

static int parse_with(const struct field_label *table, const char *text,
                      struct fakeapi_fsel **out, json_t **status)
{
    struct fakeapi_fsel *sel = NULL;
    struct span *parts = NULL;
    struct span *lhs = NULL;
    struct kbuf msg;
    size_t nparts = 0;
    size_t len;
    int rc;

    *out = NULL;
    if (status)
        *status = NULL;
    text = text ? text : "";
    len = strlen(text);
    kbuf_init(&msg, FAKEAPI_GOTEXT_MSG_CAP);
    if (len > FAKEAPI_SELECTOR_MAX) {
        rc = kbuf_addf(&msg,
                       "field selector is too long: may not be more "
                       "than %d bytes",
                       FAKEAPI_SELECTOR_MAX);
        rc = rc == KBUF_OK ? FAKEAPI_E_INVALID : FAKEAPI_E_NOMEM;
        goto out;
    }
    /* splitTerms of "" is no term at all. */
    rc = len > 0 ? split_terms(text, len, &parts, &nparts) : FAKEAPI_OK;
    sel = rc == FAKEAPI_OK ? calloc(1, sizeof(*sel)) : NULL;
    if (sel && nparts > 0) {
        sel->terms = calloc(nparts, sizeof(*sel->terms));
        lhs = calloc(nparts, sizeof(*lhs));
    }
    if (!sel || (nparts > 0 && (!sel->terms || !lhs))) {
        rc = FAKEAPI_E_NOMEM;
        goto out;
    }
    rc = parse_terms(text, parts, nparts, sel, lhs, &msg);
    if (rc == FAKEAPI_OK)
        rc = convert_fields(table, sel, lhs, &msg);
out:
    if (rc == FAKEAPI_OK) {
        *out = sel;
        sel = NULL;
    } else if (rc == FAKEAPI_E_INVALID && status) {
        *status = fakeapi__status_bad_request_msg(&msg);
    }
    fakeapi__fsel_free(sel);
    free(lhs);
    free(parts);
    kbuf_release(&msg);
    return rc;
}

int fakeapi__fsel_parse(const char *text, struct fakeapi_fsel **out,
                        json_t **status)
{
    return parse_with(pod_fields, text, out, status);
}

int fakeapi__fsel_parse_ns(const char *text, struct fakeapi_fsel **out,
                           json_t **status)
{
    return parse_with(ns_fields, text, out, status);
}

void fakeapi__fsel_free(struct fakeapi_fsel *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->n; i++)
        free(s->terms[i].value);
    free(s->terms);
    free(s);
}

/* A borrowed string with its length ("" for anything not a string). */
struct str {
    const char *p;
    size_t n;
};

static struct str str_of(const json_t *v)
{
    struct str s = {"", 0};

    if (json_is_string(v)) {
        s.p = json_string_value(v);
        s.n = json_string_length(v);
    }
    return s;
}

static struct str member(const json_t *obj, const char *a, const char *b)
{
    return str_of(json_object_get(json_object_get(obj, a), b));
}

/*
 * status.podIP as the server sees it: the v1 -> internal conversion keeps
 * status.podIP when it is set (it wins over a different podIPs[0], "for
 * compatibility with older kubelets"), else takes status.podIPs; the
 * selectable field is then the internal podIPs[0].ip, or "".
 */
static struct str pod_ip(const json_t *status)
{
    struct str ip = str_of(json_object_get(status, "podIP"));
    const json_t *ips = json_object_get(status, "podIPs");

    if (ip.n > 0 || json_array_size(ips) == 0)
        return ip;
    return str_of(json_object_get(json_array_get(ips, 0), "ip"));
}

/*
 * One selectable field of a v1 Pod (ToSelectableFields after conversion
 * to the internal type). Every field is present, so a missing one reads
 * as "". spec.serviceAccountName falls back to the deprecated
 * spec.serviceAccount; spec.hostNetwork is "true" only for JSON true.
 * status.podIPs passes the label conversion but is not in the field set:
 * fields.Set.Get gives "" for it, so `status.podIPs=` matches every pod,
 * `status.podIPs!=` none, and any other value the reverse.
 */
static struct str pod_field(const json_t *pod, enum pod_field f)
{
    static const struct str empty = {"", 0};
    const json_t *spec = json_object_get(pod, "spec");
    struct str s;

    switch (f) {
    case PF_NAME:
        return member(pod, "metadata", "name");
    case PF_NAMESPACE:
        return member(pod, "metadata", "namespace");
    case PF_NODE_NAME:
        return member(pod, "spec", "nodeName");
    case PF_RESTART_POLICY:
        return member(pod, "spec", "restartPolicy");
    case PF_SCHEDULER_NAME:
        return member(pod, "spec", "schedulerName");
    case PF_SERVICE_ACCOUNT:
        s = member(pod, "spec", "serviceAccountName");
        return s.n > 0 ? s : member(pod, "spec", "serviceAccount");
    case PF_HOST_NETWORK:
        s.p = json_is_true(json_object_get(spec, "hostNetwork")) ? "true"
                                                                 : "false";
        s.n = strlen(s.p);
        return s;
    case PF_PHASE:
        return member(pod, "status", "phase");
    case PF_POD_IP:
        return pod_ip(json_object_get(pod, "status"));
    case PF_NOMINATED_NODE:
        return member(pod, "status", "nominatedNodeName");
    case PF_POD_IPS:
    default:
        return empty;
    }
}

void fakeapi__fields_of(const json_t *pod, struct fakeapi_fields *f)
{
    size_t i;

    for (i = 0; i < FAKEAPI_NFIELDS; i++) {
        struct str v = pod_field(pod, (enum pod_field)i);

        f->v[i] = v.p;
        f->n[i] = v.n;
    }
}

bool fakeapi__fsel_matches_fields(const struct fakeapi_fsel *s,
                                  const struct fakeapi_fields *f)
{
    size_t i;

    for (i = 0; s && i < s->n; i++) {
        const struct fterm *t = &s->terms[i];
        size_t k = (size_t)t->field;
        bool eq =
            fakeapi__gotext_cmp(f->v[k] ? f->v[k] : "", f->v[k] ? f->n[k] : 0,
                                t->value, t->len) == 0;

        if (eq == t->neq)
            return false;
    }
    return true;
}

bool fakeapi__fsel_is_empty(const struct fakeapi_fsel *s)
{
    return !s || s->n == 0;
}

bool fakeapi__fsel_matches(const struct fakeapi_fsel *s, const json_t *pod)
{
    size_t i;

    for (i = 0; s && i < s->n; i++) {
        const struct fterm *t = &s->terms[i];
        struct str v = pod_field(pod, t->field);
        bool eq = fakeapi__gotext_cmp(v.p, v.n, t->value, t->len) == 0;

        if (eq == t->neq)
            return false;
    }
    return true;
}

/* RequiresExactMatch: the first hasTerm on the field, in term order. */
const char *fakeapi__fsel_exact(const struct fakeapi_fsel *s, const char *field)
{
    enum pod_field f;
    size_t i;

    if (!s || !field || !lookup_field(pod_fields, field, strlen(field), &f))
        return NULL;
    for (i = 0; i < s->n; i++) {
        if (!s->terms[i].neq && s->terms[i].field == f)
            return s->terms[i].value;
    }
    return NULL;
}
