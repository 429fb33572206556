#!/bin/sh
# Scenario (full guest): tlbisold's kthread/task moving, module deferral and
# event-driven re-applies. One daemon run, configured by a drop-in with
# UserTasks=yes, UserTasksExclude=rtapp* and [Module] Defer=yes:
#  - runtime isolate of CPU 1 moves movable kthreads (kthreadd, rcu_preempt,
#    ...) and user tasks off CPU 1; per-CPU kthreads (ksoftirqd/1) stay; the
#    excluded "rtapp-x" and a task the user pinned to 0,1 keep their
#    affinity, minus CPU 1 while it is tlbisold's isolated partition (no
#    task outside a partition may use its CPUs) — never the boot-isolated
#    2-3 the kernel's partition change would give them; release puts every
#    one back exactly;
#  - tlbisol.ko loaded: the deferral mask the daemon sets is isolated ∩
#    nohz_full (2-3), or the module's own refusal reason shows in
#    ModuleState while the daemon keeps working;
#  - CPU 1 offline/online and a virtio-net unbind/bind (new IRQs) each
#    trigger a re-apply, IRQs stay off the isolated CPUs;
#  - an unmovable IRQ is reported once in the journal, not on every apply;
#  - stop restores every task affinity it changed.
set -u
. "$SCENARIO_LIB"

BUS="org.tlbisol1 /org/tlbisol1 org.tlbisol1.Manager"
prop() { busctl get-property $BUS "$1" 2>/dev/null | sed 's/^[a-z]* //; s/^"//; s/"$//'; }
call() { busctl call $BUS "$@" 2>&1; }
now_us() { echo $(( $(date +%s%N) / 1000 )); }
aff() { taskset -cp "$1" 2>/dev/null | sed 's/.*: //'; }
fail() {
	echo "FAIL: $*"
	journalctl -u tlbisold --no-pager > "$RESULTS/journal.txt" 2>&1
	exit 1
}
# wait until AppliedAt differs from $1 (at most $2 tenths of a second)
wait_applied() {
	n=0
	while [ "$(prop AppliedAt)" = "$1" ] && [ $n -lt "$2" ]; do sleep 0.1; n=$((n + 1)); done
	[ "$(prop AppliedAt)" != "$1" ]
}
on_cpu() { case ",$(cpulist_expand "$1")," in *",$2,"*) return 0 ;; esac; return 1; }
irqs_on() { # CPU -> movable IRQs whose affinity includes it
	unmov=$(busctl get-property $BUS UnmovableIRQs 2>/dev/null)
	for d in /proc/irq/[0-9]*; do
		n=${d##*/}; a=$(cat $d/smp_affinity_list 2>/dev/null) || continue
		on_cpu "$a" "$1" || continue
		case " $unmov " in *" $n \""*) ;; *) printf ' %s(%s)' "$n" "$a" ;; esac
	done
}

state=$(wait_system_running 150)
echo "system state: $state"
systemctl stop irqbalance 2>/dev/null

# the tasks under test
cp /bin/sleep /tmp/rtapp-x
/tmp/rtapp-x 3600 & rt_pid=$!
sleep 3600 & pl_pid=$!
cp /bin/sleep /tmp/rtapp-pinned
taskset -c 0,1 /tmp/rtapp-pinned 3600 & pin_pid=$!
kt_pids=""
# (not khugepaged: TransparentHugepages=never stops it; it restarts with a new PID)
for name in kthreadd rcu_preempt rcu_sched kswapd0 kcompactd0; do
	p=$(pgrep -x "$name" | head -1)
	[ -n "$p" ] && kt_pids="$kt_pids $p"
done
ksoft=$(pgrep -x ksoftirqd/1)
rt_aff=$(aff $rt_pid)
before=""
pin_aff=$(aff $pin_pid)
for p in $kt_pids $rt_pid $pin_pid $pl_pid ${ksoft:-}; do before="$before $p=$(aff $p)"; done
echo "before:$before"

mkdir -p /etc/tlbisol/tlbisold.conf.d
cat > /etc/tlbisol/tlbisold.conf.d/60-events.conf <<EOF
[Apply]
UserTasks=yes
UserTasksExclude=rtapp*
[Module]
Defer=yes
EOF
systemctl start tlbisold || fail "start failed"
[ "$(prop IsolatedCPUs)" = 2-3 ] || fail "IsolatedCPUs=$(prop IsolatedCPUs)"

# ---- kthreads and user tasks ----
out=$(call Isolate s 1) || fail "isolate 1: $out"
[ "$(prop IsolatedCPUs)" = 1-3 ] || fail "after isolate 1: IsolatedCPUs=$(prop IsolatedCPUs)"
moved=$(prop MovedTasks)
echo "MovedTasks=$moved"
metric tasks.moved "$moved"
[ "${moved:-0}" -gt 0 ] || fail "no task moved"
bad=""
for p in $kt_pids $pl_pid; do
	a=$(aff $p); echo "  $(cat /proc/$p/comm) ($p): $a"
	on_cpu "$a" 1 && bad="$bad $(cat /proc/$p/comm)($a)"
done
[ -z "$bad" ] || fail "still on CPU 1:$bad"
metric tasks.kthreads_off_cpu1 ok
# with CPU 1 an isolated partition (tlbisol.slice), no task outside it may
# have CPU 1: the excluded task keeps its affinity minus the partition
part=$(cat /sys/fs/cgroup/tlbisol.slice/cpuset.cpus.partition 2>/dev/null)
echo "tlbisol.slice partition: ${part:-none}"
metric partition.state "${part:-none}"
minus1() { cpulist_expand "$1" | tr ',' '\n' | grep -vx 1 | paste -sd, -; }
if [ "$part" = isolated ]; then want_rt=$(minus1 "$rt_aff"); want_pin=$(minus1 "$pin_aff")
else want_rt=$(cpulist_expand "$rt_aff"); want_pin=$(cpulist_expand "$pin_aff"); fi
[ "$(cpulist_expand "$(aff $rt_pid)")" = "$want_rt" ] ||
	fail "excluded rtapp-x moved from $rt_aff to $(aff $rt_pid), not $want_rt"
metric tasks.excluded_kept "$(aff $rt_pid)"
[ "$(cpulist_expand "$(aff $pin_pid)")" = "$want_pin" ] ||
	fail "task pinned to $pin_aff has $(aff $pin_pid), not $want_pin"
metric tasks.user_pinned_kept "$(aff $pin_pid)"
if [ -n "$ksoft" ]; then
	[ "$(aff $ksoft)" = 1 ] || fail "ksoftirqd/1 moved to $(aff $ksoft)"
	metric tasks.percpu_kept ok
fi
grep -c '^task' /run/tlbisol/state | xargs echo "task lines in the state file:"

# ---- module: deferral mask = isolated ∩ nohz_full ----
if modprobe tlbisol 2>/dev/null; then
	n=0
	while ! prop ModuleState | grep -q '^loaded' && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	ms=$(prop ModuleState); echo "ModuleState: $ms"
	metric module.state "$ms"
	metric module.last_error "$(prop LastError)"
	if [ -x "$BIN_DIR/tlbisol_nl" ]; then "$BIN_DIR/tlbisol_nl" info | tee "$RESULTS/module-info.txt"
	elif command -v tlbctl >/dev/null; then tlbctl status | tee "$RESULTS/module-info.txt"; fi
	case "$ms" in
	*"defer on mask 2-3"*) metric module.defer_mask 2-3 ;;
	*"defer refused:"*|*"(defer: "*) metric module.defer_mask "refused by the module (reason shown)" ;;
	*) fail "ModuleState neither shows mask 2-3 nor the module's reason: $ms" ;;
	esac
	[ "$(systemctl is-active tlbisold)" = active ] || fail "daemon died with the module"
else
	metric module.state "tlbisol.ko not loadable: $(prop ModuleState)"
fi

# ---- CPU hotplug: offline/online CPU 1 re-applies ----
out=$(call Release s 1) || fail "release 1: $out"
[ "$(aff $rt_pid)" = "$rt_aff" ] || fail "after release, excluded rtapp-x has $(aff $rt_pid), not $rt_aff"
[ "$(aff $pin_pid)" = "$pin_aff" ] || fail "after release, the pinned task has $(aff $pin_pid), not $pin_aff"
metric tasks.release_restored ok
if [ -w /sys/devices/system/cpu/cpu1/online ]; then
	for step in 0 1; do
		a0=$(prop AppliedAt); t0=$(now_us)
		echo $step > /sys/devices/system/cpu/cpu1/online || fail "cpu1 online=$step refused"
		wait_applied "$a0" 100 || fail "cpu1 online=$step: no re-apply"
		metric hotplug.cpu1_online_$step.reaction_ms $(( ($(prop AppliedAt) - t0) / 1000 ))
	done
	[ "$(prop HousekeepingCPUs)" = 0-1 ] || fail "after hotplug: HousekeepingCPUs=$(prop HousekeepingCPUs)"
	b=$(irqs_on 2; irqs_on 3); [ -z "$b" ] || fail "after hotplug, IRQs on 2-3:$b"
	metric hotplug.reapplied ok
fi

# ---- new IRQs: virtio-net unbind/bind ----
dev=$(basename "$(readlink -f /sys/class/net/ens4/device 2>/dev/null)" 2>/dev/null)
if [ -n "$dev" ] && [ -e /sys/bus/virtio/drivers/virtio_net/unbind ]; then
	irqs0=$(grep -c virtio /proc/interrupts)
	a0=$(prop AppliedAt); t0=$(now_us)
	echo "$dev" > /sys/bus/virtio/drivers/virtio_net/unbind
	echo "$dev" > /sys/bus/virtio/drivers/virtio_net/bind
	wait_applied "$a0" 100 || fail "virtio-net rebind: no re-apply"
	metric newirq.reaction_ms $(( ($(prop AppliedAt) - t0) / 1000 ))
	b=$(irqs_on 2; irqs_on 3); [ -z "$b" ] || fail "after rebind, IRQs on 2-3:$b"
	metric newirq.reapplied ok
	echo "virtio IRQ lines: $irqs0 -> $(grep -c virtio /proc/interrupts)"
fi

# ---- unmovable IRQs: reported once ----
# Isolating CPU 1 puts managed IRQs (if any) in the way; then three more
# applies (reload). No Reapply here: that one forgets the list on purpose.
call Isolate s 1 >/dev/null
for i in 1 2 3; do systemctl reload tlbisold; done
sleep 1
unmov=$(busctl get-property $BUS UnmovableIRQs)
echo "UnmovableIRQs: $unmov"
journalctl -u tlbisold --no-pager > "$RESULTS/journal.txt"
msgs=$(grep -c 'cannot be moved off the isolated CPUs' "$RESULTS/journal.txt")
n_unmov=$(echo "$unmov" | awk '{ print $2 }')
applies=$(grep -c 'Isolated CPUs .* housekeeping' "$RESULTS/journal.txt")
metric unmovable.irqs "$n_unmov"
metric unmovable.journal_reports "$msgs"
metric unmovable.applies "$applies"
[ "$msgs" -le "${n_unmov:-0}" ] || fail "$msgs unmovable reports for $n_unmov IRQs over $applies applies"
call Release s 1 >/dev/null

# ---- stop restores every task ----
systemctl stop tlbisold
after=""
for p in $kt_pids $rt_pid $pin_pid $pl_pid ${ksoft:-}; do after="$after $p=$(aff $p)"; done
echo "after: $after"
[ "$before" = "$after" ] || fail "task affinities not restored: before$before after$after"
metric tasks.restored_all ok
[ -e /run/tlbisol/state ] && fail "state file left after a clean stop"
kill $rt_pid $pin_pid $pl_pid 2>/dev/null
rm -f /etc/tlbisol/tlbisold.conf.d/60-events.conf
echo "PASS"
