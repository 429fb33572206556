#!/bin/sh
# Recorder (full guest, rt kernel), not a test: the source of the recorded
# traces under tests/fixtures/attrib/. Runs the benchmark's noise mix
# (tests/vm/guest/noise-mix.sh, one run of its counts; MIX_* to change them)
# on the housekeeping CPUs 0-1 while CPU 2 runs a user busy loop and CPU 3 idles,
# and records, in a private tracing instance on the "mono" clock, every
# event 'tlbctl noise' attributes with:
#   osnoise:*             what each interrupt cost on CPUs 2-3 (NO_OSNOISE_WORKLOAD)
#   ipi:ipi_send_cpu      sender CPU/task, call site, callback (target 2-3)
#   ipi:ipi_send_cpumask  the same for broadcasts that include 2-3
#   csd:csd_queue_cpu     what a function-call IPI carried (target 2-3)
#   csd:csd_function_entry, sched:sched_waking (woken task on 2-3),
#   timer:hrtimer_expire_entry (which timer a local_timer interrupt ran)
# Phases: stock (module not loaded), then tlbisold with Defer=yes.
# Output: $RESULTS/trace-<phase>.txt and the /proc/interrupts deltas.
set -u
. "$SCENARIO_LIB"
T=/sys/kernel/tracing
state=$(wait_system_running 150)
echo "system state: $state"
systemctl stop irqbalance 2>/dev/null
grep -qw osnoise $T/available_tracers || skip "no osnoise tracer"
echo 64 > /proc/sys/vm/nr_hugepages

record() { # phase
	I=$T/instances/rec
	mkdir $I || fail "mkdir instance"
	echo mono > $I/trace_clock
	echo 16384 > $I/buffer_size_kb
	echo 2-3 > $T/osnoise/cpus
	echo NO_OSNOISE_WORKLOAD > $T/osnoise/options
	echo 1 > $I/events/osnoise/enable
	echo 'CPU == 2 || CPU == 3' > $I/events/csd/csd_function_entry/filter
	echo 1 > $I/events/csd/csd_function_entry/enable
	echo 'cpu == 2 || cpu == 3' > $I/events/csd/csd_queue_cpu/filter
	echo 1 > $I/events/csd/csd_queue_cpu/enable
	echo 'cpu == 2 || cpu == 3' > $I/events/ipi/ipi_send_cpu/filter
	echo 1 > $I/events/ipi/ipi_send_cpu/enable
	echo 'cpumask & CPUS{2-3}' > $I/events/ipi/ipi_send_cpumask/filter || echo "no cpumask filter"
	echo 1 > $I/events/ipi/ipi_send_cpumask/enable
	echo 'target_cpu == 2 || target_cpu == 3' > $I/events/sched/sched_waking/filter
	echo 1 > $I/events/sched/sched_waking/enable
	echo 'CPU == 2 || CPU == 3' > $I/events/timer/hrtimer_expire_entry/filter
	echo 1 > $I/events/timer/hrtimer_expire_entry/enable
	# with a condition the trigger runs after the record: the stack follows it
	echo 'stacktrace if cpu == 2 || cpu == 3' > $I/events/ipi/ipi_send_cpu/trigger
	echo 'stacktrace if cpumask & CPUS{2-3}' > $I/events/ipi/ipi_send_cpumask/trigger
	echo 'stacktrace if cpu == 2 || cpu == 3' > $I/events/csd/csd_queue_cpu/trigger
	echo osnoise > $I/current_tracer
	sleep 1
	busy_start 2
	cp /proc/interrupts "$RESULTS/interrupts-$1.before"
	sh "$NOISE_MIX" > "$RESULTS/mix-$1.txt" 2>&1 || echo "$1: the mix had failures: $(cat "$RESULTS/mix-$1.txt")"
	modprobe -r dummy 2>/dev/null
	cp /proc/interrupts "$RESULTS/interrupts-$1.after"
	busy_stop
	echo 0 > $I/tracing_on
	cat $I/trace > "$RESULTS/trace-$1.txt"
	cat $I/per_cpu/cpu2/stats > "$RESULTS/stats-$1.txt"
	echo nop > $I/current_tracer
	echo '!stacktrace if cpu == 2 || cpu == 3' > $I/events/ipi/ipi_send_cpu/trigger
	echo '!stacktrace if cpumask & CPUS{2-3}' > $I/events/ipi/ipi_send_cpumask/trigger
	echo '!stacktrace if cpu == 2 || cpu == 3' > $I/events/csd/csd_queue_cpu/trigger
	echo 0 > $I/events/enable
	rmdir $I
	echo "$1: $(wc -l < "$RESULTS/trace-$1.txt") lines"
}

record stock
modprobe tlbisol || fail "modprobe tlbisol"
mkdir -p /etc/tlbisol/tlbisold.conf.d
printf '[Module]\nDefer=yes\n' > /etc/tlbisol/tlbisold.conf.d/defer.conf
systemctl start tlbisold || fail "tlbisold"
sleep 2
record tlbisol
systemctl stop tlbisold
metric done 1
echo PASS
