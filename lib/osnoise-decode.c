/* osnoise-decode.c — see osnoise-decode.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "measure-window.h"
#include "osnoise-decode.h"
#include "trace-text.h"
#include "util.h"

struct noise_acc {
        struct cpumap cpus;
        struct measure_window win;
        struct noise_cpu **cpu;         /* indexed by CPU, NULL if not measured */
        unsigned ncpu;                  /* entries in cpu[] */
};

_Static_assert(NOISE_VECTORS_MAX >= 11, "ipi_vectors() fits");

int noise_acc_new(const struct cpumap *cpus, struct noise_acc **ret) {
        struct noise_acc *a;
        int c, last = cpumap_last(cpus);

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->cpus = *cpus;
        a->ncpu = last < 0 ? 0 : (unsigned) last + 1;
        a->cpu = calloc(a->ncpu ? a->ncpu : 1, sizeof(*a->cpu));
        if (!a->cpu)
                goto oom;
        CPUMAP_FOREACH(c, cpus) {
                a->cpu[c] = calloc(1, sizeof(struct noise_cpu));
                if (!a->cpu[c])
                        goto oom;
                a->cpu[c]->cpu = (unsigned) c;
        }
        *ret = a;
        return 0;
oom:
        noise_acc_free(a);
        return -ENOMEM;
}

static void named_free(struct noise_named *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

void noise_acc_free(struct noise_acc *a) {
        if (!a)
                return;
        for (unsigned i = 0; i < a->ncpu; i++) {
                if (!a->cpu[i])
                        continue;
                named_free(a->cpu[i]->devirqs, a->cpu[i]->ndevirqs);
                named_free(a->cpu[i]->threads, a->cpu[i]->nthreads);
                free(a->cpu[i]);
        }
        free(a->cpu);
        measure_window_done(&a->win);
        free(a);
}

void noise_acc_set_window(struct noise_acc *a, uint64_t start_ns, uint64_t end_ns) {
        measure_window_set(&a->win, start_ns, end_ns);
}

int noise_acc_workload_pid(struct noise_acc *a, int pid) {
        return measure_window_add_workload(&a->win, pid);
}

static void stat_add(struct noise_stat *s, uint64_t d) {
        s->count++;
        s->total_ns += d;
        if (d > s->max_ns)
                s->max_ns = d;
}

static int named_add(struct noise_named **v, size_t *n, const char *name, uint64_t d) {
        struct noise_named *nv;

        if (!name || !*name)
                name = "?";
        for (size_t i = 0; i < *n; i++)
                if (streq((*v)[i].name, name)) {
                        stat_add(&(*v)[i].st, d);
                        return 0;
                }
        nv = realloc(*v, (*n + 1) * sizeof(**v));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[*n] = (struct noise_named) { .name = strdup(name) };
        if (!nv[*n].name)
                return -ENOMEM;
        stat_add(&nv[*n].st, d);
        (*n)++;
        return 0;
}

static void noise_add(struct noise_cpu *c, uint64_t d) {
        c->total_ns += d;
        if (d > c->max_ns)
                c->max_ns = d;
}

/* end: the IPI's exit time on the ring-buffer clock; d its duration */
static void attribute_call_function(struct noise_cpu *c, uint64_t end, uint64_t d) {
        uint64_t hi = end + NOISE_CSD_SLACK_NS;
        bool first = true;
        size_t keep = 0;

        for (size_t i = 0; i < c->npending; i++) {
                const struct noise_pending *p = &c->pending[i];

                if (p->ts > hi) {               /* belongs to a later IPI */
                        c->pending[keep++] = *p;
                        continue;
                }
                c->csd_runs[p->kind]++;
                if (first)
                        stat_add(&c->kind[p->kind], d);
                first = false;
        }
        c->npending = keep;
        if (first)
                stat_add(&c->unattributed, d);
}

int noise_acc_add(struct noise_acc *a, const struct noise_event *ev) {
        struct noise_cpu *c;
        const struct ipi_vector *v;

        struct noise_event clipped;

        if (ev->cpu >= a->ncpu || !a->cpu[ev->cpu])
                return 0;
        c = a->cpu[ev->cpu];
        if (!measure_window_has(&a->win, ev->ts))
                return 0;
        if (a->win.end_ns) {
                if (ev->duration > ev->ts - a->win.start_ns) {  /* began before */
                        clipped = *ev;
                        clipped.duration = ev->ts - a->win.start_ns;
                        ev = &clipped;
                }
        }

        switch (ev->type) {
        case NOISE_EV_IRQ:
                stat_add(&c->irq, ev->duration);
                noise_add(c, ev->duration);
                v = ipi_vector_by_desc(ev->name);
                if (v) {
                        stat_add(&c->vector[ipi_vector_index(v)], ev->duration);
                        if (v->call_function)
                                attribute_call_function(c, ev->ts, ev->duration);
                        return 0;
                }
                stat_add(&c->device_irq, ev->duration);
                return named_add(&c->devirqs, &c->ndevirqs, ev->name, ev->duration);
        case NOISE_EV_SOFTIRQ:
                stat_add(&c->softirq, ev->duration);
                noise_add(c, ev->duration);
                return 0;
        case NOISE_EV_NMI:
                stat_add(&c->nmi, ev->duration);
                noise_add(c, ev->duration);
                return 0;
        case NOISE_EV_THREAD:
                if (ev->pid == 0)
                        return 0;
                if (measure_window_is_workload(&a->win, ev->pid)) {
                        stat_add(&c->workload, ev->duration);
                        return 0;
                }
                stat_add(&c->thread, ev->duration);
                noise_add(c, ev->duration);
                return named_add(&c->threads, &c->nthreads, ev->name, ev->duration);
        case NOISE_EV_CSD_ENTRY:
                c->csd_events++;
                if (ev->not_in_irq) {           /* ran locally, not in an IPI */
                        c->csd_local++;
                        return 0;
                }
                if (c->npending == NOISE_PENDING_MAX) {  /* oldest never got an IPI */
                        memmove(c->pending, c->pending + 1,
                                (NOISE_PENDING_MAX - 1) * sizeof(c->pending[0]));
                        c->npending--;
                }
                c->pending[c->npending++] = (struct noise_pending) {
                        .ts = ev->ts, .kind = ipi_kind_from_func(ev->name),
                };
                return 0;
        case NOISE_EV_SAMPLE:
                c->nsamples++;
                c->sample_runtime_ns += ev->runtime;
                c->sample_noise_ns += ev->noise;
                if (ev->max_sample > c->sample_max_ns)
                        c->sample_max_ns = ev->max_sample;
                return 0;
        }
        return -EINVAL;
}

void noise_acc_finish(struct noise_acc *a) {
        for (unsigned i = 0; i < a->ncpu; i++) {
                struct noise_cpu *c = a->cpu[i];

                if (!c)
                        continue;
                c->npending = 0;
                /* The kernel workload's own accounting is the reference
                 * when there is one: it also sees noise no event reports. */
                if (c->nsamples) {
                        c->total_ns = c->sample_noise_ns;
                        if (c->sample_max_ns > c->max_ns)
                                c->max_ns = c->sample_max_ns;
                }
        }
}

const struct noise_cpu *noise_acc_cpu(const struct noise_acc *a, unsigned cpu) {
        return cpu < a->ncpu ? a->cpu[cpu] : NULL;
}

const struct cpumap *noise_acc_cpus(const struct noise_acc *a) {
        return &a->cpus;
}

/* ---- text traces ---- */

/* "NAME:NUM start ..." (named) or "start ..."; NAME (trimmed) copied to buf */
static int parse_noise(const char *payload, struct noise_event *ev, bool named, bool is_pid, char *buf,
                       size_t buflen) {
        struct trace_noise tn;

        if (trace_text_noise(payload, named, &tn) < 0)
                return -EINVAL;
        ev->start = tn.start_ns;
        ev->duration = tn.duration_ns;
        if (!named)
                return 0;
        if (tn.name_len >= buflen)
                return -EINVAL;
        memcpy(buf, tn.name, tn.name_len);
        buf[tn.name_len] = 0;
        ev->name = buf;
        if (is_pid)
                ev->pid = tn.num;
        else
                ev->vector = tn.num;
        return 0;
}

int noise_event_parse_line(const char *line, struct noise_event *ev, char *buf, size_t buflen) {
        struct noise_event e = { 0 };
        struct trace_line l;
        int r;

        if (!line || !buf || buflen == 0)
                return -EINVAL;
        if (trace_text_line(line, &l) <= 0)
                return 0;
        e.cpu = l.cpu;
        e.ts = l.ts;
        e.not_in_irq = l.has_flags && !l.in_hardirq;

        if (trace_line_is(&l, "irq_noise")) {
                e.type = NOISE_EV_IRQ;
                r = parse_noise(l.payload, &e, true, false, buf, buflen);
        } else if (trace_line_is(&l, "softirq_noise")) {
                e.type = NOISE_EV_SOFTIRQ;
                r = parse_noise(l.payload, &e, true, false, buf, buflen);
        } else if (trace_line_is(&l, "thread_noise")) {
                e.type = NOISE_EV_THREAD;
                r = parse_noise(l.payload, &e, true, true, buf, buflen);
        } else if (trace_line_is(&l, "nmi_noise")) {
                e.type = NOISE_EV_NMI;
                r = parse_noise(l.payload, &e, false, false, buf, buflen);
        } else if (trace_line_is(&l, "csd_function_entry")) {
                const char *f = strstr(l.payload, "func=");
                size_t len;

                e.type = NOISE_EV_CSD_ENTRY;
                if (!f)
                        return -EINVAL;
                f += 5;
                len = strcspn(f, ", ");
                if (len == 0 || len >= buflen)
                        return -EINVAL;
                memcpy(buf, f, len);
                buf[len] = 0;
                e.name = buf;
                r = 0;
        } else
                return 0;
        if (r < 0)
                return r;
        *ev = e;
        return 1;
}
