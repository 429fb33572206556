/* tlbisol-bus.h — the D-Bus names of tlbisold, shared by the daemon
 * (daemon/tlbisold-manager-bus.c) and tlbctl (cli/bus.c), so that the two
 * can never disagree. The interface is documented in tlbisold(8). */
#pragma once

#define TLBISOL_BUS_NAME  "org.tlbisol1"
#define TLBISOL_BUS_PATH  "/org/tlbisol1"
#define TLBISOL_BUS_IFACE "org.tlbisol1.Manager"

/* Errors of Isolate, Release and Reapply. */
#define TLBISOL_ERROR_INVALID_CPULIST "org.tlbisol1.Error.InvalidCPUList"  /* syntax, range, empty */
#define TLBISOL_ERROR_NO_HOUSEKEEPING "org.tlbisol1.Error.NoHousekeeping"  /* would isolate every CPU */
#define TLBISOL_ERROR_NOT_RELEASABLE  "org.tlbisol1.Error.NotReleasable"   /* isolated by another source */
#define TLBISOL_ERROR_NOT_ISOLATED    "org.tlbisol1.Error.NotIsolated"     /* nothing to release */
#define TLBISOL_ERROR_FOREIGN_PARTITION "org.tlbisol1.Error.ForeignPartition" /* CPUs in a partition tlbisold does not own */
#define TLBISOL_ERROR_FAILED          "org.tlbisol1.Error.Failed"          /* anything else */
