/* tlbisold-rearm.h — what an apply asks of the event sources
 * tlbisold-watch.c set up (tlbisold-rearm.c). */
#pragma once
#include "tlbisold-manager-data.h"

/* Watches these cgroup directories (relative to the cgroup2 mount) for
 * partitions appearing, changing, going; nothing without inotify. */
void manager_watch_cgroups(Manager *m, char **dirs);
/* Applies again in 5 s (transient write failures). */
void manager_schedule_retry(Manager *m);
