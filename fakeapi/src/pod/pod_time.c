/* pod_time: RFC 3339 timestamps as metav1.Time writes and reads them
 * (docs/kubernetes-api.md, HTTP basics: UTC, whole seconds). Declared in
 * pod.h. */
#include "pod/pod.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "knum.h"

void fakeapi__time_rfc3339(time_t t, char buf[FAKEAPI_RFC3339_SIZE])
{
    struct tm tm;

    if (!gmtime_r(&t, &tm) ||
        strftime(buf, FAKEAPI_RFC3339_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, FAKEAPI_RFC3339_SIZE, "1970-01-01T00:00:00Z");
}

/* Days since 1970-01-01 of a proleptic Gregorian date (civil calendar
 * arithmetic, valid for every year of a time_t). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    long long era;
    unsigned yoe;
    unsigned doy;
    unsigned doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

/* A fixed-width decimal field of @p s at @p off. */
static bool field_at(const char *s, size_t off, size_t len, unsigned max,
                     unsigned *out)
{
    uint64_t v;

    if (!knum_parse_u64(s + off, len, &v) || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

/* The zone part: "Z", or "+hh:mm" / "-hh:mm" (seconds east of UTC). */
static bool parse_zone(const char *z, long long *east)
{
    unsigned hh;
    unsigned mm;

    if (strcmp(z, "Z") == 0) {
        *east = 0;
        return true;
    }
    if ((z[0] != '+' && z[0] != '-') || strlen(z) != 6 || z[3] != ':' ||
        !field_at(z, 1, 2, 23, &hh) || !field_at(z, 4, 2, 59, &mm))
        return false;
    *east = (long long)(hh * 3600 + mm * 60) * (z[0] == '-' ? -1 : 1);
    return true;
}

bool fakeapi__time_parse(const char *s, time_t *out)
{
    unsigned y;
    unsigned mo;
    unsigned d;
    unsigned h;
    unsigned mi;
    unsigned sec;
    long long east;
    size_t n = 19;

    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':' || !field_at(s, 0, 4, 9999, &y) ||
        !field_at(s, 5, 2, 12, &mo) || !field_at(s, 8, 2, 31, &d) ||
        !field_at(s, 11, 2, 23, &h) || !field_at(s, 14, 2, 59, &mi) ||
        !field_at(s, 17, 2, 59, &sec) || mo == 0 || d == 0)
        return false;
    if (s[n] == '.') {
        for (n++; s[n] >= '0' && s[n] <= '9'; n++)
            ;
        if (s[n - 1] == '.')
            return false;
    }
    if (!parse_zone(s + n, &east))
        return false;
    *out = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
                    sec - east);
    return true;
}
