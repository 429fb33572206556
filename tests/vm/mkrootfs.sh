#!/bin/bash
# Purpose: build the full Debian 12 guest (systemd, dbus, tuned, rt-tests, the
#          runtime libraries of tlbisol) as an initramfs image, for scenarios
#          that need real systemd: the daemon, the CLI, tuned.
# Usage:   [ROOTFS_VARIANT=installed|pkg] tests/vm/mkrootfs.sh RELEASE
#          -> prints the path of the initrd
#
# Variants:
#   installed (default)  the project installed by 'make install', tlbisol.ko
#                        in /lib/modules/RELEASE/extra;
#   pkg                  tlbisol NOT installed, but what installing its .debs
#                        offline needs: apt, dkms with gcc and make, and the
#                        linux-headers of RELEASE (run.sh --mode pkg).
# Layers (the kernel unpacks concatenated cpio archives in order):
#   1. base-[VARIANT-]<key>.cpio  mmdebstrap rootfs; cached, keyed by the
#                        package list, their candidate versions in apt and
#                        this script. Several worktrees share the cache:
#                        other keys are kept (pruned after 3 days unused);
#   2. overlay           per run, not cached: the modules the guest needs for
#                        RELEASE (9p share, virtio net/blk), depmod'ed, and
#                        for 'installed' tlbisol.ko and the project as 'make
#                        install DESTDIR=...' puts it.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/vm/lib.sh"
rel=${1:?usage: $0 RELEASE}
variant=${ROOTFS_VARIANT:-installed}

PACKAGES=(systemd systemd-sysv dbus udev kmod procps iproute2 util-linux
	rt-tests tuned irqbalance jq stress-ng
	libsystemd0 libnl-3-200 libnl-genl-3-200 libtracefs1 libtraceevent1
	libjson-c5 libinih1 libcmocka0)
# modules the guest needs (with their dependencies): the 9p share, the
# virtio disk and NIC, and for the bench's noise mix (tests/vm/guest/
# noise-mix.sh) 'dummy' (module load/unload churn) and virtio_rng (reads of
# /dev/hwrng raise the virtio-rng device's IRQs; without the driver they
# fail with ENODEV: the mix had no device IRQs until 2026-11-30)
GUEST_MODULES=(9pnet_virtio 9p virtio_net virtio_blk dummy virtio_rng)
EXTRA_DPKG_OPTS=()
case "$variant" in
installed) prefix= ;;
pkg)
	# linux-headers-RELEASE depends on the image: keep its package
	# installed but not its modules or /boot (the overlay has the modules
	# the guest needs; the kernel is booted from the host). tiny-initramfs
	# is the smallest initramfs tool the image accepts.
	PACKAGES+=(apt dkms gcc make libc6-dev tiny-initramfs "linux-headers-$rel")
	EXTRA_DPKG_OPTS=(--dpkgopt='path-exclude=/lib/modules/*/kernel/*'
		--dpkgopt='path-exclude=/usr/lib/modules/*/kernel/*'
		--dpkgopt='path-exclude=/boot/*'
		--customize-hook='rm -rf "$1"/boot/*; mkdir -p "$1/var/lib/apt/lists/partial" "$1/var/cache/apt/archives/partial"')
	prefix=pkg- ;;
*) die "ROOTFS_VARIANT must be installed or pkg (got '$variant')" ;;
esac

versions=$(apt-cache policy "${PACKAGES[@]}" 2>/dev/null | awk '/^[^ ]/ { p = $1 } /Candidate:/ { print p, $2 }')
[ -n "$versions" ] || die "apt knows none of the guest packages; run 'make deps'"
case "$versions" in *"(none)"*) die "apt has no candidate for: $(echo "$versions" | awk '$2 == "(none)" { print $1 }' | tr '\n' ' ')(run 'make deps')" ;; esac
MIRRORS=("deb http://deb.debian.org/debian bookworm main"
	"deb http://deb.debian.org/debian-security bookworm-security main")
MMDEBSTRAP_OPTS=(--mode=root --variant=essential --quiet
	--include="$(IFS=,; echo "${PACKAGES[*]}")"
	--dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-exclude=/usr/share/locale/*'
	--dpkgopt='path-exclude=/usr/share/info/*'
	--customize-hook='echo tlbisol-vm > "$1/etc/hostname"'
	--customize-hook='chroot "$1" passwd -d root'
	--customize-hook='mkdir -p "$1/usr/lib/tlbisol-bed" "$1/mnt/share"'
	--customize-hook="cp $TOP/tests/vm/guest/guest-run \"\$1/usr/lib/tlbisol-bed/guest-run\""
	--customize-hook="cp $TOP/tests/vm/guest/tlbisol-bed.service \"\$1/etc/systemd/system/\""
	--customize-hook='chroot "$1" systemctl enable tlbisol-bed.service'
	--customize-hook='chroot "$1" systemctl mask systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service man-db.timer fstrim.timer 2>/dev/null || true'
	--customize-hook='rm -rf "$1/var/cache/apt" "$1/var/lib/apt/lists"'
	"${EXTRA_DPKG_OPTS[@]}")
# The key: what the base is made of (package versions, the mmdebstrap
# recipe with this tree's path left out, the guest's own files), so that
# worktrees with the same recipe share one cache, and editing the overlay
# part of this script rebuilds nothing.
key=$( { echo "$versions"; printf '%s\n' "${MMDEBSTRAP_OPTS[@]}" "${MIRRORS[@]}" | sed "s|$TOP|@TOP@|g"
	cat "$TOP/tests/vm/guest/tlbisol-bed.service" "$TOP/tests/vm/guest/guest-run"; } | short_hash)
base=$VM_BUILD/rootfs/base-$prefix$key.cpio
mkdir -p "$VM_BUILD/rootfs"
# One builder per key at a time; others wait, then find the cache filled
# (builders of other keys, e.g. the pkg variant, do not wait for it).
exec 9> "$VM_BUILD/rootfs/.lock-$prefix$key"
flock 9

if [ ! -s "$base" ]; then
	note "building the Debian guest rootfs ($variant) with mmdebstrap (once per package set; ~1-2 min, pkg ~5)"
	stage=$(mktemp -d "$VM_BUILD/rootfs/.stage-XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	mmdebstrap "${MMDEBSTRAP_OPTS[@]}" bookworm "$stage/root" "${MIRRORS[@]}" >&2
	# other keys may be other worktrees' current ones: keep them, but drop
	# the ones nobody used for 3 days (a use touches the file, below)
	find "$VM_BUILD/rootfs" -maxdepth 1 -name 'base-*.cpio' -mtime +3 -delete
	(cd "$stage/root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc) > "$base.tmp"
	mv "$base.tmp" "$base"
	rm -rf "$stage"; trap - EXIT
fi

touch "$base"

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
if [ "$variant" = installed ]; then
	cp "$B/kmod/$rel/tlbisol.ko" "$stage/lib/modules/$rel/extra/"
fi
depmod -b "$stage" "$rel"
if [ "$variant" = installed ]; then
	make -s -C "$TOP" install DESTDIR="$stage" B="$B" > /dev/null
fi
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
