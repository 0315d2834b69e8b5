#!/usr/bin/env bash
# Build and run every test: the normal build, then the whole suite again
# under AddressSanitizer + UBSan (LeakSanitizer included), then the
# bounded fuzzing run. Ends by itself; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
export CTEST_OUTPUT_ON_FAILURE=1

echo "== build and test (RelWithDebInfo, warnings as errors)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$jobs"
ctest --test-dir build -j "$jobs" --timeout 600

echo "== build and test under AddressSanitizer + UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKREG_SANITIZE=ON
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -j "$jobs" --timeout 900

if [ -x ci/fuzz.sh ]; then
    echo "== fuzz (bounded)"
    ci/fuzz.sh
fi
echo "ci/test.sh: all green"
