/* tlbisold-manager-partition.c — the Manager and the partition it owns
 * (tlbisold-partition.h): which CPUs go into it (runtime requests and
 * [Isolation] CPUs=, minus CPUs in partitions others own), when it is
 * converged, what is logged. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fsroot.h"
#include "task.h"
#include "tlbisold-log.h"
#include "tlbisold-manager-data.h"
#include "tlbisold-manager-partition.h"
#include "tlbisold-partition-systemd.h"
#include "util.h"

/* Whether this machine can have the partition: cgroup2 with the cpuset
 * controller, and the real root (fixture roots have no systemd). */
static bool partition_possible(Manager *m) {
        _cleanup_free_ char *ctl = NULL;

        if (fsroot_prefix(m->fs)[0])
                return false;
        if (fsroot_read_line(m->fs, SYSINFO_CGROUP2_MOUNT "/cgroup.controllers", &ctl) < 0)
                return false;
        for (char *w = strtok(ctl, " "); w; w = strtok(NULL, " "))
                if (streq(w, "cpuset"))
                        return true;
        return false;
}

/* Saves the affinity of the kernel threads the kernel is about to rewrite
 * (see partition_needs_change()) that tlbisold has not saved yet, so that
 * the task converge after the change restores them exactly. */
static int presave(const struct task_info *t, const struct task_info *leader, void *userdata) {
        struct state *st = userdata;
        (void) leader;

        if (!(t->flags & TASK_PF_KTHREAD) || t->flags & TASK_PF_NO_SETAFFINITY || strncmp(t->comm, "irq/", 4) == 0 ||
            t->state == 'Z' || t->state == 'X' || state_find_task(st, t->tid, t->start))
                return 0;
        return state_add_task(st, t->tid, t->start, t->comm, &t->allowed);
}

static int presave_kthreads(Manager *m) {
        size_t before = m->state.n_tasks;
        int r;

        if (!m->config.kthreads)
                return 0;
        r = task_walk(m->fs, false, presave, &m->state);
        if (r < 0)
                return log_error_errno(r, "Failed to read the kernel threads before changing the partition: %m");
        if (m->state.n_tasks == before)
                return 0;
        r = state_save(&m->state, m->state_dir, TLBISOLD_STATE_FILE);
        if (r < 0)
                return log_error_errno(r, "Failed to write the state file %s/%s, not changing the partition: %m",
                                       m->state_dir, TLBISOLD_STATE_FILE);
        log_debug("Saved the affinity of %zu kernel threads before changing the partition",
                  m->state.n_tasks - before);
        return 0;
}

int manager_partition_apply(Manager *m, bool release_all, char *err, size_t errlen) {
        struct partition_systemd sd = {};
        struct partition_ops ops;
        struct cpumap want, foreign;
        char list[128] = "";
        int r;

        err[0] = 0;
        if (!partition_possible(m))
                return 0;
        if (release_all)
                cpumap_zero(&want);
        else
                cpumap_or(&want, &m->state.runtime, &m->config.cpus);
        partition_foreign_cpus(&m->facts, &want, &foreign);
        if (!cpumap_is_empty(&foreign)) {
                /* requests are refused before; CPUs= of the config or a
                 * partition made since: theirs, not ours */
                (void) cpulist_format(&foreign, list, sizeof(list));
                log_notice("CPUs %s are in an isolated partition tlbisold does not own; leaving them out of %s",
                           list, PARTITION_SLICE);
                cpumap_andnot(&want, &want, &foreign);
        }
        if (!partition_needs_change(m->fs, m->facts.sys.ncpus, &want))
                return 0;
        r = presave_kthreads(m);
        if (r < 0) {
                snprintf(err, errlen, "saving kernel thread affinities first: %s", strerror(-r));
                return r;
        }
        partition_systemd_ops(&sd, &ops);
        r = partition_converge(m->fs, m->facts.sys.ncpus, &want, &ops, err, errlen);
        partition_systemd_done(&sd);
        (void) cpulist_format(&want, list, sizeof(list));
        if (r < 0)
                return log_error_errno(r, "Isolated partition %s for CPUs %s: %s", PARTITION_CGROUP,
                                       *list ? list : "none", err);
        if (*err)
                log_notice("%s", err);
        if (r > 0)
                log_info("Isolated partition %s: %s", PARTITION_CGROUP,
                         *list ? list : "removed");
        err[0] = 0;
        return r;
}
