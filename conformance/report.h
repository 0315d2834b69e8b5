/*
 * report: the two levels of the cases in what the suite writes
 * (PROTOCOL.md "Levels"): the names cmocka shows, --list, the summary,
 * the level in JUnit XML, and the exit status (required cases only,
 * every case with --strict).
 */
#ifndef KREG_CONFORMANCE_REPORT_H
#define KREG_CONFORMANCE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cases.h"

/* Whether @p d is a recommended case. */
bool report_is_recommended(const struct case_desc *d);

/* Print one line per case to @p f: name, tab, level; a recommended case
 * adds a tab and the plugin behaviour it guards against. */
void report_list(FILE *f, const struct case_desc *d, size_t n);

/*
 * The name cmocka shows for @p d in output @p output ("std", "tap",
 * "junit" or NULL for cmocka's choice): the case name, and for a
 * recommended case its level. In TAP, without --strict, a TODO directive
 * (a recommended failure does not fail the run); with it, a comment.
 * @return a new string (free()), NULL when out of memory.
 */
char *report_test_name(const struct case_desc *d, const char *output,
                       bool strict);

/* Print the summary per level to @p f, each line starting with @p lead
 * ("" or "# " in TAP), then the recommended cases that failed. */
void report_summary(FILE *f, const char *lead, const struct case_slot *slots,
                    size_t n, bool strict);

/* The exit status the outcomes give: 1 if a required case (any case
 * with @p strict) failed, else 0. */
int report_status(const struct case_slot *slots, size_t n, bool strict);

/*
 * Copy cmocka's JUnit XML from file @p xml_path to @p out, adding to each
 * testcase the classname "kreg-conformance.<level>" and the properties
 * "level" and (recommended) "guards-against".
 * @return 0, or -1 if the file cannot be read or written.
 */
int report_junit(const char *xml_path, FILE *out, const struct case_slot *slots,
                 size_t n);

#endif
