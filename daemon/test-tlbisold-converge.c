/* test-tlbisold-converge.c — tlbisold's pure logic against fixture trees:
 * knobs, converge
 * (save-then-write, restore) and the IRQ / workqueue plans. No root. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "tlbisold-converge.h"
#include "tlbisold-fair.h"
#include "tlbisold-plan.h"
#include "unit.h"

static void read_facts(struct fsroot *fs, struct isolation_facts *f) {
        assert_int_equal(isolation_facts_read(fs, f, NULL), 0);
}

static void test_knobs(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("daemon/root-vm");
        char *v = NULL;

        assert_int_equal(knob_read(fs, "/sys/kernel/mm/transparent_hugepage/enabled", KNOB_SELECTOR, &v), 0);
        assert_string_equal(v, "madvise");
        free(v);
        assert_int_equal(knob_read(fs, "/proc/sys/kernel/numa_balancing", KNOB_SELECTOR, &v), -EBADMSG);
        assert_int_equal(knob_read(fs, "/proc/irq/99/smp_affinity_list", KNOB_CPULIST, &v), -ENOENT);

        assert_int_equal(knob_value_equal(KNOB_CPULIST, "0-1", "0,1"), 1);
        assert_int_equal(knob_value_equal(KNOB_CPULIST, "0-1", "0-2"), 0);
        assert_int_equal(knob_value_equal(KNOB_HEXMASK, "0f", "00000000,0000000f"), 1);
        assert_int_equal(knob_value_equal(KNOB_HEXMASK, "3", "f"), 0);
        assert_int_equal(knob_value_equal(KNOB_STRING, "4\t4  1 7", "4 4 1 7"), 1);
        assert_int_equal(knob_value_equal(KNOB_STRING, "10", "1"), 0);
        assert_int_equal(knob_kind_from_string("selector"), KNOB_SELECTOR);
        assert_int_equal(knob_kind_from_string("nope"), -EINVAL);

        /* the fair server: one knob per CPU (runtime and period together),
         * the canonical path only (a state file may name nothing else) */
        assert_int_equal(fair_server_cpu("/sys/kernel/debug/sched/fair_server/cpu3"), 3);
        assert_int_equal(fair_server_cpu("/sys/kernel/debug/sched/fair_server/cpu12"), 12);
        assert_int_equal(fair_server_cpu("/sys/kernel/debug/sched/fair_server/cpu03"), -1);
        assert_int_equal(fair_server_cpu("/sys/kernel/debug/sched/fair_server/cpu3/"), -1);
        assert_int_equal(fair_server_cpu("/sys/kernel/debug/sched/fair_server/cpu3/period"), -1);
        assert_int_equal(fair_server_cpu("/sys/kernel/debug/sched/fair_server/cpu9999"), -1);
        assert_int_equal(fair_server_cpu("/proc/irq/3/smp_affinity_list"), -1);
        assert_int_equal(knob_catalogue_kind("/sys/kernel/debug/sched/fair_server/cpu3", NULL), KNOB_STRING);
        assert_int_equal(knob_catalogue_kind("/sys/kernel/debug/sched/fair_server/cpu3/runtime", NULL), -EPERM);

        /* the runtime follows the period (same bandwidth); off stays off */
        assert_int_equal(fair_server_value("50000000 1000000000", 2000000000, &v), 0);
        assert_string_equal(v, "100000000 2000000000");
        free(v);
        assert_int_equal(fair_server_value("30000000 1000000000", 4000000000ULL, &v), 0);
        assert_string_equal(v, "120000000 4000000000");
        free(v);
        assert_int_equal(fair_server_value("0 1000000000", 2000000000, &v), -ENODATA);
        assert_int_equal(fair_server_value("2000000000 1000000000", 2000000000, &v), -EINVAL);
        assert_int_equal(fair_server_value("50000000", 2000000000, &v), -EINVAL);
        assert_int_equal(fair_server_value("50000000 1000000000 7", 2000000000, &v), -EINVAL);
        assert_int_equal(fair_server_value("50000000 0", 2000000000, &v), -EINVAL);
}

static void test_affinity_for(void **state) {
        struct cpumap r, iso = cpus("2-3"), hk = cpus("0-1");

        assert_false(affinity_for(&hk, &iso, &hk, &r));          /* nothing on isolated CPUs */
        r = cpus("0-3");
        assert_true(affinity_for(&r, &iso, &hk, &r));            /* aliasing allowed */
        assert_list(&r, "0-1");
        r = cpus("1-2");
        assert_true(affinity_for(&r, &iso, &hk, &r));
        assert_list(&r, "1");                                   /* keeps its own choice */
        r = cpus("3");
        assert_true(affinity_for(&r, &iso, &hk, &r));
        assert_list(&r, "0-1");                                 /* nothing left: housekeeping */
}

struct log {
        unsigned persisted, written, restored, failed;
        size_t saved_at_persist;
};

static int persist_cb(const struct state *s, void *userdata) {
        struct log *l = userdata;

        l->persisted++;
        l->saved_at_persist = s->n_saved;
        return 0;
}

static int persist_fail(const struct state *s, void *userdata) {
        return -EROFS;
}

static void report_cb(enum converge_event ev, const char *path, int irq, const char *value, int r, void *userdata) {
        struct log *l = userdata;

        if (ev == CONVERGE_WRITTEN)
                l->written++;
        else if (ev == CONVERGE_RESTORED)
                l->restored++;
        else
                l->failed++;
}

static char *rd(struct fsroot *fs, const char *path) {
        char *s = NULL;

        assert_int_equal(fsroot_read(fs, path, &s), 0);
        return s;
}

static void test_converge_irqs(void **state) {
        char *dir = fixture_copy("daemon/root-vm");
        _cleanup_(fsroot_freep) struct fsroot *fs = NULL;
        static struct isolation_facts f;
        struct isolation iso = {};
        struct knob_list want = {};
        struct state st;
        struct log l = {};
        struct converge_ops ops = { .persist = persist_cb, .report = report_cb, .userdata = &l };
        struct cpumap rt = cpus("2");
        unsigned skip_irq = 0;
        struct irq_skip skip = { .irqs = &skip_irq, .n = 1 };
        char *v;

        assert_int_equal(fsroot_new(dir, &fs), 0);
        read_facts(fs, &f);
        state_init(&st);
        assert_int_equal(isolation_compute(&f, &rt, NULL, &iso), 0);
        assert_list(&iso.isolated, "2-4");                      /* runtime, nohz_full, cgroup-isolated */
        assert_list(&iso.housekeeping, "0-1,5");

        assert_int_equal(plan_irqs(fs, &st, &iso, &skip, true, &want), 0);
        /* IRQ 0 skipped; 24: 0-3 -> 0-1; 25: 2 -> all housekeeping; default f -> 3 */
        assert_int_equal(want.n, 3);
        assert_string_equal(knob_list_find(&want, "/proc/irq/24/smp_affinity_list")->value, "0-1");
        assert_int_equal(knob_list_find(&want, "/proc/irq/24/smp_affinity_list")->irq, 24);
        assert_string_equal(knob_list_find(&want, "/proc/irq/25/smp_affinity_list")->value, "0-1,5");
        assert_string_equal(knob_list_find(&want, "/proc/irq/default_smp_affinity")->value, "03");

        assert_int_equal(converge(fs, &st, &want, &ops), 0);
        assert_int_equal(l.persisted, 1);
        assert_int_equal(l.saved_at_persist, 3);        /* saved before the first write */
        assert_int_equal(l.written, 3);
        v = rd(fs, "/proc/irq/24/smp_affinity_list");
        assert_string_equal(v, "0-1\n");
        free(v);
        assert_string_equal(state_find(&st, "/proc/irq/25/smp_affinity_list")->orig, "2");

        /* again: nothing to do, originals kept (not re-read from our values) */
        knob_list_done(&want);
        assert_int_equal(plan_irqs(fs, &st, &iso, &skip, true, &want), 0);
        assert_string_equal(knob_list_find(&want, "/proc/irq/25/smp_affinity_list")->value, "0-1,5");
        l = (struct log) {};
        assert_int_equal(converge(fs, &st, &want, &ops), 0);
        assert_int_equal(l.written + l.restored + l.persisted, 0);

        /* CPU 2 released: IRQ 25 goes back to CPU 2, 24 gets 0-3 minus 3 */
        rt = cpus("");
        assert_int_equal(isolation_compute(&f, &rt, NULL, &iso), 0);
        knob_list_done(&want);
        assert_int_equal(plan_irqs(fs, &st, &iso, &skip, true, &want), 0);
        assert_null(knob_list_find(&want, "/proc/irq/25/smp_affinity_list"));
        assert_string_equal(knob_list_find(&want, "/proc/irq/24/smp_affinity_list")->value, "0-2");
        l = (struct log) {};
        assert_int_equal(converge(fs, &st, &want, &ops), 0);
        assert_int_equal(l.restored, 1);
        v = rd(fs, "/proc/irq/25/smp_affinity_list");
        assert_string_equal(v, "2\n");
        free(v);

        /* release everything: exact originals back, nothing saved */
        knob_list_done(&want);
        l = (struct log) {};
        assert_int_equal(converge(fs, &st, &want, &ops), 0);
        assert_int_equal(st.n_saved, 0);
        v = rd(fs, "/proc/irq/24/smp_affinity_list");
        assert_string_equal(v, "0-3\n");
        free(v);
        v = rd(fs, "/proc/irq/default_smp_affinity");
        assert_string_equal(v, "f\n");
        free(v);

        /* persisting fails: nothing written */
        assert_int_equal(plan_irqs(fs, &st, &iso, NULL, true, &want), 0);
        ops.persist = persist_fail;
        assert_int_equal(converge(fs, &st, &want, &ops), -EROFS);
        v = rd(fs, "/proc/irq/24/smp_affinity_list");
        assert_string_equal(v, "0-3\n");
        free(v);

        knob_list_done(&want);
        isolation_done(&iso);
        state_done(&st);
        fixture_copy_drop(dir);
}

static void test_converge_missing_and_selector(void **state) {
        char *dir = fixture_copy("daemon/root-vm");
        _cleanup_(fsroot_freep) struct fsroot *fs = NULL;
        struct knob_list want = {};
        struct state st;
        struct log l = {};
        struct converge_ops ops = { .persist = persist_cb, .report = report_cb, .userdata = &l };
        char *v;

        assert_int_equal(fsroot_new(dir, &fs), 0);
        state_init(&st);
        assert_int_equal(knob_list_add(&want, "/sys/kernel/mm/transparent_hugepage/enabled", NULL, KNOB_SELECTOR,
                                       "never", -1), 0);
        assert_int_equal(knob_list_add(&want, "/proc/sys/kernel/missing", NULL, KNOB_STRING, "0", -1), 0);
        assert_int_equal(knob_list_add(&want, "/proc/sys/vm/stat_interval", NULL, KNOB_STRING, "1", -1), 0);
        assert_int_equal(converge(fs, &st, &want, &ops), 1);    /* the missing file */
        assert_int_equal(l.failed, 1);
        assert_int_equal(st.n_saved, 1);                        /* stat_interval was already 1 */
        assert_string_equal(state_find(&st, "/sys/kernel/mm/transparent_hugepage/enabled")->orig, "madvise");
        v = rd(fs, "/sys/kernel/mm/transparent_hugepage/enabled");
        assert_string_equal(v, "never\n");       /* a plain file here; the kernel shows brackets */
        free(v);

        /* a saved file that vanished is forgotten, not retried forever */
        knob_list_done(&want);
        assert_int_equal(state_add(&st, "/proc/irq/77/smp_affinity_list", NULL, KNOB_CPULIST, "1"), 0);
        /* IRQ 77 is gone (-ENOENT: 1 failure, dropped); THP restored to madvise */
        assert_int_equal(converge(fs, &st, &want, &ops), 1);
        assert_int_equal(st.n_saved, 0);
        state_done(&st);
        fixture_copy_drop(dir);
}

static void test_plan_workqueue(void **state) {
        char *dir = fixture_copy("daemon/root-vm");
        _cleanup_(fsroot_freep) struct fsroot *fs = NULL;
        static struct isolation_facts f;
        struct isolation iso = {};
        struct knob_list want = {};
        struct state st;
        struct cpumap excl, rt = cpus("1");
        _cleanup_free_ char *p = NULL;

        assert_int_equal(fsroot_new(dir, &fs), 0);
        read_facts(fs, &f);
        state_init(&st);
        cpumap_or(&excl, &f.sys.nohz_full, &f.sys.isolated);
        cpumap_or(&excl, &excl, &f.sys.cgroup_isolated);       /* 3-4 */

        /* 6.8+: boot (3) and partition (4) CPUs are the kernel's: nothing to write */
        assert_int_equal(isolation_compute(&f, NULL, NULL, &iso), 0);
        assert_int_equal(plan_workqueue(fs, &st, &iso, &excl, &want), 0);
        assert_int_equal(want.n, 0);

        /* a runtime CPU: removed from the requested mask, read back from cpumask_requested */
        assert_int_equal(isolation_compute(&f, &rt, NULL, &iso), 0);
        assert_int_equal(plan_workqueue(fs, &st, &iso, &excl, &want), 0);
        assert_int_equal(want.n, 1);
        assert_string_equal(want.k[0].path, "/sys/devices/virtual/workqueue/cpumask");
        assert_string_equal(want.k[0].read_path, "/sys/devices/virtual/workqueue/cpumask_requested");
        assert_string_equal(want.k[0].value, "3d");
        knob_list_done(&want);

        /* before 6.8: the effective mask itself, all isolated CPUs */
        assert_true(asprintf(&p, "%s/sys/devices/virtual/workqueue/cpumask_requested", dir) > 0);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(plan_workqueue(fs, &st, &iso, &excl, &want), 0);
        assert_int_equal(want.n, 1);
        assert_null(want.k[0].read_path);
        assert_string_equal(want.k[0].value, "05");     /* 07 minus CPU 1 */
        knob_list_done(&want);
        isolation_done(&iso);
        state_done(&st);
        fixture_copy_drop(dir);
}

/* A fake fair_server directory whose files log every write, in order. */
static void fake_fair_server(const char *dir, unsigned cpu, const char *runtime, const char *period) {
        _cleanup_free_ char *cmd = NULL;

        assert_true(asprintf(&cmd, "mkdir -p %s/sys/kernel/debug/sched/fair_server/cpu%u && cd %s/sys/kernel/debug/sched/fair_server/cpu%u"
                             " && echo %s > runtime && echo %s > period", dir, cpu, dir, cpu, runtime, period) > 0);
        assert_int_equal(system(cmd), 0);
}

static char *read_pair(struct fsroot *fs, unsigned cpu) {
        char path[80], *v = NULL;

        snprintf(path, sizeof(path), FAIR_SERVER_DIR, cpu);
        assert_int_equal(knob_read(fs, path, KNOB_STRING, &v), 0);
        return v;
}

/* FairServerPeriod: each isolated CPU with a fair server gets the period and
 * the runtime scaled; converge saves the pair and restores it */
static void test_plan_fair_server(void **state) {
        char *dir = fixture_copy("daemon/root-vm");
        _cleanup_(fsroot_freep) struct fsroot *fs = NULL;
        static struct isolation_facts f;
        struct isolation iso = {};
        struct knob_list want = {}, none = {};
        struct state st;
        struct log l = {};
        struct converge_ops ops = { .persist = persist_cb, .report = report_cb, .userdata = &l };
        struct cpumap rt = cpus("1");
        char *v;

        fake_fair_server(dir, 3, "50000000", "1000000000");     /* nohz_full */
        fake_fair_server(dir, 1, "50000000", "1000000000");     /* runtime-isolated: a partition */
        fake_fair_server(dir, 4, "50000000", "1000000000");     /* a partition */
        assert_int_equal(fsroot_new(dir, &fs), 0);
        read_facts(fs, &f);
        state_init(&st);
        assert_int_equal(isolation_compute(&f, &rt, NULL, &iso), 0);   /* 1, 3, 4 isolated */

        assert_int_equal(plan_fair_server(fs, &st, &iso, 0, &want), 0);        /* keep */
        assert_int_equal(want.n, 0);
        assert_int_equal(plan_fair_server(fs, &st, &iso, 2000000, &want), 0);
        assert_int_equal(want.n, 1);            /* 1 and 4 are in partitions */
        assert_string_equal(want.k[0].path, "/sys/kernel/debug/sched/fair_server/cpu3");
        assert_string_equal(want.k[0].value, "100000000 2000000000");

        assert_int_equal(converge(fs, &st, &want, &ops), 0);
        v = read_pair(fs, 3);
        assert_string_equal(v, "100000000 2000000000");
        free(v);
        assert_non_null(state_find(&st, want.k[0].path));
        assert_string_equal(state_find(&st, want.k[0].path)->orig, "50000000 1000000000");
        v = read_pair(fs, 1);
        assert_string_equal(v, "50000000 1000000000");                  /* untouched */
        free(v);

        /* planned again while applied: from the saved original, not the
         * current pair (else the runtime would double again) */
        knob_list_done(&want);
        assert_int_equal(plan_fair_server(fs, &st, &iso, 2000000, &want), 0);
        assert_string_equal(want.k[0].value, "100000000 2000000000");

        assert_int_equal(converge(fs, &st, &none, &ops), 0);            /* release */
        v = read_pair(fs, 3);
        assert_string_equal(v, "50000000 1000000000");
        free(v);
        assert_int_equal(st.n_saved, 0);
        /* the server is off (runtime 0): left alone */
        fake_fair_server(dir, 3, "0", "1000000000");
        assert_int_equal(plan_fair_server(fs, &st, &iso, 2000000, &none), 0);
        assert_int_equal(none.n, 0);
        fake_fair_server(dir, 3, "50000000", "1000000000");
        /* a pair the kernel could not take is refused before any write */
        assert_int_equal(fair_server_write(fs, "/sys/kernel/debug/sched/fair_server/cpu3", "3000000000 2000000000"), -EINVAL);
        assert_int_equal(fair_server_write(fs, "/sys/kernel/debug/sched/fair_server/cpu3/period", "1 2"), -EINVAL);
        /* a state file's value: two plain numbers, one space (review: sscanf took signs) */
        assert_int_equal(fair_server_write(fs, "/sys/kernel/debug/sched/fair_server/cpu3", "-5 7"), -EINVAL);
        assert_int_equal(fair_server_write(fs, "/sys/kernel/debug/sched/fair_server/cpu3", "5 +7"), -EINVAL);
        assert_int_equal(fair_server_write(fs, "/sys/kernel/debug/sched/fair_server/cpu3", "5 -7"), -EINVAL);
        assert_int_equal(fair_server_write(fs, "/sys/kernel/debug/sched/fair_server/cpu3", " 5 7"), -EINVAL);
        assert_int_equal(fair_server_write(fs, "/sys/kernel/debug/sched/fair_server/cpu3", "5  7"), -EINVAL);
        assert_int_equal(fair_server_write(fs, "/sys/kernel/debug/sched/fair_server/cpu3", "5 7\n"), -EINVAL);
        assert_int_equal(fair_server_write(fs, "/sys/kernel/debug/sched/fair_server/cpu3", "5"), -EINVAL);
        v = read_pair(fs, 3);
        assert_string_equal(v, "50000000 1000000000");
        free(v);
        knob_list_done(&want);
        isolation_done(&iso);
        state_done(&st);
        fixture_copy_drop(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_knobs),
                cmocka_unit_test(test_affinity_for),
                cmocka_unit_test(test_converge_irqs),
                cmocka_unit_test(test_converge_missing_and_selector),
                cmocka_unit_test(test_plan_workqueue),
                cmocka_unit_test(test_plan_fair_server),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
