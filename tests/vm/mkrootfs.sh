#!/bin/bash
# Purpose: build the full Debian 12 guest (systemd, dbus, tuned, rt-tests, the
#          runtime libraries of tlbisol) as an initramfs image, for scenarios
#          that need real systemd: the daemon, the CLI, tuned.
# Usage:   tests/vm/mkrootfs.sh RELEASE   -> prints the path of the initrd
#
# Layers (the kernel unpacks concatenated cpio archives in order):
#   1. base-<key>.cpio   mmdebstrap rootfs; cached, keyed by the package list,
#                        their candidate versions in apt and this script;
#   2. overlay           per run, not cached: the modules the guest needs for
#                        RELEASE (9p share, virtio net/blk) plus tlbisol.ko,
#                        depmod'ed, and the project as 'make install
#                        DESTDIR=...' puts it.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/vm/lib.sh"
rel=${1:?usage: $0 RELEASE}

PACKAGES=(systemd systemd-sysv dbus udev kmod procps iproute2 util-linux
	rt-tests tuned irqbalance jq stress-ng
	libsystemd0 libnl-3-200 libnl-genl-3-200 libtracefs1 libtraceevent1
	libjson-c5 libinih1 libcmocka0)
GUEST_MODULES=(9pnet_virtio 9p virtio_net virtio_blk)

versions=$(apt-cache policy "${PACKAGES[@]}" 2>/dev/null | awk '/^[^ ]/ { p = $1 } /Candidate:/ { print p, $2 }')
[ -n "$versions" ] || die "apt knows none of the guest packages; run 'make deps'"
key=$( { echo "$versions"; cat "$0" "$TOP/tests/vm/guest/tlbisol-bed.service" "$TOP/tests/vm/guest/guest-run"; } | short_hash)
base=$VM_BUILD/rootfs/base-$key.cpio
mkdir -p "$VM_BUILD/rootfs"
# One builder at a time; others wait, then find the cache filled.
exec 9> "$VM_BUILD/rootfs/.lock"
flock 9

if [ ! -s "$base" ]; then
	note "building the Debian guest rootfs with mmdebstrap (once per package set; ~1-2 min)"
	stage=$(mktemp -d "$VM_BUILD/rootfs/.stage-XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	include=$(IFS=,; echo "${PACKAGES[*]}")
	mmdebstrap --mode=root --variant=essential --quiet \
		--include="$include" \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--customize-hook='echo tlbisol-vm > "$1/etc/hostname"' \
		--customize-hook='chroot "$1" passwd -d root' \
		--customize-hook='mkdir -p "$1/usr/lib/tlbisol-bed" "$1/mnt/share"' \
		--customize-hook="cp $TOP/tests/vm/guest/guest-run \"\$1/usr/lib/tlbisol-bed/guest-run\"" \
		--customize-hook="cp $TOP/tests/vm/guest/tlbisol-bed.service \"\$1/etc/systemd/system/\"" \
		--customize-hook='chroot "$1" systemctl enable tlbisol-bed.service' \
		--customize-hook='chroot "$1" systemctl mask systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service man-db.timer fstrim.timer 2>/dev/null || true' \
		--customize-hook='rm -rf "$1/var/cache/apt" "$1/var/lib/apt/lists"' \
		bookworm "$stage/root" \
		"deb http://deb.debian.org/debian bookworm main" \
		"deb http://deb.debian.org/debian-security bookworm-security main" \
		>&2
	rm -f "$VM_BUILD"/rootfs/base-*.cpio  # older package sets
	(cd "$stage/root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc) > "$base.tmp"
	mv "$base.tmp" "$base"
	rm -rf "$stage"; trap - EXIT
fi

# Per-run overlay: modules for this kernel, tlbisol.ko, the installed project.
out=${OVERLAY_OUT:-$VM_BUILD/rootfs/initrd-$rel.cpio}
stage=$(mktemp -d "$VM_BUILD/rootfs/.overlay-XXXXXX")
trap 'rm -rf "$stage"' EXIT
moddir=/lib/modules/$rel
mkdir -p "$stage/lib/modules/$rel/kernel" "$stage/lib/modules/$rel/extra"
for m in "${GUEST_MODULES[@]}"; do
	modprobe -S "$rel" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
	dst=$stage$ko
	mkdir -p "$(dirname "$dst")"
	cp "$ko" "$dst"
done
cp "$moddir"/modules.order "$moddir"/modules.builtin* "$stage/lib/modules/$rel/" 2>/dev/null || true
cp "$B/kmod/$rel/tlbisol.ko" "$stage/lib/modules/$rel/extra/"
depmod -b "$stage" "$rel"
make -s -C "$TOP" install DESTDIR="$stage" B="$B" > /dev/null
# Debian 12 is merged-/usr: /lib, /bin, /sbin are symlinks into /usr. The
# kernel's cpio unpacker replaces a symlink by a directory of the same name,
# so the overlay must use the /usr paths or it would cut /lib away.
for d in lib lib64 bin sbin; do
	if [ -d "$stage/$d" ]; then
		mkdir -p "$stage/usr/$d"
		cp -a "$stage/$d/." "$stage/usr/$d/"
		rm -rf "${stage:?}/$d"
	fi
done
chmod 755 "$stage"
(cd "$stage" && find . | LC_ALL=C sort | cpio --quiet -o -H newc) > "$stage.cpio"
cat "$base" "$stage.cpio" > "$out"
flock -u 9
rm -f "$stage.cpio"
echo "$out"
