/* tlbisold-watch.h — the event sources that make tlbisold apply again
 * (tlbisold-watch.c). */
#pragma once
#include "tlbisold-manager-data.h"

/* Signals (blocked, then read from the loop), the debounce and retry
 * timers, cgroup inotify and the device monitor. Only a failure to watch
 * signals or set up the timers is an error; without inotify or the device
 * monitor changes are seen on Reapply (logged). */
int manager_watch(Manager *m);
