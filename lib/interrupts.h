/* interrupts.h — parse /proc/interrupts and compute per-CPU deltas.
 *
 * Purpose: count what reaches each CPU (device IRQs and the arch rows CAL,
 * TLB, RES, LOC, ...) between two snapshots, e.g. to show that an isolated
 * CPU received no function-call IPIs.
 *
 * Usage:
 *   _cleanup_(interrupts_freep) struct interrupts *a = NULL, *b = NULL, *d = NULL;
 *   r = interrupts_read(fs, &a); ...; r = interrupts_read(fs, &b);
 *   r = interrupts_delta(a, b, &d);
 *   const struct irq_row *cal = interrupts_find(d, "CAL");
 *   uint64_t n = cal ? irq_row_count(cal, 3) : 0;
 *
 * Format (kernel/irq/proc.c show_interrupts, arch_show_interrupts): a header
 * "CPU0 CPU1 CPU3" naming the online CPUs (offline ones have no column),
 * then rows "NAME: count... text". Numeric rows end with the chip, hwirq,
 * flow name and the action (handler) names; named rows (NMI, LOC, CAL, ...)
 * end with a description; ERR and MIS carry one total and no text. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "cpumap.h"

struct fsroot;
struct interrupts;

struct irq_row {
        char *name;             /* "24", "LOC", "ERR" (without the colon) */
        bool numeric;           /* name is an IRQ number ... */
        unsigned irq;           /* ... this one */
        bool per_cpu;           /* false: a single total in counts[0] (ERR, MIS) */
        uint64_t *counts;       /* one per column of the owner (see cpus[]) */
        char *desc;             /* text after the counts, trimmed; "" if none */
        char *chip;             /* numeric rows: first word of desc, else NULL */
        char *actions;          /* numeric rows: handler name(s) at the end of
                                 * desc ("ahci[0000:00:1f.2]", "acpi, foo"), or NULL */
        bool no_baseline;       /* deltas only: row absent from "before" (or a
                                 * different chip), counts are since boot */
        const struct interrupts *owner;
};

struct interrupts {
        unsigned ncols;
        unsigned *cpus;         /* column -> CPU number, ascending */
        struct cpumap online;   /* CPUs that have a column */
        size_t nrows;
        struct irq_row *rows;   /* in file order */
};

/* -EINVAL for a malformed header or row, -ENOMEM. */
int interrupts_parse(const char *text, struct interrupts **ret);
/* fsroot_read("/proc/interrupts") + interrupts_parse(). fs may be NULL. */
int interrupts_read(const struct fsroot *fs, struct interrupts **ret);
void interrupts_free(struct interrupts *ints);
static inline void interrupts_freep(struct interrupts **ints) { interrupts_free(*ints); }

/* Row by name ("CAL", "24"); NULL if absent. */
const struct irq_row *interrupts_find(const struct interrupts *ints, const char *name);
const struct irq_row *interrupts_find_irq(const struct interrupts *ints, unsigned irq);
/* Count of the row on a CPU; 0 if the CPU has no column or the row only
 * has a total. */
uint64_t irq_row_count(const struct irq_row *row, unsigned cpu);
/* Sum over the CPUs in cpus that have a column (0 for total-only rows). */
uint64_t irq_row_sum(const struct irq_row *row, const struct cpumap *cpus);
/* Sum over all columns, or the total of total-only rows. */
uint64_t irq_row_total(const struct irq_row *row);

/* after - before, per row and CPU, with the columns and rows of after.
 * Rows only in before are dropped. Rows only in after (or whose chip
 * changed) keep their counts and get no_baseline set. CPUs without a column
 * in before (they came online) count 0: their counters predate going
 * offline; compare before->online with after->online to spot them.
 * Counters are 32-bit in the kernel; a decrease is taken as one wrap. */
int interrupts_delta(const struct interrupts *before, const struct interrupts *after,
                     struct interrupts **ret);
