#!/usr/bin/env bash
# The standalone fakeapi under valgrind: start it with a seed, a token and
# a kubeconfig, drive every kind of request through it (lists, watch,
# patches, errors, control), stop it with SIGTERM, and require exit 0 with
# no memory error and no leak. Usage: valgrind_test.sh FAKEAPI_BINARY
# Exit 77 (skipped) without valgrind outside CI, or in a sanitizer build.
set -euo pipefail
bin=${1:?usage: valgrind_test.sh FAKEAPI_BINARY}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP: valgrind is not installed (ci/install-deps.sh installs it)"
    [ -n "${CI:-}" ] && exit 1
    exit 77
fi
case "$(ldd "$bin" 2>/dev/null)" in
*libasan* | *libubsan* | *libtsan*)
    echo "SKIP: sanitizer build (valgrind and the sanitizers do not mix)"
    exit 77
    ;;
esac
work=$(mktemp -d)
pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/seed.json" <<'JSON'
{"kind":"PodList","items":[
 {"metadata":{"name":"a","labels":{"app":"web"}},"status":{"phase":"Running"}},
 {"metadata":{"name":"b","namespace":"other","labels":{"app":"db"}}}]}
JSON
valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    "$bin" --token tok --seed "$work/seed.json" \
    --write-kubeconfig "$work/kc" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 200); do
    grep -q '^fakeapi listening on ' "$work/out" 2>/dev/null && break
    sleep 0.05
done
url=$(sed -n 's/^fakeapi listening on //p' "$work/out")
[ -n "$url" ] || { echo "fakeapi did not start"; cat "$work/err"; exit 1; }
api() { curl -s -o /dev/null -w '%{http_code}\n' -H 'Authorization: Bearer tok' "$@"; }
pods=$url/api/v1/namespaces/default/pods
{
    api "$url/version"
    api "$url/api/v1"
    api "$pods?labelSelector=app%3Dweb&limit=1"
    api "$url/api/v1/pods?fieldSelector=status.phase%3DRunning"
    api -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io' "$pods"
    api -XPOST -H 'Content-Type: application/json' "$pods" \
        -d '{"metadata":{"generateName":"g-"},"spec":{"containers":[{"name":"c","image":"x"}]}}'
    api -XPATCH -H 'Content-Type: application/merge-patch+json' "$pods/a" \
        -d '{"metadata":{"labels":{"x":"1"}}}'
    api -XPATCH -H 'Content-Type: application/json-patch+json' "$pods/a" \
        -d '[{"op":"test","path":"/nope","value":1}]'
    api -XPATCH -H 'Content-Type: application/strategic-merge-patch+json' \
        "$pods/a/status" -d '{"status":{"phase":"Failed"}}'
    api "$pods?labelSelector=a+in+b"
    api "$pods?watch=true&timeoutSeconds=1"
    api -XPOST "$url/fakeapi/v1/faults" -d '{"kind":"status","status":503,"retryAfterSeconds":1}'
    api "$pods/a"
    api -XPOST "$url/fakeapi/v1/compact"
    api "$pods?watch=true&resourceVersion=1"
    api -XDELETE "$pods/a"
    api -XDELETE "$url/api/v1/namespaces/other"
    api "$url/fakeapi/v1/requests"
} >"$work/codes"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
codes=$(tr '\n' ' ' <"$work/codes")
echo "answers: $codes"
expected="200 200 200 200 200 201 200 422 200 400 200 200 503 200 200 200 200 200 "
if [ "$codes" != "$expected" ]; then
    echo "not ok - unexpected answers (wanted: $expected)"
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    echo "not ok - fakeapi under valgrind exited $rc"
    cat "$work/err"
    exit 1
fi
echo "ok - fakeapi ran every request kind under valgrind: no error, no leak"
