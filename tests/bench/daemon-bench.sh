#!/bin/sh
# Purpose: tlbisold's figures, measured in the VM test bed (full Debian guest
# under systemd): reaction time from a cgroup partition change to IRQs moved
# and the module updated (min/median/max over several samples, plus counts
# of applies and writes per change), idle wake-ups per minute, RSS.
# Usage:   tests/bench/daemon-bench.sh [generic|rt]     (default generic)
#          (7 samples and 60 s idle: SAMPLES/IDLE at the top of the scenario)
# Prints the figures; the raw result stays in
# build/vm/runs/<flavour>-daemon-bench/share/results/result.json.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
flavour=${1:-generic}
B=${B:-$top/build}
"$top/tests/vm/run.sh" --flavour "$flavour" --mode full \
	--scenario "$top/tests/vm/scenarios/daemon-bench.sh" --timeout 600 --quiet || rc=$?
res=$B/vm/runs/$flavour-daemon-bench/share/results
[ -r "$res/metrics.tsv" ] || { echo "daemon-bench: no figures (see $B/vm/runs/$flavour-daemon-bench/console.log)" >&2; exit 1; }
echo "tlbisold figures ($flavour kernel, QEMU TCG, 4 vCPUs; times are noisy, counts are not):"
column -t -s "$(printf '\t')" "$res/metrics.tsv" 2>/dev/null || cat "$res/metrics.tsv"
exit "${rc:-0}"
