/*
 * kubeconfig: write a kubeconfig that kubectl, client-go, the Python
 * client and libkreg use unchanged (docs/kubernetes-api.md, Client
 * configuration): the server URL, the CA as certificate-authority-data when TLS
 * is on, the bearer token when one is set, and the context's namespace. The
 * file is created 0600: it may hold the token.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "http/server.h"

static void add_base64(struct kbuf *b, const unsigned char *p, size_t n)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;

        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        kbuf_addc(b, tbl[(v >> 18) & 63]);
        kbuf_addc(b, tbl[(v >> 12) & 63]);
        kbuf_addc(b, i + 1 < n ? tbl[(v >> 6) & 63] : '=');
        kbuf_addc(b, i + 2 < n ? tbl[v & 63] : '=');
    }
}

/* A YAML double-quoted scalar. */
static void add_quoted(struct kbuf *b, const char *s)
{
    kbuf_addc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            kbuf_addf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            kbuf_addf(b, "\\x%02x", c);
        else
            kbuf_addc(b, (char)c);
    }
    kbuf_addc(b, '"');
}

static int read_file(const char *path, struct kbuf *out)
{
    return kbuf_read_file(out, path) == 0 && kbuf_len(out) > 0 ? 0 : -1;
}

static int write_all(const char *path, const struct kbuf *b)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const char *p = kbuf_str(b);
    size_t left = kbuf_len(b);

    if (fd < 0)
        return -1;
    while (left > 0) {
        ssize_t n = write(fd, p, left);

        if (n <= 0) {
            close(fd);
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    return close(fd);
}

int fakeapi_write_kubeconfig(const fakeapi *srv, const char *path,
                             const char *ns, const char *ca_file,
                             struct fakeapi_error *err)
{
    struct kbuf b;
    struct kbuf ca;
    int rc = FAKEAPI_OK;

    kbuf_init(&b, 1 << 20);
    kbuf_init(&ca, 1 << 20);
    if (ca_file && read_file(ca_file, &ca) != 0) {
        rc = fakeapi__error(err, FAKEAPI_E_IO, "kubeconfig: cannot read CA %s",
                            ca_file);
        goto out;
    }
    kbuf_adds(&b, "apiVersion: v1\nkind: Config\nclusters:\n- name: fakeapi\n"
                  "  cluster:\n    server: ");
    add_quoted(&b, srv->url);
    if (kbuf_len(&ca) > 0) {
        kbuf_adds(&b, "\n    certificate-authority-data: ");
        add_base64(&b, (const unsigned char *)kbuf_str(&ca), kbuf_len(&ca));
    }
    kbuf_adds(&b, "\ncontexts:\n- name: fakeapi\n  context:\n"
                  "    cluster: fakeapi\n    user: fakeapi\n    namespace: ");
    add_quoted(&b, ns ? ns : "default");
    kbuf_adds(&b, "\ncurrent-context: fakeapi\nusers:\n- name: fakeapi\n"
                  "  user:");
    if (srv->token) {
        kbuf_adds(&b, "\n    token: ");
        add_quoted(&b, srv->token);
    } else {
        kbuf_adds(&b, " {}");
    }
    kbuf_adds(&b, "\npreferences: {}\n");
    if (write_all(path, &b) != 0)
        rc = fakeapi__error(err, FAKEAPI_E_IO, "kubeconfig: cannot write %s",
                            path);
out:
    kbuf_release(&ca);
    kbuf_release(&b);
    return rc;
}
