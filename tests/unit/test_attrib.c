/* test_attrib.c — interrupt attribution by source (lib/attrib*.c) on
 * traces recorded in the rt VM (tests/fixtures/attrib/, made by
 * tests/vm/scenarios/attrib-record.sh: the benchmark mix on CPUs 0-1, a
 * user busy loop on CPU 2, CPU 3 idle; see tests/fixtures/attrib/README),
 * with negative controls (no sender events: everything unattributed), and
 * on short synthetic sequences in the recorded line format for what the
 * recordings do not show (device IRQ, softirq, NMI, merged sends). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "unit.h"

#define S_NS UINT64_C(1000000000)

static struct attrib *replay_traced(const char *name, const char *drop, uint64_t win_start, uint64_t win_end,
                                    int workload_pid, bool tick_stop_traced) {
        char path[512], *buf = NULL, line[1024];
        size_t len = 0;
        FILE *in, *mem;
        struct cpumap cpus;
        struct attrib *a = NULL;
        unsigned bad = 0;

        snprintf(path, sizeof(path), "%s/attrib/%s", fixture_dir(), name);
        in = fopen(path, "re");
        assert_non_null(in);
        mem = open_memstream(&buf, &len);
        assert_non_null(mem);
        /* drop: lines containing it go, with the stack that follows them */
        bool dropping = false;
        while (fgets(line, sizeof(line), in)) {
                bool frame = strstr(line, " => ") == line || strncmp(line, " => ", 4) == 0;

                if (!frame)
                        dropping = drop && strstr(line, drop);
                if (!dropping)
                        fputs(line, mem);
        }
        fclose(in);
        fclose(mem);
        cpumap_zero(&cpus);
        cpumap_set(&cpus, 2);
        cpumap_set(&cpus, 3);
        assert_int_equal(attrib_new(&cpus, &a), 0);
        if (workload_pid)
                assert_int_equal(attrib_workload_pid(a, workload_pid), 0);
        if (win_end)
                attrib_set_window(a, win_start, win_end);
        attrib_tick_stop_traced(a, tick_stop_traced);
        mem = fmemopen(buf, len, "r");
        assert_non_null(mem);
        assert_int_equal(attrib_add_trace(a, mem, &bad), 0);
        fclose(mem);
        free(buf);
        assert_int_equal(attrib_finish(a), 0);
        return a;
}

static struct attrib *replay(const char *name, const char *drop, uint64_t win_start, uint64_t win_end,
                             int workload_pid) {
        return replay_traced(name, drop, win_start, win_end, workload_pid, false);
}

/* The group of cpu with this kind, vector, carried function and origin
 * (NULL: any); asserts there is one. */
static const struct attrib_group *find(const struct attrib *a, unsigned cpu, enum attrib_kind k,
                                       const char *vector, const char *carried, const char *origin) {
        const struct attrib_cpu *c = attrib_cpu(a, cpu);

        assert_non_null(c);
        for (size_t i = 0; i < c->ngroups; i++) {
                const struct attrib_group *g = &c->groups[i];

                if (g->kind == k && (!vector || (g->vector && streq(g->vector, vector))) &&
                    (!carried || (g->carried && streq(g->carried, carried))) &&
                    (!origin || (g->origin && streq(g->origin, origin))))
                        return g;
        }
        print_error("no group kind %d vector %s carried %s origin %s on CPU %u\n", k,
                    vector ? vector : "-", carried ? carried : "-", origin ? origin : "-", cpu);
        fail();
        return NULL;
}

static uint64_t sum_counts(const struct attrib_cpu *c, enum attrib_kind k) {
        uint64_t n = 0;

        for (size_t i = 0; i < c->ngroups; i++)
                if (c->groups[i].kind == k)
                        n += c->groups[i].count;
        return n;
}

/* Stock kernel, 4 s of the mix (rt-stock-mix.txt, 183-187 s). */
static void test_stock_mix(void **state) {
        (void) state;
        struct attrib *a = replay("rt-stock-mix.txt", NULL, 183 * S_NS + S_NS / 20, 188 * S_NS, 500);
        const struct attrib_cpu *c2 = attrib_cpu(a, 2), *c3 = attrib_cpu(a, 3);
        const struct attrib_group *g;

        assert_non_null(c2);
        assert_non_null(c3);
        /* every IPI named */
        assert_true(c2->ipis >= 15);
        assert_true(c3->ipis >= 12);
        assert_int_equal(c2->ipis_unattributed, 0);
        assert_int_equal(c3->ipis_unattributed, 0);
        assert_int_equal(sum_counts(c2, ATTRIB_IPI), c2->ipis);
        /* hugetlb unsharing: page-table sync, from hugetlb_unshare, TargetedSync */
        g = find(a, 2, ATTRIB_IPI, "call_function", "tlb_remove_table_smp_sync", "__unmap_hugepage_range");
        assert_string_equal(g->sender, "hugetlb_unshare");
        assert_non_null(strstr(g->site, "smp_call_function"));
        assert_non_null(strstr(g->remedy, "TargetedSync"));
        /* vmalloc aliases flushed for set_memory_ro() on insmod: named by the caller of
         * __purge_vmap_area_lazy (CPA: set_memory_ro, not vfree), which the deferral leaves */
        g = find(a, 2, ATTRIB_IPI, "call_function", "do_flush_tlb_all", "_vm_unmap_aliases");
        assert_non_null(strstr(g->remedy, "not deferred"));
        assert_null(strstr(g->remedy, "Defer=yes"));
        for (size_t i = 0; i < c2->ngroups; i++)
                assert_false(c2->groups[i].origin && streq(c2->groups[i].origin, "__purge_vmap_area_lazy"));
        /* module load: text patching and set_memory (not deferrable today) */
        g = find(a, 3, ATTRIB_IPI, "call_function", "do_sync_core", "static_call_module_notify");
        assert_non_null(strstr(g->remedy, "text patching"));
        g = find(a, 2, ATTRIB_IPI, "call_function", "do_flush_tlb_all", "change_page_attr_set_clr");
        assert_non_null(strstr(g->remedy, "not deferred"));
        /* the 6.12 fair server: reschedule from dl_task_timer in hardirq, and its tick kick */
        g = find(a, 2, ATTRIB_IPI, "reschedule", NULL, "dl_task_timer");
        assert_string_equal(g->sender, "[hardirq]");
        assert_non_null(strstr(g->remedy, "fair server"));
        assert_non_null(strstr(g->remedy, "FairServerPeriod"));
        g = find(a, 2, ATTRIB_IPI, "call_function_single", "nohz_full_kick_func", "enqueue_dl_entity");
        assert_non_null(strstr(g->remedy, "fair server"));
        assert_non_null(strstr(g->remedy, "FairServerPeriod"));
        /* the clocksource watchdog visiting the idle CPU 3 */
        g = find(a, 3, ATTRIB_IPI, "call_function_single", "nohz_full_kick_func", "clocksource_watchdog");
        assert_string_equal(g->sender, "ktimers/2");
        assert_true(g->sender_cpus == 1u << 2);
        assert_non_null(strstr(g->remedy, "tsc=reliable"));
        /* the tick, and threads other than the busy loop (pid 500) */
        assert_true(c2->ticks >= 2);
        assert_int_equal(find(a, 2, ATTRIB_TICK, NULL, NULL, NULL)->count, c2->ticks);
        find(a, 2, ATTRIB_THREAD, "ktimers/2", NULL, NULL);
        for (size_t i = 0; i < c2->ngroups; i++)
                assert_false(c2->groups[i].kind == ATTRIB_THREAD && streq(c2->groups[i].vector, "busyloop"));
        /* groups sorted, every remedy filled */
        for (size_t i = 0; i < c2->ngroups; i++) {
                assert_true(c2->groups[i].remedy && *c2->groups[i].remedy);
                if (i)
                        assert_true(c2->groups[i - 1].count >= c2->groups[i].count);
        }
        attrib_free(a);
}

/* tlbisold + tlbisol.ko with Defer=yes (rt-tlbisol-defer-mix.txt, 226-230 s). */
static void test_tlbisol_mix(void **state) {
        (void) state;
        struct attrib *a = replay("rt-tlbisol-defer-mix.txt", NULL, 226 * S_NS + S_NS / 20, 231 * S_NS, 569);
        const struct attrib_cpu *c2 = attrib_cpu(a, 2), *c3 = attrib_cpu(a, 3);
        const struct attrib_group *g;

        assert_int_equal(c2->ipis_unattributed, 0);
        assert_int_equal(c3->ipis_unattributed, 0);
        /* the idle CPU still gets the module's flush, the user-mode one does not */
        g = find(a, 3, ATTRIB_IPI, NULL, "tlbisol_defer_ipi", "tlbisol_flush_kernel_range");
        assert_non_null(strstr(g->remedy, "not in user space"));
        for (size_t i = 0; i < c2->ngroups; i++)
                assert_false(c2->groups[i].carried && streq(c2->groups[i].carried, "tlbisol_defer_ipi"));
        /* the busy loop woken by the 9p share's IRQ thread while it pages in */
        g = find(a, 2, ATTRIB_IPI, "reschedule", NULL, "p9_client_cb");
        assert_string_equal(g->woken, "busyloop");
        assert_int_equal(g->woken_pid, 569);
        assert_non_null(strstr(g->waker, "irq/28-virtio0"));
        attrib_free(a);
}

/* Negative control: without the sender's events nothing can be named. */
static void test_without_senders(void **state) {
        (void) state;
        struct attrib *a = replay("rt-stock-mix.txt", ": ipi_send_cpu", 183 * S_NS + S_NS / 20, 188 * S_NS, 500);
        const struct attrib_cpu *c2 = attrib_cpu(a, 2);
        struct attrib *b;

        /* the call-function IPIs still match their cpumask sends; the
         * single-CPU ones (kicks, reschedules) are unattributed */
        assert_true(c2->ipis_unattributed >= 3);
        attrib_free(a);
        b = replay("rt-stock-mix.txt", "ipi_send_cpu", 183 * S_NS + S_NS / 20, 188 * S_NS, 500);
        c2 = attrib_cpu(b, 2);
        assert_int_equal(c2->ipis_unattributed, c2->ipis);     /* "ipi_send_cpu" matches both events */
        assert_true(c2->ipis > 0);
        attrib_free(b);
}

/* The window drops receive-side records outside it but keeps matching. */
static void test_window(void **state) {
        (void) state;
        struct attrib *all = replay("rt-stock-mix.txt", NULL, 183 * S_NS + S_NS / 20, 188 * S_NS, 500);
        struct attrib *half = replay("rt-stock-mix.txt", NULL, 185 * S_NS, 188 * S_NS, 500);

        assert_true(attrib_cpu(half, 2)->interrupts < attrib_cpu(all, 2)->interrupts);
        assert_int_equal(attrib_cpu(half, 2)->ipis_unattributed, 0);
        attrib_free(all);
        attrib_free(half);
}

/* The live view's rounds: the same trace in two halves, with the sends of
 * the first half still pending in the second, adds up to the whole. */
static void test_advance(void **state) {
        (void) state;
        struct attrib *all = replay("rt-stock-mix.txt", NULL, 0, 0, 500);
        char path[512];
        struct cpumap cpus;
        struct attrib *a;
        FILE *f;
        uint64_t irqs = 0, unattr = 0;

        snprintf(path, sizeof(path), "%s/attrib/rt-stock-mix.txt", fixture_dir());
        f = fopen(path, "re");
        assert_non_null(f);
        cpumap_zero(&cpus);
        cpumap_set(&cpus, 2);
        cpumap_set(&cpus, 3);
        assert_int_equal(attrib_new(&cpus, &a), 0);
        assert_int_equal(attrib_workload_pid(a, 500), 0);
        assert_int_equal(attrib_add_trace(a, f, NULL), 0);
        fclose(f);
        assert_null(attrib_cpu(a, 2));
        assert_int_equal(attrib_advance(a, 185 * S_NS), 0);
        irqs += attrib_cpu(a, 2)->interrupts;
        unattr += attrib_cpu(a, 2)->ipis_unattributed;
        assert_true(attrib_cpu(a, 2)->interrupts < attrib_cpu(all, 2)->interrupts);
        attrib_reset(a);
        assert_int_equal(attrib_cpu(a, 2)->interrupts, 0);
        assert_int_equal(attrib_advance(a, 188 * S_NS), 0);
        irqs += attrib_cpu(a, 2)->interrupts;
        unattr += attrib_cpu(a, 2)->ipis_unattributed;
        assert_int_equal(irqs, attrib_cpu(all, 2)->interrupts);
        assert_int_equal(unattr, attrib_cpu(all, 2)->ipis_unattributed);
        attrib_free(a);
        attrib_free(all);
}

static struct attrib *synthetic(const char *const *lines) {
        struct cpumap cpus;
        struct attrib *a;
        char buf[1024];

        cpumap_zero(&cpus);
        cpumap_set(&cpus, 2);
        assert_int_equal(attrib_new(&cpus, &a), 0);
        for (const char *const *l = lines; *l; l++) {
                struct attrib_event ev;
                struct cpumap t;

                assert_int_equal(attrib_parse_line(*l, &ev, &t, buf, sizeof(buf)), 1);
                assert_int_equal(attrib_add(a, &ev), 0);
        }
        assert_int_equal(attrib_finish(a), 0);
        return a;
}

/* Kinds the recordings do not show on isolated CPUs, in the kernel's format. */
static void test_other_kinds(void **state) {
        (void) state;
        static const char *const lines[] = {
                "          <idle>-0       [002] d.h2.    10.000100: irq_noise: virtio0-input.0:37 start 10.000090000 duration 4000 ns",
                "          <idle>-0       [002] ..s2.    10.000200: softirq_noise:    TIMER:1 start 10.000150000 duration 9000 ns",
                "          <idle>-0       [002] d.Z2.    10.000300: nmi_noise: start 10.000290000 duration 3000 ns",
                "          <idle>-0       [002] d.h2.    10.000400: hrtimer_expire_entry: hrtimer=000000003abde480 function=hrtimer_wakeup now=10000390000",
                "          <idle>-0       [002] d.h2.    10.000410: irq_noise: local_timer:236 start 10.000395000 duration 6000 ns",
                "          <idle>-0       [002] d..2.    10.000500: thread_noise: kworker/2:1:77 start 10.000450000 duration 20000 ns",
                NULL,
        };
        struct attrib *a = synthetic(lines);
        const struct attrib_group *g;

        g = find(a, 2, ATTRIB_DEVICE, "virtio0-input.0", NULL, NULL);
        assert_int_equal(g->irq, 37);
        assert_non_null(strstr(g->remedy, "IRQs=yes"));
        assert_non_null(strstr(find(a, 2, ATTRIB_SOFTIRQ, "TIMER", NULL, NULL)->remedy, "TimerMigration"));
        assert_non_null(find(a, 2, ATTRIB_NMI, NULL, NULL, NULL));
        g = find(a, 2, ATTRIB_TIMER, NULL, NULL, NULL);
        assert_string_equal(g->site, "hrtimer_wakeup");
        assert_non_null(strstr(g->remedy, "application"));
        assert_non_null(strstr(find(a, 2, ATTRIB_THREAD, "kworker/2:1", NULL, NULL)->remedy, "Workqueues"));
        assert_int_equal(attrib_cpu(a, 2)->interrupts, 2);
        assert_int_equal(attrib_cpu(a, 2)->ipis, 0);
        attrib_free(a);
}

/* Two reschedule sends before one interrupt (x86 merges a pending vector):
 * one interrupt, both sends consumed, so the next one is unattributed; a
 * csd run from idle without an IPI is not taken by the next IPI; an IPI
 * carries the woken task of a remote wake-up. */
static void test_merge_and_local(void **state) {
        (void) state;
        static const char *const lines[] = {
                "              sh-491     [000] d..2.    20.000000: sched_waking: comm=app pid=900 prio=120 target_cpu=002",
                "              sh-491     [000] d..2.    20.000001: ipi_send_cpu: cpu=2 callsite=ttwu_queue_wakelist+0xc9/0x100 callback=0x0",
                "              sh-491     [000] d..2.    20.000002: ipi_send_cpu: cpu=2 callsite=ttwu_queue_wakelist+0xc9/0x100 callback=0x0",
                "          <idle>-0       [002] dNh2.    20.000010: irq_noise: reschedule:253 start 20.000008000 duration 1000 ns",
                "          <idle>-0       [002] dNh2.    20.000020: irq_noise: reschedule:253 start 20.000018000 duration 1000 ns",
                "              sh-491     [000] d..2.    20.000100: csd_queue_cpu: cpu=2 callsite=generic_exec_single+0x3f/0x160 func=foo_func csd=00000000000000aa",
                "          <idle>-0       [002] d..2.    20.000110: csd_function_entry: func=foo_func, csd=00000000000000aa",
                "              sh-491     [000] d..2.    20.000200: sched_waking: comm=app pid=900 prio=120 target_cpu=002",
                "              sh-491     [000] d..2.    20.000201: csd_queue_cpu: cpu=2 callsite=ttwu_queue_wakelist+0x8d/0x100 func=sched_ttwu_pending csd=00000000000000bb",
                "              sh-491     [000] d..2.    20.000202: ipi_send_cpu: cpu=2 callsite=ttwu_queue_wakelist+0x8d/0x100 callback=generic_smp_call_function_single_interrupt+0x0/0x20",
                "          <idle>-0       [002] d.h2.    20.000210: csd_function_entry: func=sched_ttwu_pending, csd=00000000000000bb",
                "          <idle>-0       [002] d.h2.    20.000212: irq_noise: call_function_single:251 start 20.000206000 duration 5000 ns",
                NULL,
        };
        struct attrib *a = synthetic(lines);
        const struct attrib_cpu *c = attrib_cpu(a, 2);
        const struct attrib_group *g;

        assert_int_equal(c->ipis, 3);
        assert_int_equal(c->ipis_unattributed, 1);
        g = find(a, 2, ATTRIB_IPI, "reschedule", NULL, NULL);
        assert_true(g->attributed);
        assert_string_equal(g->woken, "app");
        assert_string_equal(g->waker, "sh");
        assert_int_equal(c->csd_local, 1);
        g = find(a, 2, ATTRIB_IPI, "call_function_single", "sched_ttwu_pending", NULL);
        assert_int_equal(g->ncarried, 1);
        assert_string_equal(g->woken, "app");
        assert_int_equal(g->woken_pid, 900);
        assert_non_null(strstr(g->remedy, "woken"));
        attrib_free(a);
}

/* ---- the tick: why it ran (lib/attrib-tick.h) ---- */

/* A trace of CPU 2 running a busy loop (pid 500) for secs seconds with a
 * tick every 1/hz s; after each tick's interrupt, as the kernel writes it
 * at the interrupt exit, "tick_stop: success=0 dependency=DEP" when dep is
 * given, and a TIMER softirq between the two every fifth tick. */
static void tick_lines(FILE *m, double t0, double secs, unsigned hz, const char *dep) {
        unsigned n = (unsigned) (secs * hz);

        for (unsigned i = 0; i < n; i++) {
                double t = t0 + (double) i / hz;

                fprintf(m, "        busyloop-500     [002] d.h1.   %.6f: hrtimer_expire_entry: hrtimer=00000000042debe5"
                        " function=tick_nohz_handler now=%.0f\n", t, t * 1e9);
                fprintf(m, "        busyloop-500     [002] d.h1.   %.6f: irq_noise: local_timer:236 start %.9f duration 6000 ns\n",
                        t + 0.000008, t + 0.000002);
                if (i % 5 == 0)
                        fprintf(m, "        busyloop-500     [002] ..s1.   %.6f: softirq_noise:    TIMER:1 start %.9f duration 3000 ns\n",
                                t + 0.000012, t + 0.000009);
                if (dep)
                        fprintf(m, "        busyloop-500     [002] d..1.   %.6f: tick_stop: success=0 dependency=%s\n",
                                t + 0.000015, dep);
        }
}

/* Replays text over the window [t0, t0 + secs] of CPU 2. */
static struct attrib *tick_replay(const char *text, size_t len, double t0, double secs, bool traced) {
        struct cpumap cpus;
        struct attrib *a;
        unsigned bad = 0;
        FILE *f;

        cpumap_zero(&cpus);
        cpumap_set(&cpus, 2);
        assert_int_equal(attrib_new(&cpus, &a), 0);
        assert_int_equal(attrib_workload_pid(a, 500), 0);
        attrib_tick_stop_traced(a, traced);
        attrib_set_window(a, (uint64_t) (t0 * 1e9), (uint64_t) ((t0 + secs) * 1e9));
        f = fmemopen((void *) text, len, "r");
        assert_non_null(f);
        assert_int_equal(attrib_add_trace(a, f, &bad), 0);
        fclose(f);
        assert_int_equal(attrib_finish(a), 0);
        return a;
}

/* A trace written in memory, then replayed with tick_replay(). */
struct memtrace {
        char *buf;
        size_t len;
        FILE *f;
};

static FILE *memtrace_open(struct memtrace *t) {
        *t = (struct memtrace) { 0 };
        t->f = open_memstream(&t->buf, &t->len);
        assert_non_null(t->f);
        return t->f;
}

static struct attrib *memtrace_replay(struct memtrace *t, double t0, double secs, bool traced) {
        if (t->f)
                fclose(t->f);
        t->f = NULL;
        return tick_replay(t->buf, t->len, t0, secs, traced);
}

/* The tick groups of CPU 2; asserts their counts add up to its ticks. */
static size_t tick_groups(const struct attrib *a, const struct attrib_group **out, size_t max) {
        const struct attrib_cpu *c = attrib_cpu(a, 2);
        uint64_t sum = 0;
        size_t n = 0;

        assert_non_null(c);
        for (size_t i = 0; i < c->ngroups; i++)
                if (c->groups[i].kind == ATTRIB_TICK) {
                        assert_true(n < max);
                        out[n++] = &c->groups[i];
                        sum += c->groups[i].count;
                }
        assert_int_equal(sum, c->ticks);
        return n;
}

/* One flush function, several paths: __purge_vmap_area_lazy from the lazy
 * purge's drain work (deferrable), from _vm_unmap_aliases() for vfree()
 * (deferrable) or for CPA (not): the group says which. Without the caller's
 * frame the purge is what it was. */
static void flush_path(const char *caller, const char *origin, const char *remedy_has) {
        static const char *const sends[] = {
                "     kworker/0:1-40      [000] ...1.    30.000000: csd_queue_cpu: cpu=2 callsite=on_each_cpu_cond_mask+0x24/0x40 func=do_flush_tlb_all csd=00000000000000bb\n"
                "     kworker/0:1-40      [000] ...1.    30.000001: <stack trace>\n"
                " => trace_event_raw_event_csd_queue_cpu\n",
                "     kworker/0:1-40      [000] ...1.    30.000002: ipi_send_cpumask: cpumask=00000000,00000004 callsite=on_each_cpu_cond_mask+0x24/0x40 callback=generic_smp_call_function_single_interrupt+0x0/0x20\n"
                "     kworker/0:1-40      [000] ...1.    30.000003: <stack trace>\n"
                " => trace_event_raw_event_ipi_send_cpumask\n",
        };
        struct memtrace tr;
        FILE *m = memtrace_open(&tr);
        const struct attrib_group *g;
        struct attrib *a;

        for (size_t i = 0; i < ELEMENTSOF(sends); i++) {
                fputs(sends[i], m);
                fputs(" => smp_call_function_many_cond\n => on_each_cpu_cond_mask\n => __purge_vmap_area_lazy\n", m);
                if (caller)
                        fprintf(m, " => %s\n", caller);
                fputs(" => process_one_work\n", m);
        }
        fputs("        busyloop-500     [002] d.h..    30.000100: csd_function_entry: func=do_flush_tlb_all, csd=00000000000000bb\n"
              "        busyloop-500     [002] d.h1.    30.000200: irq_noise: call_function:252 start 30.000090000 duration 9000 ns\n", m);
        a = memtrace_replay(&tr, 30, 1, false);
        g = find(a, 2, ATTRIB_IPI, "call_function", "do_flush_tlb_all", origin);
        assert_non_null(strstr(g->remedy, remedy_has));
        assert_int_equal(attrib_cpu(a, 2)->ipis_unattributed, 0);
        attrib_free(a);
        free(tr.buf);
}

static void test_purge_paths(void **state) {
        (void) state;
        flush_path("drain_vmap_area_work", "__purge_vmap_area_lazy", "Defer=yes");
        flush_path("_vm_unmap_aliases", "_vm_unmap_aliases", "not deferred");
        /* _vm_unmap_aliases() in turn: vfree() of module memory (rt: vfree;
         * generic: its clone vfree.part.0) is deferrable, CPA is not */
        flush_path("_vm_unmap_aliases\n => vfree\n => free_mod_mem.constprop.0", "vfree", "Defer=yes");
        flush_path("_vm_unmap_aliases\n => vfree.part.0\n => do_free_init", "vfree", "Defer=yes");
        flush_path("_vm_unmap_aliases\n => change_page_attr_set_clr\n => set_memory_ro",
                   "_vm_unmap_aliases", "not deferred");
        flush_path(NULL, "__purge_vmap_area_lazy", "Defer=yes");
}

/* One busy loop, tick stopped: one tick a second, and no tick_stop after
 * them (the tick stays stopped; success=1 is written once, when it stops). */
static void test_tick_residual(void **state) {
        (void) state;
        struct memtrace tr;
        FILE *m = memtrace_open(&tr);
        const struct attrib_group *g[4];
        struct attrib *a;

        fprintf(m, "        busyloop-500     [002] d..1.   99.999000: tick_stop: success=1 dependency=NONE\n");
        tick_lines(m, 100.5, 10, 1, NULL);
        a = memtrace_replay(&tr, 100, 10.9, true);
        assert_int_equal(tick_groups(a, g, 4), 1);
        assert_int_equal(g[0]->count, 10);
        assert_int_equal(g[0]->tick_state, ATTRIB_TICK_RESIDUAL);
        assert_int_equal(g[0]->tick_dep, 0);
        assert_non_null(strstr(g[0]->remedy, "residual"));
        assert_int_equal(attrib_cpu(a, 2)->span_ns, 10900000000ull);
        attrib_free(a);
        free(tr.buf);
}

/* The TSC marked unstable: the tick runs at HZ on the busy CPU (seen at
 * ~92/s in a bench on a loaded host, 2764 ticks in 30 s), each tick's exit
 * writing tick_stop success=0 dependency=CLOCK_UNSTABLE. */
static void test_tick_clock_unstable(void **state) {
        (void) state;
        struct memtrace tr;
        FILE *m = memtrace_open(&tr);
        const struct attrib_group *g[4];
        struct attrib *a;

        tick_lines(m, 200.001, 5, 90, "CLOCK_UNSTABLE");
        /* an IPI between ticks does not take a tick's dependency */
        fprintf(m, "          <idle>-0       [002] dNh2.   205.500000: irq_noise: reschedule:253 start 205.499990000 duration 1000 ns\n");
        a = memtrace_replay(&tr, 200, 6, true);
        assert_int_equal(tick_groups(a, g, 4), 1);
        assert_int_equal(g[0]->count, 450);
        assert_int_equal(g[0]->tick_state, ATTRIB_TICK_KEPT);
        assert_int_equal(g[0]->tick_dep, ATTRIB_TICK_DEP_CLOCK_UNSTABLE);
        assert_string_equal(attrib_tick_dep_name(g[0]->tick_dep), "CLOCK_UNSTABLE");
        assert_non_null(strstr(g[0]->remedy, "Marking TSC unstable"));
        assert_non_null(strstr(g[0]->remedy, "tsc=reliable"));
        assert_null(strstr(g[0]->remedy, "residual"));
        assert_int_equal(attrib_cpu(a, 2)->interrupts, 451);
        attrib_free(a);
        free(tr.buf);
}

/* A second task on the CPU for 3 s (SCHED keeps the tick at 90/s), then
 * alone again: the tick SCHED kept stops after one more (success=1), and
 * the residual tick remains. */
static void test_tick_sched(void **state) {
        (void) state;
        struct memtrace tr;
        FILE *m = memtrace_open(&tr);
        const struct attrib_group *g[4], *sched = NULL, *res = NULL;
        struct attrib *a;
        size_t n;

        tick_lines(m, 300.001, 3, 90, "SCHED");
        fprintf(m, "        busyloop-500     [002] d.h1.   303.001000: hrtimer_expire_entry: hrtimer=00000000042debe5 function=tick_nohz_handler now=303001000000\n");
        fprintf(m, "        busyloop-500     [002] d.h1.   303.001008: irq_noise: local_timer:236 start 303.001002000 duration 6000 ns\n");
        fprintf(m, "        busyloop-500     [002] d..1.   303.001015: tick_stop: success=1 dependency=NONE\n");
        tick_lines(m, 304.0, 6, 1, NULL);
        a = memtrace_replay(&tr, 300, 10, true);
        n = tick_groups(a, g, 4);
        assert_int_equal(n, 2);
        for (size_t i = 0; i < n; i++) {
                if (g[i]->tick_dep == ATTRIB_TICK_DEP_SCHED)
                        sched = g[i];
                else
                        res = g[i];
        }
        if (!sched || !res)
                fail_msg("no SCHED group and residual group");
        assert_int_equal(sched->count, 271);
        assert_int_equal(sched->tick_state, ATTRIB_TICK_KEPT);
        assert_non_null(strstr(sched->remedy, "more than one runnable task"));
        assert_non_null(strstr(sched->remedy, "UserTasks=yes"));
        /* the tick after which it stopped was still SCHED's; six residual */
        assert_int_equal(res->count, 6);
        assert_int_equal(res->tick_state, ATTRIB_TICK_RESIDUAL);
        assert_int_equal(attrib_cpu(a, 2)->ticks, 277);
        attrib_free(a);
        free(tr.buf);
}

/* Without timer:tick_stop (an older kernel, or the event not recorded) a
 * tick at 90/s cannot be called residual: it did not stop, reason unknown;
 * at 1/s it still is residual. Traced but silent: no dependency named. */
static void test_tick_without_tick_stop(void **state) {
        (void) state;
        struct memtrace fast, slow;
        const struct attrib_group *g[4];
        struct attrib *a;

        tick_lines(memtrace_open(&fast), 400.001, 5, 90, NULL);
        a = memtrace_replay(&fast, 400, 5, false);
        assert_int_equal(tick_groups(a, g, 4), 1);
        assert_int_equal(g[0]->count, 450);
        assert_int_equal(g[0]->tick_state, ATTRIB_TICK_NOT_STOPPED);
        assert_int_equal(g[0]->tick_dep, 0);
        assert_non_null(strstr(g[0]->remedy, "did not stop"));
        assert_non_null(strstr(g[0]->remedy, "not traced"));
        assert_null(strstr(g[0]->remedy, "residual scheduler tick"));
        attrib_free(a);
        a = memtrace_replay(&fast, 400, 5, true);
        assert_int_equal(tick_groups(a, g, 4), 1);
        assert_int_equal(g[0]->tick_state, ATTRIB_TICK_NOT_STOPPED);
        assert_non_null(strstr(g[0]->remedy, "named no dependency"));
        attrib_free(a);

        tick_lines(memtrace_open(&slow), 400.5, 5, 1, NULL);
        a = memtrace_replay(&slow, 400, 5.9, false);
        assert_int_equal(tick_groups(a, g, 4), 1);
        assert_int_equal(g[0]->count, 5);
        assert_int_equal(g[0]->tick_state, ATTRIB_TICK_RESIDUAL);
        attrib_free(a);
        free(fast.buf);
        free(slow.buf);
}

/* The same on the recordings of tests/vm/scenarios/tick-record.sh (rt
 * guest, CPUs 2-3 nohz_full; tests/fixtures/attrib/README). Counts of the
 * fixture lines, for reference: residual, CPU 2: 9 ticks, 3 "success=0
 * dependency=SCHED" (the 6.12 fair server's kick) and 3 "success=1";
 * CPU 3 (idle): 4 ticks, no tick_stop. sched, CPU 2: 228 ticks, 227
 * SCHED. unstable, CPU 2: 202 ticks, 202 CLOCK_UNSTABLE. */
static const struct attrib_group *tick_group(const struct attrib *a, unsigned cpu, enum attrib_tick_state st,
                                             int dep) {
        const struct attrib_cpu *c = attrib_cpu(a, cpu);

        assert_non_null(c);
        for (size_t i = 0; i < c->ngroups; i++)
                if (c->groups[i].kind == ATTRIB_TICK && c->groups[i].tick_state == st &&
                    c->groups[i].tick_dep == dep)
                        return &c->groups[i];
        return NULL;
}

static void test_tick_recorded(void **state) {
        (void) state;
        struct attrib *a;
        const struct attrib_group *g;

        /* one busy loop: residual, plus the ticks the fair server's SCHED
         * kick restarted (each stops after one tick) */
        a = replay_traced("rt-tick-residual.txt", NULL, 15 * S_NS, 20700 * (S_NS / 1000), 201, true);
        g = tick_group(a, 2, ATTRIB_TICK_RESIDUAL, 0);
        assert_non_null(g);
        assert_true(g->count >= 4 && (double) g->count <= 2 * 5.7 + 1);
        assert_non_null(strstr(g->remedy, "residual"));
        g = tick_group(a, 2, ATTRIB_TICK_KEPT, ATTRIB_TICK_DEP_SCHED);
        assert_non_null(g);
        assert_int_equal(g->count, 3);
        assert_non_null(strstr(g->remedy, "fair server"));
        assert_non_null(strstr(g->remedy, "FairServerPeriod"));
        assert_int_equal(attrib_cpu(a, 2)->ticks, 9);
        assert_null(tick_group(a, 2, ATTRIB_TICK_NOT_STOPPED, 0));
        g = tick_group(a, 3, ATTRIB_TICK_RESIDUAL, 0);
        assert_non_null(g);
        assert_int_equal(g->count, 4);
        attrib_free(a);

        /* two busy loops on CPU 2: the scheduler keeps the tick (~114/s) */
        a = replay_traced("rt-tick-sched.txt", NULL, 27 * S_NS, 29 * S_NS, 201, true);
        g = tick_group(a, 2, ATTRIB_TICK_KEPT, ATTRIB_TICK_DEP_SCHED);
        assert_non_null(g);
        assert_int_equal(g->count, 228);        /* the last one's tick_stop is past the slice */
        assert_int_equal(attrib_cpu(a, 2)->ticks, 228);
        assert_null(tick_group(a, 2, ATTRIB_TICK_RESIDUAL, 0));
        attrib_free(a);

        /* the TSC marked unstable: CLOCK_UNSTABLE on every tick, ~200/s */
        a = replay_traced("rt-tick-unstable.txt", NULL, 43 * S_NS, 44 * S_NS, 238, true);
        g = tick_group(a, 2, ATTRIB_TICK_KEPT, ATTRIB_TICK_DEP_CLOCK_UNSTABLE);
        assert_non_null(g);
        assert_int_equal(g->count, 202);
        assert_int_equal(attrib_cpu(a, 2)->ticks, 202);
        assert_non_null(strstr(g->remedy, "Marking TSC unstable"));
        assert_null(tick_group(a, 2, ATTRIB_TICK_RESIDUAL, 0));
        attrib_free(a);

        /* negative control: the same without tick_stop (not recorded, or a
         * kernel without it) is a tick that did not stop, never residual */
        a = replay_traced("rt-tick-unstable.txt", "tick_stop:", 43 * S_NS, 44 * S_NS, 238, false);
        g = tick_group(a, 2, ATTRIB_TICK_NOT_STOPPED, 0);
        assert_non_null(g);
        assert_int_equal(g->count, 202);
        assert_non_null(strstr(g->remedy, "not traced"));
        assert_null(tick_group(a, 2, ATTRIB_TICK_RESIDUAL, 0));
        attrib_free(a);
        a = replay_traced("rt-tick-sched.txt", "tick_stop:", 27 * S_NS, 29 * S_NS, 201, false);
        assert_non_null(tick_group(a, 2, ATTRIB_TICK_NOT_STOPPED, 0));
        attrib_free(a);
        /* and the residual tick stays residual without it */
        a = replay_traced("rt-tick-residual.txt", "tick_stop:", 15 * S_NS, 20700 * (S_NS / 1000), 201, false);
        g = tick_group(a, 2, ATTRIB_TICK_RESIDUAL, 0);
        assert_non_null(g);
        assert_int_equal(g->count, 9);
        attrib_free(a);
}

/* The rate rule at its edge, and the names. */
static void test_tick_names(void **state) {
        (void) state;
        struct attrib_event ev;
        struct cpumap t;
        char buf[256];
        int dep = -1;

        /* 2/s plus one for the window's edges */
        assert_int_equal(attrib_tick_state(0, 21, 10.0), ATTRIB_TICK_RESIDUAL);
        assert_int_equal(attrib_tick_state(0, 22, 10.0), ATTRIB_TICK_NOT_STOPPED);
        assert_int_equal(attrib_tick_state(0, 1, 0), ATTRIB_TICK_RESIDUAL);
        assert_int_equal(attrib_tick_state(0, 2, 0), ATTRIB_TICK_NOT_STOPPED);
        assert_int_equal(attrib_tick_state(ATTRIB_TICK_DEP_RCU, 1, 10.0), ATTRIB_TICK_KEPT);
        for (int d = 1; d <= ATTRIB_TICK_DEP_RCU_EXP; d <<= 1) {
                const char *r = attrib_tick_remedy(ATTRIB_TICK_KEPT, d, true);

                assert_non_null(attrib_tick_dep_name(d));
                assert_int_equal(attrib_tick_dep_from_name(attrib_tick_dep_name(d), &dep), 0);
                assert_int_equal(dep, d);
                assert_null(strstr(r, "residual"));
                assert_null(strstr(r, "does not know"));
        }
        assert_non_null(strstr(attrib_tick_remedy(ATTRIB_TICK_KEPT, ATTRIB_TICK_DEP_POSIX_TIMER, true), "POSIX CPU"));
        assert_non_null(strstr(attrib_tick_remedy(ATTRIB_TICK_KEPT, ATTRIB_TICK_DEP_PERF_EVENTS, true), "perf"));
        assert_non_null(strstr(attrib_tick_remedy(ATTRIB_TICK_KEPT, ATTRIB_TICK_DEP_RCU, true), "rcu_nocbs="));
        assert_non_null(strstr(attrib_tick_remedy(ATTRIB_TICK_KEPT, 64, true), "does not know"));
        assert_null(attrib_tick_dep_name(3));
        assert_int_equal(attrib_tick_dep_from_name("BOGUS", &dep), -EINVAL);
        assert_int_equal(attrib_tick_dep_from_name("0x", &dep), -EINVAL);
        assert_int_equal(attrib_tick_dep_from_name("0x40", &dep), 0);
        assert_int_equal(dep, 64);
        assert_string_equal(attrib_tick_label(ATTRIB_TICK_KEPT, ATTRIB_TICK_DEP_SCHED), "SCHED");
        assert_string_equal(attrib_tick_label(ATTRIB_TICK_NOT_STOPPED, 0), "not_stopped");
        assert_int_equal(attrib_parse_line("  sh-1 [002] d..1.  1.000000: tick_stop: success=0 dependency=CLOCK_UNSTABLE",
                                           &ev, &t, buf, sizeof(buf)), 1);
        assert_int_equal(ev.type, ATTRIB_EV_TICK_STOP);
        assert_int_equal(ev.num, ATTRIB_TICK_DEP_CLOCK_UNSTABLE);
        assert_int_equal(ev.cpu, 2);
        assert_int_equal(attrib_parse_line("  sh-1 [002] d..1.  1.000000: tick_stop: success=1 dependency=NONE",
                                           &ev, &t, buf, sizeof(buf)), 1);
        assert_int_equal(ev.num, 0);
        assert_int_equal(attrib_parse_line("  sh-1 [002] d..1.  1.000000: tick_stop: success=0 dependency=WHAT",
                                           &ev, &t, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(attrib_parse_line("  sh-1 [002] d..1.  1.000000: tick_stop: dependency=SCHED",
                                           &ev, &t, buf, sizeof(buf)), -EINVAL);
}

static void test_parse_errors(void **state) {
        (void) state;
        struct attrib_event ev;
        struct cpumap t;
        char buf[256];

        assert_int_equal(attrib_parse_line("# tracer: osnoise", &ev, &t, buf, sizeof(buf)), 0);
        assert_int_equal(attrib_parse_line(" => irq_work_queue_on", &ev, &t, buf, sizeof(buf)), 0);
        assert_int_equal(attrib_parse_line("  sh-1 [000] d..2.  1.000000: sched_switch: x", &ev, &t, buf, sizeof(buf)), 0);
        assert_int_equal(attrib_parse_line("  sh-1 [000] d..2.  1.000000: ipi_send_cpu: cpu=x callsite=a", &ev, &t, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(attrib_parse_line("  sh-1 [000] d..2.  1.000000: ipi_send_cpumask: cpumask=zz callsite=a callback=0x0", &ev, &t, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(attrib_parse_line("  sh-1 [000] d..2.  1.000000: irq_noise: reschedule:253 start 1.0 duration ns", &ev, &t, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(attrib_parse_line("  sh-1 [000] d..2.  1.000000: ipi_send_cpumask: cpumask=00000000,0000000c callsite=a+0x1/0x2 callback=0x0", &ev, &t, buf, sizeof(buf)), 1);
        assert_int_equal(cpumap_count(ev.targets), 2);
        assert_true(cpumap_test(ev.targets, 2) && cpumap_test(ev.targets, 3));
        assert_null(ev.name);
        assert_string_equal(ev.comm, "sh");
        assert_int_equal(ev.pid, 1);
        assert_int_equal(attrib_parse_line("  my-comm-12 [003] d.h2.  1.5: csd_queue_cpu: cpu=2 callsite=a func=tlbisol_defer_ipi [tlbisol] csd=00000000000000ff", &ev, &t, buf, sizeof(buf)), 1);
        assert_string_equal(ev.comm, "my-comm");
        assert_int_equal(ev.pid, 12);
        assert_true(ev.in_hardirq);
        assert_string_equal(ev.name, "tlbisol_defer_ipi");
        assert_int_equal(ev.csd, 0xff);
        assert_int_equal(ev.target, 2);
        assert_int_equal(ev.ts, 1500000000);
        assert_string_equal(attrib_softirq_name(9), "RCU");
        assert_string_equal(attrib_softirq_name(42), "?");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stock_mix),
                cmocka_unit_test(test_tlbisol_mix),
                cmocka_unit_test(test_without_senders),
                cmocka_unit_test(test_window),
                cmocka_unit_test(test_advance),
                cmocka_unit_test(test_other_kinds),
                cmocka_unit_test(test_purge_paths),
                cmocka_unit_test(test_merge_and_local),
                cmocka_unit_test(test_tick_residual),
                cmocka_unit_test(test_tick_clock_unstable),
                cmocka_unit_test(test_tick_sched),
                cmocka_unit_test(test_tick_without_tick_stop),
                cmocka_unit_test(test_tick_recorded),
                cmocka_unit_test(test_tick_names),
                cmocka_unit_test(test_parse_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
