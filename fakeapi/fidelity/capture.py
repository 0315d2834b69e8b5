#!/usr/bin/python3
"""Turn fakeapi's request log into a fidelity scenario: the exact requests
a client sent, replayed by fidelity.py against both servers.

usage: capture.py URL NAMESPACE NAME > scenario.yaml
  URL        a running fakeapi (its /fakeapi/v1/requests log is read)
  NAMESPACE  the namespace the client worked in: it becomes {ns}
  NAME       the scenario's name

Drive the client against the fakeapi first (DELETE /fakeapi/v1/requests
empties the log), then capture. Requests the client makes before it has
a namespace (discovery) are kept; /fakeapi/ control requests are not.
The log keeps bodies up to 4 KiB: a longer one is refused here.
"""
import json
import sys
import urllib.parse
import urllib.request

import yaml


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    url, ns, name = sys.argv[1:]
    with urllib.request.urlopen(url.rstrip("/") + "/fakeapi/v1/requests") as r:
        log = json.load(r)
    steps = []
    for e in log:
        path = e["path"]
        if path.startswith("/fakeapi/"):
            continue
        step = {}
        if e["method"] != "GET":
            step["method"] = e["method"]
        step["path"] = path.replace("/namespaces/%s/" % ns,
                                    "/namespaces/{ns}/")
        if path.endswith("/namespaces/" + ns):
            step["path"] = path[:-len(ns)] + "{ns}"
        if e.get("query"):
            q = urllib.parse.parse_qsl(e["query"], keep_blank_values=True)
            step["query"] = {k: v.replace(ns, "{ns}") for k, v in q}
        headers = {}
        if e.get("accept"):
            headers["Accept"] = e["accept"]
        if e.get("contentType"):
            headers["Content-Type"] = e["contentType"]
        if headers:
            step["headers"] = headers
        body = e.get("body")
        if body:
            if len(body) >= 4096:
                sys.exit("capture: a body was cut in the log (%s %s)" %
                         (e["method"], path))
            step["raw"] = body.replace('"%s"' % ns, '"{ns}"')
        steps.append(step)
    yaml.safe_dump([{"name": name, "steps": steps}], sys.stdout,
                   sort_keys=False, width=1000, allow_unicode=True)


if __name__ == "__main__":
    main()
