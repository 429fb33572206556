/* tlbisold-manager-data.h — the Manager's data: the one object every part
 * of tlbisold works on (event loop, the kernel's isolation facts, the
 * computed isolation, the saved state, the configuration, what the bus
 * shows), and what every part records in it: the error shown, the IRQs
 * and tasks found unmovable, the state file written before a change, the
 * change announced to whoever listens. It calls nothing of tlbisold's.
 *
 * The parts, from the top down (each calls only the ones below it):
 *   tlbisold.c              main: the table of contents
 *   tlbisold-manager-bus.c  the D-Bus face: requests in, properties out
 *   tlbisold-watch.c        event sources: what makes tlbisold apply again
 *   tlbisold-manager.c      life cycle and requests (isolate, release, reload)
 *   tlbisold-apply.c        one apply: compute, plan, converge, module, irqbalance
 *   tlbisold-manager-partition.c
 *                           the isolated partition tlbisold owns (systemd: tlbisold-partition-systemd.c)
 *   tlbisold-module.c, tlbisold-irqbalance.c, tlbisold-rearm.c
 *                           the module's controls, irqbalance's socket, re-arming the sources
 *   tlbisold-manager-data.c this file's records
 * The pure logic they drive is in tlbisold-{knob,state,converge,plan,tasks,conf,partition}.c. */
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

        /* who listens for changes (the bus, once connected); NULL: nobody */
        void (*on_changed)(struct Manager *m, bool isolation_changed);
} Manager;

void manager_set_error(Manager *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the state file; logs and returns -errno on failure. */
int manager_save_state(Manager *m);
/* Reported once each; Reapply forgets them (manager_clear_unmovable). */
void manager_add_unmovable(Manager *m, unsigned irq, int r);
void manager_add_unmovable_task(Manager *m, int tid, unsigned long long start);
void manager_clear_unmovable(Manager *m);
/* Tells the listener (m->on_changed) that properties changed, and whether
 * the isolated set did. */
void manager_send_changed(Manager *m, bool isolation_changed);
