/*
 * Pod writes next to other requests (issue 13): an update or patch is
 * computed on a snapshot outside the store's lock and committed only if
 * the pod did not move meanwhile (k8s.io/apiserver/pkg/storage/etcd3
 * store.go GuaranteedUpdate). So a slow patch holds up no read, and two
 * writers of one pod never lose an update.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#define PODS "/api/v1/namespaces/default/pods"

static int setup(void **state)
{
    /* four HTTP workers: one works out the slow patch, the others read */
    struct fakeapi_options opt = {0};
    fakeapi *srv = NULL;

    opt.threads = 4;
    if (fakeapi_start(&opt, &srv, NULL) != FAKEAPI_OK)
        return -1;
    *state = srv;
    return 0;
}

static int teardown(void **state)
{
    fakeapi_stop(*state);
    return 0;
}

/* ---- a slow patch and reads of another pod ---- */

/* The slow patch, sent by its own thread. */
struct patcher {
    fakeapi *srv;
    char *body;
    struct http_res res;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool sent; /* the whole body has left the client */
};

static int patch_progress(void *cls, curl_off_t dltotal, curl_off_t dlnow,
                          curl_off_t ultotal, curl_off_t ulnow)
{
    struct patcher *p = cls;

    (void)dltotal;
    (void)dlnow;
    if (ultotal > 0 && ulnow == ultotal) {
        pthread_mutex_lock(&p->mu);
        p->sent = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return 0;
}

static void *patch_main(void *arg)
{
    struct patcher *p = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(
        NULL, "Content-Type: application/strategic-merge-patch+json");
    char url[512];

    snprintf(url, sizeof(url), "%s" PODS "/slow", fakeapi_url(p->srv));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, p->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(p->body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tu_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &p->res);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, patch_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, p);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    p->res.curl = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p->res.status);
    if (p->res.body)
        p->res.json = json_loads(p->res.body, 0, NULL);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    /* a failed upload wakes the waiter too */
    pthread_mutex_lock(&p->mu);
    p->sent = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* A strategic merge patch adding @p n tolerations (an update may add
 * them): about 40 bytes each, and work for the patch engine, the update
 * strategy and validation. New text: free() it. */
static char *tolerations_patch(size_t n)
{
    static const char head[] = "{\"spec\":{\"tolerations\":[";
    size_t cap = sizeof(head) + n * 48 + 8;
    char *text = malloc(cap);
    size_t len = 0;
    size_t i;

    assert_non_null(text);
    len += (size_t)snprintf(text, cap, "%s", head);
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "%s{\"key\":\"k%zu\",\"operator\":"
                                "\"Exists\"}",
                                i ? "," : "", i);
    snprintf(text + len, cap - len, "]}}");
    return text;
}

/* The number of the one request the request log holds. */
static uint64_t first_seq(fakeapi *srv)
{
    char *text = NULL;
    json_t *log;
    uint64_t seq;

    assert_int_equal(fakeapi_request_log(srv, &text), FAKEAPI_OK);
    log = json_loads(text, 0, NULL);
    free(text);
    assert_int_equal(json_array_size(log), 1);
    seq = (uint64_t)json_integer_value(
        json_object_get(json_array_get(log, 0), "seq"));
    json_decref(log);
    return seq;
}

/*
 * Where the reads of another pod stand against the patch, from the
 * request log: the server numbers each request when its handler starts
 * (seq) and logs it when the handler has answered. After a last request
 * numbered @p first - 1, the first number not logged is the patch's (or,
 * for a moment, a GET's still running, numbered before it); a GET logged
 * with a higher number started after the patch's handler and was
 * answered before it. Returns how many such GETs the log holds, -1 once
 * the patch is logged (it has finished), -2 when the log cannot be read.
 * No cmocka assertion: reader threads call it.
 */
static long reads_inside_patch(fakeapi *srv, uint64_t first)
{
    char *text = NULL;
    json_t *log;
    json_t *e;
    size_t i;
    uint64_t gap = first;
    long inside = 0;
    bool moved = true;

    if (fakeapi_request_log(srv, &text) != FAKEAPI_OK)
        return -2;
    log = json_loads(text, 0, NULL);
    free(text);
    if (!log)
        return -2;
    json_array_foreach(log, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "method")), "PATCH") ==
            0) {
            json_decref(log);
            return -1;
        }
    }
    while (moved) {
        moved = false;
        json_array_foreach(log, i, e)
        {
            if ((uint64_t)json_integer_value(json_object_get(e, "seq")) ==
                gap) {
                gap++;
                moved = true;
            }
        }
    }
    json_array_foreach(log, i, e)
    {
        if ((uint64_t)json_integer_value(json_object_get(e, "seq")) > gap)
            inside++;
    }
    json_decref(log);
    return inside;
}

#define READS_INSIDE 100

/* The readers of another pod, two threads. */
struct readers {
    fakeapi *srv;
    uint64_t first;
    pthread_mutex_t mu;
    long inside; /* the most GETs seen answered inside the patch */
    bool done;   /* READS_INSIDE seen, or the patch finished */
    bool failed; /* a GET did not answer 200, or the log was unreadable */
};

static void *reader_main(void *arg)
{
    struct readers *rd = arg;
    bool stop = false;

    while (!stop) {
        struct http_res r;
        long status = http(rd->srv, "GET", PODS "/other", NULL, &r);
        long n;

        http_res_free(&r);
        n = reads_inside_patch(rd->srv, rd->first);
        pthread_mutex_lock(&rd->mu);
        if (status != 200 || n == -2)
            rd->failed = true;
        else if (n == -1)
            rd->done = true;
        else if (n > rd->inside)
            rd->inside = n;
        if (rd->inside >= READS_INSIDE)
            rd->done = true;
        stop = rd->done || rd->failed;
        pthread_mutex_unlock(&rd->mu);
    }
    return NULL;
}

/*
 * Issue 13: a 2.6 MB patch held the write lock for its whole work, and a
 * GET of another pod waited. The patch now works on a snapshot: reads go
 * on meanwhile. Once the patch's body is sent, two threads GET another
 * pod; the request log tells which GETs were answered while the patch's
 * handler ran, and 100 of them must be. The handler's own edges, which
 * never held the lock (the moments before it takes it, and building the
 * 2 MB answer after), let through a few GETs (at most 13 seen), where
 * the patch's work (some 0.4 s, more under ASan) lets through hundreds.
 */
static void
test_pods_slow_patch_does_not_hold_up_reads_of_other_pods(void **state)
{
    fakeapi *srv = *state;
    struct patcher p;
    struct readers rd;
    struct http_res r;
    pthread_t pth;
    pthread_t rth[2];
    size_t i;

    memset(&p, 0, sizeof(p));
    memset(&rd, 0, sizeof(rd));
    assert_int_equal(make_pod(srv, "default", "slow", NULL), 201);
    assert_int_equal(make_pod(srv, "default", "other", NULL), 201);
    p.srv = srv;
    p.body = tolerations_patch(60000);
    assert_true(strlen(p.body) > 2000000);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    /* a marker request: the next number is the patch's or a GET's */
    fakeapi_request_log_clear(srv);
    assert_int_equal(http(srv, "GET", PODS "/other", NULL, &r), 200);
    http_res_free(&r);
    rd.srv = srv;
    rd.first = first_seq(srv) + 1;
    pthread_mutex_init(&rd.mu, NULL);

    assert_int_equal(pthread_create(&pth, NULL, patch_main, &p), 0);
    /* reads start once the body is sent: a GET's connection taken by the
     * worker still reading the body would wait for the patch */
    pthread_mutex_lock(&p.mu);
    while (!p.sent)
        pthread_cond_wait(&p.cv, &p.mu);
    pthread_mutex_unlock(&p.mu);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&rth[i], NULL, reader_main, &rd), 0);
    for (i = 0; i < 2; i++)
        pthread_join(rth[i], NULL);
    pthread_join(pth, NULL);
    assert_false(rd.failed);
    if (rd.inside < READS_INSIDE)
        print_error("the patch finished with %ld reads of another pod "
                    "answered inside it, not %d\n",
                    rd.inside, READS_INSIDE);
    assert_true(rd.inside >= READS_INSIDE);
    assert_int_equal(p.res.status, 200);
    /* and the two tolerations admission gives every pod */
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(p.res.json, "spec"), "tolerations")),
                     60002);
    http_res_free(&p.res);
    free(p.body);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&rd.mu);
}

/* ---- two writers of one pod ---- */

#define ROUNDS 60

struct writer {
    fakeapi *srv;
    unsigned id;
    /* the resourceVersion each successful PUT was computed from */
    char put_from[ROUNDS][24];
    unsigned puts_ok;
    unsigned puts_conflict;
    unsigned patches_ok;
    char unexpected[512]; /* the first answer neither 200 nor 409 */
};

static void writer_note(struct writer *w, const char *what,
                        const struct http_res *r)
{
    if (!w->unexpected[0])
        snprintf(w->unexpected, sizeof(w->unexpected), "%s: %ld %.400s", what,
                 r->status, r->body ? r->body : "");
}

/* GET the pod, count one more in annotation "n", PUT it back with the
 * resourceVersion read: 200, or 409 when the pod moved meanwhile. */
static void writer_put(struct writer *w)
{
    static const char conflict[] =
        "Operation cannot be fulfilled on pods \"shared\": the object has "
        "been modified; please apply your changes to the latest version "
        "and try again";
    struct http_res r;
    json_t *ann;
    char *body;
    char rv[24];
    char n[24];

    if (http(w->srv, "GET", PODS "/shared", NULL, &r) != 200) {
        writer_note(w, "GET", &r);
        http_res_free(&r);
        return;
    }
    snprintf(rv, sizeof(rv), "%s", jstr(r.json, "metadata.resourceVersion"));
    ann = json_object_get(json_object_get(r.json, "metadata"), "annotations");
    snprintf(n, sizeof(n), "%ld",
             strtol(json_string_value(json_object_get(ann, "n")), NULL, 10) +
                 1);
    json_object_set_new(ann, "n", json_string(n));
    body = json_dumps(r.json, JSON_COMPACT);
    http_res_free(&r);
    http(w->srv, "PUT", PODS "/shared", body, &r);
    free(body);
    if (r.status == 200 &&
        strcmp(jstr(r.json, "metadata.annotations.n"), n) == 0)
        snprintf(w->put_from[w->puts_ok++], sizeof(w->put_from[0]), "%s", rv);
    else if (r.status == 409 && strcmp(jstr(r.json, "message"), conflict) == 0)
        w->puts_conflict++;
    else
        writer_note(w, "PUT", &r);
    http_res_free(&r);
}

/* A merge patch without a resourceVersion adding the label
 * w<id>-<round>: it must succeed, whatever else moved the pod. */
static void writer_patch(struct writer *w, unsigned round)
{
    struct http_res r;
    char body[128];

    snprintf(body, sizeof(body),
             "{\"metadata\":{\"labels\":{\"w%u-%u\":\"x\"}}}", w->id, round);
    http_ct(w->srv, "PATCH", PODS "/shared", "application/merge-patch+json",
            body, &r);
    if (r.status == 200)
        w->patches_ok++;
    else
        writer_note(w, "PATCH", &r);
    http_res_free(&r);
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    unsigned i;

    for (i = 0; i < ROUNDS; i++) {
        writer_put(w);
        writer_patch(w, i);
    }
    return NULL;
}

/* A pod of some 100 KB, so that computing a write on it takes a while
 * and the two writers' computations overlap. */
static void make_shared_pod(fakeapi *srv)
{
    static const char head[] =
        "{\"metadata\":{\"name\":\"shared\",\"annotations\":{\"n\":\"0\","
        "\"pad\":\"";
    static const char tail[] = "\"}},\"spec\":{\"containers\":[{\"name\":"
                               "\"c\",\"image\":\"busybox\"}]}}";
    size_t pad = 100000;
    char *body = malloc(sizeof(head) + pad + sizeof(tail));
    struct http_res r;

    assert_non_null(body);
    memcpy(body, head, sizeof(head) - 1);
    memset(body + sizeof(head) - 1, 'x', pad);
    memcpy(body + sizeof(head) - 1 + pad, tail, sizeof(tail));
    assert_int_equal(http(srv, "POST", PODS, body, &r), 201);
    http_res_free(&r);
    free(body);
}

/* Two threads, each ROUNDS times: a read-modify-PUT carrying the
 * resourceVersion it read, then a PATCH without one. A PUT succeeds or
 * answers 409; no two succeed from the same resourceVersion, and the
 * counter they move counts every success. Every PATCH succeeds (the
 * server computes it again when the pod moved) and its label stays. */
static void test_pods_concurrent_writers_lose_no_update(void **state)
{
    fakeapi *srv = *state;
    struct writer w[2];
    pthread_t th[2];
    struct http_res r;
    json_t *labels;
    unsigned i;
    unsigned j;
    unsigned k;
    char key[32];

    make_shared_pod(srv);
    memset(w, 0, sizeof(w));
    for (i = 0; i < 2; i++) {
        w[i].srv = srv;
        w[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
    }
    for (i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (i = 0; i < 2; i++) {
        if (w[i].unexpected[0])
            print_error("writer %u: %s\n", i, w[i].unexpected);
        assert_string_equal(w[i].unexpected, "");
        assert_int_equal(w[i].puts_ok + w[i].puts_conflict, ROUNDS);
        assert_int_equal(w[i].patches_ok, ROUNDS);
    }
    /* no resourceVersion gave two successful PUTs */
    for (j = 0; j < w[0].puts_ok; j++)
        for (k = 0; k < w[1].puts_ok; k++)
            assert_string_not_equal(w[0].put_from[j], w[1].put_from[k]);

    assert_int_equal(http(srv, "GET", PODS "/shared", NULL, &r), 200);
    assert_int_equal(strtol(jstr(r.json, "metadata.annotations.n"), NULL, 10),
                     w[0].puts_ok + w[1].puts_ok);
    labels = json_object_get(json_object_get(r.json, "metadata"), "labels");
    for (i = 0; i < 2; i++) {
        for (j = 0; j < ROUNDS; j++) {
            snprintf(key, sizeof(key), "w%u-%u", i, j);
            if (!json_object_get(labels, key))
                print_error("label %s lost\n", key);
            assert_non_null(json_object_get(labels, key));
        }
    }
    http_res_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_pods_slow_patch_does_not_hold_up_reads_of_other_pods),
        T(test_pods_concurrent_writers_lose_no_update),
#undef T
    };
    return cmocka_run_group_tests_name("pods_concurrency", tests, NULL, NULL);
}
