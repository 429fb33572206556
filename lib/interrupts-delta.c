/* interrupts-delta.c — per-CPU counts between two /proc/interrupts
 * snapshots, robust to rows and CPU columns coming and going; see
 * interrupts_delta() in interrupts.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interrupts.h"
#include "util.h"

/* Kernel counters are unsigned int: a decrease is one 32-bit wrap. */
static uint64_t counter_delta(uint64_t before, uint64_t after) {
        if (after >= before)
                return after - before;
        if (before <= UINT32_MAX)
                return after + (UINT64_C(1) << 32) - before;
        return 0;
}

static bool same_source(const struct irq_row *a, const struct irq_row *b) {
        if (a->per_cpu != b->per_cpu)
                return false;
        if (!a->chip || !b->chip)
                return !a->chip && !b->chip;
        return streq(a->chip, b->chip);
}

static char *strdup_or_null(const char *s, bool *oom) {
        char *d;

        if (!s)
                return NULL;
        d = strdup(s);
        if (!d)
                *oom = true;
        return d;
}

static int row_delta(const struct interrupts *before, const struct irq_row *a,
                     struct interrupts *out, struct irq_row *row) {
        const struct irq_row *b = interrupts_find(before, a->name);
        bool oom = false;

        *row = (struct irq_row) {
                .numeric = a->numeric,
                .irq = a->irq,
                .per_cpu = a->per_cpu,
                .owner = out,
        };
        row->name = strdup_or_null(a->name, &oom);
        row->desc = strdup_or_null(a->desc, &oom);
        row->chip = strdup_or_null(a->chip, &oom);
        row->actions = strdup_or_null(a->actions, &oom);
        row->counts = calloc(out->ncols, sizeof(uint64_t));
        if (oom || !row->counts)
                return -ENOMEM;

        if (!b || !same_source(a, b)) {
                row->no_baseline = true;
                memcpy(row->counts, a->counts, out->ncols * sizeof(uint64_t));
                return 0;
        }
        if (!a->per_cpu) {
                row->counts[0] = counter_delta(b->counts[0], a->counts[0]);
                return 0;
        }
        for (unsigned c = 0; c < out->ncols; c++) {
                unsigned cpu = out->cpus[c];

                if (cpumap_test(&before->online, cpu))
                        row->counts[c] = counter_delta(irq_row_count(b, cpu), a->counts[c]);
        }
        return 0;
}

int interrupts_delta(const struct interrupts *before, const struct interrupts *after,
                     struct interrupts **ret) {
        _cleanup_(interrupts_freep) struct interrupts *out = NULL;
        int r;

        if (!before || !after || !ret)
                return -EINVAL;
        out = calloc(1, sizeof(*out));
        if (!out)
                return -ENOMEM;
        out->online = after->online;
        out->cpus = malloc(after->ncols * sizeof(unsigned));
        out->rows = calloc(after->nrows ? after->nrows : 1, sizeof(struct irq_row));
        if (!out->cpus || !out->rows)
                return -ENOMEM;
        memcpy(out->cpus, after->cpus, after->ncols * sizeof(unsigned));
        out->ncols = after->ncols;

        for (size_t i = 0; i < after->nrows; i++) {
                out->nrows++;   /* counted first so that free() sees it */
                r = row_delta(before, &after->rows[i], out, &out->rows[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(out);
        return 0;
}
