/* tlbisold-apply.h — one apply (tlbisold-apply.c). */
#pragma once
#include "tlbisold-manager-data.h"

/* Reads the kernel's facts once (and watches new cgroups), computes the
 * isolation for these runtime and config CPUs. -EXFULL as isolation_compute. */
int manager_compute(Manager *m, const struct cpumap *runtime, const struct cpumap *config, struct isolation *ret);
/* Converges the system to iso (taken over). */
int manager_apply_isolation(Manager *m, struct isolation *iso, const char *why);
/* manager_compute for the current requests and config, then apply. */
int manager_apply(Manager *m, const char *why);
/* After a partition change was rolled back: the tasks (those pinned for
 * it included) converged again to m->iso and the partitions as they are. */
int manager_reconverge_tasks(Manager *m);
/* Restores every saved original and forgets the state file. */
int manager_restore_all(Manager *m);
