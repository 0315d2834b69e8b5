#!/usr/bin/python3
"""Drive Debian's python3-kubernetes against a standalone fakeapi, or
against a real API server with the same assertions.

Usage: python_client_test.py FAKEAPI_BINARY
       python_client_test.py --kubeconfig FILE [--context NAME]
With --kubeconfig the test works in a namespace of its own, made fresh
and deleted at the end (waiting, bounded, until kube-controller-manager
has finished the deletion).
Exit 77 (ctest: skipped) when the kubernetes module is missing; CI
installs python3-kubernetes (ci/install-deps.sh).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

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


def wait_until(cond, seconds):
    """Poll cond() until it holds, at most @seconds; whether it did."""
    deadline = time.monotonic() + seconds
    while True:
        if cond():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def ns_gone(api, ns):
    try:
        api.read_namespace(ns)
        return False
    except ApiException as e:
        return e.status == 404


def has_default_sa(api, ns):
    # the ServiceAccount admission refuses pods until the namespace's
    # `default` ServiceAccount exists (kube-controller-manager makes it)
    try:
        api.read_namespaced_service_account("default", ns)
        return True
    except ApiException as e:
        if e.status != 404:
            raise
        return False


def run_real(kubeconfig, context):
    """A real API server: a fresh namespace, deleted at the end."""
    config.load_kube_config(config_file=kubeconfig, context=context)
    api = client.CoreV1Api()
    ns = "kreg-py-" + uuid.uuid4().hex[:8]
    api.create_namespace(client.V1Namespace(
        metadata=client.V1ObjectMeta(name=ns)))
    try:
        check("the namespace's default ServiceAccount appears",
              wait_until(lambda: has_default_sa(api, ns), 60))
        run(api, ns)
    finally:
        api.delete_namespace(ns)
        check("the namespace is deleted (bounded wait)",
              wait_until(lambda: ns_gone(api, ns), 120), ns)


def run_fake(binary):
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


def main():
    ap = argparse.ArgumentParser(
        description="python3-kubernetes against fakeapi or a real server")
    ap.add_argument("binary", nargs="?", help="the fakeapi binary")
    ap.add_argument("--kubeconfig", help="a real server's kubeconfig")
    ap.add_argument("--context", help="its context (default: current)")
    args = ap.parse_args()
    if bool(args.binary) == bool(args.kubeconfig):
        ap.error("give FAKEAPI_BINARY or --kubeconfig FILE")
    try:
        if args.kubeconfig:
            run_real(args.kubeconfig, args.context)
        else:
            run_fake(args.binary)
    except Exception as e:  # the counts line must still be printed
        check("the run completes", False, repr(e))
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
