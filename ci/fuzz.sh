#!/usr/bin/env bash
# Bounded fuzzing of every libFuzzer harness (common/fuzz/fuzz_*.c,
# fakeapi/fuzz/fuzz_*.c and registry/fuzz/fuzz_*.c). Builds them with clang
# and -DKREG_FUZZ=ON in build-fuzz, runs each for FUZZ_SECONDS (default 30)
# on a temporary copy of its seeds, fixtures/fuzz/<name without fuzz_>/
# (else the longest '_'-prefix of that name that exists, e.g.
# service_decode -> service), and fails if any harness crashes, leaks,
# times out or runs out of memory. Prints the executions of each harness
# and a summary table; failing inputs and logs go to fuzz-out/<harness>/.
# Ends by itself.
#
#   FUZZ_SECONDS=60 ci/fuzz.sh             # longer runs
#   FUZZ_ONLY=fuzz_http_request ci/fuzz.sh # one harness
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${FUZZ_SECONDS:-30}
build=${FUZZ_BUILD_DIR:-build-fuzz}
out=fuzz-out
jobs=$(nproc 2>/dev/null || echo 2)

if ! command -v clang >/dev/null; then
    echo "ci/fuzz.sh: clang is needed" >&2
    exit 1
fi

names=()
for src in common/fuzz/fuzz_*.c fakeapi/fuzz/fuzz_*.c registry/fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    if [ -n "${FUZZ_ONLY:-}" ] && [ "$name" != "$FUZZ_ONLY" ]; then
        continue
    fi
    names+=("$name")
done
if [ ${#names[@]} -eq 0 ]; then
    echo "ci/fuzz.sh: no harness found" >&2
    exit 1
fi
if [ $(( ${#names[@]} * secs )) -gt 480 ]; then
    echo "ci/fuzz.sh: note: ${#names[@]} harnesses x ${secs}s is over 8 minutes"
fi

echo "== build the fuzzers (clang, KREG_FUZZ=ON) in $build"
CC=clang cmake -S . -B "$build" -DKREG_FUZZ=ON -DKREG_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs" --target "${names[@]}"

# The seed directory of harness $1 (empty when there is none).
seeds_of() {
    local stem=${1#fuzz_}
    while [ -n "$stem" ]; do
        if [ -d "fixtures/fuzz/$stem" ]; then
            echo "fixtures/fuzz/$stem"
            return
        fi
        case $stem in
            *_*) stem=${stem%_*} ;;
            *) stem= ;;
        esac
    done
}

rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
rows=()
for name in "${names[@]}"; do
    bin=$build/bin/$name
    seeds=$(seeds_of "$name")
    corpus=$work/$name
    art=$out/$name
    log=$work/$name.log
    mkdir -p "$corpus" "$art"
    nseeds=0
    if [ -n "$seeds" ]; then
        cp -R "$seeds"/. "$corpus"/
        nseeds=$(find "$corpus" -type f | wc -l)
    fi
    echo "== $name: ${secs}s on ${seeds:-no seeds} ($nseeds inputs)"
    set +e
    "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=60 \
        -rss_limit_mb=4096 -artifact_prefix="$art/" "$corpus" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    found=$(find "$art" -type f | wc -l)
    if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
        result="FAIL (exit $rc, $found input(s) in $art)"
        cp "$log" "$art/$name.log"
        grep -E "ERROR|SUMMARY|runtime error" "$log" | head -5 || true
        failed=1
    else
        result=ok
        rmdir "$art"
    fi
    echo "   $name: ${execs:-?} executions (${rate:-?}/s): $result"
    rows+=("$(printf '%-24s %7s %12s %8s  %s' "$name" "$nseeds" \
        "${execs:--}" "${rate:--}" "$result")")
done

echo
echo "== fuzz summary (${secs}s each)"
printf '%-24s %7s %12s %8s  %s\n' harness seeds executions "exec/s" result
for row in "${rows[@]}"; do
    echo "$row"
done
if [ "$failed" -ne 0 ]; then
    echo "ci/fuzz.sh: a harness failed; inputs and logs are in $out/" >&2
    exit 1
fi
rmdir "$out" 2>/dev/null || true
echo "ci/fuzz.sh: no crash"
