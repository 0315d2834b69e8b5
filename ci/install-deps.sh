#!/usr/bin/env bash
# Install every Debian package that building and testing kreg needs.
# Idempotent: packages already present are left alone; safe to run twice.
set -euo pipefail

pkgs=(
    build-essential cmake pkg-config clang llvm libclang-rt-14-dev clang-format
    libmicrohttpd-dev libjansson-dev libcurl4-gnutls-dev libcurl4 libcmocka-dev
    libyaml-dev
    python3 python3-kubernetes python3-yaml
    valgrind openssl ca-certificates shellcheck
    wrk nginx-light hyperfine golang-go jq
)

# kubectl: keep the one the machine has (often a newer cloud SDK build);
# fall back to Debian's package only where there is none.
if ! command -v kubectl >/dev/null 2>&1; then
    pkgs+=(kubernetes-client)
fi

missing=()
for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
