#!/usr/bin/env bash
# `kreg get NAME -o json` against `kubectl get pods -l
# micro.mu/selector-NAME=service -o json` on one fakeapi server seeded with
# PODS pods of which SERVING serve NAME: both find the same pods (checked
# first), then both are timed, each a fresh process per run (issue 4
# target: kreg at least 10x faster). The two run in turn, RUNS pairs in
# alternating order (build/bin/paired): the ratio is the median of the
# per-pair ratios, so both sides of each pair see the same machine on a
# shared host whose speed drifts. Without paired: hyperfine, else a bash
# loop with date +%s%N, one command after the other.
#
# The figures in bench/README.md are of a kreg linked for a fast start: a
# build configured with -DKREG_CLI_FAST_START=ON (cmake/CliStart.cmake),
#   cmake -S . -B build-bench -DKREG_CLI_FAST_START=ON
#   cmake --build build-bench && bench/kreg_vs_kubectl.sh build-bench 40
# Another build is timed too, with a warning.
#
# Usage: bench/kreg_vs_kubectl.sh [BUILD_DIR] [RUNS] [PODS] [SERVING]
#   KUBECTL  the kubectl to time (default: kubectl on PATH)
set -euo pipefail
build=${1:-build}
runs=${2:-20}
pods=${3:-10000}
serving=${4:-100}
kubectl=${KUBECTL:-kubectl}
name=greeter

for tool in "$kubectl" jq; do
    command -v "$tool" >/dev/null ||
        { echo "missing $tool (ci/install-deps.sh --bench installs it)"; exit 1; }
done
for bin in fakeapi kreg; do
    [ -x "$build/bin/$bin" ] || { echo "missing $build/bin/$bin"; exit 1; }
done
if grep -qx 'KREG_CLI_FAST_START:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null
then
    fast_start=on
else
    fast_start=off
    echo "warning: $build is not configured with -DKREG_CLI_FAST_START=ON:" \
        "kreg is linked plainly, unlike the figures in bench/README.md" >&2
fi
kreg=$(cd "$build/bin" && pwd)/kreg
work=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The seed: typical pods, each registered with one go-micro service;
# every (PODS/SERVING)th serves $name, the others one of 97 more.
every=$((pods / serving))
{
    printf '['
    for ((i = 0; i < pods; i++)); do
        if ((i % every == 0)); then svc=$name; else svc=svc-$((i % 97)); fi
        ip=10.$((i >> 16 & 255)).$((i >> 8 & 255)).$((i & 255))
        ((i > 0)) && printf ','
        printf '{"metadata":{"name":"pod-%06d","labels":{"app":"%s",' "$i" "$svc"
        printf '"pod-template-hash":"7d9f8c6b5","micro.mu/type":"service",'
        printf '"micro.mu/selector-%s":"service"},"annotations":' "$svc"
        printf '{"micro.mu/service-%s":"{\\"name\\":\\"%s\\",' "$svc" "$svc"
        printf '\\"version\\":\\"latest\\",\\"metadata\\":null,'
        printf '\\"endpoints\\":[],\\"nodes\\":[{\\"id\\":\\"pod-%06d\\",' "$i"
        printf '\\"address\\":\\"%s:8080\\",\\"metadata\\":' "$ip"
        printf '{\\"protocol\\":\\"mucp\\"}}]}"}},"spec":{"containers":'
        printf '[{"name":"app","image":"registry.example.com/team/app:1.2.3"}]'
        printf ',"nodeName":"node-%d"},"status":{"phase":"Running",' $((i % 50))
        printf '"podIP":"%s"}}' "$ip"
    done
    printf ']\n'
} >"$work/seed.json"

"$build/bin/fakeapi" --seed "$work/seed.json" \
    --write-kubeconfig "$work/kc" >"$work/fakeapi.out" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
    grep -q listening "$work/fakeapi.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/fakeapi.out"; exit 1; }
    sleep 0.05
done
grep -q listening "$work/fakeapi.out" || { echo "fakeapi did not start"; exit 1; }

kreg_cmd=("$kreg" --kubeconfig "$work/kc" get "$name" -o json)
kubectl_cmd=("$kubectl" --kubeconfig "$work/kc" get pods
    -l "micro.mu/selector-$name=service" -o json)

# The same answer: kreg's node ids are the pods kubectl lists.
"${kreg_cmd[@]}" | jq -r '[.[].nodes[].id] | sort | .[]' >"$work/kreg.ids"
"${kubectl_cmd[@]}" | jq -r '[.items[].metadata.name] | sort | .[]' \
    >"$work/kubectl.ids"
if ! cmp -s "$work/kreg.ids" "$work/kubectl.ids" ||
    [ "$(wc -l <"$work/kreg.ids")" -ne "$serving" ]; then
    echo "kreg and kubectl disagree:"
    diff "$work/kreg.ids" "$work/kubectl.ids" | head
    exit 1
fi

echo "server: fakeapi, $pods pods, $serving serving $name; $runs runs each"
echo "kreg: $kreg (KREG_CLI_FAST_START $fast_start)"
echo "kubectl: $(command -v "$kubectl"), $("$kubectl" version --client \
    2>/dev/null | head -1)"
if [ -x "$build/bin/paired" ]; then
    "$build/bin/paired" "$runs" 3 -- "${kreg_cmd[@]}" -- "${kubectl_cmd[@]}" \
        >"$work/paired.out"
    k=$(awk '/^A median/ { print $3 }' "$work/paired.out")
    c=$(awk '/^B median/ { print $3 }' "$work/paired.out")
    r=$(awk '/^B\/A median/ { print $NF }' "$work/paired.out")
    awk -v k="$k" -v c="$c" -v r="$r" -v n="$runs" -v name="$name" 'BEGIN {
        printf "kreg get %s -o json:              median %8.2f ms\n", name, k
        printf "kubectl get pods -l ... -o json:   median %8.2f ms\n", c
        printf "ratio kubectl/kreg: %.1fx (median of %d pairs)\n", r, n
    }'
    exit 0
fi
if command -v hyperfine >/dev/null; then
    # no shell in between (-N): both are timed as bare processes
    hyperfine -N --warmup 3 --runs "$runs" --style basic \
        --export-json "$work/h.json" \
        -n kreg "$(printf '%q ' "${kreg_cmd[@]}")" \
        -n kubectl "$(printf '%q ' "${kubectl_cmd[@]}")" >/dev/null
    k=$(jq '.results[] | select(.command == "kreg") | .median * 1000' \
        "$work/h.json")
    c=$(jq '.results[] | select(.command == "kubectl") | .median * 1000' \
        "$work/h.json")
else
    # median of RUNS wall times in ms, after 3 warm-up runs
    med() {
        local i t0 t1
        for i in 1 2 3; do "$@" >/dev/null; done
        for ((i = 0; i < runs; i++)); do
            t0=$(date +%s%N)
            "$@" >/dev/null
            t1=$(date +%s%N)
            echo $(((t1 - t0) / 1000))
        done | sort -n | awk '{ v[NR] = $1 } END {
            printf "%.3f\n", (NR % 2 ? v[(NR + 1) / 2]
                                     : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000 }'
    }
    k=$(med "${kreg_cmd[@]}")
    c=$(med "${kubectl_cmd[@]}")
fi
awk -v k="$k" -v c="$c" -v name="$name" 'BEGIN {
    printf "kreg get %s -o json:              median %8.2f ms\n", name, k
    printf "kubectl get pods -l ... -o json:   median %8.2f ms\n", c
    printf "ratio kubectl/kreg: %.1fx\n", c / k
}'
