/* fsroot.c — file access under an injectable root; see fsroot.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsroot.h"
#include "util.h"

struct fsroot {
        char *prefix;           /* "" or "/some/dir" without trailing '/' */
};

int fsroot_new(const char *prefix, struct fsroot **ret) {
        struct fsroot *fs;
        size_t len;

        if (!ret)
                return -EINVAL;
        if (!prefix)
                prefix = "";
        len = strlen(prefix);
        while (len > 0 && prefix[len - 1] == '/')
                len--;

        fs = calloc(1, sizeof(*fs));
        if (!fs)
                return -ENOMEM;
        fs->prefix = strndup(prefix, len);
        if (!fs->prefix) {
                free(fs);
                return -ENOMEM;
        }
        *ret = fs;
        return 0;
}

int fsroot_new_from_env(struct fsroot **ret) {
        return fsroot_new(getenv(FSROOT_ENV), ret);
}

void fsroot_free(struct fsroot *fs) {
        if (!fs)
                return;
        free(fs->prefix);
        free(fs);
}

const char *fsroot_prefix(const struct fsroot *fs) {
        return fs ? fs->prefix : "";
}

int fsroot_path(const struct fsroot *fs, const char *path, char **ret) {
        char *p;

        if (!path || path[0] != '/' || !ret)
                return -EINVAL;
        if (asprintf(&p, "%s%s", fsroot_prefix(fs), path) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static int open_at_root(const struct fsroot *fs, const char *path, int flags) {
        _cleanup_free_ char *full = NULL;
        int fd, r;

        r = fsroot_path(fs, path, &full);
        if (r < 0)
                return r;
        fd = open(full, flags | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}

int fsroot_read(const struct fsroot *fs, const char *path, char **ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;

        if (!ret)
                return -EINVAL;
        fd = open_at_root(fs, path, O_RDONLY);
        if (fd < 0)
                return fd;

        for (;;) {
                ssize_t n;

                if (alloc - size < 2) {
                        /* procfs/sysfs files report size 0: grow as we go */
                        size_t want = alloc ? alloc * 2 : 4096;
                        char *p;

                        if (want > (size_t) FSROOT_READ_MAX + 1)
                                return -EFBIG;
                        p = realloc(buf, want);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        alloc = want;
                }
                n = read(fd, buf + size, alloc - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

int fsroot_read_line(const struct fsroot *fs, const char *path, char **ret) {
        char *s;
        int r;

        if (!ret)
                return -EINVAL;
        r = fsroot_read(fs, path, &s);
        if (r < 0)
                return r;
        s[strcspn(s, "\n")] = '\0';
        *ret = s;
        return 0;
}

int fsroot_write(const struct fsroot *fs, const char *path, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t len;
        ssize_t n;

        if (!value)
                return -EINVAL;
        fd = open_at_root(fs, path, O_WRONLY | O_TRUNC);
        if (fd < 0)
                return fd;
        len = strlen(value);
        do
                n = write(fd, value, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

/* In the child: the grandchild pinned to cpu runs fn; its errno (or
 * ETIMEDOUT) is the exit code. */
static int run_pinned(const struct fsroot *fs, const cpu_set_t *set, unsigned cpu,
                      int (*fn)(const struct fsroot *fs, void *arg), void *arg) {
        pid_t g = fork(), p;
        int st, r;

        if (g < 0)
                return errno & 0xff;
        if (g == 0) {
                struct sched_param sp = { 0 };

                /* a fair task whatever our policy (the fair server's write
                 * relies on one being queued on that CPU); sched_setaffinity()
                 * returns on an allowed CPU (the kernel migrates the caller
                 * before it returns), checked anyway */
                if (sched_setscheduler(0, SCHED_OTHER, &sp) < 0)
                        _exit(errno > 0 && errno < 256 ? errno : EPERM);
                if (sched_setaffinity(0, sizeof(*set), set) < 0)
                        _exit(errno > 0 && errno < 256 ? errno : EINVAL);
                if (sched_getcpu() != (int) cpu)
                        _exit(EAGAIN);
                r = fn(fs, arg);
                _exit(r < 0 && r > -256 ? -r : r < 0 ? EIO : 0);
        }
        for (int i = 0; i < 500; i++) {
                struct timespec ts = { 0, 10 * 1000 * 1000 };

                p = waitpid(g, &st, WNOHANG);
                if (p == g)
                        return WIFEXITED(st) ? WEXITSTATUS(st) : EIO;
                if (p < 0 && errno != EINTR)
                        return errno & 0xff;
                (void) nanosleep(&ts, NULL);
        }
        (void) kill(g, SIGKILL);
        return ETIMEDOUT;
}

int fsroot_run_on_cpu(const struct fsroot *fs, unsigned cpu,
                      int (*fn)(const struct fsroot *fs, void *arg), void *arg) {
        cpu_set_t set;
        pid_t pid, p;
        int st;

        if (*fsroot_prefix(fs))
                return fn(fs, arg);
        if (cpu >= CPU_SETSIZE)
                return -EINVAL;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        /* Two generations: the child waits for the pinned grandchild at most
         * 5 s (a fair task may not run for long, or at all, on a CPU that a
         * real-time task keeps busy: up to the fair server's period, forever
         * with its runtime 0), then kills it and exits without waiting: the
         * grandchild, reparented, dies when it next runs. So we never wait
         * for a task that needs that CPU. */
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                _exit(run_pinned(fs, &set, cpu, fn, arg));
        while ((p = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
                ;
        if (p < 0)
                return -errno;
        if (!WIFEXITED(st))
                return -EIO;
        return -WEXITSTATUS(st);
}

int fsroot_exists(const struct fsroot *fs, const char *path) {
        _cleanup_free_ char *full = NULL;
        struct stat st;
        int r;

        r = fsroot_path(fs, path, &full);
        if (r < 0)
                return r;
        if (stat(full, &st) == 0)
                return 1;
        return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
}

int fsroot_opendir(const struct fsroot *fs, const char *path, DIR **ret) {
        _cleanup_free_ char *full = NULL;
        DIR *d;
        int r;

        if (!ret)
                return -EINVAL;
        r = fsroot_path(fs, path, &full);
        if (r < 0)
                return r;
        d = opendir(full);
        if (!d)
                return -errno;
        *ret = d;
        return 0;
}

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int fsroot_list(const struct fsroot *fs, const char *path, char ***ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_strv_free_ char **v = NULL;
        size_t n = 0, alloc = 0;
        struct dirent *de;
        int r;

        if (!ret)
                return -EINVAL;
        r = fsroot_opendir(fs, path, &d);
        if (r < 0)
                return r;

        v = calloc(1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        alloc = 1;
        for (errno = 0; (de = readdir(d)); errno = 0) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (n + 2 > alloc) {
                        char **p = realloc(v, alloc * 2 * sizeof(char *));

                        if (!p)
                                return -ENOMEM;
                        v = p;
                        alloc *= 2;
                }
                v[n] = strdup(de->d_name);
                if (!v[n])
                        return -ENOMEM;
                v[++n] = NULL;
        }
        if (errno != 0)
                return -errno;
        qsort(v, n, sizeof(char *), cmp_str);
        *ret = TAKE_PTR(v);
        return 0;
}

bool fsroot_write_error_is_transient(int r) {
        switch (r) {
        case -ENOSPC:
        case -EAGAIN:
        case -EINTR:
        case -EBUSY:
        case -ERANGE:
        case -ENOMEM:
                return true;
        default:
                return false;
        }
}
