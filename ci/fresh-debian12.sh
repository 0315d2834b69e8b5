#!/usr/bin/env bash
# Run the README's two commands as a new user would, on a fresh Debian 12
# root (debootstrap minbase plus git and ca-certificates), in a chroot:
# clone this repository's HEAD there, then
#   1. bash ci/install-deps.sh && bash ci/main.sh
#   2. bash ci/install-deps.sh && bash ci/test.sh
# and print how long each took. Nothing of this machine's caches is used:
# the chroot starts with an empty Go module and build cache.
#
# usage: ci/fresh-debian12.sh ROOT [main|all|both]   (as root; ROOT must not
#        exist; it is kept for a look afterwards: rm -rf it when done)
# Needs debootstrap. The host's local CA certificates
# (/usr/local/share/ca-certificates, e.g. an HTTPS proxy's) are copied in,
# so that the package registries answer inside as they do outside.
set -euo pipefail

root=${1:?usage: fresh-debian12.sh ROOT [main|all|both]}
which=${2:-both}
src=$(cd "$(dirname "$0")/.." && pwd)
mirror=${KREG_DEBIAN_MIRROR:-http://deb.debian.org/debian}

[ "$(id -u)" -eq 0 ] || { echo "fresh-debian12: run as root" >&2; exit 2; }
[ -e "$root" ] && { echo "fresh-debian12: $root exists" >&2; exit 2; }
command -v debootstrap >/dev/null ||
    { echo "fresh-debian12: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }

debootstrap --variant=minbase --include=git,ca-certificates bookworm "$root" \
    "$mirror" >"${root%/}.debootstrap.log" 2>&1 ||
    { tail -n 20 "${root%/}.debootstrap.log"; exit 1; }
cp /etc/resolv.conf "$root/etc/resolv.conf"
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null
fi

mounted=()
cleanup() {
    local m
    for m in "${mounted[@]}"; do
        umount -l "$m" 2>/dev/null || true
    done
}
trap cleanup EXIT
for m in proc sys dev dev/pts; do
    mkdir -p "$root/$m"
    case $m in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sys "$root/sys" ;;
    *) mount --bind "/$m" "$root/$m" ;;
    esac
    mounted=("$root/$m" "${mounted[@]}")
done

git clone -q "$src" "$root/root/kreg"
run() {
    local t0=$SECONDS rc=0
    echo "== fresh Debian 12: $1"
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        bash -c "cd /root/kreg && $1" || rc=$?
    echo "== fresh Debian 12: exit $rc after $((SECONDS - t0)) s: $1"
    return $rc
}
rc=0
case $which in
main | both) run "bash ci/install-deps.sh && bash ci/main.sh" || rc=1 ;;
esac
case $which in
all | both) run "bash ci/install-deps.sh && bash ci/test.sh" || rc=1 ;;
esac
exit $rc
