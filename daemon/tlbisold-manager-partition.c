/* tlbisold-manager-partition.c — the Manager and the partition it owns
 * (tlbisold-partition.h): which CPUs go into it (runtime requests and
 * [Isolation] CPUs=, minus CPUs in partitions others own), when it is
 * converged, the tasks pinned before each change, what is logged. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsroot.h"
#include "task.h"
#include "tlbisold-log.h"
#include "tlbisold-manager-data.h"
#include "tlbisold-manager-partition.h"
#include "tlbisold-partition-systemd.h"
#include "tlbisold-partition-tasks.h"
#include "tlbisold-plan.h"
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

void manager_partition_cpus(Manager *m, struct cpumap *ours, struct cpumap *all) {
        cpumap_zero(ours);
        cpumap_zero(all);
        for (size_t i = 0; i < m->facts.n_parts; i++) {
                if (streq(m->facts.parts[i].path, PARTITION_CGROUP))
                        cpumap_or(ours, ours, &m->facts.parts[i].cpus);
                cpumap_or(all, all, &m->facts.parts[i].cpus);
        }
}

/* ---- the pin: tasks the change would rewrite (tlbisold-partition-tasks.h) ---- */

static int pin_setaffinity(int tid, const struct cpumap *cpus, void *userdata) {
        return task_set_affinity(tid, cpus);
}

static int pin_persist(const struct state *s, void *userdata) {
        return manager_save_state(userdata);
}

static void pin_report(enum task_event ev, int tid, const char *comm, const struct cpumap *cpus, int r,
                       void *userdata) {
        char field[32], list[128] = "";

        if (ev != TASK_MOVE_FAILED)
                return;
        snprintf(field, sizeof(field), "TID=%d", tid);
        (void) cpulist_format(cpus, list, sizeof(list));
        log_field(LOG_NOTICE, r, field, "Failed to keep %s (%d) on CPUs %s through the partition change: %m; "
                  "the kernel chooses its CPUs", comm, tid, list);
}

/* Pins every task the change to want rewrites (saving it first), so that
 * the kernel keeps its affinity minus want; fallback when none is left:
 * the housekeeping CPUs after the change. */
static int pin_tasks(Manager *m, const struct cpumap *want) {
        struct task_ops ops = { pin_setaffinity, pin_persist, pin_report, m };
        struct task_list plan = {};
        struct cpumap fallback, kernel;
        size_t before = m->state.n_tasks;
        int r;

        kernel_isolated_cpus(&m->facts.sys, &kernel);
        cpumap_andnot(&fallback, &m->facts.sys.online, &kernel);
        cpumap_andnot(&fallback, &fallback, want);
        if (cpumap_is_empty(&fallback))
                cpumap_andnot(&fallback, &m->facts.sys.online, want);
        r = partition_tasks_plan(m->fs, &m->state, PARTITION_CGROUP, m->facts.parts, m->facts.n_parts, want,
                                 &fallback, getpid(), &plan);
        if (r >= 0)
                r = partition_tasks_pin(m->fs, &m->state, &plan, &ops);
        for (size_t i = 0; r >= 0 && i < plan.n; i++) {
                const struct saved_task *s = state_find_task(&m->state, plan.t[i].tid, plan.t[i].start);
                char field[32], a[128] = "", b[128] = "";

                if (!s || cpumap_is_empty(want) || !cpumap_is_subset(&s->orig, want))
                        continue;
                snprintf(field, sizeof(field), "TID=%d", s->tid);
                (void) cpulist_format(&s->orig, a, sizeof(a));
                (void) cpulist_format(&plan.t[i].want, b, sizeof(b));
                log_field(LOG_NOTICE, 0, field, "%s (%d) is allowed only CPUs %s of the isolated partition, "
                          "which no task outside it may use: given the housekeeping CPUs %s until release",
                          s->comm, s->tid, a, b);
        }
        if (r >= 0)
                log_debug("Pinned %zu tasks before changing the partition (%zu newly saved, %d failed)",
                          plan.n, m->state.n_tasks - before, r);
        task_list_done(&plan);
        return r < 0 ? r : 0;
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
        r = pin_tasks(m, &want);
        if (r < 0) {
                snprintf(err, errlen, "saving the affinity of the tasks the change rewrites: %s", strerror(-r));
                return log_error_errno(r, "Not changing the partition: %s", err);
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
