/*
 * service: the go-micro service model (internal helpers).
 *
 * The public half (kreg_service_*, kreg_metadata_*) is declared in kreg.h.
 * The files of the module:
 *  - service.c         life cycle, metadata, lists, merging, comparison
 *  - service_decode.c  kreg_service_decode(): Go's json.Unmarshal rules
 *  - service_encode.c  kreg_service_encode(): Go's json.Marshal bytes
 *
 * Zero values follow Go: a new service, endpoint, node or value has every
 * string "" and every map and slice nil (the *_null flags set), as
 * registry.Service{} does.
 */
#ifndef KREG_SERVICE_H
#define KREG_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "kbuf.h"
#include "kreg.h"

/*
 * Deepest JSON nesting the decoder accepts and the encoder writes (Go's
 * decoder allows 10000). 1000 leaves room for Values nested about 500
 * deep (go-micro's reflection writes 3) and bounds the C stack: at the
 * limit decoding takes about 160 KiB of stack (x86-64, gcc -O2; more
 * under sanitizers), so decode on threads with at least 256 KiB.
 */
#define KREG__SERVICE_MAX_DEPTH 1000

/* Mask of enum kreg_wire in the encoder's wire argument. */
#define KREG__SERVICE_WIRE_PROFILE 0xff

/* ---- Parts: zero values, copies, frees (service.c) ------------------------*/

/* New zero node (metadata nil, port 0); NULL if out of memory. */
struct kreg_node *kreg__service_node_new(void);

/* Deep copy of @p n (NULL gives NULL); NULL if out of memory. */
struct kreg_node *kreg__service_node_dup(const struct kreg_node *n);

/* Free a node and all it owns; NULL is a no-op. */
void kreg__service_node_free(struct kreg_node *n);

/* New zero endpoint (request, response NULL; metadata nil). */
struct kreg_endpoint *kreg__service_endpoint_new(void);

/* Deep copy of @p e; NULL if out of memory. */
struct kreg_endpoint *kreg__service_endpoint_dup(const struct kreg_endpoint *e);

/* Free an endpoint and all it owns; NULL is a no-op. */
void kreg__service_endpoint_free(struct kreg_endpoint *e);

/* New zero value (values nil). */
struct kreg_value *kreg__service_value_new(void);

/* Deep copy of @p v (recursive); NULL if out of memory. */
struct kreg_value *kreg__service_value_dup(const struct kreg_value *v);

/* Free a value and its nested values; NULL is a no-op. */
void kreg__service_value_free(struct kreg_value *v);

/* Free the entries of @p m; it is left empty with is_null unchanged. */
void kreg__service_metadata_release(struct kreg_metadata *m);

/*
 * Make @p dst (uninitialised) a deep copy of @p src.
 * @return KREG_OK or KREG_E_NOMEM (then @p dst is empty and owns nothing).
 */
int kreg__service_metadata_copy(struct kreg_metadata *dst,
                                const struct kreg_metadata *src);

/* ---- Lists and merging (service.c) ----------------------------------------*/

/* New empty list; NULL if out of memory. Free with kreg_service_list_free. */
struct kreg_service_list *kreg__service_list_new(void);

/*
 * Append @p s to @p l. Consumes @p s, also on failure (then it is freed).
 * @return KREG_OK or KREG_E_NOMEM.
 */
int kreg__service_list_append(struct kreg_service_list *l,
                              struct kreg_service *s);

/* Borrowed: the first entry with this name and version, or NULL. */
struct kreg_service *kreg__service_list_find(const struct kreg_service_list *l,
                                             const char *name,
                                             const char *version);

/* Sort by name, then version (raw bytes; stable for equal pairs). */
void kreg__service_list_sort(struct kreg_service_list *l);

/*
 * Move @p src's nodes to the end of @p dst, in order, NULL elements
 * included, as GetService's `append(s.Nodes, svc.Nodes...)` does; @p dst
 * stays nil (nodes_null) when both are empty, as in Go. @p src is left
 * with no nodes (still to be freed by its owner).
 * @return KREG_OK or KREG_E_NOMEM (then both are unchanged).
 */
int kreg__service_merge_nodes(struct kreg_service *dst,
                              struct kreg_service *src);

/*
 * Whether @p a and @p b are the same service: every member, port and
 * *_null flag (nil and empty differ, as they encode differently); maps
 * compare as maps (order ignored). extra_json is not compared.
 */
bool kreg__service_equal(const struct kreg_service *a,
                         const struct kreg_service *b);

/* ---- Encoding pieces (service_encode.c) -----------------------------------*/

/*
 * Append @p len bytes of @p s to @p b as a quoted JSON string, escaped as
 * Go's encoding/json does with HTML escaping on (docs/go-micro-wire.md,
 * Writing); @p wire may carry KREG_WIRE_GO122_ESCAPES. Also right for the
 * strings of a PATCH body, which Go's json.Encoder writes the same way.
 * @return KBUF_OK or a KBUF_E_* code (then @p b is released, as kbuf does).
 */
int kreg__service_encode_string(struct kbuf *b, const char *s, size_t len,
                                int wire);

#endif
