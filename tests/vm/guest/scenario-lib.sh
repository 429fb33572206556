# Helpers for scenarios, sourced in the guest as ". $SCENARIO_LIB".
# POSIX sh; works with busybox and with a full Debian guest.
#
#   fail MSG             print MSG and exit 1
#   skip MSG             print MSG and exit 77 (only where truly unavailable)
#   metric KEY VALUE     record a figure; KEY may be dotted (cal.cpu2.delta).
#                        The host turns these into result.json with jq, so no
#                        scenario formats JSON by hand.
#   irq_row NAME         per-CPU counts of one /proc/interrupts row
#   irq_cpu NAME CPU     the count of one row on one CPU
#   busy_start CPU...    start a user-space busy loop pinned to each CPU
#   busy_stop            stop them

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

metric() {
	printf '%s\t%s\n' "$1" "$2" >> "$RESULTS/metrics.tsv"
}

irq_row() {
	awk -v r="$1:" '
		NR == 1 { ncpu = NF; next }
		$1 == r { out = ""; for (i = 2; i <= ncpu + 1; i++) out = out (i > 2 ? " " : "") $i; print out }
	' /proc/interrupts
}

irq_cpu() {
	irq_row "$1" | cut -d' ' -f$(($2 + 1))
}

BUSY_PIDS=
busy_start() {
	for c in "$@"; do
		if [ -x "$BIN_DIR/busyloop" ]; then
			taskset -c "$c" "$BIN_DIR/busyloop" &
		else
			taskset -c "$c" sh -c 'while :; do :; done' &
		fi
		BUSY_PIDS="$BUSY_PIDS $!"
	done
}

busy_stop() {
	[ -n "$BUSY_PIDS" ] && kill $BUSY_PIDS 2>/dev/null
	wait $BUSY_PIDS 2>/dev/null
	BUSY_PIDS=
}

# wait_system_running [SECONDS]: in the full guest, wait until systemd has
# finished booting (running or degraded); prints the state.
wait_system_running() {
	n=${1:-120}
	while [ "$n" -gt 0 ]; do
		s=$(systemctl is-system-running 2>/dev/null)
		case "$s" in running|degraded|maintenance|stopping) echo "$s"; return 0 ;; esac
		sleep 1; n=$((n - 1))
	done
	echo "$s"
}

# wait_restarted UNIT OLDPID: after a kill -9 of UNIT's main process OLDPID,
# wait up to 20 s for systemd to restart it (Restart=); 0 when UNIT is active
# again with another main PID.
wait_restarted() {
	n=0
	while [ $n -lt 100 ]; do
		np=$(systemctl show -p MainPID --value "$1")
		[ "$np" != 0 ] && [ "$np" != "$2" ] && [ "$(systemctl is-active "$1")" = active ] && return 0
		sleep 0.2; n=$((n + 1))
	done
	return 1
}

# watched_files: the files tlbisold may touch (IRQ affinities, the unbound
# workqueue mask, the sysctls and knobs it saves), for a scenario's
# snapshot() to compare before and after; absent ones are listed too.
watched_files() {
	echo /proc/irq/*/smp_affinity_list /proc/irq/default_smp_affinity \
		/sys/devices/virtual/workqueue/cpumask /sys/devices/virtual/workqueue/cpumask_requested \
		/proc/sys/kernel/numa_balancing /proc/sys/vm/stat_interval /proc/sys/kernel/nmi_watchdog \
		/proc/sys/kernel/watchdog_cpumask /proc/sys/kernel/timer_migration \
		/sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/mm/transparent_hugepage/khugepaged/defrag \
		/sys/kernel/mm/ksm/run /proc/sys/kernel/sched_rt_runtime_us \
		/sys/kernel/debug/sched/fair_server/cpu*/period /sys/kernel/debug/sched/fair_server/cpu*/runtime
}

# irqs_avoid CPUS: every movable IRQ avoids CPUS (CPU numbers separated by
# commas); IRQs tlbisold reports unmovable ($BUS UnmovableIRQs) are allowed
irqs_avoid() {
	bad=""
	unmov=$(busctl get-property ${BUS:?} UnmovableIRQs 2>/dev/null)
	for d in /proc/irq/[0-9]*; do
		n=${d##*/}
		aff=$(cat $d/smp_affinity_list 2>/dev/null) || continue
		for c in $(echo "$1" | tr ',' ' '); do
			case ",$(cpulist_expand "$aff")," in *",$c,"*)
				case " $unmov " in *" $n \""*) ;; *) bad="$bad $n($aff)" ;; esac ;;
			esac
		done
	done
	[ -z "$bad" ] || { echo "IRQs still on CPU(s) $1:$bad"; return 1; }
}
# wait_irqs_avoid CPUS SECONDS: irqs_avoid, retried for up to SECONDS
wait_irqs_avoid() {
	n=$(( $2 * 2 ))
	while ! irqs_avoid "$1" >/dev/null && [ $n -gt 0 ]; do sleep 0.5; n=$((n - 1)); done
	irqs_avoid "$1"
}

# print_files FILE...: "FILE<TAB>content" of each readable FILE
print_files() {
	for f in "$@"; do
		[ -r "$f" ] && printf '%s\t%s\n' "$f" "$(cat "$f" 2>/dev/null)"
	done
	return 0
}

# snapshot_holds_watched SNAPSHOT: it has the IRQ affinities and the
# workqueue mask (an empty snapshot would make every comparison pass);
# records its line count
snapshot_holds_watched() {
	metric snapshot_lines "$(wc -l < "$1")"
	awk -F'\t' '$1 ~ /^\/proc\/irq\/[0-9]+\/smp_affinity_list$/ { irq = 1 }
		$1 == "/sys/devices/virtual/workqueue/cpumask" { wq = 1 } END { exit !(irq && wq) }' "$1" ||
		fail "snapshot $1 lacks the IRQ affinities or the workqueue mask ($(wc -l < "$1") lines)"
}

# cpulist_expand LIST: "0-2,5" -> "0,1,2,5" (the kernel's cpulist grammar
# without strides, as /proc/irq/*/smp_affinity_list prints it)
cpulist_expand() {
	echo "$1" | tr ',' '\n' | while IFS=- read -r a b; do
		[ -n "$a" ] || continue
		[ -n "$b" ] || b=$a
		seq "$a" "$b"
	done | paste -sd, -
}

# ---- tlbisol.ko scenarios (busybox guest; tlbisol_nl and tlbisol_test.ko)
# stat_of FILE CPU KEY: KEY of CPU's line in a 'tlbisol_nl stats' dump
stat_of() {
	awk -v c="cpu=$2" -v k="$3" '$1 == c { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}
# info_of KEY: KEY of 'tlbisol_nl info' (defer, defer_reason, sync, ...)
info_of() { "$BIN_DIR/tlbisol_nl" info | sed -n "s/^$1=//p"; }
# churn N: N lazy vmalloc purges by tlbisol_test.ko, from CPU 0
churn() { taskset -c 0 sh -c "echo $1 > /sys/module/tlbisol_test/parameters/purge_churn"; }
# irq2: interrupts CPU 2 took, except function-call and TLB IPIs (CAL, TLB):
# its kernel entries other than IPIs (a nohz_full CPU still takes some
# timer interrupts: ~5/s here; a purge that finds it in the kernel IPIs it,
# correctly). Column 4 of /proc/interrupts is CPU 2.
irq2() { awk '$1 != "CAL:" && $1 != "TLB:" && $4 ~ /^[0-9]+$/ { s += $4 } END { print s + 0 }' /proc/interrupts; }
# foreign_ipis2 STATS-FILE: IPIs CPU 2 received that the deferral did not send
foreign_ipis2() {
	awk '$1 == "cpu=2" { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		print v["rx_user_flush"] + v["rx_table_sync"] + v["rx_text_poke"] + v["rx_other"] + v["rx_kernel_flush"] - v["notdeferred_kflush"] }' "$1"
}
