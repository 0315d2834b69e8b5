#!/usr/bin/python3
"""A go-micro Kubernetes registry in Python, as a conformance adapter.

Speaks conformance/PROTOCOL.md on stdin/stdout. It does not use libkreg:
it implements the go-micro plugin's semantics itself
(docs/go-micro-wire.md) on Debian's python3-kubernetes
(kubernetes.client.CoreV1Api), with the improvements libkreg makes:

- keys: micro.mu/type, micro.mu/selector-<enc>, micro.mu/service-<enc>
  (docs/go-micro-wire.md, Name encoding), names the API would reject refused
  before patching;
- the annotation holds the service as Go's encoding/json writes it:
  go-micro v2 field order, sorted map keys, HTML-safe escaping, U+2028
  and U+2029 escaped, \\u00XX in lower case (docs/go-micro-wire.md, Writing);
- annotations are read with Go's json.Unmarshal rules: case-insensitive
  member names, repeated members decoded into the earlier value, invalid
  UTF-8 and lone surrogates as U+FFFD (docs/go-micro-wire.md, Reading);
- register and deregister are one strategic merge patch each, with
  "status": None as the Go plugin sends (docs/go-micro-wire.md, Requests);
- get: Running, non-terminating pods, nodes merged per version, not_found
  only when no pod carries the label, undecodable annotations and other
  names that encode alike skipped (docs/go-micro-wire.md, Operations and Known
  problems);
- watch: list, then watch from the list's resourceVersion; create, update
  and delete computed from the annotations per pod; resumed when the
  stream ends, re-listed on 410 (docs/go-micro-wire.md, Watcher and Known
  problems item 4);
- the optional features (PROTOCOL.md, "Optional features"): "readyOnly"
  (only pods whose Ready condition is True serve) and "namespaces" (get,
  list and watch over a list of namespaces, one request of each per
  namespace, or over all of them with one cluster-wide request; a service
  found in several is one, its nodes merged per version in
  "<namespace>/<pod>" order; a watch runs one stream per namespace).

Run with /usr/bin/python3 (where Debian installs the kubernetes module).
"""

import json
import os
import queue
import re
import socket
import sys
import threading

from kubernetes import client, config
from kubernetes.client.rest import ApiException

NAME = "kreg python adapter 0.2.0"

# ---- Go's encoding/json: reading (docs/go-micro-wire.md, Reading) --------

# Go's scanner refuses deeper nesting (encoding/json maxNestingDepth).
GO_MAX_DEPTH = 10000


class GoDecodeError(Exception):
    """The text is not what Go's json.Unmarshal accepts."""


class Obj(list):
    """A JSON object as its (key, value) pairs, in order, repeats kept."""


def _reject_constant(name):
    raise GoDecodeError("invalid character in literal %s" % name)


def _check_depth(text):
    """Go fails beyond GO_MAX_DEPTH levels (so would Python's recursion)."""
    if text.count("[") + text.count("{") <= GO_MAX_DEPTH:
        return
    depth = 0
    in_str = esc = False
    for c in text:
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "[{":
            depth += 1
            if depth > GO_MAX_DEPTH:
                raise GoDecodeError("exceeded max depth")
        elif c in "]}":
            depth -= 1


def _fix_surrogates(s):
    """Lone surrogate escapes decode to U+FFFD in Go."""
    if any("\ud800" <= c <= "\udfff" for c in s):
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c
                       for c in s)
    return s


def parse_go_json(text):
    """Parse JSON text as Go's scanner does; objects become Obj."""
    _check_depth(text)
    try:
        return json.loads(text, object_pairs_hook=Obj,
                          parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        raise GoDecodeError(str(e)) from None


# The go-micro structs (docs/go-micro-wire.md, Structs, v1.8.0 to v4.10.1,
# which all of v2 and v3 use): (member, kind, element struct). Node has no
# port, so a v1 annotation's "port" is an unknown member, ignored whatever its
# type.
STRUCTS = {
    "Service": (("name", "string", None), ("version", "string", None),
                ("metadata", "map", None), ("endpoints", "slice", "Endpoint"),
                ("nodes", "slice", "Node")),
    "Endpoint": (("name", "string", None), ("request", "ptr", "Value"),
                 ("response", "ptr", "Value"), ("metadata", "map", None)),
    "Value": (("name", "string", None), ("type", "string", None),
              ("values", "slice", "Value")),
    "Node": (("id", "string", None), ("address", "string", None),
             ("metadata", "map", None)),
}
ZERO = {"string": "", "map": None, "slice": None, "ptr": None}


class Slice:
    """A Go slice during decoding: backing array and length (cap is the
    backing's size), so that repeated members reuse elements as Go does."""

    def __init__(self, backing, length):
        self.backing = backing
        self.length = length


def _fold(key):
    # Go's equalFold for ASCII names: K (U+212A) folds to k, and
    # long s (U+017F) to s
    return key.replace("\u017f", "s").replace("\u212a", "k").lower()


def _field(struct, key):
    """The field a member name selects: exact first, then case-folded."""
    fields = STRUCTS[struct]
    for f in fields:
        if f[0] == key:
            return f
    folded = _fold(key)
    for f in fields:
        if f[0] == folded:
            return f
    return None


def _type_error(want, v, where):
    got = {type(None): "null", bool: "bool", str: "string", int: "number",
           float: "number", Obj: "object", list: "array"}.get(type(v), "?")
    raise GoDecodeError("%s: cannot unmarshal %s into %s" % (where, got, want))


def _decode_struct(struct, st, v, where):
    if not isinstance(v, Obj):
        _type_error(struct, v, where)
    for key, val in v:
        f = _field(struct, key)
        if f is not None:
            st[f[0]] = _decode(f[1], f[2], st[f[0]], val,
                               "%s.%s" % (where, f[0]))
    return st


def _decode_slice(elem, old, v, where):
    # encoding/json array() into a slice: elements within the length are
    # decoded into, growth copies the length and zeroes the rest
    if not isinstance(v, list) or isinstance(v, Obj):
        _type_error("[]*" + elem, v, where)
    backing, length = (old.backing, old.length) if old else ([], 0)
    for i, item in enumerate(v):
        if i >= len(backing):
            cap = max(len(backing) + len(backing) // 2, 4)
            backing = backing[:length] + [None] * (cap - length)
        length = max(length, i + 1)
        backing[i] = _decode("ptr", elem, backing[i], item,
                             "%s[%d]" % (where, i))
    if not v:
        return Slice([], 0)
    return Slice(backing, len(v))


def _decode_map(old, v, where):
    if not isinstance(v, Obj):
        _type_error("map[string]string", v, where)
    m = old if old is not None else {}
    for key, val in v:
        if val is not None and not isinstance(val, str):
            _type_error("string", val, "%s[%s]" % (where, key))
        m[_fix_surrogates(key)] = _fix_surrogates(val or "")
    return m


def _decode(kind, elem, old, v, where):
    """Decode JSON value @v into a Go value of @kind that holds @old."""
    if v is None:  # null: nil for maps, slices, pointers; else unchanged
        return old if kind == "string" else None
    if kind == "string":
        if not isinstance(v, str):
            _type_error("string", v, where)
        return _fix_surrogates(v)
    if kind == "map":
        return _decode_map(old, v, where)
    if kind == "slice":
        return _decode_slice(elem, old, v, where)
    st = old if old is not None else {f[0]: ZERO[f[1]] for f in STRUCTS[elem]}
    return _decode_struct(elem, st, v, where)


def _plain(struct, st):
    """Slices to lists (nil stays None), recursively."""
    if st is None:
        return None
    for name, kind, elem in STRUCTS[struct]:
        if kind == "slice" and st[name] is not None:
            s = st[name]
            st[name] = [_plain(elem, e) for e in s.backing[:s.length]]
        elif kind == "ptr":
            st[name] = _plain(elem, st[name])
    return st


def decode_service(value):
    """A parsed JSON value as a go-micro service (a dict of all fields)."""
    st = _decode("ptr", "Service", None, value, "service")
    if st is None:  # top-level null: the zero service
        st = {f[0]: ZERO[f[1]] for f in STRUCTS["Service"]}
    return _plain("Service", st)


def decode_service_text(text):
    return decode_service(parse_go_json(text))


# ---- Go's encoding/json: writing (docs/go-micro-wire.md, Writing) --------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
            "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_string(s):
    """A JSON string as Go's json.Marshal writes it (HTML escaping on, Go
    before 1.22: \\u0008 and \\u000c); a lone surrogate, which stands for
    bytes that are not UTF-8, is written \\ufffd."""
    out = ['"']
    for c in s:
        e = _ESCAPES.get(c)
        if e is not None:
            out.append(e)
        elif c < " ":
            out.append("\\u%04x" % ord(c))
        elif "\ud800" <= c <= "\udfff":
            out.append("\\ufffd")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _raw(s):
    """The bytes @s stands for (surrogates from surrogateescape decoding
    are the bytes that were not UTF-8)."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")


def _encode_map(m):
    if m is None:
        return "null"
    return "{" + ",".join(go_string(k) + ":" + go_string(m[k])
                          for k in sorted(m, key=_raw)) + "}"


def _encode(struct, st):
    if st is None:
        return "null"
    parts = []
    for name, kind, elem in STRUCTS[struct]:
        v = st[name]
        if kind == "string":
            text = go_string(v)
        elif kind == "map":
            text = _encode_map(v)
        elif kind == "slice":
            text = "null" if v is None else \
                "[" + ",".join(_encode(elem, e) for e in v) + "]"
        else:
            text = _encode(elem, v)
        parts.append('"%s":%s' % (name, text))
    return "{" + ",".join(parts) + "}"


def encode_service(svc):
    """The annotation bytes: go-micro v2 field order, compact."""
    return _encode("Service", svc)


# ---- Names and keys (docs/go-micro-wire.md, Name encoding) ----------------

TYPE_LABEL = "micro.mu/type"
SELECTOR_PREFIX = "micro.mu/selector-"
ANNOTATION_PREFIX = "micro.mu/service-"
TYPE_SELECTOR = TYPE_LABEL + "=service"
ENC_MAX = 54  # "selector-<enc>" is at most 63 characters
ANNOTATION_BUDGET = 262144
_KEY_BYTES = frozenset(b"-._0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       b"abcdefghijklmnopqrstuvwxyz")


class RegistryError(Exception):
    """An operation failed; code is "error" or "not_found"."""

    def __init__(self, message, code="error"):
        super().__init__(message)
        self.code = code


def encode_name(name):
    """Each byte outside [-A-Za-z0-9_.] becomes '_' (serviceName())."""
    raw = name.encode("utf-8", "surrogatepass")
    return "".join(chr(b) if b in _KEY_BYTES else "_" for b in raw)


def name_keys(name):
    """(selector label key, annotation key), or RegistryError when the API
    would reject them."""
    enc = encode_name(name)
    if not enc:
        raise RegistryError('service name: empty name gives the label key '
                            '"%s", which the API rejects' % SELECTOR_PREFIX)
    if len(enc) > ENC_MAX:
        raise RegistryError('service name: %d bytes, label keys allow %d '
                            '("selector-<name>" is limited to 63)'
                            % (len(enc), ENC_MAX))
    if not enc[-1].isalnum():
        raise RegistryError('service name: label key "%s%s" must end with '
                            'a letter or digit' % (SELECTOR_PREFIX, enc))
    return SELECTOR_PREFIX + enc, ANNOTATION_PREFIX + enc


# ---- The cluster ------------------------------------------------------------

# Per request: answers must come within the suite's 10 s.
REQUEST_TIMEOUT = (3, 8)
PAGE_LIMIT = 500


def api_error(e, what):
    """RegistryError for an ApiException, with the Status message."""
    message = e.reason or ""
    try:
        body = json.loads(e.body)
        message = body.get("message") or message
    except (TypeError, ValueError, AttributeError):
        pass
    return RegistryError("%s: %s (HTTP %s)" % (what, message, e.status))


class Cluster:
    """One target: an API client, a namespace and the own pod."""

    def __init__(self, target):
        if not isinstance(target, dict):
            raise RegistryError('bad request: "target" is not an object')
        self.namespace = target.get("namespace") or "default"
        self.pod = target.get("pod") or os.environ.get("HOSTNAME", "")
        if target.get("kubeconfig"):
            api_client = config.new_client_from_config(
                config_file=target["kubeconfig"],
                context=target.get("context"))
        elif target.get("server"):
            cfg = client.Configuration()
            cfg.host = target["server"].rstrip("/")
            if target.get("token"):
                cfg.api_key = {"authorization": target["token"]}
                cfg.api_key_prefix = {"authorization": "Bearer"}
            if target.get("caFile"):
                cfg.ssl_ca_cert = target["caFile"]
            cfg.verify_ssl = not target.get("insecure")
            api_client = client.ApiClient(cfg)
        else:
            raise RegistryError('bad request: target has neither "server" '
                                'nor "kubeconfig"')
        self.api = client.CoreV1Api(api_client)

    def list_pods(self, selector, namespace=""):
        """(pods as dicts, resourceVersion), following continue tokens, of
        @namespace ("": the target's; None: every namespace)."""
        pods, cont, rv = [], None, None
        if namespace == "":
            namespace = self.namespace
        while True:
            kw = {"label_selector": selector, "limit": PAGE_LIMIT,
                  "_preload_content": False,
                  "_request_timeout": REQUEST_TIMEOUT}
            if cont:
                kw["_continue"] = cont
            try:
                if namespace is None:
                    resp = self.api.list_pod_for_all_namespaces(**kw)
                else:
                    resp = self.api.list_namespaced_pod(namespace, **kw)
            except ApiException as e:
                where = ('in namespace "%s"' % namespace
                         if namespace is not None else "cluster-wide")
                raise api_error(e, "list pods " + where) from None
            doc = json.loads(resp.data)
            pods.extend(doc.get("items") or [])
            meta = doc.get("metadata") or {}
            rv = rv or meta.get("resourceVersion")
            cont = meta.get("continue")
            if not cont:
                return pods, rv

    def own_pod(self):
        if not self.pod:
            raise RegistryError("no pod name: set target.pod or HOSTNAME")
        try:
            resp = self.api.read_namespaced_pod(
                self.pod, self.namespace, _preload_content=False,
                _request_timeout=REQUEST_TIMEOUT)
        except ApiException as e:
            raise self._pod_error(e) from None
        return json.loads(resp.data)

    def patch_own_pod(self, body):
        """A strategic merge patch: the client sends a dict body so."""
        if not self.pod:
            raise RegistryError("no pod name: set target.pod or HOSTNAME")
        try:
            self.api.patch_namespaced_pod(
                self.pod, self.namespace, body, _preload_content=False,
                _request_timeout=REQUEST_TIMEOUT)
        except ApiException as e:
            raise self._pod_error(e) from None

    def _pod_error(self, e):
        if e.status == 404:
            return RegistryError('pod "%s" not found in namespace "%s"'
                                 % (self.pod, self.namespace))
        return api_error(e, "pod %s" % self.pod)


def pod_usable(pod):
    """Running and not terminating (docs/go-micro-wire.md, Operations and Known
    problems item 5)."""
    meta = pod.get("metadata") or {}
    return (pod.get("status") or {}).get("phase") == "Running" and \
        not meta.get("deletionTimestamp")


def pod_ready(pod):
    """The first Ready condition has status "True"; malformed conditions
    count as not ready."""
    conds = (pod.get("status") or {}).get("conditions")
    if not isinstance(conds, list):
        return False
    for c in conds:
        if not isinstance(c, dict) or not isinstance(c.get("type"), str) or \
                not isinstance(c.get("status"), str):
            return False
    for c in conds:
        if c["type"] == "Ready":
            return c["status"] == "True"
    return False


def pod_annotations(pod):
    return (pod.get("metadata") or {}).get("annotations") or {}


def pod_name(pod):
    return (pod.get("metadata") or {}).get("name") or ""


class Query:
    """The optional features of a get, list or watch request: readyOnly,
    namespaces, allNamespaces (PROTOCOL.md, "Optional features")."""

    def __init__(self, req=None):
        def flag(key):
            return member(req, key) is True if req is not None else False
        self.ready_only = flag("readyOnly")
        self.all_namespaces = flag("allNamespaces")
        names = member(req, "namespaces") if req is not None else None
        if names is not None and (not isinstance(names, list) or not all(
                isinstance(n, str) and n for n in names)):
            raise RegistryError('bad request: "namespaces" is not a list of '
                                'names')
        self.namespaces = sorted(set(names)) if names else None
        if self.namespaces and self.all_namespaces:
            raise RegistryError("bad request: namespaces and allNamespaces "
                                "both set")

    def scopes(self, cluster):
        """The namespaces to read: names, or [None] for every one."""
        if self.all_namespaces:
            return [None]
        return self.namespaces or [cluster.namespace]

    def qualify(self):
        """Several namespaces or all: pods are "<namespace>/<pod>"."""
        return self.all_namespaces or bool(self.namespaces)

    def serves(self, pod):
        return pod_usable(pod) and (not self.ready_only or pod_ready(pod))


def pod_key(pod, namespace):
    """"<namespace>/<pod>": the API server's key order across namespaces."""
    ns = (pod.get("metadata") or {}).get("namespace") or namespace or ""
    return "%s/%s" % (ns, pod_name(pod))


def list_scope(cluster, query, selector):
    """The pods of every namespace of @query, in "<namespace>/<pod>" order
    when there are several."""
    pods = []
    for ns in query.scopes(cluster):
        some, _ = cluster.list_pods(selector, ns)
        pods.extend((pod_key(p, ns), p) for p in some)
    if query.qualify():
        pods.sort(key=lambda kp: kp[0].encode("utf-8"))
    return [p for _, p in pods]


# ---- Operations (docs/go-micro-wire.md, Operations) ------------------------

def register(cluster, svc):
    if not svc["nodes"]:
        raise RegistryError("register %s: you must register at least one "
                            "node" % svc["name"])
    label, key = name_keys(svc["name"])
    text = encode_service(svc)
    # the API server's limit on all annotations of a pod
    # (docs/kubernetes-api.md, Validation)
    total = len(key) + len(text.encode("utf-8"))
    for k, v in pod_annotations(cluster.own_pod()).items():
        if k != key:
            total += len(k.encode("utf-8")) + len(v.encode("utf-8"))
    if total > ANNOTATION_BUDGET:
        raise RegistryError('register %s: annotations of pod "%s" would '
                            'take %d bytes, more than the %d the API server '
                            'allows' % (svc["name"], cluster.pod, total,
                                        ANNOTATION_BUDGET))
    cluster.patch_own_pod({"metadata": {
        "labels": {label: "service", TYPE_LABEL: "service"},
        "annotations": {key: text}}, "status": None})


def deregister(cluster, svc):
    # micro.mu/type stays (docs/go-micro-wire.md, Known problems item 13)
    label, key = name_keys(svc["name"])
    cluster.patch_own_pod({"metadata": {"labels": {label: None},
                                        "annotations": {key: None}},
                           "status": None})


def _decoded(pod, key):
    """The service in annotation @key of @pod, or None (absent or not
    decodable: skipped, as docs/go-micro-wire.md, Known problems item 9
    allows)."""
    text = pod_annotations(pod).get(key)
    if not isinstance(text, str):
        return None
    try:
        return decode_service_text(text)
    except GoDecodeError as e:
        log("pod %s: annotation %s skipped: %s" % (pod_name(pod), key, e))
        return None


def _merge(services, svc):
    """Nodes merged per version; the first service of a version is kept
    whole (docs/go-micro-wire.md, Operations step 4); Go's append keeps nil for
    nothing."""
    for have in services:
        if have["name"] == svc["name"] and have["version"] == svc["version"]:
            if svc["nodes"]:
                have["nodes"] = (have["nodes"] or []) + svc["nodes"]
            return
    services.append(svc)


def get_service(cluster, name, query=None):
    query = query or Query()
    label, key = name_keys(name)
    pods = list_scope(cluster, query, label + "=service")
    if not pods:
        raise RegistryError('service "%s" not found' % name, "not_found")
    services = []
    for pod in pods:
        if not query.serves(pod):
            continue
        svc = _decoded(pod, key)
        # names that encode alike share keys: keep only ours
        # (docs/go-micro-wire.md, Known problems item 1)
        if svc is not None and svc["name"] == name:
            _merge(services, svc)
    return services


def list_services(cluster, query=None):
    query = query or Query()
    pods = list_scope(cluster, query, TYPE_SELECTOR)
    names = set()
    for pod in pods:
        if not query.serves(pod):
            continue
        for key in pod_annotations(pod):
            if key.startswith(ANNOTATION_PREFIX):
                svc = _decoded(pod, key)
                if svc is not None:
                    names.add(svc["name"])
    return sorted(names)


# ---- Watch (docs/go-micro-wire.md, Watcher, Known problems item 4) ---------

class Stream:
    """One namespace's list and watch (or every namespace's, with one
    cluster-wide watch): a view of pod -> {annotation key: text}, kept
    current by a thread of its own, from its own resourceVersion; each
    change of a pod's entry goes to the watcher's queue."""

    BACKOFF_MAX = 5.0

    def __init__(self, watcher, namespace):
        self.w = watcher
        self.namespace = namespace  # None: every namespace
        self.view = {}
        self.rv = None
        self.resp = None
        self.thread = None

    def entry(self, pod):
        if not self.w.query.serves(pod):
            return {}
        return {k: v for k, v in pod_annotations(pod).items()
                if isinstance(v, str) and self.w.wanted(k, v)}

    def key(self, pod):
        if self.w.query.qualify():
            return pod_key(pod, self.namespace)
        return pod_name(pod)

    def update(self, name, cur, report=True):
        old = self.view.get(name, {})
        if report:
            for k, v in cur.items():
                if k not in old:
                    self.w.emit("create", v)
                elif old[k] != v:
                    self.w.emit("update", v)
            for k, v in old.items():
                if k not in cur:
                    self.w.emit("delete", v)
        if cur:
            self.view[name] = cur
        else:
            self.view.pop(name, None)

    def relist(self, report):
        pods, rv = self.w.cluster.list_pods(self.w.selector, self.namespace)
        listed = {self.key(p): self.entry(p) for p in pods}
        for name in list(self.view):
            if name not in listed:
                self.update(name, {}, report)
        for name, cur in listed.items():
            self.update(name, cur, report)
        self.rv = rv

    def handle(self, ev):
        """Apply one event; True when the stream must be re-listed."""
        typ, obj = ev.get("type"), ev.get("object") or {}
        if typ == "ERROR":
            return obj.get("code") == 410
        if typ in ("ADDED", "MODIFIED"):
            self.update(self.key(obj), self.entry(obj))
        elif typ == "DELETED":
            self.update(self.key(obj), {})
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if rv:  # BOOKMARK too
            self.rv = rv
        return False

    def stream_once(self):
        """Watch from self.rv until the stream ends; True to re-list."""
        kw = {"label_selector": self.w.selector, "watch": True,
              "allow_watch_bookmarks": True, "resource_version": self.rv,
              "timeout_seconds": 300, "_preload_content": False,
              "_request_timeout": (3, 60)}
        try:
            if self.namespace is None:
                resp = self.w.cluster.api.list_pod_for_all_namespaces(**kw)
            else:
                resp = self.w.cluster.api.list_namespaced_pod(
                    self.namespace, **kw)
        except ApiException as e:
            if e.status == 410:
                return True
            raise
        self.resp = resp
        buf = b""
        try:
            for chunk in resp.stream(amt=None, decode_content=False):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if self.w.stopped.is_set():
                        return False
                    if line.strip() and self.w.apply(self, json.loads(line)):
                        return True
        finally:
            resp.release_conn()
        return False

    def where(self):
        return ('in namespace "%s"' % self.namespace
                if self.namespace is not None else "cluster-wide")

    def run(self):
        backoff, need_relist = 0.1, False
        while not self.w.stopped.is_set():
            try:
                if need_relist:
                    with self.w.lock:
                        self.relist(report=True)
                need_relist = self.stream_once()
                backoff = 0.1
            except ApiException as e:
                if e.status in (401, 403, 404):  # will not get better
                    self.w.fail(api_error(e, "watch pods " + self.where()))
                    return
                self.w.stopped.wait(backoff)
            except Exception as e:  # connection broke, stopped, bad line
                if self.w.stopped.is_set():
                    return
                log("watch: %s: %s" % (type(e).__name__, e))
                self.w.stopped.wait(backoff)
            backoff = min(backoff * 2, self.BACKOFF_MAX)

    def shut(self):
        conn = getattr(self.resp, "_connection", None)
        sock = getattr(conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed
                pass


class Watcher:
    """Every stream of a watch (one per namespace of its query) feeding
    one queue of results; the streams change their views one at a
    time."""

    def __init__(self, cluster, name, query=None):
        self.cluster = cluster
        self.name = name
        self.query = query or Query()
        if name is None:
            self.selector, self.key = TYPE_SELECTOR, None
        else:
            label, self.key = name_keys(name)
            self.selector = label + "=service"
        self.events = queue.Queue()
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.streams = [Stream(self, ns)
                        for ns in self.query.scopes(cluster)]
        for s in self.streams:
            s.relist(report=False)  # the current state is not reported
        for s in self.streams:
            s.thread = threading.Thread(target=s.run, daemon=True)
            s.thread.start()

    def wanted(self, key, text):
        if self.key is not None and key != self.key:
            return False
        if self.key is None and not key.startswith(ANNOTATION_PREFIX):
            return False
        try:
            svc = decode_service_text(text)
        except GoDecodeError:
            return False
        return self.name is None or svc["name"] == self.name

    def emit(self, action, text):
        self.events.put((action, decode_service_text(text)))

    def apply(self, stream, ev):
        with self.lock:
            return stream.handle(ev)

    def fail(self, err):
        """A stream will not get better: the whole watch ends with it."""
        self.events.put(("error", err))
        self.stop()

    def next(self, timeout_ms):
        try:
            action, svc = self.events.get(timeout=max(timeout_ms, 0) / 1000)
        except queue.Empty:
            return None
        if action == "error":
            self.events.put((action, svc))  # the watch stays failed
            raise svc
        return action, svc

    def stop(self):
        """Stop at once: the streams' sockets are shut down, which wakes
        their readers (closing the responses instead would wait for the
        readers' locks, held for as long as the server sends nothing)."""
        self.stopped.set()
        for s in self.streams:
            s.shut()


# ---- The protocol ------------------------------------------------------------

def log(text):
    sys.stderr.write("kreg_adapter.py: %s\n" % text.replace("\n", " "))
    sys.stderr.flush()


def member(obj, key):
    """The last value of member @key of an Obj (as jansson would keep)."""
    found = None
    for k, v in obj:
        if k == key:
            found = v
    return found


def plain(v):
    """Obj to dict, recursively (for the target)."""
    if isinstance(v, Obj):
        return {k: plain(x) for k, x in v}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def answer_id(req):
    """The request's id as sent, or null when JSON cannot carry it back
    (1e400 reads as infinity)."""
    try:
        return json.dumps(plain(member(req, "id")), allow_nan=False,
                          separators=(",", ":"))
    except ValueError:
        return "null"


class Adapter:
    def __init__(self):
        self.clusters = {}
        self.watches = {}
        self.next_watch = 1

    def cluster(self, req):
        target = plain(member(req, "target"))
        key = json.dumps(target, sort_keys=True)
        if key not in self.clusters:
            self.clusters[key] = Cluster(target)
        return self.clusters[key]

    @staticmethod
    def service(req):
        value = member(req, "service")
        if value is None:
            raise RegistryError('bad request: no "service"')
        try:
            return decode_service(value)
        except GoDecodeError as e:
            raise RegistryError("service json: %s" % e) from None

    @staticmethod
    def name(req, allow_null=False):
        name = member(req, "name")
        if name is None and allow_null:
            return None
        if not isinstance(name, str):
            raise RegistryError('bad request: "name" is not a string')
        return _fix_surrogates(name)

    def watch_entry(self, req):
        w = self.watches.get(member(req, "watch"))
        if w is None:
            raise RegistryError("no such watch")
        return w

    # Each op returns the extra members of its answer (a JSON text that
    # starts with ',' or is empty).

    def op_hello(self, req):
        return ',"name":%s,"features":["readyOnly","namespaces"]' % \
            go_string(NAME)

    def op_register(self, req):
        register(self.cluster(req), self.service(req))
        return ""

    def op_deregister(self, req):
        deregister(self.cluster(req), self.service(req))
        return ""

    def op_get(self, req):
        services = get_service(self.cluster(req), self.name(req), Query(req))
        return ',"services":[' + \
            ",".join(encode_service(s) for s in services) + "]"

    def op_list(self, req):
        names = list_services(self.cluster(req), Query(req))
        return ',"services":[' + \
            ",".join('{"name":%s}' % go_string(n) for n in names) + "]"

    def op_watch(self, req):
        w = Watcher(self.cluster(req), self.name(req, allow_null=True),
                    Query(req))
        self.watches[self.next_watch] = w
        self.next_watch += 1
        return ',"watch":%d' % (self.next_watch - 1)

    def op_watch_next(self, req):
        timeout = member(req, "timeoutMs")
        if not isinstance(timeout, int) or isinstance(timeout, bool):
            timeout = 0
        ev = self.watch_entry(req).next(min(timeout, 3600000))
        if ev is None:
            return ',"event":null'
        return ',"event":{"action":%s,"service":%s}' % (
            go_string(ev[0]), encode_service(ev[1]))

    def op_watch_stop(self, req):
        self.watch_entry(req).stop()
        del self.watches[member(req, "watch")]
        return ""

    def op_shutdown(self, req):
        for w in self.watches.values():
            w.stop()
        return ""

    def answer(self, req):
        op = member(req, "op")
        fn = getattr(self, "op_" + op, None) if isinstance(op, str) else None
        try:
            if fn is None:
                raise RegistryError("bad request: unknown op %s"
                                    % json.dumps(op))
            return '{"id":%s,"ok":true%s}' % (answer_id(req), fn(req))
        except RegistryError as e:
            code, message = e.code, str(e)
        except ApiException as e:
            code, message = "error", str(api_error(e, str(op)))
        except Exception as e:  # a bug or a broken connection: still answer
            code, message = "error", "%s: %s" % (type(e).__name__, e)
        log("%s: %s" % (op, message))
        return '{"id":%s,"ok":false,"error":{"code":%s,"message":%s}}' % (
            answer_id(req), go_string(code), go_string(message))


def _per_byte_replace(e):
    # Go reads each byte that is not UTF-8 as one U+FFFD
    return "\ufffd" * (e.end - e.start), e.end


def main():
    import codecs
    codecs.register_error("go-fffd", _per_byte_replace)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * GO_MAX_DEPTH))
    threading.stack_size(64 << 20)  # deep values decode recursively
    adapter = Adapter()
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "go-fffd").rstrip("\r\n")
        req = None
        try:
            req = parse_go_json(line)
            if not isinstance(req, Obj):
                raise GoDecodeError("not an object")
        except GoDecodeError as e:
            log("bad request: %s" % e)
            # the suite writes the id first: answer it if it is there
            m = re.match(r'\s*\{\s*"id"\s*:\s*(-?[0-9]{1,18})[\s,}]', line)
            out = '{"id":%s,"ok":false,"error":{"code":"error",' \
                  '"message":%s}}' % (m.group(1) if m else "null",
                                       go_string("bad request: %s" % e))
        else:
            out = adapter.answer(req)
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
        if isinstance(req, Obj) and member(req, "op") == "shutdown":
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
