#!/bin/sh
# The benchmark's noise mix (guest side; copied to /mnt/share/noise-mix.sh):
# ordinary kernel activity confined to the housekeeping CPUs 0-1, a FIXED
# AMOUNT of it — counts, not a time — so that every configuration of a
# benchmark gets the same work however busy the host is (paced by time,
# one rt run's stock window got 33 static-call patching IPIs and its
# tlbisol window 108). Run it as the command of the measurement window:
#   tlbctl noise -c 2-3 -d 15m --json -- /mnt/share/noise-mix.sh
# (the window opens before the mix starts and closes when its last source
# has done its count). Each source runs its count at its own pace, all at
# once; the pauses only keep one source from crowding out the others.
#
# Counts (environment; the defaults take 70-120 s in the rt and generic
# guests with two other VMs running on the 2-core host, fewer on an idle one):
#   MIX_MUNMAP   munmap()s of a 2-thread mm, one thread on CPU 1 (cli_tlbipi)
#   MIX_BPF      BPF array maps created and freed, a JIT'd socket filter every
#                fourth (bpfchurn): vmalloc, lazy vmap purges
#   MIX_HUGETLB  hugetlb PMD unsharings, in runs of 20 (hugetlb_unshare)
#   MIX_MODULES  'modprobe dummy numdummies=0' + 'modprobe -r dummy'
#   MIX_EXECS    fork/exec of /bin/true
#   MIX_RNG      reads of 640 bytes from /dev/hwrng (virtio-rng device IRQs)
#   MIX_COLLAPSE MADV_COLLAPSE runs of 20 (collapse), where there is THP
# Needs BIN_DIR (the workloads). Prints one line per source:
#   mix <name> <count> done <n> failed <n> <seconds> s
# and exits 1 if any run failed. SIGTERM/SIGINT stop every source; the
# tallies so far are printed with " (stopped)".
set -u
: "${BIN_DIR:?BIN_DIR must name the workloads directory}"
MIX_MUNMAP=${MIX_MUNMAP:-600}
MIX_BPF=${MIX_BPF:-200}
MIX_HUGETLB=${MIX_HUGETLB:-4}
MIX_MODULES=${MIX_MODULES:-3}
MIX_EXECS=${MIX_EXECS:-20}
MIX_RNG=${MIX_RNG:-20}
MIX_COLLAPSE=${MIX_COLLAPSE:-3}
OUT=$(mktemp -d /tmp/noise-mix.XXXXXX)

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# src NAME COUNT PAUSE CMD...: CMD COUNT times, PAUSE seconds apart, on CPUs
# 0-1; its tally, updated after every run, is $OUT/NAME.
src() {
	name=$1 count=$2 pause=$3
	shift 3
	(
		t0=$(uptime_s) i=0 ok=0
		while [ $i -lt "$count" ]; do
			taskset -c 0-1 "$@" > /dev/null 2>&1 && ok=$((ok + 1))
			i=$((i + 1))
			echo "mix $name $count done $ok failed $((i - ok)) $(echo "$(uptime_s) $t0" | awk '{ printf "%.1f", $1 - $2 }') s" > "$OUT/$name"
			[ "$pause" = 0 ] || [ $i -eq "$count" ] || sleep "$pause"
		done
	) &
	PIDS="$PIDS $!"
}
# every tally; partial ones (a source stopped before its count) say so
tally() {
	for n in $NAMES; do
		if [ -s "$OUT/$n" ]; then cat "$OUT/$n"; else echo "mix $n - done 0 failed 0 0 s"; fi
	done
}
stopped() {
	kill $PIDS 2>/dev/null
	pkill -x hugetlb_unshare; pkill -x collapse; pkill -x cli_tlbipi; pkill -x bpfchurn
	tally | sed 's/$/ (stopped)/'
	rm -rf "$OUT"
	exit 1
}

PIDS=
NAMES="munmap bpf hugetlb modules execs rng"
[ -e /sys/kernel/mm/transparent_hugepage/enabled ] && NAMES="$NAMES collapse"
trap stopped TERM INT
# one run each of the two that loop inside
src munmap 1 0 "$BIN_DIR/cli_tlbipi" -t 1 -s 0 -d 3600 -n "$MIX_MUNMAP" -p 500
src bpf 1 0 "$BIN_DIR/bpfchurn" -n "$MIX_BPF" -p 2000
src hugetlb "$MIX_HUGETLB" 0.2 "$BIN_DIR/hugetlb_unshare" -c 1 -n 20
# module memory from execmem (vmalloc) made RO/NX/ROX by set_memory (kernel
# TLB flushes), its static calls patched (text_poke_bp), vfree on unload.
# Debian's 'dummy' with numdummies=0 (systemd's modprobe.d default, given
# here) registers an rtnl link type and creates no device. Not the project's
# tlbisol_test.ko, whose kprobes install an ftrace ops on each load.
src modules "$MIX_MODULES" 0.5 sh -c 'modprobe dummy numdummies=0 && modprobe -r dummy'
src execs "$MIX_EXECS" 0.02 /bin/true
src rng "$MIX_RNG" 0.1 dd if=/dev/hwrng of=/dev/null bs=32 count=20
if [ -e /sys/kernel/mm/transparent_hugepage/enabled ]; then
	src collapse "$MIX_COLLAPSE" 0.2 "$BIN_DIR/collapse" -c 0 -n 20
fi
wait
tally
rc=0
for n in $NAMES; do
	grep -q " done $(cut -d' ' -f3 "$OUT/$n" 2>/dev/null) failed 0 " "$OUT/$n" 2>/dev/null || rc=1
done
rm -rf "$OUT"
exit $rc
