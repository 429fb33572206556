#!/bin/bash
# Purpose: 'make demo' — boot the full Debian guest on the 6.12 kernel with
#          CPUs 2-3 isolated and print what tlbisol shows about them.
# Usage:   tests/vm/demo.sh [generic|rt]   (default generic)
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
flavour=${1:-${FLAVOUR:-generic}}
echo "demo: booting Debian 12 with the $flavour 6.12 kernel under QEMU (4 vCPUs, CPUs 2-3 isolated); about a minute"
"$TOP/tests/vm/run.sh" --quiet --flavour "$flavour" --mode full --scenario "$TOP/tests/vm/scenarios/demo.sh"
rc=$?
echo
cat "$TOP/build/vm/runs/$flavour-demo/share/results/scenario.log" 2>/dev/null
exit $rc
