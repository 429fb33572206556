/* attrib-tick.h — why the scheduler tick ran on a measured CPU, and what
 * removes it (attrib.h groups the ticks; this file names them).
 *
 * On a nohz_full CPU the kernel re-checks at every interrupt exit whether
 * the tick may stop (can_stop_full_tick(), kernel/time/tick-sched.c). When
 * a tick dependency holds it, it writes timer:tick_stop with success=0 and
 * the first dependency it found (TICK_DEP_MASK_*); when the tick stops,
 * success=1 dependency=NONE (once, on the transition). So a tick followed
 * on its CPU by tick_stop success=0 was kept by that dependency, and one
 * followed by success=1 ran because of the dependency named before it on
 * that CPU, if any (seen: the 6.12 fair server's kick restarts the tick
 * with SCHED, the next tick stops it). A tick with no tick_stop after it
 * (its exit did not look: nested in a softirq-disabled section, the idle
 * loop; or the trace ends) goes with the last one on its CPU: the kernel's
 * last word stands until it writes another (success=1 when the tick
 * stops, idle included). A tick
 * with no dependency named is either the residual tick of nohz_full (the
 * scheduler wants one tick a second while a task runs: at most ~1/s) or,
 * faster than that, a tick that did not stop for a reason the kernel did
 * not name (idle CPU with work due, tick_stop not traced): decided by its
 * rate over the time the counts cover.
 *
 * Usage:
 *   int dep;
 *   attrib_tick_dep_from_name("SCHED", &dep);             // dep = 4
 *   enum attrib_tick_state s = attrib_tick_state(dep, count, seconds);
 *   const char *what = attrib_tick_remedy(s, dep, tick_stop_traced);
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* include/linux/tick.h, TICK_DEP_MASK_* (6.12) */
#define ATTRIB_TICK_DEP_POSIX_TIMER     (1 << 0)
#define ATTRIB_TICK_DEP_PERF_EVENTS     (1 << 1)
#define ATTRIB_TICK_DEP_SCHED           (1 << 2)
#define ATTRIB_TICK_DEP_CLOCK_UNSTABLE  (1 << 3)
#define ATTRIB_TICK_DEP_RCU             (1 << 4)
#define ATTRIB_TICK_DEP_RCU_EXP         (1 << 5)

/* Residual: at most this many ticks a second (plus one for the edges of
 * the window) with no dependency named. The residual tick is 1/s. */
#define ATTRIB_TICK_RESIDUAL_MAX_PER_S 2

enum attrib_tick_state {
        ATTRIB_TICK_NA,                 /* not a tick group */
        ATTRIB_TICK_RESIDUAL,           /* no dependency, <= ~2/s: nohz_full's 1 Hz tick */
        ATTRIB_TICK_KEPT,               /* a dependency named by timer:tick_stop kept it */
        ATTRIB_TICK_NOT_STOPPED,        /* no dependency named, faster than the residual tick */
};

/* "SCHED", "CLOCK_UNSTABLE", ... for one TICK_DEP_MASK_* bit, "NONE" for
 * 0; NULL for anything else. */
const char *attrib_tick_dep_name(int dep);
/* The inverse; also "0x..." (how the kernel prints a value it has no name
 * for). 0 or -EINVAL; *dep untouched on failure. */
int attrib_tick_dep_from_name(const char *name, int *dep);
/* dep: the dependency that kept these ticks (0: none named); count ticks
 * in seconds (<= 0: unknown, then only one tick is residual). */
enum attrib_tick_state attrib_tick_state(int dep, uint64_t count, double seconds);
/* "residual", "kept", "not_stopped"; NULL for ATTRIB_TICK_NA. */
const char *attrib_tick_state_name(enum attrib_tick_state s);
/* For a listing: the dependency's name when one kept the ticks ("SCHED"),
 * else the state's name ("residual", "not_stopped"); "?" when unknown. */
const char *attrib_tick_label(enum attrib_tick_state s, int dep);
/* What removes these ticks (never NULL). tick_stop_traced: whether
 * timer:tick_stop was recorded (a NOT_STOPPED tick then had no dependency
 * at all, rather than one not seen). */
const char *attrib_tick_remedy(enum attrib_tick_state s, int dep, bool tick_stop_traced);
