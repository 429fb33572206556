/* tlbisold-irqbalance.c — tell a running irqbalance to ban the isolated
 * CPUs, at runtime, through its UI socket.
 *
 * Protocol of irqbalance's UI socket (irqbalance.c sock_handle): one
 * stream connection per command, root credentials (SCM_CREDENTIALS), text
 * "settings cpus <cpulist>" or "settings cpus NULL" to go back to its own
 * choice. It takes effect at its next rescan; no restart, ever. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fsroot.h"
#include "tlbisold-irqbalance.h"
#include "tlbisold-log.h"
#include "util.h"

#define IRQBALANCE_SOCKETS "/run/irqbalance/irqbalance*.sock"

static int send_one(const char *path, const char *cmd) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct ucred cred = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(struct ucred))]; } ctl = {};
        struct iovec iov = { .iov_base = (void *) cmd, .iov_len = strlen(cmd) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                             .msg_controllen = sizeof(ctl.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        _cleanup_close_ int fd = -EBADF;

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof(cred));
        memcpy(CMSG_DATA(c), &cred, sizeof(cred));
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
                return -errno;          /* a stale socket of a dead irqbalance */
        return 0;
}

/* To every irqbalance socket; -ENOENT when there is none. */
static int irqbalance_send(const char *cmd) {
        glob_t g = {};
        int r = -ENOENT;

        if (glob(IRQBALANCE_SOCKETS, 0, NULL, &g) != 0)
                return -ENOENT;
        for (size_t i = 0; i < g.gl_pathc; i++)
                r = send_one(g.gl_pathv[i], cmd);
        globfree(&g);
        return r;
}

void manager_irqbalance_ban(Manager *m, bool release) {
        _cleanup_free_ char *cmd = NULL;
        int r;

        if (!m->config.irqbalance || fsroot_prefix(m->fs)[0])
                return;
        if (asprintf(&cmd, "settings cpus %s", release || !*m->isolated_text ? "NULL" : m->isolated_text) < 0)
                return;
        if (m->irqbalance_sent && streq(m->irqbalance_sent, cmd))
                return;
        r = irqbalance_send(cmd);
        if (r == -ENOENT)
                return;         /* not running, or without its socket */
        if (r < 0) {
                log_warning_errno(r, "Failed to tell irqbalance to ban the isolated CPUs, ignoring: %m");
                return;
        }
        log_info("Told irqbalance: %s", cmd);
        free(m->irqbalance_sent);
        m->irqbalance_sent = TAKE_PTR(cmd);
}
