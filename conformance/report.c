/*
 * report: the levels of the cases in the suite's output and exit status
 * (PROTOCOL.md "Levels"). cmocka knows nothing of levels, so the level
 * goes into the name cmocka shows (TAP, std), into the JUnit XML cmocka
 * wrote (rewritten here), and into a summary per level after the run.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "kbuf.h"
#include "util.h"

bool report_is_recommended(const struct case_desc *d)
{
    return d->guards != NULL;
}

static const char *level_of(const struct case_desc *d)
{
    return report_is_recommended(d) ? "recommended" : "required";
}

void report_list(FILE *f, const struct case_desc *d, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (report_is_recommended(&d[i]))
            fprintf(f, "%s\trecommended\tguards against: %s\n", d[i].name,
                    d[i].guards);
        else
            fprintf(f, "%s\trequired\n", d[i].name);
    }
}

char *report_test_name(const struct case_desc *d, const char *output,
                       bool strict)
{
    struct kbuf b;
    int rc;

    kbuf_init(&b, 4096);
    if (!report_is_recommended(d) || (output && strcmp(output, "junit") == 0))
        rc = kbuf_adds(&b, d->name);
    else if (output && strcmp(output, "tap") == 0)
        /* TAP: "not ok ... # TODO" is a failure that fails no run */
        rc = kbuf_addf(&b, "%s # %srecommended, guards against: %s", d->name,
                       strict ? "" : "TODO ", d->guards);
    else
        rc = kbuf_addf(&b, "%s (recommended)", d->name);
    return rc == KBUF_OK ? kbuf_detach(&b, NULL) : NULL;
}

/* Counts of one level: [outcome] for the cases whose level is @p rec. */
static void count(const struct case_slot *slots, size_t n, bool rec,
                  size_t out[3])
{
    size_t i;

    out[CASE_FAILED] = out[CASE_PASSED] = out[CASE_SKIPPED] = 0;
    for (i = 0; i < n; i++)
        if (report_is_recommended(slots[i].desc) == rec)
            out[slots[i].outcome]++;
}

void report_summary(FILE *f, const char *lead, const struct case_slot *slots,
                    size_t n, bool strict)
{
    size_t req[3];
    size_t rec[3];
    size_t i;

    count(slots, n, false, req);
    count(slots, n, true, rec);
    fprintf(f, "%srequired: %zu passed, %zu failed, %zu skipped\n", lead,
            req[CASE_PASSED], req[CASE_FAILED], req[CASE_SKIPPED]);
    fprintf(f, "%srecommended: %zu passed, %zu failed, %zu skipped%s\n", lead,
            rec[CASE_PASSED], rec[CASE_FAILED], rec[CASE_SKIPPED],
            rec[CASE_FAILED] == 0 ? ""
            : strict              ? " (--strict: they fail the run)"
                                  : " (they fail the run only with --strict)");
    for (i = 0; i < n; i++)
        if (report_is_recommended(slots[i].desc) &&
            slots[i].outcome == CASE_FAILED)
            fprintf(f, "%s  recommended, failed: %s: guards against: %s\n",
                    lead, slots[i].name, slots[i].desc->guards);
}

int report_status(const struct case_slot *slots, size_t n, bool strict)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (slots[i].outcome == CASE_FAILED &&
            (strict || !report_is_recommended(slots[i].desc)))
            return 1;
    return 0;
}

/* @p s XML-escaped (attribute value) to @p f. */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

static const struct case_desc *by_name(const struct case_slot *slots, size_t n,
                                       const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strlen(slots[i].name) == len &&
            memcmp(slots[i].name, name, len) == 0)
            return slots[i].desc;
    return NULL;
}

/* Write the start tag of the testcase whose name starts at @p name
 * (after `<testcase name="`) with its level, and its properties; returns
 * where to go on (@p name itself when it is not a case's). */
static const char *put_testcase(FILE *f, const char *name,
                                const struct case_slot *slots, size_t n)
{
    const char *q = strchr(name, '"');
    const char *gt;
    const struct case_desc *d;

    if (!q)
        return name;
    d = by_name(slots, n, name, (size_t)(q - name));
    gt = strchr(q, '>');
    if (!d || !gt || gt[-1] == '/')
        return name;
    fprintf(f, "%.*s\" classname=\"kreg-conformance.%s", (int)(q - name), name,
            level_of(d));
    fprintf(f, "%.*s\n      <properties>\n", (int)(gt + 1 - q), q);
    fprintf(f, "        <property name=\"level\" value=\"%s\"/>\n",
            level_of(d));
    if (report_is_recommended(d)) {
        fputs("        <property name=\"guards-against\" value=\"", f);
        put_escaped(f, d->guards);
        fputs("\"/>\n", f);
    }
    fputs("      </properties>", f);
    return gt + 1;
}

int report_junit(const char *xml_path, FILE *out, const struct case_slot *slots,
                 size_t n)
{
    static const char tag[] = "<testcase name=\"";
    char *xml = util_read_file(xml_path, NULL);
    const char *p;
    const char *hit;

    if (!xml)
        return -1;
    p = xml;
    for (;;) {
        hit = strstr(p, tag);
        /* cmocka starts each testcase on a line of its own */
        while (hit && hit > xml && hit[-1] == ' ')
            hit--;
        if (hit && hit > xml && hit[-1] != '\n') {
            hit = strstr(hit, tag);
            fwrite(p, 1, (size_t)(hit - p) + sizeof(tag) - 1, out);
            p = hit + sizeof(tag) - 1;
            continue;
        }
        if (!hit)
            break;
        hit = strstr(hit, tag) + sizeof(tag) - 1;
        fwrite(p, 1, (size_t)(hit - p), out);
        p = put_testcase(out, hit, slots, n);
    }
    fputs(p, out);
    free(xml);
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
