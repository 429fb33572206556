/* attrib-text.c — recorded tracefs text traces into struct attrib_event
 * (see attrib.h). The formats are the TP_printk()s of the 6.12 events:
 *   "  comm-pid  [002] d.h2.  68.045972: irq_noise: call_function_single:251 start 68.2 duration 92762 ns"
 *   "ipi_send_cpu: cpu=2 callsite=irq_work_queue_on+0x7f/0xa0 callback=nohz_full_kick_func+0x0/0x30"
 *   "ipi_send_cpumask: cpumask=00000000,0000000e callsite=... callback=..."
 *   "csd_queue_cpu: cpu=2 callsite=... func=do_sync_core csd=00000000114ca0ae"
 *   "csd_function_entry: func=do_sync_core, csd=00000000114ca0ae"
 *   "sched_waking: comm=ktimers/2 pid=45 prio=98 target_cpu=002"
 *   "hrtimer_expire_entry: hrtimer=00000000d515be90 function=tick_nohz_handler now=68176404312"
 *   "tick_stop: success=0 dependency=SCHED"
 * and a stacktrace trigger's "<stack trace>" followed by " => sym" lines.
 * A NULL %pS prints "0x0": no callback. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "trace-text.h"
#include "util.h"

/* Copies the value of "key=" (up to a blank, or a ',' when comma) into
 * buf at *off; NULL if missing. */
static const char *kv(const char *payload, const char *key, bool comma, char *buf, size_t buflen, size_t *off) {
        const char *p = payload;
        size_t klen = strlen(key), len;
        char *dst;

        for (;;) {
                p = strstr(p, key);
                if (!p)
                        return NULL;
                if ((p == payload || p[-1] == ' ' || p[-1] == ',') && p[klen] == '=')
                        break;
                p += klen;
        }
        p += klen + 1;
        len = strcspn(p, comma ? " ,\n" : " \n");
        if (*off + len + 1 > buflen)
                return NULL;
        dst = buf + *off;
        memcpy(dst, p, len);
        dst[len] = 0;
        *off += len + 1;
        return dst;
}

static int kv_num(const char *payload, const char *key, int base, unsigned long long *v) {
        char tmp[32];
        size_t off = 0;
        const char *s = kv(payload, key, true, tmp, sizeof(tmp), &off), *end;

        if (!s || trace_text_ull(s, base, &end, v) < 0 || *end)
                return -EINVAL;
        return 0;
}

/* "NAME:NUM start S duration D ns" (named) or "start ..."; NAME
 * (trimmed) copied into buf at *off */
static int parse_noise(const char *payload, struct attrib_event *ev, bool named, char *buf, size_t buflen,
                       size_t *off) {
        struct trace_noise tn;

        if (trace_text_noise(payload, named, &tn) < 0)
                return -EINVAL;
        ev->duration = tn.duration_ns;
        if (!named)
                return 0;
        ev->num = tn.num;
        if (*off + tn.name_len + 1 > buflen)
                return -EINVAL;
        memcpy(buf + *off, tn.name, tn.name_len);
        buf[*off + tn.name_len] = 0;
        ev->name = buf + *off;
        *off += tn.name_len + 1;
        return 0;
}

/* "sym+0x0/0x20" or "0x0" (NULL) */
static const char *func_or_null(const char *s) {
        return s && !streq(s, "0x0") && !streq(s, "0") ? s : NULL;
}

int attrib_parse_line(const char *line, struct attrib_event *ev, struct cpumap *targets,
                      char *buf, size_t buflen) {
        struct attrib_event e = { 0 };
        struct trace_line l;
        const char *payload;
        unsigned long long v;
        size_t off;

        if (!line || !buf || !buflen)
                return -EINVAL;
        if (trace_text_line(line, &l) <= 0)
                return 0;
        if (l.comm_len + 1 > buflen)
                return -EINVAL;
        memcpy(buf, l.comm, l.comm_len);
        buf[l.comm_len] = 0;
        e.comm = buf;
        off = l.comm_len + 1;
        e.pid = l.pid;
        e.cpu = l.cpu;
        e.ts = l.ts;
        e.in_hardirq = l.in_hardirq;
        e.in_softirq = l.in_softirq;
        payload = l.payload;

#define IS(s) trace_line_is(&l, s)
        if (IS("irq_noise")) {
                e.type = ATTRIB_EV_IRQ;
                if (parse_noise(payload, &e, true, buf, buflen, &off) < 0)
                        return -EINVAL;
        } else if (IS("softirq_noise")) {
                e.type = ATTRIB_EV_SOFTIRQ;
                if (parse_noise(payload, &e, true, buf, buflen, &off) < 0)
                        return -EINVAL;
        } else if (IS("thread_noise")) {
                e.type = ATTRIB_EV_THREAD;
                if (parse_noise(payload, &e, true, buf, buflen, &off) < 0)
                        return -EINVAL;
        } else if (IS("nmi_noise")) {
                e.type = ATTRIB_EV_NMI;
                if (parse_noise(payload, &e, false, buf, buflen, &off) < 0)
                        return -EINVAL;
        } else if (IS("ipi_send_cpu") || IS("ipi_send_cpumask")) {
                const char *mask = NULL;

                e.type = ATTRIB_EV_IPI_SEND;
                cpumap_zero(targets);
                if (IS("ipi_send_cpu")) {
                        if (kv_num(payload, "cpu", 10, &v) < 0 || v >= CPUMAP_MAX_CPUS)
                                return -EINVAL;
                        cpumap_set(targets, (unsigned) v);
                } else if (!(mask = kv(payload, "cpumask", false, buf, buflen, &off)) ||
                           cpumask_parse_hex(mask, CPUMAP_MAX_CPUS, targets) < 0)
                        return -EINVAL;
                e.targets = targets;
                e.callsite = kv(payload, "callsite", false, buf, buflen, &off);
                e.name = func_or_null(kv(payload, "callback", false, buf, buflen, &off));
                if (!e.callsite)
                        return -EINVAL;
        } else if (IS("csd_queue_cpu")) {
                e.type = ATTRIB_EV_CSD_QUEUE;
                if (kv_num(payload, "cpu", 10, &v) < 0 || v >= CPUMAP_MAX_CPUS)
                        return -EINVAL;
                e.target = (unsigned) v;
                e.callsite = kv(payload, "callsite", false, buf, buflen, &off);
                e.name = kv(payload, "func", false, buf, buflen, &off);
                if (!e.callsite || !e.name || kv_num(payload, "csd", 16, &v) < 0)
                        return -EINVAL;
                e.csd = v;
        } else if (IS("csd_function_entry")) {
                e.type = ATTRIB_EV_CSD_ENTRY;
                e.name = kv(payload, "func", true, buf, buflen, &off);
                if (!e.name || kv_num(payload, "csd", 16, &v) < 0)
                        return -EINVAL;
                e.csd = v;
        } else if (IS("sched_waking")) {
                const char *c = strstr(payload, "comm="), *pid = strstr(payload, " pid=");
                size_t len;

                e.type = ATTRIB_EV_WAKING;
                if (!c || !pid || pid < c)
                        return -EINVAL;
                len = (size_t) (pid - (c + 5));
                if (off + len + 1 > buflen)
                        return -EINVAL;
                memcpy(buf + off, c + 5, len);
                buf[off + len] = 0;
                e.name = buf + off;
                off += len + 1;
                if (kv_num(pid + 1, "pid", 10, &v) < 0 || v > INT32_MAX)
                        return -EINVAL;
                e.num = (int) v;
                if (kv_num(payload, "target_cpu", 10, &v) < 0 || v >= CPUMAP_MAX_CPUS)
                        return -EINVAL;
                e.target = (unsigned) v;
        } else if (IS("hrtimer_expire_entry")) {
                e.type = ATTRIB_EV_TIMER;
                e.name = kv(payload, "function", false, buf, buflen, &off);
                if (!e.name)
                        return -EINVAL;
        } else if (IS("tick_stop")) {
                const char *dep = kv(payload, "dependency", false, buf, buflen, &off);
                int mask;

                e.type = ATTRIB_EV_TICK_STOP;
                if (kv_num(payload, "success", 10, &v) < 0 || v > 1 ||
                    attrib_tick_dep_from_name(dep, &mask) < 0)
                        return -EINVAL;
                e.num = v ? 0 : mask;
        } else
                return 0;
#undef IS
        *ev = e;
        return 1;
}

#define FRAMES_MAX 32

int attrib_add_trace(struct attrib *a, FILE *f, unsigned *bad_line) {
        char line[1024], buf[1024], frames_buf[FRAMES_MAX][128];
        const char *frames[FRAMES_MAX];
        struct attrib_event stack = { .type = ATTRIB_EV_STACK };
        struct cpumap targets;
        bool in_stack = false;
        unsigned n = 0;
        int r;

        while (fgets(line, sizeof(line), f)) {
                struct attrib_event ev;
                const char *p = trace_text_skip_ws(line);

                n++;
                if (in_stack && strncmp(p, "=> ", 3) == 0) {
                        if (stack.nframes < FRAMES_MAX) {
                                snprintf(frames_buf[stack.nframes], sizeof(frames_buf[0]), "%.*s",
                                         (int) strcspn(p + 3, " \n"), p + 3);
                                frames[stack.nframes] = frames_buf[stack.nframes];
                                stack.nframes++;
                        }
                        continue;
                }
                if (in_stack) {
                        in_stack = false;
                        stack.frames = frames;
                        r = attrib_add(a, &stack);
                        if (r < 0)
                                return r;
                }
                if (strstr(line, ": <stack trace>")) {
                        struct attrib_event e = { 0 };
                        const char *br = strstr(line, " [");
                        unsigned long long cpu;
                        char *end;

                        if (!br)
                                continue;
                        cpu = strtoull(br + 2, &end, 10);
                        if (*end != ']')
                                continue;
                        e.type = ATTRIB_EV_STACK;
                        e.cpu = (unsigned) cpu;
                        stack = e;
                        in_stack = true;
                        continue;
                }
                r = attrib_parse_line(line, &ev, &targets, buf, sizeof(buf));
                if (r < 0) {
                        if (bad_line)
                                *bad_line = n;
                        return r;
                }
                if (r == 0)
                        continue;
                r = attrib_add(a, &ev);
                if (r < 0)
                        return r;
        }
        if (in_stack) {
                stack.frames = frames;
                r = attrib_add(a, &stack);
                if (r < 0)
                        return r;
        }
        return ferror(f) ? -EIO : 0;
}
