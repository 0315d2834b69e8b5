/*
 * fakeapi: a standalone fake Kubernetes API server for pods.
 *
 * Prints "fakeapi listening on URL" as its first line (flushed at once),
 * serves until SIGINT or SIGTERM, then stops cleanly with exit 0.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeapi.h"
#include "knum.h"

#define MAX_SEEDS 64

struct args {
    struct fakeapi_options opt;
    const char *kubeconfig;
    const char *ns;
    const char *seeds[MAX_SEEDS];
    size_t nseeds;
    const char *tls_ca;
};

static void usage(FILE *f)
{
    fputs("usage: fakeapi [--port N] [--bind ADDR] [--write-kubeconfig FILE]\n"
          "               [--namespace NS] [--seed FILE]... [--token T]\n"
          "               [--tls-cert F --tls-key F [--tls-ca F]] [--help]\n"
          "\n"
          "A fake Kubernetes API server for pods (kubectl, client-go, the\n"
          "Python client and libkreg talk to it as to a cluster).\n"
          "\n"
          "  --port N              TCP port; 0 (default) picks a free one\n"
          "  --bind ADDR           address to bind (default 127.0.0.1)\n"
          "  --write-kubeconfig F  write a kubeconfig for this server to F\n"
          "  --namespace NS        kubeconfig namespace (created if missing)\n"
          "  --seed FILE           load pods (Pod, PodList or array; JSON);\n"
          "                        may be repeated\n"
          "  --token T             require 'Authorization: Bearer T'\n"
          "  --tls-cert F          serve HTTPS with this PEM certificate\n"
          "  --tls-key F           ... and this PEM private key\n"
          "  --tls-ca F            CA for the kubeconfig (default: the cert)\n"
          "  --help                this text\n"
          "\n"
          "Test control over HTTP lives under /fakeapi/v1/ (see README).\n"
          "SIGINT or SIGTERM stops the server (exit 0).\n",
          f);
}

/* Parse argv; returns 0, 1 for --help, or 2 for a usage error. */
static int parse(int argc, char **argv, struct args *a)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t port;

        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0)
            return 1;
        if (!v) {
            fprintf(stderr, "fakeapi: %s: missing value or unknown option\n",
                    o);
            return 2;
        }
        i++;
        if (strcmp(o, "--port") == 0) {
            if (!knum_u64(v, &port) || port > 65535) {
                fprintf(stderr, "fakeapi: --port: not a port: %s\n", v);
                return 2;
            }
            a->opt.port = (uint16_t)port;
        } else if (strcmp(o, "--bind") == 0) {
            a->opt.bind = v;
        } else if (strcmp(o, "--write-kubeconfig") == 0) {
            a->kubeconfig = v;
        } else if (strcmp(o, "--namespace") == 0) {
            a->ns = v;
        } else if (strcmp(o, "--seed") == 0) {
            if (a->nseeds == MAX_SEEDS) {
                fprintf(stderr, "fakeapi: at most %d --seed files\n",
                        MAX_SEEDS);
                return 2;
            }
            a->seeds[a->nseeds++] = v;
        } else if (strcmp(o, "--token") == 0) {
            a->opt.token = v;
        } else if (strcmp(o, "--tls-cert") == 0) {
            a->opt.tls_cert_file = v;
        } else if (strcmp(o, "--tls-key") == 0) {
            a->opt.tls_key_file = v;
        } else if (strcmp(o, "--tls-ca") == 0) {
            a->tls_ca = v;
        } else {
            fprintf(stderr, "fakeapi: unknown option %s\n", o);
            return 2;
        }
    }
    if (!a->opt.tls_cert_file != !a->opt.tls_key_file) {
        fprintf(stderr, "fakeapi: --tls-cert and --tls-key go together\n");
        return 2;
    }
    return 0;
}

/* Load seeds, create the namespace, write the kubeconfig. */
static int prepare(fakeapi *srv, const struct args *a)
{
    struct fakeapi_error err = {0};
    size_t i;

    for (i = 0; i < a->nseeds; i++) {
        if (fakeapi_seed_file(srv, a->seeds[i], &err) != FAKEAPI_OK) {
            fprintf(stderr, "fakeapi: %s\n", err.text);
            return 1;
        }
    }
    if (a->ns && fakeapi_create_namespace(srv, a->ns, &err) != FAKEAPI_OK) {
        fprintf(stderr, "fakeapi: namespace %s: %s\n", a->ns, err.text);
        return 1;
    }
    if (a->kubeconfig &&
        fakeapi_write_kubeconfig(
            srv, a->kubeconfig, a->ns,
            a->opt.tls_cert_file
                ? (a->tls_ca ? a->tls_ca : a->opt.tls_cert_file)
                : NULL,
            &err) != FAKEAPI_OK) {
        fprintf(stderr, "fakeapi: %s\n", err.text);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct args a;
    struct fakeapi_error err = {0};
    fakeapi *srv = NULL;
    sigset_t set;
    int sig = 0;
    int rc;

    memset(&a, 0, sizeof(a));
    rc = parse(argc, argv, &a);
    if (rc == 1) {
        usage(stdout);
        return 0;
    }
    if (rc != 0) {
        usage(stderr);
        return 2;
    }
    /* block the stop signals before any thread starts; sigwait below */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (fakeapi_start(&a.opt, &srv, &err) != FAKEAPI_OK) {
        fprintf(stderr, "fakeapi: %s\n", err.text);
        return 1;
    }
    if (prepare(srv, &a) != 0) {
        fakeapi_stop(srv);
        return 1;
    }
    printf("fakeapi listening on %s\n", fakeapi_url(srv));
    fflush(stdout);
    sigwait(&set, &sig);
    fakeapi_stop(srv);
    return 0;
}
