#!/usr/bin/env bash
# build.sh OUT_DIR: build the Go adapters OUT_DIR/kreg-adapter-go-v2 and
# OUT_DIR/kreg-adapter-go-v4 with the Go toolchain ci/go-env.sh finds
# ($KREG_GO), modules from the Go module proxy as pinned by each go.sum
# (-mod=readonly). Without a Go toolchain: exit 77 (skip), or 1 with CI=true.
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
# shellcheck source=../../ci/go-env.sh
. "$here/../../ci/go-env.sh"
if [ -z "${KREG_GO:-}" ]; then
    echo "adapter-go/build.sh: skipped: $KREG_GO_WHY" >&2
    rm -f "$out/kreg-adapter-go-v2" "$out/kreg-adapter-go-v4"
    if [ "${CI:-}" = true ]; then
        echo "adapter-go/build.sh: CI=true: a missing Go toolchain is a failure" >&2
        exit 1
    fi
    exit 77
fi
# adapter.go and proxy.go are one program kept in two modules: no drift.
for f in adapter.go proxy.go; do
    if ! cmp -s "$here/v2/$f" "$here/v4/$f"; then
        echo "adapter-go/build.sh: v2/$f and v4/$f differ; keep them identical" >&2
        exit 1
    fi
done
for v in v2 v4; do
    echo "adapter-go/build.sh: $v with $KREG_GO ($(kreg_go_version "$KREG_GO"))" >&2
    (cd "$here/$v" && "$KREG_GO" build -mod=readonly -buildvcs=false -trimpath \
        -o "$out/kreg-adapter-go-$v.tmp" . ) || {
        echo "adapter-go/build.sh: building $v failed" >&2
        exit 1
    }
    mv -f "$out/kreg-adapter-go-$v.tmp" "$out/kreg-adapter-go-$v"
done
echo "adapter-go/build.sh: built $out/kreg-adapter-go-v2 and $out/kreg-adapter-go-v4" >&2
