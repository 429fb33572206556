#!/bin/sh
# Benchmark scenario (full guest), run by tests/bench/noise-bench.sh /
# 'make bench'; one boot, configurations side by side on the same isolated
# CPUs 2-3 (nohz_full=2-3 isolcpus=nohz,domain,managed_irq,2-3 from the
# bed's command line, the same for every configuration):
#   stock    Debian as installed (irqbalance running, nothing else)
#   tuned    tuned's "realtime" profile with isolated_cores=2-3
#   tlbisol  tlbisold + tlbisol.ko with their defaults (TargetedSync=yes)
#            and the opt-in [Tuning] FairServerPeriod=2s
#   defer    the same with [Module] Defer=yes
# In each, twice, a window of 'tlbctl noise -c 2-3 -- noise-mix.sh': a
# fixed amount of ordinary kernel activity on the housekeeping CPUs 0-1
# (tests/vm/guest/noise-mix.sh: a multi-threaded munmap storm, BPF map and
# socket-filter churn, hugetlb PMD unsharing, 'modprobe dummy' / 'modprobe
# -r dummy', fork/exec, virtio-rng reads, MADV_COLLAPSE where there is THP;
# nothing of the project's test module; counts in MIX_*), the window
# closing when the mix has done it:
#   busy   with a user busy loop per isolated CPU (tlbctl's workload;
#          interrupts by source on rt, /proc/interrupts on generic), then
#   oslat  with oslat on CPUs 2-3 (--workload none: oslat is the workload).
# Housekeeping cost: /proc/interrupts of CPUs 0-1 over the busy phase.
# Output in $RESULTS: <config>-busy.json, <config>-oslat-noise.json,
# <config>-oslat.json, <config>-{busy,oslat-noise}-mix.txt (the mix's
# tally), <config>-hk-{before,after}.txt, <config>-status.txt.
set -u
. "$SCENARIO_LIB"
# tuned last: 'tuned-adm off' does not undo all of it (on the generic
# kernel the local timer stayed at ~30/s on CPUs 2-3 after it)
CONFIGS=${CONFIGS:-"stock tlbisol defer tuned"}
# one window may not take the whole run (tuned's process monitor competes
# with the mix for the housekeeping CPUs under the fork storm)
LIMIT=${LIMIT:-300}
state=$(wait_system_running 150)
echo "system state: $state; configs: $CONFIGS; mix: $(env | grep '^MIX_' | tr '\n' ' ')"
command -v tlbctl >/dev/null || fail "tlbctl is not installed"
command -v oslat >/dev/null || fail "oslat (rt-tests) is not installed"
echo 64 > /proc/sys/vm/nr_hugepages

# ---- the mix: $NOISE_MIX (tests/vm/guest/noise-mix.sh) ------------------
# A fixed amount of ordinary kernel activity on CPUs 0-1 (counts in MIX_*,
# the same for every configuration), run as the command of each
# measurement window: the window closes when the mix has done its count.
# Its tally ("mix <source> <count> done ...") goes to tlbctl's stderr.
mix_cleanup() {
	pkill -x hugetlb_unshare; pkill -x collapse; pkill -x cli_tlbipi; pkill -x bpfchurn
	modprobe -r dummy 2>/dev/null
}
# measure CONFIG PHASE [tlbctl noise options]: one window under the mix
measure() {
	mc=$1 ph=$2
	shift 2
	timeout "$LIMIT" taskset -c 0 tlbctl noise -c 2-3 -d "${LIMIT}s" --json "$@" -- sh "$NOISE_MIX" \
		> "$RESULTS/$mc-$ph.json" 2> "$RESULTS/$mc-$ph.err" ||
		echo "$mc: tlbctl noise ($ph) failed: $(grep -v '^mix ' "$RESULTS/$mc-$ph.err" | tail -3)"
	grep '^mix ' "$RESULTS/$mc-$ph.err" > "$RESULTS/$mc-$ph-mix.txt"
	echo "$mc $ph: $(jq -r '.data.measured_s' "$RESULTS/$mc-$ph.json" 2>/dev/null) s; $(awk '{ printf "%s %s/%s %ss; ", $2, $5, $3, $8 }' "$RESULTS/$mc-$ph-mix.txt")"
	mix_cleanup
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
		mkdir -p /etc/tlbisol/tlbisold.conf.d
		printf '[Tuning]\nFairServerPeriod=2s\n' > /etc/tlbisol/tlbisold.conf.d/bench.conf
		systemctl start tlbisold || fail "tlbisold" ;;
	defer)
		mkdir -p /etc/tlbisol/tlbisold.conf.d
		printf '[Tuning]\nFairServerPeriod=2s\n[Module]\nDefer=yes\n' > /etc/tlbisol/tlbisold.conf.d/bench.conf
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
	cp /proc/interrupts "$RESULTS/$c-hk-before.txt"
	measure "$c" busy
	cp /proc/interrupts "$RESULTS/$c-hk-after.txt"
	# the RT application pattern: oslat on the isolated CPUs, measured
	# under a second run of the same mix
	oslat -c 2-3 -C 0 -D 1800 --json="$RESULTS/$c-oslat.json" -q > "$RESULTS/$c-oslat.txt" 2>&1 &
	opid=$!
	sleep 3
	measure "$c" oslat-noise --workload none
	kill -INT $opid 2>/dev/null; wait $opid
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
