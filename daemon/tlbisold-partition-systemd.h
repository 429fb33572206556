/* tlbisold-partition-systemd.h — the systemd side of tlbisold's partition
 * (tlbisold-partition.h): PARTITION_SLICE started, changed and stopped over
 * systemd's D-Bus API (lib/sdunit.h: StartTransientUnit, SetUnitProperties,
 * StartUnit, StopUnit) on a connection of its own, so that it can wait
 * while the daemon is inside a D-Bus method call.
 *
 * Usage:
 *   struct partition_systemd sd = {};
 *   struct partition_ops ops;
 *   partition_systemd_ops(&sd, &ops);
 *   r = partition_converge(fs, ncpus, &want, &ops, err, sizeof(err));
 *   partition_systemd_done(&sd);
 */
#pragma once
#include <systemd/sd-bus.h>

#include "tlbisold-partition.h"

struct partition_systemd {
        sd_bus *bus;            /* opened on first use */
};

void partition_systemd_ops(struct partition_systemd *s, struct partition_ops *ops);
void partition_systemd_done(struct partition_systemd *s);
