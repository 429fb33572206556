/* tlbisold-fair.c — the fair server knob; see tlbisold-fair.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsroot.h"
#include "parse.h"
#include "tlbisold-fair.h"
#include "util.h"

int fair_server_cpu(const char *path) {
        char num[16], canon[80];
        unsigned cpu;

        if (!path || sscanf(path, "/sys/kernel/debug/sched/fair_server/cpu%15[0-9]", num) != 1 ||
            parse_uint(num, &cpu) < 0 || cpu > 8191)
                return -1;
        snprintf(canon, sizeof(canon), FAIR_SERVER_DIR, cpu);
        return streq(path, canon) ? (int) cpu : -1;
}

static int read_u64(const struct fsroot *fs, const char *dir, const char *name, uint64_t *ret) {
        _cleanup_free_ char *p = NULL, *line = NULL;
        char *end;
        int r;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = fsroot_read_line(fs, p, &line);
        if (r < 0)
                return r;
        errno = 0;
        *ret = strtoull(line, &end, 10);
        return errno || end == line || *end ? -EBADMSG : 0;
}

static int write_u64(const struct fsroot *fs, const char *dir, const char *name, uint64_t v) {
        _cleanup_free_ char *p = NULL;
        char s[24];

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        snprintf(s, sizeof(s), "%" PRIu64 "\n", v);
        return fsroot_write(fs, p, s);
}

/* "RUNTIME PERIOD": two decimal numbers, one space, nothing else (no sign,
 * no blanks around: sscanf's %u took "-5" as a huge number). */
static int parse_pair(const char *v, uint64_t *runtime, uint64_t *period) {
        const char *sp = v ? strchr(v, ' ') : NULL;
        char first[24];

        if (!sp || (size_t) (sp - v) >= sizeof(first))
                return -EINVAL;
        memcpy(first, v, (size_t) (sp - v));
        first[sp - v] = '\0';
        if (parse_u64(first, runtime) < 0 || parse_u64(sp + 1, period) < 0 || *runtime > *period)
                return -EINVAL;
        return 0;
}

int fair_server_read(const struct fsroot *fs, const char *path, char **ret) {
        uint64_t rt, pd;
        int r;

        if (fair_server_cpu(path) < 0)
                return -EINVAL;
        r = read_u64(fs, path, "runtime", &rt);
        if (r >= 0)
                r = read_u64(fs, path, "period", &pd);
        if (r < 0)
                return r;
        return asprintf(ret, "%" PRIu64 " %" PRIu64, rt, pd) < 0 ? -ENOMEM : 0;
}

struct pair_write {
        const char *dir;
        uint64_t runtime, period;
};

/* In the child on that CPU: the two writes in a bandwidth-safe order, the
 * first undone if the second fails. */
static int write_pair(const struct fsroot *fs, void *arg) {
        const struct pair_write *w = arg;
        uint64_t rt0, pd0;
        bool runtime_first;
        int r;

        r = read_u64(fs, w->dir, "runtime", &rt0);
        if (r >= 0)
                r = read_u64(fs, w->dir, "period", &pd0);
        if (r < 0)
                return r;
        /* raising the runtime first (or lowering the period first) keeps
         * the bandwidth at or above both ends and runtime <= period: the
         * intermediate is max(runtime)/min(period) */
        runtime_first = w->runtime >= rt0;
        if (runtime_first ? w->runtime > pd0 : rt0 > w->period)
                return -EINVAL;         /* cannot be (runtime <= period at both ends) */
        r = runtime_first ? write_u64(fs, w->dir, "runtime", w->runtime)
                          : write_u64(fs, w->dir, "period", w->period);
        if (r < 0)
                return r;
        r = runtime_first ? write_u64(fs, w->dir, "period", w->period)
                          : write_u64(fs, w->dir, "runtime", w->runtime);
        if (r < 0)      /* undo the first; the second write's error is the one to report */
                (void) (runtime_first ? write_u64(fs, w->dir, "runtime", rt0)
                                      : write_u64(fs, w->dir, "period", pd0));
        return r;
}

int fair_server_write(const struct fsroot *fs, const char *path, const char *value) {
        struct pair_write w = { .dir = path };
        int cpu = fair_server_cpu(path), r;

        if (cpu < 0)
                return -EINVAL;
        r = parse_pair(value, &w.runtime, &w.period);
        if (r < 0)
                return r;
        return fsroot_run_on_cpu(fs, (unsigned) cpu, write_pair, &w);
}

int fair_server_value(const char *orig, uint64_t period_ns, char **ret) {
        uint64_t rt, pd;
        unsigned __int128 scaled;

        if (parse_pair(orig, &rt, &pd) < 0 || !pd || !period_ns)
                return -EINVAL;
        if (!rt)
                return -ENODATA;
        scaled = (unsigned __int128) rt * period_ns / pd;
        if (scaled > period_ns)
                return -EINVAL;
        return asprintf(ret, "%" PRIu64 " %" PRIu64, (uint64_t) scaled, period_ns) < 0 ? -ENOMEM : 0;
}
