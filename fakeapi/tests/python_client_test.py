#!/usr/bin/python3
"""Drive Debian's python3-kubernetes against a standalone fakeapi.

Usage: python_client_test.py FAKEAPI_BINARY
Exit 77 (ctest: skipped) when the kubernetes module is missing; CI
installs python3-kubernetes (ci/install-deps.sh).
"""
import json
import os
import subprocess
import sys
import tempfile
import threading

try:
    from kubernetes import client, config, watch
    from kubernetes.client.rest import ApiException
except ImportError:
    print("SKIP: python3-kubernetes is not installed "
          "(ci/install-deps.sh installs it)")
    # in CI the clients are installed, so a skip there is a failure
    sys.exit(1 if os.environ.get("CI") else 77)

RESULTS = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
        print("ok - " + name)
    else:
        RESULTS["failed"] += 1
        print("not ok - %s %s" % (name, detail))


def pod(name, labels=None):
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels=labels or {}),
        spec=client.V1PodSpec(containers=[
            client.V1Container(name="c", image="busybox")]))


def run(api, ns):
    created = api.create_namespaced_pod(ns, pod("py-1", {"app": "web"}))
    check("create returns the stored pod",
          created.metadata.uid and created.status.phase == "Pending")
    api.create_namespaced_pod(ns, pod("py-2", {"app": "db"}))
    api.create_namespaced_pod(ns, pod("py-3", {"app": "web", "x": "y"}))

    lst = api.list_namespaced_pod(ns, label_selector="app=web")
    check("list with a label selector",
          [p.metadata.name for p in lst.items] == ["py-1", "py-3"],
          [p.metadata.name for p in lst.items])
    lst = api.list_namespaced_pod(ns, label_selector="app in (db),!x")
    check("list with a set-based selector",
          [p.metadata.name for p in lst.items] == ["py-2"])
    lst = api.list_namespaced_pod(ns, field_selector="metadata.name=py-2")
    check("list with a field selector",
          [p.metadata.name for p in lst.items] == ["py-2"])

    api.patch_namespaced_pod("py-3", ns,
                             {"metadata": {"labels": {"x": None}}})
    got = api.read_namespaced_pod("py-3", ns)
    check("patch with None deletes the key",
          "x" not in (got.metadata.labels or {}) and
          got.metadata.labels.get("app") == "web", got.metadata.labels)

    api.patch_namespaced_pod_status("py-1", ns,
                                    {"status": {"phase": "Running"}})
    got = api.read_namespaced_pod_status("py-1", ns)
    check("status patch sets the phase", got.status.phase == "Running")

    try:
        api.read_namespaced_pod("nope", ns)
        check("missing pod raises ApiException", False)
    except ApiException as e:
        body = json.loads(e.body)
        check("missing pod raises ApiException 404 with a Status body",
              e.status == 404 and body["kind"] == "Status" and
              body["reason"] == "NotFound" and
              body["message"] == 'pods "nope" not found', e.body)
    try:
        api.create_namespaced_pod(ns, pod("py-1"))
        check("duplicate create raises", False)
    except ApiException as e:
        check("duplicate create raises 409 AlreadyExists",
              e.status == 409 and
              json.loads(e.body)["reason"] == "AlreadyExists")
    try:
        api.list_namespaced_pod(ns, label_selector="app in web")
        check("bad selector raises", False)
    except ApiException as e:
        check("bad selector raises 400 BadRequest",
              e.status == 400 and
              json.loads(e.body)["reason"] == "BadRequest")

    names = []
    token = None
    pages = 0
    while True:
        page = api.list_namespaced_pod(ns, limit=2, _continue=token)
        names += [p.metadata.name for p in page.items]
        pages += 1
        token = page.metadata._continue
        if not token or pages > 5:
            break
    check("pagination with limit and continue",
          names == ["py-1", "py-2", "py-3"] and pages == 2, (names, pages))

    # live watch: initial ADDED events, then a live change
    list_rv = api.list_namespaced_pod(ns).metadata.resource_version
    w = watch.Watch()
    seen = []
    for ev in w.stream(api.list_namespaced_pod, ns, timeout_seconds=5):
        seen.append((ev["type"], ev["object"].metadata.name))
        if len(seen) == 3:
            api.create_namespaced_pod(ns, pod("py-4"))
        if ev["type"] == "ADDED" and ev["object"].metadata.name == "py-4":
            w.stop()
    check("watch stream: initial ADDED then live ADDED",
          seen[:3] == [("ADDED", "py-1"), ("ADDED", "py-2"),
                       ("ADDED", "py-3")] and seen[-1] == ("ADDED", "py-4"),
          seen)

    # resumed watch: only what happened after the list's resourceVersion
    w = watch.Watch()
    seen = []
    for ev in w.stream(api.list_namespaced_pod, ns,
                       resource_version=list_rv, timeout_seconds=5):
        seen.append((ev["type"], ev["object"].metadata.name))
        if ev["object"].metadata.name == "py-4":
            w.stop()
    check("watch resumed from a resourceVersion",
          seen == [("ADDED", "py-4")], seen)

    deleted = api.delete_namespaced_pod("py-4", ns)
    check("delete returns the pod", deleted.metadata.name == "py-4")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        kc = os.path.join(tmp, "kubeconfig")
        proc = subprocess.Popen([binary, "--write-kubeconfig", kc,
                                 "--namespace", "py"],
                                stdout=subprocess.PIPE, text=True)
        try:
            first = proc.stdout.readline()
            check("fakeapi prints its URL first",
                  first.startswith("fakeapi listening on http://127.0.0.1:"),
                  first)
            config.load_kube_config(config_file=kc)
            _, active = config.list_kube_config_contexts(config_file=kc)
            ns = active["context"]["namespace"]
            run(client.CoreV1Api(), ns)
        finally:
            proc.terminate()
            rc = proc.wait(timeout=10)
            check("SIGTERM stops fakeapi with exit 0", rc == 0, rc)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
