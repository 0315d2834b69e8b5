#!/usr/bin/env bash
# Nightly: run kreg-conformance against a real Kubernetes cluster (kind).
#
# Creates a kind cluster (Kubernetes 1.32), builds kreg, runs the suite
# with libkreg in-process and with the Python adapter through the
# cluster's kubeconfig, keeps JUnit reports in $KREG_REPORT_DIR (default
# ./kind-report), and deletes the cluster whatever happens.
#
# Needs: a Docker engine, network access (kind's node image), root or sudo
# for apt-get. Used by .github/workflows/kind-nightly.yml; runs the same
# way on a developer machine with Docker.
#
# Environment:
#   KIND_VERSION     kind release to install when kind is missing (v0.25.0)
#   KIND_NODE_IMAGE  node image (kindest/node:v1.32.0)
#   KREG_REPORT_DIR  where the JUnit files go (./kind-report)
#   KREG_KEEP_CLUSTER=1 keeps the cluster for debugging
set -euo pipefail
cd "$(dirname "$0")/.."

kind_version=${KIND_VERSION:-v0.25.0}
node_image=${KIND_NODE_IMAGE:-kindest/node:v1.32.0}
report_dir=${KREG_REPORT_DIR:-$PWD/kind-report}
cluster=kreg-nightly-$$
mkdir -p "$report_dir"

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "kind-nightly: needs $1" >&2; exit 1; }
}
need docker
docker info >/dev/null 2>&1 || { echo "kind-nightly: no Docker engine" >&2; exit 1; }

if ! command -v kind >/dev/null 2>&1; then
    arch=$(uname -m)
    case "$arch" in
        x86_64) arch=amd64 ;;
        aarch64) arch=arm64 ;;
    esac
    bin_dir=$PWD/build-kind/bin
    mkdir -p "$bin_dir"
    curl -fsSLo "$bin_dir/kind" \
        "https://kind.sigs.k8s.io/dl/$kind_version/kind-linux-$arch"
    chmod +x "$bin_dir/kind"
    PATH=$bin_dir:$PATH
fi

bash ci/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"

kubeconfig=$(mktemp)
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    status=$?
    if [ "${KREG_KEEP_CLUSTER:-0}" != 1 ]; then
        kind delete cluster --name "$cluster" >/dev/null 2>&1 || true
    fi
    rm -f "$kubeconfig"
    exit "$status"
}
trap cleanup EXIT INT TERM

kind create cluster --name "$cluster" --image "$node_image" \
    --kubeconfig "$kubeconfig" --wait 180s
kubectl --kubeconfig "$kubeconfig" version
# the default service account must exist before pods can be created
for _ in $(seq 1 60); do
    kubectl --kubeconfig "$kubeconfig" -n default get serviceaccount default \
        >/dev/null 2>&1 && break
    sleep 2
done

status=0
build/bin/kreg-conformance --kubeconfig "$kubeconfig" \
    --context "kind-$cluster" --junit-file "$report_dir/libkreg.xml" ||
    status=1
build/bin/kreg-conformance --kubeconfig "$kubeconfig" \
    --context "kind-$cluster" \
    --adapter "/usr/bin/python3 conformance/adapter-python/kreg_adapter.py" \
    --junit-file "$report_dir/python-adapter.xml" || status=1
echo "kind-nightly: reports in $report_dir"
exit "$status"
