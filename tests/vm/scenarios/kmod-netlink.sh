#!/bin/sh
# Scenario: generic-netlink validation of tlbisol.ko. Every bad request must
# be refused with a clear extack message and leave the state unchanged:
# unprivileged caller, attribute SET does not take, unknown attribute, mask
# naming a housekeeping (non-nohz_full) CPU, empty mask, out-of-range CPU,
# bad mask length, nothing to set. Also checks one good SET round trip.
set -u
. "$SCENARIO_LIB"
NL=$BIN_DIR/tlbisol_nl

insmod "$KMOD_DIR/tlbisol.ko" || fail "insmod"
$NL info > "$RESULTS/info.before" || fail "info"
cat "$RESULTS/info.before"
rc=0
n=0

refused() { # NAME EXPECTED-MSG-SUBSTRING ARGS...
	name=$1; want=$2; shift 2
	n=$((n + 1))
	out=$($NL "$@" 2>&1); st=$?
	echo "$name: exit $st: $out"
	if [ $st -ne 1 ] || ! echo "$out" | grep -q "^error="; then
		echo "  FAIL: $name was not refused"; rc=1; metric "refused.$name" false; return
	fi
	if ! echo "$out" | grep -qi -- "$want"; then
		echo "  FAIL: $name: message lacks '$want'"; rc=1; metric "refused.$name" false; return
	fi
	$NL info > "$RESULTS/info.now"
	if ! cmp -s "$RESULTS/info.before" "$RESULTS/info.now"; then
		echo "  FAIL: $name changed the state"; diff "$RESULTS/info.before" "$RESULTS/info.now"; rc=1
		metric "refused.$name" false; return
	fi
	metric "refused.$name" true
}

refused unprivileged	"error=-1 "		--drop-priv set --sync 0
refused unprivileged_reset "error=-1 "		--drop-priv reset
refused attr_not_in_op	"unsupported attribute\|attribute" set --sync 0 --bad-attr
refused unknown_attr	"attribute"		set --sync 0 --unknown-attr
refused non_nohz_cpu	"not nohz_full"		set --mask 1
refused non_nohz_cpu_on	"not nohz_full"		set --defer 1 --mask 0-3
refused empty_mask	"empty"			set --mask none
refused out_of_range	"out of range"		set --mask 2,100
refused out_of_range_big "out of range"		set --mask 4095
refused bad_mask_len	"multiple of 8"		set --mask 2 --mask-len 5
refused too_long_mask	"attribute"		set --mask 2 --mask-len 1032
refused value_too_big	"attribute\|range"	set --sync 2
refused nothing_to_set	"nothing to set"	set

# unprivileged reads are allowed
$NL --drop-priv info > /dev/null || { echo "FAIL: unprivileged info refused"; rc=1; }

# a good change round-trips
$NL set --sync 0 || { echo "FAIL: set --sync 0"; rc=1; }
$NL info | grep -q '^sync=off' || { echo "FAIL: sync not off"; rc=1; }
$NL set --sync 1 --mask 3 || { echo "FAIL: set --sync 1 --mask 3"; rc=1; }
$NL info | tee "$RESULTS/info.after" | grep -q '^defer_mask=3$' || { echo "FAIL: mask not 3"; rc=1; }
grep -q '^sync=on' "$RESULTS/info.after" || { echo "FAIL: sync not on"; rc=1; }
$NL stats | head -4
rmmod tlbisol || fail "rmmod"
metric checks "$n"
[ $rc = 0 ] || fail "netlink validation"
echo PASS
