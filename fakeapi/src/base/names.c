/*
 * names: the syntax checks of k8s.io/apimachinery/pkg/util/validation
 * (IsQualifiedName, IsValidLabelValue, IsDNS1123Subdomain, IsDNS1123Label),
 * with the same rule order and the same message text (docs/kubernetes-api.md,
 * Validation), as kube-apiserver v1.37 words them: lengths of qualified names
 * and label values in bytes, the qualified-name rule as "a valid label key".
 *
 * The regexes are anchored ("^...$", and Go's "$" only matches at the very
 * end), so each is a plain scan of the bytes here. Lengths are in bytes, as
 * Go's len() counts them. Any byte outside the allowed ASCII set (including
 * the bytes of multi-byte UTF-8 characters) fails the character rule.
 */
#include "base/names.h"

#include <stdbool.h>

/*
 * The rule texts. validation.RegexError() joins its examples with
 * "', " + " or " + "'", which is where the double spaces in
 * "(e.g. 'MyName',  or 'my.name', ..." come from; they are kept verbatim.
 */
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_RULE                                                             \
    "must consist of alphanumeric characters, '-', '_' or '.', and must "      \
    "start and end with an alphanumeric character (e.g. 'MyName',  or "        \
    "'my.name',  or '123-abc', regex used for validation is '" QNAME_FMT "')"
#define DNS_LABEL_FMT     "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS_SUBDOMAIN_FMT DNS_LABEL_FMT "(\\." DNS_LABEL_FMT ")*"
#define SUBDOMAIN_RULE                                                         \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "  \
    "characters, '-' or '.', and must start and end with an alphanumeric "     \
    "character (e.g. 'example.com', regex used for validation is "             \
    "'" DNS_SUBDOMAIN_FMT "')"

static const char msg_name_empty[] = "name part must be non-empty";
static const char msg_name_long[] = "name part must be no more than 63 "
                                    "bytes";
static const char msg_name_regex[] = "name part " QNAME_RULE;
static const char msg_qname_slashes[] =
    "a valid label key " QNAME_RULE " with an optional DNS subdomain prefix "
    "and '/' (e.g. 'example.com/MyName')";
static const char msg_prefix_empty[] = "prefix part must be non-empty";
static const char msg_prefix_long[] = "prefix part must be no more than 253 "
                                      "bytes";
static const char msg_prefix_regex[] = "prefix part " SUBDOMAIN_RULE;
static const char msg_label_value_long[] = "must be no more than 63 "
                                           "bytes";
static const char msg_label_value_regex[] =
    "a valid label must be an empty string or consist of alphanumeric "
    "characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
    "regex used for validation is '(" QNAME_FMT ")?')";
static const char msg_subdomain_long[] = "must be no more than 253 "
                                         "characters";
static const char msg_subdomain_regex[] = SUBDOMAIN_RULE;
static const char msg_dns_label_long[] = "must be no more than 63 characters";
static const char msg_dns_label_dots[] = "must not contain dots";
static const char msg_dns_label_regex[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
    "characters or '-', and must start and end with an alphanumeric "
    "character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'" DNS_LABEL_FMT "')";

enum {
    QNAME_MAX = 63,       /* qualifiedNameMaxLength */
    LABEL_VALUE_MAX = 63, /* LabelValueMaxLength */
    DNS_LABEL_MAX = 63,   /* DNS1123LabelMaxLength */
    SUBDOMAIN_MAX = 253,  /* DNS1123SubdomainMaxLength */
};

/* Append one message (when collecting) and count it. */
static size_t add(json_t *msgs, const char *msg)
{
    if (msgs)
        json_array_append_new(msgs, json_string(msg));
    return 1;
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

static bool is_lower_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$ */
static bool match_qname(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || !is_alnum((unsigned char)s[0]) ||
        !is_alnum((unsigned char)s[len - 1]))
        return false;
    for (i = 1; i + 1 < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    }
    return true;
}

/* ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ */
static bool match_dns_label(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || !is_lower_alnum((unsigned char)s[0]) ||
        !is_lower_alnum((unsigned char)s[len - 1]))
        return false;
    for (i = 1; i + 1 < len; i++) {
        if (!is_lower_alnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    }
    return true;
}

/* ^label(\.label)*$: dot-separated DNS labels, none empty. */
static bool match_subdomain(const char *s, size_t len)
{
    size_t start = 0;
    size_t i;

    for (i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        if (!match_dns_label(s + start, i - start))
            return false;
        start = i + 1;
    }
    return true;
}

/* validation.IsQualifiedName: [prefix/]name, split on every '/'. */
size_t fakeapi__check_qualified_name(const char *s, size_t len, json_t *msgs)
{
    const char *name = s;
    size_t name_len = len;
    size_t slashes = 0;
    size_t n = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '/') {
            slashes++;
            name = s + i + 1;
            name_len = len - i - 1;
        }
    }
    /* Three or more parts: one message, and nothing else is checked. */
    if (slashes > 1)
        return add(msgs, msg_qname_slashes);
    if (slashes == 1) {
        size_t prefix_len = len - name_len - 1;

        if (prefix_len == 0) {
            n += add(msgs, msg_prefix_empty);
        } else {
            if (prefix_len > SUBDOMAIN_MAX)
                n += add(msgs, msg_prefix_long);
            if (!match_subdomain(s, prefix_len))
                n += add(msgs, msg_prefix_regex);
        }
    }
    /* The length rules are if/else-if, the regex is checked regardless:
     * an empty name part gets two messages, as in Go. */
    if (name_len == 0)
        n += add(msgs, msg_name_empty);
    else if (name_len > QNAME_MAX)
        n += add(msgs, msg_name_long);
    if (!match_qname(name, name_len))
        n += add(msgs, msg_name_regex);
    return n;
}

/* validation.IsValidLabelValue: ^(qualified-name)?$, at most 63 bytes. */
size_t fakeapi__check_label_value(const char *s, size_t len, json_t *msgs)
{
    size_t n = 0;

    if (len > LABEL_VALUE_MAX)
        n += add(msgs, msg_label_value_long);
    if (len > 0 && !match_qname(s, len))
        n += add(msgs, msg_label_value_regex);
    return n;
}

/* validation.IsDNS1123Subdomain. */
size_t fakeapi__check_dns1123_subdomain(const char *s, size_t len, json_t *msgs)
{
    size_t n = 0;

    if (len > SUBDOMAIN_MAX)
        n += add(msgs, msg_subdomain_long);
    if (!match_subdomain(s, len))
        n += add(msgs, msg_subdomain_regex);
    return n;
}

/* validation.IsDNS1123Label: a valid subdomain that is not a valid label
 * can only be failing on its dots (the length was checked already). */
size_t fakeapi__check_dns1123_label(const char *s, size_t len, json_t *msgs)
{
    size_t n = 0;

    if (len > DNS_LABEL_MAX)
        n += add(msgs, msg_dns_label_long);
    if (!match_dns_label(s, len)) {
        if (match_subdomain(s, len))
            n += add(msgs, msg_dns_label_dots);
        else
            n += add(msgs, msg_dns_label_regex);
    }
    return n;
}
