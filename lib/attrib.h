/* attrib.h — name the source of every interrupt on measured CPUs: for an
 * IPI the sender CPU and task, the kernel call site and what it carried;
 * for the others the device IRQ, the timer, the softirq or the thread.
 *
 * Purpose: the pure half of the attribution in 'tlbctl noise' and 'tlbctl
 * top'. The tracefs side fills a struct attrib_event per record; recorded
 * text traces go through attrib_parse_line() (attrib-text.c), so unit tests
 * replay real traces.
 *
 * Two sides of one interrupt, matched in timestamp order (all records on
 * one global clock, e.g. "mono"):
 *   - the sender writes ipi:ipi_send_cpu / ipi:ipi_send_cpumask (target,
 *     call site, callback; the x86 vector follows from the callback:
 *     generic_smp_call_function_single_interrupt is call_function_single
 *     for one CPU and call_function for a mask, no callback is a reschedule,
 *     a callback sent to the sending CPU itself is its own irq_work),
 *     csd:csd_queue_cpu (the function a function-call IPI will run: csd
 *     callback, sched_ttwu_pending for a remote wake-up, the irq_work
 *     function), sched:sched_waking (the task woken, with its waker) and,
 *     with a stacktrace trigger, the call chain (its first frame beyond the
 *     IPI plumbing is the "origin");
 *   - the receiver (a measured CPU) writes osnoise:irq_noise at the
 *     interrupt's exit, with its duration; timer:hrtimer_expire_entry names
 *     the timers a local_timer interrupt ran; csd:csd_function_entry outside
 *     hardirq context marks a queued function run without an IPI, and
 *     timer:tick_stop at the exit of a tick names the dependency that
 *     kept the tick running (attrib-tick.h).
 * An IPI interrupt takes the oldest send of its vector to its CPU written
 * before it began (x86 merges a second send that arrives while the vector
 * is pending, so every other send before it goes too), and a function-call
 * IPI every csd queued for its CPU before it ended. An IPI with no send is
 * "unattributed" (event lost, or sent before the window).
 *
 * Groups: per measured CPU, interrupts with the same (kind, vector, sender
 * task name, call site, origin, carried function, woken task name) are one
 * group with count, total and largest duration, and a remedy: what removes
 * it (attrib-remedy.c). Ticks are grouped by the dependency that kept them;
 * those with none named are the residual tick or, faster than ~2/s over the
 * time the counts cover, a tick that did not stop (attrib-tick.h).
 *
 * Usage:
 *   _cleanup_(attrib_freep) struct attrib *a = NULL;
 *   r = attrib_new(&cpus, &a);
 *   attrib_workload_pid(a, pid);        // the workload's threads: not noise
 *   attrib_set_window(a, t0, t1);       // optional
 *   attrib_tick_stop_traced(a, true);   // timer:tick_stop is recorded
 *   for each record: attrib_add(a, &ev);
 *   attrib_finish(a);                   // sorts and matches
 *   const struct attrib_cpu *c = attrib_cpu(a, 2);
 *   for (size_t i = 0; i < c->ngroups; i++) ... c->groups[i] (largest count first)
 *
 * Strings handed in are copied; strings handed out live as long as *a. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "attrib-group.h"
#include "attrib-remedy.h"
#include "attrib-tick.h"
#include "cpumap.h"

#define ATTRIB_SLACK_NS 3000        /* a send "before" an IRQ: up to this after its estimated entry */
#define ATTRIB_WAKE_LINK_NS 2000000 /* a waking and the send it caused: same CPU and task, this close */
#define ATTRIB_QUEUE_MAX 512        /* pending sends/csds kept per target CPU */

enum attrib_type {
        ATTRIB_EV_IRQ,          /* osnoise:irq_noise on a measured CPU (name = desc, num = vector) */
        ATTRIB_EV_SOFTIRQ,      /* osnoise:softirq_noise (num = softirq vector) */
        ATTRIB_EV_NMI,          /* osnoise:nmi_noise */
        ATTRIB_EV_THREAD,       /* osnoise:thread_noise (name = comm, num = pid) */
        ATTRIB_EV_IPI_SEND,     /* ipi:ipi_send_cpu / ipi_send_cpumask (targets, callsite, name = callback) */
        ATTRIB_EV_CSD_QUEUE,    /* csd:csd_queue_cpu (target, callsite, name = func, csd) */
        ATTRIB_EV_CSD_ENTRY,    /* csd:csd_function_entry (name = func, csd, in_hardirq) */
        ATTRIB_EV_WAKING,       /* sched:sched_waking (name = wakee comm, num = wakee pid, target) */
        ATTRIB_EV_TIMER,        /* timer:hrtimer_expire_entry (name = function) */
        ATTRIB_EV_STACK,        /* ftrace:kernel_stack after a send on the same CPU */
        ATTRIB_EV_TICK_STOP,    /* timer:tick_stop (num = TICK_DEP_MASK_* that kept the tick, 0 stopped) */
};

struct attrib_event {
        enum attrib_type type;
        unsigned cpu;                   /* CPU that wrote the record */
        uint64_t ts;                    /* record time, ns, global clock */
        int pid;                        /* task current on cpu: sender, waker */
        const char *comm;               /* its name; NULL if unknown */
        bool in_hardirq, in_softirq;    /* record flags */
        const char *name;               /* see enum attrib_type */
        int num;                        /* see enum attrib_type */
        uint64_t duration;              /* receive side: ns */
        const struct cpumap *targets;   /* IPI_SEND */
        unsigned target;                /* CSD_QUEUE, WAKING */
        const char *callsite;           /* IPI_SEND, CSD_QUEUE: "sym+0xoff/0xsize" */
        uint64_t csd;                   /* CSD_QUEUE, CSD_ENTRY */
        const char *const *frames;      /* STACK: innermost first */
        size_t nframes;
};

struct attrib_cpu {
        unsigned cpu;
        uint64_t interrupts;            /* IRQ events (IPIs, timer, device) */
        uint64_t ipis, ipis_unattributed;
        uint64_t ticks;                 /* ATTRIB_TICK interrupts */
        uint64_t csd_local;             /* csds run without an IPI */
        uint64_t span_ns;               /* the time these counts cover (window, round) */
        struct attrib_group *groups;    /* largest count first */
        size_t ngroups;
};

struct attrib;

int attrib_new(const struct cpumap *cpus, struct attrib **ret);
void attrib_free(struct attrib *a);
static inline void attrib_freep(struct attrib **a) { attrib_free(*a); }
/* Receive-side records outside [start_ns, end_ns] are not counted; sender
 * records before the window still match (the send precedes its IRQ). */
void attrib_set_window(struct attrib *a, uint64_t start_ns, uint64_t end_ns);
/* Whether timer:tick_stop is among the records (default no): a fast tick
 * with no dependency named is then one the kernel gave no reason for. */
void attrib_tick_stop_traced(struct attrib *a, bool traced);
/* Thread noise of this pid is the workload: not an interrupt source. */
int attrib_workload_pid(struct attrib *a, int pid);
/* Records in any order across CPUs, in order within one CPU (a STACK goes
 * with the send before it on its CPU). -ENOMEM, -EINVAL. */
int attrib_add(struct attrib *a, const struct attrib_event *ev);
/* Matches and groups; call once, after the last attrib_add(). -ENOMEM. */
int attrib_finish(struct attrib *a);
/* For a live view: matches and groups the records up to upto (ns) and
 * keeps the later ones and every pending send for the next call, so an
 * IPI whose send was read in an earlier round still finds it. Results
 * add up until attrib_reset(), which clears them (not the pending sends). */
int attrib_advance(struct attrib *a, uint64_t upto);
void attrib_reset(struct attrib *a);
/* NULL if the CPU is not measured or before attrib_advance()/finish(). */
const struct attrib_cpu *attrib_cpu(const struct attrib *a, unsigned cpu);

/* Machine name of a kind ("ipi", "tick", "timer", "device_irq", "softirq",
 * "nmi", "thread"); NULL when out of range. */
const char *attrib_kind_name(enum attrib_kind k);
/* Softirq name by vector ("TIMER", "RCU", ...); "?" when unknown. */
const char *attrib_softirq_name(int vector);

/* Recorded text traces (attrib-text.c), as tracefs "trace" prints them.
 * attrib_parse_line(): one line; strings in *ev point into buf, a cpumask
 * into *targets. Returns 1 for a decoded event, 0 for a line to skip
 * (comments, other events, stack lines), -EINVAL for a line of a known
 * event that does not parse.
 * attrib_add_trace(): every line of f, with "<stack trace>" blocks
 * (" => sym" lines) given to the send they follow. -EINVAL names no
 * line; *bad_line gets its number. */
int attrib_parse_line(const char *line, struct attrib_event *ev, struct cpumap *targets,
                      char *buf, size_t buflen);
int attrib_add_trace(struct attrib *a, FILE *f, unsigned *bad_line);
