/* cpulist.c — parse and format the kernel cpulist form "0-3,8,10-11".
 *
 * Follows lib/bitmap-str.c bitmap_parselist() (ranges, "N", "all",
 * "start-end:used/group" strides), stricter about separators; see cpumap.h.
 * Errors can be explained to users through cpulist_parse_err(). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpumap.h"

struct parser {
        const char *s;          /* whole input, for positions */
        const char *p;          /* cursor */
        unsigned ncpus;
        char *err;
        size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct parser *ps, int r, const char *fmt, ...) {
        va_list ap;

        if (ps->err && ps->errlen > 0) {
                va_start(ap, fmt);
                vsnprintf(ps->err, ps->errlen, fmt, ap);
                va_end(ap);
        }
        return r;
}

static size_t column(const struct parser *ps) {
        return (size_t) (ps->p - ps->s) + 1;
}

static void skip_space(struct parser *ps) {
        while (isspace((unsigned char) *ps->p))
                ps->p++;
}

static int describe_char(const struct parser *ps, char *buf, size_t len) {
        unsigned char c = (unsigned char) *ps->p;

        if (c == '\0')
                return snprintf(buf, len, "end of input");
        if (isprint(c))
                return snprintf(buf, len, "'%c' at position %zu", c, column(ps));
        return snprintf(buf, len, "byte 0x%02x at position %zu", c, column(ps));
}

static int expected(struct parser *ps, const char *what) {
        char got[48];

        describe_char(ps, got, sizeof(got));
        return fail(ps, -EINVAL, "expected %s, found %s", what, got);
}

/* A CPU number: decimal digits, or 'N' for the last CPU. */
static int get_num(struct parser *ps, unsigned *ret) {
        uint64_t v = 0;

        if (*ps->p == 'N') {
                ps->p++;
                *ret = ps->ncpus - 1;
                return 0;
        }
        if (!isdigit((unsigned char) *ps->p))
                return expected(ps, "a CPU number");
        for (; isdigit((unsigned char) *ps->p); ps->p++) {
                v = v * 10 + (uint64_t) (*ps->p - '0');
                if (v > UINT32_MAX)
                        return fail(ps, -ERANGE, "number at position %zu is too large",
                                    column(ps));
        }
        *ret = (unsigned) v;
        return 0;
}

static int out_of_range(struct parser *ps, const char *entry, unsigned start, unsigned end) {
        char have[64];
        int n = (int) (ps->p - entry);

        if (ps->ncpus == CPUMAP_MAX_CPUS)
                snprintf(have, sizeof(have), "at most %u CPUs are supported", CPUMAP_MAX_CPUS);
        else if (ps->ncpus == 1)
                snprintf(have, sizeof(have), "this machine has CPU 0");
        else
                snprintf(have, sizeof(have), "this machine has CPUs 0-%u", ps->ncpus - 1);

        if (start == end)
                return fail(ps, -ERANGE, "CPU %u is out of range (%s)", end, have);
        return fail(ps, -ERANGE, "range \"%.*s\" goes beyond CPU %u (%s)",
                    n, entry, ps->ncpus - 1, have);
}

static int parse_entry(struct parser *ps, struct cpumap *m) {
        const char *entry = ps->p;
        unsigned start, end, used, group;
        bool range = true;
        int r, n;

        if (strncasecmp(ps->p, "all", 3) == 0) {
                ps->p += 3;
                start = 0;
                end = ps->ncpus - 1;
        } else {
                r = get_num(ps, &start);
                if (r < 0)
                        return r;
                if (*ps->p == '-') {
                        ps->p++;
                        r = get_num(ps, &end);
                        if (r < 0)
                                return r;
                } else {
                        end = start;
                        range = false;
                }
        }
        used = group = end + 1;
        if (range && *ps->p == ':') {
                ps->p++;
                r = get_num(ps, &used);
                if (r < 0)
                        return r;
                if (*ps->p != '/')
                        return expected(ps, "'/' in a stride like \"0-15:2/4\"");
                ps->p++;
                r = get_num(ps, &group);
                if (r < 0)
                        return r;
        }

        n = (int) (ps->p - entry);
        if (start > end)
                return fail(ps, -EINVAL, "invalid range \"%.*s\": start is after end", n, entry);
        if (group == 0)
                return fail(ps, -EINVAL, "invalid stride \"%.*s\": group size is 0", n, entry);
        if (used > group)
                return fail(ps, -EINVAL,
                            "invalid stride \"%.*s\": used size %u is larger than group size %u",
                            n, entry, used, group);
        if (end >= ps->ncpus)
                return out_of_range(ps, entry, start, end);

        for (uint64_t g = start; g <= end; g += group)
                for (uint64_t cpu = g; cpu < g + used && cpu <= end; cpu++)
                        cpumap_set(m, (unsigned) cpu);
        return 0;
}

static int parse_list(const char *s, unsigned ncpus, bool lenient, struct cpumap *out,
                      char *err, size_t errlen) {
        struct parser ps = { .s = s, .p = s, .err = err, .errlen = errlen };
        struct cpumap m;
        int r;

        if (!s || !out || ncpus > CPUMAP_MAX_CPUS)
                return fail(&ps, -EINVAL, "invalid arguments");
        ps.ncpus = ncpus == 0 ? CPUMAP_MAX_CPUS : ncpus;
        cpumap_zero(&m);

        if (lenient) {
                /* kernel: any run of blanks and commas separates entries */
                for (;;) {
                        while (isspace((unsigned char) *ps.p) || *ps.p == ',')
                                ps.p++;
                        if (*ps.p == '\0')
                                break;
                        r = parse_entry(&ps, &m);
                        if (r < 0)
                                return r;
                        if (*ps.p && *ps.p != ',' && !isspace((unsigned char) *ps.p))
                                return expected(&ps, "',' or end of list");
                }
                *out = m;
                return 0;
        }

        skip_space(&ps);
        while (*ps.p) {
                r = parse_entry(&ps, &m);
                if (r < 0)
                        return r;
                skip_space(&ps);
                if (*ps.p == '\0')
                        break;
                if (*ps.p != ',')
                        return expected(&ps, "',' or end of list");
                ps.p++;
                skip_space(&ps);
                if (*ps.p == '\0' || *ps.p == ',')
                        return fail(&ps, -EINVAL, "empty entry at position %zu", column(&ps));
        }
        *out = m;
        return 0;
}

int cpulist_parse_err(const char *s, unsigned ncpus, struct cpumap *out,
                      char *err, size_t errlen) {
        return parse_list(s, ncpus, false, out, err, errlen);
}

int cpulist_parse(const char *s, unsigned ncpus, struct cpumap *out) {
        return parse_list(s, ncpus, false, out, NULL, 0);
}

int cpulist_parse_lenient(const char *s, unsigned ncpus, struct cpumap *out) {
        return parse_list(s, ncpus, true, out, NULL, 0);
}

/* Writes the list into buf when buf is not NULL; returns its length. */
static size_t emit(const struct cpumap *m, char *buf, size_t len) {
        size_t pos = 0;
        int cpu = cpumap_first(m);

        while (cpu >= 0) {
                int last = cpu, next;
                char item[32];
                int n;

                while ((next = cpumap_next(m, last)) == last + 1)
                        last = next;
                if (last == cpu)
                        n = snprintf(item, sizeof(item), "%s%d", pos ? "," : "", cpu);
                else
                        n = snprintf(item, sizeof(item), "%s%d-%d", pos ? "," : "", cpu, last);
                if (buf && pos + (size_t) n < len)
                        memcpy(buf + pos, item, (size_t) n);
                pos += (size_t) n;
                cpu = next;
        }
        if (buf && pos < len)
                buf[pos] = '\0';
        return pos;
}

int cpulist_format(const struct cpumap *m, char *buf, size_t len) {
        if (!m || !buf)
                return -EINVAL;
        if (emit(m, NULL, 0) >= len)
                return -ENOSPC;
        emit(m, buf, len);
        return 0;
}

int cpulist_format_alloc(const struct cpumap *m, char **ret) {
        size_t len;
        char *buf;

        if (!m || !ret)
                return -EINVAL;
        len = emit(m, NULL, 0) + 1;
        buf = malloc(len);
        if (!buf)
                return -ENOMEM;
        emit(m, buf, len);
        *ret = buf;
        return 0;
}
