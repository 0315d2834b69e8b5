#!/usr/bin/python3
"""kreg and go-micro's own Go plugins find each other's services.

usage: cross_test.py KREG ADAPTER --kubeconfig KC [--context C]

KREG is the kreg CLI (build/bin/kreg), ADAPTER a Go adapter
(kreg-adapter-go-v2 or -v4, adapter-go/build.sh). On the cluster of KC
(fakeapi's standalone binary with --write-kubeconfig, or a real server)
it makes a namespace kreg-cross-<hex> with two Running pods (held by a
scheduling gate, phase set through /status) and checks:

- the same service registered by kreg on one pod and by the plugin on
  the other: identical annotation bytes and selector labels;
- the plugin finds kreg's service (get, list, watch: create, delete);
- kreg finds the plugin's service (get, list, watch: create, delete).

A v1-v3 plugin's watch drops what comes in its first second and ignores
a pod entering its selector (ADDED), so the test waits 1.2 s after
starting a plugin watch and registers a first service on each pod
before any watch starts; watch events are searched for the expected
one (the plugins also re-report unchanged services as update). The
namespace is deleted at the end. Exit 0 when every check passed.
"""

import argparse
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import time

from kubernetes import client, config

SERVICE = {
    "name": "cross.greeter",
    "version": "1.0.0",
    "metadata": {"z": "last", "a": "<b>&amp;</b> caf\u00e9 \u2028"},
    "endpoints": [{
        "name": "Greeter.Hello",
        "request": {"name": "Request", "type": "Request",
                    "values": [{"name": "name", "type": "string",
                                "values": None}]},
        "response": {"name": "Response", "type": "Response",
                     "values": []},
        "metadata": {"stream": "false"},
    }],
    "nodes": [{"id": "cross.greeter-NODE", "address": "10.0.0.7:8080",
               "metadata": {"protocol": "mucp", "transport": "http"}}],
}
FAILS = []


def check(ok, what):
    if ok and len(what) > 150:
        what = what[:150] + "..."
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        FAILS.append(what)


def service(name, node):
    s = json.loads(json.dumps(SERVICE))
    s["name"] = name
    s["nodes"][0]["id"] = name + "-" + node
    return s


def enc(name):
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else
                   "_" * len(c.encode()) for c in name)


class Adapter:
    """The Go plugin through its adapter process (PROTOCOL.md)."""

    def __init__(self, cmd, target):
        self.p = subprocess.Popen([cmd], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True,
                                  start_new_session=True)
        self.target = target
        self.id = 0
        self.name = self.call("hello")["name"]

    def call(self, op, **kw):
        self.id += 1
        req = dict(id=self.id, op=op, **kw)
        if op not in ("hello", "watch_next", "watch_stop", "shutdown"):
            req["target"] = self.target
        self.p.stdin.write(json.dumps(req) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("adapter ended")
        return json.loads(line)

    def on(self, pod, op, **kw):
        saved = self.target
        self.target = dict(saved, pod=pod)
        try:
            return self.call(op, **kw)
        finally:
            self.target = saved

    def find(self, wid, action, name, timeout=8.0):
        """The next event `action` of service `name`, skipping others."""
        end = time.time() + timeout
        while time.time() < end:
            a = self.call("watch_next", watch=wid, timeoutMs=200)
            ev = a.get("event")
            if ev and ev["action"] == action and \
                    ev["service"]["name"] == name:
                return ev["service"]
        return None

    def close(self):
        try:
            self.call("shutdown")
        except (RuntimeError, BrokenPipeError, ValueError):
            pass
        self.p.wait(timeout=5)


class KregWatch:
    """`kreg watch NAME` as a process, its JSON lines read as they come."""

    def __init__(self, kreg_args, name):
        self.p = subprocess.Popen(kreg_args + ["watch", name],
                                  stdout=subprocess.PIPE, text=True)
        self.buf = ""

    def find(self, action, name, timeout=8.0):
        end = time.time() + timeout
        while time.time() < end:
            while "\n" in self.buf:
                line, self.buf = self.buf.split("\n", 1)
                ev = json.loads(line)
                if ev["action"] == action and ev["service"]["name"] == name:
                    return ev["service"]
            r, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536).decode()
                if not chunk:
                    return None
                self.buf += chunk
        return None

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(timeout=5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kreg")
    ap.add_argument("adapter")
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--context")
    o = ap.parse_args()

    config.load_kube_config(o.kubeconfig, context=o.context)
    cfg = client.Configuration.get_default_copy()
    core = client.CoreV1Api()
    ns = "kreg-cross-" + secrets.token_hex(3)
    core.create_namespace({"metadata": {"name": ns}})
    token = (cfg.api_key or {}).get("authorization", "")
    target = {"server": cfg.host, "namespace": ns, "pod": "",
              "token": token[len("Bearer "):] if token else None,
              "caFile": cfg.ssl_ca_cert, "kubeconfig": None,
              "context": None, "insecure": not cfg.verify_ssl}
    kreg = [o.kreg, "--kubeconfig", o.kubeconfig, "-n", ns]
    if o.context:
        kreg += ["--context", o.context]
    ad = None
    try:
        for pod in ("p-kreg", "p-go"):
            core.create_namespaced_pod(ns, {
                "metadata": {"name": pod},
                "spec": {"schedulingGates": [{"name": "kreg.dev/never"}],
                         "containers": [{"name": "c", "image": "none"}]}})
            core.patch_namespaced_pod_status(
                pod, ns, {"status": {"phase": "Running"}})
        ad = Adapter(o.adapter, target)
        print("# %s; kreg %s; namespace %s" % (ad.name, o.kreg, ns))

        def kreg_run(*args, pod="p-kreg", stdin=None):
            return subprocess.run(kreg + ["--pod", pod] + list(args),
                                  input=stdin, capture_output=True,
                                  text=True, timeout=30)

        # 1. the same service written by both: identical bytes
        same = service("cross.same", "n")
        r = kreg_run("register", "-", stdin=json.dumps(same))
        check(r.returncode == 0, "kreg register " + r.stderr.strip())
        a = ad.on("p-go", "register", service=same)
        check(a["ok"], "plugin register %s" % a.get("error"))
        key = "micro.mu/service-" + enc(same["name"])
        sel = "micro.mu/selector-" + enc(same["name"])
        pk = core.read_namespaced_pod("p-kreg", ns).metadata
        pg = core.read_namespaced_pod("p-go", ns).metadata
        bk = (pk.annotations or {}).get(key)
        bg = (pg.annotations or {}).get(key)
        check(bk is not None and bk == bg,
              "annotation bytes identical:\n  kreg   %r\n  plugin %r" % (bk, bg))
        for m, who in ((pk, "kreg"), (pg, "plugin")):
            lb = m.labels or {}
            check(lb.get(sel) == "service" and
                  lb.get("micro.mu/type") == "service",
                  "%s labels %s" % (who, lb))

        # 2. the plugin finds kreg's service
        svc = service("cross.fromkreg", "k")
        wid_all = ad.call("watch", name=None)
        wid_one = ad.call("watch", name=svc["name"])
        check(wid_all["ok"] and wid_one["ok"], "plugin watch starts")
        time.sleep(1.2)  # v1-v3 drop their first second
        r = kreg_run("register", "-", stdin=json.dumps(svc))
        check(r.returncode == 0, "kreg register " + r.stderr.strip())
        a = ad.call("get", name=svc["name"])
        check(a["ok"] and a["services"] == [svc],
              "plugin get finds kreg's service: %s" % a)
        a = ad.call("list")
        check(a["ok"] and svc["name"] in [s["name"] for s in a["services"]],
              "plugin list has kreg's service: %s" % a)
        got = ad.find(wid_all["watch"], "create", svc["name"])
        check(got == svc, "plugin watch (all): create %s" % got)
        r = kreg_run("deregister", svc["name"])
        check(r.returncode == 0, "kreg deregister " + r.stderr.strip())
        got = ad.find(wid_all["watch"], "delete", svc["name"])
        check(got == svc, "plugin watch (all): delete %s" % got)
        # a per-service watch: the first register made the pod ADDED to
        # its selector (v1-v4 ignore that); the deregister is DELETED
        got = ad.find(wid_one["watch"], "delete", svc["name"])
        check(got == svc, "plugin watch (%s): delete %s" % (svc["name"], got))
        a = ad.call("get", name=svc["name"])
        check(not a["ok"] and a["error"]["code"] == "not_found",
              "plugin get after kreg's deregister: not_found: %s" % a)
        for w in (wid_all, wid_one):
            ad.call("watch_stop", watch=w["watch"])

        # 3. kreg finds the plugin's service
        svc = service("cross.fromgo", "g")
        kw = KregWatch(kreg, svc["name"])
        time.sleep(0.5)  # kreg's watch lists first: let it start
        a = ad.on("p-go", "register", service=svc)
        check(a["ok"], "plugin register %s" % a.get("error"))
        r = kreg_run("get", svc["name"], "-o", "json")
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = r.stdout
        check(r.returncode == 0 and out == [svc],
              "kreg get finds the plugin's service: %s %s" % (out, r.stderr))
        r = kreg_run("list", "-o", "json")
        check(r.returncode == 0 and svc["name"] in r.stdout,
              "kreg list has the plugin's service: %s" % r.stdout.strip())
        got = kw.find("create", svc["name"])
        check(got == svc, "kreg watch: create %s" % got)
        a = ad.on("p-go", "deregister", service=svc)
        check(a["ok"], "plugin deregister %s" % a.get("error"))
        got = kw.find("delete", svc["name"])
        check(got == svc, "kreg watch: delete %s" % got)
        kw.stop()
        r = kreg_run("get", svc["name"])
        check(r.returncode == 3, "kreg get after the plugin's deregister: "
              "exit 3 (not found), got %d" % r.returncode)
    finally:
        if ad:
            ad.close()
        core.delete_namespace(ns)
    print("cross_test: %s: %d failed" % (os.path.basename(o.adapter),
                                         len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
