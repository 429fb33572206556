/* tlbisold.c — the tlbisol daemon: keeps the isolated CPUs clean (IRQs,
 * unbound workqueues, noise knobs, the tlbisol module) while the isolated
 * set changes, and restores everything it changed.
 *
 * run() reads like the table of contents: options, the configuration
 * (checked before anything is set up), manager_new, manager_start (state
 * file, watches, bus, first apply), READY=1, the event loop, manager_stop
 * (restore, or not). Every exit is one logged return. See tlbisold(8). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "fsroot.h"
#include "sysinfo.h"
#include "tlbisold-log.h"
#include "tlbisold-manager-bus.h"
#include "tlbisold-manager.h"
#include "tlbisold-watch.h"
#include "util.h"

static const char *arg_config = TLBISOLD_CONF;
static const char *arg_state_dir = TLBISOLD_STATE_DIR;
static bool arg_parsed;

static void help(void) {
        printf("Usage: tlbisold [OPTIONS]\n\n"
               "Keeps isolated CPUs free of IRQs, unbound work and kernel noise; see tlbisold(8).\n\n"
               "  -c, --config=FILE      configuration file (default %s; drop-ins in FILE.d/)\n"
               "      --state-dir=DIR    where the saved originals live (default %s)\n"
               "  -d, --debug            log every change\n"
               "  -h, --help             show this help\n"
               "      --version          show the version\n", TLBISOLD_CONF, TLBISOLD_STATE_DIR);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_STATE_DIR };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "debug", no_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "c:dh", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        arg_config = optarg;
                        break;
                case ARG_STATE_DIR:
                        arg_state_dir = optarg;
                        break;
                case 'd':
                        log_set_max_level(LOG_DEBUG);
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("tlbisold %s\n", TLBISOL_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "tlbisold: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        if (arg_config[0] != '/' || arg_state_dir[0] != '/') {
                fprintf(stderr, "tlbisold: --config and --state-dir need absolute paths\n");
                return -EINVAL;
        }
        arg_parsed = true;
        return 1;
}

/* The configuration, checked against this machine's CPUs before anything
 * else is set up. */
static int load_config(struct config *ret) {
        _cleanup_(fsroot_freep) struct fsroot *fs = NULL;
        struct cpu_isolation sys;
        char err[512];
        int r;

        r = fsroot_new_from_env(&fs);
        if (r >= 0)
                r = sysinfo_read(fs, &sys);
        if (r < 0)
                return log_error_errno(r, "Failed to read the CPUs of this machine: %m");
        r = config_load(arg_config, sys.ncpus, ret, err, sizeof(err));
        if (r < 0)
                return log_error_errno(r, "Invalid configuration: %s", err);
        return 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(config_done) struct config config = {};
        int r;

        log_setup();
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;
        r = load_config(&config);
        if (r < 0)
                return r;
        r = manager_new(arg_config, arg_state_dir, &config, &m);
        if (r < 0)
                return r;               /* each step logs why */
        r = manager_watch(m);
        if (r < 0)
                return r;
        r = manager_connect_bus(m);
        if (r < 0)
                return r;
        r = manager_start(m);
        if (r < 0)
                return r;
        (void) sd_notifyf(false, "READY=1\nSTATUS=Isolated: %s; housekeeping: %s",
                          *m->isolated_text ? m->isolated_text : "none", m->housekeeping_text);
        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        r = manager_stop(m);
        if (r < 0)
                return log_error_errno(r, "Failed to restore on stop: %m");
        return 0;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        if (r == -EINVAL && !arg_parsed)
                return 2;               /* usage */
        (void) sd_notify(false, r < 0 ? "STATUS=Failed; see the journal" : "STATUS=Stopped");
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
