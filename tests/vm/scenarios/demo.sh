#!/bin/sh
# The 'make demo' scenario: what tlbisol does on an isolated machine, as an
# engineer would look at it, with the whole stack installed as a user
# installs it (tlbctl, tlbisold under systemd, tlbisol.ko loaded by the
# unit's modprobe@tlbisol dependency). Prints a report (shown on the host by
# tests/vm/demo.sh) and records the figures in result.json.
#
#  1. the machine and 'tlbctl status' on the stock system;
#  2. 'tlbctl noise' on the isolated CPUs 2-3 (osnoise, user busy loops)
#     while an ordinary noise mix runs on the housekeeping CPUs 0-1 —
#     stock: no daemon, no module;
#  3. 'systemctl start tlbisold': the module comes up with it, what the
#     daemon changed;
#  4. the same measurement with tlbisol;
#  5. run-time isolate/release of CPU 1 and a refused request;
#  6. 'systemctl stop tlbisold': every value it changed is put back.
set -u
. "$SCENARIO_LIB"
[ -d /run/systemd/system ] || fail "the demo needs the full guest (systemd)"
wait_system_running 180 > /dev/null
WINDOW=${DEMO_WINDOW:-10}

section() { printf '\n== %s\n' "$*"; }
indent() { sed 's/^/  /'; }

# The noise mix: ordinary kernel activity confined to the housekeeping CPUs.
#  - hugetlb PMD sharing/unsharing: each unshare broadcasts a page-table
#    sync IPI to every CPU on a stock kernel (tlb_remove_table_sync_one;
#    the rt kernel has no THP, so no khugepaged here);
#  - stress-ng fork and mmap/munmap storms (TLB shootdowns among the
#    housekeeping CPUs that run those mms);
#  - the fork storm's freed kernel stacks (vmalloc) feed lazy vmalloc
#    purges, which flush the kernel TLB on every CPU.
# Started before the window opens, stopped after it closes; niced, so the
# kernel's own housekeeping work on CPUs 0-1 (the remote tick of the
# nohz_full CPUs runs there from a workqueue) is not starved by it.
NOISE_PIDS=
noise_start() {
	echo 16 > /proc/sys/vm/nr_hugepages
	nice -n 10 taskset -c 0 "$BIN_DIR/hugetlb_unshare" -c 0 -n 1000000 > /dev/null 2>&1 &
	NOISE_PIDS="$NOISE_PIDS $!"
	nice -n 10 stress-ng --taskset 0-1 --fork 1 --mmap 1 --mmap-bytes 8M \
		--timeout 300 --quiet > /dev/null 2>&1 &
	NOISE_PIDS="$NOISE_PIDS $!"
}
noise_stop() {
	# stress-ng's children go with it on SIGTERM; the shell loops directly
	kill $NOISE_PIDS 2>/dev/null
	pkill -f stress-ng 2>/dev/null
	wait $NOISE_PIDS 2>/dev/null
	NOISE_PIDS=
}

# measure LABEL: 'tlbctl noise' on CPUs 2-3 under the mix, as a person runs
# it; its output is shown, and the function-call IPIs it counted per CPU in
# its window (the call_function + call_function_single rows of its table by
# vector, which it checks against /proc/interrupts; without osnoise, its
# CAL column) are recorded.
measure() {
	noise_start
	sleep 2
	taskset -c 0 tlbctl noise -c 2-3 -d "${WINDOW}s" > "/tmp/$1.noise" 2>&1
	rc=$?
	noise_stop
	indent < "/tmp/$1.noise"
	[ $rc -eq 0 ] || fail "tlbctl noise exited with $rc"
	for c in 2 3; do
		n=$(awk -v c=$c '
			$1 == "CPU" && $2 == "CAL" { fb = 1; next }   # no osnoise: CAL column
			fb && $1 == c && NF == 6 { print $2; exit }
			!fb && $1 == c && ($2 == "call_function" || $2 == "call_function_single") { n += $3; seen = 1 }
			END { if (!fb && seen) print n + 0 }' "/tmp/$1.noise")
		[ -n "$n" ] || fail "no function-call IPI rows for CPU $c in the output of tlbctl noise"
		metric "$1.cpu$c.function_call_ipis" "$n"
		echo "$n" > "/tmp/$1.fc$c"
	done
}

section "1. The machine: Debian 12, $(uname -r), booted with"
tr ' ' '\n' < /proc/cmdline | grep -E '^(nohz_full|isolcpus|rcu_nocbs|irqaffinity)=' | indent
# irqbalance rewrites IRQ affinities on its own schedule; stop it so that
# every change shown below is tlbisold's (with irqbalance running, tlbisold
# bans the isolated CPUs in it through its socket instead).
systemctl stop irqbalance 2>/dev/null
section "tlbctl status  (stock: tlbisold not started, tlbisol.ko not loaded)"
tlbctl status --interval 1 | indent

section "2. tlbctl noise -c 2-3 -d ${WINDOW}s  (stock), while CPUs 0-1 run a noise mix:"
echo "   hugetlb PMD unsharing, stress-ng fork and mmap/munmap storms"
measure stock

section "3. systemctl start tlbisold"
snap() { for f in /proc/irq/default_smp_affinity /proc/irq/*/smp_affinity_list \
	/sys/devices/virtual/workqueue/cpumask /proc/sys/kernel/numa_balancing \
	/proc/sys/vm/stat_interval /proc/sys/kernel/nmi_watchdog; do
	printf '%s %s\n' "$f" "$(cat "$f" 2>/dev/null)"; done; }
snap > /tmp/before
systemctl start tlbisold || fail "tlbisold did not start: $(journalctl -u tlbisold -b --no-pager -o cat | tail -n 5)"
lsmod | grep -q '^tlbisol ' || fail "tlbisol.ko was not loaded with the service (modprobe@tlbisol)"
echo "tlbisol.ko loaded by the unit (Wants=modprobe@tlbisol.service): $(lsmod | awk '$1 == "tlbisol"')"
snap > /tmp/after
echo "files tlbisold changed:"
diff /tmp/before /tmp/after | sed -n 's/^> /  /p'
journalctl -u tlbisold -b --no-pager -o cat | grep -v -e '^Starting' -e '^Started' | tail -n 6 | sed 's/^/  journal: /'
section "tlbctl status  (tlbisold running)"
tlbctl status --interval 1 | indent

section "4. tlbctl noise -c 2-3 -d ${WINDOW}s  (tlbisol), the same noise mix"
measure tlbisol

printf '\n%-48s %8s %8s\n' "function-call IPIs in the ${WINDOW} s window" "CPU 2" "CPU 3"
for l in stock tlbisol; do
	printf '%-48s %8d %8d\n' "  $l" "$(cat /tmp/$l.fc2)" "$(cat /tmp/$l.fc3)"
done

section "5. tlbctl isolate 1 (at run time), then tlbctl release 1"
if tlbctl isolate 1; then
	snap > /tmp/isolated
	# the partition keeps a task started now, with no affinity given, off CPU 1
	"$BIN_DIR/busyloop" > /dev/null 2>&1 & b=$!
	on1=$(n=0 k=0; while [ $n -lt 40 ]; do read -r l < /proc/$b/stat; set -- $l; shift 38
		[ "$1" = 1 ] && k=$((k + 1)); n=$((n + 1)); sleep 0.05; done; echo $k)
	echo "a CPU-bound task started now without affinity: may use CPUs $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/$b/status), seen on CPU 1 in $on1 of 40 samples (/tlbisol.slice: $(cat /sys/fs/cgroup/tlbisol.slice/cpuset.cpus.partition 2>/dev/null || echo none))"
	kill $b; wait $b 2>/dev/null
	echo "moved off CPU 1: $(diff /tmp/after /tmp/isolated | grep -c '^>') files, e.g."
	diff /tmp/after /tmp/isolated | sed -n 's/^> /  /p' | head -n 4
	tlbctl release 1 && snap > /tmp/released
	diff -q /tmp/after /tmp/released > /dev/null && echo "released: all back as before the request"
fi
echo "\$ tlbctl isolate 0-3"
tlbctl isolate 0-3 2>&1 | indent   # refused: someone must keep the lights on

section "6. systemctl stop tlbisold: every value it changed is put back"
systemctl stop tlbisold
snap > /tmp/stopped
if diff -q /tmp/before /tmp/stopped > /dev/null; then
	echo "all $(wc -l < /tmp/before) watched files are as they were before start"
	metric restored true
else
	echo "differences after stop:"; diff /tmp/before /tmp/stopped
	metric restored false
	fail "tlbisold did not restore everything it changed"
fi
grep -q . /tmp/stock.noise || fail "tlbctl noise printed nothing"
