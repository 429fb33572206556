/* test_osnoise_decode.c — csd callback -> kind mapping and vector names
 * (lib/ipikind.c), trace text decoding and per-CPU noise accounting with
 * IPI attribution (lib/osnoise-decode.c): on a trace recorded in the VM
 * (tests/fixtures/cli/osnoise-csd-trace.txt, rt kernel, osnoise:* and
 * csd:csd_function_entry; its header says how it was made) and on a short
 * synthetic sequence for the cases a recording rarely shows. */
#include <errno.h>
#include <string.h>

#include "ipikind.h"
#include "osnoise-decode.h"
#include "unit.h"

static void test_kind_from_func(void **state) {
        assert_int_equal(ipi_kind_from_func("flush_tlb_func"), IPI_KIND_USER_FLUSH);
        assert_int_equal(ipi_kind_from_func("flush_tlb_func+0x0/0x1e0"), IPI_KIND_USER_FLUSH);
        assert_int_equal(ipi_kind_from_func("do_flush_tlb_all"), IPI_KIND_KERNEL_FLUSH);
        assert_int_equal(ipi_kind_from_func("do_kernel_range_flush"), IPI_KIND_KERNEL_FLUSH);
        assert_int_equal(ipi_kind_from_func("tlb_remove_table_smp_sync"), IPI_KIND_TABLE_SYNC);
        assert_int_equal(ipi_kind_from_func("do_sync_core"), IPI_KIND_TEXT_POKE);
        assert_int_equal(ipi_kind_from_func("flush_tlb_func_extra"), IPI_KIND_OTHER);
        assert_int_equal(ipi_kind_from_func("flush_tlb"), IPI_KIND_OTHER);
        assert_int_equal(ipi_kind_from_func("foo [tlbisol]"), IPI_KIND_OTHER);
        assert_int_equal(ipi_kind_from_func(""), IPI_KIND_OTHER);
        assert_int_equal(ipi_kind_from_func(NULL), IPI_KIND_OTHER);
        assert_string_equal(ipi_kind_name(IPI_KIND_USER_FLUSH), "user_tlb_flush");
        assert_string_equal(ipi_kind_name(IPI_KIND_OTHER), "other");
        assert_null(ipi_kind_name(_IPI_KIND_MAX));
        assert_string_equal(ipi_kind_label(IPI_KIND_KERNEL_FLUSH), "kernel TLB flush");
}

static void test_vectors(void **state) {
        const struct ipi_vector *v;
        unsigned n;

        assert_true(ipi_vectors(&n) != NULL);
        assert_true(n <= NOISE_VECTORS_MAX);
        v = ipi_vector_by_desc("call_function_single");
        assert_non_null(v);
        assert_string_equal(v->row, "CAL");
        assert_true(v->call_function);
        v = ipi_vector_by_desc("reschedule");
        assert_string_equal(v->row, "RES");
        assert_false(v->call_function);
        assert_string_equal(ipi_vector_by_desc("local_timer")->row, "LOC");
        assert_string_equal(ipi_vector_by_desc("irq_work")->row, "IWI");
        assert_null(ipi_vector_by_desc("eth0-rx-3"));
        assert_null(ipi_vector_by_desc(NULL));
        assert_int_equal(ipi_vector_index(ipi_vector_by_desc("call_function")), 0);
}

static void test_parse_lines(void **state) {
        struct noise_event ev;
        char buf[64];

        assert_int_equal(noise_event_parse_line(
                "  <idle>-0  [002] d.h1.  123.456789: irq_noise: call_function:251 start 123.456780123 duration 5432 ns",
                &ev, buf, sizeof(buf)), 1);
        assert_int_equal(ev.type, NOISE_EV_IRQ);
        assert_int_equal(ev.cpu, 2);
        assert_int_equal(ev.ts, UINT64_C(123456789000));
        assert_int_equal(ev.start, UINT64_C(123456780123));
        assert_int_equal(ev.duration, 5432);
        assert_int_equal(ev.vector, 251);
        assert_string_equal(ev.name, "call_function");

        /* a comm with ':' and no flags column */
        assert_int_equal(noise_event_parse_line(
                "kworker/2:1-88 [002] 5.000001: thread_noise: kworker/2:1:88 start 5.000000000 duration 10 ns",
                &ev, buf, sizeof(buf)), 1);
        assert_int_equal(ev.type, NOISE_EV_THREAD);
        assert_string_equal(ev.name, "kworker/2:1");
        assert_int_equal(ev.pid, 88);

        assert_int_equal(noise_event_parse_line(
                "x-1 [000] d.h1. 1.000000: csd_function_entry: func=do_sync_core+0x0/0x20, csd=0000000012345678",
                &ev, buf, sizeof(buf)), 1);
        assert_int_equal(ev.type, NOISE_EV_CSD_ENTRY);
        assert_string_equal(ev.name, "do_sync_core+0x0/0x20");

        assert_int_equal(noise_event_parse_line("# tracer: osnoise", &ev, buf, sizeof(buf)), 0);
        assert_int_equal(noise_event_parse_line("", &ev, buf, sizeof(buf)), 0);
        assert_int_equal(noise_event_parse_line(
                "x-1 [000] d.h1. 1.000000: sched_switch: prev_comm=a", &ev, buf, sizeof(buf)), 0);
        /* an osnoise event that does not parse is an error, not a skip */
        assert_int_equal(noise_event_parse_line(
                "x-1 [000] d.h1. 1.000000: irq_noise: call_function:251 start 1.0 duration ns",
                &ev, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(noise_event_parse_line(
                "x-1 [000] d.h1. 1.000000: irq_noise: nocolon start 1.000000000 duration 5 ns",
                &ev, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(noise_event_parse_line(
                "x-1 [000] d.h1. 1.000000: csd_function_entry: csd=0", &ev, buf, sizeof(buf)), -EINVAL);
        /* name longer than the buffer */
        assert_int_equal(noise_event_parse_line(
                "x-1 [000] d.h1. 1.000000: irq_noise: a-very-long-interrupt-name:45 start 1.000000000 duration 5 ns",
                &ev, buf, 8), -EINVAL);
}

/* Edge cases a recorded trace rarely shows, written by hand in the kernel's
 * layout (synthetic: made-up csd addresses and timestamps): two kernel-flush
 * callbacks in one IPI, a table sync, a text poke, an "other" callback, a
 * flush_tlb_func run locally (outside any IPI), a call-function IPI without
 * csd events, device IRQs, NMI, softirq, thread noise of a kworker and of
 * the workload (pid 512), events of a CPU not measured. */
static const char synthetic_trace[] =
        "      cli_tlbipi-512     [002] d.h1.   100.000010: csd_function_entry: func=flush_tlb_func, csd=00000000c0ffee00\n"
        "      cli_tlbipi-512     [002] d.h1.   100.000012: irq_noise: call_function_single:251 start 100.000008500 duration 4500 ns\n"
        "      cli_tlbipi-512     [002] d.h1.   100.001010: csd_function_entry: func=flush_tlb_func, csd=00000000c0ffee00\n"
        "      cli_tlbipi-512     [002] d.h1.   100.001013: irq_noise: call_function:252 start 100.001009000 duration 5000 ns\n"
        "      cli_tlbipi-512     [002] d.h1.   100.002001: csd_function_entry: func=do_flush_tlb_all, csd=00000000c0ffee40\n"
        "      cli_tlbipi-512     [002] d.h1.   100.002003: csd_function_entry: func=do_kernel_range_flush+0x0/0x50, csd=00000000c0ffee80\n"
        "      cli_tlbipi-512     [002] d.h1.   100.002009: irq_noise: call_function:252 start 100.002000000 duration 9000 ns\n"
        "      cli_tlbipi-512     [002] d.h1.   100.003001: csd_function_entry: func=tlb_remove_table_smp_sync, csd=00000000c0ffeec0\n"
        "      cli_tlbipi-512     [002] d.h1.   100.003002: irq_noise: call_function:252 start 100.003000500 duration 2000 ns\n"
        "      cli_tlbipi-512     [002] d.h1.   100.004001: csd_function_entry: func=do_sync_core, csd=00000000c0ffef00\n"
        "      cli_tlbipi-512     [002] d.h1.   100.004003: irq_noise: call_function:252 start 100.004000000 duration 3000 ns\n"
        "      cli_tlbipi-512     [002] d.h1.   100.005001: csd_function_entry: func=nohz_full_kick_func, csd=00000000c0ffef40\n"
        "      cli_tlbipi-512     [002] d.h1.   100.005002: irq_noise: call_function_single:251 start 100.005000000 duration 1500 ns\n"
        "      cli_tlbipi-512     [002] d....   100.006000: csd_function_entry: func=flush_tlb_func, csd=00000000c0ffef80\n"
        "      cli_tlbipi-512     [002] d.h1.   100.007004: irq_noise: local_timer:236 start 100.007000000 duration 4000 ns\n"
        "      cli_tlbipi-512     [002] d.Z1.   100.008000: nmi_noise: start 100.007999000 duration 800 ns\n"
        "      cli_tlbipi-512     [002] ..s1.   100.009010: softirq_noise:    TIMER:1 start 100.009000000 duration 10000 ns\n"
        "     kworker/2:1-88      [002] d..2.   100.010030: thread_noise: kworker/2:1:88 start 100.010000000 duration 30000 ns\n"
        "      cli_tlbipi-512     [002] d..2.   100.011000: thread_noise: cli_tlbipi:512 start 100.000000000 duration 11000000 ns\n"
        "     tlbctl-busy-600     [003] d.h1.   100.000500: irq_noise: eth0-rx-3:45 start 100.000480000 duration 20000 ns\n"
        "     tlbctl-busy-600     [003] d.h1.   100.001500: irq_noise: call_function:252 start 100.001498000 duration 2500 ns\n"
        "     tlbctl-busy-600     [003] d.h1.   100.002500: irq_noise: eth0-rx-3:45 start 100.002490000 duration 10000 ns\n"
        "          <idle>-0       [001] d.h1.   100.000500: irq_noise: call_function:252 start 100.000480000 duration 20000 ns\n"
        "          <idle>-0       [001] d.h1.   100.000490: csd_function_entry: func=flush_tlb_func, csd=00000000c0ffee00\n"
        "          <idle>-0       [001] d.h1.   100.000600: sched_switch: prev_comm=swapper/1 prev_pid=0\n";

/* workload: thread ids, ending with 0 */
static struct noise_acc *replay_text(char *text, const char *cpus, const int *workload) {
        struct noise_acc *a = NULL;
        struct cpumap m;
        char *save = NULL;

        assert_int_equal(cpulist_parse(cpus, 0, &m), 0);
        assert_int_equal(noise_acc_new(&m, &a), 0);
        for (; *workload; workload++)
                assert_int_equal(noise_acc_workload_pid(a, *workload), 0);
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct noise_event ev;
                char buf[128];
                int r = noise_event_parse_line(line, &ev, buf, sizeof(buf));

                assert_true(r >= 0);
                if (r == 1)
                        assert_int_equal(noise_acc_add(a, &ev), 0);
        }
        noise_acc_finish(a);
        return a;
}

static struct noise_acc *replay_synthetic(const char *cpus, int workload_pid) {
        _cleanup_free_ char *text = strdup(synthetic_trace);
        const int pids[] = { workload_pid, 0 };

        assert_non_null(text);
        return replay_text(text, cpus, pids);
}

static void test_synthetic_attribution(void **state) {
        _cleanup_(noise_acc_freep) struct noise_acc *a =
                replay_synthetic("2-3", 512);
        const struct noise_cpu *c2 = noise_acc_cpu(a, 2), *c3 = noise_acc_cpu(a, 3);
        int cf = ipi_vector_index(ipi_vector_by_desc("call_function"));
        int cfs = ipi_vector_index(ipi_vector_by_desc("call_function_single"));
        int loc = ipi_vector_index(ipi_vector_by_desc("local_timer"));

        assert_non_null(c2);
        assert_non_null(c3);
        assert_null(noise_acc_cpu(a, 1));       /* not measured: ignored */

        /* CPU 2: 6 call-function IPIs (4 + 2 single) */
        assert_int_equal(c2->vector[cf].count, 4);
        assert_int_equal(c2->vector[cfs].count, 2);
        assert_int_equal(c2->vector[cf].max_ns, 9000);
        assert_int_equal(c2->vector[loc].count, 1);
        assert_int_equal(c2->kind[IPI_KIND_USER_FLUSH].count, 2);
        assert_int_equal(c2->kind[IPI_KIND_USER_FLUSH].total_ns, 9500);
        /* one IPI ran two kernel-flush callbacks: one IPI, two runs */
        assert_int_equal(c2->kind[IPI_KIND_KERNEL_FLUSH].count, 1);
        assert_int_equal(c2->csd_runs[IPI_KIND_KERNEL_FLUSH], 2);
        assert_int_equal(c2->kind[IPI_KIND_TABLE_SYNC].count, 1);
        assert_int_equal(c2->kind[IPI_KIND_TEXT_POKE].count, 1);
        assert_int_equal(c2->kind[IPI_KIND_OTHER].count, 1);
        /* the local flush_tlb_func at 100.006 ran outside an IPI */
        assert_int_equal(c2->csd_runs[IPI_KIND_USER_FLUSH], 2);
        assert_int_equal(c2->unattributed.count, 0);
        assert_int_equal(c2->csd_events, 8);
        /* classes; the workload's own thread_noise (pid 512) is not noise */
        assert_int_equal(c2->workload.count, 1);
        assert_int_equal(c2->workload.total_ns, 11000000);
        assert_int_equal(c2->irq.count, 7);
        assert_int_equal(c2->nmi.count, 1);
        assert_int_equal(c2->softirq.count, 1);
        assert_int_equal(c2->thread.count, 1);
        assert_int_equal(c2->nthreads, 1);
        assert_string_equal(c2->threads[0].name, "kworker/2:1");
        assert_int_equal(c2->total_ns, 4500 + 5000 + 9000 + 2000 + 3000 + 1500 + 4000 + 800 + 10000 + 30000);
        assert_int_equal(c2->max_ns, 30000);

        /* CPU 3: a device IRQ twice, one call-function IPI with no csd */
        assert_int_equal(c3->device_irq.count, 2);
        assert_int_equal(c3->ndevirqs, 1);
        assert_string_equal(c3->devirqs[0].name, "eth0-rx-3");
        assert_int_equal(c3->devirqs[0].st.total_ns, 30000);
        assert_int_equal(c3->devirqs[0].st.max_ns, 20000);
        assert_int_equal(c3->vector[cf].count, 1);
        assert_int_equal(c3->unattributed.count, 1);
        assert_int_equal(c3->max_ns, 20000);
}

/* The expected figures were counted from the trace text independently of
 * the decoder (grep/awk by CPU, event and func=). */
static void test_recorded_trace(void **state) {
        /* the cli_tlbipi spinner (twice: harmless) and busyloop */
        static const int workload[] = { 687, 687, 684, 0 };
        _cleanup_free_ char *text = fixture_read("cli/osnoise-csd-trace.txt");
        _cleanup_(noise_acc_freep) struct noise_acc *a = replay_text(text, "2-3", workload);
        const struct noise_cpu *c2 = noise_acc_cpu(a, 2), *c3 = noise_acc_cpu(a, 3);
        int cf = ipi_vector_index(ipi_vector_by_desc("call_function"));
        int cfs = ipi_vector_index(ipi_vector_by_desc("call_function_single"));
        int loc = ipi_vector_index(ipi_vector_by_desc("local_timer"));
        int res = ipi_vector_index(ipi_vector_by_desc("reschedule"));

        /* CPU 2: each munmap() of cli_tlbipi is one call_function_single
         * IPI running flush_tlb_func; each of the 10 purges one
         * call_function IPI (9 do_kernel_range_flush, 1 do_flush_tlb_all) */
        assert_int_equal(c2->vector[cfs].count, 29);
        assert_int_equal(c2->vector[cf].count, 10);
        assert_int_equal(c2->vector[loc].count, 5);
        assert_int_equal(c2->vector[res].count, 2);
        assert_int_equal(c2->kind[IPI_KIND_USER_FLUSH].count, 27);
        assert_int_equal(c2->csd_runs[IPI_KIND_USER_FLUSH], 27);
        /* 2 of these 10 csd entries lie 1.6 and 2.5 us before the IPI's
         * [ts - duration]: matching by time lost them */
        assert_int_equal(c2->kind[IPI_KIND_KERNEL_FLUSH].count, 10);
        assert_int_equal(c2->csd_runs[IPI_KIND_KERNEL_FLUSH], 10);
        assert_int_equal(c2->unattributed.count, 2);    /* cfs without csd (TTWU) */
        assert_int_equal(c2->kind[IPI_KIND_OTHER].count, 0);
        assert_int_equal(c2->csd_events, 37);
        assert_int_equal(c2->csd_local, 0);
        assert_int_equal(c2->npending, 0);              /* finish() */
        /* thread noise: ktimers/2 twice, rcuc/2 once; the spinner is workload */
        assert_int_equal(c2->thread.count, 3);
        assert_int_equal(c2->workload.count, 2);
        for (size_t i = 0; i < c2->nthreads; i++)
                assert_string_not_equal(c2->threads[i].name, "cli_tlbipi");

        /* CPU 3: no user flushes (cli_tlbipi's mm is not there), the same
         * 10 kernel flushes, idle (swapper/3) is not noise, busyloop is
         * workload */
        assert_int_equal(c3->vector[cf].count, 10);
        assert_int_equal(c3->vector[cfs].count, 4);
        assert_int_equal(c3->vector[res].count, 12);
        assert_int_equal(c3->kind[IPI_KIND_USER_FLUSH].count, 0);
        assert_int_equal(c3->kind[IPI_KIND_KERNEL_FLUSH].count, 10);
        assert_int_equal(c3->unattributed.count, 4);
        assert_int_equal(c3->workload.count, 11);
        assert_int_equal(c3->thread.count, 2);
        assert_int_equal(c3->nthreads, 1);
        assert_string_equal(c3->threads[0].name, "ktimers/3");
        assert_true(c3->workload.total_ns > c3->total_ns);
}

static void test_without_ignore(void **state) {
        _cleanup_(noise_acc_freep) struct noise_acc *a =
                replay_synthetic("2", 0);

        assert_int_equal(noise_acc_cpu(a, 2)->thread.count, 2);
        assert_int_equal(noise_acc_cpu(a, 2)->workload.count, 0);
        assert_int_equal(noise_acc_cpu(a, 2)->max_ns, 11000000);
        assert_null(noise_acc_cpu(a, 3));
}

static void test_window(void **state) {
        _cleanup_(noise_acc_freep) struct noise_acc *a = NULL;
        struct noise_event ev = { .type = NOISE_EV_THREAD, .cpu = 0, .pid = 7, .name = "k",
                                  .ts = 5000, .duration = 4500 };
        struct cpumap m;

        cpumap_zero(&m);
        cpumap_set(&m, 0);
        assert_int_equal(noise_acc_new(&m, &a), 0);
        noise_acc_set_window(a, 2000, 9000);
        assert_int_equal(noise_acc_add(a, &ev), 0);    /* began at 500: clipped */
        ev.ts = 9500;                                   /* after the window */
        assert_int_equal(noise_acc_add(a, &ev), 0);
        ev.ts = 1500;                                   /* before */
        assert_int_equal(noise_acc_add(a, &ev), 0);
        ev.ts = 6000;                                   /* idle is not noise */
        ev.pid = 0;
        assert_int_equal(noise_acc_add(a, &ev), 0);
        assert_int_equal(noise_acc_cpu(a, 0)->thread.count, 1);
        assert_int_equal(noise_acc_cpu(a, 0)->total_ns, 3000);
}

static void test_samples_and_overflow(void **state) {
        _cleanup_(noise_acc_freep) struct noise_acc *a = NULL;
        struct noise_event ev = { .type = NOISE_EV_SAMPLE, .cpu = 0,
                                  .runtime = 1000000000, .noise = 5000, .max_sample = 3000 };
        struct cpumap m;

        cpumap_zero(&m);
        cpumap_set(&m, 0);
        assert_int_equal(noise_acc_new(&m, &a), 0);
        assert_int_equal(noise_acc_add(a, &ev), 0);
        ev.noise = 7000;
        ev.max_sample = 6000;
        assert_int_equal(noise_acc_add(a, &ev), 0);
        /* more csd entries than fit: the oldest are dropped, no overflow */
        for (unsigned i = 0; i < 2 * NOISE_PENDING_MAX; i++) {
                struct noise_event c = { .type = NOISE_EV_CSD_ENTRY, .cpu = 0, .ts = 1000 + i,
                                         .name = "flush_tlb_func" };

                assert_int_equal(noise_acc_add(a, &c), 0);
        }
        assert_int_equal(noise_acc_cpu(a, 0)->npending, NOISE_PENDING_MAX);
        ev = (struct noise_event) { .type = NOISE_EV_IRQ, .cpu = 0, .ts = 1000 + 2 * NOISE_PENDING_MAX,
                                    .duration = 2 * NOISE_PENDING_MAX, .name = "call_function" };
        assert_int_equal(noise_acc_add(a, &ev), 0);
        assert_int_equal(noise_acc_cpu(a, 0)->kind[IPI_KIND_USER_FLUSH].count, 1);
        assert_int_equal(noise_acc_cpu(a, 0)->csd_runs[IPI_KIND_USER_FLUSH], NOISE_PENDING_MAX);
        ev.type = 99;
        assert_int_equal(noise_acc_add(a, &ev), -EINVAL);
        noise_acc_finish(a);
        assert_int_equal(noise_acc_cpu(a, 0)->nsamples, 2);
        assert_int_equal(noise_acc_cpu(a, 0)->total_ns, 12000);        /* samples win */
        assert_int_equal(noise_acc_cpu(a, 0)->max_ns, 6000);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kind_from_func),
                cmocka_unit_test(test_vectors),
                cmocka_unit_test(test_parse_lines),
                cmocka_unit_test(test_recorded_trace),
                cmocka_unit_test(test_synthetic_attribution),
                cmocka_unit_test(test_without_ignore),
                cmocka_unit_test(test_window),
                cmocka_unit_test(test_samples_and_overflow),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
