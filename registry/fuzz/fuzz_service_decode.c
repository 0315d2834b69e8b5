/*
 * libFuzzer harness for kreg_service_decode(), with a differential check:
 * for every profile, encode(decode(x)) must be a fixed point, i.e. decoding
 * and re-encoding the encoder's output gives the same bytes. A deep copy
 * must encode like its original. Any difference aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kreg.h"
#include "service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int wires[] = {
    KREG_WIRE_V2,
    KREG_WIRE_V1,
    KREG_WIRE_V4_10_2,
    KREG_WIRE_V2 | KREG_WIRE_GO122_ESCAPES,
};

/* encode(s) == encode(decode(encode(s))) and == encode(dup(s)). */
static void check_stable(const struct kreg_service *s,
                         const struct kreg_service *copy, int wire)
{
    struct kreg_service *again = NULL;
    char *first = NULL;
    char *second = NULL;
    char *dup = NULL;
    size_t first_len;
    size_t second_len;
    size_t dup_len;

    if (kreg_service_encode(s, wire, &first, &first_len, NULL) != KREG_OK)
        abort(); /* whatever decodes must encode */
    if (kreg_service_decode(first, first_len, &again, NULL) != KREG_OK)
        abort(); /* the encoder wrote something the decoder refuses */
    if (kreg_service_encode(again, wire, &second, &second_len, NULL) !=
            KREG_OK ||
        second_len != first_len || memcmp(first, second, first_len) != 0)
        abort();
    if (kreg_service_encode(copy, wire, &dup, &dup_len, NULL) != KREG_OK ||
        dup_len != first_len || memcmp(first, dup, first_len) != 0)
        abort();
    if (!kreg__service_equal(s, copy))
        abort();
    free(dup);
    free(second);
    free(first);
    kreg_service_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kreg_service *s = NULL;
    struct kreg_service *copy;
    struct kreg_error err;
    size_t i;

    if (kreg_service_decode((const char *)data, size, &s, &err) != KREG_OK) {
        if (s || err.code != KREG_E_INVALID || err.text[0] == '\0')
            abort();
        return 0;
    }
    copy = kreg_service_dup(s);
    if (!copy)
        abort();
    for (i = 0; i < sizeof(wires) / sizeof(wires[0]); i++)
        check_stable(s, copy, wires[i]);
    kreg_service_free(copy);
    kreg_service_free(s);
    return 0;
}
