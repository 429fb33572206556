#!/bin/sh
# Scenario (full guest, generic and rt): run-time isolation is an isolated
# cpuset partition tlbisold owns (tlbisol.slice, made through systemd).
#  - isolate CPU 1: the partition reads "isolated" with CPU 1, a CPU-bound
#    task started afterwards without affinity never runs on CPU 1 (its CPU
#    sampled; negative control: the same sampling sees CPU 1 before), IRQs,
#    the unbound workqueue mask and movable kthreads are off CPU 1; a task
#    started in the partition runs there;
#  - release: CPU 1 back in the root partition, every file as before;
#  - refused or rolled back with the reason, nothing half-applied: no
#    housekeeping CPU left, overlap with a partition tlbisold does not own,
#    a partition the kernel makes invalid (a sibling cgroup holds CPU 1);
#  - kill -9 of the daemon in the middle of a request converges on restart;
#  - stop: everything as before the daemon started (cgroups included).
set -u
. "$SCENARIO_LIB"

BUS="org.tlbisol1 /org/tlbisol1 org.tlbisol1.Manager"
CG=/sys/fs/cgroup
SL=$CG/tlbisol.slice
prop() { busctl get-property $BUS "$1" 2>/dev/null | sed 's/^[a-z]* //; s/^"//; s/"$//'; }

fail() {
	echo "FAIL: $*"
	journalctl -o short-precise -u tlbisold -u tlbisol.slice --no-pager > "$RESULTS/journal.txt" 2>&1
	exit 1
}

# the files tlbisold may touch, and the cgroup state a partition changes
snapshot() {
	print_files $(watched_files) $CG/cpuset.cpus.effective $CG/cpuset.cpus.isolated
	printf 'tlbisol.slice\t%s\n' "$([ -d $SL ] && cat $SL/cpuset.cpus.partition 2>/dev/null || echo absent)"
	printf 'kthreadd\t%s\n' "$(grep Cpus_allowed_list /proc/2/status | cut -f2)"
}
same_as() {   # file-of-a-snapshot what
	d=$(snapshot | diff "$1" - | grep '^[<>]')
	[ -z "$d" ] || { echo "$d"; fail "$2: not as before"; }
}

wq_has_cpu() { [ $(( 0x$(tr -d , < /sys/devices/virtual/workqueue/cpumask) >> $1 & 1 )) -eq 1 ]; }
allowed_has() { case ",$(cpulist_expand "$(grep Cpus_allowed_list /proc/$1/status | cut -f2)")," in *",$2,"*) return 0 ;; esac; return 1; }
# movable kthreads (kthreadd and the RCU/reclaim threads tlbisold moves) off CPU $1
kthreads_avoid() {
	bad=""
	for p in 2 $(pgrep -x 'rcu_preempt|rcu_sched|kswapd0|khugepaged|kcompactd0' 2>/dev/null); do
		allowed_has $p $1 && bad="$bad $(cat /proc/$p/comm)($(grep Cpus_allowed_list /proc/$p/status | cut -f2))"
	done
	[ -z "$bad" ] || { echo "kthreads on CPU $1:$bad"; return 1; }
}

# cpu_of PID: C = the CPU it last ran on (field 39 of stat; no fork: the
# samples must be frequent even under TCG)
cpu_of() { read -r l < /proc/$1/stat || return 1; set -- $l; shift 38; C=$1; }
# samples_on_cpu1 SECONDS PID...: "hits/total" of samples (every 50 ms) that
# saw one of the tasks on CPU 1
samples_on_cpu1() {
	secs=$1; shift
	n=$((secs * 20)) hits=0 total=0
	while [ $n -gt 0 ]; do
		for p in "$@"; do
			cpu_of $p 2>/dev/null || continue
			total=$((total + 1))
			[ "$C" = 1 ] && hits=$((hits + 1))
		done
		sleep 0.05; n=$((n - 1))
	done
	echo "$hits/$total"
}
# (its output away: a command substitution waits for every writer of its pipe)
busy() { "$BIN_DIR/busyloop" > /dev/null 2>&1 & echo $!; }

wait_system_running 150 >/dev/null
systemctl stop irqbalance 2>/dev/null
grep -qw cpuset $CG/cgroup.controllers || fail "no cpuset controller in the root cgroup"
command -v tlbctl >/dev/null || fail "tlbctl is not installed"
snapshot > "$RESULTS/before-start.tsv"
snapshot_holds_watched "$RESULTS/before-start.tsv"
systemctl start tlbisold || fail "tlbisold did not start"
[ "$(prop IsolatedCPUs)" = 2-3 ] || fail "IsolatedCPUs=$(prop IsolatedCPUs) at start"
snapshot > "$RESULTS/before.tsv"
[ -d $SL ] && fail "tlbisol.slice exists before any request"

# ---- negative control: the sampler sees CPU 1 when it is not isolated ----
a=$(busy); b=$(busy)
ctl=$(samples_on_cpu1 3 $a $b)
kill $a $b; wait $a $b 2>/dev/null
echo "before isolation: samples on CPU 1: $ctl"
metric control.samples_on_cpu1 "$ctl"
[ "${ctl%%/*}" -gt 0 ] || fail "negative control: no CPU-bound task was ever seen on CPU 1 ($ctl)"

# ---- isolate CPU 1 ----
t0=$(date +%s%N)
out=$(tlbctl isolate 1 2>&1) || fail "tlbctl isolate 1: $out"
t1=$(date +%s%N)
echo "$out"
metric isolate_ms $(( (t1 - t0) / 1000000 ))
mode=$(cat $SL/cpuset.cpus.partition 2>/dev/null)
echo "tlbisol.slice: $mode, cpus $(cat $SL/cpuset.cpus.effective), root isolated: $(cat $CG/cpuset.cpus.isolated)"
[ "$mode" = isolated ] || fail "partition reads '$mode'"
[ "$(cat $SL/cpuset.cpus.effective)" = 1 ] || fail "partition CPUs $(cat $SL/cpuset.cpus.effective)"
# (6.12 lists the isolcpus= CPUs there too)
case ",$(cpulist_expand "$(cat $CG/cpuset.cpus.isolated)")," in *,1,*) ;; *)
	fail "root cpuset.cpus.isolated $(cat $CG/cpuset.cpus.isolated) lacks CPU 1" ;; esac
case ",$(cpulist_expand "$(cat $CG/cpuset.cpus.effective)")," in *,1,*) fail "CPU 1 still in the root partition" ;; esac
[ "$(systemctl show -p ActiveState --value tlbisol.slice)" = active ] || fail "tlbisol.slice is not an active unit"
[ "$(prop IsolatedCPUs)" = 1-3 ] || fail "IsolatedCPUs=$(prop IsolatedCPUs)"
busctl get-property $BUS Sources
metric partition isolated
wait_irqs_avoid 1 5 || fail "IRQs on CPU 1"
wq_has_cpu 1 && fail "workqueue cpumask $(cat /sys/devices/virtual/workqueue/cpumask) has CPU 1"
kthreads_avoid 1 || fail "movable kthreads on CPU 1"
metric irqs_wq_kthreads_off ok

a=$(busy); b=$(busy)
allowed_has $a 1 && fail "a new task may run on CPU 1: $(grep Cpus_allowed_list /proc/$a/status)"
got=$(samples_on_cpu1 5 $a $b)
kill $a $b; wait $a $b 2>/dev/null
echo "after isolation: samples on CPU 1: $got"
metric isolated.samples_on_cpu1 "$got"
[ "${got%%/*}" -eq 0 ] || fail "a task started after isolation ran on CPU 1 ($got samples)"

# a task put into the partition with tlbctl run runs there, on CPU 1 only
tlbctl run -c 1 -- "$BIN_DIR/busyloop" > "$RESULTS/run.log" 2>&1 &
w=$!
n=0; until grep -q tlbctl-run /proc/$w/cgroup 2>/dev/null && [ "$(readlink /proc/$w/exe)" != "$(command -v tlbctl)" ] \
	|| [ $n -gt 50 ]; do sleep 0.1; n=$((n + 1)); done
echo "tlbctl run: $(cat /proc/$w/cgroup), $(grep Cpus_allowed_list /proc/$w/status)"
grep -q "^0::/tlbisol.slice/tlbctl-run-" /proc/$w/cgroup || fail "tlbctl run: not in tlbisol.slice: $(cat /proc/$w/cgroup; cat $RESULTS/run.log)"
inpart=$(samples_on_cpu1 2 $w)
echo "task in the partition: samples on CPU 1: $inpart"
[ "${inpart%%/*}" = "${inpart##*/}" ] && [ "${inpart##*/}" -gt 0 ] || fail "task in the partition not on CPU 1 ($inpart)"
metric in_partition.samples_on_cpu1 "$inpart"
out=$(tlbctl run -c 0 -- true 2>&1) && fail "tlbctl run on a CPU outside the partition was accepted"
echo "tlbctl run -c 0 -> $out"
kill $w; wait $w 2>/dev/null
n=0; while ls -d $SL/tlbctl-run-* >/dev/null 2>&1 && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
# the documented systemd-run way goes to the same place
systemd-run -q --wait --slice=tlbisol.slice -p AllowedCPUs=1 sh -c 'grep -q "^0::/tlbisol.slice/" /proc/self/cgroup' ||
	fail "systemd-run --slice=tlbisol.slice did not run in the partition"

# ---- release ----
out=$(tlbctl release 1 2>&1) || fail "tlbctl release 1: $out"
n=0; while [ -d $SL ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
[ -d $SL ] && fail "tlbisol.slice left after release ($(cat $SL/cpuset.cpus.partition))"
[ "$(prop IsolatedCPUs)" = 2-3 ] || fail "after release: IsolatedCPUs=$(prop IsolatedCPUs)"
same_as "$RESULTS/before.tsv" "after release"
metric release_exact ok

# ---- refusals ----
refused() {   # name expected-substring cpulist
	out=$(tlbctl isolate "$3" 2>&1) && fail "$1: isolate $3 was accepted"
	echo "$1 -> $out"
	case "$out" in *"$2"*) ;; *) fail "$1: expected '$2' in: $out" ;; esac
	[ -d $SL ] && fail "$1: tlbisol.slice left behind ($(cat $SL/cpuset.cpus.partition 2>/dev/null))"
	metric "refused.$1" ok
}
refused no_housekeeping "no housekeeping" 0-1
same_as "$RESULTS/before.tsv" "after the no-housekeeping refusal"

echo +cpuset > $CG/cgroup.subtree_control
mkdir $CG/foreign
echo 1 > $CG/foreign/cpuset.cpus
echo isolated > $CG/foreign/cpuset.cpus.partition
[ "$(cat $CG/foreign/cpuset.cpus.partition)" = isolated ] || fail "could not make the foreign partition"
n=0; while [ "$(prop IsolatedCPUs)" != 1-3 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
refused foreign_partition "/foreign" 1
[ "$(cat $CG/foreign/cpuset.cpus.partition)" = isolated ] || fail "the foreign partition was touched"
rmdir $CG/foreign
n=0; while [ "$(prop IsolatedCPUs)" != 2-3 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done

mkdir $CG/hog
echo 0-1 > $CG/hog/cpuset.cpus
refused invalid_partition "isolated invalid (" 1
case "$out" in *"rolled back"*) ;; *) fail "invalid_partition: no rollback said: $out" ;; esac
rmdir $CG/hog
sleep 0.5
same_as "$RESULTS/before.tsv" "after the refused requests"

# ---- kill -9 in the middle of a request ----
for delay in 0.05 0.2 0.5 1; do
	pid=$(systemctl show -p MainPID --value tlbisold)
	tlbctl isolate 1 > /dev/null 2>&1 &
	sleep $delay
	kill -9 "$pid"
	wait $! 2>/dev/null
	wait_restarted tlbisold "$pid" || fail "not restarted after kill -9 (delay $delay)"
	iso=$(prop IsolatedCPUs)
	mode=$(cat $SL/cpuset.cpus.partition 2>/dev/null || echo absent)
	echo "kill -9 after ${delay}s: IsolatedCPUs=$iso, tlbisol.slice $mode"
	case "$iso" in
	1-3) [ "$mode" = isolated ] || fail "kill -9 ($delay): CPU 1 isolated but the partition reads '$mode'"
	     wait_irqs_avoid 1 5 || fail "kill -9 ($delay): IRQs on CPU 1"
	     tlbctl release 1 || fail "release after kill -9 ($delay)" ;;
	2-3) [ "$mode" = absent ] || fail "kill -9 ($delay): CPU 1 not isolated but tlbisol.slice reads '$mode'" ;;
	*) fail "kill -9 ($delay): IsolatedCPUs=$iso" ;;
	esac
	metric "kill9.after_${delay}s" "$iso"
done
n=0; while [ -d $SL ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
same_as "$RESULTS/before.tsv" "after the kill -9 rounds"

# ---- stop: as before the daemon started ----
tlbctl isolate 1 >/dev/null || fail "isolate 1 before stop"
systemctl stop tlbisold
n=0; while [ -d $SL ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
same_as "$RESULTS/before-start.tsv" "after stop"
metric stop_exact ok
journalctl -o short-precise -u tlbisold -u tlbisol.slice --no-pager > "$RESULTS/journal.txt" 2>&1
echo "PASS"
