#!/usr/bin/env bash
# ci/realapi.sh's bad input: a taken port, a missing binary, a component
# that exits or never becomes ready, and a signal in the middle of `up`.
# Each must fail with a message naming the component (and its port or
# binary), show its log where it has one, and leave no process and no
# folder behind.
#
# usage: ci/realapi-selftest.sh BIN_DIR   (the folder `ci/realapi.sh build`
#        prints; only its etcd is started for real)
# Ends with 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

real=$(cd "${1:?usage: realapi-selftest.sh BIN_DIR}" && pwd)
work=$(mktemp -d)
holder=
cleanup() {
    [ -n "$holder" ] && kill "$holder" 2>/dev/null
    pkill -f "$work/" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
passes=0
fails=0

ok() {
    passes=$((passes + 1))
    echo "ok - $*"
}
not_ok() {
    fails=$((fails + 1))
    echo "not ok - $*"
}

# bins NAME: a binary folder with the real etcd and kubectl and, for
# kube-apiserver and kube-controller-manager, the bash scripts given as
# NAME=BODY (default: the real one; an empty BODY: missing). A script
# that stays shows its path and arguments to pgrep (exec -a).
bins() {
    local d=$work/$1 kv
    shift
    mkdir -p "$d"
    ln -sf "$real/etcd" "$real/kubectl" "$real/kube-apiserver" \
        "$real/kube-controller-manager" "$d/"
    for kv in "$@"; do
        rm -f "${d:?}/${kv%%=*}"
        if [ -n "${kv#*=}" ]; then
            printf '#!/bin/bash\n%s\n' "${kv#*=}" >"$d/${kv%%=*}"
            chmod +x "$d/${kv%%=*}"
        fi
    done
    echo "$d"
}

# expect_failure NAME REGEX ENV...: `up` fails, says REGEX, leaves nothing
expect_failure() {
    local name=$1 re=$2 dir=$work/cluster-$RANDOM out rc
    shift 2
    out=$(env "$@" bash ci/realapi.sh up "$dir" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ]; then
        not_ok "$name: up succeeded"
        bash ci/realapi.sh down "$dir"
        return
    fi
    if ! grep -Eq -- "$re" <<<"$out"; then
        not_ok "$name: wanted /$re/, got: $out"
    elif [ -e "$dir" ]; then
        not_ok "$name: $dir left behind"
    elif pgrep -f "$dir/" >/dev/null; then
        not_ok "$name: processes left behind: $(pgrep -af "$dir/")"
    else
        ok "$name"
    fi
}

# A port that is taken: a listener on it for the whole test.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
time.sleep(600)' "$port" &
holder=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
done
expect_failure "a taken port is named" "port $port on 127.0.0.1 is taken" \
    KREG_REALAPI_BIN="$real" KREG_REALAPI_PORTS="$port 0 0 0"

expect_failure "a missing binary is named" \
    "kube-apiserver: binary .*/missing/kube-apiserver is missing" \
    KREG_REALAPI_BIN="$(bins missing kube-apiserver=)"

expect_failure "a component that exits shows its port and log" \
    "kube-apiserver \(port [0-9]+\) exited before it was ready" \
    KREG_REALAPI_BIN="$(bins exits 'kube-apiserver=echo "no etcd for me" >&2; exit 3')"

expect_failure "its log's last lines are shown" "no etcd for me" \
    KREG_REALAPI_BIN="$(bins exits2 'kube-apiserver=echo "no etcd for me" >&2; exit 3')"

expect_failure "a component never ready within the limit is named" \
    "kube-apiserver \(port [0-9]+\) not ready within 2 s" \
    KREG_REALAPI_READY_S=2 \
    KREG_REALAPI_BIN="$(bins hangs 'kube-apiserver=exec -a "$0 $*" sleep 600')"

# A signal in the middle of `up` (Ctrl-C in a terminal; TERM here, since
# a background job ignores SIGINT) stops what it started.
dir=$work/cluster-signal
KREG_REALAPI_BIN=$(bins signal 'kube-apiserver=exec -a "$0 $*" sleep 600') \
    bash ci/realapi.sh up "$dir" >"$work/signal.out" 2>&1 &
up_pid=$!
for _ in $(seq 1 200); do
    pgrep -f "$work/signal/kube-apiserver" >/dev/null && break
    sleep 0.05
done
kill -TERM "$up_pid"
wait "$up_pid"
rc=$?
if [ "$rc" -eq 0 ]; then
    not_ok "a signal during up: up succeeded"
elif [ -e "$dir" ] || pgrep -f "$dir/" >/dev/null; then
    not_ok "a signal during up: left $dir or processes: $(pgrep -af "$dir/")"
else
    ok "a signal during up stops everything it started"
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
