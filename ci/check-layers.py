#!/usr/bin/env python3
"""fakeapi's layers, checked on the object files' symbols.

fakeapi/src is cut in folders; a call goes from a folder to itself or to
a folder below it:

    http -> api -> store -> {pod, validate, patch, select} -> base

(the four middle folders do not call each other). On top of that the
calls between files form no cycle, except the recursion inside patch/
(a strategic merge patch applies itself to nested maps and lists), only
http/ uses libmicrohttpd, and `struct store` is defined only inside
store/ (the other layers hold a pointer and call functions).

Usage: ci/check-layers.py BUILD_DIR [SOURCE_DIR]
Exits 1 listing each offending call, 0 when the graph is clean.
"""
import collections
import glob
import os
import re
import subprocess
import sys

RANK = {"http": 0, "api": 1, "store": 2,
        "pod": 3, "validate": 3, "patch": 3, "select": 3, "base": 4}
CYCLES_ALLOWED = {"patch"}


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDBRCV":
            defined.add(f[2])
        elif len(f) == 2 and f[0] == "U":
            undefined.add(f[1])
    return defined, undefined


def sccs(graph):
    """Tarjan's strongly connected components, iteratively."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    for root in list(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def main():
    build = sys.argv[1]
    src = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "fakeapi", "src")
    base = os.path.join(build, "fakeapi", "CMakeFiles", "fakeapi.dir", "src")
    objs = sorted(glob.glob(os.path.join(base, "*", "*.o")))
    if not objs:
        print(f"check-layers: no object files under {base}")
        return 1
    defs, undef = {}, {}
    for o in objs:
        name = os.path.relpath(o, base)[:-len(".c.o")]
        if not os.path.exists(os.path.join(src, name + ".c")):
            continue  # left behind by a file since moved or removed
        d, u = symbols(o)
        undef[name] = u
        for s in d:
            defs[s] = name
    bad = []
    graph = collections.defaultdict(set)
    for f in sorted(undef):
        folder = f.split("/")[0]
        if folder not in RANK:
            bad.append(f"{f}: folder '{folder}' has no layer")
            continue
        for s in sorted(undef[f]):
            if s.startswith("MHD_") and folder != "http":
                bad.append(f"{f} -> libmicrohttpd ({s}): only http/ may")
            g = defs.get(s)
            if not g or g == f:
                continue
            graph[f].add(g)
            to = g.split("/")[0]
            if to == folder or RANK.get(to, -1) > RANK[folder]:
                continue
            bad.append(f"{f} -> {g} ({s}): {folder}/ may not call {to}/")
    for comp in sccs(graph):
        folders = {c.split("/")[0] for c in comp}
        if len(folders) == 1 and folders <= CYCLES_ALLOWED:
            continue
        bad.append("cycle: " + " ".join(comp))
    for path in glob.glob(os.path.join(src, "**", "*.[ch]"), recursive=True):
        rel = os.path.relpath(path, src)
        text = open(path, encoding="utf-8").read()
        if rel.split(os.sep)[0] != "store" and \
                re.search(r"^struct store\s*\{", text, re.M):
            bad.append(f"{rel}: defines struct store outside store/")
        if rel.split(os.sep)[0] != "http" and "microhttpd.h" in text:
            bad.append(f"{rel}: includes microhttpd.h outside http/")
    for b in bad:
        print(b)
    files = len(undef)
    edges = sum(len(v) for v in graph.values())
    print(f"check-layers: {files} files, {edges} calls between files, "
          f"{len(bad)} against the layers")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
