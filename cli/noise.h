/* noise.h — inside 'tlbctl noise': the state of one measurement (struct
 * noise_run) and the parts that fill and print it, one file each:
 *   noise.c           the verb (options, help), the run's lifecycle, and
 *                     noise_summarize() for other verbs (tlbctl.h)
 *   noise-measure.c   the measurement: its sequence, the window (progress,
 *                     SIGINT/SIGTERM/SIGHUP), teardown on every path
 *   noise-workload.c  the busy loops, or the application's pinned threads
 *   noise-trace.c     the osnoise instance: setup, restore, reading records
 *   noise-report.c    the result as JSON or as text
 *
 * Usage (noise.c):
 *   struct noise_run n = { .t = t, .cpus = cpus, .duration_usec = d,
 *                          .saved_workload = -1, .wl = WL_USER };
 *   r = noise_measure_until_stopped(&n);
 *   if (r >= 0) noise_print(&n);        // or noise_json(&n)
 *   noise_run_done(&n);
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "attrib.h"
#include "cpumap.h"
#include "osnoise-decode.h"
#include "tlbctl.h"
#include "trace-sources.h"

struct interrupts;
struct json_object;

enum workload { WL_USER, WL_KERNEL, WL_NONE };

struct noise_run {
        const struct tlbctl *t;
        struct cpumap cpus;
        uint64_t duration_usec, measured_usec;
        enum workload wl;
        bool json, interrupted;

        /* tracing */
        bool osnoise;                   /* osnoise tracer used */
        char *no_osnoise_reason;
        bool csd;                       /* csd:csd_function_entry enabled */
        struct tracefs_instance *inst;
        char *saved_cpus;               /* osnoise/cpus before us */
        int saved_workload;             /* OSNOISE_WORKLOAD: 1/0, -1 unknown */
        bool osnoise_cpus_written, osnoise_opt_written;
        struct tep_handle *tep;
        int id_irq, id_softirq, id_nmi, id_thread, id_csd, id_sample;
        bool have_ksyms;
        char *csd_reason;               /* why IPIs cannot be attributed */
        struct trace_sources src;       /* sender side: attribution by source */
        struct noise_acc *acc;
        struct attrib *attrib;
        uint64_t lost;

        pid_t *workers;
        size_t nworkers;

        /* -- COMMAND: run once the window has started; the window ends when
         * it exits (or at the duration, which then stops it) */
        char **cmd;                     /* argv, NULL-terminated; NULL: none */
        pid_t cmd_pid;                  /* > 0 while it runs */
        int cmd_status;                 /* wait status, once cmd_exited */
        bool cmd_exited, cmd_stopped;   /* exited; stopped by us (SIGTERM) */

        struct interrupts *before, *after, *delta;
        struct module_state mod_before, mod_after;
};

/* Frees what a measurement allocated (after noise_teardown()). */
void noise_run_done(struct noise_run *n);

/* ---- the measurement (noise-measure.c) ---- */
/* The measurement, with SIGINT/SIGTERM/SIGHUP ending the window early
 * (and only that) while it runs; the workload and the tracing are torn
 * down on every path. */
int noise_measure_until_stopped(struct noise_run *n);

/* ---- the command (noise-measure.c) ---- */
/* How the command ended, for the report: NULL when there was none, else
 * e.g. "exited with status 0", "killed by signal 9", "stopped at the end of
 * the window", written to buf. */
const char *noise_cmd_outcome(const struct noise_run *n, char buf[static 64]);

/* ---- the workload (noise-workload.c) ---- */
/* One user-space busy loop per measured CPU, pinned there; each is made
 * workload of n->acc and n->attrib when they exist. */
int noise_workers_start(struct noise_run *n);
/* Kills and reaps the busy loops (none started: nothing to do). */
void noise_workers_stop(struct noise_run *n);
/* --workload=none: the user threads pinned to measured CPUs only are the
 * workload (n->acc, n->attrib). */
int noise_add_pinned_threads(struct noise_run *n);

/* ---- the osnoise instance (noise-trace.c) ---- */
/* Sets up osnoise in a private instance. On failure with
 * n->no_osnoise_reason set, the caller falls back to counting. */
int noise_tracing_setup(struct noise_run *n);
/* Removes the instance and writes back the osnoise settings it changed;
 * safe to run twice and after a failed setup. */
void noise_teardown(struct noise_run *n);
/* After the window, tracing off: the lost-event count, then every record
 * into n->acc and (sources traced) n->attrib. */
int noise_trace_read(struct noise_run *n);

/* ---- output (noise-report.c) ---- */
struct json_object *noise_json(const struct noise_run *n);
void noise_print(const struct noise_run *n);
