/* noise-measure.c — one 'tlbctl noise' measurement, in this order: start
 * the workload (noise-workload.c), set up osnoise (noise-trace.c; without
 * it, e.g. on Debian's generic kernel, the /proc/interrupts and module
 * deltas over the same window are shown), turn tracing on, count
 * /proc/interrupts and the module before and after the window, turn
 * tracing off, stop the workload, then read the trace buffers once.
 *
 * SIGINT/SIGTERM/SIGHUP only set a flag; the window then ends early and
 * what was measured is kept (n->interrupted). The workload and the
 * tracing are torn down on every path. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tracefs.h>

#include "interrupts.h"
#include "noise.h"
#include "util.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
        (void) sig;
        stop_requested = 1;             /* async-signal-safe: a flag only */
}

static uint64_t now_usec(void) {
        return mono_ns() / 1000;
}

static void progress(const struct noise_run *n, uint64_t done, bool last) {
        const int width = 30;
        int fill = (int) (n->duration_usec ? done * (uint64_t) width / n->duration_usec : width);

        if (fill > width)
                fill = width;
        if (last) {
                fprintf(stderr, "\r%*s\r", width + 32, "");
                return;
        }
        fprintf(stderr, "\r[%.*s%*s] %5.1f/%.1f s  (Ctrl-C stops)", fill,
                "##############################", width - fill, "",
                (double) done / 1e6, (double) n->duration_usec / 1e6);
}

static void wait_window(struct noise_run *n) {
        bool bar = isatty(STDERR_FILENO);
        uint64_t t0 = now_usec(), done = 0;

        while (!stop_requested && done < n->duration_usec) {
                uint64_t left = n->duration_usec - done, step = left < 200000 ? left : 200000;
                struct timespec ts = { 0, (long) step * 1000 };

                (void) nanosleep(&ts, NULL);    /* EINTR: the flag is checked */
                done = now_usec() - t0;
                if (bar)
                        progress(n, done, false);
        }
        if (bar)
                progress(n, done, true);
        n->measured_usec = done;
        n->interrupted = stop_requested;
}

static int measure(struct noise_run *n) {
        uint64_t win_start, win_end;
        int r;

        r = noise_acc_new(&n->cpus, &n->acc);
        if (r >= 0)
                r = attrib_new(&n->cpus, &n->attrib);
        if (r < 0)
                return r;
        if (n->wl == WL_USER) {
                r = noise_workers_start(n);
                if (r < 0) {
                        tlbctl_error("noise: cannot start the workload: %s", strerror(-r));
                        return r;
                }
        }
        r = noise_tracing_setup(n);
        if (r < 0) {
                noise_teardown(n);
                if (!n->no_osnoise_reason &&
                    asprintf(&n->no_osnoise_reason, "setting up osnoise failed (%s)", strerror(-r)) < 0)
                        return -ENOMEM;
                n->osnoise = false;
        }

        /* Starting and stopping osnoise patches tracepoints in (text-poke
         * IPIs to every CPU): keep that out of the window, which is the span
         * between the two /proc/interrupts reads, on CLOCK_MONOTONIC. */
        if (n->osnoise && tracefs_trace_on(n->inst) < 0)
                return -EIO;
        if (n->wl == WL_NONE && (r = noise_add_pinned_threads(n)) < 0)
                return r;
        (void) module_state_read(n->t, &n->mod_before);
        win_start = mono_ns();
        r = interrupts_read(n->t->fs, &n->before);
        if (r < 0)
                return r;
        wait_window(n);
        r = interrupts_read(n->t->fs, &n->after);
        win_end = mono_ns();
        if (r >= 0)
                r = interrupts_delta(n->before, n->after, &n->delta);
        if (r < 0)
                return r;
        (void) module_state_read(n->t, &n->mod_after);
        if (n->osnoise)
                (void) tracefs_trace_off(n->inst);
        noise_workers_stop(n);
        if (n->wl == WL_NONE && (r = noise_add_pinned_threads(n)) < 0)
                return r;
        noise_acc_set_window(n->acc, win_start, win_end);
        attrib_set_window(n->attrib, win_start, win_end);

        if (n->osnoise && (r = noise_trace_read(n)) < 0)
                return r;
        return 0;
}

int noise_measure_until_stopped(struct noise_run *n) {
        static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
        struct sigaction sa = { .sa_handler = on_stop_signal }, old[3];
        int r;

        stop_requested = 0;
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < 3; i++)
                sigaction(sigs[i], &sa, &old[i]);
        r = measure(n);
        noise_workers_stop(n);
        noise_teardown(n);
        for (int i = 0; i < 3; i++)
                sigaction(sigs[i], &old[i], NULL);
        return r;
}

