/* tlbisold-manager.c — the Manager: watches, isolation state, apply and
 * restore; see tlbisold-manager.h. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <glob.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "fsroot.h"
#include "parse.h"
#include "genl.h"
#include "tlbisold-log.h"
#include "tlbisold-manager.h"
#include "util.h"

#define RETRY_USEC (5 * USEC_PER_SEC)

static const char *const tunable_field = "KNOB=%s";

/* Replace *dst by the formatted string; on allocation failure keep *dst. */
static void replace_vformat(char **dst, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void replace_vformat(char **dst, const char *fmt, va_list ap) {
        char *s = NULL;

        if (vasprintf(&s, fmt, ap) < 0)
                return;
        free(*dst);
        *dst = s;
}

void manager_set_error(Manager *m, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        replace_vformat(&m->last_error, fmt, ap);
        va_end(ap);
}

static void clear_error(Manager *m) {
        free(m->last_error);
        m->last_error = strdup("");
}

/* ---- unmovable IRQs: reported once ---- */

static bool is_unmovable(const Manager *m, unsigned irq) {
        for (size_t i = 0; i < m->n_unmovable; i++)
                if (m->unmovable[i].irq == irq)
                        return true;
        return false;
}

static void add_unmovable(Manager *m, unsigned irq, int r) {
        struct unmovable *n;
        char *why;

        if (is_unmovable(m, irq))
                return;
        if (asprintf(&why, "%s", r == -EIO ? "managed or fixed by its chip (EIO)" : strerror(-r)) < 0)
                return;
        n = realloc(m->unmovable, (m->n_unmovable + 1) * sizeof(*n));
        if (!n) {
                free(why);
                return;
        }
        m->unmovable = n;
        n[m->n_unmovable++] = (struct unmovable) { .irq = irq, .reason = why };
}

static void clear_unmovable(Manager *m) {
        for (size_t i = 0; i < m->n_unmovable; i++)
                free(m->unmovable[i].reason);
        free(m->unmovable);
        m->unmovable = NULL;
        m->n_unmovable = 0;
        free(m->unmovable_tasks);
        m->unmovable_tasks = NULL;
        m->n_unmovable_tasks = 0;
}

static void add_unmovable_task(Manager *m, int tid, unsigned long long start) {
        struct saved_task *n = realloc(m->unmovable_tasks, (m->n_unmovable_tasks + 1) * sizeof(*n));

        if (!n)
                return;
        m->unmovable_tasks = n;
        n[m->n_unmovable_tasks++] = (struct saved_task) { .tid = tid, .start = start };
}

/* ---- converge callbacks ---- */

struct apply_stats {
        Manager *m;
        unsigned written, restored, failed, transient;
};

static int persist(const struct state *s, void *userdata) {
        Manager *m = ((struct apply_stats *) userdata)->m;
        int r = state_save(s, m->state_dir, TLBISOLD_STATE_FILE);

        if (r < 0)
                return log_error_errno(r, "Failed to write state file %s/%s, changing nothing: %m",
                                       m->state_dir, TLBISOLD_STATE_FILE);
        return 0;
}

static void on_report(enum converge_event ev, const char *path, int irq, const char *value, int r,
                      void *userdata) {
        struct apply_stats *st = userdata;
        char field[64];

        if (irq >= 0)
                snprintf(field, sizeof(field), "IRQ=%d", irq);
        else
                snprintf(field, sizeof(field), tunable_field, path);
        switch (ev) {
        case CONVERGE_WRITTEN:
                st->written++;
                log_field(LOG_DEBUG, 0, field, "Set %s to %s", path, value);
                break;
        case CONVERGE_RESTORED:
                st->restored++;
                log_field(LOG_DEBUG, 0, field, "Restored %s to %s", path, value);
                break;
        case CONVERGE_WRITE_FAILED:
                if (irq >= 0 && !fsroot_write_error_is_transient(r)) {
                        add_unmovable(st->m, (unsigned) irq, r);
                        log_field(LOG_NOTICE, r, field, "IRQ %d cannot be moved off the isolated CPUs: %m; "
                                  "reported once, not retried", irq);
                        break;
                }
                if (fsroot_write_error_is_transient(r)) {
                        st->transient++;
                        log_field(LOG_INFO, r, field, "Failed to write %s to %s: %m; will retry", value, path);
                } else {
                        st->failed++;
                        log_field(LOG_WARNING, r, field, "Failed to write %s to %s: %m, ignoring", value, path);
                }
                break;
        case CONVERGE_RESTORE_FAILED:
                if (fsroot_write_error_is_transient(r))
                        st->transient++;
                else
                        st->failed++;
                log_field(LOG_WARNING, r, field, "Failed to restore %s to %s: %m", path, value);
                break;
        case CONVERGE_SAVE_FAILED:
                st->failed++;
                log_field(LOG_WARNING, r, field, "Failed to read %s, leaving it alone: %m", path);
                break;
        }
}

/* ---- tasks: movable kthreads and user tasks ---- */

struct task_stats {
        Manager *m;
        const struct task_list *want;
        unsigned moved, restored, failed;
};

static int task_setaffinity(int tid, const struct cpumap *cpus, void *userdata) {
        return task_set_affinity(tid, cpus);
}

static int task_persist(const struct state *s, void *userdata) {
        struct apply_stats st = { .m = ((struct task_stats *) userdata)->m };

        return persist(s, &st);
}

static void task_report(enum task_event ev, int tid, const char *comm, const struct cpumap *cpus, int r,
                        void *userdata) {
        struct task_stats *st = userdata;
        char field[32], list[128] = "";

        snprintf(field, sizeof(field), "TID=%d", tid);
        if (cpus)
                (void) cpulist_format(cpus, list, sizeof(list));
        switch (ev) {
        case TASK_MOVED:
                st->moved++;
                log_field(LOG_DEBUG, 0, field, "Moved %s (%d) to CPUs %s", comm, tid, list);
                break;
        case TASK_RESTORED:
                st->restored++;
                log_field(LOG_DEBUG, 0, field, "Restored %s (%d) to CPUs %s", comm, tid, list);
                break;
        case TASK_GONE:
                log_field(LOG_DEBUG, 0, field, "%s (%d) has exited; forgotten", comm, tid);
                break;
        case TASK_MOVE_FAILED:
                st->failed++;
                for (size_t i = 0; i < st->want->n; i++)
                        if (st->want->t[i].tid == tid)
                                add_unmovable_task(st->m, tid, st->want->t[i].start);
                log_field(LOG_NOTICE, r, field, "%s (%d) cannot be moved to CPUs %s: %m; reported once, "
                          "not retried", comm, tid, list);
                break;
        case TASK_RESTORE_FAILED:
                st->failed++;
                log_field(LOG_WARNING, r, field, "Failed to restore the affinity of %s (%d) to %s: %m",
                          comm, tid, list);
                break;
        }
}

/* kernel_excluded: the CPUs the kernel keeps unbound kthreads off (7.0+). */
static int converge_tasks_to(Manager *m, bool release_all, const struct cpumap *kernel_excluded) {
        struct task_list want = {};
        struct task_stats st = { .m = m, .want = &want };
        struct task_ops ops = { .setaffinity = task_setaffinity, .persist = task_persist,
                                .report = task_report, .userdata = &st };
        const struct cpumap *kx = m->kernel_moves_kthreads ? kernel_excluded : NULL;
        int r = 0;

        if (!release_all) {
                struct task_plan_opts o = { .kthreads = m->config.kthreads, .user_tasks = m->config.user_tasks,
                                            .exclude = m->config.user_tasks_exclude,
                                            .kernel_excluded = kx, .self = getpid() };
                struct task_skip skip = { .t = m->unmovable_tasks, .n = m->n_unmovable_tasks };

                r = plan_tasks(m->fs, &m->state, &m->iso, &o, &skip, &want);
                if (r < 0) {
                        task_list_done(&want);
                        return log_error_errno(r, "Failed to plan the kernel threads and tasks to move: %m");
                }
        }
        r = converge_tasks(m->fs, &m->state, &want, kx, &ops);
        task_list_done(&want);
        if (r < 0)
                return r;
        if (st.moved || st.restored || st.failed)
                log_info("Tasks: %u moved off the isolated CPUs, %u restored, %u failed; %zu moved tasks saved",
                         st.moved, st.restored, st.failed, m->state.n_tasks);
        return (int) st.failed;
}

/* ---- module (genetlink) ---- */

static void set_module_state(Manager *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_module_state(Manager *m, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        replace_vformat(&m->module_state, fmt, ap);
        va_end(ap);
}

static const char *ctl_word(const struct tlbisol_ctl *c) {
        return c->state == TLBISOL_STATE_ON ? "on" : c->state == TLBISOL_STATE_OFF ? "off" : "unavailable";
}

static int module_connect(Manager *m) {
        int r;

        if (m->genl)
                return 0;
        r = tlbisol_genl_open(&m->genl);
        if (r < 0) {
                set_module_state(m, "not loaded: %s", r == -ENOENT ? "the tlbisol module is not loaded "
                                 "(modprobe tlbisol)" : strerror(-r));
                if (m->state.module_sync >= 0 || m->state.module_defer >= 0 || m->state.module_has_mask) {
                        /* a reloaded module starts from its defaults: nothing to restore */
                        m->state.module_sync = m->state.module_defer = -1;
                        m->state.module_has_mask = false;
                }
        }
        return r;
}

static void module_drop(Manager *m) {
        tlbisol_genl_close(m->genl);
        m->genl = NULL;
}

/* restore=true: back to the saved originals; else configure for m->iso. */
static int module_apply(Manager *m, bool restore) {
        struct tlbisol_set set = TLBISOL_SET_INIT;
        struct tlbisol_info info;
        struct cpumap defer_mask;
        bool changed_state = false;
        char why[256];
        int r;

        r = module_connect(m);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        r = tlbisol_genl_get_info(m->genl, &info);
        if (r < 0) {
                module_drop(m);
                if (module_connect(m) < 0 || tlbisol_genl_get_info(m->genl, &info) < 0) {
                        set_module_state(m, "not loaded: %s", strerror(-r));
                        module_drop(m);
                        return 0;
                }
        }
        set.ncpus = m->facts.sys.ncpus;
        if (restore) {
                set.sync_enable = m->state.module_sync;
                if (m->state.module_defer >= 0)
                        set.defer_enable = m->state.module_defer;
                if (m->state.module_has_mask)
                        set.defer_mask = &m->state.module_defer_mask;
        } else {
                bool want_sync = m->config.module_sync && !cpumap_is_empty(&m->iso.isolated);

                if (info.sync.state != TLBISOL_STATE_UNAVAILABLE &&
                    want_sync != (info.sync.state == TLBISOL_STATE_ON)) {
                        if (m->state.module_sync < 0) {
                                m->state.module_sync = info.sync.state == TLBISOL_STATE_ON;
                                changed_state = true;
                        }
                        set.sync_enable = want_sync;
                }
                cpumap_and(&defer_mask, &m->iso.isolated, &info.nohz_full);
                cpumap_and(&defer_mask, &defer_mask, &info.ct_active);
                if (m->config.module_defer && info.defer.state != TLBISOL_STATE_UNAVAILABLE) {
                        if (m->state.module_defer < 0) {
                                m->state.module_defer = info.defer.state == TLBISOL_STATE_ON;
                                m->state.module_has_mask = info.has_defer_mask;
                                m->state.module_defer_mask = info.defer_mask;
                                changed_state = true;
                        }
                        if (!info.has_defer_mask || !cpumap_equal(&defer_mask, &info.defer_mask))
                                set.defer_mask = &defer_mask;
                        if (info.defer.state != TLBISOL_STATE_ON && !cpumap_is_empty(&defer_mask))
                                set.defer_enable = 1;
                } else if (m->state.module_defer >= 0) {
                        set.defer_enable = m->state.module_defer;
                        if (m->state.module_has_mask)
                                set.defer_mask = &m->state.module_defer_mask;
                }
                if (changed_state) {
                        struct apply_stats st = { .m = m };

                        r = persist(&m->state, &st);
                        if (r < 0)
                                return r;
                }
        }
        /* Targeted sync and deferral go in separate requests, so that a
         * deferral the module refuses (with its reason) never holds back
         * targeted sync. */
        {
                struct tlbisol_set sync = TLBISOL_SET_INIT, defer = set;
                const char *defer_err = NULL;
                bool sent = false;

                sync.ncpus = set.ncpus;
                sync.sync_enable = set.sync_enable;
                defer.sync_enable = -1;
                if (sync.sync_enable >= 0) {
                        sent = true;
                        r = tlbisol_genl_set(m->genl, &sync, why, sizeof(why));
                        if (r < 0) {
                                log_warning_errno(r, "Failed to configure targeted sync in the tlbisol module: %s%s%m",
                                                  why, *why ? ": " : "");
                                manager_set_error(m, "module: targeted sync: %s", *why ? why : strerror(-r));
                        }
                }
                if (defer.defer_enable >= 0 || defer.defer_mask) {
                        sent = true;
                        r = tlbisol_genl_set(m->genl, &defer, why, sizeof(why));
                        if (r < 0) {
                                _cleanup_free_ char *msg = NULL;

                                if (asprintf(&msg, "%s%s%s", *why ? why : "", *why ? ": " : "", strerror(-r)) < 0)
                                        msg = NULL;
                                /* the same refusal on every apply is logged once */
                                if (msg && (!m->defer_refused || !streq(m->defer_refused, msg)))
                                        log_warning_errno(r, "The tlbisol module refused deferral: %s", msg);
                                if (msg) {
                                        free(m->defer_refused);
                                        m->defer_refused = TAKE_PTR(msg);
                                }
                                defer_err = m->defer_refused;
                        } else if (restore || (!m->config.module_defer && m->state.module_defer >= 0)) {
                                if (!restore)
                                        m->state.module_defer = -1, m->state.module_has_mask = false;
                        }
                }
                if (!defer_err && sent) {
                        free(m->defer_refused);
                        m->defer_refused = NULL;
                }
                if (defer_err && !restore)
                        manager_set_error(m, "module: deferral refused: %s", defer_err);
                if (sent && tlbisol_genl_get_info(m->genl, &info) < 0)
                        info.sync.state = info.defer.state = -1;
        }
        if (restore) {
                m->state.module_sync = m->state.module_defer = -1;
                m->state.module_has_mask = false;
        }
        {
                _cleanup_free_ char *mask = NULL;
                char reason[700] = "";
                size_t off = 0;

                if (*info.sync.reason && info.sync.state != TLBISOL_STATE_ON)
                        off += (size_t) snprintf(reason + off, sizeof(reason) - off, " (targeted-sync: %s)",
                                                 info.sync.reason);
                if (off < sizeof(reason) && *info.defer.reason && info.defer.state != TLBISOL_STATE_ON)
                        off += (size_t) snprintf(reason + off, sizeof(reason) - off, " (defer: %s)",
                                                 info.defer.reason);
                if (off < sizeof(reason) && m->defer_refused && m->config.module_defer && !restore)
                        off += (size_t) snprintf(reason + off, sizeof(reason) - off, " (defer refused: %s)",
                                                 m->defer_refused);
                if (info.has_defer_mask)
                        (void) cpulist_format_alloc(&info.defer_mask, &mask);
                set_module_state(m, "loaded: targeted-sync %s, defer %s%s%s%s", ctl_word(&info.sync),
                                 ctl_word(&info.defer), mask ? " mask " : "", mask ? (*mask ? mask : "none") : "",
                                 reason);
        }
        return 0;
}

/* ---- irqbalance: ban the isolated CPUs at runtime through its socket ----
 * Protocol of irqbalance's UI socket (irqbalance.c sock_handle): one
 * stream connection per command, root credentials (SCM_CREDENTIALS), text
 * "settings cpus <cpulist>" or "settings cpus NULL" to go back to its own
 * choice. It takes effect at its next rescan; no restart, ever. */

static int irqbalance_send(const char *cmd) {
        glob_t g = {};
        int r = -ENOENT;

        if (glob("/run/irqbalance/irqbalance*.sock", 0, NULL, &g) != 0)
                return -ENOENT;
        for (size_t i = 0; i < g.gl_pathc; i++) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                struct ucred cred = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
                union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(struct ucred))]; } ctl = {};
                struct iovec iov = { .iov_base = (void *) cmd, .iov_len = strlen(cmd) };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                                     .msg_controllen = sizeof(ctl.buf) };
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                int fd;

                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_CREDENTIALS;
                c->cmsg_len = CMSG_LEN(sizeof(cred));
                memcpy(CMSG_DATA(c), &cred, sizeof(cred));
                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", g.gl_pathv[i]);
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0) {
                        r = -errno;
                        break;
                }
                if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
                        r = -errno;     /* a stale socket of a dead irqbalance */
                else
                        r = 0;
                close(fd);
        }
        globfree(&g);
        return r;
}

static void irqbalance_ban(Manager *m, bool release) {
        _cleanup_free_ char *cmd = NULL;
        int r;

        if (!m->config.irqbalance || fsroot_prefix(m->fs)[0])
                return;
        if (asprintf(&cmd, "settings cpus %s", release || !m->isolated_text || !*m->isolated_text ?
                     "NULL" : m->isolated_text) < 0)
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

/* ---- cgroup inotify ---- */

static void watch_cgroups(Manager *m, char **dirs) {
        for (char **d = dirs; d && *d; d++) {
                _cleanup_free_ char *rel = NULL, *path = NULL, *part = NULL;

                if (asprintf(&rel, "%s%s", SYSINFO_CGROUP2_MOUNT, streq(*d, "/") ? "" : *d) < 0 ||
                    fsroot_path(m->fs, rel, &path) < 0)
                        return;
                if (inotify_add_watch(m->inotify_fd, path, IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                                      IN_MOVED_TO | IN_MODIFY | IN_ONLYDIR) < 0)
                        continue;       /* removed meanwhile, or out of watches */
                if (!streq(*d, "/") && asprintf(&part, "%s/cpuset.cpus.partition", path) >= 0)
                        (void) inotify_add_watch(m->inotify_fd, part, IN_MODIFY);
        }
}

static int arm_debounce(Manager *m, uint64_t usec) {
        int r, enabled = SD_EVENT_OFF;

        if (m->debounce) {
                (void) sd_event_source_get_enabled(m->debounce, &enabled);
                if (enabled != SD_EVENT_OFF)
                        return 0;
                r = sd_event_source_set_time_relative(m->debounce, usec);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->debounce, SD_EVENT_ONESHOT);
                return r;
        }
        return -ESTALE;
}

static int on_debounce(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        (void) manager_apply(m, "change seen");
        return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) manager_apply(userdata, "retry of transient failures");
        return 0;
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        _Alignas(struct inotify_event) char buf[8192];
        bool relevant = false;
        ssize_t n;

        for (;;) {
                n = read(fd, buf, sizeof(buf));
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;

                        if (e->mask & IN_Q_OVERFLOW)
                                relevant = true;
                        else if (e->mask & IN_ISDIR && e->mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO))
                                relevant = true;
                        else if (e->len == 0 && e->mask & IN_MODIFY)
                                relevant = true;        /* a cpuset.cpus.partition watch */
                        else if (e->len && strncmp(e->name, "cpuset.cpus", 11) == 0)
                                relevant = true;
                        p += sizeof(*e) + e->len;
                }
        }
        if (relevant)
                (void) arm_debounce(m, m->config.debounce_usec);
        return 0;
}

/* ---- devices: new IRQs, CPU hotplug, the module appearing ---- */

static int on_device(sd_device_monitor *mon, sd_device *d, void *userdata) {
        Manager *m = userdata;
        sd_device_action_t a;
        const char *subsys = NULL;

        if (sd_device_get_action(d, &a) < 0)
                return 0;
        (void) sd_device_get_subsystem(d, &subsys);
        if (a == SD_DEVICE_ADD || a == SD_DEVICE_BIND || a == SD_DEVICE_ONLINE || a == SD_DEVICE_OFFLINE ||
            (a == SD_DEVICE_REMOVE && subsys && (streq(subsys, "cpu") || streq(subsys, "module")))) {
                if (subsys && streq(subsys, "module"))
                        module_drop(m);
                (void) arm_debounce(m, m->config.debounce_usec);
        }
        return 0;
}

/* ---- signals ---- */

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) manager_reload(userdata);
        return 0;
}

static int on_term(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping");
        return sd_event_exit(sd_event_source_get_event(s) ? sd_event_source_get_event(s) : m->event, 0);
}

/* ---- apply ---- */

static void pin_self(const struct cpumap *hk) {
        int r = task_set_affinity(0, hk);

        if (r < 0)
                log_warning_errno(r, "Failed to pin tlbisold to the housekeeping CPUs, ignoring: %m");
}

static int plan_tunables(Manager *m, struct knob_list *out) {
        int r;

        if (cpumap_is_empty(&m->iso.isolated))
                return 0;
        for (size_t i = 0; i < _TUNABLE_MAX; i++) {
                const struct tunable_info *t = &tunables[i];
                _cleanup_free_ char *val = NULL;
                const char *v = m->config.tunable[i];

                if (!v || streq(v, "keep") || fsroot_exists(m->fs, t->path) <= 0)
                        continue;
                if (streq(v, "housekeeping")) {
                        r = cpulist_format_alloc(&m->iso.housekeeping, &val);
                        if (r < 0)
                                return r;
                        v = val;
                }
                r = knob_list_add(out, t->path, NULL, t->kind, v, -1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int format_sets(Manager *m, bool *changed) {
        _cleanup_free_ char *iso = NULL, *hk = NULL;
        int r;

        r = cpulist_format_alloc(&m->iso.isolated, &iso);
        if (r >= 0)
                r = cpulist_format_alloc(&m->iso.housekeeping, &hk);
        if (r < 0)
                return r;
        *changed = !m->isolated_text || !streq(iso, m->isolated_text) || !streq(hk, m->housekeeping_text);
        free(m->isolated_text);
        free(m->housekeeping_text);
        m->isolated_text = TAKE_PTR(iso);
        m->housekeeping_text = TAKE_PTR(hk);
        return 0;
}

/* Facts and sources: sysinfo, partitions (and the watches), isolation. */
static int compute(Manager *m, const struct cpumap *runtime, struct isolation *ret) {
        _cleanup_strv_free_ char **dirs = NULL;
        int r;

        r = isolation_facts_read(m->fs, &m->facts, m->inotify_fd >= 0 ? &dirs : NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to read the CPU isolation facts: %m");
        if (m->facts.partitions_error < 0)
                log_warning_errno(m->facts.partitions_error,
                                  "Failed to scan the cgroup tree, ignoring partitions: %m");
        watch_cgroups(m, dirs);
        return isolation_compute(&m->facts, runtime, &m->config.cpus, ret);
}

static int kernel_wq_excluded(Manager *m, struct cpumap *ret) {
        cpumap_or(ret, &m->facts.sys.cgroup_isolated, &m->facts.sys.nohz_full);
        cpumap_or(ret, ret, &m->facts.sys.isolated);
        return 0;
}

static int converge_to(Manager *m, bool release_all) {
        _cleanup_free_ unsigned *skip_irqs = NULL;
        struct knob_list want = {};
        struct apply_stats st = { .m = m };
        struct converge_ops ops = { .persist = persist, .report = on_report, .userdata = &st };
        int r = 0;

        if (!release_all) {
                struct irq_skip skip = {};
                struct cpumap excl;

                skip_irqs = calloc(m->n_unmovable + 1, sizeof(unsigned));
                if (!skip_irqs)
                        return log_error_errno(-ENOMEM, "Out of memory");
                for (size_t i = 0; i < m->n_unmovable; i++)
                        skip_irqs[i] = m->unmovable[i].irq;
                skip = (struct irq_skip) { .irqs = skip_irqs, .n = m->n_unmovable };
                if (m->config.irqs)
                        r = plan_irqs(m->fs, &m->state, &m->iso, &skip, m->config.default_affinity, &want);
                if (r >= 0 && m->config.workqueues && kernel_wq_excluded(m, &excl) >= 0)
                        r = plan_workqueue(m->fs, &m->state, &m->iso, &excl, &want);
                if (r >= 0)
                        r = plan_tunables(m, &want);
                if (r < 0) {
                        knob_list_done(&want);
                        return log_error_errno(r, "Failed to plan the changes: %m");
                }
        }
        r = converge(m->fs, &m->state, &want, &ops);
        knob_list_done(&want);
        if (r >= 0) {
                struct cpumap excl;
                int k;

                (void) kernel_wq_excluded(m, &excl);
                k = converge_tasks_to(m, release_all, &excl);
                if (k < 0)
                        r = k;
                else
                        st.failed += (unsigned) k;
        }
        if (r < 0) {
                manager_set_error(m, "cannot write the state file %s/%s: %s; nothing changed",
                                  m->state_dir, TLBISOLD_STATE_FILE, strerror(-r));
                return r;
        }
        log_info("%s: %u written, %u restored, %u failed, %u to retry; %zu originals and %zu moved tasks saved",
                 release_all ? "Released" : "Applied", st.written, st.restored, st.failed, st.transient,
                 m->state.n_saved, m->state.n_tasks);
        if (st.transient && m->retry) {
                (void) sd_event_source_set_time_relative(m->retry, RETRY_USEC);
                (void) sd_event_source_set_enabled(m->retry, SD_EVENT_ONESHOT);
        }
        return (int) (st.failed + st.transient);
}

int manager_apply(Manager *m, const char *why) {
        struct isolation iso = {};
        struct timespec ts;
        bool changed = false;
        int r;

        r = compute(m, &m->state.runtime, &iso);
        if (r == -EXFULL) {
                _cleanup_free_ char *s = NULL;

                (void) cpulist_format_alloc(&iso.isolated, &s);
                manager_set_error(m, "the sources isolate %s, which would leave no housekeeping CPU; "
                                  "keeping the previous configuration", s ? s : "every CPU");
                log_error("Not applying: %s", m->last_error);
                isolation_done(&iso);
                manager_send_changed(m, false);
                return r;
        }
        if (r < 0) {
                isolation_done(&iso);
                return r;
        }
        isolation_done(&m->iso);
        m->iso = iso;
        pin_self(&m->iso.housekeeping);

        clear_error(m);
        r = converge_to(m, false);
        if (r < 0) {
                manager_send_changed(m, false);
                return r;
        }
        if (r > 0 && !*m->last_error)
                manager_set_error(m, "%d change(s) failed; see the journal", r);
        (void) module_apply(m, false);

        (void) format_sets(m, &changed);
        irqbalance_ban(m, false);
        clock_gettime(CLOCK_REALTIME, &ts);
        m->applied_at = (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
        m->n_applies++;
        log_field(LOG_INFO, 0, changed ? "ISOLATION_CHANGED=1" : NULL,
                  "Isolated CPUs %s, housekeeping %s (%s)", *m->isolated_text ? m->isolated_text : "none",
                  m->housekeeping_text, why);
        (void) sd_notifyf(false, "STATUS=Isolated: %s; housekeeping: %s; module %s",
                          *m->isolated_text ? m->isolated_text : "none", m->housekeeping_text, m->module_state);
        manager_send_changed(m, changed);
        return 0;
}

int manager_restore_all(Manager *m) {
        _cleanup_free_ char *path = NULL;
        int r;

        irqbalance_ban(m, true);
        r = converge_to(m, true);
        (void) module_apply(m, true);
        if (r == 0 && m->state.n_saved == 0 && m->state.n_tasks == 0 && asprintf(&path, "%s/%s", m->state_dir, TLBISOLD_STATE_FILE) >= 0)
                (void) unlink(path);
        return r;
}

int manager_reload(Manager *m) {
        char err[512];
        struct config c = {};
        int r;

        (void) sd_notify(false, "RELOADING=1\nSTATUS=Reloading the configuration");
        r = config_load(m->config_path, m->facts.sys.ncpus, &c, err, sizeof(err));
        if (r < 0) {
                manager_set_error(m, "reload refused, keeping the running configuration: %s", err);
                log_error_errno(r, "%s", m->last_error);
                manager_send_changed(m, false);
                (void) sd_notify(false, "READY=1");
                return r;
        }
        {
                struct isolation iso = {};

                r = isolation_compute(&m->facts, &m->state.runtime, &c.cpus, &iso);
                isolation_done(&iso);
                if (r == -EXFULL) {
                        manager_set_error(m, "reload refused, keeping the running configuration: "
                                          "[Isolation] CPUs=%s would leave no housekeeping CPU", c.cpus_text);
                        log_error("%s", m->last_error);
                        config_done(&c);
                        manager_send_changed(m, false);
                        (void) sd_notify(false, "READY=1");
                        return r;
                }
        }
        config_done(&m->config);
        m->config = c;
        log_info("Reloaded %s", m->config_path);
        r = manager_apply(m, "configuration reloaded");
        (void) sd_notify(false, "READY=1");
        return r;
}

/* ---- runtime requests ---- */

static int parse_request(Manager *m, const char *cpulist, struct cpumap *ret, const char **ename,
                         char *err, size_t errlen) {
        if (cpulist_parse_err(cpulist, m->facts.sys.ncpus, ret, err, errlen) < 0) {
                *ename = "org.tlbisol1.Error.InvalidCPUList";
                return -EINVAL;
        }
        if (cpumap_is_empty(ret)) {
                *ename = "org.tlbisol1.Error.InvalidCPUList";
                snprintf(err, errlen, "the CPU list is empty");
                return -EINVAL;
        }
        return 0;
}

int manager_isolate(Manager *m, const char *cpulist, const char **ename, char *err, size_t errlen) {
        struct cpumap req, rt, old = m->state.runtime;
        struct isolation iso = {};
        int r;

        r = parse_request(m, cpulist, &req, ename, err, errlen);
        if (r < 0)
                return r;
        cpumap_or(&rt, &m->state.runtime, &req);
        r = compute(m, &rt, &iso);
        isolation_done(&iso);
        if (r == -EXFULL) {
                _cleanup_free_ char *s = NULL;

                (void) cpulist_format_alloc(&req, &s);
                *ename = "org.tlbisol1.Error.NoHousekeeping";
                snprintf(err, errlen, "isolating %s would leave no housekeeping CPU", s ? s : cpulist);
                return r;
        }
        if (r < 0) {
                *ename = "org.tlbisol1.Error.Failed";
                snprintf(err, errlen, "cannot read the isolation state: %s", strerror(-r));
                return r;
        }
        m->state.runtime = rt;
        r = manager_apply(m, "isolate request");
        if (r < 0) {
                m->state.runtime = old;
                *ename = "org.tlbisol1.Error.Failed";
                snprintf(err, errlen, "%s", m->last_error && *m->last_error ? m->last_error : strerror(-r));
                (void) manager_apply(m, "isolate request failed, rolling back");
                return r;
        }
        return 0;
}

/* Where the first source other than a runtime request that isolates cpu is set. */
static const char *where_to_change(const Manager *m, unsigned cpu) {
        for (size_t i = 0; i < m->iso.n_sources; i++) {
                const struct iso_source *src = &m->iso.sources[i];

                if (!cpumap_test(&src->cpus, cpu))
                        continue;
                switch (src->kind) {
                case ISOLATION_NOHZ_FULL:
                case ISOLATION_ISOLCPUS:
                        return "the kernel command line";
                case ISOLATION_PARTITION:
                case ISOLATION_CGROUP_ISOLATED:
                        return "the cgroup partition";
                case ISOLATION_CONFIG:
                        return m->config_path;
                case ISOLATION_RUNTIME:
                        break;
                }
        }
        return "its source";
}

int manager_release(Manager *m, const char *cpulist, const char **ename, char *err, size_t errlen) {
        struct cpumap req, old = m->state.runtime;
        int cpu, r;

        r = parse_request(m, cpulist, &req, ename, err, errlen);
        if (r < 0)
                return r;
        CPUMAP_FOREACH(cpu, &req) {
                _cleanup_strv_free_ char **names = NULL;
                _cleanup_free_ char *src = NULL;

                if (cpumap_test(&m->state.runtime, (unsigned) cpu))
                        continue;
                if (!cpumap_test(&m->iso.isolated, (unsigned) cpu)) {
                        *ename = "org.tlbisol1.Error.NotIsolated";
                        snprintf(err, errlen, "CPU %d is not isolated; nothing to release", cpu);
                        return -EINVAL;
                }
                if (isolation_sources_of(&m->iso, (unsigned) cpu, &names) < 0 || !(src = strv_join(names, ", ")))
                        return -ENOMEM;
                *ename = "org.tlbisol1.Error.NotReleasable";
                snprintf(err, errlen, "CPU %d is isolated by %s, not by a runtime request; change %s to release it",
                         cpu, src, where_to_change(m, (unsigned) cpu));
                return -EPERM;
        }
        cpumap_andnot(&m->state.runtime, &m->state.runtime, &req);
        r = manager_apply(m, "release request");
        if (r < 0) {
                m->state.runtime = old;
                *ename = "org.tlbisol1.Error.Failed";
                snprintf(err, errlen, "%s", m->last_error && *m->last_error ? m->last_error : strerror(-r));
                return r;
        }
        return 0;
}

/* ---- life cycle ---- */

int manager_new(const char *config_path, const char *state_dir, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        char err[512];
        sigset_t ss;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->inotify_fd = -1;
        state_init(&m->state);
        m->config_path = strdup(config_path ? config_path : TLBISOLD_CONF);
        m->state_dir = strdup(state_dir ? state_dir : TLBISOLD_STATE_DIR);
        m->last_error = strdup("");
        m->module_state = strdup("not loaded: not checked yet");
        if (!m->config_path || !m->state_dir || !m->last_error || !m->module_state)
                return -ENOMEM;
        r = fsroot_new_from_env(&m->fs);
        if (r < 0)
                return r;
        r = isolation_facts_read(m->fs, &m->facts, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to read the CPUs of this machine: %m");
        r = config_load(m->config_path, m->facts.sys.ncpus, &m->config, err, sizeof(err));
        if (r < 0)
                return log_error_errno(r, "Invalid configuration: %s", err);
        {
                _cleanup_free_ char *rel = NULL;

                if (fsroot_read_line(m->fs, "/proc/sys/kernel/osrelease", &rel) >= 0 &&
                    kernel_moves_kthreads(rel) > 0) {
                        m->kernel_moves_kthreads = true;
                        log_info("Kernel %s keeps unbound kthreads off isolated partitions and boot-isolated "
                                 "CPUs itself; moving kthreads only off the other isolated CPUs", rel);
                }
        }

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_term, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_term, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the watchdog, ignoring: %m");
        r = sd_event_add_time_relative(m->event, &m->debounce, CLOCK_MONOTONIC, UINT64_MAX / 2,
                                       USEC_PER_MSEC, on_debounce, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->debounce, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &m->retry, CLOCK_MONOTONIC, UINT64_MAX / 2,
                                               100 * USEC_PER_MSEC, on_retry, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->retry, SD_EVENT_OFF);
        if (r >= 0) {
                (void) sd_event_source_set_description(m->debounce, "debounce");
                (void) sd_event_source_set_description(m->retry, "retry");
        }
        if (r < 0)
                return log_error_errno(r, "Failed to set up timers: %m");
        *ret = TAKE_PTR(m);
        return 0;
}

static int load_state(Manager *m) {
        struct state_error err = {};
        int r;

        r = state_load(m->state_dir, TLBISOLD_STATE_FILE, &m->state, &err);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                _cleanup_free_ char *from = NULL, *to = NULL;

                if (r == -EBADMSG)
                        log_error("Refusing the whole state file %s/%s, restoring nothing from it: line %u: %s; "
                                  "moving it aside to %s.bad and starting from the current values",
                                  m->state_dir, TLBISOLD_STATE_FILE, err.line, err.why, TLBISOLD_STATE_FILE);
                else
                        log_error_errno(r, "Failed to read the state file %s/%s: %m; moving it aside to %s.bad "
                                        "and starting from the current values", m->state_dir,
                                        TLBISOLD_STATE_FILE, TLBISOLD_STATE_FILE);
                if (asprintf(&from, "%s/%s", m->state_dir, TLBISOLD_STATE_FILE) >= 0 &&
                    asprintf(&to, "%s.bad", from) >= 0)
                        (void) rename(from, to);
                state_init(&m->state);
                return 0;
        }
        log_notice("Found the state of a previous run (%zu saved originals, %zu moved tasks); converging from it",
                   m->state.n_saved, m->state.n_tasks);
        return 1;
}

int manager_start(Manager *m) {
        int r;

        (void) load_state(m);

        m->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (m->inotify_fd < 0)
                log_warning_errno(errno, "Failed to create an inotify instance, cgroup partitions will "
                                  "only be seen on Reapply: %m");
        else {
                r = sd_event_add_io(m->event, &m->inotify_source, m->inotify_fd, EPOLLIN, on_inotify, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch inotify: %m");
                (void) sd_event_source_set_description(m->inotify_source, "cgroup-inotify");
        }

        r = sd_device_monitor_new(&m->devmon);
        if (r >= 0)
                r = sd_device_monitor_attach_event(m->devmon, m->event);
        if (r >= 0)
                r = sd_device_monitor_start(m->devmon, on_device, m);
        if (r < 0) {
                log_warning_errno(r, "Failed to monitor devices, new IRQs and CPU hotplug will only be "
                                  "seen on Reapply: %m");
                m->devmon = sd_device_monitor_unref(m->devmon);
        }

        r = manager_connect_bus(m);
        if (r < 0)
                return r;
        r = manager_apply(m, "start");
        if (r == -EXFULL)
                return 0;       /* stays up, says why in LastError */
        return r < 0 ? r : 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        sd_event_source_unref(m->inotify_source);
        sd_event_source_unref(m->debounce);
        sd_event_source_unref(m->retry);
        sd_device_monitor_unref(m->devmon);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        if (m->inotify_fd >= 0)
                close(m->inotify_fd);
        module_drop(m);
        clear_unmovable(m);
        isolation_done(&m->iso);
        isolation_facts_done(&m->facts);
        state_done(&m->state);
        config_done(&m->config);
        fsroot_free(m->fs);
        free(m->config_path);
        free(m->state_dir);
        free(m->isolated_text);
        free(m->housekeeping_text);
        free(m->module_state);
        free(m->last_error);
        free(m->irqbalance_sent);
        free(m->defer_refused);
        free(m);
        return NULL;
}

void manager_forget_unmovable(Manager *m) {
        clear_unmovable(m);
}
