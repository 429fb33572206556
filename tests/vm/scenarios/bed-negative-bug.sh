#!/bin/sh
# Negative control for the bed (run by tests/vm/selftest.sh, which expects
# this run to FAIL): a module that calls BUG() at load. The scenario itself
# exits 0, so only the bed's console check can catch it.
. "$SCENARIO_LIB"
insmod "$KMOD_DIR/test/tlbisol_test.ko" bug_on_load=1
metric loaded_broken_module true
exit 0
