/* test_cpumap.c — struct cpumap operations, cpulist and hex cpumask parse
 * and format (lib/cpumap.c, lib/cpulist.c, lib/cpumask-hex.c), and a
 * seeded round-trip property test. */
#include <errno.h>
#include <string.h>

#include "cpumap.h"
#include "unit.h"

static struct cpumap map_of(const char *list) {
        struct cpumap m;

        assert_int_equal(cpulist_parse(list, 0, &m), 0);
        return m;
}

static void test_bit_ops(void **state) {
        struct cpumap m;
        int cpu, n = 0;

        cpumap_zero(&m);
        assert_true(cpumap_is_empty(&m));
        assert_int_equal(cpumap_first(&m), -1);
        assert_int_equal(cpumap_last(&m), -1);
        cpumap_set(&m, 0);
        cpumap_set(&m, 63);
        cpumap_set(&m, 64);
        cpumap_set(&m, CPUMAP_MAX_CPUS - 1);
        cpumap_set(&m, CPUMAP_MAX_CPUS);        /* ignored */
        assert_int_equal(cpumap_count(&m), 4);
        assert_true(cpumap_test(&m, 63));
        assert_false(cpumap_test(&m, 62));
        assert_false(cpumap_test(&m, CPUMAP_MAX_CPUS));
        assert_int_equal(cpumap_first(&m), 0);
        assert_int_equal(cpumap_next(&m, 0), 63);
        assert_int_equal(cpumap_next(&m, 63), 64);
        assert_int_equal(cpumap_next(&m, 64), CPUMAP_MAX_CPUS - 1);
        assert_int_equal(cpumap_next(&m, CPUMAP_MAX_CPUS - 1), -1);
        assert_int_equal(cpumap_last(&m), CPUMAP_MAX_CPUS - 1);

        int seen[4];
        CPUMAP_FOREACH(cpu, &m) {
                assert_true(n < 4);
                seen[n++] = cpu;
        }
        assert_int_equal(n, 4);
        assert_int_equal(seen[0], 0);
        assert_int_equal(seen[3], CPUMAP_MAX_CPUS - 1);

        cpumap_clear(&m, 63);
        assert_false(cpumap_test(&m, 63));
        assert_int_equal(cpumap_count(&m), 3);
        cpumap_zero(&m);
        cpumap_set_range(&m, 8190, 9000);       /* clipped */
        assert_int_equal(cpumap_count(&m), 2);
}

static void test_set_ops(void **state) {
        struct cpumap a = map_of("0-7"), b = map_of("4-11"), d;

        cpumap_and(&d, &a, &b);
        assert_list(&d, "4-7");
        cpumap_or(&d, &a, &b);
        assert_list(&d, "0-11");
        cpumap_andnot(&d, &a, &b);
        assert_list(&d, "0-3");
        cpumap_andnot(&a, &a, &b);              /* dst aliases a */
        assert_list(&a, "0-3");
        assert_false(cpumap_intersects(&a, &b));
        assert_true(cpumap_is_subset(&a, &(struct cpumap) { .bits = { 0xff } }));
        assert_false(cpumap_is_subset(&b, &a));
        assert_true(cpumap_equal(&a, &d));
        assert_false(cpumap_equal(&a, &b));
        cpumap_and(&d, &a, &b);
        assert_true(cpumap_is_empty(&d));
}

static void test_cpulist_parse_valid(void **state) {
        static const struct {
                const char *in;
                unsigned ncpus;
                const char *out;
        } cases[] = {
                { "", 0, "" },
                { "\n", 4, "" },
                { "  \t", 4, "" },
                { "0", 1, "0" },
                { "0-3,8,10-11", 16, "0-3,8,10-11" },
                { "0-3,8,10-11\n", 16, "0-3,8,10-11" },
                { " 1 , 2 ", 4, "1-2" },
                { "3,1,2", 4, "1-3" },
                { "0-3,2-5", 8, "0-5" },
                { "5-5", 8, "5" },
                { "0-15:2/4", 16, "0-1,4-5,8-9,12-13" },
                { "0-7:1/2", 8, "0,2,4,6" },
                { "1-9:3/3", 16, "1-9" },
                { "2-10:0/4", 16, "" },          /* kernel accepts used size 0 */
                { "all", 4, "0-3" },
                { "ALL:1/2", 6, "0,2,4" },
                { "N", 4, "3" },
                { "2-N", 6, "2-5" },
                { "8191", 0, "8191" },
                { "0-8191", 0, "0-8191" },
                { "0001", 4, "1" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct cpumap m;

                assert_int_equal(cpulist_parse(cases[i].in, cases[i].ncpus, &m), 0);
                assert_list(&m, cases[i].out);
        }
}

static void test_cpulist_parse_invalid(void **state) {
        static const struct {
                const char *in;
                unsigned ncpus;
                int r;
        } cases[] = {
                { "abc", 0, -EINVAL }, { "3-1", 0, -EINVAL }, { "1,,2", 0, -EINVAL },
                { "-1", 0, -EINVAL }, { "1-", 0, -EINVAL }, { ",1", 0, -EINVAL },
                { "1,", 0, -EINVAL }, { ",", 0, -EINVAL }, { "1 2", 0, -EINVAL },
                { "0x3", 0, -EINVAL }, { "1-2-3", 0, -EINVAL }, { "0-15:2", 0, -EINVAL },
                { "0-15:5/4", 0, -EINVAL }, { "0-15:1/0", 0, -EINVAL }, { "3:1/2", 0, -EINVAL },
                { "1;2", 0, -EINVAL }, { "+1", 0, -EINVAL }, { "1\n2", 0, -EINVAL },
                { "4", 4, -ERANGE }, { "0-4", 4, -ERANGE }, { "2,9", 4, -ERANGE },
                { "8192", 0, -ERANGE }, { "99999999999", 0, -ERANGE },
                { "0-N:1/2", 8193, -EINVAL },   /* ncpus above CPUMAP_MAX_CPUS */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct cpumap m = map_of("5");

                if (cpulist_parse(cases[i].in, cases[i].ncpus, &m) != cases[i].r)
                        fail_msg("cpulist_parse(\"%s\", %u) did not return %d",
                                 cases[i].in, cases[i].ncpus, cases[i].r);
                assert_list(&m, "5");           /* untouched on failure */
        }
}

static void test_cpulist_parse_err_messages(void **state) {
        static const struct {
                const char *in;
                unsigned ncpus;
                const char *msg;
        } cases[] = {
                { "9", 4, "CPU 9 is out of range (this machine has CPUs 0-3)" },
                { "0,1", 1, "CPU 1 is out of range (this machine has CPU 0)" },
                { "2-9", 4, "range \"2-9\" goes beyond CPU 3 (this machine has CPUs 0-3)" },
                { "9000", 0, "CPU 9000 is out of range (at most 8192 CPUs are supported)" },
                { "3-1", 4, "invalid range \"3-1\": start is after end" },
                { "1,,2", 4, "empty entry at position 3" },
                { "1,", 4, "empty entry at position 3" },
                { "1x", 4, "expected ',' or end of list, found 'x' at position 2" },
                { "1-", 4, "expected a CPU number, found end of input" },
                { "0-3:5/4", 4, "invalid stride \"0-3:5/4\": used size 5 is larger than group size 4" },
                { "0-3:1", 4, "expected '/' in a stride like \"0-15:2/4\", found end of input" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char err[128] = "";
                struct cpumap m;

                assert_true(cpulist_parse_err(cases[i].in, cases[i].ncpus, &m, err, sizeof(err)) < 0);
                assert_string_equal(err, cases[i].msg);
        }

        /* a tiny buffer is truncated, never overrun; NULL is allowed */
        char small[8];
        struct cpumap m;

        memset(small, 'X', sizeof(small));
        assert_int_equal(cpulist_parse_err("9", 4, &m, small, 4), -ERANGE);
        assert_string_equal(small, "CPU");
        assert_int_equal(small[4], 'X');
        assert_int_equal(cpulist_parse_err("9", 4, &m, NULL, 0), -ERANGE);
}

static void test_cpulist_parse_lenient(void **state) {
        struct cpumap m;

        assert_int_equal(cpulist_parse_lenient("1,,2", 4, &m), 0);
        assert_list(&m, "1-2");
        assert_int_equal(cpulist_parse_lenient("1 3,", 4, &m), 0);
        assert_list(&m, "1,3");
        assert_int_equal(cpulist_parse_lenient(",,", 4, &m), 0);
        assert_list(&m, "");
        assert_int_equal(cpulist_parse_lenient("1x", 4, &m), -EINVAL);
        assert_int_equal(cpulist_parse_lenient("3-1", 4, &m), -EINVAL);
        assert_int_equal(cpulist_parse_lenient("4", 4, &m), -ERANGE);
}

static void test_cpulist_format(void **state) {
        struct cpumap m = map_of("0-3,8");
        _cleanup_free_ char *s = NULL;
        char buf[6];

        memset(buf, 'X', sizeof(buf));
        assert_int_equal(cpulist_format(&m, buf, 5), -ENOSPC);  /* needs 6 */
        assert_int_equal(buf[0], 'X');                          /* untouched */
        assert_int_equal(cpulist_format(&m, buf, 6), 0);
        assert_string_equal(buf, "0-3,8");

        m = map_of("2-3,5,7-9");
        assert_list(&m, "2-3,5,7-9");
        cpumap_zero(&m);
        assert_int_equal(cpulist_format(&m, buf, 1), 0);
        assert_string_equal(buf, "");

        /* every even CPU: the longest list, via the malloc'ing variant */
        for (unsigned cpu = 0; cpu < CPUMAP_MAX_CPUS; cpu += 2)
                cpumap_set(&m, cpu);
        assert_int_equal(cpulist_format_alloc(&m, &s), 0);
        assert_int_equal(strncmp(s, "0,2,4,", 6), 0);
        assert_string_equal(s + strlen(s) - 9, "8188,8190");
        /* 5 one-digit, 45 two-digit, 450 three-digit, 3596 four-digit, 4095 commas */
        assert_int_equal(strlen(s), 5 * 1 + 45 * 2 + 450 * 3 + 3596 * 4 + 4095);
}

static void test_cpumask_parse_hex(void **state) {
        static const struct {
                const char *in;
                unsigned ncpus;
                const char *list;
        } ok[] = {
                { "f", 4, "0-3" }, { "3\n", 4, "0-1" }, { "FF", 8, "0-7" },
                { "ff,ffffffff", 40, "0-39" }, { "00000001,00000000", 64, "32" },
                { "0", 4, "" }, { "00000000,00000000,0000000c", 4, "2-3" },
                { " 80000000 ", 0, "31" }, { "1,00000000,00000000", 0, "64" },
        };
        static const struct {
                const char *in;
                unsigned ncpus;
                int r;
        } bad[] = {
                { "", 0, -EINVAL }, { "\n", 0, -EINVAL }, { "g", 0, -EINVAL },
                { "1,,2", 0, -EINVAL }, { ",1", 0, -EINVAL }, { "1,", 0, -EINVAL },
                { "123456789", 0, -EINVAL }, { "0x3", 0, -EINVAL }, { "1 2", 0, -EINVAL },
                { "-1", 0, -EINVAL }, { "10", 4, -ERANGE }, { "1,00000000", 32, -ERANGE },
        };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                struct cpumap m;

                assert_int_equal(cpumask_parse_hex(ok[i].in, ok[i].ncpus, &m), 0);
                assert_list(&m, ok[i].list);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct cpumap m = map_of("5");

                if (cpumask_parse_hex(bad[i].in, bad[i].ncpus, &m) != bad[i].r)
                        fail_msg("cpumask_parse_hex(\"%s\") did not return %d", bad[i].in, bad[i].r);
                assert_list(&m, "5");
        }

        /* more groups than CPUMAP_MAX_CPUS/32: fine if the extra ones are 0 */
        _cleanup_free_ char *big = malloc(257 * 9);
        char *p = big;
        struct cpumap m;

        for (int g = 0; g < 257; g++)
                p += sprintf(p, "%s%08x", g ? "," : "", g == 256 ? 1u : 0u);
        assert_int_equal(cpumask_parse_hex(big, 0, &m), 0);
        assert_list(&m, "0");
        big[7] = '1';                           /* bit 8192 */
        assert_int_equal(cpumask_parse_hex(big, 0, &m), -ERANGE);
}

static void test_cpumask_format_hex(void **state) {
        static const struct {
                const char *list;
                unsigned nbits;
                const char *hex;
        } cases[] = {
                { "0-3", 4, "f" }, { "0-39", 40, "ff,ffffffff" }, { "0", 64, "00000000,00000001" },
                { "0", 6, "01" }, { "", 0, "0" }, { "", 4, "0" }, { "35", 0, "8,00000000" },
                { "2-3", 0, "c" }, { "31", 32, "80000000" }, { "0,32", 33, "1,00000001" },
        };
        char buf[32];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct cpumap m = map_of(cases[i].list);

                assert_int_equal(cpumask_format_hex(&m, cases[i].nbits, buf, sizeof(buf)), 0);
                assert_string_equal(buf, cases[i].hex);
        }

        struct cpumap m = map_of("5");
        _cleanup_free_ char *s = NULL;

        assert_int_equal(cpumask_format_hex(&m, 4, buf, sizeof(buf)), -ERANGE);
        memset(buf, 'X', sizeof(buf));
        assert_int_equal(cpumask_format_hex(&m, 64, buf, 17), -ENOSPC);
        assert_int_equal(buf[0], 'X');
        assert_int_equal(cpumask_format_hex(&m, 64, buf, 18), 0);
        assert_string_equal(buf, "00000000,00000020");
        assert_int_equal(cpumask_format_hex(&m, CPUMAP_MAX_CPUS + 1, buf, sizeof(buf)), -EINVAL);

        cpumap_set_range(&m, 0, CPUMAP_MAX_CPUS - 1);
        assert_int_equal(cpumask_format_hex_alloc(&m, 0, &s), 0);
        assert_int_equal(strlen(s), 256 * 9 - 1);
        assert_string_equal(s + strlen(s) - 9, ",ffffffff");
}

/* xorshift64*: deterministic, so a failure reproduces */
static uint64_t rnd_state = UINT64_C(0x9e3779b97f4a7c15);
static uint64_t rnd(void) {
        rnd_state ^= rnd_state >> 12;
        rnd_state ^= rnd_state << 25;
        rnd_state ^= rnd_state >> 27;
        return rnd_state * UINT64_C(2685821657736338717);
}

static void random_map(struct cpumap *m, unsigned ncpus) {
        unsigned style = (unsigned) (rnd() % 3), cpu = 0;

        cpumap_zero(m);
        while (cpu < ncpus) {
                switch (style) {
                case 0:                 /* sparse single CPUs */
                        cpu += 1 + (unsigned) (rnd() % 97);
                        cpumap_set(m, cpu < ncpus ? cpu : ncpus - 1);
                        break;
                case 1:                 /* dense: each CPU with p = 1/2 */
                        if (rnd() & 1)
                                cpumap_set(m, cpu);
                        cpu++;
                        break;
                default: {              /* runs of random length */
                        unsigned len = 1 + (unsigned) (rnd() % 40);

                        cpumap_set_range(m, cpu, cpu + len - 1 < ncpus ? cpu + len - 1 : ncpus - 1);
                        cpu += len + (unsigned) (rnd() % 40);
                        break;
                }
                }
        }
}

static void test_roundtrip_property(void **state) {

        for (int i = 0; i < 3000; i++) {
                unsigned ncpus = 1 + (unsigned) (rnd() % (i % 10 ? 300 : CPUMAP_MAX_CPUS));
                _cleanup_free_ char *list = NULL, *hex = NULL;
                struct cpumap m, back;

                random_map(&m, ncpus);
                assert_int_equal(cpulist_format_alloc(&m, &list), 0);
                assert_int_equal(cpulist_parse(list, ncpus, &back), 0);
                if (!cpumap_equal(&m, &back))
                        fail_msg("iteration %d: cpulist \"%s\" did not round-trip", i, list);

                assert_int_equal(cpumask_format_hex_alloc(&m, ncpus, &hex), 0);
                assert_int_equal(cpumask_parse_hex(hex, ncpus, &back), 0);
                if (!cpumap_equal(&m, &back))
                        fail_msg("iteration %d: hex \"%s\" did not round-trip", i, hex);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bit_ops),
                cmocka_unit_test(test_set_ops),
                cmocka_unit_test(test_cpulist_parse_valid),
                cmocka_unit_test(test_cpulist_parse_invalid),
                cmocka_unit_test(test_cpulist_parse_err_messages),
                cmocka_unit_test(test_cpulist_parse_lenient),
                cmocka_unit_test(test_cpulist_format),
                cmocka_unit_test(test_cpumask_parse_hex),
                cmocka_unit_test(test_cpumask_format_hex),
                cmocka_unit_test(test_roundtrip_property),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
