/*
 * selector: label selectors and pod field selectors, parsed, worded and
 * matched as a Kubernetes 1.32 API server does it (docs/kubernetes-api.md,
 * Label selectors and Field selectors; k8s.io/apimachinery
 * pkg/labels/selector.go and pkg/fields/selector.go, kubernetes
 * pkg/apis/core/v1/conversion.go and pkg/registry/core/pod ToSelectableFields).
 *
 * Both selector kinds are immutable after parsing: one may be matched from
 * several threads at once. The text handed to the parsers is the decoded
 * query value (form decoding, `+` as space, is the caller's job).
 *
 * Input bound (a deviation from k8s, which has none of its own): a selector
 * longer than FAKEAPI_SELECTOR_MAX bytes is rejected with 400 BadRequest
 * before it is parsed.
 */
#ifndef FAKEAPI_SELECTOR_H
#define FAKEAPI_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "fakeapi.h"

/* Longest selector text accepted, in bytes (64 KiB). */
#define FAKEAPI_SELECTOR_MAX 65536

/* ---- Types ---- */

/* A parsed label selector: requirements ANDed, sorted by key. */
struct fakeapi_lsel;

/* A parsed pod field selector: terms ANDed. */
struct fakeapi_fsel;

/* The operator of one label requirement (`=` and `==` are both EQ). */
enum fakeapi_lsel_op {
    FAKEAPI_LSEL_EQ = 1,     /* k=v, k==v: key present, value equal */
    FAKEAPI_LSEL_NEQ,        /* k!=v: key absent or value differs */
    FAKEAPI_LSEL_IN,         /* k in (a,b): key present, value in set */
    FAKEAPI_LSEL_NOTIN,      /* k notin (a,b): absent or not in set */
    FAKEAPI_LSEL_EXISTS,     /* k: key present */
    FAKEAPI_LSEL_NOT_EXISTS, /* !k: key absent */
    FAKEAPI_LSEL_GT,         /* k>n: present, both int64, value > n */
    FAKEAPI_LSEL_LT,         /* k<n: present, both int64, value < n */
};

/* ---- Label selectors: lifecycle ---- */

/**
 * Parse a label selector (labels.Parse).
 * @param text    the selector, NUL-terminated; NULL or "" (or only
 *                whitespace) gives the selector that matches everything.
 * @param out     on success a new selector: free with fakeapi__lsel_free();
 *                NULL on failure.
 * @param status  optional; on FAKEAPI_E_INVALID receives a new 400
 *                BadRequest Status whose message is the parser's text (k8s
 *                wording, e.g. `found ',', expected: !, identifier, or 'end
 *                of string'`), or NULL if that Status could not be built.
 *                Left NULL on success and on FAKEAPI_E_NOMEM.
 * @return FAKEAPI_OK, FAKEAPI_E_INVALID (syntax, key or value rules, or
 *         longer than FAKEAPI_SELECTOR_MAX) or FAKEAPI_E_NOMEM.
 */
FAKEAPI_NODISCARD int fakeapi__lsel_parse(const char *text,
                                          struct fakeapi_lsel **out,
                                          json_t **status);

/** Free a label selector and all it owns; NULL is a no-op. */
void fakeapi__lsel_free(struct fakeapi_lsel *s);

/* ---- Label selectors: operations ---- */

/**
 * Tell whether a label set satisfies every requirement.
 * @param s       the selector (NULL matches everything).
 * @param labels  a JSON object of string values, or NULL for no labels.
 *                A member whose value is not a string counts as absent.
 * @return true on a match.
 */
bool fakeapi__lsel_matches(const struct fakeapi_lsel *s, const json_t *labels);

/* A pod's labels without jansson: @c n pairs sorted by key (strcmp). The
 * store keeps one per snapshot (obj.h): far smaller than a JSON object. */
struct fakeapi_labels {
    size_t n;
    const char *const *keys;
    const char *const *values;
};

/* As fakeapi__lsel_matches(), on a sorted label array (NULL = none). */
bool fakeapi__lsel_matches_labels(const struct fakeapi_lsel *s,
                                  const struct fakeapi_labels *l);

/** Tell whether @p s has no requirements (NULL counts as empty). */
bool fakeapi__lsel_is_empty(const struct fakeapi_lsel *s);

/** Number of requirements in @p s (0 for NULL). */
size_t fakeapi__lsel_count(const struct fakeapi_lsel *s);

/**
 * Read requirement @p i (in key order; equal keys keep their text order).
 * @param s        the selector.
 * @param i        index, below fakeapi__lsel_count().
 * @param op       receives an enum fakeapi_lsel_op value.
 * @param key      receives the key (borrowed, valid while @p s lives).
 * @param nvalues  receives the number of values: 1 for EQ, NEQ, GT and
 *                 LT; 1 or more for IN and NOTIN; 0 for EXISTS and
 *                 NOT_EXISTS.
 * @param values   receives the values, sorted bytewise and without
 *                 duplicates (borrowed, valid while @p s lives); NULL when
 *                 @p nvalues is 0.
 * @return false if @p i is out of range (nothing is written).
 */
bool fakeapi__lsel_req(const struct fakeapi_lsel *s, size_t i, int *op,
                       const char **key, size_t *nvalues,
                       const char *const **values);

/* ---- Field selectors (pods): lifecycle ---- */

/**
 * Parse a pod field selector (fields.ParseSelector, then the Pod field
 * label conversion the API server applies).
 * @param text    the selector, NUL-terminated; NULL or "" gives the
 *                selector that matches everything. No whitespace is
 *                trimmed.
 * @param out     on success a new selector: free with fakeapi__fsel_free();
 *                NULL on failure.
 * @param status  optional; on FAKEAPI_E_INVALID receives a new 400
 *                BadRequest Status: `invalid selector: '<sel>'; can't
 *                understand '<term>'`, `invalid field selector: ...` or
 *                `field label not supported: <field>` (NULL if the Status
 *                could not be built). Left NULL otherwise.
 * @return FAKEAPI_OK, FAKEAPI_E_INVALID or FAKEAPI_E_NOMEM.
 */
FAKEAPI_NODISCARD int fakeapi__fsel_parse(const char *text,
                                          struct fakeapi_fsel **out,
                                          json_t **status);

/**
 * Parse a namespace field selector: as fakeapi__fsel_parse(), with the
 * Namespace field label conversion (metadata.name and status.phase; any
 * other label is `field label not supported: <label>`). Match it against
 * Namespace objects with fakeapi__fsel_matches().
 */
FAKEAPI_NODISCARD int fakeapi__fsel_parse_ns(const char *text,
                                             struct fakeapi_fsel **out,
                                             json_t **status);

/** Free a field selector and all it owns; NULL is a no-op. */
void fakeapi__fsel_free(struct fakeapi_fsel *s);

/* ---- Field selectors (pods): operations ---- */

/**
 * Tell whether @p s has no terms (NULL counts as empty): true for the
 * selectors parsed from NULL, "" and ",,", which k8s treats as no field
 * selector at all (fields.Selector.Empty).
 */
bool fakeapi__fsel_is_empty(const struct fakeapi_fsel *s);

/**
 * Tell whether a pod satisfies every term.
 * @param s    the selector (NULL matches everything).
 * @param pod  a full v1 Pod JSON object (not modified). A field the pod
 *             lacks compares as "" (spec.hostNetwork as "false").
 * @return true on a match.
 */
bool fakeapi__fsel_matches(const struct fakeapi_fsel *s, const json_t *pod);

/* The selectable fields of a pod, in the order of the field table in
 * selector.c (metadata.name, metadata.namespace, spec.nodeName, ...); a
 * missing one is NULL and reads as "". */
#define FAKEAPI_NFIELDS 11
struct fakeapi_fields {
    const char *v[FAKEAPI_NFIELDS];
    size_t n[FAKEAPI_NFIELDS];
};

/* Fill @p f from @p pod (strings borrowed from @p pod). */
void fakeapi__fields_of(const json_t *pod, struct fakeapi_fields *f);

/* As fakeapi__fsel_matches(), on precomputed fields. */
bool fakeapi__fsel_matches_fields(const struct fakeapi_fsel *s,
                                  const struct fakeapi_fields *f);

/**
 * Find the value an `=`/`==` term requires of a field, for index lookups.
 * @param s      the selector (NULL has none).
 * @param field  a field label such as "metadata.name" or
 *               "metadata.namespace" (the alias spec.host is understood).
 * @return the value of the first such term in the selector's order
 *         (borrowed, valid while @p s lives), or NULL if there is none.
 */
const char *fakeapi__fsel_exact(const struct fakeapi_fsel *s,
                                const char *field);

#endif
