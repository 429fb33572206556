/* tlbisold-module.h — the tlbisol module's controls (tlbisold-module.c). */
#pragma once
#include "tlbisold-manager-data.h"

/* restore: back to the saved values; else configure for m->iso. */
int manager_module_apply(Manager *m, bool restore);
void manager_module_drop(Manager *m);
