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
