#!/bin/sh
# Negative control for the bed (run by tests/vm/selftest.sh, which expects
# this run to FAIL): a module that WARN()s at load and then works normally.
. "$SCENARIO_LIB"
insmod "$KMOD_DIR/test/tlbisol_test.ko" warn_on_load=1
rmmod tlbisol_test
metric loaded_warning_module true
exit 0
