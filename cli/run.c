/* run.c — 'tlbctl run -c CPULIST [--] COMMAND [ARGS...]': run a command in
 * tlbisold's isolated partition, on CPUs of it.
 *
 * An isolated partition keeps everything else off its CPUs; it isolates
 * something only when the work is inside it. tlbctl asks systemd for a
 * transient scope, tlbctl-run-PID.scope, in tlbisol.slice with
 * AllowedCPUs=CPULIST and this process in it (as 'systemd-run --scope
 * --slice=tlbisol.slice -p AllowedCPUs=CPULIST' does), waits until the
 * kernel shows it in the scope, then executes the command in the
 * foreground: its exit status is the command's. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "cgpartition.h"
#include "fsroot.h"
#include "sdunit.h"
#include "tlbctl.h"
#include "util.h"

static void bus_unrefp(sd_bus **b) { sd_bus_flush_close_unref(*b); }

static int start_scope(const char *unit, const struct cpumap *cpus, const char *what, char *err, size_t errlen) {
        _cleanup_(bus_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *desc = NULL;
        char why[400];
        int r;

        if (asprintf(&desc, "tlbctl run: %s", what) < 0)
                return -ENOMEM;
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                snprintf(err, errlen, "no system bus: %s", strerror(-r));
                return r;
        }
        r = sdunit_start_transient(bus, unit, &(struct sdunit_props) { .description = desc, .allowed_cpus = cpus,
                                                                       .slice = CGPART_TLBISOLD_SLICE,
                                                                       .pid = getpid() },
                                   why, sizeof(why));
        if (r < 0)
                snprintf(err, errlen, "systemd refused the scope %s: %s", unit, why);
        return r;
}

/* Until this process is in cgpath and limited to cpus (systemd's job runs
 * after the call returns). */
static bool wait_placed(const char *cgpath, const struct cpumap *cpus) {
        for (int i = 0; i < 500; i++) {
                _cleanup_free_ char *line = NULL;
                cpu_set_t set;
                bool in = false;

                if (fsroot_read_line(NULL, "/proc/self/cgroup", &line) >= 0 && strncmp(line, "0::", 3) == 0)
                        in = streq(line + 3, cgpath);
                if (in && sched_getaffinity(0, sizeof(set), &set) == 0) {
                        bool ok = true;

                        for (unsigned c = 0; c < CPU_SETSIZE; c++)
                                if (CPU_ISSET(c, &set) && !cpumap_test(cpus, c))
                                        ok = false;
                        if (ok)
                                return true;
                }
                nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
        return false;
}

int verb_run(struct tlbctl *t, int argc, char **argv) {
        static const struct option opts[] = {
                { "cpus", required_argument, NULL, 'c' },
                { "help", no_argument,       NULL, 'h' },
                {}
        };
        _cleanup_free_ char *unit = NULL, *cgpath = NULL;
        const char *list = NULL;
        struct cgpart p;
        struct cpumap cpus, outside;
        char err[512], a[128], b[160];
        int c, r;

        while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) >= 0)
                switch (c) {
                case 'c':
                        list = optarg;
                        break;
                case 'h':
                        printf("Usage: tlbctl run -c CPULIST [--] COMMAND [ARGS...]\n\n"
                               "Run COMMAND in tlbisold's isolated partition (%s), on the CPUs in\n"
                               "CPULIST, which 'tlbctl isolate' must have isolated. Same as:\n"
                               "  systemd-run --scope --slice=%s -p AllowedCPUs=CPULIST COMMAND\n",
                               CGPART_TLBISOLD_SLICE, CGPART_TLBISOLD_SLICE);
                        return EXIT_OK;
                default:
                        return usage_error("run", "bad option");
                }
        if (!list)
                return usage_error("run", "missing -c CPULIST");
        if (optind >= argc)
                return usage_error("run", "missing COMMAND");
        if (parse_user_cpulist(t, "run", list, &cpus) < 0)
                return EXIT_USAGE;

        r = cgpart_read(t->fs, CGPART_TLBISOLD_CGROUP, t->facts.sys.ncpus, &p);
        if (r < 0) {
                tlbctl_error("run: cannot read %s: %s", CGPART_TLBISOLD_CGROUP, strerror(-r));
                return EXIT_FAIL;
        }
        if (!cgpart_is_isolated(&p)) {
                cgpart_describe(&p, b, sizeof(b));
                tlbctl_error("run: tlbisold has no isolated partition (%s is %s); isolate the CPUs first: "
                          "tlbctl isolate %s", CGPART_TLBISOLD_CGROUP, b, list);
                return EXIT_FAIL;
        }
        cpumap_andnot(&outside, &cpus, &p.effective);
        if (!cpumap_is_empty(&outside)) {
                (void) cpulist_format(&outside, a, sizeof(a));
                (void) cpulist_format(&p.effective, b, sizeof(b));
                tlbctl_error("run: CPU %s not in tlbisold's isolated partition %s (CPUs %s); isolate first: "
                          "tlbctl isolate %s", a, CGPART_TLBISOLD_CGROUP, b, a);
                return EXIT_FAIL;
        }
        if (t->fixture_root) {
                tlbctl_error("run: TLBISOL_ROOT is set; not starting anything on this machine");
                return EXIT_FAIL;
        }
        if (asprintf(&unit, "tlbctl-run-%d.scope", (int) getpid()) < 0 ||
            asprintf(&cgpath, "%s/%s", CGPART_TLBISOLD_CGROUP, unit) < 0)
                return EXIT_FAIL;
        r = start_scope(unit, &cpus, argv[optind], err, sizeof(err));
        if (r < 0) {
                tlbctl_error("run: %s", err);
                return EXIT_FAIL;
        }
        if (!wait_placed(cgpath, &cpus)) {
                tlbctl_error("run: systemd did not put this process into %s on CPUs %s within 5 s; not running %s",
                          cgpath, list, argv[optind]);
                return EXIT_FAIL;
        }
        execvp(argv[optind], argv + optind);
        tlbctl_error("run: cannot execute %s: %s", argv[optind], strerror(errno));
        return errno == ENOENT ? 127 : 126;
}
