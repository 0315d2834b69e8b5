/*
 * names: go-micro's serviceName() encoding and the keys built from it
 * (docs/go-micro-wire.md, Name encoding), checked against the API server's
 * rules for a qualified name (docs/kubernetes-api.md, Validation) so that a
 * name the API would refuse with 422 fails here, clearly, before anything is
 * sent (docs/go-micro-wire.md, Known problems item 1).
 */
#include "names.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

/* The POSIX class [-A-Za-z0-9_.] of the plugin's labelRe, byte by byte. */
static bool is_label_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/*
 * Whether "selector-<enc>" (and so "service-<enc>") is a valid key name
 * part: at most 63 characters matching ([A-Za-z0-9][-A-Za-z0-9_.]*)?
 * [A-Za-z0-9]. The prefix starts it with a letter and every encoded byte
 * is in the class, so only the length and the last byte can fail.
 */
static int check_enc(const char *enc, size_t len, struct kreg_error *err)
{
    if (len == 0)
        return kreg__error(err, KREG_E_NAME, 0, NULL,
                           "service name: empty name gives the label key "
                           "\"%s\", which the API rejects",
                           KREG__NAMES_SELECTOR_PREFIX);
    if (len > KREG__NAMES_ENC_MAX)
        return kreg__error(err, KREG_E_NAME, 0, NULL,
                           "service name: %zu bytes, label keys allow %d "
                           "(\"selector-<name>\" is limited to 63)",
                           len, KREG__NAMES_ENC_MAX);
    if (!is_alnum((unsigned char)enc[len - 1]))
        return kreg__error(err, KREG_E_NAME, 0, NULL,
                           "service name: label key \"%s%s\" must end with "
                           "a letter or digit",
                           KREG__NAMES_SELECTOR_PREFIX, enc);
    return KREG_OK;
}

int kreg_name_encode(const char *name, char *out, size_t size,
                     struct kreg_error *err)
{
    size_t len;
    size_t i;

    if (!name || !out)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "service name: NULL argument");
    len = strlen(name);
    if (size <= len) {
        if (size > 0)
            out[0] = '\0';
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "service name: buffer of %zu bytes, %zu needed",
                           size, len + 1);
    }
    for (i = 0; i < len; i++)
        out[i] = is_label_byte((unsigned char)name[i]) ? name[i] : '_';
    out[len] = '\0';
    return check_enc(out, len, err);
}

/* @p prefix + <enc> + @p suffix into @p out. */
static int make_key(const char *name, const char *prefix, const char *suffix,
                    char *out, size_t size, struct kreg_error *err)
{
    char enc[KREG__NAMES_ENC_MAX + 1];
    int rc;
    int n;

    if (!name || !out)
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "service name: NULL argument");
    if (size > 0)
        out[0] = '\0';
    if (strlen(name) > KREG__NAMES_ENC_MAX)
        return check_enc(name, strlen(name), err);
    rc = kreg_name_encode(name, enc, sizeof(enc), err);
    if (rc != KREG_OK)
        return rc;
    n = snprintf(out, size, "%s%s%s", prefix, enc, suffix);
    if (n < 0 || (size_t)n >= size) {
        if (size > 0)
            out[0] = '\0';
        return kreg__error(err, KREG_E_INVALID, 0, NULL,
                           "service name: key buffer of %zu bytes too small",
                           size);
    }
    return KREG_OK;
}

int kreg__names_label_key(const char *name, char *out, size_t size,
                          struct kreg_error *err)
{
    return make_key(name, KREG__NAMES_SELECTOR_PREFIX, "", out, size, err);
}

int kreg__names_annotation_key(const char *name, char *out, size_t size,
                               struct kreg_error *err)
{
    return make_key(name, KREG__NAMES_ANNOTATION_PREFIX, "", out, size, err);
}

int kreg__names_selector(const char *name, char *out, size_t size,
                         struct kreg_error *err)
{
    return make_key(name, KREG__NAMES_SELECTOR_PREFIX,
                    "=" KREG__NAMES_SERVICE_VALUE, out, size, err);
}

bool kreg__names_is_annotation_key(const char *key)
{
    return key && strncmp(key, KREG__NAMES_ANNOTATION_PREFIX,
                          sizeof(KREG__NAMES_ANNOTATION_PREFIX) - 1) == 0;
}
