/* irqbalance.c — which CPUs a running irqbalance leaves out, asked over
 * its UI socket (irqbalance.c sock_handle, 1.8+): one stream connection
 * per command, root credentials passed as SCM_CREDENTIALS, the command
 * "setup" answered with "SLEEP <s> [IRQ <n> LOAD ... ]BANNED <hex mask>"
 * and the connection closed. The banned set is what irqbalance uses now:
 * its own choice (isolcpus=/nohz_full= CPUs) unless IRQBALANCE_BANNED_CPUS
 * or a "settings cpus" command said otherwise. */
#include <errno.h>
#include <glob.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "irqbalance.h"
#include "util.h"

#define IRQBALANCE_SOCKETS "/run/irqbalance/irqbalance*.sock"

static int ask(const char *path, const char *cmd, char *buf, size_t len) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct ucred cred = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
        union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred))]; } ctl = {};
        struct iovec iov = { .iov_base = (void *) cmd, .iov_len = strlen(cmd) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                             .msg_controllen = sizeof(ctl.b) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        /* irqbalance answers from its main loop, which a rescan (after
         * "settings cpus", hotplug, new IRQs) blocks for its whole sleep
         * interval, 10 s by default */
        struct timeval tv = { .tv_sec = 15 };
        _cleanup_close_ int fd = -1;
        size_t off = 0;

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof(cred));
        memcpy(CMSG_DATA(c), &cred, sizeof(cred));
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
                return -errno;
        for (;;) {
                ssize_t n = recv(fd, buf + off, len - 1 - off, 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0 || (off += (size_t) n) >= len - 1)
                        break;
        }
        buf[off] = 0;
        return 0;
}

int irqbalance_banned(unsigned ncpus, struct cpumap *banned) {
        glob_t g = {};
        int r = -ENOENT;

        if (glob(IRQBALANCE_SOCKETS, 0, NULL, &g) != 0)
                return -ENOENT;
        /* Several sockets: stale ones of dead instances refuse the
         * connection; the first that answers is the running one. */
        for (size_t i = 0; i < g.gl_pathc; i++) {
                char buf[16384];
                const char *b;
                struct cpumap m;
                char *end;

                r = ask(g.gl_pathv[i], "setup", buf, sizeof(buf));
                if (r < 0)
                        continue;
                b = strstr(buf, "BANNED ");
                if (!b) {                       /* nothing banned */
                        cpumap_zero(banned);
                        break;
                }
                b += strlen("BANNED ");
                end = (char *) b + strspn(b, "0123456789abcdefABCDEF,");
                *end = 0;
                r = cpumask_parse_hex(b, ncpus, &m);
                if (r >= 0)
                        *banned = m;
                break;
        }
        globfree(&g);
        return r;
}
