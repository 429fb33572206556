/* tlbisold-manager.c — the Manager's life cycle (its data, the state file
 * of a previous run, the first apply, restore on stop) and the requests
 * that change what is isolated (Isolate, Release, Reapply, reload). Each
 * request computes the isolation once and applies exactly that
 * (tlbisold-apply.c). Requests return a negative errno and a message;
 * tlbisold-manager-bus.c alone maps them to D-Bus errors. The event
 * sources and the bus are set up by main() (tlbisold-watch.c,
 * tlbisold-manager-bus.c) and call in here; nothing here calls them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "fsroot.h"
#include "tlbisold-apply.h"
#include "tlbisold-log.h"
#include "tlbisold-manager.h"
#include "tlbisold-manager-partition.h"
#include "tlbisold-module.h"
#include "tlbisold-partition.h"
#include "util.h"

/* ---- requests ---- */

int manager_reload(Manager *m) {
        struct isolation iso = {};
        struct config c = {};
        char err[512];
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
        r = manager_compute(m, &m->state.runtime, &c.cpus, &iso);
        if (r < 0) {
                if (r == -EXFULL)
                        manager_set_error(m, "reload refused, keeping the running configuration: "
                                          "[Isolation] CPUs=%s would leave no housekeeping CPU", c.cpus_text);
                else
                        manager_set_error(m, "reload refused, keeping the running configuration: "
                                          "cannot read the isolation state: %s", strerror(-r));
                log_error("%s", m->last_error);
                config_done(&c);
                isolation_done(&iso);
                manager_send_changed(m, false);
                (void) sd_notify(false, "READY=1");
                return r;
        }
        config_done(&m->config);
        m->config = c;
        log_info("Reloaded %s", m->config_path);
        r = manager_apply_isolation(m, &iso, "configuration reloaded");
        isolation_done(&iso);
        (void) sd_notify(false, "READY=1");
        return r;
}

static int parse_request(Manager *m, const char *cpulist, struct cpumap *ret, char **ret_msg) {
        char why[160];

        if (cpulist_parse_err(cpulist, m->facts.sys.ncpus, ret, why, sizeof(why)) < 0)
                return asprintf(ret_msg, "%s", why) < 0 ? -ENOMEM : -EINVAL;
        if (cpumap_is_empty(ret))
                return asprintf(ret_msg, "the CPU list is empty") < 0 ? -ENOMEM : -EINVAL;
        return 0;
}

static int request_failed(Manager *m, int r, char **ret_msg) {
        if (asprintf(ret_msg, "%s", *m->last_error ? m->last_error : strerror(-r)) < 0)
                return -ENOMEM;
        return r;
}

int manager_isolate(Manager *m, const char *cpulist, char **ret_msg) {
        struct cpumap req, rt, old = m->state.runtime;
        struct isolation iso = {};
        char msg[600];
        int r;

        r = parse_request(m, cpulist, &req, ret_msg);
        if (r < 0)
                return r;
        cpumap_or(&rt, &m->state.runtime, &req);
        r = manager_compute(m, &rt, &m->config.cpus, &iso);
        if (r < 0) {
                _cleanup_free_ char *s = NULL;

                isolation_done(&iso);
                if (r != -EXFULL)
                        return asprintf(ret_msg, "cannot read the isolation state: %s", strerror(-r)) < 0 ? -ENOMEM : r;
                (void) cpulist_format_alloc(&req, &s);
                return asprintf(ret_msg, "isolating %s would leave no housekeeping CPU", s ? s : cpulist) < 0 ?
                        -ENOMEM : r;
        }
        r = partition_check_foreign(&m->facts, &req, msg, sizeof(msg));
        if (r < 0) {
                isolation_done(&iso);
                return asprintf(ret_msg, "%s", msg) < 0 ? -ENOMEM : r;
        }
        m->state.runtime = rt;
        /* the request is known before anything changes: after a crash the
         * restarted daemon converges to it */
        r = manager_save_state(m);
        if (r >= 0)
                r = manager_partition_apply(m, false, msg, sizeof(msg));
        if (r < 0) {
                m->state.runtime = old;
                (void) manager_save_state(m);
                isolation_done(&iso);
                manager_set_error(m, "isolated partition: %s", msg);
                r = request_failed(m, r, ret_msg);
                /* the tasks pinned for the change: held or restored as before */
                (void) manager_reconverge_tasks(m);
                manager_send_changed(m, false);
                return r;
        }
        if (r > 0) {    /* the kernel's facts changed with the partition */
                isolation_done(&iso);
                r = manager_compute(m, &rt, &m->config.cpus, &iso);
                if (r < 0) {
                        isolation_done(&iso);
                        return asprintf(ret_msg, "cannot read the isolation state: %s", strerror(-r)) < 0 ?
                                -ENOMEM : r;
                }
        }
        r = manager_apply_isolation(m, &iso, "isolate request");
        isolation_done(&iso);
        if (r < 0) {
                m->state.runtime = old;
                r = request_failed(m, r, ret_msg);
                (void) manager_apply(m, "isolate request failed, rolling back");
                (void) manager_save_state(m);
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
                        return m->config.cpus_file ? m->config.cpus_file : m->config_path;
                case ISOLATION_RUNTIME:
                        break;
                }
        }
        return "its source";
}

int manager_release(Manager *m, const char *cpulist, char **ret_msg) {
        struct cpumap req, old = m->state.runtime;
        int cpu, r;

        r = parse_request(m, cpulist, &req, ret_msg);
        if (r < 0)
                return r;
        CPUMAP_FOREACH(cpu, &req) {
                _cleanup_strv_free_ char **names = NULL;
                _cleanup_free_ char *src = NULL;

                if (cpumap_test(&m->state.runtime, (unsigned) cpu))
                        continue;
                if (!cpumap_test(&m->iso.isolated, (unsigned) cpu))
                        return asprintf(ret_msg, "CPU %d is not isolated; nothing to release", cpu) < 0 ?
                                -ENOMEM : -ENOENT;
                if (isolation_sources_of(&m->iso, (unsigned) cpu, &names) < 0 || !(src = strv_join(names, ", ")))
                        return -ENOMEM;
                return asprintf(ret_msg, "CPU %d is isolated by %s, not by a runtime request; change %s to "
                                "release it", cpu, src, where_to_change(m, (unsigned) cpu)) < 0 ? -ENOMEM : -EPERM;
        }
        cpumap_andnot(&m->state.runtime, &m->state.runtime, &req);
        (void) manager_save_state(m);   /* see manager_isolate() */
        r = manager_apply(m, "release request");
        if (r < 0) {
                m->state.runtime = old;
                return request_failed(m, r, ret_msg);
        }
        return 0;
}

int manager_reapply(Manager *m, char **ret_msg) {
        int r;

        manager_clear_unmovable(m);
        r = manager_apply(m, "Reapply request");
        return r < 0 ? request_failed(m, r, ret_msg) : 0;
}

/* ---- life cycle ---- */

int manager_new(const char *config_path, const char *state_dir, struct config *config, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_free_ char *rel = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return log_error_errno(-ENOMEM, "Out of memory");
        m->inotify_fd = -1;
        state_init(&m->state);
        m->config = *config;            /* taken over */
        *config = (struct config) {};
        m->config_path = strdup(config_path);
        m->state_dir = strdup(state_dir);
        m->last_error = strdup("");
        m->module_state = strdup("not loaded: not checked yet");
        m->isolated_text = strdup("");
        m->housekeeping_text = strdup("");
        if (!m->config_path || !m->state_dir || !m->last_error || !m->module_state || !m->isolated_text ||
            !m->housekeeping_text)
                return log_error_errno(-ENOMEM, "Out of memory");
        r = fsroot_new_from_env(&m->fs);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the file-system root ($" FSROOT_ENV "): %m");
        r = isolation_facts_read(m->fs, &m->facts, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to read the CPUs of this machine: %m");
        if (fsroot_read_line(m->fs, "/proc/sys/kernel/osrelease", &rel) >= 0 && kernel_moves_kthreads(rel) > 0) {
                m->kernel_moves_kthreads = true;
                log_info("Kernel %s keeps unbound kthreads off isolated partitions and boot-isolated "
                         "CPUs itself; moving kthreads only off the other isolated CPUs", rel);
        }

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        *ret = TAKE_PTR(m);
        return 0;
}

int manager_stop(Manager *m) {
        int r;

        if (!m->config.restore_on_stop) {
                log_info("Stopping without restoring (RestoreOnStop=no); originals stay in %s/%s",
                         m->state_dir, TLBISOLD_STATE_FILE);
                return 0;
        }
        log_info("Stopping: restoring every original value (RestoreOnStop=yes)");
        r = manager_restore_all(m);
        if (r > 0)
                log_warning("%d original value(s) could not be restored; they stay in %s/%s", r,
                            m->state_dir, TLBISOLD_STATE_FILE);
        return r < 0 ? r : 0;
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
        manager_module_drop(m);
        manager_clear_unmovable(m);
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

