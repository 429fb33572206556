#!/bin/bash
# Purpose: check the module/kernel version guard, run every VM scenario of
#          tests/vm/scenarios.list, then the bed's negative controls
#          (tests/vm/selftest.sh), and print a summary.
# Usage:   tests/vm/run-all.sh [PATTERN]   (only scenarios whose name matches)
# Ends with the line "N passed, N failed" (skips are counted apart); exits
# non-zero if anything failed.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
pattern=${1:-}
pass=0 fail=0 skip=0 failed=()
start=$(date +%s)
if [ -z "$pattern" ]; then
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
done < "$TOP/tests/vm/scenarios.list"

if [ -z "$pattern" ] || [[ bed-negative == *$pattern* ]]; then
	if "$TOP/tests/vm/selftest.sh" generic; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("selftest"); fi
fi
echo "vm: $(( $(date +%s) - start ))s; results under build/vm/runs/"
[ ${#failed[@]} -gt 0 ] && echo "vm: failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
