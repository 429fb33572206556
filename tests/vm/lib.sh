# Shared helpers for the VM test bed (sourced, POSIX sh + bash-isms avoided).
#
# Paths: everything the bed builds lives under $VM_BUILD (default build/vm),
# keyed by kernel release or by package versions, so a second run is fast.

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${B:-build}
case "$B" in /*) ;; *) B="$TOP/$B" ;; esac
VM_BUILD=${VM_BUILD:-$B/vm}

die()  { echo "vm: $*" >&2; exit 1; }
note() { echo "vm: $*" >&2; }

# kernel_release FLAVOUR -> e.g. 6.12.117+deb12-rt-amd64, from apt (never hard-coded)
kernel_release() {
	"$TOP/scripts/kernel-version.sh" "$1" || die "cannot resolve the $1 kernel; run 'make deps'"
}

# kernel_image RELEASE -> path of the bootable image installed by 'make deps'
kernel_image() {
	img=/boot/vmlinuz-$1
	[ -r "$img" ] || die "no kernel image $img; run 'make deps' (installs linux-image-$1)"
	echo "$img"
}

# module_release KO -> the release a module was built for (from its vermagic)
module_release() {
	modinfo -F vermagic "$1" 2>/dev/null | cut -d' ' -f1
}

# check_module_matches KO RELEASE: the module must be built for exactly the
# kernel the VM boots, or insmod fails in the guest with a confusing error.
check_module_matches() {
	got=$(module_release "$1")
	[ -n "$got" ] || die "$1: not a kernel module (run 'make')"
	[ "$got" = "$2" ] || die "$1 was built for $got but the VM boots $2;
    apt now points at a different kernel than the one built against.
    Fix: 'make deps' (installs linux-headers-$2 and the image), then 'make'."
}

# hash of stdin, short
short_hash() { sha256sum | cut -c1-16; }
