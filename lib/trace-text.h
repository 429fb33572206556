/* trace-text.h — the grammar of a tracefs "trace" text line, shared by the
 * recorded-trace readers of osnoise-decode.c and attrib-text.c.
 *
 * A record line, as the kernel prints it (comm may hold blanks and '-';
 * the flags column is there unless the "irq-info" option is off):
 *   "  <idle>-0  [002] d.h1.  123.456789: irq_noise: call_function:251 start 123.456780123 duration 5432 ns"
 *    comm    pid  cpu  flags  timestamp   event      payload
 * and the payload of osnoise's irq/softirq/thread_noise ("NAME:NUM start
 * S.NNNNNNNNN duration D ns", NAME may hold ':' and leading blanks) and
 * nmi_noise (the same without "NAME:NUM").
 *
 * Strings are not copied: the pointers and lengths point into the line. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trace_line {
        const char *comm;
        size_t comm_len;
        int pid;
        unsigned cpu;                   /* < CPUMAP_MAX_CPUS */
        uint64_t ts;                    /* ns */
        bool has_flags;                 /* a flags column ("d.h1.") was there */
        bool in_hardirq;                /* its third column is h or H */
        bool in_softirq;                /* ... s or H (hardirq in softirq) */
        const char *event;
        size_t event_len;
        const char *payload;            /* blanks skipped */
};

struct trace_noise {
        const char *name;               /* NULL without "NAME:NUM" */
        size_t name_len;
        int num;                        /* vector or pid; 0 without */
        uint64_t start_ns, duration_ns;
};

const char *trace_text_skip_ws(const char *p);
/* "123.456789" or "123.456780123" -> ns; *end after the last digit.
 * -EINVAL when p does not start so. */
int trace_text_time(const char *p, const char **end, uint64_t *ns);
/* A number in base 10 or 16 (no sign, no prefix); *end after it.
 * -EINVAL when p does not start with a digit, -ERANGE on overflow. */
int trace_text_ull(const char *p, int base, const char **end, unsigned long long *v);
/* 1 and *out for a record line; 0 for any other line (comments, stack
 * frames, a "<stack trace>" header, blank). */
int trace_text_line(const char *line, struct trace_line *out);
/* The payload of an osnoise *_noise event, with (named) or without the
 * "NAME:NUM " part (NUM <= INT32_MAX). 0, or -EINVAL. */
int trace_text_noise(const char *payload, bool named, struct trace_noise *out);
/* Whether the event of l is called name. */
bool trace_line_is(const struct trace_line *l, const char *name);
