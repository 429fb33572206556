#!/bin/sh
# Purpose: prove on the object code that tlbisol.ko's deferral catch-up
# calls nothing before its TLB flush (issue 9 item 1; DEFERRAL.md "The
# flush"): a kprobe, BPF program or ftrace ops on any function it called
# first would run before the flush, possibly from a stale mapping.
# Usage: tests/kmod/check-inline-flush.sh path/to/tlbisol.ko
# For each catch-up function, explores every path of its disassembly
# (objdump -d) from the entry, following fall-through and jumps: no path
# may execute a call (or leave the function by a tail jump) before it
# executes a write to %cr4: the catch-up ends with one on every path that
# consumed something (DEFERRAL.md "The flush"): the CR4.PGE toggle flushes
# and serializes, after INVPCID the unchanged write-back serializes (a
# deferred text-patching sync needs that before any patched code runs);
# invpcid alone does not end a path: after it, a return before the %cr4
# write is a violation too (the walk keeps "after invpcid" per path). Paths
# that return without flushing and without invpcid are fine (nothing
# pending). Negative controls (mk/kmod.mk): the test build (calls before its
# flush) and tests/kmod/mutant-no-serialize.S (returns after invpcid). The entry catch-up's
# asm trampoline (tlbisol_entry_tramp, an ftrace direct call) flushes in
# defer_entry_slow(), checked itself: in the trampoline, a call to
# defer_entry_slow counts as the flush, and any other call or jump out
# fails. Exit 0 ok, 1 a violation (the code must change), 2 usage.
set -eu
ko=${1:?usage: check-inline-flush.sh tlbisol.ko}
[ -r "$ko" ] || { echo "check-inline-flush: $ko not readable" >&2; exit 2; }
rc=0
for fn in tlbisol_entry_tramp defer_entry_slow defer_nmi_handler tlbisol_defer_ipi; do
	objdump -dr --no-show-raw-insn "$ko" | awk -v fn="$fn" '
		$0 ~ "^[0-9a-f]+ <" fn ">:$" { on = 1; next }
		on && (/^$/ || /^[0-9a-f]+ </) { exit }
		on { print }
	' | awk -v fn="$fn" '
		function hex(s,   i, c, v) {
			v = 0; s = tolower(s)
			for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); v = v * 16 + c - 1 }
			return v
		}
		# relocation line: "   15d3: R_X86_64_PC32  sym-0x4" belongs to the last instruction
		$2 ~ /^R_X86_64_/ { R[n] = $3; sub(/[-+]0x[0-9a-f]+$/, "", R[n]); next }
		{
			line = $0; sub(/^ +/, "", line)
			p = index(line, ":"); addr = hex(substr(line, 1, p - 1))
			insn = substr(line, p + 1); sub(/^[ \t]+/, "", insn); sub(/[ \t]+#.*$/, "", insn)
			n++; A[n] = addr; T[n] = insn; idx[addr] = n
		}
		END {
			if (!n) { print "check-inline-flush: " fn ": not found"; exit 1 }
			# path-sensitive: a path that ran invpcid must still write %cr4
			# (serialize) before it returns, calls or jumps out (review M1)
			top = 1; stack[1] = 1; inv[1] = 0; bad = 0; flushes = 0
			while (top > 0) {
				i = stack[top]; v = inv[top]; top--
				while (i <= n) {
					if (seen[i "," v]++) break
					t = T[i]; r = R[i]
					if (t ~ /,%cr4$/) { flushes++; break }
					if (t ~ /^invpcid/) { v = 1; i++; continue }
					if (t ~ /^(ret|int3|ud2)/ || (t ~ /^jmp/ && r == "__x86_return_thunk")) {
						if (v && t !~ /^(int3|ud2)/) { print "check-inline-flush: " fn ": returns after invpcid without the serializing write to %cr4"; bad = 1 }
						break
					}
					if (t ~ /^(call|jmp)/ && r != "") {
						if (t ~ /^call/ && r == "defer_entry_slow" && fn == "tlbisol_entry_tramp") { flushes++; break }
						print "check-inline-flush: " fn ": " (t ~ /^call/ ? "call" : "tail call") " to " r " before the flush"; bad = 1; break
					}
					if (t ~ /^call/) { print "check-inline-flush: " fn ": indirect call before the flush: " t; bad = 1; break }
					if (t ~ /^j/) {
						split(t, w, /[ \t]+/)
						if (w[2] !~ /^[0-9a-f]+$/ || !(hex(w[2]) in idx)) { print "check-inline-flush: " fn ": jump out of the function before the flush: " t; bad = 1; break }
						if (t ~ /^jmp/) { i = idx[hex(w[2])]; continue }
						top++; stack[top] = idx[hex(w[2])]; inv[top] = v
					}
					i++
				}
			}
			if (!flushes) { print "check-inline-flush: " fn ": no inline serializing flush (mov to %cr4) on any path"; bad = 1 }
			exit bad
		}' || rc=1
done
[ $rc = 0 ] && echo "check-inline-flush: $ko: the catch-up calls nothing before its flush"
exit $rc
