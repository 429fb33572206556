/* tlbisold-conf.h — /etc/tlbisol/tlbisold.conf and tlbisold.conf.d/NAME.conf.
 *
 * systemd-style INI read with inih; one table of {section, key, parser,
 * offset} (tlbisold-conf.c) is the single list of keys, their defaults and
 * their documentation order (systemd/tlbisold.conf lists them all).
 * Drop-ins are read after the main file, in lexical order; later ones win.
 * Errors name the file, the line and the key; nothing is half-loaded: on
 * error the caller keeps its previous config. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpumap.h"
#include "tlbisold-knob.h"

#define TLBISOLD_CONF "/etc/tlbisol/tlbisold.conf"

struct config {
        char *cpus_text;                /* [Isolation] CPUs=, as written */
        char *cpus_file;                /* the file that set it last (a drop-in, maybe) */
        struct cpumap cpus;
        bool irqs, default_affinity, workqueues, irqbalance;
        bool kthreads, user_tasks;
        char **user_tasks_exclude;      /* fnmatch patterns on comm, NULL-terminated; NULL = none */
        char *tunable[_TUNABLE_MAX];    /* "keep" or the value; "housekeeping" for WatchdogCPUMask */
        uint64_t fair_server_period_usec;       /* [Tuning] FairServerPeriod; 0 = keep */
        bool module_sync, module_defer;
        bool restore_on_stop;
        uint64_t debounce_usec;
        /* [Check]: thresholds of 'tlbctl check --noise'; tlbisold ignores them */
        unsigned check_max_irq_per_sec;
        uint64_t check_max_noise_usec;
};

void config_init(struct config *c);     /* the defaults */
void config_done(struct config *c);
/* Parses one file's text into c (on top of what it holds). name is used
 * in messages. err gets "name:line: ..." on failure (-EINVAL, -ERANGE). */
int config_parse_string(const char *text, const char *name, unsigned ncpus, struct config *c,
                        char *err, size_t errlen);
/* Defaults, then path (absent: fine), then path.d/ *.conf. */
int config_load(const char *path, unsigned ncpus, struct config *ret, char *err, size_t errlen);
