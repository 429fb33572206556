/* test-tlbisold-state.c — the saved originals and the state file: round
 * trip through text and disk, and hostile files refused as a whole: a path
 * tlbisold never writes (/../victim.txt, /etc/shadow, a look-alike IRQ
 * path), a value invalid for its kind, a kind that is not the file's, a
 * truncated file, records after the end marker. No root. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "tlbisold-state.h"
#include "unit.h"

#define V2 "# tlbisold state v2\n"
#define IRQ24 "/proc/irq/24/smp_affinity_list"
#define WQ "/sys/devices/virtual/workqueue/cpumask"

static void test_roundtrip(void **state) {
        struct state s, t;
        _cleanup_free_ char *text = NULL;
        char *text2 = NULL;
        struct state_error err = {};
        char tmpl[] = "/tmp/tlbisold-state-XXXXXX", p[256];
        struct stat st;

        state_init(&s);
        s.runtime = cpus("1,5-6");
        s.module_sync = 0;
        s.module_defer = 1;
        s.module_has_mask = true;
        s.module_defer_mask = cpus("2-3");
        assert_int_equal(state_add(&s, IRQ24, NULL, KNOB_CPULIST, "0-3"), 0);
        assert_int_equal(state_add(&s, WQ, WQ "_requested", KNOB_HEXMASK, "3f"), 0);
        assert_int_equal(state_add(&s, "/proc/sys/kernel/sched_rt_runtime_us", NULL, KNOB_STRING, "-1"), 0);
        assert_int_equal(state_add(&s, IRQ24, NULL, KNOB_CPULIST, "1"), -EEXIST);
        assert_int_equal(state_add_task(&s, 20, 31, "a\tb\\c", &(struct cpumap) { { 0xf } }), 0);
        assert_int_equal(state_add_task(&s, 21, 32, "k", &(struct cpumap) { { 0x3 } }), 0);
        state_find_task(&s, 21, 32)->set = cpus("0");
        assert_int_equal(state_serialize(&s, &text), 0);
        assert_non_null(strstr(text, "runtime\t1,5-6\n"));
        assert_non_null(strstr(text, "task\t20\t31\t0-3\t-\ta\\tb\\\\c\n"));
        assert_non_null(strstr(text, "task\t21\t32\t0-1\t0\tk\n"));
        /* header, runtime, module, 3 saves, 2 tasks, end marker counting 7 records */
        assert_non_null(strstr(text, "\nend\t7\n"));
        assert_int_equal(state_parse(text, &t, &err), 0);
        assert_int_equal(t.n_saved, 3);
        assert_string_equal(state_find(&t, WQ)->read_path, WQ "_requested");
        assert_null(state_find(&t, IRQ24)->read_path);
        assert_string_equal(t.tasks[0].comm, "a\tb\\c");
        assert_true(cpumap_is_empty(&t.tasks[0].set));
        assert_list(&t.tasks[1].set, "0");
        assert_list(&t.runtime, "1,5-6");
        assert_int_equal(t.module_sync, 0);
        assert_int_equal(t.module_defer, 1);
        assert_list(&t.module_defer_mask, "2-3");
        assert_int_equal(state_serialize(&t, &text2), 0);
        assert_string_equal(text, text2);
        state_done(&t);
        free(text2);

        /* on disk: write-temp-rename, no temporary left */
        assert_non_null(mkdtemp(tmpl));
        assert_int_equal(state_save(&s, tmpl, "state"), 0);
        assert_int_equal(state_load(tmpl, "state", &t, &err), 0);
        assert_int_equal(state_serialize(&t, &text2), 0);
        assert_string_equal(text, text2);
        state_done(&t);
        free(text2);
        snprintf(p, sizeof(p), "%s/.state.tmp", tmpl);
        assert_int_equal(stat(p, &st), -1);
        snprintf(p, sizeof(p), "%s/state", tmpl);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(state_load(tmpl, "state", &t, &err), -ENOENT);
        assert_int_equal(rmdir(tmpl), 0);

        state_remove(&s, IRQ24);
        assert_int_equal(s.n_saved, 2);
        assert_null(state_find(&s, IRQ24));
        state_done(&s);
}

static void test_hostile(void **state) {
        static const struct { const char *text; unsigned line; const char *why; } bad[] = {
                /* foreign paths: never restored, whatever the value */
                { V2 "save\tstring\t/../victim.txt\t-\t0\nend\t1\n", 2, "/../victim.txt is not a file tlbisold writes" },
                { V2 "save\tstring\t/etc/shadow\t-\t0\nend\t1\n", 2, "not a file tlbisold writes" },
                { V2 "save\tcpulist\t/proc/irq/24/../../../etc/passwd\t-\t0\nend\t1\n", 2, "not a file tlbisold writes" },
                { V2 "save\tcpulist\t/proc/irq/24/smp_affinity_list/x\t-\t0\nend\t1\n", 2, "not a file tlbisold writes" },
                { V2 "save\tcpulist\t/proc/irq/24/smp_affinity\t-\t0\nend\t1\n", 2, "not a file tlbisold writes" },
                { V2 "save\thexmask\t" WQ "\t/etc/shadow\t3f\nend\t1\n", 2, "read through /etc/shadow" },
                { V2 "save\tstring\trelative\t-\tv\nend\t1\n", 2, "not a file tlbisold writes" },
                /* the kind is the file's, not the file's claim */
                { V2 "save\tstring\t" IRQ24 "\t-\t0-3\nend\t1\n", 2, "is a cpulist, not a string" },
                /* values invalid for their kind */
                { V2 "save\tcpulist\t" IRQ24 "\t-\tall the CPUs\nend\t1\n", 2, "not a valid cpulist" },
                { V2 "save\tcpulist\t" IRQ24 "\t-\t\nend\t1\n", 2, "not a valid cpulist" },
                { V2 "save\thexmask\t/proc/irq/default_smp_affinity\t-\tzz\nend\t1\n", 2, "not a valid hexmask" },
                { V2 "save\tselector\t/sys/kernel/mm/transparent_hugepage/enabled\t-\tnever; rm\nend\t1\n", 2,
                  "not a valid selector" },
                { V2 "save\tstring\t/proc/sys/kernel/numa_balancing\t-\t1\\nx\nend\t1\n", 2, "not a valid string" },
                { V2 "save\tstring\t/proc/sys/vm/stat_interval\t-\t\nend\t1\n", 2, "not a valid string" },
                { V2 "save\tstring\t/proc/sys/vm/stat_interval\t-\tbad\\q\nend\t1\n", 2, "bad escape" },
                { V2 "save\tnope\t" IRQ24 "\t-\t1\nend\t1\n", 2, "unknown kind" },
                { V2 "save\tcpulist\t" IRQ24 "\t-\t1\nsave\tcpulist\t" IRQ24 "\t-\t2\nend\t2\n", 3, "saved twice" },
                { V2 "task\t0\t1\t0-1\tx\nend\t1\n", 2, "bad task ID" },
                { V2 "task\t5\t-1\t0-1\tx\nend\t1\n", 2, "bad start time" },
                { V2 "task\t5\t1\tz\tx\nend\t1\n", 2, "bad affinity" },
                { V2 "task\t5\t1\t\tx\nend\t1\n", 2, "bad affinity" },
                { V2 "task\t5\t1\t0\tx\ntask\t5\t1\t0\ty\nend\t2\n", 3, "saved twice" },
                { V2 "task\t5\t1\t0-1\tz\tx\nend\t1\n", 2, "bad affinity set" },
                { V2 "task\t5\t1\t0-1\t\tx\nend\t1\n", 2, "bad affinity set" },
                { V2 "runtime\t1-\nend\t1\n", 2, "bad runtime" },
                { V2 "module\t2\t0\t-\nend\t1\n", 2, "bad module" },
                { V2 "what\nend\t1\n", 2, "unknown record" },
                /* truncation: no end marker, a wrong count, a cut line, garbage after the end */
                { V2 "runtime\t1\nsave\tcpulist\t" IRQ24 "\t-\t0-3\n", 3, "no end marker" },
                { V2 "runtime\t1\nsave\tcpulist\t" IRQ24 "\t-\t0-3\nend\t3\n", 4, "counts 3 records, the file has 2" },
                { V2 "runtime\t1\nsave\tcpulist\t" IRQ24 "\t-\t0", 0, "cut short" },
                { V2 "runtime\t1\nend\t1\nsave\tcpulist\t" IRQ24 "\t-\t0-3\n", 4, "after the end marker" },
                /* not ours, or of another version */
                { "", 0, "empty file" },
                { "garbage\n", 1, "not a state file" },
                { "# tlbisold state v1\nruntime\t1\n", 1, "not a state file of this version" },
        };
        struct state s;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct state_error err = { .line = 99 };

                print_message("hostile %zu: %s\n", i, bad[i].why);
                assert_int_equal(state_parse(bad[i].text, &s, &err), -EBADMSG);
                assert_int_equal(err.line, bad[i].line);
                assert_non_null(strstr(err.why, bad[i].why));
        }
}

/* negative control: each hostile file differs from an accepted one only
 * in what makes it hostile */
static void test_accepted(void **state) {
        static const char *const good[] = {
                V2 "save\tcpulist\t" IRQ24 "\t-\t0-3\nend\t1\n",
                V2 "save\thexmask\t" WQ "\t" WQ "_requested\t3f\nend\t1\n",
                V2 "save\thexmask\t" WQ "\t-\tff,ffffffff\nend\t1\n",
                V2 "save\thexmask\t/proc/irq/default_smp_affinity\t-\tf\nend\t1\n",
                V2 "save\tselector\t/sys/kernel/mm/transparent_hugepage/enabled\t-\tmadvise\nend\t1\n",
                V2 "save\tstring\t/proc/sys/kernel/sched_rt_runtime_us\t-\t-1\nend\t1\n",
                V2 "save\tcpulist\t/proc/sys/kernel/watchdog_cpumask\t-\t0-3\nend\t1\n",
                V2 "task\t5\t1\t0\ta\\tb\nend\t1\n",
                V2 "task\t5\t1\t0-1\t0\ta\nend\t1\n",
                V2 "task\t5\t1\t0-1\t-\ta\nend\t1\n",
                V2 "runtime\t\nend\t1\n",
                V2 "end\t0\n",
        };
        struct state s;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                struct state_error err = {};

                print_message("accepted %zu\n", i);
                assert_int_equal(state_parse(good[i], &s, &err), 0);
                state_done(&s);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_accepted),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
