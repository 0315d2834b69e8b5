#!/usr/bin/env bash
# libkreg's end-to-end tests that need no injected fault, against the
# cluster of a kubeconfig instead of the embedded fakeapi: register,
# discover and watch, with the same code and assertions (e2e.h). Each test
# works in a namespace of its own, deleted (and waited for) at its end.
# Tests that need fakeapi (its request log, faults, control calls) are not
# run: each binary names them with the reason, and the count is printed.
#
# usage: KREG_E2E_KUBECONFIG=FILE [KREG_E2E_CONTEXT=NAME] e2e_real.sh BUILD_DIR
#        e2e_real.sh --fakeapi FAKEAPI_BINARY BUILD_DIR
# The second form starts a standalone fakeapi and uses the kubeconfig it
# writes (ctest does, so this path is tested on every run).
# Prints each binary's output, then "N passed, N failed" as its last line.
# Exit 0 when every test run passed, 1 otherwise, 2 on a usage error.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fakeapi=
if [ "${1:-}" = "--fakeapi" ]; then
    fakeapi=${2:-}
    shift 2 || true
fi
build=${1:-}
if [ -z "$build" ] || { [ -z "$fakeapi" ] && [ -z "${KREG_E2E_KUBECONFIG:-}" ]; }; then
    echo "usage: KREG_E2E_KUBECONFIG=FILE [KREG_E2E_CONTEXT=NAME]" \
        "e2e_real.sh BUILD_DIR" >&2
    echo "       e2e_real.sh --fakeapi FAKEAPI_BINARY BUILD_DIR" >&2
    exit 2
fi

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ -n "$fakeapi" ]; then
    "$fakeapi" --write-kubeconfig "$work/kubeconfig" >"$work/fakeapi.out" 2>&1 &
    server_pid=$!
    # it prints its URL once the kubeconfig is written (bounded: 10 s)
    for _ in $(seq 1 200); do
        grep -q '^fakeapi listening on ' "$work/fakeapi.out" && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    if ! grep -q '^fakeapi listening on ' "$work/fakeapi.out"; then
        echo "e2e_real: $fakeapi did not start:" >&2
        cat "$work/fakeapi.out" >&2
        exit 2
    fi
    KREG_E2E_KUBECONFIG=$work/kubeconfig
    unset KREG_E2E_CONTEXT
fi
if [ ! -r "$KREG_E2E_KUBECONFIG" ]; then
    echo "e2e_real: cannot read $KREG_E2E_KUBECONFIG" >&2
    exit 2
fi
export KREG_E2E_KUBECONFIG
export KREG_FIXTURES=${KREG_FIXTURES:-$here/../../fixtures}
# the counts below read cmocka's default output
export CMOCKA_MESSAGE_OUTPUT=STDOUT

out=$work/out

passed=0
failed=0
left_out=0
for name in register discover watch cache namespaces; do
    bin=$build/bin/kreg_test_e2e_$name
    if [ ! -x "$bin" ]; then
        echo "e2e_real: $bin is missing (build it first)" >&2
        exit 2
    fi
    echo "-- e2e_$name against $KREG_E2E_KUBECONFIG" \
        "(context ${KREG_E2E_CONTEXT:-current})"
    "$bin" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    started=$(grep -c '^\[ RUN      \]' "$out")
    ok=$(grep -c '^\[       OK \]' "$out")
    fake=$(sed -n 's/^# e2e_[a-z]*: .*, \([0-9]*\) need fakeapi$/\1/p' "$out")
    passed=$((passed + ok))
    failed=$((failed + started - ok))
    left_out=$((left_out + ${fake:-0}))
    # a crash, or a failure outside any test, still fails the run
    if [ "$rc" -ne 0 ] && [ "$started" -eq "$ok" ]; then
        echo "e2e_real: e2e_$name exited with status $rc"
        failed=$((failed + 1))
    fi
done

echo "e2e_real: $left_out tests need fakeapi and were not run here" \
    "(named above, each with the reason)"
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "e2e_real: no test ran"
    failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
