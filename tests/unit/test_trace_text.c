/* test_trace_text.c — lib/trace-text: the tracefs text-line grammar both
 * recorded-trace readers use (osnoise-decode.c, attrib-text.c), and
 * lib/measure-window. Lines the kernel prints, lines it does not (refused
 * or skipped), and the edges: a comm with blanks and '-', no flags column,
 * NUM over INT32_MAX, a number that does not end at " start ". No root. */
#include <errno.h>
#include <string.h>

#include "measure-window.h"
#include "trace-text.h"
#include "unit.h"

static void test_line(void **state) {
        struct trace_line l;

        assert_int_equal(trace_text_line("  kworker/u8:1-my-45  [002] d.h1.  123.456789: irq_noise: "
                                         "call_function:251 start 123.456780123 duration 5432 ns", &l), 1);
        assert_int_equal((int) l.comm_len, (int) strlen("kworker/u8:1-my"));
        assert_memory_equal(l.comm, "kworker/u8:1-my", l.comm_len);
        assert_int_equal(l.pid, 45);
        assert_int_equal(l.cpu, 2);
        assert_true(l.ts == UINT64_C(123456789000));
        assert_true(l.has_flags && l.in_hardirq && !l.in_softirq);
        assert_true(trace_line_is(&l, "irq_noise"));
        assert_false(trace_line_is(&l, "irq_nois"));
        assert_string_equal(l.payload, "call_function:251 start 123.456780123 duration 5432 ns");

        /* a comm with blanks, no flags column, "H": hardirq inside softirq */
        assert_int_equal(trace_text_line("Web Content-7 [000] 5.000000001: sched_waking: comm=x pid=1", &l), 1);
        assert_true(!l.has_flags && !l.in_hardirq);
        assert_memory_equal(l.comm, "Web Content", l.comm_len);
        assert_true(l.ts == UINT64_C(5000000001));
        assert_int_equal(trace_text_line("<idle>-0 [003] d.H2. 1.5: csd_function_entry: func=x, csd=1", &l), 1);
        assert_true(l.in_hardirq && l.in_softirq);
        assert_int_equal(trace_text_line("<idle>-0 [003] ..s2. 1.5: csd_function_entry: func=x, csd=1", &l), 1);
        assert_true(!l.in_hardirq && l.in_softirq);
}

static void test_line_skipped(void **state) {
        static const char *const skip[] = {
                "# tracer: nop",
                "",
                "   ",
                " => flush_tlb_func+0x0/0x20 [x-1]",            /* stack frame */
                "  bash-12  [001] d.... 1.0: <stack trace>",      /* no event payload */
                "  bash  [001] d.... 1.0: irq_noise: a:1 start 1.0 duration 1 ns",     /* no pid */
                "  bash-12  [99999] d.... 1.0: irq_noise: a:1 start 1.0 duration 1 ns", /* CPU too large */
                "  bash-12  [001] d.... x.0: irq_noise: a:1 start 1.0 duration 1 ns",  /* no timestamp */
        };
        struct trace_line l = { .pid = -7 };

        for (size_t i = 0; i < ELEMENTSOF(skip); i++) {
                assert_int_equal(trace_text_line(skip[i], &l), 0);
                assert_int_equal(l.pid, -7);            /* untouched */
        }
}

static void test_noise_payload(void **state) {
        struct trace_noise n;

        /* thread_noise prints comm with %8s: leading blanks; NAME may hold ':' */
        assert_int_equal(trace_text_noise("  kworker/2:1:87 start 68.200000000 duration 92762 ns", true, &n), 0);
        assert_memory_equal(n.name, "kworker/2:1", n.name_len);
        assert_int_equal((int) n.name_len, 11);
        assert_int_equal(n.num, 87);
        assert_true(n.start_ns == UINT64_C(68200000000) && n.duration_ns == 92762);
        assert_int_equal(trace_text_noise("start 1.000001 duration 7 ns", false, &n), 0);
        assert_null(n.name);
        assert_true(n.start_ns == UINT64_C(1000001000) && n.duration_ns == 7);

        assert_int_equal(trace_text_noise("a:2147483648 start 1.0 duration 1 ns", true, &n), -EINVAL);
        assert_int_equal(trace_text_noise("a:12x start 1.0 duration 1 ns", true, &n), -EINVAL);
        assert_int_equal(trace_text_noise("a start 1.0 duration 1 ns", true, &n), -EINVAL);
        assert_int_equal(trace_text_noise("a:1 start 1 duration 1 ns", true, &n), -EINVAL);
        assert_int_equal(trace_text_noise("a:1 start 1.0 duration 1 us", true, &n), -EINVAL);
        assert_int_equal(trace_text_noise("a:1 start 1.0 duration ns", true, &n), -EINVAL);
}

static void test_numbers(void **state) {
        unsigned long long v;
        const char *end;
        uint64_t ns;

        assert_int_equal(trace_text_ull("ff,", 16, &end, &v), 0);
        assert_true(v == 255 && *end == ',');
        assert_int_equal(trace_text_ull("ff", 10, &end, &v), -EINVAL);
        assert_int_equal(trace_text_ull("-1", 10, &end, &v), -EINVAL);
        assert_int_equal(trace_text_ull("99999999999999999999999", 10, &end, &v), -ERANGE);
        assert_int_equal(trace_text_time("3.1234567891", &end, &ns), 0);  /* beyond ns: dropped */
        assert_true(ns == UINT64_C(3123456789) && *end == 0);
        assert_int_equal(trace_text_time("3.", &end, &ns), -EINVAL);
}

static void test_window(void **state) {
        struct measure_window w = {};

        assert_true(measure_window_has(&w, 1));         /* no window: all count */
        measure_window_set(&w, 100, 200);
        assert_false(measure_window_has(&w, 99));
        assert_true(measure_window_has(&w, 100) && measure_window_has(&w, 200));
        assert_false(measure_window_has(&w, 201));
        assert_false(measure_window_is_workload(&w, 7));
        assert_int_equal(measure_window_add_workload(&w, 7), 0);
        assert_int_equal(measure_window_add_workload(&w, 7), 0);
        assert_int_equal((int) w.nworkload, 1);
        assert_true(measure_window_is_workload(&w, 7));
        assert_false(measure_window_is_workload(&w, 8));
        measure_window_done(&w);
        assert_null(w.workload);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_line),
                cmocka_unit_test(test_line_skipped),
                cmocka_unit_test(test_noise_payload),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_window),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
