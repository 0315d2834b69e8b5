#!/usr/bin/env bash
# Prove the conformance suite catches every deliberate bug of the
# reference adapter, at the right level (PROTOCOL.md "Levels"): run the
# suite against `kreg-adapter --mutant N` for each N of
# `kreg-adapter --list-mutants` (number, name, level, description), once
# with --strict and once without, and fail unless
#  - a required mutant is caught by a required case, and the run fails
#    in both modes;
#  - a recommended mutant is caught by recommended cases only, and the
#    run fails with --strict but passes without it;
#  - both modes fail the same cases (they differ only in exit status).
# For each mutant it prints the cases that caught it per level (the "not
# ok" lines of the suite's TAP output, levels from `--list`).
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

if ! "$suite" --list "$@" >"$tmp/cases"; then
    echo "mutants_test: $suite --list failed" >&2
    exit 1
fi
awk -F '\t' '$2 == "required" {print $1}' "$tmp/cases" | sort -u >"$tmp/required"
awk -F '\t' '$2 == "recommended" {print $1}' "$tmp/cases" | sort -u >"$tmp/recommended"

# Run one mutant in both modes: TAP output and exit code go to files
# ($n.* without --strict, $n.strict.* with it).
run_one() {
    local n=$1
    shift
    "$suite" --adapter "'$adapter' --mutant $n" --output tap "$@" \
        >"$tmp/$n.tap" 2>"$tmp/$n.err"
    echo $? >"$tmp/$n.rc"
    "$suite" --adapter "'$adapter' --mutant $n" --output tap --strict "$@" \
        >"$tmp/$n.strict.tap" 2>"$tmp/$n.strict.err"
    echo $? >"$tmp/$n.strict.rc"
}

# The failed case names of TAP file $1, sorted.
failed_cases() {
    sed -n 's/^not ok [0-9]* - \([^ #]*\).*/\1/p' "$1" | sort -u
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
while IFS=$'\t' read -r n name level desc; do
    rc=$(cat "$tmp/$n.rc")
    src=$(cat "$tmp/$n.strict.rc")
    failed_cases "$tmp/$n.tap" >"$tmp/$n.failed"
    failed_cases "$tmp/$n.strict.tap" >"$tmp/$n.strict.failed"
    req=$(comm -12 "$tmp/$n.strict.failed" "$tmp/required" | tr '\n' ' ')
    rec=$(comm -12 "$tmp/$n.strict.failed" "$tmp/recommended" | tr '\n' ' ')
    by="required: ${req:-none}; recommended: ${rec:-none}"
    # what the exit status without --strict must be
    want_rc=0
    [ -n "$req" ] && want_rc=1
    why=
    if [ -z "$req$rec" ]; then
        if [ "$src" -eq 0 ]; then
            why="no case failed"
        else
            why="suite exit $src, no failed case (the run broke); stderr:"
            why="$why $(tail -n 3 "$tmp/$n.strict.err" | tr '\n' ' ')"
        fi
    elif [ "$level" = required ] && [ -z "$req" ]; then
        why="a required mutant caught by no required case"
    elif [ "$level" = recommended ] && [ -n "$req" ]; then
        why="a recommended mutant caught by required cases"
    elif [ "$level" = recommended ] && [ -z "$rec" ]; then
        why="a recommended mutant caught by no recommended case"
    elif [ "$src" -ne 1 ]; then
        why="--strict exited $src, want 1"
    elif [ "$rc" -ne "$want_rc" ]; then
        why="exit $rc without --strict, want $want_rc"
    elif ! cmp -s "$tmp/$n.failed" "$tmp/$n.strict.failed"; then
        why="the modes failed different cases: without --strict:"
        why="$why $(tr '\n' ' ' <"$tmp/$n.failed")"
    fi
    if [ -n "$why" ]; then
        echo "MISSED  mutant $n ($name, $level): $why; $by; $desc"
        missed=$((missed + 1))
    else
        echo "caught  mutant $n ($name, $level) by $by"
        caught=$((caught + 1))
    fi
done <"$tmp/list"

echo "mutants_test: $caught caught, $missed missed"
[ "$missed" -eq 0 ]
