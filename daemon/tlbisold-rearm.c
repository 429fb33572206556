/* tlbisold-rearm.c — what an apply asks of the event sources that
 * tlbisold-watch.c set up: inotify watches on the cgroup directories it
 * has just read, and the retry timer after transient write failures. It
 * only arms; the handlers stay in tlbisold-watch.c. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>

#include "fsroot.h"
#include "parse.h"
#include "sysinfo.h"
#include "tlbisold-rearm.h"
#include "util.h"

#define RETRY_USEC (5 * USEC_PER_SEC)

void manager_watch_cgroups(Manager *m, char **dirs) {
        if (m->inotify_fd < 0)
                return;
        for (char **d = dirs; d && *d; d++) {
                _cleanup_free_ char *rel = NULL, *path = NULL, *part = NULL;

                if (asprintf(&rel, "%s%s", SYSINFO_CGROUP2_MOUNT, streq(*d, "/") ? "" : *d) < 0 ||
                    fsroot_path(m->fs, rel, &path) < 0)
                        return;
                if (inotify_add_watch(m->inotify_fd, path, IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                                      IN_MOVED_TO | IN_MODIFY | IN_ONLYDIR) < 0)
                        continue;       /* removed meanwhile, or out of watches */
                if (!streq(*d, "/") && asprintf(&part, "%s/cpuset.cpus.partition", path) >= 0)
                        (void) inotify_add_watch(m->inotify_fd, part, IN_MODIFY);
        }
}

void manager_schedule_retry(Manager *m) {
        (void) sd_event_source_set_time_relative(m->retry, RETRY_USEC);
        (void) sd_event_source_set_enabled(m->retry, SD_EVENT_ONESHOT);
}
