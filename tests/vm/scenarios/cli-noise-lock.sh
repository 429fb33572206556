#!/bin/sh
# Scenario (full guest, generic or rt kernel): 'tlbctl noise' is one
# measurement at a time (osnoise's settings are global; two busy loops on
# one nohz_full CPU restart its tick, with or without osnoise):
#  - a second 'tlbctl noise' while one measures is refused, naming the
#    first ("in use by tlbctl noise (PID n)"), and so is the measurement
#    of 'tlbctl check --noise';
#  - where the kernel has osnoise (rt): beside a tracing instance running
#    osnoise (as rtla's do) it is refused, naming the instance, and
#    osnoise/options is as before at the end;
#  - negative control: with nothing else running it measures (exit 0);
#  - --workload=user on a CPU where a user thread is pinned warns.
# On generic (no osnoise) nothing here enables a tracepoint.
set -u
. "$SCENARIO_LIB"
T=/sys/kernel/tracing
state=$(wait_system_running 120)
echo "system state: $state"
command -v tlbctl >/dev/null || fail "tlbctl is not installed"
has_osnoise=false
grep -qw osnoise $T/available_tracers && has_osnoise=true
echo "osnoise tracer: $has_osnoise"
$has_osnoise && opts0=$(cat $T/osnoise/options)

# wait_window PID: until tlbctl PID measures (with osnoise: traces in its
# instance; without: its busy loops run)
wait_window() {
	w0=$(date +%s)
	while :; do
		if $has_osnoise; then
			i=$T/instances/tlbctl-$1
			[ "$(cat $i/current_tracer 2>/dev/null)" = osnoise ] &&
				[ "$(cat $i/tracing_on 2>/dev/null)" = 1 ] && return 0
		else
			pgrep -P "$1" -x tlbctl-busy > /dev/null && return 0
		fi
		kill -0 "$1" 2>/dev/null || return 1
		[ $(($(date +%s) - w0)) -lt 180 ] || return 1
		sleep 0.2
	done
}

# --- a second tlbctl noise, then an rtla-like instance ---
# a second 'tlbctl noise' is refused, naming the first
taskset -c 0 tlbctl noise -c 2 -d 300s > /dev/null 2>&1 &
first=$!
wait_window $first > /dev/null || fail "lock: the first tlbctl noise never opened its window"
out=$(taskset -c 0 tlbctl noise -c 3 -d 1s 2>&1); rc=$?
echo "second tlbctl noise -> exit $rc: $out"
[ $rc -eq 1 ] || fail "a second tlbctl noise ran at the same time (exit $rc)"
case "$out" in *"in use by tlbctl noise (PID $first)"*) ;; *) fail "the refusal does not name PID $first: $out" ;; esac
metric lock.second_tlbctl refused
# so is the measurement of 'tlbctl check --noise'
out=$(taskset -c 0 tlbctl check -c 3 --noise=1s 2>&1); rc=$?
echo "tlbctl check --noise during it -> exit $rc: $(echo "$out" | grep -E 'in use|noise')"
[ $rc -ne 0 ] || fail "tlbctl check --noise passed while tlbctl noise measured"
case "$out" in *"in use by tlbctl noise (PID $first)"*) ;; *) fail "check --noise does not name PID $first: $out" ;; esac
metric lock.check_noise refused
kill -INT $first; wait $first
# an instance running osnoise (as rtla's does) is named
if $has_osnoise; then
	mkdir $T/instances/rtla_like
	echo osnoise > $T/instances/rtla_like/current_tracer
	out=$(taskset -c 0 tlbctl noise -c 3 -d 1s 2>&1); rc=$?
	echo nop > $T/instances/rtla_like/current_tracer
	rmdir $T/instances/rtla_like
	echo "tlbctl noise beside an osnoise instance -> exit $rc: $out"
	[ $rc -eq 1 ] || fail "tlbctl noise ran beside another osnoise user (exit $rc)"
	case "$out" in *"tracing instance 'rtla_like'"*) ;; *) fail "the refusal does not name the instance: $out" ;; esac
	metric lock.other_instance refused
else
	metric lock.other_instance not_run_no_osnoise
fi
# negative control: with the lock free, it runs
taskset -c 0 tlbctl noise -c 3 -d 1s > /dev/null 2>&1 || fail "lock: tlbctl noise refused with nothing else running"
# --workload=user on a CPU where a user thread is pinned: warned
busy_start 3
out=$(taskset -c 0 tlbctl noise -c 3 -d 1s 2>&1 >/dev/null); rc=$?
busy_stop
echo "tlbctl noise --workload=user beside a pinned thread -> exit $rc: $out"
[ $rc -eq 0 ] || fail "noise with a pinned thread: exit $rc"
case "$out" in *"is pinned to CPU 3"*) metric pinned_warning ok ;; *) fail "no warning about the thread pinned to CPU 3: $out" ;; esac
! $has_osnoise || [ "$(cat $T/osnoise/options)" = "$opts0" ] || fail "the scenario left osnoise/options changed"
echo "PASS"
