#!/bin/sh
# Scenario: a guard trip under load (review finding 4c). NOT in make test:
# on rt (2026-11-29, one run) the busy loop on CPU 2 crashed with RIP 0 in
# a syscall entry while the kprobe on vtime_user_exit attached (stack top
# __ct_user_exit+0x70: an ftrace trampoline at vtime_user_exit returned to
# a regs->ip of 0; the deferral's entry hook was then an ftrace_ops, now it
# is a direct call, kmod/DEFERRAL.md "The entry hook"); the generic run
# passed. The same crash happened with
# tlbisol.ko never loaded (kmod-ftrace-control.sh, 2026-11-30): it is not
# tlbisol's, most likely multi-threaded TCG running stale code after live
# patching (kmod/DEFERRAL.md). Run by hand, single-threaded TCG:
#   vmslot tests/vm/run.sh --flavour rt --tcg single --scenario tests/vm/scenarios/kmod-guard-load.sh
#
# TEST build, protocol check on, guard on. CPU 2 enters the kernel often,
# purges and NMIs run while a kprobe on vtime_user_exit, then a late
# NMI_FLAG_FIRST handler, attach: a guard that acted after the patch would
# leave catch-ups behind the foreign code (proto_foreign) or skips not
# caught up (proto_violations).
set -u
. "$SCENARIO_LIB"
NL=$BIN_DIR/tlbisol_nl
T=/sys/kernel/tracing
P=/sys/module/tlbisol_test/parameters
rc=0
bad() { echo "FAIL: $*"; rc=1; }

insmod "$KMOD_DIR/test/tlbisol_test.ko" || fail "insmod tlbisol_test"
insmod "$KMOD_DIR/test/tlbisol.ko" sync=1 defer=1 protocol_check=1 || fail "insmod tlbisol (test build)"

# --- the flush comes before the foreign code is
# linked (review 4c). CPU 2 enters the kernel often, purges run while a
# kprobe on vtime_user_exit, then a late NMI_FLAG_FIRST handler, attach: a
# guard that acted after the patch would leave catch-ups behind the foreign
# code (proto_foreign) or skips not caught up (proto_violations).
trip_under_load() { # LABEL ATTACH-COMMAND
	$NL set --defer 0 >/dev/null; $NL set --defer 1 || { bad "$1: cannot enable"; return; }
	taskset -c 2 "$BIN_DIR/busyloop" -y 200000 & yl=$!
	sleep 1
	$NL reset
	( for i in 1 2 3 4 5 6 7 8; do churn 2; taskset -c 0 sh -c "echo '2 2' > $P/nmi_kick"; done ) & cl=$!
	sleep 0.3
	sh -c "$2" || bad "$1: attach"
	wait $cl
	sleep 1
	$NL stats > "$RESULTS/$1.stats"
	kill $yl; wait $yl 2>/dev/null
	[ "$(info_of defer)" != on ] || bad "$1: deferral still on"
	fo=$(stat_of "$RESULTS/$1.stats" 2 proto_foreign); v=$(stat_of "$RESULTS/$1.stats" 2 proto_violations)
	ch=$(stat_of "$RESULTS/$1.stats" 2 proto_checks); d=$(stat_of "$RESULTS/$1.stats" 2 avoided_kflush)
	metric "$1.cpu2_proto_foreign" "$fo"; metric "$1.cpu2_proto_violations" "$v"
	metric "$1.cpu2_proto_checks" "$ch"; metric "$1.cpu2_deferred" "$d"
	[ "$fo" -eq 0 ] || bad "$1: $fo catch-ups behind the foreign code (the guard acted late)"
	[ "$v" -eq 0 ] || bad "$1: $v protocol violations across the trip"
	[ "$d" -gt 0 ] || bad "$1: nothing was deferred before the trip (the check saw no window)"
}
trip_under_load trip_kprobe "echo 'p:tlbisol_late vtime_user_exit' >> $T/kprobe_events && echo 1 > $T/events/kprobes/tlbisol_late/enable"
echo 0 > $T/events/kprobes/tlbisol_late/enable; echo '-:tlbisol_late' >> $T/kprobe_events
trip_under_load trip_nmi_first "echo 1 > $P/nmi_first"
echo 0 > $P/nmi_first

$NL set --defer 0
rmmod tlbisol || fail "rmmod tlbisol (test build)"
rmmod tlbisol_test
[ $rc = 0 ] || fail "guard-under-load checks"
echo PASS
