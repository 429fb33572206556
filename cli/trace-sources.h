/* trace-sources.h — the sender side of interrupts to measured CPUs, traced
 * in a tracefs instance and decoded into lib/attrib.h events: who sent each
 * IPI (ipi:ipi_send_cpu/ipi_send_cpumask) from where (with a stacktrace
 * trigger: the caller), what it carried (csd:csd_queue_cpu), whom it woke
 * (sched:sched_waking), which timers a local timer interrupt ran
 * (timer:hrtimer_expire_entry) and, when the kernel has it, which tick
 * dependency kept the tick running (timer:tick_stop, written on the
 * measured CPU itself at interrupt exit; optional: without it the tick is
 * judged by its rate, lib/attrib-tick.h). Every event is filtered in the kernel to
 * the measured CPUs, so housekeeping traffic costs no buffer space.
 * Shared by 'tlbctl noise' (receive side: osnoise) and 'tlbctl top'
 * (receive side: irq_vectors, irq).
 *
 * Usage:
 *   struct trace_sources s = { 0 };
 *   trace_sources_enable(&s, inst, &cpus);      // s.enabled, or s.reason; s.tick_stop
 *   attrib_tick_stop_traced(attrib, s.tick_stop);
 *   ... tep = tracefs_local_events_system(...); trace_sources_bind(&s, tep, have_ksyms);
 *   in the record callback: r = trace_sources_record(&s, attrib, event, record, cpu);
 *   trace_sources_disable(&s, inst);            // before the instance goes
 *   trace_sources_done(&s); */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event-parse.h>
#include <tracefs.h>

#include "attrib.h"
#include "cpumap.h"

/* The id of event sys:name in tep's formats, -1 if they do not have it. */
int trace_event_id(struct tep_handle *tep, const char *sys, const char *name);

/* trace_sources_bind() loads these systems' formats: pass them to
 * tracefs_local_events_system() with the caller's own. */
#define TRACE_SOURCES_SYSTEMS "ipi", "csd", "sched", "timer", "ftrace"

struct trace_sources {
        struct cpumap cpus;
        bool enabled;                   /* every sender-side event on */
        bool tick_stop;                 /* timer:tick_stop on too */
        char *reason;                   /* why not */
        struct tep_handle *tep;
        bool have_ksyms;
        int id_send_cpu, id_send_mask, id_csd_queue, id_waking, id_timer, id_stack, id_tick_stop;
};

/* "FIELD == 2 || FIELD == 3" over cpus; NULL on -ENOMEM. */
char *trace_cpu_filter(const struct cpumap *cpus, const char *field);
/* Enables SYSTEM:EVENT with FILTER, or with trace_cpu_filter(cpus, FIELD).
 * 0, -ENOMEM, -EINVAL (filter refused), -ENOENT (no such event). */
int trace_event_enable_filtered(struct tracefs_instance *inst, const struct cpumap *cpus,
                                const char *system, const char *event, const char *field,
                                const char *filter);
/* Field helpers: 0 / NULL when missing. */
uint64_t trace_field_u64(struct tep_event *e, struct tep_record *r, const char *name);
const char *trace_field_str(struct tep_event *e, struct tep_record *r, const char *name,
                            char *buf, size_t len);
/* "sym+0xoff" like %pS; "0x..." without symbols; NULL for 0. */
const char *trace_ksym(struct tep_handle *tep, bool have_ksyms, unsigned long long addr,
                       char *buf, size_t len);

/* 0 if kallsyms (a /proc/kallsyms path) shows addresses; -EPERM when
 * kptr_restrict hides them, -errno. */
int trace_ksyms_check(const char *kallsyms);

void trace_sources_enable(struct trace_sources *s, struct tracefs_instance *inst,
                          const struct cpumap *cpus);
void trace_sources_bind(struct trace_sources *s, struct tep_handle *tep, bool have_ksyms);
/* 1: a sender-side record, given to a; 0: not one; -ENOMEM/-EINVAL. */
int trace_sources_record(struct trace_sources *s, struct attrib *a, struct tep_event *e,
                         struct tep_record *r, int cpu);
/* Removes the stacktrace triggers (an instance with triggers cannot go). */
void trace_sources_disable(struct trace_sources *s, struct tracefs_instance *inst);
void trace_sources_done(struct trace_sources *s);
