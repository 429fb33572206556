#!/bin/sh
# Scenario: load/unload tlbisol.ko 30 times with both controls on, under IPI
# load (collapse or hugetlb-unshare table syncs, vmalloc purges, busy loops
# on the isolated CPUs). The bed fails the run on any Oops/WARN/lockdep
# report; we check that the kernel keeps working and no tlbisol state leaks
# (module gone, genl family gone, ftrace hooks gone). RESET_STATS requests
# run all along, also during each rmmod.
set -u
. "$SCENARIO_LIB"
NL=$BIN_DIR/tlbisol_nl
LOOPS=${LOOPS:-30}

insmod "$KMOD_DIR/test/tlbisol_test.ko" || fail "insmod tlbisol_test"
# read the module from tmpfs: over virtio-9p each insmod spent 1-2 s reading it
KO=/tmp/tlbisol.ko
cp "$KMOD_DIR/tlbisol.ko" "$KO" || fail "copy tlbisol.ko"
case "$TLBISOL_FLAVOUR" in
generic) WL="$BIN_DIR/collapse -c 0 -n 10" ;;
rt)	 echo 8 > /proc/sys/vm/nr_hugepages; WL="$BIN_DIR/hugetlb_unshare -c 0 -n 10" ;;
esac
# Moderate load: TCG on a small host cannot keep nohz_full remote ticks
# within 3 s (sched_tick_remote WARN) under saturating load. Each unload
# waits for one RCU-tasks(-rude) grace period pair per ftrace registration
# of tlbisol.ko (the redirect and guard ops, kmod/tlbisol_hook.c, and the
# deferral's direct call, kmod/tlbisol_defer.c) and a few normal RCU grace
# periods; a cycle takes 3-10 s under TCG on a shared 2-core host. Each
# cycle also live-patches ftrace sites (the redirected functions,
# vtime_user_exit, the guard's) twice while the load runs them: TCG has
# once mis-executed such a patch here ("Oops: int3" at
# tlb_remove_table_sync_one+0x5 with the call already in place), the same
# TCG flake tests/vm/run.sh retries at boot.
busy_start 2 3
( while :; do $WL > /dev/null 2>&1; sleep 1; done ) &
wl=$!
( while :; do echo 1 > /sys/module/tlbisol_test/parameters/purge_churn; echo 5 > /sys/module/tlbisol_test/parameters/unmap_aliases_churn; sleep 0.3; done ) &
churn=$!
# RESET_STATS all the time, also while rmmod runs (review finding 2: a
# doit op between the counters' free and the family's unregister wrote
# freed per-CPU memory; fixed by freeing after the unregister)
# (10 a second: a tighter loop saturates the housekeeping CPUs, which TCG
# then cannot keep nohz_full remote ticks in time for: sched_tick_remote
# WARN, and each cycle took 10x longer)
( while :; do $NL reset > /dev/null 2>&1; sleep 0.1; done ) &
resets=$!
uptime_cs() { awk '{ split($1, t, "."); print t[1] * 100 + t[2] }' /proc/uptime; }
t0=$(uptime_cs)
i=0
while [ $i -lt $LOOPS ]; do
	u0=$(uptime_cs)
	insmod "$KO" sync=1 defer=1 || fail "insmod #$i"
	u1=$(uptime_cs)
	$NL info > "$RESULTS/info.last" || fail "info #$i"
	grep -q '^defer=on' "$RESULTS/info.last" || { cat "$RESULTS/info.last"; fail "defer not on at #$i"; }
	grep -q '^sync=on' "$RESULTS/info.last" || fail "sync not on at #$i"
	usleep 200000 2>/dev/null || sleep 1
	u2=$(uptime_cs)
	rmmod tlbisol || fail "rmmod #$i"
	u3=$(uptime_cs)
	echo "cycle $i: insmod $(( (u1 - u0) * 10 )) ms, rmmod $(( (u3 - u2) * 10 )) ms"
	i=$((i + 1))
done
t1=$(uptime_cs)
metric ms_per_cycle $(( (t1 - t0) * 10 / LOOPS ))
kill $churn $wl $resets 2>/dev/null; wait $churn $wl $resets 2>/dev/null
busy_stop
metric loops "$i"
grep -q '^tlbisol ' /proc/modules && fail "tlbisol still loaded"
$NL info > /dev/null 2>&1 && fail "genl family still registered"
if [ -r /sys/kernel/tracing/enabled_functions ]; then
	cat /sys/kernel/tracing/enabled_functions > "$RESULTS/enabled_functions"
	grep -q 'tlb_remove_table_sync_one\|vtime_user_exit\|flush_tlb_kernel_range\|text_poke\|__register_nmi_handler' "$RESULTS/enabled_functions" &&
		fail "ftrace hooks left behind"
fi
# the kernel still works: fork, THP/hugetlb, vmalloc
echo 10 > /sys/module/tlbisol_test/parameters/purge_churn || fail "purge after loop"
$BIN_DIR/collapse -c 1 -n 5 >/dev/null 2>&1 || [ "$TLBISOL_FLAVOUR" = rt ] || fail "collapse after loop"
rmmod tlbisol_test || fail "rmmod tlbisol_test"
echo PASS
