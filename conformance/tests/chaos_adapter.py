#!/usr/bin/env python3
"""A deliberately broken conformance adapter (PROTOCOL.md), one failure
per operation, to show that kreg-conformance fails the case in progress
with a clear message and a bounded wait, restarts the adapter and goes on:

  hello       answers properly, announcing every optional feature (so
              that their cases run, and break, too)
  register    crashes (exit 3) after a line on stderr
  get         hangs
  list        prints garbage
  deregister  answers, but too late
  watch       answers with the wrong id
  anything    else: ok

Each process appends its pid to the file named by $CHAOS_PIDS, so the
test can check that none outlives the suite.
"""
import json
import os
import sys
import time


def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    pids = os.environ.get("CHAOS_PIDS")
    if pids:
        with open(pids, "a") as f:
            f.write("%d\n" % os.getpid())
    for line in sys.stdin:
        req = json.loads(line)
        op, rid = req.get("op"), req.get("id")
        if op == "hello":
            answer({"id": rid, "ok": True, "name": "chaos",
                    "features": ["readyOnly", "namespaces"]})
        elif op == "register":
            sys.stderr.write("chaos: crashing on register\n")
            sys.stderr.flush()
            sys.exit(3)
        elif op == "get":
            time.sleep(3600)
        elif op == "list":
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
        elif op == "deregister":
            time.sleep(2)
            answer({"id": rid, "ok": True})
        elif op == "watch":
            answer({"id": rid + 1000, "ok": True, "watch": 1})
        else:
            answer({"id": rid, "ok": True})


if __name__ == "__main__":
    main()
