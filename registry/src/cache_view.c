/*
 * cache_view: the cache writer's view, one slot per service key, and the
 * immutable snapshots readers get (see cache.h).
 *
 * A snapshot answers as kreg_get_service() does (docs/go-micro-wire.md,
 * Operations, GetService step 4; discover.c): per name, the services of
 * the pods that carry the label and serve, in pod-name order (the order
 * the API server lists them: its keys are namespace/name), merged per
 * version: the first pod's service with the nodes of the later ones
 * appended, nil nodes staying nil when every one is empty
 * (kreg__service_merge_nodes). The merged services
 * are shallow: they borrow everything but their nodes arrays from the pod
 * services the snapshot holds references to, so a snapshot costs a few
 * arrays, not a copy of every node.
 */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "service.h"

/* ---- Pod services ----------------------------------------------------*/

struct kreg__cache_psvc *kreg__cache_psvc_new(struct kreg_service *svc)
{
    struct kreg__cache_psvc *ps = malloc(sizeof(*ps));

    if (!ps) {
        kreg_service_free(svc);
        return NULL;
    }
    atomic_init(&ps->refs, 1);
    ps->svc = svc;
    return ps;
}

void kreg__cache_psvc_unref(struct kreg__cache_psvc *ps)
{
    if (!ps || atomic_fetch_sub(&ps->refs, 1) != 1)
        return;
    kreg_service_free(ps->svc);
    free(ps);
}

/* ---- Snapshots -------------------------------------------------------*/

static void snap_destroy(struct kreg__cache_snap *s)
{
    size_t i;

    for (i = 0; i < s->nheld; i++)
        kreg__cache_psvc_unref(s->held[i]);
    for (i = 0; i < s->nanswers; i++)
        free(s->answers[i].list.items);
    free(s->held);
    free(s->answers);
    free(s->merged);
    free(s->nodes);
    free(s);
}

void kreg__cache_snap_unref(struct kreg__cache_snap *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        snap_destroy(s);
}

const struct kreg__cache_answer *
kreg__cache_snap_answer(const struct kreg__cache_snap *s, const char *name)
{
    size_t i;

    /* names that encode alike are rare: a slot holds one name or two */
    for (i = 0; i < s->nanswers; i++) {
        if (strcmp(s->answers[i].name, name) == 0)
            return &s->answers[i];
    }
    return &s->empty;
}

static const char *version_of(const struct kreg_service *svc)
{
    return svc->version ? svc->version : "";
}

/* One held service, for sorting into (name, version) groups. */
struct entry {
    const struct kreg_service *svc;
    size_t at; /* its place in the pod-name order */
};

/* By name, version, then pod-name order: each (name, version) is a run,
 * in the order its pods come. */
static int entry_cmp(const void *pa, const void *pb)
{
    const struct entry *a = pa;
    const struct entry *b = pb;
    int c = strcmp(a->svc->name, b->svc->name);

    if (c == 0)
        c = strcmp(version_of(a->svc), version_of(b->svc));
    return c != 0 ? c : (a->at > b->at) - (a->at < b->at);
}

/* One (name, version): a run of the sorted entries. */
struct group {
    const char *name;
    size_t from; /* first entry of the run: the version's first pod */
    size_t to;   /* one past the last */
    size_t at;   /* the first pod's place in the pod-name order */
    size_t nodes;
};

/* By name, then first pod: a name's versions in the order they first
 * come, as kreg_get_service() lists them. */
static int group_cmp(const void *pa, const void *pb)
{
    const struct group *a = pa;
    const struct group *b = pb;
    int c = strcmp(a->name, b->name);

    return c != 0 ? c : (a->at > b->at) - (a->at < b->at);
}

/* The held services that serve: labelled members with a service, in
 * member (pod-name) order, each referenced. -1 when out of memory. */
static int hold(struct kreg__cache_snap *s, const struct kreg__cache_slot *slot)
{
    size_t i;

    s->held = calloc(slot->n ? slot->n : 1, sizeof(*s->held));
    if (!s->held)
        return -1;
    for (i = 0; i < slot->n; i++) {
        struct kreg__cache_psvc *ps = slot->members[i].ps;

        if (!ps || !slot->members[i].labelled)
            continue;
        atomic_fetch_add(&ps->refs, 1);
        s->held[s->nheld++] = ps;
    }
    return 0;
}

/* Split the sorted entries @p e into groups (@p g, room for one per
 * entry); returns how many. */
static size_t make_groups(const struct entry *e, size_t n, struct group *g)
{
    size_t ng = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (i == 0 || strcmp(e[i].svc->name, e[i - 1].svc->name) != 0 ||
            strcmp(version_of(e[i].svc), version_of(e[i - 1].svc)) != 0) {
            g[ng].name = e[i].svc->name;
            g[ng].from = i;
            g[ng].at = e[i].at;
            g[ng].nodes = 0;
            ng++;
        }
        g[ng - 1].to = i + 1;
        g[ng - 1].nodes += e[i].svc->nnodes;
    }
    return ng;
}

/*
 * The merged service of group @p g into @p m: the first pod's service
 * with the nodes of the later ones appended (kreg__service_merge_nodes:
 * nil stays nil only when every one is empty); its nodes go to @p nodes.
 */
static void merge_group(const struct entry *e, const struct group *g,
                        struct kreg_service *m, struct kreg_node **nodes)
{
    size_t i;

    *m = *e[g->from].svc; /* shallow: borrows all but the nodes array */
    m->nodes = g->nodes ? nodes : NULL;
    m->nnodes = 0;
    for (i = g->from; i < g->to; i++) {
        const struct kreg_service *w = e[i].svc;

        if (w->nnodes == 0)
            continue;
        memcpy(nodes + m->nnodes, w->nodes, w->nnodes * sizeof(*w->nodes));
        m->nnodes += w->nnodes;
        m->nodes_null = false;
    }
}

/* Fill the snapshot's answers from the groups @p g (sorted by name, then
 * first pod). -1 when out of memory. */
static int fill(struct kreg__cache_snap *s, const struct entry *e,
                const struct group *g, size_t ng)
{
    struct kreg__cache_answer *a = NULL;
    struct kreg_node **nodes = s->nodes;
    size_t i;

    for (i = 0; i < ng; i++) {
        if (i == 0 || strcmp(g[i].name, g[i - 1].name) != 0) {
            size_t j = i;

            while (j < ng && strcmp(g[j].name, g[i].name) == 0)
                j++;
            a = &s->answers[s->nanswers++];
            a->owner = s;
            a->name = g[i].name;
            a->list.items = calloc(j - i, sizeof(*a->list.items));
            if (!a->list.items)
                return -1;
        }
        merge_group(e, &g[i], &s->merged[i], nodes);
        nodes += g[i].nodes;
        a->list.items[a->list.count++] = &s->merged[i];
    }
    return 0;
}

/* The answers of @p s from its held services, grouped by sorting: a slot
 * may hold thousands of pods. -1 when out of memory. */
static int build_answers(struct kreg__cache_snap *s)
{
    size_t n = s->nheld;
    struct entry *e = calloc(n ? n : 1, sizeof(*e));
    struct group *g = calloc(n ? n : 1, sizeof(*g));
    size_t total = 0;
    size_t ng;
    size_t i;
    int rc = -1;

    if (!e || !g)
        goto out;
    for (i = 0; i < n; i++) {
        e[i].svc = s->held[i]->svc;
        e[i].at = i;
        total += e[i].svc->nnodes;
    }
    qsort(e, n, sizeof(*e), entry_cmp);
    ng = make_groups(e, n, g);
    qsort(g, ng, sizeof(*g), group_cmp);
    s->answers = calloc(ng ? ng : 1, sizeof(*s->answers));
    s->merged = calloc(ng ? ng : 1, sizeof(*s->merged));
    s->nodes = calloc(total ? total : 1, sizeof(*s->nodes));
    if (s->answers && s->merged && s->nodes)
        rc = fill(s, e, g, ng);
out:
    free(e);
    free(g);
    return rc;
}

struct kreg__cache_snap *
kreg__cache_snap_build(const struct kreg__cache_slot *slot)
{
    struct kreg__cache_snap *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    s->empty.owner = s;
    if (hold(s, slot) != 0 || build_answers(s) != 0) {
        snap_destroy(s);
        return NULL;
    }
    return s;
}

void kreg__cache_counts_swap(struct kreg__cache_counts *counts,
                             const struct kreg__cache_snap *old,
                             const struct kreg__cache_snap *cur)
{
    size_t was = old ? old->nanswers : 0;
    size_t now = cur ? cur->nanswers : 0;

    if (now >= was)
        atomic_fetch_add(&counts->services, now - was);
    else
        atomic_fetch_sub(&counts->services, was - now);
}

/* ---- Slots -------------------------------------------------------------*/

struct kreg__cache_slot *kreg__cache_slot_new(const char *enc)
{
    struct kreg__cache_slot *slot = calloc(1, sizeof(*slot));

    if (!slot)
        return NULL;
    slot->enc = strdup(enc);
    if (!slot->enc) {
        free(slot);
        return NULL;
    }
    atomic_init(&slot->snap, NULL);
    return slot;
}

void kreg__cache_slot_free(struct kreg__cache_slot *slot)
{
    size_t i;

    if (!slot)
        return;
    for (i = 0; i < slot->n; i++) {
        free(slot->members[i].pod);
        kreg__cache_psvc_unref(slot->members[i].ps);
    }
    kreg__cache_snap_unref(atomic_load(&slot->snap));
    free(slot->members);
    free(slot->enc);
    free(slot);
}

/* The index of @p pod's member, or where it would go (*@p found false). */
static size_t find_member(const struct kreg__cache_slot *slot, const char *pod,
                          bool *found)
{
    size_t lo = 0;
    size_t hi = slot->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(slot->members[mid].pod, pod);

        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* @p pod's member, added at its place when missing; NULL when out of
 * memory. */
static struct kreg__cache_member *member(struct kreg__cache_slot *slot,
                                         const char *pod)
{
    bool found;
    size_t i = find_member(slot, pod, &found);
    struct kreg__cache_member *m;
    char *copy;

    if (found)
        return &slot->members[i];
    if (slot->n == slot->cap) {
        size_t cap = slot->cap ? slot->cap * 2 : 4;

        m = realloc(slot->members, cap * sizeof(*m));
        if (!m)
            return NULL;
        slot->members = m;
        slot->cap = cap;
    }
    copy = strdup(pod);
    if (!copy)
        return NULL;
    m = &slot->members[i];
    memmove(m + 1, m, (slot->n - i) * sizeof(*m));
    slot->n++;
    memset(m, 0, sizeof(*m));
    m->pod = copy;
    return m;
}

/* Drop member @p m when it neither carries the label nor serves. */
static void trim(struct kreg__cache_slot *slot, struct kreg__cache_member *m)
{
    size_t i = (size_t)(m - slot->members);

    if (m->labelled || m->has_text)
        return;
    free(m->pod);
    memmove(m, m + 1, (slot->n - i - 1) * sizeof(*m));
    slot->n--;
}

static void anomaly(struct kreg__cache_counts *counts)
{
    atomic_fetch_add(&counts->anomalies, 1);
}

int kreg__cache_slot_label(struct kreg__cache_slot *slot, const char *pod,
                           bool labelled, struct kreg__cache_counts *counts)
{
    struct kreg__cache_member *m = member(slot, pod);

    if (!m)
        return -1;
    if (m->labelled == labelled)
        anomaly(counts);
    else if (labelled)
        slot->labelled++;
    else
        slot->labelled--;
    m->labelled = labelled;
    slot->dirty = true;
    trim(slot, m);
    return 0;
}

int kreg__cache_slot_serve(struct kreg__cache_slot *slot, const char *pod,
                           enum kreg_action action, struct kreg__cache_psvc *ps,
                           uint64_t text_hash,
                           struct kreg__cache_counts *counts)
{
    struct kreg__cache_member *m = member(slot, pod);
    bool gone = action == KREG_ACTION_DELETE;

    if (!m) {
        kreg__cache_psvc_unref(ps);
        return -1;
    }
    if ((action == KREG_ACTION_CREATE) == m->has_text ||
        (action == KREG_ACTION_UPDATE && m->text_hash == text_hash))
        anomaly(counts);
    kreg__cache_psvc_unref(m->ps);
    m->ps = gone ? NULL : ps;
    m->has_text = !gone;
    m->text_hash = gone ? 0 : text_hash;
    if (gone)
        kreg__cache_psvc_unref(ps);
    slot->dirty = true;
    trim(slot, m);
    return 0;
}
