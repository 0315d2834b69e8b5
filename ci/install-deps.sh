#!/usr/bin/env bash
# Install everything that building and testing kreg needs on Debian 12:
# the Debian packages, and a Go toolchain new enough for the Go modules
# under ci/ when the machine has none (ci/go-env.sh decides).
# Idempotent: what is already present is left alone, and a second run
# prints one line.
#
# Usage: ci/install-deps.sh [--bench]
#   --bench  also the tools only bench/ uses (wrk, nginx-light, hyperfine,
#            jq); nginx is installed without being started
set -euo pipefail
cd "$(dirname "$0")/.."

# The Go brought in from the Go module proxy (module golang.org/toolchain)
# when ci/go-env.sh finds none new enough; it must satisfy the `go` line
# of every go.mod under ci/.
go_version=1.26.8

bench=0
for arg in "$@"; do
    case $arg in
    --bench) bench=1 ;;
    -h | --help)
        sed -n '2,10s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *)
        echo "usage: ci/install-deps.sh [--bench]" >&2
        exit 2
        ;;
    esac
done

# What the build and the tests call: compilers, the libraries, clang's
# sanitizer and fuzzer runtimes (ci/test.sh, ci/fuzz.sh), clang-format
# and shellcheck (ci/check-ci.sh), valgrind and curl (the valgrind tests),
# python3 with the Kubernetes client (python_client_test.py, the Python
# adapter), Debian's Go (fixtures/golden/regen.sh; it also fetches the
# newer toolchain below), unzip for that toolchain, git (check-ci.sh),
# and libcurl's OpenSSL flavour (ci/test.sh links the TLS tests to it).
pkgs=(
    build-essential cmake pkg-config clang llvm libclang-rt-14-dev clang-format
    libmicrohttpd-dev libjansson-dev libcurl4-gnutls-dev libcurl4 libcmocka-dev
    libyaml-dev
    python3 python3-kubernetes python3-yaml
    valgrind curl openssl ca-certificates shellcheck git golang-go unzip
)
# bench/ only: wrk_vs_nginx.sh, kreg_vs_kubectl.sh
bench_pkgs=(wrk nginx-light hyperfine jq)
if [ "$bench" -eq 1 ]; then
    pkgs+=("${bench_pkgs[@]}")
fi

# kubectl: keep the one the machine has (often a newer cloud SDK build);
# fall back to Debian's package only where there is none.
if ! command -v kubectl >/dev/null 2>&1; then
    pkgs+=(kubernetes-client)
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi

missing=()
for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$p")
    fi
done

# Debian starts a daemon the moment its package is installed, nginx on
# port 80 among them; the benchmarks start their own. policy-rc.d (the
# hook invoke-rc.d and deb-systemd-invoke ask) says no while apt runs.
policy=/usr/sbin/policy-rc.d
policy_ours=0
tmp=
cleanup() {
    if [ "$policy_ours" -eq 1 ]; then
        $sudo rm -f "$policy"
    fi
    if [ -n "$tmp" ]; then
        # the module cache is written read-only
        chmod -R u+w "$tmp" 2>/dev/null || true
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT

if [ ${#missing[@]} -gt 0 ]; then
    if [[ " ${missing[*]} " == *" nginx-light "* ]] && [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# ci/install-deps.sh: no daemon starts\nexit 101\n' |
            $sudo tee "$policy" >/dev/null
        $sudo chmod 755 "$policy"
        policy_ours=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    if [ "$policy_ours" -eq 1 ]; then
        $sudo rm -f "$policy"
        policy_ours=0
    fi
fi
# Debian 12's kubectl 1.20 for the fakeapi_kubectl_1_20 test: unpacked
# into ~/.cache, never installed over the machine's kubectl.
bash ci/debian-kubectl.sh >/dev/null

# ---- Go: the module golang.org/toolchain, which `go` itself fetches to
# switch toolchains, downloaded by whichever go is installed (Debian's
# 1.19 can) and unpacked under $KREG_GO_HOME, where ci/go-env.sh looks.

# shellcheck source=ci/go-env.sh
source ci/go-env.sh

# go_fetch GO DEST: the toolchain for this machine into DEST (replaced),
# DEST/bin/go executable.
go_fetch() {
    local go=$1 dest=$2 arch mod zip root
    arch=$(dpkg --print-architecture)
    case $arch in
    amd64 | arm64) ;;
    *)
        echo "install-deps: no Go toolchain is fetched for $arch" >&2
        return 1
        ;;
    esac
    mod=golang.org/toolchain@v0.0.1-go$go_version.linux-$arch
    tmp=$(mktemp -d)
    echo "install-deps: fetching Go $go_version ($mod, ~80 MB) with $go"
    # Outside any module, with a private cache; only the zip is used.
    if ! (cd "$tmp" && env GOFLAGS=-mod=mod GO111MODULE=on GOTOOLCHAIN=local \
        GOPATH="$tmp/gopath" GOMODCACHE="$tmp/mod" GOCACHE="$tmp/cache" \
        "$go" mod download -json "$mod" >"$tmp/download.json"); then
        echo "install-deps: go mod download $mod failed:" >&2
        cat "$tmp/download.json" >&2
        return 1
    fi
    zip=$(sed -n 's/^[[:space:]]*"Zip": "\(.*\)",\{0,1\}$/\1/p' \
        "$tmp/download.json")
    if [ -z "$zip" ] || [ ! -f "$zip" ]; then
        echo "install-deps: go mod download $mod gave no zip" >&2
        return 1
    fi
    unzip -q "$zip" -d "$tmp/x"
    root=$tmp/x/$mod
    # Module zips keep no mode bits: what Go's own switch makes executable.
    chmod +x "$root"/bin/* "$root"/pkg/tool/*/*
    $sudo mkdir -p "$(dirname "$dest")"
    $sudo rm -rf "$dest.new" "$dest"
    $sudo mv "$root" "$dest.new"
    $sudo mv "$dest.new" "$dest"
}

if [ -z "$KREG_GO" ]; then
    if ! kreg_version_ge "$go_version" "$KREG_GO_NEED"; then
        echo "install-deps: the modules under ci/ need Go $KREG_GO_NEED;" \
            "raise go_version ($go_version) in ci/install-deps.sh" >&2
        exit 1
    fi
    go_fetch "$(command -v go 2>/dev/null || echo /usr/bin/go)" \
        "$KREG_GO_HOME/go$go_version"
    if ! kreg_go_find; then
        echo "install-deps: $KREG_GO_WHY" >&2
        exit 1
    fi
    echo "install-deps: $("$KREG_GO" version) in $(dirname "$(dirname "$KREG_GO")")"
elif [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all present"
fi
