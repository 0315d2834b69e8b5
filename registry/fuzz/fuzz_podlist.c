/*
 * fuzz_podlist: the PodList reader (podlist.c) on any bytes. It must never
 * crash or leak, and whatever it accepts has the promised shape.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "podlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kreg_error err = {0};
    json_t *list = NULL;
    json_t *pod;
    size_t i;

    if (kreg__podlist_parse((const char *)data, size, &list, &err) != KREG_OK) {
        if (list || strncmp(err.text, "pod list: ", 10) != 0)
            abort();
        return 0;
    }
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
