#!/bin/sh
# Scenario: prove the test bed. Checks that CPUs 2-3 are nohz_full and
# isolated as the command line asks, loads the tlbisol.ko built by 'make',
# runs a user busy loop on the isolated CPUs, and reports the per-CPU CAL and
# TLB counters from /proc/interrupts, as totals and over a 5 s window.
set -u
. "$SCENARIO_LIB"

nohz=$(cat /sys/devices/system/cpu/nohz_full)
isol=$(cat /sys/devices/system/cpu/isolated)
echo "release=$(uname -r) nohz_full=$nohz isolated=$isol"
[ "$(uname -r)" = "$TLBISOL_RELEASE" ] || fail "booted $(uname -r), expected $TLBISOL_RELEASE"
[ "$nohz" = "2-3" ] || fail "nohz_full is '$nohz', expected 2-3"
[ "$isol" = "2-3" ] || fail "isolated is '$isol', expected 2-3"
metric release "$(uname -r)"
metric nohz_full "$nohz"
metric isolated "$isol"

insmod "$KMOD_DIR/tlbisol.ko" || fail "insmod tlbisol.ko failed"
grep -q '^tlbisol ' /proc/modules || fail "tlbisol is not in /proc/modules"
metric module_loaded true

cal0=$(irq_row CAL); tlb0=$(irq_row TLB)
busy_start 2 3
sleep 5
cal1=$(irq_row CAL); tlb1=$(irq_row TLB)
busy_stop
rmmod tlbisol || fail "rmmod tlbisol failed"

for cpu in 0 1 2 3; do
	for row in CAL TLB; do
		eval "a=\$$(echo $row | tr A-Z a-z)0 b=\$$(echo $row | tr A-Z a-z)1"
		x=$(echo "$a" | cut -d' ' -f$((cpu + 1)))
		y=$(echo "$b" | cut -d' ' -f$((cpu + 1)))
		metric "$row.cpu$cpu.total" "$y"
		metric "$row.cpu$cpu.delta_5s" "$((y - x))"
		printf 'CPU%d %s total %8d  last 5 s %5d\n' "$cpu" "$row" "$y" "$((y - x))"
	done
done
