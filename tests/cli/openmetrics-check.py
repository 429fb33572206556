#!/usr/bin/python3
"""Parse tlbctl metrics output with the Prometheus project's own Python
parsers (Debian's python3-prometheus-client) and check what tlbctl promises:
every sample in a known family, label names from a fixed set (bounded
cardinality: never a PID or task), counters non-negative.

Usage: openmetrics-check.py openmetrics|prometheus FILE [FAMILY...]
Each FAMILY must be present with at least one sample.
Exit 0 valid, 1 invalid (the reason on stderr), 77 parser not installed."""
import sys

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
    from prometheus_client.parser import text_string_to_metric_families as prom_parse
except ImportError:
    sys.exit(77)

LABELS = {"cpu", "kind", "irq", "name", "control", "isolated", "housekeeping", "version"}


def main():
    fmt, path, want = sys.argv[1], sys.argv[2], sys.argv[3:]
    text = open(path, encoding="utf-8").read()
    try:
        fams = list((om_parse if fmt == "openmetrics" else prom_parse)(text))
    except Exception as e:  # the parsers raise ValueError and friends
        print(f"{path}: not valid {fmt}: {e}", file=sys.stderr)
        return 1
    seen = {}
    for f in fams:
        if not f.name.startswith("tlbisol_"):
            print(f"{path}: family {f.name} is not tlbisol_*", file=sys.stderr)
            return 1
        for s in f.samples:
            extra = set(s.labels) - LABELS
            if extra:
                print(f"{path}: {s.name} has unbounded label(s) {sorted(extra)}", file=sys.stderr)
                return 1
            if f.type == "counter" and s.value < 0:
                print(f"{path}: counter {s.name} is negative", file=sys.stderr)
                return 1
        seen[f.name] = len(f.samples)
    for w in want:
        if not seen.get(w):
            print(f"{path}: no samples of {w} (families: {sorted(seen)})", file=sys.stderr)
            return 1
    print(f"{len(fams)} families, {sum(seen.values())} samples")
    return 0


sys.exit(main())
