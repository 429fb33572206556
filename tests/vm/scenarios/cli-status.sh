#!/bin/sh
# Scenario (full guest, generic kernel): 'tlbctl status', 'ipi', 'isolate'
# and 'release' against the real tlbisold and tlbisol.ko, and 'noise'
# without osnoise.
#  1. nothing running: status says so (daemon not running, module not
#     loaded), isolate/release explain how to start the daemon (exit 1).
#  2. modprobe tlbisol + systemctl start tlbisold: status shows the
#     module's control state and per-CPU counters and the daemon's sources;
#     'ipi' shows the module's per-kind counters.
#  3. isolate 1 / release 1 round trip, seen in status (runtime source).
#  4. the daemon's refusals are shown as they are, exit 1: NoHousekeeping
#     (isolate 0-3), NotReleasable (release 2, isolated by the kernel
#     command line), InvalidCPUList (isolate 9).
#  5. every --json document validates against the installed schema (the
#     static checker cli_schema_check from $BIN_DIR).
#  6. noise on a kernel without osnoise: says so, falls back to the
#     /proc/interrupts deltas plus the module's counters, exit 0.
#  7. ipi --events: the module's events (IPIs that got through a control)
#     as JSON Lines: table syncs from 'collapse' on CPU 0 reaching CPU 2
#     while it runs in the kernel (dd), so the targeted sync must IPI it,
#     named with function, sender comm/pid/CPU; the human form; a non-root
#     listener is refused with the reason.
set -u
. "$SCENARIO_LIB"
SCHEMA=/usr/share/tlbisol/tlbctl-output.schema.json

state=$(wait_system_running 150)
echo "system state: $state"
command -v tlbctl >/dev/null || fail "tlbctl is not installed"
[ -r "$SCHEMA" ] || fail "schema not installed at $SCHEMA"
[ -x "$BIN_DIR/cli_schema_check" ] || fail "no cli_schema_check in \$BIN_DIR"

# valid NAME: $RESULTS/NAME.json passes the schema
valid() {
	"$BIN_DIR/cli_schema_check" "$SCHEMA" "$RESULTS/$1.json" > "$RESULTS/$1.schema-check" 2>&1 ||
		fail "$1.json does not match the schema: $(head -c 400 "$RESULTS/$1.schema-check")"
	metric "schema.$1" ok
}
# refused NAME WANT ARGS...: tlbctl exits 1 and prints WANT
refused() {
	name=$1 want=$2; shift 2
	out=$(tlbctl "$@" 2>&1); rc=$?
	echo "tlbctl $* -> exit $rc: $out"
	[ $rc -eq 1 ] || fail "tlbctl $*: exit $rc, want 1 ($out)"
	case "$out" in *"$want"*) ;; *) fail "tlbctl $*: expected '$want' in: $out" ;; esac
	metric "refused.$name" ok
}
j() { jq -r "$2" "$RESULTS/$1.json"; }

# --- 1: nothing running ---------------------------------------------------
systemctl stop tlbisold 2>/dev/null
modprobe -r tlbisol 2>/dev/null
tlbctl status --json > "$RESULTS/status-none.json" || fail "status --json (nothing running)"
valid status-none
[ "$(j status-none .data.daemon.running)" = false ] || fail "daemon reported running"
[ "$(j status-none .data.module.loaded)" = false ] || fail "module reported loaded"
tlbctl status > "$RESULTS/status-none.txt" || fail "status (nothing running)"
grep -q "tlbisold: not running" "$RESULTS/status-none.txt" || fail "status does not say the daemon is not running"
refused no_daemon "systemctl start tlbisold" isolate 1

# --- 2: module and daemon -------------------------------------------------
modprobe tlbisol || fail "modprobe tlbisol"
systemctl start tlbisold || { journalctl -u tlbisold --no-pager | tail -20; fail "systemctl start tlbisold"; }
[ "$(systemctl is-active tlbisold)" = active ] || fail "tlbisold not active"
tlbctl status | tee "$RESULTS/status.txt" || fail "status"
tlbctl status --json > "$RESULTS/status.json" || fail "status --json"
valid status
[ "$(j status .data.daemon.running)" = true ] || fail "status: daemon not running: $(j status .data.daemon.reason)"
[ "$(j status .data.module.loaded)" = true ] || fail "status: module not loaded: $(j status .data.module.reason)"
[ "$(j status .data.isolated)" = 2-3 ] || fail "status: isolated $(j status .data.isolated)"
for k in sync defer accounting; do
	v=$(j status ".data.module.$k")
	metric "module.$k" "$v"
	[ "$v" != null ] || fail "status: no module $k state"
done
# the daemon's sources (boot parameters, config, runtime) per CPU
nsrc=$(j status '.data.daemon.sources | length')
metric daemon.sources "$(j status '[.data.daemon.sources[] | .source + "=" + .cpus] | join(" ")')"
[ "$nsrc" -ge 1 ] || fail "status: the daemon reports no sources"
j status '.data.daemon.sources[] | .source' | while read -r src; do
	grep -qF "$src" "$RESULTS/status.txt" || { echo "source $src not in the table"; exit 1; }
done || fail "a daemon source is missing from the human output"
grep -q "^tlbisold: running" "$RESULTS/status.txt" || fail "human status does not show the daemon running"
grep -q "^module: loaded" "$RESULTS/status.txt" || fail "human status does not show the module"
[ "$(grep -c "module: received" "$RESULTS/status.txt")" -ge 2 ] ||
	fail "human status shows no per-CPU module counters for CPUs 2-3"
# per-CPU module counters on every online CPU
nmod=$(j status '[.data.cpus[] | select(.module != null)] | length')
ncpu=$(j status '.data.cpus | length')
metric module.cpus_with_counters "$nmod"
[ "$nmod" -eq "$ncpu" ] || fail "module counters for $nmod of $ncpu CPUs"
metric module.cpu2 "$(j status '.data.cpus[] | select(.cpu == 2) | .module.received | to_entries | map(.key + "=" + (.value | tostring)) | join(" ")')"

# ipi: the module's per-kind counters next to /proc/interrupts (2 intervals)
taskset -c 0 tlbctl ipi -c 2-3 -i 1s -n 2 > "$RESULTS/ipi.txt" 2>&1 || fail "tlbctl ipi: $(cat "$RESULTS/ipi.txt")"
cat "$RESULTS/ipi.txt"
[ "$(grep -c . "$RESULTS/ipi.txt")" -ge 2 ] || fail "tlbctl ipi printed nothing"
head -1 "$RESULTS/ipi.txt" | grep -q "user_tlb_flush/s" || fail "tlbctl ipi shows no module counters"
[ "$(awk "NR > 1 && NF == 12" "$RESULTS/ipi.txt" | wc -l)" -eq 4 ] || fail "tlbctl ipi: want 2 CPUs x 2 intervals of 12 columns"

# --- 3: runtime isolate / release -----------------------------------------
tlbctl isolate --json 1 > "$RESULTS/isolate1.json" || fail "tlbctl isolate 1"
valid isolate1
[ "$(j isolate1 .data.isolated)" = 1-3 ] || fail "isolate --json: isolated $(j isolate1 .data.isolated)"
tlbctl status --json > "$RESULTS/status-iso1.json" || fail "status --json after isolate"
valid status-iso1
[ "$(j status-iso1 .data.daemon.isolated)" = 1-3 ] || fail "after isolate 1: daemon isolates $(j status-iso1 .data.daemon.isolated)"
[ "$(j status-iso1 .data.isolated)" = 1-3 ] || fail "after isolate 1: status isolated $(j status-iso1 .data.isolated)"
src1=$(j status-iso1 '.data.cpus[] | select(.cpu == 1) | .sources | join(" ")')
metric isolate1.cpu1_sources "$src1"
case "$src1" in *runtime*) ;; *) fail "CPU 1's sources do not name the runtime request: $src1" ;; esac
tlbctl status > "$RESULTS/status-iso1.txt"
tlbctl --json release 1 > "$RESULTS/release1.json" || fail "tlbctl release 1"
valid release1
[ "$(j release1 .data.request)" = release ] && [ "$(j release1 .data.isolated)" = 2-3 ] ||
	fail "release --json: $(cat "$RESULTS/release1.json")"
tlbctl status --json > "$RESULTS/status-rel1.json" || fail "status --json after release"
valid status-rel1
[ "$(j status-rel1 .data.daemon.isolated)" = 2-3 ] || fail "after release 1: daemon isolates $(j status-rel1 .data.daemon.isolated)"
[ "$(j status-rel1 '.data.cpus[] | select(.cpu == 1) | .role')" != isolated ] || fail "CPU 1 still isolated after release"
metric round_trip ok

# --- 4: the daemon's errors, shown as they are ----------------------------
refused no_housekeeping "would leave no housekeeping CPU" isolate 0-3
refused not_releasable "not by a runtime request" release 2
refused invalid_cpulist "9" isolate 9
refused not_isolated "CPU 0 is not isolated; nothing to release" release 0
# not root: the bus policy refuses; tlbctl says what is needed
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups tlbctl isolate 1 2>&1); rc=$?
echo "non-root tlbctl isolate 1 -> exit $rc: $out"
[ $rc -eq 1 ] || fail "non-root isolate: exit $rc, want 1"
case "$out" in *"needs root"*) metric refused.not_root ok ;; *) fail "non-root isolate does not say it needs root: $out" ;; esac
# CPUs= set by a drop-in: the refusal names the drop-in, not the main file
mkdir -p /etc/tlbisol/tlbisold.conf.d
printf '[Isolation]\nCPUs=1\n' > /etc/tlbisol/tlbisold.conf.d/50-cli-status.conf
systemctl reload tlbisold; sleep 2
refused config_dropin "tlbisold.conf.d/50-cli-status.conf" release 1
rm -f /etc/tlbisol/tlbisold.conf.d/50-cli-status.conf
systemctl reload tlbisold; sleep 2
tlbctl isolate 1-x > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "tlbctl isolate 1-x: exit $rc, want 2 (usage)"
[ "$(j status-rel1 .data.daemon.isolated)" = "$(tlbctl status --json | jq -r .data.daemon.isolated)" ] ||
	fail "a refused request changed the isolation"

# --- 5: noise without osnoise ---------------------------------------------
if grep -qw osnoise /sys/kernel/tracing/available_tracers 2>/dev/null; then
	echo "this kernel has osnoise; the fallback is not exercised here"
	metric noise_fallback skipped
else
	taskset -c 0 tlbctl noise -d 3s > "$RESULTS/noise.txt" 2>&1 || fail "noise (fallback): $(cat "$RESULTS/noise.txt")"
	cat "$RESULTS/noise.txt"
	grep -q "no osnoise tracer" "$RESULTS/noise.txt" || fail "noise does not say there is no osnoise"
	grep -q "module: received" "$RESULTS/noise.txt" || fail "noise fallback shows no module counters"
	taskset -c 0 tlbctl noise -d 3s --json > "$RESULTS/noise.json" || fail "noise --json (fallback)"
	valid noise
	[ "$(j noise .data.method)" = interrupts ] || fail "noise method $(j noise .data.method)"
	metric noise.reason "$(j noise .data.no_osnoise_reason)"
	[ "$(j noise '.data.per_cpu[] | select(.cpu == 2) | .module_delta | type')" = object ] ||
		fail "noise fallback: no module delta for CPU 2"
	[ "$(j noise '.data.per_cpu[] | select(.cpu == 2) | .interrupts_delta.LOC | type')" = number ] ||
		fail "noise fallback: no /proc/interrupts delta"
	metric noise_fallback ok
fi

# --- 7: ipi --events --------------------------------------------------------
[ "$(tlbctl status --json | jq -r .data.module.sync)" = on ] || fail "the daemon did not turn the module's sync on"
taskset -c 2 dd if=/dev/zero of=/dev/null bs=4M 2>/dev/null &
hog=$!
taskset -c 0 tlbctl ipi --events -c 2-3 -d 15s --json > "$RESULTS/events.jsonl" 2> "$RESULTS/events.err" &
lis=$!
# table syncs for most of the window, whenever the listener has joined
for i in 1 2 3 4 5 6 7 8 9 10; do "$BIN_DIR/collapse" -c 0 -n 5 > /dev/null; sleep 1; done
wait $lis; rc=$?
kill $hog; wait $hog 2>/dev/null
[ $rc -eq 0 ] || fail "ipi --events: exit $rc: $(cat "$RESULTS/events.err")"
nev=$(grep -c . "$RESULTS/events.jsonl")
metric events.lines "$nev"
[ "$nev" -ge 1 ] || fail "ipi --events: no event for 50 table syncs to a CPU in the kernel"
i=0
while IFS= read -r line; do
	i=$((i + 1))
	printf '%s\n' "$line" > "$RESULTS/event-$i.json"
	"$BIN_DIR/cli_schema_check" "$SCHEMA" "$RESULTS/event-$i.json" > "$RESULTS/event-$i.schema-check" 2>&1 ||
		fail "event line $i does not match the schema: $(head -c 300 "$RESULTS/event-$i.schema-check")"
	[ $i -ge 5 ] && break
done < "$RESULTS/events.jsonl"
named=$(jq -s '[.[].data.event | select(.cpu == 2 and .kind == "table_sync" and (.function | startswith("tlbisol_sync_ipi")) and .sender_comm == "collapse" and .sender_cpu == 0 and .sender_pid > 1)] | length' "$RESULTS/events.jsonl")
metric events.table_sync_from_collapse "$named"
metric events.first "$(head -1 "$RESULTS/events.jsonl" | jq -c .data.event)"
[ "$named" -ge 1 ] || fail "no event names collapse's table sync to CPU 2: $(head -3 "$RESULTS/events.jsonl")"
[ "$(jq -s '[.[].data.event | select(.cpu != 2 and .cpu != 3)] | length' "$RESULTS/events.jsonl")" -eq 0 ] ||
	fail "ipi --events -c 2-3 printed events of other CPUs"
# the human form, on the same source
taskset -c 2 dd if=/dev/zero of=/dev/null bs=4M 2>/dev/null &
hog=$!
taskset -c 0 tlbctl ipi --events -d 8s > "$RESULTS/events.txt" 2>&1 &
lis=$!
for i in 1 2 3 4 5 6; do "$BIN_DIR/collapse" -c 0 -n 5 > /dev/null; sleep 1; done
wait $lis || fail "ipi --events (human): $(cat "$RESULTS/events.txt")"
kill $hog; wait $hog 2>/dev/null
cat "$RESULTS/events.txt"
grep -q "CPU 2 <- table_sync: tlbisol_sync_ipi.* from collapse (pid [0-9]*) on CPU 0" "$RESULTS/events.txt" ||
	fail "ipi --events (human) does not name collapse's table sync"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups tlbctl ipi --events -d 1s 2>&1); rc=$?
echo "non-root tlbctl ipi --events -> exit $rc: $out"
[ $rc -eq 1 ] || fail "non-root ipi --events: exit $rc, want 1"
case "$out" in *"needs root"*) metric refused.events_not_root ok ;; *) fail "non-root ipi --events does not say it needs root: $out" ;; esac

systemctl stop tlbisold
modprobe -r tlbisol || fail "modprobe -r tlbisol"
out=$(tlbctl ipi --events -d 1s 2>&1); rc=$?
[ $rc -eq 1 ] && case "$out" in *"not loaded"*) true ;; *) false ;; esac || fail "ipi --events without the module: exit $rc: $out"
echo "PASS"
