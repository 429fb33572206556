/* noise-measure.c — one 'tlbctl noise' measurement, in this order: start
 * the workload (noise-workload.c), set up osnoise (noise-trace.c; without
 * it, e.g. on Debian's generic kernel, the /proc/interrupts and module
 * deltas over the same window are shown), turn tracing on, count
 * /proc/interrupts and the module before and after the window, turn
 * tracing off, stop the workload, then read the trace buffers once.
 * With a command ('tlbctl noise ... -- COMMAND'), it is started right after
 * the window opens and the window closes when it exits: a fixed amount of
 * work measured, however long it takes.
 *
 * SIGINT/SIGTERM/SIGHUP only set a flag; the window then ends early and
 * what was measured is kept (n->interrupted). The workload and the
 * tracing are torn down on every path. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* The command given after "--": started once the window is open (the
 * interrupts read, tracing on), so all it does is inside the window. It
 * inherits tlbctl's CPU affinity and environment; posix_spawnp() resets our
 * SIGINT/SIGTERM/SIGHUP handlers to the default in it (exec does). With
 * --json its stdout is our stderr. */
static int cmd_start(struct noise_run *n) {
        extern char **environ;
        posix_spawn_file_actions_t fa;
        int r = posix_spawn_file_actions_init(&fa);

        /* --json: stdout is one JSON document; the command's output goes to
         * stderr instead */
        if (r == 0 && n->json)
                r = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
        if (r == 0) {
                (void) fflush(stdout);
                r = posix_spawnp(&n->cmd_pid, n->cmd[0], &fa, NULL, n->cmd, environ);
        }
        (void) posix_spawn_file_actions_destroy(&fa);
        if (r != 0) {
                n->cmd_pid = 0;
                tlbctl_error("noise: cannot run '%s': %s", n->cmd[0], strerror(r));
                return -r;
        }
        return 0;
}

/* Nonblocking: true once the command has exited (status kept). */
static bool cmd_reaped(struct noise_run *n, bool block) {
        int st;
        pid_t p;

        if (n->cmd_pid <= 0)
                return n->cmd_exited;
        do
                p = waitpid(n->cmd_pid, &st, block ? 0 : WNOHANG);
        while (p < 0 && errno == EINTR);
        if (p == n->cmd_pid || (p < 0 && errno == ECHILD)) {
                n->cmd_status = p == n->cmd_pid ? st : 0;
                n->cmd_exited = true;
                n->cmd_pid = 0;
        }
        return n->cmd_exited;
}

/* A command still running when the window ends (the duration, or Ctrl-C):
 * SIGTERM, 2 s to exit, then SIGKILL; always reaped. */
static void cmd_stop(struct noise_run *n) {
        if (n->cmd_pid <= 0)
                return;
        n->cmd_stopped = true;
        (void) kill(n->cmd_pid, SIGTERM);
        for (int i = 0; i < 40 && !cmd_reaped(n, false); i++) {
                struct timespec ts = { 0, 50 * 1000 * 1000 };

                (void) nanosleep(&ts, NULL);
        }
        if (!n->cmd_exited)
                (void) kill(n->cmd_pid, SIGKILL);
        (void) cmd_reaped(n, true);
}

const char *noise_cmd_outcome(const struct noise_run *n, char buf[static 64]) {
        if (!n->cmd)
                return NULL;
        if (n->cmd_stopped)
                snprintf(buf, 64, "stopped at the end of the window");
        else if (!n->cmd_exited)
                snprintf(buf, 64, "not run");
        else if (WIFEXITED(n->cmd_status))
                snprintf(buf, 64, "exited with status %d", WEXITSTATUS(n->cmd_status));
        else
                snprintf(buf, 64, "killed by signal %d", WTERMSIG(n->cmd_status));
        return buf;
}

/* Until the duration, a stop signal, or (with a command) its exit, polled
 * every 20 ms so the window outlasts it by at most that. */
static void wait_window(struct noise_run *n) {
        bool bar = isatty(STDERR_FILENO);
        uint64_t t0 = now_usec(), done = 0, poll = n->cmd ? 20000 : 200000;

        while (!stop_requested && done < n->duration_usec && !cmd_reaped(n, false)) {
                uint64_t left = n->duration_usec - done, step = left < poll ? left : poll;
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
        if (n->cmd && (r = cmd_start(n)) < 0)
                return r;
        wait_window(n);
        r = interrupts_read(n->t->fs, &n->after);
        win_end = mono_ns();
        cmd_stop(n);
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
        cmd_stop(n);
        noise_workers_stop(n);
        noise_teardown(n);
        for (int i = 0; i < 3; i++)
                sigaction(sigs[i], &old[i], NULL);
        return r;
}

