/* sysinfo.c — collect CPU-isolation facts from sysfs, procfs and the cgroup
 * v2 root; see sysinfo.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsroot.h"
#include "sysinfo.h"
#include "util.h"

#define CPU_SYSFS "/sys/devices/system/cpu/"

int sysinfo_read_cpulist(const struct fsroot *fs, const char *path, unsigned ncpus,
                         struct cpumap *out) {
        _cleanup_free_ char *s = NULL;
        int r;

        if (!out)
                return -EINVAL;
        r = fsroot_read_line(fs, path, &s);
        if (r < 0)
                return r;
        if (streq(s, "(null)")) {       /* nohz_full on kernels without it set */
                cpumap_zero(out);
                return 0;
        }
        return cpulist_parse(s, ncpus, out);
}

/* Absent file: empty set and *has false. */
static int read_optional(const struct fsroot *fs, const char *path, struct cpumap *out,
                         bool *has) {
        int r = sysinfo_read_cpulist(fs, path, 0, out);

        *has = r >= 0;
        if (r == -ENOENT) {
                cpumap_zero(out);
                return 0;
        }
        return r;
}

int sysinfo_read_full(const struct fsroot *fs, const char *cgroup2_mount,
                      struct cpu_isolation *out) {
        _cleanup_free_ char *cmdline = NULL, *cg_path = NULL;
        struct cpu_isolation *iso;
        bool present;
        int r;

        if (!out)
                return -EINVAL;
        if (asprintf(&cg_path, "%s/cpuset.cpus.isolated",
                     cgroup2_mount ? cgroup2_mount : SYSINFO_CGROUP2_MOUNT) < 0)
                return -ENOMEM;
        /* about 10 KiB: keep it off the stack */
        iso = calloc(1, sizeof(*iso));
        if (!iso)
                return -ENOMEM;

        r = sysinfo_read_cpulist(fs, CPU_SYSFS "possible", 0, &iso->possible);
        if (r >= 0)
                r = sysinfo_read_cpulist(fs, CPU_SYSFS "online", 0, &iso->online);
        if (r >= 0)
                r = read_optional(fs, CPU_SYSFS "present", &iso->present, &present);
        if (r >= 0 && !present)
                iso->present = iso->possible;
        if (r >= 0)
                r = read_optional(fs, CPU_SYSFS "nohz_full", &iso->nohz_full,
                                  &iso->has_nohz_full_file);
        if (r >= 0)
                r = read_optional(fs, CPU_SYSFS "isolated", &iso->isolated,
                                  &iso->has_isolated_file);
        if (r >= 0)
                r = read_optional(fs, cg_path, &iso->cgroup_isolated, &iso->has_cgroup_isolated);
        if (r >= 0)
                r = fsroot_read(fs, "/proc/cmdline", &cmdline);
        if (r >= 0) {
                /* the kernel parses these against nr_cpu_ids */
                iso->ncpus = (unsigned) (cpumap_last(&iso->possible) + 1);
                r = cmdline_parse_isolation(cmdline, iso->ncpus, &iso->cmdline);
        }
        if (r >= 0)
                *out = *iso;
        free(iso);
        return r < 0 ? r : 0;
}

int sysinfo_read(const struct fsroot *fs, struct cpu_isolation *out) {
        return sysinfo_read_full(fs, NULL, out);
}
