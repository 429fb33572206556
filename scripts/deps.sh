#!/bin/sh
# Purpose: install every build and test dependency of tlbisol from Debian 12
#          packages. Idempotent; fast (no apt call) when all are installed.
# Usage:   scripts/deps.sh            (make deps; needs root or sudo)
#
# The two 6.12 kernels the VM boots (generic and rt) come with their headers:
# Debian's linux-headers-<release> depends on linux-image-<release>, so the
# images land in /boot too. The VM boots them with -kernel; your own boot
# loader entry is untouched unless your distribution's hooks add one (on a
# workstation, check 'grub-set-default' afterwards if you care).
set -eu

PACKAGES="build-essential pkg-config make gcc
libsystemd-dev libnl-3-dev libnl-genl-3-dev libtracefs-dev libtraceevent-dev
libjson-c-dev libinih-dev libcmocka-dev
linux-headers-6.12-amd64 linux-headers-6.12-rt-amd64
linux-image-6.12-amd64 linux-image-6.12-rt-amd64
qemu-system-x86 seabios mmdebstrap cpio busybox-static kmod xz-utils zstd jq
valgrind
dpkg-dev debhelper dh-dkms dkms lintian
linux-source-6.12 python3-yaml python3-jsonschema"

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo > /dev/null || { echo "deps: run as root (or install sudo)" >&2; exit 1; }
	SUDO=sudo
fi

missing() {
	for p in $PACKAGES; do
		s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
		[ "$s" = "ii " ] || echo "$p"
	done
}

# The kernel meta packages may point at a newer release than the one
# installed: then the versioned headers/images must be installed too.
kernels_current() {
	for f in generic rt; do
		rel=$("$(dirname "$0")/kernel-version.sh" "$f" 2>/dev/null) || return 1
		[ -f "/usr/src/linux-headers-$rel/Makefile" ] && [ -r "/boot/vmlinuz-$rel" ] || return 1
	done
}

todo=$(missing)
if [ -z "$todo" ] && kernels_current; then
	echo "deps: all $(echo $PACKAGES | wc -w) packages installed; kernels: $("$(dirname "$0")/kernel-version.sh" generic), $("$(dirname "$0")/kernel-version.sh" rt)"
	exit 0
fi
echo "deps: installing:" $todo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $PACKAGES
kernels_current || { echo "deps: the 6.12 kernel headers/images still do not match apt's current release" >&2; exit 1; }
echo "deps: done; kernels: $("$(dirname "$0")/kernel-version.sh" generic), $("$(dirname "$0")/kernel-version.sh" rt)"
