/* task.h — tasks as /proc shows them, and their CPU affinity: the one
 * reader that tlbisold (kthreads and tasks to move) and tlbctl (threads
 * pinned to measured CPUs) share.
 *
 * Usage:
 *   struct task_info t;
 *   r = task_read(fs, "/proc/12", &t);
 *   if (t.flags & TASK_PF_KTHREAD) ...
 *   r = task_walk(fs, true, fn, userdata);        // every thread of every process
 *   r = task_set_affinity(0, &cpus);              // any CPU number below CPUMAP_MAX_CPUS
 */
#pragma once
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cpumap.h"

struct fsroot;

#define TASK_PF_KTHREAD         0x00200000u     /* include/linux/sched.h PF_KTHREAD */
#define TASK_PF_NO_SETAFFINITY  0x04000000u     /* PF_NO_SETAFFINITY */

struct task_info {
        int tid, tgid;
        char comm[64];          /* as in /proc/<tid>/stat, without parentheses */
        char state;             /* R, S, D, Z, ... */
        unsigned flags;         /* PF_* */
        unsigned long long start;       /* start time, clock ticks after boot */
        struct cpumap allowed;  /* Cpus_allowed_list */
};

/* Parses the text of /proc/<tid>/stat (comm may hold spaces and ')'). */
int task_stat_parse(const char *text, struct task_info *ret);
/* Reads dir/stat and dir/status (dir like "/proc/12" or "/proc/12/task/13"). */
int task_read(const struct fsroot *fs, const char *dir, struct task_info *ret);

/* The cgroup-v2 path of task t ("/system.slice/x.service", "/" for the
 * root), from /proc/<tgid>/task/<tid>/cgroup's "0::" line. -ENOENT if it
 * has exited or has no cgroup-v2 line. */
int task_read_cgroup(const struct fsroot *fs, const struct task_info *t, char **ret);

/* Called for each task; leader is its thread-group leader (t itself for a
 * leader). A negative return stops the walk and is returned. */
typedef int (*task_walk_fn)(const struct task_info *t, const struct task_info *leader, void *userdata);
/* Every process under /proc (its leader), and with threads also every
 * thread of user processes (kernel threads have no others). Tasks that
 * exit meanwhile are passed over. */
int task_walk(const struct fsroot *fs, bool threads, task_walk_fn fn, void *userdata);

/* cpus as a cpu_set_t sized for CPUMAP_MAX_CPUS (not CPU_SETSIZE's 1024):
 * free with CPU_FREE(); *ret_size for the *_S macros and sched_*affinity. */
int task_cpu_set(const struct cpumap *cpus, cpu_set_t **ret, size_t *ret_size);
/* sched_setaffinity(2) of tid (0 = the caller) to cpus, with a CPU set
 * sized for CPUMAP_MAX_CPUS. 0 or -errno (-EINVAL for an empty set). */
int task_set_affinity(pid_t tid, const struct cpumap *cpus);
