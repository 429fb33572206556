/* test-tlbisold-partition-tasks.c — the tasks a change of tlbisold's
 * partition makes the kernel rewrite, the pin before the change, the hold
 * while the partition exists and the restore after it, against the fixture
 * /proc in tests/fixtures/daemon/root-ptasks (each task with its cgroup;
 * /proc/<tgid>/task/<tid> are links to /proc/<tid>). sched_setaffinity() is
 * a fake that rewrites the fixture's Cpus_allowed_list. No root.
 *
 * The fixture, CPU 1 to become tlbisold's partition, /kubepods a partition
 * others own on CPU 2:
 *   1 systemd      /init.scope                 0-1  pinned
 *   2 kthreadd     /  (kthread)                0-1  pinned
 *   15 ksoftirqd/1 /  (PF_NO_SETAFFINITY)      1    not: the kernel skips it
 *   40 irq/24-...  /  (kthread)                0    pinned
 *   41 kdriver/1   /  (kthread)                1    pinned; nothing left: fallback
 *   500, 501 rtapp /system.slice/rt.service    0-1  pinned (both threads)
 *   510 work       /tlbisol.slice/run-x.scope  1    not: the partition's workload
 *   520 kube       /kubepods/pod1              2    not: another partition
 *   530 lookalike  /tlbisol.sliceish.slice/..  0-1  pinned (not below /tlbisol.slice)
 *   700 defunct    zombie                           not
 *   800 tlbisold   itself                      0    not */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tlbisold-partition-tasks.h"
#include "test-fake-tasks.h"
#include "unit.h"

#define OWN "/tlbisol.slice"

static struct partition kube = { .path = (char *) "/kubepods" };

static void test_rule(void **state) {
        struct task_info k = { .flags = TASK_PF_KTHREAD, .state = 'S' };
        struct task_info pc = { .flags = TASK_PF_KTHREAD | TASK_PF_NO_SETAFFINITY, .state = 'S' };
        struct task_info u = { .state = 'S' }, z = { .state = 'Z' };

        kube.cpus = cpus("2");
        /* cpuset_update_tasks_cpumask(&top_cpuset): root tasks without PF_NO_SETAFFINITY */
        assert_true(partition_rewrites(&k, "/", OWN, &kube, 1));
        assert_false(partition_rewrites(&pc, "/", OWN, &kube, 1));
        /* update_cpumasks_hier(): cgroups outside a partition */
        assert_true(partition_rewrites(&u, "/system.slice/a.service", OWN, &kube, 1));
        assert_true(partition_rewrites(&u, "/tlbisol.sliceish.slice", OWN, &kube, 1));
        assert_false(partition_rewrites(&u, OWN, OWN, &kube, 1));
        assert_false(partition_rewrites(&u, OWN "/run-1.scope", OWN, &kube, 1));
        assert_false(partition_rewrites(&u, "/kubepods", OWN, &kube, 1));
        assert_false(partition_rewrites(&u, "/kubepods/pod1/c", OWN, &kube, 1));
        assert_true(partition_rewrites(&u, "/kubepodsx", OWN, &kube, 1));
        assert_false(partition_rewrites(&z, "/system.slice", OWN, &kube, 1));
}

static void test_plan(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("daemon/root-ptasks");
        struct cpumap one = cpus("1"), none = {}, hk = cpus("0");
        struct task_list l = {};
        struct state st;

        kube.cpus = cpus("2");
        state_init(&st);
        /* isolate CPU 1: every rewritten task asks for its affinity minus 1;
         * kdriver/1 (only CPU 1) for the fallback */
        assert_int_equal(partition_tasks_plan(fs, &st, OWN, &kube, 1, &one, &hk, 800, &l), 0);
        assert_task_list(&l, "1:0 2:0 40:0 41:0 500:0 501:0 530:0");
        assert_true(l.t[1].kthread);
        assert_false(l.t[4].kthread);
        assert_string_equal(l.t[5].comm, "rtapp-w");
        task_list_done(&l);

        /* no fallback CPU either: that task is left to the kernel */
        assert_int_equal(partition_tasks_plan(fs, &st, OWN, &kube, 1, &one, &none, 800, &l), 0);
        assert_task_list(&l, "1:0 2:0 40:0 500:0 501:0 530:0");
        task_list_done(&l);

        /* a saved task that still has what tlbisold gave it: that is the base */
        assert_int_equal(state_add_task(&st, 2, 4, "kthreadd", &(struct cpumap) { { 0xf } }), 0);
        state_find_task(&st, 2, 4)->set = cpus("0-1");
        /* one changed since (it has 0-1, tlbisold gave it 0): its current one */
        assert_int_equal(state_add_task(&st, 1, 3, "systemd", &(struct cpumap) { { 0xf } }), 0);
        state_find_task(&st, 1, 3)->set = cpus("0");
        assert_int_equal(partition_tasks_plan(fs, &st, OWN, &kube, 1, &none, &hk, 800, &l), 0);
        assert_task_list(&l, "1:0-1 2:0-1 40:0 41:1 500:0-1 501:0-1 530:0-1");
        task_list_done(&l);
        state_done(&st);
}

/* ---- pin, hold and restore with a fake sched_setaffinity ---- */

static int setup(void **state) {
        kube.cpus = cpus("2");
        return tasks_world_setup(state, "daemon/root-ptasks");
}

static int teardown(void **state) {
        return tasks_world_teardown(state);
}

static void assert_allowed(const struct fsroot *fs, int tid, const char *list) {
        _cleanup_free_ char *dir = NULL;
        struct task_info t;

        assert_true(asprintf(&dir, "/proc/%d", tid) > 0);
        assert_int_equal(task_read(fs, dir, &t), 0);
        assert_list(&t.allowed, list);
}

static void test_cycle(void **state) {
        struct tasks_world *w = *state;
        struct cpumap one = cpus("1"), none = {}, hk = cpus("0"), parts = cpus("1-2");
        struct isolation iso = { .isolated = cpus("1-3"), .housekeeping = cpus("0"), .online = cpus("0-3"),
                                 .ncpus = 4 };
        /* neither kthreads nor user tasks moved by the rules: only the hold */
        struct task_plan_opts o = { .self = 800, .partition = &one, .partitioned = &parts };
        struct task_list l = {};

        /* pin before isolating CPU 1: saved and persisted before the first
         * request; every one asked, even those that have it already */
        assert_int_equal(partition_tasks_plan(w->fs, &w->st, OWN, &kube, 1, &one, &hk, 800, &l), 0);
        assert_int_equal(partition_tasks_pin(w->fs, &w->st, &l, &w->ops), 0);
        task_list_done(&l);
        assert_int_equal(w->f.persisted_at_first_call, 1);
        assert_string_equal(w->f.calls, "1:0 2:0 40:0 41:0 500:0 501:0 530:0");
        assert_int_equal(w->st.n_tasks, 7);
        assert_list(&state_find_task(&w->st, 41, 41)->orig, "1");
        assert_list(&state_find_task(&w->st, 41, 41)->set, "0");
        assert_list(&state_find_task(&w->st, 501, 91)->orig, "0-1");
        assert_allowed(w->fs, 501, "0");

        /* while the partition exists: held at orig minus the partitions
         * (kdriver/1: nothing left, the housekeeping CPUs); nothing to do */
        w->f.calls[0] = 0;
        assert_int_equal(plan_tasks(w->fs, &w->st, &iso, &o, NULL, &l), 0);
        assert_task_list(&l, "1:0 2:0 40:0 41:0 500:0 501:0 530:0");
        assert_int_equal(converge_tasks(w->fs, &w->st, &l, NULL, &w->ops), 0);
        assert_string_equal(w->f.calls, "");
        task_list_done(&l);

        /* the kernel cannot undo what the pin asked for; someone else can:
         * rtapp-w is given 0,3 by another tool */
        fake_set_allowed(w->fs, 501, "0,3");

        /* release: the pin keeps what each has (rtapp-w: its new affinity,
         * now its original), the partition goes, then all restored but
         * rtapp-w (already as it is to stay) and irq/24 (never changed) */
        assert_int_equal(partition_tasks_plan(w->fs, &w->st, OWN, &kube, 1, &none, &hk, 800, &l), 0);
        assert_task_list(&l, "1:0 2:0 40:0 41:0 500:0 501:0,3 530:0");
        assert_int_equal(partition_tasks_pin(w->fs, &w->st, &l, &w->ops), 0);
        task_list_done(&l);
        assert_list(&state_find_task(&w->st, 501, 91)->orig, "0,3");
        w->f.calls[0] = 0;
        o.partition = &none;
        assert_int_equal(plan_tasks(w->fs, &w->st, &iso, &o, NULL, &l), 0);
        assert_int_equal(l.n, 0);
        assert_int_equal(converge_tasks(w->fs, &w->st, &l, NULL, &w->ops), 0);
        task_list_done(&l);
        assert_string_equal(w->f.calls, "530:0-1 500:0-1 41:1 2:0-1 1:0-1");
        assert_int_equal(w->st.n_tasks, 0);
        assert_allowed(w->fs, 41, "1");
        assert_allowed(w->fs, 501, "0,3");
}

static void test_pin_failures(void **state) {
        struct tasks_world *w = *state;
        struct cpumap one = cpus("1"), hk = cpus("0");
        struct task_list l = {};

        w->f.fail_tid = 500;
        w->f.fail_r = -EINVAL;

        /* a refusal of a task saved for this pin: one failure, its entry dropped */
        assert_int_equal(state_add_task(&w->st, 2, 4, "kthreadd", &(struct cpumap) { { 0xf } }), 0);
        state_find_task(&w->st, 2, 4)->set = cpus("0-1");
        assert_int_equal(partition_tasks_plan(w->fs, &w->st, OWN, &kube, 1, &one, &hk, 800, &l), 0);
        assert_int_equal(partition_tasks_pin(w->fs, &w->st, &l, &w->ops), 1);
        assert_int_equal(w->f.ev[TASK_MOVE_FAILED], 1);
        assert_null(state_find_task(&w->st, 500, 90));
        assert_int_equal(w->f.persisted, 2);

        /* a refusal of a task saved before: its entry as it was */
        w->f.fail_tid = 2;
        fake_set_allowed(w->fs, 2, "0-1");
        state_find_task(&w->st, 2, 4)->set = cpus("0-1");
        assert_int_equal(partition_tasks_pin(w->fs, &w->st, &l, &w->ops), 1);
        assert_list(&state_find_task(&w->st, 2, 4)->set, "0-1");
        assert_list(&state_find_task(&w->st, 2, 4)->orig, "0-3");

        /* gone meanwhile: forgotten, not a failure */
        w->f.fail_tid = 40;
        w->f.fail_r = -ESRCH;
        assert_int_equal(partition_tasks_pin(w->fs, &w->st, &l, &w->ops), 0);
        assert_int_equal(w->f.ev[TASK_GONE], 1);
        assert_null(state_find_task(&w->st, 40, 40));
        task_list_done(&l);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rule),
                cmocka_unit_test(test_plan),
                cmocka_unit_test_setup_teardown(test_cycle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pin_failures, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
