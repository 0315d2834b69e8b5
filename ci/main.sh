#!/usr/bin/env bash
# The main job: build, then run the conformance suite against the embedded
# fake API server with libkreg in-process. Extra arguments go to
# kreg-conformance (e.g. --adapter 'CMD', --kubeconfig F, --output junit).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
exec build/bin/kreg-conformance "$@"
