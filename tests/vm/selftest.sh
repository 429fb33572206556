#!/bin/bash
# Purpose: negative controls for the test bed itself. A bed that cannot fail
#          proves nothing, so these runs MUST fail, for the right reason:
#   bed-negative-bug   a module that calls BUG() at load   -> "kernel splat"
#   bed-negative-warn  a module that WARN()s at load       -> "kernel splat"
# Usage:   tests/vm/selftest.sh [FLAVOUR]   (default generic)
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
flavour=${1:-generic}
status=0
for s in bed-negative-bug bed-negative-warn; do
	"$TOP/tests/vm/run.sh" --flavour "$flavour" --scenario "$TOP/tests/vm/scenarios/$s.sh" --timeout 60 --quiet > /dev/null 2>&1
	rc=$?
	bed=$TOP/build/vm/runs/$flavour-$s/bed.json
	if [ "$rc" = 1 ] && jq -e '.reasons | any(test("kernel splat"))' "$bed" > /dev/null 2>&1; then
		echo "selftest: PASS $s: the bed failed the run as it must ($(jq -r '.reasons[0]' "$bed" | cut -c1-90))"
	else
		echo "selftest: FAIL $s: the bed did not catch the broken module (run.sh exit $rc)"
		status=1
	fi
done
exit $status
