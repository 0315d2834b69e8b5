#!/bin/sh
# Run kreg-conformance against the standalone fakeapi binary through the
# kubeconfig it writes, exactly as against a real cluster.
#
# usage: run_standalone.sh FAKEAPI KREG_CONFORMANCE [ARGS...]
# Extra ARGS go to kreg-conformance (e.g. --adapter CMD, --output tap).
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 FAKEAPI KREG_CONFORMANCE [ARGS...]" >&2
    exit 2
fi
fakeapi=$1
conformance=$2
shift 2

tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# fakeapi writes the kubeconfig, then prints its first line: wait for that
# line on a FIFO (no polling); EOF means it failed to start.
mkfifo "$tmp/ready"
"$fakeapi" --write-kubeconfig "$tmp/kubeconfig" >"$tmp/ready" &
pid=$!
line=
read -r line <"$tmp/ready" || true
case "$line" in
"fakeapi listening on "*) ;;
*)
    echo "$0: fakeapi did not start" >&2
    exit 1
    ;;
esac

status=0
"$conformance" --kubeconfig "$tmp/kubeconfig" "$@" || status=$?
exit "$status"
