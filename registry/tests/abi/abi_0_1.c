/* The 0.1 layout table (layout.h), from the 0.1 header kept here. */
#include "kreg-0.1.h"

#include "layout.h"

const struct abi_entry *abi_0_1(size_t *n)
{
    static const struct abi_entry table[] = {ABI_LAYOUT_0_1};

    *n = sizeof(table) / sizeof(table[0]);
    return table;
}
