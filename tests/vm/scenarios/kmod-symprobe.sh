#!/bin/sh
# Scenario (diagnostic, not in scenarios.list): copy the booted kernel's
# text symbols (/proc/kallsyms, boot with --append nokaslr to match them to
# vmlinux) and ftrace's traceable functions to the results, with the CPU
# features the deferral needs; analyse on the host, e.g.
#   grep -w nmi_handle build/vm/runs/generic-kmod-symprobe/share/results/*.txt
set -u
. "$SCENARIO_LIB"
grep -E ' [tT] ' /proc/kallsyms > "$RESULTS/kallsyms.txt"
cp /sys/kernel/tracing/available_filter_functions "$RESULTS/aff.txt"
grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E -x 'pge|pcid|invpcid|pti' | tr '\n' ' ' > "$RESULTS/cpuflags.txt"
cat "$RESULTS/cpuflags.txt"; echo
metric done true
