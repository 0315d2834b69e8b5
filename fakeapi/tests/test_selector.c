/*
 * test_selector: label and pod field selectors (fakeapi/src/selector.c),
 * checked against the k8s 1.32 behaviour in docs/kubernetes-api.md, Label
 * selectors and Field selectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "select/selector.h"

#define LABEL_VALUE_RULE                                                       \
    "a valid label must be an empty string or consist of alphanumeric "        \
    "characters, '-', '_' or '.', and must start and end with an "             \
    "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "    \
    "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?"             \
    "[A-Za-z0-9])?')"
#define NAME_PART_RULE                                                         \
    "name part must consist of alphanumeric characters, '-', '_' or '.', "     \
    "and must start and end with an alphanumeric character (e.g. 'MyName',  "  \
    "or 'my.name',  or '123-abc', regex used for validation is "               \
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define REQ "unable to parse requirement: "

/* ---- helpers ---- */

static json_t *load(const char *json)
{
    json_t *v;

    if (!json)
        return NULL;
    v = json_loads(json, JSON_ALLOW_NUL, NULL);
    assert_non_null(v);
    return v;
}

/* Check a parser's Status: 400 BadRequest, @p msg, and no details. */
static void check_status(json_t *st, const char *msg)
{
    assert_non_null(st);
    assert_string_equal(json_string_value(json_object_get(st, "kind")),
                        "Status");
    assert_string_equal(json_string_value(json_object_get(st, "status")),
                        "Failure");
    assert_string_equal(json_string_value(json_object_get(st, "reason")),
                        "BadRequest");
    assert_int_equal(json_integer_value(json_object_get(st, "code")), 400);
    assert_null(json_object_get(st, "details"));
    assert_string_equal(json_string_value(json_object_get(st, "message")), msg);
}

static void lsel_error(const char *text, const char *msg)
{
    struct fakeapi_lsel *s = NULL;
    json_t *st = NULL;

    assert_int_equal(fakeapi__lsel_parse(text, &s, &st), FAKEAPI_E_INVALID);
    assert_null(s);
    check_status(st, msg);
    json_decref(st);
}

static void fsel_error(const char *text, const char *msg)
{
    struct fakeapi_fsel *s = NULL;
    json_t *st = NULL;

    assert_int_equal(fakeapi__fsel_parse(text, &s, &st), FAKEAPI_E_INVALID);
    assert_null(s);
    check_status(st, msg);
    json_decref(st);
}

static struct fakeapi_lsel *lsel(const char *text)
{
    struct fakeapi_lsel *s = NULL;
    json_t *st = NULL;

    assert_int_equal(fakeapi__lsel_parse(text, &s, &st), FAKEAPI_OK);
    assert_null(st);
    assert_non_null(s);
    return s;
}

/* Does selector @p text match the label object @p labels (JSON or NULL)? */
static bool lmatch(const char *text, const char *labels)
{
    struct fakeapi_lsel *s = lsel(text);
    json_t *l = load(labels);
    bool m = fakeapi__lsel_matches(s, l);

    json_decref(l);
    fakeapi__lsel_free(s);
    return m;
}

/* Check requirement @p i: operator, key and values (NULL-terminated). */
static void check_req(const struct fakeapi_lsel *s, size_t i, int op,
                      const char *key, const char *const *want)
{
    const char *const *values = NULL;
    const char *k = NULL;
    size_t n = 0;
    size_t j;
    int o = 0;

    assert_true(fakeapi__lsel_req(s, i, &o, &k, &n, &values));
    assert_int_equal(o, op);
    assert_string_equal(k, key);
    for (j = 0; want[j]; j++) {
        assert_true(j < n);
        assert_string_equal(values[j], want[j]);
    }
    assert_int_equal(j, n);
}

static struct fakeapi_fsel *fsel(const char *text)
{
    struct fakeapi_fsel *s = NULL;
    json_t *st = NULL;

    assert_int_equal(fakeapi__fsel_parse(text, &s, &st), FAKEAPI_OK);
    assert_null(st);
    assert_non_null(s);
    return s;
}

/* Does field selector @p text match the Pod @p pod (JSON)? */
static bool fmatch(const char *text, const char *pod)
{
    struct fakeapi_fsel *s = fsel(text);
    json_t *p = load(pod);
    bool m = fakeapi__fsel_matches(s, p);

    json_decref(p);
    fakeapi__fsel_free(s);
    return m;
}

static const char pod_running[] =
    "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"prod\","
    "\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"nodeName\":\"node-a\",\"restartPolicy\":\"Always\","
    "\"schedulerName\":\"default-scheduler\","
    "\"serviceAccountName\":\"builder\",\"hostNetwork\":true},"
    "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.7\","
    "\"podIPs\":[{\"ip\":\"10.0.0.7\"},{\"ip\":\"fd00::7\"}],"
    "\"nominatedNodeName\":\"node-b\"}}";

static const char pod_pending[] =
    "{\"metadata\":{\"name\":\"a,b=c\\\\d\",\"namespace\":\"default\"},"
    "\"spec\":{\"containers\":[]},\"status\":{\"phase\":\"Pending\"}}";

/* ---- label selectors: matching ---- */

static void test_selector_empty_text_matches_everything(void **state)
{
    struct fakeapi_lsel *s = lsel(NULL);

    (void)state;
    assert_true(fakeapi__lsel_is_empty(s));
    assert_int_equal(fakeapi__lsel_count(s), 0);
    assert_true(fakeapi__lsel_matches(s, NULL));
    fakeapi__lsel_free(s);
    assert_true(lmatch("", "{\"a\":\"b\"}"));
    assert_true(lmatch(" \t\r\n", NULL));
    assert_true(fakeapi__lsel_matches(NULL, NULL));
    assert_true(fakeapi__lsel_is_empty(NULL));
}

static void test_selector_equals_matches_only_that_value(void **state)
{
    (void)state;
    assert_true(lmatch("app=web", "{\"app\":\"web\"}"));
    assert_true(lmatch("app==web", "{\"app\":\"web\",\"x\":\"y\"}"));
    assert_false(lmatch("app=web", "{\"app\":\"db\"}"));
    assert_false(lmatch("app=web", "{}"));
    assert_false(lmatch("app=web", NULL));
}

static void test_selector_equals_empty_value_matches_only_empty(void **state)
{
    (void)state;
    assert_true(lmatch("k=", "{\"k\":\"\"}"));
    assert_true(lmatch("k==,j", "{\"k\":\"\",\"j\":\"1\"}"));
    assert_false(lmatch("k=", "{\"k\":\"x\"}"));
    assert_false(lmatch("k=", "{}"));
}

static void test_selector_not_equals_matches_pod_without_key(void **state)
{
    (void)state;
    assert_true(lmatch("app!=web", NULL));
    assert_true(lmatch("app!=web", "{\"tier\":\"x\"}"));
    assert_true(lmatch("app!=web", "{\"app\":\"db\"}"));
    assert_false(lmatch("app!=web", "{\"app\":\"web\"}"));
}

static void test_selector_in_matches_listed_values(void **state)
{
    (void)state;
    assert_true(lmatch("env in (prod,dev)", "{\"env\":\"dev\"}"));
    assert_true(lmatch("env in (prod)", "{\"env\":\"prod\"}"));
    assert_false(lmatch("env in (prod,dev)", "{\"env\":\"qa\"}"));
    assert_false(lmatch("env in (prod,dev)", "{}"));
}

static void test_selector_notin_matches_pod_without_key(void **state)
{
    (void)state;
    assert_true(lmatch("env notin (prod,dev)", NULL));
    assert_true(lmatch("env notin (prod,dev)", "{\"env\":\"qa\"}"));
    assert_false(lmatch("env notin (prod,dev)", "{\"env\":\"prod\"}"));
}

static void test_selector_exists_needs_key_and_bang_needs_absence(void **state)
{
    (void)state;
    assert_true(lmatch("app", "{\"app\":\"\"}"));
    assert_false(lmatch("app", "{\"apps\":\"x\"}"));
    assert_true(lmatch("!app", "{\"apps\":\"x\"}"));
    assert_false(lmatch("!app", "{\"app\":\"x\"}"));
    assert_true(lmatch("a,!b", "{\"a\":\"1\"}"));
}

static void test_selector_gt_lt_compare_as_int64(void **state)
{
    (void)state;
    assert_true(lmatch("n>5", "{\"n\":\"6\"}"));
    assert_false(lmatch("n>5", "{\"n\":\"5\"}"));
    assert_true(lmatch("n<5", "{\"n\":\"-3\"}"));
    assert_false(lmatch("n<5", "{\"n\":\"5\"}"));
    assert_true(lmatch("n>5", "{\"n\":\"007\"}"));
    assert_true(lmatch("n>5", "{\"n\":\"+7\"}"));
    assert_false(lmatch("n<5", "{\"n\":\"abc\"}"));
    assert_false(lmatch("n>5", "{\"n\":\"9223372036854775808\"}"));
    assert_true(lmatch("n<9223372036854775807", "{\"n\":\"1\"}"));
    assert_false(lmatch("n>5", NULL));
    assert_false(lmatch("n<5", "{}"));
}

static void test_selector_repeated_key_is_anded(void **state)
{
    static const char *const one[] = {"1", NULL};
    static const char *const two[] = {"2", NULL};
    struct fakeapi_lsel *s = lsel("a=2,a=1");

    (void)state;
    assert_int_equal(fakeapi__lsel_count(s), 2);
    check_req(s, 0, FAKEAPI_LSEL_EQ, "a", two);
    check_req(s, 1, FAKEAPI_LSEL_EQ, "a", one);
    fakeapi__lsel_free(s);
    assert_false(lmatch("a=1,a=2", "{\"a\":\"1\"}"));
    assert_true(lmatch("a,a!=2,a in (1,3)", "{\"a\":\"1\"}"));
}

static void test_selector_non_string_label_counts_as_absent(void **state)
{
    (void)state;
    assert_false(lmatch("a", "{\"a\":1}"));
    assert_true(lmatch("!a", "{\"a\":null}"));
    assert_true(lmatch("a!=1", "[\"a\"]"));
}

static void test_selector_label_with_nul_never_equals(void **state)
{
    (void)state;
    assert_false(lmatch("a=b", "{\"a\":\"b\\u0000c\"}"));
    assert_true(lmatch("a!=b", "{\"a\":\"b\\u0000c\"}"));
}

/* ---- label selectors: parsing ---- */

static void test_selector_requirements_sorted_by_key(void **state)
{
    static const char *const none[] = {NULL};
    static const char *const v1[] = {"1", NULL};
    struct fakeapi_lsel *s = lsel("zeta=1,!beta,alpha,Alpha=1");

    (void)state;
    assert_int_equal(fakeapi__lsel_count(s), 4);
    check_req(s, 0, FAKEAPI_LSEL_EQ, "Alpha", v1);
    check_req(s, 1, FAKEAPI_LSEL_EXISTS, "alpha", none);
    check_req(s, 2, FAKEAPI_LSEL_NOT_EXISTS, "beta", none);
    check_req(s, 3, FAKEAPI_LSEL_EQ, "zeta", v1);
    fakeapi__lsel_free(s);
}

static void test_selector_accessor_reports_each_operator(void **state)
{
    static const char *const ab[] = {"a", "b", NULL};
    static const char *const v[] = {"v", NULL};
    static const char *const n3[] = {"3", NULL};
    static const char *const none[] = {NULL};
    struct fakeapi_lsel *s =
        lsel("a=v,b!=v,c in (b,a),d notin (a,b),e,!f,g>3,h<3");
    const char *const *values;
    const char *key;
    size_t n;
    int op;

    (void)state;
    assert_false(fakeapi__lsel_is_empty(s));
    check_req(s, 0, FAKEAPI_LSEL_EQ, "a", v);
    check_req(s, 1, FAKEAPI_LSEL_NEQ, "b", v);
    check_req(s, 2, FAKEAPI_LSEL_IN, "c", ab);
    check_req(s, 3, FAKEAPI_LSEL_NOTIN, "d", ab);
    check_req(s, 4, FAKEAPI_LSEL_EXISTS, "e", none);
    check_req(s, 5, FAKEAPI_LSEL_NOT_EXISTS, "f", none);
    check_req(s, 6, FAKEAPI_LSEL_GT, "g", n3);
    check_req(s, 7, FAKEAPI_LSEL_LT, "h", n3);
    assert_false(fakeapi__lsel_req(s, 8, &op, &key, &n, &values));
    assert_false(fakeapi__lsel_req(NULL, 0, &op, &key, &n, &values));
    fakeapi__lsel_free(s);
}

static void test_selector_empty_parens_add_empty_string(void **state)
{
    static const char *const empty[] = {"", NULL};
    static const char *const ea[] = {"", "a", NULL};
    static const char *const eab[] = {"", "a", "b", NULL};
    struct fakeapi_lsel *s = lsel("a in (),b notin (,),c in (b,,a,a)");

    (void)state;
    check_req(s, 0, FAKEAPI_LSEL_IN, "a", empty);
    check_req(s, 1, FAKEAPI_LSEL_NOTIN, "b", empty);
    check_req(s, 2, FAKEAPI_LSEL_IN, "c", eab);
    fakeapi__lsel_free(s);
    s = lsel("a in (a,),b in (,a)");
    check_req(s, 0, FAKEAPI_LSEL_IN, "a", ea);
    check_req(s, 1, FAKEAPI_LSEL_IN, "b", ea);
    fakeapi__lsel_free(s);
    assert_true(lmatch("x in ()", "{\"x\":\"\"}"));
    assert_false(lmatch("x in ()", "{}"));
}

static void test_selector_in_keyword_is_a_value_inside_parens(void **state)
{
    static const char *const in[] = {"in", NULL};
    static const char *const notin[] = {"notin", NULL};
    static const char *const none[] = {NULL};
    struct fakeapi_lsel *s = lsel("x in (in),y notin (notin),in=in,notin");

    (void)state;
    check_req(s, 0, FAKEAPI_LSEL_EQ, "in", in);
    check_req(s, 1, FAKEAPI_LSEL_EXISTS, "notin", none);
    check_req(s, 2, FAKEAPI_LSEL_IN, "x", in);
    check_req(s, 3, FAKEAPI_LSEL_NOTIN, "y", notin);
    fakeapi__lsel_free(s);
    lsel_error("a in in (b)", REQ "found 'in' expected: '('");
}

static void test_selector_whitespace_separates_tokens(void **state)
{
    static const char *const ab[] = {"a", "b", NULL};
    static const char *const v[] = {"v", NULL};
    struct fakeapi_lsel *s = lsel("  env\tin\n( a ,\rb )  ,  k = v ");

    (void)state;
    check_req(s, 0, FAKEAPI_LSEL_IN, "env", ab);
    check_req(s, 1, FAKEAPI_LSEL_EQ, "k", v);
    fakeapi__lsel_free(s);
    s = lsel("k!=v,j==v");
    check_req(s, 0, FAKEAPI_LSEL_EQ, "j", v);
    check_req(s, 1, FAKEAPI_LSEL_NEQ, "k", v);
    fakeapi__lsel_free(s);
}

static void test_selector_upper_case_key_name_is_allowed(void **state)
{
    (void)state;
    assert_true(lmatch("App=Web", "{\"App\":\"Web\"}"));
    assert_false(lmatch("App=Web", "{\"app\":\"Web\"}"));
    assert_true(lmatch("example.com/Tier", "{\"example.com/Tier\":\"1\"}"));
}

static void test_selector_key_prefix_must_be_lower_case_subdomain(void **state)
{
    (void)state;
    assert_true(lmatch("app.kubernetes.io/name=x",
                       "{\"app.kubernetes.io/name\":\"x\"}"));
    lsel_error("Example.com/app=x",
               REQ "<nil>: Invalid value: \"Example.com/app\": prefix part "
                   "a lowercase RFC 1123 subdomain must consist of lower case "
                   "alphanumeric characters, '-' or '.', and must start and "
                   "end with an alphanumeric character (e.g. 'example.com', "
                   "regex used for validation is '[a-z0-9]([-a-z0-9]*"
                   "[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    lsel_error("/app", REQ "<nil>: Invalid value: \"/app\": prefix part must "
                           "be non-empty");
    lsel_error("app/", REQ "<nil>: Invalid value: \"app/\": name part must "
                           "be non-empty; " NAME_PART_RULE);
    lsel_error("a/b/c",
               REQ "<nil>: Invalid value: \"a/b/c\": a valid label key must "
                   "consist of alphanumeric characters, '-', '_' or '.', and "
                   "must start and end with an alphanumeric character (e.g. "
                   "'MyName',  or 'my.name',  or '123-abc', regex used for "
                   "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "
                   "with an optional DNS subdomain prefix and '/' (e.g. "
                   "'example.com/MyName')");
}

static void test_selector_long_names_are_limited(void **state)
{
    char text[400];
    char msg[600];

    (void)state;
    memset(text, 'k', 63);
    memcpy(text + 63, "=v", 3);
    assert_false(lmatch(text, NULL));
    memset(text, 'k', 64);
    memcpy(text + 64, "=v", 3);
    snprintf(msg, sizeof(msg),
             REQ "<nil>: Invalid value: \"%.64s\": name part must be no more "
                 "than 63 bytes",
             text);
    lsel_error(text, msg);
    memset(text, 'p', 254);
    memcpy(text + 254, "/k", 3);
    snprintf(msg, sizeof(msg),
             REQ "<nil>: Invalid value: \"%s\": prefix part must be no more "
                 "than 253 bytes",
             text);
    lsel_error(text, msg);
    memcpy(text, "k=", 2);
    memset(text + 2, 'v', 64);
    text[66] = '\0';
    snprintf(msg, sizeof(msg),
             REQ "values[0][k]: Invalid value: \"%s\": must be no more than 63 "
                 "bytes",
             text + 2);
    lsel_error(text, msg);
}

/* ---- label selectors: errors ---- */

static void test_selector_error_messages_match_k8s_table(void **state)
{
    (void)state;
    lsel_error("app=a b", "found 'b', expected: ',' or 'end of string'");
    lsel_error("app in prod", REQ "found 'prod' expected: '('");
    lsel_error("app=b,", "found '', expected: identifier after ','");
    lsel_error(",app", "found ',', expected: !, identifier, or 'end of "
                       "string'");
    lsel_error("a!b", REQ "found '!', expected: in, notin, =, ==, !=, gt, lt");
    lsel_error("-app=x", REQ "<nil>: Invalid value: \"-app\": " NAME_PART_RULE);
    lsel_error("app=-x",
               REQ "values[0][app]: Invalid value: \"-x\": " LABEL_VALUE_RULE);
}

static void test_selector_syntax_errors_name_the_offending_token(void **state)
{
    (void)state;
    lsel_error("!", REQ "found '', expected: identifier");
    lsel_error("!!a", REQ "found '!', expected: identifier");
    lsel_error("!a=b", "found '=', expected: ',' or 'end of string'");
    lsel_error("a<=5", REQ "found '=', expected: identifier");
    lsel_error("a=(b)", REQ "found '(', expected: identifier");
    lsel_error("a in (a b)", REQ "found 'b', expected: ',' or ')'");
    lsel_error("a in (a,=)", REQ "found '=', expected: ',', or identifier");
    lsel_error("a in (", REQ "found '', expected: ',', ')' or identifier");
    lsel_error("a in (b) c", "found 'c', expected: ',' or 'end of string'");
    lsel_error("a,,b", "found ',', expected: identifier after ','");
    lsel_error("a b", REQ "found 'b', expected: in, notin, =, ==, !=, gt, lt");
    lsel_error(")", "found ')', expected: !, identifier, or 'end of string'");
}

static void test_selector_gt_rejects_non_integer(void **state)
{
    (void)state;
    lsel_error("a>x", REQ "values[0]: Invalid value: \"x\": for 'Gt', 'Lt' "
                          "operators, the value must be an integer");
    lsel_error("a<", REQ "values[0]: Invalid value: \"\": for 'Gt', 'Lt' "
                         "operators, the value must be an integer");
    lsel_error("a>1.5", REQ "values[0]: Invalid value: \"1.5\": for 'Gt', "
                            "'Lt' operators, the value must be an integer");
    lsel_error("a<9223372036854775808",
               REQ "values[0]: Invalid value: \"9223372036854775808\": for "
                   "'Gt', 'Lt' operators, the value must be an integer");
}

static void test_selector_gt_negative_number_is_a_bad_label_value(void **state)
{
    (void)state;
    lsel_error("a>-1",
               REQ "values[0][a]: Invalid value: \"-1\": " LABEL_VALUE_RULE);
    lsel_error("a>-x", REQ
               "[values[0]: Invalid value: \"-x\": for 'Gt', "
               "'Lt' operators, the value must be an integer, "
               "values[0][a]: Invalid value: \"-x\": " LABEL_VALUE_RULE "]");
}

static void test_selector_bad_values_are_reported_in_sorted_order(void **state)
{
    (void)state;
    lsel_error("x in (ok,-b,-a)", REQ
               "[values[0][x]: Invalid value: \"-a\": " LABEL_VALUE_RULE
               ", values[1][x]: Invalid value: \"-b\": " LABEL_VALUE_RULE "]");
}

static void test_selector_quotes_values_like_go(void **state)
{
    (void)state;
    lsel_error("k\x01"
               "ey=v",
               REQ "<nil>: Invalid value: \"k\\x01ey\": " NAME_PART_RULE);
    lsel_error(
        "k=a\\\"\x7f", REQ
        "values[0][k]: Invalid value: \"a\\\\\\\"\\x7f\": " LABEL_VALUE_RULE);
    lsel_error("k=\xff\xc3\xa9\xc2\xa0\x0b",
               REQ "values[0][k]: Invalid value: "
                   "\"\\xff\xc3\xa9\\u00a0\\v\": " LABEL_VALUE_RULE);
}

static void test_selector_invalid_utf8_becomes_replacement(void **state)
{
    (void)state;
    lsel_error("a=b \xff",
               "found '\xef\xbf\xbd', expected: ',' or 'end of string'");
}

static void test_selector_rejects_text_over_64k(void **state)
{
    char *text = malloc(FAKEAPI_SELECTOR_MAX + 2);
    struct fakeapi_lsel *s;
    size_t i;

    (void)state;
    assert_non_null(text);
    for (i = 0; i < FAKEAPI_SELECTOR_MAX; i++)
        text[i] = i % 2 ? ',' : 'a';
    text[FAKEAPI_SELECTOR_MAX - 1] = ' ';
    text[FAKEAPI_SELECTOR_MAX] = '\0';
    s = lsel(text);
    assert_int_equal(fakeapi__lsel_count(s), FAKEAPI_SELECTOR_MAX / 2);
    fakeapi__lsel_free(s);
    text[FAKEAPI_SELECTOR_MAX] = 'a';
    text[FAKEAPI_SELECTOR_MAX + 1] = '\0';
    lsel_error(text, "label selector is too long: may not be more than "
                     "65536 bytes");
    free(text);
}

static void test_selector_status_is_optional(void **state)
{
    struct fakeapi_lsel *l = NULL;
    struct fakeapi_fsel *f = NULL;

    (void)state;
    assert_int_equal(fakeapi__lsel_parse("a b", &l, NULL), FAKEAPI_E_INVALID);
    assert_null(l);
    assert_int_equal(fakeapi__fsel_parse("x", &f, NULL), FAKEAPI_E_INVALID);
    assert_null(f);
}

/* ---- field selectors: matching ---- */

static void test_selector_field_empty_matches_everything(void **state)
{
    struct fakeapi_fsel *s = fsel(",,");

    (void)state;
    assert_true(fakeapi__fsel_is_empty(s));
    fakeapi__fsel_free(s);
    s = fsel("status.podIPs=");
    assert_false(fakeapi__fsel_is_empty(s));
    fakeapi__fsel_free(s);
    assert_true(fakeapi__fsel_is_empty(NULL));
    assert_true(fmatch(NULL, pod_running));
    assert_true(fmatch("", pod_running));
    assert_true(fmatch(",,", pod_pending));
    assert_true(fakeapi__fsel_matches(NULL, NULL));
}

static void
test_selector_field_equals_and_double_equals_are_the_same(void **state)
{
    (void)state;
    assert_true(fmatch("metadata.name=web-1", pod_running));
    assert_true(fmatch("metadata.name==web-1", pod_running));
    assert_false(fmatch("metadata.name=web-2", pod_running));
    assert_true(
        fmatch("metadata.namespace=prod,status.phase=Running", pod_running));
    assert_false(
        fmatch("metadata.namespace=prod,status.phase=Pending", pod_running));
}

static void test_selector_field_not_equals_excludes_the_value(void **state)
{
    (void)state;
    assert_true(fmatch("status.phase!=Pending", pod_running));
    assert_false(fmatch("status.phase!=Running", pod_running));
    assert_true(fmatch("spec.nodeName!=node-a", pod_pending));
}

static void test_selector_field_missing_field_compares_as_empty(void **state)
{
    (void)state;
    assert_true(fmatch("spec.nodeName=", pod_pending));
    assert_false(fmatch("spec.nodeName=", pod_running));
    assert_true(fmatch("status.podIP=,spec.restartPolicy=", pod_pending));
    assert_true(fmatch("status.nominatedNodeName!=x", "{}"));
}

static void test_selector_field_supports_every_pod_field(void **state)
{
    (void)state;
    assert_true(fmatch("metadata.name=web-1,metadata.namespace=prod,"
                       "spec.nodeName=node-a,spec.restartPolicy=Always,"
                       "spec.schedulerName=default-scheduler,"
                       "spec.serviceAccountName=builder,"
                       "spec.hostNetwork=true,status.phase=Running,"
                       "status.podIP=10.0.0.7,"
                       "status.nominatedNodeName=node-b",
                       pod_running));
}

static void test_selector_field_host_is_an_alias_of_node_name(void **state)
{
    struct fakeapi_fsel *s = fsel("spec.host=node-a");

    (void)state;
    assert_string_equal(fakeapi__fsel_exact(s, "spec.nodeName"), "node-a");
    fakeapi__fsel_free(s);
    assert_true(fmatch("spec.host=node-a", pod_running));
    assert_true(fmatch("spec.host=", pod_pending));
}

static void test_selector_field_host_network_defaults_to_false(void **state)
{
    (void)state;
    assert_true(fmatch("spec.hostNetwork=true", pod_running));
    assert_true(fmatch("spec.hostNetwork=false", pod_pending));
    assert_false(fmatch("spec.hostNetwork=", pod_pending));
    assert_true(
        fmatch("spec.hostNetwork=false", "{\"spec\":{\"hostNetwork\":false}}"));
    assert_true(fmatch("spec.hostNetwork=false",
                       "{\"spec\":{\"hostNetwork\":\"true\"}}"));
}

static void test_selector_field_pod_ip_prefers_pod_ip(void **state)
{
    (void)state;
    assert_true(fmatch("status.podIP=10.0.0.7", pod_running));
    assert_false(fmatch("status.podIP=fd00::7", pod_running));
    /* Only podIPs: the first entry. */
    assert_true(fmatch("status.podIP=10.1.1.1",
                       "{\"status\":{\"podIPs\":[{\"ip\":\"10.1.1.1\"},"
                       "{\"ip\":\"::1\"}]}}"));
    /* Only podIP. */
    assert_true(fmatch("status.podIP=10.2.2.2",
                       "{\"status\":{\"podIP\":\"10.2.2.2\"}}"));
    /* Both, disagreeing: the singular field wins in the conversion. */
    assert_true(fmatch("status.podIP=10.3.3.3",
                       "{\"status\":{\"podIP\":\"10.3.3.3\","
                       "\"podIPs\":[{\"ip\":\"10.4.4.4\"}]}}"));
    assert_true(fmatch("status.podIP=", "{\"status\":{\"podIPs\":[]}}"));
}

static void test_selector_field_pod_ips_compares_as_empty(void **state)
{
    (void)state;
    assert_true(fmatch("status.podIPs=", pod_running));
    assert_false(fmatch("status.podIPs=10.0.0.7", pod_running));
    assert_true(fmatch("status.podIPs!=10.0.0.7", pod_running));
    assert_false(fmatch("status.podIPs!=", pod_running));
}

static void test_selector_field_service_account_falls_back(void **state)
{
    (void)state;
    assert_true(fmatch("spec.serviceAccountName=old",
                       "{\"spec\":{\"serviceAccount\":\"old\"}}"));
    assert_true(fmatch("spec.serviceAccountName=new",
                       "{\"spec\":{\"serviceAccount\":\"old\","
                       "\"serviceAccountName\":\"new\"}}"));
}

static void test_selector_field_escapes_are_unescaped(void **state)
{
    (void)state;
    assert_true(fmatch("metadata.name=a\\,b\\=c\\\\d", pod_pending));
    assert_true(fmatch("metadata.name!=a\\,b", pod_pending));
    assert_false(fmatch("metadata.name=a\\,b\\=c\\\\d", pod_running));
    assert_true(fmatch("metadata.name=a\\,b\\=c\\\\d,metadata.namespace="
                       "default",
                       pod_pending));
}

static void test_selector_field_splits_at_first_operator(void **state)
{
    struct fakeapi_fsel *s = fsel("metadata.name==x");

    (void)state;
    assert_string_equal(fakeapi__fsel_exact(s, "metadata.name"), "x");
    fakeapi__fsel_free(s);
    fsel_error("a!b=c", "field label not supported: a!b");
    fsel_error("metadata.name=!=x",
               "invalid field selector: unescaped character in value: 61");
    fsel_error("metadata.name!==x",
               "invalid field selector: unescaped character in value: 61");
}

static void test_selector_field_exact_returns_first_equality(void **state)
{
    struct fakeapi_fsel *s =
        fsel("metadata.namespace=ns,metadata.name=b,metadata.name=a");

    (void)state;
    assert_string_equal(fakeapi__fsel_exact(s, "metadata.name"), "a");
    assert_string_equal(fakeapi__fsel_exact(s, "metadata.namespace"), "ns");
    assert_null(fakeapi__fsel_exact(s, "spec.nodeName"));
    assert_null(fakeapi__fsel_exact(s, "no.such.field"));
    assert_null(fakeapi__fsel_exact(NULL, "metadata.name"));
    fakeapi__fsel_free(s);
    s = fsel("metadata.name!=a");
    assert_null(fakeapi__fsel_exact(s, "metadata.name"));
    fakeapi__fsel_free(s);
    s = fsel("metadata.name=a\\,b");
    assert_string_equal(fakeapi__fsel_exact(s, "metadata.name"), "a,b");
    fakeapi__fsel_free(s);
}

/* ---- field selectors: errors ---- */

static void test_selector_field_errors_match_k8s(void **state)
{
    (void)state;
    fsel_error("metadata.name", "invalid selector: 'metadata.name'; can't "
                                "understand 'metadata.name'");
    fsel_error("spec.foo=bar", "field label not supported: spec.foo");
    fsel_error("metadata.name=a\\n",
               "invalid field selector: invalid escape sequence: \\n");
    fsel_error("metadata.name=a\\",
               "invalid field selector: invalid escape sequence: \\");
    fsel_error("metadata.name==a=b",
               "invalid field selector: unescaped character in value: 61");
}

static void test_selector_field_does_not_trim_whitespace(void **state)
{
    (void)state;
    fsel_error("status.phase = Running",
               "field label not supported: status.phase ");
    fsel_error(" metadata.name=x", "field label not supported:  "
                                   "metadata.name");
    assert_false(fmatch("status.phase= Running", pod_running));
}

static void test_selector_field_errors_follow_sorted_terms(void **state)
{
    (void)state;
    fsel_error("z=1,b", "invalid selector: 'z=1,b'; can't understand 'b'");
    fsel_error("x=1,y", "invalid selector: 'x=1,y'; can't understand 'y'");
    fsel_error("zz=1,metadata.name=x,aa=1", "field label not supported: aa");
    fsel_error("metadata.name=\\q,metadata.name=a=b",
               "invalid field selector: invalid escape sequence: \\q");
}

static void test_selector_field_invalid_utf8_is_replaced(void **state)
{
    (void)state;
    fsel_error("metadata.name=\\\xff",
               "invalid field selector: invalid escape sequence: "
               "\\\xef\xbf\xbd");
    fsel_error("\xff=1", "field label not supported: \xef\xbf\xbd");
    assert_true(fmatch("metadata.name=\xc3\xa9\\,",
                       "{\"metadata\":{\"name\":\"\xc3\xa9,\"}}"));
}

static void test_selector_field_rejects_text_over_64k(void **state)
{
    char *text = malloc(FAKEAPI_SELECTOR_MAX + 2);
    struct fakeapi_fsel *s;

    (void)state;
    assert_non_null(text);
    memset(text, ',', FAKEAPI_SELECTOR_MAX);
    text[FAKEAPI_SELECTOR_MAX] = '\0';
    s = fsel(text);
    assert_true(fakeapi__fsel_matches(s, NULL));
    fakeapi__fsel_free(s);
    text[FAKEAPI_SELECTOR_MAX] = ',';
    text[FAKEAPI_SELECTOR_MAX + 1] = '\0';
    fsel_error(text, "field selector is too long: may not be more than "
                     "65536 bytes");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selector_empty_text_matches_everything),
        cmocka_unit_test(test_selector_equals_matches_only_that_value),
        cmocka_unit_test(test_selector_equals_empty_value_matches_only_empty),
        cmocka_unit_test(test_selector_not_equals_matches_pod_without_key),
        cmocka_unit_test(test_selector_in_matches_listed_values),
        cmocka_unit_test(test_selector_notin_matches_pod_without_key),
        cmocka_unit_test(test_selector_exists_needs_key_and_bang_needs_absence),
        cmocka_unit_test(test_selector_gt_lt_compare_as_int64),
        cmocka_unit_test(test_selector_repeated_key_is_anded),
        cmocka_unit_test(test_selector_non_string_label_counts_as_absent),
        cmocka_unit_test(test_selector_label_with_nul_never_equals),
        cmocka_unit_test(test_selector_requirements_sorted_by_key),
        cmocka_unit_test(test_selector_accessor_reports_each_operator),
        cmocka_unit_test(test_selector_empty_parens_add_empty_string),
        cmocka_unit_test(test_selector_in_keyword_is_a_value_inside_parens),
        cmocka_unit_test(test_selector_whitespace_separates_tokens),
        cmocka_unit_test(test_selector_upper_case_key_name_is_allowed),
        cmocka_unit_test(test_selector_key_prefix_must_be_lower_case_subdomain),
        cmocka_unit_test(test_selector_long_names_are_limited),
        cmocka_unit_test(test_selector_error_messages_match_k8s_table),
        cmocka_unit_test(test_selector_syntax_errors_name_the_offending_token),
        cmocka_unit_test(test_selector_gt_rejects_non_integer),
        cmocka_unit_test(test_selector_gt_negative_number_is_a_bad_label_value),
        cmocka_unit_test(test_selector_bad_values_are_reported_in_sorted_order),
        cmocka_unit_test(test_selector_quotes_values_like_go),
        cmocka_unit_test(test_selector_invalid_utf8_becomes_replacement),
        cmocka_unit_test(test_selector_rejects_text_over_64k),
        cmocka_unit_test(test_selector_status_is_optional),
        cmocka_unit_test(test_selector_field_empty_matches_everything),
        cmocka_unit_test(
            test_selector_field_equals_and_double_equals_are_the_same),
        cmocka_unit_test(test_selector_field_not_equals_excludes_the_value),
        cmocka_unit_test(test_selector_field_missing_field_compares_as_empty),
        cmocka_unit_test(test_selector_field_supports_every_pod_field),
        cmocka_unit_test(test_selector_field_host_is_an_alias_of_node_name),
        cmocka_unit_test(test_selector_field_host_network_defaults_to_false),
        cmocka_unit_test(test_selector_field_pod_ip_prefers_pod_ip),
        cmocka_unit_test(test_selector_field_pod_ips_compares_as_empty),
        cmocka_unit_test(test_selector_field_service_account_falls_back),
        cmocka_unit_test(test_selector_field_escapes_are_unescaped),
        cmocka_unit_test(test_selector_field_splits_at_first_operator),
        cmocka_unit_test(test_selector_field_exact_returns_first_equality),
        cmocka_unit_test(test_selector_field_errors_match_k8s),
        cmocka_unit_test(test_selector_field_does_not_trim_whitespace),
        cmocka_unit_test(test_selector_field_errors_follow_sorted_terms),
        cmocka_unit_test(test_selector_field_invalid_utf8_is_replaced),
        cmocka_unit_test(test_selector_field_rejects_text_over_64k),
    };

    return cmocka_run_group_tests_name("selector", tests, NULL, NULL);
}
