/* tlbisold-partition.h — the isolated cpuset partition tlbisold owns, and
 * the one transaction that creates, extends, shrinks or removes it.
 *
 * Run-time isolation from the scheduler is a cgroup-v2 cpuset partition in
 * state "isolated": no load balancing onto its CPUs, and every task outside
 * it (kthreads of the root included, per-CPU ones excepted) loses those CPUs
 * from its affinity (Documentation/admin-guide/cgroup-v2.rst, "cpuset").
 *
 * Who writes what. systemd owns the cgroup tree, so tlbisold asks it over
 * D-Bus for a transient slice directly below the root, PARTITION_SLICE,
 * with AllowedCPUs= the CPUs to isolate: systemd creates the cgroup, enables
 * the cpuset controller on the way and writes cpuset.cpus. tlbisold writes
 * one file only, the slice's cpuset.cpus.partition, which systemd 252 never
 * writes. Why a top-level slice: its parent is the root cgroup, a partition
 * root, so it is a local partition. A delegated subtree of tlbisold.service
 * would sit below system.slice, which is not a partition: that needs a
 * remote partition, i.e. cpuset.cpus.exclusive written on system.slice,
 * a cgroup systemd owns; and systemd 252 accepts Delegate= for services,
 * scopes and sockets only, not for slices. Workloads enter the partition
 * as units in the slice ('tlbctl run', 'systemd-run --slice=tlbisol.slice').
 *
 * The transaction (partition_converge): systemd sets AllowedCPUs=, the
 * kernel must show them in cpuset.cpus; "isolated" is written; the
 * partition must read "isolated" (not "isolated invalid (REASON)") with
 * cpuset.cpus.effective = the CPUs asked for. A failing step is named with
 * the kernel's reason, and what this call did is undone: the previous CPUs
 * and state, or no slice at all if there was none. Removal writes "member"
 * and stops the slice — unless tasks still run in it (a workload put there
 * with 'tlbctl run'): then the slice stays, no longer a partition, so that
 * nothing is killed.
 *
 * Partitions tlbisold does not own (other cgroups, hand-made, Kubernetes,
 * systemd's own) are never written; partition_check_foreign() refuses a
 * request that overlaps one, naming it.
 *
 * Pure logic over fsroot and injected systemd operations, unit-tested in
 * daemon/test-tlbisold-partition.c; the D-Bus side is
 * tlbisold-partition-systemd.c. Nothing here logs. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "cgpartition.h"
#include "cpumap.h"
#include "isolation.h"

struct fsroot;

#define PARTITION_SLICE  CGPART_TLBISOLD_SLICE
#define PARTITION_CGROUP CGPART_TLBISOLD_CGROUP

struct partition_ops {
        /* Start PARTITION_SLICE with AllowedCPUs=cpus (running false) or
         * change AllowedCPUs= of the running slice. err: systemd's message. */
        int (*set_cpus)(const struct cpumap *cpus, bool running, char *err, size_t errlen, void *userdata);
        /* Stop PARTITION_SLICE. */
        int (*stop)(char *err, size_t errlen, void *userdata);
        /* Wait ms between two looks at what systemd has done (NULL: look once). */
        void (*pause)(unsigned ms, void *userdata);
        /* Write cpuset.cpus.partition (NULL: fsroot_write). */
        int (*write_mode)(const struct fsroot *fs, const char *path, const char *mode, void *userdata);
        unsigned wait_ms;       /* how long systemd may take; 0 = 5000 */
        void *userdata;
};

/* -EBUSY if a CPU of want lies in a valid isolated partition other than
 * PARTITION_CGROUP; err names the CPUs, the cgroup and its systemd unit
 * ("CPU 2 is in the isolated partition /rt.slice/rt-a.service (unit
 * rt-a.service), not tlbisold's; change it there"). */
int partition_check_foreign(const struct isolation_facts *f, const struct cpumap *want,
                            char *err, size_t errlen);
/* The CPUs of want that lie in foreign partitions (for CPUs=: dropped, logged). */
void partition_foreign_cpus(const struct isolation_facts *f, const struct cpumap *want, struct cpumap *ret);

/* Brings PARTITION_CGROUP to a valid isolated partition over want, or, for
 * an empty want, to none. Returns 0 when nothing had to change, 1 when
 * something changed, a negative errno on failure with err = "STEP: WHY;
 * rolled back" (or "...; rollback failed: WHY"). On success err may hold
 * a note for the journal (a slice kept because tasks run in it), else "". */
int partition_converge(const struct fsroot *fs, unsigned ncpus, const struct cpumap *want,
                       const struct partition_ops *ops, char *err, size_t errlen);

/* Whether partition_converge() would change anything for want. Every
 * change of a partition below the root makes the kernel (6.12
 * cpuset_update_tasks_cpumask()) rewrite the affinity of every task outside
 * the partition: what it must save first is in tlbisold-partition-tasks.h. */
bool partition_needs_change(const struct fsroot *fs, unsigned ncpus, const struct cpumap *want);
