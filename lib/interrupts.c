/* interrupts.c — /proc/interrupts parser and row queries; see interrupts.h.
 * Deltas between snapshots are in interrupts-delta.c. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsroot.h"
#include "interrupts.h"
#include "parse.h"
#include "util.h"

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static const char *skip_blank(const char *p) {
        while (is_blank(*p))
                p++;
        return p;
}

/* "CPU0 CPU1 CPU3": fills ints->cpus/ncols/online. */
static int parse_header(struct interrupts *ints, const char *line, size_t len) {
        _cleanup_free_ char *copy = strndup(line, len);
        char *save = NULL;
        unsigned n = 0;

        if (!copy)
                return -ENOMEM;
        ints->cpus = calloc(len / 4 + 1, sizeof(unsigned));
        if (!ints->cpus)
                return -ENOMEM;
        for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
                unsigned cpu;

                if (strncmp(tok, "CPU", 3) != 0 || parse_uint(tok + 3, &cpu) < 0)
                        return -EINVAL;
                if (cpu >= CPUMAP_MAX_CPUS || (n > 0 && cpu <= ints->cpus[n - 1]))
                        return -EINVAL;
                ints->cpus[n++] = cpu;
                cpumap_set(&ints->online, cpu);
        }
        if (n == 0)
                return -EINVAL;
        ints->ncols = n;
        return 0;
}

/* Handler names: what follows the last run of two or more blanks after the
 * chip word (the kernel prints "  " before the first action). */
static int split_desc(struct irq_row *row) {
        const char *d = row->desc, *chip_end, *act = NULL;

        chip_end = d + strcspn(d, " \t");
        row->chip = strndup(d, (size_t) (chip_end - d));
        if (!row->chip)
                return -ENOMEM;
        for (const char *p = chip_end; *p; p++)
                if (is_blank(p[0]) && is_blank(p[1]) && !is_blank(p[2]) && p[2])
                        act = p + 2;
        if (act) {
                row->actions = strdup(act);
                if (!row->actions)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_row(struct interrupts *ints, struct irq_row *row, const char *line, size_t len) {
        const char *end = line + len, *p = skip_blank(line), *colon;
        unsigned n = 0;

        colon = memchr(p, ':', (size_t) (end - p));
        if (!colon || colon == p)
                return -EINVAL;
        for (const char *q = p; q < colon; q++)
                if (isspace((unsigned char) *q))
                        return -EINVAL;
        row->owner = ints;
        row->name = strndup(p, (size_t) (colon - p));
        row->counts = calloc(ints->ncols, sizeof(uint64_t));
        if (!row->name || !row->counts)
                return -ENOMEM;
        row->numeric = parse_uint(row->name, &row->irq) >= 0;

        for (p = colon + 1; n < ints->ncols; n++) {
                uint64_t v = 0;
                const char *q;

                p = skip_blank(p);
                for (q = p; q < end && isdigit((unsigned char) *q); q++) {
                        if (v > (UINT64_MAX - 9) / 10)
                                return -EINVAL;
                        v = v * 10 + (uint64_t) (*q - '0');
                }
                if (q == p || (q < end && !is_blank(*q)))
                        break;  /* not a count: the description starts here */
                row->counts[n] = v;
                p = q;
        }
        p = skip_blank(p);
        while (end > p && isspace((unsigned char) end[-1]))
                end--;
        row->desc = strndup(p, (size_t) (end - p));
        if (!row->desc)
                return -ENOMEM;

        if (n == 1 && ints->ncols > 1 && !row->numeric && row->desc[0] == '\0')
                row->per_cpu = false;           /* ERR, MIS */
        else if (n == ints->ncols)
                row->per_cpu = true;
        else
                return -EINVAL;

        return row->numeric ? split_desc(row) : 0;
}

int interrupts_parse(const char *text, struct interrupts **ret) {
        _cleanup_(interrupts_freep) struct interrupts *ints = NULL;
        size_t alloc = 0;
        bool header = false;
        int r;

        if (!text || !ret)
                return -EINVAL;
        ints = calloc(1, sizeof(*ints));
        if (!ints)
                return -ENOMEM;

        for (const char *line = text; *line;) {
                size_t len = strcspn(line, "\n");
                const char *next = line[len] ? line + len + 1 : line + len;

                if (*skip_blank(line) == '\n' || *skip_blank(line) == '\0') {
                        line = next;
                        continue;
                }
                if (!header) {
                        r = parse_header(ints, line, len);
                        if (r < 0)
                                return r;
                        header = true;
                        line = next;
                        continue;
                }
                if (ints->nrows == alloc) {
                        size_t want = alloc ? alloc * 2 : 64;
                        struct irq_row *rows = realloc(ints->rows, want * sizeof(*rows));

                        if (!rows)
                                return -ENOMEM;
                        ints->rows = rows;
                        alloc = want;
                }
                ints->rows[ints->nrows] = (struct irq_row) {};
                ints->nrows++;  /* counted before parsing so that free() sees it */
                r = parse_row(ints, &ints->rows[ints->nrows - 1], line, len);
                if (r < 0)
                        return r;
                line = next;
        }
        if (!header)
                return -EINVAL;
        *ret = TAKE_PTR(ints);
        return 0;
}

int interrupts_read(const struct fsroot *fs, struct interrupts **ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = fsroot_read(fs, "/proc/interrupts", &text);
        if (r < 0)
                return r;
        return interrupts_parse(text, ret);
}

void interrupts_free(struct interrupts *ints) {
        if (!ints)
                return;
        for (size_t i = 0; i < ints->nrows; i++) {
                struct irq_row *row = &ints->rows[i];

                free(row->name);
                free(row->counts);
                free(row->desc);
                free(row->chip);
                free(row->actions);
        }
        free(ints->rows);
        free(ints->cpus);
        free(ints);
}

const struct irq_row *interrupts_find(const struct interrupts *ints, const char *name) {
        if (!ints || !name)
                return NULL;
        for (size_t i = 0; i < ints->nrows; i++)
                if (streq(ints->rows[i].name, name))
                        return &ints->rows[i];
        return NULL;
}

const struct irq_row *interrupts_find_irq(const struct interrupts *ints, unsigned irq) {
        if (!ints)
                return NULL;
        for (size_t i = 0; i < ints->nrows; i++)
                if (ints->rows[i].numeric && ints->rows[i].irq == irq)
                        return &ints->rows[i];
        return NULL;
}

static int cmp_cpu(const void *key, const void *elem) {
        unsigned a = *(const unsigned *) key, b = *(const unsigned *) elem;

        return a < b ? -1 : a > b;
}

uint64_t irq_row_count(const struct irq_row *row, unsigned cpu) {
        const unsigned *col;

        if (!row || !row->per_cpu)
                return 0;
        col = bsearch(&cpu, row->owner->cpus, row->owner->ncols, sizeof(unsigned), cmp_cpu);
        return col ? row->counts[col - row->owner->cpus] : 0;
}

uint64_t irq_row_sum(const struct irq_row *row, const struct cpumap *cpus) {
        uint64_t sum = 0;

        if (!row || !row->per_cpu)
                return 0;
        for (unsigned c = 0; c < row->owner->ncols; c++)
                if (!cpus || cpumap_test(cpus, row->owner->cpus[c]))
                        sum += row->counts[c];
        return sum;
}

uint64_t irq_row_total(const struct irq_row *row) {
        if (!row)
                return 0;
        return row->per_cpu ? irq_row_sum(row, NULL) : row->counts[0];
}
