/* cpumap.c — set operations on struct cpumap; text forms live in cpulist.c
 * and cpumask-hex.c. */
#include <errno.h>
#include <string.h>

#include "cpumap.h"

void cpumap_zero(struct cpumap *m) {
        memset(m, 0, sizeof(*m));
}

void cpumap_set_range(struct cpumap *m, unsigned first, unsigned last) {
        if (last >= CPUMAP_MAX_CPUS)
                last = CPUMAP_MAX_CPUS - 1;
        for (unsigned cpu = first; cpu <= last; cpu++)
                cpumap_set(m, cpu);
}

unsigned cpumap_count(const struct cpumap *m) {
        unsigned n = 0;

        for (size_t i = 0; i < CPUMAP_WORDS; i++)
                n += (unsigned) __builtin_popcountll(m->bits[i]);
        return n;
}

bool cpumap_is_empty(const struct cpumap *m) {
        for (size_t i = 0; i < CPUMAP_WORDS; i++)
                if (m->bits[i])
                        return false;
        return true;
}

bool cpumap_equal(const struct cpumap *a, const struct cpumap *b) {
        return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

bool cpumap_intersects(const struct cpumap *a, const struct cpumap *b) {
        for (size_t i = 0; i < CPUMAP_WORDS; i++)
                if (a->bits[i] & b->bits[i])
                        return true;
        return false;
}

bool cpumap_is_subset(const struct cpumap *sub, const struct cpumap *super) {
        for (size_t i = 0; i < CPUMAP_WORDS; i++)
                if (sub->bits[i] & ~super->bits[i])
                        return false;
        return true;
}

void cpumap_and(struct cpumap *dst, const struct cpumap *a, const struct cpumap *b) {
        for (size_t i = 0; i < CPUMAP_WORDS; i++)
                dst->bits[i] = a->bits[i] & b->bits[i];
}

void cpumap_or(struct cpumap *dst, const struct cpumap *a, const struct cpumap *b) {
        for (size_t i = 0; i < CPUMAP_WORDS; i++)
                dst->bits[i] = a->bits[i] | b->bits[i];
}

void cpumap_andnot(struct cpumap *dst, const struct cpumap *a, const struct cpumap *b) {
        for (size_t i = 0; i < CPUMAP_WORDS; i++)
                dst->bits[i] = a->bits[i] & ~b->bits[i];
}

int cpumap_next(const struct cpumap *m, int prev) {
        unsigned start = prev < 0 ? 0 : (unsigned) prev + 1;

        if (start >= CPUMAP_MAX_CPUS)
                return -1;
        for (size_t i = start / 64; i < CPUMAP_WORDS; i++) {
                uint64_t w = m->bits[i];

                if (i == start / 64)
                        w &= ~UINT64_C(0) << (start % 64);
                if (w)
                        return (int) (i * 64 + (unsigned) __builtin_ctzll(w));
        }
        return -1;
}

int cpumap_first(const struct cpumap *m) {
        return cpumap_next(m, -1);
}

int cpumap_last(const struct cpumap *m) {
        for (size_t i = CPUMAP_WORDS; i-- > 0;)
                if (m->bits[i])
                        return (int) (i * 64 + 63 - (unsigned) __builtin_clzll(m->bits[i]));
        return -1;
}

int cpumap_to_bytes(const struct cpumap *m, unsigned char *buf, size_t len) {
        int last = cpumap_last(m), cpu;
        size_t n;

        if (last < 0)
                return 0;
        n = (size_t) last / 8 + 1;
        if (n > len)
                return -ENOSPC;
        memset(buf, 0, n);
        CPUMAP_FOREACH(cpu, m)
                buf[cpu / 8] |= (unsigned char) (1u << (cpu % 8));
        return (int) n;
}
