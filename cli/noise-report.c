/* noise-report.c — the result of a 'tlbctl noise' measurement, as JSON
 * (the "noise" data of cli/tlbctl-output.schema.json) or as text: noise
 * per CPU, IPI noise by vector, function-call IPIs by the csd callback
 * they ran, interrupts by source (lib/attrib.h) with their remedies, or
 * without osnoise the /proc/interrupts deltas; the module's counts when
 * it is loaded. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "attrib-json.h"
#include "interrupts.h"
#include "ipikind.h"
#include "json-out.h"
#include "noise.h"
#include "util.h"

static const char *const delta_rows[] = { "CAL", "TLB", "RES", "LOC", "IWI" };
#define NROWS ELEMENTSOF(delta_rows)

static const char *const workload_names[] = { "user", "kernel", "none" };

/* ---- what both show ---- */

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

/* Share of the window spent in noise, in percent (measured_usec not 0). */
static double noise_pct(const struct noise_run *n, const struct noise_cpu *c) {
        return 100.0 * (double) c->total_ns / ((double) n->measured_usec * 1000.0);
}

static const char *sources_reason(const struct noise_run *n) {
        return n->src.reason ? n->src.reason : "not traced";
}

/* ---- JSON ---- */

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

/* The command the window ran ('-- COMMAND'), or null. */
static struct json_object *json_command(const struct noise_run *n) {
        struct json_object *o, *argv;
        char why[64];

        if (!n->cmd)
                return NULL;
        o = json_object_new_object();
        argv = json_object_new_array();
        for (char **a = n->cmd; *a; a++)
                json_object_array_add(argv, json_object_new_string(*a));
        json_object_object_add(o, "argv", argv);
        json_object_object_add(o, "outcome", json_object_new_string(noise_cmd_outcome(n, why)));
        json_object_object_add(o, "exit_status", n->cmd_exited && !n->cmd_stopped && WIFEXITED(n->cmd_status) ?
                               json_object_new_int(WEXITSTATUS(n->cmd_status)) : NULL);
        return o;
}

struct json_object *noise_json(const struct noise_run *n) {
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
        json_object_object_add(o, "command", json_command(n));
        json_object_object_add(o, "csd_events", json_object_new_boolean(n->osnoise && n->csd && n->have_ksyms));
        json_object_object_add(o, "csd_reason", n->osnoise && n->csd_reason ?
                               json_object_new_string(n->csd_reason) : NULL);
        json_object_object_add(o, "lost_events", n->osnoise ? json_u64(n->lost) : NULL);
        json_object_object_add(o, "sources_reason", n->osnoise && !n->src.enabled ?
                               json_object_new_string(sources_reason(n)) : NULL);
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
                        json_object_object_add(e, "noise_pct", n->measured_usec ? json_rate(noise_pct(n, c)) : NULL);
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

/* ---- text ---- */

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
                printf("\nInterrupts by source: not available (%s)\n", sources_reason(n));
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

void noise_print(const struct noise_run *n) {
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
        if (n->cmd) {
                char why[64];

                printf("window: while '%s' ran (%s)\n", n->cmd[0], noise_cmd_outcome(n, why));
        }
        if (n->lost)
                printf("warning: %" PRIu64 " trace events were lost (buffer overrun); figures are low\n", n->lost);

        if (n->osnoise) {
                printf("\n%3s %12s %10s %7s  %8s %8s %8s %8s %12s\n", "CPU", "NOISE(us)", "MAX(us)", "NOISE%",
                       "IRQ", "SOFTIRQ", "NMI", "THREAD", "WORKLOAD(s)");
                CPUMAP_FOREACH(cpu, &n->cpus) {
                        const struct noise_cpu *c = noise_acc_cpu(n->acc, (unsigned) cpu);

                        printf("%3d %12.1f %10.1f %7.4f  %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %12.3f\n",
                               cpu, us(c->total_ns), us(c->max_ns),
                               n->measured_usec ? noise_pct(n, c) : 0.0,
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
