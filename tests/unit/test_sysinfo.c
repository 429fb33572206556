/* test_sysinfo.c — isolation facts from fixture roots (lib/sysinfo.c) and
 * kernel command line parsing (lib/cmdline.c). */
#include <errno.h>
#include <string.h>

#include "cmdline.h"
#include "sysinfo.h"
#include "unit.h"

static void test_root_nohz(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("root-nohz");
        struct cpu_isolation iso;

        assert_int_equal(sysinfo_read(fs, &iso), 0);
        assert_int_equal(iso.ncpus, 4);
        assert_list(&iso.possible, "0-3");
        assert_list(&iso.present, "0-3");
        assert_list(&iso.online, "0-3");
        assert_true(iso.has_nohz_full_file);
        assert_list(&iso.nohz_full, "2-3");
        assert_true(iso.has_isolated_file);
        assert_list(&iso.isolated, "2-3");
        assert_true(iso.has_cgroup_isolated);
        assert_list(&iso.cgroup_isolated, "");

        assert_true(iso.cmdline.isolcpus.present);
        assert_int_equal(iso.cmdline.isolcpus.error, 0);
        assert_int_equal(iso.cmdline.isolcpus_flags,
                         ISOLCPUS_NOHZ | ISOLCPUS_DOMAIN | ISOLCPUS_MANAGED_IRQ);
        assert_list(&iso.cmdline.isolcpus.cpus, "2-3");
        assert_true(iso.cmdline.nohz_full.present);
        assert_list(&iso.cmdline.nohz_full.cpus, "2-3");
        assert_list(&iso.cmdline.rcu_nocbs.cpus, "2-3");
        assert_true(iso.cmdline.irqaffinity.present);
        assert_list(&iso.cmdline.irqaffinity.cpus, "0-1");
}

static void test_root_partition(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("root-partition");
        struct cpu_isolation iso;

        assert_int_equal(sysinfo_read(fs, &iso), 0);
        assert_int_equal(iso.ncpus, 8);
        assert_list(&iso.online, "0-6");
        assert_true(iso.has_nohz_full_file);            /* reads "(null)" */
        assert_true(cpumap_is_empty(&iso.nohz_full));
        assert_true(iso.has_isolated_file);
        assert_true(cpumap_is_empty(&iso.isolated));
        assert_true(iso.has_cgroup_isolated);
        assert_list(&iso.cgroup_isolated, "4-6");
        assert_false(iso.cmdline.isolcpus.present);
        assert_false(iso.cmdline.nohz_full.present);
        assert_false(iso.cmdline.rcu_nocbs.present);
        assert_false(iso.cmdline.irqaffinity.present);

        /* another cgroup2 mount point: here without cpuset.cpus.isolated */
        assert_int_equal(sysinfo_read_full(fs, "/sys/fs/cgroup/rt.slice", &iso), 0);
        assert_false(iso.has_cgroup_isolated);
        assert_true(cpumap_is_empty(&iso.cgroup_isolated));
}

static void test_root_plain(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("root-plain");
        struct cpu_isolation iso;

        assert_int_equal(sysinfo_read(fs, &iso), 0);
        assert_int_equal(iso.ncpus, 2);
        assert_list(&iso.present, "0-1");               /* absent file: = possible */
        assert_false(iso.has_nohz_full_file);
        assert_false(iso.has_isolated_file);
        assert_false(iso.has_cgroup_isolated);

        /* isolcpus=managed_irq,bogus_flag,1: unknown flag skipped, no domain */
        assert_true(iso.cmdline.isolcpus.present);
        assert_int_equal(iso.cmdline.isolcpus.error, 0);
        assert_int_equal(iso.cmdline.isolcpus_flags, ISOLCPUS_MANAGED_IRQ);
        assert_list(&iso.cmdline.isolcpus.cpus, "1");
        /* nohz_full=1-5 on 2 CPUs: the kernel ignores it */
        assert_true(iso.cmdline.nohz_full.present);
        assert_int_equal(iso.cmdline.nohz_full.error, -ERANGE);
        assert_true(cpumap_is_empty(&iso.cmdline.nohz_full.cpus));
        /* bare rcu_nocbs */
        assert_true(iso.cmdline.rcu_nocbs.present);
        assert_int_equal(iso.cmdline.rcu_nocbs.error, 0);
        assert_true(cpumap_is_empty(&iso.cmdline.rcu_nocbs.cpus));
}

static void test_missing_root(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("does-not-exist");
        struct cpu_isolation iso;

        memset(&iso, 0x5a, sizeof(iso));
        assert_int_equal(sysinfo_read(fs, &iso), -ENOENT);
        assert_int_equal(iso.ncpus, 0x5a5a5a5a);        /* untouched */
}

static void test_read_cpulist(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("root-partition");
        struct cpumap m;

        assert_int_equal(sysinfo_read_cpulist(fs, "/sys/devices/system/cpu/nohz_full", 0, &m), 0);
        assert_true(cpumap_is_empty(&m));
        assert_int_equal(sysinfo_read_cpulist(fs, "/sys/devices/system/cpu/offline", 0, &m), 0);
        assert_list(&m, "7");
        assert_int_equal(sysinfo_read_cpulist(fs, "/sys/devices/system/cpu/offline", 4, &m), -ERANGE);
        assert_int_equal(sysinfo_read_cpulist(fs, "/sys/fs/cgroup/rt.slice/cpuset.cpus.partition",
                                              0, &m), -EINVAL);
        assert_int_equal(sysinfo_read_cpulist(fs, "/nope", 0, &m), -ENOENT);
        assert_list(&m, "7");
}

static void test_cmdline_get(void **state) {
        const char *cmd = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet a=1 \"msg=hello world\" "
                          "nohz-full=3 a=2 empty= -- a=3 init_arg\n";
        _cleanup_free_ char *v1 = NULL, *v2 = NULL, *v3 = NULL, *v4 = NULL, *v5 = NULL;
        char *untouched = (char *) "sentinel";

        assert_int_equal(cmdline_get(cmd, "a", &v1), 1);
        assert_string_equal(v1, "2");                   /* last before "--" wins */
        assert_int_equal(cmdline_get(cmd, "msg", &v2), 1);
        assert_string_equal(v2, "hello world");
        assert_int_equal(cmdline_get(cmd, "nohz_full", &v3), 1);
        assert_string_equal(v3, "3");                   /* '-' matches '_' */
        assert_int_equal(cmdline_get(cmd, "empty", &v4), 1);
        assert_string_equal(v4, "");
        assert_int_equal(cmdline_get(cmd, "quiet", &v5), 1);
        assert_null(v5);                                /* bare key */
        assert_int_equal(cmdline_get(cmd, "root", &v5), 1);
        assert_string_equal(v5, "/dev/sda1");

        assert_int_equal(cmdline_get(cmd, "init_arg", &untouched), 0);
        assert_int_equal(cmdline_get(cmd, "roo", &untouched), 0);
        assert_int_equal(cmdline_get(cmd, "BOOT", &untouched), 0);
        assert_int_equal(cmdline_get("", "a", &untouched), 0);
        assert_int_equal(cmdline_get(cmd, "", &untouched), -EINVAL);
        assert_string_equal(untouched, "sentinel");
}

static void test_cmdline_isolcpus(void **state) {
        static const struct {
                const char *cmd;
                int error;
                unsigned flags;
                const char *cpus;
        } cases[] = {
                { "isolcpus=2-3", 0, ISOLCPUS_DOMAIN, "2-3" },
                { "isolcpus=nohz,2-3", 0, ISOLCPUS_NOHZ, "2-3" },
                { "isolcpus=domain,managed_irq,1,3", 0, ISOLCPUS_DOMAIN | ISOLCPUS_MANAGED_IRQ, "1,3" },
                { "isolcpus=managed_irq,nohz,domain,0-7:2/4", 0,
                  ISOLCPUS_DOMAIN | ISOLCPUS_NOHZ | ISOLCPUS_MANAGED_IRQ, "0-1,4-5" },
                { "isolcpus=future_flag,2", 0, ISOLCPUS_DOMAIN, "2" },
                { "isolcpus=1,,2", 0, ISOLCPUS_DOMAIN, "1-2" },  /* kernel grammar */
                { "isolcpus=2-N", 0, ISOLCPUS_DOMAIN, "2-7" },
                { "isolcpus=dom@in,2-3", -EINVAL, 0, "" },
                { "isolcpus=domain", -EINVAL, ISOLCPUS_DOMAIN, "" },
                { "isolcpus=3-1", -EINVAL, ISOLCPUS_DOMAIN, "" },
                { "isolcpus=2-9", -ERANGE, ISOLCPUS_DOMAIN, "" },
                { "isolcpus=1 isolcpus=nohz,4", 0, ISOLCPUS_NOHZ, "4" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct cmdline_isolation ci;

                assert_int_equal(cmdline_parse_isolation(cases[i].cmd, 8, &ci), 0);
                assert_true(ci.isolcpus.present);
                if (ci.isolcpus.error != cases[i].error || ci.isolcpus_flags != cases[i].flags)
                        fail_msg("\"%s\": error %d flags %#x", cases[i].cmd,
                                 ci.isolcpus.error, ci.isolcpus_flags);
                assert_list(&ci.isolcpus.cpus, cases[i].cpus);
        }
}

static void test_cmdline_other_params(void **state) {
        struct cmdline_isolation ci;

        assert_int_equal(cmdline_parse_isolation("ro isolcpus nohz_full irqaffinity", 4, &ci), 0);
        assert_false(ci.isolcpus.present);              /* bare: ignored by the kernel */
        assert_false(ci.nohz_full.present);
        assert_false(ci.irqaffinity.present);
        assert_false(ci.rcu_nocbs.present);

        assert_int_equal(cmdline_parse_isolation("nohz_full= rcu_nocbs=x irqaffinity=0,2", 4, &ci), 0);
        assert_true(ci.nohz_full.present);
        assert_int_equal(ci.nohz_full.error, 0);
        assert_true(cpumap_is_empty(&ci.nohz_full.cpus));
        assert_true(ci.rcu_nocbs.present);
        assert_int_equal(ci.rcu_nocbs.error, -EINVAL);
        assert_list(&ci.irqaffinity.cpus, "0,2");

        memset(&ci, 0x5a, sizeof(ci));
        assert_int_equal(cmdline_parse_isolation(NULL, 4, &ci), -EINVAL);
        assert_int_equal(cmdline_parse_isolation("x", CPUMAP_MAX_CPUS + 1, &ci), -EINVAL);
        assert_int_equal(ci.isolcpus_flags, 0x5a5a5a5a);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root_nohz),
                cmocka_unit_test(test_root_partition),
                cmocka_unit_test(test_root_plain),
                cmocka_unit_test(test_missing_root),
                cmocka_unit_test(test_read_cpulist),
                cmocka_unit_test(test_cmdline_get),
                cmocka_unit_test(test_cmdline_isolcpus),
                cmocka_unit_test(test_cmdline_other_params),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
