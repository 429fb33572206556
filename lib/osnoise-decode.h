/* osnoise-decode.h — turn osnoise and csd trace events into per-CPU noise
 * figures: total and largest noise, noise by class, IPI noise by vector, and
 * function-call IPIs attributed to what they carried.
 *
 * Purpose: the pure half of 'tlbctl noise'. The tracefs/libtraceevent side
 * (cli/noise-trace.c) fills a struct noise_event per record; recorded text
 * traces go through noise_event_parse_line() so unit tests replay real
 * samples.
 *
 * Attribution: a call-function IPI runs the csd callbacks queued for the
 * CPU inside its handler, before osnoise writes its irq_noise record at
 * IPI exit; handlers do not nest. So the csd:csd_function_entry events
 * recorded on that CPU in hardirq context (the record's flags) since the
 * previous call-function IPI belong to this one. Callbacks run outside
 * hardirq context (flush_smp_call_function_queue() from idle, a local
 * call) belong to no IPI and are only counted (csd_local); a local call
 * made from an interrupt handler would be taken for part of the next IPI
 * (not seen in the recorded traces). Timestamps are
 * not used to match beyond ordering: osnoise measures "duration" with the
 * local clock while records carry the trace clock, and the csd entry can
 * lie a little before [ts - duration] (1.5-2.5 us for 3 of 20 kernel-flush
 * callbacks in tests/fixtures/cli/osnoise-csd-trace.txt; 11 of 100 went
 * unattributed in a VM run when matching by that window).
 *
 * Window: with noise_acc_set_window() (ring-buffer clock, e.g. the "mono"
 * trace clock against CLOCK_MONOTONIC) events recorded outside it are
 * dropped and noise that began before it is clipped to it, so the figures
 * cover exactly the span of a /proc/interrupts before/after pair. Idle
 * (pid 0) is never thread noise; the run time of workload threads
 * (noise_acc_workload_pid(): tlbctl's busy loops, or the application's
 * threads pinned to the measured CPUs) is counted apart, as "workload",
 * not as noise. The
 * IPI is counted under the kind of the first callback it ran; every
 * callback is counted in csd_runs. A call-function IPI with no csd event in
 * its window (csd tracepoints missing, or a lost event) is "unattributed".
 *
 * Units: nanoseconds everywhere (osnoise sample records carry
 * microseconds; the caller converts).
 *
 * Usage:
 *   _cleanup_(noise_acc_freep) struct noise_acc *a = NULL;
 *   r = noise_acc_new(&cpus, &a);
 *   noise_acc_workload_pid(a, workload_pid);
 *   for each record: noise_acc_add(a, &ev);
 *   noise_acc_finish(a);
 *   const struct noise_cpu *c = noise_acc_cpu(a, 2);
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpumap.h"
#include "ipikind.h"

#define NOISE_VECTORS_MAX 16    /* >= the number of ipi_vectors() */
#define NOISE_PENDING_MAX 64    /* csd entries kept per CPU until their IPI ends */
#define NOISE_CSD_SLACK_NS 1000 /* text traces print microseconds */

enum noise_event_type {
        NOISE_EV_IRQ,           /* osnoise:irq_noise (name = desc, vector) */
        NOISE_EV_SOFTIRQ,       /* osnoise:softirq_noise (name = softirq) */
        NOISE_EV_NMI,           /* osnoise:nmi_noise */
        NOISE_EV_THREAD,        /* osnoise:thread_noise (name = comm, pid) */
        NOISE_EV_CSD_ENTRY,     /* csd:csd_function_entry (name = callback) */
        NOISE_EV_SAMPLE,        /* ftrace:osnoise, one per period (kernel workload) */
};

struct noise_event {
        enum noise_event_type type;
        unsigned cpu;
        uint64_t ts;            /* record timestamp, trace clock ns */
        uint64_t start;         /* noise start, same clock */
        uint64_t duration;      /* ns */
        const char *name;       /* see enum; may be NULL */
        int vector;
        int pid;
        bool not_in_irq;        /* NOISE_EV_CSD_ENTRY: flags show no hardirq context */
        uint64_t runtime, noise, max_sample;    /* NOISE_EV_SAMPLE, ns */
};

struct noise_stat {
        uint64_t count;
        uint64_t total_ns;
        uint64_t max_ns;
};

struct noise_named {
        char *name;
        struct noise_stat st;
};

struct noise_pending {
        uint64_t ts;
        enum ipi_kind kind;
};

struct noise_cpu {
        unsigned cpu;
        uint64_t total_ns;              /* all noise (events, or samples if any) */
        uint64_t max_ns;                /* largest single noise */
        struct noise_stat irq, softirq, nmi, thread;
        struct noise_stat vector[NOISE_VECTORS_MAX];   /* index: ipi_vectors() */
        struct noise_stat device_irq;   /* all IRQs that are not a known vector */
        struct noise_named *devirqs;    /* ... by name */
        size_t ndevirqs;
        struct noise_named *threads;    /* thread noise by comm */
        size_t nthreads;
        struct noise_stat workload;     /* run time of workload threads (not noise) */
        struct noise_stat kind[_IPI_KIND_MAX];  /* call-function IPIs by first csd */
        uint64_t csd_runs[_IPI_KIND_MAX];       /* csd callbacks run in IPIs */
        struct noise_stat unattributed;         /* call-function IPIs without csd */
        uint64_t csd_events;            /* csd entries seen on this CPU */
        uint64_t csd_local;             /* ... of which run outside an IPI */
        uint64_t nsamples;              /* osnoise periods */
        uint64_t sample_runtime_ns, sample_noise_ns, sample_max_ns;
        size_t npending;
        struct noise_pending pending[NOISE_PENDING_MAX];
};

struct noise_acc;

int noise_acc_new(const struct cpumap *cpus, struct noise_acc **ret);
void noise_acc_free(struct noise_acc *a);
static inline void noise_acc_freep(struct noise_acc **a) { noise_acc_free(*a); }
/* Only events with start_ns <= ts <= end_ns count (see above). */
void noise_acc_set_window(struct noise_acc *a, uint64_t start_ns, uint64_t end_ns);
/* Thread "noise" of this pid (a thread id, as osnoise reports it) is the
 * workload itself: counted in noise_cpu.workload, not as noise. Adding a
 * pid twice is harmless. -ENOMEM. */
int noise_acc_workload_pid(struct noise_acc *a, int pid);
/* Events of CPUs not measured are ignored. -ENOMEM, -EINVAL (bad type). */
int noise_acc_add(struct noise_acc *a, const struct noise_event *ev);
/* Ends attribution: csd entries still pending are dropped. */
void noise_acc_finish(struct noise_acc *a);
/* NULL if the CPU is not measured. */
const struct noise_cpu *noise_acc_cpu(const struct noise_acc *a, unsigned cpu);
/* Measured CPUs. */
const struct cpumap *noise_acc_cpus(const struct noise_acc *a);

/* One line of a tracefs "trace" text file, as the kernel prints osnoise
 * and csd events ("  <idle>-0  [002] d.h1.  123.456789: irq_noise:
 * call_function:251 start 123.456780123 duration 5432 ns"). Strings in
 * *ev point into buf (size buflen). Returns 1 and fills *ev for a decoded
 * event, 0 for lines to skip (comments, other events), -EINVAL for an
 * osnoise/csd line that does not parse. */
int noise_event_parse_line(const char *line, struct noise_event *ev, char *buf, size_t buflen);
