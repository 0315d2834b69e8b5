/*
 * fuzz_kutf8: kutf8_decode() against the naive reference of
 * common/tests/kutf8_ref.h on any bytes. The first byte picks the flags
 * (its low four bits); the rest is decoded at every offset under those
 * flags. It aborts when the two disagree, when a sequence valid under Go's
 * rules does not encode back to its own bytes, or when KUTF8_REPLACE
 * leaves a byte undecoded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kutf8.h"
#include "kutf8_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char out[KUTF8_MAX_LEN];
    unsigned flags;
    size_t i;

    if (size == 0)
        return 0;
    flags = data[0] & 0x0Fu;
    data++;
    size--;
    for (i = 0; i <= size; i++) {
        uint32_t r1 = 0;
        uint32_t r2 = 0;
        size_t w1 = kutf8_decode(data + i, size - i, flags, &r1);
        size_t w2 = kutf8_ref_decode(data + i, size - i, flags, &r2);

        if (w1 != w2 || r1 != r2)
            abort();
        if (w1 > size - i || (i < size && (flags & KUTF8_REPLACE) && w1 == 0))
            abort();
        /* valid under Go's rules: encodes back to the same bytes */
        if (i < size && kutf8_decode(data + i, size - i, 0, NULL) > 0 &&
            (kutf8_encode(r1, out) != w1 || memcmp(out, data + i, w1) != 0))
            abort();
    }
    return 0;
}
