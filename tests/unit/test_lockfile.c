/* test_lockfile.c — lib/lockfile: a second taker is refused with the
 * holder's name and PID; the lock goes with the holder (a child that
 * exits). No root. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lockfile.h"
#include "unit.h"

static void test_second_taker_refused(void **state) {
        char dir[] = "/tmp/tlbisol-lock-XXXXXX", path[256], want[64];
        _cleanup_free_ char *holder = NULL;
        int fd = -1, pipefd[2], status;
        pid_t child;
        char c;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/osnoise.lock", dir);
        assert_int_equal(pipe(pipefd), 0);
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                int cfd = -1;
                char *h = NULL;

                if (lockfile_take(path, "tlbctl noise", &cfd, &h) < 0)
                        _exit(1);
                if (write(pipefd[1], "x", 1) != 1)
                        _exit(2);       /* the parent's read fails too */
                pause();        /* holds it until killed */
                _exit(0);
        }
        assert_int_equal(read(pipefd[0], &c, 1), 1);

        assert_int_equal(lockfile_take(path, "tlbctl noise", &fd, &holder), -EBUSY);
        snprintf(want, sizeof(want), "tlbctl noise (PID %d)", (int) child);
        assert_string_equal(holder, want);
        assert_int_equal(fd, -1);

        /* the holder is gone: the lock is free, no stale file to clean */
        assert_int_equal(kill(child, SIGKILL), 0);
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_int_equal(lockfile_take(path, "tlbctl noise", &fd, &holder), 0);
        assert_true(fd >= 0);
        close(fd);
        close(pipefd[0]);
        close(pipefd[1]);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_bad_path(void **state) {
        _cleanup_free_ char *holder = NULL;
        int fd = -1;

        assert_int_equal(lockfile_take("/nonexistent-dir/x.lock", "x", &fd, &holder), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_second_taker_refused),
                cmocka_unit_test(test_bad_path),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
