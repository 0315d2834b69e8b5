#!/usr/bin/env bash
# Drive kubectl against a standalone fakeapi with only the kubeconfig it
# writes: every command issue 3 lists, checking what kubectl prints.
# Usage: kubectl_test.sh FAKEAPI_BINARY
# Exit 77 (ctest: skipped) when kubectl is not installed; CI installs it.
set -euo pipefail

bin=${1:?usage: kubectl_test.sh FAKEAPI_BINARY}
if ! command -v kubectl >/dev/null 2>&1; then
    echo "SKIP: kubectl is not installed (ci/install-deps.sh installs it)"
    # in CI the clients are installed, so a skip there is a failure
    [ -n "${CI:-}" ] && exit 1
    exit 77
fi

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# kubectl caches discovery under $HOME/.kube/cache: keep it private
export HOME=$work
export KUBECONFIG=$work/kubeconfig
fails=0
passes=0

ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { fails=$((fails + 1)); echo "not ok - $*"; }

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

"$bin" --write-kubeconfig "$KUBECONFIG" >"$work/server.out" 2>&1 &
server_pid=$!
wait_for "$work/server.out" '^fakeapi listening on ' || {
    echo "fakeapi did not start"; cat "$work/server.out"; exit 1; }

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

expect_out "create -f" '^pod/web-1 created' kubectl create -f "$work/pod.yaml"
expect_out "create -f second pod" 'created' kubectl create -f "$work/pod2.yaml"
expect_fail "create -f twice is AlreadyExists" 'AlreadyExists' \
    kubectl create -f "$work/pod.yaml"
expect_out "get shows the pod table" \
    '^NAME +READY +STATUS +RESTARTS +AGE' kubectl get pods
expect_out "get table row" '^web-1 +0/1 +Pending +0 +[0-9]+s' kubectl get pods
expect_out "get -o name" '^pod/web-1$' kubectl get pod web-1 -o name
expect_out "get -o json" '"name": "web-1"' kubectl get pod web-1 -o json
expect_out "get -o yaml" '^  name: web-1$' kubectl get pod web-1 -o yaml
expect_out "get -o jsonpath" '^Pending$' \
    kubectl get pod web-1 -o 'jsonpath={.status.phase}'
expect_out "get -l set-based in" '^pod/web-1$' \
    kubectl get pods -l 'app in (web,cache)' -o name
expect_out "get -l set-based notin" '^pod/db-1$' \
    kubectl get pods -l 'app notin (web),!tier' -o name
expect_fail "get -l malformed is a server error" 'unable to parse requirement|BadRequest|found' \
    kubectl get pods -l 'app in web'
expect_out "label" 'labeled' kubectl label pod web-1 env=prod
expect_out "label shows" '^prod$' \
    kubectl get pod web-1 -o 'jsonpath={.metadata.labels.env}'
expect_out "label key- removes" 'unlabeled' kubectl label pod web-1 env-
expect_out "label removed" '^$' \
    kubectl get pod web-1 -o 'jsonpath={.metadata.labels.env}'
expect_out "annotate" 'annotated' kubectl annotate pod web-1 note=hello
expect_out "annotate shows" '^hello$' \
    kubectl get pod web-1 -o 'jsonpath={.metadata.annotations.note}'
expect_out "annotate key- removes" 'annotated' kubectl annotate pod web-1 note-
expect_out "annotation removed" '^$' \
    kubectl get pod web-1 -o 'jsonpath={.metadata.annotations.note}'
expect_out "patch --type merge" 'patched' \
    kubectl patch pod web-1 --type merge -p '{"metadata":{"labels":{"m":"1"}}}'
expect_out "patch --type json" 'patched' \
    kubectl patch pod web-1 --type json \
    -p '[{"op":"add","path":"/metadata/labels/j","value":"2"}]'
expect_out "patch --type strategic" 'patched' \
    kubectl patch pod web-1 --type strategic \
    -p '{"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}'
expect_out "patches applied" '^1 2 nginx:1.27$' kubectl get pod web-1 \
    -o 'jsonpath={.metadata.labels.m} {.metadata.labels.j} {.spec.containers[0].image}'
expect_out "patch --subresource=status" 'patched' \
    kubectl patch pod web-1 --subresource=status --type merge \
    -p '{"status":{"phase":"Running"}}'
expect_out "status shows Running" '^web-1 +0/1 +Running ' kubectl get pods
expect_out "--field-selector" '^pod/web-1$' \
    kubectl get pods --field-selector status.phase=Running -o name
expect_out "--field-selector !=" '^pod/db-1$' \
    kubectl get pods --field-selector 'status.phase!=Running' -o name
expect_out "create namespace" 'namespace/team-a created' \
    kubectl create namespace team-a
expect_out "get namespaces table" '^team-a +Active +[0-9]+s' \
    kubectl get namespaces
expect_out "create -n namespace" 'created' \
    kubectl create -f "$work/pod.yaml" -n team-a
expect_out "get -A lists every namespace" '^team-a +web-1 ' kubectl get pods -A
expect_out "get -A namespace column" '^NAMESPACE +NAME +READY' kubectl get pods -A

# get -w: the table header, then a change shows up as a new line
kubectl get pods -w >"$work/watch.out" 2>&1 &
watch_pid=$!
if wait_for "$work/watch.out" '^db-1 '; then
    kubectl label pod db-1 watched=yes >/dev/null
    kubectl delete pod db-1 >/dev/null
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

expect_out "delete" 'pod "web-1" deleted' kubectl delete pod web-1
expect_fail "get after delete is NotFound" 'NotFound' kubectl get pod web-1
expect_out "delete namespace" 'deleted' kubectl delete namespace team-a
expect_fail "unknown pod is NotFound" 'pods "nope" not found' \
    kubectl get pod nope

# TLS and a bearer token: the written kubeconfig carries the CA data and
# the token, and kubectl needs nothing else
fixtures=${KREG_FIXTURES:-$(dirname "$0")/../../fixtures}
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
"$bin" --write-kubeconfig "$KUBECONFIG" --token s3cret-token \
    --tls-cert "$fixtures/tls/server.crt" --tls-key "$fixtures/tls/server.key" \
    --tls-ca "$fixtures/tls/ca.crt" >"$work/server.out" 2>&1 &
server_pid=$!
wait_for "$work/server.out" '^fakeapi listening on https://' || {
    echo "fakeapi (TLS) did not start"; cat "$work/server.out"; exit 1; }
expect_out "TLS + token: get" 'No resources found' kubectl get pods
expect_out "TLS + token: create -f" 'created' kubectl create -f "$work/pod.yaml"
expect_fail "TLS: wrong token is Unauthorized" 'Unauthorized|logged in' \
    kubectl --token wrong get pods
if grep -q 's3cret-token' "$KUBECONFIG"; then
    ok "kubeconfig carries the token"
else
    not_ok "kubeconfig lacks the token"
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
