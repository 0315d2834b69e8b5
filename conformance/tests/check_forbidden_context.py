#!/usr/bin/env python3
"""--forbidden-context on fakeapi: the 403 cases act as a user whom the
server itself refuses, with no fault injected, and pass, none skipped,
with libkreg in-process, the reference adapter and the Python adapter.

usage: check_forbidden_context.py KREG_CONFORMANCE FAKEAPI KREG_ADAPTER
                                  PYTHON_ADAPTER

The standalone fakeapi runs with an admin token and a restricted user
(test control /fakeapi/v1/users: RBAC lets it only get pods, as
ci/realapi.sh's kreg-reader), and a kubeconfig shaped like
ci/realapi.sh's: contexts `admin` and `restricted`. Checked too: the
refusals came from the server (403s in its request log, no fault ever
injected); a context that is not refused fails the 403 cases saying so;
a forbidden context naming another server or given without --kubeconfig
is a usage error; the suite's namespace is gone after every run.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

ADMIN = "kreg-admin-token"
READER = "kreg-reader-token"
FORBIDDEN_CASES = [
    "test_register_fails_when_forbidden",
    "test_get_fails_when_forbidden_not_not_found",
    "test_list_fails_when_forbidden",
    "test_watch_fails_when_forbidden",
]


def fail(msg):
    print("check_forbidden_context: FAIL: " + msg)
    sys.exit(1)


def control(url, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + ADMIN)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def write_kubeconfig(path, url, other_url):
    """Contexts admin and restricted (as ci/realapi.sh writes them) and
    elsewhere (the restricted user on another server)."""
    def cluster(name, server):
        return {"name": name, "cluster": {"server": server}}

    def user(name, token):
        return {"name": name, "user": {"token": token}}

    def context(name, cl, us):
        return {"name": name, "context": {"cluster": cl, "user": us,
                                          "namespace": "default"}}

    doc = {"apiVersion": "v1", "kind": "Config",
           "clusters": [cluster("fakeapi", url),
                        cluster("elsewhere", other_url)],
           "users": [user("kreg-admin", ADMIN),
                     user("kreg-reader", READER)],
           "contexts": [context("admin", "fakeapi", "kreg-admin"),
                        context("restricted", "fakeapi", "kreg-reader"),
                        context("elsewhere", "elsewhere", "kreg-reader")],
           "current-context": "admin"}
    # JSON is YAML: libyaml and python3-kubernetes read it
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def run(conf, kubeconfig, forbidden, *extra):
    args = [conf, "--kubeconfig", kubeconfig, "--context", "admin",
            "--output", "tap"]
    if forbidden:
        args += ["--forbidden-context", forbidden]
    return subprocess.run(args + list(extra), capture_output=True,
                          text=True, timeout=280)


def tap_results(out):
    """{case: "ok" | "not ok" | "skip"} from TAP lines ("ok 1 - name",
    "not ok 2 - name", a skip as "ok 3 # SKIP name" or with " - ")."""
    res = {}
    for line in out.splitlines():
        m = re.match(r"^(ok|not ok) \d+( - | # SKIP )(\S+)", line)
        if not m:
            continue
        if "# SKIP" in line:
            res[m.group(3).lstrip("- ")] = "skip"
        else:
            res[m.group(3)] = m.group(1)
    return res


def check_all_pass(what, r, names):
    res = tap_results(r.stdout)
    if r.returncode != 0:
        fail("%s: exit %d:\n%s\n%s" % (what, r.returncode,
                                        r.stdout[-3000:], r.stderr[-2000:]))
    if sorted(res) != sorted(names):
        fail("%s: %d of %d cases reported" % (what, len(res), len(names)))
    bad = [n for n, v in res.items() if v != "ok"]
    if bad:
        fail("%s: not passed: %s" % (what, bad))
    if "403 cases as context restricted" not in r.stderr:
        fail("%s: the target does not say the 403 cases act as "
             "restricted:\n%s" % (what, r.stderr[-1000:]))


def check_server_refused(url):
    log = control(url, "GET", "/fakeapi/v1/requests")
    if [e for e in log if e["path"].startswith("/fakeapi/v1/faults")
            and e["method"] == "POST"]:
        fail("a fault was injected")
    refused = {(e["method"], e["path"].rsplit("/", 1)[-1] == "pods")
               for e in log if e["status"] == 403}
    if ("GET", True) not in refused or ("PATCH", False) not in refused:
        fail("the server did not answer 403 to a list and a patch: %s"
             % sorted(refused))
    control(url, "DELETE", "/fakeapi/v1/requests")


def namespaces(url):
    req = urllib.request.Request(url + "/api/v1/namespaces")
    req.add_header("Authorization", "Bearer " + ADMIN)
    with urllib.request.urlopen(req, timeout=10) as r:
        return sorted(n["metadata"]["name"] for n in json.load(r)["items"])


def check_misuse(conf, kubeconfig):
    r = run(conf, kubeconfig, "admin", "--filter", "*_when_forbidden*")
    res = tap_results(r.stdout)
    if r.returncode != 1 or sorted(res) != sorted(FORBIDDEN_CASES) or \
            [v for v in res.values() if v != "not ok"]:
        fail("a context the server does not refuse: exit %d, %s" %
             (r.returncode, res))
    if r.stdout.count("the server did not refuse") < len(FORBIDDEN_CASES):
        fail("the failures do not say the server did not refuse:\n%s" %
             r.stdout[-2000:])
    r = run(conf, kubeconfig, "elsewhere")
    if r.returncode != 2 or "names server" not in r.stderr:
        fail("a forbidden context on another server: exit %d: %s" %
             (r.returncode, r.stderr))
    r = subprocess.run([conf, "--forbidden-context", "restricted"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 2 or "needs --kubeconfig" not in r.stderr:
        fail("--forbidden-context without --kubeconfig: exit %d: %s" %
             (r.returncode, r.stderr))


def main():
    conf, fakeapi, adapter, py_adapter = sys.argv[1:5]
    names = [line.split("\t")[0] for line in subprocess.run(
        [conf, "--list"], capture_output=True, text=True,
        check=True).stdout.splitlines()]
    runs = [("in-process", []), ("kreg-adapter", ["--adapter", adapter])]
    if subprocess.run(["/usr/bin/python3", "-c", "import kubernetes"],
                      capture_output=True).returncode == 0:
        runs.append(("python adapter",
                     ["--adapter", "/usr/bin/python3 " + py_adapter]))
    else:
        print("check_forbidden_context: python3-kubernetes is missing: "
              "the Python adapter is not run")
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = os.path.join(tmp, "kubeconfig")
        srv = subprocess.Popen([fakeapi, "--token", ADMIN],
                               stdout=subprocess.PIPE, text=True)
        other = subprocess.Popen([fakeapi], stdout=subprocess.PIPE,
                                 text=True)
        try:
            line = srv.stdout.readline()
            other_line = other.stdout.readline()
            if not line.startswith("fakeapi listening on ") or \
                    not other_line.startswith("fakeapi listening on "):
                fail("fakeapi did not start")
            url = line.split()[-1]
            write_kubeconfig(kubeconfig, url, other_line.split()[-1])
            control(url, "POST", "/fakeapi/v1/users",
                    {"token": READER, "name": "kreg-reader",
                     "verbs": ["get"]})
            before = namespaces(url)
            for what, extra in runs:
                control(url, "DELETE", "/fakeapi/v1/requests")
                r = run(conf, kubeconfig, "restricted", *extra)
                check_all_pass(what, r, names)
                check_server_refused(url)
                if namespaces(url) != before:
                    fail("%s: namespaces left behind: %s" %
                         (what, namespaces(url)))
            check_misuse(conf, kubeconfig)
            if namespaces(url) != before:
                fail("namespaces left behind: %s" % namespaces(url))
        finally:
            for p in (srv, other):
                p.terminate()
                p.wait(timeout=30)
    print("check_forbidden_context: ok (%d cases, none skipped, %s)" %
          (len(names), ", ".join(w for w, _ in runs)))


if __name__ == "__main__":
    main()
