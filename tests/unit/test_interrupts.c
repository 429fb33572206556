/* test_interrupts.c — /proc/interrupts parsing and deltas
 * (lib/interrupts.c, lib/interrupts-delta.c) on tests/fixtures/interrupts. */
#include <errno.h>
#include <string.h>

#include "interrupts.h"
#include "unit.h"

static struct interrupts *parse_fixture(const char *name) {
        _cleanup_free_ char *rel = NULL, *text = NULL;
        struct interrupts *ints = NULL;

        assert_true(asprintf(&rel, "interrupts/%s", name) >= 0);
        text = fixture_read(rel);
        assert_int_equal(interrupts_parse(text, &ints), 0);
        assert_non_null(ints);
        return ints;
}

static const struct irq_row *find(const struct interrupts *ints, const char *name) {
        const struct irq_row *row = interrupts_find(ints, name);

        if (!row)
                fail_msg("row \"%s\" not found", name);
        return row;
}

static void test_x86_2cpu(void **state) {
        _cleanup_(interrupts_freep) struct interrupts *ints = parse_fixture("x86-2cpu.txt");
        const struct irq_row *row;

        assert_int_equal(ints->ncols, 2);
        assert_int_equal(ints->cpus[0], 0);
        assert_int_equal(ints->cpus[1], 1);
        assert_int_equal(cpumap_count(&ints->online), 2);
        assert_int_equal(ints->nrows, 10 + 19);

        row = find(ints, "24");
        assert_true(row->numeric);
        assert_int_equal(row->irq, 24);
        assert_true(row->per_cpu);
        assert_int_equal(irq_row_count(row, 0), 0);
        assert_int_equal(irq_row_count(row, 1), 5);
        assert_string_equal(row->chip, "IR-PCI-MSI-0000:00:1f.2");
        assert_string_equal(row->actions, "ahci[0000:00:1f.2]");
        assert_string_equal(row->desc, "IR-PCI-MSI-0000:00:1f.2   0-edge      ahci[0000:00:1f.2]");
        assert_ptr_equal(interrupts_find_irq(ints, 24), row);

        row = find(ints, "16");
        assert_string_equal(row->chip, "IO-APIC");
        assert_string_equal(row->actions, "ehci_hcd:usb1, i801_smbus");

        row = find(ints, "CAL");
        assert_false(row->numeric);
        assert_null(row->chip);
        assert_null(row->actions);
        assert_string_equal(row->desc, "Function call interrupts");
        assert_int_equal(irq_row_count(row, 0), 4711);
        assert_int_equal(irq_row_count(row, 1), 206);
        assert_int_equal(irq_row_count(row, 2), 0);     /* no such column */
        assert_int_equal(irq_row_total(row), 4917);

        row = find(ints, "LOC");
        assert_int_equal(irq_row_count(row, 1), 2345678);
        row = find(ints, "ERR");
        assert_false(row->per_cpu);
        assert_string_equal(row->desc, "");
        assert_int_equal(irq_row_total(row), 0);
        assert_int_equal(irq_row_count(row, 0), 0);
        assert_non_null(find(ints, "PIW"));

        assert_null(interrupts_find(ints, "XYZ"));
        assert_null(interrupts_find(ints, "2"));
        assert_null(interrupts_find_irq(ints, 2));
        assert_null(interrupts_find(NULL, "CAL"));
}

static void test_x86_64cpu(void **state) {
        _cleanup_(interrupts_freep) struct interrupts *ints = parse_fixture("x86-64cpu.txt");
        const struct irq_row *row;
        struct cpumap low;

        assert_int_equal(ints->ncols, 64);
        assert_int_equal(ints->cpus[63], 63);
        assert_int_equal(ints->nrows, 6 + 64 + 19);

        /* NIC queue q is bound to CPU q only */
        for (unsigned q = 0; q < 64; q++) {
                row = interrupts_find_irq(ints, 100 + q);
                assert_non_null(row);
                assert_true(irq_row_count(row, q) > 0);
                assert_int_equal(irq_row_total(row), irq_row_count(row, q));
                assert_string_equal(row->chip, "IR-PCI-MSIX-0000:3b:00.0");
        }
        row = find(ints, "163");
        assert_string_equal(row->actions, "ice-0000:3b:00.0-TxRx-63");

        row = find(ints, "CAL");
        assert_int_equal(irq_row_count(row, 63), 4294967295u);
        assert_int_equal(irq_row_count(row, 10), 1010);
        cpumap_zero(&low);
        cpumap_set_range(&low, 0, 3);
        cpumap_set(&low, 200);                          /* no column: ignored */
        assert_int_equal(irq_row_sum(row, &low), 1000 + 1001 + 1002 + 1003);

        row = find(ints, "MIS");
        assert_false(row->per_cpu);
        assert_int_equal(irq_row_total(row), 17);
        assert_int_equal(irq_row_sum(row, NULL), 0);
}

static void test_offline_column(void **state) {
        _cleanup_(interrupts_freep) struct interrupts *ints = parse_fixture("x86-4cpu-offline.txt");
        const struct irq_row *row;
        char list[16];

        assert_int_equal(ints->ncols, 3);
        assert_int_equal(cpulist_format(&ints->online, list, sizeof(list)), 0);
        assert_string_equal(list, "0-1,3");

        row = find(ints, "CAL");
        assert_int_equal(irq_row_count(row, 1), 600);
        assert_int_equal(irq_row_count(row, 2), 0);
        assert_int_equal(irq_row_count(row, 3), 9);
        row = find(ints, "30");
        assert_int_equal(irq_row_count(row, 3), 77);
        assert_string_equal(row->actions, "xhci_hcd");

        /* Intel without AMD MCE: these rows are simply missing */
        assert_null(interrupts_find(ints, "THR"));
        assert_null(interrupts_find(ints, "DFR"));
        assert_non_null(find(ints, "MCP"));
}

static void test_arm64(void **state) {
        _cleanup_(interrupts_freep) struct interrupts *ints = parse_fixture("arm64-4cpu.txt");
        const struct irq_row *row;

        assert_int_equal(ints->ncols, 4);
        row = find(ints, "IPI1");
        assert_false(row->numeric);
        assert_int_equal(irq_row_count(row, 2), 206);
        assert_string_equal(row->desc, "Function call interrupts");
        row = find(ints, "11");
        assert_string_equal(row->chip, "GICv3");
        assert_string_equal(row->actions, "arch_timer");
        row = find(ints, "Err");
        assert_false(row->per_cpu);
        assert_int_equal(irq_row_total(row), 0);
}

static void test_minimal_and_malformed(void **state) {
        static const char *const bad[] = {
                "",
                "\n\n",
                "           CPU0       CPUx\n",
                "   foo\n",
                "           CPU1       CPU0\n",              /* not ascending */
                "           CPU0       CPU0\n",
                "           CPU0       CPU1\n  0:          5   IO-APIC   2-edge      timer\n",
                "           CPU0       CPU1\n  0          5          6\n",
                "           CPU0       CPU1\n   :          5          6\n",
                "           CPU0       CPU1\n  0:          5          6x\n",
                "           CPU0       CPU1\n  0:          5\n",  /* numeric row with a total */
                "           CPU9000\n",
                "           CPU0       CPU1\n  0:          5 99999999999999999999999\n",
        };
        struct interrupts *ints = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (interrupts_parse(bad[i], &ints) != -EINVAL)
                        fail_msg("case %zu was not rejected", i);
        assert_null(ints);                              /* untouched */

        assert_int_equal(interrupts_parse("  CPU0 CPU1\n", &ints), 0);
        assert_int_equal(ints->ncols, 2);
        assert_int_equal(ints->nrows, 0);
        interrupts_free(ints);

        /* single CPU: "ERR: 0" fills the only column */
        assert_int_equal(interrupts_parse("      CPU0\nLOC:  7  Local timer interrupts\nERR:  0\n",
                                          &ints), 0);
        assert_int_equal(irq_row_count(interrupts_find(ints, "LOC"), 0), 7);
        assert_non_null(interrupts_find(ints, "ERR"));
        interrupts_free(ints);
        interrupts_free(NULL);
}

static void test_delta(void **state) {
        _cleanup_(interrupts_freep) struct interrupts *a = parse_fixture("x86-4cpu-before.txt");
        _cleanup_(interrupts_freep) struct interrupts *b = parse_fixture("x86-4cpu-after.txt");
        _cleanup_(interrupts_freep) struct interrupts *d = NULL;
        const struct irq_row *row;

        assert_int_equal(interrupts_delta(a, b, &d), 0);
        assert_int_equal(d->ncols, 4);                  /* the columns of "after" */
        assert_int_equal(d->nrows, b->nrows);

        row = find(d, "0");
        assert_false(row->no_baseline);
        assert_int_equal(irq_row_count(row, 0), 10);
        assert_null(interrupts_find(d, "30"));          /* gone since */

        row = find(d, "31");                            /* new since */
        assert_true(row->no_baseline);
        assert_int_equal(irq_row_count(row, 1), 7);
        assert_string_equal(row->actions, "iwlwifi");

        row = find(d, "40");                            /* number reused by another device */
        assert_true(row->no_baseline);
        assert_int_equal(irq_row_count(row, 0), 3);

        row = find(d, "CAL");
        assert_false(row->no_baseline);
        assert_int_equal(irq_row_count(row, 0), 250);
        assert_int_equal(irq_row_count(row, 1), 0);
        assert_int_equal(irq_row_count(row, 2), 0);     /* came online: no baseline */
        assert_int_equal(irq_row_count(row, 3), 10);    /* 32-bit wrap */
        assert_int_equal(irq_row_count(find(d, "LOC"), 2), 0);
        assert_int_equal(irq_row_total(find(d, "ERR")), 2);
}

static void test_delta_same_and_shrinking(void **state) {
        _cleanup_(interrupts_freep) struct interrupts *a = parse_fixture("x86-64cpu.txt");
        _cleanup_(interrupts_freep) struct interrupts *d = NULL, *back = NULL;
        _cleanup_(interrupts_freep) struct interrupts *b = parse_fixture("x86-4cpu-after.txt");
        struct interrupts *untouched = NULL;

        assert_int_equal(interrupts_delta(a, a, &d), 0);
        for (size_t i = 0; i < d->nrows; i++) {
                assert_false(d->rows[i].no_baseline);
                assert_int_equal(irq_row_total(&d->rows[i]), 0);
        }

        /* 64 columns before, 4 after: only the 4 remain */
        assert_int_equal(interrupts_delta(a, b, &back), 0);
        assert_int_equal(back->ncols, 4);
        assert_int_equal(irq_row_count(find(back, "CAL"), 3), 4 - 1003 + (UINT64_C(1) << 32));

        assert_int_equal(interrupts_delta(NULL, a, &untouched), -EINVAL);
        assert_null(untouched);
}

static void test_read_via_fsroot(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("root-nohz");
        _cleanup_(fsroot_freep) struct fsroot *empty = fixture_root("root-plain");
        _cleanup_(interrupts_freep) struct interrupts *ints = NULL;
        struct interrupts *untouched = NULL;

        assert_int_equal(interrupts_read(fs, &ints), 0);
        assert_int_equal(ints->ncols, 4);
        assert_int_equal(interrupts_read(empty, &untouched), -ENOENT);
        assert_null(untouched);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_x86_2cpu),
                cmocka_unit_test(test_x86_64cpu),
                cmocka_unit_test(test_offline_column),
                cmocka_unit_test(test_arm64),
                cmocka_unit_test(test_minimal_and_malformed),
                cmocka_unit_test(test_delta),
                cmocka_unit_test(test_delta_same_and_shrinking),
                cmocka_unit_test(test_read_via_fsroot),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
