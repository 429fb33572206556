#!/bin/sh
# Benchmark scenario (full guest), run by tests/bench/noise-bench.sh /
# 'make bench'; one boot, configurations side by side on the same isolated
# CPUs 2-3 (nohz_full=2-3 isolcpus=nohz,domain,managed_irq,2-3 from the
# bed's command line, the same for every configuration):
#   stock    Debian as installed (irqbalance running, nothing else)
#   tuned    tuned's "realtime" profile with isolated_cores=2-3
#   tlbisol  tlbisold + tlbisol.ko with its defaults (TargetedSync=yes)
#   defer    the same with [Module] Defer=yes
# In each: the noise mix runs on the housekeeping CPUs 0-1 (mix_start:
# ordinary kernel activity only — a multi-threaded munmap storm, BPF map and
# socket-filter churn, hugetlb PMD unsharing, 'modprobe dummy' / 'modprobe
# -r dummy', fork/exec, virtio-rng reads, MADV_COLLAPSE where there is THP;
# nothing of the project's test module), and
#   busy   'tlbctl noise -c 2-3 -d $DUR' (a user busy loop per CPU;
#          interrupts by source on rt, /proc/interrupts on generic), then
#   oslat  oslat on CPUs 2-3 for $ODUR s, measured by 'tlbctl noise
#          --workload none' at the same time.
# Housekeeping cost: /proc/interrupts of CPUs 0-1 over the busy phase.
# Output in $RESULTS: <config>-busy.json, <config>-oslat-noise.json,
# <config>-oslat.json, <config>-hk-{before,after}.txt, <config>-status.txt.
set -u
. "$SCENARIO_LIB"
DUR=${DUR:-30}
ODUR=${ODUR:-20}
# tuned last: 'tuned-adm off' does not undo all of it (on the generic
# kernel the local timer stayed at ~30/s on CPUs 2-3 after it)
CONFIGS=${CONFIGS:-"stock tlbisol defer tuned"}
# one measurement may not take the whole run (tuned's process monitor
# competes with tlbctl for the housekeeping CPUs under the fork storm)
LIMIT=${LIMIT:-480}
state=$(wait_system_running 150)
echo "system state: $state; configs: $CONFIGS; busy ${DUR}s, oslat ${ODUR}s"
command -v tlbctl >/dev/null || fail "tlbctl is not installed"
command -v oslat >/dev/null || fail "oslat (rt-tests) is not installed"
echo 64 > /proc/sys/vm/nr_hugepages
THP=no
[ -e /sys/kernel/mm/transparent_hugepage/enabled ] && THP=yes

# ---- the mix: ordinary kernel activity confined to CPUs 0-1 -------------
mix_start() {
	MIX=
	# a multi-threaded munmap storm: a thread of the mm on CPU 1, munmap on 0
	taskset -c 0-1 "$BIN_DIR/cli_tlbipi" -t 1 -s 0 -d 3600 -p 500 > /dev/null & MIX="$MIX $!"
	# BPF maps (vmalloc) and JIT'd socket filters
	taskset -c 0-1 "$BIN_DIR/bpfchurn" -n 1000000 -p 2000 > /dev/null & MIX="$MIX $!"
	# hugetlb PMD sharing and unsharing
	taskset -c 0-1 sh -c "while :; do $BIN_DIR/hugetlb_unshare -c 1 -n 20 >/dev/null; sleep 0.2; done" & MIX="$MIX $!"
	# module load/unload as a user does it (modprobe, modprobe -r): module
	# memory from execmem (vmalloc) made RO/NX/ROX by set_memory (kernel
	# TLB flushes), sysfs and kallsyms on load, vfree (lazy vmap purge) on
	# unload. The module is Debian's 'dummy' with numdummies=0 (systemd's
	# modprobe.d default, given here explicitly): it registers an rtnl link
	# type and creates no device, so there is no udev/network activity in
	# the way, and it is harmless to load and unload forever. Not the
	# project's own tlbisol_test.ko: its init registers kprobes (the
	# kprobe-on-ftrace ones install an ftrace ops: text patching with
	# do_sync_core IPIs to every CPU on each load and unload) and an NMI
	# handler, which no ordinary module load does.
	taskset -c 0-1 sh -c 'while :; do modprobe dummy numdummies=0 && modprobe -r dummy; sleep 0.5; done' & MIX="$MIX $!"
	# fork/exec
	taskset -c 0-1 sh -c 'while :; do /bin/true; sleep 0.02; done' & MIX="$MIX $!"
	# device IRQs (virtio-rng)
	taskset -c 0-1 sh -c 'while :; do dd if=/dev/hwrng of=/dev/null bs=32 count=20 2>/dev/null; sleep 0.1; done' & MIX="$MIX $!"
	# khugepaged / MADV_COLLAPSE where there is THP (generic kernel)
	if [ $THP = yes ]; then
		taskset -c 0-1 sh -c "while :; do $BIN_DIR/collapse -c 0 -n 20 >/dev/null; sleep 0.2; done" & MIX="$MIX $!"
	fi
}
mix_stop() {
	kill $MIX 2>/dev/null; wait $MIX 2>/dev/null
	pkill -x hugetlb_unshare; pkill -x collapse
	sleep 0.3
	modprobe -r dummy 2>/dev/null
	MIX=
}

# ---- configurations -----------------------------------------------------
cfg_enter() {
	case "$1" in
	stock) ;;
	tuned)
		echo "isolated_cores=2-3" > /etc/tuned/realtime-variables.conf
		systemctl start tuned || fail "tuned does not start"
		tuned-adm profile realtime || fail "tuned-adm profile realtime"
		n=120
		while [ $n -gt 0 ] && ! tuned-adm active 2>/dev/null | grep -q "profile: realtime$"; do sleep 1; n=$((n - 1)); done
		tuned-adm active ;;
	tlbisol)
		modprobe tlbisol || fail "modprobe tlbisol"
		rm -f /etc/tlbisol/tlbisold.conf.d/bench.conf
		systemctl start tlbisold || fail "tlbisold" ;;
	defer)
		mkdir -p /etc/tlbisol/tlbisold.conf.d
		printf '[Module]\nDefer=yes\n' > /etc/tlbisol/tlbisold.conf.d/bench.conf
		modprobe tlbisol || fail "modprobe tlbisol"
		systemctl restart tlbisold || fail "tlbisold" ;;
	*) fail "unknown configuration $1" ;;
	esac
	tlbctl status > "$RESULTS/$1-status.txt" 2>&1
}
cfg_leave() {
	case "$1" in
	tuned) tuned-adm off; systemctl stop tuned ;;
	tlbisol) ;;
	defer) systemctl stop tlbisold; rm -f /etc/tlbisol/tlbisold.conf.d/bench.conf; rmmod tlbisol ;;
	esac
}

run_config() {
	c=$1
	echo "== $c"
	cfg_enter "$c"
	sleep 2
	mix_start "$c"
	sleep 2
	cp /proc/interrupts "$RESULTS/$c-hk-before.txt"
	timeout "$LIMIT" taskset -c 0 tlbctl noise -c 2-3 -d "${DUR}s" --json > "$RESULTS/$c-busy.json" 2> "$RESULTS/$c-busy.err" ||
		echo "$c: tlbctl noise (busy) failed: $(cat "$RESULTS/$c-busy.err")"
	cp /proc/interrupts "$RESULTS/$c-hk-after.txt"
	# the RT application pattern: oslat on the isolated CPUs, measured
	oslat -c 2-3 -C 0 -D $((ODUR + 900)) --json="$RESULTS/$c-oslat.json" -q > "$RESULTS/$c-oslat.txt" 2>&1 &
	opid=$!
	sleep 3
	timeout "$LIMIT" taskset -c 0 tlbctl noise -c 2-3 -d "${ODUR}s" --workload none --json > "$RESULTS/$c-oslat-noise.json" 2> "$RESULTS/$c-oslat-noise.err" ||
		echo "$c: tlbctl noise (oslat) failed"
	kill -INT $opid 2>/dev/null; wait $opid
	mix_stop
	cfg_leave "$c"
	jq -c '.data.per_cpu[] | {cpu, src: (.sources | if . then {interrupts, ticks, ipis, ipis_unattributed} else null end), delta: .interrupts_delta}' \
		"$RESULTS/$c-busy.json" 2>/dev/null
	metric "$c.done" 1
}

# The guest's TSC marked unstable (the clocksource watchdog, when the host
# was too busy to run the guest's vCPUs on time) forces the tick on every
# nohz_full CPU from then on (TICK_DEP_BIT_CLOCK_UNSTABLE): every later
# configuration would count ~100 ticks/s. Seen once (2026-11-30, loaded
# host, during the tlbisol configuration); such a run compares nothing.
tsc_unstable() { dmesg | grep -q "Marking clocksource 'tsc' as unstable"; }
systemctl stop tuned 2>/dev/null
for c in $CONFIGS; do
	run_config "$c"
	tsc_unstable && fail "the guest's TSC was marked unstable during '$c' (host too busy): the tick runs on the isolated CPUs from then on; run the bench on an idle host"
done
echo "PASS"
