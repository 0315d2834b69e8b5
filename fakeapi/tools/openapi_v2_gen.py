#!/usr/bin/python3
"""Generate fakeapi/src/base/openapi_v2_data.c from a real kube-apiserver's
/openapi/v2: the part of its document that covers what fakeapi serves.

Usage:
  openapi_v2_gen.py --kubeconfig FILE [--context NAME] [-o OUT.c]
  openapi_v2_gen.py --json DOC.json --pb DOC.pb --version vX.Y.Z [-o OUT.c]
  openapi_v2_gen.py --kubeconfig FILE --check FAKEAPI_URL

--check writes nothing: it compares what a running fakeapi serves (both
forms, and their ETag) byte for byte with the cut of the real server's
answer, and exits 1 when they differ.

It fetches the document twice, as JSON (Accept: application/json) and as
gnostic's protobuf openapi_v2.Document (Accept:
application/com.github.proto-openapi.spec.v2@v1.0+protobuf), and keeps:

  - the paths fakeapi routes (PATHS below), each with only the operations
    fakeapi answers;
  - the definitions those operations reference, plus Pod, PodList,
    Namespace and NamespaceList, closed under $ref;
  - the shared parameters the kept operations reference;
  - everything else at the top (swagger, info, security, ...) as it is.

Both encodings are cut from the server's own bytes, never re-encoded: the
JSON is re-serialized only after checking that the serializer gives back
the server's bytes for the whole document, and the protobuf is cut at the
wire level (Document.paths, .definitions and .parameters keep their kept
entries, in order, and a PathItem loses the fields of the operations
dropped), so each kept entry is byte for byte what the server sends. The
script then checks that the two cuts hold the same names in the same
order.

The output is a C file with the two bodies and the ETag a real server
gives them (SHA-512 of the JSON body, upper-case hex, quoted; the same for
both encodings, kube-openapi's handler keys both on the JSON). It is
formatted with clang-format when that is installed.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import urllib.request

PB_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

# What fakeapi routes (routes.c, discovery.c): path -> operations.
PATHS = {
    "/api/": ["get"],
    "/api/v1/": ["get"],
    "/api/v1/namespaces": ["get", "post"],
    "/api/v1/namespaces/{name}": ["get", "delete"],
    "/api/v1/namespaces/{namespace}/pods": ["get", "post", "delete"],
    "/api/v1/namespaces/{namespace}/pods/{name}": ["get", "put", "patch",
                                                   "delete"],
    "/api/v1/namespaces/{namespace}/pods/{name}/status": ["get", "put",
                                                          "patch"],
    "/api/v1/pods": ["get"],
    "/api/v1/watch/namespaces/{namespace}/pods": ["get"],
    "/api/v1/watch/pods": ["get"],
    "/version/": ["get"],
}
KINDS = ["io.k8s.api.core.v1.Pod", "io.k8s.api.core.v1.PodList",
         "io.k8s.api.core.v1.Namespace", "io.k8s.api.core.v1.NamespaceList"]

# gnostic's OpenAPIv2.proto field numbers used here
DOC_PATHS, DOC_DEFINITIONS, DOC_PARAMETERS = 8, 9, 10
PATHS_PATH = 2           # Paths.path: repeated NamedPathItem
NAMED_NAME, NAMED_VALUE = 1, 2
MAP_ENTRY = 1            # Definitions / ParameterDefinitions entries
PATHITEM_OPS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6,
                "head": 7, "patch": 8}


def die(msg):
    sys.exit("openapi_v2_gen: " + msg)


# ---- fetching ------------------------------------------------------------

def kube_target(kubeconfig, context):
    """(server URL, token, CA file or None) of a kubeconfig context."""
    import yaml
    with open(kubeconfig) as f:
        kc = yaml.safe_load(f)
    ctx_name = context or kc["current-context"]
    ctx = next(c["context"] for c in kc["contexts"] if c["name"] == ctx_name)
    cluster = next(c["cluster"] for c in kc["clusters"]
                   if c["name"] == ctx["cluster"])
    user = next(u["user"] for u in kc["users"] if u["name"] == ctx["user"])
    ca = None
    if "certificate-authority-data" in cluster:
        fd, ca = tempfile.mkstemp(suffix=".crt")
        with os.fdopen(fd, "wb") as f:
            f.write(base64.b64decode(cluster["certificate-authority-data"]))
    elif "certificate-authority" in cluster:
        ca = cluster["certificate-authority"]
    return cluster["server"], user.get("token"), ca


def fetch(server, token, ca, path, accept):
    req = urllib.request.Request(server + path, headers={"Accept": accept})
    if token:
        req.add_header("Authorization", "Bearer " + token)
    ctx = ssl.create_default_context(cafile=ca) if ca else None
    with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
        return r.read(), r.headers.get("Content-Type")


# ---- JSON ----------------------------------------------------------------

def go_json(obj):
    """Serialize as kube-openapi does: compact, UTF-8, no HTML escapes
    (main() checks this against the server's own bytes)."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return s.encode("utf-8")


def refs(node, out):
    """Collect every "$ref" string under node."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out.append(v)
            else:
                refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)
    return out


def select(doc):
    """The kept (paths with their ops, definitions, parameters) names."""
    paths = {}
    for p, ops in PATHS.items():
        item = doc["paths"].get(p)
        if item is None:
            die("the server has no path " + p)
        missing = [o for o in ops if o not in item]
        if missing:
            die("path %s lacks %s" % (p, missing))
        paths[p] = ops
    todo = list(KINDS)
    params = set()
    for p, ops in paths.items():
        item = doc["paths"][p]
        kept = {k: v for k, v in item.items()
                if k not in PATHITEM_OPS or k in ops}
        for r in refs(kept, []):
            if r.startswith("#/parameters/"):
                params.add(r[len("#/parameters/"):])
            else:
                todo.append(r)
    for name in params:
        todo += refs(doc["parameters"][name], [])
    defs = set()
    while todo:
        r = todo.pop()
        name = r[len("#/definitions/"):] if r.startswith("#/") else r
        if name in defs:
            continue
        if name not in doc["definitions"]:
            die("unresolved reference " + r)
        defs.add(name)
        todo += refs(doc["definitions"][name], [])
    return paths, defs, params


def cut_json(doc, paths, defs, params):
    out = {}
    for k, v in doc.items():
        if k == "paths":
            v = {p: {op: x for op, x in item.items()
                     if op not in PATHITEM_OPS or op in paths[p]}
                 for p, item in v.items() if p in paths}
        elif k == "definitions":
            v = {n: x for n, x in v.items() if n in defs}
        elif k == "parameters":
            v = {n: x for n, x in v.items() if n in params}
        out[k] = v
    return out


# ---- protobuf (wire level) -----------------------------------------------

def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        if not c & 0x80:
            return v, i
        shift += 7


def enc_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        if v:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def fields(b):
    """[(number, raw field bytes, payload or None)] in order."""
    out = []
    i = 0
    while i < len(b):
        start = i
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        payload = None
        if wt == 0:
            _, i = varint(b, i)
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        elif wt == 2:
            n, i = varint(b, i)
            payload = b[i:i + n]
            i += n
        else:
            die("unexpected wire type %d" % wt)
        out.append((num, b[start:i], payload))
    if i != len(b):
        die("truncated protobuf")
    return out


def ld(num, payload):
    """A length-delimited field."""
    return enc_varint(num << 3 | 2) + enc_varint(len(payload)) + payload


def named(payload):
    """(name, entry) of a Named* message."""
    for num, _, p in fields(payload):
        if num == NAMED_NAME:
            return p.decode("utf-8")
    die("a Named entry without a name")


def cut_map(payload, entry_num, keep):
    """Keep the Named entries (field entry_num) whose name keep() maps to
    a byte string (the entry's new payload) rather than None."""
    out = bytearray()
    names = []
    for num, raw, p in fields(payload):
        if num != entry_num:
            out += raw
            continue
        name = named(p)
        new = keep(name, p)
        if new is not None:
            out += ld(num, new)
            names.append(name)
    return bytes(out), names


def cut_pathitem(name, p, paths):
    if name not in paths:
        return None
    drop = {n for op, n in PATHITEM_OPS.items() if op not in paths[name]}
    out = bytearray()
    for num, raw, q in fields(p):
        if num == NAMED_VALUE:
            item = b"".join(r for n, r, _ in fields(q) if n not in drop)
            out += ld(num, item)
        else:
            out += raw
    return bytes(out)


def cut_pb(pb, paths, defs, params):
    out = bytearray()
    names = {}
    for num, raw, p in fields(pb):
        if num == DOC_PATHS:
            p, names["paths"] = cut_map(
                p, PATHS_PATH, lambda n, q: cut_pathitem(n, q, paths))
            out += ld(num, p)
        elif num == DOC_DEFINITIONS:
            p, names["definitions"] = cut_map(
                p, MAP_ENTRY, lambda n, q: q if n in defs else None)
            out += ld(num, p)
        elif num == DOC_PARAMETERS:
            p, names["parameters"] = cut_map(
                p, MAP_ENTRY, lambda n, q: q if n in params else None)
            out += ld(num, p)
        else:
            out += raw
    return bytes(out), names


# ---- C output ------------------------------------------------------------

def c_literal(data, indent="    ", width=72):
    """data as adjacent C string literals, one per line."""
    lines = []
    cur = ""
    for byte in data:
        ch = chr(byte)
        if ch in "\\\"":
            piece = "\\" + ch
        elif ch == "?":
            piece = "\\?"  # no trigraphs
        elif 0x20 <= byte < 0x7F:
            piece = ch
        else:
            piece = "\\%03o" % byte
        if len(cur) + len(piece) > width:
            lines.append(cur)
            cur = ""
        cur += piece
    lines.append(cur)
    return "\n".join('%s"%s"' % (indent, line) for line in lines)


def write_c(path, version, json_body, pb_body, etag, counts):
    src = """/*
 * openapi_v2_data: the OpenAPI v2 document fakeapi serves at /openapi/v2,
 * cut from kube-apiserver %s's own answer by
 * fakeapi/tools/openapi_v2_gen.py (%s). Generated: do not edit;
 * run the script against a real server instead.
 *
 * Over 1,000 lines: generated data, not code; regenerate, do not edit.
 */
#include "base/openapi_doc.h"

const char fakeapi__openapi_v2_json[] =
%s;
const size_t fakeapi__openapi_v2_json_len = %d;

const char fakeapi__openapi_v2_pb[] =
%s;
const size_t fakeapi__openapi_v2_pb_len = %d;

const char fakeapi__openapi_v2_etag[] = "\\"%s\\"";
""" % (version, counts, c_literal(json_body), len(json_body),
       c_literal(pb_body), len(pb_body), etag)
    with open(path, "w") as f:
        f.write(src)
    try:
        subprocess.run(["clang-format", "-i", path], check=True)
    except FileNotFoundError:
        print("openapi_v2_gen: clang-format not found; output not formatted",
              file=sys.stderr)


def check(url, json_body, pb_body, etag):
    """Compare fakeapi at @url with the cut; 0 when equal, else 1."""
    bad = 0
    for accept, want in (("application/json", json_body),
                         (PB_ACCEPT, pb_body)):
        req = urllib.request.Request(url + "/openapi/v2",
                                     headers={"Accept": accept})
        with urllib.request.urlopen(req, timeout=60) as r:
            got, got_etag = r.read(), r.headers.get("Etag")
        same = got == want
        print("%s: %d bytes, %s; ETag %s" % (
            accept, len(got), "same as the real server's cut" if same
            else "DIFFERS from the real server's cut (%d bytes)" % len(want),
            "same" if got_etag == '"%s"' % etag else "DIFFERS"))
        bad += (not same) + (got_etag != '"%s"' % etag)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kubeconfig")
    ap.add_argument("--context")
    ap.add_argument("--json", help="a saved JSON answer")
    ap.add_argument("--pb", help="a saved protobuf answer")
    ap.add_argument("--version", help="the server version (with --json)")
    ap.add_argument("--save", help="also keep the server's answers here")
    ap.add_argument("--check", metavar="FAKEAPI_URL",
                    help="compare a running fakeapi with the cut")
    ap.add_argument("-o", "--output", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "src",
        "base", "openapi_v2_data.c"))
    args = ap.parse_args()

    if args.kubeconfig:
        server, token, ca = kube_target(args.kubeconfig, args.context)
        raw_json, ct = fetch(server, token, ca, "/openapi/v2",
                             "application/json")
        if ct != "application/json":
            die("JSON answer has Content-Type " + str(ct))
        raw_pb, ct = fetch(server, token, ca, "/openapi/v2", PB_ACCEPT)
        if "protobuf" not in (ct or ""):
            die("protobuf answer has Content-Type " + str(ct))
        version = json.loads(fetch(server, token, ca, "/version",
                                   "application/json")[0])["gitVersion"]
        if args.save:
            os.makedirs(args.save, exist_ok=True)
            for name, data in (("openapi-v2.json", raw_json),
                               ("openapi-v2.pb", raw_pb)):
                with open(os.path.join(args.save, name), "wb") as f:
                    f.write(data)
    elif args.json and args.pb and args.version:
        with open(args.json, "rb") as f:
            raw_json = f.read()
        with open(args.pb, "rb") as f:
            raw_pb = f.read()
        version = args.version
    else:
        ap.error("give --kubeconfig, or --json, --pb and --version")

    doc = json.loads(raw_json)
    if go_json(doc) != raw_json.rstrip(b"\n"):
        die("re-serializing the server's JSON does not give its bytes back")
    paths, defs, params = select(doc)
    cut = cut_json(doc, paths, defs, params)
    json_body = go_json(cut)
    pb_body, names = cut_pb(raw_pb, paths, defs, params)
    for key in ("paths", "definitions", "parameters"):
        if list(cut.get(key, {})) != names.get(key, []):
            die("the JSON and protobuf cuts differ in " + key)
    etag = hashlib.sha512(json_body).hexdigest().upper()
    if args.check:
        return check(args.check, json_body, pb_body, etag)
    counts = "%d paths, %d definitions, %d parameters" % (
        len(names["paths"]), len(names["definitions"]),
        len(names.get("parameters", [])))
    write_c(args.output, version, json_body, pb_body, etag, counts)
    print("openapi_v2_gen: %s from %s: %s; JSON %d bytes, protobuf %d bytes"
          % (args.output, version, counts, len(json_body), len(pb_body)))


if __name__ == "__main__":
    sys.exit(main())
