#!/bin/sh
# Purpose: fail when the files generated from the netlink spec
#          (netlink/specs/tlbisol.yaml) are stale: regenerates them into a
#          temporary directory with scripts/nl-gen.sh and compares them with
#          the committed ones. Part of 'make check-unit'.
# Usage:   tests/unit/nl-gen-fresh.sh
#
# Negative control: the same comparison is made for a copy of the spec with
# one attribute added to the event set; it must find a difference in the
# UAPI header, or the check itself is broken (and fails).
# Prints "PASS nl-gen-fresh" or "FAIL nl-gen-fresh" with the diff; exit 0/1.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
files="include/uapi/linux/tlbisol.h kmod/tlbisol_nl-gen.h kmod/tlbisol_nl-gen.c"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL nl-gen-fresh: $*"; exit 1; }

# stale SPEC OUTDIR DIFF: true if the files generated from SPEC differ from
# the committed ones; the differences go to DIFF
stale() {
	"$top/scripts/nl-gen.sh" --spec "$1" --out "$2" > "$tmp/gen.log" 2>&1 || {
		sed 's/^/    /' "$tmp/gen.log"; fail "scripts/nl-gen.sh failed (above)"; }
	: > "$3"
	for f in $files; do
		(cd "$top" && diff -u "$f" "$2/$f") >> "$3" 2>&1
	done
	[ -s "$3" ]
}

if stale "$top/netlink/specs/tlbisol.yaml" "$tmp/fresh" "$tmp/fresh.diff"; then
	sed 's/^/    /' "$tmp/fresh.diff"
	fail "generated files differ from netlink/specs/tlbisol.yaml (diff above): run 'make nl-gen' and commit"
fi

# negative control: a spec changed without regenerating must be caught
sed '/^    name: event$/,/^operations:/ s/^        name: sender-cpu$/        name: sender-cpu\n        type: u32\n      -\n        name: nl-gen-fresh-control/' \
	"$top/netlink/specs/tlbisol.yaml" > "$tmp/changed.yaml"
grep -q 'nl-gen-fresh-control' "$tmp/changed.yaml" || fail "negative control: could not change the spec copy"
stale "$tmp/changed.yaml" "$tmp/changed" "$tmp/changed.diff" ||
	fail "negative control: a changed spec produced no difference"
grep -q '^+.*TLBISOL_A_EVENT_NL_GEN_FRESH_CONTROL' "$tmp/changed.diff" ||
	fail "negative control: the difference does not show the added attribute"

echo "PASS nl-gen-fresh (3 files match the spec; control: a changed spec is caught)"
