#!/bin/sh
# Wall time of the whole conformance suite, over several runs.
#
# usage: bench/conformance_time.sh [KREG_CONFORMANCE [RUNS [ARGS...]]]
#   KREG_CONFORMANCE  default: build/bin/kreg-conformance
#   RUNS              default: 20
#   ARGS              passed to the suite, e.g. --adapter build/bin/kreg-adapter
#                     or --kubeconfig F
# Prints min, median, mean and max in milliseconds, and the case count.
# Every run must pass: a failing run stops the benchmark.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-$here/build/bin/kreg-conformance}
runs=${2:-20}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift

if [ ! -x "$suite" ]; then
    echo "conformance_time: $suite: not built" >&2
    exit 2
fi
export KREG_FIXTURES="${KREG_FIXTURES:-$here/fixtures}"
cases=$("$suite" --list "$@" | wc -l)

now_ns() {
    date +%s%N
}

times=""
i=0
while [ "$i" -lt "$runs" ]; do
    start=$(now_ns)
    if ! "$suite" "$@" >/dev/null 2>&1; then
        echo "conformance_time: run $i failed; rerun it by hand:" >&2
        echo "  $suite $*" >&2
        exit 1
    fi
    end=$(now_ns)
    times="$times $(((end - start) / 1000))"
    i=$((i + 1))
done

echo "$times" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk -v runs="$runs" \
    -v cases="$cases" -v args="$*" '
    { t[NR] = $1; sum += $1 }
    END {
        med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
        printf "kreg-conformance %s: %d cases, %d runs: " \
               "min %.1f ms, median %.1f ms, mean %.1f ms, max %.1f ms\n",
               (args == "" ? "(in-process, embedded fake)" : args), cases,
               runs, t[1] / 1000, med / 1000, sum / NR / 1000, t[NR] / 1000
    }'
