/*
 * cases: what the conformance cases share.
 *
 * A case is a cmocka test. Its initial state is a struct case_slot (the
 * suite and the test's name); case_setup() turns it into a struct kcase
 * that records what the case creates (pods, watches, faults, parsed
 * JSON), and case_teardown() removes all of it, also after a failure, so
 * the next case starts from an empty namespace.
 *
 * Every check reads the cluster back through the suite's own API access
 * (target.h), never through the implementation under test. Helpers that
 * return pointers return *held* values: valid until the case ends, freed
 * by the teardown, never by the case.
 */
#ifndef KREG_CONFORMANCE_CASES_H
#define KREG_CONFORMANCE_CASES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "impl.h"
#include "target.h"

/* ---- Types -------------------------------------------------------------*/

/* The run: where, what, and the limits every case uses. */
struct suite {
    struct target *t;
    struct impl *im;
    const char *fixtures; /* the fixtures/ directory */
    int event_ms;         /* how long to wait for an expected event */
};

/*
 * A case as listed: its name is its claim. Its level (PROTOCOL.md
 * "Levels"): *required* when @c guards is NULL (what a go-micro peer needs
 * from any implementation to interoperate), else *recommended*: where
 * kreg does better than go-micro's own plugin, @c guards naming the
 * plugin behaviour the case guards against. A recommended failure fails
 * the run only with --strict.
 */
struct case_desc {
    const char *name;
    CMUnitTestFunction fn;
    const char *guards;
};

/* Table entries: CASE(fn) is required, CASE_RECOMMENDED(fn, why) is
 * recommended, @p why naming the plugin behaviour it guards against. */
#define CASE(f)                                                                \
    {                                                                          \
#f, f, NULL                                                            \
    }
#define CASE_RECOMMENDED(f, why)                                               \
    {                                                                          \
#f, f, why                                                             \
    }

/* How a case ended; CASE_FAILED until it returns or skips. */
enum case_outcome {
    CASE_FAILED = 0,
    CASE_PASSED,
    CASE_SKIPPED,
};

/* cmocka's initial state of one test. */
struct case_slot {
    struct suite *s;
    const struct case_desc *desc;
    const char *name;
    unsigned index;
    enum case_outcome outcome;
};

/* One running case. */
struct kcase {
    struct suite *s;
    struct case_slot *slot;
    char prefix[16]; /* pod name prefix, unique per case */
    json_t **json;   /* held JSON values */
    size_t njson;
    char **strs; /* held strings */
    size_t nstrs;
    int *watches; /* started watches */
    size_t nwatches;
    bool faults; /* faults were injected */
    bool pods;   /* pods were (maybe) created */
    bool pods2;  /* ... in the second namespace (t->ns2) too */
};

/* The case tables, one per file (static const arrays). */
size_t cases_register(const struct case_desc **out);
size_t cases_get(const struct case_desc **out);
size_t cases_list(const struct case_desc **out);
size_t cases_watch(const struct case_desc **out);
size_t cases_watch_live(const struct case_desc **out);
size_t cases_errors(const struct case_desc **out);
size_t cases_features(const struct case_desc **out);

/* ---- Life cycle (case.c) -----------------------------------------------*/

int case_setup(void **state);
int case_teardown(void **state);

/* The test function of every case: runs the case's own function and
 * records its outcome in its slot (a failed check never returns). */
void case_run(void **state);

/* The struct kcase behind a test's state. */
struct kcase *case_of(void **state);

/* ---- Checks (case.c) ---------------------------------------------------*/

/* Fail the case unless @p ok; the message says what was expected, and the
 * implementation's log (an adapter's stderr) is appended. */
void case_check(struct kcase *c, bool ok, const char *file, int line,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define CHECK(c, ok, ...) case_check((c), (ok), __FILE__, __LINE__, __VA_ARGS__)

/* Skip the case, saying why on stderr. */
void case_skip(struct kcase *c, const char *why);

/* Skip the case unless the implementation announces @p feature (an
 * IMPL_FEATURE_* bit) in its hello; @p name is the feature's protocol
 * name, for the message. */
void case_need(struct kcase *c, unsigned feature, const char *name);

/* ---- Held values (case.c) ----------------------------------------------*/

json_t *case_hold(struct kcase *c, json_t *v);
char *case_hold_str(struct kcase *c, char *s);

/* printf into a held string. */
char *case_fmt(struct kcase *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse JSON text (fails the case if it does not parse). */
json_t *case_parse(struct kcase *c, const char *what, const char *text);

/* A fixture file under the fixtures directory, e.g. "golden/v2/x.json";
 * NULL if @p required is false and it does not exist. */
const char *case_fixture(struct kcase *c, const char *rel, size_t *len,
                         bool required);

/* ---- Go's bytes (case.c) -----------------------------------------------*/

/* go-micro's serviceName(): bytes outside [-A-Za-z0-9_.] become '_'. */
char *case_enc(struct kcase *c, const char *name);

/* The label and annotation keys of a service name. */
char *case_selector_key(struct kcase *c, const char *name);
char *case_service_key(struct kcase *c, const char *name);

/* @p s as Go's encoding/json writes a string (quotes included). */
char *case_go_string(struct kcase *c, const char *s);

/* A service with one node, as Go writes it (v2 field order). */
char *case_service(struct kcase *c, const char *name, const char *version,
                   const char *node_id);

/* ---- Pods and cluster state (case_cluster.c) ---------------------------*/

/* Create pod <prefix>-<suffix> (labels/annotations: JSON object text or
 * NULL) and set @p phase unless it is NULL or "Pending". */
const char *case_pod_with(struct kcase *c, const char *suffix,
                          const char *phase, const char *labels,
                          const char *annotations);
const char *case_pod(struct kcase *c, const char *suffix, const char *phase);

/* A pod bound to a node that does not exist (see case_terminate_pod). */
const char *case_pod_bound(struct kcase *c, const char *suffix,
                           const char *phase);

/* case_pod() in the second namespace (t->ns2), emptied by the
 * teardown. */
const char *case_pod_in2(struct kcase *c, const char *suffix,
                         const char *phase);

void case_phase(struct kcase *c, const char *pod, const char *phase);

/* Set the pod's Ready condition to @p status ("True", "False"). */
void case_ready(struct kcase *c, const char *pod, const char *status);
void case_delete_pod(struct kcase *c, const char *pod);

/* Delete a bound pod with a grace period: it stays, terminating
 * (metadata.deletionTimestamp set), until the teardown removes it. */
void case_terminate_pod(struct kcase *c, const char *pod);
void case_patch_pod(struct kcase *c, const char *pod, const char *patch);

/* The pod as the API serves it now. */
json_t *case_read_pod(struct kcase *c, const char *pod);

/* metadata.labels / .annotations of a pod read back ({} if none). */
json_t *case_labels(struct kcase *c, const char *pod);
json_t *case_annotations(struct kcase *c, const char *pod);

/* metadata.resourceVersion of a pod read back. */
const char *case_resource_version(struct kcase *c, const char *pod);

/* Check the pod's labels and annotations are exactly @p labels and
 * @p annotations (JSON object text). */
void case_expect_meta(struct kcase *c, const char *pod, const char *labels,
                      const char *annotations);

/* Check the pod's annotation @p key holds exactly one of the @p n byte
 * strings in @p want (Go releases differ in \b and \f). */
void case_expect_annotation(struct kcase *c, const char *pod, const char *key,
                            const char *const *want, size_t n);

/* The go-micro v2 bytes of golden case @p name as a service given as
 * its JSON text re-encoded by Go: want[0] Go < 1.22, want[1] Go >= 1.22. */
void case_golden_bytes(struct kcase *c, const char *name, const char *want[2]);

/* Inject an HTTP @p status for @p method on @p path (a glob); skips the
 * case on a server without fault injection. */
void case_fault(struct kcase *c, const char *method, const char *path,
                int status, unsigned count);

/*
 * Make the server answer 403 to @p method on @p path for the
 * implementation as case_target_forbidden() points it. With
 * --forbidden-context the server's own authorization does: check that
 * it refuses that user (sending @p probe, a merge patch for a PATCH,
 * which it must refuse); else inject a 403 fault for @p count requests.
 */
void case_forbid(struct kcase *c, const char *method, const char *path,
                 const char *probe, unsigned count);

/* ---- The implementation (case_impl.c) ----------------------------------*/

void case_target(struct kcase *c, const char *pod, struct impl_target *it);

/* As case_target(), but as the --forbidden-context user when there is
 * one (the 403 cases; see case_forbid()). */
void case_target_forbidden(struct kcase *c, const char *pod,
                           struct impl_target *it);

/* Raw calls: the impl_rc; IMPL_BROKEN fails the case at once. */
int case_try_register(struct kcase *c, const struct impl_target *it,
                      const char *json, char *msg, size_t msg_size);
int case_try_deregister(struct kcase *c, const struct impl_target *it,
                        const char *json, char *msg, size_t msg_size);
int case_try_get(struct kcase *c, const struct impl_target *it,
                 const char *name, json_t **out, char *msg, size_t msg_size);
int case_try_list(struct kcase *c, const struct impl_target *it, json_t **out,
                  char *msg, size_t msg_size);
int case_try_watch(struct kcase *c, const struct impl_target *it,
                   const char *name, char *msg, size_t msg_size);

/* case_try_get(), case_try_list() and case_try_watch() with query
 * options (NULL: none); the case needs the features they use. */
int case_try_get_q(struct kcase *c, const struct impl_target *it,
                   const char *name, const struct impl_query *q, json_t **out,
                   char *msg, size_t msg_size);
int case_try_list_q(struct kcase *c, const struct impl_target *it,
                    const struct impl_query *q, json_t **out, char *msg,
                    size_t msg_size);
int case_try_watch_q(struct kcase *c, const struct impl_target *it,
                     const char *name, const struct impl_query *q, char *msg,
                     size_t msg_size);

/* Calls that must succeed, acting as pod @p pod. */
void case_register(struct kcase *c, const char *pod, const char *json);

/* case_register() as pod @p pod of the second namespace (t->ns2). */
void case_register_in2(struct kcase *c, const char *pod, const char *json);
void case_deregister(struct kcase *c, const char *pod, const char *json);
json_t *case_get(struct kcase *c, const char *name);
json_t *case_list(struct kcase *c);
int case_watch(struct kcase *c, const char *name);
json_t *case_get_q(struct kcase *c, const char *name,
                   const struct impl_query *q);
json_t *case_list_q(struct kcase *c, const struct impl_query *q);
int case_watch_q(struct kcase *c, const char *name, const struct impl_query *q);

/* Check that @p got (a get answer) holds exactly the services of
 * @p want (JSON array text), one per version, in any version order. */
void case_expect_services(struct kcase *c, const char *what, json_t *got,
                          const char *want);

/* Check that the next event of watch @p id is @p action for @p service
 * (JSON text), within the suite's event timeout. */
void case_expect_event(struct kcase *c, int id, const char *action,
                       const char *service);

/* Check that the next @p n events are @p action for the services in
 * @p services, in any order. */
void case_expect_events(struct kcase *c, int id, const char *action,
                        const char *const *services, size_t n);

#endif
