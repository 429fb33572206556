/* irqbalance.h — which CPUs a running irqbalance leaves out
 * (irqbalance.c), for 'tlbctl check'. */
#pragma once
#include "cpumap.h"

/* Asks a running irqbalance, over its UI socket (/run/irqbalance/
 * irqbalance<PID>.sock, the "setup" command), which CPUs it leaves out.
 * 0 and *banned on success; -ENOENT when there is no socket; -errno. */
int irqbalance_banned(unsigned ncpus, struct cpumap *banned);
