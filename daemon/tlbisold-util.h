/* tlbisold-util.h — the pure logic of tlbisold, unit-tested against fixture
 * trees (daemon/test-tlbisold-util.c); nothing here logs or touches the
 * daemon's event loop.
 *
 *   knob_*       one file tlbisold writes: its desired value and how values
 *                compare (cpulist, hex mask, "[selected]" word, plain text);
 *   saved_*      the original value of every file changed so far, and the
 *                crash-safe state file that keeps them (write-temp-rename);
 *   converge     save-then-write the desired knobs, restore the rest.
 *
 * All functions return 0 (or a count) or a negative errno. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpumap.h"
#include "isolation.h"

struct fsroot;

/* ---- knobs ---- */
enum knob_kind {
        KNOB_STRING,            /* compared as trimmed text */
        KNOB_CPULIST,           /* "0-3,8" */
        KNOB_HEXMASK,           /* "f" / "ff,ffffffff" */
        KNOB_SELECTOR,          /* "always [madvise] never": value is the bracketed word */
        _KNOB_KIND_MAX,
};
const char *knob_kind_to_string(enum knob_kind k);
int knob_kind_from_string(const char *s);

struct knob {
        char *path;             /* file written (the identity of the knob) */
        char *read_path;        /* file read to compare/save; NULL = path */
        enum knob_kind kind;
        char *value;            /* desired, normalized */
        int irq;                /* IRQ number, -1 otherwise */
};

struct knob_list {
        struct knob *k;
        size_t n;
};
void knob_list_done(struct knob_list *l);
int knob_list_add(struct knob_list *l, const char *path, const char *read_path,
                  enum knob_kind kind, const char *value, int irq);
const struct knob *knob_list_find(const struct knob_list *l, const char *path);

/* Normalized current value of a file of that kind (first line, trimmed;
 * the bracketed word for selectors). */
int knob_read(const struct fsroot *fs, const char *path, enum knob_kind kind, char **ret);
/* 1 if a and b denote the same value for that kind, 0 if not. */
int knob_value_equal(enum knob_kind kind, const char *a, const char *b);

/* ---- saved originals and the state file ---- */
struct saved {
        char *path, *read_path; /* read_path NULL = path */
        enum knob_kind kind;
        char *orig;
};

/* a task moved off the isolated CPUs (tlbisold-tasks.h) */
struct saved_task {
        int tid;
        unsigned long long start;       /* identity: a recycled TID has another start time */
        char comm[64];
        struct cpumap orig;
};

struct state {
        struct saved *saved;
        size_t n_saved;
        struct saved_task *tasks;
        size_t n_tasks;
        struct cpumap runtime;  /* CPUs isolated by runtime requests */
        /* module controls before tlbisold changed them; -1 = not changed */
        int module_sync, module_defer;
        struct cpumap module_defer_mask;
        bool module_has_mask;
};

void state_init(struct state *s);
void state_done(struct state *s);
const struct saved *state_find(const struct state *s, const char *path);
int state_add(struct state *s, const char *path, const char *read_path, enum knob_kind kind,
              const char *orig);
void state_remove(struct state *s, const char *path);
struct saved_task *state_find_task(const struct state *s, int tid, unsigned long long start);
int state_add_task(struct state *s, int tid, unsigned long long start, const char *comm,
                   const struct cpumap *orig);
void state_remove_task(struct state *s, int tid, unsigned long long start);
/* Text form, one record per line ("runtime\t0-1", "save\t<kind>\t<path>\t<read
 * path or ->\t<escaped value>", "module\t...", "task\t<tid>\t<start>\t<cpulist>\t<escaped
 * comm>"); values C-escaped. */
int state_serialize(const struct state *s, char **ret);
/* -EBADMSG (with the line number in *ret_line) for a malformed file. */
int state_parse(const char *text, struct state *ret, unsigned *ret_line);
/* Write-temp-fsync-rename into dir/name (real paths: /run is not in fsroot). */
int state_save(const struct state *s, const char *dir, const char *name);
/* -ENOENT if there is none. */
int state_load(const char *dir, const char *name, struct state *ret, unsigned *ret_line);

/* ---- converge ---- */
enum converge_event {
        CONVERGE_WRITTEN,       /* desired value written */
        CONVERGE_WRITE_FAILED,  /* r says why; transient or permanent */
        CONVERGE_RESTORED,      /* original written back */
        CONVERGE_RESTORE_FAILED,
        CONVERGE_SAVE_FAILED,   /* could not read the original: not touched */
};

struct converge_ops {
        /* Persist the state before any write that needs a new saved entry;
         * a failure aborts converge before anything is written. */
        int (*persist)(const struct state *s, void *userdata);
        void (*report)(enum converge_event ev, const char *path, int irq, const char *value,
                       int r, void *userdata);
        void *userdata;
};

/* Brings the system to `want`: saves originals of knobs not yet saved
 * (persisting the state first), writes those whose current value differs,
 * and restores every saved knob that is no longer wanted. Knobs whose write
 * fails permanently lose their saved entry (nothing was changed). Returns
 * the number of failures, or a negative errno if persisting failed. */
int converge(const struct fsroot *fs, struct state *st, const struct knob_list *want,
             const struct converge_ops *ops);

/* ---- plans: the knobs wanted for an isolated set ---- */
/* IRQ affinity rule: keep the original affinity minus the isolated CPUs;
 * when nothing is left, all housekeeping CPUs. false: no change needed. */
bool affinity_for(const struct cpumap *orig, const struct cpumap *isolated,
                  const struct cpumap *housekeeping, struct cpumap *ret);

struct irq_skip {               /* IRQs not to touch (found unmovable) */
        const unsigned *irqs;
        size_t n;
};

/* /proc/irq/N/smp_affinity_list for every IRQ and /proc/irq/default_smp_affinity. */
int plan_irqs(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
              const struct irq_skip *skip, bool default_affinity, struct knob_list *out);

/* Unbound workqueue cpumask. On 6.8+ (cpumask_requested exists) the kernel
 * already keeps unbound work off cpumask_isolated (partitions) and off the
 * boot-isolated CPUs; only the remaining isolated CPUs are removed from the
 * requested mask, so tlbisold never writes what the kernel owns. */
int plan_workqueue(const struct fsroot *fs, const struct state *st, const struct isolation *iso,
                   const struct cpumap *kernel_excluded, struct knob_list *out);
