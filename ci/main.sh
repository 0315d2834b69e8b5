#!/usr/bin/env bash
# The main job: build, then run the conformance suite against the embedded
# fake API server. Until the suite lands, a demo: start the standalone
# fakeapi and drive it with kubectl through the kubeconfig it writes.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"

if [ -x build/bin/kreg-conformance ]; then
    exec build/bin/kreg-conformance "$@"
fi

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
build/bin/fakeapi --write-kubeconfig "$work/kubeconfig" >"$work/out" &
pid=$!
for _ in $(seq 1 100); do
    grep -q 'listening' "$work/out" 2>/dev/null && break
    sleep 0.05
done
head -1 "$work/out"
export KUBECONFIG=$work/kubeconfig HOME=$work
kubectl create namespace demo
kubectl -n demo run web --image=nginx:1.27 --labels=app=web,micro.mu/type=service
kubectl -n demo get pods -l 'app in (web)'
kubectl -n demo patch pod web --subresource=status --type merge \
    -p '{"status":{"phase":"Running"}}'
kubectl get pods -A
echo "demo: ok"
