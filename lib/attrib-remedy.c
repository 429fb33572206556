/* attrib-remedy.c — what removes a group of interrupts (attrib-group.h):
 * a tlbisol control, a tlbisold setting (tlbisold.conf(5)), a kernel
 * parameter or sysctl, or nothing but the application itself. The tick
 * has its own (attrib-tick.c: by the dependency that kept it); for the
 * rest one table, first match wins; each rule matches on the group's kind and, when given,
 * the start of its carried function, call site/timer, origin or name. */
#include <string.h>

#include "attrib-remedy.h"
#include "util.h"

struct rule {
        enum attrib_kind kind;
        const char *carried;    /* prefix of g->carried */
        const char *site;       /* prefix of g->site */
        const char *origin;     /* prefix of g->origin */
        const char *vector;     /* prefix of g->vector (IPI vector, IRQ/softirq/thread name) */
        const char *remedy;
};

#define APP "the application's own activity"

static const struct rule rules[] = {
        /* function-call IPIs, by what they carried */
        { ATTRIB_IPI, "flush_tlb_func", NULL, NULL, NULL,
          APP ": its munmap()/mprotect()/migration flushes the TLBs of every CPU running its threads"
          " (tlbisold NUMABalancing=0 removes NUMA-hinting flushes; KSM=0, TransparentHugepages=never)" },
        { ATTRIB_IPI, "do_kernel_range_flush", NULL, NULL, NULL,
          "kernel TLB flush (vmalloc purge, module/BPF free, set_memory_*): tlbisol.ko deferral"
          " (tlbisold.conf [Module] Defer=yes) for nohz_full CPUs in user space" },
        { ATTRIB_IPI, "do_flush_tlb_all", NULL, "vfree", NULL,
          "kernel TLB flush of freed module/BPF memory (vfree: vm_reset_perms): tlbisol.ko"
          " deferral (tlbisold.conf [Module] Defer=yes) for nohz_full CPUs in user space" },
        { ATTRIB_IPI, "do_flush_tlb_all", NULL, "_vm_unmap_aliases", NULL,
          "kernel TLB flush of vmalloc aliases before a page-attribute change (set_memory_*"
          " on module/BPF load): not deferred by tlbisol.ko (it may change cache attributes);"
          " avoid loading modules and BPF programs while the application runs" },
        { ATTRIB_IPI, "do_flush_tlb_all", NULL, "__purge_vmap_area_lazy", NULL,
          "kernel TLB flush of a vmalloc purge: tlbisol.ko deferral (tlbisold.conf [Module]"
          " Defer=yes) for nohz_full CPUs in user space" },
        { ATTRIB_IPI, "do_flush_tlb_all", NULL, NULL, NULL,
          "full kernel TLB flush (set_memory_* on module/BPF load: change_page_attr): not"
          " deferred by tlbisol.ko, which covers flush_tlb_kernel_range() only" },
        { ATTRIB_IPI, "tlbisol_defer_ipi", NULL, NULL, NULL,
          "kernel TLB flush tlbisol.ko sent because the CPU was not in user space (idle or in"
          " the kernel): deferral covers user-mode CPUs only" },
        { ATTRIB_IPI, "tlbisol_sync_ipi", NULL, NULL, NULL,
          "page-table sync tlbisol.ko sent because the CPU was in the kernel (it may be"
          " walking page tables): stays" },
        { ATTRIB_IPI, "tlb_remove_table_smp_sync", NULL, NULL, NULL,
          "page-table free sync (THP collapse, hugetlb unshare): tlbisol.ko TargetedSync=yes skips"
          " CPUs in user space or idle" },
        { ATTRIB_IPI, "do_sync_core", NULL, NULL, NULL,
          "kernel text patching (module/BPF load, static keys, enabling tracepoints): tlbisold"
          " [Module] Defer=yes defers it for CPUs in user space when the patched sites are module"
          " or ordinary kernel text; else load modules and switch tracing before the run" },
        { ATTRIB_IPI, "nohz_full_kick_func", NULL, "clocksource_watchdog", NULL,
          "clocksource watchdog, whose timer visits every online CPU in turn: kernel"
          " parameter tsc=reliable where the TSC is known good (no watchdog then)" },
        { ATTRIB_IPI, "nohz_full_kick_func", NULL, "enqueue_dl_entity", NULL,
          "deadline fair server (6.12) activated for this CPU's fair task, about once a second:"
          " tlbisold [Tuning] FairServerPeriod=2s (opt-in) for this nohz_full CPU; or run the task SCHED_FIFO" },
        { ATTRIB_IPI, "nohz_full_kick_func", NULL, NULL, NULL,
          "nohz_full tick-dependency kick (scheduler, POSIX CPU timers, perf): keep a single"
          " task on the CPU (tlbisold KernelThreads=yes, UserTasks=yes); the 6.12 deadline"
          " fair server re-arms it (tlbisold [Tuning] FairServerPeriod=2s, opt-in)" },
        { ATTRIB_IPI, "sched_ttwu_pending", NULL, NULL, NULL,
          "a task woken on this CPU by another: keep other tasks off it (tlbisold"
          " KernelThreads=yes, UserTasks=yes); " APP " if it is its own thread" },
        { ATTRIB_IPI, "nohz_csd_func", NULL, NULL, NULL,
          "idle load balancing kick: isolcpus=domain keeps the CPU out of load balancing" },
        { ATTRIB_IPI, "rb_wake_up_waiters", NULL, NULL, NULL,
          "a trace_pipe reader woken from this CPU: read tracing buffers without waiting (tlbctl does)" },
        { ATTRIB_IPI, "rto_push_irq_work_func", NULL, NULL, NULL,
          "RT task push between CPUs: keep RT tasks of other CPUs off this one (cpuset partition)" },
        { ATTRIB_IPI, "perf_", NULL, NULL, NULL, "a perf event on this CPU: stop the profiler" },
        { ATTRIB_IPI, "__sysvec_", NULL, NULL, NULL, "kernel work raised on this CPU" },
        /* reschedule IPIs */
        { ATTRIB_IPI, NULL, "dl_task_timer", NULL, "reschedule",
          "deadline fair server (6.12) activation, about once a second:"
          " tlbisold [Tuning] FairServerPeriod=2s (opt-in) for this nohz_full CPU; or run the task SCHED_FIFO" },
        { ATTRIB_IPI, NULL, NULL, "dl_", "reschedule",
          "deadline fair server (6.12): tlbisold [Tuning] FairServerPeriod=2s (opt-in) for"
          " this nohz_full CPU; or run the task SCHED_FIFO" },
        { ATTRIB_IPI, NULL, NULL, NULL, "reschedule",
          "a task woken or moved onto this CPU: keep other tasks off it (tlbisold"
          " KernelThreads=yes, UserTasks=yes); " APP " if it is its own thread" },
        { ATTRIB_IPI, NULL, NULL, NULL, "irq_work",
          "work this CPU raised for itself (the function shows whose)" },
        /* the rest */
        { ATTRIB_TIMER, NULL, "hrtimer_wakeup", NULL, NULL,
          APP ": a sleep/timeout of a task on this CPU (nanosleep, cyclictest)" },
        { ATTRIB_TIMER, NULL, "dl_task_timer", NULL, NULL,
          "deadline fair server (6.12) timer: tlbisold [Tuning] FairServerPeriod=2s (opt-in)"
          " for this nohz_full CPU; or run the task SCHED_FIFO" },
        { ATTRIB_TIMER, NULL, NULL, NULL, NULL,
          "a timer armed on this CPU: tlbisold TimerMigration=1 moves unpinned timers away" },
        { ATTRIB_DEVICE, NULL, NULL, NULL, NULL,
          "device IRQ: tlbisold IRQs=yes moves movable IRQs; managed IRQs need isolcpus=managed_irq" },
        { ATTRIB_SOFTIRQ, NULL, NULL, NULL, "RCU", "RCU callbacks: rcu_nocbs= for this CPU" },
        { ATTRIB_SOFTIRQ, NULL, NULL, NULL, "SCHED", "load balancing: isolcpus=domain" },
        { ATTRIB_SOFTIRQ, NULL, NULL, NULL, "TIMER",
          "timer wheel on this CPU: tlbisold TimerMigration=1; " APP " if its timers" },
        { ATTRIB_SOFTIRQ, NULL, NULL, NULL, NULL, "softirq raised on this CPU by its interrupts" },
        { ATTRIB_NMI, NULL, NULL, NULL, NULL, "NMI: tlbisold NMIWatchdog=0; perf counters in use" },
        { ATTRIB_THREAD, NULL, NULL, NULL, "kworker/",
          "per-CPU work: tlbisold Workqueues=yes for unbound work, VMStatInterval for vmstat" },
        { ATTRIB_THREAD, NULL, NULL, NULL, "ktimers/", "timers expiring on this CPU (PREEMPT_RT): TimerMigration=1" },
        { ATTRIB_THREAD, NULL, NULL, NULL, "rcu", "RCU: rcu_nocbs= for this CPU" },
        { ATTRIB_THREAD, NULL, NULL, NULL, "ksoftirqd/", "softirqs deferred on this CPU" },
        { ATTRIB_THREAD, NULL, NULL, NULL, "migration/", "task migration/stop-machine: cpuset partition" },
        { ATTRIB_THREAD, NULL, NULL, NULL, NULL,
          "another task ran here: tlbisold UserTasks=yes (user), KernelThreads=yes (kernel)" },
};

static bool prefix(const char *s, const char *p) {
        return !p || (s && strncmp(s, p, strlen(p)) == 0);
}

const char *attrib_remedy(const struct attrib_group *g) {
        if (g->kind == ATTRIB_TICK)
                return attrib_tick_remedy(g->tick_state, g->tick_dep, g->tick_stop_traced);
        if (g->kind == ATTRIB_IPI && !g->attributed)
                return "unknown: no send was seen (event lost, or sent before the window)";
        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                const struct rule *r = &rules[i];

                if (r->kind == g->kind && prefix(g->carried, r->carried) && prefix(g->site, r->site) &&
                    prefix(g->origin, r->origin) && prefix(g->vector, r->vector))
                        return r->remedy;
        }
        return g->kind == ATTRIB_IPI ? "kernel work sent by another CPU (see its call site)" :
               "not known";
}
