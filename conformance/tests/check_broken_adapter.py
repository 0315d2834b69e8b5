#!/usr/bin/env python3
"""A broken adapter fails its cases clearly, within bounded time, the
suite goes on with the next case, no adapter process outlives the suite,
and the suite's namespace is removed.

usage: check_broken_adapter.py KREG_CONFORMANCE FAKEAPI

Runs every case through tests/chaos_adapter.py (it crashes on register,
hangs on get, prints garbage on list, answers deregister late and watch
with the wrong id) against the standalone fakeapi through its kubeconfig.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ET

TIMEOUT_MS = 300


def fail(msg):
    print("check_broken_adapter: FAIL: " + msg)
    sys.exit(1)


def namespaces(url):
    with urllib.request.urlopen(url + "/api/v1/namespaces", timeout=10) as r:
        return [n["metadata"]["name"] for n in json.load(r)["items"]]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def run_suite(conf, kubeconfig, chaos, tmp):
    env = dict(os.environ, CHAOS_PIDS=os.path.join(tmp, "pids"))
    xml_file = os.path.join(tmp, "junit.xml")
    start = time.monotonic()
    r = subprocess.run(
        [conf, "--kubeconfig", kubeconfig, "--adapter",
         "exec python3 " + chaos, "--adapter-timeout", str(TIMEOUT_MS),
         "--junit-file", xml_file],
        capture_output=True, text=True, timeout=280, env=env)
    return r, time.monotonic() - start, xml_file


def check_failures(xml_file, names):
    suite = ET.parse(xml_file).getroot().find("testsuite")
    cases = suite.findall("testcase")
    if [c.get("name") for c in cases] != names:
        fail("not every case ran: %d of %d" % (len(cases), len(names)))
    texts = [c.find("failure").text or "" for c in cases
             if c.find("failure") is not None]
    if len(texts) != len(names):
        fail("%d of %d cases failed; every one should" %
             (len(texts), len(names)))
    joined = "\n".join(texts)
    for want in ("exited with status 3", "chaos: crashing on register",
                 "no answer to get within %d ms" % TIMEOUT_MS,
                 "not a JSON object", "this is not json",
                 "no answer to deregister within", "answered id"):
        if want not in joined:
            fail("no failure says %r" % want)


def main():
    conf, fakeapi = sys.argv[1], sys.argv[2]
    chaos = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "chaos_adapter.py")
    names = [line.split("\t")[0] for line in subprocess.run(
        [conf, "--list"], capture_output=True, text=True,
        check=True).stdout.splitlines()]
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = os.path.join(tmp, "kubeconfig")
        srv = subprocess.Popen([fakeapi, "--write-kubeconfig", kubeconfig],
                               stdout=subprocess.PIPE, text=True)
        try:
            line = srv.stdout.readline()
            if not line.startswith("fakeapi listening on "):
                fail("fakeapi did not start")
            url = line.split()[-1]
            before = namespaces(url)
            r, took, xml_file = run_suite(conf, kubeconfig, chaos, tmp)
            if r.returncode != 1:
                fail("suite exited %d, want 1:\n%s" %
                     (r.returncode, r.stderr[-2000:]))
            check_failures(xml_file, names)
            # a bound: each case waits at most a few adapter timeouts
            if took > len(names) * 4 * TIMEOUT_MS / 1000 + 30:
                fail("the suite took %.1f s" % took)
            left = [n for n in namespaces(url) if n not in before]
            if left:
                fail("namespaces left behind: %s" % left)
            with open(os.path.join(tmp, "pids")) as f:
                pids = [int(p) for p in f.read().split()]
            if len(pids) < 2:
                fail("the adapter was never restarted")
            if [p for p in pids if alive(p)]:
                fail("adapter processes outlived the suite")
        finally:
            srv.terminate()
            srv.wait(timeout=30)
    print("check_broken_adapter: ok (%d cases failed clearly in %.1f s, "
          "%d adapter starts)" % (len(names), took, len(pids)))


if __name__ == "__main__":
    main()
