#!/usr/bin/env bash
# The real control plane's costs, in one run:
#   - its warm build: ci/realapi.sh build with the Go build cache warm but
#     no cached binaries (link only), RUNS times;
#   - start to ready: ci/realapi.sh up, then down, RUNS times;
#   - the conformance suite's wall time on the embedded fakeapi and on the
#     real server, in alternating pairs (fake, real, fake, real ...), with
#     the ratio real/fake per pair.
# The cold build (empty Go module and build caches) is what a new machine
# pays once: ci/fresh-debian12.sh prints it in its control plane stage.
#
# usage: bench/realapi_time.sh [BUILD_DIR [RUNS]]   (default: build 5)
# Prints min, median and max of each figure in seconds (suite: ms).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
runs=${2:-5}
suite=$build/bin/kreg-conformance
[ -x "$suite" ] || { echo "realapi_time: $suite: not built" >&2; exit 2; }
export KREG_FIXTURES=$PWD/fixtures

# stats NAME VALUES...: min, median, max
stats() {
    local name=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v n="$name" '
        { v[NR] = $1 }
        END {
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%-34s min %8.3f  median %8.3f  max %8.3f  (%d runs)\n",
                n, v[1], m, v[NR], NR
        }'
}

now() {
    date +%s.%N
}

since() {
    echo "$(now) - $1" | bc
}

work=$(mktemp -d)
dir=$work/realapi
cleanup() {
    ci/realapi.sh down "$dir" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Warm build: a private binary cache, the machine's Go build cache.
builds=()
for _ in $(seq 1 "$runs"); do
    rm -rf "$work/cache"
    t=$(now)
    KREG_REALAPI_CACHE=$work/cache ci/realapi.sh build >/dev/null 2>&1
    builds+=("$(since "$t")")
done
stats "warm build (link only), s" "${builds[@]}"
bin=$(ci/realapi.sh build)

ups=()
for _ in $(seq 1 "$runs"); do
    t=$(now)
    KREG_REALAPI_BIN=$bin ci/realapi.sh up "$dir" >/dev/null
    ups+=("$(since "$t")")
    ci/realapi.sh down "$dir" 2>/dev/null
done
stats "start to ready, s" "${ups[@]}"

KREG_REALAPI_BIN=$bin ci/realapi.sh up "$dir" >/dev/null
fake=()
real=()
ratio=()
for _ in $(seq 1 "$runs"); do
    t=$(now)
    "$suite" >/dev/null 2>&1 || { echo "realapi_time: the suite failed on fakeapi" >&2; exit 1; }
    f=$(since "$t")
    t=$(now)
    "$suite" --kubeconfig "$dir/kubeconfig" --forbidden-context restricted \
        >/dev/null 2>&1 || { echo "realapi_time: the suite failed on the real server" >&2; exit 1; }
    r=$(since "$t")
    fake+=("$(echo "$f * 1000" | bc)")
    real+=("$(echo "$r * 1000" | bc)")
    ratio+=("$(echo "scale=3; $r / $f" | bc)")
done
stats "suite on embedded fakeapi, ms" "${fake[@]}"
stats "suite on kube-apiserver, ms" "${real[@]}"
stats "ratio real/fake (per pair)" "${ratio[@]}"
