#!/usr/bin/env python3
"""kreg-conformance's JUnit XML is well-formed and its counts are right.

usage: check_junit.py KREG_CONFORMANCE

1. All cases against the embedded fake, in-process: the XML file parses
   with a real XML parser, has one testsuite whose tests, failures,
   errors and skipped attributes agree with its testcase elements, and
   lists exactly the cases of --list, in order, all passing, each with
   the level --list gives (classname kreg-conformance.<level>, property
   "level"; a recommended one also "guards-against").
2. An adapter that exits at once: every case fails, and says why.
3. --output junit without a file: the XML on stdout parses too.
"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


def fail(msg):
    print("check_junit: FAIL: " + msg)
    sys.exit(1)


def run(conf, *args):
    return subprocess.run([conf, *args], capture_output=True, text=True,
                          timeout=240)


LEVELS = {}


def check_suite(root, names, want_failed):
    if root.tag != "testsuites":
        fail("root element is <%s>, want <testsuites>" % root.tag)
    suites = root.findall("testsuite")
    if len(suites) != 1:
        fail("%d testsuite elements, want 1" % len(suites))
    s = suites[0]
    cases = s.findall("testcase")
    got = [c.get("name") for c in cases]
    if got != names:
        fail("testcases %s differ from --list %s" % (got, names))
    for c in cases:
        level = LEVELS.get(c.get("name"))
        props = {p.get("name"): p.get("value")
                 for p in c.findall("properties/property")}
        if c.get("classname") != "kreg-conformance." + str(level) or \
                props.get("level") != level or \
                ("guards-against" in props) != (level == "recommended"):
            fail("%s: classname %s, properties %s; --list says %s" %
                 (c.get("name"), c.get("classname"), props, level))
    failed = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    counts = {k: int(s.get(k)) for k in ("tests", "failures", "errors",
                                         "skipped")}
    if counts["tests"] != len(names):
        fail("tests=%d, want %d" % (counts["tests"], len(names)))
    if counts["failures"] + counts["errors"] != len(failed):
        fail("failures+errors=%d but %d <failure> elements" %
             (counts["failures"] + counts["errors"], len(failed)))
    if counts["skipped"] != len(skipped):
        fail("skipped=%d but %d <skipped> elements" %
             (counts["skipped"], len(skipped)))
    if len(failed) != want_failed:
        fail("%d failed cases, want %d: %s" %
             (len(failed), want_failed,
              [(c.get("name"), c.find("failure").text) for c in failed][:3]))
    return failed


def main():
    conf = sys.argv[1]
    listed = run(conf, "--list")
    if listed.returncode != 0:
        fail("--list exited %d" % listed.returncode)
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    names = [r[0] for r in rows]
    LEVELS.update({r[0]: r[1] for r in rows})
    if set(LEVELS.values()) != {"required", "recommended"}:
        fail("--list levels: %s" % sorted(set(LEVELS.values())))
    if len(names) < 40:
        fail("only %d cases listed" % len(names))

    with tempfile.TemporaryDirectory() as tmp:
        xml_file = os.path.join(tmp, "junit.xml")
        r = run(conf, "--output", "junit", "--junit-file", xml_file)
        if r.returncode != 0:
            fail("suite exited %d:\n%s" % (r.returncode, r.stderr[-3000:]))
        check_suite(ET.parse(xml_file).getroot(), names, 0)

        # the file is replaced, not appended to (cmocka refuses to
        # overwrite); every case fails against a dead adapter
        r = run(conf, "--adapter", "exit 3", "--adapter-timeout", "2000",
                "--junit-file", xml_file)
        if r.returncode != 1:
            fail("suite with a dead adapter exited %d" % r.returncode)
        failed = check_suite(ET.parse(xml_file).getroot(), names,
                             len(names))
        text = failed[0].find("failure").text or ""
        if "adapter broken" not in text or "exited with status 3" not in text:
            fail("the failure does not say why: %r" % text)

    r = run(conf, "--output", "junit", "--filter", "test_list_*")
    if r.returncode != 0:
        fail("filtered suite exited %d" % r.returncode)
    check_suite(ET.fromstring(r.stdout),
                [n for n in names if n.startswith("test_list_")], 0)
    print("check_junit: ok (%d cases)" % len(names))


if __name__ == "__main__":
    main()
