/* attrib.c — see attrib.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "ipikind.h"
#include "measure-window.h"
#include "util.h"

/* One stored record; strings are interned (struct attrib owns them). */
struct rec {
        uint64_t ts;
        uint64_t duration;
        uint64_t csd;
        size_t seq;             /* order of arrival: ties keep per-CPU order */
        enum attrib_type type;
        unsigned cpu;           /* writer */
        unsigned target;        /* IPI_SEND (one rec per measured target), CSD_QUEUE, WAKING */
        int pid, num;
        bool in_hardirq, in_softirq;
        bool counted;           /* receive side, inside the window */
        const char *comm, *name, *callsite, *origin;
};

/* A send or a queued function waiting for its interrupt on a target. */
struct pending {
        uint64_t ts;
        const char *vector;     /* sends: the osnoise desc of the vector they raise */
        unsigned sender_cpu;
        int sender_pid;
        const char *sender, *site, *origin, *func;
        uint64_t csd;
        const char *woken, *waker;
        int woken_pid;
};

struct queue {
        struct pending *v;
        size_t n, cap;
};

struct waking {                 /* last sched_waking written on a CPU */
        uint64_t ts;
        unsigned target;
        int waker_pid, wakee_pid;
        const char *wakee, *waker;
        bool valid;
};

/* A tick waiting for the timer:tick_stop its interrupt exit writes. */
struct held_tick {
        struct attrib_group key;
        uint64_t duration;
        bool valid, counted;
};

struct target {
        struct attrib_cpu out;
        struct held_tick tick;
        int tick_dep;           /* dependency of the last timer:tick_stop here; 0 after a stop */
        struct queue sends, csds;
        const char *timers[8];  /* hrtimer functions since the last local_timer */
        size_t ntimers;
        size_t groups_cap;
};

struct attrib {
        struct cpumap cpus;
        struct target **t;      /* by CPU; NULL if not measured */
        unsigned ncpu;
        struct measure_window win;
        struct rec *recs;
        size_t nrecs, recs_cap;
        size_t last_send_first, last_send_end;  /* recs of the last send, for its STACK */
        unsigned last_send_cpu;
        bool have_last_send;
        char **strs;            /* interned strings: open addressing */
        size_t nstrs, strs_cap;
        struct waking *wakings; /* by writer CPU */
        unsigned nwakings;
        bool counting;          /* the record being matched is counted */
        bool tick_stop_traced;
        uint64_t round_start;   /* end of the last round (ns); 0 before the first */
        bool advanced;          /* attrib_advance() ran: results readable */
        bool finished;
        size_t seq;             /* records added so far */
};

static const char *const kind_names[_ATTRIB_KIND_MAX] = {
        [ATTRIB_IPI] = "ipi", [ATTRIB_TICK] = "tick", [ATTRIB_TIMER] = "timer",
        [ATTRIB_DEVICE] = "device_irq", [ATTRIB_SOFTIRQ] = "softirq", [ATTRIB_NMI] = "nmi",
        [ATTRIB_THREAD] = "thread",
};

const char *attrib_kind_name(enum attrib_kind k) {
        return (unsigned) k < _ATTRIB_KIND_MAX ? kind_names[k] : NULL;
}

/* include/linux/interrupt.h, enum { HI_SOFTIRQ = 0, ... } */
static const char *const softirq_names[] = {
        "HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU",
};

const char *attrib_softirq_name(int vector) {
        return vector >= 0 && (size_t) vector < ELEMENTSOF(softirq_names) ? softirq_names[vector] : "?";
}

/* ---- strings ---- */

static uint64_t str_hash(const char *s) {
        uint64_t h = 1469598103934665603ull;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ull;
        return h;
}

static int intern_grow(struct attrib *a) {
        size_t cap = a->strs_cap ? a->strs_cap * 2 : 256;
        char **n = calloc(cap, sizeof(*n));

        if (!n)
                return -ENOMEM;
        for (size_t i = 0; i < a->strs_cap; i++) {
                size_t j;

                if (!a->strs[i])
                        continue;
                for (j = str_hash(a->strs[i]) & (cap - 1); n[j]; j = (j + 1) & (cap - 1))
                        ;
                n[j] = a->strs[i];
        }
        free(a->strs);
        a->strs = n;
        a->strs_cap = cap;
        return 0;
}

/* NULL stays NULL; *out NULL only on -ENOMEM. */
static int intern(struct attrib *a, const char *s, const char **out) {
        size_t j;

        *out = NULL;
        if (!s)
                return 0;
        if ((a->nstrs + 1) * 2 > a->strs_cap && intern_grow(a) < 0)
                return -ENOMEM;
        for (j = str_hash(s) & (a->strs_cap - 1); a->strs[j]; j = (j + 1) & (a->strs_cap - 1))
                if (streq(a->strs[j], s)) {
                        *out = a->strs[j];
                        return 0;
                }
        a->strs[j] = strdup(s);
        if (!a->strs[j])
                return -ENOMEM;
        a->nstrs++;
        *out = a->strs[j];
        return 0;
}

/* ---- life cycle ---- */

int attrib_new(const struct cpumap *cpus, struct attrib **ret) {
        struct attrib *a = calloc(1, sizeof(*a));
        int c, last = cpumap_last(cpus);

        if (!a)
                return -ENOMEM;
        a->cpus = *cpus;
        a->ncpu = last < 0 ? 0 : (unsigned) last + 1;
        a->t = calloc(a->ncpu ? a->ncpu : 1, sizeof(*a->t));
        if (!a->t)
                goto oom;
        CPUMAP_FOREACH(c, cpus) {
                a->t[c] = calloc(1, sizeof(struct target));
                if (!a->t[c])
                        goto oom;
                a->t[c]->out.cpu = (unsigned) c;
        }
        *ret = a;
        return 0;
oom:
        attrib_free(a);
        return -ENOMEM;
}

void attrib_free(struct attrib *a) {
        if (!a)
                return;
        for (unsigned i = 0; i < a->ncpu; i++)
                if (a->t[i]) {
                        free(a->t[i]->sends.v);
                        free(a->t[i]->csds.v);
                        free(a->t[i]->out.groups);
                        free(a->t[i]);
                }
        free(a->t);
        for (size_t i = 0; i < a->strs_cap; i++)
                free(a->strs[i]);
        free(a->strs);
        free(a->recs);
        free(a->wakings);
        measure_window_done(&a->win);
        free(a);
}

void attrib_set_window(struct attrib *a, uint64_t start_ns, uint64_t end_ns) {
        measure_window_set(&a->win, start_ns, end_ns);
}

void attrib_tick_stop_traced(struct attrib *a, bool traced) {
        a->tick_stop_traced = traced;
}

int attrib_workload_pid(struct attrib *a, int pid) {
        return measure_window_add_workload(&a->win, pid);
}

static bool measured(const struct attrib *a, unsigned cpu) {
        return cpu < a->ncpu && a->t[cpu];
}

/* ---- adding records ---- */

static struct rec *rec_new(struct attrib *a) {
        if (a->nrecs == a->recs_cap) {
                size_t cap = a->recs_cap ? a->recs_cap * 2 : 1024;
                struct rec *n = realloc(a->recs, cap * sizeof(*n));

                if (!n)
                        return NULL;
                a->recs = n;
                a->recs_cap = cap;
        }
        a->recs[a->nrecs] = (struct rec) { .seq = a->seq++ };
        return &a->recs[a->nrecs++];
}

/* Frames that only carry an IPI, a wake-up or a flush along: the origin is
 * the first frame of the stack that is none of these. */
static const char *const plumbing[] = {
        "trace_event_raw_event_", "perf_trace_", "__traceiter_", "__bpf_trace_", "trace_",
        "event_triggers_", "__smp_call_single_queue", "smp_call_function", "generic_exec_single",
        "on_each_cpu", "irq_work_queue", "__irq_work_queue", "irq_work_raise", "send_call_function",
        "native_send_call_func", "native_smp_send_reschedule", "arch_send_call_function",
        "resched_curr", "__resched_curr", "resched_cpu", "wakeup_preempt", "check_preempt", "try_to_wake_up", "ttwu_",
        "wake_up_", "__wake_up", "autoremove_wake_function", "default_wake_function",
        "woken_wake_function", "pollwake", "swake_up", "rcuwait_wake_up", "kick_process",
        "text_poke", "smp_text_poke", "__static_call", "arch_static_call", "arch_jump_label",
        "__jump_label", "jump_label_", "static_key_", "__static_key_",
        "flush_tlb_", "__flush_tlb", "native_flush_tlb", "tlb_remove_table", "tlb_flush",
        "tick_nohz_full_kick", "tick_nohz_dep_set", "tick_dep_set", "tick_nohz_kick",
        "add_timer", "__mod_timer", "mod_timer", "timer_reduce",
        "rt_mutex_", "rtlock_", "rt_spin_", "__rt_mutex", "mark_wakeup_next_waiter",
        "_raw_spin_", "raw_spin_", "__lock_", "queued_spin",
};

static bool is_plumbing(const char *f) {
        for (size_t i = 0; i < ELEMENTSOF(plumbing); i++)
                if (strncmp(f, plumbing[i], strlen(plumbing[i])) == 0)
                        return true;
        return false;
}

/* Origins shared by paths a person acts on differently: the caller names
 * the path, and its caller in turn. __purge_vmap_area_lazy flushes for the
 * lazy purge (drain work, reclaim: tlbisol.ko defers it) and for
 * _vm_unmap_aliases(), which runs for vfree() of module/BPF memory
 * (vm_reset_perms(): deferred too) and for set_memory_* (CPA, through
 * vm_unmap_aliases(), a tail call: not deferred). */
static const struct { const char *frame, *caller; } told_by_caller[] = {
        { "__purge_vmap_area_lazy", "_vm_unmap_aliases" },
        { "_vm_unmap_aliases", "vfree" },
        { "_vm_unmap_aliases", "vm_reset_perms" },
};

/* f is a frame of function sym, or of one of its compiler clones
 * (sym.part.0, sym.constprop.0, ...) */
static bool frame_is(const char *f, const char *sym) {
        size_t n = strlen(sym);

        return f && strncmp(f, sym, n) == 0 && strchr("+ \t.", f[n]);
}

static int add_stack(struct attrib *a, const struct attrib_event *ev) {
        const char *origin = NULL, *o;
        char sym[128];

        if (!a->have_last_send || a->last_send_cpu != ev->cpu)
                return 0;               /* a stack of nothing we kept */
        a->have_last_send = false;
        for (size_t i = 0; i < ev->nframes; i++)
                if (ev->frames[i] && !is_plumbing(ev->frames[i])) {
                        origin = ev->frames[i];
                        for (size_t t = 0; t < ELEMENTSOF(told_by_caller); t++)
                                if (i + 1 < ev->nframes && frame_is(origin, told_by_caller[t].frame) &&
                                    frame_is(ev->frames[i + 1], told_by_caller[t].caller)) {
                                        origin = ev->frames[++i];
                                        t = (size_t) -1;        /* and its caller in turn */
                                }
                        break;
                }
        if (!origin)
                return 0;
        /* the function, without offset or clone suffix (vfree.part.0: vfree) */
        snprintf(sym, sizeof(sym), "%.*s", (int) strcspn(origin, "+ \t."), origin);
        if (intern(a, sym, &o) < 0)
                return -ENOMEM;
        for (size_t i = a->last_send_first; i < a->last_send_end; i++)
                a->recs[i].origin = o;
        return 0;
}

int attrib_add(struct attrib *a, const struct attrib_event *ev) {
        const char *comm, *name, *callsite;
        size_t first = a->nrecs;
        struct rec *r;
        int c;

        if (a->finished)
                return -EINVAL;
        switch (ev->type) {
        case ATTRIB_EV_STACK:
                return add_stack(a, ev);
        case ATTRIB_EV_IRQ: case ATTRIB_EV_SOFTIRQ: case ATTRIB_EV_NMI:
        case ATTRIB_EV_THREAD: case ATTRIB_EV_CSD_ENTRY: case ATTRIB_EV_TIMER:
        case ATTRIB_EV_TICK_STOP:
                if (!measured(a, ev->cpu))
                        return 0;
                break;
        case ATTRIB_EV_CSD_QUEUE: case ATTRIB_EV_WAKING:
                if (!measured(a, ev->target) && ev->type == ATTRIB_EV_CSD_QUEUE)
                        return 0;
                break;
        case ATTRIB_EV_IPI_SEND:
                if (!ev->targets)
                        return -EINVAL;
                break;
        default:
                return -EINVAL;
        }
        if (intern(a, ev->comm, &comm) < 0 || intern(a, ev->callsite, &callsite) < 0)
                return -ENOMEM;
        if (ev->name && (ev->type == ATTRIB_EV_IPI_SEND || ev->type == ATTRIB_EV_CSD_QUEUE ||
                         ev->type == ATTRIB_EV_CSD_ENTRY || ev->type == ATTRIB_EV_TIMER)) {
                char sym[128];          /* a function: "sym+0x0/0x20" -> "sym" */

                snprintf(sym, sizeof(sym), "%.*s", (int) strcspn(ev->name, "+ \t"), ev->name);
                if (intern(a, sym, &name) < 0)
                        return -ENOMEM;
        } else if (intern(a, ev->name, &name) < 0)
                return -ENOMEM;
        a->have_last_send = false;
        if (ev->type == ATTRIB_EV_IPI_SEND) {
                CPUMAP_FOREACH(c, &a->cpus) {
                        if (!cpumap_test(ev->targets, (unsigned) c))
                                continue;
                        r = rec_new(a);
                        if (!r)
                                return -ENOMEM;
                        *r = (struct rec) { .seq = r->seq, .type = ev->type, .ts = ev->ts, .cpu = ev->cpu,
                                .target = (unsigned) c, .pid = ev->pid, .comm = comm, .name = name,
                                .callsite = callsite, .num = (int) cpumap_count(ev->targets),
                                .in_hardirq = ev->in_hardirq, .in_softirq = ev->in_softirq };
                }
        } else {
                r = rec_new(a);
                if (!r)
                        return -ENOMEM;
                *r = (struct rec) { .seq = r->seq, .type = ev->type, .ts = ev->ts, .cpu = ev->cpu,
                        .target = ev->target, .pid = ev->pid, .num = ev->num, .comm = comm, .name = name,
                        .callsite = callsite, .duration = ev->duration, .csd = ev->csd,
                        .in_hardirq = ev->in_hardirq, .in_softirq = ev->in_softirq,
                        .counted = measure_window_has(&a->win, ev->ts) };
        }
        if ((ev->type == ATTRIB_EV_IPI_SEND || ev->type == ATTRIB_EV_CSD_QUEUE) && a->nrecs > first) {
                a->have_last_send = true;
                a->last_send_cpu = ev->cpu;
                a->last_send_first = first;
                a->last_send_end = a->nrecs;
        }
        return 0;
}

/* ---- matching ---- */

static int rec_cmp(const void *x, const void *y) {
        const struct rec *p = x, *q = y;

        if (p->ts != q->ts)
                return p->ts < q->ts ? -1 : 1;
        return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static int queue_push(struct queue *q, const struct pending *p) {
        if (q->n == ATTRIB_QUEUE_MAX) {         /* the oldest never got an interrupt */
                memmove(q->v, q->v + 1, (q->n - 1) * sizeof(*q->v));
                q->n--;
        }
        if (q->n == q->cap) {
                size_t cap = q->cap ? q->cap * 2 : 16;
                struct pending *n = realloc(q->v, cap * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                q->v = n;
                q->cap = cap;
        }
        q->v[q->n++] = *p;
        return 0;
}

static void queue_del(struct queue *q, size_t i) {
        memmove(q->v + i, q->v + i + 1, (q->n - i - 1) * sizeof(*q->v));
        q->n--;
}

/* The vector a send raises (see attrib.h). */
static const char *send_vector(const struct rec *r) {
        if (!r->name)
                return "reschedule";
        if (strncmp(r->name, "generic_smp_call_function_single_interrupt",
                    strlen("generic_smp_call_function_single_interrupt")) == 0)
                return r->num > 1 ? "call_function" : "call_function_single";
        if (r->cpu == r->target)
                return "irq_work";
        return "other";
}

static bool is_call_function(const char *v) {
        return v && strncmp(v, "call_function", 13) == 0;
}

static const struct waking *waking_for(const struct attrib *a, const struct rec *r) {
        const struct waking *w;

        if (r->cpu >= a->nwakings)
                return NULL;
        w = &a->wakings[r->cpu];
        if (!w->valid || w->target != r->target || w->waker_pid != r->pid ||
            r->ts - w->ts > ATTRIB_WAKE_LINK_NS)
                return NULL;
        return w;
}

/* The task a send is charged to: in interrupt context the task it
 * interrupted did not ask for it. Softirqs run in ksoftirqd/N or, on
 * PREEMPT_RT, in ktimers/N or the task that raised them. */
static const char *sender_name(const struct rec *r) {
        if (r->in_hardirq)
                return "[hardirq]";
        if (r->in_softirq && !(r->comm && (strncmp(r->comm, "ksoftirqd/", 10) == 0 ||
                                           strncmp(r->comm, "ktimers/", 8) == 0)))
                return "[softirq]";
        return r->comm;
}

static int on_sender(struct attrib *a, const struct rec *r) {
        struct pending p = { .ts = r->ts, .sender_cpu = r->cpu, .sender_pid = r->pid,
                             .sender = sender_name(r), .site = r->callsite, .origin = r->origin };
        const struct waking *w;
        struct target *t;

        if (r->type == ATTRIB_EV_WAKING) {
                struct waking *nw;

                if (r->cpu >= a->nwakings) {
                        unsigned n = r->cpu + 1;

                        nw = realloc(a->wakings, n * sizeof(*nw));
                        if (!nw)
                                return -ENOMEM;
                        memset(nw + a->nwakings, 0, (n - a->nwakings) * sizeof(*nw));
                        a->wakings = nw;
                        a->nwakings = n;
                }
                a->wakings[r->cpu] = (struct waking) { .ts = r->ts, .target = r->target,
                        .waker_pid = r->pid, .waker = r->comm, .wakee = r->name, .wakee_pid = r->num,
                        .valid = true };
                return 0;
        }
        if (!measured(a, r->target))
                return 0;
        t = a->t[r->target];
        w = waking_for(a, r);
        if (r->type == ATTRIB_EV_CSD_QUEUE) {
                p.func = r->name;
                p.csd = r->csd;
                if (w && r->name && strncmp(r->name, "sched_ttwu_pending", 18) == 0) {
                        p.woken = w->wakee;
                        p.woken_pid = w->wakee_pid;
                        p.waker = w->waker;
                }
                return queue_push(&t->csds, &p);
        }
        p.vector = send_vector(r);
        if (streq(p.vector, "irq_work")) {
                p.func = r->name;
                p.sender = "self";
        }
        if (streq(p.vector, "reschedule") && w) {
                p.woken = w->wakee;
                p.woken_pid = w->wakee_pid;
                p.waker = w->waker;
        }
        return queue_push(&t->sends, &p);
}

static bool same(const char *x, const char *y) {
        return x == y;          /* interned */
}

static int group_add(struct attrib *a, struct target *t, const struct attrib_group *key, uint64_t d,
                     unsigned sender_cpu, unsigned ncarried) {
        struct attrib_cpu *o = &t->out;
        struct attrib_group *g = NULL;

        if (!a->counting)
                return 0;
        for (size_t i = 0; i < o->ngroups; i++) {
                struct attrib_group *x = &o->groups[i];

                if (x->kind == key->kind && x->attributed == key->attributed && same(x->vector, key->vector) &&
                    x->irq == key->irq && same(x->sender, key->sender) && same(x->site, key->site) &&
                    same(x->origin, key->origin) && same(x->carried, key->carried) &&
                    same(x->woken, key->woken) && x->tick_dep == key->tick_dep) {
                        g = x;
                        break;
                }
        }
        if (!g) {
                if (o->ngroups == t->groups_cap) {
                        size_t cap = t->groups_cap ? t->groups_cap * 2 : 16;
                        struct attrib_group *n = realloc(o->groups, cap * sizeof(*n));

                        if (!n)
                                return -ENOMEM;
                        o->groups = n;
                        t->groups_cap = cap;
                }
                g = &o->groups[o->ngroups++];
                *g = *key;
                g->count = g->total_ns = g->max_ns = 0;
                g->sender_cpus = 0;
                g->ncarried = 0;
        }
        g->count++;
        g->total_ns += d;
        if (d > g->max_ns)
                g->max_ns = d;
        if (key->kind == ATTRIB_IPI && key->attributed && key->sender)
                g->sender_cpus |= UINT64_C(1) << (sender_cpu < 63 ? sender_cpu : 63);
        g->sender_pid = key->sender_pid;
        g->woken_pid = key->woken_pid;
        g->waker = key->waker;
        g->ncarried += ncarried;
        return 0;
}

static int on_ipi(struct attrib *a, struct target *t, const struct rec *r, const char *vector) {
        uint64_t entry = r->ts > r->duration ? r->ts - r->duration : 0;
        struct attrib_group key = { .kind = ATTRIB_IPI, .vector = vector, .irq = -1 };
        const struct pending *s = NULL;
        struct pending first = { 0 }, carried = { 0 };
        unsigned ncarried = 0;
        size_t i;

        t->out.ipis += a->counting;
        /* the oldest send of this vector (either function-call vector) written
         * before the interrupt began; every other one before it was merged */
        for (int pass = 0; pass < 2 && !s; pass++)
                for (i = 0; i < t->sends.n; i++) {
                        const struct pending *p = &t->sends.v[i];
                        bool match = pass == 0 ? streq(p->vector, vector) :
                                     is_call_function(p->vector) && is_call_function(vector);

                        if (!match || p->ts > entry + ATTRIB_SLACK_NS)
                                continue;
                        if (!s) {
                                first = *p;
                                s = &first;
                        }
                        queue_del(&t->sends, i--);
                }
        if (is_call_function(vector)) {
                for (i = 0; i < t->csds.n; i++) {
                        if (t->csds.v[i].ts > r->ts)
                                continue;
                        if (!ncarried)
                                carried = t->csds.v[i];
                        ncarried++;
                        queue_del(&t->csds, i--);
                }
        }
        if (!s) {
                t->out.ipis_unattributed += a->counting;
                key.attributed = false;
                key.remedy = attrib_remedy(&key);
                return group_add(a, t, &key, r->duration, 0, ncarried);
        }
        key.attributed = true;
        key.sender = s->sender;
        key.sender_pid = s->sender_pid;
        key.site = s->site;
        key.origin = s->origin;
        key.carried = s->func;
        key.woken = s->woken;
        key.woken_pid = s->woken_pid;
        key.waker = s->waker;
        if (ncarried) {
                key.carried = carried.func;
                if (carried.origin)
                        key.origin = carried.origin;
                if (carried.woken) {
                        key.woken = carried.woken;
                        key.woken_pid = carried.woken_pid;
                        key.waker = carried.waker;
                }
        }
        key.remedy = attrib_remedy(&key);
        return group_add(a, t, &key, r->duration, s->sender_cpu, ncarried);
}

/* The held tick goes to its group, kept by dep (0: none named). */
static int tick_release(struct attrib *a, struct target *t, int dep) {
        struct held_tick *h = &t->tick;
        bool counting = a->counting;
        int r;

        if (!h->valid)
                return 0;
        h->valid = false;
        h->key.tick_dep = dep;
        a->counting = h->counted;
        t->out.ticks += a->counting;
        r = group_add(a, t, &h->key, h->duration, 0, 0);
        a->counting = counting;
        return r;
}

/* A tick is held until its interrupt exit says whether a dependency kept
 * it (timer:tick_stop on its CPU before its next interrupt). */
static int on_local_timer(struct attrib *a, struct target *t, const struct rec *r) {
        struct attrib_group key = { .kind = ATTRIB_TIMER, .vector = r->name, .irq = -1, .attributed = true };

        for (size_t i = 0; i < t->ntimers; i++)
                if (t->timers[i] && strncmp(t->timers[i], "tick_", 5) == 0)
                        key.kind = ATTRIB_TICK;
        key.site = key.kind == ATTRIB_TIMER && t->ntimers ? t->timers[0] : NULL;
        t->ntimers = 0;
        if (key.kind == ATTRIB_TICK) {
                key.tick_state = ATTRIB_TICK_RESIDUAL;  /* until attrib_advance() decides */
                key.tick_stop_traced = a->tick_stop_traced;
                key.remedy = attrib_remedy(&key);
                t->tick = (struct held_tick) { .key = key, .duration = r->duration, .valid = true,
                                               .counted = a->counting };
                return 0;
        }
        key.remedy = attrib_remedy(&key);
        return group_add(a, t, &key, r->duration, 0, 0);
}

static int on_receiver(struct attrib *a, const struct rec *r) {
        struct target *t = a->t[r->cpu];
        struct attrib_group key = { .irq = -1, .attributed = true };
        const struct ipi_vector *v;
        const char *name;

        switch (r->type) {
        case ATTRIB_EV_IRQ:
                /* no tick_stop after the last tick: its exit did not
                 * look (nested in a softirq section; the idle loop): the
                 * kernel's last word on this CPU stands */
                if (tick_release(a, t, t->tick_dep) < 0)
                        return -ENOMEM;
                t->out.interrupts += a->counting;
                v = ipi_vector_by_desc(r->name);
                if (v && streq(v->desc, "local_timer"))
                        return on_local_timer(a, t, r);
                if (v) {
                        if (intern(a, v->desc, &name) < 0)
                                return -ENOMEM;
                        return on_ipi(a, t, r, name);
                }
                key.kind = ATTRIB_DEVICE;
                key.vector = r->name;
                key.irq = r->num;
                break;
        case ATTRIB_EV_SOFTIRQ:
                key.kind = ATTRIB_SOFTIRQ;
                if (intern(a, attrib_softirq_name(r->num), &key.vector) < 0)
                        return -ENOMEM;
                break;
        case ATTRIB_EV_NMI:
                key.kind = ATTRIB_NMI;
                break;
        case ATTRIB_EV_THREAD:
                if (r->num == 0 || measure_window_is_workload(&a->win, r->num))
                        return 0;
                key.kind = ATTRIB_THREAD;
                key.vector = r->name;
                break;
        case ATTRIB_EV_TICK_STOP: {
                /* success=0: the dependency keeps the tick on; success=1:
                 * it stops after this tick, which the dependency before
                 * (if any) had restarted */
                int armed = t->tick_dep;

                t->tick_dep = r->num;
                return tick_release(a, t, r->num ? r->num : armed);
        }
        case ATTRIB_EV_TIMER:
                if (r->in_hardirq && t->ntimers < ELEMENTSOF(t->timers))
                        t->timers[t->ntimers++] = r->name;
                return 0;
        case ATTRIB_EV_CSD_ENTRY:
                if (r->in_hardirq)
                        return 0;
                /* run without an IPI: its queue entry carried nothing */
                for (size_t i = 0; i < t->csds.n; i++)
                        if ((r->csd && t->csds.v[i].csd == r->csd) ||
                            (!r->csd && same(t->csds.v[i].func, r->name))) {
                                queue_del(&t->csds, i);
                                t->out.csd_local += a->counting;
                                break;
                        }
                return 0;
        default:
                return 0;
        }
        key.remedy = attrib_remedy(&key);
        return group_add(a, t, &key, r->duration, 0, 0);
}

static int group_cmp(const void *x, const void *y) {
        const struct attrib_group *p = x, *q = y;

        if (p->count != q->count)
                return p->count > q->count ? -1 : 1;
        return p->total_ns > q->total_ns ? -1 : p->total_ns < q->total_ns;
}

/* The time a round covers: from the end of the last one (or the start of
 * the window, or else the round's first record) to upto (or the end of the
 * window, or else its last record). */
static uint64_t round_span(struct attrib *a, uint64_t upto, bool any, uint64_t first, uint64_t last) {
        uint64_t hi = upto != UINT64_MAX ? upto : a->win.end_ns ? a->win.end_ns : any ? last : a->round_start;
        uint64_t lo = a->round_start ? a->round_start : a->win.end_ns ? a->win.start_ns : any ? first : hi;

        if (a->win.end_ns) {
                if (lo < a->win.start_ns)
                        lo = a->win.start_ns;
                if (hi > a->win.end_ns)
                        hi = a->win.end_ns;
        }
        if (hi > a->round_start)
                a->round_start = hi;
        return hi > lo ? hi - lo : 0;
}

/* Residual or not stopped, by rate: once the round's counts are in. */
static void ticks_judge(struct target *t) {
        double secs = (double) t->out.span_ns / 1e9;

        for (size_t i = 0; i < t->out.ngroups; i++) {
                struct attrib_group *g = &t->out.groups[i];

                if (g->kind != ATTRIB_TICK)
                        continue;
                g->tick_state = attrib_tick_state(g->tick_dep, g->count, secs);
                g->remedy = attrib_remedy(g);
        }
}

int attrib_advance(struct attrib *a, uint64_t upto) {
        uint64_t first = UINT64_MAX, last = 0, span;
        size_t i, keep = 0;
        int r = 0;

        if (a->finished)
                return 0;
        a->have_last_send = false;      /* indices change below */
        if (a->nrecs)
                qsort(a->recs, a->nrecs, sizeof(*a->recs), rec_cmp);
        for (i = 0; i < a->nrecs && r >= 0; i++) {
                const struct rec *x = &a->recs[i];

                if (x->ts > upto) {
                        a->recs[keep++] = *x;
                        continue;
                }
                if (x->ts < first)
                        first = x->ts;
                if (x->ts > last)
                        last = x->ts;
                switch (x->type) {
                case ATTRIB_EV_IPI_SEND: case ATTRIB_EV_CSD_QUEUE: case ATTRIB_EV_WAKING:
                        r = on_sender(a, x);
                        break;
                default:
                        a->counting = x->counted;
                        r = on_receiver(a, x);
                }
        }
        a->nrecs = keep;
        span = round_span(a, upto, first != UINT64_MAX, first, last);
        for (unsigned c = 0; c < a->ncpu && r >= 0; c++) {
                struct target *t = a->t[c];

                if (!t)
                        continue;
                /* the last tick has no interrupt after it: at the end, the
                 * dependency seen last stands (its tick_stop was cut off);
                 * in a live round it waits for the next */
                if (upto == UINT64_MAX)
                        r = tick_release(a, t, t->tick_dep);
                t->out.span_ns += span;
                ticks_judge(t);
                if (t->out.ngroups)
                        qsort(t->out.groups, t->out.ngroups, sizeof(struct attrib_group), group_cmp);
        }
        a->advanced = true;
        return r < 0 ? r : 0;
}

void attrib_reset(struct attrib *a) {
        for (unsigned c = 0; c < a->ncpu; c++) {
                struct target *t = a->t[c];

                if (!t)
                        continue;
                t->out.ngroups = 0;
                t->out.interrupts = t->out.ipis = t->out.ipis_unattributed = 0;
                t->out.ticks = t->out.csd_local = 0;
                t->out.span_ns = 0;
        }
}

int attrib_finish(struct attrib *a) {
        int r = attrib_advance(a, UINT64_MAX);

        a->finished = true;
        free(a->recs);
        a->recs = NULL;
        a->nrecs = a->recs_cap = 0;
        return r;
}

const struct attrib_cpu *attrib_cpu(const struct attrib *a, unsigned cpu) {
        return a->advanced && measured(a, cpu) ? &a->t[cpu]->out : NULL;
}
