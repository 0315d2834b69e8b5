/*
 * quantity: Kubernetes resource quantities ("100m", "1Gi", "2.5e3"), parsed
 * the way k8s.io/apimachinery/pkg/api/resource ParseQuantity reads them, so
 * that the fake can compute a pod's QoS class (docs/kubernetes-api.md, Pod
 * create) and reject a malformed quantity with the server's decode error.
 *
 * A value is held as a sign plus a fixed-point magnitude: whole units and
 * nano units (1e-9). Like the real server, precision below one nano unit is
 * rounded up. Magnitudes beyond 2^64-1 whole units saturate.
 */
#ifndef FAKEAPI_QUANTITY_H
#define FAKEAPI_QUANTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fakeapi_quantity {
    bool neg;       /* true for a negative, non-zero value */
    uint64_t whole; /* integer part of the magnitude */
    uint32_t nano;  /* fractional part in 1e-9 units, < 1000000000 */
};

enum {
    FAKEAPI_QTY_OK = 0,
    FAKEAPI_QTY_E_FORMAT = 1, /* does not match the quantity grammar */
    FAKEAPI_QTY_E_SUFFIX = 2, /* unknown suffix, e.g. "1Qi" */
};

/* The server's texts for the two errors above (resource.ErrFormatWrong and
 * resource.ErrSuffix). */
#define FAKEAPI_QTY_FORMAT_MSG                                                 \
    "quantities must match the regular expression "                            \
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define FAKEAPI_QTY_SUFFIX_MSG "unable to parse quantity's suffix"

/**
 * Parse @p len bytes of @p s as a quantity (surrounding ASCII space is
 * trimmed, as Quantity.UnmarshalJSON does).
 * @param s    the text, need not be NUL-terminated.
 * @param len  its length in bytes.
 * @param out  on success, the value (NULL to only check the syntax).
 * @return FAKEAPI_QTY_OK, FAKEAPI_QTY_E_FORMAT or FAKEAPI_QTY_E_SUFFIX.
 */
int fakeapi__quantity_parse(const char *s, size_t len,
                            struct fakeapi_quantity *out);

/** True when @p q is greater than zero. */
bool fakeapi__quantity_is_positive(const struct fakeapi_quantity *q);

/** Add the non-negative @p q to the non-negative @p acc (saturating). */
void fakeapi__quantity_add(struct fakeapi_quantity *acc,
                           const struct fakeapi_quantity *q);

/** Compare two values: <0, 0 or >0 as @p a is below, equal or above @p b. */
int fakeapi__quantity_cmp(const struct fakeapi_quantity *a,
                          const struct fakeapi_quantity *b);

#endif
