#!/bin/bash
# Purpose: negative control for the kernel/module version check of the bed.
#          A tlbisol.ko built for the other flavour, put where the generic
#          kernel's module should be, must be refused before the VM boots,
#          with the fix in the message. No VM is booted.
# Usage:   tests/vm/check-mismatch.sh   (after 'make')
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
gen=$("$TOP/scripts/kernel-version.sh" generic) || exit 1
rt=$("$TOP/scripts/kernel-version.sh" rt) || exit 1
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
mkdir -p "$fake/kmod/$gen"
cp "$TOP/build/kmod/$rt/tlbisol.ko" "$fake/kmod/$gen/tlbisol.ko" || { echo "check-mismatch: FAIL: build the modules first"; exit 1; }
out=$(B=$fake VM_BUILD=$fake/vm "$TOP/tests/vm/run.sh" --flavour generic \
	--scenario "$TOP/tests/vm/scenarios/bed-smoke.sh" 2>&1)
rc=$?
if [ "$rc" != 0 ] && grep -q "was built for $rt but the VM boots $gen" <<< "$out" && grep -q "make deps" <<< "$out"; then
	echo "check-mismatch: PASS: a module built for $rt is refused for $gen, with the fix"
	exit 0
fi
echo "check-mismatch: FAIL: run.sh exit $rc, output: $out"
exit 1
