/* tlbisold-manager-partition.h — the isolated partition tlbisold owns, as
 * the Manager drives it (tlbisold-manager-partition.c); called by the
 * requests and the apply, it calls only the pure partition logic
 * (tlbisold-partition.h) and systemd (tlbisold-partition-systemd.h). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "tlbisold-manager-data.h"

/* Converges the isolated partition tlbisold owns to the runtime requests ∪
 * [Isolation] CPUs= (minus CPUs of partitions others own), or to none
 * (release_all); first pins every task the change makes the kernel rewrite
 * (tlbisold-partition-tasks.h), saving it in the state. 1 changed, 0
 * nothing to do (or no cpuset controller), -errno with err = "STEP: WHY;
 * rolled back". */
int manager_partition_apply(Manager *m, bool release_all, char *err, size_t errlen);
/* The CPUs of tlbisold's partition and of every valid partition, as m->facts says. */
void manager_partition_cpus(Manager *m, struct cpumap *ours, struct cpumap *all);
