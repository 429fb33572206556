#!/bin/bash
# Purpose: interrupts on isolated CPUs, stock vs tuned vs tlbisol, measured
# in the VM test bed (tests/vm/scenarios/bench-noise.sh, one boot per
# kernel) under a mix of ordinary kernel activity on the housekeeping CPUs
# (munmap storm, BPF churn, hugetlb unsharing, load/unload of Debian's
# 'dummy' module, fork/exec, device IRQs, MADV_COLLAPSE on generic; listed
# in the scenario's mix_start): per configuration and isolated CPU,
# interrupts by kind and by source with and without the residual tick,
# osnoise total/max, oslat max latency, and what the housekeeping CPUs
# received; ratios against stock and tuned.
# Usage:   tests/bench/noise-bench.sh          ('make bench'; ~20 min on an idle host)
#          FLAVOURS="rt" MIX_MODULES=20 tests/bench/noise-bench.sh   (MIX_*: the
#          mix's counts, tests/vm/guest/noise-mix.sh; the same in every configuration)
#          REPORT_ONLY=1 REPORT="rt generic" tests/bench/noise-bench.sh   (tables again)
# Output:  build/bench/noise-bench.json, noise-bench.md (the table),
#          noise-bench.png (gnuplot), and the raw VM results under
#          build/vm/runs/<flavour>-bench-noise/share/results/.
# rt: the osnoise tracer names every interrupt's source (tlbctl noise);
# generic (THP, khugepaged; no osnoise): /proc/interrupts counts only.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$top/build}
FLAVOURS=${FLAVOURS:-"rt generic"}
REPORT=${REPORT:-$FLAVOURS}         # flavours tabulated (from their last run)
out=$B/bench
mkdir -p "$out"
t0=$(date +%s)
rc=0
# REPORT_ONLY=1: tabulate the last runs again without booting
[ "${REPORT_ONLY:-0}" = 1 ] && FLAVOURS=
# tsc=reliable, as the tuned realtime profile (and tlbisol-realtime) boots
# real-time machines: under TCG on a shared host the guest's clocksource
# watchdog sees the emulated TSC drift and marks it unstable, which forces
# the tick on every nohz_full CPU for the rest of the boot (2764 ticks in
# 30 s on CPU 2 in one run; seen again at host load 3). One boot serves all
# four configurations, so they share it; the watchdog's own kicks
# (clocksource_watchdog -> add_timer_on) go with it.
mixenv=()
for v in $(env | grep -o '^MIX_[A-Z]*=[0-9]*$' || true); do mixenv+=(--env "$v"); done
for f in $FLAVOURS; do
	"$top/tests/vm/run.sh" --flavour "$f" --mode full --quiet --timeout 2400 --hold-tracepoints \
		--append "tsc=reliable" "${mixenv[@]+"${mixenv[@]}"}" \
		--scenario "$top/tests/vm/scenarios/bench-noise.sh" || rc=1
done

# The mix's tally (noise-mix.sh: "mix <source> <count> done <n> failed <n>
# <seconds> s" per line) as {source: {count, done, failed, seconds}}.
mixjson() {
	awk 'BEGIN { printf "{" } { printf "%s\"%s\": {\"count\": %d, \"done\": %d, \"failed\": %d, \"seconds\": %s}", (NR > 1 ? ", " : ""), $2, $3, $5, $7, $8 } END { print "}" }' "$1"
}

# One row per (kernel, config, workload, CPU); numbers from tlbctl's JSON.
rows() { # flavour
	local res=$B/vm/runs/$1-bench-noise/share/results
	for c in stock tuned tlbisol defer; do
		for w in busy oslat; do
			local j=$res/$c-busy.json
			local m=$res/$c-busy-mix.txt
			[ $w = oslat ] && j=$res/$c-oslat-noise.json && m=$res/$c-oslat-noise-mix.txt
			[ -s "$j" ] || continue
			local mix=null
			[ -s "$m" ] && mix=$(mixjson "$m")
			local lat=null
			[ $w = oslat ] && [ -s "$res/$c-oslat.json" ] &&
				lat=$(jq '[.thread[] | .max] | max' "$res/$c-oslat.json" 2>/dev/null || echo null)
			jq -c --arg k "$1" --arg c "$c" --arg w "$w" --argjson lat "${lat:-null}" --argjson mix "$mix" '
				.data as $d | $d.per_cpu[] | {
				  kernel: $k, config: $c, workload: $w, cpu, seconds: $d.measured_s,
				  method: $d.method, mix: $mix,
				  interrupts: (if .sources then .sources.interrupts
				               else (.interrupts_delta | .CAL + .RES + .LOC + .IWI + .TLB) end),
				  ticks: (if .sources then .sources.ticks else .interrupts_delta.LOC end),
				  # what "no tick" leaves out: the residual 1/s tick only; a tick
				  # kept by a dependency (the fair server SCHED kick, an unstable
				  # clock) counts. Output of a tlbctl without tick_state: every tick.
				  residual_ticks: (if .sources then
				      (if any(.sources.groups[]; .kind == "tick" and has("tick_state"))
				       then ([.sources.groups[] | select(.kind == "tick" and .tick_state == "residual") | .count] | add // 0)
				       else .sources.ticks end)
				    else .interrupts_delta.LOC end),
				  ipis: (if .sources then .sources.ipis else (.interrupts_delta | .CAL + .RES + .IWI + .TLB) end),
				  unattributed: (if .sources then .sources.ipis_unattributed else null end),
				  by_vector: .interrupts_delta,
				  top_sources: (if .sources then [.sources.groups[] | select(.kind != "thread" and .kind != "softirq")
				      | {count, kind, name, sender, origin, carried, remedy}][0:8] else null end),
				  noise_ns, max_noise_ns, oslat_max_us: $lat
				} | .no_tick = (.interrupts - .residual_ticks)' "$j"
		done
	done
}

hk() { # flavour config -> interrupts received by CPUs 0-1 over the busy phase
	local res=$B/vm/runs/$1-bench-noise/share/results
	[ -s "$res/$2-hk-before.txt" ] || { echo null; return; }
	paste <(awk '$1 ~ /^(CAL|RES|TLB|IWI):$/ { print $1, $2 + $3 }' "$res/$2-hk-before.txt") \
	      <(awk '$1 ~ /^(CAL|RES|TLB|IWI):$/ { print $2 + $3 }' "$res/$2-hk-after.txt") |
		awk 'BEGIN { printf "{" } { printf "%s\"%s\": %d", (NR > 1 ? ", " : ""), substr($1, 1, 3), $3 - $2 } END { print "}" }'
}

{
	for f in $REPORT; do rows "$f"; done
} | jq -s '{generated: (now | todate), window: "one run of the fixed mix (tests/vm/guest/noise-mix.sh); rows[].mix is its tally, rows[].seconds the window", rows: .}' > "$out/rows.json"
{
	echo "{"
	first=1
	for f in $REPORT; do for c in stock tuned tlbisol defer; do
		[ $first = 1 ] || echo ","; first=0
		printf '"%s/%s": %s' "$f" "$c" "$(hk "$f" "$c")"
	done; done
	echo "}"
} > "$out/hk.json"
jq -s '.[0] + {housekeeping_received: .[1]}' "$out/rows.json" "$out/hk.json" > "$out/noise-bench.json"
rm -f "$out/rows.json" "$out/hk.json"

# Markdown: busy-loop rows, isolated CPUs summed per configuration.
jq -r '
  def sum(f): map(f) | add;
  .rows as $r | .housekeeping_received as $hk |
  def order: {"stock": 0, "tuned": 1, "tlbisol": 2, "defer": 3}[.config];
  ($r | map(select(.workload == "busy")) | group_by(.kernel + "/" + .config)
      | sort_by(.[0].kernel != "rt", (.[0] | order))) as $g |
  ($g | map({key: (.[0].kernel + "/" + .[0].config), value: sum(.no_tick)}) | from_entries) as $nt |
  "| kernel | config | window (s) | IRQs/CPU (no residual tick) | with tick | IPIs | unattributed | max noise (us) | oslat max (us) | vs stock | vs tuned | housekeeping CAL+RES+TLB+IWI |",
  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ($g[] | . as $rows | ($rows[0].kernel) as $k | ($rows[0].config) as $c | ($rows | length) as $n |
    ($r | map(select(.workload == "oslat" and .kernel == $k and .config == $c)) | map(.oslat_max_us) | max) as $lat |
    ($nt[$k + "/stock"]) as $s | ($nt[$k + "/tuned"]) as $t | sum(.no_tick) as $me |
    "| \($k) | \($c) | \($rows[0].seconds * 10 | round / 10) | \($me / $n) | \(sum(.interrupts) / $n) | \(sum(.ipis) / $n) | \(if $rows[0].unattributed == null then "n/a" else sum(.unattributed) end) | \(if $rows[0].max_noise_ns == null then "n/a" else ((map(.max_noise_ns) | max) / 1000 | floor) end) | \($lat // "n/a") | \(if $me > 0 and $s then ($s / $me * 10 | round / 10 | tostring) + "x" else "-" end) | \(if $me > 0 and $t then ($t / $me * 10 | round / 10 | tostring) + "x" else "-" end) | \($hk[$k + "/" + $c] | if . then (.CAL + .RES + .TLB + .IWI) else "n/a" end) |")
' "$out/noise-bench.json" > "$out/noise-bench.md"
# The mix each window ran (its counts, and how long each source took).
jq -r '.rows | map(select(.mix != null)) | unique_by([.kernel, .config, .workload]) | if length > 0 then
  "", "The mix per window (count done, seconds it took):", "",
  (.[] | "- \(.kernel) \(.config) \(.workload): " + (.mix | to_entries | map("\(.key) \(.value.done)/\(.value.count) \(.value.seconds) s") | join(", ")))
  else empty end' "$out/noise-bench.json" >> "$out/noise-bench.md"
jq -e '[.rows[] | select(.top_sources != null)] | length > 0' "$out/noise-bench.json" > /dev/null && {
	echo
	echo "Largest remaining sources per configuration (rt, busy loop, CPUs 2-3 summed; count, what, from, what removes it):"
	echo
	jq -r '.rows | map(select(.workload == "busy" and .top_sources != null)) | group_by(.config)[] |
	  "- **\(.[0].config)**: " + ([.[].top_sources[]] | group_by([.kind, .name, .origin, .carried]) |
	    map({n: (map(.count) | add), s: .[0]}) | sort_by(-.n) | .[0:5] |
	    map("\(.n) \(.s.name // .s.kind)\(if .s.carried then " " + .s.carried else "" end)\(if .s.origin then " from " + .s.origin else "" end)") | join("; "))' \
		"$out/noise-bench.json"
} >> "$out/noise-bench.md"

# Plot: interrupts per isolated CPU (busy loop, residual tick excluded).
jq -r 'def order: {"stock": 0, "tuned": 1, "tlbisol": 2, "defer": 3}[.config];
  .rows | map(select(.workload == "busy")) | group_by(.kernel + "/" + .config)
  | sort_by(.[0].kernel != "rt", (.[0] | order))[] |
  "\(.[0].kernel)/\(.[0].config)\t\((map(.no_tick) | add) / length)\t\((map(.residual_ticks) | add) / length)"' \
	"$out/noise-bench.json" > "$out/plot.tsv"
if command -v gnuplot > /dev/null && [ -s "$out/plot.tsv" ]; then
	gnuplot <<-GP
	set terminal pngcairo size 900,480 noenhanced font ",10"
	set output "$out/noise-bench.png"
	set title "Interrupts per isolated CPU during one run of the fixed noise mix, residual tick excluded\n(QEMU TCG, Debian 6.12; rt: by source with osnoise; generic: /proc/interrupts without LOC)"
	set style data histograms
	set style fill solid 0.8 border -1
	set boxwidth 0.6
	set ylabel "interrupts per isolated CPU"
	set yrange [0:*]
	set xtics rotate by -30
	set key off
	set datafile separator "\t"
	plot "$out/plot.tsv" using 2:xtic(1) lc rgb "#7a3fb0", '' using 0:2:(sprintf("%.0f", \$2)) with labels offset 0,0.7
	GP
fi
cat "$out/noise-bench.md"
echo
echo "bench: $(( $(date +%s) - t0 )) s; $out/noise-bench.{json,md,png}"
exit $rc
