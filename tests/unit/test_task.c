/* test_task.c — lib/task: /proc/<tid>/stat and status, the walk over
 * processes and threads (fixture /proc in tests/fixtures/daemon/root-tasks),
 * and the cpumap -> cpu_set_t conversion beyond 1024 CPUs. */
#include <errno.h>
#include <string.h>

#include "task.h"
#include "unit.h"

static void test_stat_parse(void **state) {
        struct task_info t;

        assert_int_equal(task_stat_parse("600 (my app) (x) S 2 0 0 0 -1 4194560 0 0 0 0 0 5 0 0 20 0 1 0 1000 0 0\n",
                                         &t), 0);
        assert_int_equal(t.tid, 600);
        assert_string_equal(t.comm, "my app) (x");
        assert_int_equal(t.state, 'S');
        assert_int_equal(t.flags, 4194560);
        assert_true(t.start == 1000);

        assert_int_equal(task_stat_parse("", &t), -EBADMSG);
        assert_int_equal(task_stat_parse("12 (x) S 2 0", &t), -EBADMSG);           /* truncated */
        assert_int_equal(task_stat_parse("x (y) S 2 0 0 0 -1 1 0 0 0 0 0 5 0 0 20 0 1 0 9", &t), -EBADMSG);
        assert_int_equal(task_stat_parse("12 y) S", &t), -EBADMSG);
}

static void test_task_read(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("daemon/root-tasks");
        struct task_info t;

        assert_int_equal(task_read(fs, "/proc/15", &t), 0);
        assert_string_equal(t.comm, "ksoftirqd/1");
        assert_true(t.flags & TASK_PF_KTHREAD);
        assert_true(t.flags & TASK_PF_NO_SETAFFINITY);
        assert_list(&t.allowed, "1");
        assert_int_equal(task_read(fs, "/proc/600/task/602", &t), 0);
        assert_int_equal(t.tgid, 600);
        assert_list(&t.allowed, "1-3");
        assert_int_equal(task_read(fs, "/proc/999", &t), -ENOENT);
}

struct seen {
        char buf[512];
        size_t off;
        int stop_at;
};

static int record(const struct task_info *t, const struct task_info *leader, void *userdata) {
        struct seen *s = userdata;

        s->off += (size_t) snprintf(s->buf + s->off, sizeof(s->buf) - s->off, "%s%d/%d%s", s->off ? " " : "",
                                    leader->tid, t->tid, t->flags & TASK_PF_KTHREAD ? "k" : "");
        return t->tid == s->stop_at ? -ECANCELED : 0;
}

static void test_walk(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("daemon/root-tasks");
        struct seen s = {};

        /* leaders only; /proc/602 (a thread shown by its TID) is not a process */
        assert_int_equal(task_walk(fs, false, record, &s), 0);
        assert_string_equal(s.buf, "1/1 15/15k 2/2k 20/20k 21/21k 30/30k 40/40k 41/41k 500/500 600/600 601/601 700/700");

        /* threads of user processes; kernel threads once */
        s = (struct seen) {};
        assert_int_equal(task_walk(fs, true, record, &s), 0);
        assert_string_equal(s.buf, "1/1 15/15k 2/2k 20/20k 21/21k 30/30k 40/40k 41/41k 500/500 500/501 "
                            "600/600 600/602 601/601 700/700");

        /* a callback's error stops the walk and is returned */
        s = (struct seen) { .stop_at = 20 };
        assert_int_equal(task_walk(fs, true, record, &s), -ECANCELED);
        assert_string_equal(s.buf, "1/1 15/15k 2/2k 20/20k");
}

static void test_cpu_set(void **state) {
        struct cpumap m;
        cpu_set_t *set = NULL;
        size_t sz = 0;

        /* CPU 1500 and 8191 are kept: CPU_SET() on a plain cpu_set_t drops
         * every CPU >= 1024 (CPU_SETSIZE) */
        assert_int_equal(cpulist_parse("0,1023-1024,1500,8191", 0, &m), 0);
        assert_int_equal(task_cpu_set(&m, &set, &sz), 0);
        assert_true(sz * 8 >= CPUMAP_MAX_CPUS);
        assert_int_equal(CPU_COUNT_S(sz, set), 5);
        assert_true(CPU_ISSET_S(1500, sz, set));
        assert_true(CPU_ISSET_S(8191, sz, set));
        assert_false(CPU_ISSET_S(1, sz, set));
        CPU_FREE(set);

        cpumap_zero(&m);
        assert_int_equal(task_set_affinity(0, &m), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stat_parse),
                cmocka_unit_test(test_task_read),
                cmocka_unit_test(test_walk),
                cmocka_unit_test(test_cpu_set),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
