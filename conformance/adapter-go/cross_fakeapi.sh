#!/usr/bin/env bash
# cross_fakeapi.sh FAKEAPI KREG ADAPTER...: cross_test.py and
# golden_live.py (the golden fixtures against the live plugin's writes)
# for each ADAPTER against a standalone fakeapi started here (and stopped
# at the end). A missing adapter skips (77), unless CI=true.
set -uo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 FAKEAPI KREG ADAPTER..." >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fakeapi=$1 kreg=$2
shift 2
for a in "$@"; do
    if [ ! -x "$a" ]; then
        echo "cross_fakeapi: no adapter $a (adapter-go/build.sh not run or no Go)" >&2
        [ "${CI:-}" = true ] && exit 1
        exit 77
    fi
done
tmp=$(mktemp -d)
"$fakeapi" --write-kubeconfig "$tmp/kubeconfig" >"$tmp/out" 2>"$tmp/err" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
    grep -q '^fakeapi listening on ' "$tmp/out" && break
    sleep 0.05
done
if ! grep -q '^fakeapi listening on ' "$tmp/out"; then
    echo "cross_fakeapi: fakeapi did not start" >&2
    cat "$tmp/err" >&2
    exit 1
fi
status=0
for a in "$@"; do
    /usr/bin/python3 "$here/cross_test.py" "$kreg" "$a" --kubeconfig "$tmp/kubeconfig" || status=1
    /usr/bin/python3 "$here/golden_live.py" "$a" --kubeconfig "$tmp/kubeconfig" || status=1
done
exit $status
