# Sourced by the ci/ scripts: find a Go toolchain new enough for the
# modules under ci/ (the `go` line of ci/realapi/go.mod), without letting
# an older one earlier in PATH (Debian 12's golang-go is 1.19) shadow it.
#
# Sets KREG_GO to that go binary, or to "" with KREG_GO_WHY saying why.
# Looks at, in order: $KREG_GO if set, /usr/local/go/bin/go, `go` in PATH,
# and the toolchain ci/install-deps.sh brings in from the Go module proxy
# (golang.org/toolchain) under $KREG_GO_HOME.
# shellcheck shell=bash

# shellcheck disable=SC2034 # read by the scripts that source this file
KREG_GO_HOME=${KREG_GO_HOME:-/usr/local/lib/kreg-go}
kreg_go_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The version every module under ci/ asks for, e.g. 1.26.0.
KREG_GO_NEED=$(sed -n 's/^go \([0-9.]*\)$/\1/p' \
    "$kreg_go_root/ci/realapi/go.mod")

# kreg_go_version BIN: the version BIN reports (1.26.8), or nothing.
kreg_go_version() {
    "$1" env GOVERSION 2>/dev/null | sed -n 's/^go\([0-9][0-9.]*\).*/\1/p'
}

# kreg_version_ge A B: true when version A >= version B.
kreg_version_ge() {
    [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

kreg_go_find() {
    local c v seen=""
    KREG_GO=
    KREG_GO_WHY=
    for c in "${KREG_GO_OVERRIDE:-}" /usr/local/go/bin/go \
        "$(command -v go 2>/dev/null || true)" \
        "$KREG_GO_HOME"/go*/bin/go; do
        [ -n "$c" ] && [ -x "$c" ] || continue
        v=$(kreg_go_version "$c")
        seen="$seen $c (${v:-unknown})"
        if [ -n "$v" ] && kreg_version_ge "$v" "$KREG_GO_NEED"; then
            KREG_GO=$c
            return 0
        fi
    done
    KREG_GO_WHY="no Go >= $KREG_GO_NEED found (saw:${seen:- nothing}); \
ci/install-deps.sh brings one in from the Go module proxy"
    return 1
}

KREG_GO_OVERRIDE=${KREG_GO:-}
kreg_go_find || true
