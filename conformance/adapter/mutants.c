/*
 * mutants: the deliberate bugs of `kreg-adapter --mutant N`.
 *
 * Each one is a mistake an author of a go-micro registry could make, kept
 * small and self-consistent (a wrong key encoding is used by register,
 * deregister and get alike), so the suite has to look at what reaches
 * the API server or at the semantics to notice it. The mutants ctest
 * (conformance/mutants_test.sh) requires the suite to catch every one.
 */
#include "adapter.h"

#include <stdio.h>

static const struct mutant mutants[] = {
    {1, "enc-dots",
     "name encoding also replaces '.' with '_' (shop.cart -> shop_cart)",
     MUT_ENC_DOTS, false},
    {2, "enc-lowercase", "name encoding folds the name to lower case",
     MUT_ENC_LOWER, false},
    {3, "no-type-label", "register does not set micro.mu/type=service",
     MUT_NO_TYPE_LABEL, false},
    {4, "dereg-keeps-annotation",
     "deregister removes the selector label but leaves the annotation",
     MUT_DEREG_KEEP_ANN, false},
    {5, "dereg-drops-type-label",
     "deregister also removes micro.mu/type=service", MUT_DEREG_DROP_TYPE,
     false},
    {6, "get-any-phase",
     "get serves pods in any phase (Pending, Succeeded, Failed)",
     MUT_GET_ANY_PHASE, false},
    {7, "get-no-merge",
     "get returns one entry per pod instead of merging nodes per version",
     MUT_GET_NO_MERGE, false},
    {8, "json-unsorted-maps",
     "metadata map keys written in the given order, not sorted",
     MUT_JSON_UNSORTED, false},
    {9, "json-no-html-escape",
     "< > & written raw, not as \\u003c \\u003e "
     "\\u0026",
     MUT_JSON_NO_HTML, false},
    {10, "json-raw-line-separators",
     "U+2028 and U+2029 written raw, not as \\u2028 \\u2029",
     MUT_JSON_RAW_LINESEP, false},
    {11, "json-empty-as-null",
     "empty endpoints, values and metadata written as null, not [] or {}",
     MUT_JSON_EMPTY_NULL, false},
    {12, "get-notfound-empty",
     "get of a service no pod carries answers [] instead of not_found",
     MUT_GET_NOTFOUND_EMPTY, false},
    {13, "list-duplicates",
     "list returns one entry per pod annotation (names repeat)", MUT_LIST_DUPS,
     false},
    {14, "watch-update-as-create",
     "watch reports a changed registration as create, not update",
     MUT_WATCH_UPDATE_CREATE, false},
    {15, "watch-no-pod-delete",
     "watch reports nothing when a pod carrying services is deleted",
     MUT_WATCH_NO_POD_DELETE, false},
    {16, "json-v4-order",
     "go-micro v4.10.2 field order (node metadata first, endpoint name "
     "last) instead of v2",
     MUT_JSON_V4_ORDER, false},
    {17, "get-terminating",
     "get serves terminating pods (deletionTimestamp set)", MUT_GET_TERMINATING,
     true},
    {18, "register-replaces-maps",
     "register replaces the pod's whole labels and annotations maps "
     "(JSON patch add) instead of merging",
     MUT_REPLACE_MAPS, false},
    {19, "json-upper-hex",
     "control bytes escaped with upper-case hex (\\u001F, not \\u001f)",
     MUT_JSON_UPPER_HEX, false},
    {20, "json-escape-slash", "'/' escaped as \\/", MUT_JSON_ESCAPE_SLASH,
     false},
    {21, "list-any-phase", "list includes pods in any phase",
     MUT_LIST_ANY_PHASE, false},
    /* recommended: go-micro's own plugins do these (cases.h) */
    {22, "list-terminating",
     "list includes terminating pods (deletionTimestamp set), as v1/v2",
     MUT_LIST_TERMINATING, true},
    {23, "register-error-no-pod",
     "register on a missing pod fails with \"pod not found\", without the "
     "pod's name, as v4",
     MUT_REG_ERROR_NO_POD, true},
    {24, "watch-create-as-update",
     "watch reports a service that appears (first register, pod turning "
     "Running) as update, not create, as v2 and v4 do for a Running pod",
     MUT_WATCH_CREATE_UPDATE, true},
    {25, "watch-one-reports-all",
     "a watch of one service reports every service, as a v1/v2 "
     "per-service watch does",
     MUT_WATCH_ALL_SERVICES, true},
    {26, "watch-update-storm",
     "watch re-reports each created or updated service as update, as v2 "
     "re-reports a pod's unchanged services",
     MUT_WATCH_STORM, true},
    {27, "watch-drops-first-event",
     "watch loses its first event, as v1/v2 drop their first second",
     MUT_WATCH_DROP_FIRST, true},
    {28, "ready-only-ignored",
     "announces readyOnly, then serves every Running pod, Ready or not",
     MUT_FEAT_READY_IGNORED, true},
    {29, "namespaces-ignored",
     "announces namespaces, then reads the target's namespace alone",
     MUT_FEAT_OWN_NAMESPACE, true},
};

const struct mutant *mutant_find(int number)
{
    size_t i;

    for (i = 0; i < sizeof(mutants) / sizeof(mutants[0]); i++)
        if (mutants[i].number == number)
            return &mutants[i];
    return NULL;
}

void mutant_list_print(void)
{
    size_t i;

    for (i = 0; i < sizeof(mutants) / sizeof(mutants[0]); i++)
        printf("%d\t%s\t%s\t%s\n", mutants[i].number, mutants[i].name,
               mutants[i].recommended ? "recommended" : "required",
               mutants[i].description);
}

bool mutant_has(const struct mutant *m, unsigned flags)
{
    return m && (m->flags & flags) != 0;
}
