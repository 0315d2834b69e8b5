#!/usr/bin/env bash
# Install the build tree into a temporary prefix and use it as a consumer
# would: the files, the SONAME, the exported symbols, the header on its
# own (C and C++), kreg.pc with pkg-config (a tiny program, shared and
# static), and examples/ configured as a separate project with
# find_package(kreg) (shared and static) and with pkg-config; then the
# built example runs against fakeapi: registers, finds its peer, and
# deregisters on SIGTERM (under valgrind when installed).
# Usage: install_test.sh BUILD_DIR EXAMPLES_DIR C_COMPILER FAKEAPI_BINARY
# KREG_CONSUMER_FLAGS: extra compile and link flags for the consumer (the
# sanitizer build sets -fsanitize=...); KREG_NO_VALGRIND=1: no valgrind.
set -euo pipefail

usage="usage: install_test.sh BUILD_DIR EXAMPLES_DIR C_COMPILER FAKEAPI_BINARY"
build=${1:?$usage}
examples=${2:?$usage}
cc=${3:?$usage}
fakeapi_bin=${4:?$usage}
flags=${KREG_CONSUMER_FLAGS:-}

work=$(mktemp -d)
server_pid=
example_pid=
cleanup() {
    local p
    for p in $example_pid $server_pid; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work
unset KUBECONFIG HOSTNAME KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT

fails=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { fails=$((fails + 1)); echo "not ok - $*"; }

# step NAME COMMAND...: run, require exit 0, show the output on failure
step() {
    local name=$1
    shift
    if "$@" >"$work/step.log" 2>&1; then
        ok "$name"
    else
        not_ok "$name: $(tail -n 30 "$work/step.log")"
        return 1
    fi
}

# wait_for FILE REGEX: until FILE matches (bounded: 30 s, for valgrind)
wait_for() {
    for _ in $(seq 1 600); do
        if grep -Eq -- "$2" "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

prefix=$work/prefix
step "cmake --install into a temporary prefix" \
    cmake --install "$build" --prefix "$prefix" || exit 1

# ---- the installed files ----

pc=$(find "$prefix" -name kreg.pc -print -quit)
if [ -z "$pc" ]; then
    not_ok "kreg.pc installed"
    exit 1
fi
ok "kreg.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in "$prefix/include/kreg.h" "$libdir/libkreg.a" "$libdir/libkreg.so" \
    "$libdir/cmake/kreg/kregConfig.cmake" \
    "$libdir/cmake/kreg/kregConfigVersion.cmake" \
    "$libdir/cmake/kreg/kregTargets.cmake" "$prefix/bin/kreg"; do
    if [ -e "$f" ]; then ok "installed ${f#"$prefix"/}"; else not_ok "missing ${f#"$prefix"/}"; fi
done
soname=$(objdump -p "$libdir/libkreg.so" | sed -n 's/^ *SONAME *//p')
if [[ $soname =~ ^libkreg\.so\.[0-9]+$ ]] && [ -e "$libdir/$soname" ]; then
    ok "libkreg.so has SONAME $soname, installed as a link"
else
    not_ok "SONAME: '$soname'"
fi
leaked=$(nm -D --defined-only "$libdir/libkreg.so" | awk '{print $3}' |
    grep -Ev '^(kreg_|_init$|_fini$)' || true)
if [ -z "$leaked" ]; then
    ok "libkreg.so exports only kreg_*"
else
    not_ok "libkreg.so also exports: $(echo "$leaked" | tr '\n' ' ')"
fi

# ---- the header alone, in C and C++ ----

printf '#include <kreg.h>\n' >"$work/hdr.c"
step "kreg.h compiles on its own (C11, -Wall -Wextra -pedantic -Werror)" \
    "$cc" -std=c11 -Wall -Wextra -pedantic -Werror -I"$prefix/include" \
    -c "$work/hdr.c" -o "$work/hdr.o" || true
if command -v c++ >/dev/null 2>&1; then
    cp "$work/hdr.c" "$work/hdr.cc"
    step "kreg.h compiles as C++" c++ -Wall -Wextra -Werror \
        -I"$prefix/include" -c "$work/hdr.cc" -o "$work/hdrcc.o" || true
fi

# ---- pkg-config ----

export PKG_CONFIG_PATH=$libdir/pkgconfig
version=$(pkg-config --modversion kreg 2>&1 || true)
if [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    ok "pkg-config --modversion kreg: $version"
else
    not_ok "pkg-config --modversion kreg: $version"
fi
cat >"$work/tiny.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kreg.h>

int main(void)
{
    struct kreg_service *s = kreg_service_new();
    char *json = NULL;
    int rc;

    if (!s || !kreg_service_add_node(s, "n1", "10.0.0.1:80"))
        return 1;
    free(s->name);
    s->name = strdup("tiny");
    rc = kreg_service_encode(s, KREG_WIRE_V2, &json, NULL, NULL);
    if (rc != KREG_OK)
        return 1;
    printf("%s\n%s\n", json, kreg_strerror(KREG_E_NOT_FOUND));
    free(json);
    kreg_service_free(s);
    return 0;
}
C
tiny_want='{"name":"tiny","version":"","metadata":null,"endpoints":null,"nodes":[{"id":"n1","address":"10.0.0.1:80","metadata":null}]}
not found'
# shellcheck disable=SC2046,SC2086 # pkg-config output is a word list
if step "tiny program with pkg-config --cflags --libs kreg" \
    "$cc" $flags "$work/tiny.c" -o "$work/tiny" $(pkg-config --cflags --libs kreg); then
    got=$(LD_LIBRARY_PATH=$libdir "$work/tiny" 2>&1 || true)
    if [ "$got" = "$tiny_want" ]; then ok "tiny program runs"; else not_ok "tiny program: $got"; fi
fi
# static libkreg.a with its dependencies from Requires.private, linked
# shared (`pkg-config --static` would also ask for libcurl's own static
# dependencies, which distributions do not ship)
requires=$(pkg-config --print-requires-private kreg | awk '{print $1}' | xargs)
# shellcheck disable=SC2046,SC2086
if step "tiny program, libkreg.a, Requires.private: $requires" \
    "$cc" $flags "$work/tiny.c" -o "$work/tiny-static" \
    $(pkg-config --cflags kreg) "$libdir/libkreg.a" \
    $(pkg-config --libs $requires) -pthread; then
    got=$("$work/tiny-static" 2>&1 || true)
    if [ "$got" = "$tiny_want" ]; then ok "static tiny program runs"; else not_ok "static tiny program: $got"; fi
    if objdump -p "$work/tiny-static" | grep 'NEEDED.*libkreg' >/dev/null; then
        not_ok "static tiny program still needs libkreg.so"
    else
        ok "static tiny program does not need libkreg.so"
    fi
fi

# ---- examples/ as a separate project ----

# consumer NAME BUILD_DIR CMAKE_ARGS...: configure and build examples/
consumer() {
    local name=$1 dir=$2
    shift 2
    step "examples: configure ($name)" cmake -S "$examples" -B "$dir" \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$flags" \
        -DCMAKE_EXE_LINKER_FLAGS="$flags" "$@" &&
        step "examples: build ($name)" cmake --build "$dir"
}
consumer "find_package" "$work/ex" -DCMAKE_PREFIX_PATH="$prefix" || true
consumer "find_package, static" "$work/ex-static" \
    -DCMAKE_PREFIX_PATH="$prefix" -DKREG_EXAMPLE_STATIC=ON || true
consumer "pkg-config" "$work/ex-pc" -DKREG_EXAMPLE_PKGCONFIG=ON || true
if [ -x "$work/ex-static/kreg-example" ] &&
    objdump -p "$work/ex-static/kreg-example" | grep 'NEEDED.*libkreg' >/dev/null; then
    not_ok "examples: the static build needs libkreg.so"
fi

# ---- run the example against fakeapi ----

example=$work/ex/kreg-example
if [ ! -x "$example" ]; then
    echo "$passes passed, $fails failed"
    exit 1
fi
vg=()
if [ -z "${KREG_NO_VALGRIND:-}" ] && command -v valgrind >/dev/null 2>&1; then
    vg=(valgrind -q --leak-check=full "--show-leak-kinds=definite,indirect,possible"
        "--errors-for-leak-kinds=definite,indirect,possible" --error-exitcode=99
        "--log-file=$work/vg.%p.log")
fi
{
    echo '['
    for p in ex-a ex-b; do
        [ "$p" = ex-b ] && echo ','
        cat <<JSON
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$p","namespace":"default"},
 "spec":{"containers":[{"name":"c","image":"busybox","imagePullPolicy":"Always",
   "terminationMessagePath":"/dev/termination-log",
   "terminationMessagePolicy":"File","resources":{}}],
   "restartPolicy":"Always","dnsPolicy":"ClusterFirst","securityContext":{},
   "terminationGracePeriodSeconds":30,"schedulerName":"default-scheduler",
   "enableServiceLinks":true,"serviceAccountName":"default",
   "serviceAccount":"default",
   "tolerations":[
    {"key":"node.kubernetes.io/not-ready","operator":"Exists",
     "effect":"NoExecute","tolerationSeconds":300},
    {"key":"node.kubernetes.io/unreachable","operator":"Exists",
     "effect":"NoExecute","tolerationSeconds":300}],
   "priority":0,"preemptionPolicy":"PreemptLowerPriority"},
 "status":{"phase":"Running","qosClass":"BestEffort"}}
JSON
    done
    echo ']'
} >"$work/pods.json"
export KUBECONFIG=$work/kubeconfig
"$fakeapi_bin" --write-kubeconfig "$KUBECONFIG" --seed "$work/pods.json" \
    >"$work/server.out" 2>&1 &
server_pid=$!
wait_for "$work/server.out" '^fakeapi listening on ' || {
    echo "fakeapi did not start"; cat "$work/server.out"; exit 1; }

kreg=$prefix/bin/kreg
echo '{"name":"example.peer","version":"1.0","nodes":[{"id":"peer-1","address":"10.0.0.2:9090"}]}' \
    >"$work/peer.json"
step "installed kreg registers the peer (KUBECONFIG, stdin)" \
    "$kreg" --pod ex-b register - <"$work/peer.json" || true
POD_NAME=ex-a SERVICE_NAME=example.service PEER_SERVICE=example.peer \
    SERVICE_ADDRESS=10.0.0.1:8080 "${vg[@]}" "$example" \
    >"$work/example.out" 2>&1 &
example_pid=$!
if wait_for "$work/example.out" 'waiting for SIGTERM'; then
    ok "example starts"
else
    not_ok "example did not start: $(cat "$work/example.out")"
fi
if grep -q '^registered example.service as example.service-ex-a at 10.0.0.1:8080 in namespace default$' "$work/example.out"; then
    ok "example registers itself"
else
    not_ok "example registration: $(cat "$work/example.out")"
fi
if grep -q '^peer example.peer 1.0: peer-1 at 10.0.0.2:9090$' "$work/example.out"; then
    ok "example finds its peer"
else
    not_ok "example peer: $(cat "$work/example.out")"
fi
if "$kreg" get example.service -o json >"$work/get.out" 2>&1 &&
    grep -q '"id":"example.service-ex-a","address":"10.0.0.1:8080"' "$work/get.out"; then
    ok "kreg get finds the example"
else
    not_ok "kreg get example.service: $(cat "$work/get.out")"
fi
kill -TERM "$example_pid"
rc=0
wait "$example_pid" || rc=$?
example_pid=
if [ "$rc" -eq 0 ] && grep -q '^deregistered example.service$' "$work/example.out"; then
    ok "example deregisters on SIGTERM and exits 0"
else
    not_ok "example exit $rc: $(cat "$work/example.out")"
fi
rc=0
"$kreg" get example.service >"$work/get.out" 2>&1 || rc=$?
if [ "$rc" -eq 3 ]; then ok "example is gone"; else not_ok "example still found (exit $rc): $(cat "$work/get.out")"; fi
shopt -s nullglob
for f in "$work"/vg.*.log; do
    if [ -s "$f" ]; then not_ok "example: valgrind: $(cat "$f")"; fi
done

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
