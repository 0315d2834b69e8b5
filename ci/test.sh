#!/usr/bin/env bash
# Build and run every test, stage by stage: the real Kubernetes control
# plane's binaries (built from ci/realapi's pinned modules, or reused; its
# kubectl is the one every kubectl test drives), the normal build and its tests
# against the fake API server, plain Release builds with gcc and clang, the
# HTTP and TLS tests against libcurl's OpenSSL flavour, the whole suite
# again under AddressSanitizer + UBSan (LeakSanitizer included), the
# bounded fuzzers, and last the same suite and clients against a real
# Kubernetes control plane (ci/realapi-tests.sh). Every stage runs even
# when an earlier one failed; a summary of each stage's result ends the
# run, and the exit status is non-zero if any stage failed. Ends by itself.
#
#   KREG_STAGES="build realapi" ci/test.sh   # only these stages
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
export CTEST_OUTPUT_ON_FAILURE=1
all_stages="controlplane build release openssl asan fuzz realapi"
stages=${KREG_STAGES:-$all_stages}
results=()
failed=0

# Warnings are errors for developers and CI (a user's Release build only
# warns: CMakeLists.txt, KREG_WERROR).
werror=-DKREG_WERROR=ON

# exit 77: no Go new enough (ci/go-env.sh); the kubectl tests then use
# the kubectl on PATH, and the realapi stage says it was skipped.
stage_controlplane() {
    # shellcheck source=ci/go-env.sh
    source ci/go-env.sh
    if [ -z "$KREG_GO" ]; then
        echo "skipped: $KREG_GO_WHY"
        return 77
    fi
    ci/realapi.sh build
}

stage_build() {
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$werror" &&
        cmake --build build -j "$jobs" &&
        ctest --test-dir build -j "$jobs" --timeout 600
}

# What a user gets from a plain Release build, with each compiler: it
# must build with the default options (compile only; the tests ran above).
stage_release() {
    local cc rc=0
    for cc in gcc clang; do
        echo "-- Release build with $cc"
        rm -rf "build-release-$cc"
        CC=$cc cmake -S . -B "build-release-$cc" -DCMAKE_BUILD_TYPE=Release \
            >/dev/null &&
            cmake --build "build-release-$cc" -j "$jobs" >/dev/null || rc=1
    done
    return $rc
}

# Debian's other libcurl flavour (OpenSSL; its runtime comes with curl):
# the HTTP and TLS tests again, linked against it.
stage_openssl() {
    local openssl_curl deps
    openssl_curl=/usr/lib/$(gcc -print-multiarch)/libcurl.so.4
    if [ ! -e "$openssl_curl" ]; then
        echo "no $openssl_curl"
        return 1
    fi
    cmake -S . -B build-openssl -DCMAKE_BUILD_TYPE=RelWithDebInfo "$werror" \
        -DKREG_CURL_LIBRARY="$openssl_curl" &&
        cmake --build build-openssl -j "$jobs" \
            --target kreg_test_http kreg_test_http_pem kreg_test_http_chaos ||
        return 1
    # Not `ldd | grep -q`: grep may exit at the first match while ldd
    # still writes, and the SIGPIPE ldd dies of fails a good build.
    deps=$(ldd build-openssl/bin/kreg_test_http)
    case $deps in
    *libssl*) ;;
    *)
        echo "build-openssl: not linked against the OpenSSL flavour"
        return 1
        ;;
    esac
    ctest --test-dir build-openssl -R '^kreg_test_http' --timeout 600
}

stage_asan() {
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKREG_SANITIZE=ON \
        "$werror" &&
        cmake --build build-asan -j "$jobs" &&
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            ctest --test-dir build-asan -j "$jobs" --timeout 900
}

stage_fuzz() {
    ci/fuzz.sh
}

# The same suite and clients against a real control plane; exit 77 means
# it was skipped (no Go or module proxy), which CI counts as a failure.
stage_realapi() {
    ci/realapi-tests.sh build
}

for s in $stages; do
    echo "== stage $s"
    start=$SECONDS
    # a subshell per stage: set -e inside, and a failure ends only it
    (set -e; "stage_$s")
    rc=$?
    took=$((SECONDS - start))
    if [ "$rc" -eq 0 ]; then
        results+=("$(printf '%-8s passed   %5d s' "$s" "$took")")
    elif [ "$rc" -eq 77 ] && [ -z "${CI:-}" ]; then
        results+=("$(printf '%-8s SKIPPED  %5d s' "$s" "$took")")
    else
        results+=("$(printf '%-8s FAILED   %5d s (exit %d)' "$s" "$took" "$rc")")
        failed=$((failed + 1))
    fi
    echo "== stage $s: exit $rc after $took s"
    if [ "$s" = controlplane ] && [ "$rc" -eq 0 ]; then
        KREG_KUBECTL=$(ci/realapi.sh build)/kubectl
        export KREG_KUBECTL
    fi
done

echo
echo "== ci/test.sh summary"
printf '%s\n' "${results[@]}"
# the plain closing line CI systems read
echo "stages: $((${#results[@]} - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
