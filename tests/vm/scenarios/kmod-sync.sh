#!/bin/sh
# Scenario: targeted table-sync IPIs (tlbisol.ko control 1) and IPI accounting.
#
# CPUs 2-3 (nohz_full) run user-space busy loops while CPU 0 triggers 200
# tlb_remove_table_sync_one() broadcasts: MADV_COLLAPSE collapses on the
# generic kernel (THP), hugetlb PMD unsharing on the rt kernel (no THP).
# Three runs: (a) no module, (b) tlbisol.ko sync=0 (accounting only),
# (c) tlbisol.ko sync=1. Pass: table-sync IPIs received by CPUs 2-3 drop by
# >= 99% from (b) to (c) (module counters), the CAL drop from (a) to (c)
# matches, and the avoided counter accounts for the missing IPIs.
set -u
. "$SCENARIO_LIB"
NL=$BIN_DIR/tlbisol_nl
N=${N:-200}

case "$TLBISOL_FLAVOUR" in
generic) WL="$BIN_DIR/collapse -c 0 -n $N"; metric workload madv_collapse ;;
rt)	 echo 8 > /proc/sys/vm/nr_hugepages
	 [ "$(cat /proc/sys/vm/nr_hugepages)" -ge 1 ] || fail "no huge pages"
	 WL="$BIN_DIR/hugetlb_unshare -c 0 -n $N"; metric workload hugetlb_unshare ;;
*)	 fail "unknown flavour $TLBISOL_FLAVOUR" ;;
esac
metric iterations "$N"


run() { # LABEL [insmod args...]   -> $RESULTS/LABEL.{cal0,cal1,stats,wl}
	label=$1; shift
	if [ "$1" != none ]; then
		insmod "$KMOD_DIR/tlbisol.ko" "$@" || fail "insmod tlbisol.ko $*"
		$NL info > "$RESULTS/$label.info" || fail "info failed"
	fi
	busy_start 2 3
	sleep 2
	[ "$1" != none ] && { $NL reset || fail "reset failed"; }
	irq_row CAL > "$RESULTS/$label.cal0"
	$WL > "$RESULTS/$label.wl" 2>&1 || { cat "$RESULTS/$label.wl"; fail "$label: workload failed"; }
	irq_row CAL > "$RESULTS/$label.cal1"
	[ "$1" != none ] && { $NL stats > "$RESULTS/$label.stats" || fail "stats failed"; }
	busy_stop
	if [ "$1" != none ]; then
		rmmod tlbisol || fail "rmmod failed"
	fi
	cat "$RESULTS/$label.wl"
}

cal_delta() { # LABEL CPU
	a=$(cut -d' ' -f$(($2 + 1)) "$RESULTS/$1.cal0"); b=$(cut -d' ' -f$(($2 + 1)) "$RESULTS/$1.cal1")
	echo $((b - a))
}

run stock none
run acct sync=0
run sync sync=1
cat "$RESULTS/sync.info"
grep -q '^sync=on' "$RESULTS/sync.info" || fail "sync control is not on"
grep -q '^acct=on' "$RESULTS/sync.info" || fail "IPI accounting is not on"

rc=0
for cpu in 2 3; do
	cal_a=$(cal_delta stock $cpu); cal_b=$(cal_delta acct $cpu); cal_c=$(cal_delta sync $cpu)
	ts_b=$(stat_of "$RESULTS/acct.stats" $cpu rx_table_sync)
	ts_c=$(stat_of "$RESULTS/sync.stats" $cpu rx_table_sync)
	av_c=$(stat_of "$RESULTS/sync.stats" $cpu avoided_sync)
	metric "cpu$cpu.cal_delta.stock" "$cal_a"
	metric "cpu$cpu.cal_delta.acct_only" "$cal_b"
	metric "cpu$cpu.cal_delta.sync_on" "$cal_c"
	metric "cpu$cpu.rx_table_sync.acct_only" "$ts_b"
	metric "cpu$cpu.rx_table_sync.sync_on" "$ts_c"
	metric "cpu$cpu.avoided_sync.sync_on" "$av_c"
	echo "CPU$cpu: CAL stock $cal_a, acct-only $cal_b, sync-on $cal_c; table-sync IPIs acct-only $ts_b, sync-on $ts_c; avoided $av_c"
	[ "$ts_b" -ge $((N * 9 / 10)) ] || { echo "CPU$cpu: baseline saw only $ts_b table-sync IPIs"; rc=1; }
	[ $((ts_c * 100)) -le "$ts_b" ] || { echo "CPU$cpu: table-sync IPIs dropped by less than 99%"; rc=1; }
	[ "$av_c" -ge $((N * 9 / 10)) ] || { echo "CPU$cpu: avoided counter $av_c too low"; rc=1; }
	# CAL cross-check: the stock run's extra CAL IPIs are the table syncs
	[ $(( (cal_a - cal_c) * 100 )) -ge $((ts_b * 95)) ] || { echo "CPU$cpu: CAL drop $((cal_a - cal_c)) does not match $ts_b"; rc=1; }
done
[ $rc = 0 ] || fail "targeted sync check failed"
echo PASS
