/* osnoise-decode.c — see osnoise-decode.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "osnoise-decode.h"
#include "util.h"

struct noise_acc {
        struct cpumap cpus;
        int *workload;                  /* thread ids */
        size_t nworkload;
        uint64_t win_start, win_end;    /* win_end 0: no window */
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
        free(a->workload);
        free(a);
}

void noise_acc_set_window(struct noise_acc *a, uint64_t start_ns, uint64_t end_ns) {
        a->win_start = start_ns;
        a->win_end = end_ns;
}

static bool is_workload(const struct noise_acc *a, int pid) {
        for (size_t i = 0; i < a->nworkload; i++)
                if (a->workload[i] == pid)
                        return true;
        return false;
}

int noise_acc_workload_pid(struct noise_acc *a, int pid) {
        int *n;

        if (is_workload(a, pid))
                return 0;
        n = realloc(a->workload, (a->nworkload + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        a->workload = n;
        a->workload[a->nworkload++] = pid;
        return 0;
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
        if (a->win_end) {
                if (ev->ts < a->win_start || ev->ts > a->win_end)
                        return 0;
                if (ev->duration > ev->ts - a->win_start) {     /* began before */
                        clipped = *ev;
                        clipped.duration = ev->ts - a->win_start;
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
                if (is_workload(a, ev->pid)) {
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

static const char *skip_ws(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

/* "123.456789" or "123.456780123" -> ns */
static int parse_time(const char *p, const char **end, uint64_t *ns) {
        uint64_t s = 0, frac = 0;
        unsigned digits = 0;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        while (*p >= '0' && *p <= '9')
                s = s * 10 + (uint64_t) (*p++ - '0');
        if (*p != '.')
                return -EINVAL;
        p++;
        while (*p >= '0' && *p <= '9') {
                if (digits < 9) {
                        frac = frac * 10 + (uint64_t) (*p - '0');
                        digits++;
                }
                p++;
        }
        if (digits == 0)
                return -EINVAL;
        for (; digits < 9; digits++)
                frac *= 10;
        *ns = s * UINT64_C(1000000000) + frac;
        *end = p;
        return 0;
}

static int parse_num(const char *p, const char **end, uint64_t *v) {
        char *e;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        errno = 0;
        *v = strtoull(p, &e, 10);
        if (errno)
                return -ERANGE;
        *end = e;
        return 0;
}

/* "start S.NNNNNNNNN duration D ns" */
static int parse_start_duration(const char *p, struct noise_event *ev) {
        p = skip_ws(p);
        if (strncmp(p, "start ", 6) != 0 || parse_time(p + 6, &p, &ev->start) < 0)
                return -EINVAL;
        p = skip_ws(p);
        if (strncmp(p, "duration ", 9) != 0 || parse_num(p + 9, &p, &ev->duration) < 0)
                return -EINVAL;
        return strncmp(p, " ns", 3) == 0 ? 0 : -EINVAL;
}

/* "NAME:NUM start ..." where NAME may contain ':' (take the last one
 * before " start"); NAME is copied to buf. */
static int parse_named(const char *p, struct noise_event *ev, char *buf, size_t buflen,
                       bool is_pid) {
        const char *st = strstr(p, " start "), *colon = NULL;
        uint64_t n;
        size_t len;

        if (!st)
                return -EINVAL;
        for (const char *q = p; q < st; q++)
                if (*q == ':')
                        colon = q;
        if (!colon)
                return -EINVAL;
        p = skip_ws(p);
        len = (size_t) (colon - p);
        if (len >= buflen)
                return -EINVAL;
        memcpy(buf, p, len);
        buf[len] = 0;
        ev->name = buf;
        if (parse_num(colon + 1, &p, &n) < 0 || p != st || n > INT32_MAX)
                return -EINVAL;
        if (is_pid)
                ev->pid = (int) n;
        else
                ev->vector = (int) n;
        return parse_start_duration(st, ev);
}

int noise_event_parse_line(const char *line, struct noise_event *ev, char *buf, size_t buflen) {
        struct noise_event e = { 0 };
        const char *p, *name, *payload;
        uint64_t cpu;
        size_t namelen;
        int r;

        if (!line || !buf || buflen == 0)
                return -EINVAL;
        p = skip_ws(line);
        if (*p == '#' || *p == 0)
                return 0;
        /* "comm-pid [CPU] flags TS: event: payload"; comm may hold blanks */
        p = strstr(p, " [");
        if (!p)
                return 0;
        if (parse_num(p + 2, &p, &cpu) < 0 || *p != ']' || cpu >= CPUMAP_MAX_CPUS)
                return 0;
        e.cpu = (unsigned) cpu;
        p = skip_ws(p + 1);
        if (parse_time(p, &name, &e.ts) < 0) {  /* a flags field first */
                const char *flags = p;

                p = strchr(p, ' ');
                if (!p || parse_time(skip_ws(p), &name, &e.ts) < 0)
                        return 0;
                /* "d.h1.": the third column is h (hardirq) or H (hardirq
                 * in softirq) inside an interrupt */
                if (p - flags >= 3 && flags[2] != 'h' && flags[2] != 'H')
                        e.not_in_irq = true;
        }
        if (*name != ':')
                return 0;
        name = skip_ws(name + 1);
        payload = strchr(name, ':');
        if (!payload)
                return 0;
        namelen = (size_t) (payload - name);
        payload++;

#define IS(s) (namelen == strlen(s) && strncmp(name, s, namelen) == 0)
        if (IS("irq_noise")) {
                e.type = NOISE_EV_IRQ;
                r = parse_named(payload, &e, buf, buflen, false);
        } else if (IS("softirq_noise")) {
                e.type = NOISE_EV_SOFTIRQ;
                r = parse_named(payload, &e, buf, buflen, false);
        } else if (IS("thread_noise")) {
                e.type = NOISE_EV_THREAD;
                r = parse_named(payload, &e, buf, buflen, true);
        } else if (IS("nmi_noise")) {
                e.type = NOISE_EV_NMI;
                r = parse_start_duration(payload, &e);
        } else if (IS("csd_function_entry")) {
                const char *f = strstr(payload, "func=");
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
#undef IS
        if (r < 0)
                return r;
        *ev = e;
        return 1;
}
