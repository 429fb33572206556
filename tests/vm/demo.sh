#!/bin/bash
# Purpose: 'make demo' — boot the full Debian guest on the 6.12 kernel with
#          CPUs 2-3 isolated and show what tlbisol does there: tlbctl,
#          tlbisold under systemd, tlbisol.ko, and the noise the isolated
#          CPUs receive before and after (tests/vm/scenarios/demo.sh).
# Usage:   tests/vm/demo.sh [rt|generic]   (default rt: the kernel of the
#          people tlbisol is for; generic has no osnoise tracer)
# What a person reads is the report; the bed's own output (the guest rootfs
# build on the first run, QEMU) goes to build/vm/demo-<flavour>.log, whose
# path is printed when something fails.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/vm/lib.sh"
flavour=${1:-${FLAVOUR:-rt}}
case "$flavour" in rt|generic) ;; *) echo "demo: FLAVOUR must be rt or generic, not '$flavour'" >&2; exit 2 ;; esac
mkdir -p "$VM_BUILD"
log=$VM_BUILD/demo-$flavour.log
run=$VM_BUILD/runs/$flavour-demo
[ -n "$(ls "$VM_BUILD"/rootfs/base-*.cpio 2>/dev/null)" ] ||
	echo "demo: first run: building the Debian 12 guest (mmdebstrap, about 2 minutes; cached under $VM_BUILD/rootfs)"
echo "demo: booting Debian 12 with the $flavour 6.12 kernel under QEMU (4 vCPUs, CPUs 2-3 isolated); about 3 minutes"
# The bed holds the tracepoints (the default; tests/vm/run.sh): tlbctl
# noise enables tracepoints, and patching kernel text while the guest runs
# trips multi-threaded TCG (a stale int3: both boots of the demo in the CI
# run of 2026-11-30 died so, in try_to_wake_up and __resched_curr while
# tlbctl noise set up); held from boot, nothing is patched.
"$TOP/tests/vm/run.sh" --quiet --flavour "$flavour" --mode full --timeout 600 \
	--scenario "$TOP/tests/vm/scenarios/demo.sh" > "$log" 2>&1
rc=$?
cat "$run/share/results/scenario.log" 2>/dev/null
echo
if [ $rc = 0 ]; then
	echo "demo: done ($(jq -r .seconds "$run/bed.json" 2>/dev/null)s in the VM); figures: $run/share/results/result.json"
else
	echo "demo: FAILED — $(tail -n 1 "$log")"
	echo "demo: the bed's log: $log; the guest's kernel log: $run/console.log"
fi
exit $rc
