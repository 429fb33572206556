/* test-tlbisold-conf.c — tlbisold.conf parsing: defaults, every key,
 * drop-in order, and errors that name file, line and key. No root. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "tlbisold-conf.h"
#include "tlbisold-knob.h"
#include "unit.h"

static void test_defaults(void **state) {
        struct config c;

        config_init(&c);
        assert_true(c.irqs && c.default_affinity && c.workqueues && c.module_sync && c.restore_on_stop);
        assert_false(c.module_defer);
        assert_true(c.kthreads);
        assert_false(c.user_tasks);
        assert_null(c.user_tasks_exclude);
        assert_int_equal(c.debounce_usec, 50000);
        assert_int_equal(c.check_max_irq_per_sec, 2);
        assert_int_equal(c.check_max_noise_usec, 100);
        assert_true(cpumap_is_empty(&c.cpus));
        assert_string_equal(c.tunable[TUNABLE_NUMA_BALANCING], "0");
        assert_string_equal(c.tunable[TUNABLE_WATCHDOG_CPUMASK], "housekeeping");
        assert_string_equal(c.tunable[TUNABLE_SCHED_RT_RUNTIME], "keep");
        assert_int_equal(c.fair_server_period_usec, 0);        /* keep: opt-in */
        config_done(&c);
}

static void test_parse_good(void **state) {
        struct config c;
        char err[256];
        char buf[64];

        config_init(&c);
        assert_int_equal(config_parse_string(
                "# comment\n"
                "[Isolation]\nCPUs = 4-5\n\n"
                "[Apply]\nIRQs=no\nWorkqueues=off\nKernelThreads=no\nUserTasks=yes\n"
                "UserTasksExclude=rtapp cyclic*\nUserTasksExclude=\nUserTasksExclude=dpdk-*  l2fwd\n"
                "UserTasksExclude=oslat\n"
                "[Tuning]\nNUMABalancing=keep\nTransparentHugepages=madvise\nSchedRTRuntimeUSec=-1\nFairServerPeriod=3s\n"
                "WatchdogCPUMask=0-1\n"
                "[Module]\nDefer=yes\n"
                "[Daemon]\nRestoreOnStop=false\nDebounce=200ms\n", "t.conf", 8, &c, err, sizeof(err)), 0);
        assert_int_equal(cpulist_format(&c.cpus, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "4-5");
        assert_false(c.irqs);
        assert_false(c.workqueues);
        assert_true(c.default_affinity);
        assert_false(c.kthreads);
        assert_true(c.user_tasks);
        /* appended per line; an empty value resets */
        assert_non_null(c.user_tasks_exclude);
        assert_string_equal(c.user_tasks_exclude[0], "dpdk-*");
        assert_string_equal(c.user_tasks_exclude[1], "l2fwd");
        assert_string_equal(c.user_tasks_exclude[2], "oslat");
        assert_null(c.user_tasks_exclude[3]);
        assert_string_equal(c.tunable[TUNABLE_NUMA_BALANCING], "keep");
        assert_int_equal(c.fair_server_period_usec, 3000000);
        assert_string_equal(c.tunable[TUNABLE_THP], "madvise");
        assert_string_equal(c.tunable[TUNABLE_SCHED_RT_RUNTIME], "-1");
        assert_string_equal(c.tunable[TUNABLE_WATCHDOG_CPUMASK], "0-1");
        assert_true(c.module_defer);
        assert_false(c.restore_on_stop);
        assert_int_equal(c.debounce_usec, 200000);
        config_done(&c);
}

static void expect_error(const char *text, int r, const char *msg) {
        struct config c;
        char err[256];

        config_init(&c);
        assert_int_equal(config_parse_string(text, "/etc/x.conf", 4, &c, err, sizeof(err)), r);
        if (!strstr(err, msg))
                fail_msg("expected '%s' in '%s'", msg, err);
        config_done(&c);
}

static void test_parse_errors(void **state) {
        expect_error("[Apply]\nIRQs=yes\nBogus=1\n", -EINVAL, "/etc/x.conf:3: [Apply] Bogus: unknown key");
        expect_error("[Nope]\nA=1\n", -EINVAL, "/etc/x.conf:2: [Nope] A: unknown section");
        expect_error("A=1\n", -EINVAL, "/etc/x.conf:1: [] A: key outside of any section");
        expect_error("[Apply]\nIRQs=maybe\n", -EINVAL, "/etc/x.conf:2: [Apply] IRQs: invalid value 'maybe': expected yes or no");
        expect_error("\n\n[Isolation]\nCPUs=9\n", -ERANGE,
                     "/etc/x.conf:4: [Isolation] CPUs: invalid value '9': CPU 9 is out of range (this machine has CPUs 0-3)");
        expect_error("[Isolation]\nCPUs=1-x\n", -ERANGE, "[Isolation] CPUs: invalid value '1-x'");
        expect_error("[Tuning]\nVMStatInterval=0\n", -EINVAL, "expected keep or an integer >= 1");
        expect_error("[Tuning]\nFairServerPeriod=500ms\n", -ERANGE, "expected keep or a duration from 1s to 4s");
        expect_error("[Tuning]\nFairServerPeriod=5s\n", -ERANGE, "[Tuning] FairServerPeriod");
        expect_error("[Tuning]\nFairServerPeriod=2000000000\n", -ERANGE, "from 1s to 4s");
        expect_error("[Tuning]\nTransparentHugepages=sometimes\n", -EINVAL, "expected keep, always, madvise or never");
        expect_error("[Tuning]\nWatchdogCPUMask=7\n", -EINVAL, "expected keep, housekeeping or a CPU list");
        expect_error("[Tuning]\nNMIWatchdog=1x\n", -EINVAL, "[Tuning] NMIWatchdog");
        expect_error("[Daemon]\nDebounce=1h\n", -ERANGE, "expected a duration up to 10s");
        expect_error("[Check]\nMaxInterruptsPerSec=-1\n", -EINVAL, "[Check] MaxInterruptsPerSec: invalid value '-1': expected a whole number >= 0");
        expect_error("[Check]\nMaxNoise=1h\n", -ERANGE, "[Check] MaxNoise");
        expect_error("[Apply\nIRQs=yes\n", -EINVAL, "/etc/x.conf:1: syntax error");
        expect_error("[Apply]\njunk line\n", -EINVAL, "/etc/x.conf:2: syntax error");
}

/* A list of every other CPU of a 4096-CPU machine, "0,2,4,...": long. */
static char *long_list(size_t min_len) {
        char *s = calloc(1, min_len + 16);
        size_t off = 0;

        assert_non_null(s);
        for (unsigned cpu = 0; off < min_len; cpu += 2)
                off += (size_t) sprintf(s + off, "%s%u", off ? "," : "", cpu);
        return s;
}

/* Lines far longer than inih's 200-byte buffer: accepted whole, and errors
 * after (and in) them carry the file's own line numbers. */
static void test_long_lines(void **state) {
        static const size_t lens[] = { 461, 4096, 16000 };

        for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
                _cleanup_free_ char *list = long_list(lens[i]), *text = NULL, *comment = NULL;
                struct config c;
                char err[512] = "";

                config_init(&c);
                comment = calloc(1, lens[i] + 1);
                assert_non_null(comment);
                memset(comment, 'x', lens[i]);
                assert_true(asprintf(&text, "# %s\n[Isolation]\nCPUs=%s\n", comment, list) > 0);
                if (config_parse_string(text, "/etc/x.conf", 8192, &c, err, sizeof(err)) != 0)
                        fail_msg("length %zu: %s", lens[i], err);
                assert_string_equal(c.cpus_text, list);
                assert_true(cpumap_test(&c.cpus, 2) && !cpumap_test(&c.cpus, 3));
                config_done(&c);

                free(text);
                assert_true(asprintf(&text, "[Apply]\nUserTasksExclude=%s\n\nIRQs=maybe\n", comment) > 0);
                expect_error(text, -EINVAL, "/etc/x.conf:4: [Apply] IRQs: invalid value 'maybe'");
                /* the long line itself is wrong: its own number (8 CPUs here) */
                free(text);
                assert_true(asprintf(&text, "\n\n[Isolation]\nCPUs=%s\n", list) > 0);
                config_init(&c);
                assert_int_equal(config_parse_string(text, "/etc/x.conf", 8, &c, err, sizeof(err)), -ERANGE);
                assert_non_null(strstr(err, "/etc/x.conf:4: [Isolation] CPUs: invalid value"));
                config_done(&c);
                /* a long line that is no Key=Value: a syntax error at its number */
                free(text);
                assert_true(asprintf(&text, "[Apply]\nIRQs=yes\n%s\n", comment) > 0);
                expect_error(text, -EINVAL, "/etc/x.conf:3: syntax error");
        }
}

/* Inline comments: '#' or ';' after a blank ends the value (tlbisold.conf(5)). */
static void test_inline_comments(void **state) {
        struct config c;
        char err[256] = "";

        config_init(&c);
        assert_int_equal(config_parse_string("[Isolation]\nCPUs=2-3   # the RT cores\n"
                                             "[Apply]\nIRQs=no ; not now\nUserTasksExclude=rt#app\t# keep\n",
                                             "/etc/x.conf", 4, &c, err, sizeof(err)), 0);
        assert_string_equal(c.cpus_text, "2-3");
        assert_false(c.irqs);
        assert_string_equal(c.user_tasks_exclude[0], "rt#app");        /* no blank before '#': a value */
        assert_null(c.user_tasks_exclude[1]);
        config_done(&c);
        expect_error("[Apply]\nIRQs=no# comment\n", -EINVAL, "invalid value 'no# comment'");
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static void test_load_dropins(void **state) {
        char dir[] = "/tmp/tlbisold-conf-XXXXXX", p[256], d[256], err[256] = "";
        struct config c = {};

        assert_non_null(mkdtemp(dir));
        snprintf(p, sizeof(p), "%s/tlbisold.conf", dir);
        snprintf(d, sizeof(d), "%s/tlbisold.conf.d", dir);

        /* nothing at all: the defaults */
        assert_int_equal(config_load(p, 4, &c, err, sizeof(err)), 0);
        assert_true(c.irqs);

        write_file(p, "[Apply]\nIRQs=no\n[Isolation]\nCPUs=1\n");
        assert_int_equal(mkdir(d, 0755), 0);
        snprintf(p, sizeof(p), "%s/tlbisold.conf.d/20-b.conf", dir);
        write_file(p, "[Isolation]\nCPUs=2\n");
        snprintf(p, sizeof(p), "%s/tlbisold.conf.d/10-a.conf", dir);
        write_file(p, "[Isolation]\nCPUs=3\n[Apply]\nIRQs=yes\n");
        snprintf(p, sizeof(p), "%s/tlbisold.conf.d/30-c.conf.disabled", dir);
        write_file(p, "[Broken\n");
        snprintf(p, sizeof(p), "%s/tlbisold.conf", dir);
        assert_int_equal(config_load(p, 4, &c, err, sizeof(err)), 0);
        assert_true(c.irqs);                            /* 10-a after the main file */
        assert_string_equal(c.cpus_text, "2");          /* 20-b last */
        assert_non_null(strstr(c.cpus_file, "tlbisold.conf.d/20-b.conf"));     /* named in errors */

        /* a bad drop-in: error names it, and the previous config is kept */
        snprintf(p, sizeof(p), "%s/tlbisold.conf.d/40-bad.conf", dir);
        write_file(p, "[Daemon]\nRestoreOnStop=sometimes\n");
        snprintf(p, sizeof(p), "%s/tlbisold.conf", dir);
        assert_int_equal(config_load(p, 4, &c, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "40-bad.conf:2: [Daemon] RestoreOnStop"));
        assert_string_equal(c.cpus_text, "2");
        config_done(&c);

        {
                char cmd[300];

                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
                assert_int_equal(system(cmd), 0);
        }
}

/* the shipped file lists every key, commented, with its default */
static void test_shipped_file(void **state) {
        _cleanup_free_ char *path = NULL, *text = NULL, *uncommented = NULL;
        struct config c, d;
        char err[256];
        _cleanup_(fsroot_freep) struct fsroot *fs = NULL;

        path = fixture_path("../../systemd");
        assert_int_equal(fsroot_new(path, &fs), 0);
        assert_int_equal(fsroot_read(fs, "/tlbisold.conf", &text), 0);
        for (size_t i = 0; i < _TUNABLE_MAX; i++) {
                char key[64];

                snprintf(key, sizeof(key), "\n#%s=%s\n", tunables[i].key, tunables[i].def);
                if (!strstr(text, key))
                        fail_msg("systemd/tlbisold.conf lacks '%s'", key + 1);
        }
        /* uncommenting every "#Key=" line gives exactly the defaults */
        uncommented = strdup(text);
        for (char *p = uncommented; (p = strstr(p, "\n#")); p++)
                if (p[2] >= 'A' && p[2] <= 'Z')
                        memmove(p + 1, p + 2, strlen(p + 2) + 1);       /* drop the '#' */
        config_init(&c);
        config_init(&d);
        if (config_parse_string(uncommented, "tlbisold.conf", 4, &c, err, sizeof(err)) < 0)
                fail_msg("shipped file, uncommented: %s", err);
        assert_int_equal(c.irqs, d.irqs);
        assert_int_equal(c.restore_on_stop, d.restore_on_stop);
        assert_int_equal(c.debounce_usec, d.debounce_usec);
        assert_int_equal(c.check_max_irq_per_sec, d.check_max_irq_per_sec);
        assert_int_equal(c.check_max_noise_usec, d.check_max_noise_usec);
        assert_non_null(strstr(text, "\n#MaxInterruptsPerSec=2\n"));
        assert_non_null(strstr(text, "\n#MaxNoise=100us\n"));
        assert_int_equal(c.module_defer, d.module_defer);
        assert_int_equal(c.fair_server_period_usec, d.fair_server_period_usec);
        assert_non_null(strstr(text, "\n#FairServerPeriod=keep\n"));
        assert_int_equal(c.kthreads, d.kthreads);
        assert_int_equal(c.user_tasks, d.user_tasks);
        assert_null(c.user_tasks_exclude);
        assert_non_null(strstr(text, "\n#KernelThreads=yes\n"));
        assert_non_null(strstr(text, "\n#UserTasks=no\n"));
        assert_non_null(strstr(text, "\n#UserTasksExclude=\n"));
        for (size_t i = 0; i < _TUNABLE_MAX; i++)
                assert_string_equal(c.tunable[i], d.tunable[i]);
        config_done(&c);
        config_done(&d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_parse_good),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_long_lines),
                cmocka_unit_test(test_inline_comments),
                cmocka_unit_test(test_load_dropins),
                cmocka_unit_test(test_shipped_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
