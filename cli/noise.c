/* noise.c — 'tlbctl noise': OS noise and IPIs by kind on isolated CPUs,
 * measured with the osnoise tracer in a private tracefs instance.
 *
 * Sequence: start the workload (a user-space busy loop per CPU by default:
 * osnoise's kernel-thread workload does not have the user mm loaded and so
 * never receives user TLB shootdowns), create instance "tlbctl-<pid>",
 * enable osnoise:* and csd:csd_function_entry there (and the sender-side
 * events of trace-sources.c, with timer:tick_stop), set the osnoise
 * tracer, count /proc/interrupts and the module before and after, then read
 * the per-CPU buffers once (no trace_pipe polling: a waiting reader makes
 * the kernel wake it with irq_work, which is noise on the traced CPU).
 *
 * Restore: the instance and its events are private; the only global state
 * touched is osnoise/cpus and the OSNOISE_WORKLOAD option, saved before and
 * written back by noise_teardown(), which every exit path after setup
 * runs. SIGINT/SIGTERM/SIGHUP only set a flag; the measurement then stops
 * early and what was measured is printed. SIGKILL cannot be caught: the
 * next run removes instances left by dead tlbctl processes (the osnoise
 * settings then stay as they were left).
 *
 * Fallback: without the osnoise tracer (Debian's generic kernel) the
 * /proc/interrupts and module deltas over the same window are shown. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <tracefs.h>

#include "attrib.h"
#include "attrib-json.h"
#include "fsroot.h"
#include "interrupts.h"
#include "ipikind.h"
#include "json-out.h"
#include "osnoise-decode.h"
#include "parse.h"
#include "task.h"
#include "tlbctl.h"
#include "trace-sources.h"
#include "util.h"

static const char *const delta_rows[] = { "CAL", "TLB", "RES", "LOC", "IWI" };
#define NROWS ELEMENTSOF(delta_rows)

enum workload { WL_USER, WL_KERNEL, WL_NONE };
static const char *const workload_names[] = { "user", "kernel", "none" };

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
        (void) sig;
        stop_requested = 1;             /* async-signal-safe: a flag only */
}

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

        struct interrupts *before, *after, *delta;
        struct module_state mod_before, mod_after;
};

/* ---- workload ---- */

static int workers_start(struct noise_run *n) {
        pid_t parent = getpid();
        int cpu;

        n->workers = calloc(cpumap_count(&n->cpus) + 1, sizeof(pid_t));
        if (!n->workers)
                return -ENOMEM;
        CPUMAP_FOREACH(cpu, &n->cpus) {
                pid_t pid = fork();

                if (pid < 0)
                        return -errno;
                if (pid == 0) {
                        struct cpumap one = {};

                        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                        if (getppid() != parent)
                                _exit(0);
                        signal(SIGINT, SIG_IGN);        /* the parent decides */
                        cpumap_set(&one, (unsigned) cpu);
                        if (task_set_affinity(0, &one) < 0)
                                _exit(1);
                        (void) prctl(PR_SET_NAME, "tlbctl-busy");
                        for (;;)
                                __asm__ volatile("" ::: "memory");
                }
                n->workers[n->nworkers++] = pid;
                if (n->acc)
                        (void) noise_acc_workload_pid(n->acc, pid);
                if (n->attrib)
                        (void) attrib_workload_pid(n->attrib, pid);
        }
        return 0;
}

static void workers_stop(struct noise_run *n) {
        for (size_t i = 0; i < n->nworkers; i++)
                (void) kill(n->workers[i], SIGKILL);
        for (size_t i = 0; i < n->nworkers; i++)
                while (waitpid(n->workers[i], NULL, 0) < 0 && errno == EINTR)
                        ;
        n->nworkers = 0;
}

/* With --workload=none the workload is the application already running on
 * the measured CPUs: its run time is not noise. Taken to be every user
 * thread allowed on measured CPUs only (pinned there, as an RT application
 * on isolated CPUs is); kernel threads (ktimers/N, rcuc/N, kworker/N:M) and
 * threads allowed elsewhere too stay noise. Scanned before and after the
 * window; a thread that lives only inside it is not seen and counts as
 * noise. */
static int add_if_pinned(const struct task_info *task, const struct task_info *leader, void *userdata) {
        struct noise_run *n = userdata;
        int r;
        (void) leader;

        if (task->flags & TASK_PF_KTHREAD || cpumap_is_empty(&task->allowed) ||
            !cpumap_is_subset(&task->allowed, &n->cpus))
                return 0;
        r = noise_acc_workload_pid(n->acc, task->tid);
        return r < 0 ? r : attrib_workload_pid(n->attrib, task->tid);
}

static int add_pinned_threads(struct noise_run *n) {
        return task_walk(n->t->fs, true, add_if_pinned, n);
}

/* ---- tracing setup and teardown ---- */

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

static void noise_teardown(struct noise_run *n) {
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

static int event_id(struct tep_handle *tep, const char *sys, const char *name) {
        struct tep_event *e = tep_find_event_by_name(tep, sys, name);

        return e ? e->id : -1;
}

static int check_ksyms(struct noise_run *n) {
        _cleanup_free_ char *path = NULL;
        int r = fsroot_path(n->t->fs, "/proc/kallsyms", &path);

        return r < 0 ? r : trace_ksyms_check(path);
}

/* Sets up osnoise in a private instance. On failure with
 * n->no_osnoise_reason set, the caller falls back to counting. */
static int tracing_setup(struct noise_run *n) {
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
        n->id_irq = event_id(n->tep, "osnoise", "irq_noise");
        n->id_softirq = event_id(n->tep, "osnoise", "softirq_noise");
        n->id_nmi = event_id(n->tep, "osnoise", "nmi_noise");
        n->id_thread = event_id(n->tep, "osnoise", "thread_noise");
        n->id_csd = event_id(n->tep, "csd", "csd_function_entry");
        n->id_sample = event_id(n->tep, "ftrace", "osnoise");
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

/* ---- decoding ---- */

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

/* ---- the measurement ---- */

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static void progress(const struct noise_run *n, uint64_t done, bool last) {
        const int width = 30;
        int fill = (int) (n->duration_usec ? done * (uint64_t) width / n->duration_usec : width);

        if (fill > width)
                fill = width;
        if (last) {
                fprintf(stderr, "\r%*s\r", width + 32, "");
                return;
        }
        fprintf(stderr, "\r[%.*s%*s] %5.1f/%.1f s  (Ctrl-C stops)", fill,
                "##############################", width - fill, "",
                (double) done / 1e6, (double) n->duration_usec / 1e6);
}

static void wait_window(struct noise_run *n) {
        bool bar = isatty(STDERR_FILENO);
        uint64_t t0 = now_usec(), done = 0;

        while (!stop_requested && done < n->duration_usec) {
                uint64_t left = n->duration_usec - done, step = left < 200000 ? left : 200000;
                struct timespec ts = { 0, (long) step * 1000 };

                (void) nanosleep(&ts, NULL);    /* EINTR: the flag is checked */
                done = now_usec() - t0;
                if (bar)
                        progress(n, done, false);
        }
        if (bar)
                progress(n, done, true);
        n->measured_usec = done;
        n->interrupted = stop_requested;
}

static uint64_t mono_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

static int measure(struct noise_run *n) {
        uint64_t win_start, win_end;
        int r;

        r = noise_acc_new(&n->cpus, &n->acc);
        if (r >= 0)
                r = attrib_new(&n->cpus, &n->attrib);
        if (r < 0)
                return r;
        if (n->wl == WL_USER) {
                r = workers_start(n);
                if (r < 0) {
                        tlbctl_error("noise: cannot start the workload: %s", strerror(-r));
                        return r;
                }
        }
        r = tracing_setup(n);
        if (r < 0) {
                noise_teardown(n);
                if (!n->no_osnoise_reason &&
                    asprintf(&n->no_osnoise_reason, "setting up osnoise failed (%s)", strerror(-r)) < 0)
                        return -ENOMEM;
                n->osnoise = false;
        }

        /* Starting and stopping osnoise patches tracepoints in (text-poke
         * IPIs to every CPU): keep that out of the window, which is the span
         * between the two /proc/interrupts reads, on CLOCK_MONOTONIC. */
        if (n->osnoise && tracefs_trace_on(n->inst) < 0)
                return -EIO;
        if (n->wl == WL_NONE && (r = add_pinned_threads(n)) < 0)
                return r;
        (void) module_state_read(n->t, &n->mod_before);
        win_start = mono_ns();
        r = interrupts_read(n->t->fs, &n->before);
        if (r < 0)
                return r;
        wait_window(n);
        r = interrupts_read(n->t->fs, &n->after);
        win_end = mono_ns();
        if (r >= 0)
                r = interrupts_delta(n->before, n->after, &n->delta);
        if (r < 0)
                return r;
        (void) module_state_read(n->t, &n->mod_after);
        if (n->osnoise)
                (void) tracefs_trace_off(n->inst);
        workers_stop(n);
        if (n->wl == WL_NONE && (r = add_pinned_threads(n)) < 0)
                return r;
        noise_acc_set_window(n->acc, win_start, win_end);
        attrib_set_window(n->attrib, win_start, win_end);

        if (n->osnoise) {
                count_lost(n);
                /* names of the tasks that ran during the window (senders) */
                (void) tracefs_load_cmdlines(NULL, n->tep);
                if (tracefs_iterate_raw_events(n->tep, n->inst, NULL, 0, on_record, n) < 0)
                        return -EIO;
                noise_acc_finish(n->acc);
                if (n->src.enabled && (r = attrib_finish(n->attrib)) < 0)
                        return r;
        }
        return 0;
}

/* ---- output ---- */

static struct json_object *json_stat(const struct noise_stat *s) {
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "count", json_u64(s->count));
        json_object_object_add(o, "total_ns", json_u64(s->total_ns));
        json_object_object_add(o, "max_ns", json_u64(s->max_ns));
        return o;
}

static struct json_object *json_named(const struct noise_named *v, size_t nv) {
        struct json_object *a = json_object_new_array();

        for (size_t i = 0; i < nv; i++) {
                struct json_object *o = json_stat(&v[i].st);

                json_object_object_add(o, "name", json_object_new_string(v[i].name));
                json_object_array_add(a, o);
        }
        return a;
}

static uint64_t delta_of(const struct noise_run *n, const char *row, unsigned cpu) {
        const struct irq_row *r = interrupts_find(n->delta, row);

        return r ? irq_row_count(r, cpu) : 0;
}

static bool module_delta(const struct noise_run *n, unsigned cpu, uint64_t out[_IPI_KIND_MAX]) {
        const struct module_state *a = &n->mod_before, *b = &n->mod_after;

        if (!a->cpu || !b->cpu || cpu >= a->ncpus || cpu >= b->ncpus ||
            !a->cpu[cpu].present || !b->cpu[cpu].present)
                return false;
        for (int k = 0; k < _IPI_KIND_MAX; k++)
                out[k] = b->cpu[cpu].rx[k] - a->cpu[cpu].rx[k];
        return true;
}

static struct json_object *noise_json(const struct noise_run *n) {
        struct json_object *o = json_object_new_object(), *cpus = json_object_new_array();
        unsigned nvec;
        const struct ipi_vector *vecs = ipi_vectors(&nvec);
        int cpu;

        json_object_object_add(o, "method", json_object_new_string(n->osnoise ? "osnoise" : "interrupts"));
        json_object_object_add(o, "no_osnoise_reason", n->no_osnoise_reason ?
                               json_object_new_string(n->no_osnoise_reason) : NULL);
        json_object_object_add(o, "workload", json_object_new_string(workload_names[n->wl]));
        json_object_object_add(o, "cpus", json_cpulist(&n->cpus));
        json_object_object_add(o, "requested_s", json_rate((double) n->duration_usec / 1e6));
        json_object_object_add(o, "measured_s", json_rate((double) n->measured_usec / 1e6));
        json_object_object_add(o, "interrupted", json_object_new_boolean(n->interrupted));
        json_object_object_add(o, "csd_events", json_object_new_boolean(n->osnoise && n->csd && n->have_ksyms));
        json_object_object_add(o, "csd_reason", n->osnoise && n->csd_reason ?
                               json_object_new_string(n->csd_reason) : NULL);
        json_object_object_add(o, "lost_events", n->osnoise ? json_u64(n->lost) : NULL);
        json_object_object_add(o, "sources_reason", n->osnoise && !n->src.enabled ?
                               json_object_new_string(n->src.reason ? n->src.reason : "not traced") : NULL);
        json_object_object_add(o, "tick_stop_traced", json_object_new_boolean(n->osnoise && n->src.tick_stop));
        CPUMAP_FOREACH(cpu, &n->cpus) {
                const struct noise_cpu *c = n->osnoise ? noise_acc_cpu(n->acc, (unsigned) cpu) : NULL;
                struct json_object *e = json_object_new_object(), *d = json_object_new_object();
                uint64_t md[_IPI_KIND_MAX];

                json_object_object_add(e, "cpu", json_object_new_int(cpu));
                if (c) {
                        struct json_object *cls = json_object_new_object(), *v = json_object_new_object();
                        struct json_object *k = json_object_new_object();

                        json_object_object_add(e, "noise_ns", json_u64(c->total_ns));
                        json_object_object_add(e, "max_noise_ns", json_u64(c->max_ns));
                        json_object_object_add(e, "noise_pct", n->measured_usec ?
                                json_rate(100.0 * (double) c->total_ns / ((double) n->measured_usec * 1000.0)) : NULL);
                        json_object_object_add(cls, "irq", json_stat(&c->irq));
                        json_object_object_add(cls, "softirq", json_stat(&c->softirq));
                        json_object_object_add(cls, "nmi", json_stat(&c->nmi));
                        json_object_object_add(cls, "thread", json_stat(&c->thread));
                        json_object_object_add(e, "classes", cls);
                        for (unsigned i = 0; i < nvec; i++)
                                if (c->vector[i].count)
                                        json_object_object_add(v, vecs[i].desc, json_stat(&c->vector[i]));
                        json_object_object_add(e, "ipi_vectors", v);
                        json_object_object_add(e, "device_irqs", json_named(c->devirqs, c->ndevirqs));
                        json_object_object_add(e, "threads", json_named(c->threads, c->nthreads));
                        json_object_object_add(e, "workload", json_stat(&c->workload));
                        for (int i = 0; i < _IPI_KIND_MAX; i++) {
                                struct json_object *s = json_stat(&c->kind[i]);

                                json_object_object_add(s, "csd_runs", json_u64(c->csd_runs[i]));
                                json_object_object_add(k, ipi_kind_name(i), s);
                        }
                        json_object_object_add(k, "unattributed", json_stat(&c->unattributed));
                        json_object_object_add(e, "call_function_by_kind", k);
                } else {
                        json_object_object_add(e, "noise_ns", NULL);
                        json_object_object_add(e, "max_noise_ns", NULL);
                        json_object_object_add(e, "noise_pct", NULL);
                        json_object_object_add(e, "classes", NULL);
                        json_object_object_add(e, "ipi_vectors", NULL);
                        json_object_object_add(e, "device_irqs", NULL);
                        json_object_object_add(e, "threads", NULL);
                        json_object_object_add(e, "workload", NULL);
                        json_object_object_add(e, "call_function_by_kind", NULL);
                }
                for (size_t i = 0; i < NROWS; i++)
                        json_object_object_add(d, delta_rows[i], json_u64(delta_of(n, delta_rows[i], (unsigned) cpu)));
                json_object_object_add(e, "interrupts_delta", d);
                json_object_object_add(e, "sources", n->osnoise && n->src.enabled ?
                                       attrib_json_sources(attrib_cpu(n->attrib, (unsigned) cpu)) : NULL);
                if (module_delta(n, (unsigned) cpu, md)) {
                        struct json_object *m = json_object_new_object();

                        for (int i = 0; i < _IPI_KIND_MAX; i++)
                                json_object_object_add(m, ipi_kind_name(i), json_u64(md[i]));
                        json_object_object_add(e, "module_delta", m);
                } else
                        json_object_object_add(e, "module_delta", NULL);
                json_object_array_add(cpus, e);
        }
        json_object_object_add(o, "per_cpu", cpus);
        return o;
}

static double us(uint64_t ns) { return (double) ns / 1000.0; }

#define SOURCES_TOP 12

/* One line per group: what it is, who sent it from where, what it
 * carried; the remedy below it. */
static void print_group(const struct attrib_group *g, double secs) {
        char what[96], who[128], cpus[64];

        if (g->kind == ATTRIB_TICK)
                snprintf(what, sizeof(what), "tick %s", attrib_tick_label(g->tick_state, g->tick_dep));
        else if (g->kind == ATTRIB_IPI)
                snprintf(what, sizeof(what), "%s", g->vector);
        else if (g->kind == ATTRIB_DEVICE)
                snprintf(what, sizeof(what), "irq %d %s", g->irq, g->vector ? g->vector : "?");
        else if (g->kind == ATTRIB_TIMER)
                snprintf(what, sizeof(what), "timer %s", g->site ? g->site : "(none expired)");
        else if (g->vector)
                snprintf(what, sizeof(what), "%s %s", attrib_kind_name(g->kind), g->vector);
        else
                snprintf(what, sizeof(what), "%s", attrib_kind_name(g->kind));
        if (g->kind == ATTRIB_TICK && secs > 0)
                snprintf(who, sizeof(who), "%.1f/s", (double) g->count / secs);
        else if (g->kind != ATTRIB_IPI)
                who[0] = 0;
        else if (!g->attributed)
                snprintf(who, sizeof(who), "unattributed");
        else {
                attrib_sender_cpus_format(g->sender_cpus, cpus, sizeof(cpus));
                snprintf(who, sizeof(who), "from %s (CPU %s) at %s%s%s", g->sender, cpus,
                         g->origin ? g->origin : g->site ? g->site : "?",
                         g->origin && g->site ? " via " : "", g->origin && g->site ? g->site : "");
        }
        printf("    %6" PRIu64 " %10.1f %9.1f  %-22s %s\n", g->count, us(g->total_ns), us(g->max_ns), what, who);
        if (g->carried)
                printf("    %27s  ran %s\n", "", g->carried);
        if (g->woken)
                printf("    %27s  woke %s (%d), woken by %s\n", "", g->woken, g->woken_pid,
                       g->waker ? g->waker : "?");
        printf("    %27s  -> %s\n", "", g->remedy);
}

static void print_sources(const struct noise_run *n) {
        int cpu;

        if (!n->src.enabled) {
                printf("\nInterrupts by source: not available (%s)\n",
                       n->src.reason ? n->src.reason : "not traced");
                return;
        }
        printf("\nInterrupts by source (largest groups first; -> what removes them):\n");
        CPUMAP_FOREACH(cpu, &n->cpus) {
                const struct attrib_cpu *c = attrib_cpu(n->attrib, (unsigned) cpu);

                printf("CPU %d: %" PRIu64 " interrupts (%" PRIu64 " tick, %" PRIu64 " IPIs, %" PRIu64
                       " unattributed = %.1f%%)\n", cpu, c->interrupts, c->ticks, c->ipis,
                       c->ipis_unattributed, attrib_pct(c->ipis_unattributed, c->ipis));
                printf("    %6s %10s %9s  %-22s %s\n", "COUNT", "TOTAL(us)", "MAX(us)", "SOURCE", "SENDER");
                for (size_t i = 0; i < c->ngroups && i < SOURCES_TOP; i++)
                        print_group(&c->groups[i], (double) c->span_ns / 1e9);
                if (c->ngroups > SOURCES_TOP)
                        printf("    (%zu more groups: --json lists all)\n", c->ngroups - SOURCES_TOP);
        }
}

static void noise_print(const struct noise_run *n) {
        _cleanup_free_ char *list = NULL;
        unsigned nvec;
        const struct ipi_vector *vecs = ipi_vectors(&nvec);
        int cpu;

        (void) cpulist_format_alloc(&n->cpus, &list);
        printf("CPUs %s, %.1f s%s, ", list ? list : "?", (double) n->measured_usec / 1e6,
               n->interrupted ? " (stopped early)" : "");
        if (n->osnoise)
                printf("osnoise with %s%s\n",
                       n->wl == WL_USER ? "a user-space busy-loop workload" :
                       n->wl == WL_KERNEL ? "a kernel-thread workload" : "no workload of its own (the application's)",
                       n->csd && n->have_ksyms ? ", IPIs attributed with csd events" :
                       " (IPIs not attributed)");
        if (n->osnoise && n->csd_reason)
                printf("attribution: %s\n", n->csd_reason);
        else if (!n->osnoise)
                printf("counted from /proc/interrupts: %s\n", n->no_osnoise_reason ? n->no_osnoise_reason : "no osnoise");
        if (n->lost)
                printf("warning: %" PRIu64 " trace events were lost (buffer overrun); figures are low\n", n->lost);

        if (n->osnoise) {
                printf("\n%3s %12s %10s %7s  %8s %8s %8s %8s %12s\n", "CPU", "NOISE(us)", "MAX(us)", "NOISE%",
                       "IRQ", "SOFTIRQ", "NMI", "THREAD", "WORKLOAD(s)");
                CPUMAP_FOREACH(cpu, &n->cpus) {
                        const struct noise_cpu *c = noise_acc_cpu(n->acc, (unsigned) cpu);

                        printf("%3d %12.1f %10.1f %7.4f  %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %12.3f\n",
                               cpu, us(c->total_ns), us(c->max_ns),
                               n->measured_usec ? 100.0 * (double) c->total_ns / ((double) n->measured_usec * 1000.0) : 0.0,
                               c->irq.count, c->softirq.count, c->nmi.count, c->thread.count,
                               (double) c->workload.total_ns / 1e9);
                }
                printf("\nIPI noise by vector (count, total and largest duration):\n");
                printf("%3s %-22s %8s %12s %10s   %s\n", "CPU", "VECTOR", "COUNT", "TOTAL(us)", "MAX(us)",
                       "/proc/interrupts");
                CPUMAP_FOREACH(cpu, &n->cpus) {
                        const struct noise_cpu *c = noise_acc_cpu(n->acc, (unsigned) cpu);
                        bool any = false;

                        for (unsigned i = 0; i < nvec; i++) {
                                if (!c->vector[i].count)
                                        continue;
                                any = true;
                                printf("%3d %-22s %8" PRIu64 " %12.1f %10.1f   %s +%" PRIu64 "\n", cpu, vecs[i].desc,
                                       c->vector[i].count, us(c->vector[i].total_ns), us(c->vector[i].max_ns),
                                       vecs[i].row, delta_of(n, vecs[i].row, (unsigned) cpu));
                        }
                        for (size_t i = 0; i < c->ndevirqs; i++) {
                                any = true;
                                printf("%3d %-22s %8" PRIu64 " %12.1f %10.1f   (device IRQ)\n", cpu, c->devirqs[i].name,
                                       c->devirqs[i].st.count, us(c->devirqs[i].st.total_ns), us(c->devirqs[i].st.max_ns));
                        }
                        if (!any)
                                printf("%3d %-22s\n", cpu, "(none)");
                }
                printf("\nFunction-call IPIs by the csd callback they ran (irq_work runs none: see the sources below):\n");
                printf("%3s %-22s %8s %12s %10s %9s\n", "CPU", "KIND", "IPIs", "TOTAL(us)", "MAX(us)", "CALLBACKS");
                CPUMAP_FOREACH(cpu, &n->cpus) {
                        const struct noise_cpu *c = noise_acc_cpu(n->acc, (unsigned) cpu);
                        bool any = false;

                        for (int i = 0; i < _IPI_KIND_MAX; i++) {
                                if (!c->kind[i].count && !c->csd_runs[i])
                                        continue;
                                any = true;
                                printf("%3d %-22s %8" PRIu64 " %12.1f %10.1f %9" PRIu64 "\n", cpu, ipi_kind_label(i),
                                       c->kind[i].count, us(c->kind[i].total_ns), us(c->kind[i].max_ns), c->csd_runs[i]);
                        }
                        if (c->unattributed.count) {
                                any = true;
                                printf("%3d %-22s %8" PRIu64 " %12.1f %10.1f\n", cpu, "no csd callback",
                                       c->unattributed.count, us(c->unattributed.total_ns), us(c->unattributed.max_ns));
                        }
                        if (!any)
                                printf("%3d %-22s\n", cpu, "(none)");
                }
                print_sources(n);
        } else {
                printf("\n%3s", "CPU");
                for (size_t i = 0; i < NROWS; i++)
                        printf(" %10s", delta_rows[i]);
                printf("\n");
                CPUMAP_FOREACH(cpu, &n->cpus) {
                        printf("%3d", cpu);
                        for (size_t i = 0; i < NROWS; i++)
                                printf(" %10" PRIu64, delta_of(n, delta_rows[i], (unsigned) cpu));
                        printf("\n");
                }
        }
        CPUMAP_FOREACH(cpu, &n->cpus) {
                uint64_t md[_IPI_KIND_MAX];

                if (!module_delta(n, (unsigned) cpu, md))
                        continue;
                printf("CPU %d module: received", cpu);
                for (int i = 0; i < _IPI_KIND_MAX; i++)
                        printf(" %s %" PRIu64 "%s", ipi_kind_label(i), md[i], i + 1 < _IPI_KIND_MAX ? "," : "\n");
        }
}

static void noise_help(void) {
        printf("Usage: tlbctl noise [-c CPULIST] [-d DURATION] [--workload=user|kernel|none] [--json]\n"
               "\n"
               "Measure OS noise on isolated CPUs with the osnoise tracer (private tracing\n"
               "instance): total and largest noise per CPU, IPI noise by vector, and\n"
               "function-call IPIs attributed to what they carried (user/kernel TLB flush,\n"
               "page-table sync, text poke, other). Without osnoise: /proc/interrupts deltas.\n"
               "\n"
               "  -c, --cpus=CPULIST        CPUs to measure (default: the isolated CPUs)\n"
               "  -d, --duration=DURATION   how long, e.g. 10s, 500ms, 1m (default 10s)\n"
               "  -w, --workload=KIND       user: a user-space busy loop per CPU (default; sees\n"
               "                            user TLB shootdowns); kernel: osnoise's kernel\n"
               "                            threads; none: measure the application already\n"
               "                            running there: the run time of user threads\n"
               "                            pinned to measured CPUs is shown as WORKLOAD,\n"
               "                            every other thread counts as noise\n"
               "  -j, --json                JSON output\n"
               "  -h, --help                this help\n");
}

/* Frees what a measurement allocated (after noise_teardown()). */
static void noise_run_done(struct noise_run *n) {
        if (n->tep)
                tep_free(n->tep);
        noise_acc_free(n->acc);
        attrib_free(n->attrib);
        trace_sources_done(&n->src);
        free(n->workers);
        free(n->saved_cpus);
        free(n->no_osnoise_reason);
        free(n->csd_reason);
        interrupts_free(n->before);
        interrupts_free(n->after);
        interrupts_free(n->delta);
        module_state_done(&n->mod_before);
        module_state_done(&n->mod_after);
}

/* The measurement, with SIGINT/SIGTERM/SIGHUP ending the window early
 * (and only that) while it runs; the workload and the tracing are torn
 * down on every path. */
static int measure_until_stopped(struct noise_run *n) {
        static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
        struct sigaction sa = { .sa_handler = on_stop_signal }, old[3];
        int r;

        stop_requested = 0;
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < 3; i++)
                sigaction(sigs[i], &sa, &old[i]);
        r = measure(n);
        workers_stop(n);
        noise_teardown(n);
        for (int i = 0; i < 3; i++)
                sigaction(sigs[i], &old[i], NULL);
        return r;
}

/* The noise lock (noise-guard.c), or why not on stderr. */
static int noise_lock_or_say(int *ret_fd) {
        _cleanup_free_ char *holder = NULL;
        int r = noise_lock(ret_fd, &holder);

        if (r == -EBUSY)
                tlbctl_error("noise: in use by %s; one measurement at a time (osnoise's settings are global, "
                             "and two workloads on one CPU restart its tick), try again when it has finished",
                             holder);
        else if (r < 0)
                tlbctl_error("noise: cannot take the noise lock: %s", strerror(-r));
        return r;
}

int verb_noise(struct tlbctl *t, int argc, char **argv) {
        static const struct option opts[] = {
                { "cpus",     required_argument, NULL, 'c' },
                { "duration", required_argument, NULL, 'd' },
                { "workload", required_argument, NULL, 'w' },
                { "json",     no_argument,       NULL, 'j' },
                { "help",     no_argument,       NULL, 'h' },
                {}
        };
        struct noise_run n = { .t = t, .json = t->json, .duration_usec = 10 * USEC_PER_SEC,
                               .saved_workload = -1, .wl = WL_USER };
        _cleanup_close_ int lock_fd = -EBADF;
        bool have_cpus = false;
        int c, r, rc = EXIT_OK;

        while ((c = getopt_long(argc, argv, "c:d:w:jh", opts, NULL)) >= 0)
                switch (c) {
                case 'c':
                        if (parse_user_cpulist(t, "noise", optarg, &n.cpus) < 0)
                                return EXIT_USAGE;
                        have_cpus = true;
                        break;
                case 'd':
                        if (parse_duration(optarg, &n.duration_usec) < 0 || n.duration_usec == 0 ||
                            n.duration_usec > 24 * 3600 * USEC_PER_SEC)
                                return usage_error("noise", "bad duration '%s' (e.g. 10s, 500ms, 2m)", optarg);
                        break;
                case 'w':
                        if (streq(optarg, "user"))
                                n.wl = WL_USER;
                        else if (streq(optarg, "kernel"))
                                n.wl = WL_KERNEL;
                        else if (streq(optarg, "none"))
                                n.wl = WL_NONE;
                        else
                                return usage_error("noise", "bad workload '%s' (user, kernel or none)", optarg);
                        break;
                case 'j':
                        n.json = true;
                        break;
                case 'h':
                        noise_help();
                        return EXIT_OK;
                default:
                        return usage_error("noise", "bad option");
                }
        if (optind < argc)
                return usage_error("noise", "unexpected argument '%s'", argv[optind]);
        if (!have_cpus) {
                n.cpus = t->iso.isolated;
                if (cpumap_is_empty(&n.cpus)) {
                        tlbctl_error("noise: no CPU is isolated; name the CPUs to measure with -c CPULIST");
                        return EXIT_FAIL;
                }
        }
        if (!cpumap_is_subset(&n.cpus, &t->facts.sys.online)) {
                tlbctl_error("noise: CPUs to measure must be online");
                return EXIT_FAIL;
        }
        if (t->fixture_root) {
                tlbctl_error("noise: measures this machine; unset TLBISOL_ROOT");
                return EXIT_FAIL;
        }
        if (geteuid() != 0) {
                tlbctl_error("noise: needs root (tracefs and osnoise)");
                return EXIT_FAIL;
        }

        if (noise_lock_or_say(&lock_fd) < 0)
                return EXIT_FAIL;
        if (n.wl == WL_USER)
                noise_warn_pinned(t, &n.cpus);

        r = measure_until_stopped(&n);
        if (r < 0) {
                tlbctl_error("noise: measurement failed: %s", strerror(-r));
                rc = EXIT_FAIL;
        } else if (n.json) {
                if (json_envelope_print(json_envelope_new("noise"), noise_json(&n), stdout) < 0)
                        rc = EXIT_FAIL;
        } else {
                noise_print(&n);
                if (fflush(stdout) != 0)
                        rc = EXIT_FAIL;
        }

        noise_run_done(&n);
        return rc;
}

/* ---- entry point for other verbs ('tlbctl check --noise') ---- */

int noise_summarize(const struct tlbctl *t, const struct cpumap *cpus, uint64_t duration_usec,
                    struct noise_summary *out) {
        struct noise_run n = { .t = t, .cpus = *cpus, .duration_usec = duration_usec,
                               .saved_workload = -1, .wl = WL_USER };
        _cleanup_close_ int lock_fd = -EBADF;
        int cpu, r;

        *out = (struct noise_summary) {};
        if (t->fixture_root)
                return -EPERM;
        r = noise_lock_or_say(&lock_fd);
        if (r < 0)
                return r;
        r = measure_until_stopped(&n);

        if (r >= 0) {
                out->window_usec = n.measured_usec;
                out->osnoise = n.osnoise;
                out->interrupted = n.interrupted;
                if (n.no_osnoise_reason)
                        out->no_osnoise_reason = strdup(n.no_osnoise_reason);
                out->ncpus = t->facts.sys.ncpus;
                out->cpu = calloc(out->ncpus ? out->ncpus : 1, sizeof(*out->cpu));
                if (!out->cpu || (n.no_osnoise_reason && !out->no_osnoise_reason))
                        r = -ENOMEM;
        }
        if (r >= 0)
                CPUMAP_FOREACH(cpu, &n.cpus) {
                        struct noise_summary_cpu *c = &out->cpu[cpu];

                        c->measured = true;
                        for (size_t i = 0; n.delta && i < n.delta->nrows; i++)
                                if (n.delta->rows[i].per_cpu)
                                        c->interrupts += irq_row_count(&n.delta->rows[i], (unsigned) cpu);
                        if (n.osnoise)
                                c->max_noise_ns = noise_acc_cpu(n.acc, (unsigned) cpu)->max_ns;
                }

        noise_run_done(&n);
        if (r < 0)
                noise_summary_done(out);
        return r;
}

void noise_summary_done(struct noise_summary *s) {
        free(s->no_osnoise_reason);
        free(s->cpu);
        *s = (struct noise_summary) {};
}
