/*
 * podlist: read a PodList answer keeping only what the registry uses.
 *
 * A pod is mostly spec (containers, volumes, tolerations) that get, list
 * and watch never read. Building a jansson tree for all of it was most of
 * a `kreg get`; this reader walks the answer, hands only each item's
 * "metadata" and "status" to jansson, and skips every other member with a
 * non-allocating scanner.
 */
#ifndef KREG_PODLIST_H
#define KREG_PODLIST_H

#include <stddef.h>

#include <jansson.h>

/*
 * Parse @p len bytes of a PodList into a new object of the same shape:
 * {"metadata":{...},"items":[{"metadata":{...},"status":{...}}, ...]}
 * (other members of the list and of each item are left out).
 * Returns the object (new reference), or NULL when the text is not a
 * well-formed PodList; then @p why (optional, 128 bytes) says what.
 */
json_t *kreg__podlist_parse(const char *text, size_t len, char *why);

#endif
