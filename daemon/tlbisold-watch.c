/* tlbisold-watch.c — what makes tlbisold apply again, as event sources of
 * the Manager's loop: inotify on the cgroup tree (partitions appearing,
 * changing, going), the device monitor (new IRQs, CPU hotplug, the module
 * coming and going), SIGHUP (reload) and SIGTERM/SIGINT (stop), a debounce
 * timer that turns a burst of events into one apply, and a retry timer for
 * transient write failures. An apply re-arms them through tlbisold-rearm.c;
 * the handlers here call down into the Manager. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "parse.h"
#include "tlbisold-apply.h"
#include "tlbisold-log.h"
#include "tlbisold-manager.h"
#include "tlbisold-module.h"
#include "tlbisold-watch.h"
#include "util.h"

/* ---- timers ---- */

static int arm_debounce(Manager *m, uint64_t usec) {
        int r, enabled = SD_EVENT_OFF;

        (void) sd_event_source_get_enabled(m->debounce, &enabled);
        if (enabled != SD_EVENT_OFF)
                return 0;
        r = sd_event_source_set_time_relative(m->debounce, usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->debounce, SD_EVENT_ONESHOT);
        return r;
}

static int on_debounce(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) manager_apply(userdata, "change seen");
        return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) manager_apply(userdata, "retry of transient failures");
        return 0;
}

/* ---- cgroup inotify ---- */

static bool inotify_relevant(const struct inotify_event *e) {
        if (e->mask & IN_Q_OVERFLOW)
                return true;
        if (e->mask & IN_ISDIR && e->mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO))
                return true;            /* a cgroup created, removed or renamed */
        if (e->len == 0 && e->mask & IN_MODIFY)
                return true;            /* a cpuset.cpus.partition watch */
        /* cpuset.cpus, cpuset.cpus.effective, cpuset.cpus.partition, ... */
        return e->len && startswith(e->name, "cpuset.cpus");
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        _Alignas(struct inotify_event) char buf[8192];
        bool relevant = false;
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0)
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;

                        relevant = relevant || inotify_relevant(e);
                        p += sizeof(*e) + e->len;
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
                        manager_module_drop(m);
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
        return sd_event_exit(m->event, 0);
}

/* ---- set-up ---- */

static int watch_setup(Manager *m) {
        sigset_t ss;
        int r;

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
        if (r < 0)
                return log_error_errno(r, "Failed to set up timers: %m");
        (void) sd_event_source_set_description(m->debounce, "debounce");
        (void) sd_event_source_set_description(m->retry, "retry");
        return 0;
}

static int watch_start(Manager *m) {
        int r;

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
        return 0;
}

int manager_watch(Manager *m) {
        int r = watch_setup(m);

        return r < 0 ? r : watch_start(m);
}
