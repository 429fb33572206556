/* test-tlbisold-tasks.c — which kthreads and user tasks tlbisold moves, and
 * the save / move / restore cycle of their affinity, against the fixture
 * /proc in tests/fixtures/daemon/root-tasks. sched_setaffinity() is
 * replaced by a fake that rewrites the fixture's Cpus_allowed_list. No root. */
#include <errno.h>
#include <string.h>

#include "tlbisold-tasks.h"
#include "test-fake-tasks.h"
#include "unit.h"

static struct isolation iso_of(const char *isolated, const char *hk) {
        return (struct isolation) { .isolated = cpus(isolated), .housekeeping = cpus(hk),
                                    .online = cpus("0-3"), .ncpus = 4 };
}

static void test_kernel_version(void **state) {

        assert_int_equal(kernel_moves_kthreads("6.12.117+deb12-rt-amd64"), 0);
        assert_int_equal(kernel_moves_kthreads("6.19.0"), 0);
        assert_int_equal(kernel_moves_kthreads("7.0.0-rc1"), 1);
        assert_int_equal(kernel_moves_kthreads("10.1"), 1);
        assert_int_equal(kernel_moves_kthreads("x"), -EINVAL);
        assert_int_equal(kernel_moves_kthreads(NULL), -EINVAL);
}

static void test_plan_kthreads(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("daemon/root-tasks");
        struct isolation iso = iso_of("2-3", "0-1");
        struct task_plan_opts o = { .kthreads = true, .self = -1 };
        struct task_list l = {};
        struct state st;

        state_init(&st);
        /* not: ksoftirqd/1, kworker (PF_NO_SETAFFINITY), irq/24 (follows its IRQ),
         * kdriver/2 (bound to one CPU), any user task */
        assert_int_equal(plan_tasks(fs, &st, &iso, &o, NULL, &l), 0);
        assert_task_list(&l, "2:0-1 20:0-1 21:0-1");
        assert_true(l.t[0].kthread);
        assert_string_equal(l.t[2].comm, "rcuop/2");
        task_list_done(&l);

        /* a CPU the kernel already owns (7.0+) is left to the kernel */
        iso = iso_of("1-3", "0");
        o.kernel_excluded = &(struct cpumap) {};
        *(struct cpumap *) o.kernel_excluded = cpus("2-3");
        assert_int_equal(plan_tasks(fs, &st, &iso, &o, NULL, &l), 0);
        assert_task_list(&l, "2:0,2-3 20:0,2-3 21:0,2-3");
        task_list_done(&l);

        /* a task found unmovable is not tried again */
        {
                struct saved_task s = { .tid = 20, .start = 31 };
                struct task_skip skip = { .t = &s, .n = 1 };

                o.kernel_excluded = NULL;
                assert_int_equal(plan_tasks(fs, &st, &iso, &o, &skip, &l), 0);
                assert_task_list(&l, "2:0 21:0");
                task_list_done(&l);
        }

        /* nothing isolated, nothing asked */
        iso = iso_of("", "0-3");
        assert_int_equal(plan_tasks(fs, &st, &iso, &o, NULL, &l), 0);
        assert_int_equal(l.n, 0);
        o.kthreads = false;
        iso = iso_of("2-3", "0-1");
        assert_int_equal(plan_tasks(fs, &st, &iso, &o, NULL, &l), 0);
        assert_int_equal(l.n, 0);
        state_done(&st);
}

static void test_plan_user_tasks(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("daemon/root-tasks");
        struct isolation iso = iso_of("2-3", "0-1");
        char *exclude[] = { (char *) "rtapp*", NULL };
        struct task_plan_opts o = { .kthreads = false, .user_tasks = true, .exclude = exclude, .self = 1 };
        struct task_list l = {};
        struct state st;

        state_init(&st);
        /* not: rtapp and its thread rtapp-w (excluded), pinned (inside 2-3),
         * the zombie, tlbisold itself (here: pid 1) */
        assert_int_equal(plan_tasks(fs, &st, &iso, &o, NULL, &l), 0);
        assert_task_list(&l, "600:0-1 602:1");
        task_list_done(&l);

        /* the exclude pattern also matches by the process's name */
        exclude[0] = (char *) "my app)*";
        o.self = -1;
        assert_int_equal(plan_tasks(fs, &st, &iso, &o, NULL, &l), 0);
        assert_task_list(&l, "1:0-1 500:0-1 501:0-1");
        task_list_done(&l);
        state_done(&st);
}

/* ---- converge with a fake sched_setaffinity ---- */

static int setup(void **state) {
        return tasks_world_setup(state, "daemon/root-tasks");
}

static int teardown(void **state) {
        return tasks_world_teardown(state);
}

static void test_converge(void **state) {
        struct tasks_world *w = *state;
        struct isolation iso = iso_of("2-3", "0-1");
        struct task_plan_opts o = { .kthreads = true, .self = -1 };
        struct task_list l = {}, none = {};
        _cleanup_free_ char *text = NULL;
        struct state back;
        struct task_info t;

        /* apply: originals saved and persisted before the first move */
        assert_int_equal(plan_tasks(w->fs, &w->st, &iso, &o, NULL, &l), 0);
        assert_int_equal(converge_tasks(w->fs, &w->st, &l, NULL, &w->ops), 0);
        assert_string_equal(w->f.calls, "2:0-1 20:0-1 21:0-1");
        assert_int_equal(w->st.n_tasks, 3);
        assert_int_equal(w->f.persisted, 1);
        assert_int_equal(w->f.ev[TASK_MOVED], 3);
        assert_int_equal(task_read(w->fs, "/proc/20", &t), 0);
        assert_list(&t.allowed, "0-1");
        task_list_done(&l);

        /* the state file keeps them across a crash */
        assert_int_equal(state_serialize(&w->st, &text), 0);
        assert_non_null(strstr(text, "task\t20\t31\t0-3\t0-1\trcu_preempt\n"));
        assert_int_equal(state_parse(text, &back, NULL), 0);
        assert_int_equal(back.n_tasks, 3);
        assert_string_equal(back.tasks[2].comm, "rcuop/2");
        assert_list(&back.tasks[2].orig, "0-3");
        state_done(&back);

        /* apply again: planned from the saved originals, nothing to do */
        w->f.calls[0] = 0;
        assert_int_equal(plan_tasks(w->fs, &w->st, &iso, &o, NULL, &l), 0);
        assert_task_list(&l, "2:0-1 20:0-1 21:0-1");
        assert_int_equal(converge_tasks(w->fs, &w->st, &l, NULL, &w->ops), 0);
        assert_string_equal(w->f.calls, "");
        task_list_done(&l);

        /* rcuop/2 exits and its TID is reused: forgotten, not restored, not an error */
        assert_int_equal(fsroot_write(w->fs, "/proc/21/stat",
                                      "21 (bash) S 2 0 0 0 -1 4194560 0 0 0 0 0 5 0 0 20 0 1 0 77 0 0\n"), 0);
        /* release: the rest restored to their originals */
        assert_int_equal(converge_tasks(w->fs, &w->st, &none, NULL, &w->ops), 0);
        assert_string_equal(w->f.calls, "20:0-3 2:0-3");
        assert_int_equal(w->f.ev[TASK_GONE], 1);
        assert_int_equal(w->f.ev[TASK_RESTORED], 2);
        assert_int_equal(w->st.n_tasks, 0);
        assert_int_equal(task_read(w->fs, "/proc/2", &t), 0);
        assert_list(&t.allowed, "0-3");
}

static void test_converge_failures(void **state) {
        struct tasks_world *w = *state;
        struct isolation iso = iso_of("1-3", "0");
        struct task_plan_opts o = { .kthreads = true, .self = -1 };
        struct cpumap kx = cpus("2-3");
        struct task_list l = {}, none = {};

        w->f.fail_tid = 20;
        w->f.fail_r = -EINVAL;

        /* a refusal is one failure, and leaves no saved entry behind */
        assert_int_equal(plan_tasks(w->fs, &w->st, &iso, &o, NULL, &l), 0);
        assert_int_equal(converge_tasks(w->fs, &w->st, &l, NULL, &w->ops), 1);
        assert_string_equal(w->f.calls, "2:0 21:0");
        assert_int_equal(w->f.ev[TASK_MOVE_FAILED], 1);
        assert_int_equal(w->st.n_tasks, 2);
        assert_null(state_find_task(&w->st, 20, 31));
        task_list_done(&l);

        /* restoring on a kernel that now owns CPUs 2-3: they are left out */
        w->f.calls[0] = 0;
        assert_int_equal(converge_tasks(w->fs, &w->st, &none, &kx, &w->ops), 0);
        assert_string_equal(w->f.calls, "21:0-1 2:0-1");

        /* a task that exited before it could be moved is not a failure */
        state_done(&w->st);
        state_init(&w->st);
        w->f.fail_tid = 2;
        w->f.fail_r = -ESRCH;
        w->f.calls[0] = 0;
        assert_int_equal(plan_tasks(w->fs, &w->st, &iso, &o, NULL, &l), 0);
        assert_int_equal(converge_tasks(w->fs, &w->st, &l, NULL, &w->ops), 0);
        assert_int_equal(w->f.ev[TASK_GONE], 1);
        assert_null(state_find_task(&w->st, 2, 4));
        task_list_done(&l);
}

/* Restored only while it has what tlbisold gave it: a task someone else
 * changed since is left as it is, and forgotten. */
static void test_restore_changed_since(void **state) {
        struct tasks_world *w = *state;
        struct isolation iso = iso_of("2-3", "0-1");
        struct task_plan_opts o = { .kthreads = true, .self = -1 };
        struct task_list l = {}, none = {};

        assert_int_equal(plan_tasks(w->fs, &w->st, &iso, &o, NULL, &l), 0);
        assert_int_equal(converge_tasks(w->fs, &w->st, &l, NULL, &w->ops), 0);
        task_list_done(&l);
        assert_list(&state_find_task(&w->st, 20, 31)->set, "0-1");

        /* another tool puts rcu_preempt on CPU 0 */
        w->f.calls[0] = 0;
        assert_int_equal(fake_setaffinity(20, &(struct cpumap) { { 0x1 } }, &w->f), 0);
        w->f.calls[0] = 0;
        assert_int_equal(converge_tasks(w->fs, &w->st, &none, NULL, &w->ops), 0);
        assert_string_equal(w->f.calls, "21:0-3 2:0-3");
        assert_int_equal(w->f.ev[TASK_LEFT], 1);
        assert_int_equal(w->f.ev[TASK_RESTORED], 2);
        assert_int_equal(w->st.n_tasks, 0);
        {
                struct task_info t;

                assert_int_equal(task_read(w->fs, "/proc/20", &t), 0);
                assert_list(&t.allowed, "0");
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kernel_version),
                cmocka_unit_test(test_plan_kthreads),
                cmocka_unit_test(test_plan_user_tasks),
                cmocka_unit_test_setup_teardown(test_converge, setup, teardown),
                cmocka_unit_test_setup_teardown(test_converge_failures, setup, teardown),
                cmocka_unit_test_setup_teardown(test_restore_changed_since, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
