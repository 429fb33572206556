/* cgpartition.h — one cgroup-v2 cpuset partition as the kernel reports it.
 *
 * cpuset.cpus.partition reads "member", "root", "isolated", or, when the
 * kernel could not make it a partition, "root invalid (REASON)" /
 * "isolated invalid (REASON)" (kernel/cgroup/cpuset.c perr_strings[]).
 * tlbisold reads the partition it owns through this, tlbctl reads it for
 * 'run' and 'status'.
 *
 * Usage:
 *   struct cgpart st;
 *   r = cgpart_read(fs, "/tlbisol.slice", ncpus, &st);
 *   if (st.mode == CGPART_ISOLATED && !st.invalid) ... st.effective ...
 *   char text[160]; cgpart_describe(&st, text, sizeof(text));
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "cpumap.h"

struct fsroot;

/* The isolated partition tlbisold owns (daemon/tlbisold-partition.h), where
 * 'tlbctl run' puts work. */
#define CGPART_TLBISOLD_SLICE  "tlbisol.slice"
#define CGPART_TLBISOLD_CGROUP "/" CGPART_TLBISOLD_SLICE

enum cgpart_mode {
        CGPART_ABSENT,          /* no such cgroup */
        CGPART_NO_CPUSET,       /* the cgroup exists without the cpuset controller */
        CGPART_MEMBER,
        CGPART_ROOT,
        CGPART_ISOLATED,
};

struct cgpart {
        enum cgpart_mode mode;
        bool invalid;           /* "... invalid (...)" */
        char reason[128];       /* the kernel's reason when invalid, "" if it gave none */
        struct cpumap cpus;     /* cpuset.cpus (empty: unset) */
        struct cpumap effective;/* cpuset.cpus.effective */
        bool populated;         /* cgroup.events: tasks in it or below */
};

/* Parses one cpuset.cpus.partition line. -EINVAL for anything else. */
int cgpart_parse_mode(const char *line, enum cgpart_mode *ret_mode, bool *ret_invalid,
                      char *reason, size_t reasonlen);
/* Reads the cgroup cgpath ("/tlbisol.slice") below SYSINFO_CGROUP2_MOUNT.
 * An absent cgroup is not an error (mode CGPART_ABSENT). */
int cgpart_read(const struct fsroot *fs, const char *cgpath, unsigned ncpus, struct cgpart *ret);
/* Whether it is a valid isolated partition. */
static inline bool cgpart_is_isolated(const struct cgpart *p) {
        return p->mode == CGPART_ISOLATED && !p->invalid;
}
/* "isolated", "isolated invalid (Cpu list in cpuset.cpus not exclusive)",
 * "member", "absent", "without the cpuset controller". */
void cgpart_describe(const struct cgpart *p, char *buf, size_t len);
