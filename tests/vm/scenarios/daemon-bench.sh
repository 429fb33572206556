#!/bin/sh
# Benchmark scenario (full guest), run by tests/bench/daemon-bench.sh /
# 'make bench'; not a pass/fail test beyond "the daemon did its job".
# Prints and records:
#  - reaction to a cgroup partition change (isolated partition on CPU 1
#    created, then removed), SAMPLES times: the daemon's own apply time
#    (AppliedAt - change) and the time until no movable IRQ is left on
#    CPU 1 as seen from a shell poll; min/median/max; and counts: applies
#    per change (debounce coalescing) and IRQ writes per change;
#  - with tlbisol.ko loaded the same apply also updates the module (checked
#    through ModuleState after each sample);
#  - idle cost over IDLE seconds: context switches (voluntary/involuntary),
#    scheduler wake-ups (/proc/PID/sched nr_wakeups) and the watchdog pings
#    expected from WatchdogUSec (the daemon's only timer);
#  - RSS and peak RSS.
set -u
. "$SCENARIO_LIB"
SAMPLES=${SAMPLES:-7}
IDLE=${IDLE:-60}

BUS="org.tlbisol1 /org/tlbisol1 org.tlbisol1.Manager"
prop() { busctl get-property $BUS "$1" 2>/dev/null | sed 's/^[a-z]* //; s/^"//; s/"$//'; }
now_us() { echo $(( $(date +%s%N) / 1000 )); }
irqs_on1() { # first movable IRQ whose affinity includes CPU 1
	unmov=$(busctl get-property $BUS UnmovableIRQs 2>/dev/null)
	for d in /proc/irq/[0-9]*; do
		a=$(cat $d/smp_affinity_list 2>/dev/null) || continue
		case ",$a," in *,1,*|*,0-[1-9]*|*,1-*) ;; *) continue ;; esac
		case " $unmov " in *" ${d##*/} \""*) continue ;; esac
		echo "${d##*/}"; return 0
	done
	return 1
}
stats() { # label values... -> "min median max"
	l=$1; shift
	s=$(printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%s %s %s", v[1], v[int((NR + 1) / 2)], v[NR] }')
	echo "$l: min/median/max = $s (n=$#)"
	set -- $s
	metric "$l.min" "$1"; metric "$l.median" "$2"; metric "$l.max" "$3"
}

state=$(wait_system_running 150)
echo "system state: $state"
systemctl stop irqbalance 2>/dev/null
modprobe tlbisol 2>/dev/null && echo "tlbisol.ko loaded" || echo "tlbisol.ko not loaded"
systemctl start tlbisold || fail "tlbisold did not start"
pid=$(systemctl show -p MainPID --value tlbisold)
[ "$(prop IsolatedCPUs)" = 2-3 ] || fail "IsolatedCPUs=$(prop IsolatedCPUs)"
echo "ModuleState: $(prop ModuleState)"

CG=/sys/fs/cgroup
grep -qw cpuset $CG/cgroup.controllers || fail "no cpuset controller"
echo +cpuset > $CG/cgroup.subtree_control
apply_ms="" moved_ms="" back_ms="" applies="" writes=""
i=0
while [ $i -lt "$SAMPLES" ]; do
	i=$((i + 1))
	mkdir -p $CG/bench; echo 1 > $CG/bench/cpuset.cpus
	j0=$(journalctl -u tlbisold -o cat --no-pager | grep -c 'Isolated CPUs')
	a0=$(prop AppliedAt); t0=$(now_us)
	echo isolated > $CG/bench/cpuset.cpus.partition
	moved=""
	n=0
	while [ $n -lt 400 ]; do
		[ -z "$moved" ] && ! irqs_on1 >/dev/null && moved=$(now_us)
		[ -n "$moved" ] && [ "$(prop AppliedAt)" != "$a0" ] && break
		n=$((n + 1))
	done
	a1=$(prop AppliedAt)
	[ "$a1" != "$a0" ] || fail "sample $i: partition change not applied"
	[ -n "$moved" ] || fail "sample $i: IRQs still on CPU 1: $(irqs_on1)"
	[ "$(prop IsolatedCPUs)" = 1-3 ] || fail "sample $i: IsolatedCPUs=$(prop IsolatedCPUs)"
	apply_ms="$apply_ms $(( (a1 - t0) / 1000 ))"
	moved_ms="$moved_ms $(( (moved - t0) / 1000 ))"
	sleep 0.5
	j1=$(journalctl -u tlbisold -o cat --no-pager | grep -c 'Isolated CPUs')
	applies="$applies $((j1 - j0))"
	writes="$writes $(journalctl -u tlbisold -o cat --no-pager | grep 'Applied:' | tail -1 | awk '{ print $2 }')"
	[ $i -eq 1 ] && echo "ModuleState with partition: $(prop ModuleState)"
	a0=$a1; t0=$(now_us)
	rmdir $CG/bench
	n=0
	while [ "$(prop IsolatedCPUs)" != 2-3 ] && [ $n -lt 400 ]; do n=$((n + 1)); done
	[ "$(prop IsolatedCPUs)" = 2-3 ] || fail "sample $i: partition removal not applied"
	back_ms="$back_ms $(( ($(prop AppliedAt) - t0) / 1000 ))"
	sleep 0.5
done
stats reaction.applied_ms $apply_ms
stats reaction.irqs_off_seen_ms $moved_ms
stats reaction.release_applied_ms $back_ms
stats reaction.applies_per_change $applies
stats reaction.writes_per_change $writes
metric module.state "$(prop ModuleState)"

# ---- idle ----
cs() { awk '/^voluntary_ctxt_switches/ { v = $2 } /^nonvoluntary_ctxt_switches/ { n = $2 } END { print v, n }' /proc/$pid/status; }
wk() { awk '$1 == "nr_wakeups" { print $3 }' /proc/$pid/sched 2>/dev/null; }
set -- $(cs); v0=$1 n0=$2; w0=$(wk)
sleep "$IDLE"
set -- $(cs); v1=$1 n1=$2; w1=$(wk)
wd=$(systemctl show -p WatchdogUSec --value tlbisold)
case "$wd" in *min) wd_s=$(( ${wd%min} * 60 )) ;; *s) wd_s=${wd%s} ;; *) wd_s= ;; esac
case "$wd_s" in ''|*[!0-9]*) wd_s= ;; esac
per_min() { echo $(( ($1) * 60 / IDLE )); }
echo "idle ${IDLE}s: voluntary $((v1 - v0)), involuntary $((n1 - n0)), wakeups ${w0:+$((w1 - w0))}; WatchdogUSec=$wd"
metric idle.voluntary_ctxt_per_min "$(per_min "$v1 - $v0")"
metric idle.involuntary_ctxt_per_min "$(per_min "$n1 - $n0")"
[ -n "$w0" ] && metric idle.sched_wakeups_per_min "$(per_min "$w1 - $w0")"
# sd_event pings the watchdog at half of WatchdogSec: the only timer wake-up
[ -n "$wd_s" ] && [ "$wd_s" -gt 0 ] && metric idle.watchdog_timer_wakeups_per_min_expected $(( 120 / wd_s ))
metric rss_kb "$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)"
metric rss_peak_kb "$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status)"
awk '/^VmRSS|^VmHWM/' /proc/$pid/status
systemctl stop tlbisold
echo "PASS"
