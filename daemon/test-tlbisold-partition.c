/* test-tlbisold-partition.c — the partition transaction against a writable
 * copy of a fixture tree, with a fake systemd that creates, changes and
 * removes tlbisol.slice there and a fake kernel that can refuse cpuset.cpus
 * or make the partition invalid. No root, no bus. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cgpartition.h"
#include "tlbisold-partition.h"
#include "unit.h"

#define DIR_CG "/sys/fs/cgroup/tlbisol.slice"

struct fake {
        struct fsroot *fs;
        char log[512];                  /* "start 1;isolated;" */
        const char *invalid_reason;     /* kernel: an isolated partition over a CPU of */
        struct cpumap bad;              /* bad reads "isolated invalid (invalid_reason)" */
        bool refuse_cpus;               /* kernel: cpuset.cpus write refused (EINVAL) */
        const char *systemd_error;      /* systemd: the call fails with this message */
        bool unreadable_after_stop;     /* stop leaves a cgroup whose partition file cannot be read */
        bool stop_does_nothing;         /* systemd: stop answers yes, the cgroup stays */
        bool populated;
};

static void put(struct fsroot *fs, const char *file, const char *text) {
        _cleanup_free_ char *rel = NULL, *abs = NULL;
        FILE *f;

        assert_true(asprintf(&rel, "%s/%s", DIR_CG, file) > 0);
        assert_int_equal(fsroot_path(fs, rel, &abs), 0);
        f = fopen(abs, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* The fake kernel: an isolated partition is valid unless it has a bad CPU. */
static void kernel_update(struct fake *k) {
        struct cgpart p;
        char e[200];

        assert_int_equal(cgpart_read(k->fs, "/tlbisol.slice", 6, &p), 0);
        if (p.mode != CGPART_ISOLATED)
                return;
        if (k->invalid_reason && cpumap_intersects(&p.cpus, &k->bad))
                snprintf(e, sizeof(e), "isolated invalid (%s)\n", k->invalid_reason);
        else
                snprintf(e, sizeof(e), "isolated\n");
        put(k->fs, "cpuset.cpus.partition", e);
}

static void logf_(struct fake *k, const char *s) {
        strncat(k->log, s, sizeof(k->log) - strlen(k->log) - 1);
}

static int fake_set_cpus(const struct cpumap *cpus, bool running, char *err, size_t errlen, void *ud) {
        struct fake *k = ud;
        _cleanup_free_ char *abs = NULL;
        char l[64], e[80];

        assert_int_equal(cpulist_format(cpus, l, sizeof(l)), 0);
        snprintf(e, sizeof(e), "%s %s;", running ? "set" : "start", l);
        logf_(k, e);
        if (k->systemd_error) {
                snprintf(err, errlen, "%s", k->systemd_error);
                return -EIO;
        }
        assert_int_equal(fsroot_path(k->fs, DIR_CG, &abs), 0);
        if (!running) {
                assert_int_equal(mkdir(abs, 0755), 0);
                put(k->fs, "cpuset.cpus.partition", "member\n");
                put(k->fs, "cpuset.cpus", "\n");
                put(k->fs, "cpuset.cpus.effective", "\n");
                put(k->fs, "cgroup.events", k->populated ? "populated 1\nfrozen 0\n" : "populated 0\nfrozen 0\n");
        }
        if (!k->refuse_cpus) {
                snprintf(e, sizeof(e), "%s\n", l);
                put(k->fs, "cpuset.cpus", e);
                put(k->fs, "cpuset.cpus.effective", e);
        }
        kernel_update(k);
        return 0;
}

static int fake_stop(char *err, size_t errlen, void *ud) {
        struct fake *k = ud;
        _cleanup_free_ char *abs = NULL, *cmd = NULL;

        logf_(k, "stop;");
        if (k->systemd_error) {
                snprintf(err, errlen, "%s", k->systemd_error);
                return -EIO;
        }
        if (k->stop_does_nothing)
                return 0;
        assert_int_equal(fsroot_path(k->fs, DIR_CG, &abs), 0);
        assert_true(asprintf(&cmd, "rm -rf '%s'", abs) > 0);
        assert_int_equal(system(cmd), 0);
        if (k->unreadable_after_stop) {         /* read() gives EISDIR */
                free(cmd);
                assert_true(asprintf(&cmd, "mkdir -p '%s/cpuset.cpus.partition'", abs) > 0);
                assert_int_equal(system(cmd), 0);
        }
        return 0;
}

static int fake_write_mode(const struct fsroot *fs, const char *path, const char *mode, void *ud) {
        struct fake *k = ud;
        char e[200];

        assert_string_equal(path, DIR_CG "/cpuset.cpus.partition");
        snprintf(e, sizeof(e), "%.*s;", (int) strcspn(mode, "\n"), mode);
        logf_(k, e);
        assert_int_equal(fsroot_write(fs, path, mode), 0);
        kernel_update(k);
        return 0;
}

struct world {
        char *dir;
        struct fsroot *fs;
        struct fake k;
        struct partition_ops ops;
        char err[600];
};

static int setup(void **state) {
        struct world *w = calloc(1, sizeof(*w));

        assert_non_null(w);
        w->dir = fixture_copy("daemon/root-vm");
        assert_int_equal(fsroot_new(w->dir, &w->fs), 0);
        w->k.fs = w->fs;
        w->ops = (struct partition_ops) { .set_cpus = fake_set_cpus, .stop = fake_stop,
                                          .write_mode = fake_write_mode, .userdata = &w->k };
        *state = w;
        return 0;
}

static int teardown(void **state) {
        struct world *w = *state;

        fsroot_free(w->fs);
        fixture_copy_drop(w->dir);
        free(w);
        return 0;
}

static struct cgpart part(struct world *w) {
        struct cgpart p;

        assert_int_equal(cgpart_read(w->fs, "/tlbisol.slice", 6, &p), 0);
        return p;
}

static int converge_to(struct world *w, const char *list) {
        struct cpumap want = cpus(list);

        w->k.log[0] = 0;
        return partition_converge(w->fs, 6, &want, &w->ops, w->err, sizeof(w->err));
}

static void test_create_extend_shrink_remove(void **state) {
        struct world *w = *state;
        struct cgpart p;

        assert_int_equal(converge_to(w, "1"), 1);
        assert_string_equal(w->k.log, "start 1;isolated;");
        p = part(w);
        assert_true(cgpart_is_isolated(&p));
        assert_list(&p.effective, "1");
        /* nothing to do: no call at all */
        {
                struct cpumap one = cpus("1"), two = cpus("1-2"), none = cpus("");

                assert_false(partition_needs_change(w->fs, 6, &one));
                assert_true(partition_needs_change(w->fs, 6, &two));
                assert_true(partition_needs_change(w->fs, 6, &none));
        }
        assert_int_equal(converge_to(w, "1"), 0);
        assert_string_equal(w->k.log, "");
        /* extend: the running slice is changed, the partition stays isolated */
        assert_int_equal(converge_to(w, "1-2"), 1);
        assert_string_equal(w->k.log, "set 1-2;");
        p = part(w);
        assert_true(cgpart_is_isolated(&p));
        assert_list(&p.effective, "1-2");
        assert_int_equal(converge_to(w, "2"), 1);
        assert_string_equal(w->k.log, "set 2;");
        /* remove: member first, then the slice is stopped */
        assert_int_equal(converge_to(w, ""), 1);
        assert_string_equal(w->k.log, "member;stop;");
        assert_int_equal(part(w).mode, CGPART_ABSENT);
        assert_int_equal(converge_to(w, ""), 0);
        assert_string_equal(w->k.log, "");
        {
                struct cpumap none = cpus("");

                assert_false(partition_needs_change(w->fs, 6, &none));
        }
}

static void test_invalid_on_create_rolls_back(void **state) {
        struct world *w = *state;

        w->k.invalid_reason = "Cpu list in cpuset.cpus not exclusive";
        w->k.bad = cpus("1");
        assert_int_equal(converge_to(w, "1"), -EINVAL);
        assert_non_null(strstr(w->err, "cpuset.cpus.partition: the kernel made /tlbisol.slice "
                                       "'isolated invalid (Cpu list in cpuset.cpus not exclusive)'; rolled back"));
        assert_string_equal(w->k.log, "start 1;isolated;member;stop;");
        assert_int_equal(part(w).mode, CGPART_ABSENT);
}

static void test_invalid_on_extend_rolls_back(void **state) {
        struct world *w = *state;
        struct cgpart p;

        assert_int_equal(converge_to(w, "1"), 1);
        w->k.invalid_reason = "Parent unable to distribute cpu downstream";
        w->k.bad = cpus("2");
        assert_int_equal(converge_to(w, "1-2"), -EINVAL);
        assert_non_null(strstr(w->err, "'isolated invalid (Parent unable to distribute cpu downstream)'; "
                                       "rolled back"));
        /* systemd's AllowedCPUs= back to 1; the kernel makes the partition valid again */
        assert_string_equal(w->k.log, "set 1-2;member;isolated;set 1;");
        p = part(w);
        assert_true(cgpart_is_isolated(&p));
        assert_list(&p.cpus, "1");
        assert_list(&p.effective, "1");
}

static void test_refused_cpus_roll_back(void **state) {
        struct world *w = *state;
        struct cgpart p;

        assert_int_equal(converge_to(w, "1"), 1);
        w->k.refuse_cpus = true;
        assert_int_equal(converge_to(w, "1-2"), -EBUSY);
        assert_non_null(strstr(w->err, "cpuset.cpus: the kernel refused 1-2 for /tlbisol.slice (it still reads '1')"));
        /* the rollback asks systemd for the old CPUs again; the kernel has them */
        assert_string_equal(w->k.log, "set 1-2;set 1;");
        p = part(w);
        assert_true(cgpart_is_isolated(&p));
        assert_list(&p.effective, "1");
}

static void test_systemd_failure(void **state) {
        struct world *w = *state;

        w->k.systemd_error = "Access denied";
        assert_int_equal(converge_to(w, "1"), -EIO);
        assert_non_null(strstr(w->err, "systemd: starting tlbisol.slice with AllowedCPUs=1: Access denied; rolled back"));
        assert_int_equal(part(w).mode, CGPART_ABSENT);

        /* the stop refused, or answered but not done: each named */
        w->k.systemd_error = NULL;
        assert_int_equal(converge_to(w, "1"), 1);
        w->k.systemd_error = "Access denied";
        assert_int_equal(converge_to(w, ""), -EIO);
        assert_string_equal(w->err, "systemd: stopping tlbisol.slice: Access denied");
        w->k.systemd_error = NULL;
        w->k.stop_does_nothing = true;
        assert_int_equal(converge_to(w, ""), -EBUSY);
        assert_string_equal(w->err, "systemd: /tlbisol.slice is still there after it was stopped");
        assert_string_equal(w->k.log, "stop;");
}

static void test_populated_slice_kept(void **state) {
        struct world *w = *state;
        struct cgpart p;

        w->k.populated = true;
        assert_int_equal(converge_to(w, "1"), 1);
        assert_int_equal(converge_to(w, ""), 1);
        assert_string_equal(w->k.log, "member;");
        assert_non_null(strstr(w->err, "kept because tasks still run in it"));
        p = part(w);
        assert_int_equal(p.mode, CGPART_MEMBER);
        /* and isolating again turns the kept slice back into a partition */
        assert_int_equal(converge_to(w, "1"), 1);
        assert_string_equal(w->k.log, "isolated;");
}

/* A read error while waiting for the slice to go is named, not an empty
 * message (seen: "Refused Release 1: isolated partition: "). */
static void test_unreadable_after_stop(void **state) {
        struct world *w = *state;

        assert_int_equal(converge_to(w, "1"), 1);
        w->k.unreadable_after_stop = true;
        assert_true(converge_to(w, "") < 0);
        assert_non_null(strstr(w->err, "reading /tlbisol.slice after systemd stopped it: Is a directory"));
}

static void test_foreign(void **state) {
        (void) state;
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("daemon/root-vm");
        struct isolation_facts f = {};
        struct cpumap want = cpus("3-4"), x;
        char err[300];

        assert_int_equal(isolation_facts_read(fs, &f, NULL), 0);
        assert_int_equal(partition_check_foreign(&f, &want, err, sizeof(err)), -EBUSY);
        assert_string_equal(err, "CPU 4 is in the isolated partition /rt.slice/rt-a, which tlbisold does not own; "
                                 "change that partition to release it");
        partition_foreign_cpus(&f, &want, &x);
        assert_list(&x, "4");
        /* the invalid partition (bad.slice, CPU 5) isolates nothing */
        want = cpus("1,5");
        assert_int_equal(partition_check_foreign(&f, &want, err, sizeof(err)), 0);
        /* tlbisold's own partition is not foreign */
        free(f.parts[0].path);
        f.parts[0].path = strdup("/tlbisol.slice");
        want = cpus("4");
        assert_int_equal(partition_check_foreign(&f, &want, err, sizeof(err)), 0);
        free(f.parts[0].path);
        f.parts[0].path = strdup("/rt.slice/rt-a.service");
        assert_int_equal(partition_check_foreign(&f, &want, err, sizeof(err)), -EBUSY);
        assert_non_null(strstr(err, "(systemd unit rt-a.service)"));
        isolation_facts_done(&f);
}

static void test_bytes_and_modes(void **state) {
        (void) state;
        unsigned char b[4];
        struct cpumap m = cpus("0,9");
        enum cgpart_mode mode;
        bool inv;
        char why[80];

        assert_int_equal(cpumap_to_bytes(&m, b, sizeof(b)), 2);
        assert_int_equal(b[0], 0x01);
        assert_int_equal(b[1], 0x02);
        m = cpus("");
        assert_int_equal(cpumap_to_bytes(&m, b, sizeof(b)), 0);
        m = cpus("40");
        assert_int_equal(cpumap_to_bytes(&m, b, sizeof(b)), -ENOSPC);

        assert_int_equal(cgpart_parse_mode("isolated", &mode, &inv, why, sizeof(why)), 0);
        assert_true(mode == CGPART_ISOLATED && !inv);
        assert_int_equal(cgpart_parse_mode("isolated invalid (Cpu list in cpuset.cpus not exclusive)", &mode, &inv,
                                           why, sizeof(why)), 0);
        assert_true(mode == CGPART_ISOLATED && inv);
        assert_string_equal(why, "Cpu list in cpuset.cpus not exclusive");
        assert_int_equal(cgpart_parse_mode("root invalid", &mode, &inv, why, sizeof(why)), 0);
        assert_true(mode == CGPART_ROOT && inv && !*why);
        assert_int_equal(cgpart_parse_mode("member", &mode, &inv, why, sizeof(why)), 0);
        assert_int_equal(cgpart_parse_mode("member invalid (x)", &mode, &inv, why, sizeof(why)), -EINVAL);
        assert_int_equal(cgpart_parse_mode("isolatedx", &mode, &inv, why, sizeof(why)), -EINVAL);
        assert_int_equal(cgpart_parse_mode("", &mode, &inv, why, sizeof(why)), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_create_extend_shrink_remove, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid_on_create_rolls_back, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid_on_extend_rolls_back, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refused_cpus_roll_back, setup, teardown),
                cmocka_unit_test_setup_teardown(test_systemd_failure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_populated_slice_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unreadable_after_stop, setup, teardown),
                cmocka_unit_test(test_foreign),
                cmocka_unit_test(test_bytes_and_modes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
