/* isolation.h — which CPUs are isolated, and why: the one model that
 * tlbisold and tlbctl share.
 *
 * Usage:
 *   struct isolation_facts f = {};
 *   r = isolation_facts_read(fs, &f, NULL);       // sysinfo + cgroup partitions
 *   struct isolation iso = {};
 *   r = isolation_compute(&f, runtime, config, &iso);     // runtime, config may be NULL
 *   for (size_t i = 0; i < iso.n_sources; i++)
 *           if (cpumap_test(&iso.sources[i].cpus, cpu)) ... iso.sources[i].name ...
 *   isolation_done(&iso);
 *   isolation_facts_done(&f);
 *
 * The sources, in this order, named the same in the journal, on D-Bus, in
 * 'tlbctl status' and in its JSON:
 *   nohz_full          /sys/devices/system/cpu/nohz_full (nohz_full= when the
 *                      file is absent or empty)
 *   isolcpus:FLAGS     isolcpus= with its flags ("isolcpus:nohz,domain,
 *                      managed_irq"); /sys/devices/system/cpu/isolated as
 *                      "isolcpus:domain" when isolcpus= is absent or unusable
 *   partition:/PATH    a valid isolated cgroup-v2 partition, by its cgroup
 *                      path ("partition:/rt.slice/rt-a"), cpuset.cpus.effective
 *   cgroup-isolated    CPUs of the root's cpuset.cpus.isolated that no
 *                      partition and no isolcpus= explains (a partition the
 *                      scan could not see)
 *   runtime            tlbisold's runtime requests (Isolate)
 *   config             tlbisold.conf [Isolation] CPUs=
 * A source that isolates no CPU is not listed. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "cpumap.h"
#include "sysinfo.h"

struct fsroot;

/* An isolated cgroup-v2 partition. */
struct partition {
        char *path;             /* cgroup path, "/rt.slice/rt-a" */
        struct cpumap cpus;     /* cpuset.cpus.effective (cpuset.cpus if absent) */
};

void partitions_free(struct partition *p, size_t n);
/* Walks the cgroup-v2 tree below mount (NULL = SYSINFO_CGROUP2_MOUNT), at
 * most 64 levels deep: every valid isolated partition ("isolated", not
 * "isolated invalid (...)"), sorted by path, and, if ret_dirs != NULL,
 * every directory as a cgroup path ("/" for the root). -ENOENT if mount
 * does not exist. */
int partitions_scan(const struct fsroot *fs, const char *mount, unsigned ncpus,
                    struct partition **ret, size_t *ret_n, char ***ret_dirs);

/* What the kernel says: sysinfo and the isolated partitions. */
struct isolation_facts {
        struct cpu_isolation sys;
        struct partition *parts;
        size_t n_parts;
        int partitions_error;   /* 0, or why the partitions are unknown
                                 * (-errno of the scan; not -ENOENT: no
                                 * cgroup2 means no partition) */
};

void isolation_facts_done(struct isolation_facts *f);
/* Reads sysinfo (its failure is returned, *ret untouched) and scans the
 * partitions (a failure there is recorded in partitions_error, with no
 * partition). ret_dirs as for partitions_scan. */
int isolation_facts_read(const struct fsroot *fs, struct isolation_facts *ret, char ***ret_dirs);

enum isolation_kind {
        ISOLATION_NOHZ_FULL,
        ISOLATION_ISOLCPUS,
        ISOLATION_PARTITION,
        ISOLATION_CGROUP_ISOLATED,
        ISOLATION_RUNTIME,
        ISOLATION_CONFIG,
};

struct iso_source {
        enum isolation_kind kind;
        char *name;             /* as listed above */
        struct cpumap cpus;
};

struct isolation {
        struct iso_source *sources;
        size_t n_sources;
        struct cpumap isolated;         /* union of the sources */
        struct cpumap housekeeping;     /* online minus isolated */
        struct cpumap online;
        unsigned ncpus;
};

void isolation_done(struct isolation *iso);
/* The sets and their sources. -EXFULL if no online CPU is left for
 * housekeeping: *ret then still holds the computed sets, so that callers
 * can say what happened. */
int isolation_compute(const struct isolation_facts *f, const struct cpumap *runtime,
                      const struct cpumap *config, struct isolation *ret);
/* The first source of kind that isolates cpu, NULL if none. */
const struct iso_source *isolation_find(const struct isolation *iso, enum isolation_kind kind,
                                        unsigned cpu);
/* Names of the sources that isolate cpu, as a strv (empty when none). */
int isolation_sources_of(const struct isolation *iso, unsigned cpu, char ***ret);
/* isolcpus flag set as text: "nohz,domain,managed_irq". */
void isolcpus_flags_format(unsigned flags, char *buf, size_t len);
