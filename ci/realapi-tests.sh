#!/usr/bin/env bash
# The suite and the clients against a real Kubernetes control plane, with
# the same code and assertions as against fakeapi:
#   - kreg-conformance with libkreg in-process, through the reference
#     adapter and through the Python adapter (the 403 cases as the
#     restricted user; no case may be skipped); go-micro's v2 and v4
#     plugins through their Go adapters (their expected verdicts), the
#     cross-implementation test with each, and the golden fixtures
#     compared with what each live plugin writes;
#   - fakeapi's kubectl and Python-client tests;
#   - libkreg's end-to-end tests that need no injected fault;
#   - fakeapi's fidelity: the corpus of fakeapi/fidelity/ sent to both
#     servers, and the client-go informer test.
# First checks ci/realapi.sh's own failures (ci/realapi-selftest.sh).
# Brings the control plane up (ci/realapi.sh), prints its version and each
# step's counts, and takes it down, also on failure or Ctrl-C.
#
# usage: ci/realapi-tests.sh BUILD_DIR
# Exit 0 all passed, 1 a step failed, 77 skipped: no Go new enough or no
# module proxy (with CI=true that is a failure, exit 1).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

build=$(cd "${1:?usage: realapi-tests.sh BUILD_DIR}" && pwd)

skip() {
    echo "realapi-tests: SKIPPED: $*"
    if [ -n "${CI:-}" ]; then
        echo "realapi-tests: CI=true, so a skip is a failure"
        exit 1
    fi
    exit 77
}

# shellcheck source=ci/go-env.sh
source ci/go-env.sh
[ -n "$KREG_GO" ] || skip "$KREG_GO_WHY"
if ! (cd ci/realapi && GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
    "$KREG_GO" mod download >/dev/null 2>"${TMPDIR:-/tmp}/realapi-mod.err"); then
    skip "the Go module proxy did not serve ci/realapi's modules: \
$(tail -n 3 "${TMPDIR:-/tmp}/realapi-mod.err")"
fi

start=$SECONDS
bin=$(ci/realapi.sh build) || exit 1
echo "realapi-tests: control plane binaries in $bin ($((SECONDS - start)) s)"

# realapi.sh's own bad input first: it must fail clearly and leave
# nothing behind before anything else relies on it.
if ! bash ci/realapi-selftest.sh "$bin"; then
    echo "realapi-tests: ci/realapi-selftest.sh failed"
    exit 1
fi

work=$(mktemp -d)
dir=$work/realapi
down() {
    ci/realapi.sh down "$dir"
    rm -rf "$work"
}
trap down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$SECONDS
ci/realapi.sh up "$dir" || exit 1
echo "realapi-tests: start to ready in $((SECONDS - start)) s"
kc=$dir/kubeconfig
"$bin/kubectl" --kubeconfig "$kc" version

results=()
failed=0

# step NAME CMD...: run it, keep its output in $work/NAME.log, and note
# the closing counts line it prints.
step() {
    local name=$1 rc t0=$SECONDS counts
    shift
    echo "-- $name"
    "$@" 2>&1 | tee "$work/$name.log"
    rc=${PIPESTATUS[0]}
    counts=$(grep -E '^\[ *(PASSED|FAILED|SKIPPED) *\] [0-9]+ test|^[0-9]+ passed, [0-9]+ failed|^total +[0-9]+ /' \
        "$work/$name.log" | tail -n 3 | tr '\n' ' ')
    if [ "$rc" -eq 0 ] && grep -qE '\[ *SKIPPED *\]|^ok .*# SKIP|^[0-9]+ passed, [0-9]+ failed, [1-9][0-9]* skipped' \
        "$work/$name.log"; then
        echo "realapi-tests: $name skipped a case on the real server"
        rc=1
    fi
    if [ "$rc" -eq 0 ]; then
        results+=("$(printf '%-22s passed  %4d s  %s' "$name" $((SECONDS - t0)) "$counts")")
    else
        results+=("$(printf '%-22s FAILED  %4d s  exit %d  %s' "$name" $((SECONDS - t0)) "$rc" "$counts")")
        failed=$((failed + 1))
    fi
}

# kreg and the Python adapter pass every case, recommended ones included
conf=("$build/bin/kreg-conformance" --kubeconfig "$kc" --context admin
    --forbidden-context restricted --strict)
export KREG_FIXTURES=$PWD/fixtures KREG_BIN=$build/bin
step conformance-inproc "${conf[@]}"
step conformance-adapter "${conf[@]}" --adapter "$build/bin/kreg-adapter"
step conformance-python "${conf[@]}" \
    --adapter "/usr/bin/python3 $PWD/conformance/adapter-python/kreg_adapter.py"
# go-micro's own plugins: each fails exactly the cases its list names,
# and each finds what kreg registers and the other way round.
step go-plugins-build bash conformance/adapter-go/build.sh "$build/adapter-go"
for v in v2 v4; do
    step "go-plugin-$v" bash conformance/adapter-go/check_verdicts.sh \
        "$build/bin/kreg-conformance" "$build/adapter-go/kreg-adapter-go-$v" \
        "conformance/adapter-go/$v/expected-failures.txt" \
        --kubeconfig "$kc" --context admin --forbidden-context restricted
    step "go-plugin-$v-cross" /usr/bin/python3 conformance/adapter-go/cross_test.py \
        "$build/bin/kreg" "$build/adapter-go/kreg-adapter-go-$v" \
        --kubeconfig "$kc" --context admin
    step "go-plugin-$v-golden" /usr/bin/python3 conformance/adapter-go/golden_live.py \
        "$build/adapter-go/kreg-adapter-go-$v" --kubeconfig "$kc" --context admin
done
step kubectl env PATH="$bin:$PATH" \
    bash fakeapi/tests/kubectl_test.sh --kubeconfig "$kc"
step kubectl-1.20 bash fakeapi/tests/kubectl_test.sh --debian-kubectl \
    --kubeconfig "$kc"
step python-client /usr/bin/python3 fakeapi/tests/python_client_test.py \
    --kubeconfig "$kc"
step libkreg-e2e env KREG_E2E_KUBECONFIG="$kc" KREG_E2E_CONTEXT=admin \
    bash registry/tests/e2e_real.sh "$build"

# fakeapi measured against the real server: every answer of the corpus
# compared (no difference outside known-differences.md), and a client-go
# informer seeing the same on both, WatchList off and on.
step fidelity /usr/bin/python3 fakeapi/fidelity/fidelity.py \
    --fakeapi "$build/bin/fakeapi" --real "$kc"
step informer bash fakeapi/fidelity/informer/run.sh "$build/bin/fakeapi" \
    "$kc" admin

# Every namespace the steps made must be gone (kube-controller-manager
# finishes their deletion).
left=$("$bin/kubectl" --kubeconfig "$kc" get namespaces -o name |
    grep -vE '^namespace/(default|kube-system|kube-public|kube-node-lease)$' || true)
if [ -n "$left" ]; then
    echo "realapi-tests: namespaces left behind: $left"
    "$bin/kubectl" --kubeconfig "$kc" get namespaces
    failed=$((failed + 1))
fi

echo
echo "== against $("$bin/kubectl" --kubeconfig "$kc" version -o json |
    /usr/bin/python3 -c 'import json,sys; v=json.load(sys.stdin)["serverVersion"]; print("kube-apiserver", v["gitVersion"], v["goVersion"])')"
printf '%s\n' "${results[@]}"
[ "$failed" -eq 0 ]
