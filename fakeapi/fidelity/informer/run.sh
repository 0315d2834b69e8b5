#!/usr/bin/env bash
# The client-go informer fidelity check: the same informer scenario (see
# main.go) against a standalone fakeapi and against a real API server, with
# client-go's WatchList (feature gate WatchListClient) off and on: 4 runs.
# For each mode, the handler calls, the reflector's requests and the final
# store must be the same on both servers; a difference is shown as a diff
# (fakeapi's lines '-', the real server's '+').
#
#   fakeapi/fidelity/informer/run.sh FAKEAPI_BIN KUBECONFIG [CONTEXT]
#
# FAKEAPI_BIN  the fakeapi binary (started here on a free port, stopped at
#              the end); KUBECONFIG (and CONTEXT, default its current one):
#              the real server, e.g. ci/realapi.sh up DIR's DIR/kubeconfig.
# KREG_INFORMER_PROTOBUF=1  send protobuf as client-go's typed clients do
#              by default (fakeapi reads JSON pod bodies only: fails there).
# KREG_INFORMER_OUT=DIR  keep the records there (default: a temporary dir).
# Ends with 'N passed, N failed'; exits non-zero when a check failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 FAKEAPI_BIN KUBECONFIG [CONTEXT]" >&2; exit 2; }
fakeapi_bin=$1
real_kc=$2
real_ctx=${3:-}
[ -x "$fakeapi_bin" ] || { echo "informer: $fakeapi_bin is not an executable" >&2; exit 2; }
[ -r "$real_kc" ] || { echo "informer: cannot read $real_kc" >&2; exit 2; }

# shellcheck source=ci/go-env.sh
source "$root/ci/go-env.sh"
[ -n "$KREG_GO" ] || { echo "informer: $KREG_GO_WHY" >&2; exit 2; }

work=$(mktemp -d)
out=${KREG_INFORMER_OUT:-$work}
mkdir -p "$out"
fake_pid=
cleanup() {
    if [ -n "$fake_pid" ]; then
        kill "$fake_pid" 2>/dev/null
        wait "$fake_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "informer: building with $("$KREG_GO" version)"
if ! (cd "$here" && GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" \
    "$KREG_GO" build -o "$work/informer" .); then
    echo "informer: build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

"$fakeapi_bin" --write-kubeconfig "$work/fake-kubeconfig" >"$work/fakeapi.out" 2>&1 &
fake_pid=$!
# its first line says where it listens: wait for it, or for it to exit
while ! grep -q '^fakeapi listening on ' "$work/fakeapi.out" 2>/dev/null; do
    if ! kill -0 "$fake_pid" 2>/dev/null; then
        echo "informer: fakeapi exited:"; cat "$work/fakeapi.out"
        echo "0 passed, 1 failed"
        exit 1
    fi
    read -r -t 0.05 <> <(:) || true
done
echo "informer: $(head -n 1 "$work/fakeapi.out")"

extra=()
[ "${KREG_INFORMER_PROTOBUF:-}" = 1 ] && extra+=(-protobuf)
real_args=(-kubeconfig "$real_kc")
[ -n "$real_ctx" ] && real_args+=(-context "$real_ctx")

passed=0
failed=0
for wl in false true; do
    mode="WatchList $([ $wl = true ] && echo on || echo off) (KUBE_FEATURE_WatchListClient=$wl)"
    ok=1
    for srv in fake real; do
        if [ $srv = fake ]; then args=(-kubeconfig "$work/fake-kubeconfig"); else args=("${real_args[@]}"); fi
        rec=$out/$srv-watchlist-$wl.txt
        if ! KUBE_FEATURE_WatchListClient=$wl timeout 300 "$work/informer" "${args[@]}" \
            "${extra[@]}" -out "$rec" 2>"$out/$srv-watchlist-$wl.log"; then
            echo "FAIL: $mode: the run against $srv failed:"
            sed 's/^/    /' "$out/$srv-watchlist-$wl.log" | grep -v 'refused by the client to force' | tail -n 15
            ok=0
        fi
        grep '^#' "$rec" 2>/dev/null | sed "s/^# /    $srv: /"
    done
    if [ $ok = 1 ]; then
        if diff -u --label "fakeapi ($mode)" --label "real server ($mode)" \
            <(grep -v '^#' "$out/fake-watchlist-$wl.txt") \
            <(grep -v '^#' "$out/real-watchlist-$wl.txt") >"$work/diff"; then
            echo "ok: $mode: the same handler calls, requests and final store on both servers ($(grep -c '^step ' "$out/fake-watchlist-$wl.txt") steps)"
        else
            echo "FAIL: $mode: fakeapi and the real server differ:"
            sed 's/^/    /' "$work/diff"
            ok=0
        fi
    fi
    if [ $ok = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
[ -n "${KREG_INFORMER_OUT:-}" ] && echo "informer: records in $out"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
