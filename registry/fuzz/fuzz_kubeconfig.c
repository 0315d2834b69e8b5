/*
 * libFuzzer harness for the kubeconfig parser and the context checks
 * (kreg__config_parse_kubeconfig_mem: no file is read, no plugin run),
 * plus the RFC 3339 and base64 helpers the loader uses on file contents.
 * Seeds: fixtures/fuzz/kubeconfig/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct kreg_options opt;
    struct kreg_error err;
    char *out = NULL;
    size_t out_len = 0;
    int64_t ms;

    memset(&opt, 0, sizeof(opt));
    /* Odd sizes also exercise a context option and the TLS overrides. */
    if (size & 1) {
        opt.context = "c";
        opt.insecure = size & 2;
    }
    (void)kreg__config_parse_kubeconfig_mem(text, size, "/nonexistent", &opt,
                                            &err);
    (void)kreg__config_util_parse_time(text, size, &ms);
    if (kreg__config_util_base64_decode(text, size, &out, &out_len) == KREG_OK)
        free(out);
    return 0;
}
