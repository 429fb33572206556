/* check-system.c — the static checks of 'tlbctl check', in the order they
 * are reported. Every isolation fact comes from lib/isolation (via the
 * check_ctx), every "what tlbisold would do" from the daemon's own code
 * (tlbisold.conf through config_load, the tunables catalogue, plan_tasks
 * for movable kthreads), so check judges by the same rules that apply. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check-system.h"
#include "fsroot.h"
#include "interrupts.h"
#include "irqbalance.h"
#include "task.h"
#include "tlbisold-conf.h"
#include "tlbisold-knob.h"
#include "tlbisold-state.h"
#include "tlbisold-tasks.h"
#include "util.h"

#define LIST_MAX 5              /* items named in one "found" line */

/* ---- the report ---- */

const char *check_verdict_name(enum check_verdict v) {
        static const char *const n[_CHECK_VERDICT_MAX] = { "ok", "info", "skip", "warn", "fail" };

        return v < _CHECK_VERDICT_MAX ? n[v] : NULL;
}

void check_report_done(struct check_report *r) {
        for (size_t i = 0; i < r->n; i++) {
                free(r->items[i].id);
                free(r->items[i].found);
                free(r->items[i].fix);
        }
        free(r->items);
        *r = (struct check_report) {};
}

int check_add(struct check_report *r, const char *id, enum check_verdict v, bool reboot,
              const char *why, const char *fix, const char *found_fmt, ...) {
        struct check_item *n, it = { .verdict = v, .why = why, .needs_reboot = reboot };
        va_list ap;
        int k;

        va_start(ap, found_fmt);
        k = vasprintf(&it.found, found_fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        it.id = strdup(id);
        it.fix = fix ? strdup(fix) : NULL;
        n = realloc(r->items, (r->n + 1) * sizeof(*n));
        if (!it.id || (fix && !it.fix) || !n) {
                free(it.id);
                free(it.found);
                free(it.fix);
                if (n)
                        r->items = n;
                return -ENOMEM;
        }
        r->items = n;
        r->items[r->n++] = it;
        r->count[v]++;
        return 0;
}

enum check_verdict check_report_worst(const struct check_report *r) {
        enum check_verdict w = CHECK_OK;

        for (size_t i = 0; i < r->n; i++)
                if (r->items[i].verdict > w)
                        w = r->items[i].verdict;
        return w;
}

/* ---- helpers ---- */

/* cpulist text of m into buf ("none" when empty) */
static const char *cl(const struct cpumap *m, char *buf, size_t len) {
        if (cpumap_is_empty(m))
                snprintf(buf, len, "none");
        else if (cpulist_format(m, buf, len) < 0)
                snprintf(buf, len, "(too long)");
        return buf;
}

/* A growing "a, b, c and 4 more" list. */
struct namelist {
        char *s;
        size_t n;
};

static int namelist_add(struct namelist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int namelist_add(struct namelist *l, const char *fmt, ...) {
        char *item, *joined;
        va_list ap;
        int r;

        l->n++;
        if (l->n > LIST_MAX)
                return 0;
        va_start(ap, fmt);
        r = vasprintf(&item, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        r = asprintf(&joined, "%s%s%s", l->s ? l->s : "", l->s ? "; " : "", item);
        free(item);
        if (r < 0)
                return -ENOMEM;
        free(l->s);
        l->s = joined;
        return 0;
}

/* "a; b; c" or "a; b; c; ... and N more" (static buffer per call site is
 * not needed: the caller prints it at once). */
static const char *namelist_text(const struct namelist *l, char *buf, size_t len) {
        if (l->n > LIST_MAX)
                snprintf(buf, len, "%s; and %zu more", l->s ? l->s : "", l->n - LIST_MAX);
        else
                snprintf(buf, len, "%s", l->s ? l->s : "");
        return buf;
}

/* CPUs an IRQ is delivered to: its effective affinity where the kernel
 * has it, plus the requested affinity when that names no housekeeping CPU
 * (a change the kernel applies at the next interrupt, as for IO-APIC
 * IRQs, but that can only land on those CPUs). Else the requested one. */
static int irq_cpus(const struct check_ctx *c, unsigned irq, struct cpumap *out) {
        struct cpumap eff, req;
        char path[96];
        int re, rq;

        snprintf(path, sizeof(path), "/proc/irq/%u/effective_affinity_list", irq);
        re = sysinfo_read_cpulist(c->t->fs, path, c->t->facts.sys.ncpus, &eff);
        snprintf(path, sizeof(path), "/proc/irq/%u/smp_affinity_list", irq);
        rq = sysinfo_read_cpulist(c->t->fs, path, c->t->facts.sys.ncpus, &req);
        if (re < 0 && rq < 0)
                return -ENOENT;
        if (re < 0) {
                *out = req;
                return 0;
        }
        *out = eff;
        if (rq >= 0 && !cpumap_intersects(&req, &c->iso.housekeeping))
                cpumap_or(out, out, &req);
        return 0;
}

static bool daemon_calls_irq_unmovable(const struct check_ctx *c, unsigned irq, const char **why) {
        for (size_t i = 0; c->daemon && c->daemon->running && i < c->daemon->nunmovable; i++)
                if (c->daemon->unmovable[i].irq == irq) {
                        *why = c->daemon->unmovable[i].reason;
                        return true;
                }
        return false;
}

/* ---- the checks ---- */

static int check_isolated(const struct check_ctx *c, struct check_report *rep) {
        const struct cpu_isolation *sys = &c->t->facts.sys;
        char a[256], b[256];
        struct cpumap m;

        if (cpumap_is_empty(&c->want))
                return check_add(rep, "isolated", CHECK_FAIL, false,
                                 "Without isolated CPUs there is nothing to keep quiet.",
                                 "boot with nohz_full=CPUS rcu_nocbs=CPUS, create an isolated cgroup partition, or set [Isolation] CPUs= in tlbisold.conf",
                                 "no CPU is isolated (no nohz_full=, isolcpus=, isolated partition or tlbisold request)");
        cpumap_andnot(&m, &c->want, &c->iso.isolated);
        if (!cpumap_is_empty(&m))
                return check_add(rep, "isolated", CHECK_FAIL, false,
                                 "The CPUs asked for with -c are not isolated, so nothing keeps IRQs, kthreads and unbound work off them.",
                                 "tlbctl isolate CPUS (at run time), or add them to nohz_full=/an isolated partition",
                                 "CPUs %s are not isolated (isolated: %s)", cl(&m, a, sizeof(a)),
                                 cl(&c->iso.isolated, b, sizeof(b)));
        cpumap_andnot(&m, &c->want, &sys->online);
        if (!cpumap_is_empty(&m))
                return check_add(rep, "isolated", CHECK_WARN, false,
                                 "An offline isolated CPU runs nothing; it is probably not what was meant.",
                                 "echo 1 > /sys/devices/system/cpu/cpuN/online",
                                 "isolated CPUs %s are offline", cl(&m, a, sizeof(a)));
        return check_add(rep, "isolated", CHECK_OK, false, "", NULL,
                         "isolated %s, housekeeping %s", cl(&c->want, a, sizeof(a)),
                         cl(&c->iso.housekeeping, b, sizeof(b)));
}

static int check_cmdline_cpus(const struct check_ctx *c, struct check_report *rep, const char *id,
                              const char *param, const struct cmdline_cpus *p,
                              const struct cpumap *effective, const char *why) {
        char a[256], fix[320];
        struct cpumap m;

        if (p->present && p->error)
                return check_add(rep, id, CHECK_FAIL, true,
                                 "The kernel ignores a malformed value.", "correct the value on the kernel command line",
                                 "%s= on the kernel command line is malformed (%s)", param, strerror(-p->error));
        cpumap_andnot(&m, &c->want, effective);
        if (cpumap_is_empty(&m))
                return check_add(rep, id, CHECK_OK, false, "", NULL, "%s covers the isolated CPUs", param);
        snprintf(fix, sizeof(fix), "add %s=%s to the kernel command line (tuned: the tlbisol-realtime profile)",
                 param, cl(&c->want, a, sizeof(a)));
        return check_add(rep, id, CHECK_WARN, true, why, fix,
                         "isolated CPUs %s are not in %s=", cl(&m, a, sizeof(a)), param);
}

static int check_cmdline(const struct check_ctx *c, struct check_report *rep) {
        const struct cpu_isolation *sys = &c->t->facts.sys;
        const struct cmdline_isolation *ci = &sys->cmdline;
        struct cpumap nocb = ci->rcu_nocbs.cpus, m;
        char a[256], fix[320], flags[64];
        int r;

        r = check_cmdline_cpus(c, rep, "cmdline.nohz_full", "nohz_full", &ci->nohz_full, &sys->nohz_full,
                               "Without nohz_full the scheduler tick interrupts the CPU (LOC) even with one task, and user mode is not an RCU quiescent state, which tlbisol.ko's targeted sync IPIs rely on. Only a reboot changes it.");
        if (r < 0)
                return r;
        if (ci->rcu_nocbs.present && !ci->rcu_nocbs.error && cpumap_is_empty(&nocb))
                nocb = sys->possible;   /* bare rcu_nocbs: every CPU offloaded */
        r = check_cmdline_cpus(c, rep, "cmdline.rcu_nocbs", "rcu_nocbs", &ci->rcu_nocbs, &nocb,
                               "RCU callbacks not offloaded run in softirq on the isolated CPU. Only a reboot changes it.");
        if (r < 0)
                return r;

        if (ci->isolcpus.present && ci->isolcpus.error)
                r = check_add(rep, "cmdline.isolcpus", CHECK_FAIL, true, "The kernel ignores a malformed isolcpus=.",
                              "correct isolcpus= on the kernel command line",
                              "isolcpus= on the kernel command line is malformed (%s)", strerror(-ci->isolcpus.error));
        else if (ci->isolcpus.present && cpumap_intersects(&ci->isolcpus.cpus, &c->want) &&
                 !(ci->isolcpus_flags & ISOLCPUS_MANAGED_IRQ)) {
                isolcpus_flags_format(ci->isolcpus_flags, flags, sizeof(flags));
                r = check_add(rep, "cmdline.isolcpus", CHECK_WARN, true,
                              "Without the managed_irq flag the kernel spreads managed IRQs (NVMe, virtio queues) over the isolated CPUs, and nobody can move them afterwards.",
                              "add managed_irq to the isolcpus= flags",
                              "isolcpus=%s,%s without managed_irq", flags, cl(&ci->isolcpus.cpus, a, sizeof(a)));
        } else if (ci->isolcpus.present) {
                isolcpus_flags_format(ci->isolcpus_flags, flags, sizeof(flags));
                r = check_add(rep, "cmdline.isolcpus", CHECK_OK, false, "", NULL, "isolcpus=%s,%s", flags,
                              cl(&ci->isolcpus.cpus, a, sizeof(a)));
        } else
                r = check_add(rep, "cmdline.isolcpus", CHECK_OK, false, "", NULL,
                              "no isolcpus= (isolated partitions are its replacement)");
        if (r < 0)
                return r;

        if (ci->irqaffinity.present && ci->irqaffinity.error)
                return check_add(rep, "cmdline.irqaffinity", CHECK_FAIL, true, "The kernel ignores a malformed irqaffinity=.",
                                 "correct irqaffinity=", "irqaffinity= is malformed (%s)",
                                 strerror(-ci->irqaffinity.error));
        snprintf(fix, sizeof(fix), "add irqaffinity=%s to the kernel command line",
                 cl(&c->iso.housekeeping, a, sizeof(a)));
        if (!ci->irqaffinity.present)
                return check_add(rep, "cmdline.irqaffinity", CHECK_INFO, true,
                                 "IRQs set up during boot, before tlbisold starts, may land on isolated CPUs.",
                                 fix, "no irqaffinity= on the kernel command line");
        cpumap_and(&m, &ci->irqaffinity.cpus, &c->want);
        if (!cpumap_is_empty(&m))
                return check_add(rep, "cmdline.irqaffinity", CHECK_WARN, true,
                                 "Boot-time IRQs are placed on the isolated CPUs until something moves them.",
                                 fix, "irqaffinity= includes isolated CPUs %s", cl(&m, a, sizeof(a)));
        return check_add(rep, "cmdline.irqaffinity", CHECK_OK, false, "", NULL,
                         "irqaffinity= keeps boot-time IRQs off the isolated CPUs");
}

static int check_partitions(const struct check_ctx *c, struct check_report *rep) {
        const struct isolation_facts *f = &c->t->facts;
        struct partition *parts = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        struct namelist bad = {}, good = {};
        char buf[1024];
        size_t n = 0;
        int r;

        if (f->partitions_error)
                return check_add(rep, "partitions", CHECK_WARN, false,
                                 "Isolated cgroup partitions cannot be seen, so CPUs they isolate are unknown.",
                                 "check that cgroup v2 is mounted at /sys/fs/cgroup",
                                 "cannot scan the cgroup tree: %s", strerror(-f->partitions_error));
        r = partitions_scan(c->t->fs, NULL, f->sys.ncpus, &parts, &n, &dirs);
        if (r == -ENOENT)
                return check_add(rep, "partitions", CHECK_OK, false, "", NULL, "no cgroup v2 hierarchy");
        if (r < 0)
                return check_add(rep, "partitions", CHECK_WARN, false,
                                 "Isolated cgroup partitions cannot be seen.", NULL,
                                 "cannot scan the cgroup tree: %s", strerror(-r));
        for (size_t i = 0; r >= 0 && dirs && dirs[i]; i++) {
                _cleanup_free_ char *path = NULL, *state = NULL;

                if (streq(dirs[i], "/"))
                        continue;
                if (asprintf(&path, "%s%s/cpuset.cpus.partition", SYSINFO_CGROUP2_MOUNT, dirs[i]) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (fsroot_read_line(c->t->fs, path, &state) < 0)
                        continue;
                if (strncmp(state, "isolated invalid", 16) == 0)
                        r = namelist_add(&bad, "%s: %s", dirs[i], state);
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                char a[256];

                r = namelist_add(&good, "%s (%s)", parts[i].path, cl(&parts[i].cpus, a, sizeof(a)));
        }
        partitions_free(parts, n);
        if (r >= 0 && bad.n)
                r = check_add(rep, "partitions", CHECK_FAIL, false,
                              "An invalid partition isolates nothing: its CPUs take the scheduler's load balancing and unbound work again.",
                              "fix cpuset.cpus/cpuset.cpus.exclusive of the partition so that its CPUs are exclusive and a subset of its parent's",
                              "%s", namelist_text(&bad, buf, sizeof(buf)));
        else if (r >= 0)
                r = check_add(rep, "partitions", CHECK_OK, false, "", NULL, "%s",
                              good.n ? namelist_text(&good, buf, sizeof(buf)) : "no isolated partition");
        free(bad.s);
        free(good.s);
        return r;
}

static int check_irqs(const struct check_ctx *c, struct check_report *rep) {
        _cleanup_(interrupts_freep) struct interrupts *ints = NULL;
        struct namelist bad = {}, fixed = {};
        char buf[1024], hk[256], fix[512];
        int r;

        r = interrupts_read(c->t->fs, &ints);
        if (r < 0)
                return check_add(rep, "irqs", CHECK_WARN, false, "Device IRQs cannot be checked.", NULL,
                                 "cannot read /proc/interrupts: %s", strerror(-r));
        for (size_t i = 0; r >= 0 && i < ints->nrows; i++) {
                const struct irq_row *row = &ints->rows[i];
                const char *name = row->actions && *row->actions ? row->actions : row->desc, *why = NULL;
                struct cpumap m;
                char a[256];

                if (!row->numeric || irq_cpus(c, row->irq, &m) < 0)
                        continue;
                cpumap_and(&m, &m, &c->want);
                if (cpumap_is_empty(&m))
                        continue;
                if (daemon_calls_irq_unmovable(c, row->irq, &why))
                        r = namelist_add(&fixed, "IRQ %u (%s) on CPU %s: %s", row->irq, name, cl(&m, a, sizeof(a)), why);
                else
                        r = namelist_add(&bad, "IRQ %u (%s) on CPU %s", row->irq, name, cl(&m, a, sizeof(a)));
        }
        cl(&c->iso.housekeeping, hk, sizeof(hk));
        snprintf(fix, sizeof(fix),
                 "systemctl start tlbisold (it moves every movable IRQ), or echo %s > /proc/irq/N/smp_affinity_list", hk);
        if (r >= 0 && bad.n)
                r = check_add(rep, "irqs", CHECK_FAIL, false,
                              "A device IRQ delivered to an isolated CPU interrupts whatever runs there.",
                              fix, "%zu IRQ(s) on isolated CPUs: %s", bad.n, namelist_text(&bad, buf, sizeof(buf)));
        else if (r >= 0 && fixed.n)
                r = check_add(rep, "irqs", CHECK_WARN, false,
                              "These IRQs cannot be moved (managed IRQs, or the chip refuses); they still interrupt the isolated CPUs.",
                              "isolcpus=managed_irq,CPUS at boot keeps managed IRQs off; otherwise keep the device idle",
                              "%zu unmovable IRQ(s) on isolated CPUs: %s", fixed.n, namelist_text(&fixed, buf, sizeof(buf)));
        else if (r >= 0)
                r = check_add(rep, "irqs", CHECK_OK, false, "", NULL, "no device IRQ is delivered to an isolated CPU");
        free(bad.s);
        free(fixed.s);
        return r;
}

/* A hex-mask file that must leave the isolated CPUs out. */
static int check_mask_file(const struct check_ctx *c, struct check_report *rep, const char *id,
                           const char *path, const char *why) {
        _cleanup_free_ char *s = NULL;
        char a[256], fix[512];
        struct cpumap m;
        int r;

        r = fsroot_read_line(c->t->fs, path, &s);
        if (r == -ENOENT)
                return check_add(rep, id, CHECK_SKIP, false, why, NULL, "%s does not exist on this kernel", path);
        if (r >= 0)
                r = cpumask_parse_hex(s, CPUMAP_MAX_CPUS, &m);
        if (r < 0)
                return check_add(rep, id, CHECK_WARN, false, why, NULL, "cannot read %s: %s", path, strerror(-r));
        cpumap_and(&m, &m, &c->want);
        if (cpumap_is_empty(&m))
                return check_add(rep, id, CHECK_OK, false, "", NULL, "%s (%s) leaves the isolated CPUs out", path, s);
        snprintf(fix, sizeof(fix), "systemctl start tlbisold, or write the housekeeping CPUs' mask to %s", path);
        return check_add(rep, id, CHECK_FAIL, false, why, fix, "%s is %s: includes isolated CPUs %s", path, s,
                         cl(&m, a, sizeof(a)));
}

static int check_kthreads(const struct check_ctx *c, struct check_report *rep) {
        struct task_plan_opts o = { .kthreads = true, .self = -1 };
        struct task_list l = {};
        struct namelist names = {};
        struct state st;
        char buf[1024];
        int r;

        state_init(&st);
        r = plan_tasks(c->t->fs, &st, &c->iso, &o, NULL, &l);
        state_done(&st);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return check_add(rep, "kthreads", CHECK_WARN, false, "Kernel threads cannot be checked.", NULL,
                                 "cannot read the tasks under /proc: %s", strerror(-r));
        for (size_t i = 0; r >= 0 && i < l.n; i++)
                r = namelist_add(&names, "%s[%d]", l.t[i].comm, l.t[i].tid);
        if (r >= 0 && l.n)
                r = check_add(rep, "kthreads", CHECK_WARN, false,
                              "A movable kernel thread allowed on an isolated CPU may be scheduled there and preempt the application.",
                              "tlbisold moves them at each apply ([Apply] KernelThreads=yes): busctl call org.tlbisol1 /org/tlbisol1 org.tlbisol1.Manager Reapply",
                              "%zu movable kernel thread(s) allowed on isolated CPUs: %s", l.n,
                              namelist_text(&names, buf, sizeof(buf)));
        else if (r >= 0)
                r = check_add(rep, "kthreads", CHECK_OK, false, "", NULL,
                              "no movable kernel thread is allowed on an isolated CPU");
        free(names.s);
        task_list_done(&l);
        return r;
}

/* Why each tunable matters (tlbisold.conf(5) has the same words). */
static const char *const tunable_why[_TUNABLE_MAX] = {
        [TUNABLE_NUMA_BALANCING]    = "NUMA hinting faults unmap pages and cause TLB-flush IPIs to every CPU the process ran on.",
        [TUNABLE_STAT_INTERVAL]     = "vmstat work is queued on each CPU every stat_interval seconds.",
        [TUNABLE_NMI_WATCHDOG]      = "The NMI watchdog fires a perf NMI on every CPU periodically.",
        [TUNABLE_WATCHDOG_CPUMASK]  = "The soft-lockup watchdog runs a timer and a thread on every CPU in this mask.",
        [TUNABLE_TIMER_MIGRATION]   = "Without timer migration, timers armed on an isolated CPU fire there.",
        [TUNABLE_THP]               = "khugepaged collapses and THP splits broadcast table-sync and TLB-flush IPIs to every CPU.",
        [TUNABLE_KHUGEPAGED_DEFRAG] = "khugepaged defragmentation migrates pages, which flushes TLBs of every CPU using them.",
        [TUNABLE_KSM]               = "KSM merging write-protects pages and flushes the TLBs of every CPU using them.",
        [TUNABLE_SCHED_RT_RUNTIME]  = "RT throttling stops a busy real-time task once per period.",
};

static int check_tunables(const struct check_ctx *c, struct check_report *rep) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < _TUNABLE_MAX; i++) {
                const struct tunable_info *ti = &tunables[i];
                const char *want = c->config->tunable[i];
                _cleanup_free_ char *cur = NULL, *hk = NULL, *id = NULL, *fix = NULL;
                int e;

                if (asprintf(&id, "tuning.%s", ti->key) < 0)
                        return -ENOMEM;
                e = knob_read(c->t->fs, ti->path, ti->kind, &cur);
                if (e == -ENOENT) {
                        r = check_add(rep, id, CHECK_SKIP, false, tunable_why[i], NULL,
                                      "%s does not exist on this kernel", ti->path);
                        continue;
                }
                if (e < 0) {
                        r = check_add(rep, id, CHECK_WARN, false, tunable_why[i], NULL,
                                      "cannot read %s: %s", ti->path, strerror(-e));
                        continue;
                }
                if (cpumap_is_empty(&c->want)) {
                        r = check_add(rep, id, CHECK_INFO, false, tunable_why[i], NULL,
                                      "%s is %s (no CPU is isolated: tlbisold sets it only while one is)",
                                      ti->path, cur);
                        continue;
                }
                if (!want || streq(want, "keep")) {
                        r = check_add(rep, id, CHECK_INFO, false, tunable_why[i], NULL,
                                      "%s is %s (tlbisold.conf: %s=keep, not managed)", ti->path, cur, ti->key);
                        continue;
                }
                if (ti->kind == KNOB_CPULIST && streq(want, "housekeeping")) {
                        if (cpulist_format_alloc(&c->iso.housekeeping, &hk) < 0)
                                return -ENOMEM;
                        want = hk;
                }
                if (knob_value_equal(ti->kind, cur, want) > 0) {
                        r = check_add(rep, id, CHECK_OK, false, "", NULL, "%s is %s", ti->path, cur);
                        continue;
                }
                if (asprintf(&fix, "systemctl start tlbisold (it sets and restores it), or echo %s > %s",
                             want, ti->path) < 0)
                        return -ENOMEM;
                r = check_add(rep, id, CHECK_FAIL, false, tunable_why[i], fix,
                              "%s is %s, tlbisold.conf wants %s=%s", ti->path, cur, ti->key, want);
        }
        return r;
}

static enum check_verdict control_verdict(const char *state, bool wanted) {
        if (!wanted || (state && streq(state, "on")))
                return CHECK_OK;
        if (state && startswith(state, "unavailable"))
                return CHECK_WARN;
        return CHECK_FAIL;
}

static int check_module(const struct check_ctx *c, struct check_report *rep) {
        const struct module_state *m = c->module;
        enum check_verdict v, d;

        if (c->t->fixture_root)
                return check_add(rep, "module", CHECK_SKIP, false, "", NULL, "not queried (TLBISOL_ROOT is set)");
        if (!m->loaded)
                return check_add(rep, "module", CHECK_FAIL, false,
                                 "Without tlbisol.ko every page-table sync IPI goes to every CPU, isolated or not, and the per-CPU IPI counters are missing.",
                                 "modprobe tlbisol (tlbisold.service loads it through modprobe@tlbisol)",
                                 "tlbisol.ko: %s", m->why_not ? m->why_not : "not loaded");
        v = control_verdict(m->sync, c->config->module_sync);
        d = control_verdict(m->defer, c->config->module_defer);
        if (d > v)
                v = d;
        return check_add(rep, "module", v, false,
                         v == CHECK_OK ? "" :
                         "A control tlbisold.conf asks for is off: its IPIs still reach the isolated CPUs.",
                         v == CHECK_WARN ? "the reason is the kernel's (see 'unavailable: ...'); nothing to do on this kernel" :
                         v == CHECK_FAIL ? "systemctl restart tlbisold (it switches the controls on as configured)" : NULL,
                         "tlbisol.ko loaded: targeted sync %s (wanted %s), kernel-flush deferral %s (wanted %s), accounting %s",
                         m->sync, c->config->module_sync ? "on" : "off", m->defer,
                         c->config->module_defer ? "on" : "off", m->acct);
}

static int check_daemon(const struct check_ctx *c, struct check_report *rep) {
        const struct daemon_state *d = c->daemon;
        char when[64] = "never";

        if (!d)
                return check_add(rep, "daemon", CHECK_SKIP, false, "", NULL, "not queried (TLBISOL_ROOT is set)");
        if (!d->running)
                return check_add(rep, "daemon", CHECK_FAIL, false,
                                 "Without tlbisold nothing keeps new IRQs, kthreads and unbound work off the isolated CPUs, or reacts to partitions and hotplug.",
                                 "systemctl enable --now tlbisold", "tlbisold: %s", d->why_not ? d->why_not : "not running");
        if (d->applied_at) {
                time_t s = (time_t) (d->applied_at / 1000000);
                struct tm tm;

                if (gmtime_r(&s, &tm))
                        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        }
        if (d->last_error && *d->last_error)
                return check_add(rep, "daemon", CHECK_WARN, false,
                                 "tlbisold could not apply everything; what failed is still as it was.",
                                 "journalctl -u tlbisold; then busctl call org.tlbisol1 /org/tlbisol1 org.tlbisol1.Manager Reapply",
                                 "tlbisold %s running, last apply %s, last error: %s",
                                 d->version ? d->version : "", when, d->last_error);
        if (!d->applied_at)
                return check_add(rep, "daemon", CHECK_WARN, false, "tlbisold has not applied anything yet.",
                                 "journalctl -u tlbisold", "tlbisold %s running, never applied", d->version ? d->version : "");
        return check_add(rep, "daemon", CHECK_OK, false, "", NULL, "tlbisold %s running, isolating %s, last apply %s",
                         d->version ? d->version : "", d->isolated && *d->isolated ? d->isolated : "none", when);
}

struct find_comm {
        const char *comm;
        int pid;
};

static int find_comm_fn(const struct task_info *t, const struct task_info *leader, void *userdata) {
        struct find_comm *f = userdata;

        if (!(t->flags & TASK_PF_KTHREAD) && streq(t->comm, f->comm) && t->state != 'Z') {
                f->pid = t->tid;
                return 1;
        }
        return 0;
}

static int running_pid(const struct check_ctx *c, const char *comm) {
        struct find_comm f = { comm, 0 };
        int r = task_walk(c->t->fs, false, find_comm_fn, &f);

        return r < 0 ? r : f.pid;
}

static int check_irqbalance(const struct check_ctx *c, struct check_report *rep) {
        struct cpumap banned, m;
        char a[256], b[256], fix[512];
        int pid, r;

        if (c->t->fixture_root)
                return check_add(rep, "irqbalance", CHECK_SKIP, false, "", NULL, "not queried (TLBISOL_ROOT is set)");
        pid = running_pid(c, "irqbalance");
        if (pid <= 0)
                return check_add(rep, "irqbalance", CHECK_OK, false, "", NULL, "irqbalance is not running");
        r = irqbalance_banned(c->t->facts.sys.ncpus, &banned);
        if (r < 0)
                return check_add(rep, "irqbalance", CHECK_WARN, false,
                                 "irqbalance rewrites IRQ affinities every 10 s; whether it leaves the isolated CPUs out cannot be told.",
                                 "check /etc/default/irqbalance (IRQBALANCE_BANNED_CPULIST=)",
                                 "irqbalance (PID %d) is running and does not answer on its socket: %s", pid, strerror(-r));
        cpumap_andnot(&m, &c->want, &banned);
        if (cpumap_is_empty(&m))
                return check_add(rep, "irqbalance", CHECK_OK, false, "", NULL,
                                 "irqbalance (PID %d) bans %s", pid, cl(&banned, a, sizeof(a)));
        snprintf(fix, sizeof(fix),
                 "let tlbisold ban them ([Apply] Irqbalance=yes, then: busctl call org.tlbisol1 /org/tlbisol1 org.tlbisol1.Manager Reapply), or set IRQBALANCE_BANNED_CPULIST=%s in /etc/default/irqbalance",
                 cl(&c->want, b, sizeof(b)));
        return check_add(rep, "irqbalance", CHECK_FAIL, false,
                         "irqbalance moves IRQs onto every CPU it does not ban, every 10 s, undoing tlbisold.",
                         fix, "irqbalance (PID %d) does not ban isolated CPUs %s (it bans %s)", pid,
                         cl(&m, a, sizeof(a)), cl(&banned, b, sizeof(b)));
}

static int check_tuned(const struct check_ctx *c, struct check_report *rep) {
        /* Profiles that place IRQs, workqueues and threads once and whose
         * scheduler plugin keeps moving threads: they fight tlbisold. */
        static const char *const fighting[] = {
                "realtime", "realtime-virtual-host", "realtime-virtual-guest",
                "cpu-partitioning", "cpu-partitioning-powersave",
        };
        _cleanup_free_ char *profile = NULL;
        int pid;

        pid = running_pid(c, "tuned");
        (void) fsroot_read_line(c->t->fs, "/etc/tuned/active_profile", &profile);
        if (pid <= 0)
                return check_add(rep, "tuned", CHECK_OK, false, "", NULL, "tuned is not running%s%s%s",
                                 profile && *profile ? " (last profile: " : "", profile && *profile ? profile : "",
                                 profile && *profile ? ")" : "");
        if (!profile || !*profile)
                return check_add(rep, "tuned", CHECK_OK, false, "", NULL, "tuned (PID %d) has no active profile", pid);
        for (char *save = NULL, *w = strtok_r(profile, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                for (size_t i = 0; i < ELEMENTSOF(fighting); i++)
                        if (streq(w, fighting[i]))
                                return check_add(rep, "tuned", CHECK_WARN, false,
                                                 "This profile places IRQs, workqueues and threads once and its scheduler plugin keeps moving threads: it and tlbisold undo each other's changes.",
                                                 "tuned-adm profile tlbisol-realtime (the same profile without the parts tlbisold owns)",
                                                 "tuned (PID %d) runs profile '%s'", pid, w);
        return check_add(rep, "tuned", CHECK_OK, false, "", NULL, "tuned (PID %d) runs profile '%s'", pid, profile);
}

/* Report only: what RT users expect to see, never changed by tlbisol. */
static int check_power(const struct check_ctx *c, struct check_report *rep) {
        _cleanup_free_ char *drv = NULL, *gov = NULL, *cmd = NULL, *idle = NULL, *cstate = NULL;
        struct namelist govs = {};
        char buf[1024];
        int cpu, r = 0;

        CPUMAP_FOREACH(cpu, &c->want) {
                _cleanup_free_ char *g = NULL;
                char path[96];

                snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", cpu);
                if (fsroot_read_line(c->t->fs, path, &g) >= 0)
                        r = namelist_add(&govs, "CPU %d %s", cpu, g);
                if (r < 0)
                        return r;
        }
        r = check_add(rep, "cpufreq", CHECK_INFO, false,
                      "Frequency changes on an isolated CPU are latency; RT setups usually pin the 'performance' governor.",
                      NULL, "%s", govs.n ? namelist_text(&govs, buf, sizeof(buf)) :
                      "no cpufreq driver for the isolated CPUs (fixed frequency or a VM)");
        free(govs.s);
        if (r < 0)
                return r;
        (void) fsroot_read_line(c->t->fs, "/sys/devices/system/cpu/cpuidle/current_driver", &drv);
        if (fsroot_read_line(c->t->fs, "/sys/devices/system/cpu/cpuidle/current_governor", &gov) < 0)
                (void) fsroot_read_line(c->t->fs, "/sys/devices/system/cpu/cpuidle/current_governor_ro", &gov);
        if (fsroot_read_line(c->t->fs, "/proc/cmdline", &cmd) >= 0) {
                (void) cmdline_get(cmd, "idle", &idle);
                (void) cmdline_get(cmd, "processor.max_cstate", &cstate);
        }
        return check_add(rep, "cpuidle", CHECK_INFO, false,
                         "Deep C-states add wake-up latency; RT setups often limit them (idle=poll, processor.max_cstate=1).",
                         NULL, "cpuidle driver %s, governor %s%s%s%s%s", drv ? drv : "none", gov ? gov : "none",
                         idle ? ", idle=" : "", idle ? idle : "", cstate ? ", processor.max_cstate=" : "",
                         cstate ? cstate : "");
}

static int check_default_affinity(const struct check_ctx *c, struct check_report *rep) {
        return check_mask_file(c, rep, "default_affinity", KNOB_DEFAULT_AFFINITY,
                               "New IRQs (a device bound, a queue added) start on the CPUs of this mask.");
}

static int check_workqueue(const struct check_ctx *c, struct check_report *rep) {
        return check_mask_file(c, rep, "workqueue", KNOB_WQ_CPUMASK,
                               "Unbound workqueue work (writeback, crypto, ...) runs on the CPUs of this mask.");
}

int check_system(const struct check_ctx *c, struct check_report *rep) {
        int (*const checks[])(const struct check_ctx *, struct check_report *) = {
                check_isolated, check_cmdline, check_partitions, check_irqs,
                check_default_affinity, check_workqueue, check_kthreads, check_tunables,
                check_module, check_daemon, check_irqbalance, check_tuned, check_power,
        };

        for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
                int r = checks[i](c, rep);

                if (r < 0)
                        return r;
        }
        return 0;
}
