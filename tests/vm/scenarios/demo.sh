#!/bin/sh
# The 'make demo' scenario: what an engineer would look at on an isolated
# machine. Prints a report (shown on the host by tests/vm/demo.sh).
set -u
. "$SCENARIO_LIB"
[ -d /run/systemd/system ] && wait_system_running 120 > /dev/null

echo "== Kernel and isolation"
echo "kernel:    $(uname -r)"
echo "cmdline:   $(cat /proc/cmdline)"
echo "nohz_full: $(cat /sys/devices/system/cpu/nohz_full)"
echo "isolated:  $(cat /sys/devices/system/cpu/isolated)"
echo "cgroup isolated partitions: $(cat /sys/fs/cgroup/cpuset.cpus.isolated 2>/dev/null || echo n/a)"
echo "unbound workqueue cpumask: $(cat /sys/devices/virtual/workqueue/cpumask)"
echo

echo "== Loading tlbisol.ko"
if modprobe tlbisol 2>/dev/null || insmod "$KMOD_DIR/tlbisol.ko"; then
	echo "loaded: $(grep '^tlbisol ' /proc/modules | cut -d' ' -f1-3)"
else
	echo "could not load tlbisol.ko"
fi
echo

echo "== Per-CPU IPIs over 10 s, CPUs 2-3 running a user-space busy loop"
for r in CAL TLB RES LOC IWI; do eval "b_$r=\"\$(irq_row $r)\""; done
busy_start 2 3
sleep 10
for r in CAL TLB RES LOC IWI; do eval "a_$r=\"\$(irq_row $r)\""; done
busy_stop
printf '%-5s %10s %10s %10s %10s   %s\n' row CPU0 CPU1 CPU2 CPU3 "(delta over 10 s)"
for r in CAL TLB RES LOC IWI; do
	eval "b=\$b_$r a=\$a_$r"
	set -- $b; b0=$1 b1=$2 b2=$3 b3=$4
	set -- $a
	printf '%-5s %10d %10d %10d %10d\n' "$r" $(($1 - b0)) $(($2 - b1)) $(($3 - b2)) $(($4 - b3))
	metric "$r.delta_10s" "$(($1 - b0)) $(($2 - b1)) $(($3 - b2)) $(($4 - b3))"
done
echo
echo "CAL = function-call IPIs (incl. TLB shootdowns), TLB = remote user TLB flushes,"
echo "RES = reschedule, LOC = local timer, IWI = irq_work. Isolated CPUs 2-3 should stay near 0."
