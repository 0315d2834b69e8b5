#!/usr/bin/env bash
# The libraries' link-time names (docs/conventions.md, Names): libkreg.so
# exports only the kreg_ API; libkreg.a and libfakeapi.a define no global symbol
# outside their prefixes (kreg_/kreg__, fakeapi_/fakeapi__) and the shared
# kbuf/knum/kutf8 modules, so embedding them cannot clash with a program's
# names.
# Usage: ci/check-symbols.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: check-symbols.sh BUILD_DIR}
lib=$build/lib
status=0

# nm prints "ADDR TYPE NAME" for defined symbols; keep global ones only
globals() {
    nm "$@" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[A-TV-Z]$/ { print $3 }' |
        sort -u
}

check() {
    local what=$1 allowed=$2 bad
    shift 2
    # the library is the last argument: checking nothing is a failure
    if ! [ -f "${*: -1}" ] || ! nm "$@" >/dev/null 2>&1; then
        echo "$what: cannot read ${*: -1}"
        status=1
        return
    fi
    # the sanitizers' own instrumentation symbols are not ours
    bad=$(globals "$@" | grep -Ev "$allowed|^__(odr_asan|asan|sancov)" ||
        true)
    if [ -n "$bad" ]; then
        echo "$what: global symbols outside '$allowed':"
        echo "$bad" | sed 's/^/  /'
        status=1
    else
        echo "$what: $(globals "$@" | wc -l) global symbols, all prefixed"
    fi
}

check "libkreg.so (dynamic)" '^kreg_[a-z]' -D --defined-only "$lib/libkreg.so"
check libkreg.a '^(kreg_|kbuf_|knum_|kutf8_)' --defined-only "$lib/libkreg.a"
check libfakeapi.a '^(fakeapi_|kbuf_|knum_|kutf8_)' --defined-only "$lib/libfakeapi.a"
exit $status
