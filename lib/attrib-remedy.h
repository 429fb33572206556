/* attrib-remedy.h — what removes a group of interrupts (attrib-remedy.c). */
#pragma once
#include "attrib-group.h"

/* A tlbisol control, a tlbisold setting, a kernel parameter or sysctl, or
 * the application itself. Never NULL. */
const char *attrib_remedy(const struct attrib_group *g);
