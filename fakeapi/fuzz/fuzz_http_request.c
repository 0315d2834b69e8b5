/*
 * fuzz_http_request: libFuzzer harness for fakeapi's request handling
 * (method, path routing, query, headers, body) through a real server on
 * loopback, so libmicrohttpd's parsing and fakeapi's plumbing (server.c),
 * routing and handlers all run as they do for a client.
 *
 * One server per process, started on the first input and stopped at exit
 * (a libFuzzer harness has no other place for it than file-scope state).
 * Before each input the store is reset and seeded with three pods, so an
 * input means the same thing whenever it runs.
 *
 * Input encodings:
 *  - structured (default): "METHOD TARGET\n", then "Name: value" lines,
 *    an empty line, and the body. The harness writes it as a well-formed
 *    HTTP/1.1 request: it owns the framing headers (Host, Content-Length,
 *    Connection), percent-encodes what a client would in the target, and
 *    adds the server's token unless the input brings an Authorization
 *    header. The bytes thus reach fakeapi instead of stopping in the
 *    daemon's parser.
 *  - raw: an input starting with "RAW\n" is sent as is, then the write
 *    side is shut; only the server's survival is checked.
 *
 * Invariants (a broken one aborts, so libFuzzer keeps the input):
 *  - a structured request gets an answer;
 *  - every non-2xx answer to a structured request is application/json
 *    holding a Status object (docs/kubernetes-api.md, Status errors), but for
 *    the answers kube-apiserver gives without one (is_plain_answer): kind
 *    "Status", apiVersion "v1", status "Failure", an integer code equal to the
 *    HTTP status, a Retry-After header exactly when
 *    details.retryAfterSeconds > 0, and no "out of memory" message (the
 *    harness never exhausts memory: that answer means a lost value);
 *  - after the input, GET /healthz answers 200.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fakeapi.h"
#include "kbuf.h"
#include "knum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOKEN          "fuzz-token"
#define ANSWER_WAIT_MS 10000 /* a structured request must be answered */
#define STREAM_IDLE_MS 50    /* a 2xx stream idle this long: stop reading */
#define RAW_WAIT_MS    500   /* raw mode: wait at most this for anything */
#define RESPONSE_MAX   (8u << 20)

static const char seed_pods[] =
    "[{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\","
    "\"labels\":{\"app\":\"web\",\"micro.mu/type\":\"service\","
    "\"micro.mu/selector-greeter\":\"service\"},\"annotations\":{"
    "\"micro.mu/service-greeter\":\"{\\\"name\\\":\\\"greeter\\\","
    "\\\"version\\\":\\\"1.0\\\",\\\"nodes\\\":[{\\\"id\\\":\\\"g-1\\\","
    "\\\"address\\\":\\\"10.0.0.1:8080\\\"}]}\"}},"
    "\"spec\":{\"nodeName\":\"node-a\",\"containers\":[{\"name\":\"c\","
    "\"image\":\"busybox\"}]},\"status\":{\"phase\":\"Running\","
    "\"podIP\":\"10.0.0.1\"}},"
    "{\"metadata\":{\"name\":\"web-2\",\"namespace\":\"default\","
    "\"labels\":{\"app\":\"web\",\"tier\":\"2\"}},\"spec\":{\"containers\":"
    "[{\"name\":\"c\",\"image\":\"busybox\",\"ports\":[{\"containerPort\":"
    "80}]}]},\"status\":{\"phase\":\"Pending\"}},"
    "{\"metadata\":{\"name\":\"dns\",\"namespace\":\"kube-system\","
    "\"labels\":{\"k8s-app\":\"kube-dns\"}},\"spec\":{\"containers\":"
    "[{\"name\":\"c\",\"image\":\"coredns\"}]},\"status\":{\"phase\":"
    "\"Running\"}}]";

static fakeapi *g_srv;

static void require(bool ok)
{
    if (!ok)
        abort();
}

/* Appends that cannot fail quietly (caps are far above any input). */
static void add(struct kbuf *b, const void *p, size_t n)
{
    require(kbuf_add(b, p, n) == KBUF_OK);
}

static void adds(struct kbuf *b, const char *s)
{
    require(kbuf_adds(b, s) == KBUF_OK);
}

static void addc(struct kbuf *b, char c)
{
    require(kbuf_addc(b, c) == KBUF_OK);
}

static void stop_server(void)
{
    fakeapi_stop(g_srv);
    g_srv = NULL;
}

static void ensure_server(void)
{
    struct fakeapi_options o;

    if (g_srv)
        return;
    memset(&o, 0, sizeof(o));
    o.token = TOKEN;
    o.idle_timeout_s = 5;
    o.max_watchers = 64;
    o.watch_queue = 256;
    o.history = 1000;
    o.request_log = 256;
    require(fakeapi_start(&o, &g_srv, NULL) == FAKEAPI_OK);
    require(atexit(stop_server) == 0);
}

/* The same state before every input. */
static void reset_server(void)
{
    fakeapi_reset(g_srv);
    /* reset keeps the initial namespaces; an input may delete this one */
    require(fakeapi_create_namespace(g_srv, "kube-node-lease", NULL) ==
            FAKEAPI_OK);
    require(fakeapi_seed_json(g_srv, seed_pods, sizeof(seed_pods) - 1, NULL) ==
            FAKEAPI_OK);
}

/* ---- loopback sockets ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A connected socket; closing it resets the connection (no TIME_WAIT
 * left behind by hundreds of thousands of inputs). */
static int dial(void)
{
    struct sockaddr_in sin;
    struct linger lg = {1, 0};
    struct timeval tv = {2, 0};
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    require(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(fakeapi_port(g_srv));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    require(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
    return fd;
}

/* Send everything; false when the server closed first (allowed). */
static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* Read what arrives within @p wait_ms: >0 bytes, 0 at EOF, -1 none. */
static ssize_t recv_some(int fd, struct kbuf *in, int wait_ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    char chunk[16384];
    ssize_t k;

    if (poll(&pfd, 1, wait_ms) <= 0)
        return -1;
    k = recv(fd, chunk, sizeof(chunk), 0);
    if (k < 0)
        return errno == EINTR ? -1 : 0; /* a reset is an end too */
    if (k > 0)
        add(in, chunk, (size_t)k);
    return k;
}

/* ---- the answer ---- */

struct answer {
    int status;
    size_t head_len; /* bytes of the final head, "\r\n\r\n" included */
    char ctype[128];
    bool has_retry_after;
    uint64_t retry_after;
    bool chunked;
    bool has_length;
    uint64_t length;
    bool complete; /* the whole body arrived */
    struct kbuf body;
};

/* The value of header @p name in the head @p h (NUL-terminated), copied
 * into @p out; false when absent. */
static bool head_value(const char *h, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    const char *line = strstr(h, "\r\n");

    while (line && line[2] != '\r') {
        const char *p = line + 2;
        const char *end = strstr(p, "\r\n");

        if (!end)
            return false;
        if ((size_t)(end - p) > nl && strncasecmp(p, name, nl) == 0 &&
            p[nl] == ':') {
            p += nl + 1;
            while (*p == ' ')
                p++;
            snprintf(out, size, "%.*s", (int)(end - p), p);
            return true;
        }
        line = end;
    }
    return false;
}

/* Parse the head at the start of @p in (past any 1xx interim answer).
 * Returns false until a whole final head has arrived. */
static bool parse_head(struct kbuf *in, struct answer *a)
{
    const char *s = kbuf_str(in);
    const char *end = strstr(s, "\r\n\r\n");
    char v[64];
    char *h;
    uint64_t code;

    if (!end)
        return false;
    require(strncmp(s, "HTTP/1.", 7) == 0 && kbuf_len(in) > 12);
    require(knum_parse_u64(s + 9, 3, &code) && code >= 100 && code < 600);
    if (code < 200) { /* 100 Continue: drop it and wait for the real one */
        size_t skip = (size_t)(end - s) + 4;
        struct kbuf rest;

        kbuf_init(&rest, RESPONSE_MAX);
        add(&rest, s + skip, kbuf_len(in) - skip);
        kbuf_release(in);
        *in = rest;
        return parse_head(in, a);
    }
    a->status = (int)code;
    a->head_len = (size_t)(end - s) + 4;
    h = strndup(s, a->head_len);
    require(h != NULL);
    if (!head_value(h, "Content-Type", a->ctype, sizeof(a->ctype)))
        a->ctype[0] = '\0';
    if (head_value(h, "Retry-After", v, sizeof(v))) {
        a->has_retry_after = true;
        require(knum_u64(v, &a->retry_after));
    }
    a->chunked = head_value(h, "Transfer-Encoding", v, sizeof(v)) &&
                 strcasecmp(v, "chunked") == 0;
    if (head_value(h, "Content-Length", v, sizeof(v))) {
        a->has_length = true;
        require(knum_u64(v, &a->length));
    }
    free(h);
    return true;
}

/* Decode the chunked body after the head; true once the last chunk came. */
static bool dechunk(const struct kbuf *in, struct answer *a)
{
    const char *p = kbuf_str(in) + a->head_len;
    const char *end = kbuf_str(in) + kbuf_len(in);

    kbuf_reset(&a->body);
    for (;;) {
        const char *eol = p;
        uint64_t n = 0;

        while (eol < end && *eol != '\r') {
            int d = *eol >= '0' && *eol <= '9'   ? *eol - '0'
                    : *eol >= 'a' && *eol <= 'f' ? *eol - 'a' + 10
                    : *eol >= 'A' && *eol <= 'F' ? *eol - 'A' + 10
                                                 : -1;

            require(d >= 0 && n < (1u << 24));
            n = n * 16 + (uint64_t)d;
            eol++;
        }
        if (end - eol < 2)
            return false;
        p = eol + 2;
        if (n == 0)
            return end - p >= 2; /* no trailers: the final CRLF */
        if ((uint64_t)(end - p) < n + 2)
            return false;
        add(&a->body, p, (size_t)n);
        require(p[n] == '\r' && p[n + 1] == '\n');
        p += n + 2;
    }
}

/* Is the body complete in @p in? */
static bool body_done(const struct kbuf *in, struct answer *a, bool head_req)
{
    size_t have = kbuf_len(in) - a->head_len;

    if (head_req || a->status == 204 || a->status == 304)
        return true;
    if (a->chunked)
        return dechunk(in, a);
    if (a->has_length && have >= a->length) {
        kbuf_reset(&a->body);
        add(&a->body, kbuf_str(in) + a->head_len, (size_t)a->length);
        return true;
    }
    return false;
}

/* Read one answer from @p fd. A 2xx stream (a watch) that goes idle is
 * left incomplete: it would never end by itself. */
static bool read_answer(int fd, struct answer *a, bool head_req)
{
    struct kbuf in;
    uint64_t deadline = now_ms() + ANSWER_WAIT_MS;
    bool have_head = false;
    ssize_t k = 1;

    kbuf_init(&in, RESPONSE_MAX);
    while (now_ms() < deadline) {
        bool streaming = have_head && a->status < 300;

        k = recv_some(fd, &in, streaming ? STREAM_IDLE_MS : 100);
        if (k == 0 || (k < 0 && streaming))
            break;
        if (!have_head)
            have_head = parse_head(&in, a);
        if (have_head && body_done(&in, a, head_req)) {
            a->complete = true;
            break;
        }
    }
    if (have_head && !a->complete && k == 0 && !a->chunked &&
        !a->has_length) { /* delimited by the end of the connection */
        add(&a->body, kbuf_str(&in) + a->head_len, kbuf_len(&in) - a->head_len);
        a->complete = true;
    }
    kbuf_release(&in);
    return have_head;
}

/* The answers kube-apiserver gives without a Status, which fakeapi
 * copies: its mux's text 404 for a path no API serves (e.g. one that does
 * not start with /api), and the OpenAPI handler's bodiless 304, 406 and
 * 412 (k8s.io/kube-openapi/pkg/handler, ServeHTTP). */
static bool is_plain_answer(const struct answer *a)
{
    static const char text404[] = "404 page not found\n";

    if (a->status == 404 && strncasecmp(a->ctype, "text/plain", 10) == 0)
        return kbuf_len(&a->body) == sizeof(text404) - 1 &&
               memcmp(kbuf_str(&a->body), text404, sizeof(text404) - 1) == 0;
    return (a->status == 304 || a->status == 406 || a->status == 412) &&
           kbuf_len(&a->body) == 0;
}

/* docs/kubernetes-api.md, Status errors: every other error is a Status with the
 * HTTP code. */
static void check_status(const struct answer *a)
{
    json_t *j;
    json_t *ra;
    const char *kind;
    const char *msg;

    require(a->complete);
    if (is_plain_answer(a))
        return;
    require(strncasecmp(a->ctype, "application/json", 16) == 0);
    j = json_loadb(kbuf_str(&a->body), kbuf_len(&a->body), 0, NULL);
    require(json_is_object(j));
    kind = json_string_value(json_object_get(j, "kind"));
    require(kind && strcmp(kind, "Status") == 0);
    require(json_is_string(json_object_get(j, "apiVersion")) &&
            strcmp(json_string_value(json_object_get(j, "apiVersion")), "v1") ==
                0);
    require(json_is_string(json_object_get(j, "status")) &&
            strcmp(json_string_value(json_object_get(j, "status")),
                   "Failure") == 0);
    require(json_is_integer(json_object_get(j, "code")) &&
            json_integer_value(json_object_get(j, "code")) == a->status);
    /* the harness never runs the server out of memory: such an answer
     * means a value was lost on the way (e.g. jansson refused a string) */
    msg = json_string_value(json_object_get(j, "message"));
    require(a->status != 500 || !msg ||
            (strcmp(msg, "out of memory") != 0 &&
             strcmp(msg, "Internal error occurred: out of memory") != 0));
    ra = json_object_get(json_object_get(j, "details"), "retryAfterSeconds");
    if (json_is_integer(ra) && json_integer_value(ra) > 0)
        require(a->has_retry_after &&
                a->retry_after == (uint64_t)json_integer_value(ra));
    else
        require(!a->has_retry_after);
    json_decref(j);
}

static void check_healthz(void)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Connection: close\r\n\r\n";
    struct answer a;
    int fd = dial();

    memset(&a, 0, sizeof(a));
    kbuf_init(&a.body, RESPONSE_MAX);
    require(send_all(fd, req, sizeof(req) - 1));
    require(read_answer(fd, &a, false));
    require(a.status == 200 && a.complete);
    kbuf_release(&a.body);
    close(fd);
}

/* ---- building the request ---- */

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The next line of [*p, end) without its "\n" (and a "\r" before it). */
static size_t next_line(const char **p, const char *end, const char **line)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;
    size_t n;

    *line = *p;
    n = (size_t)(stop - *p);
    *p = nl ? nl + 1 : end;
    if (n > 0 && (*line)[n - 1] == '\r')
        n--;
    return n;
}

/* Framing headers belong to the harness (raw mode fuzzes those). */
static bool is_framing(const char *name, size_t n)
{
    static const char *const own[] = {
        "host",       "content-length", "transfer-encoding",
        "connection", "keep-alive",     "te",
        "trailer",    "upgrade",        "expect",
    };
    size_t i;

    for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (strlen(own[i]) == n && strncasecmp(name, own[i], n) == 0)
            return true;
    return false;
}

/* "METHOD TARGET": the method's token characters, and the target as a
 * client writes it (leading '/', CTL, space, '#' and non-ASCII
 * percent-encoded). */
static void add_request_line(struct kbuf *out, const char *l, size_t n,
                             bool *head_req)
{
    const char *sp = memchr(l, ' ', n);
    size_t ml = sp ? (size_t)(sp - l) : n;
    size_t start = kbuf_len(out);
    size_t i;

    for (i = 0; i < ml && i < 32; i++)
        if (is_tchar((unsigned char)l[i]))
            addc(out, l[i]);
    if (kbuf_len(out) == start)
        adds(out, "GET");
    *head_req = strcmp(kbuf_str(out) + start, "HEAD") == 0;
    addc(out, ' ');
    i = sp ? ml + 1 : n;
    if (i >= n || l[i] != '/')
        addc(out, '/');
    for (; i < n; i++) {
        unsigned char c = (unsigned char)l[i];

        if (c <= 0x20 || c >= 0x7f || c == '#')
            require(kbuf_addf(out, "%%%02X", c) == KBUF_OK);
        else
            addc(out, (char)c);
    }
    adds(out, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
}

/* One "Name: value" line, cleaned; false for a line that is not one. */
static bool add_header(struct kbuf *out, const char *l, size_t n,
                       bool *has_auth)
{
    const char *colon = memchr(l, ':', n);
    size_t nl = colon ? (size_t)(colon - l) : 0;
    size_t i;

    if (nl == 0 || is_framing(l, nl))
        return false;
    for (i = 0; i < nl; i++)
        if (!is_tchar((unsigned char)l[i]))
            return false;
    if (nl == 13 && strncasecmp(l, "authorization", 13) == 0)
        *has_auth = true;
    add(out, l, nl);
    adds(out, ": ");
    for (i = nl + 1; i < n; i++) {
        unsigned char c = (unsigned char)l[i];

        /* field-value: visible characters, space, tab and obs-text */
        if (c == '\t' || c >= 0x20)
            addc(out, c == 0x7f ? ' ' : (char)c);
    }
    adds(out, "\r\n");
    return true;
}

static void build_request(const char *p, size_t size, struct kbuf *out,
                          bool *head_req)
{
    const char *end = p + size;
    const char *line;
    size_t n = next_line(&p, end, &line);
    bool has_auth = false;

    add_request_line(out, line, n, head_req);
    while (p < end) {
        n = next_line(&p, end, &line);
        if (n == 0)
            break;
        add_header(out, line, n, &has_auth);
    }
    if (!has_auth)
        adds(out, "Authorization: Bearer " TOKEN "\r\n");
    require(kbuf_addf(out, "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      (size_t)(end - p)) == KBUF_OK);
    add(out, p, (size_t)(end - p));
}

/* ---- the two modes ---- */

static void run_structured(const char *p, size_t size)
{
    struct kbuf req;
    struct answer a;
    bool head_req = false;
    int fd;

    kbuf_init(&req, (size_t)1 << 24);
    build_request(p, size, &req, &head_req);
    memset(&a, 0, sizeof(a));
    kbuf_init(&a.body, RESPONSE_MAX);
    fd = dial();
    (void)send_all(fd, kbuf_str(&req), kbuf_len(&req));
    require(read_answer(fd, &a, head_req));
    if ((a.status < 200 || a.status >= 300) && !head_req)
        check_status(&a);
    close(fd);
    kbuf_release(&a.body);
    kbuf_release(&req);
}

static void run_raw(const char *p, size_t size)
{
    struct kbuf in;
    uint64_t deadline = now_ms() + RAW_WAIT_MS;
    int fd = dial();

    kbuf_init(&in, RESPONSE_MAX);
    if (send_all(fd, p, size))
        shutdown(fd, SHUT_WR);
    while (now_ms() < deadline) {
        ssize_t k = recv_some(fd, &in, kbuf_len(&in) ? STREAM_IDLE_MS : 100);

        if (k == 0 || (k < 0 && kbuf_len(&in) > 0))
            break;
    }
    if (kbuf_len(&in) > 0)
        require(strncmp(kbuf_str(&in), "HTTP/1.", 7) == 0);
    kbuf_release(&in);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;

    ensure_server();
    reset_server();
    if (size >= 4 && memcmp(p, "RAW\n", 4) == 0)
        run_raw(p + 4, size - 4);
    else
        run_structured(p, size);
    fakeapi_faults_clear(g_srv); /* an input may have added some */
    check_healthz();
    return 0;
}
