/* cpumap.h — fixed-size CPU bitmap and its text forms.
 *
 * Purpose: one value type for CPU sets everywhere in tlbisol (isolated CPUs,
 * housekeeping CPUs, IRQ affinities), plus the two kernel text encodings:
 *   - cpulist  "0-3,8,10-11" (sysfs *_list files, cpuset.cpus, isolcpus=),
 *     parsed with the kernel bitmap_parselist() grammar (cpulist.c);
 *   - hex mask "ff,ffffffff" (/proc/irq/N/smp_affinity, workqueue cpumask),
 *     32-bit comma-separated groups, most significant first (cpumask-hex.c).
 *
 * Usage:
 *   struct cpumap m;
 *   r = cpulist_parse("2-3", 0, &m);        // ncpus 0 = CPUMAP_MAX_CPUS
 *   int cpu; CPUMAP_FOREACH(cpu, &m) ...;
 *   _cleanup_free_ char *s = NULL; r = cpulist_format_alloc(&m, &s);
 *
 * CPU numbers >= CPUMAP_MAX_CPUS are ignored by cpumap_set/clear and read
 * as clear by cpumap_test. Parsers return -EINVAL (syntax) or -ERANGE (a CPU
 * >= ncpus) and leave *out untouched on failure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPUMAP_MAX_CPUS 8192
#define CPUMAP_WORDS (CPUMAP_MAX_CPUS / 64)

struct cpumap {
        uint64_t bits[CPUMAP_WORDS];
};

static inline void cpumap_set(struct cpumap *m, unsigned cpu) {
        if (cpu < CPUMAP_MAX_CPUS)
                m->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}
static inline void cpumap_clear(struct cpumap *m, unsigned cpu) {
        if (cpu < CPUMAP_MAX_CPUS)
                m->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}
static inline bool cpumap_test(const struct cpumap *m, unsigned cpu) {
        return cpu < CPUMAP_MAX_CPUS && (m->bits[cpu / 64] >> (cpu % 64)) & 1;
}

void cpumap_zero(struct cpumap *m);
/* Sets CPUs first..last inclusive (clipped to CPUMAP_MAX_CPUS). */
void cpumap_set_range(struct cpumap *m, unsigned first, unsigned last);
unsigned cpumap_count(const struct cpumap *m);
bool cpumap_is_empty(const struct cpumap *m);
bool cpumap_equal(const struct cpumap *a, const struct cpumap *b);
bool cpumap_intersects(const struct cpumap *a, const struct cpumap *b);
bool cpumap_is_subset(const struct cpumap *sub, const struct cpumap *super);
/* dst may alias a or b. */
void cpumap_and(struct cpumap *dst, const struct cpumap *a, const struct cpumap *b);
void cpumap_or(struct cpumap *dst, const struct cpumap *a, const struct cpumap *b);
void cpumap_andnot(struct cpumap *dst, const struct cpumap *a, const struct cpumap *b);
/* First / next set CPU after prev / last set CPU; -1 when there is none. */
int cpumap_first(const struct cpumap *m);
int cpumap_next(const struct cpumap *m, int prev);
int cpumap_last(const struct cpumap *m);

/* The set as bytes, bit c of byte c/8 being CPU c (systemd's AllowedCPUs=
 * "ay", the kernel's bitmap order). Returns the number of bytes up to the
 * last CPU (0 for the empty set), -ENOSPC if len is too short. */
int cpumap_to_bytes(const struct cpumap *m, unsigned char *buf, size_t len);

#define CPUMAP_FOREACH(cpu, m) \
        for ((cpu) = cpumap_first(m); (cpu) >= 0; (cpu) = cpumap_next((m), (cpu)))

/* cpulist (cpulist.c). Grammar, as the kernel's bitmap_parselist():
 *   list   := [ws] [entry (ws? ',' ws? entry)*] [ws]
 *   entry  := num | num '-' num [':' used '/' group] | "all" [':' used '/' group]
 *   num    := decimal | 'N'          ('N' is ncpus - 1)
 * "0-15:2/4" takes the first 2 CPUs of every group of 4: 0,1,4,5,8,9,12,13.
 * The empty string (or only whitespace) is the empty set. Stricter than the
 * kernel: empty entries ("1,,2") and blank-separated entries are -EINVAL. */
int cpulist_parse(const char *s, unsigned ncpus, struct cpumap *out);
/* Same, and on failure writes a one-line reason for users into err, e.g.
 * "CPU 9 is out of range (this machine has CPUs 0-3)". err may be NULL. */
int cpulist_parse_err(const char *s, unsigned ncpus, struct cpumap *out,
                      char *err, size_t errlen);
/* Exactly what the kernel's cpulist_parse() accepts: also empty entries
 * and blanks as separators ("1,,2", "1 2", "3,"). For text the kernel has
 * already accepted, e.g. the kernel command line. */
int cpulist_parse_lenient(const char *s, unsigned ncpus, struct cpumap *out);
/* Compact form "0-3,8" (runs of two or more CPUs as ranges, like the
 * kernel's %*pbl); "" for the empty set. -ENOSPC if len is too small. */
int cpulist_format(const struct cpumap *m, char *buf, size_t len);
int cpulist_format_alloc(const struct cpumap *m, char **ret);

/* Hex cpumask (cpumask-hex.c). Groups of 1-8 hex digits separated by commas,
 * most significant group first; surrounding whitespace and a trailing
 * newline are tolerated. Set bits >= ncpus give -ERANGE. */
int cpumask_parse_hex(const char *s, unsigned ncpus, struct cpumap *out);
/* Formats like the kernel's %*pb over nbits bits ("f" for 4 CPUs,
 * "ff,ffffffff" for 40): zero-padded, leading group ceil((nbits%32)/4)
 * digits. nbits 0 = just enough for the highest set CPU. -ERANGE if a CPU
 * >= nbits is set, -ENOSPC if len is too small. */
int cpumask_format_hex(const struct cpumap *m, unsigned nbits, char *buf, size_t len);
int cpumask_format_hex_alloc(const struct cpumap *m, unsigned nbits, char **ret);
