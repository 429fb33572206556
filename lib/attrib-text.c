/* attrib-text.c — recorded tracefs text traces into struct attrib_event
 * (see attrib.h). The formats are the TP_printk()s of the 6.12 events:
 *   "  comm-pid  [002] d.h2.  68.045972: irq_noise: call_function_single:251 start 68.2 duration 92762 ns"
 *   "ipi_send_cpu: cpu=2 callsite=irq_work_queue_on+0x7f/0xa0 callback=nohz_full_kick_func+0x0/0x30"
 *   "ipi_send_cpumask: cpumask=00000000,0000000e callsite=... callback=..."
 *   "csd_queue_cpu: cpu=2 callsite=... func=do_sync_core csd=00000000114ca0ae"
 *   "csd_function_entry: func=do_sync_core, csd=00000000114ca0ae"
 *   "sched_waking: comm=ktimers/2 pid=45 prio=98 target_cpu=002"
 *   "hrtimer_expire_entry: hrtimer=00000000d515be90 function=tick_nohz_handler now=68176404312"
 * and a stacktrace trigger's "<stack trace>" followed by " => sym" lines.
 * A NULL %pS prints "0x0": no callback. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "util.h"

static const char *skip_ws(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

/* "123.456789" -> ns */
static int parse_time(const char *p, const char **end, uint64_t *ns) {
        uint64_t s = 0, frac = 0;
        unsigned digits = 0;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        while (*p >= '0' && *p <= '9')
                s = s * 10 + (uint64_t) (*p++ - '0');
        if (*p++ != '.')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++)
                if (digits < 9) {
                        frac = frac * 10 + (uint64_t) (*p - '0');
                        digits++;
                }
        if (!digits)
                return -EINVAL;
        for (; digits < 9; digits++)
                frac *= 10;
        *ns = s * UINT64_C(1000000000) + frac;
        *end = p;
        return 0;
}

static int parse_ull(const char *p, int base, const char **end, unsigned long long *v) {
        char *e;

        if (!((*p >= '0' && *p <= '9') || (base == 16 && strchr("abcdefABCDEF", *p) && *p)))
                return -EINVAL;
        errno = 0;
        *v = strtoull(p, &e, base);
        if (errno)
                return -ERANGE;
        *end = e;
        return 0;
}

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

        if (!s || parse_ull(s, base, &end, v) < 0 || *end)
                return -EINVAL;
        return 0;
}

/* "NAME:NUM start S duration D ns"; NAME (trimmed) may hold ':' */
static int parse_noise(const char *p, struct attrib_event *ev, bool named, char *buf, size_t buflen, size_t *off) {
        const char *st = strstr(p, "start "), *d, *end;
        unsigned long long v;
        uint64_t start;

        if (!st || parse_time(st + 6, &d, &start) < 0)
                return -EINVAL;
        d = skip_ws(d);
        if (strncmp(d, "duration ", 9) != 0 || parse_ull(d + 9, 10, &end, &v) < 0 || strncmp(end, " ns", 3) != 0)
                return -EINVAL;
        ev->duration = v;
        if (named) {
                const char *colon = NULL, *q = skip_ws(p);
                size_t len;

                for (const char *x = q; x < st; x++)
                        if (*x == ':')
                                colon = x;
                if (!colon || parse_ull(colon + 1, 10, &end, &v) < 0 || v > INT32_MAX)
                        return -EINVAL;
                ev->num = (int) v;
                len = (size_t) (colon - q);
                if (*off + len + 1 > buflen)
                        return -EINVAL;
                memcpy(buf + *off, q, len);
                buf[*off + len] = 0;
                ev->name = buf + *off;
                *off += len + 1;
        }
        return 0;
}

/* "sym+0x0/0x20" or "0x0" (NULL) */
static const char *func_or_null(const char *s) {
        return s && !streq(s, "0x0") && !streq(s, "0") ? s : NULL;
}

int attrib_parse_line(const char *line, struct attrib_event *ev, struct cpumap *targets,
                      char *buf, size_t buflen) {
        struct attrib_event e = { 0 };
        const char *p, *br, *name, *payload, *dash = NULL, *end;
        unsigned long long v;
        size_t off = 0, namelen, clen;

        if (!line || !buf || !buflen)
                return -EINVAL;
        p = skip_ws(line);
        if (*p == '#' || !*p || strncmp(p, "=>", 2) == 0)
                return 0;
        br = strstr(p, " [");
        if (!br)
                return 0;
        for (const char *x = p; x < br; x++)
                if (*x == '-')
                        dash = x;
        if (!dash || parse_ull(dash + 1, 10, &end, &v) < 0 || skip_ws(end) != br + 1 || v > INT32_MAX)
                return 0;
        e.pid = (int) v;
        clen = (size_t) (dash - p);
        if (clen + 1 > buflen)
                return -EINVAL;
        memcpy(buf, p, clen);
        buf[clen] = 0;
        e.comm = buf;
        off = clen + 1;
        if (parse_ull(br + 2, 10, &end, &v) < 0 || *end != ']' || v >= CPUMAP_MAX_CPUS)
                return 0;
        e.cpu = (unsigned) v;
        p = skip_ws(end + 1);
        if (parse_time(p, &name, &e.ts) < 0) {          /* flags first */
                const char *flags = p;

                p = strchr(p, ' ');
                if (!p || parse_time(skip_ws(p), &name, &e.ts) < 0)
                        return 0;
                e.in_hardirq = p - flags >= 3 && (flags[2] == 'h' || flags[2] == 'H');
                e.in_softirq = p - flags >= 3 && (flags[2] == 's' || flags[2] == 'H');
        }
        if (*name != ':')
                return 0;
        name = skip_ws(name + 1);
        payload = strchr(name, ':');
        if (!payload)
                return 0;
        namelen = (size_t) (payload - name);
        payload = skip_ws(payload + 1);

#define IS(s) (namelen == strlen(s) && strncmp(name, s, namelen) == 0)
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
                const char *p = skip_ws(line);

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
