#!/usr/bin/python3
"""The golden fixtures against what the live Go plugin writes.

usage: golden_live.py ADAPTER --kubeconfig KC [--context C]

ADAPTER is a Go adapter (kreg-adapter-go-v2 or -v4, adapter-go/build.sh).
On the cluster of KC (fakeapi's standalone binary with --write-kubeconfig,
or a real server) it makes a namespace kreg-golden-<hex> with one Running
pod and, for each case of fixtures/golden/cases.json that the v2 profile
covers (fixtures/golden/v2/<case>.json exists), has the plugin register
the case's service (rebuilt from cases.json) on that pod, reads the pod
back through the API and checks:

- the micro.mu/service-<enc> annotation's bytes equal the golden fixture
  of the plugin's profile, byte for byte (a mismatch prints both byte
  strings and the first differing offset);
- the pod's micro.mu/ label and annotation keys are exactly the ones
  fixtures/golden/patch/register_b.json names (with <enc> of the case's
  name in place of shop.cart's), labels valued "service";
- after the plugin's deregister, the keys deregister_b.json nulls are
  gone and micro.mu/type stays.

Which fixtures: the adapters are built with Go 1.26 (their go.mod says
`go 1.26`, so no older toolchain builds them), and encoding/json since
Go 1.22 writes \\b and \\f where older Go wrote \\u0008 and \\u000c: the
plugin's bytes are the *_go122 profile, never the pre-1.22 one. The
field order is go-micro's: v2.9.1 (the v2 plugin) and v4.9.0 (the v4
plugin, go.mod's pin) both have registry.Endpoint as name, request,
response, metadata and registry.Node as id, address, metadata, the v2
order; only go-micro >= v4.10.2 moved Endpoint's name last and Node's
metadata first (the v4_10_2 profile: every case with a node differs). So both plugins are compared against
fixtures/golden/v2_go122/, and a go-micro >= v4.10.2 would be compared
against v4_10_2_go122/; the version is read from the adapter's hello.

Cases the plugin cannot write are skipped with the reason printed (a
service without nodes: go-micro refuses it; a string that is not valid
UTF-8: the protocol's JSON text cannot carry it; a name whose keys the
API rejects). The namespace is deleted at the end. Exit 0 when every
compared case matched.
"""

import argparse
import base64
import json
import os
import re
import secrets
import subprocess
import sys

from kubernetes import client, config

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "..", "fixtures", "golden")
POD = "p-golden"
FAILS = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        FAILS.append(what)


def enc(name):
    """go-micro's serviceName: each byte not in [-A-Za-z0-9._] is _."""
    return "".join(chr(b) if chr(b).isascii() and
                   (chr(b).isalnum() or chr(b) in "-_.") else "_"
                   for b in name.encode())


def key_ok(enc_name):
    """A label name the API accepts after micro.mu/selector- (63 max)."""
    return 0 < len(enc_name) <= 54 and enc_name[-1].isalnum()


class NotUTF8(Exception):
    pass


def rebuild(v, key=None):
    """cases.json's service as the JSON the protocol sends: metadata
    [key, value] lists become objects (insertion order), {"base64": ...}
    (a string that is not valid UTF-8) cannot be sent."""
    if isinstance(v, dict):
        if list(v) == ["base64"]:
            raise NotUTF8(base64.b64decode(v["base64"]))
        return {k: rebuild(x, k) for k, x in v.items()}
    if isinstance(v, list):
        if key == "metadata":
            return {rebuild(k): rebuild(x) for k, x in v}
        return [rebuild(x) for x in v]
    return v


def profile_for(hello):
    """The fixture directory for the go-micro version in the hello name."""
    m = re.search(r"go-micro v(\d+)\.(\d+)\.(\d+)", hello)
    if not m:
        return None
    ver = tuple(int(x) for x in m.groups())
    if ver < (1, 8, 0):
        return "v1_go122"      # Node has port (go-micro <= v1.7.0)
    if ver >= (4, 10, 2):
        return "v4_10_2_go122"  # Endpoint name last
    return "v2_go122"


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


class Adapter:
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
        if op not in ("hello", "shutdown"):
            req["target"] = self.target
        self.p.stdin.write(json.dumps(req) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("adapter ended")
        return json.loads(line)

    def close(self):
        try:
            self.call("shutdown")
        except (RuntimeError, BrokenPipeError, ValueError):
            pass
        self.p.wait(timeout=5)


def micro(d):
    return {k: v for k, v in (d or {}).items() if k.startswith("micro.mu/")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("adapter")
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--context")
    o = ap.parse_args()

    cases = json.load(open(os.path.join(GOLDEN, "cases.json")))["cases"]
    # the keys the plugin's PATCH bodies name, for example B (shop.cart)
    reg = json.load(open(os.path.join(GOLDEN, "patch", "register_b.json")))
    dereg = json.load(open(os.path.join(GOLDEN, "patch",
                                        "deregister_b.json")))
    b_enc = enc("shop.cart")

    def keys(body, part, e):
        return {k.replace(b_enc, e): v
                for k, v in body["metadata"][part].items()}

    config.load_kube_config(o.kubeconfig, context=o.context)
    cfg = client.Configuration.get_default_copy()
    core = client.CoreV1Api()
    ns = "kreg-golden-" + secrets.token_hex(3)
    core.create_namespace({"metadata": {"name": ns}})
    token = (cfg.api_key or {}).get("authorization", "")
    target = {"server": cfg.host, "namespace": ns, "pod": POD,
              "token": token[len("Bearer "):] if token else None,
              "caFile": cfg.ssl_ca_cert, "kubeconfig": None,
              "context": None, "insecure": not cfg.verify_ssl}
    ad = None
    compared = skipped = 0
    v4_differs = []
    try:
        core.create_namespaced_pod(ns, {
            "metadata": {"name": POD},
            "spec": {"schedulingGates": [{"name": "kreg.dev/never"}],
                     "containers": [{"name": "c", "image": "none"}]}})
        core.patch_namespaced_pod_status(
            POD, ns, {"status": {"phase": "Running"}})
        ad = Adapter(o.adapter, target)
        prof = profile_for(ad.name)
        print("# %s; profile %s; namespace %s" % (ad.name, prof, ns))
        if prof is None:
            check(False, "no go-micro version in the hello name %r" % ad.name)
            return 1
        if prof == "v2_go122" and " v4." in ad.name:
            print("# go-micro v4 before v4.10.2 writes the v2 field order "
                  "(Endpoint name first, Node metadata last), not "
                  "fixtures/golden/v4_10_2: compared against v2_go122")
        base = dict(keys(reg, "labels", b_enc),
                    **keys(reg, "annotations", b_enc))
        check(set(base) == {"micro.mu/type",
                            "micro.mu/selector-" + b_enc,
                            "micro.mu/service-" + b_enc},
              "patch/register_b.json names the type and selector labels "
              "and the service annotation: %s" % sorted(base))
        for case in cases:
            name = case["name"]
            if not os.path.exists(os.path.join(GOLDEN, "v2", name + ".json")):
                continue
            try:
                svc = rebuild(case["service"])
            except NotUTF8 as e:
                print("skip %s: holds a string that is not valid UTF-8 "
                      "(%r): the protocol's JSON cannot carry it"
                      % (name, e.args[0][:20]))
                skipped += 1
                continue
            if not svc.get("nodes"):
                print("skip %s: no nodes: the plugin refuses it (\"you must "
                      "register at least one node\")" % name)
                skipped += 1
                continue
            e = enc(svc["name"])
            if not key_ok(e):
                print("skip %s: name %r encodes to %r: the API rejects "
                      "the selector label key" % (name, svc["name"], e))
                skipped += 1
                continue
            with open(os.path.join(GOLDEN, prof, name + ".json"), "rb") as f:
                want = f.read()
            compared += 1
            if prof == "v2_go122":
                with open(os.path.join(GOLDEN, "v4_10_2_go122",
                                       name + ".json"), "rb") as f:
                    if f.read() != want:
                        v4_differs.append(name)
            a = ad.call("register", service=svc)
            if not a["ok"]:
                check(False, "%s: plugin register: %s" % (name, a["error"]))
                continue
            md = core.read_namespaced_pod(POD, ns).metadata
            lb, an = micro(md.labels), micro(md.annotations)
            got = an.get("micro.mu/service-" + e)
            got = got.encode() if got is not None else None
            if got == want:
                check(True, "%s: annotation bytes = %s/%s.json (%d bytes)"
                      % (name, prof, name, len(want)))
            else:
                i = first_diff(got or b"", want)
                check(False, "%s: annotation bytes differ from %s/%s.json "
                      "at byte %d:\n  plugin  %r\n  fixture %r"
                      % (name, prof, name, i, got, want))
            wl, wa = keys(reg, "labels", e), keys(reg, "annotations", e)
            check(lb == wl,
                  "%s: labels %s, want %s" % (name, lb, wl))
            check(set(an) == set(wa),
                  "%s: annotation keys %s, want %s"
                  % (name, sorted(an), sorted(wa)))
            a = ad.call("deregister", service=svc)
            check(a["ok"], "%s: plugin deregister %s" % (name, a.get("error")))
            md = core.read_namespaced_pod(POD, ns).metadata
            gone = set(keys(dereg, "labels", e)) | \
                set(keys(dereg, "annotations", e))
            left = set(micro(md.labels)) | set(micro(md.annotations))
            check(left == (set(wl) | set(wa)) - gone and
                  "micro.mu/type" in left,
                  "%s: after deregister %s (the keys deregister_b.json "
                  "nulls are gone)" % (name, sorted(left)))
    finally:
        if ad:
            ad.close()
        core.delete_namespace(ns)
    if v4_differs:
        print("# the plugin's bytes are not v4_10_2_go122's for %d of %d "
              "compared cases (field order)" % (len(v4_differs), compared))
    print("golden_live: %s: %d compared, %d skipped, %d failed"
          % (os.path.basename(o.adapter), compared, skipped, len(FAILS)))
    return 1 if FAILS or not compared else 0


if __name__ == "__main__":
    sys.exit(main())
