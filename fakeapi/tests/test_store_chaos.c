/*
 * store_chaos: a write that runs out of memory changes nothing (issue 13,
 * "a rejected write changes nothing").
 *
 * Every write path runs in-process through the router (api/routes.c),
 * the seeder or the namespace controller, with allocation 1, 2, 3, ...
 * of the write failing (counted from the request on) until the write runs
 * without meeting a failure. After each run that met one:
 *  - the answer is a 500 Status (InternalError), the seed an out-of-memory
 *    code;
 *  - fakeapi__store_dump() is byte for byte the dump taken before: every
 *    pod and namespace, the hash, namespace and label indexes, the
 *    history and the resourceVersion counter;
 *  - the subscriber (a counting one, fakeapi__store_subscribe) heard
 *    nothing;
 *  - as many blocks are live as before (the ASan build's LeakSanitizer
 *    checks the same at exit).
 * A run that met a failure and still succeeded (a failure the code
 * absorbs: a Warning or an error path's text lost) must leave the store a
 * run without failure leaves, uids and times aside: a write never stores
 * an object a failed allocation changed.
 *
 * The allocator: this test is linked with -Wl,--wrap=malloc,calloc,
 * realloc,free,strdup (fakeapi/CMakeLists.txt), so the calls of fakeapi's
 * objects (a static library) come to the __wrap_ functions below, and
 * jansson's through json_set_alloc_funcs(). Nothing else is involved:
 * no HTTP, no thread. Under ASan __real_malloc is ASan's.
 *
 * To look closer: STORE_CHAOS_ONLY=<part of a case's name> runs that case
 * alone; STORE_CHAOS_ALL=1 goes on past a problem (a fresh fixture) and
 * lists every failure point that goes wrong; STORE_CHAOS_DUMPS=<dir>
 * keeps the two dumps of the last difference; STORE_CHAOS_ABSORBED=1
 * names the failures a write absorbed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/handlers.h"
#include "fakeapi.h"
#include "kbuf.h"
#include "store/store.h"

/* ---- the failing allocator ---- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
char *__real_strdup(const char *s);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);

/* Process-wide by nature, as the allocator is: allocations since arming,
 * the one to fail (0: none), whether it failed, and the live blocks. */
static long chaos_count;
static long chaos_fail_at;
static bool chaos_failed;
static long chaos_live;

static bool chaos_fails(void)
{
    if (chaos_fail_at == 0)
        return false;
    if (++chaos_count != chaos_fail_at)
        return false;
    chaos_failed = true;
    return true;
}

void *__wrap_malloc(size_t size)
{
    void *p = chaos_fails() ? NULL : __real_malloc(size);

    if (p)
        chaos_live++;
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p = chaos_fails() ? NULL : __real_calloc(n, size);

    if (p)
        chaos_live++;
    return p;
}

void *__wrap_realloc(void *old, size_t size)
{
    void *p;

    if (old && size == 0) {
        p = __real_realloc(old, size);
        if (!p)
            chaos_live--;
        return p;
    }
    p = chaos_fails() ? NULL : __real_realloc(old, size);
    if (p && !old)
        chaos_live++;
    return p;
}

void __wrap_free(void *p)
{
    if (p)
        chaos_live--;
    __real_free(p);
}

char *__wrap_strdup(const char *s)
{
    char *p = chaos_fails() ? NULL : __real_strdup(s);

    if (p)
        chaos_live++;
    return p;
}

static void arm(long n)
{
    chaos_count = 0;
    chaos_failed = false;
    chaos_fail_at = n;
}

static void disarm(void)
{
    chaos_fail_at = 0;
}

/* ---- a server's API without a server ---- */

struct fx {
    struct api api;
    long heard; /* events the subscriber was given */
};

static void no_wake(void *ctx)
{
    (void)ctx;
}

static void count_event(void *ctx, struct event *ev)
{
    (void)ev;
    ((struct fx *)ctx)->heard++;
}

/* A query, headers and a body, as the transport would give them. */
struct conn {
    const char *query; /* "a=b&c=d", no escapes */
    const char *ctype;
    char arg[256];
};

static const char *conn_arg(void *c, const char *name)
{
    struct conn *cn = c;
    size_t nl = strlen(name);
    const char *p = cn->query;

    while (p && *p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len >= nl && strncmp(p, name, nl) == 0 &&
            (len == nl || p[nl] == '=')) {
            size_t vl = len == nl ? 0 : len - nl - 1;

            snprintf(cn->arg, sizeof(cn->arg), "%.*s", (int)vl,
                     len == nl ? "" : p + nl + 1);
            return cn->arg;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

static const char *conn_header(void *c, const char *name)
{
    struct conn *cn = c;

    return strcmp(name, "Content-Type") == 0 ? cn->ctype : NULL;
}

static const struct req_io conn_io = {conn_arg, conn_header};

static const char seed_pods[] =
    "["
    "{\"metadata\":{\"name\":\"p1\",\"labels\":{\"app\":\"web\","
    "\"tier\":\"front\"}},\"spec\":{\"containers\":[{\"name\":\"main\","
    "\"image\":\"nginx:1\"}]}},"
    "{\"metadata\":{\"name\":\"p2\",\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"nodeName\":\"node-1\",\"containers\":[{\"name\":\"main\","
    "\"image\":\"nginx:1\"}]},\"status\":{\"phase\":\"Running\"}},"
    "{\"metadata\":{\"name\":\"p3\",\"labels\":{\"app\":\"db\"},"
    "\"finalizers\":[\"example.com/hold\"],"
    "\"deletionTimestamp\":\"2024-01-01T00:00:00Z\","
    "\"deletionGracePeriodSeconds\":0},\"spec\":{\"containers\":[{\"name\":"
    "\"main\",\"image\":\"db:1\"}]}},"
    "{\"metadata\":{\"name\":\"t1\",\"namespace\":\"team\",\"labels\":{"
    "\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"main\","
    "\"image\":\"nginx:1\"}]}},"
    "{\"metadata\":{\"name\":\"t2\",\"namespace\":\"team\",\"labels\":{"
    "\"app\":\"api\"}},\"spec\":{\"containers\":[{\"name\":\"main\","
    "\"image\":\"nginx:1\"}]}}"
    "]";

static struct fx *fx_new(void)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->api.store = fakeapi__store_new(0);
    assert_non_null(f->api.store);
    assert_int_equal(fakeapi__schema_init(&f->api.schema), 0);
    f->api.url = "https://127.0.0.1:6443";
    f->api.tls = true;
    f->api.wake = no_wake;
    assert_int_equal(fakeapi__init_namespaces(&f->api), 0);
    assert_int_equal(fakeapi__seed(&f->api, seed_pods, strlen(seed_pods), NULL),
                     0);
    fakeapi__store_wrlock(f->api.store);
    assert_int_equal(fakeapi__store_subscribe(f->api.store, count_event, f), 0);
    fakeapi__store_unlock(f->api.store);
    return f;
}

static void fx_free(struct fx *f)
{
    fakeapi__store_free(f->api.store);
    fakeapi__schema_release(&f->api.schema);
    free(f);
}

/* The store as text (new, free()). */
static char *dump(struct fx *f)
{
    struct kbuf b;
    char *s;

    kbuf_init(&b, (size_t)1 << 30);
    fakeapi__store_rdlock(f->api.store);
    assert_int_equal(fakeapi__store_dump(f->api.store, &b), KBUF_OK);
    fakeapi__store_unlock(f->api.store);
    s = kbuf_detach(&b, NULL);
    assert_non_null(s);
    return s;
}

/* ---- one write ---- */

/* How a case writes: through the router (the default), the seeder, or
 * the namespace controller. */
enum kind { K_HTTP, K_SEED, K_FINALIZE };

struct wcase {
    const char *name;
    enum kind kind;
    const char *method;
    const char *path;
    const char *query;
    const char *ctype;
    const char *body; /* or NULL: the stored pod @p from, edited */
    const char *from; /* "ns/name" of the pod a PUT starts from */
    void (*edit)(json_t *pod);
    int ok; /* the status of success */
    /* run before (unarmed) to reach the state the write needs */
    const struct wcase *before;
};

/* What one run gave. */
struct outcome {
    int status; /* HTTP status; for a seed its code; 0 for finalize */
    char *body;
};

/* The body of a PUT: the stored pod, edited. */
static char *put_body(struct fx *f, const struct wcase *c)
{
    char ns[64];
    const char *slash = strchr(c->from, '/');
    struct fakeapi_obj *o;
    json_t *pod;
    char *s;

    snprintf(ns, sizeof(ns), "%.*s", (int)(slash - c->from), c->from);
    fakeapi__store_rdlock(f->api.store);
    o = fakeapi__store_pod(f->api.store, ns, slash + 1);
    assert_non_null(o);
    pod = json_loads(o->bytes, 0, NULL);
    fakeapi__store_unlock(f->api.store);
    assert_non_null(pod);
    c->edit(pod);
    s = json_dumps(pod, JSON_COMPACT);
    json_decref(pod);
    assert_non_null(s);
    return s;
}

/* Run @p c once on @p f, with allocation @p fail_at failing (0: none). */
static void run(struct fx *f, const struct wcase *c, long fail_at,
                struct outcome *out)
{
    struct conn cn = {c->query, c->ctype, ""};
    struct req r;
    struct resp rs;
    char *body = c->body ? strdup(c->body) : put_body(f, c);
    char *path = strdup(c->path ? c->path : "");

    assert_non_null(body);
    assert_non_null(path);
    memset(&r, 0, sizeof(r));
    memset(&rs, 0, sizeof(rs));
    memset(out, 0, sizeof(*out));
    r.api = &f->api;
    r.conn = &cn;
    r.io = &conn_io;
    r.method = c->method;
    r.path = path;
    kbuf_init(&r.body, FAKEAPI_BODY_LIMIT);
    assert_int_equal(kbuf_adds(&r.body, body), KBUF_OK);
    arm(fail_at);
    if (c->kind == K_SEED)
        out->status = fakeapi__seed(&f->api, body, strlen(body), NULL);
    else if (c->kind == K_FINALIZE)
        fakeapi__ns_finalize(&f->api, UINT64_MAX);
    else
        fakeapi__route(&r, &rs);
    disarm();
    if (c->kind == K_HTTP) {
        out->status = rs.status;
        if (rs.obj)
            out->body = strdup(rs.obj->bytes);
        else if (rs.body)
            out->body = strdup(rs.body);
        fakeapi__resp_release(&rs);
    }
    kbuf_release(&r.body);
    free(path);
    free(body);
}

static const char *member(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));

    return v ? v : "";
}

/* Whether @p o is the 500 Status of a write that ran out of memory. */
static bool is_oom_answer(const struct wcase *c, const struct outcome *o)
{
    json_t *st;
    bool ok;

    if (c->kind == K_SEED)
        return o->status == FAKEAPI_E_NOMEM;
    if (c->kind == K_FINALIZE)
        return true;
    if (o->status != 500 || !o->body)
        return false;
    st = json_loads(o->body, 0, NULL);
    ok = st && strcmp(member(st, "kind"), "Status") == 0 &&
         strcmp(member(st, "reason"), "InternalError") == 0;
    json_decref(st);
    return ok;
}

/* Whether the write happened: its success status; the namespace
 * controller answers nothing, its work shows in the store. */
static bool is_success(const struct wcase *c, const struct outcome *o,
                       const char *before, const char *after)
{
    if (c->kind == K_FINALIZE)
        return strcmp(before, after) != 0;
    return o->status == c->ok;
}

/* @p s with what differs between two runs of the same write made equal:
 * uids, timestamps, the random suffix of the service account volume and
 * a namespace's finalization time (in place). */
static void normalize(char *s)
{
    char *w = s;
    const char *p = s;

    while (*p) {
        size_t i;

        if (strncmp(p, "\"uid\":\"", 7) == 0 && strlen(p) >= 44 &&
            p[43] == '"') {
            memcpy(w, "\"uid\":\"U\"", 9);
            w += 9;
            p += 44;
            continue;
        }
        for (i = 0; i < 20 && p[i]; i++)
            if (!(i == 4 || i == 7     ? p[i] == '-'
                  : i == 10            ? p[i] == 'T'
                  : i == 13 || i == 16 ? p[i] == ':'
                                       : (p[i] >= '0' && p[i] <= '9')) &&
                !(i == 19 && p[i] == 'Z'))
                break;
        if (i == 20 && p[19] == 'Z') {
            *w++ = 'T';
            p += 20;
            continue;
        }
        if (strncmp(p, "kube-api-access-", 16) == 0 && strlen(p) >= 21) {
            memcpy(w, "kube-api-access-X", 17);
            w += 17;
            p += 21;
            continue;
        }
        if (strncmp(p, "finalize=", 9) == 0 && p[9] != '0') {
            memcpy(w, "finalize=N", 10);
            w += 10;
            p += 9;
            while (*p >= '0' && *p <= '9')
                p++;
            continue;
        }
        *w++ = *p++;
    }
    *w = '\0';
}

/* Print where two dumps part (the first differing line of each). */
static void show_diff(const char *what, const char *a, const char *b)
{
    size_t i = 0;
    size_t line = 0;

    while (a[i] && a[i] == b[i])
        i++;
    while (i > 0 && a[i - 1] != '\n')
        i--;
    for (size_t k = 0; k < i; k++)
        line += a[k] == '\n';
    print_message("%s: line %zu\n  before: %.*s\n  after:  %.*s\n", what,
                  line + 1, (int)strcspn(a + i, "\n"), a + i,
                  (int)strcspn(b + i, "\n"), b + i);
}

/* With STORE_CHAOS_DUMPS=DIR, keep the two dumps of a difference as
 * DIR/want and DIR/got. */
static void save_dumps(const char *want, const char *got)
{
    const char *dir = getenv("STORE_CHAOS_DUMPS");
    char path[512];
    FILE *f;

    if (!dir)
        return;
    snprintf(path, sizeof(path), "%s/want", dir);
    f = fopen(path, "w");
    if (f) {
        fputs(want, f);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/got", dir);
    f = fopen(path, "w");
    if (f) {
        fputs(got, f);
        fclose(f);
    }
}

static void prepare(struct fx *f, const struct wcase *c)
{
    struct outcome o;

    if (!c->before)
        return;
    prepare(f, c->before);
    run(f, c->before, 0, &o);
    assert_int_equal(o.status, c->before->ok);
    free(o.body);
}

/* What fieldValidation reads is loaded on first use and kept for the
 * server's life: load it before counting blocks (a dry run stores
 * nothing). */
static const struct wcase c_warm = {
    .name = "warm",
    .method = "POST",
    .path = "/api/v1/namespaces/default/pods",
    .query = "dryRun=All&fieldValidation=Strict",
    .body = "{\"metadata\":{\"name\":\"w\"},\"spec\":{\"containers\":[{"
            "\"name\":\"c\",\"image\":\"nginx\"}]}}",
    .ok = 201,
};

/* A fixture in the state @p c starts from. */
static struct fx *fixture(const struct wcase *c)
{
    struct fx *f = fx_new();
    struct outcome o;

    run(f, &c_warm, 0, &o);
    assert_int_equal(o.status, 201);
    free(o.body);
    prepare(f, c);
    return f;
}

/* The state a run of @p c without failure leaves, normalized (new). */
static char *reference(const struct wcase *c)
{
    struct fx *f = fixture(c);
    struct outcome o;
    char *before;
    char *after;

    before = dump(f);
    run(f, c, 0, &o);
    after = dump(f);
    if (!is_success(c, &o, before, after))
        print_message("%s: %d %s\n", c->name, o.status, o.body ? o.body : "");
    assert_true(is_success(c, &o, before, after));
    normalize(after);
    free(o.body);
    free(before);
    fx_free(f);
    return after;
}

/* What is wrong after run @p n of @p c met a failure and the write did
 * not happen: the number of problems (each printed). */
static long check_failed(const struct wcase *c, long n, const struct outcome *o,
                         const char *before, const char *after, long heard)
{
    long problems = 0;

    if (!is_oom_answer(c, o)) {
        print_message("%s: allocation %ld failed: answer %d %s\n", c->name, n,
                      o->status, o->body ? o->body : "");
        problems++;
    }
    if (strcmp(after, before) != 0) {
        print_message("%s: allocation %ld failed and changed the store\n",
                      c->name, n);
        show_diff(c->name, before, after);
        problems++;
    }
    if (heard != 0) {
        print_message("%s: allocation %ld failed and the watcher was told "
                      "%ld events\n",
                      c->name, n, heard);
        problems++;
    }
    return problems;
}

/*
 * Fail allocation 1, 2, ... of @p c until a run meets no failure; check
 * after each what the file's comment says. Returns the number of failure
 * points (runs that met a failure).
 */
static long chaos(const struct wcase *c)
{
    const char *only = getenv("STORE_CHAOS_ONLY");
    struct fx *f;
    struct outcome o;
    char *want;
    char *before;
    long n;
    long problems = 0;
    long total = 0;
    long absorbed = 0;

    if (only && !strstr(c->name, only))
        return 1; /* another case asked for alone */
    want = reference(c);
    f = fixture(c);
    before = dump(f);
    for (n = 1;; n++) {
        long heard = f->heard;
        long live = chaos_live;
        bool hit;
        bool done;
        char *after;

        run(f, c, n, &o);
        hit = chaos_failed;
        after = dump(f);
        done = is_success(c, &o, before, after);
        if (!hit) {
            assert_true(done);
            free(after);
            free(o.body);
            break;
        }
        if (done) {
            /* the failure was absorbed: the write happened, whole */
            normalize(after);
            if (strcmp(after, want) != 0) {
                print_message("%s: allocation %ld failed, the write "
                              "succeeded (%d) but differs\n",
                              c->name, n, o.status);
                show_diff(c->name, want, after);
                save_dumps(want, after);
                problems++;
            }
            absorbed++;
            if (getenv("STORE_CHAOS_ABSORBED"))
                print_message("%s: allocation %ld failed, absorbed\n", c->name,
                              n);
            fx_free(f);
            f = fixture(c);
            free(before);
            before = dump(f);
        } else {
            problems += check_failed(c, n, &o, before, after, f->heard - heard);
        }
        free(after);
        free(o.body);
        if (!done && chaos_live != live) {
            print_message("%s: allocation %ld failed and left %ld blocks\n",
                          c->name, n, chaos_live - live);
            problems++;
        }
        if (problems > 0 && getenv("STORE_CHAOS_ALL")) {
            /* list every failure point that goes wrong: go on from a
             * fresh fixture */
            total += problems;
            problems = 0;
            fx_free(f);
            f = fixture(c);
            free(before);
            before = dump(f);
        } else if (problems > 0) {
            /* a changed store makes the next runs meaningless */
            free(before);
            free(want);
            fx_free(f);
            fail_msg("%s: %ld problems at allocation %ld", c->name, problems,
                     n);
        }
    }
    if (total > 0) {
        free(before);
        free(want);
        fx_free(f);
        fail_msg("%s: %ld problems", c->name, total);
    }
    print_message("%s: %ld failure points (%ld absorbed), the store "
                  "unchanged after each\n",
                  c->name, n - 1, absorbed);
    free(before);
    free(want);
    fx_free(f);
    return n - 1;
}

/* ---- the write paths ---- */

static void relabel(json_t *pod)
{
    json_t *labels =
        json_object_get(json_object_get(pod, "metadata"), "labels");

    json_object_set_new(labels, "app", json_string("api"));
    json_object_del(labels, "tier");
    json_object_set_new(labels, "added", json_string("yes"));
}

static void set_running(json_t *pod)
{
    json_t *status = json_object_get(pod, "status");

    json_object_set_new(status, "phase", json_string("Running"));
    json_object_set_new(status, "podIP", json_string("10.0.0.7"));
}

static const struct wcase c_create = {
    .name = "create",
    .method = "POST",
    .path = "/api/v1/namespaces/default/pods",
    .body = "{\"metadata\":{\"name\":\"new\",\"labels\":{\"app\":\"web\","
            "\"fresh\":\"yes\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
            "\"image\":\"nginx\"}]}}",
    .ok = 201,
};

static const struct wcase c_update = {
    .name = "update",
    .method = "PUT",
    .path = "/api/v1/namespaces/default/pods/p1",
    .from = "default/p1",
    .edit = relabel,
    .ok = 200,
};

static const struct wcase c_patch_json = {
    .name = "json patch",
    .method = "PATCH",
    .path = "/api/v1/namespaces/default/pods/p1",
    .ctype = "application/json-patch+json",
    .body = "[{\"op\":\"add\",\"path\":\"/metadata/labels/added\","
            "\"value\":\"yes\"},{\"op\":\"replace\",\"path\":"
            "\"/metadata/labels/app\",\"value\":\"api\"},{\"op\":\"remove\","
            "\"path\":\"/metadata/labels/tier\"}]",
    .ok = 200,
};

static const struct wcase c_patch_merge = {
    .name = "merge patch",
    .method = "PATCH",
    .path = "/api/v1/namespaces/default/pods/p1",
    .ctype = "application/merge-patch+json",
    .body = "{\"metadata\":{\"labels\":{\"app\":\"api\",\"tier\":null,"
            "\"added\":\"yes\"}}}",
    .ok = 200,
};

static const struct wcase c_patch_smp = {
    .name = "strategic merge patch",
    .method = "PATCH",
    .path = "/api/v1/namespaces/default/pods/p1",
    .ctype = "application/strategic-merge-patch+json",
    .body = "{\"metadata\":{\"labels\":{\"app\":\"api\",\"tier\":null}},"
            "\"spec\":{\"containers\":[{\"name\":\"main\","
            "\"image\":\"nginx:2\"}]}}",
    .ok = 200,
};

static const struct wcase c_status_patch = {
    .name = "status patch",
    .method = "PATCH",
    .path = "/api/v1/namespaces/default/pods/p1/status",
    .ctype = "application/merge-patch+json",
    .body = "{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":"
            "\"Ready\",\"status\":\"True\"}]}}",
    .ok = 200,
};

static const struct wcase c_status_put = {
    .name = "status update",
    .method = "PUT",
    .path = "/api/v1/namespaces/default/pods/p1/status",
    .from = "default/p1",
    .edit = set_running,
    .ok = 200,
};

static const struct wcase c_delete = {
    .name = "delete (grace 0: MODIFIED then DELETED)",
    .method = "DELETE",
    .path = "/api/v1/namespaces/default/pods/p1",
    .body = "",
    .ok = 200,
};

static const struct wcase c_delete_graceful = {
    .name = "delete with a grace period",
    .method = "DELETE",
    .path = "/api/v1/namespaces/default/pods/p2",
    .body = "",
    .ok = 200,
};

static const struct wcase c_delete_now = {
    .name = "delete gracePeriodSeconds=0 of a bound pod",
    .method = "DELETE",
    .path = "/api/v1/namespaces/default/pods/p2",
    .query = "gracePeriodSeconds=0",
    .body = "",
    .ok = 200,
};

static const struct wcase c_finish_deletion = {
    .name = "patch removing the last finalizer",
    .method = "PATCH",
    .path = "/api/v1/namespaces/default/pods/p3",
    .ctype = "application/merge-patch+json",
    .body = "{\"metadata\":{\"finalizers\":null}}",
    .ok = 200,
};

static const struct wcase c_delete_collection = {
    .name = "deletecollection",
    .method = "DELETE",
    .path = "/api/v1/namespaces/default/pods",
    .query = "labelSelector=app=web",
    .body = "",
    .ok = 200,
};

static const struct wcase c_ns_create = {
    .name = "namespace create",
    .method = "POST",
    .path = "/api/v1/namespaces",
    .body = "{\"metadata\":{\"name\":\"fresh\",\"labels\":{\"a\":\"b\"}}}",
    .ok = 201,
};

static const struct wcase c_ns_delete = {
    .name = "namespace delete",
    .method = "DELETE",
    .path = "/api/v1/namespaces/team",
    .body = "",
    .ok = 200,
};

/* pods seeded into the terminating namespace: the controller's
 * finalization has pods to delete too */
static const struct wcase c_seed_team = {
    .name = "seed into a terminating namespace",
    .kind = K_SEED,
    .body = "[{\"metadata\":{\"name\":\"late1\",\"namespace\":\"team\","
            "\"labels\":{\"app\":\"web\"}}},{\"metadata\":{\"name\":"
            "\"late2\",\"namespace\":\"team\",\"labels\":{\"late\":"
            "\"yes\"}}}]",
    .ok = FAKEAPI_OK,
    .before = &c_ns_delete,
};

static const struct wcase c_ns_finalize = {
    .name = "namespace finalization",
    .kind = K_FINALIZE,
    .body = "",
    .before = &c_seed_team,
};

static const struct wcase c_seed = {
    .name = "seed",
    .kind = K_SEED,
    .body = "{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"s1\","
            "\"namespace\":\"seeded\",\"labels\":{\"app\":\"web\","
            "\"new\":\"1\"}}},{\"metadata\":{\"name\":\"s2\",\"labels\":{"
            "\"app\":\"web\"}}},{\"metadata\":{\"name\":\"p2\",\"labels\":{"
            "\"app\":\"other\"}}}]}",
    .ok = FAKEAPI_OK,
};

#define CHAOS_TEST(fn, c)                                                      \
    static void fn(void **state)                                               \
    {                                                                          \
        (void)state;                                                           \
        assert_true(chaos(&(c)) > 0);                                          \
    }

CHAOS_TEST(test_store_chaos_create_changes_nothing_on_failure, c_create)
CHAOS_TEST(test_store_chaos_update_changes_nothing_on_failure, c_update)
CHAOS_TEST(test_store_chaos_json_patch_changes_nothing_on_failure, c_patch_json)
CHAOS_TEST(test_store_chaos_merge_patch_changes_nothing_on_failure,
           c_patch_merge)
CHAOS_TEST(test_store_chaos_strategic_patch_changes_nothing_on_failure,
           c_patch_smp)
CHAOS_TEST(test_store_chaos_status_patch_changes_nothing_on_failure,
           c_status_patch)
CHAOS_TEST(test_store_chaos_status_update_changes_nothing_on_failure,
           c_status_put)
CHAOS_TEST(test_store_chaos_delete_changes_nothing_on_failure, c_delete)
CHAOS_TEST(test_store_chaos_graceful_delete_changes_nothing_on_failure,
           c_delete_graceful)
CHAOS_TEST(test_store_chaos_forced_delete_changes_nothing_on_failure,
           c_delete_now)
CHAOS_TEST(test_store_chaos_finishing_delete_changes_nothing_on_failure,
           c_finish_deletion)
CHAOS_TEST(test_store_chaos_deletecollection_changes_nothing_on_failure,
           c_delete_collection)
CHAOS_TEST(test_store_chaos_namespace_create_changes_nothing_on_failure,
           c_ns_create)
CHAOS_TEST(test_store_chaos_namespace_delete_changes_nothing_on_failure,
           c_ns_delete)
CHAOS_TEST(test_store_chaos_namespace_finalize_changes_nothing_on_failure,
           c_ns_finalize)
CHAOS_TEST(test_store_chaos_seed_changes_nothing_on_failure, c_seed)

static void *json_malloc(size_t size)
{
    return __wrap_malloc(size);
}

static void json_free(void *p)
{
    __wrap_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_chaos_create_changes_nothing_on_failure),
        cmocka_unit_test(test_store_chaos_update_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_json_patch_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_merge_patch_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_strategic_patch_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_status_patch_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_status_update_changes_nothing_on_failure),
        cmocka_unit_test(test_store_chaos_delete_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_graceful_delete_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_forced_delete_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_finishing_delete_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_deletecollection_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_namespace_create_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_namespace_delete_changes_nothing_on_failure),
        cmocka_unit_test(
            test_store_chaos_namespace_finalize_changes_nothing_on_failure),
        cmocka_unit_test(test_store_chaos_seed_changes_nothing_on_failure),
    };

    /* jansson is a shared library: --wrap does not reach it */
    json_set_alloc_funcs(json_malloc, json_free);
    return cmocka_run_group_tests_name("store_chaos", tests, NULL, NULL);
}
