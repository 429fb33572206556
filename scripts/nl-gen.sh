#!/bin/sh
# Purpose: generate the netlink family's C files from its spec with the
#          kernel's own generator (tools/net/ynl/ynl-gen-c.py of Linux 6.12):
#            include/uapi/linux/tlbisol.h   (--mode uapi)
#            kmod/tlbisol_nl-gen.h          (--mode kernel --header: ops, groups)
#            kmod/tlbisol_nl-gen.c          (--mode kernel --source: policies, ops table)
# Usage:   scripts/nl-gen.sh [--spec FILE] [--out DIR]
#          (make nl-gen: in place; tests/unit/nl-gen-fresh.sh: into a temp dir)
#
# The generator comes from Debian's linux-source-6.12: the unpacked tree
# /usr/src/linux-source-6.12 (or KSRC=<dir>), else the two directories it
# needs are taken out of /usr/src/linux-source-6.12.tar.xz into
# $B/ynl-src (once; about a minute). It needs python3-yaml and
# python3-jsonschema (it validates the spec against the kernel's schema).
#
# ynl-gen-c.py looks for the kernel tree's root (a MAINTAINERS file) above
# the spec, and for the schema in the spec's grand-parent directory; both are
# staged in a temporary directory that mirrors the spec's path in this tree,
# so the generated files name it as netlink/specs/tlbisol.yaml.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
spec=$top/netlink/specs/tlbisol.yaml
out=$top
while [ $# -gt 0 ]; do
	case $1 in
	--spec) spec=$2; shift 2 ;;
	--out)  out=$2; shift 2 ;;
	*) echo "usage: $0 [--spec FILE] [--out DIR]" >&2; exit 2 ;;
	esac
done
[ -r "$spec" ] || { echo "nl-gen: no spec at $spec" >&2; exit 1; }

# The kernel source holding the generator and the schema.
ynl_ok() {
	[ -f "$1/tools/net/ynl/ynl-gen-c.py" ] &&
	[ -f "$1/Documentation/netlink/genetlink-legacy.yaml" ]
}
ksrc=${KSRC:-/usr/src/linux-source-6.12}
if ! ynl_ok "$ksrc"; then
	tarball=/usr/src/linux-source-6.12.tar.xz
	case ${B:-build} in /*) cache=$B/ynl-src ;; *) cache=$top/${B:-build}/ynl-src ;; esac
	if [ -n "${KSRC:-}" ]; then
		echo "nl-gen: KSRC=$KSRC has no tools/net/ynl/ynl-gen-c.py" >&2; exit 1
	elif ynl_ok "$cache/linux-source-6.12"; then
		ksrc=$cache/linux-source-6.12
	elif [ -r "$tarball" ]; then
		echo "nl-gen: taking tools/net/ynl and Documentation/netlink out of $tarball" >&2
		rm -rf "$cache" && mkdir -p "$cache"
		tar -xJf "$tarball" -C "$cache" \
		    linux-source-6.12/tools/net/ynl linux-source-6.12/Documentation/netlink
		ksrc=$cache/linux-source-6.12
	else
		echo "nl-gen: the kernel's netlink generator is missing: install linux-source-6.12 (make deps), or set KSRC to a Linux 6.12 tree" >&2
		exit 1
	fi
fi
python3 -c 'import yaml, jsonschema' 2>/dev/null || {
	echo "nl-gen: ynl-gen-c.py needs python3-yaml and python3-jsonschema (make deps)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/netlink/specs"
: > "$stage/MAINTAINERS"
cp "$spec" "$stage/netlink/specs/tlbisol.yaml"
ln -s "$ksrc/Documentation/netlink/genetlink-legacy.yaml" "$stage/netlink/genetlink-legacy.yaml"

# gen "GENERATOR-MODE-ARGS" OUTPUT: the file name matters (the source
# includes "<its name>.h"), so the generator writes under the same name.
gen() {
	mkdir -p "$stage/out" "$(dirname "$2")"
	# shellcheck disable=SC2086 # $1 is a list of words
	python3 "$ksrc/tools/net/ynl/ynl-gen-c.py" $1 \
		--spec "$stage/netlink/specs/tlbisol.yaml" -o "$stage/out/${2##*/}"
	cp "$stage/out/${2##*/}" "$2"
}
gen "--mode uapi --header" "$out/include/uapi/linux/tlbisol.h"
gen "--mode kernel --header" "$out/kmod/tlbisol_nl-gen.h"
gen "--mode kernel --source" "$out/kmod/tlbisol_nl-gen.c"
