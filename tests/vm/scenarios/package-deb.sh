#!/bin/sh
# Scenario (run.sh --mode pkg: the full guest without tlbisol, with dkms, gcc
# and the booted kernel's headers, no network): the Debian packages end to end.
#   1. apt install ./tlbisol_*.deb ./tlbisol-dkms_*.deb, offline: DKMS builds
#      tlbisol.ko for the booted kernel; nothing is started or loaded yet;
#   2. tuned-adm profile tlbisol-realtime (isolated_cores=2-3 in
#      /etc/tuned/realtime-variables.conf) starts tlbisold, which finds the
#      module loaded (tlbisol-module.service) and isolates CPUs 2-3;
#   3. tuned-adm verify passes (the guest boots with the command line the
#      profile asks for: scenarios.list passes it with --isolation);
#   4. tuned-adm profile balanced: tlbisold stopped, module unloaded;
#   5. apt purge: every file, unit and setting as before step 1 (snapshot
#      before, compare after). Negative control: the same comparison must
#      see a file left in /usr/lib/tuned, a directory left in /run, a changed
#      sysctl and a moved kernel thread.
set -u
. "$SCENARIO_LIB"
rel=$(uname -r)
S=$RESULTS/snap
mkdir -p "$S"
BUS="org.tlbisol1 /org/tlbisol1 org.tlbisol1.Manager"
prop() { busctl get-property $BUS "$1" 2>/dev/null | sed 's/^[a-z]* //; s/^"//; s/"$//'; }
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	n=$(($1 * 2)); shift
	while ! "$@" > /dev/null 2>&1; do
		n=$((n - 1)); [ $n -gt 0 ] || return 1
		sleep 0.5
	done
}
# phase NAME: the wall time since the previous phase mark (the first: since
# the scenario started), printed and recorded as metric phase.NAME_seconds
phase_t=$(cut -d. -f1 /proc/uptime)
phase() {
	now=$(cut -d. -f1 /proc/uptime)
	echo "phase $1: $((now - phase_t)) s"
	metric "phase.$1_seconds" $((now - phase_t))
	phase_t=$now
}
profile_is() { tuned-adm active 2>/dev/null | grep -q "Current active profile: $1\$"; }
fail_with_logs() {
	journalctl -u tuned -u tlbisold -u tlbisol-module --no-pager > "$RESULTS/units-journal.txt" 2>&1
	cp /var/log/tuned/tuned.log "$RESULTS/" 2>/dev/null
	fail "$@"
}

# snapshot DIR: what a package may leave behind or change.
#   files   every path outside the volatile trees (type and mode), /run
#           included (a tmpfs of its own: tlbisold's state and tmpfiles dir);
#   etc     content of every file in /etc; /etc/tuned/bootcmdline by the
#           values it sets (tuned rewrites it on every profile switch away
#           from a [bootloader] profile, TUNED_BOOT_CMDLINE= becoming
#           TUNED_BOOT_CMDLINE="": the same for grub's 00_tuned, which
#           sources it, but other bytes);
#   sysctl  every sysctl but the counters the kernel moves by itself;
#   sys     the sysfs/procfs knobs tuned and tlbisold write;
#   kthread affinity of every kernel thread (compared for pids in both);
#   state   loaded modules, packages, unit files, services tuned and tlbisol
#           touch, the top-level cgroups (tlbisold's transient
#           tlbisol.slice) and the CPUs isolated by cgroup partitions. (DKMS's tree and tuned's active profile are files: under
#           'files' and 'etc'; their commands take tens of seconds in TCG.)
snapshot() {
	d=$1; mkdir -p "$d"
	find / /run -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /mnt -o -path /tmp \
		-o -path /var/tmp -o -path /var/log -o -path /var/cache -o -path /var/lib/apt \
		-o -path /var/lib/dpkg -o -path /var/lib/systemd/timers -o -path /var/lib/systemd/random-seed \
		-o -path /var/lib/systemd/catalog -o -path /run/systemd -o -path /run/udev -o -path /run/log \
		-o -path /run/user -o -path /run/tuned -o -path /run/dbus -o -path /run/lock -o -path /root \
		-o -path /etc/ld.so.cache \) -prune -o -printf '%y %m %p\n' | LC_ALL=C sort > "$d/files"
	{
		find /etc -xdev -type f ! -path /etc/ld.so.cache ! -path /etc/tuned/bootcmdline -exec sha256sum {} +
		[ ! -f /etc/tuned/bootcmdline ] ||
			(cd / && env -i sh -c 'set -a && . /etc/tuned/bootcmdline && env') | LC_ALL=C sort | sed 's|^|/etc/tuned/bootcmdline sets |'
	} | LC_ALL=C sort -k2 > "$d/etc"
	sysctl -a 2>/dev/null | grep -v -E '^(kernel\.random\.|fs\.(dentry-state|inode-nr|inode-state|file-nr|aio-nr)|kernel\.ns_last_pid|kernel\.pty\.nr|kernel\.tainted|kernel\.perf_event_max_sample_rate|net\.netfilter\.nf_conntrack_count|fs\.quota\.)' |
		LC_ALL=C sort > "$d/sysctl"
	# one process per kind of file, not one per file: forks are what costs
	# in the TCG guest (the first version spent 2.5 minutes per snapshot)
	grep -H -s '' /sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/mm/transparent_hugepage/defrag \
		/sys/kernel/mm/transparent_hugepage/khugepaged/defrag /sys/kernel/mm/ksm/run \
		/sys/devices/virtual/workqueue/cpumask /sys/devices/virtual/workqueue/*/cpumask \
		/sys/bus/workqueue/devices/writeback/cpumask /proc/irq/default_smp_affinity \
		/proc/irq/*/smp_affinity_list /sys/devices/system/machinecheck/machinecheck*/ignore_ce \
		/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor /sys/devices/system/cpu/cpu*/power/energy_perf_bias \
		/sys/fs/cgroup/cpuset.cpus.isolated > "$d/sys"
	# kernel threads (kthreadd, pid 2, and its children): "pid name cpus"
	grep -H -s -E '^(Name|PPid|Cpus_allowed_list):' /proc/[0-9]*/status |
		awk -F'\t' '{ split($1, p, "/"); pid = p[3]; key = p[4]; sub(/^status:/, "", key) }
			key == "Name:" { name = $2; gsub(/ /, "_", name) }
			key == "PPid:" { ppid = $2 }
			key == "Cpus_allowed_list:" && (ppid == 2 || pid == 2) { print pid, name, $2 }' |
		LC_ALL=C sort -k1,1 > "$d/kthread"   # join's order, not numeric
	{
		echo "modules: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
		echo "packages: $(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 'tlbisol*' 2>/dev/null | grep -v '^un ' | tr '\n' ' ')"
		echo "dpkg-info: $(ls /var/lib/dpkg/info | grep tlbisol | tr '\n' ' ')"
		echo "cgroups: $(cd /sys/fs/cgroup && ls -d */ | tr '\n' ' ')"
		systemctl list-unit-files --no-legend --no-pager | awk '{ print "unit-file:", $1, $2 }'
		systemctl show -p Id,LoadState,ActiveState,UnitFileState tuned irqbalance tlbisold tlbisol-module |
			awk 'BEGIN { RS = ""; FS = "\n" }   # one paragraph per unit
				{ u = ""; for (i = 1; i <= NF; i++) if ($i ~ /^Id=/) u = substr($i, 4)
				  for (i = 1; i <= NF; i++) if ($i !~ /^Id=/) print "unit " u ": " $i }'
	} | LC_ALL=C sort > "$d/state"
	cat /proc/sys/kernel/tainted > "$d/tainted"
}

# compare A B: print every difference; status 1 if any. Kernel threads are
# compared where the pid exists in both; the taint may only have gained the
# bits loading an out-of-tree, unsigned module sets (O 4096, E 8192), which
# the kernel never clears.
compare() {
	a=$1 b=$2 bad=0
	for f in files etc sysctl sys state; do
		if ! diff -u "$a/$f" "$b/$f" > "$b/$f.diff"; then
			echo "differs: $f"; sed -n '3,40p' "$b/$f.diff" | grep '^[-+]' | sed 's/^/    /'; bad=1
		fi
	done
	LC_ALL=C join "$a/kthread" "$b/kthread" | awk '$2 == $4 && $3 != $5 { print "    kthread " $1 " " $2 ": " $3 " -> " $5 }' > "$b/kthread.diff"
	if [ -s "$b/kthread.diff" ]; then echo "differs: kthread affinity"; cat "$b/kthread.diff"; bad=1; fi
	t0=$(cat "$a/tainted") t1=$(cat "$b/tainted")
	if [ $(( t1 & ~(t0 | 4096 | 8192) )) -ne 0 ]; then echo "differs: kernel.tainted $t0 -> $t1"; bad=1; fi
	return $bad
}

metric phase.boot_seconds "$phase_t"   # kernel start to the scenario
state=$(wait_system_running 180)
echo "system state: $state"
for c in tuned-adm dkms apt gcc; do command -v $c > /dev/null || fail "the pkg guest lacks $c"; done
[ -L "/lib/modules/$rel/build" ] || fail "no /lib/modules/$rel/build: linux-headers-$rel missing from the pkg guest"
set -- "$DEB_DIR"/tlbisol_*.deb "$DEB_DIR"/tlbisol-dkms_*.deb
[ -f "$1" ] && [ -f "$2" ] || fail "no .debs in $DEB_DIR"
echo "packages: $(basename "$1") $(basename "$2")"

# ---- baseline: tuned on 'balanced', irqbalance quiet (it moves IRQs on
# its own schedule), then the snapshot ----
systemctl stop irqbalance 2>/dev/null
systemctl start tuned || fail "tuned does not start"
tuned-adm profile balanced || fail "tuned-adm profile balanced (baseline)"
wait_for 60 profile_is balanced || fail "tuned did not switch to balanced"
cp /etc/tuned/realtime-variables.conf "$RESULTS/realtime-variables.orig"
snapshot "$S/before"
phase baseline
[ -d /sys/module/tlbisol ] && fail "tlbisol.ko is loaded before anything was installed"

# ---- 1: apt install, offline ----
# stamp: each line prefixed with the uptime (builtins only: no fork per line)
stamp() { while IFS= read -r l; do read -r up _ < /proc/uptime; echo "[$up] $l"; done; }
t0=$(date +%s)
{ apt-get install -y "$1" "$2" 2>&1; echo $? > "$RESULTS/apt-install.rc"; } | stamp > "$RESULTS/apt-install.log"
[ "$(cat "$RESULTS/apt-install.rc")" = 0 ] || {
	tail -30 "$RESULTS/apt-install.log"; fail "apt install of the two .debs failed (offline)"; }
metric install_seconds $(( $(date +%s) - t0 ))
phase install
grep -E 'Building|Installing|DKMS|dkms|Error|error' "$RESULTS/apt-install.log" | head -20
find /var/lib/dkms/tlbisol -name make.log -exec cp {} "$RESULTS/dkms-make.log" \; 2>/dev/null
dkms status | tee "$RESULTS/dkms-status.txt"
grep -q "tlbisol/.*$rel.*installed" "$RESULTS/dkms-status.txt" || fail "DKMS did not build and install tlbisol for $rel"
ko=$(modinfo -n tlbisol 2>/dev/null)
echo "module: $ko ($(modinfo -F vermagic tlbisol | cut -d' ' -f1))"
case "$ko" in */updates/dkms/tlbisol.ko*) ;; *) fail "modinfo finds '$ko', not the DKMS build" ;; esac
[ "$(modinfo -F vermagic tlbisol | cut -d' ' -f1)" = "$rel" ] || fail "DKMS module built for another kernel"
metric dkms.built_for "$rel"
[ -d /sys/module/tlbisol ] && fail "installing the packages loaded the module"
[ "$(systemctl is-active tlbisold)" = active ] && fail "installing the package started tlbisold"
[ "$(systemctl is-enabled tlbisold 2>/dev/null)" = enabled ] && fail "installing the package enabled tlbisold"
[ -f /usr/lib/tuned/tlbisol-realtime/tuned.conf ] || fail "no tuned profile installed"
metric install.started_nothing true
phase install_checks

# ---- 2: the tuned profile brings tlbisold up, with the module ----
echo "isolated_cores=2-3" > /etc/tuned/realtime-variables.conf
tuned-adm profile tlbisol-realtime || fail_with_logs "tuned-adm profile tlbisol-realtime failed"
wait_for 90 profile_is tlbisol-realtime || fail_with_logs "tuned did not switch to tlbisol-realtime"
wait_for 60 systemctl is-active -q tlbisold || fail_with_logs "the profile did not start tlbisold"
[ -d /sys/module/tlbisol ] || fail_with_logs "tlbisold runs but tlbisol.ko is not loaded"
wait_for 20 sh -c "busctl get-property $BUS ModuleState | grep -q loaded" || true
iso=$(prop IsolatedCPUs) ms=$(prop ModuleState)
echo "tlbisold: IsolatedCPUs=$iso ModuleState=$ms"
metric profile.isolated_cpus "$iso"
metric profile.module_state "$ms"
[ "$iso" = 2-3 ] || fail_with_logs "tlbisold isolates '$iso', the profile's isolated_cores is 2-3"
case "$ms" in loaded*) ;; *) fail_with_logs "tlbisold does not see the module: $ms" ;; esac
wq=$(cat /sys/devices/virtual/workqueue/cpumask)
echo "workqueue cpumask: $wq"
[ $(( 0x$wq & 0xc )) -eq 0 ] || fail_with_logs "unbound workqueues still allowed on CPUs 2-3 ($wq)"
# the parent's ignore_ce=1, which the profile writes through machinecheck0
# only (one setting behind the per-CPU files), holds for every CPU
ce=$(cat /sys/devices/system/machinecheck/machinecheck*/ignore_ce 2>/dev/null | sort -u | tr '\n' ' ')
echo "machinecheck ignore_ce: $ce"
case "$ce" in "" | "1 ") ;; *) fail_with_logs "ignore_ce is not 1 on every CPU under the profile: $ce" ;; esac
boot=$(sed -n 's/^TUNED_BOOT_CMDLINE="\(.*\)"$/\1/p' /etc/tuned/bootcmdline)
echo "boot command line the profile asks for: $boot"
metric profile.bootcmdline "$boot"
missing=
for a in $boot; do case " $(cat /proc/cmdline) " in *" $a "*) ;; *) missing="$missing $a" ;; esac; done
[ -z "$missing" ] || echo "NOTE: booted without:$missing (scenarios.list --isolation must carry them)"
phase profile_up

# ---- 3: tuned-adm verify ----
if tuned-adm verify > "$RESULTS/verify.txt" 2>&1; then
	metric profile.verify pass
else
	cat "$RESULTS/verify.txt"
	grep -E 'ERROR|verify' /var/log/tuned/tuned.log | tail -20
	fail_with_logs "tuned-adm verify fails on tlbisol-realtime"
fi
cat "$RESULTS/verify.txt"
phase verify

# ---- 4: back to balanced: tlbisold stopped, module unloaded ----
tuned-adm profile balanced || fail_with_logs "tuned-adm profile balanced failed"
wait_for 60 profile_is balanced || fail_with_logs "tuned did not switch back to balanced"
wait_for 30 sh -c '! systemctl is-active -q tlbisold' || fail_with_logs "tlbisold still runs on balanced"
wait_for 30 sh -c '! test -d /sys/module/tlbisol' || fail_with_logs "tlbisol.ko still loaded after tlbisold stopped"
metric balanced.daemon_stopped true
metric balanced.module_unloaded true
phase balanced

# ---- 5: purge: nothing left ----
cp "$RESULTS/realtime-variables.orig" /etc/tuned/realtime-variables.conf   # the test's own edit
{ apt-get purge -y tlbisol tlbisol-dkms 2>&1; echo $? > "$RESULTS/apt-purge.rc"; } | stamp > "$RESULTS/apt-purge.log"
[ "$(cat "$RESULTS/apt-purge.rc")" = 0 ] || {
	tail -30 "$RESULTS/apt-purge.log"; fail "apt purge failed"; }
snapshot "$S/after"
if compare "$S/before" "$S/after"; then
	metric purge.leftovers 0
	echo "purge: files, /etc, sysctls, knobs, kthread affinities, units, modules as before installation"
else
	fail_with_logs "apt purge left the system different from before installation (above)"
fi
phase purge

# ---- negative control: the comparison sees a leftover file (under /usr
# and under /run), a changed sysctl and a moved kernel thread (kthreadd) ----
mkdir -p /usr/lib/tuned/tlbisol-realtime && echo x > /usr/lib/tuned/tlbisol-realtime/leftover
mkdir /run/tlbisol || fail "negative control: /run/tlbisol exists after purge"
old=$(cat /proc/sys/vm/stat_interval); echo $((old + 7)) > /proc/sys/vm/stat_interval
kt_old=$(taskset -pc 2 | sed 's/.*: //'); kt_new=0; [ "$kt_old" != 0 ] || kt_new=1
taskset -pc "$kt_new" 2 > /dev/null || fail "negative control: cannot move kthreadd"
snapshot "$S/control"
compare "$S/before" "$S/control" > "$RESULTS/control.txt"; crc=$?
rm -rf /usr/lib/tuned/tlbisol-realtime /run/tlbisol; echo "$old" > /proc/sys/vm/stat_interval
taskset -pc "$kt_old" 2 > /dev/null
cat "$RESULTS/control.txt"
[ $crc -ne 0 ] || fail "negative control: the snapshot comparison saw no difference"
for seen in 'tlbisol-realtime/leftover' ' /run/tlbisol$' 'vm.stat_interval' 'kthread 2 kthreadd: '; do
	grep -q -- "$seen" "$RESULTS/control.txt" || fail "negative control: the snapshot comparison missed '$seen'"
done
metric negative_control.detected true
phase negative_control
echo "PASS"
