/* measure-window.c — see measure-window.h. */
#include <errno.h>
#include <stdlib.h>

#include "measure-window.h"

void measure_window_set(struct measure_window *w, uint64_t start_ns, uint64_t end_ns) {
        w->start_ns = start_ns;
        w->end_ns = end_ns;
}

bool measure_window_has(const struct measure_window *w, uint64_t ts) {
        return !w->end_ns || (ts >= w->start_ns && ts <= w->end_ns);
}

bool measure_window_is_workload(const struct measure_window *w, int pid) {
        for (size_t i = 0; i < w->nworkload; i++)
                if (w->workload[i] == pid)
                        return true;
        return false;
}

int measure_window_add_workload(struct measure_window *w, int pid) {
        int *n;

        if (measure_window_is_workload(w, pid))
                return 0;
        n = realloc(w->workload, (w->nworkload + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        w->workload = n;
        w->workload[w->nworkload++] = pid;
        return 0;
}

void measure_window_done(struct measure_window *w) {
        free(w->workload);
        *w = (struct measure_window) {};
}
