#!/usr/bin/env bash
# Build a systemd-capable Debian container image from Debian's mirror with
# debootstrap + podman import (no registry is reachable here).
# Usage: scripts/build-image.sh [debian11|debian12|debian13]
#        scripts/build-image.sh [SUITE] [IMAGE]   default: bullseye timesec-ntp/debian11
#   debian11 = bullseye -> timesec-ntp/debian11 (classic ntp 4.2.8, Autokey)
#   debian12 = bookworm -> timesec-ntp/debian12 (ntpsec, NTS)
#   debian13 = trixie   -> timesec-ntp/debian13 (ntpsec, NTS)
#   A SUITE without IMAGE gets the matching name above (timesec-ntp/SUITE for other suites).
# The image is reused when it already exists (FORCE=1 rebuilds it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=env.sh
. "$here/env.sh"

case ${1:-debian11} in
  debian11|bullseye) suite=bullseye; default_image=timesec-ntp/debian11 ;;
  debian12|bookworm) suite=bookworm; default_image=timesec-ntp/debian12 ;;
  debian13|trixie)   suite=trixie;   default_image=timesec-ntp/debian13 ;;
  *)                 suite=$1;       default_image=timesec-ntp/$1 ;;
esac
image=${2:-$default_image}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "${FORCE:-0}" != 1 ] && podman image exists "$image"; then
  echo "image $image exists, reusing it"
  exit 0
fi

root=$(mktemp -d /var/tmp/tsn-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
# python3-apt: ansible's apt module needs it for check mode.
# iproute2/procps/iputils-ping/less: debugging and testinfra helpers.
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,procps,ca-certificates \
  "$suite" "$root" "$mirror" >/var/tmp/tsn-debootstrap-"$suite".log 2>&1 \
  || { tail -20 /var/tmp/tsn-debootstrap-"$suite".log; exit 1; }
# Units that make no sense (or hang) in a container.
for unit in systemd-timesyncd.service getty@tty1.service console-getty.service \
            systemd-logind.service systemd-resolved.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
rm -f "$root/etc/hostname"
tar -C "$root" -c . | podman import --change 'CMD ["/sbin/init"]' - "$image" >/dev/null 2>&1
echo "built image $image from $suite"
