/* measure-window.h — the window of a measurement and the workload that runs
 * in it, as both trace readers (osnoise-decode.c, attrib.c) judge records:
 * a record counts when its timestamp lies in [start, end] (no window set:
 * every record counts), and a thread of the workload (tlbctl's busy loops,
 * or the application's threads pinned to the measured CPUs) is not noise.
 *
 * Usage:
 *   struct measure_window w = {};
 *   measure_window_set(&w, start_ns, end_ns);
 *   r = measure_window_add_workload(&w, pid);       // -ENOMEM
 *   if (measure_window_has(&w, ts) && !measure_window_is_workload(&w, pid)) ...
 *   measure_window_done(&w);
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct measure_window {
        uint64_t start_ns, end_ns;      /* end_ns 0: no window */
        int *workload;                  /* thread ids */
        size_t nworkload;
};

void measure_window_set(struct measure_window *w, uint64_t start_ns, uint64_t end_ns);
/* Whether a record at ts counts (always, with no window set). */
bool measure_window_has(const struct measure_window *w, uint64_t ts);
/* Adding a pid twice is harmless. 0 or -ENOMEM. */
int measure_window_add_workload(struct measure_window *w, int pid);
bool measure_window_is_workload(const struct measure_window *w, int pid);
void measure_window_done(struct measure_window *w);
