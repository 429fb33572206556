/* check.h — the isolated CPUs as tlbisold sees them (check.c), shared by
 * 'tlbctl check' and 'tlbctl metrics'. */
#pragma once
#include "isolation.h"
#include "tlbctl.h"

struct config;

/* The isolated CPUs as tlbisold sees them (check.c): the kernel's sources
 * (lib/isolation), plus the daemon's runtime requests and configured CPUs
 * when it runs (d may be NULL), else cfg's [Isolation] CPUs= (cfg may be
 * NULL), which it would isolate when started. 0 or -ENOMEM. */
int daemon_isolation(const struct tlbctl *t, const struct daemon_state *d,
                     const struct config *cfg, struct isolation *iso);
