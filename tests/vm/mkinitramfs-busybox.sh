#!/bin/sh
# Purpose: build the light busybox initramfs for fast module-only scenarios.
# Usage:   tests/vm/mkinitramfs-busybox.sh RELEASE   -> prints the cpio path
#
# Contents: static busybox, our /init (tests/vm/guest/init-busybox), and the
# kernel modules needed to mount the 9p results share (decompressed, loaded in
# dependency order by /init). Cached by release and by the inputs' hash.
set -eu
. "$(dirname "$0")/lib.sh"

rel=${1:?usage: $0 RELEASE}
moddir=/lib/modules/$rel
[ -d "$moddir" ] || die "no $moddir; run 'make deps' (installs linux-image-$rel)"

key=$( { echo "$rel"; cat "$TOP/tests/vm/guest/init-busybox" "$0"; busybox 2>/dev/null | head -1; } | short_hash)
out=$VM_BUILD/initramfs/busybox-$rel-$key.cpio
if [ -s "$out" ]; then echo "$out"; exit 0; fi

stage=$(mktemp -d "$VM_BUILD/.stage-XXXXXX" 2>/dev/null || { mkdir -p "$VM_BUILD"; mktemp -d "$VM_BUILD/.stage-XXXXXX"; })
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/dev" "$stage/proc" "$stage/sys" \
	"$stage/tmp" "$stage/mnt/share" "$stage/lib/modules/$rel" "$stage/etc"
cp /bin/busybox "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp "$TOP/tests/vm/guest/init-busybox" "$stage/init"
chmod 755 "$stage/init"

# 9p share: the module chain as modprobe resolves it for this release.
: > "$stage/etc/modules.order"
for m in 9pnet_virtio 9p; do
	modprobe -S "$rel" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	base=$(basename "$ko"); base=${base%.xz}; base=${base%.zst}
	case "$ko" in
	*.xz)  xz -dc "$ko" > "$stage/lib/modules/$rel/$base" ;;
	*.zst) zstd -qdc "$ko" > "$stage/lib/modules/$rel/$base" ;;
	*)     cp "$ko" "$stage/lib/modules/$rel/$base" ;;
	esac
	echo "/lib/modules/$rel/$base" >> "$stage/etc/modules.order"
done
[ -s "$stage/etc/modules.order" ] || die "could not resolve the 9p modules for $rel"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | LC_ALL=C sort | cpio --quiet -o -H newc) > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
