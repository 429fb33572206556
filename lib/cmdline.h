/* cmdline.h — the kernel command line (/proc/cmdline): parameter lookup and
 * the CPU-isolation parameters isolcpus=, nohz_full=, rcu_nocbs=,
 * irqaffinity=.
 *
 * Usage:
 *   struct cmdline_isolation ci;
 *   r = cmdline_parse_isolation("... isolcpus=nohz,domain,managed_irq,2-3", 0, &ci);
 *   if (ci.isolcpus.present && !ci.isolcpus.error && (ci.isolcpus_flags & ISOLCPUS_DOMAIN)) ...
 *
 * Tokens are split on blanks; double quotes group blanks ("a=\"b c\"") and
 * are removed; parsing stops at "--" (the rest goes to init). When a
 * parameter is given twice, the last one wins. */
#pragma once
#include <stdbool.h>

#include "cpumap.h"

/* Value of the last "key=value" (or bare "key") on the command line,
 * malloc'ed; a bare key yields NULL, "key=" yields "". '-' and '_' in names
 * match each other, as in the kernel. Returns 1 if found, 0 if not (*ret
 * untouched), -errno on failure. */
int cmdline_get(const char *cmdline, const char *key, char **ret);

enum {
        ISOLCPUS_DOMAIN      = 1 << 0,  /* "domain", implied by a flagless isolcpus= */
        ISOLCPUS_NOHZ        = 1 << 1,  /* "nohz" */
        ISOLCPUS_MANAGED_IRQ = 1 << 2,  /* "managed_irq" */
};

struct cmdline_cpus {
        bool present;           /* the parameter is on the command line */
        int error;              /* 0, or why the value is unusable (-EINVAL,
                                 * -ERANGE); cpus is then empty. The kernel
                                 * ignores such isolcpus=/nohz_full= and
                                 * offloads all CPUs for such rcu_nocbs=. */
        struct cpumap cpus;
};

struct cmdline_isolation {
        struct cmdline_cpus isolcpus;
        unsigned isolcpus_flags;        /* ISOLCPUS_* */
        struct cmdline_cpus nohz_full;
        struct cmdline_cpus rcu_nocbs;  /* bare "rcu_nocbs": present, empty */
        struct cmdline_cpus irqaffinity;
};

/* CPU lists are read with the kernel's lenient grammar; CPUs >= ncpus give
 * error -ERANGE (ncpus 0 = CPUMAP_MAX_CPUS). A malformed parameter is
 * reported in its error field, not as a failure: only -EINVAL for bad
 * arguments and -ENOMEM are returned. */
int cmdline_parse_isolation(const char *cmdline, unsigned ncpus, struct cmdline_isolation *out);
