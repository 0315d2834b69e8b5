/*
 * The layout of libkreg's public structs as a table, built by whichever
 * kreg.h was included before this file: abi_0_1.c builds it from the 0.1
 * header kept beside it, test_abi.c from the current one, and the test
 * compares them (a program built against 0.1 must run with libkreg.so.0).
 */
#ifndef KREG_TEST_ABI_LAYOUT_H
#define KREG_TEST_ABI_LAYOUT_H

#include <stddef.h>

struct abi_entry {
    const char *what; /* "sizeof kreg_node" or "kreg_node.port" */
    size_t value;
};

#define ABI_SIZE(s)                                                            \
    {                                                                          \
        "sizeof " #s, sizeof(struct s)                                         \
    }
#define ABI_AT(s, m)                                                           \
    {                                                                          \
#s "." #m, offsetof(struct s, m)                                       \
    }

/* Every member 0.1 had, and every struct's size. */
#define ABI_LAYOUT_0_1                                                         \
    ABI_SIZE(kreg_error), ABI_AT(kreg_error, code),                            \
        ABI_AT(kreg_error, http_status), ABI_AT(kreg_error, reason),           \
        ABI_AT(kreg_error, text), ABI_SIZE(kreg_metadata),                     \
        ABI_AT(kreg_metadata, count), ABI_AT(kreg_metadata, keys),             \
        ABI_AT(kreg_metadata, values), ABI_AT(kreg_metadata, is_null),         \
        ABI_SIZE(kreg_value), ABI_AT(kreg_value, name),                        \
        ABI_AT(kreg_value, type), ABI_AT(kreg_value, nvalues),                 \
        ABI_AT(kreg_value, values), ABI_AT(kreg_value, values_null),           \
        ABI_SIZE(kreg_endpoint), ABI_AT(kreg_endpoint, name),                  \
        ABI_AT(kreg_endpoint, request), ABI_AT(kreg_endpoint, response),       \
        ABI_AT(kreg_endpoint, metadata), ABI_SIZE(kreg_node),                  \
        ABI_AT(kreg_node, id), ABI_AT(kreg_node, address),                     \
        ABI_AT(kreg_node, port), ABI_AT(kreg_node, metadata),                  \
        ABI_SIZE(kreg_service), ABI_AT(kreg_service, name),                    \
        ABI_AT(kreg_service, version), ABI_AT(kreg_service, metadata),         \
        ABI_AT(kreg_service, nendpoints), ABI_AT(kreg_service, endpoints),     \
        ABI_AT(kreg_service, endpoints_null), ABI_AT(kreg_service, nnodes),    \
        ABI_AT(kreg_service, nodes), ABI_AT(kreg_service, nodes_null),         \
        ABI_AT(kreg_service, extra_json), ABI_SIZE(kreg_service_list),         \
        ABI_AT(kreg_service_list, count), ABI_AT(kreg_service_list, items),    \
        ABI_SIZE(kreg_options), ABI_AT(kreg_options, server),                  \
        ABI_AT(kreg_options, kubeconfig), ABI_AT(kreg_options, context),       \
        ABI_AT(kreg_options, namespace_), ABI_AT(kreg_options, pod_name),      \
        ABI_AT(kreg_options, token), ABI_AT(kreg_options, ca_file),            \
        ABI_AT(kreg_options, insecure), ABI_AT(kreg_options, sa_dir),          \
        ABI_AT(kreg_options, no_in_cluster),                                   \
        ABI_AT(kreg_options, connect_timeout_ms),                              \
        ABI_AT(kreg_options, timeout_ms), ABI_AT(kreg_options, retries),       \
        ABI_AT(kreg_options, retry_base_ms), ABI_AT(kreg_options, wire),       \
        ABI_SIZE(kreg_query), ABI_AT(kreg_query, on_skip),                     \
        ABI_AT(kreg_query, ctx), ABI_SIZE(kreg_result),                        \
        ABI_AT(kreg_result, action), ABI_AT(kreg_result, service),             \
        ABI_AT(kreg_result, pod)

/* abi_0_1.c: the table built from the 0.1 header. */
const struct abi_entry *abi_0_1(size_t *n);

#endif
