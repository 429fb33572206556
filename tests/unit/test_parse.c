/* test_parse.c — strict number and duration parsing (lib/parse.c). */
#include <errno.h>
#include <limits.h>

#include "parse.h"
#include "unit.h"

static void test_parse_uint_valid(void **state) {
        unsigned v = 7;

        assert_int_equal(parse_uint("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_uint("42", &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(parse_uint("007", &v), 0);
        assert_int_equal(v, 7);
        assert_int_equal(parse_uint("4294967295", &v), 0);
        assert_int_equal(v, UINT_MAX);
}

static void test_parse_uint_invalid(void **state) {
        static const struct {
                const char *s;
                int r;
        } cases[] = {
                { "", -EINVAL }, { "-1", -EINVAL }, { "+1", -EINVAL }, { " 1", -EINVAL },
                { "1 ", -EINVAL }, { "1\n", -EINVAL }, { "1x", -EINVAL }, { "0x10", -EINVAL },
                { "1.0", -EINVAL }, { "abc", -EINVAL },
                { "4294967296", -ERANGE }, { "99999999999999999999999", -ERANGE },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                unsigned v = 12345;

                assert_int_equal(parse_uint(cases[i].s, &v), cases[i].r);
                assert_int_equal(v, 12345);     /* untouched on failure */
        }
        assert_int_equal(parse_uint(NULL, &(unsigned){0}), -EINVAL);
        assert_int_equal(parse_uint("1", NULL), -EINVAL);
}

static void test_parse_u64(void **state) {
        uint64_t v = 1;

        assert_int_equal(parse_u64("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(parse_u64("4294967296", &v), 0);
        assert_true(v == UINT64_C(4294967296));
        v = 5;
        assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(parse_u64("-0", &v), -EINVAL);
        assert_int_equal(parse_u64("", &v), -EINVAL);
        assert_int_equal(v, 5);
}

static void test_parse_duration_valid(void **state) {
        static const struct {
                const char *s;
                uint64_t usec;
        } cases[] = {
                { "10s", 10 * USEC_PER_SEC }, { "500ms", 500 * USEC_PER_MSEC },
                { "2m", 120 * USEC_PER_SEC }, { "2min", 120 * USEC_PER_SEC },
                { "1h", 3600 * USEC_PER_SEC }, { "250us", 250 }, { "7", 7 * USEC_PER_SEC },
                { "0", 0 }, { "0ms", 0 },
                { "18446744073709551615us", UINT64_MAX },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t v = 1;

                assert_int_equal(parse_duration(cases[i].s, &v), 0);
                assert_true(v == cases[i].usec);
        }
}

static void test_parse_duration_invalid(void **state) {
        static const struct {
                const char *s;
                int r;
        } cases[] = {
                { "", -EINVAL }, { "s", -EINVAL }, { "10 s", -EINVAL }, { "10S", -EINVAL },
                { "1.5s", -EINVAL }, { "-1s", -EINVAL }, { "10sec", -EINVAL }, { "1m30s", -EINVAL },
                { " 1s", -EINVAL }, { "1s ", -EINVAL }, { "10d", -EINVAL },
                { "18446744073709551615s", -ERANGE }, { "5124095576030432h", -ERANGE },
                { "99999999999999999999ms", -ERANGE },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t v = 99;

                assert_int_equal(parse_duration(cases[i].s, &v), cases[i].r);
                assert_true(v == 99);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_uint_valid),
                cmocka_unit_test(test_parse_uint_invalid),
                cmocka_unit_test(test_parse_u64),
                cmocka_unit_test(test_parse_duration_valid),
                cmocka_unit_test(test_parse_duration_invalid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
