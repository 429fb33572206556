/* tlbisold-plan.c — IRQ and workqueue plans; see tlbisold-plan.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsroot.h"
#include "parse.h"
#include "tlbisold-fair.h"
#include "tlbisold-plan.h"
#include "util.h"

bool affinity_for(const struct cpumap *orig, const struct cpumap *isolated,
                  const struct cpumap *housekeeping, struct cpumap *ret) {
        if (!cpumap_intersects(orig, isolated))
                return false;
        cpumap_andnot(ret, orig, isolated);
        if (cpumap_is_empty(ret))
                *ret = *housekeeping;
        return !cpumap_is_empty(ret);
}

static bool skipped(const struct irq_skip *skip, unsigned irq) {
        for (size_t i = 0; skip && i < skip->n; i++)
                if (skip->irqs[i] == irq)
                        return true;
        return false;
}

static int original(const struct fsroot *fs, const struct state *st, const char *path,
                    const char *read_path, enum knob_kind kind, char **ret) {
        const struct saved *s = state_find(st, path);

        if (s) {
                *ret = strdup(s->orig);
                return *ret ? 0 : -ENOMEM;
        }
        return knob_read(fs, read_path ? read_path : path, kind, ret);
}

int plan_irqs(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
              const struct irq_skip *skip, bool default_affinity, struct knob_list *out) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = fsroot_list(fs, "/proc/irq", &names);
        if (r < 0)
                return r;
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *path = NULL, *orig = NULL, *val = NULL;
                struct cpumap m, want;
                unsigned irq;

                if (parse_uint(*n, &irq) < 0 || skipped(skip, irq))
                        continue;
                if (asprintf(&path, "/proc/irq/%u/smp_affinity_list", irq) < 0)
                        return -ENOMEM;
                if (original(fs, st, path, NULL, KNOB_CPULIST, &orig) < 0)
                        continue;       /* vanished, or no affinity file */
                if (cpulist_parse_lenient(orig, 0, &m) < 0)
                        continue;
                if (!affinity_for(&m, &iso->isolated, &iso->housekeeping, &want))
                        continue;
                r = cpulist_format_alloc(&want, &val);
                if (r < 0)
                        return r;
                r = knob_list_add(out, path, NULL, KNOB_CPULIST, val, (int) irq);
                if (r < 0)
                        return r;
        }
        if (default_affinity) {
                _cleanup_free_ char *orig = NULL, *val = NULL;
                const char *path = "/proc/irq/default_smp_affinity";
                struct cpumap m, want;

                if (original(fs, st, path, NULL, KNOB_HEXMASK, &orig) >= 0 &&
                    cpumask_parse_hex(orig, 0, &m) >= 0 &&
                    affinity_for(&m, &iso->isolated, &iso->housekeeping, &want)) {
                        r = cpumask_format_hex_alloc(&want, iso->ncpus, &val);
                        if (r < 0)
                                return r;
                        r = knob_list_add(out, path, NULL, KNOB_HEXMASK, val, -1);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

#define WQ "/sys/devices/virtual/workqueue/"   /* KNOB_WQ_CPUMASK and KNOB_WQ_CPUMASK_REQUESTED live here */

int plan_workqueue(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
                   const struct cpumap *kernel_excluded, struct knob_list *out) {
        _cleanup_free_ char *orig = NULL, *val = NULL;
        struct cpumap m, need, want;
        bool v68;
        int r;

        r = fsroot_exists(fs, WQ "cpumask_requested");
        if (r < 0)
                return r;
        v68 = r > 0;
        r = original(fs, st, WQ "cpumask", v68 ? WQ "cpumask_requested" : NULL, KNOB_HEXMASK, &orig);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = cpumask_parse_hex(orig, 0, &m);
        if (r < 0)
                return r;
        need = iso->isolated;
        if (v68 && kernel_excluded)
                cpumap_andnot(&need, &need, kernel_excluded);
        if (!affinity_for(&m, &need, &iso->housekeeping, &want))
                return 0;
        r = cpumask_format_hex_alloc(&want, iso->ncpus, &val);
        if (r < 0)
                return r;
        return knob_list_add(out, WQ "cpumask", v68 ? WQ "cpumask_requested" : NULL, KNOB_HEXMASK, val, -1);
}

int plan_tunables(const struct fsroot *fs, const struct isolation *iso, char *const values[_TUNABLE_MAX],
                  struct knob_list *out) {
        int r;

        if (cpumap_is_empty(&iso->isolated))
                return 0;
        for (size_t i = 0; i < _TUNABLE_MAX; i++) {
                const struct tunable_info *t = &tunables[i];
                _cleanup_free_ char *val = NULL;
                const char *v = values[i];

                if (!v || streq(v, "keep") || fsroot_exists(fs, t->path) <= 0)
                        continue;
                if (streq(v, "housekeeping")) {
                        r = cpulist_format_alloc(&iso->housekeeping, &val);
                        if (r < 0)
                                return r;
                        v = val;
                }
                r = knob_list_add(out, t->path, NULL, t->kind, v, -1);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* nohz_full (else the local tick charges the server and it never fires),
 * and in no cpuset partition (no task of ours may run there to write it) */
static bool fair_server_wanted(const struct isolation *iso, unsigned cpu) {
        static const enum isolation_kind partitioned[] = {
                ISOLATION_PARTITION, ISOLATION_CGROUP_ISOLATED, ISOLATION_RUNTIME, ISOLATION_CONFIG,
        };

        if (!isolation_find(iso, ISOLATION_NOHZ_FULL, cpu))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(partitioned); i++)
                if (isolation_find(iso, partitioned[i], cpu))
                        return false;
        return true;
}

int plan_fair_server(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
                     uint64_t period_usec, struct knob_list *out) {
        char path[64];
        int cpu, r;

        if (!period_usec)
                return 0;
        CPUMAP_FOREACH(cpu, &iso->isolated) {
                _cleanup_free_ char *orig = NULL, *val = NULL;

                if (!fair_server_wanted(iso, (unsigned) cpu))
                        continue;
                snprintf(path, sizeof(path), FAIR_SERVER_DIR, (unsigned) cpu);
                r = original(fs, st, path, NULL, KNOB_STRING, &orig);
                if (r == -ENOENT)
                        continue;       /* no fair server (before 6.12), or no debugfs */
                if (r < 0)
                        return r;
                r = fair_server_value(orig, period_usec * 1000, &val);
                if (r == -ENODATA)
                        continue;       /* runtime 0: the server is off, nothing fires */
                if (r < 0)
                        return r;
                r = knob_list_add(out, path, NULL, KNOB_STRING, val, -1);
                if (r < 0)
                        return r;
        }
        return 0;
}

void kernel_isolated_cpus(const struct cpu_isolation *sys, struct cpumap *ret) {
        cpumap_or(ret, &sys->cgroup_isolated, &sys->nohz_full);
        cpumap_or(ret, ret, &sys->isolated);
}
