#!/bin/sh
# Scenario (full guest): the tuned profile tlbisol-realtime keeps what the
# 'realtime' profile does for real-time machines, but leaves the run-time
# placement (workqueue masks, IRQs via irqbalance, thread moving) to tlbisold.
# Negative control: the parent 'realtime' profile DOES write the workqueue
# mask in this same guest, so "not written" is a real observation.
set -u
. "$SCENARIO_LIB"
wait_system_running 180 > /dev/null
command -v tuned-adm > /dev/null || fail "tuned is not installed in the guest"
[ -f /usr/lib/tuned/tlbisol-realtime/tuned.conf ] || fail "profile not installed by 'make install'"

echo "isolated_cores=2-3" > /etc/tuned/realtime-variables.conf
systemctl start tuned || fail "tuned does not start"
have_daemon=no
if systemctl cat tlbisold.service > /dev/null 2>&1; then
	have_daemon=yes
	# first look at tuned alone: tlbisold would set the same masks itself
	systemctl mask --runtime tlbisold.service > /dev/null
fi
wq=/sys/devices/virtual/workqueue/cpumask
# NUMA balancing on at the start, so that "off under tlbisol-realtime" is
# the profile's doing (a one-node guest starts with it off). PREEMPT_RT
# kernels have no such sysctl: the profile must not ask for it there.
numa=/proc/sys/kernel/numa_balancing
if [ -e "$numa" ]; then
	echo 1 > "$numa" && [ "$(cat "$numa")" = 1 ] || fail "cannot turn NUMA balancing on for the control"
fi
all=$(cat /sys/devices/system/cpu/possible)

apply() {
	echo f > "$wq" || fail "cannot reset $wq"
	tuned-adm profile "$1" || fail "tuned-adm profile $1 failed"
	n=60
	while [ $n -gt 0 ] && ! tuned-adm active 2>/dev/null | grep -q "Current active profile: $1\$"; do sleep 1; n=$((n - 1)); done
	tuned-adm active | grep -q "Current active profile: $1\$" || fail "tuned did not switch to $1"
}

apply realtime
parent_wq=$(cat "$wq")
echo "realtime:          workqueue cpumask f -> $parent_wq"
metric realtime.workqueue_cpumask "$parent_wq"
[ "$parent_wq" != f ] || fail "negative control: 'realtime' left the workqueue mask alone, so this test cannot tell"

apply tlbisol-realtime
ours_wq=$(cat "$wq")
echo "tlbisol-realtime:  workqueue cpumask f -> $ours_wq"
metric tlbisol_realtime.workqueue_cpumask "$ours_wq"
[ "$ours_wq" = f ] || fail "tlbisol-realtime wrote the workqueue mask ($ours_wq); that is tlbisold's job"

rt=$(sysctl -n kernel.sched_rt_runtime_us); st=$(sysctl -n vm.stat_interval)
echo "inherited sysctls: kernel.sched_rt_runtime_us=$rt vm.stat_interval=$st"
[ "$rt" = -1 ] && [ "$st" = 10 ] || fail "sysctls of 'realtime' not inherited"
metric tlbisol_realtime.sched_rt_runtime_us "$rt"
if [ -e "$numa" ]; then
	echo "kernel.numa_balancing: 1 -> $(cat "$numa")"
	[ "$(cat "$numa")" = 0 ] || fail "tlbisol-realtime left NUMA balancing on (its [sysctl_numa] did not apply)"
	metric tlbisol_realtime.numa_balancing "$(cat "$numa")"
else
	echo "kernel.numa_balancing: absent ($(uname -v | grep -o PREEMPT_RT || echo 'not PREEMPT_RT'))"
fi

boot=$(sed -n 's/^TUNED_BOOT_CMDLINE="\(.*\)"$/\1/p' /etc/tuned/bootcmdline 2>/dev/null)
echo "boot command line tuned wants: $boot"
echo "$boot" | grep -q "nohz_full=2-3" || fail "no nohz_full=2-3 in tuned's boot command line"
echo "$boot" | grep -q "rcu_nocbs=2-3" || fail "no rcu_nocbs=2-3 in tuned's boot command line"
echo "$boot" | grep -q "isolcpus=" || fail "the parent's isolcpus= is lost"
metric tlbisol_realtime.bootcmdline "$boot"

if [ "$have_daemon" = yes ]; then
	systemctl unmask --runtime tlbisold.service > /dev/null
	tuned-adm profile tlbisol-realtime || fail "re-applying the profile failed"
	n=60; while [ $n -gt 0 ] && ! systemctl is-active -q tlbisold; do sleep 1; n=$((n - 1)); done
	systemctl is-active -q tlbisold || fail "tuned did not start tlbisold"
	echo "tlbisold started by the profile: $(systemctl is-active tlbisold)"
fi
metric tlbisold_managed_by_profile "$have_daemon"
