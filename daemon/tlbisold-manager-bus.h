/* tlbisold-manager-bus.h — the D-Bus face of the Manager
 * (tlbisold-manager-bus.c). */
#pragma once
#include "tlbisold-manager-data.h"

/* Connects to the system bus, serves the object, takes the name and
 * listens for the Manager's changes (m->on_changed). */
int manager_connect_bus(Manager *m);
