/* tlbisold-plan.h — the knobs wanted for an isolated set: IRQ affinities,
 * the default IRQ affinity and the unbound workqueue mask. Pure logic
 * against an fsroot; originals come from the state when saved. */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#include "cpumap.h"
#include "isolation.h"
#include "tlbisold-knob.h"
#include "tlbisold-state.h"

struct fsroot;

/* IRQ affinity rule: keep the original affinity minus the isolated CPUs;
 * when nothing is left, all housekeeping CPUs. false: no change needed. */
bool affinity_for(const struct cpumap *orig, const struct cpumap *isolated,
                  const struct cpumap *housekeeping, struct cpumap *ret);

struct irq_skip {               /* IRQs not to touch (found unmovable) */
        const unsigned *irqs;
        size_t n;
};

/* /proc/irq/N/smp_affinity_list for every IRQ and /proc/irq/default_smp_affinity. */
int plan_irqs(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
              const struct irq_skip *skip, bool default_affinity, struct knob_list *out);

/* Unbound workqueue cpumask. On 6.8+ (cpumask_requested exists) the kernel
 * already keeps unbound work off cpumask_isolated (partitions) and off the
 * boot-isolated CPUs; only the remaining isolated CPUs are removed from the
 * requested mask, so tlbisold never writes what the kernel owns. */
int plan_workqueue(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
                   const struct cpumap *kernel_excluded, struct knob_list *out);

/* [Tuning] FairServerPeriod: the fair server (tlbisold-fair.h) of each
 * nohz_full CPU that has one and is in no cpuset partition (a partition's
 * CPUs run no task of ours: the write must come from a task on the CPU), at
 * period_usec with the runtime scaled to keep its bandwidth (period_usec 0:
 * none; a server with runtime 0 is off and left alone). A CPU with a
 * periodic tick needs nothing: the tick charges the server, which then never
 * fires. */
int plan_fair_server(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
                     uint64_t period_usec, struct knob_list *out);

/* The [Tuning] knobs while any CPU is isolated: values[i] for tunables[i]
 * ("keep" or NULL: not touched; "housekeeping": the housekeeping CPUs);
 * knobs whose file does not exist on this kernel are left out. */
int plan_tunables(const struct fsroot *fs, const struct isolation *iso, char *const values[_TUNABLE_MAX],
                  struct knob_list *out);

/* The CPUs the kernel itself keeps unbound work (and, on 7.0+, unbound
 * kthreads) off: nohz_full, isolcpus= domain CPUs and isolated partitions. */
void kernel_isolated_cpus(const struct cpu_isolation *sys, struct cpumap *ret);
