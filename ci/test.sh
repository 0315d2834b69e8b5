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

# Debian's other libcurl flavour (OpenSSL; its runtime comes with curl):
# the HTTP and TLS tests again, linked against it.
openssl_curl=/usr/lib/$(gcc -print-multiarch)/libcurl.so.4
if [ -e "$openssl_curl" ]; then
    echo "== HTTP and TLS tests against libcurl's OpenSSL flavour"
    cmake -S . -B build-openssl -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DKREG_CURL_LIBRARY="$openssl_curl"
    cmake --build build-openssl -j "$jobs" \
        --target kreg_test_http kreg_test_http_pem kreg_test_http_chaos
    # Not `ldd | grep -q`: grep may exit at the first match while ldd
    # still writes (bash writes line by line), and under pipefail the
    # SIGPIPE that ldd then dies of fails the check on a good build.
    deps=$(ldd build-openssl/bin/kreg_test_http)
    case $deps in
    *libssl*) ;;
    *)
        echo "build-openssl: not linked against the OpenSSL flavour"
        exit 1
        ;;
    esac
    ctest --test-dir build-openssl -R '^kreg_test_http' --timeout 600
fi

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
