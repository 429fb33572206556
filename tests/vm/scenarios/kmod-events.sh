#!/bin/sh
# Scenario: the "events" multicast group of tlbisol.ko.
#
# An isolated CPU that is sent a table-sync or kernel-flush IPI although the
# control is on must produce an event (callback name, sender pid/comm/CPU),
# rate limited to 10 per second; nothing is built while nobody listens.
# How we make IPIs happen despite the controls: CPU 2 runs a kernel-mode
# hog (dd from /dev/zero: clear_user() in the kernel, RCU watching), so
# targeted sync and the deferral both must IPI it; CPU 3 is idle, and the
# deferral never defers idle CPUs.
# 1. nobody listens: purges and table syncs; events_sent/events_dropped
#    (GET_INFO) stay 0;
# 2. a listener for 12 s: table syncs, then 200 purges in a burst;
#    events of both kinds arrive with the right callback, sender and CPU,
#    and no more than the rate limit allows.
# 3. PREEMPT_RT (issue 9 item 7): while the listener is joined and IPIs
#    flow, no sleeping lock (rt_spin_lock) may be taken with IRQs off from
#    tlbisol.ko: tlbisol_test sleep_watch does the check
#    CONFIG_DEBUG_ATOMIC_SLEEP would do (Debian's rt kernel lacks it) and
#    prints "BUG: sleeping lock ..." (a splat: the bed fails the run).
set -u
. "$SCENARIO_LIB"
NL=$BIN_DIR/tlbisol_nl
LISTEN=12

# purges through vm_unmap_aliases(): quick, from this shell (a kernel-flush
# IPI to the kernel-mode CPU 2 despite the deferral, either way; the lazy
# purge runs in a kworker and takes longer per purge)
churn() { taskset -c 0 sh -c "echo $1 > /sys/module/tlbisol_test/parameters/unmap_aliases_churn"; }
case "$TLBISOL_FLAVOUR" in
generic) syncs() { $BIN_DIR/collapse -c 0 -n "$1"; } ;;
rt)	 echo 8 > /proc/sys/vm/nr_hugepages; syncs() { $BIN_DIR/hugetlb_unshare -c 0 -n "$1"; } ;;
esac

rc=0
if [ "$TLBISOL_FLAVOUR" = rt ]; then
	# positive control of the sleeping-lock watch (review 4f): the TEST
	# build takes a spinlock_t under a raw lock with IRQs off on request
	insmod "$KMOD_DIR/test/tlbisol.ko" || fail "insmod tlbisol (test build)"
	insmod "$KMOD_DIR/test/tlbisol_test.ko" || fail "insmod tlbisol_test"
	echo 2 > /sys/module/tlbisol_test/parameters/sleep_watch || fail "sleep_watch=2"
	echo 1 > /sys/module/tlbisol_test/parameters/sleep_bait || fail "sleep_bait"
	sw=$(cat /sys/module/tlbisol_test/parameters/sleep_watch); echo "positive control: $sw"
	echo 0 > /sys/module/tlbisol_test/parameters/sleep_watch
	swt=$(echo "$sw" | sed -n 's/.* tlbisol=\([0-9]*\).*/\1/p')
	metric rt.sleep_watch_positive_control "$swt"
	[ "${swt:-0}" -ge 1 ] || { echo "FAIL: the sleeping-lock watch missed the bait (positive control)"; rc=1; }
	rmmod tlbisol_test; rmmod tlbisol || fail "rmmod (test build)"
fi
insmod "$KMOD_DIR/tlbisol.ko" sync=1 defer=1 || fail "insmod tlbisol"
insmod "$KMOD_DIR/test/tlbisol_test.ko" || fail "insmod tlbisol_test"
$NL info | tee "$RESULTS/info"
grep -q '^defer=on' "$RESULTS/info" && grep -q '^sync=on' "$RESULTS/info" || fail "controls not on"

taskset -c 2 dd if=/dev/zero of=/dev/null bs=4M 2>/dev/null &
hog=$!
sleep 1

# --- 1. nobody listens
$NL reset
churn 50 || fail "churn"
syncs 10 > /dev/null || fail "table syncs"
$NL stats > "$RESULTS/quiet.stats"
stat2() { awk -v k="$1" '$1 == "cpu=2" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$RESULTS/quiet.stats"; }
k2=$(stat2 rx_kernel_flush); t2=$(stat2 rx_table_sync)
s0=$(info_of events_sent); d0=$(info_of events_dropped)
metric quiet.cpu2_rx_kernel_flush "$k2"; metric quiet.cpu2_rx_table_sync "$t2"
metric quiet.events_sent "$s0"; metric quiet.events_dropped "$d0"
# dd returns to user mode briefly between its syscalls: most, not all, IPIs
[ "$k2" -ge 25 ] || { echo "FAIL: CPU 2 in kernel mode got only $k2 of 50 kernel-flush IPIs"; rc=1; }
[ "$t2" -ge 1 ] || { echo "FAIL: CPU 2 in kernel mode got no table-sync IPI"; rc=1; }
[ "$s0" = 0 ] && [ "$d0" = 0 ] || { echo "FAIL: events built without a listener: sent=$s0 dropped=$d0"; rc=1; }

# --- 1b. an unprivileged listener may not join (events name other users'
#          tasks): the group needs CAP_NET_ADMIN
if $NL --drop-priv events 1 > "$RESULTS/events.unpriv" 2>&1; then
	echo "FAIL: an unprivileged listener joined the events group"; rc=1
else
	echo "unprivileged listener refused: $(head -n 1 "$RESULTS/events.unpriv")"
fi
metric events.unprivileged_refused "$([ $rc = 0 ] && echo true || echo false)"

# --- 2. a listener (and, on rt, the atomic-sleep watch)
if [ "$TLBISOL_FLAVOUR" = rt ]; then
	echo 1 > /sys/module/tlbisol_test/parameters/sleep_watch || fail "sleep_watch"
fi
$NL events $LISTEN > "$RESULTS/events.log" &
lis=$!
sleep 1
# table syncs first: the 200 purges then use up the rate limit, however
# long they take on a loaded host
syncs 20 > /dev/null || fail "table syncs"
sleep 1
churn 200 || fail "churn"
wait $lis
kill $hog; wait $hog 2>/dev/null
if [ "$TLBISOL_FLAVOUR" = rt ]; then
	sw=$(cat /sys/module/tlbisol_test/parameters/sleep_watch)
	echo 0 > /sys/module/tlbisol_test/parameters/sleep_watch
	echo "sleep_watch: $sw"
	swt=$(echo "$sw" | sed -n 's/.* tlbisol=\([0-9]*\).*/\1/p')
	metric rt.sleeping_lock_irqs_off_in_tlbisol "$swt"
	metric rt.sleeping_lock_irqs_off_elsewhere "$(echo "$sw" | sed -n 's/.* other=\([0-9]*\).*/\1/p')"
	[ "$swt" = 0 ] || { echo "FAIL: tlbisol.ko took a sleeping lock with IRQs off $swt times"; rc=1; }
fi
cat "$RESULTS/events.log"
n=$(grep -c '^event ' "$RESULTS/events.log")
nk=$(grep -c '^event .*kind=1 func=\(tlbisol_defer_ipi\|do_flush_tlb_all\|do_kernel_range_flush\) ' "$RESULTS/events.log")
ns=$(grep -c '^event .*kind=2 func=tlbisol_sync_ipi ' "$RESULTS/events.log")
bad=$(grep '^event ' "$RESULTS/events.log" | grep -v -c ' cpu=[23] .*sender_pid=[1-9][0-9]* sender_comm=[^ ?][^ ]* sender_cpu=[0-9]')
s1=$(info_of events_sent); d1=$(info_of events_dropped)
metric events.received "$n"; metric events.kernel_flush "$nk"; metric events.table_sync "$ns"
metric events.malformed "$bad"; metric events.sent "$s1"; metric events.dropped "$d1"
[ "$nk" -ge 1 ] || { echo "FAIL: no kernel-flush event"; rc=1; }
[ "$ns" -ge 1 ] || { echo "FAIL: no table-sync event"; rc=1; }
[ "$bad" = 0 ] || { echo "FAIL: $bad events lack CPU, sender pid/comm/CPU"; rc=1; }
# 10 per second: at most 10 per started second of listening
[ "$n" -le $((10 * (LISTEN + 1))) ] || { echo "FAIL: $n events in $LISTEN s: not rate limited"; rc=1; }
[ "$d1" -gt 0 ] || { echo "FAIL: 200 purges in a burst and nothing rate limited"; rc=1; }
[ "$s1" -ge "$n" ] || { echo "FAIL: events_sent $s1 < received $n"; rc=1; }
grep -q 'sender_comm=sh .*\|sender_comm=\(collapse\|hugetlb_unshar\)' "$RESULTS/events.log" ||
	{ echo "FAIL: no event names the sending process"; rc=1; }

rmmod tlbisol_test; rmmod tlbisol || fail "rmmod"
[ $rc = 0 ] || fail "events checks"
echo PASS
