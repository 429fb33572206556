#!/bin/sh
# Recorder (busybox guest, rt kernel), not a test: the source of the tick
# traces under tests/fixtures/attrib/ (tick-*.txt, see its README), on which
# tests/unit/test_attrib.c checks that 'tlbctl noise' tells the residual
# tick of nohz_full from a tick that did not stop, and names what kept it.
# Records, in a private tracing instance on the "mono" clock, CPUs 2-3:
#   osnoise:*                  what each interrupt cost (NO_OSNOISE_WORKLOAD)
#   timer:hrtimer_expire_entry which timer a local_timer interrupt ran
#   timer:tick_stop            at each interrupt exit: the tick dependency
#                              that kept the tick (success=0), or its stop
#   ipi:ipi_send_cpu, csd:csd_queue_cpu, csd:csd_function_entry,
#   sched:sched_waking         the senders of the IPIs among them
# Phases, $SECS s each, one boot (the last cannot be undone):
#   residual   one user busy loop on CPU 2; CPU 3 idle
#   sched      two busy loops on CPU 2 (the scheduler keeps the tick)
#   unstable   one busy loop on CPU 2 after tlbisol_test.ko marked the TSC
#              unstable (mark_tsc_unstable(), the clocksource watchdog's
#              verdict on a loaded host): the tick runs on every nohz_full CPU
# Output: $RESULTS/tick-<phase>.txt, the busy loops' pids, dmesg.
# Run: tests/vm/run.sh --flavour rt --scenario tests/vm/scenarios/tick-record.sh
set -u
. "$SCENARIO_LIB"
T=/sys/kernel/tracing
SECS=${SECS:-6}
grep -qw osnoise $T/available_tracers || skip "no osnoise tracer"
[ -d $T/events/timer/tick_stop ] || skip "no timer:tick_stop tracepoint"
tsc_re="Marking TSC unstable|Marking clocksource 'tsc' as unstable"

record() { # phase
	I=$T/instances/rec
	mkdir $I || fail "mkdir instance"
	echo mono > $I/trace_clock
	echo 4096 > $I/buffer_size_kb
	echo 0 > $I/tracing_on
	echo 2-3 > $T/osnoise/cpus
	echo NO_OSNOISE_WORKLOAD > $T/osnoise/options
	echo 1 > $I/events/osnoise/enable
	for e in timer/hrtimer_expire_entry timer/tick_stop csd/csd_function_entry; do
		echo 'CPU == 2 || CPU == 3' > $I/events/$e/filter
		echo 1 > $I/events/$e/enable
	done
	for e in ipi/ipi_send_cpu csd/csd_queue_cpu; do
		echo 'cpu == 2 || cpu == 3' > $I/events/$e/filter
		echo 1 > $I/events/$e/enable
	done
	echo 'target_cpu == 2 || target_cpu == 3' > $I/events/sched/sched_waking/filter
	echo 1 > $I/events/sched/sched_waking/enable
	echo osnoise > $I/current_tracer
	sleep 1
	echo 1 > $I/tracing_on
	sleep "$SECS"
	echo 0 > $I/tracing_on
	cat $I/trace > "$RESULTS/tick-$1.txt"
	cat $I/per_cpu/cpu2/stats > "$RESULTS/stats-$1.txt"
	echo nop > $I/current_tracer
	echo 0 > $I/events/enable
	rmdir $I
	ticks=$(grep -c 'function=tick_nohz_handler' "$RESULTS/tick-$1.txt")
	deps=$(grep -o 'tick_stop: success=[01] dependency=[A-Z_]*' "$RESULTS/tick-$1.txt" | sort | uniq -c | tr '\n' ';')
	echo "$1: $(wc -l < "$RESULTS/tick-$1.txt") lines, $ticks ticks on CPUs 2-3; tick_stop: $deps"
	metric "$1.ticks" "$ticks"
	metric "$1.tick_stop" "$deps"
}

busy_start 2
echo "$BUSY_PIDS" > "$RESULTS/pids-residual"
sleep 2
record residual
busy_start 2
echo "$BUSY_PIDS" > "$RESULTS/pids-sched"
sleep 1
record sched
busy_stop
dmesg | grep -E "$tsc_re" && fail "the TSC was marked unstable before the last phase: phases 1-2 are not what they say"

insmod "$KMOD_DIR/test/tlbisol_test.ko" || fail "insmod tlbisol_test.ko"
echo 1 > /sys/module/tlbisol_test/parameters/mark_tsc_unstable || fail "mark_tsc_unstable"
sleep 1
dmesg | grep -E "$tsc_re" || fail "the TSC was not marked unstable"
busy_start 2
echo "$BUSY_PIDS" > "$RESULTS/pids-unstable"
sleep 1
record unstable
busy_stop
rmmod tlbisol_test
dmesg > "$RESULTS/dmesg-record.txt"
echo PASS
