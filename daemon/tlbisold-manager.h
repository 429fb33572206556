/* tlbisold-manager.h — the one Manager of tlbisold: owns the event loop,
 * the kernel's isolation facts, the computed isolation, the saved state and
 * the configuration. Its files, one concern each:
 *   tlbisold-manager.c      life cycle, errors, requests (isolate, release, reload)
 *   tlbisold-apply.c        one apply: compute, plan, converge, module, irqbalance
 *   tlbisold-module.c       the tlbisol module's controls over genetlink
 *   tlbisold-irqbalance.c   irqbalance's socket
 *   tlbisold-watch.c        cgroup inotify, devices, signals, debounce and retry timers
 *   tlbisold-manager-bus.c  the D-Bus vtable; the only place errno becomes a D-Bus error
 * The pure logic it drives is in tlbisold-{knob,state,converge,plan,tasks,conf}.c. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

#include "genl.h"
#include "isolation.h"
#include "tlbisold-conf.h"
#include "tlbisold-converge.h"
#include "tlbisold-plan.h"
#include "tlbisold-state.h"
#include "tlbisold-tasks.h"

#define TLBISOLD_STATE_DIR "/run/tlbisol"
#define TLBISOLD_STATE_FILE "state"

struct unmovable {
        unsigned irq;
        char *reason;
};

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        sd_device_monitor *devmon;
        sd_event_source *inotify_source, *debounce, *retry;
        int inotify_fd;

        struct fsroot *fs;
        char *config_path, *state_dir;
        struct config config;
        struct isolation_facts facts;   /* what the kernel says, read once per apply */
        struct isolation iso;           /* what is applied */
        struct state state;

        struct unmovable *unmovable;
        size_t n_unmovable;
        struct saved_task *unmovable_tasks;     /* tid + start of tasks that refused to move */
        size_t n_unmovable_tasks;
        bool kernel_moves_kthreads;     /* 7.0+: unbound kthreads follow isolation by themselves */
        struct tlbisol_genl *genl;

        /* bus properties; never NULL */
        char *isolated_text, *housekeeping_text, *module_state, *last_error;
        uint64_t applied_at;            /* CLOCK_REALTIME usec */
        char *irqbalance_sent;          /* last command sent to irqbalance */
        char *defer_refused;            /* the module's last reason for refusing deferral */
} Manager;

/* ---- tlbisold-manager.c ---- */
/* config (taken over) was loaded from config_path, which reload reads again. */
int manager_new(const char *config_path, const char *state_dir, struct config *config, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) { manager_free(*m); }
/* Loads the state file of a previous run, connects watches and the bus,
 * applies once. */
int manager_start(Manager *m);
int manager_reload(Manager *m);
/* At the end of the loop: restores everything, or not (RestoreOnStop=). */
int manager_stop(Manager *m);
void manager_set_error(Manager *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the state file; logs and returns -errno on failure. */
int manager_save_state(Manager *m);
void manager_add_unmovable(Manager *m, unsigned irq, int r);
void manager_add_unmovable_task(Manager *m, int tid, unsigned long long start);
/* Requests. 0, or a negative errno with a message for the caller in
 * *ret_msg (malloc'ed): -EINVAL bad CPU list, -EXFULL no housekeeping CPU
 * would be left, -ENOENT (release) the CPU is not isolated, -EPERM
 * (release) isolated by another source, anything else a failure. */
int manager_isolate(Manager *m, const char *cpulist, char **ret_msg);
int manager_release(Manager *m, const char *cpulist, char **ret_msg);
/* Forgets the IRQs and tasks found unmovable and applies again. */
int manager_reapply(Manager *m, char **ret_msg);

/* ---- tlbisold-apply.c ---- */
/* Reads the kernel's facts once (and watches new cgroups), computes the
 * isolation for these runtime and config CPUs. -EXFULL as isolation_compute. */
int manager_compute(Manager *m, const struct cpumap *runtime, const struct cpumap *config, struct isolation *ret);
/* Converges the system to iso (taken over). */
int manager_apply_isolation(Manager *m, struct isolation *iso, const char *why);
/* manager_compute for the current requests and config, then apply. */
int manager_apply(Manager *m, const char *why);
/* Restores every saved original and forgets the state file. */
int manager_restore_all(Manager *m);

/* ---- tlbisold-module.c ---- */
/* restore: back to the saved values; else configure for m->iso. */
int manager_module_apply(Manager *m, bool restore);
void manager_module_drop(Manager *m);

/* ---- tlbisold-irqbalance.c ---- */
void manager_irqbalance_ban(Manager *m, bool release);

/* ---- tlbisold-watch.c ---- */
int manager_watch_setup(Manager *m);    /* signals, timers */
int manager_watch_start(Manager *m);    /* inotify, device monitor */
void manager_watch_cgroups(Manager *m, char **dirs);
void manager_schedule_retry(Manager *m);

/* ---- tlbisold-manager-bus.c ---- */
int manager_connect_bus(Manager *m);
void manager_send_changed(Manager *m, bool isolation_changed);
