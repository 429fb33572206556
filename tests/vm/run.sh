#!/bin/bash
# Purpose: boot a Debian 6.12 kernel under QEMU TCG and run one scenario in it.
# Usage:   tests/vm/run.sh --flavour generic|rt --scenario FILE [options]
#          tests/vm/run.sh --help
#
# The scenario is a shell script run as root inside the guest. It finds:
#   $KMOD_DIR  tlbisol.ko and test/tlbisol_test.ko built for the booted kernel
#   $BIN_DIR   static test workloads (build/tests/workloads)
#   $RESULTS   a directory shared back to the host over virtio-9p: write
#              result.json (and any logs) there
#   $TLBISOL_FLAVOUR, $TLBISOL_RELEASE, $TLBISOL_ICOUNT (the --icount shift, or empty)
# Its exit status is the verdict: 0 pass, 77 skip, anything else fail.
# A NAME.host file next to the scenario (executable) runs on the host after
# the guest, with the results directory as its argument (see below).
# The run also fails when the guest's console shows an Oops, BUG, WARNING,
# lockdep report, panic, hung task or RCU stall, when the guest never reports
# (hard timeout), or when result.json is missing or not valid JSON.
#
# Results stay in build/vm/runs/<flavour>-<scenario>/: console.log (the whole
# kernel log, from the serial port), share/results/ (what the guest wrote) and
# bed.json (the bed's own verdict).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/vm/lib.sh"

usage() {
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
	cat <<USAGE
Options:
  --flavour F        generic (THP, khugepaged) or rt (PREEMPT_RT, osnoise)
  --scenario FILE    the script to run in the guest
  --mode M           busybox (default; boots in seconds), full (Debian
                     rootfs with systemd, see mkrootfs.sh) or pkg (the full
                     guest without tlbisol but with dkms, gcc and the
                     kernel's headers; the .debs of 'make deb' in \$DEB_DIR)
  --isolation ARGS   isolation part of the kernel command line
                     (default: "$DEFAULT_ISOLATION")
  --append ARGS      more kernel command-line arguments
  --timeout S        hard timeout for the scenario in seconds (default 240;
                     the whole VM gets this plus boot time)
  --mem MB           guest memory (default 2048 busybox, 3072 full)
  --no-hold-tracepoints
                     do not hold the tracepoints (the default holds them: at
                     boot, the tracepoints that tlbisol.ko, tlbctl noise/top
                     and the osnoise tracer use get two probes, so that
                     enabling them later patches no kernel text; see
                     HOLD_TRACEPOINTS below). --hold-tracepoints: the default
  --tcg single|multi QEMU's TCG threading (default multi: one host thread per
                     vCPU; single: one for all, coherent with live text
                     patching but 2-4x slower under load)
  --icount SHIFT     count instead of time: QEMU -icount shift=SHIFT,sleep=off
                     (implies --tcg single). The guest's clocks (TSC,
                     clock_gettime) then advance 2^SHIFT ns per guest
                     instruction executed (by any vCPU; a halted vCPU adds
                     nothing), so a timing taken in the guest counts
                     instructions and does not depend on the host's load.
                     Slow: one host thread for all vCPUs.
  --env NAME=VALUE   export NAME=VALUE to the scenario (repeatable)
  --quiet            print only the verdict line
USAGE
}

DEFAULT_ISOLATION="nohz_full=2-3 isolcpus=nohz,domain,managed_irq,2-3 rcu_nocbs=2-3 irqaffinity=0-1"
envs=()
flavour= scenario= mode=busybox isolation=$DEFAULT_ISOLATION append= timeout=240 mem= quiet=0 tcg=multi hold=1 icount=
while [ $# -gt 0 ]; do
	case "$1" in
	--flavour)   flavour=${2:?}; shift ;;
	--scenario)  scenario=${2:?}; shift ;;
	--mode)      mode=${2:?}; shift ;;
	--isolation) isolation=${2?}; shift ;;
	--append)    append=${2?}; shift ;;
	--timeout)   timeout=${2:?}; shift ;;
	--mem)       mem=${2:?}; shift ;;
	--tcg)       tcg=${2:?}; shift ;;
	--icount)    icount=${2:?}; shift ;;
	--hold-tracepoints) hold=1 ;;
	--no-hold-tracepoints) hold=0 ;;
	--quiet)     quiet=1 ;;
	--env)
		case "${2:-}" in
		[A-Za-z_]*=*) envs+=("$2") ;;
		*) echo "run.sh: --env takes NAME=VALUE" >&2; exit 2 ;;
		esac
		shift ;;
	-h|--help)   usage; exit 0 ;;
	*) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$flavour" in generic|rt) ;; *) echo "run.sh: --flavour must be generic or rt" >&2; exit 2 ;; esac
[ -r "$scenario" ] || { echo "run.sh: --scenario: cannot read '$scenario'" >&2; exit 2; }
case "$timeout" in ''|*[!0-9]*) echo "run.sh: --timeout must be whole seconds" >&2; exit 2 ;; esac
case "${mem:-0}" in *[!0-9]*) echo "run.sh: --mem must be megabytes" >&2; exit 2 ;; esac
case "$tcg" in single|multi) ;; *) echo "run.sh: --tcg must be single or multi" >&2; exit 2 ;; esac
icount_args=()
if [ -n "$icount" ]; then
	case "$icount" in [0-9]|10) ;; *) echo "run.sh: --icount takes a shift of 0 to 10" >&2; exit 2 ;; esac
	tcg=single	# QEMU refuses icount with multi-threaded TCG
	icount_args=(-icount "shift=$icount,sleep=off")
fi

rel=$(kernel_release "$flavour")
image=$(kernel_image "$rel")
kmod=$B/kmod/$rel
[ -f "$kmod/tlbisol.ko" ] || die "no $kmod/tlbisol.ko; run 'make' first"
check_module_matches "$kmod/tlbisol.ko" "$rel"

case "$mode" in
busybox)
	initrd=$("$TOP/tests/vm/mkinitramfs-busybox.sh" "$rel")
	boot_budget=120 init=rdinit=/init devices=() mem=${mem:-2048} ;;
full|pkg)
	mkdir -p "$VM_BUILD/runs"   # the overlay goes there; a fresh clone has no build/ yet
	# a NIC whose IRQs the daemon can move; restrict=on: no traffic leaves the VM
	variant=installed
	if [ "$mode" = pkg ]; then
		variant=pkg
		version=$(cat "$TOP/VERSION")
		for d in "tlbisol_${version}_amd64.deb" "tlbisol-dkms_${version}_all.deb"; do
			[ -s "$B/deb/$d" ] || die "no $B/deb/$d; run 'make deb' first"
		done
	fi
	initrd=$(ROOTFS_VARIANT=$variant OVERLAY_OUT="$VM_BUILD/runs/.initrd-$flavour-$$.cpio" "$TOP/tests/vm/mkrootfs.sh" "$rel")
	boot_budget=300 init=rdinit=/sbin/init mem=${mem:-3072}
	devices=(-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0) ;;
*) echo "run.sh: --mode must be busybox, full or pkg" >&2; exit 2 ;;
esac

name=$(basename "$scenario" .sh)
run=$VM_BUILD/runs/$flavour-$name
rm -rf "$run"
mkdir -p "$run/share/results" "$run/share/bin"
cp -r "$kmod" "$run/share/kmod"
if [ -d "$B/tests/workloads" ]; then cp -r "$B/tests/workloads/." "$run/share/bin/"; fi
cp "$scenario" "$run/share/scenario.sh"
if [ "$mode" = pkg ]; then mkdir -p "$run/share/debs" && cp "$B"/deb/*.deb "$run/share/debs/"; fi
cp "$TOP/tests/vm/guest/scenario-lib.sh" "$run/share/lib.sh"
cp "$TOP/tests/vm/guest/noise-mix.sh" "$run/share/noise-mix.sh"
cat > "$run/share/run.env" <<ENV
SCENARIO_NAME=$name
SCENARIO_TIMEOUT=$timeout
TLBISOL_FLAVOUR=$flavour
TLBISOL_RELEASE=$rel
SCENARIO_LIB=/mnt/share/lib.sh
export NOISE_MIX=/mnt/share/noise-mix.sh
export TLBISOL_ICOUNT=$icount
ENV
if [ "$mode" = pkg ]; then echo "export DEB_DIR=/mnt/share/debs" >> "$run/share/run.env"; fi
for e in "${envs[@]+"${envs[@]}"}"; do
	printf 'export %s=%q\n' "${e%%=*}" "${e#*=}" >> "$run/share/run.env"
done

# HOLD_TRACEPOINTS: enabling a tracepoint patches kernel text at each of
# its sites (its static key on its first probe, its static call on its
# first and second: tracepoint_add_func() in kernel/tracepoint.c), with
# text_poke_bp() while the other CPUs run. Multi-threaded TCG does not keep
# its vCPUs coherent with that (see tcg_flake): a vCPU can run a stale int3
# and die ("Oops: int3" in __schedule, __sysvec_call_function_single while
# tlbctl noise set up; in __flush_smp_call_function_queue, the site of
# csd:csd_function_entry, while tlbisol.ko's init registered its IPI
# accounting probes: CI of 2026-11-30, generic cli-metrics). So the bed
# holds them, by default, for every scenario: each of these tracepoints
# gets two probes from two stopped boot instances (trace_instance=, enabled
# by trace_init() in start_kernel(), before smp_init(): text_poke_early(),
# no other CPU running). Every later enable is then a third probe, N -> N+1,
# which only swaps an RCU pointer: no text is patched while the scenario
# runs. The list is what tlbisol.ko registers at load (csd:csd_queue_cpu,
# csd:csd_function_entry: kmod/tlbisol_acct.c), what tlbctl noise and top
# enable (cli/noise-trace.c, cli/top.c, cli/trace-sources.c), what the
# osnoise tracer hooks (irq, softirq, sched_switch, sched_migrate_task, the
# x86 irq_vectors) and what tracefs' comm recording hooks (sched_switch,
# sched_wakeup[_new]). Not held, on purpose: the tracepoints that the
# deferral's refusal tests enable to patch text (nmi:nmi_handler,
# exceptions:*: kmod-defer), and the one cli-noise enables as its control
# (module:module_load). cli-noise checks the effect: no sync-core IPIs
# reach an idle CPU while tlbctl noise sets up and tears down, and an
# unheld tracepoint does send them. --no-hold-tracepoints boots without.
HOLD_TRACEPOINTS="ipi:*,csd:*,irq_vectors:*,irq:*,osnoise:*,sched:sched_waking,sched:sched_wakeup,sched:sched_wakeup_new,sched:sched_switch,sched:sched_migrate_task,timer:hrtimer_expire_entry,timer:tick_stop"
[ "$hold" = 1 ] && append="$append trace_instance=bed_hold1^traceoff,$HOLD_TRACEPOINTS trace_instance=bed_hold2^traceoff,$HOLD_TRACEPOINTS"
cmdline="console=ttyS0,115200 loglevel=7 panic=-1 $init $isolation $append"
vm_timeout=$((timeout + boot_budget))
[ "$quiet" = 1 ] || note "booting $rel ($mode, TCG $tcg-threaded) for $name; console: $run/console.log; limit ${vm_timeout}s"
SPLAT_RE='Oops: |BUG: |kernel BUG at|WARNING: |Kernel panic|general protection fault|Unable to handle kernel|INFO: task .* blocked for more than|rcu: INFO: |detected stalls on CPUs|possible circular locking|inconsistent lock state|UBSAN: |kmemleak: .* new suspected|Call Trace:'

boot_vm() {
	rm -rf "$run/share/results"; mkdir -p "$run/share/results"
	set +e
	timeout -k 10 "$vm_timeout" qemu-system-x86_64 \
		-nodefaults -no-user-config -display none -no-reboot \
		-accel tcg,thread=$tcg "${icount_args[@]+"${icount_args[@]}"}" -cpu max -smp 4 -m "$mem" \
		-kernel "$image" -initrd "$initrd" -append "$cmdline" \
		-serial "file:$run/console.log" -monitor none \
		-virtfs "local,path=$run/share,mount_tag=tlbisol,security_model=none,id=share" \
		-device virtio-rng-pci "${devices[@]}" \
		> "$run/qemu.log" 2>&1
	qemu_rc=$?
	set -e
}

# One kind of splat is QEMU's, not the project's, and gets another boot, at
# most two more (recorded in bed.json and on the verdict line):
# any splat while the kernel boots, before the scenario started and before
# anything of ours was loaded. Multi-threaded TCG does not keep its vCPUs
# coherent with the kernel's boot-time text patching (seen: "Oops: int3" in
# sched_clock_cpu on the rt kernel; "IO-APIC + timer doesn't work"). Every
# splat after the scenario started counts, always, an "Oops: int3" too: the
# bed holds the tracepoints from boot (HOLD_TRACEPOINTS), so loading
# tlbisol.ko or running tlbctl noise patches no text; what a scenario still
# patches on purpose (kmod-defer's static-key churn and refusals) is its own
# risk to carry, not the retry's.
tcg_flake() {
	! grep -a -q "tlbisol-bed: scenario $name start" "$run/console.log" &&
		grep -a -q -E "$SPLAT_RE" "$run/console.log"
}

start=$(date +%s)
retried=
# Up to two more boots, for that case only: the flake at "sched_clock:
# Marking stable" (a static key enabled by a late initcall, on every boot,
# while the other CPUs run) hit both boots of one scenario in the CI run of
# 2026-11-30 03:32. Every boot that is retried is named and kept.
boot_vm
tries=1
while [ $tries -lt 3 ] && tcg_flake; do
	mv "$run/console.log" "$run/console.flake$tries.log"
	retried="${retried:+$retried; }TCG flake at boot: $(grep -a -m 1 -E "$SPLAT_RE" "$run/console.flake$tries.log" | cut -c1-100) (console.flake$tries.log)"
	[ "$quiet" = 1 ] || note "$retried; booting again"
	boot_vm
	tries=$((tries + 1))
done
elapsed=$(( $(date +%s) - start ))
# the full/pkg guest's per-run initrd (base + overlay, 250-500 MB) is not kept
case "$initrd" in "$VM_BUILD/runs/.initrd-"*) rm -f "$initrd" ;; esac

# The verdict. Every reason to fail is collected, so one look says it all.
reasons=()
[ "$qemu_rc" = 124 ] && reasons+=("hard timeout: the VM ran past ${vm_timeout}s")
[ "$qemu_rc" != 0 ] && [ "$qemu_rc" != 124 ] && reasons+=("qemu exited with $qemu_rc: $(head -c 300 "$run/qemu.log")")
splats=$(grep -a -n -E "$SPLAT_RE" "$run/console.log" 2>/dev/null | head -n 20 || true)
[ -n "$splats" ] && reasons+=("kernel splat in console.log: $(echo "$splats" | head -n 3 | tr '\n' '|')")
rc=
if [ -r "$run/share/results/rc" ]; then
	rc=$(cat "$run/share/results/rc")
	case "$rc" in
	0) ;;
	77) ;;
	124|143) reasons+=("scenario hit its ${timeout}s timeout") ;;
	*) reasons+=("scenario exited with $rc") ;;
	esac
else
	reasons+=("the guest never reported a result (see console.log)")
fi
# metrics.tsv (KEY<TAB>VALUE lines from 'metric') -> result.json, built by jq
metrics=$run/share/results/metrics.tsv
if [ -s "$metrics" ] && [ ! -e "$run/share/results/result.json" ]; then
	jq -R -s --arg scenario "$name" --arg flavour "$flavour" '
		split("\n") | map(select(length > 0) | split("\t")) |
		reduce .[] as $kv ({}; setpath($kv[0] | split("."); ($kv[1] | tonumber? // (if . == "true" then true elif . == "false" then false else . end))))
		| {scenario: $scenario, flavour: $flavour, metrics: .}' \
		"$metrics" > "$run/share/results/result.json" 2> "$run/jq.err" ||
		reasons+=("metrics.tsv could not be turned into JSON: $(head -c 200 "$run/jq.err")")
fi
# A scenario may come with a host-side check, NAME.host next to NAME.sh,
# for tools the guest does not have (a real OpenMetrics parser): run with
# the results directory once the guest is gone; its failure fails the run.
host_check=${scenario%.sh}.host
if [ "$rc" = 0 ] && [ -x "$host_check" ]; then
	"$host_check" "$run/share/results" > "$run/host-check.log" 2>&1 ||
		reasons+=("host check $(basename "$host_check") failed: $(tail -c 300 "$run/host-check.log")")
fi
if [ "$rc" = 0 ]; then
	if [ ! -s "$run/share/results/result.json" ]; then
		reasons+=("scenario wrote no result.json")
	elif ! jq -e . "$run/share/results/result.json" > /dev/null 2>&1; then
		reasons+=("result.json is not valid JSON")
	fi
fi

if [ ${#reasons[@]} -gt 0 ]; then verdict=fail; elif [ "$rc" = 77 ]; then verdict=skip; else verdict=pass; fi
printf '%s\n' "${reasons[@]+"${reasons[@]}"}" | jq -R . | jq -s \
	--arg verdict "$verdict" --arg flavour "$flavour" --arg release "$rel" \
	--arg mode "$mode" --arg scenario "$name" --arg cmdline "$cmdline" --arg tcg "$tcg" --arg icount "$icount" \
	--argjson seconds "$elapsed" --arg rc "${rc:-none}" --arg retried "$retried" \
	'{verdict: $verdict, scenario: $scenario, flavour: $flavour, release: $release,
	  mode: $mode, tcg: $tcg, icount: (if $icount == "" then null else ($icount | tonumber) end), cmdline: $cmdline, seconds: $seconds, scenario_rc: $rc,
	  retried: (if $retried == "" then null else $retried end),
	  reasons: map(select(length > 0))}' > "$run/bed.json"

if [ "$quiet" = 0 ] && [ -s "$run/share/results/scenario.log" ] && [ "$verdict" != pass ]; then
	echo "---- $name: last lines of scenario.log"
	tail -n 25 "$run/share/results/scenario.log"
	echo "----"
fi
printf 'vm: %-4s %-8s %-28s %4ss' "$(echo "$verdict" | tr a-z A-Z)" "$flavour" "$name" "$elapsed"
[ ${#reasons[@]} -gt 0 ] && printf '  — %s' "$(IFS='; '; echo "${reasons[*]}")"
[ -n "$retried" ] && printf '  (booted %d times: %s)' "$tries" "$retried"
echo
case "$verdict" in pass) exit 0 ;; skip) exit 77 ;; *) exit 1 ;; esac
