/* tlbisold-partition-tasks.h — the tasks whose affinity the kernel
 * rewrites when tlbisold's partition changes, and the pin that keeps their
 * affinity through the change.
 *
 * The kernel's rule (6.12 kernel/cgroup/cpuset.c). Making, extending,
 * shrinking or removing a partition directly below the root changes the
 * root's effective CPUs (update_parent_effective_cpumask()), then:
 *   - cpuset_update_tasks_cpumask(&top_cpuset): every task of the root
 *     cgroup without PF_NO_SETAFFINITY (the kernel threads that are not
 *     per-CPU, IRQ threads included) gets the possible CPUs minus every
 *     partition's CPUs;
 *   - update_sibling_cpumasks() -> update_cpumasks_hier(): every task of a
 *     cgroup whose cpuset.cpus.effective changes (all cgroups below the
 *     root outside a partition, unless their own cpuset.cpus keeps their
 *     effective CPUs as they were) gets its cgroup's effective CPUs.
 * Both go through set_cpus_allowed_ptr(), which intersects the new CPUs
 * with the affinity last asked for by sched_setaffinity(2) (user_cpus_ptr,
 * inherited by children) when they share a CPU. The effective CPUs
 * include the boot-isolated ones (isolcpus=, nohz_full=), so a task that
 * merely inherited its affinity (e.g. 0-1 from init under isolcpus=2-3)
 * would be spread over 0,2-3 when CPU 1 becomes a partition.
 *
 * The pin. Before a change, every such task (PF_NO_SETAFFINITY, zombies,
 * tasks of tlbisold's own partition and of partitions others own, and
 * tlbisold itself excepted) is saved in the state — its affinity then,
 * unless tlbisold saved it before and it still has the affinity tlbisold
 * gave it — and then asked by sched_setaffinity() for the affinity it is
 * to keep: the one tlbisold gave it, or its current one, minus the new
 * partition's CPUs; when that leaves none, the fallback CPUs (housekeeping).
 * The kernel's rewrite then intersects with exactly that and changes
 * nothing. Tasks of a cgroup whose effective CPUs do not change are pinned
 * too: the request is the affinity they keep anyway. After the change,
 * plan_tasks() (tlbisold-tasks.h) holds each saved task at its saved
 * affinity minus the partitions' CPUs while the partition exists and
 * restores it, where it still has what tlbisold gave it, when the
 * partition is gone.
 *
 * Pure logic over fsroot; sched_setaffinity() and the state file are
 * injected (task_ops). Unit-tested in daemon/test-tlbisold-partition-tasks.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "isolation.h"
#include "task.h"
#include "tlbisold-state.h"
#include "tlbisold-tasks.h"

/* Whether the kernel rewrites the affinity of t, in cgroup, when a
 * partition below the root changes; own: tlbisold's partition cgroup;
 * parts: the valid partitions (ours may be among them). */
bool partition_rewrites(const struct task_info *t, const char *cgroup, const char *own,
                        const struct partition *parts, size_t n_parts);

/* The pin before the partition becomes new_part (empty: removed): each
 * task the kernel rewrites, with the affinity to ask for. */
int partition_tasks_plan(const struct fsroot *fs, const struct state *st, const char *own,
                         const struct partition *parts, size_t n_parts, const struct cpumap *new_part,
                         const struct cpumap *fallback, int self, struct task_list *out);

/* Saves each task of plan not saved yet (or whose affinity someone else
 * changed since tlbisold set it: its new one is saved), records the
 * affinity it is given, persists, then asks for it. Reports
 * TASK_MOVE_FAILED (entry dropped or put back as it was) and TASK_GONE.
 * Returns the number of failures or a negative errno (persist failed:
 * nothing asked). */
int partition_tasks_pin(const struct fsroot *fs, struct state *st, const struct task_list *plan,
                        const struct task_ops *ops);
