/* tlbisold.c — the tlbisol daemon: keeps the isolated CPUs clean (IRQs,
 * unbound workqueues, noise knobs, the tlbisol module) while the isolated
 * set changes, and restores everything it changed.
 *
 * main() reads like the table of contents: options, manager_new (config),
 * manager_start (state file, watches, bus, first apply), READY=1, the event
 * loop, restore on stop. See tlbisold(8). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "tlbisold-log.h"
#include "tlbisold-manager.h"
#include "util.h"

static const char *arg_config = TLBISOLD_CONF;
static const char *arg_state_dir = TLBISOLD_STATE_DIR;

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
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        log_setup();
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        r = manager_new(arg_config, arg_state_dir, &m);
        if (r < 0)
                goto finish;
        r = manager_start(m);
        if (r < 0)
                goto finish;

        (void) sd_notifyf(false, "READY=1\nSTATUS=Isolated: %s; housekeeping: %s",
                          m->isolated_text && *m->isolated_text ? m->isolated_text : "none",
                          m->housekeeping_text ? m->housekeeping_text : "?");
        r = sd_event_loop(m->event);
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                goto finish;
        }
        if (m->config.restore_on_stop) {
                log_info("Stopping: restoring every original value (RestoreOnStop=yes)");
                r = manager_restore_all(m);
                if (r > 0)
                        log_warning("%d original value(s) could not be restored; they stay in %s/%s", r,
                                    m->state_dir, TLBISOLD_STATE_FILE);
        } else
                log_info("Stopping without restoring (RestoreOnStop=no); originals stay in %s/%s",
                         m->state_dir, TLBISOLD_STATE_FILE);
        r = 0;
finish:
        (void) sd_notify(false, r < 0 ? "STATUS=Failed; see the journal" : "STATUS=Stopped");
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
