/*
 * store_batch: the store's writes, all or nothing (store.h, "writes").
 *
 * A write is a batch of changes. Staging a change does every allocation
 * its commit needs and records it in the batch:
 *  - a pod put: the event; for a new pod its entry and key, linked in the
 *    hash at once as a placeholder without a snapshot (readers skip it);
 *    room in its namespace's array; and when its labels differ from the
 *    state before, room in every label set it joins (sets made as needed);
 *  - a pod delete: the event;
 *  - a namespace put: for a new namespace its entry, linked in the hash as
 *    a placeholder, and room in the namespace array;
 *  - a namespace delete: nothing.
 * The commit then applies the changes in order with operations that
 * cannot fail (link into held room, unlink, swap a snapshot, free), and
 * publishes each pod event. Dropping a batch undoes the stages in reverse:
 * placeholders unlinked and freed, held room given back, sets made for it
 * dropped. Capacity grown for a dropped batch stays: it is not state.
 *
 * While staged, entry->next is the state the batch gives an entry (so a
 * second change to the same pod in one batch, as a grace-0 delete's
 * MODIFIED then DELETED, knows what it follows) and entry->doomed marks a
 * removal.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

enum op_kind { OP_PUT, OP_DELETE, OP_PUT_NS, OP_DELETE_NS };

struct batch_op {
    enum op_kind kind;
    struct fakeapi_obj *o;        /* the new state, or a pod's last (one ref) */
    struct entry *e;              /* pod changes */
    struct nsent *n;              /* the namespace (changed, or the pod's) */
    struct event *ev;             /* pod changes: made at staging */
    struct fakeapi_obj *was_next; /* e->next or n->next before the stage */
    uint64_t rv;                  /* the resourceVersion it carries; 0: none */
    bool made;                    /* the stage made the entry (a placeholder) */
    bool relabel;                 /* a put: joins the label sets of o */
    bool bulk;                    /* a put: append to indexes unsorted */
};

void fakeapi__store_batch_init(struct store_batch *b, struct store *st)
{
    memset(b, 0, sizeof(*b));
    b->st = st;
    b->rv = st->rv;
}

uint64_t fakeapi__store_batch_next_rv(const struct store_batch *b)
{
    return b->rv + 1;
}

/* Room for one more op; NULL when out of memory. */
static struct batch_op *op_room(struct store_batch *b)
{
    struct batch_op *v;
    size_t cap;

    if (b->n == b->cap) {
        cap = b->cap ? b->cap * 2 : 4;
        v = realloc(b->ops, cap * sizeof(*v));
        if (!v)
            return NULL;
        b->ops = v;
        b->cap = cap;
    }
    memset(&b->ops[b->n], 0, sizeof(b->ops[b->n]));
    return &b->ops[b->n];
}

static struct event *event_new(void)
{
    struct event *ev = calloc(1, sizeof(*ev));

    if (ev)
        atomic_init(&ev->refs, 1);
    return ev;
}

static bool labels_equal(const struct fakeapi_labels *a,
                         const struct fakeapi_labels *b)
{
    size_t i;

    if (a->n != b->n)
        return false;
    for (i = 0; i < a->n; i++)
        if (strcmp(a->keys[i], b->keys[i]) != 0 ||
            strcmp(a->values[i], b->values[i]) != 0)
            return false;
    return true;
}

/* Undo what staging @p op did, in reverse, and drop what it holds. */
static void unstage(struct store *st, struct batch_op *op)
{
    switch (op->kind) {
    case OP_PUT:
        if (op->relabel)
            fakeapi__store_index_unhold_labels(st, &op->o->labels);
        if (op->made) {
            op->n->pods.pending--;
            fakeapi__hmap_del(&st->pods, op->e->key);
            fakeapi__store_index_entry_free(op->e);
        } else if (op->e) {
            op->e->next = op->was_next;
        }
        break;
    case OP_DELETE:
        if (op->e)
            op->e->doomed = false;
        break;
    case OP_PUT_NS:
        if (op->made) {
            st->nsv_pending--;
            fakeapi__hmap_del(&st->nss, op->o->name);
            fakeapi__store_index_release(&op->n->pods); /* room held */
            free(op->n->key);
            free(op->n);
        } else {
            op->n->next = op->was_next;
        }
        break;
    case OP_DELETE_NS:
        op->n->doomed = false;
        break;
    }
    free(op->ev);
    fakeapi__obj_unref(op->o);
}

/* Record a staged op, or on @p rc != 0 undo it and fail the batch. */
static int staged(struct store_batch *b, struct batch_op *op, int rc)
{
    if (rc != 0) {
        unstage(b->st, op);
        b->failed = true;
        return -1;
    }
    if (op->rv)
        b->rv = op->rv;
    b->n++;
    return 0;
}

/* Stage failures that come before any op is recorded. */
static int refuse(struct store_batch *b, struct fakeapi_obj *o)
{
    fakeapi__obj_unref(o);
    b->failed = true;
    return -1;
}

/* The namespace a pod change goes to, as the batch leaves it. */
static struct nsent *ns_of(const struct store_batch *b, const char *name)
{
    struct nsent *n = fakeapi__hmap_get(&b->st->nss, name);

    return n && !n->doomed && (n->obj || n->next) ? n : NULL;
}

/* A new entry for @p key, linked in the hash as a placeholder. */
static struct entry *entry_make(struct store *st, const char *key)
{
    struct entry *e = calloc(1, sizeof(*e));

    if (e)
        e->key = strdup(key);
    if (!e || !e->key || fakeapi__hmap_put(&st->pods, key, e, NULL) != 0) {
        fakeapi__store_index_entry_free(e);
        return NULL;
    }
    return e;
}

/* Hold what committing @p op (a put of op->o) needs. */
static int hold_put(struct store *st, struct batch_op *op)
{
    struct entry *e = fakeapi__hmap_get(&st->pods, op->o->key);
    const struct fakeapi_obj *prev;

    if (e && e->doomed)
        return -1; /* a pod put after its delete in one batch */
    op->ev = event_new();
    if (!op->ev)
        return -1;
    if (!e) {
        if (fakeapi__store_index_hold(&op->n->pods) != 0)
            return -1;
        e = entry_make(st, op->o->key);
        if (!e) {
            op->n->pods.pending--;
            return -1;
        }
        op->e = e;
        op->made = true;
    }
    prev = e->next ? e->next : e->obj;
    if (!prev || !labels_equal(&prev->labels, &op->o->labels)) {
        if (fakeapi__store_index_hold_labels(st, &op->o->labels) != 0)
            return -1;
        op->relabel = true;
    }
    op->e = e;
    op->was_next = e->next;
    e->next = op->o;
    return 0;
}

int fakeapi__store_batch_put(struct store_batch *b, struct fakeapi_obj *o,
                             bool bulk)
{
    struct batch_op *op;
    struct nsent *n;

    if (!o || b->failed || o->rv != b->rv + 1)
        return refuse(b, o);
    n = ns_of(b, o->ns);
    op = n ? op_room(b) : NULL;
    if (!op)
        return refuse(b, o);
    op->kind = OP_PUT;
    op->o = o;
    op->rv = o->rv;
    op->n = n;
    op->bulk = bulk;
    return staged(b, op, hold_put(b->st, op));
}

int fakeapi__store_batch_delete(struct store_batch *b, struct fakeapi_obj *last)
{
    struct batch_op *op;
    struct entry *e;

    if (!last || b->failed || last->rv != b->rv + 1)
        return refuse(b, last);
    e = fakeapi__hmap_get(&b->st->pods, last->key);
    if (!e || e->doomed || !(e->next || e->obj))
        return refuse(b, last);
    op = op_room(b);
    if (!op)
        return refuse(b, last);
    op->kind = OP_DELETE;
    op->o = last;
    op->rv = last->rv;
    op->ev = event_new();
    if (op->ev) {
        op->e = e;
        e->doomed = true;
    }
    return staged(b, op, op->ev ? 0 : -1);
}

/* A new namespace entry for @p name, linked in the hash as a placeholder,
 * with room held in the namespace array. */
static struct nsent *nsent_make(struct store *st, const char *name)
{
    size_t len = strlen(name);
    struct nsent *n;
    struct nsent **v;
    size_t cap = st->nsv_cap ? st->nsv_cap : 8;

    while (cap < st->nns + st->nsv_pending + 1)
        cap *= 2;
    if (cap != st->nsv_cap) {
        v = realloc(st->nsv, cap * sizeof(*v));
        if (!v)
            return NULL;
        st->nsv = v;
        st->nsv_cap = cap;
    }
    n = calloc(1, sizeof(*n));
    if (n)
        n->key = malloc(len + 2);
    if (!n || !n->key || fakeapi__hmap_put(&st->nss, name, n, NULL) != 0) {
        if (n)
            free(n->key);
        free(n);
        return NULL;
    }
    memcpy(n->key, name, len);
    memcpy(n->key + len, "/", 2);
    st->nsv_pending++;
    return n;
}

int fakeapi__store_batch_put_ns(struct store_batch *b, struct fakeapi_obj *o)
{
    struct batch_op *op;
    struct nsent *n;

    if (!o || b->failed || o->rv != b->rv + 1)
        return refuse(b, o);
    n = fakeapi__hmap_get(&b->st->nss, o->name);
    if (n && n->doomed)
        return refuse(b, o);
    op = op_room(b);
    if (!op)
        return refuse(b, o);
    op->kind = OP_PUT_NS;
    op->o = o;
    op->rv = o->rv;
    op->n = n;
    if (!n) {
        op->n = nsent_make(b->st, o->name);
        op->made = op->n != NULL;
        if (!op->n) {
            fakeapi__obj_unref(o);
            b->failed = true;
            return -1;
        }
    }
    op->was_next = op->n->next;
    op->n->next = o;
    return staged(b, op, 0);
}

/* Whether every pod of @p n is staged for removal and none for creation. */
static bool ns_emptied(const struct nsent *n)
{
    size_t i;

    if (n->pods.pending > 0)
        return false;
    for (i = 0; i < n->pods.n; i++)
        if (!n->pods.v[i]->doomed)
            return false;
    return true;
}

int fakeapi__store_batch_delete_ns(struct store_batch *b, const char *name)
{
    struct nsent *n = ns_of(b, name);
    struct batch_op *op;

    if (b->failed || !n || !ns_emptied(n))
        return refuse(b, NULL);
    op = op_room(b);
    if (!op)
        return refuse(b, NULL);
    op->kind = OP_DELETE_NS;
    op->n = n;
    n->doomed = true;
    return staged(b, op, 0);
}

bool fakeapi__store_batch_has_ns(const struct store_batch *b, const char *name)
{
    return ns_of(b, name) != NULL;
}

/* ---- commit: nothing below can fail ---- */

static void apply_put(struct store *st, struct batch_op *op)
{
    struct entry *e = op->e;
    struct fakeapi_obj *old = e->obj;

    if (op->relabel) {
        if (old)
            fakeapi__store_index_unlink_labels(st, e, &old->labels);
        fakeapi__store_index_link_labels(st, e, &op->o->labels, op->bulk);
    }
    if (!old)
        fakeapi__store_index_insert(&op->n->pods, e, op->bulk);
    if (op->bulk)
        st->unsorted = true;
    e->obj = op->o; /* the op's reference */
    e->next = NULL;
    op->ev->type = old ? EV_MODIFIED : EV_ADDED;
    op->ev->rv = op->o->rv;
    op->ev->old = old;
    op->ev->cur = fakeapi__obj_ref(op->o);
    op->o = NULL;
}

static void apply_delete(struct store *st, struct batch_op *op)
{
    struct entry *e = op->e;
    struct fakeapi_obj *old = e->obj;
    struct nsent *n = fakeapi__hmap_get(&st->nss, old->ns);

    fakeapi__store_index_unlink_labels(st, e, &old->labels);
    if (n)
        fakeapi__store_index_remove(&n->pods, e);
    fakeapi__hmap_del(&st->pods, e->key);
    e->obj = NULL;
    fakeapi__store_index_entry_free(e);
    op->ev->type = EV_DELETED;
    op->ev->rv = op->o->rv;
    op->ev->old = old;
    op->ev->cur = op->o;
    op->o = NULL;
}

static int nsent_cmp(const void *a, const void *b)
{
    const struct nsent *x = *(struct nsent *const *)a;
    const struct nsent *y = *(struct nsent *const *)b;

    return strcmp(x->key, y->key);
}

static void apply_put_ns(struct store *st, struct batch_op *op)
{
    struct nsent *n = op->n;

    if (!n->obj) {
        st->nsv_pending--;
        st->nsv[st->nns++] = n;
        qsort(st->nsv, st->nns, sizeof(*st->nsv), nsent_cmp);
    }
    fakeapi__obj_unref(n->obj);
    n->obj = op->o;
    n->next = NULL;
    op->o = NULL;
}

static void apply_delete_ns(struct store *st, struct batch_op *op)
{
    struct nsent *n = op->n;
    size_t i;

    fakeapi__hmap_del(&st->nss, n->obj->name);
    for (i = 0; i < st->nns; i++) {
        if (st->nsv[i] == n) {
            memmove(st->nsv + i, st->nsv + i + 1,
                    (st->nns - i - 1) * sizeof(*st->nsv));
            st->nns--;
            break;
        }
    }
    fakeapi__obj_unref(n->obj);
    fakeapi__store_index_release(&n->pods);
    free(n->key);
    free(n);
}

int fakeapi__store_batch_commit(struct store_batch *b)
{
    struct store *st = b->st;
    size_t i;

    if (b->failed) {
        fakeapi__store_batch_release(b);
        return -1;
    }
    for (i = 0; i < b->n; i++) {
        struct batch_op *op = &b->ops[i];

        switch (op->kind) {
        case OP_PUT:
            apply_put(st, op);
            break;
        case OP_DELETE:
            apply_delete(st, op);
            break;
        case OP_PUT_NS:
            apply_put_ns(st, op);
            break;
        case OP_DELETE_NS:
            apply_delete_ns(st, op);
            break;
        }
        if (op->rv)
            st->rv = op->rv;
        if (op->ev)
            fakeapi__store_publish(st, op->ev);
        op->ev = NULL;
    }
    b->n = 0;
    fakeapi__store_batch_release(b);
    return 0;
}

void fakeapi__store_batch_release(struct store_batch *b)
{
    while (b->n > 0) {
        b->n--;
        unstage(b->st, &b->ops[b->n]);
    }
    free(b->ops);
    b->ops = NULL;
    b->cap = 0;
    b->failed = false;
    b->rv = b->st->rv;
}

/* ---- single writes: a batch of one ---- */

int fakeapi__store_put_obj(struct store *st, struct fakeapi_obj *o, bool bulk,
                           struct fakeapi_obj **out)
{
    struct store_batch b;

    fakeapi__store_batch_init(&b, st);
    if (fakeapi__store_batch_put(&b, o, bulk) != 0) {
        fakeapi__store_batch_release(&b);
        return -1;
    }
    fakeapi__store_batch_commit(&b);
    if (out)
        *out = o; /* the entry holds it */
    return 0;
}

int fakeapi__store_put_pod(struct store *st, json_t *json, bool bulk,
                           struct fakeapi_obj **out)
{
    return fakeapi__store_put_obj(st, fakeapi__obj_new(json), bulk, out);
}

int fakeapi__store_delete_pod(struct store *st, json_t *last)
{
    struct store_batch b;

    fakeapi__store_batch_init(&b, st);
    fakeapi__store_batch_delete(&b, fakeapi__obj_new(last));
    return fakeapi__store_batch_commit(&b);
}

int fakeapi__store_put_ns(struct store *st, json_t *json)
{
    struct store_batch b;

    fakeapi__store_batch_init(&b, st);
    fakeapi__store_batch_put_ns(&b, fakeapi__obj_new(json));
    return fakeapi__store_batch_commit(&b);
}

void fakeapi__store_delete_ns(struct store *st, const char *name)
{
    struct store_batch b;

    fakeapi__store_batch_init(&b, st);
    fakeapi__store_batch_delete_ns(&b, name);
    fakeapi__store_batch_commit(&b);
}
