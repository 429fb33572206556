/* tlbisold-apply.c — one apply, top to bottom: read the kernel's facts
 * once and compute the isolation (lib/isolation), plan the knobs (IRQs,
 * workqueue mask, [Tuning]) and the tasks, converge them with the state
 * saved first, then the module and irqbalance, then tell the bus. The
 * converge and task callbacks turn their events into journal lines and
 * counts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "fsroot.h"
#include "parse.h"
#include "task.h"
#include "tlbisold-apply.h"
#include "tlbisold-irqbalance.h"
#include "tlbisold-log.h"
#include "tlbisold-manager-partition.h"
#include "tlbisold-module.h"
#include "tlbisold-rearm.h"
#include "util.h"

/* ---- converge callbacks ---- */

struct apply_stats {
        Manager *m;
        unsigned written, restored, failed, transient;
};

static int persist(const struct state *s, void *userdata) {
        return manager_save_state(((struct apply_stats *) userdata)->m);
}

static void on_report(enum converge_event ev, const char *path, int irq, const char *value, int r,
                      void *userdata) {
        struct apply_stats *st = userdata;
        char field[64];

        if (irq >= 0)
                snprintf(field, sizeof(field), "IRQ=%d", irq);
        else
                snprintf(field, sizeof(field), "KNOB=%s", path);
        switch (ev) {
        case CONVERGE_WRITTEN:
                st->written++;
                log_field(LOG_DEBUG, 0, field, "Set %s to %s", path, value);
                break;
        case CONVERGE_RESTORED:
                st->restored++;
                log_field(LOG_DEBUG, 0, field, "Restored %s to %s", path, value);
                break;
        case CONVERGE_WRITE_FAILED:
                if (irq >= 0 && !fsroot_write_error_is_transient(r)) {
                        manager_add_unmovable(st->m, (unsigned) irq, r);
                        log_field(LOG_NOTICE, r, field, "IRQ %d cannot be moved off the isolated CPUs: %m; "
                                  "reported once, not retried", irq);
                        break;
                }
                if (fsroot_write_error_is_transient(r)) {
                        st->transient++;
                        log_field(LOG_INFO, r, field, "Failed to write %s to %s: %m; will retry", value, path);
                } else {
                        st->failed++;
                        log_field(LOG_WARNING, r, field, "Failed to write %s to %s: %m, ignoring", value, path);
                }
                break;
        case CONVERGE_RESTORE_FAILED:
                if (fsroot_write_error_is_transient(r))
                        st->transient++;
                else
                        st->failed++;
                log_field(LOG_WARNING, r, field, "Failed to restore %s to %s: %m", path, value);
                break;
        case CONVERGE_SAVE_FAILED:
                st->failed++;
                log_field(LOG_WARNING, r, field, "Failed to read %s, leaving it alone: %m", path);
                break;
        }
}

/* ---- tasks: movable kthreads and user tasks ---- */

struct task_stats {
        Manager *m;
        const struct task_list *want;
        unsigned moved, restored, failed;
};

static int task_setaffinity(int tid, const struct cpumap *cpus, void *userdata) {
        return task_set_affinity(tid, cpus);
}

static int task_persist(const struct state *s, void *userdata) {
        return manager_save_state(((struct task_stats *) userdata)->m);
}

static void task_report(enum task_event ev, int tid, const char *comm, const struct cpumap *cpus, int r,
                        void *userdata) {
        struct task_stats *st = userdata;
        char field[32], list[128] = "";

        snprintf(field, sizeof(field), "TID=%d", tid);
        if (cpus)
                (void) cpulist_format(cpus, list, sizeof(list));
        switch (ev) {
        case TASK_MOVED:
                st->moved++;
                log_field(LOG_DEBUG, 0, field, "Moved %s (%d) to CPUs %s", comm, tid, list);
                break;
        case TASK_RESTORED:
                st->restored++;
                log_field(LOG_DEBUG, 0, field, "Restored %s (%d) to CPUs %s", comm, tid, list);
                break;
        case TASK_GONE:
                log_field(LOG_DEBUG, 0, field, "%s (%d) has exited; forgotten", comm, tid);
                break;
        case TASK_MOVE_FAILED:
                st->failed++;
                for (size_t i = 0; i < st->want->n; i++)
                        if (st->want->t[i].tid == tid)
                                manager_add_unmovable_task(st->m, tid, st->want->t[i].start);
                log_field(LOG_NOTICE, r, field, "%s (%d) cannot be moved to CPUs %s: %m; reported once, "
                          "not retried", comm, tid, list);
                break;
        case TASK_RESTORE_FAILED:
                st->failed++;
                log_field(LOG_WARNING, r, field, "Failed to restore the affinity of %s (%d) to %s: %m",
                          comm, tid, list);
                break;
        case TASK_LEFT:
                log_field(LOG_NOTICE, 0, field, "%s (%d) has CPUs %s, not the ones tlbisold gave it: changed "
                          "by someone else since, left as it is", comm, tid, list);
                break;
        }
}

/* kernel_excluded: the CPUs the kernel keeps unbound kthreads off (7.0+). */
static int converge_tasks_to(Manager *m, bool release_all, const struct cpumap *kernel_excluded) {
        struct task_list want = {};
        struct task_stats st = { .m = m, .want = &want };
        struct task_ops ops = { .setaffinity = task_setaffinity, .persist = task_persist,
                                .report = task_report, .userdata = &st };
        const struct cpumap *kx = m->kernel_moves_kthreads ? kernel_excluded : NULL;
        int r = 0;

        if (!release_all) {
                struct cpumap ours, all;
                struct task_plan_opts o = { .kthreads = m->config.kthreads, .user_tasks = m->config.user_tasks,
                                            .exclude = m->config.user_tasks_exclude,
                                            .kernel_excluded = kx, .self = getpid(),
                                            .partition = &ours, .partitioned = &all };
                struct task_skip skip = { .t = m->unmovable_tasks, .n = m->n_unmovable_tasks };

                manager_partition_cpus(m, &ours, &all);
                r = plan_tasks(m->fs, &m->state, &m->iso, &o, &skip, &want);
                if (r < 0) {
                        task_list_done(&want);
                        return log_error_errno(r, "Failed to plan the kernel threads and tasks to move: %m");
                }
        }
        r = converge_tasks(m->fs, &m->state, &want, kx, &ops);
        task_list_done(&want);
        if (r < 0)
                return r;
        if (st.moved || st.restored || st.failed)
                log_info("Tasks: %u moved off the isolated CPUs, %u restored, %u failed; %zu moved tasks saved",
                         st.moved, st.restored, st.failed, m->state.n_tasks);
        return (int) st.failed;
}

int manager_reconverge_tasks(Manager *m) {
        struct isolation now = {};
        struct cpumap kernel;
        int r;

        r = manager_compute(m, &m->state.runtime, &m->config.cpus, &now);     /* m->facts as they are */
        isolation_done(&now);
        if (r < 0)
                return r;
        kernel_isolated_cpus(&m->facts.sys, &kernel);
        return converge_tasks_to(m, false, &kernel);
}

/* ---- one apply ---- */

int manager_compute(Manager *m, const struct cpumap *runtime, const struct cpumap *config, struct isolation *ret) {
        _cleanup_strv_free_ char **dirs = NULL;
        int r;

        r = isolation_facts_read(m->fs, &m->facts, m->inotify_fd >= 0 ? &dirs : NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to read the CPU isolation facts: %m");
        if (m->facts.partitions_error < 0)
                log_warning_errno(m->facts.partitions_error,
                                  "Failed to scan the cgroup tree, ignoring partitions: %m");
        manager_watch_cgroups(m, dirs);
        return isolation_compute(&m->facts, runtime, config, ret);
}

static int plan_knobs(Manager *m, struct knob_list *want) {
        _cleanup_free_ unsigned *skip_irqs = calloc(m->n_unmovable + 1, sizeof(unsigned));
        struct irq_skip skip = { .irqs = skip_irqs, .n = m->n_unmovable };
        struct cpumap kernel;
        int r = 0;

        if (!skip_irqs)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_unmovable; i++)
                skip_irqs[i] = m->unmovable[i].irq;
        kernel_isolated_cpus(&m->facts.sys, &kernel);
        if (m->config.irqs)
                r = plan_irqs(m->fs, &m->state, &m->iso, &skip, m->config.default_affinity, want);
        if (r >= 0 && m->config.workqueues)
                r = plan_workqueue(m->fs, &m->state, &m->iso, &kernel, want);
        if (r >= 0)
                r = plan_tunables(m->fs, &m->iso, m->config.tunable, want);
        if (r >= 0)
                r = plan_fair_server(m->fs, &m->state, &m->iso, m->config.fair_server_period_usec, want);
        return r;
}

/* Converges knobs and tasks to m->iso, or restores everything
 * (release_all). Returns the number of failures, or a negative errno when
 * the state could not be saved (then nothing was changed). */
static int converge_to(Manager *m, bool release_all) {
        struct knob_list want = {};
        struct apply_stats st = { .m = m };
        struct converge_ops ops = { .persist = persist, .report = on_report, .userdata = &st };
        struct cpumap kernel;
        int r = 0, k;

        if (!release_all) {
                r = plan_knobs(m, &want);
                if (r < 0) {
                        knob_list_done(&want);
                        return log_error_errno(r, "Failed to plan the changes: %m");
                }
        }
        r = converge(m->fs, &m->state, &want, &ops);
        knob_list_done(&want);
        if (r >= 0) {
                kernel_isolated_cpus(&m->facts.sys, &kernel);
                k = converge_tasks_to(m, release_all, &kernel);
                if (k < 0)
                        r = k;
                else
                        st.failed += (unsigned) k;
        }
        if (r < 0) {
                manager_set_error(m, "cannot write the state file %s/%s: %s; nothing changed",
                                  m->state_dir, TLBISOLD_STATE_FILE, strerror(-r));
                return r;
        }
        log_info("%s: %u written, %u restored, %u failed, %u to retry; %zu originals and %zu moved tasks saved",
                 release_all ? "Released" : "Applied", st.written, st.restored, st.failed, st.transient,
                 m->state.n_saved, m->state.n_tasks);
        if (st.transient)
                manager_schedule_retry(m);
        return (int) (st.failed + st.transient);
}

/* The texts of the sets (bus properties); *changed if they differ. */
static int format_sets(Manager *m, bool *changed) {
        _cleanup_free_ char *iso = NULL, *hk = NULL;
        int r;

        r = cpulist_format_alloc(&m->iso.isolated, &iso);
        if (r >= 0)
                r = cpulist_format_alloc(&m->iso.housekeeping, &hk);
        if (r < 0)
                return r;
        *changed = !streq(iso, m->isolated_text) || !streq(hk, m->housekeeping_text);
        free(m->isolated_text);
        free(m->housekeeping_text);
        m->isolated_text = TAKE_PTR(iso);
        m->housekeeping_text = TAKE_PTR(hk);
        return 0;
}

int manager_apply_isolation(Manager *m, struct isolation *iso, const char *why) {
        struct timespec ts;
        bool changed = false;
        int r;

        isolation_done(&m->iso);
        m->iso = *iso;
        *iso = (struct isolation) {};
        r = task_set_affinity(0, &m->iso.housekeeping);
        if (r < 0)
                log_warning_errno(r, "Failed to pin tlbisold to the housekeeping CPUs, ignoring: %m");

        manager_set_error(m, "%s", "");
        r = converge_to(m, false);
        if (r < 0) {
                manager_send_changed(m, false);
                return r;
        }
        if (r > 0 && !*m->last_error)
                manager_set_error(m, "%d change(s) failed; see the journal", r);
        (void) manager_module_apply(m, false);

        (void) format_sets(m, &changed);
        manager_irqbalance_ban(m, false);
        clock_gettime(CLOCK_REALTIME, &ts);
        m->applied_at = (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
        log_field(LOG_INFO, 0, changed ? "ISOLATION_CHANGED=1" : NULL,
                  "Isolated CPUs %s, housekeeping %s (%s)", *m->isolated_text ? m->isolated_text : "none",
                  m->housekeeping_text, why);
        (void) sd_notifyf(false, "STATUS=Isolated: %s; housekeeping: %s; module %s",
                          *m->isolated_text ? m->isolated_text : "none", m->housekeeping_text, m->module_state);
        manager_send_changed(m, changed);
        return 0;
}

int manager_apply(Manager *m, const char *why) {
        struct isolation iso = {};
        int r;

        r = manager_compute(m, &m->state.runtime, &m->config.cpus, &iso);
        if (r == -EXFULL) {
                _cleanup_free_ char *s = NULL;

                (void) cpulist_format_alloc(&iso.isolated, &s);
                manager_set_error(m, "the sources isolate %s, which would leave no housekeeping CPU; "
                                  "keeping the previous configuration", s ? s : "every CPU");
                log_error("Not applying: %s", m->last_error);
                manager_send_changed(m, false);
        }
        if (r >= 0) {
                char perr[600];
                int k;

                /* the partition first: what follows reads the kernel's facts it changes */
                k = manager_partition_apply(m, false, perr, sizeof(perr));
                if (k < 0) {
                        isolation_done(&iso);
                        (void) manager_reconverge_tasks(m);
                        manager_set_error(m, "isolated partition: %s", perr);
                        manager_send_changed(m, false);
                        return k;
                }
                if (k > 0) {
                        isolation_done(&iso);
                        r = manager_compute(m, &m->state.runtime, &m->config.cpus, &iso);
                }
        }
        if (r >= 0)
                r = manager_apply_isolation(m, &iso, why);
        isolation_done(&iso);
        return r;
}

int manager_restore_all(Manager *m) {
        _cleanup_free_ char *path = NULL;
        int r;

        manager_irqbalance_ban(m, true);
        {
                char perr[600];

                if (manager_partition_apply(m, true, perr, sizeof(perr)) < 0)
                        manager_set_error(m, "isolated partition: %s", perr);
        }
        r = converge_to(m, true);
        (void) manager_module_apply(m, true);
        if (r == 0 && m->state.n_saved == 0 && m->state.n_tasks == 0 &&
            asprintf(&path, "%s/%s", m->state_dir, TLBISOLD_STATE_FILE) >= 0)
                (void) unlink(path);
        return r;
}
