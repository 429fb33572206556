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

# cpulist_expand LIST: "0-2,5" -> "0,1,2,5" (the kernel's cpulist grammar
# without strides, as /proc/irq/*/smp_affinity_list prints it)
cpulist_expand() {
	echo "$1" | tr ',' '\n' | while IFS=- read -r a b; do
		[ -n "$a" ] || continue
		[ -n "$b" ] || b=$a
		seq "$a" "$b"
	done | paste -sd, -
}
