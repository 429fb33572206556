/* attrib-tick.c — see attrib-tick.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attrib-tick.h"
#include "util.h"

static const struct {
        int dep;
        const char *name, *remedy;
} deps[] = {
        { ATTRIB_TICK_DEP_POSIX_TIMER, "POSIX_TIMER",
          "the tick ran because a task on this CPU armed a POSIX CPU-time timer (timer_create() on a"
          " CPU-time clock, setitimer(ITIMER_VIRTUAL/ITIMER_PROF), RLIMIT_CPU): it runs while the"
          " timer is armed; remove the timer from the application" },
        { ATTRIB_TICK_DEP_PERF_EVENTS, "PERF_EVENTS",
          "the tick ran because a perf event needs it (frequency-based sampling, multiplexed or"
          " throttled counters): stop the profiler (perf record/top/stat, a PMU monitoring agent)" },
        { ATTRIB_TICK_DEP_SCHED, "SCHED",
          "the tick ran because the scheduler needs it: more than one runnable task on the CPU"
          " (time slicing), two SCHED_RR tasks, or a deadline task (the 6.12 deadline fair server"
          " counts while it runs: opt-in tlbisold FairServerPeriod=2s stops it); keep one task per"
          " isolated CPU: tlbisold KernelThreads=yes, UserTasks=yes, or the application's own"
          " threads if it puts two on this CPU" },
        { ATTRIB_TICK_DEP_CLOCK_UNSTABLE, "CLOCK_UNSTABLE",
          "the TSC was marked unstable (clocksource watchdog); the tick runs on every nohz_full"
          " CPU until reboot — check dmesg for 'Marking TSC unstable'; tsc=reliable where the TSC"
          " is known good (in a VM: a host too busy to run the guest on time trips the watchdog)" },
        { ATTRIB_TICK_DEP_RCU, "RCU",
          "the tick ran because RCU needs this CPU: a grace period waits on it (it stayed long in"
          " the kernel: a long system call) or it runs RCU callbacks (not offloaded: rcu_nocbs="
          " for this CPU)" },
        { ATTRIB_TICK_DEP_RCU_EXP, "RCU_EXP",
          "the tick ran because an expedited RCU grace period waits on this CPU"
          " (synchronize_rcu_expedited() elsewhere: module, BPF, network reconfiguration): avoid"
          " such changes during the run; rcupdate.rcu_normal=1 makes them normal grace periods" },
};

const char *attrib_tick_dep_name(int dep) {
        if (dep == 0)
                return "NONE";
        for (size_t i = 0; i < ELEMENTSOF(deps); i++)
                if (deps[i].dep == dep)
                        return deps[i].name;
        return NULL;
}

int attrib_tick_dep_from_name(const char *name, int *dep) {
        char *end;
        unsigned long v;

        if (!name)
                return -EINVAL;
        if (streq(name, "NONE")) {
                *dep = 0;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(deps); i++)
                if (streq(deps[i].name, name)) {
                        *dep = deps[i].dep;
                        return 0;
                }
        if (strncmp(name, "0x", 2) != 0 || !name[2])
                return -EINVAL;
        errno = 0;
        v = strtoul(name + 2, &end, 16);
        if (errno || *end || v > 0x7fffffff)
                return -EINVAL;
        *dep = (int) v;
        return 0;
}

enum attrib_tick_state attrib_tick_state(int dep, uint64_t count, double seconds) {
        if (dep)
                return ATTRIB_TICK_KEPT;
        if (seconds <= 0)
                return count <= 1 ? ATTRIB_TICK_RESIDUAL : ATTRIB_TICK_NOT_STOPPED;
        return (double) count <= ATTRIB_TICK_RESIDUAL_MAX_PER_S * seconds + 1 ? ATTRIB_TICK_RESIDUAL :
               ATTRIB_TICK_NOT_STOPPED;
}

const char *attrib_tick_state_name(enum attrib_tick_state s) {
        switch (s) {
        case ATTRIB_TICK_RESIDUAL:      return "residual";
        case ATTRIB_TICK_KEPT:          return "kept";
        case ATTRIB_TICK_NOT_STOPPED:   return "not_stopped";
        default:                        return NULL;
        }
}

const char *attrib_tick_label(enum attrib_tick_state s, int dep) {
        const char *n = s == ATTRIB_TICK_KEPT ? attrib_tick_dep_name(dep) : attrib_tick_state_name(s);

        return n ? n : "?";
}

const char *attrib_tick_remedy(enum attrib_tick_state s, int dep, bool tick_stop_traced) {
        switch (s) {
        case ATTRIB_TICK_KEPT:
                for (size_t i = 0; i < ELEMENTSOF(deps); i++)
                        if (deps[i].dep == dep)
                                return deps[i].remedy;
                return "the tick ran because of a tick dependency this tlbctl does not know (timer:tick_stop"
                       " names it): see include/linux/tick.h of the running kernel";
        case ATTRIB_TICK_NOT_STOPPED:
                return tick_stop_traced ?
                       "the tick did not stop (faster than the residual 1/s) and timer:tick_stop named no"
                       " dependency: reason unknown; an idle CPU keeps it for work due every tick (RCU"
                       " callbacks not offloaded: rcu_nocbs=; timers: tlbisold TimerMigration=1)" :
                       "the tick did not stop (faster than the residual 1/s): reason unknown, timer:tick_stop"
                       " not traced (it names the dependency); check dmesg for 'Marking TSC unstable'"
                       " and for more than one task on this CPU";
        case ATTRIB_TICK_RESIDUAL:
        default:
                return "residual scheduler tick of nohz_full (1/s while a task runs); stays";
        }
}
