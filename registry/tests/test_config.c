/*
 * Configuration loading (config.h): options, kubeconfig files and their
 * merging, in-cluster service accounts, token files and exec plugins
 * (docs/kubernetes-api.md, Client configuration). Fixtures come from
 * $KREG_FIXTURES; every test sets the environment it needs and gets a private
 * temporary directory.
 *
 * Past 1,000 lines on purpose: one cmocka group per module
 * (docs/conventions.md, Tests), one short test per kubeconfig, in-cluster or
 * exec rule, sharing the fixture and environment helpers at the top.
 *
 * Over 1,000 lines: one table of kubeconfig and in-cluster cases sharing
 * one set of fixture helpers; a split would repeat them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "config_int.h"
#include "kbuf.h"

#define PATH_LEN 1024 /* fixture paths are short */
#define MSG_LEN  8192 /* room for several paths */

struct st {
    char fx[PATH_LEN];  /* $KREG_FIXTURES */
    char tmp[PATH_LEN]; /* private directory, removed afterwards */
    struct kreg__config cfg;
    struct kreg_options opt;
    struct kreg_error err;
};

static const char *const env_vars[] = {
    "KUBECONFIG",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
    "POD_NAMESPACE",
    "HOSTNAME",
    "KREG_TEST_EXEC_COUNT",
    "KREG_TEST_EXEC_INFO_OUT",
    "KREG_TEST_EXEC_MODE",
    "KREG_TEST_EXEC_EXPIRY",
    "KREG_TEST_EXEC_TAG",
};

/* ---- Helpers -----------------------------------------------------------*/

/* "<dir>/<rel>" into @p buf. */
static const char *join(char *buf, const char *dir, const char *rel)
{
    int n = snprintf(buf, PATH_LEN, "%s/%s", dir, rel);

    assert_true(n > 0 && n < PATH_LEN);
    return buf;
}

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    size_t n = 0;
    int e = 0;

    assert_int_equal(kreg__config_util_read_file(path, 1u << 24, &data, &n, &e),
                     KREG_OK);
    if (len)
        *len = n;
    return data;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void copy(const char *from, const char *to)
{
    char *data = slurp(from, NULL);

    spit(to, data);
    free(data);
}

static void rm_rf(const char *path)
{
    char sub[PATH_LEN];
    struct dirent *de;
    struct stat sb;
    DIR *d;

    if (lstat(path, &sb) != 0)
        return;
    if (!S_ISDIR(sb.st_mode)) {
        unlink(path);
        return;
    }
    d = opendir(path);
    while (d && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            rm_rf(join(sub, path, de->d_name));
    }
    if (d)
        closedir(d);
    rmdir(path);
}

/* Lines in the plugin's run-count file (0 when it does not exist). */
static int runs(const struct st *s)
{
    char path[PATH_LEN];
    int n = 0;
    int c;
    FILE *f = fopen(join(path, s->tmp, "count"), "r");

    if (!f)
        return 0;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* Assert that the current token is @p want (NULL: no token). */
static void token_is(struct st *s, const char *want)
{
    char *tok = NULL;

    assert_int_equal(kreg__config_token(&s->cfg, &tok, &s->err), KREG_OK);
    if (want)
        assert_string_equal(tok, want);
    else
        assert_null(tok);
    free(tok);
}

/* Assert that the PEM bytes @p got (length @p len) equal file @p rel. */
static void pem_is(const struct st *s, const char *got, size_t len,
                   const char *rel)
{
    char path[PATH_LEN];
    size_t want_len;
    char *want = slurp(join(path, s->fx, rel), &want_len);

    assert_non_null(got);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, len);
    free(want);
}

static int load(struct st *s)
{
    memset(&s->err, 0, sizeof(s->err));
    return kreg__config_load(&s->opt, &s->cfg, &s->err);
}

/* Load and expect failure with @p code and text containing @p part. */
static void load_fails(struct st *s, int code, const char *part)
{
    int rc = load(s);

    if (rc != code || !strstr(s->err.text, part))
        fail_msg("rc %d text \"%s\", want %d and \"%s\"", rc, s->err.text, code,
                 part);
    assert_int_equal(s->err.code, code);
    assert_null(s->cfg.server);
}

/* opt.kubeconfig = fixtures/kubeconfig/<name>, with @p context. */
static void use_kubeconfig(struct st *s, char *buf, const char *name,
                           const char *context)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "kubeconfig/%s", name);
    s->opt.kubeconfig = join(buf, s->fx, rel);
    s->opt.context = context;
}

static void use_exec(struct st *s, char *buf, const char *context)
{
    char count[PATH_LEN];

    setenv("KREG_TEST_EXEC_COUNT", join(count, s->tmp, "count"), 1);
    use_kubeconfig(s, buf, "exec.yaml", context);
}

/* ---- Setup -------------------------------------------------------------*/

static int setup(void **state)
{
    struct st *s = calloc(1, sizeof(*s));
    const char *fx = getenv("KREG_FIXTURES");
    size_t i;

    if (!s || !fx)
        return -1;
    snprintf(s->fx, sizeof(s->fx), "%s", fx);
    snprintf(s->tmp, sizeof(s->tmp), "/tmp/kreg-config-XXXXXX");
    if (!mkdtemp(s->tmp))
        return -1;
    for (i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
        unsetenv(env_vars[i]);
    setenv("HOME", s->tmp, 1);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct st *s = *state;

    kreg__config_release(&s->cfg);
    rm_rf(s->tmp);
    free(s);
    return 0;
}

/* ---- Options -----------------------------------------------------------*/

/* (a) A server option ignores every other source. */
static void test_config_options_server_ignores_other_sources(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    setenv("KUBECONFIG", join(kc, s->fx, "kubeconfig/kind.yaml"), 1);
    setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    s->opt.server = "https://api.example.test:6443//";
    s->opt.token = "opt-token";
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://api.example.test:6443");
    assert_string_equal(s->cfg.namespace_, "default");
    assert_string_equal(s->cfg.source, "options");
    assert_null(s->cfg.ca_pem);
    assert_null(s->cfg.cert_pem);
    assert_false(s->cfg.insecure);
    token_is(s, "opt-token");
}

static void test_config_options_server_without_scheme_gets_one(void **state)
{
    struct st *s = *state;

    s->opt.server = "127.0.0.1:8001";
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "http://127.0.0.1:8001");
    token_is(s, NULL);
    kreg__config_release(&s->cfg);
    s->opt.insecure = true;
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://127.0.0.1:8001");
    assert_true(s->cfg.insecure);
}

static void test_config_options_ca_file_is_read(void **state)
{
    struct st *s = *state;
    char ca[PATH_LEN];

    s->opt.server = "https://api.example.test";
    s->opt.ca_file = join(ca, s->fx, "kubeconfig/pki/ca.crt");
    s->opt.namespace_ = "ns1";
    assert_int_equal(load(s), KREG_OK);
    pem_is(s, s->cfg.ca_pem, s->cfg.ca_len, "kubeconfig/pki/ca.crt");
    assert_string_equal(s->cfg.namespace_, "ns1");
}

static void test_config_options_ca_file_with_insecure_fails(void **state)
{
    struct st *s = *state;
    char ca[PATH_LEN];

    s->opt.server = "https://api.example.test";
    s->opt.ca_file = join(ca, s->fx, "kubeconfig/pki/ca.crt");
    s->opt.insecure = true;
    load_fails(s, KREG_E_CONFIG, "options: ca_file with insecure");
}

static void test_config_options_missing_ca_file_names_it(void **state)
{
    struct st *s = *state;

    s->opt.server = "https://api.example.test";
    s->opt.ca_file = "/nonexistent/ca.crt";
    load_fails(s, KREG_E_CONFIG,
               "options: ca_file /nonexistent/ca.crt: no such file");
}

static void test_config_options_token_rejects_control_chars(void **state)
{
    struct st *s = *state;

    s->opt.server = "https://api.example.test";
    s->opt.token = "abc\r\nX-Evil: 1";
    load_fails(s, KREG_E_CONFIG, "options: token has control characters");
    assert_null(strstr(s->err.text, "abc"));
}

static void test_config_options_override_kubeconfig(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char ca[PATH_LEN];

    use_kubeconfig(s, kc, "token.yaml", NULL);
    s->opt.namespace_ = "opt-ns";
    s->opt.token = "opt-token";
    s->opt.pod_name = "opt-pod";
    s->opt.ca_file = join(ca, s->fx, "serviceaccount/ca.crt");
    setenv("HOSTNAME", "host-pod", 1);
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://api.example.test:6443");
    assert_string_equal(s->cfg.namespace_, "opt-ns");
    assert_string_equal(s->cfg.pod_name, "opt-pod");
    pem_is(s, s->cfg.ca_pem, s->cfg.ca_len, "serviceaccount/ca.crt");
    token_is(s, "opt-token");
}

/* client-go getCluster: an insecure override clears the loaded CA. */
static void test_config_options_insecure_clears_kubeconfig_ca(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_kubeconfig(s, kc, "kind.yaml", NULL);
    s->opt.insecure = true;
    assert_int_equal(load(s), KREG_OK);
    assert_null(s->cfg.ca_pem);
    assert_true(s->cfg.insecure);
    kreg__config_release(&s->cfg);
    use_kubeconfig(s, kc, "token.yaml", "ca-and-insecure");
    assert_int_equal(load(s), KREG_OK);
    assert_true(s->cfg.insecure);
}

static void test_config_pod_name_from_option_then_hostname(void **state)
{
    struct st *s = *state;

    s->opt.server = "https://api.example.test";
    assert_int_equal(load(s), KREG_OK);
    assert_null(s->cfg.pod_name);
    kreg__config_release(&s->cfg);
    setenv("HOSTNAME", "web-7d9c-abcde", 1);
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.pod_name, "web-7d9c-abcde");
    kreg__config_release(&s->cfg);
    s->opt.pod_name = "explicit";
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.pod_name, "explicit");
}

static void test_config_load_null_options_uses_defaults(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    setenv("KUBECONFIG", join(kc, s->fx, "kubeconfig/kind.yaml"), 1);
    assert_int_equal(kreg__config_load(NULL, &s->cfg, &s->err), KREG_OK);
    assert_string_equal(s->cfg.server, "https://127.0.0.1:6443");
}

/* ---- Kubeconfig files --------------------------------------------------*/

static void test_config_kubeconfig_kind_embeds_certificates(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char want[MSG_LEN];
    char *cert = NULL;
    char *key = NULL;
    size_t cert_len;
    size_t key_len;

    use_kubeconfig(s, kc, "kind.yaml", NULL);
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://127.0.0.1:6443");
    assert_string_equal(s->cfg.namespace_, "default");
    snprintf(want, sizeof(want), "kubeconfig %s (context kind-kreg)", kc);
    assert_string_equal(s->cfg.source, want);
    pem_is(s, s->cfg.ca_pem, s->cfg.ca_len, "kubeconfig/pki/ca.crt");
    pem_is(s, s->cfg.cert_pem, s->cfg.cert_len, "kubeconfig/pki/client.crt");
    pem_is(s, s->cfg.key_pem, s->cfg.key_len, "kubeconfig/pki/client.key");
    assert_false(s->cfg.insecure);
    assert_null(s->cfg.tls_server_name);
    token_is(s, NULL);
    assert_int_equal(kreg__config_client_cert(&s->cfg, &cert, &cert_len, &key,
                                              &key_len, &s->err),
                     KREG_OK);
    pem_is(s, cert, cert_len, "kubeconfig/pki/client.crt");
    pem_is(s, key, key_len, "kubeconfig/pki/client.key");
    free(cert);
    free(key);
}

static void test_config_kubeconfig_context_option_sets_namespace(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_kubeconfig(s, kc, "kind.yaml", "kind-kreg-team-b");
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.namespace_, "team-b");
    assert_non_null(strstr(s->cfg.source, "(context kind-kreg-team-b)"));
}

static void test_config_kubeconfig_explicit_file_must_exist(void **state)
{
    struct st *s = *state;

    s->opt.kubeconfig = "/nonexistent/kubeconfig";
    load_fails(s, KREG_E_CONFIG,
               "kubeconfig /nonexistent/kubeconfig: no such file or "
               "directory");
}

static void test_config_kubeconfig_unreadable_file_fails(void **state)
{
    struct st *s = *state;
    char want[MSG_LEN];

    s->opt.kubeconfig = s->tmp;
    snprintf(want, sizeof(want), "kubeconfig %s: is a directory", s->tmp);
    load_fails(s, KREG_E_CONFIG, want);
}

/* (b) An explicit file is not merged with $KUBECONFIG. */
static void test_config_kubeconfig_explicit_file_is_not_merged(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char env[MSG_LEN];

    setenv("KUBECONFIG", join(env, s->fx, "kubeconfig/merge/c.yaml"), 1);
    use_kubeconfig(s, kc, "kind.yaml", "ctx-c");
    load_fails(s, KREG_E_CONFIG, "context \"ctx-c\" not found");
    assert_non_null(strstr(s->err.text, kc));
}

static void test_config_kubeconfig_token_and_relative_ca_path(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_kubeconfig(s, kc, "token.yaml", NULL);
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://api.example.test:6443");
    assert_string_equal(s->cfg.namespace_, "team-a");
    assert_string_equal(s->cfg.tls_server_name, "kubernetes.default.svc");
    pem_is(s, s->cfg.ca_pem, s->cfg.ca_len, "kubeconfig/pki/ca.crt");
    token_is(s, "static-token-0123");
}

/* A relative kubeconfig path: its directory is taken from the cwd. */
static void test_config_kubeconfig_relative_path_uses_cwd(void **state)
{
    struct st *s = *state;
    char dir[PATH_LEN];
    char cwd[PATH_LEN];

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(join(dir, s->fx, "kubeconfig")), 0);
    s->opt.kubeconfig = "token.yaml";
    assert_int_equal(load(s), KREG_OK);
    assert_int_equal(chdir(cwd), 0);
    pem_is(s, s->cfg.ca_pem, s->cfg.ca_len, "kubeconfig/pki/ca.crt");
    assert_string_equal(s->cfg.source, "kubeconfig token.yaml (context token)");
}

static void test_config_kubeconfig_insecure_cluster(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_kubeconfig(s, kc, "token.yaml", "insecure");
    assert_int_equal(load(s), KREG_OK);
    assert_true(s->cfg.insecure);
    assert_null(s->cfg.ca_pem);
}

/* client-go DefaultServerURL: no scheme and no TLS settings: http. */
static void test_config_kubeconfig_anonymous_plain_server(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_kubeconfig(s, kc, "token.yaml", "plain");
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "http://127.0.0.1:8080");
    token_is(s, NULL);
}

static void test_config_kubeconfig_ca_with_insecure_fails(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char want[MSG_LEN];

    use_kubeconfig(s, kc, "token.yaml", "ca-and-insecure");
    snprintf(want, sizeof(want),
             "kubeconfig %s: clusters[3].cluster: specifying a root "
             "certificates file with the insecure flag is not allowed",
             kc);
    load_fails(s, KREG_E_CONFIG, want);
}

static void test_config_kubeconfig_cert_files_resolve_relative(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_kubeconfig(s, kc, "token.yaml", "certfiles");
    assert_int_equal(load(s), KREG_OK);
    pem_is(s, s->cfg.cert_pem, s->cfg.cert_len, "kubeconfig/pki/client.crt");
    pem_is(s, s->cfg.key_pem, s->cfg.key_len, "kubeconfig/pki/client.key");
}

static void test_config_kubeconfig_missing_cert_file_names_key(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char want[MSG_LEN];

    use_kubeconfig(s, kc, "token.yaml", "missing-certfile");
    snprintf(want, sizeof(want),
             "kubeconfig %s: users[2].user.client-certificate: %s/"
             "kubeconfig/pki/no-such.crt: no such file or directory",
             kc, s->fx);
    load_fails(s, KREG_E_CONFIG, want);
}

static void test_config_kubeconfig_data_wins_over_files(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_kubeconfig(s, kc, "token.yaml", "data-wins");
    assert_int_equal(load(s), KREG_OK);
    pem_is(s, s->cfg.cert_pem, s->cfg.cert_len, "kubeconfig/pki/client.crt");
    pem_is(s, s->cfg.key_pem, s->cfg.key_len, "kubeconfig/pki/client.key");
}

static void test_config_kubeconfig_missing_entries_name_key(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_kubeconfig(s, kc, "token.yaml", "missing-user");
    load_fails(s, KREG_E_CONFIG,
               "contexts[7].context.user: user \"nobody\" not found");
    use_kubeconfig(s, kc, "token.yaml", "missing-cluster");
    load_fails(s, KREG_E_CONFIG,
               "contexts[8].context.cluster: cluster \"nowhere\" not found");
    use_kubeconfig(s, kc, "token.yaml", "foo");
    load_fails(s, KREG_E_CONFIG, "context \"foo\" not found");
}

/* Run every fixtures/kubeconfig/invalid/<case>: input fails with error. */
static void check_invalid_case(struct st *s, const char *dir)
{
    char input[PATH_LEN];
    char efile[PATH_LEN];
    char want[MSG_LEN];
    char *expect;
    size_t len;

    join(input, dir, "input");
    expect = slurp(join(efile, dir, "error"), &len);
    len = kreg__config_util_trim(expect, len);
    snprintf(want, sizeof(want), "kubeconfig %s: %s", input, expect);
    s->opt.kubeconfig = input;
    if (load(s) != KREG_E_CONFIG || strcmp(s->err.text, want) != 0)
        fail_msg("%s:\n got \"%s\"\nwant \"%s\"", dir, s->err.text, want);
    assert_null(strstr(s->err.text, "secret"));
    free(expect);
}

static void test_config_kubeconfig_invalid_cases_name_file_and_key(void **state)
{
    struct st *s = *state;
    char root[PATH_LEN];
    char dir[PATH_LEN];
    struct dirent *de;
    int n = 0;
    DIR *d = opendir(join(root, s->fx, "kubeconfig/invalid"));

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        check_invalid_case(s, join(dir, root, de->d_name));
        n++;
    }
    closedir(d);
    assert_true(n >= 25);
}

/* ---- Token files -------------------------------------------------------*/

/* Copy tokenfile.yaml and its token into the private dir. */
static void tokenfile_copy(struct st *s, char *kc, const char *context)
{
    char from[PATH_LEN];
    char to[PATH_LEN];

    join(to, s->tmp, "tokens");
    assert_int_equal(mkdir(to, 0700), 0);
    copy(join(from, s->fx, "kubeconfig/tokenfile.yaml"),
         join(kc, s->tmp, "config"));
    copy(join(from, s->fx, "kubeconfig/tokens/user-token"),
         join(to, s->tmp, "tokens/user-token"));
    s->opt.kubeconfig = kc;
    s->opt.context = context;
}

static void test_config_token_file_wins_and_is_trimmed(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_kubeconfig(s, kc, "tokenfile.yaml", NULL);
    assert_int_equal(load(s), KREG_OK);
    token_is(s, "file-token-1");
}

/* client-go cachedFileTokenSource: re-read at most once a minute. */
static void test_config_token_file_reread_after_period(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char tok[PATH_LEN];

    tokenfile_copy(s, kc, NULL);
    assert_int_equal(load(s), KREG_OK);
    token_is(s, "file-token-1");
    spit(join(tok, s->tmp, "tokens/user-token"), "file-token-2\n");
    token_is(s, "file-token-1");
    s->cfg.priv_file_read_ms -= KREG__CONFIG_TOKEN_FILE_PERIOD_MS;
    token_is(s, "file-token-2");
}

static void test_config_token_file_reread_after_invalidate(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char tok[PATH_LEN];

    tokenfile_copy(s, kc, NULL);
    assert_int_equal(load(s), KREG_OK);
    spit(join(tok, s->tmp, "tokens/user-token"), "\tfile-token-3 \n\n");
    kreg__config_invalidate(&s->cfg);
    token_is(s, "file-token-3");
}

/* Unreadable file: the last good token, then (after a 401) the static
 * token, then an error naming the file. */
static void test_config_token_file_falls_back_when_unreadable(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char tok[PATH_LEN];
    char *none = NULL;

    tokenfile_copy(s, kc, NULL);
    assert_int_equal(load(s), KREG_OK);
    assert_int_equal(unlink(join(tok, s->tmp, "tokens/user-token")), 0);
    s->cfg.priv_file_read_ms -= KREG__CONFIG_TOKEN_FILE_PERIOD_MS;
    token_is(s, "file-token-1");
    kreg__config_invalidate(&s->cfg);
    token_is(s, "static-fallback-token");
    kreg__config_release(&s->cfg);
    spit(tok, "file-token-4\n");
    s->opt.context = "tokenfile-only";
    assert_int_equal(load(s), KREG_OK);
    spit(tok, "  \n");
    kreg__config_invalidate(&s->cfg);
    assert_int_equal(kreg__config_token(&s->cfg, &none, &s->err),
                     KREG_E_CONFIG);
    assert_null(none);
    assert_non_null(strstr(s->err.text, "empty or has control characters"));
}

static void test_config_token_file_missing_at_load_fails(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_kubeconfig(s, kc, "tokenfile.yaml", "tokenfile-missing");
    load_fails(s, KREG_E_CONFIG, "kubeconfig/tokens/no-such-token: no such");
    assert_non_null(strstr(s->err.text, "(context tokenfile-missing): "
                                        "token file "));
}

/* ---- KUBECONFIG --------------------------------------------------------*/

/* KUBECONFIG=a:missing:b/config:a:c (a repeated, one missing). */
static void set_merge_env(const struct st *s)
{
    char env[MSG_LEN];

    snprintf(env, sizeof(env),
             "%s/kubeconfig/merge/a.yaml:%s/kubeconfig/merge/missing.yaml:"
             "%s/kubeconfig/merge/b/config::%s/kubeconfig/merge/a.yaml:"
             "%s/kubeconfig/merge/c.yaml",
             s->fx, s->fx, s->fx, s->fx, s->fx);
    setenv("KUBECONFIG", env, 1);
}

static void test_config_kubeconfig_merge_first_file_wins(void **state)
{
    struct st *s = *state;

    set_merge_env(s);
    assert_int_equal(load(s), KREG_OK);
    /* ctx-b (b's current-context) uses cluster and user "shared*", which
     * a.yaml defined first, with a's relative CA path. */
    assert_string_equal(s->cfg.server, "https://a.example.test:6443");
    pem_is(s, s->cfg.ca_pem, s->cfg.ca_len, "kubeconfig/merge/ca-a.crt");
    assert_string_equal(s->cfg.namespace_, "ns-b");
    assert_non_null(strstr(s->cfg.source, "merge/b/config (context ctx-b)"));
    token_is(s, "token-from-a");
}

static void test_config_kubeconfig_merge_first_context_entry_wins(void **state)
{
    struct st *s = *state;

    set_merge_env(s);
    s->opt.context = "shared-ctx";
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.namespace_, "ns-a");
    assert_string_equal(s->cfg.server, "https://a.example.test:6443");
}

static void
test_config_kubeconfig_merge_first_current_context_wins(void **state)
{
    struct st *s = *state;
    char env[MSG_LEN];

    snprintf(env, sizeof(env),
             "%s/kubeconfig/merge/c.yaml:%s/kubeconfig/merge/b/config", s->fx,
             s->fx);
    setenv("KUBECONFIG", env, 1);
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://only-c.example.test");
    assert_non_null(strstr(s->cfg.source, "(context ctx-c)"));
}

static void test_config_kubeconfig_merge_paths_resolve_per_file(void **state)
{
    struct st *s = *state;

    set_merge_env(s);
    s->opt.context = "ctx-b-own";
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://only-b.example.test");
    pem_is(s, s->cfg.ca_pem, s->cfg.ca_len, "kubeconfig/merge/b/ca-b.crt");
    token_is(s, "token-from-b-file");
}

static void test_config_kubeconfig_merge_all_missing_fails(void **state)
{
    struct st *s = *state;

    setenv("KUBECONFIG", "/nonexistent/a:/nonexistent/b", 1);
    load_fails(s, KREG_E_CONFIG, "no configuration found");
    assert_non_null(strstr(s->err.text, "/nonexistent/a:/nonexistent/b"));
}

static void test_config_kubeconfig_merge_bad_file_fails(void **state)
{
    struct st *s = *state;
    char env[MSG_LEN];

    snprintf(env, sizeof(env),
             "%s/kubeconfig/kind.yaml:%s/kubeconfig/invalid/bad-base64/input",
             s->fx, s->fx);
    setenv("KUBECONFIG", env, 1);
    load_fails(s, KREG_E_CONFIG,
               "invalid/bad-base64/input: users[0].user.client-key-data: "
               "invalid base64");
}

static void test_config_kubeconfig_home_default_file(void **state)
{
    struct st *s = *state;
    char from[PATH_LEN];
    char to[PATH_LEN];

    assert_int_equal(mkdir(join(to, s->tmp, ".kube"), 0700), 0);
    copy(join(from, s->fx, "kubeconfig/kind.yaml"),
         join(to, s->tmp, ".kube/config"));
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://127.0.0.1:6443");
    assert_non_null(strstr(s->cfg.source, ".kube/config (context "));
}

static void test_config_no_configuration_fails(void **state)
{
    struct st *s = *state;

    load_fails(s, KREG_E_CONFIG, "no configuration found");
    assert_non_null(strstr(s->err.text, ".kube/config"));
    unsetenv("HOME");
    load_fails(s, KREG_E_CONFIG, "no configuration found");
}

/* ---- In-cluster --------------------------------------------------------*/

static void in_cluster(struct st *s, char *sa, const char *host)
{
    setenv("KUBERNETES_SERVICE_HOST", host, 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    s->opt.sa_dir = join(sa, s->fx, "serviceaccount");
}

static void test_config_incluster_reads_service_account(void **state)
{
    struct st *s = *state;
    char sa[PATH_LEN];

    in_cluster(s, sa, "10.96.0.1");
    setenv("HOSTNAME", "pod-0", 1);
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://10.96.0.1:443");
    assert_string_equal(s->cfg.source, "in-cluster");
    assert_string_equal(s->cfg.namespace_, "kreg-ns");
    assert_string_equal(s->cfg.pod_name, "pod-0");
    pem_is(s, s->cfg.ca_pem, s->cfg.ca_len, "serviceaccount/ca.crt");
    assert_false(s->cfg.insecure);
    token_is(s, "sa-token-1");
}

static void test_config_incluster_brackets_ipv6_host(void **state)
{
    struct st *s = *state;
    char sa[PATH_LEN];

    in_cluster(s, sa, "fd00:10:96::1");
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://[fd00:10:96::1]:443");
}

static void test_config_incluster_pod_namespace_env_first(void **state)
{
    struct st *s = *state;
    char sa[PATH_LEN];

    in_cluster(s, sa, "10.96.0.1");
    setenv("POD_NAMESPACE", "from-env", 1);
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.namespace_, "from-env");
    kreg__config_release(&s->cfg);
    s->opt.namespace_ = "from-option";
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.namespace_, "from-option");
}

/* Only a token: no CA (system CAs, as client-go) and namespace default. */
static void test_config_incluster_needs_only_the_token(void **state)
{
    struct st *s = *state;
    char tok[PATH_LEN];

    setenv("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc", 1);
    setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
    s->opt.sa_dir = s->tmp;
    spit(join(tok, s->tmp, "token"), "only-token");
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://kubernetes.default.svc:6443");
    assert_null(s->cfg.ca_pem);
    assert_string_equal(s->cfg.namespace_, "default");
    token_is(s, "only-token");
}

static void test_config_incluster_missing_token_fails(void **state)
{
    struct st *s = *state;
    char want[MSG_LEN];

    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    s->opt.sa_dir = s->tmp;
    snprintf(want, sizeof(want),
             "in-cluster: token file %s/token: no such file or directory",
             s->tmp);
    load_fails(s, KREG_E_CONFIG, want);
}

/* Token files are capped at 1 MiB. */
static void test_config_incluster_huge_token_fails(void **state)
{
    struct st *s = *state;
    char tok[PATH_LEN];
    char *big = malloc((1u << 20) + 2);

    assert_non_null(big);
    memset(big, 'a', (1u << 20) + 1);
    big[(1u << 20) + 1] = '\0';
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    s->opt.sa_dir = s->tmp;
    spit(join(tok, s->tmp, "token"), big);
    free(big);
    load_fails(s, KREG_E_CONFIG, "/token: file too large");
}

static void test_config_incluster_bad_port_fails(void **state)
{
    struct st *s = *state;
    char sa[PATH_LEN];

    in_cluster(s, sa, "10.96.0.1");
    setenv("KUBERNETES_SERVICE_PORT", "https", 1);
    load_fails(s, KREG_E_CONFIG,
               "in-cluster: KUBERNETES_SERVICE_PORT \"https\" is not a port");
}

/* Projected service-account tokens rotate: re-read after a 401. */
static void test_config_incluster_token_rotation(void **state)
{
    struct st *s = *state;
    char tok[PATH_LEN];

    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    s->opt.sa_dir = s->tmp;
    spit(join(tok, s->tmp, "token"), "rotating-1\n");
    assert_int_equal(load(s), KREG_OK);
    token_is(s, "rotating-1");
    spit(tok, "rotating-2\n");
    token_is(s, "rotating-1");
    kreg__config_invalidate(&s->cfg);
    token_is(s, "rotating-2");
}

/* (c) before (d); skipped when disabled, with a context option, or when
 * a variable is empty. */
static void test_config_incluster_precedence(void **state)
{
    struct st *s = *state;
    char sa[PATH_LEN];
    char kc[PATH_LEN];

    setenv("KUBECONFIG", join(kc, s->fx, "kubeconfig/kind.yaml"), 1);
    in_cluster(s, sa, "10.96.0.1");
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.source, "in-cluster");
    kreg__config_release(&s->cfg);
    s->opt.no_in_cluster = true;
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://127.0.0.1:6443");
    kreg__config_release(&s->cfg);
    s->opt.no_in_cluster = false;
    s->opt.context = "kind-kreg-team-b";
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.namespace_, "team-b");
    kreg__config_release(&s->cfg);
    s->opt.context = NULL;
    setenv("KUBERNETES_SERVICE_PORT", "", 1);
    assert_int_equal(load(s), KREG_OK);
    assert_string_equal(s->cfg.server, "https://127.0.0.1:6443");
}

/* ---- Exec plugins ------------------------------------------------------*/

static void test_config_exec_token_cached_until_expiry(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_exec(s, kc, NULL);
    setenv("KREG_TEST_EXEC_EXPIRY", "2999-01-01T00:00:00Z", 1);
    assert_int_equal(load(s), KREG_OK);
    assert_int_equal(runs(s), 1);
    token_is(s, "exec-fromkubeconfig-arg1-1");
    token_is(s, "exec-fromkubeconfig-arg1-1");
    assert_int_equal(runs(s), 1);
    assert_string_equal(s->cfg.tls_server_name, "exec.internal");
}

static void test_config_exec_reruns_after_expiry(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_exec(s, kc, NULL);
    setenv("KREG_TEST_EXEC_EXPIRY", "2001-02-03T04:05:06.789+01:00", 1);
    assert_int_equal(load(s), KREG_OK);
    token_is(s, "exec-fromkubeconfig-arg1-2");
    token_is(s, "exec-fromkubeconfig-arg1-3");
    assert_int_equal(runs(s), 3);
}

/* No expirationTimestamp: cached until a 401 invalidates it. */
static void test_config_exec_reruns_after_invalidate(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_exec(s, kc, NULL);
    assert_int_equal(load(s), KREG_OK);
    token_is(s, "exec-fromkubeconfig-arg1-1");
    token_is(s, "exec-fromkubeconfig-arg1-1");
    kreg__config_invalidate(&s->cfg);
    assert_int_equal(runs(s), 1);
    token_is(s, "exec-fromkubeconfig-arg1-2");
    token_is(s, "exec-fromkubeconfig-arg1-2");
    assert_int_equal(runs(s), 2);
}

static json_t *read_exec_info(const struct st *s)
{
    char path[PATH_LEN];
    json_error_t jerr;
    json_t *info = json_load_file(join(path, s->tmp, "info"), 0, &jerr);

    assert_non_null(info);
    return info;
}

static void test_config_exec_gets_exec_info_with_cluster(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char out[PATH_LEN];
    struct kbuf ca;
    json_t *info;
    json_t *cl;

    use_exec(s, kc, NULL);
    setenv("KREG_TEST_EXEC_INFO_OUT", join(out, s->tmp, "info"), 1);
    assert_int_equal(load(s), KREG_OK);
    info = read_exec_info(s);
    assert_string_equal(json_string_value(json_object_get(info, "kind")),
                        "ExecCredential");
    assert_string_equal(json_string_value(json_object_get(info, "apiVersion")),
                        "client.authentication.k8s.io/v1");
    assert_true(json_is_false(
        json_object_get(json_object_get(info, "spec"), "interactive")));
    cl = json_object_get(json_object_get(info, "spec"), "cluster");
    assert_string_equal(json_string_value(json_object_get(cl, "server")),
                        "https://exec.example.test:6443");
    assert_string_equal(
        json_string_value(json_object_get(cl, "tls-server-name")),
        "exec.internal");
    kbuf_init(&ca, (size_t)-1);
    assert_int_equal(
        kreg__config_util_base64_encode(&ca, s->cfg.ca_pem, s->cfg.ca_len),
        KBUF_OK);
    assert_string_equal(
        json_string_value(json_object_get(cl, "certificate-authority-data")),
        kbuf_str(&ca));
    kbuf_release(&ca);
    json_decref(info);
}

/* v1beta1 defaults interactiveMode; no cluster info unless asked. */
static void test_config_exec_v1beta1_without_interactive_mode(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char out[PATH_LEN];
    json_t *info;

    use_exec(s, kc, "exec-v1beta1");
    setenv("KREG_TEST_EXEC_INFO_OUT", join(out, s->tmp, "info"), 1);
    assert_int_equal(load(s), KREG_OK);
    token_is(s, "exec-none--1");
    info = read_exec_info(s);
    assert_string_equal(json_string_value(json_object_get(info, "apiVersion")),
                        "client.authentication.k8s.io/v1beta1");
    assert_null(json_object_get(json_object_get(info, "spec"), "cluster"));
    json_decref(info);
}

static void test_config_exec_command_without_slash_uses_path(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_exec(s, kc, "exec-path");
    assert_int_equal(load(s), KREG_OK);
    token_is(s, "from-path");
}

static void test_config_exec_client_certificate(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char *cert = NULL;
    char *key = NULL;
    size_t cert_len;
    size_t key_len;

    use_exec(s, kc, NULL);
    setenv("KREG_TEST_EXEC_MODE", "cert", 1);
    assert_int_equal(load(s), KREG_OK);
    assert_null(s->cfg.cert_pem);
    token_is(s, NULL);
    assert_int_equal(kreg__config_client_cert(&s->cfg, &cert, &cert_len, &key,
                                              &key_len, &s->err),
                     KREG_OK);
    pem_is(s, cert, cert_len, "kubeconfig/pki/client.crt");
    pem_is(s, key, key_len, "kubeconfig/pki/client.key");
    free(cert);
    free(key);
    assert_int_equal(runs(s), 1);
}

static void test_config_exec_failure_reports_exit_and_stderr(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_exec(s, kc, NULL);
    setenv("KREG_TEST_EXEC_MODE", "fail", 1);
    load_fails(s, KREG_E_EXEC,
               "exec-plugin.sh: exit code 3: plugin failed: no credentials "
               "for you");
    assert_non_null(strstr(s->err.text, "(context exec-v1): exec plugin /"));
}

static void test_config_exec_missing_plugin_shows_install_hint(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_exec(s, kc, "exec-missing");
    load_fails(s, KREG_E_EXEC,
               "kubeconfig/no-such-plugin: executable not found: install "
               "no-such-plugin from your vendor");
    assert_null(strstr(s->err.text, "second line"));
}

/* Malformed credentials fail, and no error quotes the plugin's output. */
static void test_config_exec_bad_output_fails_without_secrets(void **state)
{
    static const char *const modes[][2] = {
        {"garbage", "not JSON (line 1 column"},
        {"wrongapi", "apiVersion differs from the kubeconfig's"},
        {"badtime", "status.expirationTimestamp is not RFC 3339"},
        {"notoken", "no token or client certificate"},
        {"halfcert", "clientCertificateData and clientKeyData must be set"},
        {"big", "output larger than 1048576 bytes"},
        {"badkind", "kind is not ExecCredential"},
        {"nostatus", "no status"},
        {"numtoken", "status member is not a string"},
        {"ctltoken", "status.token has control characters"},
        {"signal", "killed by signal 9"},
    };
    struct st *s = *state;
    char kc[PATH_LEN];
    size_t i;

    use_exec(s, kc, NULL);
    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        setenv("KREG_TEST_EXEC_MODE", modes[i][0], 1);
        load_fails(s, KREG_E_EXEC, modes[i][1]);
        assert_null(strstr(s->err.text, "secret"));
    }
}

static void test_config_exec_plugin_must_be_executable(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_exec(s, kc, "exec-not-executable");
    load_fails(s, KREG_E_EXEC, "kubeconfig/pki/README: permission denied");
}

/* Cluster info follows the options: insecure replaces the CA. */
static void test_config_exec_cluster_info_follows_options(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char out[PATH_LEN];
    json_t *info;
    json_t *cl;

    use_exec(s, kc, NULL);
    setenv("KREG_TEST_EXEC_INFO_OUT", join(out, s->tmp, "info"), 1);
    s->opt.insecure = true;
    assert_int_equal(load(s), KREG_OK);
    info = read_exec_info(s);
    cl = json_object_get(json_object_get(info, "spec"), "cluster");
    assert_true(json_is_true(json_object_get(cl, "insecure-skip-tls-verify")));
    assert_null(json_object_get(cl, "certificate-authority-data"));
    json_decref(info);
}

static void test_config_exec_timeout_kills_plugin(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];
    char *tok = NULL;

    use_exec(s, kc, NULL);
    assert_int_equal(load(s), KREG_OK);
    s->cfg.priv_exec->timeout_ms = 300;
    setenv("KREG_TEST_EXEC_MODE", "sleep", 1);
    kreg__config_invalidate(&s->cfg);
    assert_int_equal(kreg__config_token(&s->cfg, &tok, &s->err), KREG_E_EXEC);
    assert_null(tok);
    assert_non_null(strstr(s->err.text, "no answer within 300 ms"));
    /* A later run that works recovers. */
    unsetenv("KREG_TEST_EXEC_MODE");
    token_is(s, "exec-fromkubeconfig-arg1-3");
}

static void test_config_exec_interactive_always_is_refused(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_exec(s, kc, "exec-always");
    load_fails(s, KREG_E_CONFIG,
               "users[3].user.exec.interactiveMode: Always is not supported");
    assert_int_equal(runs(s), 0);
}

/* exec.go UpdateTransportConfig: a static token makes the plugin idle. */
static void test_config_exec_unused_when_user_has_token(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_exec(s, kc, "exec-and-token");
    assert_int_equal(load(s), KREG_OK);
    token_is(s, "token-beats-exec");
    assert_int_equal(runs(s), 0);
}

static void test_config_exec_unused_with_token_option(void **state)
{
    struct st *s = *state;
    char kc[PATH_LEN];

    use_exec(s, kc, NULL);
    s->opt.token = "opt-token";
    assert_int_equal(load(s), KREG_OK);
    token_is(s, "opt-token");
    assert_int_equal(runs(s), 0);
}

struct race {
    struct kreg__config *cfg;
    int failures;
};

static void *race_tokens(void *arg)
{
    struct race *r = arg;
    char *tok;
    int i;

    for (i = 0; i < 50; i++) {
        tok = NULL;
        if (kreg__config_token(r->cfg, &tok, NULL) != KREG_OK || !tok)
            r->failures++;
        free(tok);
        if (i % 10 == 0)
            kreg__config_invalidate(r->cfg);
    }
    return NULL;
}

static void test_config_token_is_thread_safe(void **state)
{
    struct st *s = *state;
    struct race r[4];
    pthread_t t[4];
    char kc[PATH_LEN];
    int i;

    use_kubeconfig(s, kc, "tokenfile.yaml", NULL);
    assert_int_equal(load(s), KREG_OK);
    for (i = 0; i < 4; i++) {
        r[i].cfg = &s->cfg;
        r[i].failures = 0;
        assert_int_equal(pthread_create(&t[i], NULL, race_tokens, &r[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(r[i].failures, 0);
    }
}

/* ---- Parsing helpers ---------------------------------------------------*/

static void test_config_parse_time_follows_rfc3339(void **state)
{
    int64_t ms = 0;

    (void)state;
    assert_true(kreg__config_util_parse_time("1970-01-01T00:00:00Z", 20, &ms));
    assert_int_equal(ms, 0);
    assert_true(kreg__config_util_parse_time("2025-01-01T00:00:00Z", 20, &ms));
    assert_int_equal(ms, INT64_C(1735689600000));
    assert_true(
        kreg__config_util_parse_time("2024-02-29T12:00:00.5+02:00", 27, &ms));
    assert_int_equal(ms, INT64_C(1709200800500));
    assert_true(
        kreg__config_util_parse_time("1969-12-31t23:59:59.123456z", 27, &ms));
    assert_int_equal(ms, -877);
    assert_false(kreg__config_util_parse_time("2023-02-29T00:00:00Z", 20, &ms));
    assert_false(kreg__config_util_parse_time("2025-01-01 00:00:00Z", 20, &ms));
    assert_false(kreg__config_util_parse_time("2025-01-01T24:00:00Z", 20, &ms));
    assert_false(kreg__config_util_parse_time("2025-01-01T00:00:00", 19, &ms));
    assert_false(
        kreg__config_util_parse_time("2025-01-01T00:00:00.Z", 21, &ms));
    assert_false(
        kreg__config_util_parse_time("2025-01-01T00:00:00+0100", 24, &ms));
    assert_false(kreg__config_util_parse_time("+025-01-01T00:00:00Z", 20, &ms));
}

static void b64_is(const char *in, const char *want)
{
    char *out = NULL;
    size_t len = 0;
    int rc = kreg__config_util_base64_decode(in, strlen(in), &out, &len);

    if (!want) {
        assert_int_equal(rc, KREG_E_INVALID);
        assert_null(out);
        return;
    }
    assert_int_equal(rc, KREG_OK);
    assert_int_equal(len, strlen(want));
    assert_string_equal(out, want);
    free(out);
}

/* Go's base64.StdEncoding: padding required, '\r' and '\n' skipped. */
static void test_config_base64_decodes_like_go(void **state)
{
    struct kbuf b;

    (void)state;
    b64_is("", "");
    b64_is("YQ==", "a");
    b64_is("YWI=", "ab");
    b64_is("YWJj", "abc");
    b64_is("YW\r\nJj\n", "abc");
    b64_is("YQ", NULL);
    b64_is("YR==", NULL);
    b64_is("Y===", NULL);
    b64_is("YQ==YQ==", NULL);
    b64_is("YW Jj", NULL);
    b64_is("YW-j", NULL);
    kbuf_init(&b, 64);
    assert_int_equal(kreg__config_util_base64_encode(&b, "abcd", 4), KBUF_OK);
    assert_string_equal(kbuf_str(&b), "YWJjZA==");
    kbuf_release(&b);
}

static int mem(const char *yaml, const char *context, struct kreg_error *err)
{
    struct kreg_options opt;

    memset(&opt, 0, sizeof(opt));
    opt.context = context;
    memset(err, 0, sizeof(*err));
    return kreg__config_parse_kubeconfig_mem(yaml, strlen(yaml), "/base", &opt,
                                             err);
}

/* YAML spellings Go's yaml.v2 reads the same way. */
static void test_config_parse_mem_accepts_yaml_variants(void **state)
{
    struct kreg_error err;

    (void)state;
    assert_int_equal(mem("{current-context: c, clusters: [{name: c, cluster: "
                         "{server: s, insecure-skip-tls-verify: yes}}], "
                         "contexts: [{name: c, context: {cluster: c}}], "
                         "users: ~, preferences: {colors: true}}",
                         NULL, &err),
                     KREG_OK);
    /* A repeated key: the last one wins. */
    assert_int_equal(mem("current-context: a\ncurrent-context: c\n"
                         "clusters:\n- name: c\n  cluster:\n    server: s\n"
                         "contexts:\n- name: c\n  context:\n    cluster: c\n",
                         NULL, &err),
                     KREG_OK);
    /* Anchors and aliases. */
    assert_int_equal(mem("clusters:\n- name: &n c\n  cluster: {server: s}\n"
                         "contexts:\n- name: x\n  context: {cluster: *n}\n",
                         "x", &err),
                     KREG_OK);
    /* Empty strings and null items are unset, as in Go. */
    assert_int_equal(mem("current-context: c\n"
                         "clusters: [{name: c, cluster: {server: s, "
                         "certificate-authority-data: '', tls-server-name: "
                         "''}}, {cluster: {}}]\n"
                         "users: [{name: u, user: {client-key-data: \"\", "
                         "exec: null, username: '', as: ~}}]\n"
                         "contexts: [{name: c, context: {cluster: c, user: "
                         "u, namespace: \"\"}}, ~]",
                         NULL, &err),
                     KREG_E_CONFIG);
    assert_string_equal(err.text, "kubeconfig <memory>: contexts[1]: "
                                  "expected a mapping");
    assert_int_equal(mem("current-context: c\n"
                         "clusters: [{name: c, cluster: {server: s, "
                         "certificate-authority-data: '', tls-server-name: "
                         "''}}, {cluster: {}}]\n"
                         "users: [{name: u, user: {client-key-data: \"\", "
                         "exec: null, username: '', as: ~}}]\n"
                         "contexts: [{name: c, context: {cluster: c, user: "
                         "u, namespace: \"\"}}]",
                         NULL, &err),
                     KREG_OK);
    assert_int_equal(mem("", NULL, &err), KREG_E_CONFIG);
    assert_string_equal(err.text, "kubeconfig <memory>: no current-context "
                                  "and no context option");
    assert_int_equal(mem("clusters: [{name: c, cluster: {server: s, "
                         "certificate-authority: ca, "
                         "insecure-skip-tls-verify: true}}]\n"
                         "contexts: [{name: c, context: {cluster: c}}]",
                         "c", &err),
                     KREG_E_CONFIG);
    assert_int_equal(mem("clusters: [{name: c, cluster: {server: s, "
                         "certificate-authority: ca, "
                         "insecure-skip-tls-verify: true}}]\n"
                         "contexts: [{name: c, context: {cluster: c}}]",
                         NULL, &err),
                     KREG_E_CONFIG);
}

static void test_config_release_is_idempotent(void **state)
{
    struct kreg__config cfg;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    kreg__config_release(&cfg);
    kreg__config_release(&cfg);
    kreg__config_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_config_options_server_ignores_other_sources),
        T(test_config_options_server_without_scheme_gets_one),
        T(test_config_options_ca_file_is_read),
        T(test_config_options_ca_file_with_insecure_fails),
        T(test_config_options_missing_ca_file_names_it),
        T(test_config_options_token_rejects_control_chars),
        T(test_config_options_override_kubeconfig),
        T(test_config_options_insecure_clears_kubeconfig_ca),
        T(test_config_pod_name_from_option_then_hostname),
        T(test_config_load_null_options_uses_defaults),
        T(test_config_kubeconfig_kind_embeds_certificates),
        T(test_config_kubeconfig_context_option_sets_namespace),
        T(test_config_kubeconfig_explicit_file_must_exist),
        T(test_config_kubeconfig_unreadable_file_fails),
        T(test_config_kubeconfig_explicit_file_is_not_merged),
        T(test_config_kubeconfig_token_and_relative_ca_path),
        T(test_config_kubeconfig_relative_path_uses_cwd),
        T(test_config_kubeconfig_insecure_cluster),
        T(test_config_kubeconfig_anonymous_plain_server),
        T(test_config_kubeconfig_ca_with_insecure_fails),
        T(test_config_kubeconfig_cert_files_resolve_relative),
        T(test_config_kubeconfig_missing_cert_file_names_key),
        T(test_config_kubeconfig_data_wins_over_files),
        T(test_config_kubeconfig_missing_entries_name_key),
        T(test_config_kubeconfig_invalid_cases_name_file_and_key),
        T(test_config_token_file_wins_and_is_trimmed),
        T(test_config_token_file_reread_after_period),
        T(test_config_token_file_reread_after_invalidate),
        T(test_config_token_file_falls_back_when_unreadable),
        T(test_config_token_file_missing_at_load_fails),
        T(test_config_kubeconfig_merge_first_file_wins),
        T(test_config_kubeconfig_merge_first_context_entry_wins),
        T(test_config_kubeconfig_merge_first_current_context_wins),
        T(test_config_kubeconfig_merge_paths_resolve_per_file),
        T(test_config_kubeconfig_merge_all_missing_fails),
        T(test_config_kubeconfig_merge_bad_file_fails),
        T(test_config_kubeconfig_home_default_file),
        T(test_config_no_configuration_fails),
        T(test_config_incluster_reads_service_account),
        T(test_config_incluster_brackets_ipv6_host),
        T(test_config_incluster_pod_namespace_env_first),
        T(test_config_incluster_needs_only_the_token),
        T(test_config_incluster_missing_token_fails),
        T(test_config_incluster_huge_token_fails),
        T(test_config_incluster_bad_port_fails),
        T(test_config_incluster_token_rotation),
        T(test_config_incluster_precedence),
        T(test_config_exec_token_cached_until_expiry),
        T(test_config_exec_reruns_after_expiry),
        T(test_config_exec_reruns_after_invalidate),
        T(test_config_exec_gets_exec_info_with_cluster),
        T(test_config_exec_v1beta1_without_interactive_mode),
        T(test_config_exec_command_without_slash_uses_path),
        T(test_config_exec_client_certificate),
        T(test_config_exec_failure_reports_exit_and_stderr),
        T(test_config_exec_missing_plugin_shows_install_hint),
        T(test_config_exec_bad_output_fails_without_secrets),
        T(test_config_exec_plugin_must_be_executable),
        T(test_config_exec_cluster_info_follows_options),
        T(test_config_exec_timeout_kills_plugin),
        T(test_config_exec_interactive_always_is_refused),
        T(test_config_exec_unused_when_user_has_token),
        T(test_config_exec_unused_with_token_option),
        T(test_config_token_is_thread_safe),
        T(test_config_parse_time_follows_rfc3339),
        T(test_config_base64_decodes_like_go),
        T(test_config_parse_mem_accepts_yaml_variants),
        T(test_config_release_is_idempotent),
#undef T
    };

    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
