/* tlbisold-manager.h — the Manager's life cycle and the requests that
 * change what is isolated (tlbisold-manager.c). The Manager's data and
 * the layering of tlbisold's files: tlbisold-manager-data.h. */
#pragma once
#include "tlbisold-manager-data.h"

/* config (taken over) was loaded from config_path, which reload reads again. */
int manager_new(const char *config_path, const char *state_dir, struct config *config, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) { manager_free(*m); }
/* Loads the state file of a previous run and applies once (after
 * manager_watch() and manager_connect_bus()). */
int manager_start(Manager *m);
int manager_reload(Manager *m);
/* At the end of the loop: restores everything, or not (RestoreOnStop=). */
int manager_stop(Manager *m);
/* Requests. 0, or a negative errno with a message for the caller in
 * *ret_msg (malloc'ed): -EINVAL bad CPU list, -EXFULL no housekeeping CPU
 * would be left, -ENOENT (release) the CPU is not isolated, -EPERM
 * (release) isolated by another source, -EBUSY (isolate) the CPUs are in a
 * partition tlbisold does not own, anything else a failure. */
int manager_isolate(Manager *m, const char *cpulist, char **ret_msg);
int manager_release(Manager *m, const char *cpulist, char **ret_msg);
/* Forgets the IRQs and tasks found unmovable and applies again. */
int manager_reapply(Manager *m, char **ret_msg);
