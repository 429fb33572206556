/* lockfile.c — see lockfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lockfile.h"
#include "parse.h"
#include "util.h"

/* "<pid> <what>" of the file, as "<what> (PID <pid>)". */
static char *holder_of(int fd) {
        char buf[256], *sp, *nl, *s = NULL;
        unsigned pid;
        ssize_t n;

        n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
                return strdup("another process");
        buf[n] = 0;
        nl = strchr(buf, '\n');
        if (nl)
                *nl = 0;
        sp = strchr(buf, ' ');
        if (!sp)
                return strdup("another process");
        *sp = 0;
        if (parse_uint(buf, &pid) < 0 || asprintf(&s, "%s (PID %u)", sp + 1, pid) < 0)
                return strdup("another process");
        return s;
}

int lockfile_take(const char *path, const char *what, int *ret_fd, char **ret_holder) {
        _cleanup_close_ int fd = -EBADF;
        char line[256];
        int n;

        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return -errno;
                *ret_holder = holder_of(fd);
                return *ret_holder ? -EBUSY : -ENOMEM;
        }
        n = snprintf(line, sizeof(line), "%d %s\n", (int) getpid(), what);
        if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t) n, 0) != n)
                return errno > 0 ? -errno : -EIO;
        *ret_fd = TAKE_PTR_FD(fd);
        return 0;
}
