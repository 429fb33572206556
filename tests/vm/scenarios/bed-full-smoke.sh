#!/bin/sh
# Scenario (full guest): systemd reached a running state, isolation is as
# asked, tlbisol.ko loads through modprobe (installed + depmod'ed in the
# guest), and the runtime libraries of tlbisol are present.
set -u
. "$SCENARIO_LIB"
state=$(wait_system_running 120)
echo "system state: $state"
case "$state" in running|degraded) ;; *) fail "systemd is '$state'" ;; esac
[ "$state" = degraded ] && systemctl --failed --no-pager
metric systemd_state "$state"
[ "$(cat /sys/devices/system/cpu/nohz_full)" = 2-3 ] || fail "nohz_full is not 2-3"
modprobe tlbisol || fail "modprobe tlbisol failed"
metric module_loaded true
modprobe -r tlbisol || fail "modprobe -r tlbisol failed"
for lib in libsystemd.so.0 libnl-genl-3.so.200 libtracefs.so.1 libjson-c.so.5 libinih.so.1; do
	ldconfig -p | grep -q "$lib" || fail "runtime library $lib missing in the guest"
done
metric runtime_libs ok
metric uptime_s "$(cut -d' ' -f1 /proc/uptime)"
