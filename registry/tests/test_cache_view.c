/*
 * The cache's slots and snapshots without a server: a snapshot answers as
 * kreg_get_service() merges (versions in the order of their first pod,
 * nodes in pod-name order, nil nodes kept only when every pod has none),
 * serves only pods that carry the label, tells apart names that encode
 * alike, outlives the slot it was built from, and every change that
 * contradicts the view is counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache.h"

struct view {
    struct kreg__cache_slot *slot;
    struct kreg__cache_counts counts;
};

static int setup(void **state)
{
    struct view *v = calloc(1, sizeof(*v));

    if (!v)
        return -1;
    v->slot = kreg__cache_slot_new("greeter");
    if (!v->slot) {
        free(v);
        return -1;
    }
    atomic_init(&v->counts.changes, 0);
    atomic_init(&v->counts.anomalies, 0);
    atomic_init(&v->counts.publishes, 0);
    *state = v;
    return 0;
}

static int teardown(void **state)
{
    struct view *v = *state;

    kreg__cache_slot_free(v->slot);
    free(v);
    return 0;
}

static struct kreg__cache_psvc *psvc(const char *json)
{
    struct kreg_service *s = NULL;
    struct kreg__cache_psvc *ps;

    assert_int_equal(kreg_service_decode(json, strlen(json), &s, NULL),
                     KREG_OK);
    ps = kreg__cache_psvc_new(s);
    assert_non_null(ps);
    return ps;
}

/* Pod @p pod carries the label and serves @p json (created). */
static void serve(struct view *v, const char *pod, const char *json)
{
    assert_int_equal(kreg__cache_slot_label(v->slot, pod, true, &v->counts), 0);
    assert_int_equal(
        kreg__cache_slot_serve(v->slot, pod, KREG_ACTION_CREATE, psvc(json),
                               kreg__cache_map_hash(json), &v->counts),
        0);
}

static unsigned long anomalies(struct view *v)
{
    return atomic_load(&v->counts.anomalies);
}

static void test_cache_view_merges_as_get_service(void **state)
{
    struct view *v = *state;
    const struct kreg__cache_answer *a;
    struct kreg__cache_snap *s;
    const struct kreg_service_list *l;

    /* made out of pod-name order */
    serve(v, "pod-c",
          "{\"name\":\"greeter\",\"version\":\"1\","
          "\"nodes\":[{\"id\":\"c\"}]}");
    serve(v, "pod-b",
          "{\"name\":\"greeter\",\"version\":\"2\","
          "\"metadata\":{\"k\":\"b\"},\"nodes\":[{\"id\":\"b\"}]}");
    serve(v, "pod-a",
          "{\"name\":\"greeter\",\"version\":\"1\","
          "\"metadata\":{\"k\":\"a\"},\"nodes\":[{\"id\":\"a1\"},"
          "{\"id\":\"a2\"}]}");
    s = kreg__cache_snap_build(v->slot);
    assert_non_null(s);
    a = kreg__cache_snap_answer(s, "greeter");
    l = &a->list;
    assert_int_equal(l->count, 2);
    /* version 1 first: pod-a comes first, and its service is the base */
    assert_string_equal(l->items[0]->version, "1");
    assert_string_equal(kreg_metadata_get(&l->items[0]->metadata, "k"), "a");
    assert_int_equal(l->items[0]->nnodes, 3);
    assert_string_equal(l->items[0]->nodes[0]->id, "a1");
    assert_string_equal(l->items[0]->nodes[1]->id, "a2");
    assert_string_equal(l->items[0]->nodes[2]->id, "c");
    assert_string_equal(l->items[1]->version, "2");
    assert_int_equal(l->items[1]->nnodes, 1);
    assert_int_equal(anomalies(v), 0);
    kreg__cache_snap_unref(s);
}

static void test_cache_view_keeps_nil_nodes_only_when_all_are(void **state)
{
    struct view *v = *state;
    const struct kreg_service_list *l;
    struct kreg__cache_snap *s;

    serve(v, "pod-a", "{\"name\":\"greeter\",\"version\":\"1\"}");
    serve(v, "pod-b", "{\"name\":\"greeter\",\"version\":\"1\"}");
    serve(v, "pod-c", "{\"name\":\"greeter\",\"version\":\"2\"}");
    serve(v, "pod-d",
          "{\"name\":\"greeter\",\"version\":\"2\","
          "\"nodes\":[{\"id\":\"d\"}]}");
    s = kreg__cache_snap_build(v->slot);
    assert_non_null(s);
    l = &kreg__cache_snap_answer(s, "greeter")->list;
    assert_int_equal(l->count, 2);
    assert_int_equal(l->items[0]->nnodes, 0);
    assert_true(l->items[0]->nodes_null);
    assert_int_equal(l->items[1]->nnodes, 1);
    assert_false(l->items[1]->nodes_null);
    kreg__cache_snap_unref(s);
}

static void test_cache_view_serves_only_labelled_pods(void **state)
{
    struct view *v = *state;
    const char *json = "{\"name\":\"greeter\",\"nodes\":[{\"id\":\"x\"}]}";
    struct kreg__cache_snap *s;

    serve(v, "pod-a", json);
    /* pod-b serves the annotation but lost the label */
    assert_int_equal(
        kreg__cache_slot_serve(v->slot, "pod-b", KREG_ACTION_CREATE, psvc(json),
                               kreg__cache_map_hash(json), &v->counts),
        0);
    s = kreg__cache_snap_build(v->slot);
    assert_non_null(s);
    assert_int_equal(kreg__cache_snap_answer(s, "greeter")->list.count, 1);
    assert_int_equal(
        kreg__cache_snap_answer(s, "greeter")->list.items[0]->nnodes, 1);
    kreg__cache_snap_unref(s);
}

static void test_cache_view_tells_names_that_encode_alike_apart(void **state)
{
    struct view *v = *state;
    const struct kreg__cache_answer *a;
    struct kreg__cache_snap *s;

    serve(v, "pod-a", "{\"name\":\"foo/bar\",\"nodes\":[{\"id\":\"a\"}]}");
    serve(v, "pod-b", "{\"name\":\"foo:bar\",\"nodes\":[{\"id\":\"b\"}]}");
    s = kreg__cache_snap_build(v->slot);
    assert_non_null(s);
    a = kreg__cache_snap_answer(s, "foo/bar");
    assert_int_equal(a->list.count, 1);
    assert_string_equal(a->list.items[0]->nodes[0]->id, "a");
    a = kreg__cache_snap_answer(s, "foo:bar");
    assert_string_equal(a->list.items[0]->nodes[0]->id, "b");
    /* a name nobody serves: the empty answer of the same snapshot */
    a = kreg__cache_snap_answer(s, "foo_bar");
    assert_int_equal(a->list.count, 0);
    assert_ptr_equal(a->owner, s);
    kreg__cache_snap_unref(s);
}

static void test_cache_view_snapshot_outlives_its_slot(void **state)
{
    struct view *v = *state;
    const char *json = "{\"name\":\"greeter\",\"nodes\":[{\"id\":\"x\"}]}";
    struct kreg__cache_snap *s;

    serve(v, "pod-a", json);
    s = kreg__cache_snap_build(v->slot);
    assert_non_null(s);
    assert_int_equal(
        kreg__cache_slot_serve(v->slot, "pod-a", KREG_ACTION_DELETE, NULL,
                               kreg__cache_map_hash(json), &v->counts),
        0);
    kreg__cache_slot_free(v->slot);
    v->slot = NULL;
    assert_string_equal(
        kreg__cache_snap_answer(s, "greeter")->list.items[0]->nodes[0]->id,
        "x");
    kreg__cache_snap_unref(s);
}

static void test_cache_view_counts_contradicting_changes(void **state)
{
    struct view *v = *state;
    const char *json = "{\"name\":\"greeter\"}";
    uint64_t h = kreg__cache_map_hash(json);

    serve(v, "pod-a", json);
    assert_int_equal(anomalies(v), 0);
    /* labelled twice, created twice, updated to the same text */
    assert_int_equal(kreg__cache_slot_label(v->slot, "pod-a", true, &v->counts),
                     0);
    assert_int_equal(kreg__cache_slot_serve(v->slot, "pod-a",
                                            KREG_ACTION_CREATE, psvc(json), h,
                                            &v->counts),
                     0);
    assert_int_equal(kreg__cache_slot_serve(v->slot, "pod-a",
                                            KREG_ACTION_UPDATE, psvc(json), h,
                                            &v->counts),
                     0);
    assert_int_equal(anomalies(v), 3);
    /* deleted twice; an update of something absent; unlabelled twice */
    assert_int_equal(kreg__cache_slot_serve(v->slot, "pod-a",
                                            KREG_ACTION_DELETE, NULL, h,
                                            &v->counts),
                     0);
    assert_int_equal(kreg__cache_slot_serve(v->slot, "pod-a",
                                            KREG_ACTION_DELETE, NULL, h,
                                            &v->counts),
                     0);
    assert_int_equal(kreg__cache_slot_serve(v->slot, "pod-b",
                                            KREG_ACTION_UPDATE, psvc(json), h,
                                            &v->counts),
                     0);
    assert_int_equal(
        kreg__cache_slot_label(v->slot, "pod-a", false, &v->counts), 0);
    assert_int_equal(
        kreg__cache_slot_label(v->slot, "pod-a", false, &v->counts), 0);
    assert_int_equal(anomalies(v), 6);
    /* pod-a is gone from the slot, pod-b (serving, unlabelled) is not */
    assert_int_equal(v->slot->n, 1);
    assert_string_equal(v->slot->members[0].pod, "pod-b");
    assert_int_equal(v->slot->labelled, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cache_view_merges_as_get_service,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cache_view_keeps_nil_nodes_only_when_all_are, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cache_view_serves_only_labelled_pods, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cache_view_tells_names_that_encode_alike_apart, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_cache_view_snapshot_outlives_its_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cache_view_counts_contradicting_changes, setup, teardown),
    };

    return cmocka_run_group_tests_name("cache_view", tests, NULL, NULL);
}
