/* tlbisold-knob.c — knob kinds, lists, reading and comparing values, and
 * the catalogue of files tlbisold writes; see tlbisold-knob.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpumap.h"
#include "fsroot.h"
#include "parse.h"
#include "tlbisold-fair.h"
#include "tlbisold-knob.h"
#include "util.h"

static const char *const kind_names[_KNOB_KIND_MAX] = {
        [KNOB_STRING] = "string",
        [KNOB_CPULIST] = "cpulist",
        [KNOB_HEXMASK] = "hexmask",
        [KNOB_SELECTOR] = "selector",
};

const char *knob_kind_to_string(enum knob_kind k) {
        return k < _KNOB_KIND_MAX ? kind_names[k] : NULL;
}

int knob_kind_from_string(const char *s) {
        for (int i = 0; i < _KNOB_KIND_MAX; i++)
                if (streq(s, kind_names[i]))
                        return i;
        return -EINVAL;
}

void knob_list_done(struct knob_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->k[i].path);
                free(l->k[i].read_path);
                free(l->k[i].value);
        }
        free(l->k);
        l->k = NULL;
        l->n = 0;
}

int knob_list_add(struct knob_list *l, const char *path, const char *read_path,
                  enum knob_kind kind, const char *value, int irq) {
        struct knob *n, *k;

        if (!path || !value || kind >= _KNOB_KIND_MAX)
                return -EINVAL;
        n = realloc(l->k, (l->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        l->k = n;
        k = &n[l->n];
        *k = (struct knob) { .kind = kind, .irq = irq };
        k->path = strdup(path);
        k->read_path = read_path ? strdup(read_path) : NULL;
        k->value = strdup(value);
        if (!k->path || !k->value || (read_path && !k->read_path)) {
                free(k->path);
                free(k->read_path);
                free(k->value);
                return -ENOMEM;
        }
        l->n++;
        return 0;
}

const struct knob *knob_list_find(const struct knob_list *l, const char *path) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->k[i].path, path))
                        return &l->k[i];
        return NULL;
}

static char *strip(char *s) {
        size_t n;

        while (isspace((unsigned char) *s))
                s++;
        n = strlen(s);
        while (n && isspace((unsigned char) s[n - 1]))
                s[--n] = 0;
        return s;
}

int knob_read(const struct fsroot *fs, const char *path, enum knob_kind kind, char **ret) {
        _cleanup_free_ char *line = NULL;
        char *v, *o, *c;
        int r;

        if (fair_server_cpu(path) >= 0)
                return fair_server_read(fs, path, ret);
        r = fsroot_read_line(fs, path, &line);
        if (r < 0)
                return r;
        v = strip(line);
        if (kind == KNOB_SELECTOR) {
                o = strchr(v, '[');
                c = o ? strchr(o, ']') : NULL;
                if (!o || !c)
                        return -EBADMSG;
                *c = 0;
                v = o + 1;
        }
        v = strdup(v);
        if (!v)
                return -ENOMEM;
        *ret = v;
        return 0;
}

int knob_value_equal(enum knob_kind kind, const char *a, const char *b) {
        struct cpumap ma, mb;

        switch (kind) {
        case KNOB_CPULIST:
                if (cpulist_parse_lenient(a, 0, &ma) < 0 || cpulist_parse_lenient(b, 0, &mb) < 0)
                        break;
                return cpumap_equal(&ma, &mb);
        case KNOB_HEXMASK:
                if (cpumask_parse_hex(a, 0, &ma) < 0 || cpumask_parse_hex(b, 0, &mb) < 0)
                        break;
                return cpumap_equal(&ma, &mb);
        default:
                break;
        }
        /* plain text; blanks between words (e.g. "4 4 1 7") do not matter */
        while (*a || *b) {
                if (isspace((unsigned char) *a) && isspace((unsigned char) *b)) {
                        while (isspace((unsigned char) *a))
                                a++;
                        while (isspace((unsigned char) *b))
                                b++;
                        continue;
                }
                if (*a != *b)
                        return 0;
                a++;
                b++;
        }
        return 1;
}

/* ---- the catalogue ---- */

static const char *const thp_choices[] = { "always", "madvise", "never", NULL };

const struct tunable_info tunables[_TUNABLE_MAX] = {
        [TUNABLE_NUMA_BALANCING]   = { "NUMABalancing", "/proc/sys/kernel/numa_balancing", KNOB_STRING, "0", NULL, 0 },
        [TUNABLE_STAT_INTERVAL]    = { "VMStatInterval", "/proc/sys/vm/stat_interval", KNOB_STRING, "10", NULL, 1 },
        [TUNABLE_NMI_WATCHDOG]     = { "NMIWatchdog", "/proc/sys/kernel/nmi_watchdog", KNOB_STRING, "0", NULL, 0 },
        [TUNABLE_WATCHDOG_CPUMASK] = { "WatchdogCPUMask", "/proc/sys/kernel/watchdog_cpumask", KNOB_CPULIST, "housekeeping", NULL, 0 },
        [TUNABLE_TIMER_MIGRATION]  = { "TimerMigration", "/proc/sys/kernel/timer_migration", KNOB_STRING, "1", NULL, 0 },
        [TUNABLE_THP]              = { "TransparentHugepages", "/sys/kernel/mm/transparent_hugepage/enabled", KNOB_SELECTOR, "never", thp_choices, 0 },
        [TUNABLE_KHUGEPAGED_DEFRAG] = { "KhugepagedDefrag", "/sys/kernel/mm/transparent_hugepage/khugepaged/defrag", KNOB_STRING, "0", NULL, 0 },
        [TUNABLE_KSM]              = { "KSM", "/sys/kernel/mm/ksm/run", KNOB_STRING, "0", NULL, 0 },
        [TUNABLE_SCHED_RT_RUNTIME] = { "SchedRTRuntimeUSec", "/proc/sys/kernel/sched_rt_runtime_us", KNOB_STRING, "keep", NULL, -1 },
};

int knob_catalogue_kind(const char *path, const char *read_path) {
        char num[16], canon[64];
        unsigned irq;

        if (!path)
                return -EINVAL;
        if (streq(path, KNOB_WQ_CPUMASK))
                return !read_path || streq(read_path, KNOB_WQ_CPUMASK_REQUESTED) ? KNOB_HEXMASK : -EPERM;
        if (read_path)
                return -EPERM;
        if (streq(path, KNOB_DEFAULT_AFFINITY))
                return KNOB_HEXMASK;
        /* "/proc/irq/<decimal>/smp_affinity_list", and nothing that merely starts so */
        if (sscanf(path, "/proc/irq/%15[0-9]/", num) == 1 && parse_uint(num, &irq) >= 0) {
                snprintf(canon, sizeof(canon), "/proc/irq/%u/smp_affinity_list", irq);
                return streq(path, canon) ? KNOB_CPULIST : -EPERM;
        }
        if (fair_server_cpu(path) >= 0)
                return KNOB_STRING;     /* "RUNTIME PERIOD" (tlbisold-fair.h) */
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                if (streq(path, tunables[i].path))
                        return tunables[i].kind;
        return -EPERM;
}

static bool integers(const char *s) {
        /* "0", "-1", "4 4 1 7" */
        if (!*s)
                return false;
        while (*s) {
                if (*s == '-')
                        s++;
                if (!isdigit((unsigned char) *s))
                        return false;
                while (isdigit((unsigned char) *s))
                        s++;
                if (*s == ' ' || *s == '\t') {
                        s++;
                        if (!*s)
                                return false;
                } else if (*s)
                        return false;
        }
        return true;
}

int knob_value_valid(enum knob_kind kind, const char *value) {
        struct cpumap m;

        if (!value || strlen(value) > KNOB_VALUE_MAX)
                return -EINVAL;
        switch (kind) {
        case KNOB_CPULIST:
                return cpulist_parse_lenient(value, 0, &m) < 0 || cpumap_is_empty(&m) ? -EINVAL : 0;
        case KNOB_HEXMASK:
                return cpumask_parse_hex(value, 0, &m) < 0 ? -EINVAL : 0;
        case KNOB_SELECTOR:
                if (!*value || strlen(value) > 32 || strspn(value, "abcdefghijklmnopqrstuvwxyz_") != strlen(value))
                        return -EINVAL;
                return 0;
        case KNOB_STRING:
                return integers(value) ? 0 : -EINVAL;
        default:
                return -EINVAL;
        }
}
