/*
 * podlist: the PodList reader (see podlist.h). One pass over the answer
 * with the Go-rules reader; member names match exactly, as the API
 * machinery's decoder matches them.
 */
#include "podlist.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "names.h"
#include "service_read.h"

/* Whether the member name just read is @p name. */
static bool key_is(const struct kreg__service_reader *p, const char *name)
{
    size_t n = strlen(name);

    return kbuf_len(&p->str) == n && memcmp(kbuf_str(&p->str), name, n) == 0;
}

/* The string value at the reader as a new jansson string in *@p v. */
static int take_string(struct kreg__service_reader *p,
                       const struct kreg__service_path *at, json_t **v)
{
    enum kreg__service_kind k;
    int rc = kreg__service_read_kind(p, at, &k);

    *v = NULL;
    if (rc != KREG_OK)
        return rc;
    if (k != KREG__SERVICE_K_STRING)
        return kreg__service_read_fail_type(p, at, "string", k);
    rc = kreg__service_read_string(p, at);
    if (rc != KREG_OK)
        return rc;
    /* unquoted with Go's rules: always valid UTF-8 */
    *v = json_stringn_nocheck(kbuf_str(&p->str), kbuf_len(&p->str));
    return *v ? KREG_OK : kreg__service_read_nomem(p);
}

/* Set member @p name of @p obj to the string value at the reader. */
static int keep_string(struct kreg__service_reader *p,
                       const struct kreg__service_path *at, json_t *obj,
                       const char *name)
{
    struct kreg__service_path here = {at, name, NULL, 0};
    json_t *v;
    int rc = take_string(p, &here, &v);

    if (rc == KREG_OK && json_object_set_new(obj, name, v) != 0)
        rc = kreg__service_read_nomem(p);
    return rc;
}

/* Whether the value at the reader is null (then consumed). */
static int null_here(struct kreg__service_reader *p,
                     const struct kreg__service_path *at, bool *is_null)
{
    enum kreg__service_kind k;
    int rc = kreg__service_read_kind(p, at, &k);

    *is_null = rc == KREG_OK && k == KREG__SERVICE_K_NULL;
    if (*is_null)
        rc = kreg__service_read_literal(p, at, "null");
    return rc;
}

/* Read the object value at the reader into a new member @p name of
 * @p parent with @p fn per member; null leaves the member out. */
static int
keep_object(struct kreg__service_reader *p, const struct kreg__service_path *at,
            json_t *parent, const char *name,
            int (*fn)(struct kreg__service_reader *p,
                      const struct kreg__service_path *at, void *target))
{
    struct kreg__service_path here = {at, name, NULL, 0};
    enum kreg__service_kind k;
    json_t *obj;
    bool is_null;
    int rc = null_here(p, &here, &is_null);

    if (rc != KREG_OK || is_null)
        return rc;
    rc = kreg__service_read_kind(p, &here, &k);
    if (rc != KREG_OK)
        return rc;
    if (k != KREG__SERVICE_K_OBJECT)
        return kreg__service_read_fail_type(p, &here, "object", k);
    obj = json_object();
    if (!obj || json_object_set_new(parent, name, obj) != 0)
        return kreg__service_read_nomem(p);
    return kreg__service_read_object(p, &here, fn, obj);
}

/* Member @p prefix... of a string map into @p target (a jansson object,
 * or NULL to make it on the first kept member as @p parent's @p member);
 * other members are checked for syntax and skipped. */
static int keep_prefixed(struct kreg__service_reader *p,
                         const struct kreg__service_path *at, json_t *target,
                         const char *prefix, json_t *parent, const char *member)
{
    const char *k = kbuf_str(&p->str);
    size_t n = kbuf_len(&p->str);
    struct kreg__service_path here = {at, NULL, NULL, 0};
    char small[320]; /* any valid key: 253 + '/' + 63 bytes */
    char *name = small;
    json_t *v;
    int rc;

    if (n < strlen(prefix) || memcmp(k, prefix, strlen(prefix)) != 0 ||
        memchr(k, '\0', n))
        return kreg__service_read_skip(p, at, NULL);
    if (!target) {
        target = json_object_get(parent, member);
        if (!target && (!(target = json_object()) ||
                        json_object_set_new(parent, member, target) != 0))
            return kreg__service_read_nomem(p);
    }
    /* the value is read into p->str next: keep the key apart */
    if (n >= sizeof(small))
        name = malloc(n + 1);
    if (!name)
        return kreg__service_read_nomem(p);
    memcpy(name, k, n + 1);
    here.key = name;
    rc = take_string(p, &here, &v);
    /* Go-unquoted, so valid UTF-8, and free of U+0000 (checked above) */
    if (rc == KREG_OK && json_object_set_new_nocheck(target, name, v) != 0)
        rc = kreg__service_read_nomem(p);
    if (name != small)
        free(name);
    return rc;
}

/* metadata.annotations: only micro.mu/service-* with string values. */
static int annotation(struct kreg__service_reader *p,
                      const struct kreg__service_path *at, void *target)
{
    return keep_prefixed(p, at, target, KREG__NAMES_ANNOTATION_PREFIX, NULL,
                         NULL);
}

/* metadata.labels: only micro.mu/selector-* with string values (a cache
 * tells a service no pod carries from one no pod runs, as get does), made
 * on the first one: most pods carry none. @p target is the metadata. */
static int selector_label(struct kreg__service_reader *p,
                          const struct kreg__service_path *at, void *target)
{
    return keep_prefixed(p, at, NULL, KREG__NAMES_SELECTOR_PREFIX, target,
                         "labels");
}

/* metadata.labels into the metadata object @p meta (see selector_label);
 * null is no labels. */
static int labels(struct kreg__service_reader *p,
                  const struct kreg__service_path *at, json_t *meta)
{
    struct kreg__service_path here = {at, "labels", NULL, 0};
    enum kreg__service_kind k;
    bool is_null;
    int rc = null_here(p, &here, &is_null);

    if (rc != KREG_OK || is_null)
        return rc;
    rc = kreg__service_read_kind(p, &here, &k);
    if (rc != KREG_OK)
        return rc;
    if (k != KREG__SERVICE_K_OBJECT)
        return kreg__service_read_fail_type(p, &here, "object", k);
    return kreg__service_read_object(p, &here, selector_label, meta);
}

static int pod_metadata(struct kreg__service_reader *p,
                        const struct kreg__service_path *at, void *target)
{
    bool is_null;
    int rc;

    if (key_is(p, "name"))
        return keep_string(p, at, target, "name");
    if (key_is(p, "namespace"))
        return keep_string(p, at, target, "namespace");
    if (key_is(p, "annotations"))
        return keep_object(p, at, target, "annotations", annotation);
    if (key_is(p, "labels"))
        return labels(p, at, target);
    if (!key_is(p, "deletionTimestamp"))
        return kreg__service_read_skip(p, at, NULL);
    rc = null_here(p, at, &is_null);
    if (rc != KREG_OK)
        return rc;
    if (!is_null)
        return keep_string(p, at, target, "deletionTimestamp");
    /* null is absent, which is how the API writes it */
    json_object_del(target, "deletionTimestamp");
    return KREG_OK;
}

/* A condition's type or status: a string is kept, any other value is
 * kept as true (so that the reader of the pod sees it is not a string). */
static int condition_member(struct kreg__service_reader *p,
                            const struct kreg__service_path *at, void *target)
{
    const char *name = key_is(p, "type")     ? "type"
                       : key_is(p, "status") ? "status"
                                             : NULL;
    struct kreg__service_path here = {at, name, NULL, 0};
    enum kreg__service_kind k;
    int rc;

    if (!name)
        return kreg__service_read_skip(p, at, NULL);
    rc = kreg__service_read_kind(p, &here, &k);
    if (rc != KREG_OK)
        return rc;
    if (k == KREG__SERVICE_K_STRING)
        return keep_string(p, at, target, name);
    if (json_object_set_new(target, name, json_true()) != 0)
        return kreg__service_read_nomem(p);
    return kreg__service_read_skip(p, &here, NULL);
}

/* One condition: an object keeps its type and status, anything else is
 * kept as null. */
static int condition(struct kreg__service_reader *p,
                     const struct kreg__service_path *at, size_t i, void *ctx)
{
    enum kreg__service_kind k;
    json_t *obj;
    int rc = kreg__service_read_kind(p, at, &k);

    (void)i;
    if (rc != KREG_OK)
        return rc;
    obj = k == KREG__SERVICE_K_OBJECT ? json_object() : json_null();
    if (!obj || json_array_append_new(ctx, obj) != 0)
        return kreg__service_read_nomem(p);
    if (k != KREG__SERVICE_K_OBJECT)
        return kreg__service_read_skip(p, at, NULL);
    return kreg__service_read_object(p, at, condition_member, obj);
}

/*
 * status.conditions, kept leniently: readiness is judged on the pod later
 * (kreg__pod_ready), and a malformed value must make that pod not ready,
 * not fail the list. null is absent; any other value that is not an array
 * is kept as false.
 */
static int keep_conditions(struct kreg__service_reader *p,
                           const struct kreg__service_path *at, json_t *target)
{
    struct kreg__service_path here = {at, "conditions", NULL, 0};
    enum kreg__service_kind k;
    json_t *arr;
    size_t n;
    int rc = kreg__service_read_kind(p, &here, &k);

    if (rc != KREG_OK)
        return rc;
    if (k == KREG__SERVICE_K_NULL) {
        json_object_del(target, "conditions");
        return kreg__service_read_literal(p, &here, "null");
    }
    arr = k == KREG__SERVICE_K_ARRAY ? json_array() : json_false();
    if (!arr || json_object_set_new(target, "conditions", arr) != 0)
        return kreg__service_read_nomem(p);
    if (k != KREG__SERVICE_K_ARRAY)
        return kreg__service_read_skip(p, &here, NULL);
    return kreg__service_read_array(p, &here, condition, arr, &n);
}

static int pod_status(struct kreg__service_reader *p,
                      const struct kreg__service_path *at, void *target)
{
    if (key_is(p, "phase"))
        return keep_string(p, at, target, "phase");
    if (key_is(p, "conditions"))
        return keep_conditions(p, at, target);
    return kreg__service_read_skip(p, at, NULL);
}

static int pod(struct kreg__service_reader *p,
               const struct kreg__service_path *at, void *target)
{
    if (key_is(p, "metadata"))
        return keep_object(p, at, target, "metadata", pod_metadata);
    if (key_is(p, "status"))
        return keep_object(p, at, target, "status", pod_status);
    return kreg__service_read_skip(p, at, NULL);
}

static int item(struct kreg__service_reader *p,
                const struct kreg__service_path *at, size_t i, void *ctx)
{
    enum kreg__service_kind k;
    json_t *obj;
    int rc = kreg__service_read_kind(p, at, &k);

    (void)i;
    if (rc != KREG_OK)
        return rc;
    if (k != KREG__SERVICE_K_OBJECT)
        return kreg__service_read_fail_type(p, at, "object", k);
    obj = json_object();
    if (!obj || json_array_append_new(ctx, obj) != 0)
        return kreg__service_read_nomem(p);
    return kreg__service_read_object(p, at, pod, obj);
}

static int list_metadata(struct kreg__service_reader *p,
                         const struct kreg__service_path *at, void *target)
{
    if (key_is(p, "resourceVersion"))
        return keep_string(p, at, target, "resourceVersion");
    if (key_is(p, "continue"))
        return keep_string(p, at, target, "continue");
    return kreg__service_read_skip(p, at, NULL);
}

static int list(struct kreg__service_reader *p,
                const struct kreg__service_path *at, void *target)
{
    struct kreg__service_path here = {at, "items", NULL, 0};
    enum kreg__service_kind k;
    json_t *items;
    size_t n;
    int rc;

    if (key_is(p, "metadata"))
        return keep_object(p, at, target, "metadata", list_metadata);
    if (!key_is(p, "items"))
        return kreg__service_read_skip(p, at, NULL);
    rc = kreg__service_read_kind(p, &here, &k);
    if (rc != KREG_OK)
        return rc;
    if (k != KREG__SERVICE_K_ARRAY && k != KREG__SERVICE_K_NULL)
        return kreg__service_read_fail_type(p, &here, "array", k);
    items = json_array();
    if (!items || json_object_set_new(target, "items", items) != 0)
        return kreg__service_read_nomem(p);
    /* an empty PartialObjectMetadataList: kube-apiserver writes Go's nil
     * slice, "items":null (client-go reads it as no items) */
    if (k == KREG__SERVICE_K_NULL)
        return kreg__service_read_literal(p, &here, "null");
    return kreg__service_read_array(p, &here, item, items, &n);
}

int kreg__podlist_parse(const char *text, size_t len, json_t **out,
                        struct kreg_error *err)
{
    struct kreg__service_reader p;
    struct kreg_error e = {0};
    enum kreg__service_kind k;
    json_t *doc = json_object();
    int rc;

    *out = NULL;
    if (!doc)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    kreg__service_read_init(&p, text, len, &e);
    p.what = "pod list";
    rc = kreg__service_read_kind(&p, NULL, &k);
    if (rc == KREG_OK && k != KREG__SERVICE_K_OBJECT)
        rc = kreg__service_read_fail_type(&p, NULL, "object", k);
    if (rc == KREG_OK)
        rc = kreg__service_read_object(&p, NULL, list, doc);
    kreg__service_read_ws(&p);
    if (rc == KREG_OK && p.pos != p.len)
        rc = kreg__service_read_fail_char(&p, NULL, p.pos,
                                          "after top-level value");
    if (rc == KREG_OK && !json_object_get(doc, "items"))
        rc = kreg__service_read_fail(&p, NULL, KREG_E_INVALID,
                                     "no items: not a PodList");
    kreg__service_read_release(&p);
    if (rc != KREG_OK) {
        json_decref(doc);
        return kreg__error(err, rc == KREG_E_NOMEM ? rc : KREG_E_PROTOCOL, 0,
                           NULL, "%s", e.text);
    }
    *out = doc;
    return KREG_OK;
}
