#!/bin/sh
# Review 2, item 5 experiment (not for make test; run by hand): phase C of
# the trip loop (kmod-guard-load.sh in a loop) only, WITHOUT tlbisol.ko loaded, plus bare kprobe
# toggles on vtime_user_exit, LOOPS times, same load. Any splat here is not
# tlbisol's. (Phase descriptions as in run 1:)
#  T: the kmod-guard-load trip: tlbisol deferral on, a kprobe event enabled
#     on vtime_user_exit (guard trips; site, with the entry hook of then,
#     an ftrace_ops: tlbisol's ops trampoline -> ftrace_regs_caller; the
#     guard's work item then detaches: -> kprobe trampoline, tlbisol's ops
#     trampoline freed. Since the entry hook is a direct call: call
#     tlbisol_entry_tramp -> ftrace_regs_caller, which RETs into it ->
#     kprobe trampoline; no ftrace-allocated tlbisol trampoline is freed);
#  C: the control, no deferral (tlbisol's hooks all detached): a plain
#     IPMODIFY ftrace_ops of tlbisol_test on vtime_user_exit (its own
#     ftrace_caller-copy trampoline, like tlbisol's entry hook of then),
#     then the same site transitions: own trampoline -> ftrace_regs_caller
#     (kprobe on) -> kprobe trampoline (ops released, its trampoline
#     freed) -> nop. It models the crash as seen with that earlier hook.
#     (Since review 6, tlbisol_test's grab_ops has livepatch's flags,
#     SAVE_REGS | IPMODIFY, for its redirect mode: its own trampoline is
#     now an ftrace_regs_caller copy; the run below had the
#     ftrace_caller copy.)
# Same load in both: busy loop with syscalls on CPU 2, purges, NMIs to CPU 2.
# A splat in C means the crash is not caused by the deferral or the guard.
# 2026-11-30, rt, multi-threaded TCG: RIP 0 at __ct_user_exit+0x70 in cycle
# C6 (the signature of kmod-guard-load.sh's crash), after an "Oops: int3" on
# a byte already patched in the first boot. The deciding run:
#   vmslot tests/vm/run.sh --flavour rt --tcg single --timeout 2400 \
#     --scenario tests/vm/scenarios/kmod-ftrace-control.sh
# (a crash there is a kernel bug; none points at QEMU).
set -u
. "$SCENARIO_LIB"
NL=$BIN_DIR/tlbisol_nl
T=/sys/kernel/tracing
P=/sys/module/tlbisol_test/parameters
E=$T/events/kprobes/tlbisol_late/enable
N=${LOOPS:-8}
mark() { echo "review2: $*" > /dev/kmsg; echo "review2: $*"; }
splats() { dmesg | grep -c -E 'Oops|BUG:|general protection|WARNING:'; }
ops_on_site() { sed -n 's/^vtime_user_exit (\([0-9]*\)).*/\1/p' $T/enabled_functions; }
wait_ops() { # N: until vtime_user_exit has N ftrace users (0: none), 60 s max
	t=0
	while :; do
		n=$(ops_on_site); [ -n "$n" ] || n=0
		[ "$n" = "$1" ] && return 0
		t=$((t + 1)); [ $t -lt 300 ] || { mark "timeout waiting for $1 ops on vtime_user_exit (have $n)"; return 1; }
		sleep 0.2
	done
}
load_start() {
	touch /tmp/go
	taskset -c 2 "$BIN_DIR/busyloop" -y 200000 & yl=$!
	( while [ -e /tmp/go ]; do
		taskset -c 0 sh -c "echo 2 > $P/purge_churn"
		taskset -c 0 sh -c "echo '2 2' > $P/nmi_kick"
	  done ) & cl=$!
	sleep 0.5
}
load_stop() { # LABEL
	rm -f /tmp/go; wait $cl
	if kill $yl 2>/dev/null; then wait $yl 2>/dev/null
	else mark "$1: busy loop already dead"; echo "$1" >> "$RESULTS/dead"; fi
}
check() { # LABEL BEFORE
	s=$(splats)
	[ "$s" = "$2" ] || { mark "$1: new splat ($2 -> $s)"; echo "$1" >> "$RESULTS/splat"; }
}

insmod "$KMOD_DIR/test/tlbisol_test.ko" || fail "insmod tlbisol_test"
grep -E ' (__ct_user_exit|vtime_user_exit|ftrace_regs_caller|ftrace_caller)$' /proc/kallsyms > "$RESULTS/syms"
echo 'p:tlbisol_late vtime_user_exit' >> $T/kprobe_events || fail "kprobe event"
i=0
while [ $i -lt "$N" ]; do
	s0=$(splats)
	mark "C$i start"
	echo vtime_user_exit > $P/ipmodify_grab || fail "C$i: ipmodify_grab"
	load_start
	echo 1 > $E			# grab trampoline -> ftrace_regs_caller
	echo 0 > $P/ipmodify_grab	# -> kprobe trampoline; grab trampoline freed
	wait_ops 1
	echo 0 > $E
	wait_ops 0
	for k in 1 2 3; do echo 1 > $E; echo 0 > $E; done	# nop <-> kprobe trampoline
	load_stop "C$i"
	check "C$i" "$s0"
	i=$((i + 1))
done
echo '-:tlbisol_late' >> $T/kprobe_events
metric splats_C "$(grep -c '^C' "$RESULTS/splat" 2>/dev/null || echo 0)"
rmmod tlbisol_test
[ -e "$RESULTS/splat" ] && fail "splats in: $(tr '\n' ' ' < "$RESULTS/splat")"
echo PASS
