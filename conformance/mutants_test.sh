#!/usr/bin/env bash
# Prove the conformance suite catches every deliberate bug of the
# reference adapter: run the suite against `kreg-adapter --mutant N` for
# each N of `kreg-adapter --list-mutants` and fail unless every run fails.
# For each mutant it prints the cases that caught it (the "not ok" lines
# of the suite's TAP output).
#
# usage: mutants_test.sh KREG_CONFORMANCE KREG_ADAPTER [SUITE ARGS...]
#   KREG_MUTANT_JOBS  suites run at once (default: CPUs, at most 4)
#   KREG_MUTANTS      only these mutant numbers (space-separated)
set -uo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 KREG_CONFORMANCE KREG_ADAPTER [SUITE ARGS...]" >&2
    exit 2
fi
suite=$1
adapter=$2
shift 2

jobs=${KREG_MUTANT_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$jobs" -gt 4 ] && jobs=4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$adapter" --list-mutants >"$tmp/list"; then
    echo "mutants_test: $adapter --list-mutants failed" >&2
    exit 1
fi
if [ -n "${KREG_MUTANTS:-}" ]; then
    for n in $KREG_MUTANTS; do
        grep "^$n	" "$tmp/list"
    done >"$tmp/only"
    mv "$tmp/only" "$tmp/list"
fi
if [ ! -s "$tmp/list" ]; then
    echo "mutants_test: no mutants to run" >&2
    exit 1
fi

# Run one mutant: its TAP output and the suite's exit code go to files.
run_one() {
    local n=$1
    shift
    "$suite" --adapter "'$adapter' --mutant $n" --output tap "$@" \
        >"$tmp/$n.tap" 2>"$tmp/$n.err"
    echo $? >"$tmp/$n.rc"
}

running=0
while IFS=$'\t' read -r n _; do
    run_one "$n" "$@" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done <"$tmp/list"
wait

missed=0
caught=0
while IFS=$'\t' read -r n name desc; do
    rc=$(cat "$tmp/$n.rc")
    cases=$(sed -n 's/^not ok [0-9]* - \([^ #]*\).*/\1/p' "$tmp/$n.tap" |
        sort -u | tr '\n' ' ')
    if [ "$rc" -eq 0 ]; then
        echo "MISSED  mutant $n ($name): $desc"
        missed=$((missed + 1))
    elif [ -z "$cases" ]; then
        # a non-zero exit without a failed case: the run itself broke
        echo "BROKEN  mutant $n ($name): suite exit $rc, no failed case;" \
            "stderr: $(tail -n 3 "$tmp/$n.err" | tr '\n' ' ')"
        missed=$((missed + 1))
    else
        echo "caught  mutant $n ($name) by: $cases"
        caught=$((caught + 1))
    fi
done <"$tmp/list"

echo "mutants_test: $caught caught, $missed missed"
[ "$missed" -eq 0 ]
