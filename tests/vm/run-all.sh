#!/bin/bash
# Purpose: check the module/kernel version guard, run every VM scenario of
#          tests/vm/scenarios.list, then the bed's negative controls
#          (tests/vm/selftest.sh), and print a summary.
# Usage:   tests/vm/run-all.sh [PATTERN]   (only scenarios whose name matches)
#          VM_SCENARIOS=FILE tests/vm/run-all.sh [PATTERN]: the scenarios of
#          another list (make test-pkg: tests/vm/scenarios-pkg.list), without
#          the guard check and the bed's negative controls
# Ends with the line "N passed, N failed" (skips are counted apart); exits
# non-zero if anything failed.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
pattern=${1:-}
list=${VM_SCENARIOS:-$TOP/tests/vm/scenarios.list}
[ -r "$list" ] || { echo "run-all.sh: no scenario list $list" >&2; exit 2; }
bed_checks=yes; [ -n "${VM_SCENARIOS:-}" ] && bed_checks=no
pass=0 fail=0 skip=0 failed=()
start=$(date +%s)
if [ -z "$pattern" ] && [ $bed_checks = yes ]; then
	if "$TOP/tests/vm/check-mismatch.sh"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("check-mismatch"); fi
fi
while read -r flavour mode scenario extra; do
	case "$flavour" in ''|\#*) continue ;; esac
	[ -n "$pattern" ] && [[ "$scenario" != *$pattern* ]] && continue
	# extra holds run.sh arguments, with shell quoting ("--isolation 'a b'")
	eval "args=($extra)"
	"$TOP/tests/vm/run.sh" --quiet --flavour "$flavour" --mode "$mode" \
		--scenario "$TOP/tests/vm/scenarios/$scenario.sh" "${args[@]}"
	case $? in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)); failed+=("$flavour/$scenario") ;;
	esac
done < "$list"

if [ $bed_checks = yes ] && { [ -z "$pattern" ] || [[ bed-negative == *$pattern* ]]; }; then
	if "$TOP/tests/vm/selftest.sh" generic; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("selftest"); fi
fi
echo "vm: $(( $(date +%s) - start ))s; results under build/vm/runs/"
[ ${#failed[@]} -gt 0 ] && echo "vm: failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
