/* tlbisold-tasks.h — movable kernel threads and (optionally) user tasks:
 * which ones to move off the isolated CPUs, and the save-then-move /
 * restore cycle for their CPU affinity. Pure logic against an fsroot /proc
 * (unit-tested with fixture trees in tests/fixtures/daemon/root-tasks); the
 * sched_setaffinity() call itself is injected through task_ops.
 *
 * What is never moved:
 *   - tasks with PF_NO_SETAFFINITY (per-CPU kthreads: ksoftirqd/N,
 *     kworker/N:*, migration/N, cpuhp/N, rcuc/N, idle_inject/N, every
 *     workqueue worker, io_uring workers): the kernel refuses anyway;
 *   - kthreads allowed on exactly one CPU (bound by their creator);
 *   - IRQ threads ("irq/N-name"): they follow their IRQ, which is moved;
 *   - user tasks, unless asked for; then not those whose thread or process
 *     name matches an exclude pattern (the RT application), not those
 *     placed wholly inside the isolated set (pinned there on purpose), and
 *     not tlbisold itself.
 * Held while tlbisold's partition exists (whatever the rules above say):
 * every task saved before a partition change (tlbisold-partition-tasks.h,
 * the tasks the kernel rewrites) gets its saved affinity minus the CPUs of
 * every valid partition, or the housekeeping CPUs when that leaves none.
 * A task is identified by its TID and its start time, so a recycled TID is
 * never restored with another task's affinity; a task that has exited is
 * simply forgotten. A task is restored to its saved affinity only while it
 * still has the one tlbisold gave it: one changed by someone else since is
 * left as it is (and forgotten). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "cpumap.h"
#include "task.h"
#include "isolation.h"
#include "tlbisold-state.h"

struct fsroot;

/* Kernel release "7.0.1-foo" -> 1 if the kernel keeps unbound kthreads off
 * isolated partitions and boot-isolated CPUs by itself (7.0+), 0 if not. */
int kernel_moves_kthreads(const char *release);

struct task_plan_opts {
        bool kthreads, user_tasks;
        char **exclude;                 /* fnmatch() patterns on comm; NULL-terminated, may be NULL */
        /* CPUs the kernel already keeps unbound kthreads off (7.0+); NULL = none */
        const struct cpumap *kernel_excluded;
        int self;                       /* tlbisold's TGID: never moved */
        /* the CPUs of tlbisold's partition (NULL or empty: none): while it
         * exists, saved tasks not moved by the rules above are held */
        const struct cpumap *partition;
        const struct cpumap *partitioned;       /* CPUs of every valid partition (NULL: partition) */
};

struct task_want {
        int tid;
        unsigned long long start;
        char comm[64];
        bool kthread;
        struct cpumap want;
};

struct task_list {
        struct task_want *t;
        size_t n;
};
void task_list_done(struct task_list *l);

struct task_skip {                      /* tasks found unmovable: not tried again */
        const struct saved_task *t;     /* tid + start */
        size_t n;
};

/* The tasks to move for iso, with the affinity each should get: original
 * affinity (saved or current) minus the isolated CPUs, or all housekeeping
 * CPUs when nothing is left (kthreads only); held tasks as above. */
int plan_tasks(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
               const struct task_plan_opts *opts, const struct task_skip *skip, struct task_list *out);

enum task_event {
        TASK_MOVED,
        TASK_MOVE_FAILED,       /* r says why; the task is left alone and not retried */
        TASK_RESTORED,
        TASK_RESTORE_FAILED,
        TASK_GONE,              /* exited (or TID recycled): forgotten, not an error */
        TASK_LEFT,              /* changed by someone else since tlbisold set it: not restored,
                                 * forgotten; cpus: what it has now */
};

struct task_ops {
        int (*setaffinity)(int tid, const struct cpumap *cpus, void *userdata);     /* 0 or -errno */
        int (*persist)(const struct state *s, void *userdata);
        void (*report)(enum task_event ev, int tid, const char *comm, const struct cpumap *cpus,
                       int r, void *userdata);
        void *userdata;
};

/* Saves the original affinity of every task in want not yet saved and
 * records the affinity it is given (and persists the state before moving
 * anything), moves those whose affinity differs, and restores every saved
 * task no longer wanted (kthreads minus restore_excluded, the CPUs the
 * kernel now owns, when that leaves any) if it still has the affinity
 * tlbisold gave it (TASK_LEFT if not). Returns the number of failures or a
 * negative errno (persist failed). */
int converge_tasks(const struct fsroot *fs, struct state *st, const struct task_list *want,
                   const struct cpumap *restore_excluded, const struct task_ops *ops);
