#include "knum.h"

#include <string.h>

bool knum_parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (!s || len == 0)
        return false;
    for (i = 0; i < len; i++) {
        unsigned d;

        if (s[i] < '0' || s[i] > '9')
            return false;
        d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool knum_parse_i64(const char *s, size_t len, int64_t *out)
{
    uint64_t mag;
    bool neg = false;

    if (s && len > 0 && s[0] == '-') {
        neg = true;
        s++;
        len--;
    }
    if (!knum_parse_u64(s, len, &mag))
        return false;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return false;
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)mag;
    }
    return true;
}

bool knum_i64(const char *s, int64_t *out)
{
    return s && knum_parse_i64(s, strlen(s), out);
}

bool knum_u64(const char *s, uint64_t *out)
{
    return s && knum_parse_u64(s, strlen(s), out);
}
