/* cpumask-hex.c — parse and format the kernel's hex cpumask form
 * ("ff,ffffffff"), as read from and written to /proc/irq/N/smp_affinity,
 * /proc/irq/default_smp_affinity and /sys/devices/virtual/workqueue/cpumask.
 * The layout follows lib/vsprintf.c bitmap_string() and lib/bitmap-str.c
 * bitmap_parse(); see cpumap.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpumap.h"

#define GROUPS_MAX (CPUMAP_MAX_CPUS / 32)

static uint32_t group_get(const struct cpumap *m, unsigned g) {
        return (uint32_t) (m->bits[g / 2] >> (32 * (g % 2)));
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char) tolower((unsigned char) c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int cpumask_parse_hex(const char *s, unsigned ncpus, struct cpumap *out) {
        const char *begin, *end, *p;
        unsigned ngroups = 1, g;
        struct cpumap m;

        if (!s || !out || ncpus > CPUMAP_MAX_CPUS)
                return -EINVAL;
        if (ncpus == 0)
                ncpus = CPUMAP_MAX_CPUS;

        for (begin = s; isspace((unsigned char) *begin); begin++)
                ;
        for (end = begin + strlen(begin); end > begin && isspace((unsigned char) end[-1]); end--)
                ;
        if (begin == end || end[-1] == ',')
                return -EINVAL;
        for (p = begin; p < end; p++)
                if (*p == ',')
                        ngroups++;

        cpumap_zero(&m);
        g = ngroups;
        for (p = begin; p < end; p++) {
                uint64_t v = 0;
                unsigned digits = 0;

                g--;            /* index of this group, counted from the right */
                for (; p < end && *p != ','; p++, digits++) {
                        int h = hex_value(*p);

                        if (h < 0 || digits == 8)
                                return -EINVAL;
                        v = v << 4 | (unsigned) h;
                }
                if (digits == 0)
                        return -EINVAL;
                if (v == 0)
                        continue;
                if (g >= GROUPS_MAX)
                        return -ERANGE;
                if (g * 32 + 31 - (unsigned) __builtin_clzll(v << 32) >= ncpus)
                        return -ERANGE;
                m.bits[g / 2] |= v << (32 * (g % 2));
        }
        *out = m;
        return 0;
}

static size_t hex_len(unsigned nbits) {
        unsigned ngroups = (nbits + 31) / 32;
        unsigned lead_bits = nbits - (ngroups - 1) * 32;

        return (lead_bits + 3) / 4 + (size_t) (ngroups - 1) * 9;
}

static int check_nbits(const struct cpumap *m, unsigned *nbits) {
        int last = cpumap_last(m);

        if (*nbits > CPUMAP_MAX_CPUS)
                return -EINVAL;
        if (*nbits == 0)
                *nbits = last < 0 ? 1 : (unsigned) last + 1;
        if (last >= 0 && (unsigned) last >= *nbits)
                return -ERANGE;
        return 0;
}

static void emit(const struct cpumap *m, unsigned nbits, char *buf) {
        unsigned ngroups = (nbits + 31) / 32;
        unsigned lead_bits = nbits - (ngroups - 1) * 32;
        char *p = buf;

        p += sprintf(p, "%0*x", (int) ((lead_bits + 3) / 4), group_get(m, ngroups - 1));
        for (unsigned g = ngroups - 1; g-- > 0;)
                p += sprintf(p, ",%08x", group_get(m, g));
}

int cpumask_format_hex(const struct cpumap *m, unsigned nbits, char *buf, size_t len) {
        int r;

        if (!m || !buf)
                return -EINVAL;
        r = check_nbits(m, &nbits);
        if (r < 0)
                return r;
        if (hex_len(nbits) >= len)
                return -ENOSPC;
        emit(m, nbits, buf);
        return 0;
}

int cpumask_format_hex_alloc(const struct cpumap *m, unsigned nbits, char **ret) {
        char *buf;
        int r;

        if (!m || !ret)
                return -EINVAL;
        r = check_nbits(m, &nbits);
        if (r < 0)
                return r;
        buf = malloc(hex_len(nbits) + 1);
        if (!buf)
                return -ENOMEM;
        emit(m, nbits, buf);
        *ret = buf;
        return 0;
}
