/* tlbisold-manager.h — the one Manager of tlbisold: owns the event loop,
 * the watches (cgroup inotify, device monitor, signals), the isolation
 * state and the saved originals. tlbisold-manager-bus.c exposes it on
 * D-Bus; the pure logic it drives is in tlbisold-{knob,state,converge,plan,tasks}.c. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

#include "genl.h"
#include "isolation.h"
#include "tlbisold-conf.h"
#include "tlbisold-tasks.h"
#include "tlbisold-converge.h"
#include "tlbisold-plan.h"
#include "tlbisold-state.h"

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
        struct isolation_facts facts;   /* what the kernel says, read at each apply */
        struct isolation iso;
        struct state state;

        struct unmovable *unmovable;
        size_t n_unmovable;
        struct saved_task *unmovable_tasks;     /* tid + start of tasks that refused to move */
        size_t n_unmovable_tasks;
        bool kernel_moves_kthreads;     /* 7.0+: unbound kthreads follow isolation by themselves */
        struct tlbisol_genl *genl;

        char *isolated_text, *housekeeping_text, *module_state, *last_error;
        uint64_t applied_at;            /* CLOCK_REALTIME usec */
        unsigned n_applies;
        char *irqbalance_sent;          /* last command sent to irqbalance */
        char *defer_refused;            /* the module's last reason for refusing deferral */
} Manager;

int manager_new(const char *config_path, const char *state_dir, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) { manager_free(*m); }
/* Loads the state file of a previous run, connects watches and the bus,
 * applies once. */
int manager_start(Manager *m);
/* Recomputes the isolated set from every source and converges the system
 * to it. why goes to the log. */
int manager_apply(Manager *m, const char *why);
/* Restores every saved original and forgets the state file. */
int manager_restore_all(Manager *m);
int manager_reload(Manager *m);
/* Reapply from D-Bus: forget which IRQs were found unmovable. */
void manager_forget_unmovable(Manager *m);
void manager_set_error(Manager *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runtime requests (D-Bus); on failure err names the problem and
 * *ret_error_name the D-Bus error. */
int manager_isolate(Manager *m, const char *cpulist, const char **ret_error_name, char *err, size_t errlen);
int manager_release(Manager *m, const char *cpulist, const char **ret_error_name, char *err, size_t errlen);

/* tlbisold-manager-bus.c */
int manager_connect_bus(Manager *m);
void manager_send_changed(Manager *m, bool isolation_changed);
