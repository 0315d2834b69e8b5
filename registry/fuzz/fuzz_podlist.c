/*
 * fuzz_podlist: the PodList reader (podlist.c) on any bytes. It must never
 * crash or leak, and whatever it accepts has the promised shape.
 */
#include <stdint.h>
#include <stdlib.h>

#include "podlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[128];
    json_t *list = kreg__podlist_parse((const char *)data, size, why);
    json_t *pod;
    size_t i;

    if (!list)
        return 0;
    if (!json_is_array(json_object_get(list, "items")))
        abort();
    json_array_foreach(json_object_get(list, "items"), i, pod)
    {
        if (!json_is_object(pod) || json_object_size(pod) > 2)
            abort();
    }
    json_decref(list);
    return 0;
}
