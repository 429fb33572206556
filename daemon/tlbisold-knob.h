/* tlbisold-knob.h — one file tlbisold writes ("knob"): its kind, desired
 * value and how values compare (cpulist, hex mask, "[selected]" word,
 * plain text); the catalogue of every file tlbisold may write (IRQ
 * affinities, the default affinity, the workqueue mask and the tunables of
 * [Tuning]), which is also what a state file may name. Pure logic; returns
 * 0 or a negative errno. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct fsroot;

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

/* ---- the catalogue: every file tlbisold may write ---- */

/* The sysctl-like knobs of [Tuning], in table order. Value "keep" = do not touch. */
enum tunable {
        TUNABLE_NUMA_BALANCING,
        TUNABLE_STAT_INTERVAL,
        TUNABLE_NMI_WATCHDOG,
        TUNABLE_WATCHDOG_CPUMASK,
        TUNABLE_TIMER_MIGRATION,
        TUNABLE_THP,
        TUNABLE_KHUGEPAGED_DEFRAG,
        TUNABLE_KSM,
        TUNABLE_SCHED_RT_RUNTIME,
        _TUNABLE_MAX,
};

struct tunable_info {
        const char *key;        /* in [Tuning] */
        const char *path;
        int kind;               /* enum knob_kind */
        const char *def;
        const char *const *choices;     /* NULL: an integer (min below) */
        long min;
};
extern const struct tunable_info tunables[_TUNABLE_MAX];

#define KNOB_WQ_CPUMASK           "/sys/devices/virtual/workqueue/cpumask"
#define KNOB_WQ_CPUMASK_REQUESTED "/sys/devices/virtual/workqueue/cpumask_requested"
#define KNOB_DEFAULT_AFFINITY     "/proc/irq/default_smp_affinity"
#define KNOB_VALUE_MAX            4096  /* longest value a state file may hold */


/* The kind of a file tlbisold writes: /proc/irq/N/smp_affinity_list,
 * the default affinity, the workqueue mask (read through
 * cpumask_requested or not) and the tunables, each read through itself
 * (read_path NULL). -EPERM for any other path or read path. */
int knob_catalogue_kind(const char *path, const char *read_path);
/* 0 if value is a well-formed value of kind (cpulist, hex mask, one
 * selector word, blank-separated integers), -EINVAL if not. */
int knob_value_valid(enum knob_kind kind, const char *value);
