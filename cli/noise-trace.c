/* noise-trace.c — the osnoise side of 'tlbctl noise': a private tracefs
 * instance "tlbctl-<pid>" with osnoise:* and csd:csd_function_entry (and
 * the sender-side events of trace-sources.c, with timer:tick_stop), the
 * osnoise tracer set there, and after the window the per-CPU buffers read
 * once (no trace_pipe polling: a waiting reader makes the kernel wake it
 * with irq_work, which is noise on the traced CPU). Each record goes to
 * lib/osnoise-decode.h (figures) and lib/attrib.h (sources).
 *
 * Restore: the instance and its events are private; the only global state
 * touched is osnoise/cpus and the OSNOISE_WORKLOAD option, saved before and
 * written back by noise_teardown(), which every exit path after setup
 * runs. SIGKILL cannot be caught: the next run removes instances left by
 * dead tlbctl processes (the osnoise settings then stay as they were
 * left). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event-parse.h>
#include <tracefs.h>

#include "fsroot.h"
#include "noise.h"
#include "parse.h"
#include "util.h"

/* ---- setup and teardown ---- */

static void remove_stale_instances(void) {
        char **names = tracefs_instances("^tlbctl-[0-9]+$");

        for (char **p = names; p && *p; p++) {
                unsigned pid;

                if (parse_uint(*p + 7, &pid) < 0 || (kill((pid_t) pid, 0) == 0 || errno != ESRCH))
                        continue;
                struct tracefs_instance *i = tracefs_instance_alloc(NULL, *p);

                if (i) {
                        (void) tracefs_tracer_clear(i);
                        (void) tracefs_instance_destroy(i);
                        tracefs_instance_free(i);
                }
        }
        tracefs_list_free(names);
}

static int read_workload_option(void) {
        _cleanup_free_ char *opts = tracefs_instance_file_read(NULL, "osnoise/options", NULL);
        char *save = NULL;

        if (!opts)
                return -1;
        for (char *tok = strtok_r(opts, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
                if (streq(tok, "OSNOISE_WORKLOAD"))
                        return 1;
                if (streq(tok, "NO_OSNOISE_WORKLOAD"))
                        return 0;
        }
        return -1;
}

static int write_workload_option(int on) {
        const char *v = on ? "OSNOISE_WORKLOAD" : "NO_OSNOISE_WORKLOAD";

        return tracefs_instance_file_write(NULL, "osnoise/options", v) < 0 ? -EIO : 0;
}

void noise_teardown(struct noise_run *n) {
        if (n->inst) {
                (void) tracefs_trace_off(n->inst);
                trace_sources_disable(&n->src, n->inst);
                (void) tracefs_tracer_clear(n->inst);
                (void) tracefs_event_disable(n->inst, NULL, NULL);
                (void) tracefs_instance_destroy(n->inst);
                tracefs_instance_free(n->inst);
                n->inst = NULL;
        }
        if (n->osnoise_opt_written && n->saved_workload >= 0)
                (void) write_workload_option(n->saved_workload);
        n->osnoise_opt_written = false;
        if (n->osnoise_cpus_written && n->saved_cpus) {
                char *nl = strchr(n->saved_cpus, '\n');

                if (nl)
                        *nl = 0;
                (void) tracefs_instance_file_write(NULL, "osnoise/cpus",
                                                   *n->saved_cpus ? n->saved_cpus : "");
        }
        n->osnoise_cpus_written = false;
}

static int check_ksyms(struct noise_run *n) {
        _cleanup_free_ char *path = NULL;
        int r = fsroot_path(n->t->fs, "/proc/kallsyms", &path);

        return r < 0 ? r : trace_ksyms_check(path);
}

int noise_tracing_setup(struct noise_run *n) {
        static const char *const systems[] = { "osnoise", TRACE_SOURCES_SYSTEMS, NULL };
        _cleanup_free_ char *list = NULL, *name = NULL;

        if (!tracefs_tracing_dir()) {
                n->no_osnoise_reason = strdup("tracefs is not mounted");
                return -ENOENT;
        }
        if (!tracefs_tracer_available(NULL, "osnoise")) {
                n->no_osnoise_reason = strdup("this kernel has no osnoise tracer (CONFIG_OSNOISE_TRACER)");
                return -ENOENT;
        }
        remove_stale_instances();

        n->saved_workload = read_workload_option();
        if (n->saved_workload < 0 && n->wl != WL_KERNEL) {
                n->no_osnoise_reason = strdup("osnoise has no OSNOISE_WORKLOAD option (kernel older than 6.3?); use --workload=kernel");
                return -ENOTSUP;
        }
        n->saved_cpus = tracefs_instance_file_read(NULL, "osnoise/cpus", NULL);
        if (cpulist_format_alloc(&n->cpus, &list) < 0 || asprintf(&name, "tlbctl-%d", (int) getpid()) < 0)
                return -ENOMEM;

        n->inst = tracefs_instance_create(name);
        if (!n->inst) {
                n->no_osnoise_reason = strdup("cannot create a tracing instance");
                return -EIO;
        }
        (void) tracefs_trace_off(n->inst);
        /* "mono" is CLOCK_MONOTONIC: the window below is cut with it. */
        /* Every CPU records: the senders of IPIs are the other CPUs. Each
         * event's filter keeps what concerns the measured CPUs. */
        if (tracefs_instance_file_write(n->inst, "trace_clock", "mono") < 0 ||
            tracefs_instance_set_buffer_size(n->inst, 4096, -1) < 0)
                return -EIO;

        n->osnoise_cpus_written = true;
        if (tracefs_instance_file_write(NULL, "osnoise/cpus", list) < 0)
                return -EIO;
        if (n->saved_workload >= 0) {
                n->osnoise_opt_written = true;
                if (write_workload_option(n->wl == WL_KERNEL) < 0)
                        return -EIO;
        }
        if (tracefs_event_enable(n->inst, "osnoise", NULL) < 0)
                return -EIO;
        n->csd = trace_event_enable_filtered(n->inst, &n->cpus, "csd", "csd_function_entry", "CPU", NULL) >= 0;
        if (!n->csd)
                n->csd_reason = strdup("no csd:csd_function_entry tracepoint (kernel older than 6.5?)");
        trace_sources_enable(&n->src, n->inst, &n->cpus);
        attrib_tick_stop_traced(n->attrib, n->src.tick_stop);

        n->tep = tracefs_local_events_system(NULL, systems);
        if (!n->tep)
                return -EIO;
        n->id_irq = trace_event_id(n->tep, "osnoise", "irq_noise");
        n->id_softirq = trace_event_id(n->tep, "osnoise", "softirq_noise");
        n->id_nmi = trace_event_id(n->tep, "osnoise", "nmi_noise");
        n->id_thread = trace_event_id(n->tep, "osnoise", "thread_noise");
        n->id_csd = trace_event_id(n->tep, "csd", "csd_function_entry");
        n->id_sample = trace_event_id(n->tep, "ftrace", "osnoise");
        if (n->csd || n->src.enabled) {
                int r = check_ksyms(n);

                n->have_ksyms = r >= 0;
                if (r < 0 && asprintf(&n->csd_reason, "cannot resolve csd callbacks from /proc/kallsyms (%s)",
                                      r == -EPERM ? "addresses hidden by kptr_restrict" : strerror(-r)) < 0)
                        n->csd_reason = NULL;
        }
        trace_sources_bind(&n->src, n->tep, n->have_ksyms);

        if (tracefs_tracer_set(n->inst, TRACEFS_TRACER_CUSTOM, "osnoise") < 0)
                return -EIO;
        n->osnoise = true;
        return 0;
}

/* ---- reading the records ---- */


/* The receive side goes to both: noise_acc (figures) and attrib (sources). */
static int attrib_receive(struct noise_run *n, const struct noise_event *nev, int flags, uint64_t csd) {
        struct attrib_event ev = { .cpu = nev->cpu, .ts = nev->ts, .duration = nev->duration,
                                   .name = nev->name, .num = nev->vector, .csd = csd };

        switch (nev->type) {
        case NOISE_EV_IRQ:      ev.type = ATTRIB_EV_IRQ; break;
        case NOISE_EV_SOFTIRQ:  ev.type = ATTRIB_EV_SOFTIRQ; break;
        case NOISE_EV_NMI:      ev.type = ATTRIB_EV_NMI; break;
        case NOISE_EV_THREAD:   ev.type = ATTRIB_EV_THREAD; ev.num = nev->pid; break;
        case NOISE_EV_CSD_ENTRY:
                ev.type = ATTRIB_EV_CSD_ENTRY;
                ev.in_hardirq = flags >= 0 && (flags & TRACE_FLAG_HARDIRQ);
                break;
        default:
                return 0;
        }
        return attrib_add(n->attrib, &ev);
}

static int on_record(struct tep_event *e, struct tep_record *r, int cpu, void *userdata) {
        struct noise_run *n = userdata;
        struct noise_event ev = { .cpu = (unsigned) cpu, .ts = r->ts };
        char name[128];
        uint64_t csd = 0;
        int flags = -1, k;

        k = trace_sources_record(&n->src, n->attrib, e, r, cpu);
        if (k != 0)
                return k < 0 ? -1 : 0;

        if (e->id == n->id_irq) {
                ev.type = NOISE_EV_IRQ;
                ev.name = trace_field_str(e, r, "desc", name, sizeof(name));
                ev.vector = (int) trace_field_u64(e, r, "vector");
        } else if (e->id == n->id_softirq) {
                ev.type = NOISE_EV_SOFTIRQ;
                ev.vector = (int) trace_field_u64(e, r, "vector");
        } else if (e->id == n->id_nmi)
                ev.type = NOISE_EV_NMI;
        else if (e->id == n->id_thread) {
                ev.type = NOISE_EV_THREAD;
                ev.name = trace_field_str(e, r, "comm", name, sizeof(name));
                ev.pid = (int) trace_field_u64(e, r, "pid");
        } else if (e->id == n->id_csd) {
                flags = tep_data_flags(n->tep, r);
                ev.type = NOISE_EV_CSD_ENTRY;
                ev.name = n->have_ksyms ? tep_find_function(n->tep, trace_field_u64(e, r, "func")) : NULL;
                csd = trace_field_u64(e, r, "csd");
                ev.not_in_irq = flags >= 0 && !(flags & TRACE_FLAG_HARDIRQ);
        } else if (e->id == n->id_sample) {
                ev.type = NOISE_EV_SAMPLE;      /* microseconds in the record */
                ev.runtime = trace_field_u64(e, r, "runtime") * 1000;
                ev.noise = trace_field_u64(e, r, "noise") * 1000;
                ev.max_sample = trace_field_u64(e, r, "max_sample") * 1000;
        } else
                return 0;
        if (ev.type != NOISE_EV_CSD_ENTRY && ev.type != NOISE_EV_SAMPLE) {
                ev.start = trace_field_u64(e, r, "start");
                ev.duration = trace_field_u64(e, r, "duration");
        }
        if (ev.type == NOISE_EV_SOFTIRQ)
                ev.name = attrib_softirq_name(ev.vector);
        if (n->src.enabled && attrib_receive(n, &ev, flags, csd) < 0)
                return -1;
        return noise_acc_add(n->acc, &ev) < 0 ? -1 : 0;
}

static void count_lost(struct noise_run *n) {
        int cpu;

        CPUMAP_FOREACH(cpu, &n->cpus) {
                char path[64];
                _cleanup_free_ char *st = NULL;
                const char *p;
                uint64_t v;

                snprintf(path, sizeof(path), "per_cpu/cpu%d/stats", cpu);
                st = tracefs_instance_file_read(n->inst, path, NULL);
                if (!st || !(p = strstr(st, "overrun: ")))
                        continue;
                if (sscanf(p + 9, "%" SCNu64, &v) == 1)
                        n->lost += v;
        }
}

int noise_trace_read(struct noise_run *n) {
        int r;

        count_lost(n);
        /* names of the tasks that ran during the window (senders) */
        (void) tracefs_load_cmdlines(NULL, n->tep);
        if (tracefs_iterate_raw_events(n->tep, n->inst, NULL, 0, on_record, n) < 0)
                return -EIO;
        noise_acc_finish(n->acc);
        if (n->src.enabled && (r = attrib_finish(n->attrib)) < 0)
                return r;
        return 0;
}
