/* limits.c — the honest limits of run-time isolation, for 'tlbctl isolate'
 * and 'tlbctl status': per isolated CPU, what is in effect now and what
 * only the boot command line gives on these kernels (nohz_full= and
 * rcu_nocbs= cannot change at run time; tlbisol.ko's deferred kernel TLB
 * flush needs nohz_full), with the line to add or the tuned profile. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tlbctl.h"
#include "util.h"

static int push(char ***v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int push(char ***v, size_t *n, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return strv_push(v, n, r < 0 ? NULL : s);
}

static const char *fmt_list(const struct cpumap *m, char *buf, size_t len) {
        if (cpulist_format(m, buf, len) < 0)
                snprintf(buf, len, "(%u CPUs)", cpumap_count(m));
        return buf;
}

int limits_lines(const struct isolation_facts *f, const struct cpumap *cpus, char ***ret) {
        const struct cpu_isolation *sys = &f->sys;
        struct cpumap sched = sys->isolated, rcu, nohz_miss, rcu_miss, now, want_nohz, want_rcu;
        char a[256], b[256], c[256], d[256];
        size_t n = 0;
        char **v = NULL;
        int r = 0;

        /* scheduler isolation: isolcpus=domain, or a valid isolated partition */
        cpumap_or(&sched, &sched, &sys->cgroup_isolated);
        for (size_t i = 0; i < f->n_parts; i++)
                cpumap_or(&sched, &sched, &f->parts[i].cpus);
        /* RCU callbacks are offloaded from rcu_nocbs= CPUs and nohz_full= CPUs */
        cpumap_or(&rcu, &sys->nohz_full, &sys->cmdline.rcu_nocbs.cpus);
        cpumap_andnot(&nohz_miss, cpus, &sys->nohz_full);
        cpumap_andnot(&rcu_miss, cpus, &rcu);
        /* said only for CPUs isolated at run time (without nohz_full=) */
        cpumap_and(&now, &nohz_miss, &sched);

        if (!cpumap_is_empty(&now))
                r = push(&v, &n, "in effect now on CPU %s: no load balancing (isolated cpuset partition or "
                         "isolcpus=); tlbisold, when running, keeps IRQs, unbound workqueues and kernel threads off it",
                         fmt_list(&now, a, sizeof(a)));
        if (r >= 0 && !cpumap_is_empty(&nohz_miss))
                r = push(&v, &n, "needs the boot command line on CPU %s: nohz_full= (the tick stops; "
                         "tlbisol.ko defers kernel TLB flushes only there)%s", fmt_list(&nohz_miss, a, sizeof(a)),
                         cpumap_is_empty(&rcu_miss) ? "" : " and rcu_nocbs= (RCU callbacks run elsewhere)");
        if (r >= 0 && !cpumap_is_empty(&nohz_miss)) {
                cpumap_or(&want_nohz, &sys->nohz_full, cpus);
                cpumap_or(&want_rcu, &rcu, cpus);
                r = push(&v, &n, "to get them, boot with nohz_full=%s rcu_nocbs=%s%s%s%s, or put isolated_cores=%s "
                         "in /etc/tuned/realtime-variables.conf, run 'tuned-adm profile tlbisol-realtime' and reboot",
                         fmt_list(&want_nohz, a, sizeof(a)), fmt_list(&want_rcu, b, sizeof(b)),
                         cpumap_is_empty(&sys->nohz_full) ? "" : " (instead of nohz_full=",
                         cpumap_is_empty(&sys->nohz_full) ? "" : fmt_list(&sys->nohz_full, c, sizeof(c)),
                         cpumap_is_empty(&sys->nohz_full) ? "" : ")", fmt_list(&want_nohz, d, sizeof(d)));
        }
        if (r < 0) {
                strv_free(v);
                return r;
        }
        *ret = v;
        return 0;
}
