/*
 * http_error: the outcome of an exchange as a KREG code and a
 * struct kreg_error: HTTP statuses with their Status bodies
 * (docs/kubernetes-api.md, Status errors), and failed transfers with libcurl's
 * text.
 */
#include "http_int.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "error.h"

/* How much of a non-Status error body goes into the text. */
#define EXCERPT_MAX 160

/* http.h: 401, 403, 404 and 409 have codes of their own. */
static int code_for_status(long status)
{
    switch (status) {
    case 401:
        return KREG_E_UNAUTHORIZED;
    case 403:
        return KREG_E_FORBIDDEN;
    case 404:
        return KREG_E_NOT_FOUND;
    case 409:
        return KREG_E_CONFLICT;
    default:
        return KREG_E_HTTP;
    }
}

/*
 * A Status body (docs/kubernetes-api.md, Status errors: kind "Status" with
 * reason, message and code) fills reason and text; true when it was one with a
 * message.
 */
static bool decode_status(const char *body, size_t len, int code,
                          int http_status, struct kreg_error *err)
{
    json_t *st = json_loadb(body, len, 0, NULL);
    const char *kind = json_string_value(json_object_get(st, "kind"));
    const char *reason = json_string_value(json_object_get(st, "reason"));
    const char *message = json_string_value(json_object_get(st, "message"));
    bool ok = kind && strcmp(kind, "Status") == 0 && message && *message;

    if (ok)
        kreg__error(err, code, http_status, reason, "%s", message);
    json_decref(st);
    return ok;
}

/*
 * The first line of @p body, control characters as spaces, at most
 * @p size - 1 bytes (plain-text answers such as the API priority and
 * fairness 429, docs/kubernetes-api.md, Status errors).
 */
static void excerpt(const char *body, size_t len, char *out, size_t size)
{
    size_t n = 0;
    size_t i;

    for (i = 0; i < len && n + 1 < size; i++) {
        unsigned char ch = (unsigned char)body[i];

        if (ch == '\n' && n > 0)
            break;
        out[n++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

static int status_error(const struct kreg__http_call *c, struct kreg_error *err)
{
    int code = code_for_status(c->status);
    int http_status = (int)c->status;
    char ex[EXCERPT_MAX];
    char line[sizeof(c->status_line)];

    if (decode_status(kbuf_str(&c->body), kbuf_len(&c->body), code, http_status,
                      err))
        return code;
    if (c->status_line[0])
        snprintf(line, sizeof(line), "%s", c->status_line);
    else
        snprintf(line, sizeof(line), "HTTP %d", http_status);
    excerpt(kbuf_str(&c->body), kbuf_len(&c->body), ex, sizeof(ex));
    if (ex[0])
        return kreg__error(err, code, http_status, NULL, "%s: %s", line, ex);
    return kreg__error(err, code, http_status, NULL, "%s", line);
}

bool kreg__http_error_is_transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

static bool is_tls_failure(CURLcode cc)
{
    switch (cc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
        return true;
    default:
        return false;
    }
}

/* libcurl's specific text when it wrote one, else the generic one. */
static const char *curl_text(const struct kreg__http_call *c, CURLcode cc)
{
    return c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);
}

static int transfer_error(const struct kreg__http_call *c, CURLcode cc,
                          struct kreg_error *err)
{
    const char *server = c->h->shown;
    int st = (int)c->status;

    if (cc == CURLE_OUT_OF_MEMORY)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    if (cc == CURLE_URL_MALFORMAT) /* the path: the server URL was checked */
        return kreg__error(err, KREG_E_INVALID, 0, NULL, "request URL: %s",
                           curl_text(c, cc));
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return kreg__error(err, KREG_E_TIMEOUT, st, NULL,
                           "request to the API server at %s timed out: %s",
                           server, curl_text(c, cc));
    if (is_tls_failure(cc))
        return kreg__error(err, KREG_E_CONNECT, 0, NULL,
                           "tls with the API server at %s: %s", server,
                           curl_text(c, cc));
    if (cc == CURLE_PARTIAL_FILE || cc == CURLE_RECV_ERROR ||
        cc == CURLE_GOT_NOTHING)
        return kreg__error(err, KREG_E_CONNECT, st, NULL,
                           "connection to the API server at %s broke: %s",
                           server, curl_text(c, cc));
    return kreg__error(err, KREG_E_CONNECT, 0, NULL,
                       "cannot connect to the API server at %s: %s", server,
                       curl_text(c, cc));
}

int kreg__http_error_result(const struct kreg__http_call *c, CURLcode cc,
                            struct kreg_error *err)
{
    if (c->body_rc == KBUF_E_TOOBIG)
        return kreg__error(err, KREG_E_PROTOCOL, (int)c->status, NULL,
                           "answer from the API server at %s: body larger "
                           "than %zu bytes",
                           c->h->shown, c->body_cap);
    if (c->body_rc == KBUF_E_NOMEM)
        return kreg__error(err, KREG_E_NOMEM, 0, NULL, "out of memory");
    if (cc != CURLE_OK)
        return transfer_error(c, cc, err);
    if (c->status >= 200 && c->status < 300)
        return KREG_OK;
    return status_error(c, err);
}
