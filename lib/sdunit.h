/* sdunit.h — transient systemd units over systemd's D-Bus API
 * (org.freedesktop.systemd1.Manager): the one piece of code that asks
 * systemd for a unit with AllowedCPUs=, used by tlbisold (its slice,
 * tlbisol.slice) and by 'tlbctl run' (a scope in that slice).
 *
 * Usage:
 *   struct sdunit_props p = { .description = "...", .allowed_cpus = &cpus,
 *                             .slice = "tlbisol.slice", .pid = getpid() };
 *   r = sdunit_start_transient(bus, "x.scope", &p, err, sizeof(err));
 *   r = sdunit_set_allowed_cpus(bus, "tlbisol.slice", &cpus, err, sizeof(err));
 *   r = sdunit_job(bus, "StopUnit", "tlbisol.slice", err, sizeof(err));
 *
 * Each returns 0 or a negative errno with err = systemd's message (or why
 * the request could not be built); -EEXIST when systemd answers
 * org.freedesktop.systemd1.UnitExists. Nothing here logs. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "cpumap.h"

struct sdunit_props {
        const char *description;
        const struct cpumap *allowed_cpus;      /* AllowedCPUs= */
        const char *slice;                      /* Slice=; NULL: none */
        pid_t pid;                              /* PIDs= (scopes); 0: none */
};

/* StartTransientUnit(unit, "fail", props, no auxiliary units). */
int sdunit_start_transient(sd_bus *bus, const char *unit, const struct sdunit_props *p, char *err, size_t errlen);
/* SetUnitProperties(unit, runtime, AllowedCPUs=cpus). */
int sdunit_set_allowed_cpus(sd_bus *bus, const char *unit, const struct cpumap *cpus, char *err, size_t errlen);
/* method ("StartUnit", "StopUnit") on unit, mode "replace". */
int sdunit_job(sd_bus *bus, const char *method, const char *unit, char *err, size_t errlen);
