/* trace-text.c — see trace-text.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpumap.h"
#include "trace-text.h"

const char *trace_text_skip_ws(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

int trace_text_time(const char *p, const char **end, uint64_t *ns) {
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

int trace_text_ull(const char *p, int base, const char **end, unsigned long long *v) {
        char *e;

        if (!((*p >= '0' && *p <= '9') || (base == 16 && *p && strchr("abcdefABCDEF", *p))))
                return -EINVAL;
        errno = 0;
        *v = strtoull(p, &e, base);
        if (errno)
                return -ERANGE;
        *end = e;
        return 0;
}

int trace_text_line(const char *line, struct trace_line *out) {
        struct trace_line l = { 0 };
        const char *p, *br, *dash = NULL, *end, *colon;
        unsigned long long v;

        p = trace_text_skip_ws(line);
        if (*p == '#' || !*p || strncmp(p, "=>", 2) == 0)
                return 0;           /* comment, blank, stack frame */
        /* "comm-pid [CPU]": the pid follows the last '-' before " [" */
        br = strstr(p, " [");
        if (!br)
                return 0;
        for (const char *x = p; x < br; x++)
                if (*x == '-')
                        dash = x;
        if (!dash || trace_text_ull(dash + 1, 10, &end, &v) < 0 || trace_text_skip_ws(end) != br + 1 ||
            v > INT32_MAX)
                return 0;
        l.comm = p;
        l.comm_len = (size_t) (dash - p);
        l.pid = (int) v;
        if (trace_text_ull(br + 2, 10, &end, &v) < 0 || *end != ']' || v >= CPUMAP_MAX_CPUS)
                return 0;
        l.cpu = (unsigned) v;
        p = trace_text_skip_ws(end + 1);
        if (trace_text_time(p, &end, &l.ts) < 0) {      /* a flags column first */
                const char *flags = p;

                p = strchr(p, ' ');
                if (!p || trace_text_time(trace_text_skip_ws(p), &end, &l.ts) < 0)
                        return 0;
                l.has_flags = true;
                /* "d.h1.": the third column is h (hardirq), s (softirq) or
                 * H (hardirq inside softirq) */
                l.in_hardirq = p - flags >= 3 && (flags[2] == 'h' || flags[2] == 'H');
                l.in_softirq = p - flags >= 3 && (flags[2] == 's' || flags[2] == 'H');
        }
        if (*end != ':')
                return 0;
        l.event = trace_text_skip_ws(end + 1);
        colon = strchr(l.event, ':');
        if (!colon)
                return 0;
        l.event_len = (size_t) (colon - l.event);
        l.payload = trace_text_skip_ws(colon + 1);
        *out = l;
        return 1;
}

bool trace_line_is(const struct trace_line *l, const char *name) {
        return l->event_len == strlen(name) && strncmp(l->event, name, l->event_len) == 0;
}

int trace_text_noise(const char *payload, bool named, struct trace_noise *out) {
        struct trace_noise n = { 0 };
        const char *p = trace_text_skip_ws(payload), *end;
        unsigned long long v;

        if (named) {
                /* "NAME:NUM start": NAME ends at the last ':' before " start " */
                const char *st = strstr(p, " start "), *colon = NULL;

                if (!st)
                        return -EINVAL;
                for (const char *q = p; q < st; q++)
                        if (*q == ':')
                                colon = q;
                if (!colon || trace_text_ull(colon + 1, 10, &end, &v) < 0 || end != st || v > INT32_MAX)
                        return -EINVAL;
                n.name = p;
                n.name_len = (size_t) (colon - p);
                n.num = (int) v;
                p = st + 1;
        }
        if (strncmp(p, "start ", 6) != 0 || trace_text_time(p + 6, &p, &n.start_ns) < 0)
                return -EINVAL;
        p = trace_text_skip_ws(p);
        if (strncmp(p, "duration ", 9) != 0 || trace_text_ull(p + 9, 10, &end, &v) < 0 ||
            strncmp(end, " ns", 3) != 0)
                return -EINVAL;
        n.duration_ns = v;
        *out = n;
        return 0;
}
