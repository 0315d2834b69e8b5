#!/usr/bin/env bash
# Drive the kreg CLI against a standalone fakeapi with only the kubeconfig
# it writes: every command, both output formats, options before and after
# the command, exit codes 0/1/2/3, one-line errors, and --help.
# Usage: cli_test.sh KREG_BINARY FAKEAPI_BINARY
# With valgrind installed (CI installs it), every kreg invocation runs
# under memcheck; an error or a definite leak fails the test.
# KREG_NO_VALGRIND=1 turns that off (sanitizer builds set it).
set -euo pipefail

kreg_bin=${1:?usage: cli_test.sh KREG_BINARY FAKEAPI_BINARY}
fakeapi_bin=${2:?usage: cli_test.sh KREG_BINARY FAKEAPI_BINARY}

work=$(mktemp -d)
server_pid=
watch_pids=()
cleanup() {
    local p
    for p in "${watch_pids[@]}" $server_pid; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# nothing from the caller's environment may choose the cluster or pod
export HOME=$work
unset KUBECONFIG HOSTNAME KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT

vg=()
if [ -z "${KREG_NO_VALGRIND:-}" ]; then
    if command -v valgrind >/dev/null 2>&1; then
        vg=(valgrind -q --leak-check=full "--show-leak-kinds=definite,indirect,possible"
            "--errors-for-leak-kinds=definite,indirect,possible" --error-exitcode=99
            "--log-file=$work/vg.%p.log")
        echo "# every kreg run is under valgrind"
    elif [ -n "${CI:-}" ]; then
        echo "valgrind is not installed (ci/install-deps.sh installs it)"
        exit 1
    else
        echo "# valgrind is not installed: running kreg without it"
    fi
fi

fails=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { fails=$((fails + 1)); echo "not ok - $*"; }

# vg_check NAME: report and clear what valgrind logged
vg_check() {
    local f log=""
    shopt -s nullglob
    for f in "$work"/vg.*.log; do
        log+=$(cat "$f")
        rm -f "$f"
    done
    shopt -u nullglob
    if [ -n "$log" ]; then
        not_ok "$1: valgrind: $log"
    fi
}

# kreg_run ARGS...: run the CLI once (stdin from $stdin, default none);
# sets rc, out and err
stdin=/dev/null
kreg_run() {
    rc=0
    "${vg[@]}" "$kreg_bin" "$@" <"$stdin" >"$work/out" 2>"$work/err" || rc=$?
    out=$(cat "$work/out")
    err=$(cat "$work/err")
    stdin=/dev/null
}

# expect NAME RC ARGS...: run kreg; require exit RC; on success stderr
# must be empty, on failure exactly one "kreg: " line and no stdout
expect() {
    local name=$1 want=$2
    shift 2
    kreg_run "$@"
    vg_check "$name"
    if [ "$rc" -ne "$want" ]; then
        not_ok "$name: exit $rc, wanted $want; stdout: $out; stderr: $err"
        return 0
    fi
    if [ "$want" -eq 0 ] && [ -n "$err" ]; then
        not_ok "$name: unexpected stderr: $err"
    elif [ "$want" -ne 0 ] && [ -n "$out" ]; then
        not_ok "$name: stdout on failure: $out"
    elif [ "$want" -ne 0 ] && ! grep -q '^kreg: ' <<<"$err"; then
        not_ok "$name: stderr is not 'kreg: ...': $err"
    elif [ "$want" -ne 0 ] && [ "$(wc -l <"$work/err")" -ne 1 ]; then
        not_ok "$name: stderr is not one line: $err"
    else
        ok "$name"
    fi
}

# out_is NAME TEXT / out_has NAME REGEX / err_has NAME REGEX: check the
# last run's output
out_is() {
    if [ "$out" = "$2" ]; then ok "$1"; else not_ok "$1: got: $out"; fi
}
out_has() {
    if grep -Eq -- "$2" <<<"$out"; then
        ok "$1"
    else
        not_ok "$1: wanted /$2/, got: $out"
    fi
}
err_has() {
    if grep -Eq -- "$2" <<<"$err"; then
        ok "$1"
    else
        not_ok "$1: wanted /$2/ on stderr, got: $err"
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

# http_get PATH: the body of a GET to fakeapi (bash's /dev/tcp, no curl)
http_get() {
    local resp
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' \
        "$1" >&3
    resp=$(cat <&3)
    exec 3<&-
    printf '%s\n' "${resp#*$'\r\n\r\n'}"
}

# http_post PATH BODY: POST BODY (JSON) to fakeapi; prints the status line
http_post() {
    local resp
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'POST %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
        "$1" "${#2}" "$2" >&3
    resp=$(cat <&3)
    exec 3<&-
    printf '%s\n' "${resp%%$'\r'*}"
}

# wait_watches N: until fakeapi has at least N watch streams open (30 s)
wait_watches() {
    local n
    for _ in $(seq 1 600); do
        n=$(http_get /fakeapi/v1/state | sed -n 's/.*"watches": *\([0-9]*\).*/\1/p')
        if [ -n "$n" ] && [ "$n" -ge "$1" ]; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# ---- fixtures ----

# Pods as the API server stores them (defaulted spec), seeded Running;
# svc-idle is Pending; svc-bad carries an annotation that does not decode.
pod() { # NAME PHASE [EXTRA-METADATA]
    cat <<JSON
{"apiVersion":"v1","kind":"Pod",
 "metadata":{"name":"$1","namespace":"default"${3:+,$3}},
 "spec":{"containers":[{"name":"c","image":"busybox",
   "imagePullPolicy":"Always","terminationMessagePath":"/dev/termination-log",
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
 "status":{"phase":"$2","qosClass":"BestEffort"}}
JSON
}
{
    echo '{"apiVersion":"v1","kind":"PodList","items":['
    pod svc-a Running
    echo ','
    pod svc-b Running
    echo ','
    pod svc-idle Pending
    echo ','
    pod svc-bad Running '"labels":{"micro.mu/type":"service","micro.mu/selector-broken":"service"},"annotations":{"micro.mu/service-broken":"{not json"}'
    echo ']}'
} >"$work/pods.json"

# go-micro v2 JSON exactly as Go writes it: what kreg prints back
node_a='{"id":"greeter-a","address":"10.0.0.1:8080","metadata":{"protocol":"mucp"}}'
node_b='{"id":"greeter-b","address":"10.0.0.2:8080","metadata":{"protocol":"mucp"}}'
greeter_a='{"name":"greeter","version":"latest","metadata":null,"endpoints":[],"nodes":['$node_a']}'
greeter_b='{"name":"greeter","version":"latest","metadata":null,"endpoints":[],"nodes":['$node_b']}'
greeter_ab='{"name":"greeter","version":"latest","metadata":null,"endpoints":[],"nodes":['$node_a','$node_b']}'
echo "$greeter_a" >"$work/greeter-a.json"
echo "$greeter_b" >"$work/greeter-b.json"
# a different member order and whitespace read the same
cat >"$work/cart.json" <<'JSON'
{ "nodes": [ {"address": "[fd00::7]:9000", "id": "n1", "metadata": null} ],
  "endpoints": null, "version": "1.2.0", "name": "shop.cart",
  "metadata": {"team": "a&b", "desc": "<cart>"} }
JSON
cart='{"name":"shop.cart","version":"1.2.0","metadata":{"desc":"\u003ccart\u003e","team":"a\u0026b"},"endpoints":null,"nodes":[{"id":"n1","address":"[fd00::7]:9000","metadata":null}]}'
echo '{"name":"lonely","version":"1","nodes":[{"id":"l1","address":"10.0.0.9:1"}]}' >"$work/lonely.json"
watched1='{"name":"watched","version":"1.0","metadata":null,"endpoints":null,"nodes":[{"id":"w1","address":"10.0.0.5:80","metadata":null}]}'
watched2='{"name":"watched","version":"2.0","metadata":null,"endpoints":null,"nodes":[{"id":"w1","address":"10.0.0.5:80","metadata":null}]}'
echo "$watched1" >"$work/watched1.json"
cached1='{"name":"cached","version":"1","metadata":null,"endpoints":null,"nodes":[{"id":"c1","address":"10.0.0.6:80","metadata":null}]}'
cached2='{"name":"cached","version":"2","metadata":null,"endpoints":null,"nodes":[{"id":"c1","address":"10.0.0.6:80","metadata":null}]}'
echo "$cached1" >"$work/cached1.json"
echo "$cached2" >"$work/cached2.json"
echo "$watched2" >"$work/watched2.json"
echo '{"name":"greeter","nodes":[{"id":"x","port":"80"}]}' >"$work/badtype.json"
printf '{"name":"greeter",\n "nodes":[}\n' >"$work/badsyntax.json"
echo '{"name":"nonodes","version":"1"}' >"$work/nonodes.json"

kc=$work/kubeconfig
"$fakeapi_bin" --write-kubeconfig "$kc" --seed "$work/pods.json" \
    >"$work/server.out" 2>&1 &
server_pid=$!
wait_for "$work/server.out" '^fakeapi listening on ' || {
    echo "fakeapi did not start"; cat "$work/server.out"; exit 1; }
url=$(sed -n 's/^fakeapi listening on //p' "$work/server.out")
port=${url##*:}

# ---- help and usage errors (exit 2) ----

expect "--help" 0 --help
out_has "--help lists the commands" '^  register FILE\|-'
out_has "--help lists the exit codes" '3 service not found'
for c in register deregister get list watch; do
    expect "$c --help" 0 "$c" --help
    out_has "$c --help is its usage" "^usage: kreg \\[OPTIONS\\] $c"
done
expect "--help before the command" 0 -h get
out_has "-h get is get's help" '^usage: kreg \[OPTIONS\] get NAME'
expect "help watch" 0 help watch
out_has "help watch is watch's help" '^usage: kreg \[OPTIONS\] watch'
expect "no command" 2
err_has "no command says so" "^kreg: no command given"
expect "unknown command" 2 frobnicate
err_has "unknown command is named" "unknown command 'frobnicate'"
expect "unknown option" 2 --bogus list
err_has "unknown option is named" "unknown option '--bogus'"
expect "-o yaml" 2 -o yaml list
expect "--kubeconfig without a value" 2 list --kubeconfig
expect "get without NAME" 2 --kubeconfig "$kc" get
err_has "get without NAME names the argument" "get: expected NAME"
expect "get with two names" 2 --kubeconfig "$kc" get a b
expect "list with an argument" 2 --kubeconfig "$kc" list extra
expect "register without FILE" 2 register
expect "help for an unknown command" 2 help frobnicate

# ---- errors (exit 1) ----

expect "missing kubeconfig" 1 --kubeconfig "$work/nope.yaml" list
err_has "missing kubeconfig is named" 'nope\.yaml'
expect "unreachable server" 1 --server http://127.0.0.1:1 list
expect "missing service file" 1 --kubeconfig "$kc" --pod svc-a \
    register "$work/nope.json"
err_has "missing file is named" 'nope\.json: No such file'
expect "malformed service: wrong type" 1 --kubeconfig "$kc" --pod svc-a \
    register "$work/badtype.json"
err_has "wrong type says what and where" \
    'badtype\.json: service json: nodes\[0\]\.port: expected number, got string'
expect "malformed service: syntax" 1 --kubeconfig "$kc" --pod svc-a \
    register "$work/badsyntax.json"
err_has "syntax error says where" 'badsyntax\.json: .*offset [0-9]+'
expect "service without nodes" 1 --kubeconfig "$kc" --pod svc-a \
    register "$work/nonodes.json"
err_has "service without nodes says so" 'at least one node'
expect "register on a missing pod" 1 --kubeconfig "$kc" --pod nosuch \
    register "$work/greeter-a.json"
err_has "missing pod is named" 'pod "nosuch" not found'
err_has "the refusal says the API server answered it" \
    'pod "nosuch" not found in namespace "default" \(HTTP 404 NotFound\)$'
expect "register without a pod name" 1 --kubeconfig "$kc" \
    register "$work/greeter-a.json"
expect "deregister on a missing pod" 1 --kubeconfig "$kc" --pod nosuch \
    deregister greeter
expect "deregister an empty name" 1 --kubeconfig "$kc" --pod svc-a \
    deregister ''
err_has "an empty name is shown quoted" '^kreg: deregister "": service name: '

# ---- register, get, list ----

expect "get before register is not found" 3 --kubeconfig "$kc" get greeter
err_has "not found names the service" 'service "greeter" not found'
expect "register from a file" 0 --kubeconfig "$kc" --pod svc-a \
    register "$work/greeter-a.json"
out_is "register confirms" "registered greeter latest"
stdin=$work/greeter-b.json
expect "register from stdin, options after the command" 0 \
    register - --kubeconfig "$kc" --pod=svc-b
stdin=$work/cart.json
expect "register a second service from stdin" 0 --kubeconfig "$kc" \
    --pod svc-b register -
out_is "register confirms the second" "registered shop.cart 1.2.0"
expect "register on a Pending pod" 0 --kubeconfig "$kc" --pod svc-idle \
    register "$work/lonely.json"

expect "get -o json" 0 --kubeconfig "$kc" get greeter -o json
out_is "get -o json: one version, nodes merged in pod order" "[$greeter_ab]"
expect "get --output=json" 0 --kubeconfig="$kc" --output=json get shop.cart
out_is "get re-encodes as go-micro does" "[$cart]"
expect "get -ojson -n default" 0 -ojson -n default --kubeconfig "$kc" \
    get greeter
out_is "get -ojson -n default: same array" "[$greeter_ab]"
expect "get -o table" 0 --kubeconfig "$kc" -o table get greeter
out_has "get table header" '^NAME +VERSION +NODE +ADDRESS$'
out_has "get table row a" '^greeter +latest +greeter-a +10\.0\.0\.1:8080$'
out_has "get table row b" '^greeter +latest +greeter-b +10\.0\.0\.2:8080$'
expect "get defaults to a table" 0 --kubeconfig "$kc" get shop.cart
out_has "get table IPv6 row" '^shop\.cart +1\.2\.0 +n1 +\[fd00::7\]:9000$'
expect "get a service only on a Pending pod" 3 --kubeconfig "$kc" get lonely
err_has "no running instance" 'service "lonely" has no running instance'
expect "get an unknown service" 3 --kubeconfig "$kc" get nosuch
expect "get with --server" 0 --server "$url" get greeter -o json
out_is "get with --server: same array" "[$greeter_ab]"

kreg_run --kubeconfig "$kc" list -o json
vg_check "list -o json"
if [ "$rc" -eq 0 ]; then ok "list -o json exits 0"; else not_ok "list -o json: exit $rc: $err"; fi
out_is "list -o json: names once each, sorted" \
    '[{"name":"greeter"},{"name":"shop.cart"}]'
err_has "list warns about the bad annotation" \
    '^kreg: warning: pod svc-bad: micro\.mu/service-broken skipped: '
kreg_run --kubeconfig "$kc" list
vg_check "list"
out_has "list table header" '^NAME +VERSION +NODES$'
out_has "list table greeter" '^greeter +latest +2$'
out_has "list table shop.cart" '^shop\.cart +1\.2\.0 +1$'

# ---- watch ----

"${vg[@]}" "$kreg_bin" --kubeconfig "$kc" watch \
    >"$work/watch.out" 2>"$work/watch.err" &
watch_all=$!
watch_pids+=("$watch_all")
"${vg[@]}" "$kreg_bin" watch watched -o table --kubeconfig "$kc" \
    >"$work/watch1.out" 2>"$work/watch1.err" &
watch_one=$!
watch_pids+=("$watch_one")
if wait_watches 2; then
    ok "watch: both streams open"
else
    not_ok "watch: streams did not open: $(cat "$work"/watch*.err)"
fi
expect "register while watching" 0 --kubeconfig "$kc" --pod svc-b \
    register "$work/watched1.json"
if wait_for "$work/watch.out" '"action":"create"'; then
    ok "watch: a register on another pod shows as create"
else
    not_ok "watch: no create line: $(cat "$work/watch.out" "$work/watch.err")"
fi
expect "re-register a new version while watching" 0 --kubeconfig "$kc" \
    --pod svc-b register "$work/watched2.json"
wait_for "$work/watch.out" '"action":"update"' || true
expect "deregister while watching" 0 --kubeconfig "$kc" --pod svc-b \
    deregister "$work/watched2.json"
wait_for "$work/watch.out" '"action":"delete"' || true
wait_for "$work/watch1.out" '^delete ' || true
kill -TERM "$watch_all" "$watch_one"
rc=0
wait "$watch_all" || rc=$?
if [ "$rc" -eq 0 ]; then ok "watch: SIGTERM exits 0"; else not_ok "watch: exit $rc"; fi
rc=0
wait "$watch_one" || rc=$?
if [ "$rc" -eq 0 ]; then ok "watch NAME: SIGTERM exits 0"; else not_ok "watch NAME: exit $rc"; fi
watch_pids=()
vg_check "watch"
want=$(printf '%s\n' \
    "{\"action\":\"create\",\"service\":$watched1}" \
    "{\"action\":\"update\",\"service\":$watched2}" \
    "{\"action\":\"delete\",\"service\":$watched2}")
if [ "$(cat "$work/watch.out")" = "$want" ]; then
    ok "watch: one JSON line per result, in order"
else
    not_ok "watch: got: $(cat "$work/watch.out")"
fi
# the undecodable annotation on svc-bad is reported once, at the start
skipline='kreg: warning: pod svc-bad: micro.mu/service-broken skipped: '
skipline+="service json: offset 1: invalid character 'n' looking for "
skipline+='beginning of object key string'
if [ "$(cat "$work/watch.err")" = "$skipline" ]; then
    ok "watch: the skipped annotation is reported once on stderr"
else
    not_ok "watch: stderr: $(cat "$work/watch.err")"
fi
if [ ! -s "$work/watch1.err" ]; then
    ok "watch NAME: nothing on stderr"
else
    not_ok "watch NAME: stderr: $(cat "$work/watch1.err")"
fi
out=$(cat "$work/watch1.out")
out_has "watch -o table header" '^ACTION +NAME +VERSION +POD$'
out_has "watch -o table create" '^create +watched +1\.0 +svc-b$'
out_has "watch -o table update" '^update +watched +2\.0 +svc-b$'
out_has "watch -o table delete" '^delete +watched +2\.0 +svc-b$'
if [ "$(wc -l <"$work/watch1.out")" -eq 4 ]; then
    ok "watch NAME sees only its service"
else
    not_ok "watch NAME: got: $out"
fi
expect "watch on a missing kubeconfig" 1 --kubeconfig "$work/nope.yaml" watch

# ---- get --watch ----

expect "--count without --watch" 2 --kubeconfig "$kc" get cached --count 2
err_has "--count without --watch says so" 'get: --count needs --watch'
expect "--watch on list" 2 --kubeconfig "$kc" list --watch
expect "--count 0" 2 --kubeconfig "$kc" get cached -w --count 0
"${vg[@]}" "$kreg_bin" --kubeconfig "$kc" get cached --watch -o json \
    >"$work/getw.out" 2>"$work/getw.err" &
getw=$!
watch_pids+=("$getw")
"${vg[@]}" "$kreg_bin" -w --count 2 -o json --kubeconfig "$kc" get cached \
    >"$work/getc.out" 2>"$work/getc.err" &
getc=$!
watch_pids+=("$getc")
# the first answer (no such service yet) is printed once the cache is
# listed: a change after it is a change to the cache
if wait_for "$work/getw.out" '^\[\]$' && wait_for "$work/getc.out" '^\[\]$'; then
    ok "get --watch: the first answer"
else
    not_ok "get --watch: no first answer: $(cat "$work"/get?.err)"
fi
expect "register while get --watch" 0 --kubeconfig "$kc" --pod svc-a \
    register "$work/cached1.json"
wait_for "$work/getw.out" '"version":"1"' || true
wait_for "$work/getc.out" '"version":"1"' || true
# it ends by itself after its second answer (bounded: 30 s, for valgrind)
for _ in $(seq 1 600); do
    kill -0 "$getc" 2>/dev/null || break
    sleep 0.05
done
if kill -0 "$getc" 2>/dev/null; then
    not_ok "get --watch --count 2: still running: $(cat "$work/getc.err")"
    kill -TERM "$getc"
fi
rc=0
wait "$getc" || rc=$?
if [ "$rc" -eq 0 ]; then ok "get --watch --count 2: exits 0 after two answers"; else not_ok "get --watch --count 2: exit $rc"; fi
if [ "$(cat "$work/getc.out")" = "$(printf '[]\n[%s]' "$cached1")" ]; then
    ok "get --watch --count 2: the answer before and after the register"
else
    not_ok "get --watch --count 2: got: $(cat "$work/getc.out")"
fi
expect "re-register while get --watch" 0 --kubeconfig "$kc" --pod svc-a \
    register "$work/cached2.json"
wait_for "$work/getw.out" '"version":"2"' || true
# a change of another service on the same pod is no news
expect "register another service beside it" 0 --kubeconfig "$kc" \
    --pod svc-a register "$work/lonely.json"
expect "deregister while get --watch" 0 --kubeconfig "$kc" --pod svc-a \
    deregister cached
# the fourth answer: none again (bounded: 30 s, for valgrind)
for _ in $(seq 1 600); do
    [ "$(grep -c . "$work/getw.out")" -ge 4 ] && break
    sleep 0.05
done
kill -TERM "$getw"
rc=0
wait "$getw" || rc=$?
watch_pids=()
if [ "$rc" -eq 0 ]; then ok "get --watch: SIGTERM exits 0"; else not_ok "get --watch: exit $rc"; fi
vg_check "get --watch"
want=$(printf '%s\n' "[]" "[$cached1]" "[$cached2]" "[]")
if [ "$(cat "$work/getw.out")" = "$want" ]; then
    ok "get --watch: one JSON array per answer, printed when it changed"
else
    not_ok "get --watch: got: $(cat "$work/getw.out")"
fi
if [ "$(grep -c 'warning: service "cached" not found' "$work/getw.err")" -eq 2 ]; then
    ok "get --watch: no instance is a warning"
else
    not_ok "get --watch: stderr: $(cat "$work/getw.err")"
fi
expect "deregister the other service" 0 --kubeconfig "$kc" --pod svc-a \
    deregister lonely

# ---- deregister ----

expect "deregister by NAME" 0 --kubeconfig "$kc" --pod svc-b \
    deregister greeter
out_is "deregister by NAME confirms" "deregistered greeter"
expect "get after deregister by NAME" 0 --kubeconfig "$kc" -o json get greeter
out_is "only pod a's node is left" "[$greeter_a]"
# a program (or any file that is not a JSON object) called like the
# service does not get in the way; a broken JSON file is still an error
mkdir -p "$work/amb"
printf '\177ELF, a program called greeter' >"$work/amb/greeter"
printf '{"name": "greeter", nodes' >"$work/amb/broken.json"
pushd "$work/amb" >/dev/null
expect "deregister NAME beside a program called NAME" 0 --kubeconfig "$kc" \
    --pod svc-b deregister greeter
out_is "the program's name is the service name" "deregistered greeter"
expect "deregister a broken JSON file" 1 --kubeconfig "$kc" --pod svc-b \
    deregister broken.json
err_has "the broken file is named, with where" '^kreg: broken\.json: .*offset'
popd >/dev/null
expect "deregister by FILE" 0 --kubeconfig "$kc" --pod svc-a \
    deregister "$work/greeter-a.json"
out_is "deregister by FILE confirms" "deregistered greeter latest"
expect "get after deregister by FILE is not found" 3 --kubeconfig "$kc" \
    get greeter
expect "register again" 0 --kubeconfig "$kc" --pod svc-a \
    register "$work/greeter-a.json"
expect "deregister from a pipe" 0 --kubeconfig "$kc" --pod svc-a \
    deregister <(cat "$work/greeter-a.json")
out_is "a pipe is read as service JSON" "deregistered greeter latest"
expect "get after deregister from a pipe is not found" 3 --kubeconfig "$kc" \
    get greeter
stdin=$work/cart.json
expect "deregister from stdin" 0 --kubeconfig "$kc" --pod svc-b deregister -
expect "deregister what is not registered" 0 --kubeconfig "$kc" --pod svc-b \
    deregister shop.cart
kreg_run --kubeconfig "$kc" -o json list
vg_check "list after deregister"
out_is "list after deregister: nothing running" '[]'

# ---- --metrics ----

# prom_ok NAME FILE: FILE is Prometheus text format: every line a HELP or
# TYPE line or a sample (name, optional labels with escaped values, a
# number), a HELP and a TYPE before each family's samples; the C tests
# read it strictly (registry/tests/prom.h)
prom_ok() {
    local bad
    bad=$(awk '
        /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* / { help[$3] = 1; next }
        /^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge)$/ {
            if (!help[$3]) { print "TYPE before HELP: " $0 }
            type[$3] = 1; next }
        /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? -?[0-9][0-9.]*$/ {
            name = $0; sub(/[{ ].*/, "", name)
            if (!type[name]) { print "no TYPE: " $0 }
            next }
        { print "not exposition format: " $0 }' "$2")
    if [ -z "$bad" ] && [ -s "$2" ]; then
        ok "$1"
    else
        not_ok "$1: $bad"
    fi
}

expect "--help lists --metrics" 0 --help
out_has "--help lists --metrics" '^  --metrics FILE\|-'
kreg_run --kubeconfig "$kc" --pod svc-a register "$work/greeter-a.json" \
    --metrics -
vg_check "register --metrics -"
if [ "$rc" -eq 0 ] && [ -z "$err" ]; then ok "register --metrics -: exit 0"; else not_ok "register --metrics -: exit $rc: $err"; fi
out_has "register --metrics -: the confirmation first" \
    '^registered greeter latest$'
out_has "register --metrics -: one PATCH answered 200" \
    '^kreg_requests_total\{verb="PATCH",code="200"\} 1$'
out_has "register --metrics -: counters are typed" \
    '^# TYPE kreg_retries_total counter$'
out_has "register --metrics -: the namespace" \
    '^kreg_info\{version="[0-9.]+",namespace="default"\} 1$'
sed '1d' "$work/out" >"$work/register.prom"
prom_ok "register --metrics -: exposition format" "$work/register.prom"

expect "get --metrics FILE" 0 --kubeconfig "$kc" get greeter -o json \
    --metrics "$work/get.prom"
out_is "get --metrics FILE: stdout is the answer alone" "[$greeter_a]"
prom_ok "get --metrics FILE: exposition format" "$work/get.prom"
if grep -q '^kreg_requests_total{verb="GET",code="200"} 1$' "$work/get.prom" &&
    [ "$(grep -c '^kreg_requests_total' "$work/get.prom")" -eq 1 ]; then
    ok "get --metrics FILE: one GET answered 200, nothing else"
else
    not_ok "get --metrics FILE: $(cat "$work/get.prom")"
fi
if [ ! -e "$work/get.prom.tmp" ]; then ok "get --metrics FILE: no FILE.tmp left"; else not_ok "get --metrics FILE: FILE.tmp left"; fi

kreg_run --kubeconfig "$kc" get nosuch --metrics "$work/nosuch.prom"
vg_check "get nosuch --metrics FILE"
if [ "$rc" -eq 3 ]; then ok "get nosuch --metrics FILE: exit 3"; else not_ok "get nosuch --metrics FILE: exit $rc"; fi
# not found takes a second list, for any pod of any phase
if grep -q '^kreg_requests_total{verb="GET",code="200"} 2$' \
    "$work/nosuch.prom"; then
    ok "get nosuch --metrics FILE: written on failure too"
else
    not_ok "get nosuch --metrics FILE: $(cat "$work/nosuch.prom" 2>&1)"
fi
kreg_run --kubeconfig "$kc" get greeter --metrics "$work/nodir/m.prom"
vg_check "get --metrics in a missing folder"
if [ "$rc" -eq 1 ]; then ok "--metrics in a missing folder: exit 1"; else not_ok "--metrics in a missing folder: exit $rc"; fi
err_has "--metrics in a missing folder: the file is named" \
    '^kreg: metrics: .*/nodir/m\.prom\.tmp: No such file or directory$'
kreg_run --kubeconfig "$kc" list --metrics
if [ "$rc" -eq 2 ]; then ok "--metrics without a value: exit 2"; else not_ok "--metrics without a value: exit $rc"; fi

# get --watch rewrites FILE on each change: its cache's gauges too
"${vg[@]}" "$kreg_bin" --kubeconfig "$kc" get metered --watch -o json \
    --metrics "$work/getw.prom" >"$work/getm.out" 2>"$work/getm.err" &
getm=$!
watch_pids+=("$getm")
# svc-bad (a selector label) and svc-idle (lonely, Pending) are held;
# greeter is the one service with an instance
if wait_for "$work/getw.prom" '^kreg_cache_services 1$' &&
    grep -q '^kreg_cache_pods 3$' "$work/getw.prom" &&
    grep -q '^kreg_cache_age_seconds [0-9]*\.[0-9][0-9][0-9]$' \
        "$work/getw.prom"; then
    ok "get --watch --metrics FILE: the cache's gauges"
else
    not_ok "get --watch --metrics FILE: $(cat "$work/getw.prom" "$work/getm.err" 2>&1)"
fi
echo '{"name":"metered","version":"1","nodes":[{"id":"m1","address":"10.0.0.7:80"}]}' \
    >"$work/metered.json"
expect "register while get --watch --metrics" 0 --kubeconfig "$kc" \
    --pod svc-b register "$work/metered.json"
if wait_for "$work/getw.prom" '^kreg_cache_services 2$' &&
    grep -q '^kreg_cache_pods 4$' "$work/getw.prom"; then
    ok "get --watch --metrics FILE: rewritten after the change"
else
    not_ok "get --watch --metrics FILE: $(cat "$work/getw.prom")"
fi
prom_ok "get --watch --metrics FILE: exposition format" "$work/getw.prom"
kill -TERM "$getm"
rc=0
wait "$getm" || rc=$?
watch_pids=()
vg_check "get --watch --metrics"
if [ "$rc" -eq 0 ]; then ok "get --watch --metrics FILE: SIGTERM exits 0"; else not_ok "get --watch --metrics FILE: exit $rc: $(cat "$work/getm.err")"; fi
if grep -q '^kreg_requests_total{verb="GET",code="200"} 1$' "$work/getw.prom" &&
    [ ! -e "$work/getw.prom.tmp" ]; then
    ok "get --watch --metrics FILE: the last one, one list"
else
    not_ok "get --watch --metrics FILE: $(cat "$work/getw.prom")"
fi

# watch: the stream counts when it ends, in the file written at the end
"${vg[@]}" "$kreg_bin" --kubeconfig "$kc" watch metered \
    --metrics "$work/watch.prom" >"$work/watchm.out" 2>"$work/watchm.err" &
watchm=$!
watch_pids+=("$watchm")
wait_watches 1 || true
expect "deregister while watch --metrics" 0 --kubeconfig "$kc" \
    --pod svc-b deregister metered
wait_for "$work/watch.prom" '^kreg_requests_total\{verb="GET",code="200"\} 1$' ||
    true
kill -TERM "$watchm"
rc=0
wait "$watchm" || rc=$?
watch_pids=()
vg_check "watch --metrics"
if [ "$rc" -eq 0 ] &&
    grep -q '^kreg_requests_total{verb="WATCH",code="200"} 1$' \
        "$work/watch.prom" &&
    grep -q '^kreg_watch_reconnects_total 0$' "$work/watch.prom"; then
    ok "watch --metrics FILE: one list, one stream, no reconnect"
else
    not_ok "watch --metrics FILE: exit $rc: $(cat "$work/watch.prom" "$work/watchm.err" 2>&1)"
fi
prom_ok "watch --metrics FILE: exposition format" "$work/watch.prom"
expect "deregister greeter again" 0 --kubeconfig "$kc" --pod svc-a \
    deregister greeter

# ---- namespaces ----

# registration stays in the own namespace (-n); discovery looks in
# --namespaces a,b or everywhere (-A), merging a service across them
expect "--namespaces on register" 2 --kubeconfig "$kc" --pod svc-a \
    --namespaces shop register "$work/greeter-a.json"
err_has "--namespaces on register says why" \
    'register: --namespaces and --all-namespaces are for get, list and watch'
expect "-A on deregister" 2 --kubeconfig "$kc" --pod svc-a -A deregister x
expect "--namespaces with -A" 2 --kubeconfig "$kc" get x --namespaces a -A
expect "--namespaces with an empty name" 2 --kubeconfig "$kc" get x \
    --namespaces a,,b
expect "--namespaces with a bad name" 1 --kubeconfig "$kc" get x \
    --namespaces shop,Bad_NS
err_has "a bad namespace is named" 'namespace "Bad_NS" is not a valid'
seeded=$(http_post /fakeapi/v1/seed "$(pod svc-s Running |
    sed 's/"namespace":"default"/"namespace":"shop"/' | tr -d '\n')")
if [[ $seeded == *" 200 "* ]]; then ok "seed a pod in shop"; else not_ok "seed: $seeded"; fi
spread_d='{"name":"spread","version":"1","nodes":[{"id":"d1","address":"10.0.1.1:80"}]}'
spread_s='{"name":"spread","version":"1","nodes":[{"id":"s1","address":"10.0.2.1:80"}]}'
spread_s2='{"name":"spread","version":"2","nodes":[{"id":"s1","address":"10.0.2.1:80"}]}'
echo "$spread_d" >"$work/spread-d.json"
echo "$spread_s" >"$work/spread-s.json"
echo "$spread_s2" >"$work/spread-s2.json"
expect "register in default" 0 --kubeconfig "$kc" --pod svc-a \
    register "$work/spread-d.json"
expect "register in shop (-n)" 0 --kubeconfig "$kc" -n shop --pod svc-s \
    register "$work/spread-s.json"
node_d='{"id":"d1","address":"10.0.1.1:80","metadata":null}'
node_s='{"id":"s1","address":"10.0.2.1:80","metadata":null}'
expect "get in the own namespace" 0 --kubeconfig "$kc" get spread -o json
out_is "get: the own namespace's node" \
    "[{\"name\":\"spread\",\"version\":\"1\",\"metadata\":null,\"endpoints\":null,\"nodes\":[$node_d]}]"
both="[{\"name\":\"spread\",\"version\":\"1\",\"metadata\":null,\"endpoints\":null,\"nodes\":[$node_d,$node_s]}]"
expect "get --namespaces" 0 --kubeconfig "$kc" get spread -o json \
    --namespaces shop,default
out_is "get --namespaces: one service, nodes in namespace/pod order" "$both"
expect "get -A" 0 --kubeconfig "$kc" -A get spread -o json
out_is "get -A: the same" "$both"
expect "get --namespaces shop" 0 --kubeconfig "$kc" get spread \
    --namespaces=shop
out_has "get --namespaces shop: only shop's node" '^spread +1 +s1 +10\.0\.2\.1:80$'
kreg_run --kubeconfig "$kc" list --all-namespaces
vg_check "list --all-namespaces"
if [ "$rc" -eq 0 ]; then ok "list --all-namespaces"; else not_ok "list -A: exit $rc: $err"; fi
out_has "list -A: one row, both nodes" '^spread +1 +2$'
err_has "list -A: a skipped annotation names namespace/pod" \
    '^kreg: warning: pod default/svc-bad: micro.mu/service-broken skipped'
"${vg[@]}" "$kreg_bin" --kubeconfig "$kc" watch spread --namespaces shop \
    -o table >"$work/watchns.out" 2>"$work/watchns.err" &
watchns=$!
watch_pids+=("$watchns")
wait_watches 1 || true
expect "register a new version in default" 0 --kubeconfig "$kc" --pod svc-a \
    register "$work/spread-s2.json"
expect "register a new version in shop" 0 --kubeconfig "$kc" -n shop \
    --pod svc-s register "$work/spread-s2.json"
wait_for "$work/watchns.out" '^update ' || true
kill -TERM "$watchns"
rc=0
wait "$watchns" || rc=$?
watch_pids=()
vg_check "watch --namespaces"
out=$(cat "$work/watchns.out")
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$work/watchns.out")" -eq 2 ]; then
    out_has "watch --namespaces: shop's change, pod as namespace/pod" \
        '^update +spread +2 +shop/svc-s$'
else
    not_ok "watch --namespaces: exit $rc: $out $(cat "$work/watchns.err")"
fi
# a user whom RBAC lets list pods in default and shop only (fakeapi's
# RoleBindings): -A is refused at the cluster scope, a watch in its
# namespaces when the stream asks (docs/rbac.md)
added=$(http_post /fakeapi/v1/users '{"token":"ns-lister","name":"kreg-ns","verbs":["list"],"namespaces":["default","shop"]}')
if [[ $added == *" 200 "* ]]; then ok "add a namespaced user"; else not_ok "user: $added"; fi
expect "a namespaced user gets in its namespaces" 0 --kubeconfig "$kc" \
    --token ns-lister get spread --namespaces default,shop
expect "a namespaced user cannot -A" 1 --kubeconfig "$kc" \
    --token ns-lister -A get spread
err_has "the 403 names the verb and the cluster scope" \
    '^kreg: get: list pods cluster-wide: pods is forbidden: User "kreg-ns" cannot list resource "pods" in API group "" at the cluster scope'
expect "a namespaced user cannot list elsewhere" 1 --kubeconfig "$kc" \
    --token ns-lister list --namespaces default,other
err_has "the 403 names the verb and the namespace" \
    '^kreg: list: list pods in namespace "other": pods is forbidden: .* in the namespace "other"'
kreg_run --kubeconfig "$kc" --token ns-lister get spread --watch \
    --namespaces default,shop
vg_check "get --watch refused its watch"
if [ "$rc" -eq 1 ] && grep -q '^kreg: get: watch pods in namespace "[a-z]*": pods is forbidden: .*cannot watch' "$work/err"; then
    ok "get --watch: a watch refused in a namespace ends it, exit 1, naming it"
else
    not_ok "get --watch refused: exit $rc: $err"
fi
expect "deregister spread in shop" 0 --kubeconfig "$kc" -n shop --pod svc-s \
    deregister spread
expect "deregister spread in default" 0 --kubeconfig "$kc" --pod svc-a \
    deregister spread

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
