/* sysinfo.h — the machine's CPU-isolation facts, read through fsroot.
 *
 * Usage:
 *   struct cpu_isolation iso;
 *   r = sysinfo_read(fs, &iso);     // fs NULL = the real root
 *   if (!cpumap_is_empty(&iso.nohz_full)) ...
 *
 * Sources: /sys/devices/system/cpu/{possible,present,online,nohz_full,
 * isolated}, /proc/cmdline (see cmdline.h), and the cgroup v2 root's
 * cpuset.cpus.isolated (CPUs in isolated partitions, 6.6+). The struct is
 * about 10 KiB. */
#pragma once
#include <stdbool.h>

#include "cmdline.h"
#include "cpumap.h"

struct fsroot;

#define SYSINFO_CGROUP2_MOUNT "/sys/fs/cgroup"

struct cpu_isolation {
        struct cpumap possible, present, online;
        unsigned ncpus;                 /* last possible CPU + 1 */
        struct cpumap nohz_full;        /* sysfs; empty when "(null)" or absent */
        struct cpumap isolated;         /* sysfs isolated (isolcpus= domain CPUs) */
        struct cpumap cgroup_isolated;  /* <cgroup2>/cpuset.cpus.isolated */
        bool has_nohz_full_file;
        bool has_isolated_file;
        bool has_cgroup_isolated;       /* false: file absent (old kernel, no
                                         * cpuset controller, or no cgroup2) */
        struct cmdline_isolation cmdline;
};

/* Reads a sysfs/cgroupfs CPU list file; "(null)" and "" give the empty set.
 * -ENOENT if the file is absent, -EINVAL/-ERANGE for a bad list. */
int sysinfo_read_cpulist(const struct fsroot *fs, const char *path, unsigned ncpus,
                         struct cpumap *out);

/* possible, online and /proc/cmdline must be readable; the other files may
 * be absent (flags say so). cgroup2_mount NULL = SYSINFO_CGROUP2_MOUNT. */
int sysinfo_read_full(const struct fsroot *fs, const char *cgroup2_mount,
                      struct cpu_isolation *out);
int sysinfo_read(const struct fsroot *fs, struct cpu_isolation *out);
