/* test_fsroot.c — file access under an injectable root (lib/fsroot.c),
 * against tests/fixtures/root-nohz and a scratch directory. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

static void test_prefix_and_path(void **state) {
        static const struct {
                const char *prefix, *expect;
        } cases[] = {
                { NULL, "" }, { "", "" }, { "/", "" }, { "///", "" },
                { "/tmp/x///", "/tmp/x" }, { "rel/dir", "rel/dir" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(fsroot_freep) struct fsroot *fs = NULL;

                assert_int_equal(fsroot_new(cases[i].prefix, &fs), 0);
                assert_string_equal(fsroot_prefix(fs), cases[i].expect);
        }
        assert_string_equal(fsroot_prefix(NULL), "");

        _cleanup_(fsroot_freep) struct fsroot *fs = NULL;
        _cleanup_free_ char *p = NULL, *q = NULL;

        assert_int_equal(fsroot_new("/srv/root/", &fs), 0);
        assert_int_equal(fsroot_path(fs, "/proc/interrupts", &p), 0);
        assert_string_equal(p, "/srv/root/proc/interrupts");
        assert_int_equal(fsroot_path(NULL, "/proc/interrupts", &q), 0);
        assert_string_equal(q, "/proc/interrupts");
        assert_int_equal(fsroot_path(fs, "proc/interrupts", &q), -EINVAL);
        assert_string_equal(q, "/proc/interrupts");     /* untouched */
}

static void test_from_env(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *a = NULL, *b = NULL, *c = NULL;

        assert_int_equal(setenv(FSROOT_ENV, "/fixture/root/", 1), 0);
        assert_int_equal(fsroot_new_from_env(&a), 0);
        assert_string_equal(fsroot_prefix(a), "/fixture/root");
        assert_int_equal(setenv(FSROOT_ENV, "", 1), 0);
        assert_int_equal(fsroot_new_from_env(&b), 0);
        assert_string_equal(fsroot_prefix(b), "");
        assert_int_equal(unsetenv(FSROOT_ENV), 0);
        assert_int_equal(fsroot_new_from_env(&c), 0);
        assert_string_equal(fsroot_prefix(c), "");
}

static void test_read(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("root-nohz");
        _cleanup_free_ char *all = NULL, *line = NULL, *cmd = NULL;
        char *untouched = (char *) "sentinel";

        assert_int_equal(fsroot_read(fs, "/sys/devices/system/cpu/online", &all), 0);
        assert_string_equal(all, "0-3\n");
        assert_int_equal(fsroot_read_line(fs, "/sys/devices/system/cpu/online", &line), 0);
        assert_string_equal(line, "0-3");
        assert_int_equal(fsroot_read_line(fs, "/proc/cmdline", &cmd), 0);
        assert_non_null(strstr(cmd, "nohz_full=2-3"));

        assert_int_equal(fsroot_read(fs, "/sys/devices/system/cpu/nope", &untouched), -ENOENT);
        assert_int_equal(fsroot_read(fs, "/proc/cmdline/x", &untouched), -ENOTDIR);
        assert_int_equal(fsroot_read(fs, "/proc", &untouched), -EISDIR);
        assert_int_equal(fsroot_read_line(fs, "/nope", &untouched), -ENOENT);
        assert_string_equal(untouched, "sentinel");
}

struct scratch {
        char dir[64];
        struct fsroot *fs;
};

static int scratch_setup(void **state) {
        struct scratch *s = calloc(1, sizeof(*s));

        if (!s)
                return -1;
        strcpy(s->dir, "/tmp/tlbisol-test-fsroot-XXXXXX");
        if (!mkdtemp(s->dir) || fsroot_new(s->dir, &s->fs) < 0)
                return -1;
        *state = s;
        return 0;
}

static int scratch_teardown(void **state) {
        struct scratch *s = *state;
        _cleanup_free_ char *cmd = NULL;

        if (asprintf(&cmd, "rm -rf '%s'", s->dir) < 0 || system(cmd) != 0)
                return -1;
        fsroot_free(s->fs);
        free(s);
        return 0;
}

static void make_file(const struct scratch *s, const char *rel, const char *content) {
        _cleanup_free_ char *path = NULL;
        FILE *f;

        assert_true(asprintf(&path, "%s%s", s->dir, rel) >= 0);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_true(fputs(content, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

static void test_write(void **state) {
        struct scratch *s = *state;
        _cleanup_free_ char *back = NULL, *back2 = NULL;

        make_file(s, "/smp_affinity", "ffffffff\n");
        assert_int_equal(fsroot_write(s->fs, "/smp_affinity", "3"), 0);
        assert_int_equal(fsroot_read(s->fs, "/smp_affinity", &back), 0);
        assert_string_equal(back, "3");                 /* truncated, no newline added */
        assert_int_equal(fsroot_write(s->fs, "/smp_affinity", "0-1\n"), 0);
        assert_int_equal(fsroot_read(s->fs, "/smp_affinity", &back2), 0);
        assert_string_equal(back2, "0-1\n");

        /* never creates files: a missing sysfs attribute stays an error */
        assert_int_equal(fsroot_write(s->fs, "/missing", "1"), -ENOENT);
        assert_int_equal(fsroot_exists(s->fs, "/missing"), 0);
        assert_int_equal(fsroot_write(s->fs, "/", "1"), -EISDIR);
        assert_int_equal(fsroot_write(s->fs, "/smp_affinity", NULL), -EINVAL);
}

static void test_write_errno_from_write(void **state) {
        /* /dev/full fails write(2) itself with ENOSPC: the errno that
         * sysfs uses to report the kernel's verdict must come through */
        assert_int_equal(fsroot_write(NULL, "/dev/full", "3\n"), -ENOSPC);
        assert_int_equal(fsroot_write(NULL, "/dev/null", "3\n"), 0);
}

/* fn runs in a child pinned to the CPU (real root), or in place under a
 * fixture root; a CPU we cannot run on is refused and fn not run */
struct on_cpu { const char *path, *value; };

static int write_here(const struct fsroot *fs, void *arg) {
        const struct on_cpu *w = arg;
        char v[32];

        snprintf(v, sizeof(v), "%s %d", w->value, sched_getcpu());
        return fsroot_write(fs, w->path, v);
}

static int sleep_long(const struct fsroot *fs, void *arg) {
        sleep(30);
        return 0;
}

static void test_run_on_cpu(void **state) {
        struct scratch *s = *state;
        _cleanup_free_ char *full = NULL, *back = NULL, *back2 = NULL, *want = NULL;
        cpu_set_t mine;
        unsigned cpu = 0, last = 0;

        assert_int_equal(sched_getaffinity(0, sizeof(mine), &mine), 0);
        for (unsigned c = 0; c < CPU_SETSIZE; c++)
                if (CPU_ISSET(c, &mine))
                        last = c;
        while (!CPU_ISSET(cpu, &mine))
                cpu++;
        make_file(s, "/period", "1000000000\n");
        assert_true(asprintf(&full, "%s/period", s->dir) >= 0);
        /* on the last CPU we may use: the child says where it ran */
        assert_int_equal(fsroot_run_on_cpu(NULL, last, write_here, &(struct on_cpu) { full, "2" }), 0);
        assert_int_equal(fsroot_read(NULL, full, &back), 0);
        assert_true(asprintf(&want, "2 %u", last) >= 0);
        assert_string_equal(back, want);
        assert_int_equal(fsroot_run_on_cpu(NULL, CPU_SETSIZE - 1, write_here, &(struct on_cpu) { full, "3" }), -EINVAL);
        assert_int_equal(fsroot_run_on_cpu(NULL, CPU_SETSIZE, write_here, &(struct on_cpu) { full, "3" }), -EINVAL);
        assert_int_equal(fsroot_read(NULL, full, &back2), 0);
        assert_string_equal(back2, want);                       /* not run */
        /* fn's errno comes back from the child */
        assert_int_equal(fsroot_run_on_cpu(NULL, cpu, write_here, &(struct on_cpu) { "/dev/full", "3" }), -ENOSPC);
        assert_int_equal(fsroot_run_on_cpu(NULL, cpu, write_here, &(struct on_cpu) { "/nonexistent/x", "3" }), -ENOENT);
        /* a task that cannot finish is given up after 5 s, not waited for */
        assert_int_equal(fsroot_run_on_cpu(NULL, cpu, sleep_long, NULL), -ETIMEDOUT);
        /* fixture root: in place, whatever the CPU */
        assert_int_equal(fsroot_run_on_cpu(s->fs, CPU_SETSIZE - 1, write_here, &(struct on_cpu) { "/period", "5" }), 0);
}

static void test_read_large(void **state) {
        struct scratch *s = *state;
        _cleanup_free_ char *big = malloc(300001), *back = NULL;

        assert_non_null(big);
        for (size_t i = 0; i < 300000; i++)
                big[i] = (char) ('a' + i % 26);
        big[300000] = '\0';
        make_file(s, "/big", big);
        assert_int_equal(fsroot_read(s->fs, "/big", &back), 0);
        assert_int_equal(strlen(back), 300000);
        assert_memory_equal(back, big, 300001);
}

static void test_exists_and_list(void **state) {
        _cleanup_(fsroot_freep) struct fsroot *fs = fixture_root("root-nohz");
        _cleanup_strv_free_ char **names = NULL;
        char **untouched = NULL;
        DIR *d = NULL;

        assert_int_equal(fsroot_exists(fs, "/proc/cmdline"), 1);
        assert_int_equal(fsroot_exists(fs, "/proc/irq"), 1);
        assert_int_equal(fsroot_exists(fs, "/proc/nope"), 0);
        assert_int_equal(fsroot_exists(fs, "/proc/cmdline/x"), 0);
        assert_int_equal(fsroot_exists(fs, "relative"), -EINVAL);

        assert_int_equal(fsroot_list(fs, "/proc/irq", &names), 0);
        assert_non_null(names);
        assert_string_equal(names[0], "0");
        assert_string_equal(names[1], "24");
        assert_string_equal(names[2], "default_smp_affinity");
        assert_null(names[3]);
        assert_int_equal(fsroot_list(fs, "/proc/nope", &untouched), -ENOENT);
        assert_int_equal(fsroot_list(fs, "/proc/cmdline", &untouched), -ENOTDIR);
        assert_null(untouched);

        assert_int_equal(fsroot_opendir(fs, "/proc/irq/24", &d), 0);
        assert_non_null(d);
        closedir(d);
        d = NULL;
        assert_int_equal(fsroot_opendir(fs, "/proc/irq/99", &d), -ENOENT);
        assert_null(d);
}

static void test_write_error_triage(void **state) {
        static const int transient[] = { -ENOSPC, -EAGAIN, -EINTR, -EBUSY, -ERANGE, -ENOMEM };
        static const int permanent[] = { -EIO, -EINVAL, -EPERM, -EACCES, -ENOENT, -EROFS, 0 };

        for (size_t i = 0; i < ELEMENTSOF(transient); i++)
                assert_true(fsroot_write_error_is_transient(transient[i]));
        for (size_t i = 0; i < ELEMENTSOF(permanent); i++)
                assert_false(fsroot_write_error_is_transient(permanent[i]));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prefix_and_path),
                cmocka_unit_test(test_from_env),
                cmocka_unit_test(test_read),
                cmocka_unit_test_setup_teardown(test_write, scratch_setup, scratch_teardown),
                cmocka_unit_test(test_write_errno_from_write),
                cmocka_unit_test_setup_teardown(test_run_on_cpu, scratch_setup, scratch_teardown),
                cmocka_unit_test_setup_teardown(test_read_large, scratch_setup, scratch_teardown),
                cmocka_unit_test(test_exists_and_list),
                cmocka_unit_test(test_write_error_triage),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
