/* tlbisold-fair.h — the 6.12 deadline fair server of an isolated CPU as one
 * knob ([Tuning] FairServerPeriod): its runtime and period, read, saved and
 * written together, from a task on that CPU.
 *
 * Why: on a nohz_full CPU only the housekeeping remote tick (once a second)
 * charges a busy fair task's run time to the deferred server, whose timer is
 * due 950 ms into the kernel's 1 s period: it fires first and each time
 * sends the CPU a nohz_full kick and a reschedule IPI and keeps its tick for
 * a tick (a busy VM CPU: 10 reschedule IPIs in 20 s). With a 2 s period the
 * remote tick uses the runtime up before the timer is due, which pushes it a
 * period on: no activation (0 in 40 s). The runtime is scaled with the
 * period, so fair tasks keep their share (5 %) against real-time ones.
 *
 * How, against 6.12.117 (kernel/sched/debug.c sched_fair_server_write,
 * deadline.c dl_server_stop, dl_server_apply_params, __dl_overflow):
 *  - each write stops and restarts the CPU's server; dl_server_stop() does
 *    not check that it is active, so a write while no fair task is queued
 *    on that CPU subtracts its bandwidth twice (WARN "dl_rq->running_bw >
 *    old", deadline.c:265; seen in the VM with a write from CPU 0 to idle
 *    CPU 3, and by daemon-basic with this file's pinning taken out). Written
 *    from a child pinned to the CPU (fsroot_run_on_cpu), a fair task is
 *    queued there and the stop is balanced;
 *  - a root-domain rebuild (systemd's cgroup set-up at boot) leaves the
 *    root domain's total_bw without the servers' share, and the admission
 *    check computes total_bw - old + new in u64: a write that lowers the
 *    bandwidth below what total_bw holds wraps and is refused (-EBUSY; seen
 *    for period 1 s -> 2 s alone). So every step keeps or raises it: runtime
 *    up before period up, period down before runtime down; in between the
 *    server has twice its bandwidth for a moment (10 %);
 *  - runtime <= period at every step (the kernel refuses otherwise).
 * A second write that fails undoes the first: nothing is half-applied. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct fsroot;

/* "/sys/kernel/debug/sched/fair_server/cpu<N>" — the knob's path */
#define FAIR_SERVER_DIR "/sys/kernel/debug/sched/fair_server/cpu%u"

/* The CPU of a fair-server knob path (canonical, as FAIR_SERVER_DIR
 * prints it), or -1 for any other path. */
int fair_server_cpu(const char *path);
/* "RUNTIME PERIOD" in ns, read from the two files. */
int fair_server_read(const struct fsroot *fs, const char *path, char **ret);
/* Writes "RUNTIME PERIOD" from a task on that CPU, in the order above. */
int fair_server_write(const struct fsroot *fs, const char *path, const char *value);
/* The value for period_ns given the original "RUNTIME PERIOD": the runtime
 * scaled to keep the bandwidth. -EINVAL for a bad original, -ENODATA when
 * the original runtime is 0 (the server is off: nothing to do). */
int fair_server_value(const char *orig, uint64_t period_ns, char **ret);
