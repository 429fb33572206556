#!/bin/sh
# Scenario (full guest, generic kernel): the metrics endpoint
# (tlbisol-metrics.socket -> one 'tlbctl metrics --serve' for all scrapes)
# and the proof that scraping it does not disturb the isolated CPUs 2-3.
#  1. tlbisol.ko + tlbisold + the socket; one scrape over TCP (bash
#     /dev/tcp; the guest has no curl): HTTP 200, OpenMetrics content type;
#     the body is saved for cli-metrics.host, which parses it on the host
#     with the Prometheus project's parser (python3-prometheus-client).
#     The textfile variant is written and saved too.
#  2. In one boot, CPUs 2-3 idle: /proc/interrupts deltas on CPUs 2-3 over
#     QUIET seconds without scraping, then over QUIET seconds while
#     scrape_loop ($BIN_DIR, one process pinned to CPUs 0-1) scrapes 10
#     times a second; tlbisol.ko's per-kind counters say what the CALs
#     carried. Pass: every scrape answered, and no IPI row (CAL, TLB, RES,
#     IWI) and no device IRQ on CPUs 2-3 grows by more during the scrape
#     phase than during the quiet phase, plus SLACK.
#  3. Negative control: 'tlbctl metrics' started on CPU 2 ten times a
#     second (taskset -c 2; tlbctl then moves itself to the housekeeping
#     CPUs): a collector that does wake an isolated CPU must be seen by
#     this measurement, or the measurement proves nothing.
set -u
. "$SCENARIO_LIB"
QUIET=${QUIET:-60}
SLACK=${SLACK:-3}
PORT=9477
ROWS="CAL TLB RES IWI LOC"

state=$(wait_system_running 150)
echo "system state: $state"
command -v tlbctl > /dev/null || fail "tlbctl is not installed"
command -v bash > /dev/null || fail "no bash in the guest (needed for /dev/tcp)"
systemctl cat tlbisol-metrics.socket > /dev/null 2>&1 || fail "tlbisol-metrics.socket is not installed"

# irqbalance moves IRQs on its own schedule: not part of what is measured
systemctl stop irqbalance 2>/dev/null
modprobe tlbisol || fail "modprobe tlbisol"
systemctl start tlbisold || fail "systemctl start tlbisold"
systemctl start tlbisol-metrics.socket || fail "systemctl start tlbisol-metrics.socket"
sleep 2

# scrape [ACCEPT]: one HTTP request to the endpoint, the whole answer on stdout
scrape() {
	bash -c 'exec 3<>/dev/tcp/127.0.0.1/'$PORT' || exit 1
		printf "GET /metrics HTTP/1.0\r\nHost: localhost\r\nAccept: %s\r\n\r\n" "$1" >&3
		cat <&3' scrape "${1:-application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5}"
}

# --- 1: the endpoint ---------------------------------------------------------
scrape > "$RESULTS/scrape.http" || fail "cannot connect to 127.0.0.1:$PORT"
head -1 "$RESULTS/scrape.http" | grep -q "^HTTP/1.0 200 OK" || fail "endpoint answered: $(head -3 "$RESULTS/scrape.http")"
grep -q "^Content-Type: application/openmetrics-text; version=1.0.0" "$RESULTS/scrape.http" ||
	fail "not OpenMetrics: $(grep Content-Type "$RESULTS/scrape.http")"
sed '1,/^\r$/d' "$RESULTS/scrape.http" > "$RESULTS/scrape.om"
tlbctl metrics > "$RESULTS/direct.om" 2>&1 || fail "tlbctl metrics (as root): $(cat "$RESULTS/direct.om")"
grep -q '^tlbisol_daemon_up 1$' "$RESULTS/direct.om" || fail "daemon not up in the metrics even as root"
grep -q '^tlbisol_daemon_up 1$' "$RESULTS/scrape.om" ||
	fail "daemon not up in the metrics of the socket service: $(journalctl -o cat -u 'tlbisol-metrics@*' | tail -5)"
grep -q '^tlbisol_module_loaded 1$' "$RESULTS/scrape.om" || fail "module not loaded in the metrics"
grep -q '^tlbisol_interrupts_total{cpu="2",kind="LOC"}' "$RESULTS/scrape.om" || fail "no per-CPU interrupts for CPU 2"
grep -q '^tlbisol_module_ipis_received_total{cpu="3",kind="table_sync"}' "$RESULTS/scrape.om" || fail "no module counters for CPU 3"
grep -q 'cpu="[01]",kind=' "$RESULTS/scrape.om" && fail "housekeeping CPUs have per-CPU interrupt series"
scrape "text/plain" | sed '1,/^\r$/d' > "$RESULTS/scrape.prom"
grep -q '^# EOF' "$RESULTS/scrape.prom" && fail "text 0.0.4 answer has # EOF"
metric endpoint ok
metric series "$(grep -c '^tlbisol_' "$RESULTS/scrape.om")"
mkdir -p /run/textfile && tlbctl metrics --textfile=/run/textfile/tlbisol.prom || fail "metrics --textfile"
cp /run/textfile/tlbisol.prom "$RESULTS/textfile.prom"

# --- 2: does scraping disturb CPUs 2-3? --------------------------------------
# counts CPU: "ROW=n ..." for CPU's IPI rows and the sum of device IRQs,
# then tlbisol.ko's IPIs received by kind (what the CALs carried)
counts() {
	awk -v cpu="$1" -v rows="$ROWS" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == "CPU" cpu) col = i + 1; next }
		{ name = $1; sub(":", "", name) }
		name ~ /^[0-9]+$/ { dev += $col; next }
		{ v[name] = $col }
		END { n = split(rows, r, " "); for (i = 1; i <= n; i++) printf "%s=%d ", r[i], v[r[i]]; printf "DEV=%d ", dev }
	' /proc/interrupts
	taskset -c 0-1 tlbctl metrics | sed -n 's/^tlbisol_module_ipis_received_total{cpu="'"$1"'",kind="\([a-z_]*\)"} \([0-9]*\)$/mod_\1=\2/p' | tr '\n' ' '
	echo
}
# window NAME SECONDS MODE: deltas on CPUs 2 and 3 over SECONDS while
#   quiet    nothing runs
#   scrape   scrape_loop (one process on CPUs 0-1) scrapes the endpoint 10 times a second
#   control  'taskset -c 2 tlbctl metrics' is started 10 times a second
window() {
	name=$1 secs=$2 mode=$3
	b2=$(counts 2); b3=$(counts 3)
	t0=$(date +%s%N)
	case "$mode" in
	quiet) sleep "$secs" ;;
	scrape)
		taskset -c 0-1 "$BIN_DIR/scrape_loop" $PORT 10 "$secs" > "$RESULTS/$name.loop" ||
			fail "scrape_loop failed"
		cat "$RESULTS/$name.loop"
		for kv in $(cat "$RESULTS/$name.loop"); do metric "$name.${kv%%=*}" "${kv#*=}"; done ;;
	control)
		end=$(( $(date +%s) + secs )); n=0
		while [ "$(date +%s)" -lt "$end" ]; do
			taskset -c 2 tlbctl metrics > /dev/null 2>&1 &
			n=$((n + 1)); sleep 0.1
		done
		wait
		metric "$name.requests" "$n" ;;
	esac
	a2=$(counts 2); a3=$(counts 3)
	metric "$name.window_ms" $(( ($(date +%s%N) - t0) / 1000000 ))
	for c in 2 3; do
		eval "b=\$b$c a=\$a$c"
		d=$(echo "$b|$a" | awk -F'|' '{ n = split($1, x, " "); split($2, y, " ")
			for (i = 1; i <= n; i++) { split(x[i], p, "="); split(y[i], q, "="); printf "%s=%d ", p[1], q[2] - p[2] } }')
		echo "$name cpu$c: $d"
		for kv in $d; do metric "$name.cpu$c.${kv%%=*}" "${kv#*=}"; done
	done
}
systemctl is-active -q tlbisol-metrics.service || fail "the endpoint's server is not running after a scrape"
window quiet "$QUIET" quiet
window scrape "$QUIET" scrape
ok=$(grep "^scrape.ok	" "$RESULTS/metrics.tsv" | cut -f2)
failed=$(grep "^scrape.failed	" "$RESULTS/metrics.tsv" | cut -f2)
req=$(grep "^scrape.requests	" "$RESULTS/metrics.tsv" | cut -f2)
[ "$failed" -eq 0 ] || fail "$failed of the scrapes failed"
[ "$req" -ge $((QUIET * 10 * 9 / 10)) ] || fail "only $req scrapes sent in ${QUIET}s (want $((QUIET * 10)))"
# a slow guest answers late (one server, one scrape at a time), but answers all
[ "$ok" -eq "$req" ] || fail "$ok of $req scrapes answered"
# the negative control, shorter: each collector starts on CPU 2
window control 20 control

# The scrape window is longer than the quiet one (a slow guest answers
# late): the quiet counts are scaled to its length before comparing.
tq=$(grep "^quiet.window_ms	" "$RESULTS/metrics.tsv" | cut -f2)
ts=$(grep "^scrape.window_ms	" "$RESULTS/metrics.tsv" | cut -f2)
verdict=ok
for c in 2 3; do
	for r in CAL TLB RES IWI DEV; do
		q=$(grep "^quiet.cpu$c.$r	" "$RESULTS/metrics.tsv" | cut -f2)
		s=$(grep "^scrape.cpu$c.$r	" "$RESULTS/metrics.tsv" | cut -f2)
		allowed=$(( q * ts / tq + SLACK ))
		echo "CPU $c $r: $s while scraping (${ts} ms), $q quiet (${tq} ms): at most $allowed"
		if [ "$s" -gt "$allowed" ]; then
			echo "CPU $c: $r grew by $s while scraping, more than $allowed"
			verdict=disturbed
		fi
	done
done
ctl=0
for r in RES CAL LOC; do ctl=$((ctl + $(grep "^control.cpu2.$r	" "$RESULTS/metrics.tsv" | cut -f2))); done
qt=0
for r in RES CAL LOC; do qt=$((qt + $(grep "^quiet.cpu2.$r	" "$RESULTS/metrics.tsv" | cut -f2))); done
metric control.cpu2_wakeup_interrupts "$ctl"
# the control ran 20 s against the quiet window's QUIET s: scale
[ "$ctl" -gt $(( qt * 20 / QUIET + 20 )) ] || fail "negative control: starting the collector on CPU 2 added no interrupts there ($ctl vs $qt in ${QUIET}s quiet): the measurement cannot see a disturbance"
metric verdict "$verdict"
[ "$verdict" = ok ] || fail "scraping added interrupts on isolated CPUs"
echo "PASS"
