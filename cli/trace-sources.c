/* trace-sources.c — see trace-sources.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace-sources.h"
#include "util.h"

char *trace_cpu_filter(const struct cpumap *cpus, const char *field) {
        char *f = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&f, &len);
        bool first = true;
        int cpu;

        if (!m)
                return NULL;
        CPUMAP_FOREACH(cpu, cpus) {
                fprintf(m, "%s%s == %d", first ? "" : " || ", field, cpu);
                first = false;
        }
        if (fclose(m) != 0) {
                free(f);
                return NULL;
        }
        return f;
}

int trace_event_enable_filtered(struct tracefs_instance *inst, const struct cpumap *cpus,
                                const char *system, const char *event, const char *field,
                                const char *filter) {
        _cleanup_free_ char *f = filter ? strdup(filter) : trace_cpu_filter(cpus, field);

        if (!f)
                return -ENOMEM;
        if (tracefs_event_file_write(inst, system, event, "filter", f) < 0)
                return -EINVAL;
        return tracefs_event_enable(inst, system, event) < 0 ? -ENOENT : 0;
}

uint64_t trace_field_u64(struct tep_event *e, struct tep_record *r, const char *name) {
        unsigned long long v = 0;

        if (tep_get_field_val(NULL, e, name, r, &v, 0) < 0)
                return 0;
        return v;
}

const char *trace_field_str(struct tep_event *e, struct tep_record *r, const char *name,
                            char *buf, size_t len) {
        int n = 0;
        const char *p = tep_get_field_raw(NULL, e, name, r, &n, 0);

        if (!p || n <= 0)
                return NULL;
        snprintf(buf, len, "%.*s", (int) strnlen(p, (size_t) n), p);
        return buf;
}

const char *trace_ksym(struct tep_handle *tep, bool have_ksyms, unsigned long long addr,
                       char *buf, size_t len) {
        const char *f;

        if (!addr)
                return NULL;
        f = have_ksyms ? tep_find_function(tep, addr) : NULL;
        if (!f)
                snprintf(buf, len, "0x%llx", addr);
        else
                snprintf(buf, len, "%s+0x%llx", f, addr - tep_find_function_address(tep, addr));
        return buf;
}

/* The stacktrace triggers. Their condition makes the kernel run them
 * after the record is written, so each stack follows its send. */
static const struct { const char *system, *event; } stack_triggers[] = {
        { "ipi", "ipi_send_cpu" }, { "ipi", "ipi_send_cpumask" }, { "csd", "csd_queue_cpu" },
};

static char *trigger_string(const struct trace_sources *s, size_t i, bool remove) {
        _cleanup_free_ char *cond = NULL, *list = NULL;
        char *t = NULL;

        if (streq(stack_triggers[i].event, "ipi_send_cpumask")) {
                if (cpulist_format_alloc(&s->cpus, &list) < 0 || asprintf(&cond, "cpumask & CPUS{%s}", list) < 0)
                        return NULL;
        } else if (!(cond = trace_cpu_filter(&s->cpus, "cpu")))
                return NULL;
        if (asprintf(&t, "%sstacktrace if %s", remove ? "!" : "", cond) < 0)
                return NULL;
        return t;
}

void trace_sources_enable(struct trace_sources *s, struct tracefs_instance *inst,
                          const struct cpumap *cpus) {
        _cleanup_free_ char *mask = NULL, *list = NULL;
        const char *missing = NULL;

        s->cpus = *cpus;
        if (cpulist_format_alloc(cpus, &list) < 0 || asprintf(&mask, "cpumask & CPUS{%s}", list) < 0)
                return;
        if (trace_event_enable_filtered(inst, cpus, "ipi", "ipi_send_cpu", "cpu", NULL) < 0)
                missing = "ipi:ipi_send_cpu (kernel older than 6.4?)";
        else if (trace_event_enable_filtered(inst, cpus, "ipi", "ipi_send_cpumask", NULL, mask) < 0)
                missing = "ipi:ipi_send_cpumask with a cpumask filter (kernel older than 6.6?)";
        else if (trace_event_enable_filtered(inst, cpus, "csd", "csd_queue_cpu", "cpu", NULL) < 0)
                missing = "csd:csd_queue_cpu (kernel older than 6.5?)";
        else if (trace_event_enable_filtered(inst, cpus, "sched", "sched_waking", "target_cpu", NULL) < 0)
                missing = "sched:sched_waking";
        else if (trace_event_enable_filtered(inst, cpus, "timer", "hrtimer_expire_entry", "CPU", NULL) < 0)
                missing = "timer:hrtimer_expire_entry";
        if (missing) {
                if (asprintf(&s->reason, "no %s", missing) < 0)
                        s->reason = NULL;
                return;
        }
        s->enabled = true;
        /* 6.12 has it with CONFIG_NO_HZ_COMMON; without it ticks go by rate */
        s->tick_stop = trace_event_enable_filtered(inst, cpus, "timer", "tick_stop", "CPU", NULL) >= 0;
        for (size_t i = 0; i < ELEMENTSOF(stack_triggers); i++) {
                _cleanup_free_ char *t = trigger_string(s, i, false);

                /* without stacks there is no origin; the rest stands */
                if (t)
                        (void) tracefs_event_file_write(inst, stack_triggers[i].system,
                                                        stack_triggers[i].event, "trigger", t);
        }
}

void trace_sources_disable(struct trace_sources *s, struct tracefs_instance *inst) {
        if (!s->enabled)
                return;
        for (size_t i = 0; i < ELEMENTSOF(stack_triggers); i++) {
                _cleanup_free_ char *t = trigger_string(s, i, true);

                if (t)
                        (void) tracefs_event_file_write(inst, stack_triggers[i].system,
                                                        stack_triggers[i].event, "trigger", t);
        }
}

int trace_event_id(struct tep_handle *tep, const char *sys, const char *name) {
        struct tep_event *e = tep_find_event_by_name(tep, sys, name);

        return e ? e->id : -1;
}

void trace_sources_bind(struct trace_sources *s, struct tep_handle *tep, bool have_ksyms) {
        s->tep = tep;
        s->have_ksyms = have_ksyms;
        s->id_send_cpu = trace_event_id(tep, "ipi", "ipi_send_cpu");
        s->id_send_mask = trace_event_id(tep, "ipi", "ipi_send_cpumask");
        s->id_csd_queue = trace_event_id(tep, "csd", "csd_queue_cpu");
        s->id_waking = trace_event_id(tep, "sched", "sched_waking");
        s->id_timer = trace_event_id(tep, "timer", "hrtimer_expire_entry");
        s->id_stack = trace_event_id(tep, "ftrace", "kernel_stack");
        s->id_tick_stop = s->tick_stop ? trace_event_id(tep, "timer", "tick_stop") : -1;
}

#define FRAMES_MAX 48

int trace_sources_record(struct trace_sources *s, struct attrib *a, struct tep_event *e,
                         struct tep_record *r, int cpu) {
        struct attrib_event ev = { .cpu = (unsigned) cpu, .ts = r->ts };
        char site[160], func[160], comm[32], frame_buf[FRAMES_MAX][96];
        const char *frames[FRAMES_MAX];
        struct cpumap targets;
        int flags, id = e->id;

        if (!s->enabled || !s->tep || id < 0 ||
            (id != s->id_send_cpu && id != s->id_send_mask && id != s->id_csd_queue &&
             id != s->id_waking && id != s->id_timer && id != s->id_stack && id != s->id_tick_stop))
                return 0;
        flags = tep_data_flags(s->tep, r);
        ev.pid = tep_data_pid(s->tep, r);
        ev.comm = tep_data_comm_from_pid(s->tep, ev.pid);
        ev.in_hardirq = flags >= 0 && (flags & TRACE_FLAG_HARDIRQ);
        ev.in_softirq = flags >= 0 && (flags & TRACE_FLAG_SOFTIRQ);
        if (id == s->id_send_cpu || id == s->id_send_mask) {
                ev.type = ATTRIB_EV_IPI_SEND;
                cpumap_zero(&targets);
                if (id == s->id_send_cpu)
                        cpumap_set(&targets, (unsigned) trace_field_u64(e, r, "cpu"));
                else {
                        int len = 0;
                        const unsigned char *m = tep_get_field_raw(NULL, e, "cpumask", r, &len, 0);

                        /* a __cpumask: the kernel's unsigned long array, little endian */
                        for (int i = 0; m && i < len * 8 && i < CPUMAP_MAX_CPUS; i++)
                                if (m[i / 8] & (1u << (i % 8)))
                                        cpumap_set(&targets, (unsigned) i);
                }
                ev.targets = &targets;
                ev.callsite = trace_ksym(s->tep, s->have_ksyms, trace_field_u64(e, r, "callsite"), site, sizeof(site));
                ev.name = trace_ksym(s->tep, s->have_ksyms, trace_field_u64(e, r, "callback"), func, sizeof(func));
        } else if (id == s->id_csd_queue) {
                ev.type = ATTRIB_EV_CSD_QUEUE;
                ev.target = (unsigned) trace_field_u64(e, r, "cpu");
                ev.callsite = trace_ksym(s->tep, s->have_ksyms, trace_field_u64(e, r, "callsite"), site, sizeof(site));
                ev.name = trace_ksym(s->tep, s->have_ksyms, trace_field_u64(e, r, "func"), func, sizeof(func));
                ev.csd = trace_field_u64(e, r, "csd");
        } else if (id == s->id_waking) {
                ev.type = ATTRIB_EV_WAKING;
                ev.name = trace_field_str(e, r, "comm", comm, sizeof(comm));
                ev.num = (int) trace_field_u64(e, r, "pid");
                ev.target = (unsigned) trace_field_u64(e, r, "target_cpu");
        } else if (id == s->id_tick_stop) {
                ev.type = ATTRIB_EV_TICK_STOP;
                ev.num = trace_field_u64(e, r, "success") ? 0 : (int) trace_field_u64(e, r, "dependency");
        } else if (id == s->id_timer) {
                ev.type = ATTRIB_EV_TIMER;
                ev.name = trace_ksym(s->tep, s->have_ksyms, trace_field_u64(e, r, "function"), func, sizeof(func));
        } else {
                /* struct stack_entry { int size; unsigned long caller[size]; }:
                 * the format file says caller[8], the record holds size */
                struct tep_format_field *cf = tep_find_field(e, "caller");
                const unsigned long long *c;
                size_t n = (size_t) trace_field_u64(e, r, "size"), room;

                if (!cf || cf->offset < 0 || cf->offset > r->size)
                        return 1;
                room = (size_t) (r->size - cf->offset) / sizeof(*c);
                c = (const unsigned long long *) ((const char *) r->data + cf->offset);
                if (n > room)
                        n = room;
                ev.type = ATTRIB_EV_STACK;
                for (size_t i = 0; i < n && i < FRAMES_MAX && c[i]; i++) {
                        const char *f = trace_ksym(s->tep, s->have_ksyms, c[i], frame_buf[i], sizeof(frame_buf[i]));

                        frames[ev.nframes++] = f ? f : "?";
                }
                ev.frames = frames;
        }
        return attrib_add(a, &ev) < 0 ? -ENOMEM : 1;
}

void trace_sources_done(struct trace_sources *s) {
        free(s->reason);
        s->reason = NULL;
}

/* libtracefs already loaded /proc/kallsyms into the tep handle (reading
 * and sorting it again took seconds under TCG); what is left is to check
 * that the addresses were not hidden. With kptr_restrict every address
 * reads 0 (per-CPU symbols are 0 anyway): look at the first text symbol,
 * a few lines in. */
int trace_ksyms_check(const char *kallsyms) {
        _cleanup_fclose_ FILE *f = fopen(kallsyms, "re");
        char line[256];

        if (!f)
                return -errno;
        for (unsigned i = 0; i < 4096 && fgets(line, sizeof(line), f); i++) {
                char type;
                unsigned long long addr;

                if (sscanf(line, "%llx %c", &addr, &type) != 2 || (type != 'T' && type != 't'))
                        continue;
                return addr ? 0 : -EPERM;
        }
        return -ENOENT;
}
