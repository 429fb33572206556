#!/bin/sh
# The 'make demo' scenario: what tlbisol does on an isolated machine, as an
# engineer would look at it. Prints a report (shown on the host by
# tests/vm/demo.sh) and records the figures in result.json.
set -u
. "$SCENARIO_LIB"
[ -d /run/systemd/system ] && wait_system_running 180 > /dev/null
N=200

section() { printf '\n== %s\n' "$*"; }
col() { cut -d' ' -f$(($2 + 1)) "$1"; }

section "1. The machine: Debian 12, $(uname -r), booted with"
tr ' ' '\n' < /proc/cmdline | grep -E '^(nohz_full|isolcpus|rcu_nocbs|irqaffinity)='
section "tlbctl status (tlbisold not started yet)"
tlbctl status --interval 1 || echo "(tlbctl status failed)"

section "2. systemctl start tlbisold"
# irqbalance rewrites IRQ affinities on its own schedule; stop it so that
# every change shown below is tlbisold's (with irqbalance running, tlbisold
# bans the isolated CPUs in it through its socket instead).
systemctl stop irqbalance 2>/dev/null
snap() { for f in /proc/irq/default_smp_affinity /proc/irq/*/smp_affinity_list \
	/sys/devices/virtual/workqueue/cpumask /proc/sys/kernel/numa_balancing \
	/proc/sys/vm/stat_interval; do printf '%s %s\n' "$f" "$(cat "$f" 2>/dev/null)"; done; }
snap > /tmp/before
if systemctl start tlbisold; then
	snap > /tmp/after
	echo "files tlbisold changed:"
	diff /tmp/before /tmp/after | sed -n 's/^> /  /p'
	journalctl -u tlbisold -b --no-pager -o cat | tail -n 8 | sed 's/^/  journal: /'
	section "tlbctl isolate 1 (at run time), then tlbctl release 1"
	if tlbctl isolate 1; then
		snap > /tmp/isolated
		echo "moved off CPU 1:"
		diff /tmp/after /tmp/isolated | sed -n 's/^> /  /p'
		tlbctl release 1 && snap > /tmp/released
		diff -q /tmp/after /tmp/released > /dev/null && echo "released: all back as before the request"
	fi
	tlbctl isolate 0-3 || true   # refused: someone must keep the lights on
	section "tlbctl status (tlbisold running)"
	tlbctl status --interval 1
else
	echo "tlbisold did not start"
fi

# generic kernel: khugepaged-style collapses (THP); rt kernel: no THP, so
# hugetlb PMD unsharing, the other broadcaster of tlb_remove_table_sync_one()
if [ "$TLBISOL_FLAVOUR" = rt ]; then
	echo 8 > /proc/sys/vm/nr_hugepages
	WL="$BIN_DIR/hugetlb_unshare -c 0 -n $N" WHAT="hugetlb PMD unsharings"
else
	WL="$BIN_DIR/collapse -c 0 -n $N" WHAT="MADV_COLLAPSE collapses"
fi
section "3. Table-sync IPIs: $N $WHAT on CPU 0, CPUs 2-3 busy in user space"
collapse() { # LABEL
	busy_start 2 3
	sleep 1
	irq_row CAL > "/tmp/$1.cal0"
	$WL > "/tmp/$1.wl" 2>&1
	irq_row CAL > "/tmp/$1.cal1"
	busy_stop
}
modprobe -r tlbisol 2>/dev/null
collapse stock
modprobe tlbisol || insmod "$KMOD_DIR/tlbisol.ko"
collapse tlbisol
printf '%-34s %8s %8s\n' "call-function IPIs (CAL) received" "CPU 2" "CPU 3"
for l in stock tlbisol; do
	d2=$(( $(col /tmp/$l.cal1 2) - $(col /tmp/$l.cal0 2) ))
	d3=$(( $(col /tmp/$l.cal1 3) - $(col /tmp/$l.cal0 3) ))
	case $l in stock) what="stock kernel";; *) what="with tlbisol.ko (targeted sync)";; esac
	printf '%-34s %8d %8d\n' "$what" "$d2" "$d3"
	metric "collapse.$l.cal_cpu2" "$d2"; metric "collapse.$l.cal_cpu3" "$d3"
done
echo "($(cat /tmp/stock.wl); the isolated CPUs are in user mode, an RCU quiescent"
echo " state, so they cannot be inside a lockless page-table walk: no IPI needed)"

section "4. systemctl stop tlbisold: every value it changed is put back"
if systemctl is-active -q tlbisold; then
	systemctl stop tlbisold
	snap > /tmp/stopped
	if diff -q /tmp/before /tmp/stopped > /dev/null; then
		echo "all $(wc -l < /tmp/before) watched files are as they were before start"
		metric restored true
	else
		echo "differences after stop:"; diff /tmp/before /tmp/stopped
		metric restored false
	fi
fi
