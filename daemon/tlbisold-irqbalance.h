/* tlbisold-irqbalance.h — irqbalance's socket (tlbisold-irqbalance.c). */
#pragma once
#include "tlbisold-manager-data.h"

/* Bans the isolated CPUs in a running irqbalance, or gives them back (release). */
void manager_irqbalance_ban(Manager *m, bool release);
