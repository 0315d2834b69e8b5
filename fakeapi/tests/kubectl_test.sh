#!/usr/bin/env bash
# Drive kubectl against a standalone fakeapi with only the kubeconfig it
# writes, or against a real API server, with the same assertions: every
# command issue 3 lists, checking what kubectl prints.
#
# Usage: kubectl_test.sh [--kubectl PATH | --debian-kubectl] FAKEAPI_BINARY
#        kubectl_test.sh [--kubectl PATH | --debian-kubectl] \
#                        --kubeconfig FILE [--context NAME]
#   --kubectl PATH    the kubectl to drive (default: $KREG_KUBECTL, which
#                     ci/test.sh sets to the kubectl built with the real
#                     control plane, else the one on PATH); one
#                     older than 1.24 (no --subresource) sets the status
#                     with a PUT through `replace --raw` instead
#   --debian-kubectl  Debian 12's kubectl 1.20 (ci/debian-kubectl.sh)
#   --kubeconfig F    a real server: the test works in namespaces of its
#                     own, made fresh and deleted at the end (waiting,
#                     bounded, for kube-controller-manager to finish);
#                     FILE is copied, never changed
# Exit 77 (ctest: skipped) when the kubectl cannot be had; CI installs it,
# and with CI set a skip is a failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage="usage: kubectl_test.sh [--kubectl PATH | --debian-kubectl] \
{FAKEAPI_BINARY | --kubeconfig FILE [--context NAME]}"
bin=
real_kc=
context=
kubectl=${KREG_KUBECTL:-kubectl}
debian=0
while [ $# -gt 0 ]; do
    case $1 in
    --kubectl) kubectl=${2:?$usage} && shift ;;
    --debian-kubectl) debian=1 ;;
    --kubeconfig) real_kc=${2:?$usage} && shift ;;
    --context) context=${2:?$usage} && shift ;;
    -*) echo "$usage" >&2 && exit 2 ;;
    *) bin=$1 ;;
    esac
    shift
done
if [ -n "$bin" ] && [ -n "$real_kc" ] || [ -z "$bin$real_kc" ]; then
    echo "$usage" >&2
    exit 2
fi

skip() {
    echo "SKIP: $*"
    # in CI the clients are installed, so a skip there is a failure
    [ -n "${CI:-}" ] && exit 1
    exit 77
}

if [ "$debian" -eq 1 ]; then
    kubectl=$(bash "$here/../../ci/debian-kubectl.sh") ||
        skip "Debian's kubectl 1.20 cannot be had (ci/debian-kubectl.sh)"
fi
if ! command -v "$kubectl" >/dev/null 2>&1; then
    skip "$kubectl is not installed (ci/install-deps.sh installs kubectl)"
fi
kubectl=$(command -v "$kubectl")
minor=$("$kubectl" version --client -o json 2>/dev/null |
    sed -n 's/^ *"minor": *"\([0-9]*\).*/\1/p')
minor=${minor:-0}
echo "# $("$kubectl" version --client 2>/dev/null | head -n 1)"

work=$(mktemp -d)
server_pid=
ns=
ns2=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    stop_server
    # a run cut short still leaves no namespace behind on a real server
    if [ -n "$real_kc" ] && [ -n "$ns" ]; then
        "$kubectl" delete namespace "$ns" "$ns2" --ignore-not-found \
            --wait=false >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# kubectl caches discovery under $HOME/.kube/cache: keep it private
export HOME=$work
export KUBECONFIG=$work/kubeconfig
fails=0
passes=0
skips=0

ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { fails=$((fails + 1)); echo "not ok - $*"; }
# skip_case NAME WHY: a case this server cannot pass yet (never on a real
# server: ci/realapi-tests.sh fails a run that skips)
skip_case() { skips=$((skips + 1)); echo "ok - $1 # SKIP $2"; }

k() { "$kubectl" "$@"; }

# expect NAME COMMAND...: run, and require exit 0
expect() {
    local name=$1
    shift
    if out=$("$@" 2>&1); then
        ok "$name"
    else
        not_ok "$name: $out"
    fi
}

# expect_out NAME REGEX COMMAND...: exit 0 and output matching REGEX
expect_out() {
    local name=$1 re=$2
    shift 2
    if out=$("$@" 2>&1) && grep -Eq -- "$re" <<<"$out"; then
        ok "$name"
    else
        not_ok "$name: wanted /$re/, got: $out"
    fi
}

# expect_fail NAME REGEX COMMAND...: non-zero exit, output matching REGEX
expect_fail() {
    local name=$1 re=$2
    shift 2
    if out=$("$@" 2>&1); then
        not_ok "$name: succeeded: $out"
    elif grep -Eq -- "$re" <<<"$out"; then
        ok "$name"
    else
        not_ok "$name: wanted /$re/, got: $out"
    fi
}

# wait_for FILE REGEX: until FILE matches (bounded: 10 s)
wait_for() {
    for _ in $(seq 1 200); do
        if grep -Eq -- "$2" "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# until_ok SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS
until_ok() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# start_fakeapi ARGS...: a fakeapi writing $KUBECONFIG
start_fakeapi() {
    "$bin" --write-kubeconfig "$KUBECONFIG" "$@" >"$work/server.out" 2>&1 &
    server_pid=$!
    wait_for "$work/server.out" '^fakeapi listening on ' || {
        echo "fakeapi did not start"
        cat "$work/server.out"
        exit 1
    }
}

if [ -n "$real_kc" ]; then
    cp "$real_kc" "$KUBECONFIG"
    if [ -n "$context" ]; then
        k config use-context "$context" >/dev/null
    fi
else
    start_fakeapi
fi

# Namespaces of our own, in both modes; the context points at the first.
suffix=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
ns=kreg-kt-$suffix
ns2=kreg-kt2-$suffix
expect_out "create namespace" "^namespace/$ns created" k create namespace "$ns"
k config set-context --current --namespace="$ns" >/dev/null
if [ -n "$real_kc" ]; then
    # the ServiceAccount admission refuses pods until the namespace's
    # `default` ServiceAccount exists (kube-controller-manager makes it)
    if until_ok 60 k get serviceaccount default; then
        ok "the namespace's default ServiceAccount appears"
    else
        not_ok "no default ServiceAccount in $ns within 60 s"
    fi
fi

cat >"$work/pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels: {app: web, tier: frontend}
spec:
  containers:
  - name: c
    image: nginx:1.25
YAML
cat >"$work/pod2.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: db-1
  labels: {app: db}
spec:
  containers:
  - name: c
    image: postgres:16
YAML
cat >"$work/bad.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: bad-1
spec:
  bogus: 1
  containers:
  - name: c
    image: nginx:1.25
YAML

expect_out "create -f" '^pod/web-1 created' k create -f "$work/pod.yaml"
expect_out "create -f second pod" 'created' k create -f "$work/pod2.yaml"
expect_fail "create -f twice is AlreadyExists" 'AlreadyExists' \
    k create -f "$work/pod.yaml"
# kubectl < 1.24 validates against /openapi/v2 itself; later ones ask the
# server to (fieldValidation=Strict)
expect_fail "create -f rejects an unknown field" \
    'unknown field "(spec\.)?bogus"' k create -f "$work/bad.yaml"
expect_out "get shows the pod table" \
    '^NAME +READY +STATUS +RESTARTS +AGE' k get pods
expect_out "get table row" '^web-1 +0/1 +Pending +0 +[0-9]+s' k get pods
expect_out "get -o name" '^pod/web-1$' k get pod web-1 -o name
expect_out "get -o json" '"name": "web-1"' k get pod web-1 -o json
expect_out "get -o yaml" '^  name: web-1$' k get pod web-1 -o yaml
expect_out "get -o jsonpath" '^Pending$' \
    k get pod web-1 -o 'jsonpath={.status.phase}'
expect_out "get -l set-based in" '^pod/web-1$' \
    k get pods -l 'app in (web,cache)' -o name
expect_out "get -l set-based notin" '^pod/db-1$' \
    k get pods -l 'app notin (web),!tier' -o name
expect_fail "get -l malformed is a server error" 'unable to parse requirement|BadRequest|found' \
    k get pods -l 'app in web'
# explain reads /openapi/v2 (from 1.27 on, only when asked to)
explain=(k explain pods.spec.restartPolicy)
if [ "$minor" -ge 27 ]; then
    explain+=(--output=plaintext-openapiv2)
fi
expect_out "explain (OpenAPI v2)" '^FIELD: +restartPolicy +<string>' \
    "${explain[@]}"
expect_out "label" 'labeled' k label pod web-1 env=prod
expect_out "label shows" '^prod$' \
    k get pod web-1 -o 'jsonpath={.metadata.labels.env}'
# kubectl 1.20 says "labeled" for a removal too
expect_out "label key- removes" 'labeled' k label pod web-1 env-
expect_out "label removed" '^$' \
    k get pod web-1 -o 'jsonpath={.metadata.labels.env}'
expect_out "annotate" 'annotated' k annotate pod web-1 note=hello
expect_out "annotate shows" '^hello$' \
    k get pod web-1 -o 'jsonpath={.metadata.annotations.note}'
expect_out "annotate key- removes" 'annotated' k annotate pod web-1 note-
expect_out "annotation removed" '^$' \
    k get pod web-1 -o 'jsonpath={.metadata.annotations.note}'
expect_out "patch --type merge" 'patched' \
    k patch pod web-1 --type merge -p '{"metadata":{"labels":{"m":"1"}}}'
expect_out "patch --type json" 'patched' \
    k patch pod web-1 --type json \
    -p '[{"op":"add","path":"/metadata/labels/j","value":"2"}]'
expect_out "patch --type strategic" 'patched' \
    k patch pod web-1 --type strategic \
    -p '{"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}'
expect_out "patches applied" '^1 2 nginx:1.27$' k get pod web-1 \
    -o 'jsonpath={.metadata.labels.m} {.metadata.labels.j} {.spec.containers[0].image}'
if [ "$minor" -ge 24 ]; then
    expect_out "patch --subresource=status" 'patched' \
        k patch pod web-1 --subresource=status --type merge \
        -p '{"status":{"phase":"Running"}}'
else
    # before --subresource: PUT the pod, its phase changed, to /status
    k get pod web-1 -o json |
        sed 's/"phase": "Pending"/"phase": "Running"/' >"$work/status.json"
    expect_out "replace --raw .../status" '"phase": *"Running"' \
        k replace --raw "/api/v1/namespaces/$ns/pods/web-1/status" \
        -f "$work/status.json"
fi
expect_out "status shows Running" '^web-1 +0/1 +Running ' k get pods
expect_out "--field-selector" '^pod/web-1$' \
    k get pods --field-selector status.phase=Running -o name
expect_out "--field-selector !=" '^pod/db-1$' \
    k get pods --field-selector 'status.phase!=Running' -o name
expect_out "create a second namespace" "namespace/$ns2 created" \
    k create namespace "$ns2"
expect_out "get namespaces table" "^$ns2 +Active +[0-9]+s" \
    k get namespaces
if [ -n "$real_kc" ]; then
    until_ok 60 k get serviceaccount default -n "$ns2" ||
        not_ok "no default ServiceAccount in $ns2 within 60 s"
fi
expect_out "create -n namespace" 'created' \
    k create -f "$work/pod.yaml" -n "$ns2"
# a real server may hold other namespaces' pods: only ours are asserted
expect_out "get -A lists every namespace" "^$ns2 +web-1 " k get pods -A
expect_out "get -A namespace column" '^NAMESPACE +NAME +READY' k get pods -A

# get -w: the table header, then a change shows up as a new line
k get pods -w >"$work/watch.out" 2>&1 &
watch_pid=$!
if wait_for "$work/watch.out" '^db-1 '; then
    k label pod db-1 watched=yes >/dev/null
    k delete pod db-1 >/dev/null
    if wait_for "$work/watch.out" 'db-1 .*(Terminating|Pending)'; then
        ok "get -w streams changes"
    else
        not_ok "get -w: no change seen: $(cat "$work/watch.out")"
    fi
else
    not_ok "get -w: no initial list: $(cat "$work/watch.out")"
fi
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true

expect_out "delete" 'pod "web-1" deleted' k delete pod web-1
expect_fail "get after delete is NotFound" 'NotFound' k get pod web-1
# kubectl waits until the namespace is gone (kube-controller-manager
# empties and finalizes it on a real server)
expect_out "delete namespace" 'deleted' \
    k delete namespace "$ns2" --timeout=120s
# kubectl < 1.2x waits through a watch on the namespace, which fakeapi does
# not serve: it returns while the namespace is still Terminating
ns2_gone() { ! k get namespace "$ns2"; }
until_ok 10 ns2_gone || true
expect_fail "deleted namespace is NotFound" 'NotFound' \
    k get namespace "$ns2"
expect_fail "unknown pod is NotFound" 'pods "nope" not found' \
    k get pod nope

# TLS and a bearer token: the kubeconfig carries the CA data and the
# token, and kubectl needs nothing else. fakeapi is restarted with them;
# a real server's kubeconfig has them already.
if [ -z "$real_kc" ]; then
    fixtures=${KREG_FIXTURES:-$here/../../fixtures}
    stop_server
    start_fakeapi --token s3cret-token --namespace "$ns" \
        --tls-cert "$fixtures/tls/server.crt" \
        --tls-key "$fixtures/tls/server.key" --tls-ca "$fixtures/tls/ca.crt"
    token=s3cret-token
else
    token=$(k config view --raw --minify -o 'jsonpath={.users[0].user.token}')
fi
expect_out "TLS: the server is https" '^https://' \
    k config view --minify -o 'jsonpath={.clusters[0].cluster.server}'
expect_out "TLS + token: get" 'No resources found' k get pods
expect_out "TLS + token: create -f" 'created' k create -f "$work/pod.yaml"
expect_fail "TLS: wrong token is Unauthorized" 'Unauthorized|logged in' \
    k --token wrong get pods
if [ -n "$token" ] && grep -qF -- "$token" "$KUBECONFIG"; then
    ok "kubeconfig carries the token"
else
    not_ok "kubeconfig lacks the token"
fi

if [ -n "$real_kc" ]; then
    expect_out "delete our namespace" 'deleted' \
        k delete namespace "$ns" --timeout=120s
    expect_fail "our namespace is gone" 'NotFound' k get namespace "$ns"
fi

echo "$passes passed, $fails failed, $skips skipped"
[ "$fails" -eq 0 ]
