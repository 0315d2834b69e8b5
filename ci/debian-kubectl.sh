#!/usr/bin/env bash
# Print the path of Debian 12's kubectl (package kubernetes-client, 1.20),
# the kubectl many people have, without installing it over the machine's
# own kubectl: the package is fetched with `apt-get download` and unpacked
# with `dpkg -x` into a cache folder, one per Debian version, and reused
# after. Where kubernetes-client is installed, its /usr/bin/kubectl is
# printed instead.
#
# usage: ci/debian-kubectl.sh
# Environment:
#   KREG_DEBIAN_KUBECTL_CACHE  the cache folder
#                              (~/.cache/kreg-debian-kubectl)
# Exit 0 with the path on stdout; 1 when it cannot be had (no apt, no
# package list naming kubernetes-client, the download failed).
set -euo pipefail

pkg=kubernetes-client
cache=${KREG_DEBIAN_KUBECTL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kreg-debian-kubectl}

die() {
    echo "debian-kubectl: $*" >&2
    exit 1
}

# is_120 KUBECTL: it runs here and is a 1.20 client
is_120() {
    "$1" version --client 2>/dev/null | grep -q 'GitVersion:"v1\.20\.'
}

# The installed package first: nothing to fetch.
if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = \
    "install ok installed" ]; then
    k=$(dpkg-query -L "$pkg" | grep -m1 '/bin/kubectl$' || true)
    if [ -n "$k" ] && is_120 "$k"; then
        echo "$k"
        exit 0
    fi
fi

command -v apt-cache >/dev/null 2>&1 || die "no apt-cache: not a Debian machine"

# candidate: the version apt would download, empty when the package lists
# do not name the package (apt-get update never ran)
candidate() {
    apt-cache policy "$pkg" 2>/dev/null |
        sed -n 's/^  Candidate: \(.*\)$/\1/p' | grep -v '^(none)$' || true
}

ver=$(candidate)
if [ -z "$ver" ]; then
    # Reuse whatever was unpacked before.
    for d in "$cache"/*/; do
        if [ -x "${d}usr/bin/kubectl" ] && is_120 "${d}usr/bin/kubectl"; then
            echo "${d}usr/bin/kubectl"
            exit 0
        fi
    done
    # apt-get update only touches the lists, not what is installed.
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2 || die "apt-get update failed"
    ver=$(candidate)
    [ -n "$ver" ] || die "apt knows no package $pkg"
fi

dir=$cache/$ver
k=$dir/usr/bin/kubectl
if [ -x "$k" ] && is_120 "$k"; then
    echo "$k"
    exit 0
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# apt's sandbox user cannot write to a private temp folder; the download
# then runs as the caller, which apt only warns about
(cd "$tmp" && apt-get download -qq "$pkg=$ver" 2>"$tmp/err" >&2) || {
    cat "$tmp/err" >&2
    die "apt-get download $pkg=$ver failed"
}
dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/root"
is_120 "$tmp/root/usr/bin/kubectl" ||
    die "$pkg $ver does not hold a kubectl 1.20"
rm -rf "$dir"
mv "$tmp/root" "$dir"
echo "$k"
