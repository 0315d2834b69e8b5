/*
 * config_util: small helpers of the config module: whole-file reads,
 * base64 (Go's StdEncoding), path resolution, token checks, clocks.
 */
#include "config_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "knum.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int kreg__config_util_read_file(const char *path, size_t cap, char **data,
                                size_t *len, int *errnum)
{
    struct kbuf b;
    int e;

    *data = NULL;
    *len = 0;
    *errnum = 0;
    kbuf_init(&b, cap);
    e = kbuf_read_file(&b, path); /* b is released on an error */
    if (e == ENOMEM)
        return KREG_E_NOMEM;
    if (e != 0) {
        *errnum = e;
        return KREG_E_CONFIG;
    }
    *data = kbuf_detach(&b, len);
    return *data ? KREG_OK : KREG_E_NOMEM;
}

const char *kreg__config_util_strerror(int errnum, char *buf, size_t size)
{
    if (errnum == EFBIG)
        snprintf(buf, size, "file too large");
    else if (strerror_r(errnum, buf, size) != 0)
        snprintf(buf, size, "error %d", errnum);
    if (buf[0] && isupper((unsigned char)buf[0]) &&
        !isupper((unsigned char)buf[1]))
        buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

static int b64_value(unsigned char c)
{
    const char *p;

    if (c == '\0')
        return -1;
    p = strchr(b64_alphabet, c);
    return p ? (int)(p - b64_alphabet) : -1;
}

/* Decode the 4-character groups of @p in (no '\r', '\n') into @p out;
 * returns the decoded length or -1 when malformed. */
static long b64_groups(const char *in, size_t len, unsigned char *out)
{
    size_t i;
    size_t o = 0;
    int v[4];
    int k;
    int pad;

    if (len % 4 != 0)
        return -1;
    for (i = 0; i < len; i += 4) {
        pad = 0;
        for (k = 0; k < 4; k++) {
            v[k] = b64_value((unsigned char)in[i + k]);
            if (in[i + k] == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (v[k] < 0 || pad) {
                return -1;
            }
        }
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (pad < 2)
            out[o++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
        if (pad < 1)
            out[o++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
        /* Go rejects non-zero bits after the last full byte. */
        if ((pad == 2 && (v[1] & 0xf)) || (pad == 1 && (v[2] & 0x3)))
            return -1;
    }
    return (long)o;
}

int kreg__config_util_base64_decode(const char *in, size_t len, char **out,
                                    size_t *out_len)
{
    char *clean = NULL;
    char *buf = NULL;
    size_t n = 0;
    size_t i;
    long got;
    int rc = KREG_E_NOMEM;

    *out = NULL;
    *out_len = 0;
    clean = malloc(len + 1);
    buf = malloc(len / 4 * 3 + 1);
    if (!clean || !buf)
        goto out;
    for (i = 0; i < len; i++) {
        if (in[i] != '\r' && in[i] != '\n')
            clean[n++] = in[i];
    }
    got = b64_groups(clean, n, (unsigned char *)buf);
    rc = KREG_E_INVALID;
    if (got < 0)
        goto out;
    buf[got] = '\0';
    *out = buf;
    *out_len = (size_t)got;
    buf = NULL;
    rc = KREG_OK;
out:
    free(clean);
    free(buf);
    return rc;
}

int kreg__config_util_base64_encode(struct kbuf *b, const void *data,
                                    size_t len)
{
    const unsigned char *p = data;
    char q[4];
    size_t i;
    uint32_t v;
    int rc = KBUF_OK;

    for (i = 0; i < len && rc == KBUF_OK; i += 3) {
        v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        q[0] = b64_alphabet[v >> 18 & 0x3f];
        q[1] = b64_alphabet[v >> 12 & 0x3f];
        q[2] = i + 1 < len ? b64_alphabet[v >> 6 & 0x3f] : '=';
        q[3] = i + 2 < len ? b64_alphabet[v & 0x3f] : '=';
        rc = kbuf_add(b, q, sizeof(q));
    }
    return rc;
}

char *kreg__config_util_dup(const char *s, size_t len)
{
    char *p = malloc(len + 1);

    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *kreg__config_util_resolve(const char *dir, const char *path)
{
    struct kbuf b;

    if (!path[0] || path[0] == '/' || !dir)
        return kreg__config_util_dup(path, strlen(path));
    /* Like Go's filepath.Join, drop "./" so messages show clean paths. */
    while (path[0] == '.' && path[1] == '/')
        path += 2 + strspn(path + 2, "/");
    kbuf_init(&b, (size_t)-1);
    if (kbuf_adds(&b, dir) != KBUF_OK ||
        (kbuf_len(&b) && kbuf_str(&b)[kbuf_len(&b) - 1] != '/' &&
         kbuf_addc(&b, '/') != KBUF_OK) ||
        kbuf_adds(&b, path) != KBUF_OK)
        return NULL;
    return kbuf_detach(&b, NULL);
}

char *kreg__config_util_dirname(const char *path)
{
    char cwd[4096];
    const char *slash = strrchr(path, '/');
    char *dir;
    char *abs;

    if (!slash)
        return getcwd(cwd, sizeof(cwd))
                   ? kreg__config_util_dup(cwd, strlen(cwd))
                   : NULL;
    if (slash == path)
        dir = kreg__config_util_dup("/", 1);
    else
        dir = kreg__config_util_dup(path, (size_t)(slash - path));
    if (!dir || dir[0] == '/')
        return dir;
    abs = NULL;
    if (getcwd(cwd, sizeof(cwd)))
        abs = kreg__config_util_resolve(cwd, dir);
    free(dir);
    return abs;
}

size_t kreg__config_util_trim(char *s, size_t len)
{
    size_t start = 0;

    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    while (start < len && isspace((unsigned char)s[start]))
        start++;
    memmove(s, s + start, len - start);
    len -= start;
    s[len] = '\0';
    return len;
}

bool kreg__config_util_is_token(const char *s, size_t len)
{
    size_t i;

    if (len == 0)
        return false;
    for (i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
            return false;
    }
    return true;
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;

    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kreg__config_util_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

int64_t kreg__config_util_real_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

/* ---- RFC 3339 ----------------------------------------------------------*/

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe;
    unsigned doy;
    unsigned doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool num(const char *s, size_t len, unsigned max, unsigned *out)
{
    uint64_t v;

    if (!knum_parse_u64(s, len, &v) || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

static bool day_ok(unsigned y, unsigned m, unsigned d)
{
    static const unsigned char mdays[12] = {31, 29, 31, 30, 31, 30,
                                            31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    return !(m == 2 && d == 29 && !leap);
}

/* The zone suffix ("Z" or "+hh:mm") as seconds east of UTC. */
static bool zone(const char *s, size_t len, int64_t *east)
{
    unsigned h;
    unsigned m;

    if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *east = 0;
        return true;
    }
    if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' ||
        !num(s + 1, 2, 23, &h) || !num(s + 4, 2, 59, &m))
        return false;
    *east = (int64_t)(h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
    return true;
}

/* The ".fff" fraction at s[*i] (optional) as ms; false when empty. */
static bool fraction(const char *s, size_t len, size_t *i, int64_t *ms)
{
    size_t start;
    int64_t scale = 100;

    *ms = 0;
    if (*i >= len || s[*i] != '.')
        return true;
    start = ++*i;
    for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; ++*i) {
        *ms += scale * (s[*i] - '0');
        scale /= 10;
    }
    return *i > start;
}

bool kreg__config_util_parse_time(const char *s, size_t len, int64_t *ms)
{
    unsigned f[6];
    size_t i = 19;
    int64_t frac;
    int64_t east;
    int64_t secs;

    if (len < 20 || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return false;
    if (!num(s, 4, 9999, &f[0]) || !num(s + 5, 2, 12, &f[1]) ||
        !num(s + 8, 2, 31, &f[2]) || !num(s + 11, 2, 23, &f[3]) ||
        !num(s + 14, 2, 59, &f[4]) || !num(s + 17, 2, 59, &f[5]) ||
        !day_ok(f[0], f[1], f[2]))
        return false;
    if (!fraction(s, len, &i, &frac) || !zone(s + i, len - i, &east))
        return false;
    secs = days_from_civil(f[0], f[1], f[2]) * 86400 + (int64_t)f[3] * 3600 +
           (int64_t)f[4] * 60 + (int64_t)f[5] - east;
    *ms = secs * 1000 + frac;
    return true;
}
