#!/usr/bin/python3
"""fakeapi's fidelity, measured: the same requests to fakeapi and to a real
kube-apiserver, the answers compared after normalising only what a server
generates.

usage: fidelity.py --fakeapi BIN --real KUBECONFIG [--corpus DIR]
                   [--only GLOB] [--known FILE] [--verbose]

A scenario (corpus/*.yaml) is a sequence of steps run in a namespace of
its own (the same fresh name on both servers). A step is a request
(method, path with {ns}, query, headers, body, raw text or
`raw_repeat` {text, times}, the user: admin, restricted or anonymous,
`select` to compare only some members of a list, `pick` to compare only
some members of an object, `binary` for a body compared by presence
only), the start (`watch`) or reading (`read`) of a watch,
or a GET repeated `until` it answers a status code. A request may
`save` strings of its answer ({name: dotted path}) for later steps'
{name}; a read may take `bookmark_rv: ignore`. Each
request's answer is one pair: status code, Content-Type, Warning headers
and the body (JSON equal, member order included; Status messages word for
word). Each watch read is one pair: the sequence of event types and
objects.

Normalised on both sides (a server generates these): uid, resourceVersion
values (replaced by their order of appearance), times, generateName
suffixes (wherever the generated name appears, e.g. a namespace's
kubernetes.io/metadata.name label), continue tokens, the server's
version strings and address,
Table cells that are ages ("5s", "3m12s"), OpenAPI document hashes,
the uid or resourceVersion "in record" of a precondition's message,
managedFields (fakeapi keeps none) and the names of the ServiceAccount
token volume.

Prints each difference, then one figure per area and in total: pairs
identical after normalisation, out of all. Exit 1 when a difference is
not accepted by known-differences.md, 2 on a usage or set-up error.
"""
import argparse
import base64
import fnmatch
import glob
import http.client
import json
import os
import queue
import re
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_ADMIN_TOKEN = "fidelity-admin-" + secrets.token_hex(8)
FAKE_READER_TOKEN = "fidelity-reader-" + secrets.token_hex(8)
TIMEOUT = 30


# ---- servers ---------------------------------------------------------------

class Server:
    """One API server: where it is and the tokens of its users."""

    def __init__(self, name, url, tokens, cafile=None):
        self.name = name
        self.url = urllib.parse.urlsplit(url)
        self.tokens = tokens  # user -> token
        self.ctx = None
        if self.url.scheme == "https":
            self.ctx = ssl.create_default_context(cafile=cafile)

    def connect(self, timeout=TIMEOUT):
        if self.url.scheme == "https":
            return http.client.HTTPSConnection(
                self.url.hostname, self.url.port, context=self.ctx,
                timeout=timeout)
        return http.client.HTTPConnection(self.url.hostname, self.url.port,
                                          timeout=timeout)

    def headers(self, user, extra):
        h = {"Accept": "application/json", "User-Agent": "kreg-fidelity"}
        if user != "anonymous":
            h["Authorization"] = "Bearer " + self.tokens[user]
        h.update(extra or {})
        return {k: v for k, v in h.items() if v is not None}

    def request(self, method, path, headers=None, body=None, user="admin"):
        conn = self.connect()
        try:
            try:
                conn.request(method, path, body=body,
                             headers=self.headers(user, headers))
            except (BrokenPipeError, ConnectionResetError):
                pass  # answered (413) before the whole body was read
            r = conn.getresponse()
            data = r.read()
            return r.status, r.getheaders(), data
        finally:
            conn.close()

    def json(self, method, path, obj=None, user="admin"):
        body = json.dumps(obj).encode() if obj is not None else None
        h = {"Content-Type": "application/json"} if body else {}
        status, _, data = self.request(method, path, h, body, user)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None


def real_server(kubeconfig):
    """The admin and restricted users of ci/realapi.sh's kubeconfig."""
    with open(kubeconfig) as f:
        kc = yaml.safe_load(f)
    clusters = {c["name"]: c["cluster"] for c in kc["clusters"]}
    users = {u["name"]: u["user"] for u in kc["users"]}
    ctxs = {c["name"]: c["context"] for c in kc["contexts"]}
    tokens = {}
    cluster = None
    for name, want in (("admin", "admin"), ("restricted", "restricted")):
        ctx = ctxs[want]
        cluster = clusters[ctx["cluster"]]
        tokens[name] = users[ctx["user"]]["token"]
    ca = tempfile.NamedTemporaryFile("wb", suffix=".crt", delete=False)
    ca.write(base64.b64decode(cluster["certificate-authority-data"]))
    ca.close()
    return Server("kube-apiserver", cluster["server"], tokens, ca.name)


def start_fakeapi(binary):
    """A standalone fakeapi with the same two users as the real server."""
    proc = subprocess.Popen([binary, "--token", FAKE_ADMIN_TOKEN],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    line = proc.stdout.readline().strip()
    prefix = "fakeapi listening on "
    if not line.startswith(prefix):
        proc.kill()
        sys.exit("fidelity: fakeapi did not start: " + line)
    srv = Server("fakeapi", line[len(prefix):],
                 {"admin": FAKE_ADMIN_TOKEN, "restricted": FAKE_READER_TOKEN})
    # the restricted user: RBAC lets kreg-reader get pods, nothing else
    status, _ = srv.json("POST", "/fakeapi/v1/users",
                         {"token": FAKE_READER_TOKEN, "name": "kreg-reader",
                          "verbs": ["get"]})
    if status >= 300:
        proc.kill()
        sys.exit("fidelity: fakeapi refused the restricted user: %d" % status)
    return proc, srv


# ---- namespaces ------------------------------------------------------------

def ns_create(srv, ns):
    status, doc = srv.json("POST", "/api/v1/namespaces",
                           {"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": ns}})
    if status != 201:
        raise RuntimeError("%s: create namespace %s: %d %s" %
                           (srv.name, ns, status, doc))
    # a new namespace's default ServiceAccount comes from a controller on
    # a real server; pods are refused until it exists
    deadline = time.time() + TIMEOUT
    while srv.name == "kube-apiserver":
        status, _ = srv.json("GET", "/api/v1/namespaces/%s/serviceaccounts/"
                             "default" % ns)
        if status == 200:
            break
        if time.time() > deadline:
            raise RuntimeError("%s: no default ServiceAccount in %s" %
                               (srv.name, ns))
        time.sleep(0.05)


def ns_delete(srv, ns):
    """Delete the scenario's namespace and any it made named after it
    (generateName). Their pods go first, forced: on a real server a pod
    left with a finalizer, or bound to a node with a grace period (no
    kubelet confirms it), would hold its namespace Terminating for ever."""
    status, doc = srv.json("GET", "/api/v1/namespaces")
    names = [ns]
    if status == 200:
        names += [n["metadata"]["name"] for n in (doc or {}).get("items") or []
                  if n["metadata"]["name"].startswith(ns + "-")]
    for name in names:
        pods = "/api/v1/namespaces/%s/pods" % name
        status, doc = srv.json("GET", pods)
        for pod in ((doc or {}).get("items") or []) if status == 200 else []:
            meta = pod.get("metadata") or {}
            path = "%s/%s" % (pods, meta.get("name"))
            if meta.get("finalizers"):
                srv.request("PATCH", path,
                            {"Content-Type": "application/merge-patch+json"},
                            b'{"metadata":{"finalizers":null}}')
            srv.request("DELETE", path + "?gracePeriodSeconds=0")
        srv.json("DELETE", "/api/v1/namespaces/" + name)


# ---- watches ---------------------------------------------------------------

class Watch:
    """A watch stream read line by line in a thread."""

    def __init__(self, srv, path, headers, user):
        self.events = queue.Queue()
        self.status = None
        self.headers = []
        self.conn = srv.connect(timeout=TIMEOUT + 30)
        self.conn.request("GET", path, headers=srv.headers(user, headers))
        r = self.conn.getresponse()
        self.status = r.status
        self.headers = r.getheaders()
        self.thread = threading.Thread(target=self._read, args=(r,),
                                       daemon=True)
        self.thread.start()

    def _read(self, r):
        try:
            while True:
                line = r.readline()
                if not line:
                    break
                if line.strip():
                    self.events.put(line)
        except (OSError, http.client.HTTPException, ValueError,
                AttributeError):
            # AttributeError: http.client's reader after close() dropped
            # its socket (the stream was ended by us)
            pass
        self.events.put(None)

    def take(self, n, timeout):
        """Up to n events; fewer when the stream ends or time runs out."""
        out = []
        deadline = time.time() + timeout
        while len(out) < n:
            left = deadline - time.time()
            if left <= 0:
                break
            try:
                line = self.events.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                out.append({"end": True})
                break
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"undecodable": line.decode("utf-8", "replace")})
        return out

    def close(self):
        try:
            self.conn.sock.shutdown(2)
        except (OSError, AttributeError):
            pass
        self.conn.close()


# ---- normalising -----------------------------------------------------------

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
TOKEN_VOLUME_RE = re.compile(r"^kube-api-access-[a-z0-9]{5}$")
AGE_RE = re.compile(r"^(\d+[smhdy])+$")
HASH_RE = re.compile(r"([?&]hash=)[0-9A-F]+")
# a delete precondition's 409 names the stored uid or resourceVersion
RECORD_RE = re.compile(r"(the (UID|ResourceVersion) in record \()([^)]*)(\))")


class Normaliser:
    """Per scenario and server: generated values replaced by stable names
    in their order of appearance, so the two servers' answers compare."""

    def __init__(self):
        self.uids = {}
        self.rvs = {}
        self.names = {}
        self.generated = {}  # generated name -> its normalised form

    def _seen(self, table, value, tag):
        if value not in table:
            table[value] = "<%s%d>" % (tag, len(table) + 1)
        return table[value]

    def _record(self, m):
        """A uid or resourceVersion named in a message, as its tag."""
        table = self.uids if m.group(2) == "UID" else self.rvs
        return m.group(1) + table.get(m.group(3), m.group(3)) + m.group(4)

    def value(self, key, v, parent):
        if isinstance(v, str):
            if key == "uid":
                return self._seen(self.uids, v, "uid")
            if key == "resourceVersion" and v not in ("", "0", LIST_RV):
                return self._seen(self.rvs, v, "rv")
            if key == "continue" and v:
                return "<continue>"
            if key == "serverAddress":
                return "<address>"
            if key == "cells" and AGE_RE.match(v):
                return "<age>"
            if key == "serverRelativeURL":
                return HASH_RE.sub(r"\1<hash>", v)
            if key == "message" and RECORD_RE.search(v):
                return RECORD_RE.sub(self._record, v)
            if TIME_RE.match(v):
                return "<time>"
            if key == "name" and TOKEN_VOLUME_RE.match(v):
                return "kube-api-access-<gen>"
            if key == "name" and isinstance(parent, list) is False:
                gen = parent.get("generateName") if isinstance(parent, dict) else None
                if gen and v.startswith(gen) and len(v) == len(gen) + 5:
                    self.generated[v] = gen + self._seen(self.names, v,
                                                         "gen")
                    return self.generated[v]
            if v in self.generated:  # a generated name used elsewhere
                return self.generated[v]
        return v

    def walk(self, node, key=None, parent=None):
        if isinstance(node, list) and node and isinstance(node[0], tuple):
            # an object as ordered (key, value) pairs
            out = []
            as_dict = dict(node)
            for k, v in node:
                if k == "managedFields":
                    continue
                out.append((k, self.walk(v, k, as_dict)))
            return out
        if isinstance(node, list):
            return [self.walk(v, key, node) for v in node]
        return self.value(key, node, parent)


def ordered(data):
    """JSON text to nested lists of (key, value) pairs: order is kept."""
    return json.loads(data, object_pairs_hook=lambda pairs: pairs)


def version_doc(pairs):
    """/version: only the fields' presence, not the build's strings."""
    return [(k, "<version>") for k, _ in pairs]


# ---- running ---------------------------------------------------------------

def render(v, ns, saved=None):
    """{ns} and each {name} a step saved (see save_values) in @v; a
    mapping {$repeat: [TEXT, N]} becomes TEXT repeated N times."""
    if isinstance(v, str):
        v = v.replace("{ns}", ns)
        for name, value in (saved or {}).items():
            v = v.replace("{%s}" % name, value)
        return v
    if isinstance(v, list):
        return [render(x, ns, saved) for x in v]
    if isinstance(v, dict) and set(v) == {"$repeat"}:
        # {$repeat: [TEXT, N]}: TEXT N times (annotation size limits)
        text, times = v["$repeat"]
        return render(text, ns, saved) * times
    if isinstance(v, dict):
        return {k: render(x, ns, saved) for k, x in v.items()}
    return v


def save_values(data, spec, saved):
    """A step's `save` {name: dotted path}: the string at that path of the
    answer's body, before normalising (e.g. a list's resourceVersion, for
    a later watch's query as {name}); "" when absent."""
    try:
        doc = json.loads(data) if data else None
    except ValueError:
        doc = None
    for name, where in spec.items():
        v = doc
        for part in where.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        saved[name] = v if isinstance(v, str) else ""


def hide_bookmark_rv(event):
    """A BOOKMARK's resourceVersion is the server's current one, which a
    real server moves for its own writes (leases, controllers): with a
    read's `bookmark_rv: ignore` it is compared by presence only."""
    obj = event.get("object") if isinstance(event, dict) else None
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if event.get("type") == "BOOKMARK" and isinstance(meta, dict) and \
            "resourceVersion" in meta:
        meta["resourceVersion"] = "<bookmark>"
    return event


LIST_RV = "<list-rv>"


def list_rv(body):
    """A list's (or Table's) own resourceVersion is the server's current
    revision when it answered, which a real server also moves for its own
    writes (the apiserver's identity lease, controllers) between a test's
    write and its list: compared by presence, it takes no order number."""
    if not (isinstance(body, list) and body and isinstance(body[0], tuple)):
        return body
    kind = dict(body).get("kind")
    if not (isinstance(kind, str) and (kind.endswith("List") or
                                       kind == "Table")):
        return body
    out = []
    for k, v in body:
        if k == "metadata" and isinstance(v, list):
            v = [(mk, LIST_RV if mk == "resourceVersion" and mv else mv)
                 for mk, mv in v]
        out.append((k, v))
    return out


def answer(status, headers, data, norm, path):
    ctype = ""
    warnings = []
    for k, v in headers:
        if k.lower() == "content-type":
            ctype = v
        elif k.lower() == "warning":
            warnings.append(v)
    body = None
    if data:
        try:
            body = list_rv(ordered(data))
            if path.split("?")[0].rstrip("/") == "/version":
                body = version_doc(body)
            body = norm.walk(body)
        except ValueError:
            body = {"raw": data.decode("utf-8", "replace")[:2000]}
    return {"status": status, "contentType": ctype, "warnings": warnings,
            "body": body}


def select(body, spec):
    """Keep only the members of the list at spec["path"] (dotted, in the
    body) whose spec["key"] is one of spec["values"]: e.g. the resources
    fakeapi serves out of a discovery document that lists many more."""
    if not isinstance(body, list):
        return body
    head, _, rest = spec["path"].partition(".")
    out = []
    for k, v in body:
        if k == head and rest:
            v = select(v, dict(spec, path=rest))
        elif k == head and isinstance(v, list):
            v = [item for item in v
                 if dict(item).get(spec["key"]) in spec["values"]]
        out.append((k, v))
    return out


def pick(body, spec):
    """Keep only the members spec["keys"] of the object at spec["path"]
    (dotted, "" for the body itself): e.g. the parts of an OpenAPI
    document fakeapi serves."""
    if not isinstance(body, list):
        return body
    if not spec["path"]:
        return [(k, v) for k, v in body if k in spec["keys"]]
    head, _, rest = spec["path"].partition(".")
    return [(k, pick(v, dict(spec, path=rest)) if k == head else v)
            for k, v in body]


def until(srv, step, user):
    """Repeat a GET until it answers step["until"] (a status code), at
    most step["timeout"] s: what a real server does asynchronously (a
    namespace or a pod going away) is waited for on both servers."""
    deadline = time.time() + step.get("timeout", TIMEOUT)
    while True:
        status, _, _ = srv.request("GET", step["path"], None, None, user)
        if status == step["until"] or time.time() > deadline:
            return {"until": status}
        time.sleep(0.05)


def run_step(srv, step, ns, norm, watches, saved=None):
    saved = {} if saved is None else saved
    step = render(step, ns, saved)
    user = step.get("as", "admin")
    if "until" in step:
        return until(srv, step, user)
    if "watch" in step:
        w = step["watch"]
        path = w["path"]
        if w.get("query"):
            path += "?" + urllib.parse.urlencode(w["query"])
        watch = Watch(srv, path, w.get("headers"), user)
        watches[w.get("id", "w")] = watch
        return {"status": watch.status,
                "contentType": dict((k.lower(), v) for k, v in
                                    watch.headers).get("content-type", "")}
    if "read" in step:
        r = step["read"]
        watch = watches[r.get("id", "w")]
        events = watch.take(r.get("events", 1), r.get("timeout", 10))
        if r.get("bookmark_rv") == "ignore":
            events = [hide_bookmark_rv(e) for e in events]
        return {"events": [norm.walk(ordered(json.dumps(e))) for e in events]}
    path = step["path"]
    if step.get("query"):
        path += "?" + urllib.parse.urlencode(step["query"])
    headers = dict(step.get("headers") or {})
    body = None
    if "body" in step:
        body = json.dumps(step["body"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "raw" in step:
        body = step["raw"].encode()
    elif "raw_repeat" in step:
        body = (step["raw_repeat"]["text"] *
                step["raw_repeat"]["times"]).encode()
    status, hdrs, data = srv.request(step.get("method", "GET"), path,
                                     headers, body, user)
    if step.get("save"):
        save_values(data, step["save"], saved)
    if step.get("binary") and 200 <= status < 300:
        data = json.dumps({"binary": bool(data)}).encode()
    got = answer(status, hdrs, data, norm, path)
    for spec in step.get("select", []):
        got["body"] = select(got["body"], spec)
    for spec in step.get("pick", []):
        got["body"] = pick(got["body"], spec)
    return got


def run_scenario(srv, sc, ns):
    norm = Normaliser()
    watches = {}
    saved = {}
    out = []
    try:
        if not sc.get("no_namespace"):
            ns_create(srv, ns)
        for step in sc["steps"]:
            out.append(run_step(srv, step, ns, norm, watches, saved))
    finally:
        for w in watches.values():
            w.close()
        if not sc.get("no_namespace"):
            ns_delete(srv, ns)
    return out


def diff(a, b, where=""):
    """Where two normalised answers differ: [(path, fake, real)]."""
    if type(a) is not type(b):
        return [(where, a, b)]
    if isinstance(a, list) and a and isinstance(a[0], tuple) or \
            isinstance(b, list) and b and isinstance(b[0], tuple):
        ka = [k for k, _ in a]
        kb = [k for k, _ in b]
        out = []
        da, db = dict(a), dict(b)
        for k in ka:
            if k not in db:
                out.append((where + "." + k, da[k], "<absent>"))
        for k in kb:
            if k not in da:
                out.append((where + "." + k, "<absent>", db[k]))
        for k in ka:
            if k in db:
                out.extend(diff(da[k], db[k], where + "." + k))
        common_a = [k for k in ka if k in db]
        common_b = [k for k in kb if k in da]
        if not out and common_a != common_b:
            out.append((where + " (member order)", common_a, common_b))
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [(where + " (length)", len(a), len(b))] + \
                [d for i, (x, y) in enumerate(zip(a, b))
                 for d in diff(x, y, "%s[%d]" % (where, i))]
        return [d for i, (x, y) in enumerate(zip(a, b))
                for d in diff(x, y, "%s[%d]" % (where, i))]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out.extend(diff(a.get(k, "<absent>"), b.get(k, "<absent>"),
                            where + "." + k if where else k))
        return out
    return [] if a == b else [(where, a, b)]


# ---- known differences -----------------------------------------------------

def load_known(path):
    """The ```known blocks of known-differences.md: each a YAML mapping
    with id, scenarios (globs) and where (globs on the difference's path,
    e.g. 'body.spec.volumes*'), optionally real_contains (a string the
    real server's value must hold)."""
    known = []
    if not os.path.exists(path):
        return known
    text = open(path).read()
    for block in re.findall(r"```known\n(.*?)```", text, re.S):
        entry = yaml.safe_load(block)
        known.append(entry)
    return known


def accepted(known, scenario, where, real=None):
    """The id of the entry accepting a difference at `where`; an entry
    with `real_contains` accepts it only when kube-apiserver's value (as
    JSON text) holds that string."""
    for k in known:
        if any(fnmatch.fnmatchcase(scenario, g) for g in k["scenarios"]) and \
                any(fnmatch.fnmatchcase(where, g) for g in k["where"]) and \
                ("real_contains" not in k or
                 k["real_contains"] in json.dumps(real, ensure_ascii=False)):
            return k["id"]
    return None


def short(v):
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
    return s if len(s) <= 300 else s[:300] + "..."


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fakeapi", required=True, help="the fakeapi binary")
    ap.add_argument("--real", required=True,
                    help="kubeconfig of ci/realapi.sh (contexts admin, "
                         "restricted)")
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    ap.add_argument("--known", default=os.path.join(HERE,
                                                    "known-differences.md"))
    ap.add_argument("--only", default="*", help="scenario name glob")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    real = real_server(args.real)
    proc, fake = start_fakeapi(args.fakeapi)
    known = load_known(args.known)
    areas = {}
    unexpected = 0
    used = set()
    try:
        for f in sorted(glob.glob(os.path.join(args.corpus, "*.yaml"))):
            area = os.path.splitext(os.path.basename(f))[0]
            with open(f) as fh:
                scenarios = yaml.safe_load(fh) or []
            for sc in scenarios:
                name = area + "/" + sc["name"]
                if not fnmatch.fnmatchcase(name, args.only):
                    continue
                ns = "fid-" + secrets.token_hex(4)
                got_fake = run_scenario(fake, sc, ns)
                got_real = run_scenario(real, sc, ns)
                same = total = 0
                for i, (a, b) in enumerate(zip(got_fake, got_real)):
                    total += 1
                    ds = diff(a, b)
                    open_ds = []
                    for where, x, y in ds:
                        kid = accepted(known, name, where, y)
                        if kid:
                            used.add(kid)
                        else:
                            open_ds.append((where, x, y))
                    if not ds:
                        same += 1
                    for where, x, y in open_ds:
                        unexpected += 1
                        print("DIFF %s step %d %s\n  fakeapi:        %s\n"
                              "  kube-apiserver: %s" %
                              (name, i + 1, where, short(x), short(y)))
                    if args.verbose and ds:
                        for where, x, y in ds:
                            print("  (%s step %d %s: %s | %s)" %
                                  (name, i + 1, where, short(x), short(y)))
                a_same, a_total = areas.get(area, (0, 0))
                areas[area] = (a_same + same, a_total + total)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)

    print()
    print("%-20s %s" % ("area", "pairs identical after normalisation"))
    all_same = all_total = 0
    for area, (s, t) in sorted(areas.items()):
        print("%-20s %4d / %4d" % (area, s, t))
        all_same += s
        all_total += t
    print("%-20s %4d / %4d" % ("total", all_same, all_total))
    stale = [k["id"] for k in known if k["id"] not in used]
    if stale and args.only == "*":
        print("known differences no longer seen: " + ", ".join(stale))
    print("%d differences not in known-differences.md" % unexpected)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
