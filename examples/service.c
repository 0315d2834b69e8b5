/*
 * A go-micro style service written in C with libkreg: it registers itself
 * on its own pod, looks up a peer service, serves until SIGTERM (here it
 * only waits), then deregisters and exits 0. Go services using the
 * go-micro kubernetes registry find it, and it finds them.
 *
 * Environment (all optional):
 *   POD_NAME         own pod (downward API metadata.name); else $HOSTNAME
 *   POD_NAMESPACE    namespace (metadata.namespace); else the configuration
 *   POD_IP           own address (status.podIP), for the default address
 *   SERVICE_NAME     the name to register, default "example.service"
 *   SERVICE_VERSION  default "latest"
 *   SERVICE_ADDRESS  host:port of this node, default $POD_IP:8080 or
 *                    127.0.0.1:8080
 *   PEER_SERVICE     the service to look up, default "example.peer"
 * The API server comes from the in-cluster configuration inside a pod,
 * else from $KUBECONFIG or ~/.kube/config.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kreg.h>

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);

    return v && *v ? v : fallback;
}

/* Replace an owned string of the service model. */
static int set_string(char **field, const char *value)
{
    char *copy = strdup(value);

    if (!copy)
        return KREG_E_NOMEM;
    free(*field);
    *field = copy;
    return KREG_OK;
}

/* This process as go-micro describes a service: one node, whose id is
 * unique per pod, like go-micro's "<name>-<uuid>". */
static struct kreg_service *describe_self(const char *name, const char *address)
{
    const char *pod = env_or("POD_NAME", env_or("HOSTNAME", "local"));
    struct kreg_service *s = kreg_service_new();
    struct kreg_node *node;
    char id[256];
    int n = snprintf(id, sizeof(id), "%s-%s", name, pod);

    if (!s || n < 0 || (size_t)n >= sizeof(id)) {
        kreg_service_free(s);
        return NULL;
    }
    s->endpoints_null = false; /* "endpoints":[] as go-micro v2 writes */
    node = kreg_service_add_node(s, id, address);
    if (set_string(&s->name, name) != KREG_OK ||
        set_string(&s->version, env_or("SERVICE_VERSION", "latest")) !=
            KREG_OK ||
        !node ||
        kreg_metadata_set(&node->metadata, "registry", "kubernetes") !=
            KREG_OK ||
        kreg_metadata_set(&node->metadata, "server", "kreg-example") !=
            KREG_OK) {
        kreg_service_free(s);
        return NULL;
    }
    return s;
}

/* Print what the registry knows about @p peer; a missing peer is fine. */
static void show_peer(kreg *r, const char *peer)
{
    struct kreg_service_list *l = NULL;
    struct kreg_error err = {0};
    size_t i;
    size_t j;
    int rc = kreg_get_service(r, peer, &l, &err);

    if (rc == KREG_E_NOT_FOUND || (rc == KREG_OK && l->count == 0)) {
        printf("peer %s: not found\n", peer);
    } else if (rc != KREG_OK) {
        printf("peer %s: lookup failed: %s\n", peer, err.text);
    } else {
        for (i = 0; i < l->count; i++) {
            const struct kreg_service *s = l->items[i];

            for (j = 0; j < s->nnodes; j++) {
                if (s->nodes[j])
                    printf("peer %s %s: %s at %s\n", s->name, s->version,
                           s->nodes[j]->id, s->nodes[j]->address);
            }
        }
    }
    kreg_service_list_free(l);
}

int main(void)
{
    struct kreg_options opt;
    struct kreg_error err = {0};
    struct kreg_service *self = NULL;
    kreg *r = NULL;
    char address[256];
    const char *name = env_or("SERVICE_NAME", "example.service");
    sigset_t stop;
    int sig = 0;
    int rc;

    /* block the stop signals before libkreg starts any thread, then
     * take them with sigwait(): no signal handler needed */
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    memset(&opt, 0, sizeof(opt));
    opt.pod_name = getenv("POD_NAME");
    opt.namespace_ = getenv("POD_NAMESPACE");
    rc = kreg_new(&opt, &r, &err);
    if (rc != KREG_OK) {
        fprintf(stderr, "example: %s\n", err.text);
        return 1;
    }
    rc = snprintf(address, sizeof(address), "%s:8080",
                  env_or("POD_IP", "127.0.0.1"));
    if (rc > 0 && (size_t)rc < sizeof(address))
        self = describe_self(name, env_or("SERVICE_ADDRESS", address));
    if (!self) {
        fprintf(stderr, "example: cannot describe the service (out of "
                        "memory or names too long)\n");
        kreg_free(r);
        return 1;
    }
    rc = kreg_register(r, self, &err);
    if (rc != KREG_OK) {
        fprintf(stderr, "example: %s\n", err.text);
        kreg_service_free(self);
        kreg_free(r);
        return 1;
    }
    printf("registered %s as %s at %s in namespace %s\n", self->name,
           self->nodes[0]->id, self->nodes[0]->address, kreg_namespace(r));
    show_peer(r, env_or("PEER_SERVICE", "example.peer"));
    printf("serving; waiting for SIGTERM\n");
    fflush(stdout);

    sigwait(&stop, &sig);
    rc = kreg_deregister(r, self, &err);
    if (rc != KREG_OK)
        fprintf(stderr, "example: %s\n", err.text);
    else
        printf("deregistered %s\n", self->name);
    kreg_service_free(self);
    kreg_free(r);
    return rc == KREG_OK ? 0 : 1;
}
