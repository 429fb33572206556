#!/bin/sh
# CLI tests of tlbctl: argv -> exit status (0 ok, 1 failure, 2 usage), and
# --json output checked against cli/tlbctl-output.schema.json with
# schema-check (a json-c validator of the schema keywords the schema uses;
# it refuses any keyword it does not implement) plus jq for the values.
#
# Installed by cli/build.mk as $(B)/tests/cli/run-cli-tests with @TOP@ and
# @B@ filled in; 'make check-unit' runs it through tests/unit/run.sh, so it
# prints the cmocka summary lines that runner reads. No root, no VM: the
# machine is a fixture tree (TLBISOL_ROOT), the system bus a dead address.
set -u
TOP=@TOP@
B=@B@
TLBCTL=$B/bin/tlbctl
CHECK=$B/tests/cli/schema-check
SCHEMA=$TOP/cli/tlbctl-output.schema.json
FIX=$TOP/tests/fixtures
DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/tlbctl-test-bus
export DBUS_SYSTEM_BUS_ADDRESS
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

run=0; failed=0; failures=
ok()   { run=$((run + 1)); echo "[       OK ] $1"; }
bad()  { run=$((run + 1)); failed=$((failed + 1)); failures="$failures $1"; echo "[  FAILED  ] $1: $2"; }

# expect NAME STATUS [GREP] -- ARGS...: exit status and (optional) a
# fixed string in stdout+stderr
expect() {
	name=$1 want=$2; shift 2
	pat=
	if [ "$1" != -- ]; then pat=$1; shift; fi
	shift
	"$@" > "$tmp/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		bad "$name" "exit $got, want $want: $(head -c 300 "$tmp/out")"
	elif [ -n "$pat" ] && ! grep -qF -- "$pat" "$tmp/out"; then
		bad "$name" "output lacks '$pat': $(head -c 300 "$tmp/out")"
	else
		ok "$name"
	fi
}

# valid NAME FILE: schema-check passes
valid() {
	if "$CHECK" "$SCHEMA" "$2" > "$tmp/check" 2>&1; then ok "$1"; else bad "$1" "$(head -c 400 "$tmp/check")"; fi
}

# jqtrue NAME FILE EXPR
jqtrue() {
	if jq -e "$3" "$2" > /dev/null 2>&1; then ok "$1"; else bad "$1" "jq '$3' is not true"; fi
}

echo "[==========] tlbctl CLI tests"
NOHZ="env TLBISOL_ROOT=$FIX/root-nohz"
expect version 0 "tlbctl " -- "$TLBCTL" --version
expect help 0 "Usage: tlbctl" -- "$TLBCTL" --help
expect verb-help 0 "Usage: tlbctl noise" -- "$TLBCTL" noise --help
expect unknown-verb 2 "unknown verb 'frobnicate'" -- "$TLBCTL" frobnicate
expect unknown-global-option 2 -- "$TLBCTL" --frobnicate
expect status-bad-option 2 -- $NOHZ "$TLBCTL" status --frobnicate
expect status-bad-interval 2 "bad interval" -- $NOHZ "$TLBCTL" status --interval=soon
expect status-negative-interval 2 -- $NOHZ "$TLBCTL" status -i -1
expect status-extra-arg 2 "unexpected argument" -- $NOHZ "$TLBCTL" status now
# run-time isolation only (a partition, no nohz_full=): what needs the boot
# command line and the line to add; nothing of the kind for boot isolation
cp -a "$FIX/root-partition" "$tmp/rp" && cp "$FIX/root-nohz/proc/interrupts" "$tmp/rp/proc/"
expect status-runtime-limits 0 "needs the boot command line on CPU 4-6: nohz_full=" -- env TLBISOL_ROOT="$tmp/rp" "$TLBCTL" status -i 0
expect status-runtime-boot-line 0 "boot with nohz_full=4-6 rcu_nocbs=4-6" -- env TLBISOL_ROOT="$tmp/rp" "$TLBCTL" status -i 0
if $NOHZ "$TLBCTL" status -i 0 2>&1 | grep -q "needs the boot command line"; then
	bad status-boot-isolated-no-advice "boot advice for CPUs isolated by nohz_full="
else
	ok status-boot-isolated-no-advice
fi
expect run-no-cpus 2 "missing -c CPULIST" -- $NOHZ "$TLBCTL" run -- true
expect run-no-command 2 "missing COMMAND" -- $NOHZ "$TLBCTL" run -c 2
expect run-bad-cpus 2 "bad CPU list" -- $NOHZ "$TLBCTL" run -c 2-x -- true
expect run-no-partition 1 "tlbisold has no isolated partition (/tlbisol.slice is absent); isolate the CPUs first: tlbctl isolate 2" -- $NOHZ "$TLBCTL" run -c 2 -- true
expect isolate-no-list 2 "missing CPULIST" -- $NOHZ "$TLBCTL" isolate
expect isolate-bad-list 2 "bad CPU list" -- $NOHZ "$TLBCTL" isolate 3-1
expect isolate-two-args 2 -- $NOHZ "$TLBCTL" isolate 2 3
expect isolate-no-daemon 1 "tlbisold is not running; start it with 'systemctl start tlbisold'" -- "$TLBCTL" isolate 2
expect release-no-daemon 1 "tlbisold is not running" -- "$TLBCTL" release 2-3
expect noise-bad-duration 2 "bad duration" -- $NOHZ "$TLBCTL" noise -d 0
expect noise-bad-duration-unit 2 "bad duration" -- $NOHZ "$TLBCTL" noise -d 10parsecs
expect noise-bad-cpus 2 "bad CPU list" -- $NOHZ "$TLBCTL" noise -c 2-x
expect noise-cpu-out-of-range 2 "out of range" -- $NOHZ "$TLBCTL" noise -c 9
expect noise-bad-workload 2 "bad workload" -- $NOHZ "$TLBCTL" noise --workload=idle
expect noise-fixture-root 1 "unset TLBISOL_ROOT" -- $NOHZ "$TLBCTL" noise -d 1s
expect noise-stray-arg 2 "unexpected argument 'sleep' (a command to run goes after '--')" -- $NOHZ "$TLBCTL" noise sleep 1
expect noise-no-command 2 "no command after '--'" -- $NOHZ "$TLBCTL" noise -c 2 --
# a command's own options are its own, not taken for ours ("+" in getopt):
# this reaches the fixture-root refusal, not "bad option"
expect noise-command-opts 1 "unset TLBISOL_ROOT" -- $NOHZ "$TLBCTL" noise -c 2 -- sleep -x
expect top-bad-interval 2 "bad interval" -- $NOHZ "$TLBCTL" top -i 1ms
expect top-bad-count 2 "bad count" -- $NOHZ "$TLBCTL" top -n 0
expect top-bad-cpus 2 "bad CPU list" -- $NOHZ "$TLBCTL" top -c 2-x
expect top-fixture-root 1 "unset TLBISOL_ROOT" -- $NOHZ "$TLBCTL" top -n 1
expect ipi-bad-count 2 -- $NOHZ "$TLBCTL" ipi --count=0
expect ipi-bad-count-text 2 -- $NOHZ "$TLBCTL" ipi --count=many
expect ipi-once 0 "CPU" -- $NOHZ "$TLBCTL" ipi --count=1 --interval=50ms
expect status-no-interrupts 1 "/proc/interrupts" -- env TLBISOL_ROOT=$FIX/root-partition "$TLBCTL" status -i 0
expect status-no-root 1 -- env TLBISOL_ROOT=$tmp/none "$TLBCTL" status
expect status-human 0 "nohz_full isolcpus:nohz,domain,managed_irq" -- $NOHZ "$TLBCTL" status -i 0
expect default-verb-is-status 0 "housekeeping" -- $NOHZ "$TLBCTL"

# JSON: envelope, schema, values
$NOHZ "$TLBCTL" status --json -i 100ms > "$tmp/status.json" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] && ok status-json-exit || bad status-json-exit "exit $rc: $(cat "$tmp/err")"
valid status-json-schema "$tmp/status.json"
jqtrue status-json-isolated "$tmp/status.json" '.data.isolated == "2-3" and .data.housekeeping == "0-1"'
jqtrue status-json-sources "$tmp/status.json" \
	'.data.cpus[2].role == "isolated" and (.data.cpus[2].sources | index("nohz_full") != null) and (.data.cpus[2].sources | index("isolcpus:nohz,domain,managed_irq") != null)'
jqtrue status-json-totals "$tmp/status.json" '.data.cpus[2].ipi.CAL.total == 999999 and .data.cpus[3].ipi.CAL.total == 4'
jqtrue status-json-rates "$tmp/status.json" '.data.window_s == 0.1 and .data.cpus[0].ipi.LOC.rate == 0'
jqtrue status-json-daemon "$tmp/status.json" '.data.daemon.running == false and (.data.daemon.reason | type) == "string"'
# one model (lib/isolation): a partition four levels down is named as
# tlbisold names it, and the root's cpuset.cpus.isolated only where no
# partition explains the CPU
env TLBISOL_ROOT=$FIX/root-deep "$TLBCTL" status --json -i 0 > "$tmp/deep.json" 2>"$tmp/err"
valid status-deep-schema "$tmp/deep.json"
jqtrue status-deep-sources "$tmp/deep.json" \
	'.data.cpus[3].sources == ["partition:/a/b/c/d"] and .data.cpus[2].sources == ["cgroup-isolated"] and .data.isolated == "2-3" and .data.partitions == [{"path": "/a/b/c/d", "cpus": "3"}]'
$NOHZ "$TLBCTL" --json > "$tmp/global.json" 2>/dev/null
valid global-json-schema "$tmp/global.json"
jqtrue global-json-command "$tmp/global.json" '.command == "status" and .format_version == 1'
# ipi --json: one document at the end, only with --count
expect ipi-json-needs-count 2 "--json needs --count" -- $NOHZ "$TLBCTL" ipi --json
$NOHZ "$TLBCTL" ipi --json --count=2 --interval=50ms > "$tmp/ipi.json" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] && ok ipi-json-exit || bad ipi-json-exit "exit $rc: $(cat "$tmp/err")"
valid ipi-json-schema "$tmp/ipi.json"
jqtrue ipi-json-values "$tmp/ipi.json" \
	'.command == "ipi" and .data.cpus == "2-3" and (.data.samples | length) == 2 and ([.data.samples[0].per_cpu[].cpu] == [2, 3]) and .data.samples[0].per_cpu[0].module == null'
$NOHZ "$TLBCTL" --json ipi -n 1 -i 10ms > "$tmp/ipi-global.json" 2>/dev/null
valid ipi-global-json-schema "$tmp/ipi-global.json"
jq '.data.samples[0].per_cpu[0].rates.XYZ = 1' "$tmp/ipi.json" > "$tmp/neg-ipi.json"
if "$CHECK" "$SCHEMA" "$tmp/neg-ipi.json" > /dev/null 2>&1; then bad schema-rejects-ipi-extra "accepted"; else ok schema-rejects-ipi-extra; fi
expect isolate-json-no-daemon 1 "tlbisold is not running" -- "$TLBCTL" isolate --json 2
# a full disk is said as such, and is a failure (exit 1)
if [ -w /dev/full ]; then
	expect ipi-dev-full 1 "No space left on device" -- sh -c "$NOHZ $TLBCTL ipi -n 1 -i 10ms > /dev/full"
	expect ipi-json-dev-full 1 "No space left on device" -- sh -c "$NOHZ $TLBCTL ipi --json -n 1 -i 10ms > /dev/full"
	expect status-dev-full 1 "No space left on device" -- sh -c "$NOHZ $TLBCTL status -i 0 > /dev/full"
	expect status-json-dev-full 1 "No space left on device" -- sh -c "$NOHZ $TLBCTL status --json -i 0 > /dev/full"
fi

# negative controls: the checker must reject broken documents
jq 'del(.data.cpus[0].role)' "$tmp/status.json" > "$tmp/neg1.json"
if "$CHECK" "$SCHEMA" "$tmp/neg1.json" > /dev/null 2>&1; then bad schema-rejects-missing "accepted"; else ok schema-rejects-missing; fi
jq '.data.cpus[0].role = "sleepy"' "$tmp/status.json" > "$tmp/neg2.json"
if "$CHECK" "$SCHEMA" "$tmp/neg2.json" > /dev/null 2>&1; then bad schema-rejects-enum "accepted"; else ok schema-rejects-enum; fi
jq '.data.surprise = 1' "$tmp/status.json" > "$tmp/neg3.json"
if "$CHECK" "$SCHEMA" "$tmp/neg3.json" > /dev/null 2>&1; then bad schema-rejects-extra "accepted"; else ok schema-rejects-extra; fi
# a source group must say what removes it
jq 'del(.data.per_cpu[0].sources.groups[0].remedy)' "$FIX/cli/noise-vm-osnoise-user.json" > "$tmp/neg4.json"
if "$CHECK" "$SCHEMA" "$tmp/neg4.json" > /dev/null 2>&1; then bad schema-rejects-group-without-remedy "accepted"; else ok schema-rejects-group-without-remedy; fi
# top --json: a stream, one envelope per refresh and line (JSON Lines). The
# live verb needs root and tracefs, so its emitter is run on a recorded
# trace (rt, stock, noise mix; busy loop pid 500) by top-json-replay: two
# rounds (183-185 s, 185-188 s) and the same span as one round.
expect top-json-fixture-root 1 "unset TLBISOL_ROOT" -- $NOHZ "$TLBCTL" top --json -n 1
expect top-global-json-fixture-root 1 "unset TLBISOL_ROOT" -- $NOHZ "$TLBCTL" --json top -n 1
expect top-help-json 0 "JSON Lines" -- "$TLBCTL" top --help
REPLAY=$B/tests/cli/top-json-replay
TRACE=$FIX/attrib/rt-stock-mix.txt
if "$REPLAY" "$TRACE" 2-3 500 183 185 188 > "$tmp/top.jsonl" 2>"$tmp/err" &&
   "$REPLAY" "$TRACE" 2-3 500 183 188 > "$tmp/top-one.jsonl" 2>>"$tmp/err"; then
	ok top-json-replay
else
	bad top-json-replay "$(cat "$tmp/err")"
fi
[ "$(wc -l < "$tmp/top.jsonl")" -eq 2 ] && ok top-json-one-line-per-refresh || bad top-json-one-line-per-refresh "$(wc -l < "$tmp/top.jsonl") lines"
sed -n 1p "$tmp/top.jsonl" > "$tmp/top1.json"; sed -n 2p "$tmp/top.jsonl" > "$tmp/top2.json"
valid top-json-schema-1 "$tmp/top1.json"
valid top-json-schema-2 "$tmp/top2.json"
jqtrue top-json-values "$tmp/top1.json" \
	'.command == "top" and .data.cpus == "2-3" and .data.sample == 1 and .data.seconds == 2 and .data.sources_traced and ([.data.per_cpu[].cpu] == [2, 3])'
# rates are the sample's counts per second of the sample
jqtrue top-json-rates "$tmp/top2.json" \
	'.data.sample == 2 and .data.seconds == 3 and (.data.per_cpu | all((.per_s.interrupts * 3 - .sources.interrupts | fabs) < 0.01 and (.per_s.ipis * 3 - .sources.ipis | fabs) < 0.01))'
# the fixture's named sources: insmod's vmalloc-purge flushes on CPU 2
jqtrue top-json-sources "$tmp/top1.json" \
	'[.data.per_cpu[0].sources.groups[] | select(.sender == "insmod" and .carried == "do_flush_tlb_all") | .count] | add > 0'
# rounds add up to the whole: nothing counted twice or lost between refreshes
jq -s '[.[].data.per_cpu[] | {cpu, n: .sources.interrupts, i: .sources.ipis}] | group_by(.cpu) | map({cpu: .[0].cpu, n: (map(.n) | add), i: (map(.i) | add)})' "$tmp/top.jsonl" > "$tmp/top-sum.json"
jq '[.data.per_cpu[] | {cpu, n: .sources.interrupts, i: .sources.ipis}]' "$tmp/top-one.jsonl" > "$tmp/top-whole.json"
if [ -s "$tmp/top-sum.json" ] && cmp -s "$tmp/top-sum.json" "$tmp/top-whole.json" && jq -e '.[0].n > 0' "$tmp/top-whole.json" > /dev/null; then
	ok top-json-rounds-add-up
else
	bad top-json-rounds-add-up "rounds $(tr -d ' \n' < "$tmp/top-sum.json"), whole $(tr -d ' \n' < "$tmp/top-whole.json")"
fi
jq -c '.data.per_cpu[0].per_s.surprise = 1' "$tmp/top1.json" > "$tmp/neg-top1.json"
if "$CHECK" "$SCHEMA" "$tmp/neg-top1.json" > /dev/null 2>&1; then bad top-schema-rejects-extra accepted; else ok top-schema-rejects-extra; fi
jq -c 'del(.data.per_cpu[1].sources)' "$tmp/top1.json" > "$tmp/neg-top2.json"
if "$CHECK" "$SCHEMA" "$tmp/neg-top2.json" > /dev/null 2>&1; then bad top-schema-rejects-missing accepted; else ok top-schema-rejects-missing; fi
# the tick in JSON: the recorded trace of a guest whose TSC was marked
# unstable (tests/fixtures/attrib/README): CPU 2's tick is named by the
# dependency that kept it, with its remedy; a bad tick_state is refused
if "$REPLAY" "$FIX/attrib/rt-tick-unstable.txt" 2-3 238 43 44 > "$tmp/top-tick.json" 2>"$tmp/err"; then
	ok top-json-tick-replay
else
	bad top-json-tick-replay "$(cat "$tmp/err")"
fi
valid top-json-tick-schema "$tmp/top-tick.json"
jqtrue top-json-tick-dependency "$tmp/top-tick.json" \
	'[.data.per_cpu[] | select(.cpu == 2) | .sources.groups[] | select(.kind == "tick")] | length == 1 and .[0].tick_state == "kept" and .[0].tick_dependency == "CLOCK_UNSTABLE" and .[0].count >= 200 and (.[0].remedy | test("Marking TSC unstable"))'
jq -c '(.data.per_cpu[0].sources.groups[] | select(.kind == "tick") | .tick_state) = "sleepy"' "$tmp/top-tick.json" > "$tmp/neg-tick.json"
if "$CHECK" "$SCHEMA" "$tmp/neg-tick.json" > /dev/null 2>&1; then bad tick-schema-rejects-state accepted; else ok tick-schema-rejects-state; fi
# ipi --events: the module's events group (the VM test cli-status reads
# real ones); here the refusals and the schema of an event line
expect ipi-events-with-count 2 "no --count or --interval" -- $NOHZ "$TLBCTL" ipi --events -n 2
expect ipi-events-with-interval 2 "no --count or --interval" -- $NOHZ "$TLBCTL" ipi --events -i 1s
expect ipi-duration-without-events 2 "--duration goes with --events" -- $NOHZ "$TLBCTL" ipi -d 5s
expect ipi-events-bad-duration 2 "bad duration" -- $NOHZ "$TLBCTL" ipi --events -d soon
expect ipi-events-fixture-root 1 "unset TLBISOL_ROOT" -- $NOHZ "$TLBCTL" ipi --events -d 1s
if ! grep -q '^tlbisol ' /proc/modules 2>/dev/null; then
	expect ipi-events-no-module 1 "needs tlbisol.ko, which is not loaded" -- "$TLBCTL" ipi --events -d 1s
fi
jq -c '.command = "ipi" | .data = {event: {cpu: 2, kind: "table_sync", function: "tlbisol_sync_ipi [tlbisol]", sender_pid: 812, sender_comm: "collapse", sender_cpu: 0}}' "$tmp/top1.json" > "$tmp/event.json"
valid ipi-event-schema "$tmp/event.json"
jq -c '.data.event.kind = "mystery"' "$tmp/event.json" > "$tmp/neg-event1.json"
if "$CHECK" "$SCHEMA" "$tmp/neg-event1.json" > /dev/null 2>&1; then bad ipi-event-schema-rejects-kind accepted; else ok ipi-event-schema-rejects-kind; fi
jq -c 'del(.data.event.sender_comm)' "$tmp/event.json" > "$tmp/neg-event2.json"
if "$CHECK" "$SCHEMA" "$tmp/neg-event2.json" > /dev/null 2>&1; then bad ipi-event-schema-rejects-missing accepted; else ok ipi-event-schema-rejects-missing; fi
# check: a well-set-up fixture passes (exit 0, schema-valid JSON); each
# break (one at a time, in a copy) fails with that item named, exit 1
GOOD=$FIX/check/good
expect check-good 0 "PASS: 0 fail" -- env TLBISOL_ROOT=$GOOD "$TLBCTL" check
expect check-help 0 "Usage: tlbctl check" -- "$TLBCTL" check --help
expect check-bad-option 2 -- env TLBISOL_ROOT=$GOOD "$TLBCTL" check --frobnicate
expect check-bad-cpus 2 "bad CPU list" -- env TLBISOL_ROOT=$GOOD "$TLBCTL" check -c 2-x
expect check-extra-arg 2 "unexpected argument" -- env TLBISOL_ROOT=$GOOD "$TLBCTL" check now
env TLBISOL_ROOT=$GOOD "$TLBCTL" check --json > "$tmp/check.json" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] && ok check-json-exit || bad check-json-exit "exit $rc: $(cat "$tmp/err")"
valid check-json-schema "$tmp/check.json"
jqtrue check-json-values "$tmp/check.json" \
	'.command == "check" and .data.verdict == "pass" and .data.isolated == "2-3" and .data.counts.fail == 0 and ([.data.checks[] | select(.id == "irqs")][0].verdict == "ok")'
jq '.data.checks[0].verdict = "meh"' "$tmp/check.json" > "$tmp/neg-check.json"
if "$CHECK" "$SCHEMA" "$tmp/neg-check.json" > /dev/null 2>&1; then bad check-schema-rejects-verdict accepted; else ok check-schema-rejects-verdict; fi
jqtrue check-json-no-noise "$tmp/check.json" '.data.noise == null'
expect check-noise-bad-duration 2 "bad noise duration" -- env TLBISOL_ROOT=$GOOD "$TLBCTL" check --noise=0
expect check-noise-bad-unit 2 "bad noise duration" -- env TLBISOL_ROOT=$GOOD "$TLBCTL" check --noise=5parsecs
expect check-noise-fixture 0 "skip  noise" -- env TLBISOL_ROOT=$GOOD "$TLBCTL" check --noise=1s
# -c: CPUs that are not isolated fail
expect check-cpus-not-isolated 1 "CPUs 1 are not isolated" -- env TLBISOL_ROOT=$GOOD "$TLBCTL" check -c 1-2
# broken NAME ID: copy the good tree, let the caller break it, expect exit 1
# and a FAIL line for ID
broken() {
	rm -rf "$tmp/b"; cp -r "$GOOD" "$tmp/b"
}
judge() {
	env TLBISOL_ROOT="$tmp/b" "$TLBCTL" check > "$tmp/bout" 2>&1; rc=$?
	if [ $rc -ne 1 ]; then bad "$1" "exit $rc, want 1: $(grep -v '^ok' "$tmp/bout" | head -c 300)"
	elif ! grep -q "^FAIL  $2 " "$tmp/bout"; then bad "$1" "no FAIL for $2: $(grep -v '^ok' "$tmp/bout" | head -c 300)"
	elif [ "$(grep -c '^FAIL  ' "$tmp/bout")" -ne 1 ]; then bad "$1" "more than $2 fails: $(grep '^FAIL  ' "$tmp/bout")"
	else ok "$1"; fi
}
broken; echo 2-3 > "$tmp/b/proc/irq/0/smp_affinity_list"; judge check-break-irq irqs
grep -q "IRQ 0 (timer) on CPU 2-3" "$tmp/bout" && ok check-break-irq-named || bad check-break-irq-named "$(grep irqs "$tmp/bout")"
broken; mkdir -p "$tmp/b/proc/irq/0"; echo 0 > "$tmp/b/proc/irq/0/effective_affinity_list"; echo 0-3 > "$tmp/b/proc/irq/0/smp_affinity_list"
expect check-effective-affinity-wins 0 "ok    irqs" -- env TLBISOL_ROOT="$tmp/b" "$TLBCTL" check
# a requested affinity with only isolated CPUs is where it goes next (IO-APIC)
echo 2 > "$tmp/b/proc/irq/0/smp_affinity_list"; judge check-pending-affinity irqs
broken; echo 1 > "$tmp/b/proc/sys/vm/stat_interval"; judge check-break-sysctl tuning.VMStatInterval
broken; echo "[always] madvise never" > "$tmp/b/sys/kernel/mm/transparent_hugepage/enabled"; judge check-break-thp tuning.TransparentHugepages
broken; echo 1 > "$tmp/b/sys/kernel/mm/ksm/run"; judge check-break-ksm tuning.KSM
broken; echo 0 > "$tmp/b/proc/sys/kernel/timer_migration"; judge check-break-timer-migration tuning.TimerMigration
broken; echo f > "$tmp/b/proc/irq/default_smp_affinity"; judge check-break-default-affinity default_affinity
broken; echo f > "$tmp/b/sys/devices/virtual/workqueue/cpumask"; judge check-break-workqueue workqueue
broken; mkdir -p "$tmp/b/sys/fs/cgroup/rt"; echo "isolated invalid (Cpu list in cpuset.cpus not exclusive)" > "$tmp/b/sys/fs/cgroup/rt/cpuset.cpus.partition"
judge check-break-partition partitions
broken; printf '[Tuning]\nKSM=maybe\n' > "$tmp/b/etc/tlbisol/tlbisold.conf"; judge check-break-config config
grep -q "KSM" "$tmp/bout" && ok check-break-config-named || bad check-break-config-named "$(grep config "$tmp/bout")"
broken; sed -i 's/nohz_full=2-3/nohz_full=2-x/' "$tmp/b/proc/cmdline"; judge check-break-cmdline cmdline.nohz_full
# the config is what is judged: KSM=keep makes KSM=1 only reported
broken; echo 1 > "$tmp/b/sys/kernel/mm/ksm/run"; printf '[Tuning]\nKSM=keep\n' > "$tmp/b/etc/tlbisol/tlbisold.conf"
expect check-config-keep 0 "info  tuning.KSM" -- env TLBISOL_ROOT="$tmp/b" "$TLBCTL" check
# warnings do not fail: a movable kthread on the isolated CPUs, tuned's realtime
broken; sed -i 's/^Cpus_allowed_list:.*/Cpus_allowed_list:\t0-3/' "$tmp/b/proc/2/status"
expect check-warn-kthread 0 "WARN  kthreads" -- env TLBISOL_ROOT="$tmp/b" "$TLBCTL" check
grep -q "kthreadd\[2\]" "$tmp/out" && ok check-warn-kthread-named || bad check-warn-kthread-named "$(grep kthreads "$tmp/out")"
mkdir -p "$tmp/b/proc/900"; printf '900 (tuned) S 1 0 0 0 -1 4194560 0 0 0 0 0 5 0 0 20 0 1 0 1000 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n' > "$tmp/b/proc/900/stat"
printf 'Name:\ttuned\nTgid:\t900\nPid:\t900\nCpus_allowed_list:\t0-1\n' > "$tmp/b/proc/900/status"; echo realtime > "$tmp/b/etc/tuned/active_profile"
expect check-warn-tuned 0 "WARN  tuned" -- env TLBISOL_ROOT="$tmp/b" "$TLBCTL" check
# nothing isolated at all fails
broken; echo "BOOT_IMAGE=/vmlinuz root=/dev/vda" > "$tmp/b/proc/cmdline"; echo "(null)" > "$tmp/b/sys/devices/system/cpu/nohz_full"
: > "$tmp/b/sys/devices/system/cpu/isolated"; : > "$tmp/b/sys/fs/cgroup/cpuset.cpus.isolated"
expect check-nothing-isolated 1 "FAIL  isolated" -- env TLBISOL_ROOT="$tmp/b" "$TLBCTL" check

# metrics: parsed by the Prometheus project's own parsers (python3-
# prometheus-client), in both formats, over HTTP and as a textfile
OMCHECK="/usr/bin/python3 $TOP/tests/cli/openmetrics-check.py"
# omvalid NAME FORMAT FILE FAMILY...
omvalid() {
	name=$1; shift
	$OMCHECK "$@" > "$tmp/omcheck" 2>&1; rc=$?
	if [ $rc -eq 0 ]; then ok "$name"
	elif [ $rc -eq 77 ]; then echo "[  SKIPPED ] $name: python3-prometheus-client is not installed"
	else bad "$name" "$(head -c 400 "$tmp/omcheck")"; fi
}
M="env TLBISOL_ROOT=$GOOD $TLBCTL metrics"
expect metrics-help 0 "Usage: tlbctl metrics" -- "$TLBCTL" metrics --help
expect metrics-bad-format 2 "bad format" -- $M --format=json
expect metrics-http-and-textfile 2 -- $M --http --textfile=/tmp/x
expect metrics-extra-arg 2 "unexpected argument" -- $M now
$M > "$tmp/m.om" 2>"$tmp/err" && ok metrics-exit || bad metrics-exit "$(cat "$tmp/err")"
omvalid metrics-openmetrics-parses openmetrics "$tmp/m.om" tlbisol_cpu_isolated tlbisol_interrupts tlbisol_isolation tlbisol_module_loaded tlbisol_daemon_up
grep -qx 'tlbisol_interrupts_total{cpu="2",kind="CAL"} 999999' "$tmp/m.om" && ok metrics-cal-value || bad metrics-cal-value "$(grep CAL "$tmp/m.om")"
grep -qx 'tlbisol_isolation_info{isolated="2-3",housekeeping="0-1"} 1' "$tmp/m.om" && ok metrics-sets || bad metrics-sets "$(grep isolation_info "$tmp/m.om")"
grep -q 'cpu="[01]",kind' "$tmp/m.om" && bad metrics-only-isolated "housekeeping CPUs have interrupt series" || ok metrics-only-isolated
# a device IRQ affined to an isolated CPU gets a series, named by its handler
rm -rf "$tmp/b"; cp -r "$GOOD" "$tmp/b"; echo 2 > "$tmp/b/proc/irq/0/smp_affinity_list"
env TLBISOL_ROOT="$tmp/b" "$TLBCTL" metrics > "$tmp/m2.om"
grep -qx 'tlbisol_device_interrupts_total{cpu="2",irq="0",name="timer"} 0' "$tmp/m2.om" && ok metrics-device-irq || bad metrics-device-irq "$(grep device_interrupts_total "$tmp/m2.om")"
omvalid metrics-device-irq-parses openmetrics "$tmp/m2.om" tlbisol_device_interrupts
# negative controls: the parser rejects a document without "# EOF", the
# checker a per-PID label
head -n -1 "$tmp/m.om" > "$tmp/neg.om"
if $OMCHECK openmetrics "$tmp/neg.om" > /dev/null 2>&1; then bad metrics-parser-rejects-truncated accepted; else ok metrics-parser-rejects-truncated; fi
sed 's/cpu="2"/pid="2"/' "$tmp/m.om" > "$tmp/neg2.om"
if $OMCHECK openmetrics "$tmp/neg2.om" > /dev/null 2>&1; then bad metrics-rejects-pid-label accepted; else ok metrics-rejects-pid-label; fi
$M --format=prometheus > "$tmp/m.prom"
omvalid metrics-prometheus-parses prometheus "$tmp/m.prom" tlbisol_interrupts tlbisol_isolation_info
grep -q '^# EOF' "$tmp/m.prom" && bad metrics-prometheus-no-eof "has # EOF" || ok metrics-prometheus-no-eof
# textfile: atomic, in the Prometheus format node_exporter reads
$M --textfile="$tmp/tlbisol.prom" && ok metrics-textfile-exit || bad metrics-textfile-exit "exit $?"
omvalid metrics-textfile-parses prometheus "$tmp/tlbisol.prom" tlbisol_cpu_isolated
ls "$tmp"/tlbisol.prom.tmp.* > /dev/null 2>&1 && bad metrics-textfile-no-tmp "left a temporary file" || ok metrics-textfile-no-tmp
expect metrics-textfile-bad-dir 1 "$tmp/none/x.prom" -- $M --textfile="$tmp/none/x.prom"
# HTTP on stdin/stdout (socket activation, Accept=yes)
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n\r\n' |
	$M --http > "$tmp/http1" 2>&1
head -1 "$tmp/http1" | grep -q "^HTTP/1.0 200 OK" && grep -q "^Content-Type: application/openmetrics-text; version=1.0.0" "$tmp/http1" &&
	ok metrics-http-openmetrics || bad metrics-http-openmetrics "$(head -3 "$tmp/http1")"
sed '1,/^\r$/d' "$tmp/http1" > "$tmp/http1.om"
omvalid metrics-http-body-parses openmetrics "$tmp/http1.om" tlbisol_interrupts
len=$(sed -n 's/^Content-Length: \([0-9]*\)\r$/\1/p' "$tmp/http1")
[ "$len" = "$(wc -c < "$tmp/http1.om")" ] && ok metrics-http-length || bad metrics-http-length "Content-Length $len, body $(wc -c < "$tmp/http1.om")"
printf 'GET /metrics HTTP/1.0\r\n\r\n' | $M --http > "$tmp/http2" 2>&1
grep -q "^Content-Type: text/plain; version=0.0.4" "$tmp/http2" && ok metrics-http-text004 || bad metrics-http-text004 "$(head -3 "$tmp/http2")"
printf 'HEAD /metrics HTTP/1.0\r\n\r\n' | $M --http > "$tmp/http3" 2>&1
[ "$(sed '1,/^\r$/d' "$tmp/http3" | wc -c)" -eq 0 ] && head -1 "$tmp/http3" | grep -q " 200 " && ok metrics-http-head || bad metrics-http-head "$(cat "$tmp/http3" | head -c 200)"
expect metrics-serve-no-socket 1 "one listening socket from systemd" -- $M --serve
expect metrics-serve-and-http 2 -- $M --serve --http
# --serve behind a real socket activator: one process answers 20 scrapes
if command -v systemd-socket-activate > /dev/null 2>&1; then
	port=$((20000 + $$ % 20000))
	env TLBISOL_ROOT=$GOOD systemd-socket-activate -l 127.0.0.1:$port "$TLBCTL" metrics --serve > "$tmp/serve.log" 2>&1 &
	spid=$!
	sleep 0.5
	"$B/tests/workloads/scrape_loop" $port 20 1 > "$tmp/loop" 2>&1
	# every request sent is answered (about 20; a loaded machine sends fewer in 1 s)
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	     END { exit !(v["requests"] >= 10 && v["ok"] == v["requests"] && v["failed"] == 0) }' "$tmp/loop" &&
		ok metrics-serve-20-scrapes || bad metrics-serve-20-scrapes "$(cat "$tmp/loop" "$tmp/serve.log")"
	[ "$(grep -c "^Execing" "$tmp/serve.log")" -eq 1 ] && ok metrics-serve-one-process || bad metrics-serve-one-process "$(cat "$tmp/serve.log")"
	kill $spid 2>/dev/null; wait $spid 2>/dev/null
else
	echo "[  SKIPPED ] metrics-serve: no systemd-socket-activate"
fi
printf 'GET /secret HTTP/1.0\r\n\r\n' | $M --http | head -1 | grep -q "^HTTP/1.0 404 " && ok metrics-http-404 || bad metrics-http-404 "not 404"
printf 'POST /metrics HTTP/1.0\r\n\r\n' | $M --http | head -1 | grep -q "^HTTP/1.0 405 " && ok metrics-http-405 || bad metrics-http-405 "not 405"
printf 'garbage\r\n\r\n' | $M --http | head -1 | grep -q "^HTTP/1.0 400 " && ok metrics-http-400 || bad metrics-http-400 "not 400"

# documents recorded in the VM bed (tests/fixtures/cli/*.json: status with
# tlbisold and tlbisol.ko, noise with osnoise and in the fallback) are valid
for f in "$FIX"/cli/*.json; do
	[ -e "$f" ] || continue
	valid "schema-$(basename "$f" .json)" "$f"
done

echo "[==========] $run test(s) run."
echo "[  PASSED  ] $((run - failed)) test(s)."
if [ $failed -gt 0 ]; then
	echo "[  FAILED  ] $failed test(s), listed below:"
	for f in $failures; do echo "[  FAILED  ] $f"; done
	exit 1
fi
exit 0
