/* test_isolation.c — lib/isolation: which CPUs are isolated and why, the
 * one model of tlbisold and tlbctl, against the fixture trees: boot
 * isolation (root-nohz), partitions with and without cpuset.cpus.effective
 * (root-partition, daemon/root-vm), a partition four levels down and a
 * CPU only the root's cpuset.cpus.isolated explains (root-deep). */
#include <errno.h>
#include <string.h>

#include "isolation.h"
#include "unit.h"

/* "name=cpus name=cpus" of every source, in order */
static void assert_sources(const struct isolation *iso, const char *expected) {
        char buf[512] = "";
        size_t off = 0;

        for (size_t i = 0; i < iso->n_sources; i++) {
                char c[64];

                assert_int_equal(cpulist_format(&iso->sources[i].cpus, c, sizeof(c)), 0);
                off += (size_t) snprintf(buf + off, sizeof(buf) - off, "%s%s=%s", off ? " " : "",
                                         iso->sources[i].name, c);
        }
        assert_string_equal(buf, expected);
}

static void assert_cpu_sources(const struct isolation *iso, unsigned cpu, const char *expected) {
        _cleanup_strv_free_ char **v = NULL;
        _cleanup_free_ char *s = NULL;

        assert_int_equal(isolation_sources_of(iso, cpu, &v), 0);
        s = strv_join(v, " ");
        assert_non_null(s);
        assert_string_equal(s, expected);
}

static void test_boot(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("root-nohz");
        static struct isolation_facts f;
        struct isolation iso = {};
        struct cpumap rt = cpus("1");

        assert_int_equal(isolation_facts_read(fs, &f, NULL), 0);
        assert_int_equal(f.n_parts, 0);
        assert_int_equal(isolation_compute(&f, NULL, NULL, &iso), 0);
        /* cpuset.cpus.isolated 2-3 is explained by isolcpus=: not a source of its own */
        assert_sources(&iso, "nohz_full=2-3 isolcpus:nohz,domain,managed_irq=2-3");
        assert_list(&iso.isolated, "2-3");
        assert_list(&iso.housekeeping, "0-1");

        /* a runtime request on top */
        assert_int_equal(isolation_compute(&f, &rt, NULL, &iso), 0);
        assert_list(&iso.isolated, "1-3");
        assert_list(&iso.housekeeping, "0");
        assert_cpu_sources(&iso, 2, "nohz_full isolcpus:nohz,domain,managed_irq");
        assert_cpu_sources(&iso, 1, "runtime");
        assert_cpu_sources(&iso, 0, "");
        assert_non_null(isolation_find(&iso, ISOLATION_RUNTIME, 1));
        assert_null(isolation_find(&iso, ISOLATION_RUNTIME, 2));
        assert_int_equal(isolation_find(&iso, ISOLATION_ISOLCPUS, 3)->kind, ISOLATION_ISOLCPUS);

        /* every CPU: refused, but the sets say what would happen */
        rt = cpus("0-1");
        assert_int_equal(isolation_compute(&f, &rt, NULL, &iso), -EXFULL);
        assert_list(&iso.isolated, "0-3");
        assert_true(cpumap_is_empty(&iso.housekeeping));
        isolation_done(&iso);
        isolation_facts_done(&f);
}

static void test_partitions(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("daemon/root-vm");
        static struct isolation_facts f;
        struct isolation iso = {};
        struct cpumap conf = cpus("5");
        char **dirs = NULL;
        size_t nd = 0;
        bool seen = false;

        assert_int_equal(isolation_facts_read(fs, &f, &dirs), 0);
        /* only the valid isolated partition; "isolated invalid (...)" does not count */
        assert_int_equal(f.n_parts, 1);
        assert_string_equal(f.parts[0].path, "/rt.slice/rt-a");
        assert_list(&f.parts[0].cpus, "4");
        /* every directory, as cgroup paths, root first */
        assert_string_equal(dirs[0], "/");
        for (char **d = dirs; *d; d++, nd++)
                seen = seen || streq(*d, "/system.slice/x.service");
        assert_int_equal(nd, 6);
        assert_true(seen);
        strv_free(dirs);

        assert_int_equal(isolation_compute(&f, NULL, &conf, &iso), 0);
        /* the root's cpuset.cpus.isolated (4) is the partition: named once */
        assert_sources(&iso, "nohz_full=3 isolcpus:nohz,domain,managed_irq=3 partition:/rt.slice/rt-a=4 config=5");
        assert_cpu_sources(&iso, 4, "partition:/rt.slice/rt-a");
        assert_list(&iso.isolated, "3-5");
        assert_list(&iso.housekeeping, "0-2");
        isolation_done(&iso);
        isolation_facts_done(&f);
}

static void test_partition_without_effective(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("root-partition");
        static struct isolation_facts f;
        struct isolation iso = {};

        assert_int_equal(isolation_facts_read(fs, &f, NULL), 0);
        assert_int_equal(isolation_compute(&f, NULL, NULL, &iso), 0);
        /* nohz_full "(null)": no source; cpuset.cpus when there is no .effective */
        assert_sources(&iso, "partition:/rt.slice=4-6");
        assert_list(&iso.housekeeping, "0-3");          /* CPU 7 is offline */
        isolation_done(&iso);
        isolation_facts_done(&f);
}

static void test_deep_and_unexplained(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("root-deep");
        static struct isolation_facts f;
        struct isolation iso = {};
        struct partition *parts = NULL;
        size_t n = 0;

        assert_int_equal(isolation_facts_read(fs, &f, NULL), 0);
        assert_int_equal(isolation_compute(&f, NULL, NULL, &iso), 0);
        /* four levels down is found (tlbctl used to stop at three) */
        assert_sources(&iso, "partition:/a/b/c/d=3 cgroup-isolated=2");
        assert_cpu_sources(&iso, 3, "partition:/a/b/c/d");
        assert_cpu_sources(&iso, 2, "cgroup-isolated");
        assert_list(&iso.isolated, "2-3");
        isolation_done(&iso);
        isolation_facts_done(&f);

        /* no cgroup2 mount: no partition, no error */
        assert_int_equal(partitions_scan(fs, "/sys/fs/nope", 4, &parts, &n, NULL), -ENOENT);
}

static void test_no_cgroup(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("root-plain");
        static struct isolation_facts f;
        struct isolation iso = {};

        assert_int_equal(isolation_facts_read(fs, &f, NULL), 0);
        assert_int_equal(f.partitions_error, 0);
        assert_int_equal(isolation_compute(&f, NULL, NULL, &iso), 0);
        /* isolcpus=managed_irq,bogus_flag,1: the kernel skips the unknown
         * flag; nohz_full=1-5 is out of range and ignored, as the kernel does */
        assert_sources(&iso, "isolcpus:managed_irq=1");
        assert_list(&iso.housekeeping, "0");
        isolation_done(&iso);
}

static void test_flags_format(void **state) {
        char buf[64];

        isolcpus_flags_format(ISOLCPUS_DOMAIN | ISOLCPUS_MANAGED_IRQ, buf, sizeof(buf));
        assert_string_equal(buf, "domain,managed_irq");
        isolcpus_flags_format(ISOLCPUS_NOHZ, buf, sizeof(buf));
        assert_string_equal(buf, "nohz");
        isolcpus_flags_format(ISOLCPUS_NOHZ | ISOLCPUS_DOMAIN, buf, 5);
        assert_string_equal(buf, "nohz");       /* truncated at a whole flag */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_boot),
                cmocka_unit_test(test_partitions),
                cmocka_unit_test(test_partition_without_effective),
                cmocka_unit_test(test_deep_and_unexplained),
                cmocka_unit_test(test_no_cgroup),
                cmocka_unit_test(test_flags_format),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
